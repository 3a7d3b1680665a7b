# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_get's pure parts (transforms/get.py): API versions, discovery, paths, names, request checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import get as G

APPS = {"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
    {"name": "deployments", "kind": "Deployment", "namespaced": True},
    {"name": "deployments/scale", "kind": "Scale", "namespaced": True},
    {"name": "deployments/status", "kind": "Deployment", "namespaced": True}]}
CORE = {"resources": [{"name": "pods/log", "kind": "Pod", "namespaced": True},
                      {"name": "pods", "kind": "Pod", "namespaced": True},
                      {"name": "nodes", "kind": "Node", "namespaced": False}]}


def test_api_versions_split_into_group_and_version():
    assert G.split_api_version("v1") == (None, "v1")
    assert G.split_api_version("apps/v1") == ("apps", "v1")
    assert G.split_api_version("networking.k8s.io/v1beta1") == ("networking.k8s.io", "v1beta1")


def test_discovery_maps_a_kind_to_its_resource_not_a_subresource():
    assert G.find_resource(APPS, "Deployment") == {"name": "deployments", "namespaced": True}
    assert G.find_resource(CORE, "Pod") == {"name": "pods", "namespaced": True}
    assert G.find_resource(CORE, "Node") == {"name": "nodes", "namespaced": False}
    assert G.find_resource(APPS, "Scale") is None
    assert G.find_resource(None, "Pod") is None


def test_paths_names_and_kubectl_words():
    assert G.object_path("apps/v1", "deployments", "shop", "web") == "/apis/apps/v1/namespaces/shop/deployments/web"
    assert G.object_path("v1", "nodes", None, "w1") == "/api/v1/nodes/w1"
    assert G.object_path("v1", "configmaps", "a", "x:y") == "/api/v1/namespaces/a/configmaps/x%3Ay"
    assert G.label("Deployment", "shop", "web") == "Deployment shop/web"
    assert G.label("Node", None, "w1") == "Node w1"
    assert G.kubectl_resource("apps/v1", "deployments") == "deployments.apps"
    assert G.kubectl_resource("v1", "pods") == "pods"


def test_managed_fields_are_left_out_and_the_object_is_not_changed():
    obj = {"metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}]}, "spec": {}}
    assert G.without_managed_fields(obj) == {"metadata": {"name": "p"}, "spec": {}}
    assert obj["metadata"]["managedFields"]
    assert G.without_managed_fields({"kind": "X"}) == {"kind": "X"}


@pytest.mark.parametrize("request_, message", [
    ({"kind": "pod", "name": "p"}, "objects[0].kind 'pod' is not a kind"),
    ({"kind": None, "name": "p"}, "objects[0].kind None"),
    ({"kind": "Pod", "api_version": "apps", "name": "p"}, "objects[0].api_version 'apps'"),
    ({"kind": "Pod"}, "objects[0]: name is required"),
    ({"kind": "Pod", "name": "a/b"}, "objects[0].name 'a/b'"),
    ({"kind": "Pod", "name": ".."}, "objects[0].name '..'"),
    ({"kind": "Pod", "name": "p", "namespace": "a_b"}, "objects[0].namespace 'a_b'"),
    ({"kind": "Node", "name": "w1", "node_of": {"pod": "p", "namespace": "n"}}, "use it with kind Node"),
    ({"kind": "Node", "api_version": "v2", "node_of": {"pod": "p", "namespace": "n"}}, "use it with kind Node"),
    ({"kind": "Node", "node_of": {"pod": "P", "namespace": "n"}}, "objects[0].node_of.pod 'P'"),
    ({"kind": "Node", "node_of": {"pod": "p", "namespace": ""}}, "objects[0].node_of.namespace '' is empty"),
])
def test_bad_requests_are_named(request_, message):
    with pytest.raises(OptionError) as info:
        G.check_request(0, request_)
    assert message in info.value.message


@pytest.mark.parametrize("request_", [
    {"kind": "Pod", "name": "web-0", "namespace": "shop"},
    {"kind": "ClusterRole", "api_version": "rbac.authorization.k8s.io/v1", "name": "system:node"},
    {"kind": "Node", "node_of": {"pod": "web-0", "namespace": "shop"}},
    {"kind": "Widget", "api_version": "example.com/v1alpha1", "name": "w"},
])
def test_good_requests_pass(request_):
    G.check_request(0, request_)
