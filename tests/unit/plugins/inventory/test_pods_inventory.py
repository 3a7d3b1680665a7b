# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pure parts of the kdebug.toolkit.pods inventory: names, host vars, groups, auth options, errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.inventory import pods
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import kube_inventory
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ConfigError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.auth import AUTH_ARG_NAMES
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.failures import Request, http_error


def make_pod(name="web-1", namespace="shop", containers=("app", "sidecar"), annotations=None, labels=None,
             phase="Running", node="node-a", ip="10.244.0.7", owners=None, deleting=False):
    metadata = {"name": name, "namespace": namespace, "labels": labels if labels is not None else {"app": "web"}}
    if annotations:
        metadata["annotations"] = annotations
    if owners:
        metadata["ownerReferences"] = owners
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-26T10:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [{"name": c, "image": "busybox"} for c in containers]},
        "status": {"phase": phase, "podIP": ip},
    }


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("K8S_AUTH_"):
            monkeypatch.delenv(name)


# --- names -----------------------------------------------------------------

def test_host_name_is_namespace_slash_pod():
    assert pods.host_name("shop", "web-1") == "shop/web-1"
    assert pods.host_name("shop", "web-1", "app") == "shop/web-1/app"


def test_host_names_unique_across_namespaces():
    names = {pods.host_name(ns, "web") for ns in ("a", "b", "a-b")}
    assert len(names) == 3


@pytest.mark.parametrize("raw, safe", [
    ("kdebug-demo", "kdebug_demo"),
    ("ip-10-0-1-2.eu-west-1.compute.internal", "ip_10_0_1_2_eu_west_1_compute_internal"),
    ("plain_name1", "plain_name1"),
])
def test_safe_name(raw, safe):
    assert kube_inventory.safe_name(raw) == safe


# --- host vars ---------------------------------------------------------------

def test_host_vars_from_pod():
    pod = make_pod(owners=[{"kind": "ReplicaSet", "name": "web-5d", "controller": True}])
    assert pods.pod_host_vars(pod) == {
        "kdebug_namespace": "shop",
        "kdebug_pod": "web-1",
        "kdebug_node": "node-a",
        "kdebug_phase": "Running",
        "kdebug_containers": ["app", "sidecar"],
        "kdebug_default_container": "app",
        "kdebug_container": "app",
        "kdebug_labels": {"app": "web"},
        "kdebug_pod_ip": "10.244.0.7",
        "kdebug_owner": {"kind": "ReplicaSet", "name": "web-5d"},
    }


def test_default_container_from_annotation():
    pod = make_pod(annotations={"kubectl.kubernetes.io/default-container": "sidecar"})
    host_vars = pods.pod_host_vars(pod)
    assert host_vars["kdebug_default_container"] == "sidecar"
    assert host_vars["kdebug_container"] == "sidecar"


def test_default_container_annotation_naming_no_container_falls_back_to_first():
    pod = make_pod(annotations={"kubectl.kubernetes.io/default-container": "gone"})
    assert pods.pod_host_vars(pod)["kdebug_default_container"] == "app"


def test_pending_pod_without_node_ip_labels_or_owner():
    pod = make_pod(phase="Pending", node=None, ip=None, labels={})
    del pod["spec"]["nodeName"]
    del pod["status"]["podIP"]
    del pod["metadata"]["labels"]
    host_vars = pods.pod_host_vars(pod)
    assert host_vars["kdebug_node"] is None
    assert host_vars["kdebug_pod_ip"] is None
    assert host_vars["kdebug_labels"] == {}
    assert host_vars["kdebug_owner"] is None


def test_owner_prefers_controller():
    pod = make_pod(owners=[{"kind": "Node", "name": "n"}, {"kind": "DaemonSet", "name": "ds", "controller": True}])
    assert pods.pod_host_vars(pod)["kdebug_owner"] == {"kind": "DaemonSet", "name": "ds"}


def test_host_vars_are_json_serialisable_for_the_cache():
    json.dumps(pods.pod_host_vars(make_pod()))


# --- selection -----------------------------------------------------------------

def test_phase_filter_and_deleted_pods():
    assert pods.pod_selected(make_pod(), ["Running"])
    assert not pods.pod_selected(make_pod(phase="Pending"), ["Running"])
    assert pods.pod_selected(make_pod(phase="Pending"), [])
    assert not pods.pod_selected(make_pod(deleting=True), ["Running"])


# --- hosts and groups ----------------------------------------------------------

def test_one_host_per_pod():
    entries = pods.host_entries(pods.pod_host_vars(make_pod()))
    assert [name for name, _v in entries] == ["shop/web-1"]
    assert entries[0][1]["kdebug_container"] == "app"


def test_one_host_per_container():
    entries = pods.host_entries(pods.pod_host_vars(make_pod()), include_containers=True)
    assert [(name, v["kdebug_container"]) for name, v in entries] == [
        ("shop/web-1/app", "app"), ("shop/web-1/sidecar", "sidecar")]
    assert all(v["kdebug_default_container"] == "app" for _name, v in entries)


def test_group_names():
    host_vars = pods.pod_host_vars(make_pod(namespace="kdebug-demo", node="ip-10-0-0-1.internal"))
    assert pods.group_names(host_vars) == ["namespace_kdebug_demo", "node_ip_10_0_0_1_internal"]
    assert pods.group_names(host_vars, include_containers=True)[-1] == "pod_kdebug_demo_web_1"


