"""kdebug_agent against the lab: the state matrix with check mode and diff, bad input."""
import uuid

import pytest


@pytest.fixture()
def agent_namespace(lab):
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)


def agent_pods(lab, namespace):
    if lab.kubectl("get", "namespace", namespace, check=False).returncode != 0:
        return []
    return lab.kubectl_json("get", "pods", "-n", namespace)["items"]


def test_present_again_modify_absent_again_with_check_mode(lab, agent_namespace):
    base = {"node": "kdebug-lab", "agent_namespace": agent_namespace, "image": lab.tools_image, "image_pull_policy": "Never",
            "ttl_seconds": 600}

    status, result = lab.module("kdebug_agent", base, check=True, diff=True)
    assert status == "CHANGED" and agent_pods(lab, agent_namespace) == []
    assert result["diff"]["after"]["node"] == "kdebug-lab" if "diff" in result else True

    status, created = lab.module("kdebug_agent", base)
    assert status == "CHANGED" and created["agent"]["created"] is True and created["agent"]["phase"] == "Running"
    pods = agent_pods(lab, agent_namespace)
    assert len(pods) == 1
    pod = pods[0]
    assert pod["spec"]["hostPID"] is True and pod["spec"]["nodeName"] == "kdebug-lab"
    assert pod["spec"]["activeDeadlineSeconds"] == 600
    assert pod["spec"]["containers"][0]["securityContext"]["privileged"] is True
    assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kdebug"
    for key in ("kdebug.io/requested-by", "kdebug.io/created-at", "kdebug.io/reason", "kdebug.io/ttl-seconds"):
        assert pod["metadata"]["annotations"][key]
    namespace = lab.kubectl_json("get", "namespace", agent_namespace)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"

    status, again = lab.module("kdebug_agent", base)
    assert status == "SUCCESS" and again["agent"]["name"] == created["agent"]["name"]
    assert agent_pods(lab, agent_namespace)[0]["metadata"]["uid"] == pod["metadata"]["uid"]

    modified = dict(base, ttl_seconds=900)
    status, check = lab.module("kdebug_agent", modified, check=True, diff=True)
    assert status == "CHANGED"
    assert check["diff"]["before"]["ttl_seconds"] == 600 and check["diff"]["after"]["ttl_seconds"] == 900
    assert agent_pods(lab, agent_namespace)[0]["metadata"]["uid"] == pod["metadata"]["uid"], "check mode changed it"
    status, replaced = lab.module("kdebug_agent", modified)
    assert status == "CHANGED"
    new_pod = agent_pods(lab, agent_namespace)
    assert len(new_pod) == 1 and new_pod[0]["spec"]["activeDeadlineSeconds"] == 900
    assert new_pod[0]["metadata"]["uid"] != pod["metadata"]["uid"]

    absent = dict(base, state="absent")
    status, _result = lab.module("kdebug_agent", absent, check=True)
    assert status == "CHANGED" and len(agent_pods(lab, agent_namespace)) == 1
    status, removed = lab.module("kdebug_agent", absent)
    assert status == "CHANGED" and removed["agent"]["name"] == created["agent"]["name"]
    assert agent_pods(lab, agent_namespace) == []
    status, _result = lab.module("kdebug_agent", absent)
    assert status == "SUCCESS"
    status, _result = lab.module("kdebug_agent", absent, check=True)
    assert status == "SUCCESS"


def test_agent_on_the_node_of_a_pod(lab, agent_namespace):
    web = lab.pod_by_label("kdebug-demo", "app=web")
    status, result = lab.module("kdebug_agent", {"pod": web["metadata"]["name"], "namespace": "kdebug-demo",
                                                 "agent_namespace": agent_namespace, "image": lab.tools_image,
                                                 "image_pull_policy": "Never"})
    # whichever of the lab's nodes the scheduler put it on
    assert status == "CHANGED" and result["agent"]["node"] == web["spec"]["nodeName"]


def test_bad_input(lab, agent_namespace):
    status, result = lab.module("kdebug_agent", {"node": "no-such-node", "agent_namespace": agent_namespace,
                                                 "image": lab.tools_image})
    assert status == "FAILED!" and "node no-such-node not found" in result["msg"]
    assert agent_pods(lab, agent_namespace) == []
    status, result = lab.module("kdebug_agent", {"pod": "nope", "namespace": "kdebug-demo",
                                                 "agent_namespace": agent_namespace})
    assert status == "FAILED!" and "pod nope not found in namespace kdebug-demo" in result["msg"]
    status, result = lab.module("kdebug_agent", {"node": "kdebug-lab", "agent_namespace": agent_namespace,
                                                 "image": "kdebug.local/does-not-exist:1",
                                                 "image_pull_policy": "Never", "wait_timeout": 60})
    assert status == "FAILED!" and "ErrImageNeverPull" in result["msg"]
    assert agent_pods(lab, agent_namespace) == [], "an agent that cannot start is removed"
    status, result = lab.module("kdebug_agent", {"agent_namespace": agent_namespace})
    assert status == "FAILED!" and "one of the following is required" in result["msg"]
