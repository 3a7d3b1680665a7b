"""requested_by and reason reach every object and record kdebug creates, on the lab.

An ephemeral container cannot carry annotations: it is recorded as an Event on
the target pod. Agents, their namespace and forks carry the audit annotations.
"""
import base64
import json
import os
import time
import uuid

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

WHO = "alice@audit-test"
WHY = "INC-4242: 502s from web"
EVENT_REASON = "KdebugDebugContainer"


@pytest.fixture(scope="module")
def tools(lab):
    return {"image": lab.tools_image, "image_pull_policy": "Never"}


def run_target(lab, namespace, name="target"):
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
                "spec": {"terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                                         "command": ["sleep", "3600"]}]}}
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=jsonpath={.status.phase}=Running", "--timeout=60s")


def audit_events(lab, namespace, pod):
    return lab.kubectl_json("get", "events", "-n", namespace, "--field-selector",
                            "involvedObject.name=%s,reason=%s" % (pod, EVENT_REASON))["items"]


def exec_ok(lab, args, **kwargs):
    status, result = lab.module("kdebug_exec", args, **kwargs)
    assert status in ("SUCCESS", "CHANGED"), result
    return result


def assert_audit_annotations(meta, requester=WHO, reason=WHY):
    annotations = meta["annotations"]
    assert annotations["kdebug.io/requested-by"] == requester
    assert annotations["kdebug.io/reason"] == reason
    assert annotations["kdebug.io/created-at"] and "kdebug.io/ttl-seconds" in annotations
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "kdebug"


def test_ephemeral_container_is_recorded_once_as_an_event_on_the_pod(lab, tools, scratch_namespace):
    run_target(lab, scratch_namespace)
    args = dict(tools, pod="target", namespace=scratch_namespace, strategy="ephemeral", command=["true"],
                requested_by=WHO, reason=WHY, ttl_seconds=900)

    status, planned = lab.module("kdebug_exec", args, check=True)
    assert status == "CHANGED" and planned["plan"]["audit_event"]["reason"] == EVENT_REASON
    assert WHO in planned["plan"]["audit_event"]["message"]
    assert audit_events(lab, scratch_namespace, "target") == [], "check mode must not record anything"

    first = exec_ok(lab, args)
    assert first["changed"] is True and "warnings" not in first, first
    debug = first["debug_container"]["name"]
    events = audit_events(lab, scratch_namespace, "target")
    assert len(events) == 1, events
    event = events[0]
    assert first["debug_container"]["audit_event"] == event["metadata"]["name"]
    assert event["metadata"]["name"] == planned["plan"]["audit_event"]["metadata"]["name"]
    pod = lab.kubectl_json("get", "pod", "-n", scratch_namespace, "target")
    assert event["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert event["involvedObject"]["kind"] == "Pod" and event["involvedObject"]["apiVersion"] == "v1"
    assert event["involvedObject"]["fieldPath"] == "spec.ephemeralContainers{%s}" % debug
    assert event["type"] == "Normal" and event["source"]["component"] == "kdebug"
    for fragment in (WHO, WHY, debug, "strategy ephemeral", tools["image"], "profile general", "TTL 900s",
                     "container app"):
        assert fragment in event["message"], (fragment, event["message"])
    assert_audit_annotations(event["metadata"])
    assert event["metadata"]["annotations"]["kdebug.io/target"] == "%s/target/app" % scratch_namespace

    # Another requester re-using the container: no second record (the Event says who created it).
    second = exec_ok(lab, dict(args, requested_by="bob@audit-test", reason="second look"))
    assert second["debug_container"]["reused"] is True and second["debug_container"]["audit_event"] is None
    assert [e["metadata"]["name"] for e in audit_events(lab, scratch_namespace, "target")] == \
        [event["metadata"]["name"]]

    described = lab.kubectl("describe", "pod", "-n", scratch_namespace, "target").stdout
    line = next((l for l in described.splitlines() if EVENT_REASON in l), None)
    assert line and "kdebug" in line and WHO in line and WHY in line, described


def ephemeral_role_shipped(namespace):
    """The shipped kdebug-ephemeral ClusterRole (roles/rbac/files) as a Role in ``namespace``."""
    with open(os.path.join(REPO_ROOT, "roles", "rbac", "files", "kdebug-ephemeral.yml")) as handle:
        role = yaml.safe_load(handle)
    assert role["kind"] == "ClusterRole" and role["metadata"]["name"] == "kdebug-ephemeral"
    return {"apiVersion": role["apiVersion"], "kind": "Role", "rules": role["rules"],
            "metadata": {"name": "kdebug-ephemeral", "namespace": namespace}}


def service_account_auth(lab, namespace, name, tmp_path):
    lab.kubectl("create", "serviceaccount", name, "-n", namespace)
    token = lab.kubectl("create", "token", name, "-n", namespace).stdout.strip()
    config = lab.kubectl_json("config", "view", "--raw", "--minify")
    ca = tmp_path / "ca.crt"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    return {"host": config["clusters"][0]["cluster"]["server"], "api_key": token, "ca_cert": str(ca)}


def wait_can(lab, namespace, user, verb, resource, expected):
    """RBAC changes reach the authorizer through its informer: wait until it answers as expected."""
    deadline = time.monotonic() + 30
    while True:
        answer = lab.kubectl("auth", "can-i", verb, resource, "-n", namespace, "--as", user, check=False)
        if (answer.stdout.strip() == "yes") == expected:
            return
        assert time.monotonic() < deadline, "RBAC never said %s to %s %s" % (expected, verb, resource)
        time.sleep(0.2)


def test_shipped_ephemeral_role_records_and_without_events_it_warns(lab, tools, scratch_namespace, tmp_path):
    """The shipped kdebug-ephemeral rules are enough; without its events rule the command still runs, with a warning."""
    ns = scratch_namespace
    run_target(lab, ns)
    role = ephemeral_role_shipped(ns)
    without_events = dict(role, rules=[r for r in role["rules"] if "events" not in r["resources"]])
    assert len(without_events["rules"]) == len(role["rules"]) - 1, "the shipped role must grant create events"
    lab.kubectl("apply", "-f", "-", input=json.dumps(without_events))
    auth = service_account_auth(lab, ns, "debugger", tmp_path)
    lab.kubectl("create", "rolebinding", "debugger", "-n", ns, "--role=kdebug-ephemeral",
                "--serviceaccount=%s:debugger" % ns)
    user = "system:serviceaccount:%s:debugger" % ns
    wait_can(lab, ns, user, "get", "pods", True)

    args = dict(tools, **auth, pod="target", namespace=ns, command=["echo", "ran"], requested_by=WHO, reason=WHY)
    refused = exec_ok(lab, args)
    assert refused["strategy"] == "ephemeral" and refused["stdout"] == "ran\n", refused
    assert refused["debug_container"]["audit_event"] is None
    warning = " ".join(refused.get("warnings") or [])
    assert "no audit Event recorded on pod %s/target" % ns in warning, refused
    assert "create events in namespace %s" % ns in warning and "kdebug-ephemeral" in warning, warning
    assert audit_events(lab, ns, "target") == []

    lab.kubectl("apply", "-f", "-", input=json.dumps(role))
    wait_can(lab, ns, user, "create", "events", True)
    # Another profile is another debug container, so this run creates one and records it.
    recorded = exec_ok(lab, dict(args, profile="baseline"))
    assert recorded["changed"] is True and "warnings" not in recorded, recorded
    events = audit_events(lab, ns, "target")
    assert [e["metadata"]["name"] for e in events] == [recorded["debug_container"]["audit_event"]]
    assert recorded["debug_container"]["name"] in events[0]["message"]


def test_agent_strategy_annotates_the_agent_and_its_namespace(lab, tools):
    agent_namespace = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    target = lab.pod_by_label("kdebug-demo", "app=web")["metadata"]["name"]
    try:
        result = exec_ok(lab, dict(tools, pod=target, namespace="kdebug-demo", strategy="agent",
                                   agent_namespace=agent_namespace, command=["true"], requested_by=WHO, reason=WHY))
        assert result["agent_pod"]["created"] is True
        agent = lab.kubectl_json("get", "pod", "-n", agent_namespace, result["agent_pod"]["name"])
        assert_audit_annotations(agent["metadata"])
        namespace = lab.kubectl_json("get", "namespace", agent_namespace)
        assert_audit_annotations(namespace["metadata"])
    finally:
        lab.kubectl("delete", "namespace", agent_namespace, "--wait=false", check=False)


def test_kdebug_agent_annotates_the_agent(lab, tools):
    agent_namespace = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    try:
        status, result = lab.module("kdebug_agent", dict(tools, node="kdebug-lab", agent_namespace=agent_namespace,
                                                         requested_by=WHO, reason=WHY, wait=False))
        assert status == "CHANGED", result
        agent = lab.kubectl_json("get", "pod", "-n", agent_namespace, result["agent"]["name"])
        assert_audit_annotations(agent["metadata"])
    finally:
        lab.kubectl("delete", "namespace", agent_namespace, "--wait=false", check=False)


def test_fork_carries_who_and_why(lab, tools, scratch_namespace):
    run_target(lab, scratch_namespace, "src")
    status, result = lab.module("kdebug_fork", dict(tools, pod="src", namespace=scratch_namespace, requested_by=WHO,
                                                    reason=WHY, wait=False))
    assert status == "CHANGED", result
    fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
    assert_audit_annotations(fork["metadata"])
    assert fork["metadata"]["annotations"]["kdebug.io/target"].startswith("%s/src/" % scratch_namespace)
