# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What kdebug_get reads through the API: discovery documents and objects, each path read once per call.

:class:`ObjectReader` holds every API call, through kube/client.py. It asks each group version's discovery
document once (the kind's resource and scope), and each object path once: many requests for the same object (a
fleet's targets all asking for their Deployment) or for the same pod (its own check, and its node's) cost one
read. A read that failed is remembered too, so the same failure is not asked for again. transforms/get.py has
the pure parts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiNotFound, KdebugError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.get import (
    find_resource, kubectl_resource, label, object_path, split_api_version, without_managed_fields)


class ObjectReader(object):
    """Reads objects by kind and name; ``reads`` counts the GETs it made (discovery included)."""

    def __init__(self, client):
        self.client = client
        self.reads = 0
        self._discovery = {}
        self._objects = {}

    def _remembered(self, cache, key, read):
        """``read()``'s value for ``key``, or the error it raised, asked once."""
        if key not in cache:
            try:
                self.reads += 1
                cache[key] = (read(), None)
            except KdebugError as err:
                cache[key] = (None, err)
        value, err = cache[key]
        if err is not None:
            raise err
        return value

    def resource(self, api_version, kind):
        """``{name, namespaced}`` of the resource serving ``kind``; ApiNotFound naming the version or the kind the API
        server does not serve."""
        def discover():
            group, version = split_api_version(api_version)
            try:
                return self.client.get(api_path(group=group, version=version))
            except ApiNotFound:
                raise ApiNotFound("the API server serves no %s: check api_version (kubectl api-versions lists the "
                                  "ones it serves)." % api_version, status=404, endpoint=self.client.host)
        found = find_resource(self._remembered(self._discovery, api_version, discover), kind)
        if found is None:
            group = split_api_version(api_version)[0]
            raise ApiNotFound("the API server serves no kind %s in %s: check kind and api_version (kubectl "
                              "api-resources --api-group=%s lists the kinds of that group)."
                              % (kind, api_version, group or "''"), status=404, endpoint=self.client.host)
        return found

    def object(self, api_version, kind, namespace, name):
        """(object, namespace): the object (without managedFields) and its namespace (None for a cluster-scoped
        kind, whatever ``namespace`` said); ApiNotFound naming it (``Deployment shop/web not found``)."""
        resource = self.resource(api_version, kind)
        namespace = namespace if resource["namespaced"] else None
        if resource["namespaced"] and not namespace:
            raise OptionError("%s %s is namespaced: give its namespace." % (kind, name))
        what = label(kind, namespace, name)

        def read():
            try:
                return without_managed_fields(self.client.get(object_path(api_version, resource["name"], namespace,
                                                                          name)))
            except ApiNotFound:
                listing = "kubectl get %s%s lists them" % (kubectl_resource(api_version, resource["name"]),
                                                           " -n " + namespace if namespace else "")
                raise ApiNotFound("%s not found: check its name%s (%s)." % (
                    what, " and namespace" if namespace else "", listing), status=404, endpoint=self.client.host)
        return self._remembered(self._objects, (api_version, kind, namespace, name), read), namespace

    def node_of(self, namespace, pod):
        """(node object, node name) of the Node the pod runs on; ApiNotFound for a missing or unscheduled pod."""
        obj, _namespace = self.object("v1", "Pod", namespace, pod)
        node = (obj.get("spec") or {}).get("nodeName")
        if not node:
            raise ApiNotFound("Pod %s/%s is not scheduled on a node (spec.nodeName is empty): there is no Node to read "
                              "yet (kubectl describe pod -n %s %s says why)." % (namespace, pod, namespace, pod),
                              status=404, endpoint=self.client.host)
        return self.object("v1", "Node", None, node)[0], node
