"""kdebug.toolkit.kdebug_fork against the lab: real pods, real API, nothing mocked.

Sources that a test changes or sets up live in its scratch namespace; the shared
kdebug-demo/crashy is forked (never changed) and its fork is always removed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

DEMO = "kdebug-demo"
MANAGED = {"app.kubernetes.io/managed-by": "kdebug", "kdebug.io/component": "fork"}
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def fork_module(lab, args, **kwargs):
    """lab.module for kdebug_fork, with the status taken from the result when the harness cannot tell.

    Every kdebug_fork success carries ``state``; a failure (fail_json) never does. Some result
    capture paths (ansible's tree callback) drop the ``failed`` key, which would make a failure look
    like SUCCESS.
    """
    status, result = lab.module("kdebug_fork", args, **kwargs)
    if status != "FAILED!" and "state" not in result:
        status = "FAILED!"
    return status, result


def registered(lab, args, check=False, diff=False):
    """The result as a playbook registers it (with ``diff``, which the ad hoc harness drops), via ansible-playbook."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        playbook = [{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"kdebug.toolkit.kdebug_fork": args, "register": "r", "ignore_errors": True},
            {"ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": out}, "check_mode": False,
             "diff": False}]}]
        path = os.path.join(tmp, "playbook.yml")
        with open(path, "w") as handle:
            json.dump(playbook, handle)
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=" + sys.executable, path]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
                                  os.path.abspath(__file__))))))
        assert os.path.exists(out), proc.stdout + proc.stderr
        with open(out) as handle:
            return json.load(handle)


def apply(lab, *objects):
    lab.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def crashing_pod(namespace, name, command=None, args=None, image="kdebug.local/busybox:1.35", policy="Never",
                 labels=None):
    container = {"name": "app", "image": image, "imagePullPolicy": policy}
    if command is not None:
        container["command"] = command
    if args is not None:
        container["args"] = args
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 2, "containers": [container]}}


def wait_crashed(lab, namespace, selector=None, name=None, timeout=120):
    """The source pod once its container has terminated at least once (so it has a last termination)."""
    deadline = time.monotonic() + timeout
    while True:
        if name:
            pods = [lab.kubectl_json("get", "pod", "-n", namespace, name)]
        else:
            pods = lab.kubectl_json("get", "pods", "-n", namespace, "-l", selector)["items"]
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            for status in pod.get("status", {}).get("containerStatuses") or []:
                if status.get("restartCount", 0) >= 1 or "terminated" in (status.get("state") or {}):
                    return pod
        assert time.monotonic() < deadline, "no crashed pod %s in %s" % (name or selector, namespace)
        time.sleep(1)


def fork_pods(lab, namespace):
    return lab.kubectl_json("get", "pods", "-n", namespace, "-l",
                            "app.kubernetes.io/managed-by=kdebug,kdebug.io/component=fork")["items"]


def assert_fork_shape(pod, held="app"):
    """What every fork looks like in the cluster."""
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["labels"] == MANAGED
    assert not meta.get("ownerReferences")
    assert not meta.get("finalizers")
    assert spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] > 0
    assert not spec.get("ephemeralContainers")
    for container in spec["containers"] + spec.get("initContainers", []):
        for probe in PROBES:
            assert probe not in container, (container["name"], probe)
        for port in container.get("ports") or []:
            assert "hostPort" not in port
    target = next(c for c in spec["containers"] if c["name"] == held)
    assert target["command"][0] == "/.kdebug/busybox"
    assert "args" not in target
    assert spec["initContainers"][0]["name"] == "kdebug-fork-tools"
    assert "kdebug.io/fork-of" in meta["annotations"] and "kdebug.io/requested-by" in meta["annotations"]
    status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == held)
    assert "running" in status["state"] and status["restartCount"] == 0


