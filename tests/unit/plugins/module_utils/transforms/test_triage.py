# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Triage's pure parts (transforms/triage.py) over pods, events and a node as the lab's API server returned them.

The fixtures are fixtures/triage_data.py. Cases the lab cannot easily make (evicted, node pressure, native
sidecars) are small edits of those.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import triage as T
from ansible_collections.kdebug.toolkit.tests.unit.plugins.module_utils.fixtures.triage_data import (
    CRASHY_LOG, by_name, completed_init, edit, events, load, node, pod)


def _evicted(p):
    p["status"].update(phase="Failed", reason="Evicted",
                       message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi.")


def _deleting(p):
    p["metadata"].update(deletionTimestamp="2026-11-27T01:00:00Z", deletionGracePeriodSeconds=2)


def _unknown(p):
    p["status"]["phase"] = "Unknown"


def _disruption(p):
    p["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
                                      "message": "Eviction API: evicting", "lastTransitionTime": "2026-11-27T01:00:00Z"})


def _no_conditions(p):
    p["status"].pop("conditions", None)


def _exited_zero(p):
    """web's container exited 0 although its restartPolicy is Always."""
    p["status"]["containerStatuses"][0]["state"] = {"terminated": {
        "exitCode": 0, "reason": "Completed", "startedAt": "2026-11-27T00:51:09Z", "finishedAt": "2026-11-27T00:59:00Z"}}


def _image_pull_backoff(p):
    p["status"]["containerStatuses"][0]["state"] = {"waiting": {
        "reason": "ImagePullBackOff", "message": 'Back-off pulling image "registry.example.com/app:9"'}}


def _sidecar(p):
    """multi's sidecar as a native sidecar: an init container with restartPolicy Always, running."""
    side = p["spec"]["containers"].pop(0)
    side["restartPolicy"] = "Always"
    p["spec"]["initContainers"] = [side]
    statuses = p["status"]["containerStatuses"]
    p["status"]["initContainerStatuses"] = [statuses.pop([c["name"] for c in statuses].index("sidecar"))]


def _oom_now(p):
    """oom right after its latest kill (before the kubelet backs off): terminated now, and restarted before."""
    status = p["status"]["containerStatuses"][0]
    status["state"] = {"terminated": dict(status["lastState"]["terminated"], finishedAt="2026-11-27T00:59:00Z")}


# --- pod phase -----------------------------------------------------------------------------------------

PHASE_CASES = [
    ("web", None, "pass", ["Running on node kdebug-lab"]),
    ("crashy", None, "pass", ["Running"]),
    ("completed", None, "pass", ["Succeeded"]),
    ("unschedulable", None, "fail", ["Pending: not scheduled", "Unschedulable", "didn't match Pod's node affinity"]),
    ("badimage", None, "fail", ["Pending on node kdebug-lab: containers not started", "app ErrImageNeverPull"]),
    ("badconfig", None, "fail", ["app CreateContainerConfigError"]),
    ("initfail", None, "fail", ["init container migrate (1 of 1) is crash-looping: CrashLoopBackOff, last exit code 3",
                                "kdebug_fork container=migrate"]),
    ("web", _evicted, "fail", ["Failed (Evicted: The node was low on resource: memory"]),
    ("web", _deleting, "fail", ["Running, being deleted since 2026-11-27T01:00:00Z (grace period 2s)"]),
    ("web", _unknown, "fail", ["phase Unknown"]),
]


@pytest.mark.parametrize("name, change, status, words", PHASE_CASES)
def test_pod_phase(name, change, status, words):
    p = edit(pod(name), change) if change else pod(name)
    check = T.check_phase(p)
    assert check["name"] == "pod phase"
    assert check["status"] == status, check["summary"]
    for word in words:
        assert word in check["summary"]
    assert check["target"] == {"namespace": p["metadata"]["namespace"], "pod": p["metadata"]["name"]}


# --- pod conditions ------------------------------------------------------------------------------------

