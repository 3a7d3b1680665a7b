# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.filter import crashloop, report


def fork_result(**replay):
    """A kdebug_fork replay result shaped like the module's RETURN (values as on the lab's crashy pod)."""
    base = {"status": "ran", "argv": ["sh", "-c", "echo start; exit 1"], "rc": 1, "timed_out": False,
            "duration_ms": 40, "stdout_lines": ["crashy starting"],
            "stderr_lines": ["fatal: config file /etc/crashy/app.conf not found"], "error": None}
    base.update(replay)
    return {"changed": True, "state": "present", "fork": {"name": "kdebug-fork-crashy-abc", "namespace": "kdebug-demo"},
            "source": {"namespace": "kdebug-demo", "pod": "crashy-abc", "container": "app",
                       "last_termination": {"exit_code": 1},
                       "previous_logs": {"lines": ["crashy starting", "fatal: config"]}},
            "changes": ["spec.containers[app]: removed livenessProbe"], "replay": base}


@pytest.mark.parametrize("replay, status, words", [
    ({}, "fail", ["exits 1", "kdebug-fork-crashy-abc", "fatal: config file /etc/crashy/app.conf not found"]),
    ({"rc": 0, "stderr_lines": []}, "pass", ["exits 0"]),
    ({"rc": 124, "timed_out": True}, "pass", ["kept running", "probe"]),
    ({"rc": None, "error": "exec failed: container not found"}, "error", ["container not found"]),
    ({"status": "needs_replay_command", "msg": "the image's ENTRYPOINT is not in the pod spec.", "rc": None},
     "skipped", ["crashloop_replay_command"]),
])
def test_replay_check_statuses(replay, status, words):
    check = crashloop.replay_check(fork_result(**replay), "crashy-abc", "kdebug-demo")
    assert check["status"] == status
    for word in words:
        assert word in check["summary"]
    assert check["target"] == {"namespace": "kdebug-demo", "pod": "crashy-abc", "container": "app"}
    report.validate_checks([check])


def test_evidence_holds_the_command_output_and_previous_logs():
    check = crashloop.replay_check(fork_result(), "crashy-abc", "kdebug-demo")
    labels = [item["label"] for item in check["evidence"]]
    assert labels == ["replayed command", "replay stdout", "replay stderr", "previous run's log (the source pod)"]
    assert check["details"]["rc"] == 1 and check["details"]["fork"] == "kdebug-fork-crashy-abc"


@pytest.mark.parametrize("failed", [True, False])  # failed_when: false leaves failed false
def test_a_failed_fork_is_an_error_naming_the_pod(failed):
    result = {"failed": failed, "changed": False, "msg": "pod nope not found in namespace x"}
    check = crashloop.replay_check(result, "nope", "x", None)
    assert check["status"] == "error" and "x/nope" in check["summary"] and "not found" in check["summary"]
    assert check["target"] == {"namespace": "x", "pod": "nope", "container": None}
    report.validate_checks([check])


@pytest.mark.parametrize("removal, status, word", [
    ({"changed": True, "state": "absent", "fork": {"name": "kdebug-fork-crashy-abc"}}, "pass",
     "kdebug-fork-crashy-abc removed"),
    ({"changed": False, "state": "absent", "fork": None}, "pass", "no fork was left"),
    ({"skipped": True}, "skipped", "kept"),
    ({"failed": True, "msg": "not allowed to delete pods"}, "error", "not allowed to delete pods"),
    ({"failed": False, "msg": "not allowed to delete pods"}, "error", "not allowed to delete pods"),
])
def test_removal_check(removal, status, word):
    checks = crashloop.crashloop_checks(fork_result(), removal, pod="crashy-abc", namespace="kdebug-demo")
    assert [c["name"] for c in checks] == [crashloop.REPLAY_CHECK, crashloop.REMOVAL_CHECK]
    assert checks[1]["status"] == status and word in checks[1]["summary"]
    report.validate_checks(checks)


def test_without_a_removal_result_only_the_replay_check():
    assert len(crashloop.crashloop_checks(fork_result(), pod="crashy-abc", namespace="kdebug-demo")) == 1


def test_an_init_container_replay_names_it_and_a_fork_beside_the_source_says_it_shared_its_network():
    result = dict(fork_result(rc=3), held={"container": "migrate", "kind": "init"},
                  placement={"host_network": True, "node": "n1", "shares_network_with_source": True})
    check = crashloop.replay_check(result, "crashy-abc", "kdebug-demo")
    assert "the crash reproduces: init container migrate exits 3" in check["summary"]
    assert "ran beside the source on node n1, sharing its network" in check["summary"]
    assert check["details"]["placement"]["node"] == "n1"
    report.validate_checks([check])
