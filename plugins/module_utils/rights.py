# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The rights each way of using kdebug needs, and the shipped ClusterRole that grants each. Pure.

The ClusterRoles are files in roles/rbac/files (one per name below), applied by
the rbac role (playbooks/rbac.yml); a unit test checks that every right listed
here is granted by the file it names. Each strategy asks for its list before it
creates anything (kube/access.py AccessProbe.require), so one right fewer is an
error naming the verb, the resource and the role, and nothing is left behind.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

EPHEMERAL_ROLE = "kdebug-ephemeral"
AGENT_TARGET_ROLE = "kdebug-agent-target"
AGENT_ROLE = "kdebug-agent"
NODES_ROLE = "kdebug-agent-nodes"
NODE_WIDE_ROLE = "kdebug-agent-node-wide"
FORK_ROLE = "kdebug-fork"
FLEET_ROLE = "kdebug-fleet"
CLEANUP_ROLE = "kdebug-cleanup"


class Right(namedtuple("Right", "verb resource namespace role")):
    """One (verb, "resource[/subresource]", namespace or None for cluster-wide) and the shipped role granting it.

    ``right[:3]`` is what a SelfSubjectAccessReview asks (kube/access.py).
    """

    __slots__ = ()

    def describe(self):
        return describe(self)


def describe(right):
    verb, resource, namespace = tuple(right)[:3]
    return "%s %s %s" % (verb, resource, "in namespace %s" % namespace if namespace else "cluster-wide")


def ephemeral(namespace):
    """A debug container in the target's pod: read the pod, add the container, exec in it."""
    return [Right("get", "pods", namespace, EPHEMERAL_ROLE),
            Right("patch", "pods/ephemeralcontainers", namespace, EPHEMERAL_ROLE),
            Right("create", "pods/exec", namespace, EPHEMERAL_ROLE)]


def reach_target(namespace, role=AGENT_TARGET_ROLE, verb="get"):
    """What the caller could do with kubectl in the target's namespace: read the pod and exec in it.

    The agent reaches the target through its own exec in the agents' namespace:
    asking for these first means the agent never reaches further than the caller
    could by themselves.
    """
    return [Right(verb, "pods", namespace, role), Right("create", "pods/exec", namespace, role)]


def agent(agent_namespace):
    """Run and reach the node agent (the target's side is reach_target)."""
    return [Right("get", "pods", agent_namespace, AGENT_ROLE), Right("create", "pods", agent_namespace, AGENT_ROLE),
            Right("delete", "pods", agent_namespace, AGENT_ROLE),
            Right("create", "pods/exec", agent_namespace, AGENT_ROLE), Right("get", "nodes", None, NODES_ROLE)]


def agent_strategy(namespace, agent_namespace):
    return reach_target(namespace) + agent(agent_namespace)


def node_wide():
    """Commands through the agent that do not stay in the target's pid namespace see every process of the node
    (so every pod's files through /proc/*/root): that is what kubelet's exec on any pod of the node gives."""
    return [Right("get", "nodes/proxy", None, NODE_WIDE_ROLE)]


def node(agent_namespace):
    """A command in a node's host namespaces (kdebug_exec ``node``): the agent, and the node-wide right, since a
    host shell sees every process and file of the node, as kubelet's own API (nodes/proxy) would let one."""
    return agent(agent_namespace) + node_wide()


def nodes_inventory():
    """The kdebug.toolkit.nodes inventory: one list of the nodes."""
    return [Right("list", "nodes", None, NODES_ROLE)]


def batch(namespaces, agent_namespace):
    """kdebug_exec with targets: one list of pods and exec per target namespace, plus the agents."""
    rights = []
    for namespace in sorted(set(namespaces)):
        rights += reach_target(namespace, FLEET_ROLE, "list")
    return rights + agent(agent_namespace)


def fork(namespace, replay=False):
    """A copy of the pod next to it (and, with replay, an exec in the copy)."""
    rights = [Right("get", "pods", namespace, FORK_ROLE), Right("create", "pods", namespace, FORK_ROLE),
              Right("delete", "pods", namespace, FORK_ROLE)]
    if replay:
        rights.append(Right("create", "pods/exec", namespace, FORK_ROLE))
    return rights


def cleanup(resources, namespaces):
    """list and delete on each swept resource, cluster-wide or in each of ``namespaces``."""
    scopes = sorted(set(namespaces)) or [None]
    rights = []
    for resource in resources:
        for scope in ([None] if resource == "namespaces" else scopes):
            rights += [Right("list", resource, scope, CLEANUP_ROLE), Right("delete", resource, scope, CLEANUP_ROLE)]
    return rights


def missing_message(missing, doing):
    """The error for rights the caller lacks (Right records): each verb, resource, where, and the role to bind."""
    roles = []
    for right in missing:
        if right.role not in roles:
            roles.append(right.role)
    return ("not allowed to %s: the caller may not %s. Bind the shipped ClusterRole%s %s (roles/rbac/files, "
            "playbooks/rbac.yml; see docs/rbac.md). Nothing was created."
            % (doing, "; ".join("%s (role %s)" % (describe(r), r.role) for r in missing),
               "s" if len(roles) > 1 else "", ", ".join(roles)))


def missing_denial(missing):
    """The ``denial`` of an ApiDenied for missing rights: one entry per right."""
    return {"missing": [{"verb": r.verb, "resource": r.resource, "namespace": r.namespace, "role": r.role}
                        for r in missing],
            "verb": missing[0].verb, "resource": missing[0].resource, "namespace": missing[0].namespace,
            "role": missing[0].role}
