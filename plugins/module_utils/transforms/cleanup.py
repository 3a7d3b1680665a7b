# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The sweep as data: which kdebug-made objects have outlived their time, in what order they go. Pure.

Everything kdebug creates carries ``app.kubernetes.io/managed-by: kdebug`` and
the audit annotations of metadata.py (on Docker containers they are labels:
Docker has no annotations), ``kdebug.io/created-at`` and
``kdebug.io/ttl-seconds`` among them. A sweep lists what carries the label and
decides per object:

* with ``older_than`` (seconds, or a duration such as ``90m``): remove what is
  at least that old (``0``: everything);
* without it: honour each object's own TTL (remove once its age reaches
  ``kdebug.io/ttl-seconds``); a pod or container that has ended (an agent past
  its deadline, a fork whose held command ended, a tools container a killed
  controller left behind) is removed once it is ``ENDED_GRACE_SECONDS`` old;
  an object without a TTL is kept and says so. An object that should go with
  the run that made it (``kdebug.io/remove-with-run``) is removed as soon as
  that run is gone (an interrupted ansible-playbook: module_utils/runs.py
  tells, given ``run_states``), before its TTL.

The age is taken from ``kdebug.io/created-at`` (kdebug's own record, the same
for Kubernetes objects and Docker containers), else from the server's creation
time. Namespaces kdebug made (the agents' ``kdebug-system``) are only swept
when asked (``kinds``), and only when no pod is left in them.

Everything here is pure (:func:`normalize_kube`, :func:`normalize_docker`,
:func:`decide`, :func:`plan_sweep`...); managers/cleanup.py lists and removes
(KubeSweeper, DockerSweeper); usecases/cleanup.py is kdebug_cleanup.
"""


from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.runs import parse_run_id

MANAGED_SELECTOR = "%s=%s" % (metadata.MANAGED_BY_LABEL, metadata.MANAGED_BY)

# Option value -> (kind as the result names it, whether it lives in a namespace). Not events: kdebug's audit Events
# (transforms/audit_event.py) carry the label, but the API server removes them after its --event-ttl.
KINDS = {
    "pods": ("Pod", True),
    "configmaps": ("ConfigMap", True),
    "secrets": ("Secret", True),
    "namespaces": ("Namespace", False),
}
DEFAULT_KINDS = ["pods", "configmaps", "secrets"]
DOCKER_KIND = "DockerContainer"

ENDED_PHASES = ("Succeeded", "Failed")
ENDED_DOCKER_STATES = ("exited", "dead")
# An ended object younger than this may still be read by the run that made it (a one-shot tools container
# between its exit and its removal): TTL mode leaves it alone until then.
ENDED_GRACE_SECONDS = 60

DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

RESULT_KEYS = ("kind", "namespace", "name", "age_seconds", "reason")


def parse_duration(value):
    """Seconds from ``older_than``: an int, or digits with an optional unit s, m, h, d or w. None/"" is None."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise KdebugError("older_than must be a number of seconds or a duration such as 90m, 2h or 7d, not %s."
                              % value)
        return None
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip()
        if not text:
            return None
        match = _DURATION.match(text)
        if not match:
            raise KdebugError("older_than must be a number of seconds or a duration such as 90m, 2h or 7d, not %r."
                              % value)
        seconds = int(match.group(1)) * DURATION_UNITS[match.group(2).lower()]
    if seconds < 0:
        raise KdebugError("older_than must be 0 or more seconds, got %s." % value)
    return seconds


def parse_timestamp(value):
    """An aware UTC datetime from RFC 3339 text (``2026-01-01T12:00:00Z``, ``...+00:00``), epoch seconds or a
    datetime; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    match = _TIMESTAMP.match(str(value).strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        stamp = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    zone = match.group(8)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        stamp -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return stamp


def parse_ttl(value):
    """A positive TTL in seconds from the annotation, else None (absent, unreadable or 0: no TTL)."""
    try:
        ttl = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return ttl if ttl > 0 else None


def _record(kind, namespace, name, labels, annotations, created, **extra):
    record = {
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "labels": dict(labels or {}),
        "annotations": dict(annotations or {}),
        "created": created,
        "ended": None,
        "deleting": False,
    }
    record.update(extra)
    return record


def normalize_kube(kind, obj):
    """The sweep's view of a Kubernetes object (a dict as the API returns it)."""
    meta = obj.get("metadata") or {}
    record = _record(kind, meta.get("namespace"), meta.get("name"), meta.get("labels"), meta.get("annotations"),
                     parse_timestamp(meta.get("creationTimestamp")), uid=meta.get("uid"),
                     deleting=bool(meta.get("deletionTimestamp")))
    if kind == "Pod":
        status = obj.get("status") or {}
        if status.get("phase") in ENDED_PHASES:
            record["ended"] = "%s%s" % (status["phase"], ": %s" % status["reason"] if status.get("reason") else "")
    elif kind == "Namespace" and (obj.get("status") or {}).get("phase") == "Terminating":
        record["deleting"] = True
    return record


