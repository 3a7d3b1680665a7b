"""kdebug_exec under faults on the lab (issue 14): concurrent runs on one pod, a command that ignores SIGTERM,
and a pod, container or agent lost mid-command. None of these stops the API server (the lab is shared).

Every lab node runs on this machine (lab/up runs their kubelets, containerds and dockerd here; a worker's own PID
namespace is inside this host's), so a process a command left on a node is seen with pgrep on this host: that is
how "the process is gone" is proven.
"""
import concurrent.futures
import json
import os
import random
import subprocess
import time

import pytest

TARGET_ID_LABEL = "kdebug.io/target-container-id"  # on every docker tools container (transforms/docker.py)

TOOLS = {"image_pull_policy": "Never"}


def marker():
    """A sleep argument no other process on the node uses: the command's fingerprint in the process table."""
    return str(random.randint(30000, 39999))


def node_pids(seconds):
    """Pids of ``sleep SECONDS`` processes on the node (this machine)."""
    found = subprocess.run(["pgrep", "-f", "^sleep %s$" % seconds], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out after %ss waiting for %s" % (timeout, what)
        time.sleep(0.2)


def target_pod(lab, namespace, name="target"):
    """A busybox pod that sleeps, ready: a target whose pid 1 ignores SIGTERM, so it goes within 1 s of a delete."""
    lab.kubectl("run", "-n", namespace, name, "--image", lab.busybox_image, "--image-pull-policy", "Never",
                "--overrides", json.dumps({"spec": {"terminationGracePeriodSeconds": 1}}), "--command", "--",
                "sleep", "3600")
    lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=condition=Ready", "--timeout=60s")
    return name


def kdebug_tools(lab, target):
    """The tools containers kdebug runs for ``target`` (other runs on the lab have their own)."""
    target_id = lab.docker("inspect", "-f", "{{.Id}}", target).stdout.strip()
    return lab.docker("ps", "-aq", "--filter", "label=app.kubernetes.io/managed-by=kdebug", "--filter",
                      "label=%s=%s" % (TARGET_ID_LABEL, target_id)).stdout.split()


# --- 20 concurrent runs on one pod ---------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_twenty_concurrent_runs_on_one_pod_make_one_change(lab, scratch_namespace, agent_namespace, strategy):
    pod = target_pod(lab, scratch_namespace)
    args = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy=strategy,
                agent_namespace=agent_namespace, command=["echo", "hi"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _i: lab.module("kdebug_exec", args), range(20)))
    for status, result in outcomes:
        assert status in ("SUCCESS", "CHANGED"), result
        assert result["stdout"] == "hi\n"
    changed = [result for _status, result in outcomes if result["changed"]]
    assert len(changed) == 1, "%d of 20 runs say they created the %s" % (len(changed), strategy)
    if strategy == "ephemeral":
        spec = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["spec"]
        assert len(spec.get("ephemeralContainers") or []) == 1
        assert changed[0]["debug_container"]["reused"] is False
        assert sum(1 for _s, r in outcomes if r["debug_container"]["reused"]) == 19
    else:
        assert len(lab.kubectl_json("get", "pods", "-n", agent_namespace)["items"]) == 1
        assert changed[0]["agent_pod"]["created"] is True


# --- a command that ignores SIGTERM ---------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["agent", "ephemeral", "batch", "docker"])
def test_a_command_that_ignores_sigterm_is_killed_at_its_timeout(lab, scratch_namespace, agent_namespace,
                                                                 docker_target, strategy):
    seconds = marker()
    args = dict(TOOLS, image=lab.tools_image, shell='trap "" TERM; sleep %s; echo survived' % seconds, timeout=2)
    if strategy == "docker":
        args.update(docker_container=docker_target, docker_host=lab.docker_host)
    elif strategy == "batch":
        args.update(targets=[{"pod": target_pod(lab, scratch_namespace)}], namespace=scratch_namespace,
                    agent_namespace=agent_namespace)
    else:
        args.update(pod=target_pod(lab, scratch_namespace), namespace=scratch_namespace, strategy=strategy,
                    agent_namespace=agent_namespace)
    status, result = lab.module("kdebug_exec", args)
    assert status in ("SUCCESS", "CHANGED"), result
    one = result["results"][0] if strategy == "batch" else result
    assert one["timed_out"] is True and "survived" not in one["stdout"], one
    # TERM at 2 s, KILL 2 s later; the rest is the tools container's or the agent's start (the module's own time:
    # Ansible's start on a loaded machine is no part of the bound).
    assert result["duration_ms"] < (2 + 2 + 10) * 1000, "took %sms" % result["duration_ms"]
    assert node_pids(seconds) == [], "the command outlived its timeout on the node"
    if strategy == "docker":
        assert kdebug_tools(lab, docker_target) == []


