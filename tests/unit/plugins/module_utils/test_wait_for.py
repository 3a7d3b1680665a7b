# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kube/objects.py wait_for: a wait goes on through an API server outage, and says so when it times out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiDenied, ApiServerError, ApiUnreachable, WaitTimeout)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import objects


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(objects, "POLL_SECONDS", 0.001)
    monkeypatch.setattr(objects, "OUTAGE_POLL_SECONDS", 0.001)


def reads(*answers):
    """read(): each answer in turn (an exception is raised), the last one for ever."""
    answers = list(answers)

    def read():
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return read


def test_the_wait_goes_on_through_refused_connections_and_5xx():
    read = reads({"phase": "Pending"}, ApiUnreachable("connection refused"), ApiServerError("etcd", status=503),
                 ApiUnreachable("connection refused"), {"phase": "Running"})
    assert objects.wait_for(read, lambda obj: obj["phase"] == "Running", 5, "the pod") == {"phase": "Running"}


def test_an_outage_from_the_first_read_is_waited_out_too():
    read = reads(ApiUnreachable("connection refused"), {"phase": "Running"})
    assert objects.wait_for(read, lambda obj: obj["phase"] == "Running", 5, "the pod") == {"phase": "Running"}


def test_a_timeout_during_an_outage_says_the_api_server_did_not_answer():
    read = reads({"phase": "Pending"}, ApiUnreachable("connection refused to https://10.0.0.1:6443"))
    with pytest.raises(WaitTimeout) as caught:
        objects.wait_for(read, lambda obj: obj["phase"] == "Running", 0.05, "fork pod shop/web-kdebug-fork")
    message = caught.value.message
    assert "fork pod shop/web-kdebug-fork" in message and "API server has not answered" in message
    assert "connection refused to https://10.0.0.1:6443" in message and "/readyz" in message


def test_an_outage_that_ends_leaves_a_plain_timeout():
    read = reads(ApiUnreachable("connection refused"), {"phase": "Pending"})
    with pytest.raises(WaitTimeout) as caught:
        objects.wait_for(read, lambda obj: obj["phase"] == "Running", 0.05, "the pod")
    assert "API server" not in caught.value.message and "timed out after 0.05s waiting for the pod" in caught.value.message


def test_a_lasting_failure_ends_the_wait_with_its_own_error():
    read = reads({"phase": "Pending"}, ApiDenied("pods is forbidden", denied_by="rbac"))
    with pytest.raises(ApiDenied):
        objects.wait_for(read, lambda obj: obj["phase"] == "Running", 5, "the pod")


def test_a_broken_watch_through_an_outage_falls_back_to_reads_and_resumes():
    calls = []

    def watch(obj, _seconds):
        calls.append(obj)
        yield from ()  # a generator, as KubeClient.watch_object is
        raise ApiUnreachable("stream broke")

    read = reads({"phase": "Pending"}, {"phase": "Pending"}, {"phase": "Running"})
    assert objects.wait_for(read, lambda obj: obj["phase"] == "Running", 5, "the pod", watch=watch)["phase"] == "Running"
    assert calls  # the watch was tried, and its outage did not end the wait


# transforms/agent.py node_silence: why a node's kubelet would not start the agent
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec  # noqa: E402

NOW = 1764000000.0  # 2025-11-24T16:00:00Z


def stamp(seconds_before):
    import datetime
    return datetime.datetime.fromtimestamp(NOW - seconds_before, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def node(ready="True", reason="KubeletReady"):
    return {"metadata": {"name": "w1"}, "status": {"conditions": [
        {"type": "MemoryPressure", "status": "False"},
        {"type": "Ready", "status": ready, "reason": reason, "message": "Kubelet stopped posting node status.",
         "lastTransitionTime": stamp(100)}]}}


def lease(renewed_seconds_ago):
    return {"metadata": {"name": "w1"}, "spec": {"renewTime": stamp(renewed_seconds_ago)}}


def test_a_notready_node_is_named_with_its_reason():
    text = agent_spec.node_silence(node("Unknown", "NodeStatusUnknown"), lease(300), NOW)
    assert "node w1 is NotReady" in text and "NodeStatusUnknown" in text and "kubectl describe node w1" in text


def test_a_silent_kubelet_is_seen_from_its_lease_before_the_node_turns_notready():
    text = agent_spec.node_silence(node(), lease(35), NOW)
    assert "kubelet of node w1 has not renewed its lease for 35s" in text


@pytest.mark.parametrize("the_lease", [lease(5), None])
def test_a_live_node_or_one_whose_lease_cannot_be_read_says_nothing(the_lease):
    assert agent_spec.node_silence(node(), the_lease, NOW) is None
    assert agent_spec.node_silence(None, None, NOW) is None
