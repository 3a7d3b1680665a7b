"""playbooks/diagnose.yml on the lab's demo pods: real runs, read back from report.json."""
import json
import os

import pytest

DEMO = "kdebug-demo"


def diagnose(lab, tmp_path, pod, **extra):
    out = str(tmp_path / "report")
    extra_vars = {"pod": pod, "kdebug_namespace": DEMO, "image": lab.tools_image, "fork_image": lab.tools_image,
                  "output_dir": out}
    extra_vars.update(extra)
    proc = lab.playbook("playbooks/diagnose.yml", extra_vars, timeout=600)
    report = None
    if os.path.exists(os.path.join(out, "report.json")):
        with open(os.path.join(out, "report.json")) as handle:
            report = json.load(handle)
    return proc, report


def by_name(report):
    return {c["name"]: c for c in report["checks"]}


def test_web_all_checks_pass(lab, tmp_path):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    proc, report = diagnose(lab, tmp_path, pod)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    problems = [(c["name"], c["status"], c["summary"]) for c in report["checks"] if c["status"] in ("fail", "error")]
    assert problems == []
    assert report["summary"]["status"] == "pass"
    # triage, dns and network all ran: more than triage's checks, files written
    assert report["summary"]["pass"] >= 5
    for name in ("report.json", "report.md", "report.html", "report.xml"):
        assert os.path.exists(str(tmp_path / "report" / name))
    assert "report" in proc.stdout
    # the documented command line draws no warning (kdebug_namespace is no Ansible keyword; ansible.cfg)
    assert "[WARNING]" not in proc.stdout + proc.stderr, proc.stderr


def test_the_old_namespace_spelling_still_works(lab, tmp_path):
    """-e namespace=... (an Ansible keyword: Ansible itself warns about it) still names the pod's namespace."""
    proc = lab.playbook("playbooks/diagnose.yml", {"pod": "nope", "kdebug_namespace": "kdebug-no-such-namespace",
                                                   "output_dir": str(tmp_path / "report")}, timeout=300)
    assert proc.returncode != 0
    assert "namespace kdebug-no-such-namespace not found" in proc.stdout + proc.stderr


def test_dns_broken_fails_naming_the_nameserver(lab, tmp_path):
    proc, report = diagnose(lab, tmp_path, "dns-broken", runbooks="dns")
    assert proc.returncode == 0, proc.stdout[-5000:]
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert failed, report["checks"]
    assert any("10.244.0.253" in c["summary"] for c in failed), [c["summary"] for c in failed]


def test_crashy_reproduces_exit_1_and_leaves_no_fork(lab, tmp_path):
    pod = lab.kubectl_json("get", "pods", "-n", DEMO, "-l", "app=crashy")["items"][0]["metadata"]["name"]
    proc, report = diagnose(lab, tmp_path, pod)
    assert proc.returncode == 0, proc.stdout[-5000:]
    checks = by_name(report)
    replay = checks["crash reproduced in a fork"]
    assert replay["status"] == "fail" and replay["details"]["rc"] == 1, replay
    assert "config file" in replay["summary"]
    assert checks["fork removed"]["status"] == "pass"
    forks = lab.kubectl_json("get", "pods", "-n", DEMO, "-l", "kdebug.io/component=fork")["items"]
    assert [f for f in forks if not f["metadata"].get("deletionTimestamp")] == []


def live_agents(lab):
    # diagnose's agents' namespace only: other runs on the shared lab keep agents in namespaces of their own
    return {p["metadata"]["uid"] for p in lab.live_pods("kdebug-system", "kdebug.io/component=agent")}


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_noshell_works(lab, tmp_path, strategy):
    agents_before = live_agents(lab)
    proc, report = diagnose(lab, tmp_path, "noshell", kdebug_strategy=strategy)
    assert proc.returncode == 0, proc.stdout[-5000:]
    errors = [(c["name"], c["summary"]) for c in report["checks"] if c["status"] == "error"]
    assert errors == []
    assert len(report["checks"]) >= 5
    if strategy == "agent":
        # an agent this run created is removed in always: (one that was there before is left to its TTL)
        assert live_agents(lab) <= agents_before


def test_the_shared_options_and_the_agents_namespace(lab, tmp_path, agent_namespace):
    """-e agent_namespace and the other shared options reach the runbooks; the agent the run created there is
    removed from there at the end."""
    proc, report = diagnose(lab, tmp_path, "noshell", kdebug_strategy="agent", agent_namespace=agent_namespace,
                            image_pull_policy="Never", image_pull_secrets="kdebug-a,kdebug-b", ttl_seconds=600,
                            wait_timeout=90, requested_by="diagnose-test", reason="INC-9", profile="general")
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert [c for c in report["checks"] if c["status"] == "error"] == []
    assert lab.kubectl("get", "namespace", agent_namespace, check=False).returncode == 0  # the run used it
    assert lab.live_pods(agent_namespace) == []


def test_a_missing_pod_fails_with_a_clear_message(lab, tmp_path):
    proc, report = diagnose(lab, tmp_path, "no-such-pod")
    assert proc.returncode != 0
    assert "no-such-pod" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert report is not None and report["summary"]["status"] == "error"


def test_a_missing_pod_argument_is_explained(lab):
    proc = lab.playbook("playbooks/diagnose.yml", {})
    assert proc.returncode != 0 and "-e pod=<name>" in proc.stdout


def test_a_pod_stuck_on_a_crash_looping_init_container_is_replayed_on_that_init_container(lab, tmp_path,
                                                                                          scratch_namespace):
    busybox = {"image": lab.busybox_image, "imagePullPolicy": "Never"}
    lab.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "migrating", "namespace": scratch_namespace},
        "spec": {"terminationGracePeriodSeconds": 1,
                 "initContainers": [dict(busybox, name="migrate", command=["sh", "-c", "echo no schema >&2; exit 3"])],
                 "containers": [dict(busybox, name="app", command=["sleep", "3600"])]}}))
    lab.kubectl("wait", "-n", scratch_namespace, "pod/migrating", "--timeout=90s",
                "--for=jsonpath={.status.initContainerStatuses[0].lastState.terminated.exitCode}=3")
    proc, report = diagnose(lab, tmp_path, "migrating", kdebug_namespace=scratch_namespace,
                            fork_image=lab.busybox_image, image_pull_policy="Never")
    assert proc.returncode == 0, proc.stdout[-5000:]
    checks = by_name(report)
    assert "init container migrate (1 of 1) is crash-looping" in checks["pod phase"]["summary"]
    replay = checks["crash reproduced in a fork"]
    assert replay["status"] == "fail" and replay["details"]["rc"] == 3, replay
    assert "init container migrate exits 3" in replay["summary"] and "no schema" in replay["summary"], replay
    assert checks["fork removed"]["status"] == "pass"
    assert not lab.live_pods(scratch_namespace, "kdebug.io/component=fork")
