# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The sweep's decisions (transforms/cleanup.py): which kdebug objects have expired, without a cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import cleanup

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
MANAGED = {"app.kubernetes.io/managed-by": "kdebug"}


def stamp(seconds_ago):
    return (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name, namespace="kdebug-system", age=100, ttl="3600", phase="Running", labels=None, created_at=True,
        server_age=None, deleting=False, reason=None, run=None, remove_with_run=None):
    annotations = {}
    if run:
        annotations["kdebug.io/run"] = run
    if remove_with_run is not None:
        annotations["kdebug.io/remove-with-run"] = remove_with_run
    if created_at:
        annotations["kdebug.io/created-at"] = stamp(age)
    if ttl is not None:
        annotations["kdebug.io/ttl-seconds"] = ttl
    meta = {"name": name, "namespace": namespace, "uid": "uid-" + name,
            "labels": dict(MANAGED, **(labels or {})) if labels is not False else {},
            "annotations": annotations,
            "creationTimestamp": stamp(age if server_age is None else server_age)}
    if deleting:
        meta["deletionTimestamp"] = stamp(0)
    status = {"phase": phase}
    if reason:
        status["reason"] = reason
    return cleanup.normalize_kube("Pod", {"metadata": meta, "status": status})


def container(name, age=100, ttl="3600", state="running", target="docker/web", created_at=True):
    labels = dict(MANAGED)
    labels["kdebug.io/target"] = target
    if ttl is not None:
        labels["kdebug.io/ttl-seconds"] = ttl
    if created_at:
        labels["kdebug.io/created-at"] = stamp(age)
    return cleanup.normalize_docker({"Id": "id-" + name, "Names": ["/" + name], "Labels": labels,
                                     "Created": int((NOW - datetime.timedelta(seconds=age)).timestamp()),
                                     "State": state, "Status": "Exited (0) 2 hours ago" if state == "exited" else
                                     "Up 2 hours"}, "unix:///run/docker.sock")


# --- parsing -------------------------------------------------------------------


@pytest.mark.parametrize("value, seconds", [
    (None, None), ("", None), ("  ", None), (0, 0), ("0", 0), (3600, 3600), ("3600", 3600), ("45s", 45),
    ("90m", 5400), ("2h", 7200), ("1d", 86400), ("1w", 604800), (" 2H ", 7200),
])
def test_parse_duration(value, seconds):
    assert cleanup.parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["-1", -5, "2 hours", "1.5h", "h", True, "1y"])
def test_parse_duration_refuses_what_it_cannot_read(value):
    with pytest.raises(KdebugError) as err:
        cleanup.parse_duration(value)
    assert "older_than" in err.value.message


@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T12:00:00Z", NOW),
    ("2026-03-01T12:00:00+00:00", NOW),
    ("2026-03-01T13:30:00+01:30", NOW),
    ("2026-03-01T10:00:00-0200", NOW),
    ("2026-03-01T12:00:00.123456Z", NOW),
    (int(NOW.timestamp()), NOW),
    (NOW.replace(tzinfo=None), NOW),
    ("yesterday", None), ("", None), (None, None), ("2026-13-01T00:00:00Z", None),
])
def test_parse_timestamp(text, expected):
    assert cleanup.parse_timestamp(text) == expected


@pytest.mark.parametrize("value, ttl", [("3600", 3600), (" 60 ", 60), ("0", None), ("-5", None), ("x", None),
                                        (None, None), (30, 30)])
def test_parse_ttl(value, ttl):
    assert cleanup.parse_ttl(value) == ttl


# --- one object ------------------------------------------------------------------


def test_ttl_mode_removes_what_outlived_its_ttl_and_keeps_the_rest():
    remove, reason, age = cleanup.decide(pod("old", age=4000), NOW)
    assert (remove, age) == (True, 4000)
    assert reason == "its TTL of 3600s has passed"
    remove, reason, age = cleanup.decide(pod("young", age=100), NOW)
    assert (remove, age) == (False, 100)
    assert "within its TTL of 3600s (expires in 3500s)" == reason
    assert cleanup.decide(pod("exactly", age=3600), NOW)[0] is True


def test_ttl_mode_keeps_objects_without_a_ttl_and_says_how_to_sweep_them():
    for ttl in (None, "0", "garbage"):
        remove, reason, _age = cleanup.decide(pod("no-ttl", age=10 ** 6, ttl=ttl), NOW)
        assert remove is False
        assert "no TTL" in reason and "older_than" in reason


def test_ttl_mode_removes_ended_pods_after_a_grace_period():
    remove, reason, _age = cleanup.decide(pod("dead", age=120, phase="Failed", reason="DeadlineExceeded"), NOW)
    assert remove is True
    assert reason == "ended (Failed: DeadlineExceeded)"
    # just ended: the run that made it may still be reading it
    assert cleanup.decide(pod("fresh", age=10, phase="Succeeded"), NOW)[0] is False
    # ended and without a TTL: still garbage
    assert cleanup.decide(pod("dead-no-ttl", age=120, phase="Succeeded", ttl=None), NOW)[0] is True


