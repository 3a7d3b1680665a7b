"""kdebug_triage and the kdebug.toolkit.triage role on the lab, for real.

Lab facts used: kdebug-demo/web (Deployment app=web, Service web, healthy), crashy (Deployment app=crashy,
Service crashy; prints a configuration error and exits 1, so it is in CrashLoopBackOff), multi (containers
sidecar and app, no Service), all on node kdebug-lab.
"""
import json
import os
import time

import pytest

DEMO = "kdebug-demo"


def describe(checks):
    return json.dumps([[c["status"], c["name"], c["summary"]] for c in checks], indent=1)


def by_name(checks):
    return {c["name"]: c for c in checks}


def no_traceback(result):
    # Ansible marks every failure with exception "(traceback unavailable)"; a real traceback would show here.
    assert "Traceback" not in result.get("exception", "") + result.get("module_stderr", ""), result


def triage(lab, **args):
    status, result = lab.module("kdebug_triage", dict({"namespace": DEMO}, **args))
    assert "Traceback" not in json.dumps(result), result
    return status, result


def triage_ok(lab, **args):
    status, result = triage(lab, **args)
    assert status == "SUCCESS", result
    assert result["changed"] is False
    return result


def container_status(lab, pod, container):
    data = lab.kubectl_json("get", "pod", "-n", DEMO, pod)
    return next(s for s in data["status"].get("containerStatuses") or [] if s["name"] == container)


def test_web_all_checks_pass(lab):
    web = lab.pod_by_label(DEMO, "app=web")
    pod, node = web["metadata"]["name"], web["spec"]["nodeName"]
    result = triage_ok(lab, pod=pod)
    checks = result["checks"]
    assert [c for c in checks if c["status"] != "pass"] == [], describe(checks)
    names = set(by_name(checks))
    assert {"pod phase", "pod condition Ready", "container web state", "container web restarts",
            "container web last termination", "pod events", "node Ready", "node MemoryPressure",
            "node DiskPressure", "node PIDPressure"} <= names, names
    info = result["pod"]
    assert "web" in info["services"]
    assert (info["namespace"], info["name"], info["phase"], info["node"]) == (DEMO, pod, "Running", node)
    assert info["owner"]["kind"] == "ReplicaSet" and info["container_ports"] == [8080]
    assert [c["name"] for c in info["containers"]] == ["web"]
    assert info["containers"][0]["state"] == "running" and info["containers"][0]["ready"] is True
    assert result["node"]["name"] == node and result["node"]["ready"] is True
    assert result["logs"]["web"]["previous"] is None
    assert isinstance(result["logs"]["web"]["current"], str)
    events = result["events"]
    assert 0 < len(events) <= 20 and all(e["type"] == "Normal" for e in events)
    assert [e["last_time"][:19] for e in events] == sorted(e["last_time"][:19] for e in events)
    assert result["missing_permissions"] == []
    for check in checks:
        assert check["target"]["namespace"] == DEMO and check["target"]["pod"] == pod


def test_web_check_mode_reads_the_same(lab):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    status, result = lab.module("kdebug_triage", {"namespace": DEMO, "pod": pod}, check=True)
    assert status == "SUCCESS" and result["changed"] is False
    assert all(c["status"] == "pass" for c in result["checks"]), describe(result["checks"])


def crashy_in_backoff(lab):
    """Triage crashy while its container waits in CrashLoopBackOff (not in the short window of a restart)."""
    deadline = time.monotonic() + 120
    while True:
        pod = lab.pod_by_label(DEMO, "app=crashy")["metadata"]["name"]
        status = container_status(lab, pod, "app")
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            result = triage_ok(lab, pod=pod)
            if result["pod"]["containers"][0]["reason"] == "CrashLoopBackOff":
                return pod, result
        assert time.monotonic() < deadline, "crashy never showed CrashLoopBackOff: %s" % status
        time.sleep(2)


