from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random
import shutil
import subprocess
import time

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.metadata import (
    ANNOTATION_REASON, ANNOTATION_REQUESTED_BY, ANNOTATION_SPEC_HASH, ANNOTATION_TTL)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import ephemeral
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
    summary = agent.agent_summary(desired(), False, NOW)
    assert set(summary) == set(yaml.safe_load(kdebug_agent.RETURN)["agent"]["contains"])
    assert summary["node"] == "node-1" and summary["image"] == "tools:1" and summary["expires_in_seconds"] == 600
    assert agent.agent_summary(None, False, NOW) is None


NOW = 1767225600  # 2026-01-01T00:00:00Z


def started(pod, seconds_ago):
    """``pod`` (live) as if it started ``seconds_ago`` before NOW."""
    pod["status"]["startTime"] = "2025-12-31T23:%02d:%02dZ" % divmod(3600 - seconds_ago, 60)
    return pod


def test_agent_expires_in_is_the_time_left():
    pod = started(live(desired()), 100)
    assert agent.expires_in(pod, NOW) == 500
    assert agent.agent_summary(pod, False, NOW)["expires_in_seconds"] == 500
    assert agent.expires_in(started(live(desired()), 900), NOW) == 0  # over: never negative


def test_an_agent_too_close_to_its_ttl_is_replaced_not_reused():
    want = desired()
    assert agent.why_replace(started(live(want), 100), want, 90, NOW) is None  # 500 s left
    why = agent.why_replace(started(live(want), 550), want, 90, NOW)  # 50 s left, 90 needed
    assert "TTL ends in 50s" in why and "90s" in why
    assert agent.why_replace(started(live(want), 550), want) is None  # nothing asked for


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
    argv = agent.nsenter_argv(42, ["net", "pid"], ["ps"])
    assert argv == ["nsenter", "--target", "42", "--net", "--pid", "--", "unshare", "--mount-proc", "--", "ps"]
    assert agent.nsenter_argv(42, ["net"], ["ss"]) == ["nsenter", "--target", "42", "--net", "--", "ss"]
    with pytest.raises(KdebugError):
        agent.nsenter_argv(42, ["time-travel"], ["true"])
    process = {"pid": 4242, "nspid": 1}
    assert agent.target_root(process, ["net", "pid"]) == "/proc/1/root"
    assert agent.target_root(process, ["net"]) == "/proc/4242/root"


TIMEOUT = ["timeout", "-k", "2", "9"]


@pytest.mark.parametrize("namespaces, argv", [
    # nsenter forks to enter a pid namespace: the timeout goes after it, as the command's own parent.
    (["net", "pid"], ["nsenter", "--target", "42", "--net", "--pid", "--", "unshare", "--mount-proc", "--"] + TIMEOUT),
    # mnt too: the agent's timeout first, the target's mount namespace last (a second nsenter, which does not fork).
    (["pid", "mnt"], ["nsenter", "--target", "42", "--pid", "--"] + TIMEOUT + ["nsenter", "--target", "42", "--mount",
                                                                               "--"]),
    # No pid namespace: nsenter does not fork, so the command is timeout's child anyway.
    (["net"], TIMEOUT + ["nsenter", "--target", "42", "--net", "--"]),
])
def test_the_timeout_runs_inside_the_targets_namespaces(namespaces, argv):
    spec = ExecSpec(command=["ss", "-ltn"], env={"A": "s3cret"}, timeout=9)  # env travels on stdin, never here
    got = agent.target_argv(spec, 42, "/proc/42/root", namespaces)
    assert got[:len(argv)] == argv
    assert got[len(argv):] == ["env", "KDEBUG_TARGET_ROOT=/proc/42/root", "ss", "-ltn"]
    untimed = agent.target_argv(ExecSpec(command=["ss"]), 42, "/r", namespaces)
    assert "timeout" not in untimed and untimed.count("nsenter") == 1


@pytest.mark.parametrize("existing, would_create", [
    (None, True), ("same", False), ("ended", True), ("changed", True)])