def test_crashy_forks_holds_replays_and_stays_out_of_its_service(lab):
    source = wait_crashed(lab, DEMO, selector="app=crashy")
    name = source["metadata"]["name"]
    args = {"namespace": DEMO, "pod": name, "image": lab.tools_image}
    fork_module(lab, dict(args, state="absent"))  # a leftover of an interrupted run
    status, result = fork_module(lab, dict(args, replay=True, replay_timeout=30))
    fork_name = (result.get("fork") or {}).get("name")
    try:
        assert status == "CHANGED", result
        assert result["fork"]["phase"] == "Running" and result["fork"]["fork_of"] == "%s/%s" % (DEMO, name)
        assert result["fork"]["name"].startswith("kdebug-fork-crashy-")
        assert result["fork"]["node"]

        # The replay shows the crash without anyone typing.
        replay = result["replay"]
        assert replay["status"] == "ran", replay
        assert replay["argv"][:2] == ["sh", "-c"]
        assert replay["rc"] == 1
        assert replay["stdout_lines"] == ["crashy starting"]
        assert replay["stderr_lines"] == ["fatal: config file /etc/crashy/app.conf not found"]
        assert replay["timed_out"] is False and 0 <= replay["duration_ms"] < 30000

        # The source's own last crash and its logs.
        last = result["source"]["last_termination"]
        assert last["exit_code"] == 1 and last["reason"] == "Error" and last["finished_at"]
        assert "crashy starting" in result["source"]["previous_logs"]["lines"]
        assert result["source"]["owner"].startswith("ReplicaSet/crashy-")

        changes = "\n".join(result["changes"])
        for expected in ("metadata.labels: removed app", "metadata.ownerReferences: cleared (ReplicaSet/crashy-",
                         "spec.nodeName: cleared", "spec.containers[app]: removed readinessProbe, livenessProbe",
                         "spec.containers[app].ports: cleared hostPort 18080", "spec.restartPolicy: Never",
                         "spec.containers[app].command: held"):
            assert expected in changes, expected
        assert result["held"]["original_command"] == ["sh", "-c"]
        assert result["held"]["entrypoint_known"] is True

        pod = lab.kubectl_json("get", "pod", "-n", DEMO, fork_name)
        assert_fork_shape(pod)
        assert pod["spec"]["activeDeadlineSeconds"] == 3600
        # The fork holds: pid 1 of the held container is the injected busybox, not the entrypoint.
        cmdline = lab.kubectl("exec", "-n", DEMO, fork_name, "-c", "app", "--", "cat", "/proc/1/cmdline").stdout
        assert "/.kdebug/busybox" in cmdline and "sleep" in cmdline

        # Ready (no probes), so it would be routed to if anything selected it; nothing does.
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True"
        for _attempt in range(5):
            slices = lab.kubectl_json("get", "endpointslices", "-n", DEMO, "-l", "kubernetes.io/service-name=crashy")
            targets = [e.get("targetRef", {}).get("name") for s in slices["items"] for e in s.get("endpoints") or []]
            assert fork_name not in targets, targets
            time.sleep(1)

        # Present again: the same fork, nothing changed; the replay still runs.
        status, again = fork_module(lab, dict(args, replay=True, replay_timeout=30))
        assert status == "SUCCESS", again
        assert again["fork"]["uid"] == result["fork"]["uid"]
        assert again["replay"]["rc"] == 1

        # Keeping the label its Service selects on is refused (before anything is created).
        status, kept = fork_module(lab, dict(args, keep_labels=["app"]), check=True)
        assert status == "FAILED!", kept
        assert "would be selected by Service %s/crashy" % DEMO in kept["msg"], kept["msg"]

        # A fork is not forked again: it is already held.
        status, refused = fork_module(lab, dict(args, pod=fork_name))
        assert status == "FAILED!"
        assert "is itself a kdebug fork (of %s/%s)" % (DEMO, name) in refused["msg"], refused["msg"]
        assert len([p for p in fork_pods(lab, DEMO) if p["metadata"]["name"].startswith("kdebug-fork-kdebug-fork")]) == 0
    finally:
        # state=absent accepts the fork's own name too.
        status, gone = fork_module(lab, {"namespace": DEMO, "pod": fork_name or name, "state": "absent"})
    assert status == "CHANGED", gone
    assert lab.kubectl("get", "pod", "-n", DEMO, fork_name, check=False).returncode != 0
    status, gone = fork_module(lab, dict(args, state="absent"))
    assert status == "SUCCESS" and gone["fork"] is None


