"""Mirror pods (static pods) on the lab, for real: the API refuses ephemeral containers on them, so ``auto`` takes the
node agent and says why, ``strategy: ephemeral`` fails before anything is created, triage and diagnose.yml say the
pod is static and where its manifest is, the batch path reaches it, and its fork is a plain pod.

The pod is the lab's static pod static-web (kdebug-demo), run by the kubelet of worker kdebug-lab-w1 from its static
pod directory: its mirror pod is static-web-kdebug-lab-w1. A mirror pod cannot be made through the API (the API
server takes the mirror annotation only from the node's own kubelet), so the tests skip on a lab without it.
"""
import json
import os

import pytest

DEMO = "kdebug-demo"
NODE = "kdebug-lab-w1"
MIRROR = "static-web-" + NODE
MIRROR_TEXT = "pod %s/%s is the mirror of a static pod (a manifest the kubelet of node %s runs)" % (DEMO, MIRROR, NODE)


@pytest.fixture(scope="module")
def static_web(lab):
    """The mirror pod of the lab's static pod, running (skip when the lab has none)."""
    found = lab.kubectl("get", "pod", "-n", DEMO, MIRROR, "-o", "json", check=False)
    if found.returncode != 0:
        pytest.skip("the lab lacks the static pod static-web on worker %s (mirror pod %s/%s): the three-node lab "
                    "(lab/up) has it" % (NODE, DEMO, MIRROR))
    pod = json.loads(found.stdout)
    assert "kubernetes.io/config.mirror" in pod["metadata"]["annotations"], "%s is not a mirror pod" % MIRROR
    lab.kubectl("wait", "-n", DEMO, "pod/" + MIRROR, "--for=condition=Ready", "--timeout=60s", timeout=90)
    return pod


@pytest.fixture()
def tools(lab, agent_namespace):
    return {"image": lab.tools_image, "image_pull_policy": "Never", "agent_namespace": agent_namespace}


def debug_containers(lab):
    spec = lab.kubectl_json("get", "pod", "-n", DEMO, MIRROR)["spec"]
    return [c["name"] for c in spec.get("ephemeralContainers") or []]


def test_auto_takes_the_node_agent_for_a_mirror_pod_and_says_why(lab, static_web, tools, agent_namespace):
    status, result = lab.module("kdebug_exec", dict(tools, pod=MIRROR, namespace=DEMO, shell="ss -Hltn",
                                                    remove_with_run=False))
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["strategy"] == "agent"
    assert result["strategy_reason"] == (
        "%s, and the API refuses ephemeral containers on mirror pods, so the node agent in namespace %s, which the "
        "caller may run" % (MIRROR_TEXT, agent_namespace))
    assert result["rc"] == 0 and ":8080" in result["stdout"], result["stdout"]  # the static pod's own httpd
    assert result["target"]["node"] == NODE and result["agent_pod"]["node"] == NODE
    assert debug_containers(lab) == []


def test_strategy_ephemeral_on_a_mirror_pod_fails_before_anything_is_made(lab, static_web, tools, agent_namespace):
    status, result = lab.module("kdebug_exec", dict(tools, pod=MIRROR, namespace=DEMO, strategy="ephemeral",
                                                    command=["true"]))
    assert status == "FAILED!", result
    assert result["error_class"] == "option"
    assert result["msg"].startswith(MIRROR_TEXT + ", and the API refuses ephemeral containers on mirror pods. "
                                    "Nothing was changed. Use strategy agent (or auto"), result["msg"]
    assert debug_containers(lab) == []
    assert lab.kubectl("get", "namespace", agent_namespace, check=False).returncode != 0  # no agent either


def test_triage_says_the_pod_is_static_and_where_its_manifest_is(lab, static_web):
    status, result = lab.module("kdebug_triage", dict(pod=MIRROR, namespace=DEMO))
    assert status == "SUCCESS", result
    assert result["pod"]["static_pod"] == {"node": NODE, "source": "file"}
    assert result["pod"]["owner"] == {"kind": "Node", "name": NODE}
    static = next(c for c in result["checks"] if c["name"] == "static pod")
    assert static["status"] == "pass"
    assert static["summary"].startswith(MIRROR_TEXT + ": the API only mirrors it, so edit or delete the manifest on "
                                        "node %s" % NODE)


def test_the_batch_path_reaches_a_mirror_pod_through_the_agent(lab, static_web, tools):
    status, result = lab.module("kdebug_exec", dict(tools, targets=[{"pod": MIRROR, "namespace": DEMO}],
                                                    shell="ss -Hltn", remove_with_run=False))
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["strategy"] == "agent"
    [one] = result["results"]
    assert one["rc"] == 0 and ":8080" in one["stdout"], one
    assert one["target"]["node"] == NODE
    assert debug_containers(lab) == []


def test_diagnose_reaches_a_static_pod_through_the_agent_and_reports_it_static(
        lab, static_web, tmp_path, agent_namespace):
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {
        "pod": MIRROR, "kdebug_namespace": DEMO, "image": lab.tools_image, "image_pull_policy": "Never",
        "agent_namespace": agent_namespace, "output_dir": out, "runbooks": ["triage", "network"]}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["static pod"]["summary"].startswith(MIRROR_TEXT), checks["static pod"]
    interfaces = checks["network interfaces"]
    assert interfaces["details"]["access"]["strategy"] == "agent", interfaces
    assert "mirror of a static pod" in interfaces["details"]["access"]["strategy_reason"]
    assert checks["listening sockets"]["status"] == "pass", checks["listening sockets"]  # httpd on its port 8080
    with open(os.path.join(out, "report.md")) as handle:
        assert MIRROR_TEXT in handle.read()
    assert debug_containers(lab) == []
    # diagnose.yml removes the agent it started
    agents = lab.kubectl_json("get", "pods", "-n", agent_namespace)["items"] if lab.kubectl(
        "get", "namespace", agent_namespace, check=False).returncode == 0 else []
    assert [a for a in agents if not a["metadata"].get("deletionTimestamp")] == []


def test_the_fork_of_a_mirror_pod_is_a_plain_pod(lab, static_web):
    args = dict(pod=MIRROR, namespace=DEMO, image=lab.tools_image, image_pull_policy="Never",
                keep_annotations=["kubernetes.io/config.mirror", "kubernetes.io/config.source"], ttl_seconds=300)
    status, result = lab.module("kdebug_fork", args)
    try:
        assert status == "CHANGED", result
        fork = lab.kubectl_json("get", "pod", "-n", DEMO, result["fork"]["name"])
        assert "kubernetes.io/config.mirror" not in fork["metadata"]["annotations"]
        assert fork["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
        assert not fork["metadata"].get("ownerReferences")
        assert fork["status"]["phase"] == "Running"
        assert ("the source is a static pod's mirror: the fork is a plain pod (kubernetes.io/config.mirror removed, "
                "although in keep_annotations)") in result["changes"]
    finally:
        if status != "FAILED!":
            lab.module("kdebug_fork", dict(pod=MIRROR, namespace=DEMO, state="absent"))
