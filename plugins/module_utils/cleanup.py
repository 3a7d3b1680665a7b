# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The sweep: which kdebug-made objects have outlived their time, and removing them.

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
  an object without a TTL is kept and says so.

The age is taken from ``kdebug.io/created-at`` (kdebug's own record, the same
for Kubernetes objects and Docker containers), else from the server's creation
time. Namespaces kdebug made (the agents' ``kdebug-system``) are only swept
when asked (``kinds``), and only when no pod is left in them.

:func:`normalize_kube`, :func:`normalize_docker`, :func:`decide` and
:func:`plan_sweep` are pure; :class:`KubeSweeper` and :class:`DockerSweeper`
do the listing and removing; :func:`run_cleanup_module` is kdebug_cleanup.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiConflict, ApiError, ApiNotFound, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path

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


# --- pure part ----------------------------------------------------------------


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


def decide(record, now, older_than=None):
    """(remove, reason, age in seconds) for one record; ``older_than`` None honours the record's own TTL."""
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
    if ttl is None:
        return False, "no TTL (%s); set older_than to sweep it" % metadata.ANNOTATION_TTL, age
    if age is None:
        return False, "age unknown (no %s, no creation time)" % metadata.ANNOTATION_CREATED_AT, age
    if age >= ttl:
        return True, "its TTL of %ss has passed" % ttl, age
    return False, "within its TTL of %ss (expires in %ss)" % (ttl, ttl - age), age


def result_item(record, reason, age):
    item = {"kind": record["kind"], "namespace": record["namespace"], "name": record["name"], "age_seconds": age,
            "reason": reason}
    if record["kind"] == DOCKER_KIND:
        item["docker_host"] = record.get("docker_host")
        item["id"] = record.get("id")
    return item


def plan_sweep(records, now, older_than=None, namespaces=None, pods_by_namespace=None):
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
        removed, reason, age = decide(record, now, older_than)
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


# --- the API side ------------------------------------------------------------


class KubeSweeper(object):
    """Lists and deletes kdebug-labelled objects through a KubeClient."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode

    def _path(self, resource, namespace=None, name=None):
        if KINDS[resource][1] and namespace:
            return api_path("namespaces", namespace, resource, name)
        return api_path(resource, name)

    def list(self, resource, namespaces=None, selector=MANAGED_SELECTOR):
        """Records of the ``resource`` objects matching ``selector``, in ``namespaces`` (empty: cluster-wide)."""
        kind, namespaced = KINDS[resource]
        scopes = list(namespaces) if namespaces and namespaced else [None]
        records = []
        for namespace in scopes:
            try:
                answer = self.client.get(self._path(resource, namespace), query={"labelSelector": selector},
                                         hints={"rbac": "Or leave %s out of kinds" % resource})
            except ApiNotFound:
                if namespace:
                    continue  # the namespace does not exist: nothing of ours there
                raise
            records.extend(normalize_kube(kind, item) for item in (answer or {}).get("items") or [])
        if resource == "namespaces" and namespaces:
            records = [r for r in records if r["name"] in namespaces]
        return records

    def pod_names(self, namespace):
        """Every pod name in the namespace (kdebug's or not), or None when they cannot be listed."""
        try:
            answer = self.client.get(self._path("pods", namespace))
        except ApiError:
            return None
        return [item["metadata"]["name"] for item in (answer or {}).get("items") or []]

    def delete(self, record):
        """True when deleted (or, in check mode, would be); False when it was gone or replaced meanwhile."""
        resource = next(r for r, (kind, _ns) in KINDS.items() if kind == record["kind"])
        if self.check_mode:
            return True
        body = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if record.get("uid"):
            body["preconditions"] = {"uid": record["uid"]}  # never a newer object that took the name
        if record["kind"] == "Pod":
            body["gracePeriodSeconds"] = 0  # debug pods hold nothing worth a grace period
        try:
            self.client.delete(self._path(resource, record["namespace"], record["name"]), body=body)
        except (ApiNotFound, ApiConflict):
            return False
        return True

    def gone(self, record):
        resource = next(r for r, (kind, _ns) in KINDS.items() if kind == record["kind"])
        obj = self.client.get_or_none(self._path(resource, record["namespace"], record["name"]))
        return obj is None or (obj.get("metadata") or {}).get("uid") != record.get("uid")

    def wait_gone(self, records, timeout):
        """The records (namespaces aside: they terminate at their own pace) still there after ``timeout``."""
        pending = [r for r in records if r["kind"] != "Namespace"]
        deadline = time.monotonic() + timeout
        while pending:
            pending = [r for r in pending if not self.gone(r)]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        return pending


class DockerSweeper(object):
    """Lists and removes kdebug-labelled containers on one Docker engine."""

    def __init__(self, docker_host, check_mode=False):
        from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker as docker_strategy  # pylint: disable=import-outside-toplevel
        if not docker_strategy.HAS_DOCKER:
            raise KdebugError("sweeping a Docker engine needs the docker Python library (pip install docker).",
                              exception=docker_strategy.DOCKER_IMPORT_ERROR)
        self.ds = docker_strategy
        self.address = docker_strategy.engine_address(docker_host)
        self.check_mode = check_mode
        self.docker_host = docker_host
        self._client = None

    def _api(self):
        docker = self.ds.docker
        if self._client is None:
            try:
                self._client = docker.from_env(environment=self.ds.client_environment(self.docker_host))
            except docker.errors.DockerException as exc:
                raise self.ds.engine_unreachable_error(self.address, exc)
        return self._client.api

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def list(self):
        try:
            containers = self._api().containers(all=True, filters={"label": [MANAGED_SELECTOR]})
        except (self.ds.docker.errors.DockerException, self.ds.requests.exceptions.RequestException) as exc:
            raise self.ds.engine_unreachable_error(self.address, exc)
        return [normalize_docker(c, self.address) for c in containers or []]

    def delete(self, record):
        if self.check_mode:
            return True
        docker = self.ds.docker
        try:
            self._api().remove_container(record["id"], force=True, v=True)
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as exc:
            if getattr(exc, "status_code", None) == 409:  # removal already in progress
                return False
            raise KdebugError("could not remove Docker container %s on the engine at %s: %s."
                              % (record["name"], self.address, self.ds.engine_error_message(exc)))
        except (docker.errors.DockerException, self.ds.requests.exceptions.RequestException) as exc:
            raise self.ds.engine_unreachable_error(self.address, exc)
        return True


# --- the module ----------------------------------------------------------------


def cleanup_argument_spec():
    return options.module_spec(
        options.lifetime_options(ttl=False),
        older_than=dict(type="raw"),
        namespaces=dict(type="list", elements="str", default=[]),
        kinds=dict(type="list", elements="str", default=list(DEFAULT_KINDS), choices=sorted(KINDS)),
        docker_host=dict(type="str"),
        wait=dict(type="bool", default=True),
    )


def _key(item):
    """``Pod ns/name`` or ``DockerContainer unix:///run/docker.sock/name``: one object in the diff."""
    where = item.get("namespace") or item.get("docker_host")
    return "%s %s" % (item["kind"], "%s/%s" % (where, item["name"]) if where else item["name"])


def _sort_key(pair):
    item = pair[1]
    return (item["kind"], item.get("namespace") or "", item["name"])


def run_cleanup_module(module):
    """What kdebug_cleanup does: list, decide, remove; exit_json with removed and kept."""
    params = module.params
    removed, kept, warnings = [], [], []
    before = []
    docker_sweeper = None
    try:
        older_than = parse_duration(params["older_than"])
        kinds = check_kinds(params["kinds"])
        namespaces = [n for n in params["namespaces"] or [] if n]
        now = metadata.utc_now()
        kube, records, pods_by_namespace = None, [], {}
        if kinds:
            kube = KubeSweeper(module.kube(), module.check_mode)
            for resource in kinds:
                records.extend(kube.list(resource, namespaces))
            for record in records:
                if record["kind"] == "Namespace":
                    pods_by_namespace[record["name"]] = kube.pod_names(record["name"])
        if params["docker_host"]:
            docker_sweeper = DockerSweeper(params["docker_host"], module.check_mode)
            records.extend(docker_sweeper.list())
        remove, keep = plan_sweep(records, now, older_than, namespaces, pods_by_namespace)
        before = sorted(remove + keep, key=_sort_key)
        kept = [item for _record, item in sorted(keep, key=_sort_key)]
        deleted = []
        # Pods first, so a namespace is deleted after what it held; Docker last.
        order = {"Pod": 0, "ConfigMap": 1, "Secret": 2, DOCKER_KIND: 3, "Namespace": 4}
        for record, item in sorted(remove, key=lambda pair: (order.get(pair[0]["kind"], 9),) + _sort_key(pair)):
            sweeper = docker_sweeper if record["kind"] == DOCKER_KIND else kube
            if sweeper.delete(record):
                removed.append(item)
                deleted.append(record)
            else:
                kept.append(dict(item, reason="gone or replaced before it could be removed"))
        if params["wait"] and kube is not None and not module.check_mode:
            left = kube.wait_gone([r for r in deleted if r["kind"] != DOCKER_KIND], params["wait_timeout"])
            for record in left:
                warnings.append("%s %s/%s is still terminating after %ss."
                                % (record["kind"], record["namespace"], record["name"], params["wait_timeout"]))
    except KdebugError as err:
        # What was removed before the failure is part of the answer.
        err.details.update(removed=removed, kept=kept)
        raise
    finally:
        if docker_sweeper is not None:
            docker_sweeper.close()
    for warning in warnings:
        module.warn(warning)
    result = dict(changed=bool(removed), removed=removed, kept=kept, older_than=older_than, namespaces=namespaces,
                  summary={"removed": [describe(item) for item in removed], "kept": [describe(item) for item in kept]})
    if module._diff:
        gone = set(_key(item) for item in removed)
        result["diff"] = {"before": {"objects": [_key(item) for _record, item in before]},
                          "after": {"objects": [_key(item) for _record, item in before if _key(item) not in gone]}}
    return result