def test_exec_plan_says_whether_the_agent_would_be_created(existing, would_create):
    want = desired()
    pods = {None: None, "same": live(want), "ended": live(want, "Failed"), "changed": live(desired(image="old"))}
    plan = agent.exec_plan(want, pods[existing], ExecSpec(shell="ip addr", timeout=5), ["net", "pid"], NOW)
    assert plan["would_create"] is would_create
    assert plan["node"] == "node-1" and plan["agent_pod"] == want["metadata"]["name"]
    assert plan["agent_namespace"] == "kdebug-system"
    assert plan["argv"][:3] == ["nsenter", "--target", "<pid>"] and "timeout" in plan["argv"]
    assert plan["argv"][-4:] == ["KDEBUG_TARGET_ROOT=/proc/<pid>/root", "sh", "-c", "ip addr"]


def test_exec_spec_argv():
    assert ExecSpec(command=["echo", "$(x)"]).inner_argv() == ["echo", "$(x)"]
    assert ExecSpec(shell="a | b").inner_argv() == ["sh", "-c", "a | b"]
    spec = ExecSpec(command=["cat", "/x"], env={"B": "2", "A": "1"}, chroot=True)
    assert spec.inner_argv("/proc/1/root") == ["chroot", "/proc/1/root", "cat", "/x"]
    plain = ExecSpec(command=["cat", "/x"], env={"A": "1"})
    assert plain.inner_argv("/proc/9/root") == ["env", "KDEBUG_TARGET_ROOT=/proc/9/root", "cat", "/x"]
    assert ExecSpec(command=["a"], env={"KDEBUG_TARGET_ROOT": "/r"}).inner_argv("/proc/9/root") == ["a"]
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
    assert ephemeral.pick_container(pod_with([], []), base) == (base, False, [])
    running = [{"name": base, "state": {"running": {}}}]
    assert ephemeral.pick_container(pod_with([base], running), base) == (base, True, [])
    ended = [{"name": base, "state": {"terminated": {"exitCode": 0}}}]
    assert ephemeral.pick_container(pod_with([base], ended), base) == (base + "-2", False, [])
    starting = [{"name": base, "state": {"waiting": {"reason": "ContainerCreating"}}}]
    assert ephemeral.pick_container(pod_with([base], starting), base) == (base, True, [])


def debug_pod(generations, ttl=600):
    """A pod with kdebug debug containers: (name, seconds since it started, or "ended")."""
    pod = pod_with([], [])
    pod["spec"]["ephemeralContainers"] = [{"name": n, "command": ["sleep", str(ttl)]} for n, _age in generations]
    pod["status"]["ephemeralContainerStatuses"] = [
        {"name": n, "state": {"terminated": {"exitCode": 0}} if age == "ended" else
         {"running": {"startedAt": "2025-12-31T23:%02d:%02dZ" % divmod(3600 - age, 60)}}}
        for n, age in generations]
    return pod


def test_a_debug_container_too_close_to_its_ttl_is_not_reused():
    base = "kdebug-x"
    pod = debug_pod([(base, 100)])  # 500 s left
    assert ephemeral.pick_container(pod, base, 90, NOW) == (base, True, [])
    assert ephemeral.expires_in(pod, base, NOW) == 500
    short = debug_pod([(base, 550)])  # 50 s left: a command with 60 s of timeout would be killed
    assert ephemeral.pick_container(short, base, 90, NOW) == (base + "-2", False, [(base, 50)])
    both = debug_pod([(base, 550), (base + "-2", 10)])
    assert ephemeral.pick_container(both, base, 90, NOW) == (base + "-2", True, [(base, 50)])
    assert ephemeral.expires_in(debug_pod([(base, "ended")]), base, NOW) == 0


