# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pytest

from ansible_collections.kdebug.toolkit.plugins.action.report_write import FILE_NAMES, render
from ansible_collections.kdebug.toolkit.plugins.filter import report

CHECKS = report.validate_checks([
    {"name": "dns", "status": "fail", "summary": "10.244.0.253 does not answer", "target": {"pod": "p"}},
    {"name": "net", "status": "pass", "summary": "ok ✓"},
])


def test_json_holds_name_title_summary_and_the_checks():
    document = json.loads(render("json", CHECKS, "r1", "title", "2026-11-27T00:00:00Z"))
    assert document["name"] == "r1" and document["title"] == "title"
    assert document["summary"] == report.check_summary(CHECKS)
    assert document["checks"] == CHECKS
    assert "ok ✓" in render("json", CHECKS, "r1", "title", "x")  # not escaped to \\u2713


def test_other_formats_are_the_filters_output():
    assert render("markdown", CHECKS, "r1", "t", "g") == report.render_markdown(CHECKS, title="t", generated="g")
    assert render("html", CHECKS, "r1", "t", "g") == report.render_html(CHECKS, title="t", generated="g")
    assert render("junit", CHECKS, "r1", "t", "g") == report.render_junit(CHECKS, title="t", generated="g")
    assert sorted(FILE_NAMES) == ["html", "json", "junit", "markdown"]


def test_one_view_serves_every_format_unchanged():
    view = report.report_view(report.validate_checks(CHECKS))
    for fmt in ("junit", "html", "markdown", "junit"):  # junit first and again: it must not change the view
        assert render(fmt, CHECKS, "r1", "t", "g", view) == render(fmt, CHECKS, "r1", "t", "g")


def test_identity_defaults_follow_the_time_and_name(tmp_path, monkeypatch):
    import datetime
    from ansible_collections.kdebug.toolkit.plugins.action.report_write import report_identity
    monkeypatch.chdir(tmp_path)
    now = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert report_identity(now=now) == ("kdebug-report-20260101T120000Z", "kdebug report kdebug-report-20260101T120000Z",
                                        "2026-01-01T12:00:00Z", str(tmp_path / "reports" / "kdebug-report-20260101T120000Z"))
    name, title, generated, dest = report_identity("web", "", "2026-11-27T00:00:00Z", "~/out", now=now)
    assert (name, title, generated) == ("web", "kdebug report web", "2026-11-27T00:00:00Z")
    assert dest == os.path.realpath(os.path.expanduser("~/out"))


def test_summary_lines_say_the_verdict_then_problems_then_files():
    lines = report.summary_lines("r1", report.check_summary(CHECKS), ["/tmp/r1/report.json"])
    assert lines[:2] == ["r1: BROKEN: 10.244.0.253 does not answer", "2 checks: 1 pass, 1 fail, 0 error, 0 skipped"]
    assert lines[2].startswith("next: ")
    assert lines[3:] == ["STATUS | CHECK | TARGET | SUMMARY",
                         "FAIL | dns | p | 10.244.0.253 does not answer",
                         "files: /tmp/r1/report.json"]
    passing = report.check_summary(CHECKS[1:])
    assert report.summary_lines("r2", passing) == ["r2: HEALTHY: all 1 checks that ran pass",
                                                   "1 checks: 1 pass, 0 fail, 0 error, 0 skipped", "files: "]
    handoff = [{"what": "debug container d of ns/p", "command": "kubectl exec -it -n ns p -c d -- sh", "hint": ""}]
    assert report.summary_lines("r3", passing, [], handoff)[-2:] == [
        "by hand (debug container d of ns/p): kubectl exec -it -n ns p -c d -- sh", "files: "]


def test_templates_option_refuses_an_unknown_format_and_keeps_absolute_paths(tmp_path):
    import pytest
    from ansible.errors import AnsibleError
    from ansible_collections.kdebug.toolkit.plugins.action.report_write import ActionModule
    action = ActionModule.__new__(ActionModule)  # _templates needs no task or loader for these cases
    with pytest.raises(AnsibleError, match=r"unknown format pdf \(choose from html, junit, markdown\)"):
        action._templates({"pdf": "x.j2"})
    mine = str(tmp_path / "mine.md.j2")
    assert action._templates({"markdown": mine, "html": ""}) == {"markdown": mine}


@pytest.mark.parametrize("name, directory", [
    ("diagnose-default-web-20260101T120000Z", "diagnose-default-web-20260101T120000Z"),
    ("diagnose-default-../../../../tmp/x-20260101T120000Z", "diagnose-default-.._.._.._.._tmp_x-20260101T120000Z"),
    ("../../etc", "_.._etc"),
    ("..", "report"),
    ("/abs/path", "_abs_path"),
    ("a\nb\u00e9", "a_b_"),
])
def test_the_default_directory_stays_under_reports(tmp_path, monkeypatch, name, directory):
    """-e pod=../../../../tmp/x: the report goes under ./reports, in one directory, never outside it."""
    from ansible_collections.kdebug.toolkit.plugins.action.report_write import report_identity
    monkeypatch.chdir(tmp_path)
    returned, _title, _generated, dest = report_identity(name, generated="2026-01-01T12:00:00Z")
    assert returned == name
    assert dest == str(tmp_path / "reports" / directory)
    assert os.path.dirname(dest) == str(tmp_path / "reports")