def test_crashy_names_crashloop_exit_code_and_logs(lab):
    pod, result = crashy_in_backoff(lab)
    checks = by_name(result["checks"])
    state = checks["container app state"]
    assert state["status"] == "fail" and "CrashLoopBackOff" in state["summary"], describe(result["checks"])
    assert "last exit code 1" in state["summary"]
    term = checks["container app last termination"]
    assert term["status"] == "fail" and term["summary"].startswith("exit code 1 (Error)"), term
    assert term["details"]["exit_code"] == 1
    assert any("fatal: config file /etc/crashy/app.conf not found" in e["text"] for e in term["evidence"]), term
    logs = result["logs"]["app"]
    assert "fatal: config file /etc/crashy/app.conf not found" in logs["previous"]
    assert checks["container app restarts"]["details"]["restart_count"] >= 1
    assert checks["pod condition Ready"]["status"] == "fail"
    assert checks["pod phase"]["status"] == "pass"  # Running: the containers tell the story
    assert checks["pod events"]["status"] == "fail" and "BackOff" in checks["pod events"]["summary"]
    container = result["pod"]["containers"][0]
    assert container["last_termination"]["exit_code"] == 1 and container["restart_count"] >= 1
    assert result["pod"]["services"] == ["crashy"]


def test_multi_reports_both_containers(lab):
    result = triage_ok(lab, pod="multi")
    assert [c["name"] for c in result["pod"]["containers"]] == ["sidecar", "app"]
    assert result["pod"]["default_container"] == "app"
    assert sorted(result["logs"]) == ["app", "sidecar"]
    checks = by_name(result["checks"])
    for container in ("sidecar", "app"):
        check = checks["container %s state" % container]
        assert check["status"] == "pass" and check["target"]["container"] == container
    assert result["pod"]["services"] == [] and result["pod"]["container_ports"] == [8081]

    only_app = triage_ok(lab, pod="multi", container="app", log_lines=5)
    assert list(only_app["logs"]) == ["app"]
    assert not [c for c in only_app["checks"] if c["target"].get("container") == "sidecar"]


def test_missing_pod_names_pod_and_namespace(lab):
    status, result = triage(lab, pod="no-such-pod")
    assert status == "FAILED!"
    assert "pod no-such-pod not found in namespace %s" % DEMO in result["msg"]
    no_traceback(result)


def test_missing_namespace_names_it(lab):
    status, result = triage(lab, pod="web", namespace="kdebug-no-such-namespace")
    assert status == "FAILED!"
    assert "namespace kdebug-no-such-namespace not found" in result["msg"]
    no_traceback(result)


def test_unknown_container_is_named(lab):
    status, result = triage(lab, pod="multi", container="nope")
    assert status == "FAILED!"
    assert "container nope not found in pod %s/multi; it has: sidecar, app" % DEMO in result["msg"]


def test_missing_rights_become_error_checks(lab, scratch_namespace, tmp_path):
    """A ServiceAccount that may only read pods: events, logs, Services and the node are error checks."""
    ns = scratch_namespace
    lab.kubectl("create", "serviceaccount", "reader", "-n", ns)
    lab.kubectl("create", "role", "pod-reader", "-n", ns, "--verb=get,list", "--resource=pods")
    lab.kubectl("create", "rolebinding", "reader", "-n", ns, "--role=pod-reader", "--serviceaccount=%s:reader" % ns)
    lab.kubectl("run", "target", "-n", ns, "--image", lab.busybox_image, "--image-pull-policy=Never",
                "--restart=Never", "--", "sleep", "3600")
    lab.kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/target", "--timeout=90s")
    token = lab.kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    config = lab.kubectl_json("config", "view", "--raw", "--minify")
    import base64
    ca = tmp_path / "ca.crt"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    auth = {"host": config["clusters"][0]["cluster"]["server"], "api_key": token, "ca_cert": str(ca)}

    result = triage_ok(lab, pod="target", namespace=ns, **auth)
    checks = by_name(result["checks"])
    expected = {
        "pod events": "not allowed to list events in namespace " + ns,
        "services selecting the pod": "not allowed to list services in namespace " + ns,
        "container target logs": "not allowed to get pods/log in namespace " + ns,
        "node conditions": "not allowed to get nodes cluster-wide",
    }
    for name, words in expected.items():
        assert checks[name]["status"] == "error", describe(result["checks"])
        assert words in checks[name]["summary"], checks[name]
    assert checks["container target state"]["status"] == "pass"
    assert checks["pod phase"]["status"] == "pass"
    assert sorted(p["resource"] for p in result["missing_permissions"]) == ["events", "nodes", "pods/log", "services"]
    assert result["pod"]["services"] is None and result["node"] is None and result["events"] is None

    # Not even pods: the module fails, naming the verb.
    lab.kubectl("delete", "rolebinding", "reader", "-n", ns)
    status, denied = triage(lab, pod="target", namespace=ns, **auth)
    assert status == "FAILED!" and "not allowed to get pods in namespace " + ns in denied["msg"], denied
    assert denied["denied_by"] == "rbac" and denied["denial"]["verb"] == "get"


