"""kdebug_exec against the lab: every Kubernetes strategy, the result schema, bad input."""
import concurrent.futures
import time
import uuid

import pytest

DEMO = "kdebug-demo"


@pytest.fixture(scope="module")
def tools(lab):
    """Options every call needs in the lab: the local tools image, never pulled."""
    return {"image": lab.tools_image, "image_pull_policy": "Never"}


@pytest.fixture(scope="module")
def agent_namespace(lab):
    """Agents of this module live in their own namespace, removed at the end."""
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)


def demo_pod(lab, selector):
    return lab.pod_by_label(DEMO, selector)["metadata"]["name"]


def exec_ok(lab, args, **kwargs):
    status, result = lab.module("kdebug_exec", args, **kwargs)
    assert status in ("SUCCESS", "CHANGED"), result
    return result


def ephemeral_names(lab, namespace, pod):
    spec = lab.kubectl_json("get", "pod", "-n", namespace, pod)["spec"]
    return [c["name"] for c in spec.get("ephemeralContainers") or []]


def run_pod(lab, namespace, name, image, args, extra=None):
    manifest = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
        "spec": dict({"terminationGracePeriodSeconds": 1,
                      "containers": [dict({"name": "app", "image": image, "imagePullPolicy": "Never"}, **args)]},
                     **(extra or {})),
    }
    import json
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def wait_phase(lab, namespace, name, phase, timeout=60):
    lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=jsonpath={.status.phase}=" + phase,
                "--timeout=%ds" % timeout)


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
@pytest.mark.parametrize("selector, port, container", [("app=web", ":8080", "web"), ("app=noshell", ":8080", "app"),
                                                       ("app=multi", ":8081", "app")])
def test_strategies_see_the_target_network_and_processes(lab, tools, agent_namespace, strategy, selector, port,
                                                         container):
    target = lab.pod_by_label(DEMO, selector)
    pod = target["metadata"]["name"]
    args = dict(tools, pod=pod, namespace=DEMO, strategy=strategy, agent_namespace=agent_namespace,
                shell="ss -ltn; echo ---; ps -eo args")
    result = exec_ok(lab, args)
    assert result["rc"] == 0 and result["strategy"] == strategy
    assert port in result["stdout"], result["stdout"]
    assert result["target"]["container"] == container  # multi: the annotated default, not the first
    assert result["target"]["node"] == target["spec"]["nodeName"]
    assert result["target"]["container_id"].startswith("containerd://")
    processes = result["stdout"].split("---", 1)[1]
    assert ("demoapp" if "noshell" in selector else "httpd") in processes
    if strategy == "agent":
        container_id = result["target"]["container_id"].split("://")[1]
        pid = lab.host_pid(container_id, result["target"]["pid"])  # the pid as the target's node numbers it
        with open("/proc/%d/cgroup" % pid) as handle:
            assert result["target"]["container_id"].split("://")[1] in handle.read()
        assert result["agent_pod"]["namespace"] == agent_namespace
    else:
        assert result["debug_container"]["name"].startswith("kdebug-")
    assert set(result) >= {"rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "timed_out", "truncated",
                           "duration_ms", "strategy", "strategy_reason", "debug_container", "agent_pod", "target"}


def test_auto_picks_ephemeral_and_says_why(lab, tools):
    result = exec_ok(lab, dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO, command=["true"]))
    assert result["strategy"] == "ephemeral"
    assert "pods/ephemeralcontainers" in result["strategy_reason"]


def test_second_call_reuses_the_debug_container(lab, tools, scratch_namespace):
    run_pod(lab, scratch_namespace, "target", lab.busybox_image, {"command": ["sleep", "3600"]})
    wait_phase(lab, scratch_namespace, "target", "Running")
    args = dict(tools, pod="target", namespace=scratch_namespace, strategy="ephemeral", command=["hostname"])
    status, check = lab.module("kdebug_exec", args, check=True)
    assert status == "CHANGED" and check["plan"]["would_create"] is True
    assert ephemeral_names(lab, scratch_namespace, "target") == [], "check mode must not create anything"
    first = exec_ok(lab, args)
    second = exec_ok(lab, args)
    assert first["changed"] is True and second["changed"] is False
    assert first["debug_container"]["name"] == second["debug_container"]["name"]
    assert second["debug_container"]["reused"] is True
    assert ephemeral_names(lab, scratch_namespace, "target") == [first["debug_container"]["name"]]
    assert first["stdout"].strip() == "target"


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_chroot_sees_the_target_image_files(lab, tools, agent_namespace, strategy):
    result = exec_ok(lab, dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO, strategy=strategy,
                               agent_namespace=agent_namespace, chroot=True, command=["cat", "/www/index.html"]))
    assert "kdebug demo web" in result["stdout"]


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_command_io_env_timeout_and_limits(lab, tools, agent_namespace, strategy):
    base = dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO, strategy=strategy,
                agent_namespace=agent_namespace)
    literal = exec_ok(lab, dict(base, command=["echo", "$(id)", ";", "|", "`uname`"]))
    assert literal["stdout"] == "$(id) ; | `uname`\n"
    shell = exec_ok(lab, dict(base, shell="echo $((40 + 2)) | cat"))
    assert shell["stdout"] == "42\n"
    piped = exec_ok(lab, dict(base, command=["cat"], stdin="line one\nline two\n"))
    assert piped["stdout_lines"] == ["line one", "line two"]
    env = exec_ok(lab, dict(base, command=["env"], env={"KDEBUG_PROBE": "yes"}))
    assert "KDEBUG_PROBE=yes" in env["stdout_lines"]
    failing = exec_ok(lab, dict(base, shell="echo oops >&2; exit 3"))
    assert failing["rc"] == 3 and failing["stderr"] == "oops\n" and not failing.get("failed")
    started = time.monotonic()
    slow = exec_ok(lab, dict(base, command=["sleep", "30"], timeout=2))
    assert slow["timed_out"] is True and time.monotonic() - started < 20
    big = exec_ok(lab, dict(base, command=["seq", "1", "100000"], max_output_bytes=100))
    assert big["truncated"] is True and len(big["stdout"]) == 100 and big["stdout"].startswith("1\n2\n")


