from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_stable_name_is_deterministic_and_distinguishes_inputs():
    a = metadata.stable_name("kdebug-agent", "node-1")
    assert a == metadata.stable_name("kdebug-agent", "node-1")
    assert a != metadata.stable_name("kdebug-agent", "node-2")
    assert a.startswith("kdebug-agent-node-1-")


def test_stable_name_is_a_dns_label_for_long_and_odd_inputs():
    long_a = "a" * 63
    long_b = "a" * 62 + "b"
    for readable in (long_a, long_b, "Node_1.example.COM", "---", ""):
        name = metadata.stable_name("kdebug-fork", readable)
        assert len(name) <= 63, name
        assert DNS_LABEL.match(name), name
    assert metadata.stable_name("kdebug-fork", long_a) != metadata.stable_name("kdebug-fork", long_b)


def test_audit_annotations_and_labels():
    now = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=datetime.timezone.utc)
    ann = metadata.audit_annotations("exec", "ns/pod/c", 3600, "sre@host", now=now)
    assert ann == {
        "kdebug.io/requested-by": "sre@host",
        "kdebug.io/created-at": "2026-11-26T12:00:00Z",
        "kdebug.io/reason": "exec",
        "kdebug.io/target": "ns/pod/c",
        "kdebug.io/ttl-seconds": "3600",
    }
    labels = metadata.managed_labels("agent", {"kdebug.io/node": "n1"})
    assert labels["app.kubernetes.io/managed-by"] == "kdebug"
    assert labels["kdebug.io/component"] == "agent"
    assert labels["kdebug.io/node"] == "n1"
