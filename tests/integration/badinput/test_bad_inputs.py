"""The bad-input table, the part that needs the lab: missing objects, broken credentials, images, forks, inventories
and playbooks. (The inputs a module refuses before any request: tests/unit/plugins/modules/test_bad_inputs.py.)

Each row asserts a failure whose message names the bad value and the fix, no traceback, and nothing created: the
module rows run in one ansible-playbook (ignore_errors, results collected by the test callback) under a requester
of their own, and afterwards no kdebug object carries it.
"""
import json
import os
import uuid

import pytest

from leaks import listing

DEMO = "kdebug-demo"
MISSING_CA = "/nonexistent/kdebug-ca.pem"
MISSING_KUBECONFIG = "/nonexistent/kdebug-kubeconfig"
UNPULLABLE = "kdebug.local/does-not-exist:1"


@pytest.fixture(scope="module")
def table(lab, tmp_path_factory):
    """The scratch namespace (a running pod, a crash-looping one, a Service), bad files, and the requester."""
    work = tmp_path_factory.mktemp("badinput")
    files = {"malformed": str(work / "malformed.kubeconfig"), "empty": str(work / "empty.kubeconfig"),
             "garbage_ca": str(work / "garbage-ca.pem")}
    with open(files["malformed"], "w") as handle:
        handle.write("apiVersion: v1\nclusters: [\n  - {{{{ bad\n")
    open(files["empty"], "w").close()
    with open(files["garbage_ca"], "w") as handle:
        handle.write("not a certificate\n")
    namespace = "kdebug-test-bad-" + uuid.uuid4().hex[:6]
    agents = "kdebug-test-bad-agents-" + uuid.uuid4().hex[:6]
    lab.kubectl("create", "namespace", namespace)
    pod = {"terminationGracePeriodSeconds": 1,
           "containers": [{"name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                           "command": ["sleep", "3600"]}]}
    crash = {"terminationGracePeriodSeconds": 1,
             "containers": [{"name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                             "command": ["sh", "-c", "echo no config file; exit 1"]}]}
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "target", "labels": {"app": "target"}},
              "spec": pod},
             {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crash", "labels": {"app": "crash"}},
              "spec": crash},
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "crash"},
              "spec": {"selector": {"app": "crash"}, "ports": [{"port": 80}]}}]
    pod_list = {"apiVersion": "v1", "kind": "List", "items": items}
    lab.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pod_list))
    lab.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/target", "--timeout=120s", timeout=150)
    yield {"namespace": namespace, "agents": agents, "files": files, "work": str(work),
           "requester": "badinput-" + uuid.uuid4().hex[:8]}
    lab.kubectl("delete", "namespace", namespace, agents, "--wait=false", "--ignore-not-found", check=False)


