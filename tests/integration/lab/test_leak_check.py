"""The session's leak check (leaks.py) finds what a run leaves: an agent and its namespace, on the lab."""
import os
import uuid

from leaks import is_declared, leaks, listing


def test_the_leak_check_finds_an_agent_left_behind_and_honours_declarations(lab):
    requester = os.environ["KDEBUG_REQUESTED_BY"]  # the session's, set at its start
    before = {item.key for item in listing(lab)}
    agent_namespace = "kdebug-test-leak-" + uuid.uuid4().hex[:6]
    node = lab.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]
    try:
        status, result = lab.module("kdebug_agent", {"node": node, "agent_namespace": agent_namespace,
                                                     "image": lab.tools_image, "image_pull_policy": "Never",
                                                     "ttl_seconds": 300, "wait": False})
        assert status == "CHANGED", result
        found = leaks(before, listing(lab), requester, set(), set())
        kinds = {(item.kind, item.namespace or item.name) for item in found}
        assert ("Pod", agent_namespace) in kinds and ("Namespace", agent_namespace) in kinds, [str(i) for i in found]
        agent = [item for item in found if item.kind == "Pod" and item.namespace == agent_namespace][0]
        assert agent.requester == requester and agent.name == result["agent"]["name"]
        # another run's object (another requester) on a shared lab is not this session's
        assert [i for i in leaks(before, listing(lab), "someone-else@host", set(), set())
                if (i.namespace or i.name) == agent_namespace] == []
        # declared, with a pattern: not counted
        declared = {("Pod", agent_namespace, "kdebug-agent-*"), ("Namespace", None, agent_namespace)}
        assert is_declared(agent, declared)
        assert [i for i in leaks(before, listing(lab), requester, set(), declared)
                if (i.namespace or i.name) == agent_namespace] == []
    finally:
        lab.kubectl("delete", "namespace", agent_namespace, "--wait=false", "--ignore-not-found", check=False)
    # removal under way: nothing of it counts any more
    assert [i for i in leaks(before, listing(lab), requester, set(), set())
            if (i.namespace or i.name) == agent_namespace] == []