RUN = "ctrl-1@0a1b2c3d/4242/987654"


@pytest.mark.parametrize("state, removed, words", [
    ("gone", True, "the run that made it (pid 4242 on ctrl-1) has ended without removing it"),
    ("going", False, "within its TTL of 3600s (expires in 3500s); its run (pid 4242 on ctrl-1) is still going"),
    ("elsewhere", False, "; its run (pid 4242 on ctrl-1) is not on this controller"),
    (None, False, "; its run (pid 4242 on ctrl-1) is not on this controller"),
])
def test_an_object_that_goes_with_its_run_is_removed_once_the_run_is_gone(state, removed, words):
    record = pod("fork", run=RUN, remove_with_run="true")
    remove, reason, _age = cleanup.decide(record, NOW, run_states={RUN: state} if state else {})
    assert remove is removed
    assert words in reason


def test_only_objects_marked_remove_with_run_go_with_their_run():
    # an agent kept for later runs records its run for the audit, but stays until its TTL
    kept = pod("agent", run=RUN)
    assert cleanup.run_of(kept) is None
    assert cleanup.decide(kept, NOW, run_states={RUN: "gone"})[0] is False
    assert cleanup.run_of(pod("fork", run=RUN, remove_with_run="true")) == RUN
    assert cleanup.run_of(pod("fork", remove_with_run="true")) is None  # no run recorded: the TTL decides
    # older_than still sweeps by age alone
    assert cleanup.decide(pod("fork", age=10, run=RUN, remove_with_run="true"), NOW, older_than=60,
                          run_states={RUN: "going"})[0] is False


def test_older_than_ignores_the_ttl():
    assert cleanup.decide(pod("young", age=100), NOW, older_than=0) == (True, "older than 0s (older_than)", 100)
    assert cleanup.decide(pod("young", age=100), NOW, older_than=60)[0] is True
    assert cleanup.decide(pod("young", age=100), NOW, older_than=3600) == (
        False, "younger than 3600s (older_than)", 100)
    # no TTL does not matter with older_than
    assert cleanup.decide(pod("no-ttl", age=100, ttl=None), NOW, older_than=0)[0] is True


def test_age_prefers_the_created_at_annotation_then_the_server_time():
    record = pod("both", age=7200, server_age=30)
    assert cleanup.age_seconds(record, NOW) == 7200
    record = pod("server-only", created_at=False, server_age=30)
    assert cleanup.age_seconds(record, NOW) == 30
    record = pod("unreadable", server_age=30)
    record["annotations"]["kdebug.io/created-at"] = "not a time"
    assert cleanup.age_seconds(record, NOW) == 30
    # a clock ahead of ours is age 0, never negative
    assert cleanup.age_seconds(pod("future", age=-500), NOW) == 0


def test_unknown_age_is_kept():
    record = pod("nothing", created_at=False)
    record["created"] = None
    assert cleanup.decide(record, NOW, older_than=0)[:2] == (
        False, "age unknown (no kdebug.io/created-at, no creation time)")
    assert cleanup.decide(record, NOW)[0] is False


def test_objects_being_deleted_and_unlabelled_objects_are_kept():
    assert cleanup.decide(pod("going", deleting=True, age=10 ** 6), NOW, older_than=0)[:2] == (
        False, "already being deleted")
    assert cleanup.decide(pod("foreign", labels=False, age=10 ** 6), NOW, older_than=0)[:2] == (
        False, "not labelled app.kubernetes.io/managed-by=kdebug")


def test_docker_containers_use_their_labels():
    record = container("kdebug-exec-web-1", age=4000)
    assert record["kind"] == "DockerContainer"
    assert record["name"] == "kdebug-exec-web-1"
    assert record["namespace"] is None
    assert cleanup.decide(record, NOW) == (True, "its TTL of 3600s has passed", 4000)
    assert cleanup.decide(container("young", age=100), NOW)[0] is False
    exited = container("exited", age=120, state="exited")
    assert cleanup.decide(exited, NOW) == (True, "ended (Exited (0) 2 hours ago)", 120)
    # without the created-at label: the engine's creation time
    assert cleanup.age_seconds(container("no-label", age=500, created_at=False), NOW) == 500


def test_namespace_scope():
    assert cleanup.in_scope(pod("a", namespace="shop"), [])
    assert cleanup.in_scope(pod("a", namespace="shop"), ["shop", "x"])
    assert not cleanup.in_scope(pod("a", namespace="shop"), ["x"])
    ns = cleanup.normalize_kube("Namespace", {"metadata": {"name": "kdebug-system", "labels": MANAGED}})
    assert cleanup.in_scope(ns, ["kdebug-system"]) and not cleanup.in_scope(ns, ["shop"])
    # Docker: the namespace of the pod it targeted; plain Docker targets only cluster-wide
    assert cleanup.in_scope(container("c", target="shop/web-0/app"), ["shop"])
    assert not cleanup.in_scope(container("c", target="other/web-0/app"), ["shop"])
    assert not cleanup.in_scope(container("c", target="docker/legacy"), ["shop"])
    assert not cleanup.in_scope(container("c", target="docker/shop/x"), ["docker"])
    assert cleanup.in_scope(container("c", target="docker/legacy"), [])


