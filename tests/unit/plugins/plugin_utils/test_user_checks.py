# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import validate_checks
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import user_checks as uc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
TARGET = {"namespace": "kdebug-demo", "pod": "web-0", "container": "web", "node": "lab"}
SOMAXCONN = {"name": "somaxconn", "shell": "cat /proc/sys/net/core/somaxconn", "expect": "to_number(output) >= `1024`",
             "fail_summary": "somaxconn is {value}, below 1024", "next_step": "Raise it."}


def _examples():
    with open(os.path.join(ROOT, "docs", "user-checks.yml")) as f:
        return yaml.safe_load(f)["user_checks"]


def run(definition, stdout="", rc=0, **result):
    [checked] = uc.definitions([definition])
    exec_result = dict({"rc": rc, "stdout": stdout, "stderr": "", "target": TARGET, "duration_ms": 12}, **result)
    check = uc.judge(checked, exec_result)
    validate_checks([check])  # the one check record
    return check


def test_defaults_are_filled_in():
    [checked] = uc.definitions([SOMAXCONN])
    assert (checked["parse"], checked["ok_rc"], checked["chroot"], checked["env"]) == ("text", [0], False, {})
    assert uc.definitions([dict(SOMAXCONN, env={"A": 1, "B": True})])[0]["env"] == {"A": "1", "B": "True"}
    assert uc.definitions(None) == []


@pytest.mark.parametrize("definition, message", [
    ({"shell": "x", "expect": "a"}, r"user check #1: field 'name' is required"),
    ({"name": "n", "expect": "a"}, r"#1 \('n'\): give exactly one of command \(an argv list\) and shell"),
    ({"name": "n", "shell": "x", "command": ["x"], "expect": "a"}, "give exactly one of command"),
    ({"name": "n", "shell": "x"}, r"field 'expect' is required"),
    ({"name": "n", "shell": "x", "expect": "a", "pars": "json"}, r"field 'pars' is not allowed \(allowed: name, "),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "xml"}, r"field 'parse' must be one of text, lines, json"),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "regex"}, r"parse: regex needs a pattern"),
    ({"name": "n", "shell": "x", "expect": "a ==", "parse": "json"}, r"expect is not a valid JMESPath expression"),
    ({"name": "n", "shell": "x", "expect": "a", "show": "[?"}, r"show is not a valid JMESPath expression"),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "regex", "pattern": "("},
     r"pattern is not a valid regular expression"),
    ({"name": "n", "shell": "x", "expect": "a", "timeout": 0}, r"field 'timeout'"),
    ("cat /etc/hosts", r"user check #1 must be a mapping"),
])
def test_bad_definitions_are_named(definition, message):
    with pytest.raises(uc.UserCheckError, match=message):
        uc.definitions([definition])


def test_names_must_differ_and_a_list_is_needed():
    with pytest.raises(uc.UserCheckError, match=r"#2 \('somaxconn'\): another user check has the same name"):
        uc.definitions([SOMAXCONN, SOMAXCONN])
    with pytest.raises(uc.UserCheckError, match="expected a list"):
        uc.definitions(SOMAXCONN)


def test_pass_and_fail_with_own_summaries_and_evidence():
    passed = run(SOMAXCONN, "4096\n")
    assert (passed["status"], passed["summary"]) == ("pass", "to_number(output) >= `1024` holds (4096)")
    assert passed["target"] == TARGET and passed["duration_ms"] == 12
    assert passed["evidence"] == [{"label": "command", "text": SOMAXCONN["shell"]}, {"label": "stdout", "text": "4096\n"}]
    failed = run(SOMAXCONN, "128\n")
    assert (failed["status"], failed["summary"]) == ("fail", "somaxconn is 128, below 1024")
    assert failed["details"]["value"] is False and failed["details"]["next_step"] == "Raise it."


@pytest.mark.parametrize("parse, stdout, expect, status", [
    ("json", '{"status": "UP", "db": {"ok": true}}', "output.status == 'UP' && output.db.ok", "pass"),
    ("json", '{"status": "DOWN"}', "output.status == 'UP'", "fail"),
    ("yaml", "status: UP\nitems: [1, 2]\n", "length(output.items) == `2`", "pass"),
    ("lines", "PATH\n\nHOME\n", "contains(output, 'HOME')", "pass"),
    ("lines", "PATH\n", "contains(output, 'HOME')", "fail"),
    ("text", "  ok \n", "output == 'ok'", "pass"),
    # JMESPath truth: 0 is true, empty things are false
    ("text", "0", "to_number(output)", "pass"),
    ("lines", "", "output", "fail"),
])
def test_parsers_and_truth(parse, stdout, expect, status):
    assert run({"name": "c", "shell": "x", "parse": parse, "expect": expect}, stdout)["status"] == status


