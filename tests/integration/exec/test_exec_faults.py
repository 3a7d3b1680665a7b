"""kdebug_exec under faults on the lab (issue 14): concurrent runs on one pod, a command that ignores SIGTERM,
and a pod, container or agent lost mid-command (for one target, and in a batch: ``targets``). None of these
stops the API server (the lab is shared).

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


def target_pod(lab, namespace, name="target", node=None, wait=True):
    """A busybox pod that sleeps, ready: a target whose pid 1 ignores SIGTERM, so it goes within 1 s of a delete.
    With ``node``, placed there (whatever its taints)."""
    spec = {"terminationGracePeriodSeconds": 1}
    if node:
        spec.update(nodeSelector={"kubernetes.io/hostname": node}, tolerations=[{"operator": "Exists"}])
    lab.kubectl("run", "-n", namespace, name, "--image", lab.busybox_image, "--image-pull-policy", "Never",
                "--overrides", json.dumps({"spec": spec}), "--command", "--", "sleep", "3600")
    if wait:
        lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=condition=Ready", "--timeout=60s")
    return name


def pods_on_two_nodes(lab, namespace, counts=(2, 1)):
    """Target pods on two Ready nodes of the lab, ``counts`` on each: [(node, [pod names])], each node as the pods
    report it."""
    ready = sorted(n["metadata"]["name"] for n in lab.kubectl_json("get", "nodes")["items"]
                   if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]))
    assert len(ready) >= 2, "the lab needs two Ready nodes: %s" % ready
    names = [(node, ["t%d-%d" % (i, j) for j in range(count)]) for i, (node, count) in enumerate(zip(ready, counts))]
    for node, pods in names:
        for pod in pods:
            target_pod(lab, namespace, pod, node, wait=False)
    lab.kubectl("wait", "-n", namespace, "pods", "--all", "--for=condition=Ready", "--timeout=90s")
    placed = {p["metadata"]["name"]: p["spec"]["nodeName"]
              for p in lab.kubectl_json("get", "pods", "-n", namespace)["items"]}
    assert all(placed[pod] == node for node, pods in names for pod in pods), placed
    return names


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


def batch_args(lab, namespace, agent_namespace, pods, seconds, **args):
    """kdebug_exec over ``pods`` (one target each, ``host`` its name): ``sleep SECONDS`` in every one."""
    return dict(TOOLS, image=lab.tools_image, namespace=namespace, agent_namespace=agent_namespace,
                targets=[{"pod": pod, "host": pod} for pod in pods], command=["sleep", seconds], **args)


def test_a_batch_target_pod_deleted_mid_command_fails_that_target_only(lab, scratch_namespace, agent_namespace):
    """A batch over pods on two nodes: one pod deleted while every target runs the command. That target fails
    `lost` naming its pod, as a single target does; its neighbour on the same node (the same agent exec) and the
    pod on the other node end with their own exit code."""
    (node, (victim, neighbour)), (_other_node, (other,)) = pods_on_two_nodes(lab, scratch_namespace)
    seconds = "20.%s" % marker()  # the command's time, and its fingerprint in the process table
    args = batch_args(lab, scratch_namespace, agent_namespace, [victim, neighbour, other], seconds, timeout=60,
                      ttl_seconds=600)
    status, result, after = run_while(lab, args, lambda: len(node_pids(seconds)) == 3, lambda: lab.kubectl(
        "delete", "pod", "-n", scratch_namespace, victim, "--grace-period=1", "--wait=false"))
    assert status == "CHANGED", result  # the agents were created
    got = {r["host"]: r for r in result["results"]}
    lost = got[victim]
    assert lost["failed"] is True and lost["error_class"] == "lost" and lost["lost"] == "target_pod", lost
    assert "target pod %s/%s" % (scratch_namespace, victim) in lost["msg"] and lost["rc"] is None, lost
    assert lost["target"]["node"] == node and lost["agent_pod"]["node"] == node
    for pod in (neighbour, other):
        assert got[pod]["failed"] is False and got[pod]["rc"] == 0 and got[pod]["timed_out"] is False, got[pod]
        assert "lost" not in got[pod]
    for one in result["results"]:
        # As a single target's result: the agent this run created, and its TTL left when the command ended.
        assert one["agent_pod"]["created"] is True, one
        assert 500 <= one["agent_pod"]["expires_in_seconds"] <= 600 - 20, one["agent_pod"]
    assert result["summary"]["failed"] == 1 and result["summary"]["ran"] == 2
    assert after < 30 and "Traceback" not in lost["msg"]
    assert node_pids(seconds) == []


def test_a_batch_agent_deleted_mid_command_fails_that_nodes_targets_only(lab, scratch_namespace, agent_namespace):
    """The agent of one node deleted while the batch's command runs: that node's targets fail `lost` naming the
    agent pod and its node, as a single target does; the other node's target ends with its own exit code. The
    next batch makes a new agent there, and replaces the other node's agent that has too little of its TTL left,
    saying so as a single target does."""
    (node, (first, second)), (_other_node, (other,)) = pods_on_two_nodes(lab, scratch_namespace)
    seconds = "20.%s" % marker()
    args = batch_args(lab, scratch_namespace, agent_namespace, [first, second, other], seconds, timeout=60,
                      ttl_seconds=120)

    def delete_the_agent():
        (agent,) = [a for a in lab.live_pods(agent_namespace, "kdebug.io/component=agent")
                    if a["spec"]["nodeName"] == node]
        lab.kubectl("delete", "pod", "-n", agent_namespace, agent["metadata"]["name"], "--grace-period=0", "--force")
    status, result, after = run_while(lab, args, lambda: len(node_pids(seconds)) == 3, delete_the_agent)
    assert status == "CHANGED", result
    got = {r["host"]: r for r in result["results"]}
    for pod in (first, second):
        lost = got[pod]
        assert lost["failed"] is True and lost["error_class"] == "lost" and lost["lost"] == "agent_pod", lost
        assert "agent pod %s/%s of node %s" % (agent_namespace, lost["agent_pod"]["name"], node) in lost["msg"], lost
        assert lost["rc"] is None and "Traceback" not in lost["msg"]
    kept = got[other]
    assert kept["failed"] is False and kept["rc"] == 0 and "lost" not in kept, kept
    assert kept["agent_pod"]["created"] is True and kept["agent_pod"]["expires_in_seconds"] <= 120 - 20, kept
    assert result["summary"]["failed"] == 2 and result["summary"]["ran"] == 1 and after < 30
    wait_until(lambda: node_pids(seconds) == [], 30, "the commands of the deleted agent to end")

    # Again, needing 119 s of an agent's TTL: the deleted one is made anew, the other one (less than 100 s left)
    # is replaced, and the task warns saying so.
    status, again = lab.module("kdebug_exec", dict(args, command=["true"], timeout=89))
    assert status == "CHANGED", again
    assert all(r["rc"] == 0 and r["agent_pod"]["created"] is True for r in again["results"]), again["results"]
    warnings = " ".join(again.get("warnings") or [])
    assert "replaced the existing agent pod %s/%s" % (agent_namespace, kept["agent_pod"]["name"]) in warnings
    assert "TTL ends in" in warnings, again
    assert sorted(a["spec"]["nodeName"] for a in lab.live_pods(agent_namespace, "kdebug.io/component=agent")) == \
        sorted({r["target"]["node"] for r in again["results"]})


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