def test_no_node_group_for_unscheduled_pod():
    host_vars = pods.pod_host_vars(make_pod(node=None, phase="Pending"))
    assert pods.group_names(host_vars) == ["namespace_shop"]


# --- auth options --------------------------------------------------------------

def options(**given):
    return dict((name, given.get(name)) for name in AUTH_ARG_NAMES)


def test_auth_env_fallback(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://api.example:6443")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "tok")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "no")
    params = kube_inventory.auth_params(options())
    assert params["host"] == "https://api.example:6443"
    assert params["api_key"] == "tok"
    assert params["validate_certs"] is False


def test_auth_file_option_wins_over_env(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/env/config")
    assert kube_inventory.auth_params(options(kubeconfig="/file/config"))["kubeconfig"] == "/file/config"


def test_auth_bad_env_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "maybe")
    with pytest.raises(ConfigError, match="validate_certs"):
        kube_inventory.auth_params(options())


def test_auth_options_documented_like_the_modules():
    doc = yaml.safe_load(pods.DOCUMENTATION)
    assert "kdebug.toolkit.auth" in doc["extends_documentation_fragment"]
    assert "ansible.builtin.constructed" in doc["extends_documentation_fragment"]
    assert set(doc["options"]) >= {"plugin", "namespaces", "label_selector", "field_selector", "phases",
                                   "include_containers"}
    assert doc["options"]["phases"]["default"] == ["Running"]


# --- errors --------------------------------------------------------------------

def refused(message):
    """The error the client raises for a 400 on the pod list (kube/failures.py)."""
    info = Request("GET", "/api/v1/pods", "https://lab:6443")
    return http_error(info, 400, "Bad Request", json.dumps({"kind": "Status", "message": message}))


def test_bad_label_selector_carries_the_api_message():
    msg = pods.selector_error(refused("unable to parse requirement: found '', expected: ',' or ')'"), "app in (web",
                              None)
    assert "label_selector 'app in (web'" in msg
    assert "unable to parse requirement" in msg
    assert "kubectl get pods -l" in msg


def test_bad_field_selector_lists_supported_fields():
    msg = pods.selector_error(refused("field label not supported: spec.foo"), None, "spec.foo=1")
    assert "field_selector 'spec.foo=1'" in msg and "spec.nodeName" in msg


# --- file names ----------------------------------------------------------------

@pytest.mark.parametrize("name, ok", [
    ("prod.kdebug_pods.yml", True),
    ("kdebug_pods.yaml", True),
    ("pods.yml", False),
    ("kdebug_pods.yml.bak", False),
])
def test_verify_file(tmp_path, name, ok):
    path = tmp_path / name
    path.write_text("plugin: kdebug.toolkit.pods\n")
    assert pods.InventoryModule().verify_file(str(path)) is ok


# --- several clusters ----------------------------------------------------------


def test_host_name_with_cluster():
    assert pods.host_name("shop", "web-1", cluster="prod") == "prod/shop/web-1"
    assert pods.host_name("shop", "web-1", "app", "prod") == "prod/shop/web-1/app"


def test_host_entries_carry_the_cluster_only_with_clusters():
    pod_vars = dict(pods.pod_host_vars(make_pod()), kdebug_cluster="prod")
    assert [n for n, _vars in pods.host_entries(pod_vars)] == ["shop/web-1"]
    assert [n for n, _vars in pods.host_entries(pod_vars, by_cluster=True)] == ["prod/shop/web-1"]
    assert [n for n, _vars in pods.host_entries(pod_vars, True, True)] == ["prod/shop/web-1/app", "prod/shop/web-1/sidecar"]


def test_group_names_with_clusters():
    host_vars = dict(pods.pod_host_vars(make_pod()), kdebug_cluster="prod-eu")
    expected = ["namespace_shop", "node_prod_eu_node_a", "pod_prod_eu_shop_web_1", "cluster_prod_eu"]
    assert pods.group_names(host_vars, True, True) == expected
    assert "cluster_prod_eu" not in pods.group_names(host_vars)


def test_cluster_entries_merge_the_file_options_under_each_cluster():
    options = {"kubeconfig": "/k", "context": None, "request_timeout": 5}
    entries = kube_inventory.cluster_entries(options, [{"name": "a", "context": "ctx-a"},
                                             {"name": "b", "kubeconfig": "/other", "context": "ctx-b"}])
    assert entries == [("a", {"kubeconfig": "/k", "context": "ctx-a", "request_timeout": 5}),
                       ("b", {"kubeconfig": "/other", "context": "ctx-b", "request_timeout": 5})]
    assert kube_inventory.cluster_entries(options, []) == [(None, options)]


@pytest.mark.parametrize("clusters, message", [
    ([{"context": "x"}], "clusters item 1 needs a name"),
    ([{"name": "a/b"}], "clusters item 1 needs a name"),
    ([{"name": "a"}, {"name": "a"}], "clusters names a twice"),
])
def test_cluster_entries_need_unique_names(clusters, message):
    with pytest.raises(ConfigError, match=message):
        kube_inventory.cluster_entries({}, clusters)


def test_clusters_option_documented():
    from ansible_collections.kdebug.toolkit.plugins.doc_fragments.kube_inventory import ModuleDocFragment
    doc = yaml.safe_load(pods.DOCUMENTATION)
    assert "kdebug.toolkit.kube_inventory" in doc["extends_documentation_fragment"]
    assert yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["clusters"]["type"] == "list"
    assert "kdebug_connection" in " ".join(doc["description"])