CONDITION_CASES = [
    ("web", None, {"Ready": "pass", "ContainersReady": "pass", "Initialized": "pass", "PodScheduled": "pass",
                   "PodReadyToStartContainers": "pass"}),
    ("crashy", None, {"Ready": "fail", "ContainersReady": "fail", "PodScheduled": "pass"}),
    ("unschedulable", None, {"PodScheduled": "fail"}),
    ("initfail", None, {"Initialized": "fail", "Ready": "fail"}),
    # A completed pod: Ready/ContainersReady False (PodCompleted), sandbox gone.
    ("completed", None, {"Ready": "pass", "ContainersReady": "pass", "PodReadyToStartContainers": "pass",
                         "Initialized": "pass"}),
    ("web", _disruption, {"DisruptionTarget": "fail", "Ready": "pass"}),
]


@pytest.mark.parametrize("name, change, expected", CONDITION_CASES)
def test_pod_conditions(name, change, expected):
    p = edit(pod(name), change) if change else pod(name)
    checks = by_name(T.check_conditions(p))
    for ctype, status in expected.items():
        assert checks["pod condition " + ctype]["status"] == status, checks["pod condition " + ctype]["summary"]


def test_failed_condition_names_reason_and_message():
    check = by_name(T.check_conditions(pod("crashy")))["pod condition Ready"]
    assert check["summary"] == "Ready is False (ContainersNotReady: containers with unready status: [app])"
    assert check["details"]["reason"] == "ContainersNotReady"


def test_no_conditions_is_skipped():
    assert [c["status"] for c in T.check_conditions(edit(pod("web"), _no_conditions))] == ["skipped"]


# --- container state -----------------------------------------------------------------------------------

STATE_CASES = [
    ("web", None, "main", "web", "pass", ["running since"]),
    ("multi", None, "main", "sidecar", "pass", ["running since"]),
    ("crashy", None, "main", "app", "fail", ["waiting: CrashLoopBackOff (last exit code 1, Error)", "back-off"]),
    ("badimage", None, "main", "app", "fail",
     ["waiting: ErrImageNeverPull", 'image "kdebug.local/does-not-exist:1" is not present']),
    ("badconfig", None, "main", "app", "fail", ["CreateContainerConfigError", 'configmap "missing-config" not found']),
    ("oom", None, "main", "app", "fail", ["CrashLoopBackOff (last exit code 137, OOMKilled)"]),
    ("oom", _oom_now, "main", "app", "fail", ["terminated: OOMKilled, exit code 137 (restartPolicy Always: it "
                                              "will be restarted; 5 restarts so far)"]),
    ("completed", lambda p: p["status"]["containerStatuses"][0]["state"]["terminated"].update(exitCode=2, reason="Error"),
     "main", "job", "fail", ["terminated: Error, exit code 2"]),
    ("initfail", None, "init", "migrate", "fail", ["CrashLoopBackOff (last exit code 3, Error)"]),
    ("initfail", None, "main", "app", "fail", ["PodInitializing", "init containers have not completed"]),
    ("completed", None, "main", "job", "pass", ["completed (exit code 0)"]),
    ("unschedulable", None, "main", "app", "fail", ["no status yet (pod phase Pending)"]),
    ("web", _exited_zero, "main", "web", "fail", ["terminated: Completed, exit code 0",
                                                  "restartPolicy Always: it will be restarted"]),
    ("web", _image_pull_backoff, "main", "web", "fail", ["ImagePullBackOff", "registry.example.com/app:9"]),
    ("multi", _sidecar, "init", "sidecar", "pass", ["running since"]),
    ("web", completed_init, "init", "setup", "pass", ["completed (exit code 0)"]),
]


@pytest.mark.parametrize("name, change, kind, container, status, words", STATE_CASES)
def test_container_state(name, change, kind, container, status, words):
    p = edit(pod(name), change) if change else pod(name)
    check = T.check_container_state(p, kind, container)
    assert check["name"] == ("init container %s state" if kind == "init" else "container %s state") % container
    assert check["status"] == status, check["summary"]
    for word in words:
        assert word in check["summary"]
    assert check["target"]["container"] == container


def test_failed_state_has_the_state_as_evidence():
    check = T.check_container_state(pod("crashy"), "main", "app")
    assert check["evidence"][0]["label"] == "state"
    assert json.loads(check["evidence"][0]["text"])["waiting"]["reason"] == "CrashLoopBackOff"


# --- restarts ------------------------------------------------------------------------------------------


