# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import report

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

CHECKS = [
    {"name": "dns", "status": "fail", "summary": "nameserver 10.0.0.9 does not answer",
     "target": {"namespace": "kdebug-demo", "pod": "dns-broken", "container": "app"},
     "details": {"nameserver": "10.0.0.9", "rc": 9},
     "evidence": ["timed out \x1b[31mred\x00", {"label": "resolv.conf", "text": "nameserver 10.0.0.9\n"},
                  {"label": "capture", "path": "/tmp/dns.pcap"}],
     "duration_ms": 1500},
    {"name": "web", "status": "pass", "summary": "HTTP 200", "target": "kdebug-demo/web"},
    {"name": "<script>alert('x')</script>", "status": "error", "summary": "exec <b>failed</b> & more",
     "target": {"node": "lab-node"}, "details": {"html": "<script>bad()</script>"}},
    {"name": "naïve ✓ 検査", "status": "skipped", "summary": "не применимо"},
    {"name": "web again", "status": "fail", "summary": "pipe | in ```summary```\nsecond line",
     "target": "kdebug-demo/web"},
]


def test_valid_checks_normalise():
    out = report.validate_checks(CHECKS)
    assert [c["name"] for c in out] == [c["name"] for c in CHECKS]
    assert out[1]["details"] == {} and out[1]["evidence"] == []
    assert out[0]["evidence"][0] == {"text": "timed out \x1b[31mred\x00"}
    assert out[0]["evidence"][2] == {"label": "capture", "path": "/tmp/dns.pcap"}
    assert report.validate_checks(out) == out  # idempotent
    assert report.validate_checks([]) == [] and report.validate_checks(None) == []
    json.dumps(out)


def test_invalid_check_is_a_filter_error_naming_the_check_and_field():
    with pytest.raises(AnsibleFilterError, match=r"check #2 \('c'\): field 'evidence\[0\].label'"):
        report.validate_checks([CHECKS[1], {"name": "c", "status": "pass", "summary": "s",
                                            "evidence": [{"label": "", "text": "t"}]}])


@pytest.mark.parametrize("value", ["a string", {"name": "x"}, 5])
def test_not_a_list(value):
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        report.validate_checks(value)


def test_non_mapping_check():
    with pytest.raises(AnsibleFilterError, match="check #1 must be a mapping"):
        report.validate_checks(["dns"])


def test_summary():
    s = report.check_summary(CHECKS)
    assert (s["status"], s["total"], s["pass"], s["fail"], s["error"], s["skipped"]) == ("fail", 5, 1, 2, 1, 1)
    # failures first, then errors
    assert [(p["name"], p["status"], p["target"]) for p in s["problems"]] == [
        ("dns", "fail", "kdebug-demo/dns-broken/app"),
        ("web again", "fail", "kdebug-demo/web"),
        ("<script>alert('x')</script>", "error", "node/lab-node"),
    ]
    assert s["verdict"] == "broken"
    assert s["cause"] == "nameserver 10.0.0.9 does not answer"
    assert s["next_steps"] and len(s["next_steps"]) <= 5


@pytest.mark.parametrize("statuses, overall", [
    ([], "skipped"),
    (["skipped"], "skipped"),
    (["pass", "skipped"], "pass"),
    (["pass", "error"], "error"),
    (["error", "fail", "pass"], "fail"),
])
def test_overall_status(statuses, overall):
    checks = [{"name": "c%d" % i, "status": s, "summary": ""} for i, s in enumerate(statuses)]
    assert report.check_summary(checks)["status"] == overall


@pytest.mark.parametrize("target, label", [
    (None, ""), ("x/y", "x/y"), ({"namespace": "ns", "pod": "p"}, "ns/p"),
    ({"namespace": "ns", "pod": "p", "container": "c", "node": "n"}, "ns/p/c"), ({"node": "n"}, "node/n"),
    ({"container": "docker-thing"}, "docker-thing"),
])
def test_target_label(target, label):
    assert report.target_label(target) == label


