# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nodes
short_description: Kubernetes nodes as inventory hosts, for node diagnostics across a fleet
version_added: 0.1.0
description:
  - Lists the nodes of a Kubernetes cluster and makes each one an inventory host named after the node, so a playbook
    can run a command on every node (M(kdebug.toolkit.kdebug_exec) with O(kdebug.toolkit.kdebug_exec#module:node),
    or O(kdebug.toolkit.kdebug_exec#module:targets) built by P(kdebug.toolkit.fleet_targets#filter)), grouped by
    condition, taint and role.
  - Every host gets C(ansible_connection=local) and C(ansible_python_interpreter) set to the controller's Python, as
    with P(kdebug.toolkit.pods#inventory); the modules run on the controller and reach the node through its agent.
    Nothing is installed on the nodes.
  - "The inventory source is a YAML file whose name ends in C(kdebug_nodes.yml) or C(kdebug_nodes.yaml) and which
    holds C(plugin: kdebug.toolkit.nodes)."
  - "Host variables: C(kdebug_node) (the node's name), C(kdebug_cluster) and C(kdebug_connection) (as in
    P(kdebug.toolkit.pods#inventory): every kdebug.toolkit module of the host's tasks reaches the cluster the node was
    listed in), C(kdebug_node_ip) (the first InternalIP), C(kdebug_addresses) (C({type: address}), the first of each
    type), C(kdebug_kubelet_version), C(kdebug_container_runtime) (for example C(containerd://1.6.20)),
    C(kdebug_os_image), C(kdebug_kernel_version), C(kdebug_ready) (bool), C(kdebug_conditions) (C({type: status})),
    C(kdebug_ready_since) (the Ready condition's last transition, RFC 3339), C(kdebug_created) (when the node registered),
    C(kdebug_taints) (C([{key, value, effect}])), C(kdebug_roles) (from the C(node-role.kubernetes.io/<role>)
    labels), C(kdebug_unschedulable) (cordoned), C(kdebug_labels), C(kdebug_allocatable) and C(kdebug_capacity)
    (C({resource: quantity}))."
  - "Groups: C(node_ready) or C(node_not_ready); for every other condition that is C(True), C(node_<condition>) in
    snake case (C(node_memory_pressure), C(node_disk_pressure), C(node_pid_pressure), C(node_network_unavailable));
    C(node_unschedulable) for a cordoned node; C(taint_<key>_<effect>) per taint (C(taint_dedicated_no_schedule);
    characters other than letters, digits and C(_) become C(_), the effect in snake case); C(role_<role>) per role;
    with O(clusters), C(cluster_<name>); and whatever O(groups) and O(keyed_groups) add."
  - Nodes being deleted (C(metadata.deletionTimestamp) set) are left out.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.kube_inventory
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; must be V(kdebug.toolkit.nodes) for the file to be read by it.
    required: true
    type: str
    choices: [kdebug.toolkit.nodes]
  label_selector:
    description:
      - Only nodes whose labels match this selector, in the syntax of C(kubectl get nodes -l), for example
        V(node-role.kubernetes.io/worker) or V(topology.kubernetes.io/zone in (eu-1a,eu-1b)).
    type: str
notes:
  - The caller needs C(list) on C(nodes) (ClusterRole kdebug-agent-nodes, C(docs/rbac.md)). Running commands on the
    nodes needs the rights of a node target (C(docs/node-targets.md)).
  - With O(clusters), host names are C(<cluster>/<node>).
"""

EXAMPLES = r"""
---
# inventory/all.kdebug_nodes.yml: every node, credentials from the environment (K8S_AUTH_KUBECONFIG, KUBECONFIG)
plugin: kdebug.toolkit.nodes

---
# inventory/workers.kdebug_nodes.yml: the workers of one context, grouped by zone and by kubelet version
plugin: kdebug.toolkit.nodes
kubeconfig: ~/.kube/config
context: prod-admin
label_selector: node-role.kubernetes.io/worker
keyed_groups:
  - key: kdebug_labels['topology.kubernetes.io/zone'] | default('none')
    prefix: zone
  - key: kdebug_kubelet_version
    prefix: kubelet
groups:
  short_on_pids: kdebug_allocatable.pods | int < 50

---
# inventory/two.kdebug_nodes.yml: the nodes of two clusters; hosts are prod/node-1, staging/node-1...
plugin: kdebug.toolkit.nodes
clusters:
  - name: prod
    context: prod-admin
  - name: staging
    context: staging-admin

# A playbook for these hosts: a command on every NotReady node, then on all of them in one call.
#
# - hosts: node_not_ready
#   gather_facts: false
#   tasks:
#     - name: The kubelet's last words
#       kdebug.toolkit.kdebug_exec:
#         node: "{{ kdebug_node }}"
#         command: [journalctl, -u, kubelet, -n, "50", --no-pager]
#
# - hosts: all
#   gather_facts: false
#   tasks:
#     - name: Load on every node, one agent exec per node
#       kdebug.toolkit.kdebug_exec:
#         targets: "{{ ansible_play_hosts | map('extract', hostvars) | kdebug.toolkit.fleet_targets(ansible_play_hosts) }}"
#         command: [cat, /proc/loadavg]
#       run_once: true
"""

import re

from ansible.errors import AnsibleParserError

from ansible_collections.kdebug.toolkit.plugins.module_utils import nodes
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiInvalid, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.kube_inventory import KubeInventory, list_pages, safe_name

FILE_SUFFIXES = ("kdebug_nodes.yml", "kdebug_nodes.yaml")

# --- pure parts: host variables, groups (unit-tested) ---------------------------


def snake(name):
    """``MemoryPressure`` -> ``memory_pressure``, ``PIDPressure`` -> ``pid_pressure``, ``NoSchedule`` -> ``no_schedule``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", str(name))
    return safe_name(re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)).lower()


def node_host_vars(node):
    """The ``kdebug_*`` host variables of a node (a dict as the API returns it)."""
    metadata = node.get("metadata") or {}
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    addresses = nodes.addresses(node)
    return {
        "kdebug_node": metadata.get("name"),
        "kdebug_node_ip": addresses.get("InternalIP"),
        "kdebug_addresses": addresses,
        "kdebug_kubelet_version": info.get("kubeletVersion"),
        "kdebug_container_runtime": info.get("containerRuntimeVersion"),
        "kdebug_os_image": info.get("osImage"),
        "kdebug_kernel_version": info.get("kernelVersion"),
        "kdebug_ready": nodes.is_ready(node),
        "kdebug_conditions": nodes.conditions(node),
        "kdebug_ready_since": nodes.ready_since(node),
        "kdebug_created": metadata.get("creationTimestamp"),
        "kdebug_taints": nodes.taints(node),
        "kdebug_roles": nodes.roles(node),
        "kdebug_unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
        "kdebug_labels": dict(metadata.get("labels") or {}),
        "kdebug_allocatable": dict(status.get("allocatable") or {}),
        "kdebug_capacity": dict(status.get("capacity") or {}),
    }


def node_selected(node):
    """Keep a node unless it is being deleted."""
    return not (node.get("metadata") or {}).get("deletionTimestamp")


def host_name(node_vars, by_cluster=False):
    """``[<cluster>/]<node>``."""
    if by_cluster:
        return "%s/%s" % (node_vars.get("kdebug_cluster"), node_vars["kdebug_node"])
    return node_vars["kdebug_node"]


def group_names(node_vars, by_cluster=False):
    """The plugin's own groups for a node: readiness, the other conditions that are True, cordoned, taints, roles
    and, with several clusters, the cluster."""
    groups = ["node_ready" if node_vars["kdebug_ready"] else "node_not_ready"]
    groups += ["node_" + snake(kind) for kind, status in sorted(node_vars["kdebug_conditions"].items())
               if kind != "Ready" and status == "True"]
    if node_vars["kdebug_unschedulable"]:
        groups.append("node_unschedulable")
    for taint in node_vars["kdebug_taints"]:
        group = "taint_%s_%s" % (safe_name(taint["key"]), snake(taint["effect"]))
        if group not in groups:
            groups.append(group)
    groups += ["role_" + safe_name(role) for role in node_vars["kdebug_roles"]]
    if by_cluster:
        groups.append("cluster_" + safe_name(node_vars.get("kdebug_cluster")))
    return groups


# --- the plugin (plugin_utils/kube_inventory.py: auth, clusters, cache, filling the inventory) ---------------


class InventoryModule(KubeInventory):
    NAME = "kdebug.toolkit.nodes"
    FILE_SUFFIXES = FILE_SUFFIXES

    def sort_key(self, host_vars):
        return (host_vars["kdebug_node"] or "",)

    def host_entries(self, object_vars, by_cluster):
        return [(host_name(object_vars, by_cluster), dict(object_vars), group_names(object_vars, by_cluster))]

    def list_hosts(self, client, where):
        label_selector = self.get_option("label_selector")
        try:
            items = list_pages(client, api_path("nodes"), {"labelSelector": label_selector} if label_selector else {})
        except ApiInvalid as exc:
            raise AnsibleParserError("%s: the API server refused label_selector %r: %s. Fix the selector (same syntax "
                                     "as kubectl get nodes -l)" % (where, label_selector,
                                                                   exc.server_message or exc.message))
        except KdebugError as exc:
            raise AnsibleParserError("%s: %s" % (where, exc.message))
        return [node_host_vars(node) for node in items if node_selected(node)]
