"""kdebug_exec into a running init container, with each strategy and with `targets`; an init container that does
not run (completed) or a name the pod does not have fails saying which containers exist and what to do. The pods
live in a scratch namespace of the test."""
import json

import pytest


def init_pod(lab, namespace):
    """A pod stuck in init: `fetch` completed, `setup` (2 of 2) runs a marker command, `app` not started."""
    manifest = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "initing", "namespace": namespace},
        "spec": {"terminationGracePeriodSeconds": 1,
                 "initContainers": [
                     {"name": "fetch", "image": lab.busybox_image, "imagePullPolicy": "Never", "command": ["true"]},
                     {"name": "setup", "image": lab.busybox_image, "imagePullPolicy": "Never",
                      "command": ["sh", "-c", "exec sleep 3601"]}],
                 "containers": [{"name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                                 "command": ["sleep", "3600"]}]}}
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    lab.kubectl("wait", "-n", namespace, "pod/initing", "--timeout=60s",
                "--for=jsonpath={.status.initContainerStatuses[1].state.running.startedAt}")
    return "initing"


def run(lab, args):
    status, result = lab.module("kdebug_exec", dict(args, image=lab.tools_image, image_pull_policy="Never"))
    assert "Traceback" not in result.get("exception", "") + result.get("module_stderr", ""), result
    return status, result


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_exec_joins_a_running_init_container(lab, scratch_namespace, agent_namespace, strategy):
    pod = init_pod(lab, scratch_namespace)
    status, result = run(lab, dict(pod=pod, namespace=scratch_namespace, container="setup", strategy=strategy,
                                   agent_namespace=agent_namespace, shell="ps -eo args"))
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["rc"] == 0 and "sleep 3601" in result["stdout"], result["stdout"]
    assert result["target"]["container"] == "setup"
    status_id = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["status"]["initContainerStatuses"][1]
    assert result["target"]["container_id"] == status_id["containerID"]
    if strategy == "agent":
        # The pid is the one the target's node numbers: a worker has a PID namespace of its own.
        assert lab.host_pid(status_id["containerID"].split("://")[1], result["target"]["pid"]), result["target"]
    else:
        ephemeral = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["spec"]["ephemeralContainers"]
        assert [e["targetContainerName"] for e in ephemeral] == ["setup"]


def test_targets_join_a_running_init_container_and_a_completed_one_is_data(lab, scratch_namespace, agent_namespace):
    pod = init_pod(lab, scratch_namespace)
    status, result = run(lab, dict(targets=[{"pod": pod, "container": "setup", "host": "s"},
                                            {"pod": pod, "container": "fetch", "host": "f"}],
                                   namespace=scratch_namespace, agent_namespace=agent_namespace, timeout=20,
                                   shell="ps -eo args"))
    assert status == "CHANGED", result
    by_host = {r["host"]: r for r in result["results"]}
    assert by_host["s"]["rc"] == 0 and "sleep 3601" in by_host["s"]["stdout"], by_host["s"]
    assert by_host["f"]["failed"] and "init container fetch (1 of 2)" in by_host["f"]["msg"]


def test_an_init_container_that_does_not_run_or_does_not_exist_is_named(lab, scratch_namespace):
    pod = init_pod(lab, scratch_namespace)
    status, result = run(lab, dict(pod=pod, namespace=scratch_namespace, container="fetch", command=["true"]))
    assert status == "FAILED!", result
    assert "init container fetch (1 of 2)" in result["msg"] and "has completed (exit code 0)" in result["msg"]
    assert "kdebug_fork" in result["msg"], result["msg"]
    status, result = run(lab, dict(pod=pod, namespace=scratch_namespace, container="nope", command=["true"]))
    assert status == "FAILED!", result
    assert "it has: app; init containers: fetch, setup" in result["msg"], result["msg"]
    # The main container has not started: the pod is Pending, with setup named.
    status, result = run(lab, dict(pod=pod, namespace=scratch_namespace, container="app", command=["true"]))
    assert status == "FAILED!", result
    assert "is Pending: its init container setup (2 of 2) is running, and container app waits for it" in result["msg"]
    assert "container: setup" in result["msg"] and result["init_container"] == "setup", result
