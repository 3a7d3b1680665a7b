# -*- coding: utf-8 -*-
"""Runs the kdebug.toolkit.report role for real (ansible-playbook, localhost) and checks the files it writes."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kdebug.toolkit.plugins.filter import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PLAYBOOK = os.path.join(HERE, "report_playbook.yml")


def _ansible_playbook():
    path = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.path.exists(path):
        pytest.skip("ansible-playbook not found next to %s" % sys.executable)
    return path


def _run(cwd, *extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_SHOW_CUSTOM_STATS": "true",
        # one JSON document per result line (the default callback), parsed by _parse
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_CALLBACK_FORMAT_PRETTY": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_LOCAL_TEMP": os.path.join(str(cwd), ".ansible-tmp"),
    })
    cmd = [_ansible_playbook(), PLAYBOOK, "-e", "ansible_python_interpreter=%s" % sys.executable] + list(extra)
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return _parse(proc.stdout)


def _parse(stdout):
    """{"results": {task name: [localhost's results]}, "global_custom_stats": ...} from the default callback's output."""
    doc = {"results": {}, "global_custom_stats": None}
    task = None
    for line in stdout.splitlines():
        m = re.match(r"^TASK \[(?:[\w.]+ : )?(.*?)\] \*+$", line)
        if m:
            task = m.group(1)
        elif task and line.startswith(("ok: [localhost] => {", "changed: [localhost] => {")):
            doc["results"].setdefault(task, []).append(json.loads(line.split(" => ", 1)[1]))
        elif line.startswith("\tRUN: {"):
            doc["global_custom_stats"] = json.loads(line.split(": ", 1)[1])
    return doc


def _result(doc, task_name, index=-1):
    """localhost's result of the task called ``task_name`` (the last one unless ``index`` says)."""
    assert task_name in doc["results"], task_name
    return doc["results"][task_name][index]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One ansible-playbook run (cwd: a temporary directory) for every test below."""
    cwd = tmp_path_factory.mktemp("report")
    out_dir = cwd / "out"
    output = _run(cwd, "-e", "sample_output_dir=%s" % out_dir)
    return out_dir, output


def test_files_written(run):
    out_dir = run[0]
    facts = _result(run[1], "Facts the role set")["msg"]
    assert facts["report_files"] == [str(out_dir / n) for n in ("report.json", "report.md", "report.html", "report.xml")]
    for path in facts["report_files"]:
        assert os.path.getsize(path) > 0
    assert facts["report_summary"]["status"] == "fail"
    assert [p["status"] for p in facts["report_summary"]["problems"]] == ["fail", "error"]


def test_json_round_trips(run):
    out_dir = run[0]
    doc = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert (doc["name"], doc["title"]) == ("sample", "Sample runbook")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", doc["generated"])
    assert [c["status"] for c in doc["checks"]] == ["fail", "pass", "error", "skipped"]
    assert doc["checks"][0]["details"] == {"nameserver": "10.0.0.9", "rc": 9}
    assert doc["checks"][0]["evidence"][2] == {"label": "capture", "path": "/tmp/kdebug/dns.pcap"}
    assert doc["checks"][3]["summary"] == u"not applicable: ünïcode ✓"
    s = doc["summary"]
    assert (s["total"], s["pass"], s["fail"], s["error"], s["skipped"]) == (4, 1, 1, 1, 1)


def test_markdown_has_the_table(run):
    out_dir = run[0]
    md = (out_dir / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Sample runbook\n")
    assert md.splitlines()[4].startswith("**Verdict: BROKEN**: nameserver 10.0.0.9 does not answer")
    assert "| Check | Target | Status | Summary |" in md
    assert "| [web answers on its Service](#check-2) | kdebug-demo/web | **PASS** |" in md
    assert md.index("## Failures and errors (2)") < md.index("| Check | Target |") < md.index("## Passed and skipped (2)")
    assert md.index("## Passed and skipped (2)") < md.index("| [web answers on its Service]")


def test_html_table_before_details(run):
    out_dir = run[0]
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert html.index('id="verdict"') < html.index('<table class="summary"') < html.index('<section class="check')
    assert html.index('<section class="check check-fail"') < html.index('<details id="others">') < \
        html.index('<section class="check check-pass"')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert u"ünïcode ✓" in html


def test_junit_counts(run):
    out_dir = run[0]
    root = ET.parse(str(out_dir / "report.xml")).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "1", "1")
    assert len(root.findall("testsuite")) == 4
    assert len(root.findall(".//failure")) == 1 and len(root.findall(".//error")) == 1
    assert len(root.findall(".//skipped")) == 1


def test_summary_table_and_set_stats(run):
    out_dir, doc = run
    msg = _result(doc, "Show the report summary", 0)["msg"]
    assert msg[0] == "sample: BROKEN: nameserver 10.0.0.9 does not answer"
    assert msg[1] == "4 checks: 1 pass, 1 fail, 1 error, 1 skipped"
    assert msg[2].startswith("next: ") and msg[3].startswith("next: ")
    assert msg[4] == "STATUS | CHECK | TARGET | SUMMARY"
    assert msg[5] == ("FAIL | cluster DNS answers from the pod | kdebug-demo/dns-broken/app"
                      " | nameserver 10.0.0.9 does not answer")
    assert msg[6].startswith("ERROR | <script>alert('x')</script> | node/lab-node |")
    files = [str(out_dir / n) for n in ("report.json", "report.md", "report.html", "report.xml")]
    assert msg[7] == "files: " + ", ".join(files)
    stats = doc["global_custom_stats"]["kdebug_reports"]["sample"]
    assert stats["status"] == "fail" and stats["title"] == "Sample runbook"
    assert stats["verdict"] == "broken" and stats["cause"] == "nameserver 10.0.0.9 does not answer"
    assert ["next: " + step for step in stats["next_steps"]] == msg[2:4] and stats["handoff"] == []
    assert stats["summary"]["fail"] == 1 and stats["files"] == files


def test_defaults_name_and_directory(run):
    out_dir, output = run
    dirs = glob.glob(str(out_dir.parent / "reports" / "kdebug-report-*"))
    assert len(dirs) == 1 and re.search(r"kdebug-report-\d{8}T\d{6}Z$", dirs[0])
    assert sorted(os.listdir(dirs[0])) == ["report.json", "report.xml"]
    facts = _result(output, "Facts of the second report")["msg"]
    assert facts["report_files"] == [os.path.join(dirs[0], "report.xml"), os.path.join(dirs[0], "report.json")]
    assert facts["report_summary"]["status"] == "error"
    doc = json.loads(open(os.path.join(dirs[0], "report.json")).read())
    assert doc["name"] == os.path.basename(dirs[0])
    assert doc["title"] == "kdebug report " + doc["name"]
    # set_stats aggregates: both reports are in the job artifacts
    assert sorted(output["global_custom_stats"]["kdebug_reports"]) == sorted(["sample", "custom", doc["name"]])


def test_bad_check_fails_naming_it(run):
    out_dir = run[0]
    error = _result(run[1], "Record the error")["msg"]
    assert "check #2 ('dns'): field 'status' must be one of pass, fail, error, skipped, got 'ok'" in error
    assert not (out_dir / "bad").exists()


def test_own_template_replaces_one_format(run):
    out_dir = run[0]
    md = (out_dir / "custom" / "report.md").read_text(encoding="utf-8")
    assert md.splitlines()[:3] == ["# kdebug report custom (fail)",
                                   "- FAIL cluster DNS answers from the pod on kdebug-demo/dns-broken/app: nameserver "
                                   "10.0.0.9 does not answer",
                                   "- PASS web answers on its Service on kdebug-demo/web: HTTP 200 from web.kdebug-demo.svc"]
    # the format without a template of its own is the role's
    html = (out_dir / "custom" / "report.html").read_text(encoding="utf-8")
    generated = re.search(r'<p class="meta">Generated: (\S+)</p>', html).group(1)
    checks = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))["checks"]
    assert html == report.render_html(checks, title="kdebug report custom", generated=generated)


def test_missing_template_fails_naming_it(run):
    out_dir = run[0]
    error = _result(run[1], "Record the template error")["msg"]
    assert "cannot read the junit report template /nonexistent/report.junit.xml.j2" in error
    assert not (out_dir / "missing-template").exists()