# --- a pod, a container or the agent lost mid-command --------------------------------------------------------


def run_while(lab, args, running, fault, timeout=120):
    """Run kdebug_exec; once ``running()`` says the command runs, apply ``fault()``: (status, result, seconds)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        future = pool.submit(lab.module, "kdebug_exec", args)
        wait_until(lambda: running() or future.done(), 90, "the command to run")
        assert not future.done(), future.result()
        faulted = time.monotonic()
        fault()
        status, result = future.result(timeout=timeout)
        return status, result, time.monotonic() - faulted


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_the_target_pod_deleted_mid_command_is_a_failure_that_says_so(lab, scratch_namespace, agent_namespace,
                                                                      strategy):
    pod, seconds = target_pod(lab, scratch_namespace), marker()
    args = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy=strategy,
                agent_namespace=agent_namespace, command=["sleep", seconds], timeout=90)
    status, result, after = run_while(lab, args, lambda: node_pids(seconds) != [], lambda: lab.kubectl(
        "delete", "pod", "-n", scratch_namespace, pod, "--grace-period=1", "--wait=false"))
    assert status == "FAILED!", result
    assert result["error_class"] == "lost" and result["lost"] == "target_pod", result
    assert "target pod %s/%s" % (scratch_namespace, pod) in result["msg"] and result.get("rc") is None
    assert after < 30 and "Traceback" not in result["msg"]


def test_the_debug_container_killed_mid_command_is_a_failure_that_says_so(lab, scratch_namespace):
    pod, seconds, ttl = target_pod(lab, scratch_namespace), marker(), marker()
    args = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy="ephemeral",
                ttl_seconds=int(ttl), command=["sleep", seconds], timeout=90)

    def kill_the_debug_container():
        # Its own process is `sleep TTL`: killing it ends the container, and the runtime ends what runs in it.
        (pid,) = node_pids(ttl)
        os.kill(pid, 9)
    status, result, after = run_while(lab, args, lambda: node_pids(seconds) != [], kill_the_debug_container)
    assert status == "FAILED!", result
    assert result["error_class"] == "lost" and result["lost"] == "debug_container", result
    assert result["debug_container"]["name"] in result["msg"] and result.get("rc") is None
    assert after < 30 and node_pids(seconds) == []


def test_the_agent_deleted_mid_command_is_a_failure_that_says_so(lab, scratch_namespace, agent_namespace):
    pod, seconds = target_pod(lab, scratch_namespace), marker()
    args = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy="agent",
                agent_namespace=agent_namespace, command=["sleep", seconds], timeout=90)
    status, result, after = run_while(lab, args, lambda: node_pids(seconds) != [], lambda: lab.kubectl(
        "delete", "pods", "--all", "-n", agent_namespace, "--grace-period=0", "--force"))
    assert status == "FAILED!", result
    assert result["error_class"] == "lost" and result["lost"] == "agent_pod", result
    assert "agent pod %s/" % agent_namespace in result["msg"] and result.get("rc") is None
    assert after < 30


def test_the_docker_tools_container_killed_mid_command_is_a_failure_that_says_so(lab, docker_target):
    seconds = marker()
    args = dict(TOOLS, image=lab.tools_image, docker_container=docker_target, docker_host=lab.docker_host,
                command=["sleep", seconds], timeout=90)
    status, result, after = run_while(lab, args, lambda: node_pids(seconds) != [],
                                      lambda: lab.docker("kill", *kdebug_tools(lab, docker_target)))
    assert status == "FAILED!", result
    assert result["error_class"] == "lost" and result["lost"] == "tools_container", result
    assert "was killed" in result["msg"] and result.get("rc") is None
    assert after < 30 and kdebug_tools(lab, docker_target) == []


def test_a_command_that_kills_itself_is_its_own_exit_code(lab, scratch_namespace):
    """rc 137 from the command itself (nothing lost) stays the command's exit code, not a failure."""
    pod = target_pod(lab, scratch_namespace)
    status, result = lab.module("kdebug_exec", dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace,
                                                    strategy="ephemeral", shell="kill -9 $$"))
    assert status in ("SUCCESS", "CHANGED") and result["rc"] == 137 and not result.get("lost"), result