def test_regex_gives_the_matches():
    assert uc.parse_output("mtu 1500 x\nmtu 9000", "regex", r"mtu (?P<mtu>\d+)") == [{"mtu": "1500"}, {"mtu": "9000"}]
    assert uc.parse_output("a1 b2", "regex", r"[a-z]\d") == ["a1", "b2"]
    check = run({"name": "mtu", "command": ["ip", "link"], "parse": "regex", "pattern": r"mtu (?P<mtu>\d+)",
                 "expect": "to_number(output[0].mtu) >= `1400`", "show": "output[0].mtu"}, "2: eth0: mtu 1450 qdisc")
    assert check["status"] == "pass" and check["summary"].endswith("(1450)")


@pytest.mark.parametrize("result, summary", [
    ({"rc": 7, "stderr": "curl: (7) Failed to connect\n"}, "the command exited 7: curl: (7) Failed to connect (ok_rc: 0)"),
    ({"timed_out": True, "rc": 124}, "the command did not finish in its timeout"),
    ({"stdout": "not json"}, "the output is not JSON"),
    ({"stdout": "{}"}, None),
])
def test_errors_say_what_kept_the_check_from_deciding(result, summary):
    definition = {"name": "c", "shell": "x", "parse": "json", "expect": "output.a > `1`"}
    check = run(definition, **dict({"rc": 0, "stdout": "{}"}, **result))
    if summary is None:  # a missing key is null: null > 1 is null, a fail
        assert check["status"] == "fail"
    else:
        assert check["status"] == "error" and summary in check["summary"], check["summary"]


def test_an_expression_that_fails_on_the_output_is_an_error():
    check = run({"name": "c", "shell": "x", "expect": "length(output) > `1`", "parse": "json"}, '5')
    assert check["status"] == "error" and "the expression failed on this output" in check["summary"]


def test_ok_rc_makes_an_exit_code_data():
    definition = {"name": "grep", "shell": "grep -q x f", "expect": "rc == `1`", "ok_rc": [0, 1]}
    assert run(definition, rc=1)["status"] == "pass"


def test_a_command_that_did_not_run_is_an_error_with_its_class():
    [checked] = uc.definitions([SOMAXCONN])
    check = uc.judge(checked, {"failed": True, "msg": "pod web-0 is not running", "error_class": "TargetNotRunning"},
                     target={"namespace": "n", "pod": "p"})
    assert (check["status"], check["summary"]) == ("error", "pod web-0 is not running")
    assert check["details"] == {"error_class": "TargetNotRunning"} and check["target"] == {"namespace": "n", "pod": "p"}
    validate_checks([check])


def test_loop_results_and_targets_results():
    checked = uc.definitions([SOMAXCONN, {"name": "two", "shell": "x", "expect": "output"}])
    loop = [dict({"item": checked[0]}, results=[{"rc": 0, "stdout": "4096", "target": TARGET},
                                                {"rc": 0, "stdout": "128", "target": dict(TARGET, pod="web-1")}]),
            {"item": checked[1], "rc": 0, "stdout": "yes", "target": TARGET}]
    checks = uc.results_to_checks(loop)
    assert [(c["name"], c["status"], c["target"]["pod"]) for c in checks] == [
        ("somaxconn", "pass", "web-0"), ("somaxconn", "fail", "web-1"), ("two", "pass", "web-0")]
    with pytest.raises(uc.UserCheckError, match="with its definition as item"):
        uc.results_to_checks([{"rc": 0}])


def test_long_output_is_cut_in_the_evidence_and_summary():
    check = run({"name": "c", "shell": "x", "expect": "output == 'no'"}, "y" * 10000)
    assert len(check["evidence"][1]["text"]) < uc.EVIDENCE_CHARS + 100
    assert check["summary"].endswith("...") and len(check["summary"]) < uc.SHOWN_CHARS + 60


def test_the_shipped_examples_are_valid_and_in_the_docs():
    examples = _examples()
    assert len(uc.definitions(examples)) == 5
    with open(os.path.join(ROOT, "docs", "user-checks.md")) as f:
        page = f.read()
    with open(os.path.join(ROOT, "docs", "user-checks.yml")) as f:
        shipped = f.read()
    assert shipped[shipped.index("user_checks:"):] in page


@pytest.mark.parametrize("name, stdout, status", [
    ("somaxconn is at least 1024", "4096\n", "pass"),
    ("somaxconn is at least 1024", "128\n", "fail"),
    ("the mounted service account token is fresh", '{"age_seconds": 120}\n', "pass"),
    ("the mounted service account token is fresh", '{"age_seconds": 90000}\n', "fail"),
    ("the API server's /version answers the pod", json.dumps({"major": "1", "minor": "34", "gitVersion": "v1.34.2"}),
     "pass"),
    ("KUBERNETES_SERVICE_HOST is in the container's environment", "PATH\nKUBERNETES_SERVICE_HOST\nHOME\n", "pass"),
    ("KUBERNETES_SERVICE_HOST is in the container's environment", "PATH\nHOME\n", "fail"),
    ("eth0's MTU is at least 1400", "2: eth0@if5: <BROADCAST,UP> mtu 1500 qdisc noqueue", "pass"),
])
def test_the_examples_judge_real_shaped_output(name, stdout, status):
    [definition] = [d for d in _examples() if d["name"] == name]
    assert run(definition, stdout)["status"] == status