def _restarts(count):
    return edit(pod("web"), lambda p: p["status"]["containerStatuses"][0].update(restartCount=count))


@pytest.mark.parametrize("count, threshold, status, summary", [
    (0, 3, "pass", "0 restarts (threshold 3)"),
    (1, 3, "pass", "1 restart (threshold 3)"),
    (3, 3, "pass", "3 restarts (threshold 3)"),
    (4, 3, "fail", "restarted 4 times (threshold 3)"),
    (1, 0, "fail", "restarted 1 times (threshold 0)"),
])
def test_restarts_threshold(count, threshold, status, summary):
    check = T.check_restarts(_restarts(count), "main", "web", threshold)
    assert (check["status"], check["summary"]) == (status, summary)
    assert check["details"] == {"restart_count": count, "threshold": threshold}


def test_restarts_name_the_last_termination():
    check = T.check_restarts(pod("oom"), "main", "app")
    assert check["status"] == "fail"
    assert "last: OOMKilled, exit code 137 at" in check["summary"]


# --- last termination ----------------------------------------------------------------------------------


def _terminated(exit_code, reason, message=None, limits=None):
    def change(p):
        term = {"exitCode": exit_code, "reason": reason, "finishedAt": "2026-11-27T00:58:00Z"}
        if message:
            term["message"] = message
        p["status"]["containerStatuses"][0]["lastState"] = {"terminated": term}
        if limits is not None:
            p["spec"]["containers"][0]["resources"] = {"limits": limits}
    return change


TERMINATION_CASES = [
    ("web", None, "pass", ["never terminated"]),
    ("crashy", None, "fail", ["exit code 1 (Error) at"]),
    ("oom", None, "fail", ["OOMKilled, exit code 137 (signal 9 SIGKILL)", "more memory than its limit 24Mi"]),
    ("initfail", None, "fail", ["exit code 3 (Error)"]),
    ("completed", None, "pass", ["exit code 0 (Completed)"]),
    ("web", _terminated(0, "Completed"), "pass", ["exit code 0 (Completed) at 2026-11-27T00:58:00Z"]),
    ("web", _terminated(143, "Error"), "fail", ["exit code 143 (signal 15 SIGTERM) (Error)"]),
    ("web", _terminated(137, "OOMKilled", limits={}), "fail", ["the node could give (no limit set)"]),
    ("web", _terminated(2, "Error", message="panic: nil map\ngoroutine 1 [running]"), "fail",
     ["exit code 2 (Error) at 2026-11-27T00:58:00Z: goroutine 1 [running]"]),
]


@pytest.mark.parametrize("name, change, status, words", TERMINATION_CASES)
def test_last_termination(name, change, status, words):
    p = edit(pod(name), change) if change else pod(name)
    kind, container = ("init", "migrate") if name == "initfail" else ("main", p["spec"]["containers"][0]["name"])
    check = T.check_last_termination(p, kind, container)
    assert check["status"] == status, check["summary"]
    for word in words:
        assert word in check["summary"]


def test_last_termination_evidence_is_that_runs_log():
    check = T.check_last_termination(pod("crashy"), "main", "app", {"current": None, "previous": CRASHY_LOG})
    assert check["evidence"] == [{"label": "previous log tail", "text": CRASHY_LOG}]
    assert check["details"]["exit_code"] == 1 and check["details"]["logs_of"] == "previous"
    # oom is terminated now: the run that ended is the current log.
    check = T.check_last_termination(edit(pod("oom"), _oom_now), "main", "app",
                                     {"current": "allocating\n", "previous": "older"})
    assert check["evidence"] == [{"label": "current log tail", "text": "allocating\n"}]
    check = T.check_last_termination(edit(pod("web"), _terminated(2, "Error", message="boom")), "main", "web")
    assert check["evidence"] == [{"label": "termination message", "text": "boom"}]


def test_last_termination_summary_block():
    assert T.last_termination(None) is None
    term = T.last_termination(T.find_status(pod("crashy"), "main", "app"))
    assert (term["exit_code"], term["reason"], term["logs_of"]) == (1, "Error", "previous")


# --- events --------------------------------------------------------------------------------------------

