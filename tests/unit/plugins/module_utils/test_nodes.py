# -*- coding: utf-8 -*-
"""Node targets of kdebug_exec, their pure parts: what a node dict says, the host process the agent enters, the
namespaces and argv of a node target, the rights it needs. HOST_PROCESS_SCRIPT also runs for real in a local shell."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

from ansible_collections.kdebug.toolkit.plugins.module_utils import nodes, procfs, rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent, batch


def node(name="worker-1", ready="True", taints=None, labels=None, reason=None, message=None, extra_conditions=()):
    conditions = [{"type": "Ready", "status": ready, "reason": reason, "message": message}] + list(extra_conditions)
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"taints": taints or []},
            "status": {"conditions": conditions,
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.5"},
                                     {"type": "Hostname", "address": name},
                                     {"type": "InternalIP", "address": "fd00::5"}]}}


def test_readiness_and_the_not_ready_sentence():
    assert nodes.is_ready(node()) and nodes.not_ready_problem(node()) is None
    problem = nodes.not_ready_problem(node(ready="Unknown", reason="NodeStatusUnknown",
                                           message="Kubelet stopped posting node status."))
    assert problem == ("node worker-1 is NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node "
                       "status.)")
    assert nodes.not_ready_problem(node(ready="False")) == "node worker-1 is NotReady (Ready=False)"
    bare = {"metadata": {"name": "n"}, "status": {}}
    assert not nodes.is_ready(bare) and nodes.not_ready_problem(bare) == "node n reports no Ready condition"


def test_conditions_taints_roles_addresses():
    pressure = {"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure"}
    got = node(taints=[{"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"}],
               labels={"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "",
                       "kubernetes.io/os": "linux"}, extra_conditions=[pressure])
    assert nodes.conditions(got) == {"Ready": "True", "DiskPressure": "True"}
    assert nodes.taints(got) == [{"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"}]
    assert nodes.roles(got) == ["control-plane"]
    assert nodes.addresses(got) == {"InternalIP": "10.0.0.5", "Hostname": "worker-1"}  # the first of each type


def test_a_node_target_block_has_the_keys_of_a_pods():
    block = nodes.node_target("worker-1", 1)
    assert block == {"namespace": None, "pod": None, "container": None, "container_id": None, "node": "worker-1",
                     "pid": 1, "network": "node", "dns_policy": None}
    pod = {"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "x", "containers": [{"name": "c"}]}}
    from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import target_info
    assert set(block) == set(target_info(pod, "c"))


def test_a_node_enters_every_host_namespace_by_default_and_join_namespaces_narrows_it():
    assert agent.join_namespaces(None, node_target=True) == ["mnt", "uts", "ipc", "net", "pid"]
    assert agent.join_namespaces(None) == ["net", "uts", "ipc", "pid"]
    assert agent.join_namespaces(["net"], node_target=True) == ["net"]
    assert agent.join_namespaces([], node_target=True) == []


def test_the_node_argv_enters_the_host_process_then_its_mount_namespace_last():
    spec = ExecSpec(command=["cat", "/etc/hostname"], timeout=10)
    argv = agent.target_argv(spec, 1, agent.root_path(1), agent.join_namespaces(None, node_target=True))
    assert argv == (["nsenter", "--target", "1", "--uts", "--ipc", "--net", "--pid", "--",
                     "timeout", "-k", "2", "10", "nsenter", "--target", "1", "--mount", "--",
                     "env", "KDEBUG_TARGET_ROOT=/proc/1/root", "cat", "/etc/hostname"])
    chrooted = ExecSpec(shell="cat /etc/os-release", timeout=5, chroot=True)
    argv = agent.target_argv(chrooted, 812, agent.root_path(812), ["net", "pid"])
    assert argv == ["nsenter", "--target", "812", "--net", "--pid", "--", "unshare", "--mount-proc", "--",
                    "timeout", "-k", "2", "5", "chroot", "/proc/812/root", "sh", "-c", "cat /etc/os-release"]


def test_a_batch_template_for_a_node_is_the_single_node_argv():
    spec = ExecSpec(command=["hostname"], timeout=10)
    template = batch.command_template(spec, agent.join_namespaces(None, node_target=True))
    assert template == ('nsenter --target "$pid" --uts --ipc --net --pid -- timeout -k 2 10 nsenter --target "$pid" '
                        '--mount -- env KDEBUG_TARGET_ROOT="$root" hostname')


def test_parse_host_process():
    assert procfs.parse_host_process("1 systemd\n") == {"pid": 1, "comm": "systemd"}
    assert procfs.parse_host_process("15992 kubelet") == {"pid": 15992, "comm": "kubelet"}
    assert procfs.parse_host_process("") is None
    assert procfs.parse_host_process("sh: readlink: not found\n") is None
    assert "node w1" in procfs.no_host_process_message("w1") and "kubectl debug node/w1" in \
        procfs.no_host_process_message("w1")


def test_the_host_process_script_picks_a_process_of_this_network_namespace():
    """Run here: pid 1, or a kubelet, whose network namespace is this shell's, and whose namespaces can be opened."""
    done = subprocess.run(["sh", "-c", procfs.HOST_PROCESS_SCRIPT, "kdebug-host-process"], capture_output=True,
                          text=True, timeout=30, check=False)
    found = procfs.parse_host_process(done.stdout)
    if found is None:
        assert done.returncode in (3, 125), done
        return
    assert done.returncode == 0
    pid = found["pid"]
    assert pid == 1 or found["comm"] == "kubelet"
    assert os.readlink("/proc/%d/ns/net" % pid) == os.readlink("/proc/self/ns/net")


def test_a_node_target_needs_the_agent_and_the_node_wide_right():
    needed = rights.node("kdebug-system")
    assert rights.agent("kdebug-system")[0] in needed
    assert ("get", "nodes/proxy", None) in [r[:3] for r in needed]
    assert ("get", "nodes", None) in [r[:3] for r in needed]