def test_noshell_crash_holds_through_the_injected_busybox(lab, scratch_namespace):
    ns = scratch_namespace
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "noshell-crash", "namespace": ns},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "noshell-crash"}},
                 "template": {"metadata": {"labels": {"app": "noshell-crash"}},
                              "spec": {"terminationGracePeriodSeconds": 2,
                                       "containers": [{"name": "app", "image": lab.noshell_image,
                                                       "imagePullPolicy": "Never", "args": ["crash"]}]}}},
    }
    apply(lab, deployment)
    source = wait_crashed(lab, ns, selector="app=noshell-crash")
    args = {"namespace": ns, "pod": source["metadata"]["name"], "image": lab.tools_image}

    status, result = fork_module(lab, dict(args, replay=True))
    assert status == "CHANGED", result
    fork_name = result["fork"]["name"]
    # The spec has no command: the image's ENTRYPOINT ran, which the API does not show.
    assert result["held"]["original_command"] is None and result["held"]["original_args"] == ["crash"]
    assert result["held"]["entrypoint_known"] is False and result["held"]["replay_argv"] is None
    assert result["replay"]["status"] == "needs_replay_command"
    assert "replay_command" in result["replay"]["msg"] and "ENTRYPOINT" in result["replay"]["msg"]
    assert result["source"]["last_termination"]["exit_code"] == 1
    assert "demoapp starting" in result["source"]["previous_logs"]["lines"]

    pod = lab.kubectl_json("get", "pod", "-n", ns, fork_name)
    assert_fork_shape(pod)
    # The image really has no shell; the hold and anything else run through the injected busybox.
    assert lab.kubectl("exec", "-n", ns, fork_name, "-c", "app", "--", "sh", "-c", "true", check=False).returncode != 0
    listing = lab.kubectl("exec", "-n", ns, fork_name, "-c", "app", "--", "/.kdebug/busybox", "ls", "/").stdout
    assert "demoapp" in listing.split()

    # Told the entrypoint, the replay runs it with the spec's args: same fork, no change.
    status, replayed = fork_module(lab, dict(args, replay=True, replay_command=["/demoapp"]))
    assert status == "SUCCESS", replayed
    assert replayed["fork"]["uid"] == result["fork"]["uid"]
    replay = replayed["replay"]
    assert replay["status"] == "ran" and replay["argv"] == ["/demoapp", "crash"]
    assert replay["rc"] == 1
    assert replay["stdout_lines"] == ["demoapp starting"]
    assert replay["stderr_lines"] == ["fatal: open /etc/demoapp/config.yaml: no such file or directory"]

    # A replay that does not end is stopped at replay_timeout.
    status, slow = fork_module(lab, dict(args, replay=True, replay_command=["/demoapp"],
                                         replay_args=["serve", ":9090"], replay_timeout=3))
    assert status == "SUCCESS", slow
    assert slow["replay"]["timed_out"] is True and slow["replay"]["duration_ms"] >= 2500

    status, gone = fork_module(lab, dict(args, state="absent"))
    assert status == "CHANGED", gone
    assert fork_pods(lab, ns) == []