def test_html_escapes_and_orders():
    html = report.render_html(CHECKS, title="T <i>x</i>", generated="2026-01-01T00:00:00Z")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html and "<b>failed</b>" not in html and "<i>x</i>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "exec &lt;b&gt;failed&lt;/b&gt; &amp; more" in html
    assert "naïve ✓ 検査" in html and "не применимо" in html
    # self-contained: inline CSS only, no external references
    assert "<style>" in html
    assert not re.search(r"""(src|href)=["'](?!#)""", html)
    assert "<link" not in html
    # the verdict first, then the table of problems and their sections, then the rest folded in <details>
    verdict, problems, others = html.index('id="verdict"'), html.index('id="summary"'), html.index('id="others"')
    assert verdict < html.index('id="cause"') < html.index('id="next-steps"') < problems < others
    assert html.index('<p class="verdict-word" id="verdict-word">broken</p>') > verdict
    order = [0, 4, 2, 1, 3]  # fail, fail, error, pass, skipped
    rows = [html.index('<tr class="row-%s"><td><a href="#check-%d">' % (CHECKS[n]["status"], n + 1)) for n in order]
    sections = [html.index('<section class="check check-%s" id="check-%d">' % (CHECKS[n]["status"], n + 1))
                for n in order]
    assert rows[:3] == sorted(rows[:3]) and problems < rows[0] and rows[2] < sections[0] < sections[1] < sections[2]
    assert sections[2] < others < rows[3] < rows[4] < sections[3] < sections[4]
    assert html.rindex("</details>") > sections[4]
    for status in report.STATUSES:
        assert ".status-%s" % status in html
    assert "\x1b" not in html and "\x00" not in html
    assert "/tmp/dns.pcap" in html and "nameserver 10.0.0.9" in html


def test_html_empty():
    html = report.render_html([])
    assert "No checks." in html and "kdebug report" in html
    assert ">could not tell</p>" in html and "No check failed or errored." in html


def test_markdown():
    md = report.render_markdown(CHECKS, title="Runbook", generated="now")
    lines = md.splitlines()
    assert lines[0] == "# Runbook"
    assert lines[4] == "**Verdict: BROKEN**: nameserver 10.0.0.9 does not answer"
    assert lines.index("Next steps:") < lines.index("## Failures and errors (3)") < lines.index("## Passed and skipped (2)")
    head = lines.index("| Check | Target | Status | Summary |")
    assert head > lines.index("## Failures and errors (3)")
    assert lines[head + 1] == "| --- | --- | --- | --- |"
    rows = lines[head + 2:head + 5]
    rest = lines.index("| Check | Target | Status | Summary |", head + 1)
    assert rest > lines.index("## Passed and skipped (2)")
    rows += lines[rest + 2:rest + 4]
    assert all(r.startswith("| ") and r.endswith(" |") for r in rows)
    # one row per check: escaped pipes and newlines do not add cells
    assert all(len(re.split(r"(?<!\\)\|", r)) == 6 for r in rows)
    assert [r.split("**")[1] for r in rows] == ["FAIL", "FAIL", "ERROR", "PASS", "SKIPPED"]
    # raw HTML only inside fenced code blocks (shown literally), escaped everywhere else
    outside = re.sub(r"(?ms)^ *(`{3,})\n.*?^ *\1$", "", md)
    assert "<script>" not in outside and "<b>" not in outside and "&lt;script&gt;" in outside
    assert '"html": "<script>bad()</script>"' in md
    assert "pipe \\| in" in rows[1] and "<br>" in rows[1]
    assert "naïve ✓ 検査" in md
    assert '"nameserver": "10.0.0.9"' in md
    assert "file `/tmp/dns.pcap`" in md
    assert lines[head - 1] == ""
    # two targets: the problems grouped, the healthy ones listed last
    assert "## Problems across 2 targets" in md and md.index("## Healthy targets (0)") > rest


def test_markdown_fence_outlasts_backticks():
    md = report.render_markdown([{"name": "c", "status": "pass", "summary": "",
                                  "evidence": ["a ```` b"]}])
    assert "`````\n  a ```` b\n  `````" in md


def _junit(checks, **kw):
    return ET.fromstring(report.render_junit(checks, **kw).encode("utf-8"))


def test_junit_counts_and_structure():
    root = _junit(CHECKS, title="Runbook", generated="2026-01-01T00:00:00Z")
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("5", "2", "1", "1")
    assert len(root.findall(".//testcase")) == 5
    assert len(root.findall(".//testcase/failure")) == 2
    assert len(root.findall(".//testcase/error")) == 1
    assert len(root.findall(".//testcase/skipped")) == 1
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == sorted(["kdebug-demo/dns-broken/app", "kdebug-demo/web", "node/lab-node", "Runbook"])
    web = suites["kdebug-demo/web"]
    assert (web.get("tests"), web.get("failures")) == ("2", "1")
    dns = suites["kdebug-demo/dns-broken/app"].find("testcase")
    assert dns.get("name") == "dns" and dns.get("time") == "1.500"
    failure = dns.find("failure")
    assert failure.get("message") == "nameserver 10.0.0.9 does not answer"
    assert '"rc": 9' in failure.text and "resolv.conf" in failure.text and "/tmp/dns.pcap" in failure.text
    assert "timed out [31mred" in failure.text  # control characters dropped
    err = suites["node/lab-node"].find("testcase")
    assert err.get("name") == "<script>alert('x')</script>"
    assert err.find("error").get("message") == "exec <b>failed</b> & more"
    assert suites["Runbook"].find("testcase").get("name") == "naïve ✓ 検査"


