# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""``strategy: auto``: pick ephemeral or agent from what the API serves and the caller may do.

The decision is a pure function of facts gathered up front (is
pods/ephemeralcontainers served; SelfSubjectAccessReview answers, asked by
kube/access.py), so the result can say exactly why a strategy was taken, or
which rights are missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, OptionError

STRATEGIES = ("auto", "ephemeral", "agent", "docker")


def ephemeral_rights(namespace):
    return [r[:3] for r in rights.ephemeral(namespace)]


def agent_rights(namespace, agent_namespace):
    return [r[:3] for r in rights.agent_strategy(namespace, agent_namespace)]


def missing_rights(rights, allowed):
    """The rights the caller lacks, asked through ``allowed`` (kube/access.py's SelfSubjectAccessReviews)."""
    return [r for r in rights if not allowed(r)]


def describe(right):
    verb, resource, namespace = right
    return "%s %s %s" % (verb, resource, "in namespace %s" % namespace if namespace else "cluster-wide")


def choose_strategy(requested, ephemeral_served, allowed, namespace, agent_namespace, ephemeral_unusable=None):
    """(strategy, reason). ``allowed(right)`` answers whether the caller holds (verb, resource, namespace).

    ``ephemeral_unusable``: why the ephemeral strategy cannot serve this pod
    although the API and the rights allow it (the pod's generation budget is
    spent), so ``auto`` takes the agent when it may.
    """
    if requested not in STRATEGIES:
        raise OptionError("unknown strategy %s: choose one of %s." % (requested, ", ".join(STRATEGIES)))
    if requested != "auto":
        return requested, "requested"
    missing_ephemeral = missing_rights(ephemeral_rights(namespace), allowed)
    if ephemeral_served and not missing_ephemeral and not ephemeral_unusable:
        return "ephemeral", ("the API serves pods/ephemeralcontainers and the caller may patch it and exec in "
                             "namespace %s" % namespace)
    if not ephemeral_served:
        ephemeral_gap = "the API does not serve pods/ephemeralcontainers"
    elif missing_ephemeral:
        ephemeral_gap = "the caller may not %s" % "; ".join(describe(r) for r in missing_ephemeral)
    else:
        ephemeral_gap = ephemeral_unusable
    missing_agent = missing_rights(agent_rights(namespace, agent_namespace), allowed)
    if not missing_agent:
        return "agent", "%s, and may run the node agent in namespace %s" % (ephemeral_gap, agent_namespace)
    if missing_ephemeral:
        ephemeral_gap = "missing: " + "; ".join(describe(r) for r in missing_ephemeral)
    # Not a 403 from one request, but the same thing: the caller's rights allow no strategy.
    raise ApiDenied(
        "no strategy can run here. ephemeral: %s. agent: missing: %s. Grant one of these sets of rights "
        "(see docs/rbac.md, roles kdebug-ephemeral and kdebug-agent) or use strategy docker on a Docker host."
        % (ephemeral_gap, "; ".join(describe(r) for r in missing_agent)), "rbac",
        {"missing": {"ephemeral": [describe(r) for r in missing_ephemeral],
                     "agent": [describe(r) for r in missing_agent]}})


def agent_instead(allowed, namespace, agent_namespace, why):
    """(``agent``, reason) when ephemeral cannot serve (``why``) and the caller may run the node agent, else
    (None, the agent rights the caller lacks, as text): the one wording of ``auto``'s turn to the agent."""
    missing = missing_rights(agent_rights(namespace, agent_namespace), allowed)
    if missing:
        return None, [describe(r) for r in missing]
    return "agent", "%s, so the node agent in namespace %s, which the caller may run" % (why, agent_namespace)


def when_no_profile_admitted(requested, allowed, namespace, agent_namespace, why):
    """(strategy, reason) when PodSecurity admits no debug container profile (``why`` says what was refused).

    ``auto`` turns to the node agent when the caller may run it; otherwise the refusal is the error, with the fix.
    """
    if requested == "auto":
        name, reason = agent_instead(allowed, namespace, agent_namespace, why)
        if name:
            return name, reason
        fix = ("The node agent is no way out either: the caller may not %s (see docs/rbac.md, role kdebug-agent)"
               % "; ".join(reason))
    else:
        fix = "Use strategy agent (or auto, which turns to it when the caller may run it)"
    raise ApiDenied("%s. %s." % (why, fix), "pod_security", {"namespace": namespace, "admitted_profile": None})


def when_mirror_pod(requested, allowed, namespace, agent_namespace, refusal):
    """(strategy, reason) for a static pod's mirror, on which the API refuses ephemeral containers (``refusal``
    names the pod and its node, pods.mirror_pod_refusal). Decided before anything is created.

    ``auto`` turns to the node agent when the caller may run it; strategy ephemeral is an OptionError with the fix.
    """
    if requested != "auto":
        raise OptionError("%s. Nothing was changed. Use strategy agent (or auto, which turns to it for a mirror "
                          "pod): the node agent joins the static pod's containers on its node." % refusal)
    name, reason = agent_instead(allowed, namespace, agent_namespace, refusal)
    if name:
        return name, reason
    raise ApiDenied("%s. The node agent is the way in, but the caller may not %s (see docs/rbac.md, role "
                    "kdebug-agent). Nothing was changed." % (refusal, "; ".join(reason)),
                    "rbac", {"missing": {"agent": reason}})