def test_idempotency_and_check_mode_matrix(lab, scratch_namespace):
    ns = scratch_namespace
    apply(lab, crashing_pod(ns, "src", command=["sh", "-c", "echo src; exit 3"]))
    wait_crashed(lab, ns, name="src")
    present = {"namespace": ns, "pod": "src", "image": lab.tools_image, "ttl_seconds": 600}
    absent = {"namespace": ns, "pod": "src", "state": "absent"}

    def uids():
        return [p["metadata"]["uid"] for p in fork_pods(lab, ns)]

    # present, check mode: a server-side dry run, the would-be pod in the result, a diff against the source
    result = registered(lab, present, check=True, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert uids() == []
    manifest = result["manifest"]
    assert manifest["metadata"]["name"] == result["fork"]["name"]
    assert manifest["spec"]["schedulerName"] == "default-scheduler"  # defaulted by the server: it went there
    assert manifest["spec"]["containers"][0]["command"][0] == "/.kdebug/busybox"
    assert result["diff"]["before"]["metadata"]["name"] == "src"
    assert result["diff"]["after"]["metadata"]["name"] == result["fork"]["name"]
    assert result["diff"]["before"]["spec"]["containers"][0]["command"] == ["sh", "-c", "echo src; exit 3"]

    status, result = fork_module(lab, present)
    assert status == "CHANGED", result
    first = uids()
    assert first == [result["fork"]["uid"]]
    assert result["fork"]["phase"] == "Running"
    assert result["fork"]["ttl_seconds"] == 600

    status, result = fork_module(lab, present, check=True)
    assert status == "SUCCESS", result
    status, result = fork_module(lab, present)
    assert status == "SUCCESS", result
    assert uids() == first

    # modify: a pod cannot be changed in place; the fork is replaced
    modified = dict(present, env={"DEBUG": "1"})
    status, result = fork_module(lab, modified, check=True)
    assert status == "CHANGED" and "would replace" in result["note"], result
    assert uids() == first
    status, result = fork_module(lab, modified)
    assert status == "CHANGED" and result["note"].startswith("replaced the existing fork"), result
    second = uids()
    assert len(second) == 1 and second != first
    env = lab.kubectl("exec", "-n", ns, result["fork"]["name"], "-c", "app", "--", "env").stdout
    assert "DEBUG=1" in env.split()

    result = registered(lab, absent, check=True, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["diff"]["after"] == {} and result["diff"]["before"]["metadata"]["name"] == result["fork"]["name"]
    assert uids() == second
    status, result = fork_module(lab, absent)
    assert status == "CHANGED", result
    assert uids() == []
    status, result = fork_module(lab, absent, check=True)
    assert status == "SUCCESS", result
    status, result = fork_module(lab, absent)
    assert status == "SUCCESS", result


def test_missing_pod_namespace_and_container(lab, scratch_namespace):
    ns = scratch_namespace
    apply(lab, crashing_pod(ns, "src", command=["sh", "-c", "exit 1"]))
    base = {"namespace": ns, "image": lab.tools_image}

    status, result = fork_module(lab, dict(base, pod="nope"))
    assert status == "FAILED!"
    assert "pod nope not found in namespace %s" % ns in result["msg"], result["msg"]

    status, result = fork_module(lab, dict(base, pod="src", namespace="kdebug-no-such-ns"))
    assert status == "FAILED!"
    assert "namespace kdebug-no-such-ns not found" in result["msg"], result["msg"]

    status, result = fork_module(lab, dict(base, pod="src", container="nope"))
    assert status == "FAILED!"
    assert "container nope not found in pod %s/src; it has: app" % ns in result["msg"], result["msg"]
    assert fork_pods(lab, ns) == []


def test_job_and_statefulset_pods_fork_as_standalone_pods(lab, scratch_namespace):
    ns = scratch_namespace
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": ns},
           "spec": {"backoffLimit": 1, "template": {"spec": {
               "restartPolicy": "Never", "terminationGracePeriodSeconds": 2,
               "containers": [{"name": "migrate", "image": lab.busybox_image, "imagePullPolicy": "Never",
                               "command": ["sh", "-c", "echo migrating; exit 4"]}]}}}}
    sts_service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": ns},
                   "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": ns},
           "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                        "terminationGracePeriodSeconds": 2,
                        "containers": [{"name": "db", "image": lab.busybox_image, "imagePullPolicy": "Never",
                                        "command": ["sh", "-c", "echo db; exit 5"]}]}}}}
    apply(lab, job, sts_service, sts)
    job_pod = wait_crashed(lab, ns, selector="job-name=migrate")
    wait_crashed(lab, ns, name="db-0")

    for source, container, owner in ((job_pod["metadata"]["name"], "migrate", "Job/migrate"),
                                     ("db-0", "db", "StatefulSet/db")):
        status, result = fork_module(lab, {"namespace": ns, "pod": source, "image": lab.tools_image,
                                           "replay": True})
        assert status == "CHANGED", result
        assert result["source"]["owner"] == owner
        assert "metadata.ownerReferences: cleared (%s)" % owner in "\n".join(result["changes"])
        assert result["replay"]["rc"] in (4, 5)
        pod = lab.kubectl_json("get", "pod", "-n", ns, result["fork"]["name"])
        assert_fork_shape(pod, held=container)
    time.sleep(3)  # give the Job, StatefulSet and endpoint controllers time to (not) react
    forks = {p["metadata"]["annotations"]["kdebug.io/fork-of"]: p for p in fork_pods(lab, ns)}
    assert len(forks) == 2
    for pod in forks.values():
        assert not pod["metadata"].get("ownerReferences")  # nobody adopted it
    assert forks["%s/db-0" % ns]["spec"]["hostname"] == "db-0"
    slices = lab.kubectl_json("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=db")
    names = [e.get("targetRef", {}).get("name") for s in slices["items"] for e in s.get("endpoints") or []]
    assert not [n for n in names if n.startswith("kdebug-fork")], names
    # the Job still counts only its own pods
    job_status = lab.kubectl_json("get", "job", "-n", ns, "migrate")["status"]
    assert (job_status.get("active") or 0) + (job_status.get("failed") or 0) <= 2
    for source in (job_pod["metadata"]["name"], "db-0"):
        status, result = fork_module(lab, {"namespace": ns, "pod": source, "state": "absent"})
        assert status == "CHANGED", result
    assert fork_pods(lab, ns) == []


