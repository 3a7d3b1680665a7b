"""kdebug.toolkit.nodes against the lab: its real nodes as hosts, grouped as the API describes them, and a play over
them that runs one command on every node through kdebug_exec targets (the fleet_targets filter)."""
import json
import os
import re
import subprocess
import sys

import pytest

from inventory_listing import unwrap

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def write_inventory(tmp_path, lab, **options):
    lines = ["plugin: kdebug.toolkit.nodes", "kubeconfig: %s" % lab.kubeconfig]
    lines += ["%s: %s" % (k, json.dumps(v)) for k, v in options.items()]
    path = tmp_path / "lab.kdebug_nodes.yml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(argv, timeout=180):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, env=env, check=False)


def inventory_list(path):
    proc = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return unwrap(json.loads(proc.stdout))


def group_hosts(listing, group):
    return set(listing.get(group, {}).get("hosts", []))


@pytest.fixture(scope="module")
def api_nodes(lab):
    return {n["metadata"]["name"]: n for n in lab.kubectl_json("get", "nodes")["items"]}


def test_the_labs_nodes_as_hosts(lab, api_nodes, tmp_path):
    path = write_inventory(tmp_path, lab, keyed_groups=[{"key": "kdebug_container_runtime.split(':')[0]",
                                                         "prefix": "runtime"}])
    listing = inventory_list(path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == set(api_nodes)
    for name, node in api_nodes.items():
        got = hostvars[name]
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
        assert got["kdebug_node"] == name and got["kdebug_ready"] is ready
        assert got["kdebug_node_ip"] == next(a["address"] for a in node["status"]["addresses"]
                                             if a["type"] == "InternalIP")
        assert got["kdebug_kubelet_version"] == node["status"]["nodeInfo"]["kubeletVersion"]
        assert got["kdebug_container_runtime"] == node["status"]["nodeInfo"]["containerRuntimeVersion"]
        assert got["kdebug_allocatable"] == node["status"]["allocatable"]
        assert got["kdebug_conditions"] == {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert got["kdebug_connection"]["kubeconfig"] == lab.kubeconfig
        assert got["ansible_connection"] == "local"
        assert name in group_hosts(listing, "node_ready" if ready else "node_not_ready")
        assert name in group_hosts(listing, "runtime_containerd")
        for taint in node["spec"].get("taints") or []:
            effect = {"NoSchedule": "no_schedule", "NoExecute": "no_execute",
                      "PreferNoSchedule": "prefer_no_schedule"}[taint["effect"]]
            group = "taint_%s_%s" % (taint["key"].replace(".", "_").replace("/", "_").replace("-", "_"), effect)
            assert name in group_hosts(listing, group), (group, listing.keys())
        assert got["kdebug_taints"] == [{"key": t["key"], "value": t.get("value"), "effect": t["effect"]}
                                        for t in node["spec"].get("taints") or []]


def test_a_label_selector_picks_nodes_and_a_bad_one_is_a_clear_error(lab, api_nodes, tmp_path):
    first = sorted(api_nodes)[0]
    listing = inventory_list(write_inventory(tmp_path, lab, label_selector="kubernetes.io/hostname=%s" % first))
    assert set(listing["_meta"]["hostvars"]) == {first}
    proc = run([os.path.join(BIN, "ansible-inventory"), "-i",
                write_inventory(tmp_path, lab, label_selector="in in in"), "--list"])
    assert "the API server refused label_selector 'in in in'" in proc.stderr + proc.stdout
    assert "kubectl get nodes -l" in proc.stderr + proc.stdout


def test_a_play_over_the_nodes_runs_on_every_node(lab, api_nodes, agent_namespace, tmp_path):
    path = write_inventory(tmp_path, lab)
    playbook = tmp_path / "nodes.yml"
    playbook.write_text(json.dumps([{
        "hosts": "all", "gather_facts": False, "tasks": [
            {"name": "every node at once", "run_once": True, "register": "fleet",
             "kdebug.toolkit.kdebug_exec": {
                 "targets": "{{ ansible_play_hosts | map('extract', hostvars) "
                            "| kdebug.toolkit.fleet_targets(ansible_play_hosts) }}",
                 "image": lab.tools_image, "image_pull_policy": "Never", "agent_namespace": agent_namespace,
                 "command": ["cat", "/proc/net/fib_trie"]}},
            # A NotReady node (the lab's workers while they restart) may have no agent to run on: not asserted.
            {"name": "each node's own result", "when": "kdebug_ready", "ansible.builtin.assert": {"that": [
                "(fleet.results | selectattr('host', 'eq', inventory_hostname) | first).rc == 0",
                "kdebug_node_ip in (fleet.results | selectattr('host', 'eq', inventory_hostname) | first).stdout",
            ]}}]}]))
    proc = run([os.path.join(BIN, "ansible-playbook"), "-i", path, str(playbook), "-e",
                "ansible_python_interpreter=" + sys.executable], timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    recap = dict((m.group(1), (int(m.group(2)), int(m.group(3)))) for m in re.finditer(
        r"^(\S+)\s+: ok=(\d+) .*failed=(\d+)", proc.stdout, re.M))
    assert set(recap) == set(api_nodes), proc.stdout[-2000:]
    ready = [name for name, node in api_nodes.items()
             if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])]
    assert ready and all(failed == 0 for _ok, failed in recap.values()), recap
    assert all(recap[name][0] >= 1 for name in ready), recap  # the assert task ran (ok) on every Ready node
