# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_get's reading (managers/get.py, usecases/get.py) against a KubeClient answering from a table: each path
read once, the messages of what cannot be read, the failures that end the whole call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiUnreachable, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.get import ObjectReader
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.get import read_one
from ansible_collections.kdebug.toolkit.tests.unit.plugins.module_utils.managers.test_triage_fetcher import FakeRest

CORE = {"resources": [{"name": "pods", "kind": "Pod", "namespaced": True},
                      {"name": "nodes", "kind": "Node", "namespaced": False},
                      {"name": "namespaces", "kind": "Namespace", "namespaced": False}]}
APPS = {"resources": [{"name": "deployments", "kind": "Deployment", "namespaced": True}]}
POD = {"kind": "Pod", "metadata": {"name": "web-0", "namespace": "shop", "managedFields": [{}]},
       "spec": {"nodeName": "w1"}}
NODE = {"kind": "Node", "metadata": {"name": "w1"}}


class TableRest(FakeRest):
    """triage's table client (answers by path, an HTTP status as the error the real client raises), which may also
    answer with an exception (a connection failure)."""

    def request(self, method, path, query=None, **kwargs):
        if isinstance(self.answers.get(path), Exception):
            self.calls.append(path)
            raise self.answers[path]
        return super(TableRest, self).request(method, path, query, **kwargs)


def table(**extra):
    answers = {"/api/v1": CORE, "/apis/apps/v1": APPS, "/api/v1/namespaces/shop/pods/web-0": POD,
               "/api/v1/nodes/w1": NODE}
    answers.update(extra)
    return TableRest(answers)


def req(kind, name=None, namespace=None, api_version="v1", node_of=None):
    return {"kind": kind, "api_version": api_version, "name": name, "namespace": namespace, "node_of": node_of}


def test_each_path_is_read_once_and_the_pod_behind_its_node_too():
    rest = table()
    reader = ObjectReader(rest)
    entries = [read_one(reader, r) for r in [req("Pod", "web-0", "shop"), req("Pod", "web-0", "shop"),
                                             req("Node", node_of={"namespace": "shop", "pod": "web-0"}),
                                             req("Node", "w1", "shop")]]
    assert [e["found"] for e in entries] == [True] * 4
    assert entries[0]["object"]["metadata"] == {"name": "web-0", "namespace": "shop"}  # no managedFields
    assert (entries[2]["name"], entries[2]["namespace"], entries[2]["object"]) == ("w1", None, NODE)
    assert entries[3]["namespace"] is None  # a cluster-scoped kind has none, whatever the request said
    paths = sorted(call[0] for call in rest.calls)
    assert paths == ["/api/v1", "/api/v1/namespaces/shop/pods/web-0", "/api/v1/nodes/w1"]
    assert reader.reads == 3


@pytest.mark.parametrize("request_, answers, error_class, message", [
    (req("Deployment", "web", "shop", "apps/v1"), {}, "not_found",
     "Deployment shop/web not found: check its name and namespace (kubectl get deployments.apps -n shop lists them)."),
    (req("Node", "w9"), {}, "not_found", "Node w9 not found: check its name (kubectl get nodes lists them)."),
    (req("Deployment", "web", "shop", "apps/v2"), {}, "not_found",
     "the API server serves no apps/v2: check api_version (kubectl api-versions"),
    (req("Deploymnt", "web", "shop", "apps/v1"), {}, "not_found",
     "the API server serves no kind Deploymnt in apps/v1: check kind and api_version (kubectl api-resources "
     "--api-group=apps"),
    (req("Deployment", "web", None, "apps/v1"), {}, "option", "Deployment web is namespaced: give its namespace."),
    (req("Node", node_of={"namespace": "shop", "pod": "gone"}), {}, "not_found", "Pod shop/gone not found"),
    (req("Node", node_of={"namespace": "shop", "pod": "web-0"}),
     {"/api/v1/namespaces/shop/pods/web-0": {"metadata": {"name": "web-0"}, "spec": {}}}, "not_found",
     "Pod shop/web-0 is not scheduled on a node (spec.nodeName is empty)"),
    (req("Deployment", "web", "shop", "apps/v1"), {"/apis/apps/v1/namespaces/shop/deployments/web": 403}, "denied",
     "not allowed to get deployments in namespace shop"),
])
def test_what_cannot_be_read_is_an_entry_naming_it(request_, answers, error_class, message):
    entry = read_one(ObjectReader(table(**answers)), request_)
    assert (entry["found"], entry["object"], entry["error_class"]) == (False, None, error_class)
    assert message in entry["msg"], entry["msg"]
    if error_class == "denied":
        assert entry["denied_by"] == "rbac" and entry["denial"]["resource"] == "deployments"


def test_a_failed_read_is_not_asked_again():
    rest = table()
    reader = ObjectReader(rest)
    entries = [read_one(reader, req("Pod", "gone", "shop")) for _times in range(3)]
    assert [e["error_class"] for e in entries] == ["not_found"] * 3
    assert [call[0] for call in rest.calls].count("/api/v1/namespaces/shop/pods/gone") == 1


def test_a_connection_failure_ends_the_whole_call():
    rest = table(**{"/api/v1": ApiUnreachable("could not connect to the API server at https://lab:6443")})
    with pytest.raises(KdebugError) as info:
        read_one(ObjectReader(rest), req("Pod", "web-0", "shop"))
    assert info.value.error_class == "unreachable"
