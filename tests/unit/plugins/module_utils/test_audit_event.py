"""The audit Event of an ephemeral debug container (transforms/audit_event.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import audit_event
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import ephemeral

NOW = datetime.datetime(2026, 11, 26, 10, 30, 0, tzinfo=datetime.timezone.utc)
POD = {"metadata": {"name": "web-68b79bb664-52xtk", "namespace": "shop", "uid": "0b5c-uid-1"}}


def event(pod=None, **overrides):
    options = dict(debug_container="kdebug-1a2b3c4d", target_container="web", image="tools:1", profile="general",
                   ttl_seconds=600, requester="alice@laptop", reason="INC-42: 502s from web", now=NOW)
    options.update(overrides)
    return audit_event.debug_container_event(pod or POD, **options)


def test_the_event_names_the_pod_and_says_who_why_and_what():
    record = event()
    assert record["apiVersion"] == "v1" and record["kind"] == "Event"
    assert record["involvedObject"] == {"apiVersion": "v1", "kind": "Pod", "name": "web-68b79bb664-52xtk",
                                        "namespace": "shop", "uid": "0b5c-uid-1",
                                        "fieldPath": "spec.ephemeralContainers{kdebug-1a2b3c4d}"}
    assert record["metadata"]["namespace"] == "shop"
    assert record["reason"] == "KdebugDebugContainer" and record["type"] == "Normal"
    assert record["source"] == {"component": "kdebug"} and record["reportingComponent"] == "kdebug"
    assert record["firstTimestamp"] == record["lastTimestamp"] == "2026-11-26T10:30:00Z" and record["count"] == 1
    assert record["message"] == ("alice@laptop added debug container kdebug-1a2b3c4d (strategy ephemeral, image "
                                 "tools:1, profile general, TTL 600s) targeting container web. "
                                 "Reason: INC-42: 502s from web")


def test_the_event_carries_the_managed_label_and_the_audit_annotations():
    meta = event()["metadata"]
    assert meta["labels"][metadata.MANAGED_BY_LABEL] == metadata.MANAGED_BY
    assert meta["labels"][metadata.COMPONENT_LABEL] == audit_event.COMPONENT
    assert meta["annotations"] == metadata.audit_annotations("INC-42: 502s from web", "shop/web-68b79bb664-52xtk/web",
                                                             600, "alice@laptop", now=NOW)


def test_the_name_is_the_pods_with_a_hash_of_the_pod_uid_and_the_container():
    name = event()["metadata"]["name"]
    assert re.match(r"^web-68b79bb664-52xtk\.[0-9a-f]{16}$", name), name
    # A retry, another requester, reason or time: the same record, so the create meets a 409, not a second Event.
    assert event(requester="bob", reason="again", now=NOW + datetime.timedelta(hours=1))["metadata"]["name"] == name
    # Another debug container (a new generation), or the same pod name re-created (new uid): a new record.
    assert event(debug_container="kdebug-1a2b3c4d-2")["metadata"]["name"] != name
    recreated = {"metadata": dict(POD["metadata"], uid="0b5c-uid-2")}
    assert event(pod=recreated)["metadata"]["name"] != name


def test_a_long_pod_name_still_gives_a_valid_event_name():
    long_pod = {"metadata": {"name": "p" * 253, "namespace": "shop", "uid": "u"}}
    name = event(pod=long_pod)["metadata"]["name"]
    assert len(name) == audit_event.NAME_MAX and re.match(r"^p+\.[0-9a-f]{16}$", name)


def test_a_long_reason_is_cut_and_the_message_stays_within_the_cap():
    message = event(reason="x" * 5000)["message"]
    assert len(message) == audit_event.MESSAGE_MAX and message.endswith("xxx...")
    assert message.startswith("alice@laptop added debug container kdebug-1a2b3c4d")


def test_the_requester_stays_out_of_the_debug_container_spec():
    """Re-use across users: who asks is in the Event, never in the container (its spec is its name)."""
    spec = ephemeral.ephemeral_container("kdebug-x", "tools:1", "web", "general", "Never", 600)
    assert [e["name"] for e in spec["env"]] == ["KDEBUG_MANAGED_BY", "KDEBUG_TTL_SECONDS"]
    assert "alice" not in str(spec)
