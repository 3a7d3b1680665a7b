# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Names, labels and audit annotations of every object kdebug creates.

Every object carries ``app.kubernetes.io/managed-by: kdebug`` (the cleanup
playbook sweeps by it) and annotations saying who asked, when, why, for which
target and for how long. Names are deterministic, so repeated and concurrent
runs converge on one object instead of making new ones.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import re

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kdebug"
COMPONENT_LABEL = "kdebug.io/component"
NODE_LABEL = "kdebug.io/node"

ANNOTATION_REQUESTED_BY = "kdebug.io/requested-by"
ANNOTATION_CREATED_AT = "kdebug.io/created-at"
ANNOTATION_REASON = "kdebug.io/reason"
ANNOTATION_TARGET = "kdebug.io/target"
ANNOTATION_TTL = "kdebug.io/ttl-seconds"
# A hash of what makes an object what it is (not who asked or when): an existing one is kept only when it matches.
ANNOTATION_SPEC_HASH = "kdebug.io/spec-hash"
# The Ansible run that made the object (module_utils/runs.py: host/pid/start), and whether that run means to remove
# it (a crashloop fork, a fleet's agents, a one-shot tools container): kdebug_cleanup then removes it as soon as the
# run is gone, without waiting for its TTL (a run interrupted before its cleanup tasks).
ANNOTATION_RUN = "kdebug.io/run"
ANNOTATION_REMOVE_WITH_RUN = "kdebug.io/remove-with-run"

DNS_LABEL_MAX = 63


def stable_suffix(*parts):
    """A short hash of the parts: the same inputs always give the same suffix."""
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:8]


def stable_name(prefix, readable, *parts):
    """``<prefix>-<readable>-<hash>``, a valid DNS label (<= 63 chars) for any input.

    ``readable`` is shortened (never the hash) so long sources still give
    unique names; the hash covers ``readable`` and ``parts``.
    """
    suffix = stable_suffix(readable, *parts)
    cleaned = re.sub(r"[^a-z0-9-]+", "-", str(readable).lower()).strip("-")
    room = DNS_LABEL_MAX - len(prefix) - len(suffix) - 2
    cleaned = cleaned[:max(room, 0)].rstrip("-")
    return "-".join(p for p in (prefix, cleaned, suffix) if p)


def spec_hash(material):
    """A short, stable hash of a JSON-able value (key order does not matter)."""
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def managed_labels(component, extra=None):
    labels = {MANAGED_BY_LABEL: MANAGED_BY, COMPONENT_LABEL: component}
    labels.update(extra or {})
    return labels


def audit_annotations(reason, target, ttl_seconds, requester, now=None, run=None):
    """The audit annotations; ``target`` is "namespace/pod/container" or a node name; ``run`` the making run
    (:func:`run_mark`), when known."""
    created = (now or utc_now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    annotations = {
        ANNOTATION_REQUESTED_BY: requester,
        ANNOTATION_CREATED_AT: created,
        ANNOTATION_REASON: reason,
        ANNOTATION_TARGET: target,
        ANNOTATION_TTL: str(int(ttl_seconds)),
    }
    if run and run.get("id"):
        annotations[ANNOTATION_RUN] = run["id"]
        if run.get("remove_with_run"):
            annotations[ANNOTATION_REMOVE_WITH_RUN] = "true"
    return annotations


def run_mark(run_id, remove_with_run=False):
    """The making run as audit_annotations takes it: its id (None: not run by Ansible) and the object's tie to it."""
    return {"id": run_id, "remove_with_run": bool(remove_with_run)}