def test_check_mode_of_agent_strategy_creates_nothing(lab, tools):
    namespace = "kdebug-test-none-" + uuid.uuid4().hex[:6]
    status, result = lab.module("kdebug_exec", dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO,
                                                    strategy="agent", agent_namespace=namespace,
                                                    command=["true"]), check=True)
    assert status == "CHANGED" and result["plan"]["would_create"] is True
    assert lab.kubectl("get", "namespace", namespace, check=False).returncode != 0


def expect_failure(lab, args, *fragments):
    status, result = lab.module("kdebug_exec", args)
    assert status == "FAILED!", result
    for fragment in fragments:
        assert fragment in result["msg"], result["msg"]
    # Ansible marks every failure with exception "(traceback unavailable)"; a real traceback would show here.
    assert "Traceback" not in result.get("exception", "") + result.get("module_stderr", ""), result
    return result


def test_bad_targets_fail_clearly(lab, tools, scratch_namespace):
    base = dict(tools, command=["true"])
    expect_failure(lab, dict(base, pod="nope", namespace=DEMO), "pod nope not found in namespace kdebug-demo")
    expect_failure(lab, dict(base, pod="nope", namespace="no-such-ns"), "namespace no-such-ns not found")
    expect_failure(lab, dict(base, pod="multi", namespace=DEMO, container="nope"),
                   "container nope not found in pod kdebug-demo/multi", "sidecar, app")
    expect_failure(lab, dict(base, pod=demo_pod(lab, "app=crashy"), namespace=DEMO), "crash-looping",
                   "kdebug.toolkit.kdebug_fork")
    run_pod(lab, scratch_namespace, "pending", lab.busybox_image, {"command": ["sleep", "60"]},
            {"nodeSelector": {"kdebug.io/no-such-node": "true"}})
    expect_failure(lab, dict(base, pod="pending", namespace=scratch_namespace), "is Pending")
    run_pod(lab, scratch_namespace, "done", lab.busybox_image, {"command": ["true"]}, {"restartPolicy": "Never"})
    run_pod(lab, scratch_namespace, "failed", lab.busybox_image, {"command": ["false"]}, {"restartPolicy": "Never"})
    wait_phase(lab, scratch_namespace, "done", "Succeeded")
    wait_phase(lab, scratch_namespace, "failed", "Failed")
    expect_failure(lab, dict(base, pod="done", namespace=scratch_namespace), "has finished (phase Succeeded)")
    expect_failure(lab, dict(base, pod="failed", namespace=scratch_namespace), "has finished (phase Failed)",
                   "kdebug_fork")


def test_bad_arguments_fail_clearly(lab, tools):
    pod = dict(tools, pod="web", namespace=DEMO)
    expect_failure(lab, dict(pod, command=["true"], shell="true"), "mutually exclusive", "command|shell")
    expect_failure(lab, dict(pod), "one of the following is required", "command, shell")
    expect_failure(lab, dict(pod, command=["true"], timeout=0), "timeout must be a positive number")


def test_image_that_cannot_be_pulled_fails_fast(lab, scratch_namespace):
    run_pod(lab, scratch_namespace, "target", lab.busybox_image, {"command": ["sleep", "3600"]})
    wait_phase(lab, scratch_namespace, "target", "Running")
    started = time.monotonic()
    result = expect_failure(lab, {"pod": "target", "namespace": scratch_namespace, "strategy": "ephemeral",
                                  "image": "kdebug.local/does-not-exist:1", "image_pull_policy": "Never",
                                  "command": ["true"], "wait_timeout": 90},
                            "cannot run", "ErrImageNeverPull", "kdebug.local/does-not-exist:1")
    assert time.monotonic() - started < 60, "reported within the timeout, not after it"
    assert result.get("rc") is None


