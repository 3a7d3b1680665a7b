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

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, OptionError

STRATEGIES = ("auto", "ephemeral", "agent", "docker")


def ephemeral_rights(namespace):
    return [("patch", "pods/ephemeralcontainers", namespace), ("get", "pods", namespace),
            ("create", "pods/exec", namespace)]


def agent_rights(namespace, agent_namespace):
    return [("get", "pods", namespace), ("create", "pods", agent_namespace), ("get", "pods", agent_namespace),
            ("create", "pods/exec", agent_namespace), ("get", "nodes", None)]


def missing_rights(rights, allowed):
    """The rights the caller lacks, asked through ``allowed`` (kube/access.py's SelfSubjectAccessReviews)."""
    return [r for r in rights if not allowed(r)]


def describe(right):
    verb, resource, namespace = right
    return "%s %s %s" % (verb, resource, "in namespace %s" % namespace if namespace else "cluster-wide")


def choose_strategy(requested, ephemeral_served, allowed, namespace, agent_namespace):
    """(strategy, reason). ``allowed(right)`` answers whether the caller holds (verb, resource, namespace)."""
    if requested not in STRATEGIES:
        raise OptionError("unknown strategy %s: choose one of %s." % (requested, ", ".join(STRATEGIES)))
    if requested != "auto":
        return requested, "requested"
    missing_ephemeral = missing_rights(ephemeral_rights(namespace), allowed)
    if ephemeral_served and not missing_ephemeral:
        return "ephemeral", ("the API serves pods/ephemeralcontainers and the caller may patch it and exec in "
                             "namespace %s" % namespace)
    missing_agent = missing_rights(agent_rights(namespace, agent_namespace), allowed)
    if not missing_agent:
        why = "the API does not serve pods/ephemeralcontainers" if not ephemeral_served else \
            "the caller may not %s" % "; ".join(describe(r) for r in missing_ephemeral)
        return "agent", "%s, and may run the node agent in namespace %s" % (why, agent_namespace)
    ephemeral_gap = "the API does not serve pods/ephemeralcontainers" if not ephemeral_served else \
        "missing: " + "; ".join(describe(r) for r in missing_ephemeral)
    # Not a 403 from one request, but the same thing: the caller's rights allow no strategy.
    raise ApiDenied(
        "no strategy can run here. ephemeral: %s. agent: missing: %s. Grant one of these sets of rights "
        "(see docs/rbac.md, roles kdebug-ephemeral and kdebug-agent) or use strategy docker on a Docker host."
        % (ephemeral_gap, "; ".join(describe(r) for r in missing_agent)), "rbac",
        {"missing": {"ephemeral": [describe(r) for r in missing_ephemeral],
                     "agent": [describe(r) for r in missing_agent]}})


def when_no_profile_admitted(requested, allowed, namespace, agent_namespace, why):
    """(strategy, reason) when PodSecurity admits no debug container profile (``why`` says what was refused).

    ``auto`` turns to the node agent when the caller may run it; otherwise the refusal is the error, with the fix.
    """
    if requested == "auto":
        missing = missing_rights(agent_rights(namespace, agent_namespace), allowed)
        if not missing:
            return "agent", "%s, so the node agent in namespace %s, which the caller may run" % (why, agent_namespace)
        fix = ("The node agent is no way out either: the caller may not %s (see docs/rbac.md, role kdebug-agent)"
               % "; ".join(describe(r) for r in missing))
    else:
        fix = "Use strategy agent (or auto, which turns to it when the caller may run it)"
    raise ApiDenied("%s. %s." % (why, fix), "pod_security", {"namespace": namespace, "admitted_profile": None})