# --- lifetime-aware reuse and the generation budget ----------------------------------------------------------


def test_a_debug_container_too_close_to_its_ttl_is_not_reused(lab, scratch_namespace):
    pod = target_pod(lab, scratch_namespace)
    base = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy="ephemeral",
                ttl_seconds=120, command=["true"])
    status, first = lab.module("kdebug_exec", dict(base, timeout=5))  # needs 35 s of its 120
    assert status == "CHANGED" and 100 <= first["debug_container"]["expires_in_seconds"] <= 120, first
    status, again = lab.module("kdebug_exec", dict(base, timeout=5))
    assert status == "SUCCESS" and again["debug_container"]["name"] == first["debug_container"]["name"]
    status, second = lab.module("kdebug_exec", dict(base, timeout=89))  # needs 119 s: the first has less left
    assert status == "CHANGED", second
    assert second["debug_container"]["name"] == first["debug_container"]["name"] + "-2"
    warnings = " ".join(second.get("warnings") or [])
    assert "%s has" % first["debug_container"]["name"] in warnings and "not reused" in warnings, second


def test_an_agent_too_close_to_its_ttl_is_replaced(lab, scratch_namespace, agent_namespace):
    pod = target_pod(lab, scratch_namespace)
    base = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, strategy="agent",
                agent_namespace=agent_namespace, ttl_seconds=120, command=["true"])
    status, first = lab.module("kdebug_exec", dict(base, timeout=5))
    assert status == "CHANGED" and 100 <= first["agent_pod"]["expires_in_seconds"] <= 120, first
    uid = lab.kubectl_json("get", "pods", "-n", agent_namespace)["items"][0]["metadata"]["uid"]
    status, second = lab.module("kdebug_exec", dict(base, timeout=89))
    assert status == "CHANGED" and second["agent_pod"]["created"] is True, second
    assert "TTL ends in" in " ".join(second.get("warnings") or []), second
    pods = lab.live_pods(agent_namespace)
    assert len(pods) == 1 and pods[0]["metadata"]["uid"] != uid


def test_a_pod_past_its_generation_budget_is_served_by_the_agent(lab, scratch_namespace, agent_namespace):
    """50 ended kdebug debug containers (made here directly: each runs `true`), then kdebug_exec."""
    pod = target_pod(lab, scratch_namespace)
    ended = [{"name": "kdebug-ended-%d" % n, "image": lab.busybox_image, "imagePullPolicy": "Never",
              "command": ["true"]} for n in range(50)]
    lab.kubectl("patch", "pod", pod, "-n", scratch_namespace, "--subresource", "ephemeralcontainers", "-p",
                json.dumps({"spec": {"ephemeralContainers": ended}}))

    def all_ended():
        statuses = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["status"].get(
            "ephemeralContainerStatuses") or []
        return sum(1 for s in statuses if "terminated" in s.get("state", {})) == 50
    wait_until(all_ended, 180, "50 debug containers to end")
    args = dict(TOOLS, image=lab.tools_image, pod=pod, namespace=scratch_namespace, agent_namespace=agent_namespace,
                command=["echo", "hi"])
    status, result = lab.module("kdebug_exec", dict(args, strategy="ephemeral"))
    assert status == "FAILED!" and result["error_class"] == "generation_budget", result
    assert "carries 50 ended kdebug ephemeral containers" in result["msg"] and result["ended_containers"] == 50
    status, result = lab.module("kdebug_exec", args)  # auto
    assert status in ("SUCCESS", "CHANGED") and result["strategy"] == "agent" and result["stdout"] == "hi\n", result
    assert "carries 50 ended" in result["strategy_reason"]
    assert any("carries 50 ended" in w for w in result.get("warnings") or []), result
    spec = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["spec"]
    assert len(spec["ephemeralContainers"]) == 50, "no debug container was added past the budget"
