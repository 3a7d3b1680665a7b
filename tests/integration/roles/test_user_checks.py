"""User checks on the lab: the shipped examples (docs/user-checks.yml) through diagnose.yml on the demo pods, with
the ephemeral and the agent strategy, failures and errors that become the report's cause, and a fleet run."""
import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "playbooks"))
from fleet_fixture import create_fleet, temp_dir, write_inventory, UNREACHABLE_NAMESERVER  # noqa: E402

DEMO = "kdebug-demo"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def examples():
    with open(os.path.join(ROOT, "docs", "user-checks.yml")) as handle:
        return yaml.safe_load(handle)["user_checks"]


def diagnose(lab, tmp_path, pod, user_checks, errors=False, **extra):
    """The report of a diagnose.yml run; ``errors``: a check is meant to end in error, which fails the run (after
    the report is written)."""
    out = str(tmp_path / "report")
    extra_vars = {"pod": pod, "kdebug_namespace": DEMO, "image": lab.tools_image, "runbooks": "triage",
                  "output_dir": out, "user_checks": user_checks}
    extra_vars.update(extra)
    proc = lab.playbook("playbooks/diagnose.yml", extra_vars, timeout=600)
    assert (proc.returncode != 0) == errors, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        return json.load(handle)


def user_results(report):
    names = set(d["name"] for d in examples())
    return dict((c["name"], c) for c in report["checks"] if c["name"] in names)


@pytest.mark.parametrize("pod_label, strategy", [("app=web", "ephemeral"), ("app=noshell", "agent")])
def test_the_shipped_examples_pass_on_the_demo_pods(lab, tmp_path, agent_namespace, pod_label, strategy):
    pod = lab.live_pods(DEMO, pod_label)[0]["metadata"]["name"]
    report = diagnose(lab, tmp_path, pod, examples(), strategy=strategy, agent_namespace=agent_namespace)
    found = user_results(report)
    assert sorted(found) == sorted(d["name"] for d in examples())
    bad = [(c["name"], c["status"], c["summary"], c["evidence"]) for c in found.values() if c["status"] != "pass"]
    assert bad == []
    version = found["the API server's /version answers the pod"]
    assert version["summary"].startswith("the API server answers, version v1.")
    assert version["target"]["pod"] == pod and version["evidence"][0]["label"] == "command"
    assert found["eth0's MTU is at least 1400"]["details"]["shown"].isdigit()
    # what the run created is gone: the agent it made (the ephemeral container ends by its TTL)
    if strategy == "agent":
        assert lab.live_pods(agent_namespace, "kdebug.io/component=agent") == []


def test_a_failing_user_check_is_the_cause_and_an_error_says_why(lab, tmp_path):
    checks = [
        {"name": "nameserver is the cluster DNS", "command": ["cat", "/etc/resolv.conf"], "chroot": True,
         "parse": "regex", "pattern": r"^nameserver (?P<ip>\S+)", "expect": "output[0].ip == '10.96.0.10'",
         "show": "output[0].ip", "fail_summary": "the pod asks {value}, not the cluster DNS",
         "next_step": "Remove the pod's dnsPolicy: None and its dnsConfig."},
        {"name": "config file present", "shell": "cat \"$KDEBUG_TARGET_ROOT/etc/app.conf\"", "expect": "output"},
    ]
    report = diagnose(lab, tmp_path, "dns-broken", checks, errors=True, kdebug_strategy="ephemeral")
    found = dict((c["name"], c) for c in report["checks"])
    ns = found["nameserver is the cluster DNS"]
    assert ns["status"] == "fail" and ns["summary"] == "the pod asks %s, not the cluster DNS" % UNREACHABLE_NAMESERVER
    missing = found["config file present"]
    assert missing["status"] == "error" and missing["summary"].startswith("the command exited 1: cat: "), missing
    summary = report["summary"]
    assert summary["verdict"] == "broken"
    assert summary["cause"] == ns["summary"] and summary["next_steps"][0] == checks[0]["next_step"]


def test_a_bad_definition_stops_before_anything_runs(lab, tmp_path):
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {"pod": "dns-broken", "kdebug_namespace": DEMO, "runbooks": "triage",
                                                   "output_dir": out, "user_checks": [{"name": "x", "shell": "true",
                                                                                       "expect": "a =="}]})
    assert proc.returncode != 0
    assert "user check #1 ('x'): expect is not a valid JMESPath expression" in proc.stdout, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.fixture()
def small_fleet(lab, scratch_namespace):
    ok, bad = create_fleet(lab, scratch_namespace, healthy=3, broken=2, timeout=180)
    return {"namespace": scratch_namespace, "ok": ok, "bad": bad,
            "inventory": write_inventory(temp_dir(), scratch_namespace)}


def test_fleet_runs_them_in_every_pod_and_the_report_groups_them(lab, small_fleet, agent_namespace, tmp_path):
    out = str(tmp_path / "fleet")
    check = {"name": "nameserver is the cluster DNS", "shell": "cat \"$KDEBUG_TARGET_ROOT/etc/resolv.conf\"",
             "parse": "regex", "pattern": r"^nameserver (?P<ip>\S+)", "expect": "output[0].ip != '%s'"
             % UNREACHABLE_NAMESERVER, "show": "output[0].ip"}
    proc = lab.playbook("playbooks/fleet_dns.yml",
                        {"image": lab.tools_image, "output_dir": out, "user_checks": [check],
                         "agent_namespace": agent_namespace},
                        args=["-i", small_fleet["inventory"], "--forks", "8"], timeout=900)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    mine = [c for c in report["checks"] if c["name"] == check["name"]]
    assert sorted((c["target"]["pod"], c["status"]) for c in mine) == sorted(
        [(p, "pass") for p in small_fleet["ok"]] + [(p, "fail") for p in small_fleet["bad"]])
    fleet = report["fleet"]
    assert fleet["targets"] == 5
    assert sorted(fleet["healthy_targets"]) == sorted("%s/%s" % (small_fleet["namespace"], p) for p in small_fleet["ok"])
    [group] = [g for g in fleet["groups"] if g["name"] == check["name"]]
    assert group["count"] == 2 and group["namespaces"] == [{"name": small_fleet["namespace"], "count": 2}]
    assert sum(n["count"] for n in group["nodes"]) == 2 and all(n["name"] != "(unknown)" for n in group["nodes"])
    assert report["summary"]["verdict"] == "broken"
    assert lab.live_pods(agent_namespace, "kdebug.io/component=agent") == []