EVENT_CASES = [
    ("web", "pass", "10 events, no warnings", None),
    ("completed", "pass", "4 events, no warnings", None),
    ("crashy", "fail", "Warning events: BackOff (x32)", "Back-off restarting failed container app"),
    ("badimage", "fail", "Warning events: ErrImageNeverPull (x13), Failed (x12)", "is not present with pull policy"),
    ("badconfig", "fail", "Warning events: Failed (x17)", 'configmap "missing-config" not found'),
    ("unschedulable", "fail", "Warning events: FailedScheduling (x1)", "didn't match Pod's node affinity"),
]


@pytest.mark.parametrize("name, status, summary, evidence", EVENT_CASES)
def test_events_check(name, status, summary, evidence):
    check = T.check_events(pod(name), T.summarize_events(events(name), None))
    assert (check["status"], check["summary"]) == (status, summary)
    if evidence:
        assert any(evidence in e for e in check["evidence"])
    else:
        assert check["evidence"] == []


def test_events_evidence_is_bounded_most_recent_first():
    evs = [{"type": "Warning", "reason": "BackOff", "message": "back-off %d" % i, "count": 1,
            "lastTimestamp": "2026-11-27T01:%02d:00Z" % i} for i in range(30)]
    check = T.check_events(pod("web"), T.summarize_events(evs, None), limit=5)
    assert check["summary"] == "Warning events: BackOff (x30)"
    assert len(check["evidence"]) == 5
    assert check["evidence"][0].endswith("back-off 29") and check["evidence"][-1].endswith("back-off 25")


def _warning(reason, when, count=1):
    return {"type": "Warning", "reason": reason, "message": "%s message" % reason, "count": count, "lastTimestamp": when}


# web became Ready at 2026-11-27T00:51:11Z (its fixture).
@pytest.mark.parametrize("warnings, status, summary", [
    ([_warning("FailedMount", "2026-11-27T00:51:08Z")], "pass",
     "no warnings since the pod became Ready at 2026-11-27T00:51:11Z (earlier: FailedMount (x1))"),
    # The same second as the Ready transition still counts as before it.
    ([_warning("Unhealthy", "2026-11-27T00:51:11Z", 3)], "pass",
     "no warnings since the pod became Ready at 2026-11-27T00:51:11Z (earlier: Unhealthy (x3))"),
    ([_warning("FailedMount", "2026-11-27T00:51:08Z"), _warning("BackOff", "2026-11-27T00:52:00Z", 2)], "fail",
     "Warning events: BackOff (x2) (and 1 before the pod became Ready)"),
    ([_warning("FailedMount", "2026-11-27T00:52:00Z")], "fail", "Warning events: FailedMount (x1)"),
    # A probe that failed since but never enough in a row to take the pod out of Ready: named, not a fault.
    ([_warning("Unhealthy", "2026-11-27T00:52:00Z")], "pass",
     "no warnings since the pod became Ready at 2026-11-27T00:51:11Z (since: Unhealthy (x1), too few in a row to "
     "take it out of Ready)"),
    ([_warning("FailedMount", "2026-11-27T00:51:08Z"), _warning("Unhealthy", "2026-11-27T00:52:00Z", 2)], "pass",
     "no warnings since the pod became Ready at 2026-11-27T00:51:11Z (earlier: FailedMount (x1); since: Unhealthy "
     "(x2), too few in a row to take it out of Ready)"),
    ([_warning("Unhealthy", "2026-11-27T00:52:00Z"), _warning("BackOff", "2026-11-27T00:53:00Z")], "fail",
     "Warning events: BackOff (x1)"),
])
def test_warnings_before_ready_are_overcome(warnings, status, summary):
    check = T.check_events(pod("web"), T.summarize_events(warnings, None))
    assert (check["status"], check["summary"]) == (status, summary)
    validate_checks([check])


def test_overcome_warnings_stay_as_evidence_and_only_current_ones_fail():
    mixed = [_warning("FailedMount", "2026-11-27T00:51:08Z"), _warning("BackOff", "2026-11-27T00:52:00Z")]
    check = T.check_events(pod("web"), T.summarize_events(mixed, None))
    assert [e.split(" ")[0] for e in check["evidence"]] == ["BackOff"]
    assert check["details"]["overcome"] == 1 and check["details"]["reasons"] == {"BackOff": 1}
    passed = T.check_events(pod("web"), T.summarize_events(mixed[:1], None))
    assert passed["evidence"][0].startswith("FailedMount x1, last 2026-11-27T00:51:08Z")


