# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the caller may do and what the API serves: SelfSubjectAccessReviews and discovery, each asked once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path


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
    """Answers ``allowed(right)`` with SelfSubjectAccessReviews, each asked once (plain dicts through KubeClient)."""

    def __init__(self, client):
        self.client = client
        self.cache = {}

    def ephemeral_served(self):
        return serves_ephemeral_containers(self.client.get(api_path()))

    def allowed(self, right):
        if right not in self.cache:
            review = self.client.post(api_path("selfsubjectaccessreviews", group="authorization.k8s.io"),
                                      access_review(right))
            self.cache[right] = bool(((review or {}).get("status") or {}).get("allowed"))
        return self.cache[right]
