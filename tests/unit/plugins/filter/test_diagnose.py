# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter.diagnose import (
    container_state, created_agent_nodes, diagnose_runbooks, service_endpoints)

RUNNING = {"name": "app", "state": {"running": {"startedAt": "2026-11-27T00:00:00Z"}}, "restart_count": 0}
CRASHING = {"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "restart_count": 4,
            "last_termination": {"exit_code": 1, "reason": "Error"}}
PULLING = {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}, "restart_count": 0}
BETWEEN_RESTARTS = {"name": "app", "state": "terminated", "reason": "Error", "restart_count": 2,
                    "last_termination": {"exit_code": 2}}


def pod(phase, *containers, **extra):
    return dict({"phase": phase, "containers": list(containers)}, **extra)


@pytest.mark.parametrize("info, container, expected", [
    (pod("Running", RUNNING), None, ["triage", "dns", "network"]),
    (pod("Running", CRASHING), None, ["triage", "crashloop"]),
    (pod("Running", BETWEEN_RESTARTS), None, ["triage", "crashloop"]),
    # caught running between two crashes
    (pod("Running", dict(RUNNING, restart_count=3, last_termination={"exit_code": 1})), None,
     ["triage", "crashloop"]),
    # one old restart, or restarts after clean exits: a running pod
    (pod("Running", dict(RUNNING, restart_count=1, last_termination={"exit_code": 1})), None,
     ["triage", "dns", "network"]),
    (pod("Running", dict(RUNNING, restart_count=5, last_termination={"exit_code": 0})), None,
     ["triage", "dns", "network"]),
    (pod("Pending", PULLING), None, ["triage"]),
    (pod("Failed", dict(RUNNING, state={"terminated": {"reason": "Error", "exitCode": 3}})), None,
     ["triage", "crashloop"]),
    (pod("Succeeded", dict(RUNNING, state={"terminated": {"reason": "Completed", "exitCode": 0}})), None, ["triage"]),
    # the target container decides: a running sidecar does not hide a crashing app
    (pod("Running", dict(RUNNING, name="sidecar"), CRASHING), "app", ["triage", "crashloop"]),
    (pod("Running", dict(RUNNING, name="sidecar"), CRASHING, default_container="app"), None,
     ["triage", "crashloop"]),
    (pod("Running", dict(CRASHING, name="sidecar"), RUNNING), "app", ["triage", "dns", "network"]),
    ({}, None, ["triage"]),
])
def test_runbooks_by_state(info, container, expected):
    assert diagnose_runbooks(info, [], container) == expected


@pytest.mark.parametrize("requested, expected", [
    (["network", "dns"], ["triage", "dns", "network"]),
    ("capture, dns", ["triage", "dns", "capture"]),
    (["crashloop"], ["triage", "crashloop"]),
])
def test_requested_runbooks_win_in_canonical_order(requested, expected):
    assert diagnose_runbooks(pod("Running", RUNNING), requested) == expected


def test_an_unknown_runbook_is_named():
    with pytest.raises(AnsibleFilterError) as err:
        diagnose_runbooks(pod("Running", RUNNING), "dns,tracing")
    assert "tracing" in str(err.value) and "crashloop" in str(err.value)


def test_container_state_shapes():
    assert container_state(CRASHING) == ("waiting", "CrashLoopBackOff")
    assert container_state(BETWEEN_RESTARTS) == ("terminated", "Error")
    assert container_state({}) == (None, None)


def test_service_endpoints_by_in_cluster_name():
    ports = {"web": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}], "api": [8443]}
    assert service_endpoints(ports, "shop") == ["api.shop.svc.cluster.local:8443", "web.shop.svc.cluster.local:80"]
    assert service_endpoints({}, "shop") == []
    assert service_endpoints(None, "shop", "corp.local") == []