def test_junit_empty():
    root = _junit([])
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_renderers_reject_bad_checks():
    for render in (report.render_html, report.render_markdown, report.render_junit, report.check_summary):
        with pytest.raises(AnsibleFilterError, match=r"check #1 \('x'\): field 'status'"):
            render([{"name": "x", "status": "green", "summary": ""}])


def test_filter_module_exports():
    names = set(report.FilterModule().filters())
    assert names == {"validate_checks", "check_summary", "render_markdown", "render_html", "render_junit", "handoff"}
    for name in names:
        assert os.path.exists(os.path.join(ROOT, "plugins", "filter", name + ".yml"))


def test_default_templates_are_the_report_roles_files():
    assert os.path.samefile(report.TEMPLATE_DIR, os.path.join(ROOT, "roles", "report", "templates"))
    assert sorted(os.listdir(report.TEMPLATE_DIR)) == ["report.html.j2", "report.junit.xml.j2", "report.md.j2"]
    for fmt in ("markdown", "html", "junit"):
        assert report.template_path(fmt) == os.path.join(report.TEMPLATE_DIR, report.TEMPLATE_FILES[fmt])
        # the role's file given explicitly renders exactly what the default does
        render = getattr(report, "render_" + fmt)
        assert render(CHECKS, title="t", template=report.template_path(fmt)) == render(CHECKS, title="t")


def test_own_template(tmp_path):
    mine = tmp_path / "mine.html.j2"
    mine.write_text(u"<h1>{{ title }}</h1>{% for c in checks %}<p id={{ c.anchor }}>{{ c.name }}: {{ c.status }}"
                    u"</p>{% endfor %}", encoding="utf-8")
    html = report.render_html(CHECKS[2:4], title="<T>", template=str(mine))
    assert html == (u"<h1>&lt;T&gt;</h1><p id=check-1>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;: error</p>"
                    u"<p id=check-2>naïve ✓ 検査: skipped</p>")  # autoescaped like the role's
    # an edited template is read again
    mine.write_text(u"{{ summary.total }} checks, {{ summary.status }}", encoding="utf-8")
    os.utime(str(mine), (1, 1))
    assert report.render_html(CHECKS, template=str(mine)) == "5 checks, fail"
    junit = tmp_path / "j.xml.j2"
    junit.write_text(u"{% for s in suites %}{{ s.name }}={{ s.summary.total }};{% endfor %}", encoding="utf-8")
    assert report.render_junit(CHECKS, title="R", template=str(junit)) == \
        "kdebug-demo/dns-broken/app=1;kdebug-demo/web=2;node/lab-node=1;R=1;"


@pytest.mark.parametrize("source, message", [
    (None, "cannot read the markdown report template"),
    (u"{% for c in checks %}", "has a syntax error on line 1"),
    (u"{{ checks[0].no_such_field }}", "failed: "),
])
def test_template_errors_name_the_file(tmp_path, source, message):
    path = tmp_path / "bad.md.j2"
    if source is not None:
        path.write_text(source, encoding="utf-8")
    with pytest.raises(AnsibleFilterError) as err:
        report.render_markdown(CHECKS, template=str(path))
    assert message in str(err.value) and str(path) in str(err.value)


def test_unknown_format():
    with pytest.raises(AnsibleFilterError, match="unknown report format 'pdf'"):
        report.render_view("pdf", [])


@pytest.mark.parametrize("entries", [["x"], [{"what": "a"}], [{"what": "a", "command": ""}], [{"command": 5}]])
def test_a_bad_handoff_entry_is_named(entries):
    with pytest.raises(AnsibleFilterError, match=r"invalid hand-off entry #1"):
        report.render_markdown([], handoff=entries)


def test_handoff_is_shown_under_the_verdict():
    entry = {"what": "debug container d of ns/p", "command": "kubectl exec -it -n ns p -c d -- sh", "hint": "chroot"}
    md = report.render_markdown(CHECKS, handoff=[entry])
    assert md.index("**Verdict:") < md.index("## Continue by hand") < md.index(entry["command"]) < \
        md.index("## Failures and errors")
    assert report.validate_handoff([dict(entry, hint=None)])[0]["hint"] == ""
