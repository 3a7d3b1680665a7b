"""kdebug_exec with `node`: a command in a node's host namespaces through its agent, like `kubectl debug node/x`.

Every test runs over the nodes the API lists (one on the single-node lab, three on the three-node one); each node's
own InternalIP among the command's local addresses proves it ran in that node's network namespace. For the node whose
IP is an address of this machine's own network namespace (the lab's first node), the host's processes and files are
also compared with what this test sees itself. Each test keeps its agents in a namespace of its own (agent_namespace),
deleted afterwards."""
import os
import socket
import subprocess
import uuid

import pytest

DEMO = "kdebug-demo"


def node_exec(lab, agent_namespace, **args):
    args = dict({"image": lab.tools_image, "image_pull_policy": "Never", "timeout": 30,
                 "agent_namespace": agent_namespace}, **args)
    return lab.module("kdebug_exec", args, check=args.pop("_check", False))


def local_addresses(text):
    """The IPv4 addresses /proc/net/fib_trie lists as local ("/32 host LOCAL") in ``text``."""
    lines = text.splitlines()
    return {lines[i - 1].split()[-1] for i, line in enumerate(lines) if "/32 host LOCAL" in line and i}


@pytest.fixture(scope="module")
def nodes(lab):
    """[{name, ip, local}] of every Ready node the API lists; ``local``: its IP is one of this machine's own.
    A NotReady node (a worker while the lab restarts it) may not start an agent: it is not one to test on."""
    with open("/proc/net/fib_trie") as handle:
        mine = local_addresses(handle.read())
    found = []
    for item in lab.kubectl_json("get", "nodes")["items"]:
        if not any(c["type"] == "Ready" and c["status"] == "True" for c in item["status"]["conditions"]):
            continue
        ip = next(a["address"] for a in item["status"]["addresses"] if a["type"] == "InternalIP")
        found.append({"name": item["metadata"]["name"], "ip": ip, "local": ip in mine})
    assert found, "the lab lists no Ready node"
    return found


def test_each_node_runs_in_its_own_host_namespaces(lab, agent_namespace, nodes):
    for node in nodes:
        status, result = node_exec(lab, agent_namespace, node=node["name"], requested_by="node-test",
                                   reason="node target", shell='hostname; cat /proc/1/comm; '
                                   'echo "root=$KDEBUG_TARGET_ROOT"; cat /proc/net/fib_trie')
        assert status in ("CHANGED", "SUCCESS") and result["rc"] == 0, result
        lines = result["stdout_lines"]
        target = result["target"]
        assert target["node"] == node["name"] and isinstance(target["pid"], int)
        assert target["pod"] is None and target["namespace"] is None and target["container"] is None
        assert result["strategy"] == "agent" and "node %s" % node["name"] in result["strategy_reason"]
        assert result["agent_pod"]["node"] == node["name"]
        assert lines[2] == "root=/proc/%d/root" % target["pid"]
        # The node's network namespace: its InternalIP is a local address there.
        assert node["ip"] in local_addresses(result["stdout"]), (node, result["stdout"])
        if node["local"]:
            # This machine is that node: the same host name, and the same pid 1 (the host's pid namespace and /proc).
            assert lines[0] == socket.gethostname()
            with open("/proc/1/comm") as handle:
                assert lines[1] == handle.read().strip()
        else:
            assert lines[0] and lines[1]
    agents = lab.live_pods(agent_namespace, "kdebug.io/component=agent")
    assert sorted(a["spec"]["nodeName"] for a in agents) == sorted(n["name"] for n in nodes)
    assert all(a["metadata"]["annotations"]["kdebug.io/requested-by"] == "node-test" for a in agents)


def test_the_host_filesystem_through_its_path_through_chroot_and_in_the_host_mount_namespace(
        lab, agent_namespace, nodes):
    for node in nodes:
        # Default: the host's mount namespace, so its own files and binaries. The root's device and inode say
        # which filesystem each command sees as the host's.
        _status, host = node_exec(lab, agent_namespace, node=node["name"],
                                  shell="stat -c %d:%i /; cat /etc/os-release")
        # Without mnt: the tools image's files, the host's under KDEBUG_TARGET_ROOT.
        _status, tools = node_exec(lab, agent_namespace, node=node["name"], join_namespaces=["net", "pid"],
                                   shell='stat -c %d:%i "$KDEBUG_TARGET_ROOT/"; cat "$KDEBUG_TARGET_ROOT/etc/os-release"; '
                                         'echo @@; stat -c %d:%i /')
        # chroot: the host's root (and its sh), with the tools context's namespaces otherwise.
        _status, chrooted = node_exec(lab, agent_namespace, node=node["name"], join_namespaces=["net"], chroot=True,
                                      shell="stat -c %d:%i /; cat /etc/os-release")
        for result in (host, tools, chrooted):
            assert result["rc"] == 0, result
        through_root, tools_own = tools["stdout"].split("@@\n")
        assert host["stdout"] == through_root == chrooted["stdout"]
        assert tools_own.strip() != host["stdout_lines"][0]  # the tools image's root is not the host's
        if node["local"]:
            with open("/etc/os-release") as handle:
                assert host["stdout_lines"][1:] == handle.read().splitlines()
            stat = os.stat("/")
            assert host["stdout_lines"][0] == "%d:%d" % (stat.st_dev, stat.st_ino)  # stat -c %d:%i, here