def test_terminating_namespace_is_being_deleted():
    ns = cleanup.normalize_kube("Namespace", {"metadata": {"name": "n", "labels": MANAGED},
                                              "status": {"phase": "Terminating"}})
    assert ns["deleting"] is True


# --- a whole sweep -----------------------------------------------------------------


def test_plan_sweep_splits_and_describes():
    records = [pod("agent-old", age=4000), pod("agent-new", age=10), container("leftover", age=4000),
               pod("elsewhere", namespace="other", age=4000)]
    remove, keep = cleanup.plan_sweep(records, NOW, namespaces=["kdebug-system"])
    assert [item["name"] for _r, item in remove] == ["agent-old"]
    assert [item["name"] for _r, item in keep] == ["agent-new"]  # other namespace and Docker are out of scope
    remove, keep = cleanup.plan_sweep(records, NOW)
    assert sorted(item["name"] for _r, item in remove) == ["agent-old", "elsewhere", "leftover"]
    item = next(item for _r, item in remove if item["name"] == "leftover")
    assert item == {"kind": "DockerContainer", "namespace": None, "name": "leftover", "age_seconds": 4000,
                    "reason": "its TTL of 3600s has passed", "docker_host": "unix:///run/docker.sock",
                    "id": "id-leftover"}
    assert set(next(item for _r, item in remove if item["name"] == "agent-old")) == set(cleanup.RESULT_KEYS)
    assert cleanup.describe(item) == ("DockerContainer unix:///run/docker.sock/leftover (age 4000s): "
                                      "its TTL of 3600s has passed")


def test_plan_sweep_everything_with_older_than_zero():
    records = [pod("a", age=1), pod("b", age=0, ttl=None), container("c", age=0)]
    remove, keep = cleanup.plan_sweep(records, NOW, older_than=0)
    assert len(remove) == 3 and keep == []


def test_namespaces_go_only_when_empty_after_the_sweep():
    ns = cleanup.normalize_kube("Namespace", {"metadata": {
        "name": "kdebug-system", "labels": MANAGED, "creationTimestamp": stamp(5000),
        "annotations": {"kdebug.io/created-at": stamp(5000), "kdebug.io/ttl-seconds": "0"}}})
    agent = pod("agent", age=5000)
    # TTL mode: a namespace's TTL is 0, so it stays
    remove, keep = cleanup.plan_sweep([agent, ns], NOW, pods_by_namespace={"kdebug-system": ["agent"]})
    assert [i["name"] for _r, i in remove] == ["agent"]
    assert [i["name"] for _r, i in keep] == ["kdebug-system"]
    # older_than: removed together with its only pod
    remove, _keep = cleanup.plan_sweep([agent, ns], NOW, older_than=0, pods_by_namespace={"kdebug-system": ["agent"]})
    assert sorted(i["name"] for _r, i in remove) == ["agent", "kdebug-system"]
    # someone else's pod in it: kept, and the reason names the pod
    remove, keep = cleanup.plan_sweep([agent, ns], NOW, older_than=0,
                                      pods_by_namespace={"kdebug-system": ["agent", "theirs"]})
    assert [i["name"] for _r, i in remove] == ["agent"]
    assert "1 pod(s) left in it (theirs)" in keep[0][1]["reason"]
    # pods unknown: kept
    _remove, keep = cleanup.plan_sweep([ns], NOW, older_than=0, pods_by_namespace={"kdebug-system": None})
    assert keep[0][1]["reason"] == "its pods could not be listed; kept"


def test_removal_order_and_diff():
    ns = cleanup.normalize_kube("Namespace", {"metadata": {"name": "kdebug-system", "labels": MANAGED}})
    records = [ns, container("leftover"), pod("b-agent"), pod("a-agent")]
    pairs = [(r, cleanup.result_item(r, "why", 1)) for r in records]
    # pods before their namespace, Docker before namespaces, names in order within a kind
    assert [i["name"] for _r, i in cleanup.removal_order(pairs)] == ["a-agent", "b-agent", "leftover",
                                                                     "kdebug-system"]
    before = sorted(pairs, key=cleanup.sort_key)
    diff = cleanup.sweep_diff(before, [pairs[3][1]])
    assert diff["before"]["objects"] == ["DockerContainer unix:///run/docker.sock/leftover",
                                         "Namespace kdebug-system", "Pod kdebug-system/a-agent",
                                         "Pod kdebug-system/b-agent"]
    assert diff["after"]["objects"] == [o for o in diff["before"]["objects"] if o != "Pod kdebug-system/a-agent"]


def test_check_kinds():
    assert cleanup.check_kinds(["pods", "secrets"]) == ["pods", "secrets"]
    assert cleanup.check_kinds([]) == []
    with pytest.raises(KdebugError):
        cleanup.check_kinds(["deployments"])
