"""kdebug_exec where PodSecurity is enforced: the lab's kdebug-baseline and kdebug-restricted namespaces (lab/up),
their non-root targets web (a shell) and noshell (none), and scratch namespaces for what must start fresh."""
import json
import time

import pytest

# namespace -> the profile `auto` must take there
LEVEL_PROFILE = {"kdebug-baseline": "baseline", "kdebug-restricted": "restricted"}
# pod -> (uid, gid) it runs as (web: set for the pod; noshell: set on its container)
TARGET_IDS = {"web": (1000, 3000), "noshell": (1001, 1001)}
# A file each target's image holds, read through /proc/1/root
TARGET_FILE = {"web": "/www/index.html", "noshell": "/demoapp"}
RESTRICTED_LABELS = {"pod-security.kubernetes.io/enforce": "restricted",
                     "pod-security.kubernetes.io/enforce-version": "latest"}


@pytest.fixture(scope="module")
def tools(lab):
    """The local tools image, never pulled; a short TTL: ephemeral containers in the lab's pods cannot be removed."""
    return {"image": lab.tools_image, "image_pull_policy": "Never", "ttl_seconds": 600}


def run(lab, args, **kwargs):
    return lab.module("kdebug_exec", args, **kwargs)


def ephemeral_names(lab, namespace, pod):
    spec = lab.kubectl_json("get", "pod", "-n", namespace, pod)["spec"]
    return [c["name"] for c in spec.get("ephemeralContainers") or []]


def restricted_pod(lab, namespace, name, security_context=None):
    """A pod that meets the restricted level (or not, with another security_context), Ready."""
    manifest = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
        "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
            "name": "app", "image": lab.noshell_image, "imagePullPolicy": "Never", "args": ["serve", ":8080"],
            "securityContext": security_context if security_context is not None else {
                "runAsNonRoot": True, "runAsUser": 1002, "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]},
    }
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=condition=Ready", "--timeout=90s")


def label_namespace(lab, namespace, labels):
    """Label, then wait until admission enforces it: the API server reads namespaces from a cache."""
    lab.kubectl("label", "namespace", namespace, "--overwrite", *["%s=%s" % item for item in labels.items()])
    deadline = time.monotonic() + 30
    while True:
        probe = lab.kubectl("run", "kdebug-test-probe", "-n", namespace, "--image", lab.busybox_image,
                            "--privileged", "--restart", "Never", "--dry-run=server", "--", "true", check=False)
        if "violates PodSecurity" in probe.stderr:
            return
        assert time.monotonic() < deadline, "namespace %s: the PodSecurity label is not enforced after 30s" % namespace
        time.sleep(0.2)


@pytest.mark.parametrize("pod", ["web", "noshell"])
@pytest.mark.parametrize("namespace", ["kdebug-baseline", "kdebug-restricted"])
def test_auto_takes_the_most_capable_profile_the_namespace_admits(lab, tools, namespace, pod):
    profile = LEVEL_PROFILE[namespace]
    uid, gid = TARGET_IDS[pod]
    status, result = run(lab, dict(tools, pod=pod, namespace=namespace, shell="id -u; id -g; ss -ltn"))
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["rc"] == 0, result
    assert result["strategy"] == "ephemeral"
    container = result["debug_container"]
    assert container["profile"] == profile
    lines = result["stdout_lines"]
    assert ":8080" in result["stdout"], "the debug container is in the target's network namespace"
    reason = result["strategy_reason"]
    assert "namespace %s enforces PodSecurity %s, so profile" % (namespace, profile) in reason, reason
    assert ("a server-side dry run (dryRun=All) admitted profile %s" % profile in reason
            or "profile %s: its running debug container is re-used" % profile in reason), reason
    if profile == "restricted":
        # the target's own user and group: what the target may read, the debug container may read
        assert lines[:2] == [str(uid), str(gid)], result["stdout"]
        assert set(container["cannot"]) == {"ptrace", "net_admin", "net_raw", "root"}
        assert "no NET_RAW (tcpdump" in reason and "no ptrace" in reason
        status, seen = run(lab, dict(tools, pod=pod, namespace=namespace,
                                     command=["test", "-r", "/proc/1/root" + TARGET_FILE[pod]]))
        assert seen["rc"] == 0 and seen["debug_container"]["reused"] is True, seen
    else:
        # baseline sets no user: the pod's own (web), else the image's (root, without ptrace)
        assert lines[:2] == ([str(uid), str(gid)] if pod == "web" else ["0", "0"]), result["stdout"]
        assert container["cannot"] == ["ptrace", "net_admin"]
        assert "general was not tried" in reason


@pytest.mark.parametrize("namespace, pod, admitted", [("kdebug-restricted", "web", "restricted"),
                                                      ("kdebug-restricted", "noshell", "restricted"),
                                                      ("kdebug-baseline", "noshell", "baseline")])
