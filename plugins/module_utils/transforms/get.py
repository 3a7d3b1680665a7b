# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_get, the pure parts: what an object request asks for, where it lives in the API, how it is named.

A request is ``{kind, api_version, name, namespace, node_of}`` (the module's ``objects`` entries): ``node_of``
``{namespace, pod}`` asks for the Node that pod runs on, instead of a ``name``. The API path comes from the
discovery document of the request's group version (``GET /api/v1``, ``GET /apis/apps/v1``), which maps a kind to
its resource (Deployment -> deployments) and says whether it is namespaced. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.options import DNS_LABEL, DNS_SUBDOMAIN, name_problem

# A kind as the API spells it (Pod, Deployment, HorizontalPodAutoscaler).
KIND = re.compile(r"^[A-Z][A-Za-z0-9]*\Z")
# v1, apps/v1, networking.k8s.io/v1, example.com/v1beta2
API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+([a-z]+[0-9]+)?\Z")
# Object names: most kinds take DNS subdomains, some more (RBAC roles take ':'); never a path or blanks.
OBJECT_NAME = re.compile(r"^[^/\s%]+\Z")


def split_api_version(api_version):
    """(group or None, version): ``v1`` -> (None, v1), ``apps/v1`` -> (apps, v1)."""
    group, _sep, version = api_version.rpartition("/")
    return group or None, version


def find_resource(resource_list, kind):
    """``{name, namespaced}`` of the resource serving ``kind`` in a discovery document (APIResourceList), None when it
    serves no such kind. Subresources (``pods/log``, ``deployments/scale``) are not objects of their own."""
    for resource in (resource_list or {}).get("resources") or []:
        if resource.get("kind") == kind and "/" not in (resource.get("name") or "/"):
            return {"name": resource["name"], "namespaced": bool(resource.get("namespaced"))}
    return None


def object_path(api_version, resource, namespace, name):
    """The path of one object: ``/apis/apps/v1/namespaces/shop/deployments/web``, ``/api/v1/nodes/w1``."""
    group, version = split_api_version(api_version)
    scope = ("namespaces", namespace) if namespace else ()
    return api_path(*(scope + (resource, name)), group=group, version=version)


def label(kind, namespace, name):
    """``Deployment shop/web``, ``Node kdebug-lab-w1``: how messages and reports name an object."""
    return "%s %s%s" % (kind, namespace + "/" if namespace else "", name)


def kubectl_resource(api_version, resource):
    """What kubectl get takes for ``resource`` of ``api_version``: ``pods``, ``deployments.apps``."""
    group = split_api_version(api_version)[0]
    return resource + ("." + group if group else "")


def without_managed_fields(obj):
    """The object without ``metadata.managedFields`` (as kubectl get shows it): bookkeeping of who set which field."""
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) and "managedFields" in obj["metadata"]:
        obj = dict(obj, metadata=dict((k, v) for k, v in obj["metadata"].items() if k != "managedFields"))
    return obj


def check_request(index, request):
    """OptionError naming the first problem of ``objects[index]``; None when the API can be asked for it."""
    where = "objects[%d]" % index
    kind, api_version = request.get("kind"), request.get("api_version") or "v1"
    if not kind or not KIND.match(kind):
        raise OptionError("%s.kind %r is not a kind: spell it as the API does, for example Pod, Deployment or Node "
                          "(kubectl api-resources lists them)." % (where, kind))
    if not API_VERSION.match(api_version):
        raise OptionError("%s.api_version %r is not an API version: for example v1, apps/v1 or networking.k8s.io/v1 "
                          "(kubectl api-versions lists them)." % (where, api_version))
    node_of, name = request.get("node_of"), request.get("name")
    if node_of:
        if (kind, api_version) != ("Node", "v1") or name:
            raise OptionError("%s: node_of asks for the Node a pod runs on: use it with kind Node (api_version v1) and "
                              "no name." % where)
        for option, value, pattern, longest in (("pod", node_of.get("pod"), DNS_SUBDOMAIN, 253),
                                                ("namespace", node_of.get("namespace"), DNS_LABEL, 63)):
            problem = name_problem("%s.node_of.%s" % (where, option), value, option, pattern, longest)
            if problem:
                raise OptionError(problem)
        return
    if not name:
        raise OptionError("%s: name is required (or, for kind Node, node_of: the pod whose node to read)." % where)
    if not OBJECT_NAME.match(name) or name in (".", ".."):
        raise OptionError("%s.name %r is not an object name: no '/', '%%' or blanks. Fix the name." % (where, name))
    problem = name_problem("%s.namespace" % where, request.get("namespace"), "namespace", DNS_LABEL, 63)
    if problem:
        raise OptionError(problem)