def test_the_generation_budget_counts_every_ended_kdebug_container():
    full = debug_pod([("kdebug-other-%d" % n, "ended") for n in range(ephemeral.MAX_GENERATIONS)])
    with pytest.raises(ephemeral.GenerationBudgetSpent) as err:
        ephemeral.pick_container(full, "kdebug-x", 90, NOW)
    assert err.value.ended == ephemeral.MAX_GENERATIONS and "carries 50 ended" in err.value.message
    assert err.value.result()["error_class"] == "generation_budget"
    # A live one is still reused: the budget only stops adding.
    live_one = debug_pod([("kdebug-x", 10)] + [("kdebug-o-%d" % n, "ended") for n in range(ephemeral.MAX_GENERATIONS)])
    assert ephemeral.pick_container(live_one, "kdebug-x", 90, NOW) == ("kdebug-x", True, [])
    assert ephemeral.ended_containers(debug_pod([("kdebug-a", "ended"), ("other", "ended"), ("kdebug-b", 5)])) == 1


def test_ephemeral_container_spec_is_deterministic_and_profiled():
    one = ephemeral.ephemeral_container("kdebug-x", "tools:1", "app", "netadmin", "Never", 60)
    assert one == ephemeral.ephemeral_container("kdebug-x", "tools:1", "app", "netadmin", "Never", 60)
    assert one["targetContainerName"] == "app" and one["command"] == ["sleep", "60"]
    assert one["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"]
    assert "securityContext" not in ephemeral.ephemeral_container("k", "t", "app", "legacy", "Never", 60)
    assert ephemeral.base_name("t:1", "app", "general", "Never") != ephemeral.base_name("t:2", "app", "general", "Never")
    with pytest.raises(KdebugError):
        ephemeral.security_context("root-please")


def test_the_agents_namespace_carries_who_and_why():
    namespace = agent.agent_namespace("kdebug-system", "alice@laptop", "INC-42")
    annotations = namespace["metadata"]["annotations"]
    assert annotations[ANNOTATION_REQUESTED_BY] == "alice@laptop"
    assert annotations[ANNOTATION_REASON] == "INC-42"
    assert annotations[ANNOTATION_TTL] == "0"
    pod = agent.desired_agent("node-1", "kdebug-system", "tools:1", 600, "alice@laptop", "INC-42")
    assert pod["metadata"]["annotations"][ANNOTATION_REQUESTED_BY] == "alice@laptop"
    assert pod["metadata"]["annotations"][ANNOTATION_REASON] == "INC-42"


# --- what a refused or stuck debug container is told -------------------------------------------------------


def pod_for_user(pod_user=None, container_user=None, pod_group=None, container_group=None):
    pod = {"metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": [{"name": "app", "securityContext": {}}], "securityContext": {}}}
    for key, value in (("runAsUser", pod_user), ("runAsGroup", pod_group)):
        if value is not None:
            pod["spec"]["securityContext"][key] = value
    for key, value in (("runAsUser", container_user), ("runAsGroup", container_group)):
        if value is not None:
            pod["spec"]["containers"][0]["securityContext"][key] = value
    return pod


@pytest.mark.parametrize("pod_ids, container_ids, expected", [
    # the target's own user and group: its files under /proc/<pid>/root stay readable
    ((None, None), (1000, 1001), {"runAsUser": 1000, "runAsGroup": 1001}),
    ((None, None), (1000, None), {"runAsUser": 1000}),
    # the pod's user and group apply to the debug container by themselves
    ((2000, 3000), (None, None), {}),
    ((2000, 3000), (None, 4000), {"runAsGroup": 4000}),
    # a root-default tools image could never start under runAsNonRoot
    ((None, None), (None, None), {"runAsUser": ephemeral.NOBODY}),
])
def test_the_restricted_profile_runs_as_the_target_s_user_and_group(pod_ids, container_ids, expected):
    pod = pod_for_user(pod_ids[0], container_ids[0], pod_ids[1], container_ids[1])
    identity = ephemeral.restricted_identity(pod, "app")
    assert identity == expected
    spec = ephemeral.ephemeral_container("k", "t", "app", "restricted", "Never", 60, identity)
    for key in ("runAsUser", "runAsGroup"):
        assert spec["securityContext"].get(key) == expected.get(key)
    assert spec["securityContext"]["runAsNonRoot"] is True
    general = ephemeral.ephemeral_container("k", "t", "app", "general", "Never", 60, identity)
    assert "runAsUser" not in general["securityContext"] and "runAsGroup" not in general["securityContext"]