def test_a_file_written_on_the_host_is_read_on_the_node(lab, agent_namespace, nodes):
    """The lab's first node is this machine: a file this test writes is the node's, read all three ways."""
    local = [n for n in nodes if n["local"]]
    if not local:
        pytest.skip("no node of the lab shares this machine's network namespace")
    path = "/tmp/kdebug-node-test-%s" % uuid.uuid4().hex[:8]
    marker = "written by the node test %s" % uuid.uuid4().hex
    with open(path, "w") as handle:
        handle.write(marker + "\n")
    try:
        node = local[0]["name"]
        for args in ({"command": ["cat", path]}, {"chroot": True, "command": ["cat", path]},
                     {"join_namespaces": ["net", "pid"], "shell": 'cat "$KDEBUG_TARGET_ROOT%s"' % path}):
            _status, result = node_exec(lab, agent_namespace, node=node, **args)
            assert result["rc"] == 0 and result["stdout"] == marker + "\n", (args, result)
    finally:
        os.unlink(path)


def test_a_missing_node_is_named_and_nothing_is_created(lab, agent_namespace):
    status, result = node_exec(lab, agent_namespace, node="kdebug-no-such-node", command=["true"])
    assert status == "FAILED!" and result["error_class"] == "not_found", result
    assert "node kdebug-no-such-node not found" in result["msg"] and "kubectl get nodes" in result["msg"]
    gone = lab.kubectl("get", "namespace", agent_namespace, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr  # not even the agents' namespace


def test_ephemeral_and_docker_cannot_reach_a_node(lab, agent_namespace, nodes):
    for strategy in ("ephemeral", "docker"):
        status, result = node_exec(lab, agent_namespace, node=nodes[0]["name"], strategy=strategy, command=["true"])
        assert status == "FAILED!" and result["error_class"] == "option", result
        assert "is a node, not a pod" in result["msg"] and "Use strategy auto or agent" in result["msg"]


def test_check_mode_plans_the_nsenter_and_creates_nothing(lab, agent_namespace, nodes):
    status, result = node_exec(lab, agent_namespace, node=nodes[0]["name"], command=["hostname"], _check=True)
    assert status == "CHANGED" and result["plan"]["would_create"] is True, result
    assert result["plan"]["node"] == nodes[0]["name"] and result["target"]["node"] == nodes[0]["name"]
    argv = result["plan"]["argv"]
    assert argv[:3] == ["nsenter", "--target", "<pid>"] and "--mount" in argv and argv[-1] == "hostname"
    gone = lab.kubectl("get", "namespace", agent_namespace, check=False)
    assert gone.returncode != 0


def test_a_batch_of_nodes_and_a_pod_one_agent_exec_per_kind_per_node(lab, agent_namespace, nodes):
    targets = [{"node": n["name"], "host": "node:" + n["name"]} for n in nodes]
    targets += [{"pod": "noshell", "namespace": DEMO, "host": "pod"}, {"node": "kdebug-no-such-node", "host": "x"}]
    status, result = node_exec(lab, agent_namespace, targets=targets,
                               shell="hostname; grep -c '/32 host LOCAL' /proc/net/fib_trie; cat /proc/net/fib_trie")
    assert status == "CHANGED", result
    by_host = {r["host"]: r for r in result["results"]}
    for node in nodes:
        got = by_host["node:" + node["name"]]
        assert got["rc"] == 0 and got["failed"] is False, got
        assert got["target"]["node"] == node["name"] and got["target"]["pod"] is None and got["target"]["pid"]
        assert node["ip"] in local_addresses(got["stdout"])
        if node["local"]:
            assert got["stdout_lines"][0] == socket.gethostname()
    pod = by_host["pod"]
    assert pod["rc"] == 0 and pod["stdout_lines"][0] == "noshell", pod  # the pod's own uts namespace
    assert pod["target"]["pod"] == "noshell"
    missing = by_host["x"]
    assert missing["failed"] and missing["error_class"] == "not_found" and "kdebug-no-such-node" in missing["msg"]
    assert missing["target"]["node"] == "kdebug-no-such-node"
    summary = result["summary"]
    assert summary["targets"] == len(nodes) + 2 and summary["failed"] == 1
    assert summary["nodes"] == sorted(n["name"] for n in nodes)  # not the missing one
    assert sorted(summary["agents_created"]) == sorted(n["name"] for n in nodes)


def test_local_addresses_reads_fib_trie():
    with open("/proc/net/fib_trie") as handle:
        found = local_addresses(handle.read())
    shown = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    assert found and all(address in shown for address in found)
