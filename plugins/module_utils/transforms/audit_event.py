# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The audit record of an ephemeral debug container, as a Kubernetes Event on its pod. Pure.

An ephemeral container has no metadata of its own, so it cannot carry the
audit annotations every other kdebug object has. The record is a core/v1 Event
whose ``involvedObject`` is the target pod: ``kubectl describe pod`` lists it
with the kubelet's own events (it searches core/v1 events by the pod's name,
namespace, kind and uid), and ``kubectl get events --field-selector
involvedObject.name=<pod>`` finds it.

Why core/v1 and not events.k8s.io/v1: the old-style Event (``source``,
``firstTimestamp``, ``count``) is what kubectl's describe, ``get events`` and
most event exporters read and what the usual RBAC grants (``apiGroups: [""]``,
resource ``events``); both APIs store the same object, so ``reportingComponent``
is set as well for readers of the newer API.

The name is deterministic, ``<pod>.<hash>`` like kubectl's events but hashed
from the pod's uid and the debug container's name instead of the clock: a
retried or concurrent create of the same record meets a 409, not a second
Event. The API server removes events after its ``--event-ttl`` (1 h by
default); the annotations and message carry the debug container's own TTL.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata

COMPONENT = "audit-event"
SOURCE_COMPONENT = "kdebug"
REASON_DEBUG_CONTAINER = "KdebugDebugContainer"
EVENT_TYPE = "Normal"
# events.k8s.io/v1 caps a note at 1 kB; the same cap keeps a long ``reason`` option from breaking the record.
MESSAGE_MAX = 1024
NAME_MAX = 253  # a DNS subdomain


def event_name(pod_name, *parts):
    """``<pod>.<16 hex>``: the same pod and parts always give the same name, within NAME_MAX."""
    suffix = metadata.spec_hash([str(p) for p in parts])
    return "%s.%s" % (pod_name[:NAME_MAX - len(suffix) - 1], suffix)


def debug_container_message(debug_container, target_container, image, profile, ttl_seconds, requester, reason,
                            strategy="ephemeral"):
    """Who added which debug container, to which target, and why; at most MESSAGE_MAX characters."""
    head = ("%s added debug container %s (strategy %s, image %s, profile %s, TTL %ds) targeting container %s. "
            "Reason: " % (requester, debug_container, strategy, image, profile, int(ttl_seconds), target_container))
    room = MESSAGE_MAX - len(head)
    why = reason if len(reason) <= room else reason[:max(room - 3, 0)] + "..."
    return (head + why)[:MESSAGE_MAX]


def debug_container_event(pod, debug_container, target_container, image, profile, ttl_seconds, requester, reason,
                          strategy="ephemeral", now=None):
    """The Event recording that ``debug_container`` was added to ``pod`` (a pod object: name, namespace, uid)."""
    meta = pod["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    when = (now or metadata.utc_now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    annotations = metadata.audit_annotations(reason, "%s/%s/%s" % (namespace, name, target_container), ttl_seconds,
                                             requester, now=now)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(name, meta.get("uid") or "", debug_container),
            "namespace": namespace,
            "labels": metadata.managed_labels(COMPONENT),
            "annotations": annotations,
        },
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": name,
            "namespace": namespace,
            "uid": meta.get("uid"),
            # What the kubelet's events about this container (Pulled, Created, Started) name.
            "fieldPath": "spec.ephemeralContainers{%s}" % debug_container,
        },
        "reason": REASON_DEBUG_CONTAINER,
        "message": debug_container_message(debug_container, target_container, image, profile, ttl_seconds, requester,
                                           reason, strategy),
        "type": EVENT_TYPE,
        "source": {"component": SOURCE_COMPONENT},
        "reportingComponent": SOURCE_COMPONENT,
        "firstTimestamp": when,
        "lastTimestamp": when,
        "count": 1,
    }