def normalize_docker(container, docker_host=None):
    """The sweep's view of a Docker container, from the engine's container list (``docker ps -a``) entry."""
    labels = container.get("Labels") or {}
    names = container.get("Names") or []
    name = (names[0] if names else container.get("Id", "")[:12]).lstrip("/")
    record = _record(DOCKER_KIND, None, name, labels, labels, parse_timestamp(container.get("Created")),
                     id=container.get("Id"), docker_host=docker_host)
    state = (container.get("State") or "").lower()
    if state in ENDED_DOCKER_STATES:
        record["ended"] = container.get("Status") or state
    return record


def age_seconds(record, now):
    """Whole seconds since ``kdebug.io/created-at`` (else the server's creation time); 0 when unknown or ahead."""
    created = parse_timestamp(record["annotations"].get(metadata.ANNOTATION_CREATED_AT)) or record.get("created")
    if created is None:
        return None
    return max(int((now - created).total_seconds()), 0)


def is_managed(record):
    return record["labels"].get(metadata.MANAGED_BY_LABEL) == metadata.MANAGED_BY


def docker_target_namespace(record):
    """The namespace a Docker tools container worked for (its kdebug.io/target is namespace/pod/container), or None
    for a plain Docker target (docker/<container>)."""
    target = record["annotations"].get(metadata.ANNOTATION_TARGET) or ""
    parts = target.split("/")
    if len(parts) == 3 and parts[0] and parts[0] != "docker":
        return parts[0]
    return None


def in_scope(record, namespaces):
    """Whether ``namespaces`` (empty: all) covers the record.

    Namespaced objects by their namespace, Namespace objects by their name,
    Docker containers by the namespace of the pod they targeted: with
    namespaces given, a container made for a plain Docker target is out of scope.
    """
    if not namespaces:
        return True
    if record["kind"] == DOCKER_KIND:
        return docker_target_namespace(record) in namespaces
    if record["kind"] == "Namespace":
        return record["name"] in namespaces
    return record["namespace"] in namespaces


def run_of(record):
    """The id of the run the record should go with (``kdebug.io/remove-with-run``), else None."""
    annotations = record["annotations"]
    if str(annotations.get(metadata.ANNOTATION_REMOVE_WITH_RUN, "")).lower() != "true":
        return None
    return annotations.get(metadata.ANNOTATION_RUN) or None


def describe_run(run_id):
    """``pid 4242 on ctrl-1`` for a run id (host/pid/start), else the id itself."""
    parsed = parse_run_id(run_id)
    if parsed is None:
        return str(run_id)
    return "pid %s on %s" % (parsed[1], parsed[0].split("@", 1)[0])


def decide(record, now, older_than=None, run_states=None):
    """(remove, reason, age in seconds) for one record; ``older_than`` None honours the record's own TTL and run.

    ``run_states`` maps a run id to ``going``, ``gone`` or ``elsewhere`` (module_utils/runs.py).
    """
    age = age_seconds(record, now)
    if not is_managed(record):
        return False, "not labelled %s" % MANAGED_SELECTOR, age
    if record.get("deleting"):
        return False, "already being deleted", age
    if older_than is not None:
        if age is None:
            return False, "age unknown (no %s, no creation time)" % metadata.ANNOTATION_CREATED_AT, age
        if age >= older_than:
            return True, "older than %ss (older_than)" % older_than, age
        return False, "younger than %ss (older_than)" % older_than, age
    ttl = parse_ttl(record["annotations"].get(metadata.ANNOTATION_TTL))
    if record.get("ended") and age is not None and age >= ENDED_GRACE_SECONDS:
        return True, "ended (%s)" % record["ended"], age
    run_id = run_of(record)
    state = (run_states or {}).get(run_id) if run_id else None
    if state == "gone":
        return True, "the run that made it (%s) has ended without removing it" % describe_run(run_id), age
    run_note = ""
    if state == "going":
        run_note = "; its run (%s) is still going and removes it" % describe_run(run_id)
    elif run_id:
        run_note = "; its run (%s) is not on this controller" % describe_run(run_id)
    if ttl is None:
        return False, "no TTL (%s); set older_than to sweep it%s" % (metadata.ANNOTATION_TTL, run_note), age
    if age is None:
        return False, "age unknown (no %s, no creation time)%s" % (metadata.ANNOTATION_CREATED_AT, run_note), age
    if age >= ttl:
        return True, "its TTL of %ss has passed" % ttl, age
    return False, "within its TTL of %ss (expires in %ss)%s" % (ttl, ttl - age, run_note), age


