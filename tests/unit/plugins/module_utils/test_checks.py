# -*- coding: utf-8 -*-
"""The check record: make_check, error_check, and validation with jsonschema against CHECK_SCHEMA."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import jsonschema
import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import checks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
GOOD = {"name": "first", "status": "pass", "summary": "fine"}

# (check, field named in the error)
BAD = [
    ({"status": "pass", "summary": "s"}, "name"),
    ({"name": "", "status": "pass", "summary": "s"}, "name"),
    ({"name": "  ", "status": "pass", "summary": "s"}, "name"),
    ({"name": 3, "status": "pass", "summary": "s"}, "name"),
    ({"name": "c", "summary": "s"}, "status"),
    ({"name": "c", "status": "ok", "summary": "s"}, "status"),
    ({"name": "c", "status": "PASS", "summary": "s"}, "status"),
    ({"name": "c", "status": "pass"}, "summary"),
    ({"name": "c", "status": "pass", "summary": ["a"]}, "summary"),
    ({"name": "c", "status": "pass", "summary": "s", "details": "text"}, "details"),
    ({"name": "c", "status": "pass", "summary": "s", "details": [1]}, "details"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": "text"}, "evidence"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [1]}, "evidence[0]"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [{"label": "l"}]}, "evidence[0]"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [{"label": "l", "text": "t", "path": "p"}]},
     "evidence[0]"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": ["ok", {"label": "", "text": "t"}]},
     "evidence[1].label"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [{"text": 5}]}, "evidence[0].text"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [{"text": "t", "url": "u"}]}, "evidence[0].url"),
    ({"name": "c", "status": "pass", "summary": "s", "target": 5}, "target"),
    ({"name": "c", "status": "pass", "summary": "s", "target": None}, "target"),
    ({"name": "c", "status": "pass", "summary": "s", "target": {"pod": ["x"]}}, "target.pod"),
    ({"name": "c", "status": "pass", "summary": "s", "target": {"pid": 1.5}}, "target.pid"),
    ({"name": "c", "status": "pass", "summary": "s", "duration_ms": -1}, "duration_ms"),
    ({"name": "c", "status": "pass", "summary": "s", "duration_ms": "5"}, "duration_ms"),
    ({"name": "c", "status": "pass", "summary": "s", "duration_ms": True}, "duration_ms"),
    ({"name": "c", "status": "pass", "summary": "s", "detail": {}}, "detail"),
]

VALID = [
    GOOD,
    {"name": "dns", "status": "fail", "summary": "", "details": {"rc": 9, "nested": {"a": [1, None]}},
     "evidence": ["raw", {"text": "t"}, {"label": "l", "text": "t"}, {"label": "capture", "path": "/tmp/x.pcap"}],
     "target": {"namespace": "ns", "pod": "p", "container": None, "node": "n", "pid": 4}, "duration_ms": 1.5},
    {"name": "web", "status": "skipped", "summary": "s", "target": "kdebug-demo/web", "duration_ms": 0},
]


def test_docs_schema_is_the_code_schema():
    with open(os.path.join(ROOT, "docs", "check.schema.json")) as handle:
        assert json.load(handle) == checks.CHECK_SCHEMA
    jsonschema.Draft202012Validator.check_schema(checks.CHECK_SCHEMA)


@pytest.mark.parametrize("check, field", BAD, ids=[field for _check, field in BAD])
def test_an_invalid_check_names_its_position_name_and_field(check, field):
    with pytest.raises(checks.CheckError) as err:
        checks.validate_checks([GOOD, check])
    msg = str(err.value)
    assert msg.startswith("invalid check result: check #2")
    assert "field '%s'" % field in msg, msg
    if isinstance(check.get("name"), str) and check["name"].strip():
        assert "check #2 (%r)" % check["name"] in msg


@pytest.mark.parametrize("check, message", [
    ({"name": "c", "status": "ok", "summary": "s"}, "field 'status' must be one of pass, fail, error, skipped, got 'ok'"),
    ({"status": "pass", "summary": "s"}, "field 'name' is required"),
    ({"name": "c", "status": "pass", "summary": "s", "detail": {}}, "field 'detail' is not allowed (allowed: name,"),
    ({"name": "c", "status": "pass", "summary": "s", "evidence": [{"label": "l"}]},
     "field 'evidence[0]' must have exactly one of text or path"),
])
def test_messages_say_what_is_wrong(check, message):
    with pytest.raises(checks.CheckError) as err:
        checks.validate_checks([check])
    assert str(err.value).startswith("invalid check result: check #1") and message in str(err.value)


def test_valid_checks_are_normalised_copies():
    out = checks.validate_checks(VALID)
    assert out[0] == dict(GOOD, details={}, evidence=[])
    assert out[1]["evidence"][:2] == [{"text": "raw"}, {"text": "t"}]
    assert out[1]["target"] == VALID[1]["target"] and out[1]["target"] is not VALID[1]["target"]
    assert "target" not in out[0] and "duration_ms" not in out[0]
    assert checks.validate_checks(out) == out
    assert checks.validate_checks(None) == [] and checks.validate_checks([]) == []


@pytest.mark.parametrize("value", ["a string", {"name": "x"}, 5])
def test_not_a_list(value):
    with pytest.raises(checks.CheckError, match="expected a list of checks, got"):
        checks.validate_checks(value)


def test_a_check_that_is_not_a_mapping():
    with pytest.raises(checks.CheckError, match=r"check #1 must be a mapping, got str"):
        checks.validate_checks(["dns"])


def test_make_check_builds_a_valid_record():
    assert checks.make_check("c", "pass", "s") == {"name": "c", "status": "pass", "summary": "s", "details": {},
                                                   "evidence": []}
    check = checks.make_check("c", "fail", "s", {"pod": "p"}, {"rc": 1}, ["out"], 12.6)
    assert check == {"name": "c", "status": "fail", "summary": "s", "target": {"pod": "p"}, "details": {"rc": 1},
                     "evidence": ["out"], "duration_ms": 13}
    assert checks.make_check("c", "pass", "s", duration_ms=-3)["duration_ms"] == 0
    checks.validate_checks([check])


def test_error_check_carries_the_failure_class():
    result = {"failed": False, "msg": "pods \"x\" is forbidden", "error_class": "ApiDenied", "denied_by": "rbac",
              "denial": {"verb": "get"}, "exception": "ignored"}
    check = checks.error_check(result, "pod triage", {"namespace": "ns", "pod": "x"})
    assert check == {"name": "pod triage", "status": "error", "summary": "pods \"x\" is forbidden",
                     "target": {"namespace": "ns", "pod": "x"},
                     "details": {"error_class": "ApiDenied", "denied_by": "rbac", "denial": {"verb": "get"}},
                     "evidence": []}
    assert checks.error_check({}, "t")["summary"] == "the module failed without a message"
    assert checks.error_check(None, "t", default="no result")["summary"] == "no result"
    checks.validate_checks([check])


def test_without_jsonschema_validation_says_what_to_install(monkeypatch):
    monkeypatch.setattr(checks, "HAS_JSONSCHEMA", False)
    monkeypatch.setattr(checks, "_VALIDATOR", [])
    with pytest.raises(checks.CheckError, match="needs the jsonschema Python library"):
        checks.validate_checks([GOOD])
    assert checks.make_check("c", "pass", "s")["status"] == "pass"


def test_with_access_says_how_the_probe_reached_the_target_on_every_check():
    result = {"strategy": "ephemeral", "strategy_reason": "namespace shop enforces PodSecurity restricted",
              "debug_container": {"profile": "restricted", "cannot": ["ptrace", "net_raw"], "name": "kdebug-1"}}
    made = [checks.make_check("a", "pass", "ok", None, {"rc": 0}), checks.make_check("b", "fail", "no", None)]
    out = checks.with_access(made, result)
    access = {"strategy": "ephemeral", "strategy_reason": "namespace shop enforces PodSecurity restricted",
              "profile": "restricted", "cannot": ["ptrace", "net_raw"]}
    assert [c["details"] for c in out] == [{"rc": 0, "access": access}, {"access": access}]
    checks.validate_checks(out)


def test_with_access_of_the_agent_has_no_profile_and_of_nothing_adds_nothing():
    made = [checks.make_check("a", "pass", "ok", None)]
    assert checks.with_access(made, {"strategy": "agent", "strategy_reason": "r", "debug_container": None})[0][
        "details"] == {"access": {"strategy": "agent", "strategy_reason": "r"}}
    assert checks.with_access([checks.make_check("a", "pass", "ok", None)], {})[0]["details"] == {}