def module_rows(lab, t):
    """(name, module, args, texts the message must hold): each a task of one play."""
    ns, files = t["namespace"], t["files"]
    tools = {"image": lab.tools_image, "image_pull_policy": "Never"}
    target = {"pod": "target", "namespace": ns}
    return [
        ("missing pod", "kdebug_exec", dict(tools, pod="nope", namespace=ns, command=["true"]),
         ["pod nope not found in namespace " + ns]),
        ("missing namespace", "kdebug_exec", dict(tools, pod="nope", namespace="no-such-ns", command=["true"]),
         ["namespace no-such-ns not found"]),
        ("missing container", "kdebug_exec", dict(tools, container="nope", command=["true"], **target),
         ["container nope not found in pod %s/target" % ns, "app"]),
        ("missing node", "kdebug_agent", dict(tools, node="no-such-node", agent_namespace=t["agents"]),
         ["node no-such-node not found", "kubectl get nodes"]),
        ("fork of a missing pod", "kdebug_fork", dict(tools, pod="nope", namespace=ns, wait=False),
         ["pod nope not found in namespace " + ns]),
        ("malformed kubeconfig", "kdebug_triage", dict(target, kubeconfig=files["malformed"]),
         [files["malformed"], "kubectl config view"]),
        ("empty kubeconfig", "kdebug_triage", dict(target, kubeconfig=files["empty"]),
         [files["empty"], "is empty"]),
        ("missing kubeconfig", "kdebug_triage", dict(target, kubeconfig=MISSING_KUBECONFIG),
         [MISSING_KUBECONFIG, "kubeconfig"]),
        ("unknown context", "kdebug_triage", dict(target, context="no-such-context"),
         ["no-such-context", "kubectl config get-contexts"]),
        ("garbage token", "kdebug_triage", dict(target, host=lab_server(lab), api_key="garbage", validate_certs=False),
         ["401", "api_key"]),
        ("garbage CA", "kdebug_triage", dict(target, ca_cert=files["garbage_ca"]),
         ["TLS", "ca_cert"]),
        ("missing CA file", "kdebug_triage", dict(target, ca_cert=MISSING_CA),
         [MISSING_CA, "ca_cert"]),
        ("unreachable API server", "kdebug_triage", dict(target, host="https://127.0.0.1:1", request_timeout=5),
         ["127.0.0.1:1"]),
        ("unpullable agent image", "kdebug_agent",
         {"node": node_name(lab), "image": UNPULLABLE, "image_pull_policy": "Never", "agent_namespace": t["agents"],
          "wait_timeout": 60}, [UNPULLABLE]),
        ("kept labels selected by a Service", "kdebug_fork",
         dict(tools, pod="crash", namespace=ns, keep_labels=["app"], wait=False),
         ["Service %s/crash" % ns, "keep_labels"]),
    ]


def lab_server(lab):
    config = lab.kubectl_json("config", "view", "--minify")
    return config["clusters"][0]["cluster"]["server"]


def node_name(lab):
    return lab.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]


def created_by(lab, requester):
    """kdebug objects (pods, config maps, secrets, running ephemeral containers, Docker containers) of ``requester``,
    not being removed. The agents' namespace is not one: it outlives its agents by design (docs/cleanup.md)."""
    return [str(item) for item in listing(lab)
            if item.requester == requester and not item.going and item.kind != "Namespace"]


def assert_clear(message, texts, output=""):
    for text in texts:
        assert text in message, (text, message)
    assert "Traceback" not in message + output, output[-3000:]


def test_module_bad_inputs_fail_clearly_and_create_nothing(lab, table):
    rows = module_rows(lab, table)
    assert len({name for name, _m, _a, _t in rows}) == len(rows)
    tasks = [{"name": name, "kdebug.toolkit." + module: args, "ignore_errors": True}
             for name, module, args, _texts in rows]
    # the fork of a fork: a real fork first (its source crash-loops), then a fork of it
    tasks.insert(0, {"name": "a fork to fork", "kdebug.toolkit.kdebug_fork": {
        "pod": "crash", "namespace": table["namespace"], "image": lab.tools_image, "image_pull_policy": "Never",
        "wait": False, "requested_by": "badinput-setup"}, "register": "first_fork"})
    tasks.append({"name": "fork of a fork", "kdebug.toolkit.kdebug_fork": {
        "pod": "{{ first_fork.fork.name }}", "namespace": table["namespace"], "image": lab.tools_image,
        "image_pull_policy": "Never", "wait": False}, "ignore_errors": True})
    results, output = lab.tasks(tasks, env={"KDEBUG_REQUESTED_BY": table["requester"]}, timeout=900)
    assert results["a fork to fork"][0] == "CHANGED", results["a fork to fork"]
    expected = dict((name, texts) for name, _m, _a, texts in rows)
    expected["fork of a fork"] = ["is itself a kdebug fork", "fork the original pod instead"]
    for name, texts in expected.items():
        assert name in results, (name, output[-3000:])
        status, result, _seconds = results[name]
        assert status == "FAILED!", (name, result)
        assert_clear(result.get("msg", ""), texts)
        assert "exception" not in result or "Traceback" not in result["exception"], (name, result["exception"])
    assert "Traceback" not in output
    assert created_by(lab, table["requester"]) == []


def fleet(lab, table, inventory, **extra):
    path = os.path.join(table["work"], "%s.kdebug_pods.yml" % uuid.uuid4().hex[:6])
    with open(path, "w") as handle:
        handle.write(inventory)
    return lab.playbook("playbooks/fleet_dns.yml", dict({"image": lab.tools_image}, **extra), args=["-i", path],
                        timeout=300)