def test_missing_rights_are_named(lab, tools, scratch_namespace, tmp_path):
    """A ServiceAccount that may only read pods: auto names what ephemeral and agent would need."""
    lab.kubectl("create", "serviceaccount", "reader", "-n", scratch_namespace)
    lab.kubectl("create", "role", "pod-reader", "-n", scratch_namespace, "--verb=get,list", "--resource=pods")
    lab.kubectl("create", "rolebinding", "reader", "-n", scratch_namespace, "--role=pod-reader",
                "--serviceaccount=%s:reader" % scratch_namespace)
    run_pod(lab, scratch_namespace, "target", lab.busybox_image, {"command": ["sleep", "3600"]})
    wait_phase(lab, scratch_namespace, "target", "Running")
    token = lab.kubectl("create", "token", "reader", "-n", scratch_namespace).stdout.strip()
    config = lab.kubectl_json("config", "view", "--raw", "--minify")
    ca = tmp_path / "ca.crt"
    import base64
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    auth = {"host": config["clusters"][0]["cluster"]["server"], "api_key": token, "ca_cert": str(ca)}
    result = expect_failure(lab, dict(tools, **auth, pod="target", namespace=scratch_namespace, command=["true"]),
                            "no strategy can run here",
                            "patch pods/ephemeralcontainers in namespace " + scratch_namespace,
                            "create pods in namespace kdebug-system")
    assert result["error_class"] == "denied" and result["denied_by"] == "rbac"
    assert result["denial"]["missing"]["agent"]
    forced = expect_failure(lab, dict(tools, **auth, pod="target", namespace=scratch_namespace, strategy="ephemeral",
                                      command=["true"]),
                            "patch pods/ephemeralcontainers in namespace %s (role kdebug-ephemeral)" % scratch_namespace,
                            "Nothing was created")
    assert forced["denied_by"] == "rbac" and forced["denial"]["verb"] == "patch"
    assert forced["denial"]["role"] == "kdebug-ephemeral"
    assert ephemeral_names(lab, scratch_namespace, "target") == []


def test_concurrent_runs_make_one_ephemeral_container(lab, tools, scratch_namespace):
    run_pod(lab, scratch_namespace, "target", lab.busybox_image, {"command": ["sleep", "3600"]})
    wait_phase(lab, scratch_namespace, "target", "Running")
    args = dict(tools, pod="target", namespace=scratch_namespace, strategy="ephemeral", command=["echo", "hi"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _i: lab.module("kdebug_exec", args), range(10)))
    for status, result in outcomes:
        assert status in ("SUCCESS", "CHANGED"), result
        assert result["stdout"] == "hi\n"
    assert len(ephemeral_names(lab, scratch_namespace, "target")) == 1
    # Every run that saw its patch add the container records it under one deterministic name: one Event.
    events = lab.kubectl_json("get", "events", "-n", scratch_namespace, "--field-selector",
                              "involvedObject.name=target,reason=KdebugDebugContainer")["items"]
    assert len(events) == 1, events
    assert set(r["debug_container"]["audit_event"] for _s, r in outcomes) <= {events[0]["metadata"]["name"], None}


def test_concurrent_runs_make_one_agent(lab, tools):
    namespace = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    args = dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO, strategy="agent", agent_namespace=namespace,
                command=["echo", "hi"])
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            outcomes = list(pool.map(lambda _i: lab.module("kdebug_exec", args), range(10)))
        for status, result in outcomes:
            assert status in ("SUCCESS", "CHANGED"), result
        pods = lab.kubectl_json("get", "pods", "-n", namespace)["items"]
        assert len(pods) == 1
        assert sum(1 for _status, result in outcomes if result["agent_pod"]["created"]) == 1
    finally:
        lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_agent_deleted_while_a_command_runs(lab, tools):
    namespace = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    args = dict(tools, pod=demo_pod(lab, "app=web"), namespace=DEMO, strategy="agent", agent_namespace=namespace,
                command=["sleep", "60"], timeout=90)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(lab.module, "kdebug_exec", args)

            def command_running():
                # The agent has hostPID: once nsenter runs the command, pgrep in the agent sees it.
                if lab.kubectl("get", "namespace", namespace, check=False).returncode != 0:
                    return False
                pods = lab.kubectl_json("get", "pods", "-n", namespace)["items"]
                if not pods or pods[0]["status"].get("phase") != "Running":
                    return False
                return lab.kubectl("exec", "-n", namespace, pods[0]["metadata"]["name"], "--", "pgrep", "-f",
                                   "^sleep 60$", check=False).returncode == 0

            deadline = time.monotonic() + 90
            while not command_running():
                assert time.monotonic() < deadline, "the command never started in the agent"
                time.sleep(0.5)
            lab.kubectl("delete", "pods", "--all", "-n", namespace, "--grace-period=0", "--force")
            status, result = future.result(timeout=120)
        assert status == "FAILED!"
        assert "went away" in result["msg"] or "did not run to an exit code" in result["msg"], result["msg"]
    finally:
        lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