def result_item(record, reason, age):
    item = {"kind": record["kind"], "namespace": record["namespace"], "name": record["name"], "age_seconds": age,
            "reason": reason}
    if record["kind"] == DOCKER_KIND:
        item["docker_host"] = record.get("docker_host")
        item["id"] = record.get("id")
    return item


def plan_sweep(records, now, older_than=None, namespaces=None, pods_by_namespace=None, run_states=None):
    """(remove, keep): lists of ``(record, item)`` for the records in scope.

    ``pods_by_namespace`` maps a namespace to the names of every pod in it
    (kdebug's or not); a Namespace is only removed when every pod in it is
    removed too (unknown: kept).
    """
    remove, keep = [], []
    namespace_records = []
    for record in records:
        if not in_scope(record, namespaces):
            continue
        if record["kind"] == "Namespace":
            namespace_records.append(record)
            continue
        removed, reason, age = decide(record, now, older_than, run_states)
        (remove if removed else keep).append((record, result_item(record, reason, age)))
    removed_pods = set((r["namespace"], r["name"]) for r, _item in remove if r["kind"] == "Pod")
    for record in namespace_records:
        removed, reason, age = decide(record, now, older_than)
        if removed:
            pods = None if pods_by_namespace is None else pods_by_namespace.get(record["name"])
            if pods is None:
                removed, reason = False, "its pods could not be listed; kept"
            else:
                left = sorted(p for p in pods if (record["name"], p) not in removed_pods)
                if left:
                    removed, reason = False, "%s; kept: %d pod(s) left in it (%s)" % (
                        reason, len(left), ", ".join(left[:5]) + (", ..." if len(left) > 5 else ""))
        (remove if removed else keep).append((record, result_item(record, reason, age)))
    return remove, keep


def describe(item):
    """One line for a result item: ``Pod kdebug-system/kdebug-agent-x (age 40s): TTL 30s passed``."""
    where = item.get("namespace") or item.get("docker_host") or ""
    name = "%s/%s" % (where, item["name"]) if where else item["name"]
    age = "unknown" if item.get("age_seconds") is None else "%ss" % item["age_seconds"]
    return "%s %s (age %s): %s" % (item["kind"], name, age, item["reason"])


def check_kinds(kinds):
    unknown = [k for k in kinds or [] if k not in KINDS]
    if unknown:
        raise KdebugError("unknown kinds %s: choose from %s." % (", ".join(unknown), ", ".join(sorted(KINDS))))
    return list(kinds or [])


# Pods first, so a namespace is deleted after what it held; Docker last.
REMOVAL_ORDER = {"Pod": 0, "ConfigMap": 1, "Secret": 2, DOCKER_KIND: 3, "Namespace": 4}


def sort_key(pair):
    """(record, item) pairs in the result's order: by kind, namespace, name."""
    item = pair[1]
    return (item["kind"], item.get("namespace") or "", item["name"])


def removal_order(pairs):
    """The (record, item) pairs to remove, in the order they go (REMOVAL_ORDER)."""
    return sorted(pairs, key=lambda pair: (REMOVAL_ORDER.get(pair[0]["kind"], 9),) + sort_key(pair))


def diff_key(item):
    """``Pod ns/name`` or ``DockerContainer unix:///run/docker.sock/name``: one object in the diff."""
    where = item.get("namespace") or item.get("docker_host")
    return "%s %s" % (item["kind"], "%s/%s" % (where, item["name"]) if where else item["name"])


def sweep_diff(before, removed):
    """The --diff of a sweep: the objects seen (``before``, (record, item) pairs) and those left."""
    gone = set(diff_key(item) for item in removed)
    return {"before": {"objects": [diff_key(item) for _record, item in before]},
            "after": {"objects": [diff_key(item) for _record, item in before if diff_key(item) not in gone]}}
