"""User checks on the lab: the shipped examples (docs/user-checks.yml) through diagnose.yml on the demo pods, with
the ephemeral and the agent strategy, failures and errors that become the report's cause, api checks (objects read
through kdebug_get) and a fleet run."""
import json
import os
import sys
import uuid

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
    api_check = {"name": "the pod is labelled dns=ok", "api": {"kind": "Pod"},
                 "expect": "output.metadata.labels.dns == 'ok'", "show": "output.metadata.labels.dns"}
    node_ready = [d for d in examples() if d["name"] == "the pod's node is Ready"]
    proc = lab.playbook("playbooks/fleet_dns.yml",
                        {"image": lab.tools_image, "output_dir": out, "user_checks": [check, api_check] + node_ready,
                         "agent_namespace": agent_namespace},
                        args=["-i", small_fleet["inventory"], "--forks", "8"], timeout=900)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    mine = [c for c in report["checks"] if c["name"] == check["name"]]
    assert sorted((c["target"]["pod"], c["status"]) for c in mine) == sorted(
        [(p, "pass") for p in small_fleet["ok"]] + [(p, "fail") for p in small_fleet["bad"]])
    # the api checks: each pod judged on its own object, and on its own node
    pods = lab.live_pods(small_fleet["namespace"], "fleet=yes")
    nodes = dict((p["metadata"]["name"], p["spec"]["nodeName"]) for p in pods)
    labelled = [c for c in report["checks"] if c["name"] == api_check["name"]]
    assert sorted((c["target"]["pod"], c["status"], c["details"]["shown"]) for c in labelled) == sorted(
        [(p, "pass", "ok") for p in small_fleet["ok"]] + [(p, "fail", "broken") for p in small_fleet["bad"]])
    node_ready = [c for c in report["checks"] if c["name"] == "the pod's node is Ready"]
    assert sorted((c["target"]["pod"], c["status"], c["target"]["node"]) for c in node_ready) == sorted(
        (p, "pass", nodes[p]) for p in small_fleet["ok"] + small_fleet["bad"])
    assert all(c["evidence"][0] == {"label": "object", "text": "Node " + c["target"]["node"]} for c in node_ready)
    # one kdebug_get call read the objects of every pod (agent strategy: the role runs once for the fleet)
    task = proc.stdout.split("Read the objects of the api checks through the API]", 1)[1].split("TASK [", 1)[0]
    statuses = [line.split(":")[0] for line in task.splitlines()
                if line.split(":")[0] in ("ok", "changed", "failed", "fatal", "skipping")]
    assert statuses == ["ok"], task
    fleet = report["fleet"]
    assert fleet["targets"] == 5
    assert sorted(fleet["healthy_targets"]) == sorted("%s/%s" % (small_fleet["namespace"], p) for p in small_fleet["ok"])
    [group] = [g for g in fleet["groups"] if g["name"] == check["name"]]
    assert group["count"] == 2 and group["namespaces"] == [{"name": small_fleet["namespace"], "count": 2}]
    assert sum(n["count"] for n in group["nodes"]) == 2 and all(n["name"] != "(unknown)" for n in group["nodes"])
    assert report["summary"]["verdict"] == "broken"
    assert lab.live_pods(agent_namespace, "kdebug.io/component=agent") == []


def test_kdebug_get_reads_each_object_once_and_names_what_it_cannot_read(lab):
    pod = lab.pod_by_label(DEMO, "app=web")
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    missing = "nope-" + uuid.uuid4().hex[:8]
    objects = [{"kind": "Pod", "name": name, "namespace": DEMO},
               {"kind": "Node", "node_of": {"namespace": DEMO, "pod": name}},
               {"kind": "Deployment", "api_version": "apps/v1", "name": "web", "namespace": DEMO},
               {"kind": "Deployment", "api_version": "apps/v1", "name": "web", "namespace": DEMO},
               {"kind": "Node", "name": node},
               {"kind": "Deployment", "api_version": "apps/v1", "name": missing, "namespace": DEMO},
               {"kind": "Deploymnt", "api_version": "apps/v1", "name": "web", "namespace": DEMO},
               {"kind": "Deployment", "api_version": "apps/v9", "name": "web", "namespace": DEMO}]
    status, result = lab.module("kdebug_get", {"objects": objects})
    assert status == "SUCCESS", result
    entries = result["objects"]
    assert [e["found"] for e in entries] == [True] * 5 + [False] * 3
    assert entries[0]["object"]["metadata"]["uid"] == pod["metadata"]["uid"]
    assert "managedFields" not in entries[0]["object"]["metadata"]
    assert (entries[1]["name"], entries[1]["namespace"], entries[1]["object"]["kind"]) == (node, None, "Node")
    assert entries[2]["object"]["spec"]["replicas"] == lab.kubectl_json("get", "deployment", "web", "-n",
                                                                        DEMO)["spec"]["replicas"]
    assert (entries[4]["namespace"], entries[4]["object"]["metadata"]["name"]) == (None, node)
    assert entries[5]["error_class"] == "not_found"
    assert entries[5]["msg"].startswith("Deployment %s/%s not found: check its name and namespace (kubectl get "
                                        "deployments.apps -n %s lists them)" % (DEMO, missing, DEMO))
    assert "serves no kind Deploymnt in apps/v1" in entries[6]["msg"]
    assert "serves no apps/v9" in entries[7]["msg"]
    # discovery of v1, apps/v1 and apps/v9; the pod, its node, the Deployment and the missing one: each once
    assert result["reads"] == 7


