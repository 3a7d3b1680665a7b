"""The node runbook (role node_check) on the lab's real nodes: playbooks/fleet_nodes.yml over a kdebug.toolkit.nodes
inventory, and diagnose.yml's node runbook on a demo pod's node.

The fault is real: a small filesystem mounted in the mount namespace of one worker's kubelet (each worker has its
own, lab/lib/workers.sh) and filled to the last block and inode, as a full /var partition would be. The runbook must
name that filesystem on that node, and only there; the mount is removed afterwards."""
import glob
import json
import os
import subprocess
import uuid

import pytest

DEMO = "kdebug-demo"
WORKER = "kdebug-lab-w1"


def kubelet_pid(node):
    """The machine's pid of ``node``'s kubelet (its command line names the node)."""
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"kubelet" and node.encode() in argv:
            return int(cmdline.split("/")[2])
    return None


@pytest.fixture()
def full_filesystem_on_worker(lab):
    """A 4 MiB tmpfs with 64 inodes, mounted in WORKER's mount namespace and filled up: (node, mount point)."""
    if WORKER not in lab.nodes:
        pytest.skip("the lab has no node %s (single-node mode)" % WORKER)
    pid = kubelet_pid(WORKER)
    assert pid, "no kubelet process for %s" % WORKER
    point = "/var/lib/kdebug-node-fault-" + uuid.uuid4().hex[:8]
    enter = ["nsenter", "-t", str(pid), "-m", "--"]
    os.makedirs(point)
    try:
        lab.run(enter + ["mount", "-t", "tmpfs", "-o", "size=4m,nr_inodes=64", "kdebug-fault", point])
        # Fill the blocks, then the inodes (dd stops at ENOSPC; touch at the last inode).
        subprocess.run(enter + ["sh", "-c", "dd if=/dev/zero of=%s/fill bs=64k count=100 2>/dev/null; "
                                "i=0; while touch %s/f$i 2>/dev/null; do i=$((i+1)); done" % (point, point)],
                       check=False, timeout=60)
        usage = lab.run(enter + ["df", "-P", point]).stdout
        assert " 100% " in usage, usage
        yield WORKER, point
    finally:
        subprocess.run(enter + ["umount", point], check=False, timeout=60)
        os.rmdir(point)


def nodes_inventory(tmp_path, lab):
    path = tmp_path / "lab.kdebug_nodes.yml"
    path.write_text("plugin: kdebug.toolkit.nodes\nkubeconfig: %s\n" % lab.kubeconfig)
    return str(path)


def read_report(directory):
    (path,) = glob.glob(os.path.join(directory, "*.json"))
    with open(path) as handle:
        return json.load(handle)


def checks_of(report, node):
    return {c["name"]: c for c in report["checks"] if (c.get("target") or {}).get("node") == node}


def test_fleet_nodes_names_a_full_filesystem_on_the_worker_that_has_it(lab, tmp_path, agent_namespace,
                                                                       full_filesystem_on_worker):
    worker, point = full_filesystem_on_worker
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/fleet_nodes.yml", {"output_dir": out, "agent_namespace": agent_namespace,
                                                      "image": lab.tools_image, "image_pull_policy": "Never",
                                                      "requested_by": "node-check-test"},
                        args=["-i", nodes_inventory(tmp_path, lab)], timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = read_report(out)
    api_nodes = [n["metadata"]["name"] for n in lab.kubectl_json("get", "nodes")["items"]]
    for node in api_nodes:
        checks = checks_of(report, node)
        assert {"node kubelet", "node container runtime", "node disk space", "node inodes", "node memory",
                "node PIDs", "node conntrack", "node clock", "node OOM kills", "node NotReady history",
                "node conditions"} <= set(checks), (node, sorted(checks))
        # every lab node is a healthy, Ready node: its kubelet and runtime are found in its own namespaces
        assert checks["node kubelet"]["status"] == "pass", checks["node kubelet"]
        assert checks["node container runtime"]["status"] == "pass", checks["node container runtime"]
        assert checks["node conditions"]["status"] == "pass", checks["node conditions"]
        assert checks["node clock"]["status"] == "pass", checks["node clock"]  # one machine, one clock
        if node != worker:
            assert point not in json.dumps(checks["node disk space"]), checks["node disk space"]
    disk, inodes = checks_of(report, worker)["node disk space"], checks_of(report, worker)["node inodes"]
    assert disk["status"] == "fail" and "%s is 100%% full (tmpfs)" % point in disk["summary"], disk
    assert worker in disk["summary"]
    assert inodes["status"] == "fail" and point in inodes["summary"], inodes
    # the run removed the agents it started
    agents = lab.kubectl_json("get", "pods", "-n", agent_namespace, "-l", "app.kubernetes.io/managed-by=kdebug")
    assert [p for p in agents["items"] if not p["metadata"].get("deletionTimestamp")] == []


def test_fleet_nodes_on_an_inventory_that_lists_nothing_fails_the_run(lab, tmp_path):
    path = tmp_path / "none.kdebug_nodes.yml"
    path.write_text("plugin: kdebug.toolkit.nodes\nkubeconfig: %s\nlabel_selector: kdebug.io/no-such-label=x\n"
                    % lab.kubeconfig)
    proc = lab.playbook("playbooks/fleet_nodes.yml", args=["-i", str(path)], timeout=300)
    assert proc.returncode != 0
    assert "No node to check" in proc.stdout, proc.stdout[-3000:]


def test_diagnose_runs_the_node_runbook_on_the_pods_node(lab, tmp_path, agent_namespace):
    pod = lab.pod_by_label(DEMO, "app=web")
    node = pod["spec"]["nodeName"]
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {
        "pod": pod["metadata"]["name"], "kdebug_namespace": DEMO, "runbooks": "node", "output_dir": out,
        "agent_namespace": agent_namespace, "image": lab.tools_image, "image_pull_policy": "Never"}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    checks = checks_of(report, node)
    assert checks["node kubelet"]["status"] == "pass" and node in checks["node kubelet"]["summary"]
    assert checks["node disk space"]["status"] in ("pass", "fail")
    # triage's node conditions stand for them: node_check adds none of its own
    assert "node conditions" not in checks
    assert "node NotReady history" in checks
    agents = lab.kubectl_json("get", "pods", "-n", agent_namespace, "-l", "app.kubernetes.io/managed-by=kdebug")
    assert [p for p in agents["items"] if not p["metadata"].get("deletionTimestamp")] == []