@pytest.mark.parametrize("labels, level, to_try, skipped", [
    (None, None, ["general", "baseline", "restricted"], []),
    ({"pod-security.kubernetes.io/enforce": "privileged"}, "privileged", ["general", "baseline", "restricted"], []),
    ({"pod-security.kubernetes.io/enforce": "baseline"}, "baseline", ["baseline", "restricted"], ["general"]),
    ({"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"},
     "restricted", ["restricted"], ["general", "baseline"]),
    ({"pod-security.kubernetes.io/warn": "restricted"}, None, ["general", "baseline", "restricted"], []),
    ({"pod-security.kubernetes.io/enforce": "bogus"}, None, ["general", "baseline", "restricted"], []),
])
def test_the_enforce_label_says_which_profiles_a_dry_run_is_worth(labels, level, to_try, skipped):
    namespace = {"metadata": {"name": "ns", "labels": labels}}
    assert ephemeral.enforced_level(namespace) == level
    assert ephemeral.auto_profiles(level) == (to_try, skipped)


def test_an_unreadable_namespace_starts_at_the_most_capable_profile():
    assert ephemeral.enforced_level(None) is None
    assert ephemeral.auto_profiles(None)[0][0] == "general"


@pytest.mark.parametrize("refused, tried", [
    ("general", ["baseline", "restricted"]),
    ("baseline", ["restricted"]),
    ("restricted", []),
    ("netadmin", ["general", "baseline", "restricted"]),
    ("sysadmin", ["general", "baseline", "restricted"]),
])
def test_a_refused_profile_is_followed_by_the_less_capable_ones(refused, tried):
    assert ephemeral.less_capable(refused) == tried


def test_every_profile_says_what_it_cannot_do():
    assert set(ephemeral.PROFILE_LIMITS) == set(ephemeral.PROFILES)
    for tags in ephemeral.PROFILE_LIMITS.values():
        assert set(tags) <= set(ephemeral.LIMITS)
    assert ephemeral.profile_cannot("general") == ["net_admin"]
    assert {"ptrace", "net_raw", "net_admin", "root"} == set(ephemeral.profile_cannot("restricted"))
    assert "tcpdump" in ephemeral.describe_limits("restricted") and "ptrace" in ephemeral.describe_limits("baseline")
    assert ephemeral.describe_limits("sysadmin") == "profile sysadmin lacks nothing kdebug's runbooks use"


def test_the_profile_reason_says_what_was_refused_how_it_was_confirmed_and_what_is_missing():
    reason = ephemeral.profile_reason("shop", "restricted", ["general", "baseline"], [], "restricted", "dry run")
    assert reason.startswith("namespace shop enforces PodSecurity restricted, so profiles general and baseline were "
                             "not tried; a server-side dry run (dryRun=All) admitted profile restricted. Profile "
                             "restricted has no ptrace"), reason
    assert "no NET_RAW (tcpdump" in reason
    refused = ephemeral.profile_reason("shop", None, [], [("general", "unrestricted capabilities")], "baseline",
                                       "dry run")
    assert "enforces no PodSecurity level by label" in refused
    assert "dry run (dryRun=All) refused profile general (unrestricted capabilities)" in refused
    reused = ephemeral.profile_reason("shop", "baseline", ["general"], [], "baseline", "re-used")
    assert "profile baseline: its running debug container is re-used" in reused


def test_no_profile_admitted_names_every_refusal():
    text = ephemeral.no_profile_admitted("shop", "restricted", ["general", "baseline"],
                                         [("restricted", "runAsNonRoot != true")])
    assert text == ("PodSecurity admits no debug container profile in namespace shop (it enforces restricted, which "
                    "rules out general and baseline); server-side dry runs refused: restricted (runAsNonRoot != true)")


