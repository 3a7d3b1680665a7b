# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a node dict says: readiness, conditions, taints, roles, addresses; a node as a kdebug_exec target. Pure.

kdebug_exec's node targets and the kdebug.toolkit.nodes inventory read nodes
through these, so "ready", "a role" or "a taint" mean the same everywhere. No
API calls here (kube/objects.py read_node reads one).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.triage import summarize_node

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"


def conditions(node):
    """{type: status} of the node's conditions ("True", "False", "Unknown")."""
    return dict((c["type"], c["status"]) for c in (summarize_node(node) or {}).get("conditions") or [])


def is_ready(node):
    return bool((summarize_node(node) or {}).get("ready"))


def ready_since(node):
    """When the node's Ready condition last changed (its lastTransitionTime, RFC 3339), or None."""
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    return ready.get("lastTransitionTime")


def not_ready_problem(node):
    """A sentence when the node is not Ready (its Ready condition's status, reason and message), else None."""
    summary = summarize_node(node)
    if summary["ready"]:
        return None
    ready = next((c for c in summary["conditions"] if c["type"] == "Ready"), None)
    if ready is None:
        return "node %s reports no Ready condition" % summary["name"]
    why = ": ".join(part for part in (ready.get("reason"), ready.get("message")) if part)
    return "node %s is NotReady (Ready=%s%s)" % (summary["name"], ready["status"], ", %s" % why if why else "")


def taints(node):
    """[{key, value, effect}] of the node's taints."""
    return [{"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")}
            for t in (node.get("spec") or {}).get("taints") or []]


def roles(node):
    """The node's roles, from its ``node-role.kubernetes.io/<role>`` labels (as kubectl get nodes shows them)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    return sorted(key[len(ROLE_LABEL_PREFIX):] for key in labels if key.startswith(ROLE_LABEL_PREFIX)
                  and key[len(ROLE_LABEL_PREFIX):])


def addresses(node):
    """{type: address} of the node's addresses (InternalIP, ExternalIP, Hostname...); the first of each type."""
    found = {}
    for address in (node.get("status") or {}).get("addresses") or []:
        found.setdefault(address.get("type"), address.get("address"))
    return found


def node_target(name, pid=None):
    """The ``target`` block of a node target: the keys of a pod's (pods.target_info), the pod's ones null; its
    network is the node's own."""
    return {"namespace": None, "pod": None, "container": None, "container_id": None, "node": name, "pid": pid,
            "network": "node", "dns_policy": None}