@pytest.mark.parametrize("name, inventory, extra, texts", [
    ("missing namespace", "plugin: kdebug.toolkit.pods\nnamespaces: [no-such-ns-kdebug]\n", {},
     ["namespace 'no-such-ns-kdebug' does not exist", "fix the namespaces option"]),
    ("missing kubeconfig", "plugin: kdebug.toolkit.pods\nkubeconfig: %s\n" % MISSING_KUBECONFIG, {},
     ["could not list the pods", MISSING_KUBECONFIG]),
    ("unreachable cluster", "plugin: kdebug.toolkit.pods\nhost: https://127.0.0.1:1\nrequest_timeout: 5\n", {},
     ["could not list the pods", "127.0.0.1:1"]),
    ("matches nothing", "plugin: kdebug.toolkit.pods\nnamespaces: [%s]\nlabel_selector: app=nothing-matches\n" % DEMO,
     {}, ["No pod to check", "target=all", "label_selector"]),
    ("target matches nothing", "plugin: kdebug.toolkit.pods\nnamespaces: [%s]\n" % DEMO, {"target": "namespace_nope"},
     ["No pod to check", "target=namespace_nope"]),
])
def test_a_fleet_whose_inventory_lists_no_pods_fails(lab, table, name, inventory, extra, texts):
    """Not "skipping: no hosts matched" and exit 0: the run fails and says why."""
    proc = fleet(lab, table, inventory, **extra)
    assert proc.returncode != 0, (name, proc.stdout[-3000:])
    assert_clear(" ".join(proc.stdout.split()), texts, proc.stdout + proc.stderr)
    assert "PLAY [Run a runbook in every pod]" not in proc.stdout


@pytest.mark.parametrize("name, extra_vars, texts", [
    ("no pod", {}, ["Which pod?", "-e pod=<name>"]),
    ("empty pod", {"pod": ""}, ["Which pod?"]),
    ("unknown runbook", {"pod": "target", "runbooks": "dns,tracing"}, ["tracing", "dns"]),
    ("path-like pod", {"pod": "../../../../x-kdebug-badinput"}, ["'../../../../x-kdebug-badinput'", "Fix the pod option"]),
])
def test_diagnose_bad_extra_vars_fail_clearly(lab, table, tmp_path, name, extra_vars, texts):
    """No output_dir: the report would go under ./reports of the directory the run starts in, and stays there."""
    run_dir = tmp_path / "a" / "b" / "c" / "d"
    run_dir.mkdir(parents=True)
    proc = lab.playbook("playbooks/diagnose.yml", dict({"kdebug_namespace": table["namespace"]}, **extra_vars),
                        cwd=str(run_dir), timeout=300)
    assert proc.returncode != 0, (name, proc.stdout[-3000:])
    assert_clear(" ".join(proc.stdout.split()), texts, proc.stdout + proc.stderr)
    written = [os.path.join(d, f) for d, _s, fs in os.walk(str(tmp_path)) for f in fs]
    assert all(w.startswith(str(run_dir / "reports") + os.sep) for w in written), written


def test_diagnose_fails_when_a_runbook_could_not_run(lab, table, tmp_path):
    """An unpullable tools image: the runbooks could not run, so the run fails (after writing the report that says
    why), unlike a fault found (tests/integration/playbooks/test_diagnose.py: exit 0); the agent it tried is gone."""
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {
        "pod": "target", "namespace": table["namespace"], "strategy": "agent", "image": UNPULLABLE,
        "image_pull_policy": "Never", "agent_namespace": table["agents"], "wait_timeout": 60, "runbooks": "dns",
        "output_dir": out, "requested_by": table["requester"] + "-diagnose"}, timeout=600)
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert_clear(" ".join(proc.stdout.split()), ["could not run", UNPULLABLE], proc.stdout + proc.stderr)
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    assert report["summary"]["status"] == "error"
    assert created_by(lab, table["requester"] + "-diagnose") == []
