# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

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
