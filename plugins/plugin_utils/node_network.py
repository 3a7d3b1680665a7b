# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the DNS and network runbooks say about a hostNetwork pod, whose network namespace is its node's. Pure.

The probes run in the target's network namespace and cannot tell it from the node's; the exec result's ``target``
can: ``network`` is ``node`` for a pod with spec.hostNetwork (pods.target_info), and ``dns_policy`` is the pod's.
So the interfaces, routes and listening sockets a probe lists are the node's (shared with every hostNetwork pod
there), and a hostNetwork pod with dnsPolicy ClusterFirst resolves names with the node's resolv.conf (the kubelet
treats it as dnsPolicy Default): no cluster search list, often no cluster nameserver.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import make_check

NODE = "node"
# The dnsPolicy values a hostNetwork pod gets the node's resolv.conf with (ClusterFirst falls back to Default).
NODE_RESOLVER_POLICIES = ("ClusterFirst",)
HOST_NET_POLICY = "ClusterFirstWithHostNet"


def shares_node_network(target):
    """Does the exec result's ``target`` say the pod runs in its node's network namespace?"""
    return isinstance(target, Mapping) and target.get("network") == NODE


def node_label(target):
    """``node kdebug-lab`` (``the node`` when the target names none)."""
    node = target.get("node") if isinstance(target, Mapping) else None
    return "node %s" % node if node else "the node"


def node_network_check(name, target, what):
    """The check that says a hostNetwork pod shares its node's network (``what``: what the runbook lists)."""
    who = "/".join(str(target.get(k)) for k in ("namespace", "pod") if target.get(k))
    return make_check(
        name, "pass",
        "pod %s shares %s's network (spec.hostNetwork: true): %s are the node's, shared with every hostNetwork "
        "pod there" % (who, node_label(target), what),
        target, {"host_network": True, "node": target.get("node"), "dns_policy": target.get("dns_policy")},
        [{"label": "spec.hostNetwork", "text": "true"},
         {"label": "spec.dnsPolicy", "text": str(target.get("dns_policy") or "ClusterFirst")}])


def uses_node_resolver(target):
    """A hostNetwork pod whose dnsPolicy makes it resolve with the node's resolv.conf."""
    return shares_node_network(target) and (target.get("dns_policy") or "ClusterFirst") in NODE_RESOLVER_POLICIES


def dns_policy_fix(target):
    """The fix for a hostNetwork pod that resolves with the node's resolv.conf, as one sentence (None otherwise)."""
    if not uses_node_resolver(target):
        return None
    return ("pod %s/%s uses hostNetwork with dnsPolicy %s, which falls back to %s's resolv.conf (no cluster search "
            "list): set dnsPolicy: %s in its spec to resolve with the cluster DNS and search list"
            % (target.get("namespace"), target.get("pod"), target.get("dns_policy") or "ClusterFirst",
               node_label(target), HOST_NET_POLICY))