def test_created_agent_nodes_only_from_runs_that_created_one():
    results = [{"agent_pod": {"node": "n1", "created": True}}, {"agent_pod": {"node": "n1", "created": True}},
               {"agent_pod": {"node": "n2", "created": False}}, {"failed": True, "msg": "x"}, {}, None,
               {"agent_pod": None, "debug_container": {"name": "kdebug-x"}}]
    assert created_agent_nodes(results) == ["n1"]


def test_a_pod_stuck_on_a_crash_looping_init_container_gets_the_crashloop_runbook_on_that_container():
    from ansible_collections.kdebug.toolkit.plugins.filter.diagnose import fork_container
    info = {"phase": "Pending", "containers": [{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}],
            "init_blocker": {"name": "migrate", "crash_looping": True}}
    assert diagnose_runbooks(info, [], None) == ["triage", "crashloop"]
    assert diagnose_runbooks(info, [], "migrate") == ["triage", "crashloop"]
    assert diagnose_runbooks(info, [], "app") == ["triage"]
    assert fork_container(info) == "migrate" and fork_container(info, "app") == "app"
    running = dict(info, init_blocker={"name": "migrate", "crash_looping": False})
    assert diagnose_runbooks(running, [], None) == ["triage"] and fork_container(running) is None


NODE_READY_FAIL = {"name": "node Ready", "status": "fail", "summary": "node w1: Ready is Unknown (NodeStatusUnknown)"}
DISK_PRESSURE = {"name": "node DiskPressure", "status": "fail", "summary": "node w1: DiskPressure is True"}
SANDBOX_EVENTS = {"name": "pod events", "status": "fail", "summary": "Warning events: FailedCreatePodSandBox (x3)",
                  "details": {"reasons": {"FailedCreatePodSandBox": 3, "BackOff": 2}}}
APP_EVENTS = {"name": "pod events", "status": "fail", "details": {"reasons": {"BackOff": 2, "Unhealthy": 9}}}


@pytest.mark.parametrize("info, checks, expected", [
    # a running pod on a NotReady node: its own runbooks, then the node's
    (pod("Running", RUNNING, node="w1"), [NODE_READY_FAIL], ["triage", "dns", "network", "node"]),
    (pod("Pending", PULLING, node="w1"), [DISK_PRESSURE], ["triage", "node"]),
    (pod("Pending", PULLING, node="w1"), [SANDBOX_EVENTS], ["triage", "node"]),
    (pod("Failed", PULLING, node="w1", reason="Evicted", message="The node was low on resource: ephemeral-storage."),
     [], ["triage", "node"]),
    (pod("Unknown", RUNNING, node="w1"), [], ["triage", "node"]),
    # the pod's own trouble, a node that passed, or a pod on no node: not the node
    (pod("Running", CRASHING, node="w1"), [APP_EVENTS, dict(NODE_READY_FAIL, status="pass")], ["triage", "crashloop"]),
    (pod("Pending", PULLING), [NODE_READY_FAIL], ["triage"]),
    (pod("Running", RUNNING, node="w1"), [{"name": "node conditions", "status": "error"}], ["triage", "dns", "network"]),
])
def test_the_node_runbook_runs_when_triage_points_at_the_node(info, checks, expected):
    assert diagnose_runbooks(info, [], None, checks) == expected


def test_node_suspicions_say_why():
    from ansible_collections.kdebug.toolkit.plugins.filter.diagnose import node_suspicions
    info = pod("Failed", RUNNING, node="w1", reason="Evicted", message="The node was low on resource: memory.")
    assert node_suspicions(info, [NODE_READY_FAIL, SANDBOX_EVENTS]) == [
        "node w1: Ready is Unknown (NodeStatusUnknown)", "the pod's events: FailedCreatePodSandBox",
        "the pod is Evicted: The node was low on resource: memory."]
    assert node_suspicions(pod("Running", RUNNING, node="w1"), [APP_EVENTS]) == []


def test_the_node_runbook_can_be_asked_for():
    assert diagnose_runbooks(pod("Running", RUNNING, node="w1"), "node") == ["triage", "node"]
