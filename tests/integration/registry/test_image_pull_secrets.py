"""kdebug with a tools image from the lab's private registry: image_pull_secrets for the agent (referenced or
copied), the ephemeral strategy's limit to the pod's own secrets, forks, and clear errors for a missing or wrong
secret. Every pull is imagePullPolicy Always, so each one really asks the registry with the credentials given."""
import json
import os
import threading
import time

MANAGED = "app.kubernetes.io/managed-by"


def sleeper(lab, namespace, name="target", secrets=()):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
           "spec": {"terminationGracePeriodSeconds": 0, "imagePullSecrets": [{"name": s} for s in secrets],
                    "containers": [{"name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                                    "command": ["sh", "-c", "echo private-registry-target > /tmp/mark; exec sleep 3600"]}]}}
    lab.kubectl("apply", "-f", "-", input=json.dumps(pod))
    lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=condition=Ready", "--timeout=90s")
    return name


def exec_args(registry, namespace, agent_namespace, **extra):
    args = {"namespace": namespace, "pod": "target", "image": registry.image, "image_pull_policy": "Always",
            "agent_namespace": agent_namespace, "command": ["cat", "/proc/1/root/tmp/mark"], "ttl_seconds": 300,
            "wait_timeout": 90}
    args.update(extra)
    return args


def pods_in(lab, namespace):
    if lab.kubectl("get", "namespace", namespace, check=False).returncode != 0:
        return []
    return [p for p in lab.kubectl_json("get", "pods", "-n", namespace)["items"]
            if not p["metadata"].get("deletionTimestamp")]


def ephemeral_containers(lab, namespace, name="target"):
    return lab.kubectl_json("get", "pod", "-n", namespace, name)["spec"].get("ephemeralContainers") or []


def test_agent_pulls_the_private_image_with_a_secret_referenced_in_the_agents_namespace(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(agents_namespace, "regcred")
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="agent", image_pull_secrets=["regcred"]))
    assert status == "CHANGED", result
    assert result["rc"] == 0 and result["stdout"].strip() == "private-registry-target", result
    assert result["agent_pod"]["image"] == registry.image
    agent = pods_in(lab, agents_namespace)[0]
    assert agent["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert agent["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_a_missing_secret_fails_before_the_agent_is_created_naming_secret_and_registry(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    started = time.monotonic()
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="agent", image_pull_secrets=["nope"]))
    assert status == "FAILED!", result
    assert result["error_class"] == "image_pull" and result["registry"] == registry.host
    assert "image pull secret nope in namespace %s does not exist" % agents_namespace in result["msg"]
    assert registry.host in result["msg"] and "image_pull_secrets_mode" in result["msg"]
    assert time.monotonic() - started < 60
    assert pods_in(lab, agents_namespace) == []


def test_a_secret_for_another_registry_fails_before_the_agent_is_created(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(agents_namespace, "elsewhere", host="registry.invalid:5000")
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="agent", image_pull_secrets=["elsewhere"]))
    assert status == "FAILED!" and result["error_class"] == "image_pull", result
    assert "has no credentials for registry %s (it has: registry.invalid:5000)" % registry.host in result["msg"]
    assert pods_in(lab, agents_namespace) == []


def test_a_wrong_password_is_an_image_pull_error_not_a_wait_timeout(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(agents_namespace, "stale", password="not-the-password")
    started = time.monotonic()
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="agent", image_pull_secrets=["stale"],
                                                         wait_timeout=120))
    assert status == "FAILED!", result
    assert result["error_class"] == "image_pull", result
    assert "stale" in result["msg"] and registry.host in result["msg"], result["msg"]
    assert "the registry refused the credentials" in result["msg"], result["msg"]
    assert time.monotonic() - started < 100, "reported as the pull failed, not at wait_timeout"
    assert pods_in(lab, agents_namespace) == [], "the agent this run created is deleted"


def test_no_secret_at_all_says_the_registry_asks_for_credentials(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="agent"))
    assert status == "FAILED!" and result["error_class"] == "image_pull", result
    assert "the registry asks for credentials" in result["msg"] and registry.host in result["msg"], result["msg"]


def copy_args(registry, namespace, agent_namespace):
    """kdebug_agent for the node of the target, copying its namespace's secret regcred into agent_namespace."""
    return {"namespace": namespace, "pod": "target", "image": registry.image, "image_pull_policy": "Always",
            "image_pull_secrets": ["regcred"], "image_pull_secrets_mode": "copy", "agent_namespace": agent_namespace,
            "ttl_seconds": 300, "wait_timeout": 90}


