# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""pods.py: what a pod dict says, the one place every module, filter and the inventory asks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    check_joinable, choose_container, default_container, is_mirror_pod, mirror_pod_refusal, owner_of, owners_text,
    pod_network, seconds_left, selected_by, selector_matches, static_pod, static_pod_text, target_info,
    what_was_lost)


def pod(containers=("app", "side"), annotations=None, owners=None):
    return {"metadata": {"name": "p", "namespace": "ns", "annotations": annotations or {},
                         "ownerReferences": owners or []},
            "spec": {"containers": [{"name": c} for c in containers]}}


@pytest.mark.parametrize("selector, labels, expected", [
    ({"app": "crashy"}, {"app": "crashy", "x": "y"}, True),
    ({"app": "crashy"}, {"tier": "backend"}, False),
    ({}, {"app": "crashy"}, False),
    (None, {"app": "crashy"}, False),
    ({"matchLabels": {"app": "crashy"}}, {"app": "crashy"}, True),
    ({"matchLabels": {"app": "crashy", "pod-template-hash": "1"}}, {"app": "crashy"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]}, {"tier": "backend"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, {"tier": "backend"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {}, True),
    ({"matchLabels": {}, "matchExpressions": []}, {"a": "b"}, False),
])
def test_selector_matches(selector, labels, expected):
    assert selector_matches(selector, labels) is expected


def test_selector_matches_a_plain_map_and_no_labels():
    assert selector_matches({"app": "web"}, {"app": "web", "tier": "frontend"})
    assert not selector_matches({"app": "web", "tier": "backend"}, {"app": "web", "tier": "frontend"})
    assert not selector_matches({"app": "web"}, None)


def test_selected_by_names_the_objects_sorted():
    items = [{"metadata": {"name": "b"}, "spec": {"selector": {"app": "web"}}},
             {"metadata": {"name": "a"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}},
             {"metadata": {"name": "c"}, "spec": {"selector": {"app": "db"}}},
             {"metadata": {"name": "d"}, "spec": {}}]
    assert selected_by(items, {"app": "web"}) == ["a", "b"]


def test_default_container_is_the_annotation_when_it_names_one_else_the_first():
    assert default_container(pod()) == "app"
    assert default_container(pod(annotations={"kubectl.kubernetes.io/default-container": "side"})) == "side"
    assert default_container(pod(annotations={"kubectl.kubernetes.io/default-container": "gone"})) == "app"
    assert default_container(pod(containers=())) is None


def test_choose_container_names_the_choices():
    assert choose_container(pod(), "side") == "side"
    assert choose_container(pod()) == "app"
    with pytest.raises(KdebugError) as err:
        choose_container(pod(), "nope")
    assert "container nope not found in pod ns/p; it has: app, side" in err.value.message


def test_owner_prefers_the_controller():
    refs = [{"kind": "ConfigMap", "name": "cfg"}, {"kind": "ReplicaSet", "name": "web-1", "controller": True}]
    assert owner_of(pod(owners=refs)) == {"kind": "ReplicaSet", "name": "web-1"}
    assert owner_of(pod(owners=refs[:1])) == {"kind": "ConfigMap", "name": "cfg"}
    assert owner_of(pod()) is None
    assert owners_text(refs) == "ConfigMap/cfg, ReplicaSet/web-1"


def test_mirror_pods_are_told_by_their_annotation():
    assert is_mirror_pod(pod(annotations={"kubernetes.io/config.mirror": "abc"}))
    assert not is_mirror_pod(pod())


MIRROR = {"kubernetes.io/config.mirror": "abc", "kubernetes.io/config.source": "file",
          "kubernetes.io/config.hash": "abc"}
NODE_OWNER = [{"apiVersion": "v1", "kind": "Node", "name": "w1", "uid": "u", "controller": True}]


def test_a_static_pod_names_the_node_that_runs_its_manifest():
    mirror = pod(annotations=MIRROR, owners=NODE_OWNER)
    assert static_pod(mirror) == {"node": "w1", "source": "file"}
    mirror["spec"]["nodeName"] = "w1"
    assert static_pod_text(mirror) == "pod ns/p is the mirror of a static pod (a manifest the kubelet of node w1 runs)"
    assert mirror_pod_refusal(mirror).endswith(", and the API refuses ephemeral containers on mirror pods")


def test_a_pod_made_through_the_api_is_no_static_pod():
    plain = pod(owners=[{"kind": "ReplicaSet", "name": "web-1", "controller": True}])
    assert static_pod(plain) is None
    assert static_pod_text(plain) is None
    assert mirror_pod_refusal(plain) is None


def test_a_hostnetwork_pod_runs_in_its_nodes_network_and_the_target_says_so():
    plain = pod()
    plain["spec"]["nodeName"] = "n1"
    assert pod_network(plain) == "pod"
    assert target_info(plain, "app")["network"] == "pod"
    assert target_info(plain, "app")["dns_policy"] == "ClusterFirst"  # the API's default when unset
    plain["spec"].update(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet")
    assert pod_network(plain) == "node"
    assert target_info(plain, "app")["network"] == "node"
    assert target_info(plain, "app")["dns_policy"] == "ClusterFirstWithHostNet"


def running_pod(uid="u1", app_id="containerd://a1", debug_state=None):
    current = {"metadata": {"name": "p", "namespace": "ns", "uid": uid},
               "spec": {"containers": [{"name": "app"}]},
               "status": {"containerStatuses": [{"name": "app", "containerID": app_id,
                                                 "state": {"running": {}} if app_id else {"waiting": {}}}]}}
    if debug_state:
        current["status"]["ephemeralContainerStatuses"] = [{"name": "kdebug-x", "state": debug_state}]
    return current


def test_what_was_lost_names_the_pod_the_target_or_the_debug_container():
    before = running_pod(debug_state={"running": {}})
    assert what_was_lost(before, running_pod(debug_state={"running": {}}), "app", "kdebug-x") is None
    assert what_was_lost(before, None, "app")[0] == "target_pod"
    assert what_was_lost(before, running_pod(uid="u2"), "app")[0] == "target_pod"  # deleted, then made again
    deleting = running_pod()
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert "being deleted" in what_was_lost(before, deleting, "app")[1]
    lost, message = what_was_lost(before, running_pod(app_id="containerd://a2"), "app")
    assert lost == "target_container" and "restarted" in message and "app of pod ns/p" in message
    assert what_was_lost(before, running_pod(app_id=None), "app")[0] == "target_container"
    killed = running_pod(debug_state={"terminated": {"reason": "Error", "exitCode": 137}})
    lost, message = what_was_lost(before, killed, "app", "kdebug-x")
    assert lost == "debug_container" and "kdebug-x in pod ns/p ended" in message and "137" in message
    assert what_was_lost(before, killed, "app") is None  # the agent strategy has no debug container


def test_seconds_left_of_a_ttl():
    now = 1767225600  # 2026-01-01T00:00:00Z
    assert seconds_left("2025-12-31T23:59:00Z", 600, now) == 540
    assert seconds_left(None, 600, now) == 600  # not started yet
    assert seconds_left("2025-12-31T23:00:00Z", 600, now) == 0
    assert seconds_left("2025-12-31T23:59:00Z", None, now) is None


def init_pod(init_state, restarts=0, sidecar=False, phase="Pending", last=None):
    init = {"name": "migrate"}
    if sidecar:
        init["restartPolicy"] = "Always"
    status = {"name": "migrate", "state": init_state, "restartCount": restarts, "containerID": "containerd://abc"}
    if last:
        status["lastState"] = {"terminated": last}
    return {"metadata": {"name": "p", "namespace": "ns"},
            "spec": {"initContainers": [{"name": "fetch"}, init], "containers": [{"name": "app"}]},
            "status": {"phase": phase, "initContainerStatuses": [
                {"name": "fetch", "state": {"terminated": {"exitCode": 0}}}, status]}}


def test_choose_container_accepts_an_init_container_and_names_both_lists():
    assert choose_container(init_pod({"running": {}}), "migrate") == "migrate"
    with pytest.raises(KdebugError) as err:
        choose_container(init_pod({"running": {}}), "nope")
    assert "it has: app; init containers: fetch, migrate" in err.value.message


def test_a_running_init_container_is_joinable_and_its_status_is_the_target():
    running = init_pod({"running": {}})
    check_joinable(running, "migrate")
    assert target_info(running, "migrate")["container_id"] == "containerd://abc"
    check_joinable(init_pod({"running": {}}, sidecar=True, phase="Running"), "migrate")


@pytest.mark.parametrize("state, restarts, last, words", [
    ({"terminated": {"exitCode": 0, "reason": "Completed"}}, 0, None,
     ["init container migrate (2 of 2)", "has completed (exit code 0)", "fork the pod", "container: migrate"]),
    ({"waiting": {"reason": "CrashLoopBackOff"}}, 3, {"exitCode": 7, "reason": "Error"},
     ["init container migrate (2 of 2)", "CrashLoopBackOff, last exit code 7, 3 restarts", "Fork it"]),
    ({"waiting": {"reason": "PodInitializing"}}, 0, None, ["not running yet (PodInitializing): wait until it runs"]),
])
def test_an_init_container_that_does_not_run_is_named_with_its_state_and_the_fix(state, restarts, last, words):
    with pytest.raises(KdebugError) as err:
        check_joinable(init_pod(state, restarts, last=last), "migrate")
    for word in words:
        assert word in err.value.message