def test_refusal_text_is_the_failed_checks_else_the_message():
    denial = {"violations": [violation("x", "runAsNonRoot != true"), violation("y", "seccompProfile")]}
    assert ephemeral.refusal_text(denial, "long message") == "runAsNonRoot != true, seccompProfile"
    assert ephemeral.refusal_text({}, "webhook said no") == "webhook said no"


def violation(detail, check="unrestricted capabilities"):
    return {"check": check, "detail": detail}


def test_pod_security_fix_names_the_profile_when_the_debug_container_is_refused():
    denial = {"level": "baseline", "violations": [violation(
        'container "kdebug-1a" must not include "SYS_PTRACE" in securityContext.capabilities.add')]}
    fix = ephemeral.pod_security_fix(denial, "kdebug-1a", "general")
    # which profile would pass is a server-side dry run's answer (strategies/ephemeral.py), not a guess
    assert fix == "The debug container's profile general sets what the level forbids"
    assert not ephemeral.pod_at_fault(denial, "kdebug-1a")
    restricted = {"level": "restricted", "violations": [violation(
        'containers "app", "kdebug-1a" must set securityContext.runAsNonRoot=true', "runAsNonRoot != true")]}
    assert not ephemeral.pod_at_fault(restricted, "kdebug-1a")


def test_pod_security_fix_when_the_pod_itself_violates_the_level():
    denial = {"level": "restricted", "violations": [violation(
        'container "app" must set securityContext.allowPrivilegeEscalation=false', "allowPrivilegeEscalation != false")]}
    fix = ephemeral.pod_security_fix(denial, "kdebug-1a", "restricted")
    assert ephemeral.pod_at_fault(denial, "kdebug-1a")
    assert "The pod itself does not meet the level" in fix and "strategy agent" in fix
    assert "profile to" not in fix


def test_containers_named():
    assert ephemeral.containers_named('containers "a", "b" and "c" must set x') == ["a", "b", "c"]
    assert ephemeral.containers_named('pod or container "app" must set securityContext.runAsNonRoot=true') == ["app"]
    assert ephemeral.containers_named("host namespaces (hostNetwork=true)") == []


def test_start_problem_advice():
    root = "CreateContainerConfigError: container has runAsNonRoot and image will run as root (pod: ...)"
    assert "runs as root, which profile restricted forbids" in ephemeral.start_problem_advice(root, "t:1", "restricted")
    assert "image_pull_secrets" in ephemeral.start_problem_advice("ErrImagePull: not found", "t:1", "general")


@pytest.mark.skipif(not shutil.which("nsenter") or os.geteuid() != 0, reason="needs root and nsenter")
@pytest.mark.parametrize("namespaces", [["net", "pid"], ["pid", "mnt"], ["net"]])
def test_a_command_that_ignores_term_is_killed_at_its_timeout(namespaces):
    """The real argv, aimed at this process: nsenter forks into a pid namespace and dies of TERM; the command,
    which ignores TERM, must not outlive it (the timeout is its own parent, and KILLs it 2 s later)."""
    # A duration no other process sleeps: 3000 + pid % 1000 could be 3600, which the lab's pods sleep (CI saw them).
    marker = str(7000000 + random.SystemRandom().randrange(1000000))
    spec = ExecSpec(shell='trap "" TERM; sleep %s; echo survived' % marker, timeout=1)
    started = time.monotonic()
    proc = subprocess.run(agent.target_argv(spec, os.getpid(), "/", namespaces), capture_output=True, text=True,
                          timeout=20, check=False)
    assert time.monotonic() - started < 6 and proc.returncode in (124, 137, -9), proc
    left = subprocess.run(["pgrep", "-f", "^sleep %s$" % marker], capture_output=True, text=True, check=False)
    assert left.stdout == "", "the command outlived its timeout: pids %s" % left.stdout.split()