def test_copy_mode_copies_the_targets_secret_into_the_agents_namespace(
        lab, registry, scratch_namespace, agent_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(scratch_namespace, "regcred")
    args = copy_args(registry, scratch_namespace, agent_namespace)
    status, check = lab.module("kdebug_agent", args, check=True)
    assert status == "CHANGED", check
    assert pods_in(lab, agent_namespace) == []
    status, result = lab.module("kdebug_agent", args)
    assert status == "CHANGED" and result["agent"]["phase"] == "Running", result
    copy = lab.kubectl_json("get", "secret", "-n", agent_namespace, "regcred")
    original = lab.kubectl_json("get", "secret", "-n", scratch_namespace, "regcred")
    assert copy["data"] == original["data"] and copy["type"] == "kubernetes.io/dockerconfigjson"
    assert copy["metadata"]["labels"][MANAGED] == "kdebug"
    assert copy["metadata"]["annotations"]["kdebug.io/copied-from"] == "%s/regcred" % scratch_namespace
    assert copy["metadata"]["annotations"]["kdebug.io/ttl-seconds"] == "300"
    status, again = lab.module("kdebug_agent", args)
    assert status == "SUCCESS", again

    # A secret of the same name that kdebug did not make, with other credentials, is never overwritten.
    lab.module("kdebug_agent", dict(args, state="absent"))
    lab.kubectl("delete", "secret", "-n", agent_namespace, "regcred")
    registry.secret(agent_namespace, "regcred", password="someone-elses")
    status, refused = lab.module("kdebug_agent", args)
    assert status == "FAILED!" and refused["error_class"] == "image_pull", refused
    assert "is not a copy kdebug made" in refused["msg"]
    assert pods_in(lab, agent_namespace) == []


def test_copy_mode_with_a_secret_missing_in_the_targets_namespace(
        lab, registry, scratch_namespace, agent_namespace):
    sleeper(lab, scratch_namespace)
    args = copy_args(registry, scratch_namespace, agent_namespace)
    status, result = lab.module("kdebug_agent", args)
    assert status == "FAILED!" and result["error_class"] == "image_pull", result
    assert "image pull secret regcred in namespace %s does not exist" % scratch_namespace in result["msg"]
    assert registry.host in result["msg"]
    assert pods_in(lab, agent_namespace) == []


def test_ephemeral_says_before_it_patches_that_the_pods_secrets_do_not_cover_the_image(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(scratch_namespace, "regcred")
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         strategy="ephemeral", image_pull_secrets=["regcred"]))
    assert status == "FAILED!" and result["error_class"] == "image_pull", result
    assert "an API limit" in result["msg"] and registry.host in result["msg"] and "regcred" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert ephemeral_containers(lab, scratch_namespace) == []


def test_auto_falls_back_to_the_agent_when_the_pods_secrets_do_not_cover_the_image(
        lab, registry, scratch_namespace, agents_namespace):
    sleeper(lab, scratch_namespace)
    registry.secret(agents_namespace, "regcred")
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         image_pull_secrets=["regcred"]))
    assert status == "CHANGED", result
    assert result["strategy"] == "agent" and "an API limit" in result["strategy_reason"], result["strategy_reason"]
    assert result["stdout"].strip() == "private-registry-target"
    assert ephemeral_containers(lab, scratch_namespace) == []


def test_ephemeral_pulls_with_the_pods_own_secret(lab, registry, scratch_namespace, agents_namespace):
    registry.secret(scratch_namespace, "app-pull")
    sleeper(lab, scratch_namespace, secrets=["app-pull"])
    # Asked for under another name: the pod's own secret holds credentials for the registry, which is enough.
    status, result = lab.module("kdebug_exec", exec_args(registry, scratch_namespace, agents_namespace,
                                                         image_pull_secrets=["regcred"]))
    assert status == "CHANGED", result
    assert result["strategy"] == "ephemeral" and result["debug_container"]["image"] == registry.image, result
    assert result["stdout"].strip() == "private-registry-target"
    assert pods_in(lab, agents_namespace) == []


def fork_args(registry, namespace, **extra):
    args = {"namespace": namespace, "pod": "target", "image": registry.image, "image_pull_policy": "Always",
            "ttl_seconds": 300, "wait_timeout": 90}
    args.update(extra)
    return args


def test_a_fork_pulls_with_the_source_pods_secrets(lab, registry, scratch_namespace):
    registry.secret(scratch_namespace, "app-pull")
    sleeper(lab, scratch_namespace, secrets=["app-pull"])
    status, result = lab.module("kdebug_fork", fork_args(registry, scratch_namespace))
    assert status == "CHANGED" and result["fork"]["phase"] == "Running", result
    fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
    assert fork["spec"]["imagePullSecrets"] == [{"name": "app-pull"}]
    lab.module("kdebug_fork", fork_args(registry, scratch_namespace, state="absent"))