def test_warnings_on_a_pod_that_is_not_ready_fail_whenever_they_came():
    not_ready = edit(pod("web"), lambda p: [c.update(status="False") for c in p["status"]["conditions"]
                                            if c["type"] == "Ready"])
    check = T.check_events(not_ready, T.summarize_events([_warning("FailedMount", "2026-11-27T00:51:08Z")], None))
    assert (check["status"], check["summary"]) == ("fail", "Warning events: FailedMount (x1)")
    probe = T.check_events(not_ready, T.summarize_events([_warning("Unhealthy", "2026-11-27T00:52:00Z")], None))
    assert (probe["status"], probe["summary"]) == ("fail", "Warning events: Unhealthy (x1)")
    assert T.ready_since(not_ready) is None and T.ready_since(pod("web")) == "2026-11-27T00:51:11Z"


def test_summarize_events_sorts_and_limits():
    out = T.summarize_events(events("badimage"), 2)
    assert out == T.summarize_events(events("badimage"), None)[-2:]
    assert sorted(e["reason"] for e in out) == ["ErrImageNeverPull", "Failed"]  # the Scheduled event is older
    assert len(T.summarize_events(events("crashy"), None)) == 5
    assert T.summarize_events(events("crashy"), 0) == []
    full = T.summarize_events(events("crashy"), None)
    assert [e["last_time"] for e in full] == sorted(e["last_time"] for e in full)
    scheduled = full[0]
    # "Scheduled" comes from the scheduler in the new events style: eventTime, no count, no source.component.
    assert (scheduled["reason"], scheduled["count"], scheduled["source"]) == ("Scheduled", 1, "default-scheduler")
    assert scheduled["last_time"].startswith("2026-")
    backoff = full[-1] if full[-1]["reason"] == "BackOff" else [e for e in full if e["reason"] == "BackOff"][0]
    assert backoff == {"type": "Warning", "reason": "BackOff", "message": backoff["message"], "count": 32,
                       "first_time": backoff["first_time"], "last_time": backoff["last_time"], "source": "kubelet",
                       "object": "spec.containers{app}"}


def test_event_series_counts_and_times():
    ev = {"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed",
          "eventTime": "2026-11-27T00:50:00.123456Z",
          "series": {"count": 7, "lastObservedTime": "2026-11-27T00:59:00.000001Z"}}
    (out,) = T.summarize_events([ev])
    assert (out["count"], out["last_time"], out["first_time"]) == (7, "2026-11-27T00:59:00.000001Z",
                                                                   "2026-11-27T00:50:00.123456Z")


# --- node ----------------------------------------------------------------------------------------------


def _node_condition(ctype, status, reason, message):
    def change(n):
        for cond in n["status"]["conditions"]:
            if cond["type"] == ctype:
                cond.update(status=status, reason=reason, message=message)
    return change