PLAYBOOK = """---
- name: Triage pods and report
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Triage the web pod
      ansible.builtin.include_role:
        name: kdebug.toolkit.triage
      vars:
        triage_pod: "{{ web_pod }}"
        triage_namespace: kdebug-demo

    - name: Keep what the role set
      ansible.builtin.copy:
        content: "{{ {'triage_checks': triage_checks, 'triage_pod_info': triage_pod_info} | to_json }}"
        dest: "{{ out_dir }}/web-facts.json"
        mode: "0644"

    - name: Report the web checks
      ansible.builtin.include_role:
        name: kdebug.toolkit.report
      vars:
        report_checks: "{{ triage_checks }}"
        report_output_dir: "{{ out_dir }}/web"
        report_name: triage-web
        report_formats: [json, junit]

    - name: Triage a pod that does not exist
      ansible.builtin.include_role:
        name: kdebug.toolkit.triage
      vars:
        triage_pod: no-such-pod
        triage_namespace: kdebug-demo

    - name: Report the missing pod
      ansible.builtin.include_role:
        name: kdebug.toolkit.report
      vars:
        report_checks: "{{ triage_checks }}"
        report_output_dir: "{{ out_dir }}/missing"
        report_name: triage-missing
        report_formats: [json]

    - name: Keep the facts of the missing pod
      ansible.builtin.copy:
        content: "{{ {'triage_checks': triage_checks, 'triage_pod_info': triage_pod_info} | to_json }}"
        dest: "{{ out_dir }}/missing-facts.json"
        mode: "0644"
"""


@pytest.fixture(scope="module")
def role_run(lab, tmp_path_factory):
    work = tmp_path_factory.mktemp("triage-role")
    playbook = work / "triage.yml"
    playbook.write_text(PLAYBOOK)
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    proc = lab.playbook(str(playbook), {"web_pod": pod, "out_dir": str(work)})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]

    def read(*parts):
        with open(os.path.join(str(work), *parts)) as handle:
            return json.load(handle)
    return pod, read


def test_role_on_web_reports_all_pass(role_run):
    pod, read = role_run
    report = read("web", "report.json")
    assert report["name"] == "triage-web"
    assert report["summary"]["status"] == "pass", describe(report["checks"])
    assert report["summary"]["total"] == len(report["checks"]) >= 10
    assert "container web state" in by_name(report["checks"])
    facts = read("web-facts.json")
    assert [c["name"] for c in facts["triage_checks"]] == [c["name"] for c in report["checks"]]
    assert all(c["target"]["pod"] == pod for c in facts["triage_checks"])
    info = facts["triage_pod_info"]
    assert info["name"] == pod and "web" in info["services"] and info["containers"][0]["state"] == "running"


def test_role_on_missing_pod_is_one_error_check(role_run):
    _pod, read = role_run
    report = read("missing", "report.json")
    assert report["summary"]["status"] == "error"
    (check,) = report["checks"]
    assert (check["name"], check["status"]) == ("pod triage", "error")
    assert "pod no-such-pod not found in namespace %s" % DEMO in check["summary"]
    assert check["target"] == {"namespace": DEMO, "pod": "no-such-pod"}
    assert read("missing-facts.json")["triage_pod_info"] == {}


def test_a_pod_stuck_in_init_names_the_running_init_container(lab, scratch_namespace):
    busybox = {"image": lab.busybox_image, "imagePullPolicy": "Never"}
    lab.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "initing", "namespace": scratch_namespace},
        "spec": {"terminationGracePeriodSeconds": 1,
                 "initContainers": [dict(busybox, name="fetch", command=["true"]),
                                    dict(busybox, name="wait-db", command=["sleep", "3600"])],
                 "containers": [dict(busybox, name="app", command=["sleep", "3600"])]}}))
    lab.kubectl("wait", "-n", scratch_namespace, "pod/initing", "--timeout=60s",
                "--for=jsonpath={.status.initContainerStatuses[1].state.running.startedAt}")
    result = triage_ok(lab, pod="initing", namespace=scratch_namespace)
    phase = by_name(result["checks"])["pod phase"]
    assert phase["status"] == "fail"
    assert "init container wait-db (2 of 2) is running: the containers start when it completes" in phase["summary"]
    assert "kdebug_exec container=wait-db" in phase["summary"] and "scheduling" not in phase["summary"]
    blocker = result["pod"]["init_blocker"]
    assert (blocker["name"], blocker["position"], blocker["count"], blocker["crash_looping"]) == \
        ("wait-db", 2, 2, False)