def test_a_fork_pulls_with_the_source_pods_secrets_plus_the_ones_given(lab, registry, scratch_namespace):
    registry.secret(scratch_namespace, "regcred")
    registry.secret(scratch_namespace, "app-pull", host="registry.invalid:5000")
    sleeper(lab, scratch_namespace, secrets=["app-pull"])
    status, result = lab.module("kdebug_fork", fork_args(registry, scratch_namespace, image_pull_secrets=["regcred"]))
    assert status == "CHANGED" and result["fork"]["phase"] == "Running", result
    fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
    assert fork["spec"]["imagePullSecrets"] == [{"name": "app-pull"}, {"name": "regcred"}]
    lab.module("kdebug_fork", fork_args(registry, scratch_namespace, state="absent"))


def test_a_pull_the_kubelet_made_without_the_secret_is_waited_through(lab, registry, scratch_namespace):
    # The source pod names a pull secret that does not exist yet: the kubelet pulls the fork's image without it (a
    # 401, event FailedToRetrieveImagePullSecret), as a busy kubelet does with a secret it has not read yet. Once
    # the secret is there, its next pull (after the 10 s back-off) has it: the fork runs, no error in between.
    sleeper(lab, scratch_namespace, secrets=["late-pull"])
    started = time.monotonic()
    creator = threading.Thread(target=lambda: (wait_for_missed_secret_event(lab, scratch_namespace),
                                               registry.secret(scratch_namespace, "late-pull")))
    creator.start()
    try:
        status, result = lab.module("kdebug_fork", fork_args(registry, scratch_namespace, wait_timeout=120))
    finally:
        creator.join()
    assert status == "CHANGED" and result["fork"]["phase"] == "Running", result
    fork_events = lab.kubectl_json("get", "events", "-n", scratch_namespace, "--field-selector",
                                   "involvedObject.name=%s" % result["fork"]["name"])["items"]
    assert "FailedToRetrieveImagePullSecret" in [e["reason"] for e in fork_events], "the first pull had no secret"
    assert time.monotonic() - started < 110
    lab.module("kdebug_fork", fork_args(registry, scratch_namespace, state="absent"))


def test_a_secret_the_kubelet_never_reads_ends_at_wait_timeout_saying_so(lab, registry, scratch_namespace):
    sleeper(lab, scratch_namespace, secrets=["never-made"])
    status, result = lab.module("kdebug_fork", fork_args(registry, scratch_namespace, wait_timeout=20))
    assert status == "FAILED!", result
    assert "could not read image pull secret never-made of namespace %s" % scratch_namespace in result["msg"], \
        result["msg"]
    assert "FailedToRetrieveImagePullSecret" in result["msg"] and registry.host in result["msg"], result["msg"]
    assert "never-made does not exist there" in result["msg"], result["msg"]
    assert [p["metadata"]["name"] for p in pods_in(lab, scratch_namespace)] == ["target"], "the fork is deleted"


def test_a_fork_refuses_an_image_pull_secret_that_is_not_there_before_it_creates_anything(
        lab, registry, scratch_namespace):
    sleeper(lab, scratch_namespace)
    started = time.monotonic()
    status, result = lab.module("kdebug_fork", fork_args(registry, scratch_namespace, image_pull_secrets=["typo"]))
    assert status == "FAILED!" and result["error_class"] == "image_pull", result
    assert "image pull secret typo in namespace %s does not exist" % scratch_namespace in result["msg"], result["msg"]
    assert time.monotonic() - started < 30
    assert [p["metadata"]["name"] for p in pods_in(lab, scratch_namespace)] == ["target"]


def wait_for_missed_secret_event(lab, namespace, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = lab.kubectl_json("get", "events", "-n", namespace, "--field-selector",
                                  "reason=FailedToRetrieveImagePullSecret")["items"]
        if any(e["involvedObject"]["name"] != "target" for e in events):
            return
        time.sleep(0.5)


def test_diagnose_playbook_passes_image_pull_policy_secrets_and_mode_down(
        lab, registry, scratch_namespace, agent_namespace, tmp_path):
    sleeper(lab, scratch_namespace)
    registry.secret(scratch_namespace, "regcred")
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {
        "pod": "target", "namespace": scratch_namespace, "runbooks": "dns", "image": registry.image,
        "image_pull_policy": "Always", "image_pull_secrets": "regcred", "image_pull_secrets_mode": "copy",
        "agent_namespace": agent_namespace, "output_dir": out}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    errors = [(c["name"], c["summary"]) for c in report["checks"] if c["status"] == "error"]
    assert errors == [], errors
    assert any(c["name"].startswith("DNS ") and c["status"] == "pass" for c in report["checks"]), report["checks"]
    # auto could not use an ephemeral container (the pod has no pull secret): the agent pulled with the copy
    copy = lab.kubectl_json("get", "secret", "-n", agent_namespace, "regcred")
    assert copy["metadata"]["annotations"]["kdebug.io/copied-from"] == "%s/regcred" % scratch_namespace
    assert ephemeral_containers(lab, scratch_namespace) == []
