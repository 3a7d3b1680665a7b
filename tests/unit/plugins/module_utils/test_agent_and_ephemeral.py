from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.metadata import ANNOTATION_SPEC_HASH
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import ephemeral
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.agent import nsenter_argv, target_root
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.modules import kdebug_agent


def desired(**overrides):
    options = dict(node="node-1", namespace="kdebug-system", image="tools:1", ttl_seconds=600, requester="me",
                   reason="test")
    options.update(overrides)
    return agent.desired_agent(**options)


def test_desired_agent_is_privileged_pinned_and_expires():
    pod = desired()
    spec = pod["spec"]
    assert spec["nodeName"] == "node-1" and spec["hostPID"] is True and spec["activeDeadlineSeconds"] == 600
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert pod["metadata"]["name"] == agent.agent_name("node-1")
    assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kdebug"
    assert pod["metadata"]["annotations"]["kdebug.io/ttl-seconds"] == "600"


def test_spec_hash_changes_with_the_spec_not_with_the_time_or_requester():
    same = desired(requester="someone else")
    assert same["metadata"]["annotations"][ANNOTATION_SPEC_HASH] == \
        desired()["metadata"]["annotations"][ANNOTATION_SPEC_HASH]
    for change in (dict(image="tools:2"), dict(ttl_seconds=900), dict(tolerations=[])):
        assert desired(**change)["metadata"]["annotations"][ANNOTATION_SPEC_HASH] != \
            desired()["metadata"]["annotations"][ANNOTATION_SPEC_HASH]


def live(pod, phase="Running", deleting=False):
    pod = dict(pod, status={"phase": phase})
    if deleting:
        pod["metadata"] = dict(pod["metadata"], deletionTimestamp="2026-01-01T00:00:00Z")
    return pod


def test_why_replace():
    want = desired()
    assert agent.why_replace(live(want), want) is None
    assert "ended" in agent.why_replace(live(want, "Failed"), want)  # TTL ended
    assert "deleted" in agent.why_replace(live(want, deleting=True), want)
    assert "options changed" in agent.why_replace(live(desired(image="old")), want)


def test_agent_summary_has_the_documented_keys():
    summary = agent.agent_summary(desired(), False)
    assert set(summary) == set(yaml.safe_load(kdebug_agent.RETURN)["agent"]["contains"])
    assert summary["node"] == "node-1" and summary["image"] == "tools:1" and summary["expires_in_seconds"] == 600
    assert agent.agent_summary(None, False) is None


def test_agent_ready_fails_fast_on_image_errors():
    pod = live(desired(), "Pending")
    pod["status"]["containerStatuses"] = [{"state": {"waiting": {"reason": "ErrImagePull", "message": "nope"}}}]
    with pytest.raises(KdebugError) as err:
        agent.agent_ready(pod)
    assert "ErrImagePull" in err.value.message
    pod["status"]["containerStatuses"] = [{"state": {"waiting": {"reason": "ContainerCreating"}}}]
    assert agent.agent_ready(pod) is False
    pod["status"]["containerStatuses"] = [{"state": {"running": {}}}]
    assert agent.agent_ready(pod) is True


def test_nsenter_argv_and_private_proc():
    argv = nsenter_argv(42, ["net", "pid"], ["ps"])
    assert argv == ["nsenter", "--target", "42", "--net", "--pid", "--", "unshare", "--mount-proc", "--", "ps"]
    assert nsenter_argv(42, ["net"], ["ss"]) == ["nsenter", "--target", "42", "--net", "--", "ss"]
    with pytest.raises(KdebugError):
        nsenter_argv(42, ["time-travel"], ["true"])
    process = {"pid": 4242, "nspid": 1}
    assert target_root(process, ["net", "pid"]) == "/proc/1/root"
    assert target_root(process, ["net"]) == "/proc/4242/root"


def test_exec_spec_argv():
    assert ExecSpec(command=["echo", "$(x)"]).inner_argv() == ["echo", "$(x)"]
    assert ExecSpec(shell="a | b").inner_argv() == ["sh", "-c", "a | b"]
    spec = ExecSpec(command=["cat", "/x"], env={"B": "2", "A": "1"}, chroot=True)
    assert spec.inner_argv("/proc/1/root") == ["env", "A=1", "B=2", "chroot", "/proc/1/root", "cat", "/x"]
    plain = ExecSpec(command=["cat", "/x"], env={"A": "1"})
    assert plain.inner_argv("/proc/9/root") == ["env", "A=1", "KDEBUG_TARGET_ROOT=/proc/9/root", "cat", "/x"]
    with pytest.raises(ValueError):
        ExecSpec(command=["a"], shell="b")
    with pytest.raises(ValueError):
        ExecSpec()


def pod_with(declared, statuses):
    return {"metadata": {"namespace": "ns", "name": "p"},
            "spec": {"ephemeralContainers": [{"name": n} for n in declared]},
            "status": {"ephemeralContainerStatuses": statuses}}


def test_pick_container_reuses_live_and_skips_ended_generations():
    base = ephemeral.base_name("tools:1", "app", "general", "IfNotPresent")
    assert ephemeral.pick_container(pod_with([], []), base) == (base, False)
    running = [{"name": base, "state": {"running": {}}}]
    assert ephemeral.pick_container(pod_with([base], running), base) == (base, True)
    ended = [{"name": base, "state": {"terminated": {"exitCode": 0}}}]
    assert ephemeral.pick_container(pod_with([base], ended), base) == (base + "-2", False)
    starting = [{"name": base, "state": {"waiting": {"reason": "ContainerCreating"}}}]
    assert ephemeral.pick_container(pod_with([base], starting), base) == (base, True)


def test_ephemeral_container_spec_is_deterministic_and_profiled():
    one = ephemeral.ephemeral_container("kdebug-x", "tools:1", "app", "netadmin", "Never", 60)
    assert one == ephemeral.ephemeral_container("kdebug-x", "tools:1", "app", "netadmin", "Never", 60)
    assert one["targetContainerName"] == "app" and one["command"] == ["sleep", "60"]
    assert one["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"]
    assert "securityContext" not in ephemeral.ephemeral_container("k", "t", "app", "legacy", "Never", 60)
    assert ephemeral.base_name("t:1", "app", "general", "Never") != ephemeral.base_name("t:2", "app", "general", "Never")
    with pytest.raises(KdebugError):
        ephemeral.security_context("root-please")
