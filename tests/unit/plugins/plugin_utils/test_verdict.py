# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import make_check
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import verdict

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
POD = {"namespace": "kdebug-demo", "pod": "crashy-1", "container": "app", "node": "lab"}


def _crashy():
    """The checks of a diagnose run on the lab's crashy pod, in the order the runbooks made them."""
    return [
        make_check("pod phase", "pass", "Running on node kdebug-lab", POD),
        make_check("pod condition Ready", "fail", "Ready is False (ContainersNotReady)", POD),
        make_check("container app state", "fail", "terminated: Error, exit code 1", POD),
        make_check("container app last termination", "fail", "exit code 1 (Error)", POD),
        make_check("pod events", "fail", "Warning events: BackOff (x4)", POD),
        make_check("node Ready", "pass", "node lab: Ready is True", {"node": "lab"}),
        make_check("crash reproduced in a fork", "fail",
                   "the crash reproduces: fatal: config file /etc/crashy/app.conf not found", POD),
        make_check("fork removed", "pass", "fork removed", POD),
    ]


def test_the_deeper_runbook_is_the_cause_and_comes_first():
    checks = _crashy()
    found = verdict.verdict(checks)
    assert found["verdict"] == "broken"
    assert found["cause"] == "the crash reproduces: fatal: config file /etc/crashy/app.conf not found"
    assert found["cause_check"] == {"name": "crash reproduced in a fork", "status": "fail"}
    assert found["next_steps"][0].startswith("Fix what the replayed command printed")
    assert "kubectl -n kdebug-demo logs crashy-1 -c app --previous" in found["next_steps"][1]
    assert len(found["next_steps"]) == len(set(found["next_steps"]))
    names = [c["name"] for c in verdict.order_checks(checks)]
    assert names == ["crash reproduced in a fork", "container app last termination", "container app state",
                     "pod events", "pod condition Ready", "pod phase", "node Ready", "fork removed"]


def test_among_symptoms_the_last_termination_explains_most():
    checks = [c for c in _crashy() if c["name"] != "crash reproduced in a fork"]
    assert verdict.verdict(checks)["cause"] == "exit code 1 (Error)"


@pytest.mark.parametrize("statuses, state", [
    ([], "could not tell"),
    (["skipped"], "could not tell"),
    (["pass", "skipped"], "healthy"),
    (["pass", "error"], "could not tell"),
    (["error", "fail", "pass"], "broken"),
])
def test_verdict(statuses, state):
    checks = [make_check("c%d" % i, s, "summary %d" % i) for i, s in enumerate(statuses)]
    assert verdict.verdict(checks)["verdict"] == state


def test_no_failure_but_an_error_names_it():
    checks = [make_check("ok", "pass", "fine"),
              make_check("DNS nameserver", "error", "could not join the pod", details={"error_class": "ApiDenied"})]
    found = verdict.verdict(checks)
    assert found["cause"] == "DNS nameserver could not run: could not join the pod"
    assert found["next_steps"] == [verdict.DENIED_STEP]


def test_healthy_and_empty_causes():
    assert verdict.verdict([make_check("a", "pass", "x")])["cause"] == "all 1 checks that ran pass"
    assert verdict.verdict([])["cause"] == "no check could run"
    assert verdict.verdict([])["next_steps"] == []


def test_a_checks_own_next_step_wins():
    check = make_check("DNS nameserver 10.0.0.1", "fail", "no answer", details={"next_step": "  Restart it.  "})
    assert verdict.next_step(check) == "Restart it."
    assert verdict.next_step(make_check("mine", "fail", "x")) == verdict.FAIL_STEP.format(name="mine")
    assert verdict.next_step(make_check("mine", "error", "x")) == verdict.ERROR_STEP.format(name="mine")


def test_at_most_five_steps():
    checks = [make_check("c%d" % i, "fail", "s", details={"next_step": "step %d" % i}) for i in range(9)]
    assert verdict.verdict(checks)["next_steps"] == ["step %d" % i for i in range(verdict.MAX_STEPS)]


def _fleet(n_pods=6):
    checks = []
    for i in range(n_pods):
        ns = "shop" if i % 2 else "web"
        target = {"namespace": ns, "pod": "p%d" % i, "container": "app", "node": "node-%d" % (i % 3)}
        bad = i in (1, 3, 4)
        checks.append(make_check("DNS nameserver 10.96.0.10", "fail" if bad else "pass",
                                 "no answer from %d" % i if bad else "answers", target))
        checks.append(make_check("routes", "error" if i == 5 else "pass", "r", target))
    checks.append(make_check("node Ready", "fail", "node-9 not ready", {"node": "node-9"}))
    return checks


def test_fleet_groups_count_per_namespace_and_node():
    groups, healthy, targets = verdict.fleet_groups(_fleet())
    assert targets == 6 and healthy == ["web/p0", "web/p2"]
    assert [(g["status"], g["name"], g["count"]) for g in groups] == [
        ("fail", "DNS nameserver 10.96.0.10", 3), ("fail", "node Ready", 1), ("error", "routes", 1)]
    dns = groups[0]
    assert dns["summary"] == "no answer from 1" and dns["targets"] == ["shop/p1", "shop/p3", "web/p4"]
    assert dns["namespaces"] == [{"name": "shop", "count": 2}, {"name": "web", "count": 1}]
    assert dns["nodes"] == [{"name": "node-1", "count": 2}, {"name": "node-0", "count": 1}]
    assert groups[1]["targets"] == ["node/node-9"] and groups[1]["nodes"] == [{"name": "node-9", "count": 1}]
    json.dumps(groups)


def test_fleet_cause_counts_the_targets_and_one_step_per_check():
    found = verdict.verdict(_fleet())
    assert found["cause"] == "no answer from 1 (and the same check in 2 more of 6 targets)"
    assert len(found["next_steps"]) == 3 and "kubectl -n shop get pod p1 -o yaml" in found["next_steps"][0]


def test_one_pod_is_no_fleet():
    assert verdict.fleet_groups(_crashy())[2] == 1


def test_every_next_step_rule_formats():
    for _pattern, step in verdict.NEXT_STEPS:
        step.format(ns="n", pod="p", container="c", node="x")
