# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the caller may do and what the API serves: SelfSubjectAccessReviews and discovery, each asked once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.rights import missing_denial, missing_message


def access_review(right):
    """The SelfSubjectAccessReview asking for one (verb, "resource[/subresource]", namespace or None). Pure."""
    verb, resource, namespace = tuple(right)[:3]
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
        right = tuple(right)[:3]  # a rights.Right asks the same question as its (verb, resource, namespace)
        if right not in self.cache:
            review = self.client.post(api_path("selfsubjectaccessreviews", group="authorization.k8s.io"),
                                      access_review(right))
            self.cache[right] = bool(((review or {}).get("status") or {}).get("allowed"))
        return self.cache[right]

    def require(self, rights, doing):
        """Raise ApiDenied (rbac) naming every right of ``rights`` (rights.Right) the caller lacks, and its role.

        Called by each strategy before it creates anything.
        """
        missing = [r for r in rights if not self.allowed(r)]
        if missing:
            raise ApiDenied(missing_message(missing, doing), "rbac", missing_denial(missing))