NODE_CASES = [
    (None, {"node Ready": "pass", "node MemoryPressure": "pass", "node DiskPressure": "pass",
            "node PIDPressure": "pass"}),
    (_node_condition("Ready", "False", "KubeletNotReady", "container runtime network not ready"),
     {"node Ready": "fail"}),
    (_node_condition("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
     {"node Ready": "fail"}),
    (_node_condition("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory"),
     {"node MemoryPressure": "fail", "node Ready": "pass"}),
    (_node_condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure"),
     {"node DiskPressure": "fail"}),
    (_node_condition("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
     {"node PIDPressure": "fail"}),
    (lambda n: n["status"]["conditions"].append({"type": "KernelDeadlock", "status": "True", "reason": "DockerHung",
                                                 "message": "task docker:7 blocked for more than 120 seconds."}),
     {"node KernelDeadlock": "fail"}),
]


@pytest.mark.parametrize("change, expected", NODE_CASES)
def test_node_conditions(change, expected):
    n = edit(node(), change) if change else node()
    checks = T.check_node(pod("web"), T.summarize_node(n))
    assert checks[0]["name"] == "node Ready"
    statuses = dict((c["name"], c["status"]) for c in checks)
    for name, status in expected.items():
        assert statuses[name] == status


def test_node_failure_names_node_and_reason():
    n = edit(node(), _node_condition("MemoryPressure", "True", "KubeletHasInsufficientMemory", "low memory"))
    check = by_name(T.check_node(pod("web"), T.summarize_node(n)))["node MemoryPressure"]
    assert check["summary"] == "node kdebug-lab: MemoryPressure is True (KubeletHasInsufficientMemory: low memory)"
    assert check["details"]["node"] == "kdebug-lab"


def test_node_summary_and_cordon():
    summary = T.summarize_node(edit(node(), lambda n: n["spec"].update(unschedulable=True)))
    assert (summary["name"], summary["ready"], summary["unschedulable"]) == ("kdebug-lab", True, True)
    check = T.check_node(pod("web"), summary)[0]
    assert check["status"] == "pass" and check["summary"].endswith("; cordoned (unschedulable)")
    assert T.summarize_node(None) is None


# --- pod summary, services, containers, log plan --------------------------------------------------------


@pytest.mark.parametrize("name, services", [("web", ["web"]), ("crashy", ["crashy"]), ("multi", [])])
def test_matching_services(name, services):
    assert T.matching_services(load("services-kdebug-demo"), pod(name)["metadata"]["labels"]) == services


def test_summarize_multi():
    summary = T.summarize_pod(pod("multi"), load("services-kdebug-demo"))
    assert [c["name"] for c in summary["containers"]] == ["sidecar", "app"]
    assert summary["default_container"] == "app"
    assert summary["owner"] is None and summary["services"] == []
    assert summary["container_ports"] == [8081]
    assert all(c["state"] == "running" and c["ready"] for c in summary["containers"])


def test_summarize_web_leaves_ephemeral_containers_out():
    p = pod("web")
    summary = T.summarize_pod(p, load("services-kdebug-demo"))
    assert summary["owner"] == {"kind": "ReplicaSet", "name": p["metadata"]["ownerReferences"][0]["name"]}
    assert summary["services"] == ["web"] and summary["container_ports"] == [8080]
    assert [c["name"] for c in summary["containers"]] == ["web"]
    assert summary["ephemeral_containers"] == [c["name"] for c in p["spec"]["ephemeralContainers"]]
    assert (summary["phase"], summary["qos"], summary["node"]) == ("Running", "BestEffort", "kdebug-lab")
    assert T.summarize_pod(p)["services"] is None


def test_summarize_crashy_container():
    (app,) = T.summarize_pod(pod("crashy"))["containers"]
    assert (app["state"], app["reason"], app["ready"], app["restart_count"]) == ("waiting", "CrashLoopBackOff", False, 6)
    assert app["last_termination"] == {"exit_code": 1, "reason": "Error", "message": None,
                                       "finished_at": app["last_termination"]["finished_at"]}
    inits = T.summarize_pod(pod("initfail"))["init_containers"]
    assert inits[0]["name"] == "migrate" and inits[0]["sidecar"] is False
    assert inits[0]["last_termination"]["exit_code"] == 3


def test_select_containers():
    assert T.select_containers(pod("initfail")) == [("init", "migrate"), ("main", "app")]
    assert T.select_containers(pod("initfail"), "migrate") == [("init", "migrate")]
    assert T.select_containers(pod("multi"), "app") == [("main", "app")]
    with pytest.raises(KdebugError, match=r"container nope not found in pod kdebug-demo/multi; it has: sidecar, app"):
        T.select_containers(pod("multi"), "nope")


@pytest.mark.parametrize("name, change, plan", [
    ("web", None, {"web": ["current"]}),
    ("multi", None, {"sidecar": ["current"], "app": ["current"]}),
    ("crashy", None, {"app": ["previous"]}),            # waiting: its last run is the previous log
    ("oom", None, {"app": ["previous"]}),
    ("oom", _oom_now, {"app": ["current", "previous"]}),  # terminated now, restarted before
    ("badimage", None, {}),                             # never started: no log (the API answers 400)
    ("unschedulable", None, {}),
    ("initfail", None, {"migrate": ["previous"]}),
    ("completed", None, {"job": ["current"]}),
    ("web", completed_init, {"web": ["current"]}),     # a completed init container is not read
])
def test_log_plan(name, change, plan):
    p = edit(pod(name), change) if change else pod(name)
    assert T.log_plan(p, T.select_containers(p)) == plan


def test_matching_service_ports():
    ports = T.matching_service_ports(load("services-kdebug-demo"), pod("web")["metadata"]["labels"])
    assert list(ports) == ["web"]
    assert ports["web"] and all(p["protocol"] == "TCP" and isinstance(p["port"], int) for p in ports["web"])
    assert T.matching_service_ports(load("services-kdebug-demo"), pod("multi")["metadata"]["labels"]) == {}


def _static_web(p):
    p["metadata"]["name"] = "static-web-kdebug-lab-w1"
    p["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "0f1e", "kubernetes.io/config.hash": "0f1e",
                                    "kubernetes.io/config.source": "file"}
    p["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": "kdebug-lab-w1",
                                         "uid": "n-1", "controller": True}]
    p["spec"]["nodeName"] = "kdebug-lab-w1"


def _gathered(p):
    return {"pod": p, "errors": {}, "selected": [], "logs": {}, "events": None, "services": None, "node": None}


def test_a_static_pod_is_said_to_be_one_with_its_node():
    static = edit(pod("web"), _static_web)
    summary = T.summarize_pod(static)
    assert summary["static_pod"] == {"node": "kdebug-lab-w1", "source": "file"}
    assert summary["owner"] == {"kind": "Node", "name": "kdebug-lab-w1"}
    checks = by_name(T.build_checks(_gathered(static)))
    check = checks["static pod"]
    assert check["status"] == "pass"
    assert check["summary"].startswith("pod kdebug-demo/static-web-kdebug-lab-w1 is the mirror of a static pod (a "
                                       "manifest the kubelet of node kdebug-lab-w1 runs): ")
    assert "edit or delete the manifest on node kdebug-lab-w1" in check["summary"]
    assert "kubernetes.io/config.source: file" in check["evidence"][0]["text"]
    validate_checks(list(checks.values()))


def test_a_pod_made_through_the_api_has_no_static_pod_check():
    assert T.summarize_pod(pod("web"))["static_pod"] is None
    assert "static pod" not in by_name(T.build_checks(_gathered(pod("web"))))


def test_a_hostnetwork_pod_is_said_to_share_its_nodes_network():
    assert T.summarize_pod(pod("web"))["network"] == "pod"
    assert T.summarize_pod(edit(pod("web"), lambda p: p["spec"].update(hostNetwork=True)))["network"] == "node"


def test_a_pod_stuck_in_init_names_the_init_container_its_exit_code_and_last_log_lines():
    logs = {"migrate": {"current": None, "previous": "connecting\nschema v3 missing\n", "truncated": False}}
    check = T.check_phase(pod("initfail"), logs)
    assert check["details"]["init_blocker"]["name"] == "migrate"
    assert check["details"]["init_blocker"]["crash_looping"] is True
    assert "last log lines: connecting | schema v3 missing" in check["summary"]
    assert check["evidence"][-1]["label"] == "init container migrate log tail"
    assert T.summarize_pod(pod("initfail"))["init_blocker"]["position"] == 1


def test_a_running_init_container_is_named_as_the_one_the_pod_waits_on():
    running = copy.deepcopy(pod("initfail"))
    status = running["status"]["initContainerStatuses"][0]
    status.update(state={"running": {"startedAt": "2026-11-27T01:00:00Z"}}, restartCount=0)
    status.pop("lastState", None)
    check = T.check_phase(running)
    assert "init container migrate (1 of 1) is running: the containers start when it completes" in check["summary"]


def test_probe_failures_while_ready_stay_as_evidence_in_time_order():
    warnings = [_warning("Unhealthy", "2026-11-27T00:55:00Z", 4), _warning("FailedMount", "2026-11-27T00:51:08Z")]
    check = T.check_events(pod("web"), T.summarize_events(warnings, None))
    assert check["status"] == "pass"
    assert [e.split(" ")[0] for e in check["evidence"]] == ["Unhealthy", "FailedMount"]
    assert check["details"]["probe_failures_while_ready"] == {"Unhealthy": 4}
    assert check["details"]["reasons"] == {"FailedMount": 1}