def test_quota_that_forbids_one_more_pod(lab, scratch_namespace):
    ns = scratch_namespace
    lab.kubectl("create", "quota", "one-pod", "-n", ns, "--hard=pods=1")
    apply(lab, crashing_pod(ns, "src", command=["sh", "-c", "exit 1"]))
    for check in (True, False):
        status, result = fork_module(lab, {"namespace": ns, "pod": "src", "image": lab.tools_image},
                                     check=check)
        assert status == "FAILED!", result
        assert "exceeded quota: one-pod" in result["msg"], result["msg"]
        assert "ResourceQuota one-pod in namespace %s refused" % ns in result["msg"]
        assert result["denied_by"] == "resource_quota" and result["denial"]["quota"] == "one-pod"
        assert "Grant" not in result["msg"]
        assert "resourcequota" in result["msg"]
    assert fork_pods(lab, ns) == []


@pytest.mark.parametrize("option, reason", [
    ({"target_image": "kdebug.local/does-not-exist:1"}, "ErrImageNeverPull"),  # the source's policy is Never
    ({"image": "kdebug.local/does-not-exist:1"}, "ErrImagePull"),  # IfNotPresent: tries a registry
])
def test_image_that_cannot_be_pulled(lab, scratch_namespace, option, reason):
    ns = scratch_namespace
    apply(lab, crashing_pod(ns, "src", command=["sh", "-c", "exit 1"]))
    args = dict({"namespace": ns, "pod": "src", "image": lab.tools_image, "wait_timeout": 240}, **option)
    started = time.monotonic()
    status, result = fork_module(lab, args)
    assert status == "FAILED!", result
    # reported as it shows (the pull failure itself), not as a timeout
    assert "did not run within" not in result["msg"], result["msg"]
    assert reason in result["msg"] or "ImagePullBackOff" in result["msg"], result["msg"]
    assert "kdebug.local/does-not-exist:1" in result["msg"]
    assert "this run created was deleted" in result["msg"]
    assert [c["name"] for c in result["cleaned_up"]] == [result["fork"]["name"]]
    assert time.monotonic() - started < 200
    assert fork_pods(lab, ns) == []


def test_63_character_source_name(lab, scratch_namespace):
    ns = scratch_namespace
    name = ("crash-" + "x" * 63)[:62] + "z"
    assert len(name) == 63
    apply(lab, crashing_pod(ns, name, command=["sh", "-c", "echo long; exit 1"], labels={"app": "long"}))
    wait_crashed(lab, ns, name=name)
    args = {"namespace": ns, "pod": name, "image": lab.tools_image, "replay": True, "same_node": True}
    status, result = fork_module(lab, args)
    assert status == "CHANGED", result
    fork_name = result["fork"]["name"]
    node = lab.kubectl_json("get", "pod", "-n", ns, name)["spec"]["nodeName"]
    assert result["manifest"]["spec"]["nodeName"] == node and result["fork"]["node"] == node
    assert "spec.nodeName: kept (%s, same_node)" % node in result["changes"]
    assert len(fork_name) <= 63 and fork_name.startswith("kdebug-fork-crash-xxx")
    assert result["replay"]["stdout_lines"] == ["long"]
    status, again = fork_module(lab, args)
    assert status == "SUCCESS" and again["fork"]["name"] == fork_name, again
    status, gone = fork_module(lab, dict(args, state="absent"))
    assert status == "CHANGED", gone
    assert fork_pods(lab, ns) == []


def test_fork_that_cannot_be_scheduled(lab, scratch_namespace):
    """The source never got a node (its nodeSelector matches none); its fork cannot either."""
    ns = scratch_namespace
    pod = crashing_pod(ns, "src", command=["sh", "-c", "exit 1"])
    pod["spec"]["nodeSelector"] = {"kdebug.io/no-such-node": "true"}
    apply(lab, pod)
    status, result = fork_module(lab, {"namespace": ns, "pod": "src", "image": lab.tools_image,
                                       "wait_timeout": 10})
    assert status == "FAILED!", result
    assert "did not run within wait_timeout (10s)" in result["msg"], result["msg"]
    assert "cannot be scheduled" in result["msg"] and "node" in result["msg"]
    assert "this run created was deleted" in result["msg"]
    assert fork_pods(lab, ns) == []
    # same_node needs a node to keep
    status, result = fork_module(lab, {"namespace": ns, "pod": "src", "image": lab.tools_image,
                                       "same_node": True})
    assert status == "FAILED!" and "not scheduled to a node yet" in result["msg"], result