def test_kdebug_get_tells_a_refused_read_as_every_module_does(lab):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    nobody = "kdebug-test-nobody-" + uuid.uuid4().hex[:6]
    status, result = lab.module("kdebug_get", {"objects": [{"kind": "Pod", "name": pod, "namespace": DEMO}],
                                               "impersonate_user": nobody})
    assert status == "SUCCESS", result
    [entry] = result["objects"]
    assert (entry["found"], entry["error_class"], entry["denied_by"]) == (False, "denied", "rbac"), entry
    assert entry["denial"]["resource"] == "pods" and entry["denial"]["namespace"] == DEMO
    assert "not allowed to get pods in namespace %s" % DEMO in entry["msg"]


def test_api_checks_pass_fail_and_error_in_diagnose(lab, tmp_path):
    pod = lab.pod_by_label(DEMO, "app=web")
    name = pod["metadata"]["name"]
    missing = "nope-" + uuid.uuid4().hex[:8]
    checks = [
        {"name": "the pod is the one asked for", "api": {"kind": "Pod"}, "expect": "output.metadata.uid == '%s'"
         % pod["metadata"]["uid"], "show": "output.metadata.name", "pass_summary": "read {value}"},
        {"name": "the web Deployment wants 5 replicas", "api": {"kind": "Deployment", "api_version": "apps/v1",
                                                                "name": "web"},
         "expect": "output.spec.replicas == `5`", "show": "output.spec.replicas",
         "fail_summary": "web wants {value} replicas", "next_step": "Scale web to 5."},
        {"name": "a Deployment that is not there", "api": {"kind": "Deployment", "api_version": "apps/v1",
                                                           "name": missing},
         "expect": "output"},
    ] + [d for d in examples() if d["name"] == "the pod's node is Ready"]
    report = diagnose(lab, tmp_path, name, checks, errors=True, kdebug_strategy="ephemeral")
    found = dict((c["name"], c) for c in report["checks"] if c["name"] in set(d["name"] for d in checks))
    own = found["the pod is the one asked for"]
    assert (own["status"], own["summary"]) == ("pass", "read " + name)
    assert own["target"] == {"namespace": DEMO, "pod": name, "container": None, "node": pod["spec"]["nodeName"]}
    assert own["evidence"] == [{"label": "object", "text": "Pod %s/%s" % (DEMO, name)},
                               {"label": "shown", "text": name}]
    replicas = found["the web Deployment wants 5 replicas"]
    wanted = lab.kubectl_json("get", "deployment", "web", "-n", DEMO)["spec"]["replicas"]
    assert (replicas["status"], replicas["summary"]) == ("fail", "web wants %d replicas" % wanted)
    assert replicas["details"]["api"] == {"kind": "Deployment", "api_version": "apps/v1", "namespace": DEMO,
                                          "name": "web"}
    assert replicas["evidence"][0]["text"] == "Deployment %s/web (apps/v1)" % DEMO
    gone = found["a Deployment that is not there"]
    assert gone["status"] == "error" and gone["details"]["error_class"] == "not_found"
    assert gone["summary"].startswith("Deployment %s/%s not found" % (DEMO, missing))
    ready = found["the pod's node is Ready"]
    assert ready["status"] == "pass" and ready["evidence"][0]["text"] == "Node " + pod["spec"]["nodeName"]
    summary = report["summary"]
    assert summary["verdict"] == "broken" and summary["cause"] == replicas["summary"]
    assert "Scale web to 5." in summary["next_steps"]


def test_a_bad_api_definition_stops_before_anything_runs(lab, tmp_path):
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {"pod": "dns-broken", "kdebug_namespace": DEMO, "runbooks": "triage",
                                                   "output_dir": out, "user_checks": [
                                                       {"name": "x", "api": {"kind": "deployment"},
                                                        "expect": "output"}]})
    assert proc.returncode != 0
    assert "user check #1 ('x'): field 'api.kind' must be a kind as the API spells it" in proc.stdout, \
        proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
