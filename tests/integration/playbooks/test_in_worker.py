"""The same kdebug task run in the Ansible worker and as a module process gives the same result.

Every other integration test takes the default path (in the worker); these run both
on the lab and compare, so the module-process path (remote hosts, become, async,
kdebug_in_worker=false) stays covered too.
"""
import collections
import json
import uuid

import pytest

Run = collections.namedtuple("Run", "status result out")
DEMO = "kdebug-demo"


def both(lab, name, args, check=False):
    """The Run in the worker, then the Run as a module process (status, result, -vvv stdout)."""
    return (Run(*lab.module(name, args, check=check, in_worker=True, verbose=True)),
            Run(*lab.module(name, args, check=check, in_worker=False, verbose=True)))


def test_exec_gives_the_same_result_either_way_and_says_where_it_ran(lab):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    args = {"pod": pod, "namespace": DEMO, "image": lab.tools_image, "strategy": "ephemeral",
            "command": ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $0 '$HOME' \"$X\""],
            "env": {"X": "a b;c"}}
    # The first call on a fresh lab adds the debug container (changed); compare two calls that reuse it.
    lab.module("kdebug_exec", args)
    in_worker, in_process = both(lab, "kdebug_exec", args)
    assert "kdebug.toolkit.kdebug_exec runs in the worker" in in_worker.out
    assert "runs as a module process: kdebug_in_worker is false" in in_process.out
    worker, process = in_worker.result, in_process.result
    assert in_worker.status == in_process.status == "SUCCESS", (worker, process)
    # the time left of the debug container's TTL goes down between the two calls: compared apart
    left = worker["debug_container"].pop("expires_in_seconds"), process["debug_container"].pop("expires_in_seconds")
    assert 0 < left[1] <= left[0] or 0 < left[0] <= left[1], left
    for key in ("rc", "stdout", "stderr", "strategy", "strategy_reason", "target", "debug_container", "timed_out"):
        assert worker[key] == process[key], key
    assert worker["stdout_lines"][-1] == "sh $HOME a b;c"
    assert sorted(worker) == sorted(process)


def test_a_missing_pod_is_the_same_clear_failure_either_way(lab):
    args = {"pod": "no-such-pod", "namespace": DEMO, "image": lab.tools_image, "command": ["true"]}
    in_worker, in_process = both(lab, "kdebug_exec", args)
    worker, process = in_worker.result, in_process.result
    assert in_worker.status == in_process.status == "FAILED!"
    assert worker["msg"] == process["msg"] and "no-such-pod" in worker["msg"]
    assert "Traceback (most recent call last)" not in json.dumps(worker)
    assert sorted(worker) == sorted(process)


def test_bad_arguments_are_refused_the_same_way(lab):
    args = {"pod": "web", "namespace": DEMO, "command": ["true"], "shell": "true"}
    in_worker, in_process = both(lab, "kdebug_exec", args)
    worker, process = in_worker.result, in_process.result
    assert in_worker.status == in_process.status == "FAILED!"
    assert worker["msg"] == process["msg"] and "mutually exclusive" in worker["msg"]


def test_check_mode_reaches_the_module_in_the_worker(lab):
    node = lab.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]
    before = lab.kubectl("get", "pods", "-n", "kdebug-system", "-o", "name", check=False).stdout
    args = {"node": node, "image": lab.tools_image, "agent_namespace": "kdebug-system"}
    in_worker, in_process = both(lab, "kdebug_agent", args, check=True)
    worker, process = in_worker.result, in_process.result
    assert (in_worker.status, worker["changed"]) == (in_process.status, process["changed"])
    assert worker["agent"]["name"] == process["agent"]["name"]
    assert lab.kubectl("get", "pods", "-n", "kdebug-system", "-o", "name", check=False).stdout == before


def test_triage_checks_are_the_same_either_way(lab):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    worker, process = [run.result for run in both(lab, "kdebug_triage", {"pod": pod, "namespace": DEMO})]
    assert [(c["name"], c["status"]) for c in worker["checks"]] == [(c["name"], c["status"]) for c in process["checks"]]


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: the task's environment reaches a module run in the worker
      kdebug.toolkit.kdebug_triage: {pod: %(pod)s, namespace: %(ns)s}
      environment:
        K8S_AUTH_KUBECONFIG: /nonexistent/kdebug-kubeconfig
      register: with_env
      ignore_errors: true
    - name: and stays with that task
      kdebug.toolkit.kdebug_triage: {pod: %(pod)s, namespace: %(ns)s}
      register: without_env
    - ansible.builtin.copy:
        content: "{{ {'with_env': with_env, 'without_env': without_env} | to_json }}"
        dest: %(out)s
"""


def test_the_task_environment_applies_to_that_task_only(lab, tmp_path):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    out = tmp_path / "results.json"
    playbook = tmp_path / "env.yml"
    playbook.write_text(PLAYBOOK % {"pod": pod, "ns": DEMO, "out": out})
    proc = lab.playbook(str(playbook), args=["-vvv"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "kdebug.toolkit.kdebug_triage runs in the worker" in proc.stdout
    results = json.loads(out.read_text())
    assert results["with_env"]["failed"] is True
    assert "/nonexistent/kdebug-kubeconfig" in results["with_env"]["msg"]
    assert results["without_env"].get("failed") is not True and results["without_env"]["checks"]


@pytest.mark.parametrize("in_worker, extra_vars, requester", [
    (True, {"awx_user_name": "alice", "awx_job_id": 42}, "awx:alice (job 42)"),
    (False, {"tower_user_name": "bob", "tower_job_id": 7}, "awx:bob (job 7)"),
])
def test_under_awx_the_agent_is_annotated_with_the_awx_user_and_job(lab, in_worker, extra_vars, requester):
    agent_namespace = "kdebug-test-awx-" + uuid.uuid4().hex[:6]
    args = {"node": lab.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"], "image": lab.tools_image,
            "image_pull_policy": "Never", "agent_namespace": agent_namespace, "ttl_seconds": 300}
    try:
        status, result = lab.module("kdebug_agent", args, in_worker=in_worker, extra_vars=extra_vars)
        assert status == "CHANGED", result
        pod = lab.kubectl_json("get", "pod", "-n", agent_namespace, result["agent"]["name"])
        assert pod["metadata"]["annotations"]["kdebug.io/requested-by"] == requester
        status, result = lab.module("kdebug_agent", dict(args, state="absent"), in_worker=in_worker)
        assert status == "CHANGED", result
    finally:
        lab.kubectl("delete", "namespace", agent_namespace, "--wait=false", check=False)