def test_a_refused_profile_fails_with_the_podsecurity_message_and_the_profile_that_passes(
        lab, tools, namespace, pod, admitted):
    before = ephemeral_names(lab, namespace, pod)
    status, result = run(lab, dict(tools, pod=pod, namespace=namespace, profile="general", command=["true"]))
    assert status == "FAILED!", result
    assert result["error_class"] == "denied" and result["denied_by"] == "pod_security", result
    assert result["denial"]["admitted_profile"] == admitted
    assert result["denial"]["level"] == LEVEL_PROFILE[namespace]
    msg = result["msg"]
    assert msg.startswith("PodSecurity admission refused the ephemeral containers of pod %s in namespace %s"
                          % (pod, namespace)), msg
    assert "SYS_PTRACE" in msg
    assert ("A server-side dry run (dryRun=All) admits profile %s here: set profile to %s" % (admitted, admitted)
            in msg), msg
    assert ephemeral_names(lab, namespace, pod) == before, "neither the refused patch nor the dry runs added one"


def test_the_dry_run_choice_is_in_strategy_reason_and_adds_nothing(lab, tools, scratch_namespace):
    """A fresh pod (no debug container to re-use) in a restricted namespace: the dry runs show, and only the
    real patch adds a container."""
    label_namespace(lab, scratch_namespace, RESTRICTED_LABELS)
    restricted_pod(lab, scratch_namespace, "target")
    status, plan = run(lab, dict(tools, pod="target", namespace=scratch_namespace, command=["id", "-u"]), check=True)
    assert status == "CHANGED" and plan["plan"]["would_create"] is True, plan
    assert "a server-side dry run (dryRun=All) admitted profile restricted" in plan["strategy_reason"], plan
    assert plan["plan"]["container"]["securityContext"]["runAsUser"] == 1002
    assert ephemeral_names(lab, scratch_namespace, "target") == [], "check mode and its dry runs add nothing"
    status, result = run(lab, dict(tools, pod="target", namespace=scratch_namespace, command=["id", "-u"]))
    assert status == "CHANGED", result
    assert result["stdout"].strip() == "1002"
    assert result["strategy_reason"] == plan["strategy_reason"]
    assert ephemeral_names(lab, scratch_namespace, "target") == [result["debug_container"]["name"]]


def test_a_label_less_namespace_is_tried_from_the_top_and_the_refusals_are_named(lab, tools, scratch_namespace):
    """No enforce label to go by: the dry runs alone decide, starting at the most capable profile."""
    restricted_pod(lab, scratch_namespace, "target")
    status, result = run(lab, dict(tools, pod="target", namespace=scratch_namespace, command=["true"]), check=True)
    assert status == "CHANGED" and result["plan"]["would_create"] is True, result
    reason = result["strategy_reason"]
    assert "namespace %s enforces no PodSecurity level by label" % scratch_namespace in reason, reason
    assert "a server-side dry run (dryRun=All) admitted profile general" in reason
    assert result["plan"]["container"]["securityContext"] == {"capabilities": {"add": ["SYS_PTRACE"]}}


def test_no_profile_admitted_takes_the_agent_or_fails_with_every_refusal(
        lab, tools, scratch_namespace, agent_namespace):
    """A pod that predates its namespace's restricted label and breaks it: no debug container can be admitted."""
    restricted_pod(lab, scratch_namespace, "old", security_context={})
    label_namespace(lab, scratch_namespace, RESTRICTED_LABELS)
    args = dict(tools, pod="old", namespace=scratch_namespace, command=["cat", "/proc/1/root/demoapp"],
                agent_namespace=agent_namespace)
    status, refused = run(lab, dict(args, strategy="ephemeral"))
    assert status == "FAILED!", refused
    assert refused["denied_by"] == "pod_security" and refused["denial"]["admitted_profile"] is None
    assert refused["msg"].startswith(
        "PodSecurity admits no debug container profile in namespace %s (it enforces restricted, which rules out "
        "general and baseline); server-side dry runs refused: restricted (" % scratch_namespace), refused["msg"]
    assert "Use strategy agent" in refused["msg"]
    assert ephemeral_names(lab, scratch_namespace, "old") == []
    status, result = run(lab, args)
    assert status == "CHANGED", result
    assert result["strategy"] == "agent" and result["rc"] == 0, result
    assert result["strategy_reason"].startswith("PodSecurity admits no debug container profile in namespace %s"
                                                % scratch_namespace), result["strategy_reason"]
    assert ("so the node agent in namespace %s, which the caller may run" % agent_namespace
            in result["strategy_reason"]), result["strategy_reason"]
    assert ephemeral_names(lab, scratch_namespace, "old") == []


def test_an_explicit_profile_the_namespace_admits_runs_as_asked(lab, tools):
    status, result = run(lab, dict(tools, pod="web", namespace="kdebug-restricted", profile="restricted",
                                   command=["id", "-u"]))
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["debug_container"]["profile"] == "restricted" and result["stdout"].strip() == "1000"
    assert "dry run" not in result["strategy_reason"], "an explicit profile is not chosen, only used"
