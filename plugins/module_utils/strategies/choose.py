# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""``strategy: auto``: pick ephemeral or agent from what the API serves and the caller may do.

The decision is a pure function of facts gathered up front (is
pods/ephemeralcontainers served; SelfSubjectAccessReview answers), so the
result can say exactly why a strategy was taken, or which rights are missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, translate_api_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import ApiException, KubeRest, api_path

STRATEGIES = ("auto", "ephemeral", "agent", "docker")


def ephemeral_rights(namespace):
    return [("patch", "pods/ephemeralcontainers", namespace), ("get", "pods", namespace),
            ("create", "pods/exec", namespace)]


def agent_rights(namespace, agent_namespace):
    return [("get", "pods", namespace), ("create", "pods", agent_namespace), ("get", "pods", agent_namespace),
            ("create", "pods/exec", agent_namespace), ("get", "nodes", None)]


def describe(right):
    verb, resource, namespace = right
    return "%s %s %s" % (verb, resource, "in namespace %s" % namespace if namespace else "cluster-wide")


def choose_strategy(requested, ephemeral_served, allowed, namespace, agent_namespace):
    """(strategy, reason). ``allowed(right)`` answers whether the caller holds (verb, resource, namespace)."""
    if requested not in STRATEGIES:
        raise KdebugError("unknown strategy %s: choose one of %s." % (requested, ", ".join(STRATEGIES)))
    if requested != "auto":
        return requested, "requested"
    missing_ephemeral = [r for r in ephemeral_rights(namespace) if not allowed(r)]
    if ephemeral_served and not missing_ephemeral:
        return "ephemeral", ("the API serves pods/ephemeralcontainers and the caller may patch it and exec in "
                             "namespace %s" % namespace)
    missing_agent = [r for r in agent_rights(namespace, agent_namespace) if not allowed(r)]
    if not missing_agent:
        why = "the API does not serve pods/ephemeralcontainers" if not ephemeral_served else \
            "the caller may not %s" % "; ".join(describe(r) for r in missing_ephemeral)
        return "agent", "%s, and may run the node agent in namespace %s" % (why, agent_namespace)
    ephemeral_gap = "the API does not serve pods/ephemeralcontainers" if not ephemeral_served else \
        "missing: " + "; ".join(describe(r) for r in missing_ephemeral)
    raise KdebugError(
        "no strategy can run here. ephemeral: %s. agent: missing: %s. Grant one of these sets of rights "
        "(see docs/rbac.md) or use strategy docker on a Docker host."
        % (ephemeral_gap, "; ".join(describe(r) for r in missing_agent)),
        missing_permissions={"ephemeral": [describe(r) for r in missing_ephemeral],
                             "agent": [describe(r) for r in missing_agent]})


def access_review(right):
    """The SelfSubjectAccessReview asking for one (verb, "resource[/subresource]", namespace or None). Pure."""
    verb, resource, namespace = right
    name, _sep, subresource = resource.partition("/")
    attributes = {"verb": verb, "resource": name}
    if subresource:
        attributes["subresource"] = subresource
    if namespace:
        attributes["namespace"] = namespace
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}


def serves_ephemeral_containers(resource_list):
    """True when an APIResourceList (GET /api/v1) lists pods/ephemeralcontainers. Pure."""
    return any(r.get("name") == "pods/ephemeralcontainers" for r in (resource_list or {}).get("resources") or [])


class AccessProbe(object):
    """Answers ``allowed(right)`` with SelfSubjectAccessReviews, each asked once (kube_rest, plain dicts)."""

    def __init__(self, api):
        self.api = KubeRest.of(api)
        self.cache = {}

    def ephemeral_served(self):
        try:
            return serves_ephemeral_containers(self.api.get(api_path()))
        except ApiException as exc:
            raise translate_api_error(exc, "get", "/api/v1 (API discovery)")

    def allowed(self, right):
        if right not in self.cache:
            try:
                review = self.api.post(api_path("selfsubjectaccessreviews", group="authorization.k8s.io"),
                                       access_review(right))
            except ApiException as exc:
                raise translate_api_error(exc, "create", "selfsubjectaccessreviews")
            self.cache[right] = bool(((review or {}).get("status") or {}).get("allowed"))
        return self.cache[right]
