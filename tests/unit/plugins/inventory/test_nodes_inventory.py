# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pure parts of the kdebug.toolkit.nodes inventory: host vars, names, groups, and its documentation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.inventory import nodes


def make_node(name="worker-1", ready="True", conditions=None, taints=None, labels=None, unschedulable=False,
              deleting=False):
    metadata = {"name": name, "labels": labels if labels is not None else {"kubernetes.io/hostname": name},
                "creationTimestamp": "2026-11-01T09:00:00Z"}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-01T10:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {
            "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": "2026-12-01T10:00:00Z"}] + [
                {"type": kind, "status": status} for kind, status in (conditions or {}).items()],
            "addresses": [{"type": "InternalIP", "address": "10.250.0.2"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.34.12", "containerRuntimeVersion": "containerd://2.1.4",
                         "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0"},
            "allocatable": {"cpu": "2", "memory": "3Gi", "pods": "110"},
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        },
    }


def test_host_vars_of_a_node():
    got = nodes.node_host_vars(make_node(taints=[{"key": "dedicated", "value": "tools", "effect": "NoSchedule"}],
                                         labels={"node-role.kubernetes.io/worker": ""}))
    assert got == {
        "kdebug_node": "worker-1", "kdebug_node_ip": "10.250.0.2",
        "kdebug_addresses": {"InternalIP": "10.250.0.2", "Hostname": "worker-1"},
        "kdebug_kubelet_version": "v1.34.12", "kdebug_container_runtime": "containerd://2.1.4",
        "kdebug_os_image": "Debian GNU/Linux 12 (bookworm)", "kdebug_kernel_version": "6.1.0",
        "kdebug_ready": True, "kdebug_conditions": {"Ready": "True"}, "kdebug_ready_since": "2026-12-01T10:00:00Z",
        "kdebug_created": "2026-11-01T09:00:00Z",
        "kdebug_taints": [{"key": "dedicated", "value": "tools", "effect": "NoSchedule"}],
        "kdebug_roles": ["worker"], "kdebug_unschedulable": False,
        "kdebug_labels": {"node-role.kubernetes.io/worker": ""},
        "kdebug_allocatable": {"cpu": "2", "memory": "3Gi", "pods": "110"},
        "kdebug_capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
    }


@pytest.mark.parametrize("raw, snake", [("MemoryPressure", "memory_pressure"), ("PIDPressure", "pid_pressure"),
                                        ("DiskPressure", "disk_pressure"), ("NoSchedule", "no_schedule"),
                                        ("PreferNoSchedule", "prefer_no_schedule"), ("NoExecute", "no_execute"),
                                        ("NetworkUnavailable", "network_unavailable"), ("KernelDeadlock",
                                                                                        "kernel_deadlock")])
def test_snake(raw, snake):
    assert nodes.snake(raw) == snake


def test_groups_by_readiness_conditions_cordon_taints_and_roles():
    healthy = nodes.node_host_vars(make_node(conditions={"MemoryPressure": "False", "DiskPressure": "False"}))
    assert nodes.group_names(healthy) == ["node_ready"]
    sick = nodes.node_host_vars(make_node(
        ready="Unknown", conditions={"MemoryPressure": "True", "PIDPressure": "True", "DiskPressure": "Unknown"},
        unschedulable=True, labels={"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/infra": ""},
        taints=[{"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "value": "again"}]))
    assert nodes.group_names(sick) == [
        "node_not_ready", "node_memory_pressure", "node_pid_pressure", "node_unschedulable",
        "taint_kdebug_io_lab_dedicated_no_schedule", "taint_node_kubernetes_io_unreachable_no_execute",
        "role_control_plane", "role_infra"]


def test_names_and_groups_with_clusters():
    node_vars = dict(nodes.node_host_vars(make_node()), kdebug_cluster="prod-eu")
    assert nodes.host_name(node_vars) == "worker-1"
    assert nodes.host_name(node_vars, by_cluster=True) == "prod-eu/worker-1"
    assert nodes.group_names(node_vars, by_cluster=True) == ["node_ready", "cluster_prod_eu"]


def test_a_node_being_deleted_is_left_out():
    assert nodes.node_selected(make_node())
    assert not nodes.node_selected(make_node(deleting=True))


def test_a_bare_node_has_empty_vars_not_errors():
    got = nodes.node_host_vars({"metadata": {"name": "n"}})
    assert got["kdebug_ready"] is False and got["kdebug_node_ip"] is None and got["kdebug_taints"] == []
    assert nodes.group_names(got) == ["node_not_ready"]


@pytest.mark.parametrize("name, ok", [("all.kdebug_nodes.yml", True), ("x.kdebug_nodes.yaml", True),
                                      ("all.kdebug_pods.yml", False), ("nodes.yml", False)])
def test_verify_file(tmp_path, name, ok):
    path = tmp_path / name
    path.write_text("plugin: kdebug.toolkit.nodes\n")
    assert nodes.InventoryModule().verify_file(str(path)) is ok


def test_documentation_and_examples_are_yaml_and_document_every_option():
    doc = yaml.safe_load(nodes.DOCUMENTATION)
    assert set(doc["options"]) == {"plugin", "label_selector"}  # and the kube_inventory fragment's clusters
    examples = [e for e in yaml.safe_load_all(nodes.EXAMPLES) if e is not None]
    assert len(examples) == 3 and all(e["plugin"] == "kdebug.toolkit.nodes" for e in examples)
