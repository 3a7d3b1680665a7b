# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_get: read objects by kind and name, each at most once. Read-only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.get import ObjectReader
from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import CLUSTER_ERROR_CLASSES
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.get import check_request

# Failures of the connection or the credentials: every other read would fail the same way, so the module fails.
WHOLE_CALL_ERROR_CLASSES = CLUSTER_ERROR_CLASSES + ("config", "missing_library")


def get_argument_spec():
    return options.module_spec(
        objects=dict(type="list", elements="dict", required=True, options=dict(
            kind=dict(type="str", required=True),
            api_version=dict(type="str", default="v1"),
            name=dict(type="str"),
            namespace=dict(type="str"),
            node_of=dict(type="dict", options=dict(
                pod=dict(type="str", required=True),
                namespace=dict(type="str", default=options.DEFAULT_NAMESPACE),
            )),
        )),
    )


def read_one(reader, request):
    """One entry of ``objects``: the request, what it resolved to, and the object or why it could not be read."""
    kind, api_version = request["kind"], request.get("api_version") or "v1"
    entry = {"request": request, "kind": kind, "api_version": api_version, "namespace": request.get("namespace"),
             "name": request.get("name"), "object": None}
    try:
        if request.get("node_of"):
            entry["namespace"] = None
            entry["object"], entry["name"] = reader.node_of(request["node_of"]["namespace"], request["node_of"]["pod"])
        else:
            entry["object"], entry["namespace"] = reader.object(api_version, kind, request.get("namespace"),
                                                                request["name"])
    except KdebugError as err:
        if err.error_class in WHOLE_CALL_ERROR_CLASSES:
            raise
        entry.update(err.result())
        entry["msg"] = err.message
    entry["found"] = entry["object"] is not None
    return entry


def run_get_module(module):
    """What kdebug_get does: each object read once; one that cannot be read is an entry saying why. The entries are
    checked first: a bad one fails the call before any request."""
    requests = module.params["objects"]
    for index, request in enumerate(requests):
        check_request(index, request)
    reader = ObjectReader(module.kube())
    objects = [read_one(reader, request) for request in requests]
    return {"changed": False, "objects": objects, "reads": reader.reads}
