# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Forks of a crash-looping pod: a copy that stays up so the crash can be examined.

A container that keeps crashing has no live namespaces to join, so we copy its
pod and change what kills it or would mix the copy up with the original:

* labels (except a keep-list) and most annotations go, so no Service routes to
  the fork and no controller adopts it; ownerReferences, finalizers,
  generateName, nodeName (unless ``same_node``), ephemeralContainers, status
  and the server's bookkeeping go too;
* readiness, liveness and startup probes go on every container, hostPorts are
  cleared (the fork would clash with the original on the node), the target's
  lifecycle hooks go (they would talk to an application that is not running);
* ``restartPolicy: Never`` and ``activeDeadlineSeconds`` = the TTL, so a
  forgotten fork ends by itself;
* the target container's command is *held*: an init container copies a static
  busybox from the tools image into an emptyDir mounted in the target at
  ``/.kdebug``, and the target runs ``/.kdebug/busybox sh -c 'sleep'`` instead
  of its entrypoint, so images without a shell or ``sleep`` work too. The
  original command and args are kept in an annotation for the replay.

:func:`build_fork` is that transform as a pure function over the pod dict. The
rest of the file talks to the API: create (server-side dry run in check mode),
find, replace, delete, wait until the fork runs (image pull and start failures
reported as soon as they show), replay the original command in the fork, and
read the source's last termination and previous logs.

The entrypoint question: when the pod spec sets no ``command``, the image's
ENTRYPOINT runs (with ``args``, or the image's CMD), and the Kubernetes API does
not expose the image configuration. The hold has to replace the entrypoint
anyway; the replay then needs to be told what it was (``replay_command``), and
the result says so instead of guessing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiError, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import (
    delete_and_wait, ensure_by_spec_hash, read_pod, wait_for)
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    DEFAULT_CONTAINER_ANNOTATION, choose_container, container_state_problem, container_status, last_termination,
    owners_text, selector_matches, unschedulable_problem)

COMPONENT = "fork"
NAME_PREFIX = "kdebug-fork"

ANNOTATION_FORK_OF = "kdebug.io/fork-of"
ANNOTATION_SOURCE_UID = "kdebug.io/fork-source-uid"
ANNOTATION_HELD_CONTAINER = "kdebug.io/held-container"
ANNOTATION_ORIGINAL = "kdebug.io/original-command"
ANNOTATION_SPEC_HASH = metadata.ANNOTATION_SPEC_HASH

# The injected busybox: volume, init container and where the target sees it.
TOOLS_VOLUME = "kdebug-fork-tools"
TOOLS_INIT_CONTAINER = "kdebug-fork-tools"
TOOLS_MOUNT = "/.kdebug"
BUSYBOX = TOOLS_MOUNT + "/busybox"
# Exits at once on TERM (busybox sleep as pid 1 would ignore it and make every
# deletion wait for the grace period), idles for the TTL otherwise.
HOLD_SCRIPT = "trap 'exit 0' TERM INT; %s sleep %d & wait"
# nobody: the copy needs no privileges; passes PodSecurity "restricted".
COPY_USER = 65534

# The official busybox image ships a static busybox, which runs in any target image.
DEFAULT_TOOLS_IMAGE = options.DEFAULT_FORK_TOOLS_IMAGE
DEFAULT_BUSYBOX_PATH = "/bin/busybox"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
ENDED_PHASES = ("Succeeded", "Failed")
LOG_LIMIT_BYTES = 64 * 1024

# Metadata the server owns (or that ties the copy to the original's lifecycle).
DROPPED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink", "generation",
                    "deletionTimestamp", "deletionGracePeriodSeconds")


# --- pure part ----------------------------------------------------------------


def fork_name(namespace, pod):
    """The fork's name: a function of the source alone, so every run finds the same fork."""
    return metadata.stable_name(NAME_PREFIX, pod, namespace)


def is_fork(pod):
    """True for a pod kdebug_fork made."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    return bool(annotations.get(ANNOTATION_FORK_OF)) or (
        labels.get(metadata.MANAGED_BY_LABEL) == metadata.MANAGED_BY
        and labels.get(metadata.COMPONENT_LABEL) == COMPONENT)


def default_options(**overrides):
    """The transform's options with their defaults (the module's defaults)."""
    opts = dict(
        container=None,
        image=DEFAULT_TOOLS_IMAGE,
        image_pull_policy="IfNotPresent",
        image_pull_secrets=[],
        busybox_path=DEFAULT_BUSYBOX_PATH,
        target_image=None,
        keep_labels=[],
        keep_annotations=[],
        keep_init_containers=True,
        env={},
        share_processes=None,
        same_node=False,
        ttl_seconds=3600,
        requester="kdebug",
        reason="kdebug_fork",
        now=None,
    )
    unknown = set(overrides) - set(opts)
    if unknown:
        raise ValueError("unknown fork options: %s" % ", ".join(sorted(unknown)))
    opts.update(overrides)
    return opts


def hold_command(ttl_seconds):
    """The held container's command: idle for the TTL through the injected busybox."""
    return [BUSYBOX, "sh", "-c", HOLD_SCRIPT % (BUSYBOX, int(ttl_seconds))]


def _strip_container(container, kind, changes):
    """Remove probes and hostPorts from one container (in place), noting each change."""
    where = "spec.%s[%s]" % (kind, container.get("name"))
    removed = [p for p in PROBES if p in container]
    for probe in removed:
        del container[probe]
    if removed:
        changes.append("%s: removed %s" % (where, ", ".join(removed)))
    cleared = []
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            cleared.append(str(port.pop("hostPort")))
            port.pop("hostIP", None)
    if cleared:
        changes.append("%s.ports: cleared hostPort %s (it would clash with the original on the node)"
                       % (where, ", ".join(cleared)))


def _copy_resources(target):
    """The target's resources for the copy init container.

    An init container's request counts as max(init, sum of containers), so a
    copy of the target's never raises the pod's footprint, and whatever
    LimitRange or quota admits the target admits the copy.
    """
    resources = copy.deepcopy(target.get("resources") or {})
    resources.pop("claims", None)
    return resources


def spec_hash(fork):
    """Hash of what makes a fork what it is (not who asked or when)."""
    meta = fork["metadata"]
    skip = {metadata.ANNOTATION_REQUESTED_BY, metadata.ANNOTATION_CREATED_AT, metadata.ANNOTATION_REASON,
            ANNOTATION_SOURCE_UID, ANNOTATION_SPEC_HASH}
    annotations = dict((k, v) for k, v in (meta.get("annotations") or {}).items() if k not in skip)
    material = {"labels": meta.get("labels"), "annotations": annotations, "spec": fork["spec"]}
    return metadata.spec_hash(material)


def build_fork(pod, opts):
    """The fork of ``pod`` (a dict as the API returns it) and the list of changes applied.

    Pure: no API calls, no clock unless ``opts["now"]`` is None. ``opts`` as
    :func:`default_options`. Raises KdebugError for a source that cannot be
    forked (a fork itself, a clash with the names the fork adds).
    """
    src_meta = pod.get("metadata") or {}
    namespace, name = src_meta.get("namespace"), src_meta.get("name")
    if is_fork(pod):
        origin = (src_meta.get("annotations") or {}).get(ANNOTATION_FORK_OF) or "another pod"
        raise KdebugError(
            "pod %s/%s is itself a kdebug fork (of %s): it is already held, with probes, labels and owners "
            "removed. Debug it directly (kdebug.toolkit.kdebug_exec), or fork the original pod instead; "
            "remove it with state=absent." % (namespace, name, origin),
            fork_of=origin)
    if opts["ttl_seconds"] is None or int(opts["ttl_seconds"]) <= 0:
        raise KdebugError("ttl_seconds must be a positive number of seconds, got %s." % opts["ttl_seconds"])
    ttl = int(opts["ttl_seconds"])
    container_name = choose_container(pod, opts.get("container"))
    spec = copy.deepcopy(pod.get("spec") or {})
    changes = []

    # --- metadata
    src_labels = src_meta.get("labels") or {}
    kept = dict((k, src_labels[k]) for k in (opts.get("keep_labels") or []) if k in src_labels)
    removed = sorted(set(src_labels) - set(kept))
    if removed:
        changes.append("metadata.labels: removed %s (no Service or controller selects the fork)"
                       % ", ".join(removed))
    labels = dict(kept)
    labels.update(metadata.managed_labels(COMPONENT))
    replaced = sorted(k for k in kept if kept[k] != labels[k])
    if replaced:
        changes.append("metadata.labels: %s set to kdebug's own value" % ", ".join(replaced))

    src_annotations = src_meta.get("annotations") or {}
    keep_annotations = set(opts.get("keep_annotations") or []) | {DEFAULT_CONTAINER_ANNOTATION}
    annotations = dict((k, v) for k, v in src_annotations.items() if k in keep_annotations)
    dropped_annotations = sorted(set(src_annotations) - set(annotations))
    if dropped_annotations:
        changes.append("metadata.annotations: removed %s" % ", ".join(dropped_annotations))
    if src_meta.get("ownerReferences"):
        changes.append("metadata.ownerReferences: cleared (%s): the fork is a standalone pod"
                       % owners_text(src_meta["ownerReferences"]))
    if src_meta.get("finalizers"):
        changes.append("metadata.finalizers: cleared (%s)" % ", ".join(src_meta["finalizers"]))
    if src_meta.get("generateName"):
        changes.append("metadata.generateName: cleared (%s)" % src_meta["generateName"])
    changes.append("metadata.name: %s (deterministic, from the source)" % fork_name(namespace, name))
    changes.append("status, uid, resourceVersion, creationTimestamp, managedFields: cleared")

    # --- pod-level spec
    node = spec.get("nodeName")
    if opts.get("same_node"):
        if not node:
            raise KdebugError("same_node is set but pod %s/%s is not scheduled to a node yet: unset same_node, "
                              "or wait until the pod is scheduled." % (namespace, name))
        changes.append("spec.nodeName: kept (%s, same_node)" % node)
    elif node:
        del spec["nodeName"]
        changes.append("spec.nodeName: cleared (was %s): the scheduler places the fork" % node)
    if spec.pop("ephemeralContainers", None):
        changes.append("spec.ephemeralContainers: removed (debug containers of the source)")
    recomputed = [field for field in ("priority", "preemptionPolicy") if spec.pop(field, None) is not None]
    if recomputed:
        # Admission sets them from priorityClassName and refuses a pod whose values disagree with it.
        changes.append("spec.%s: cleared (admission sets them again)" % ", spec.".join(recomputed))
    if spec.get("restartPolicy") != "Never":
        changes.append("spec.restartPolicy: Never (was %s)" % spec.get("restartPolicy", "Always"))
        spec["restartPolicy"] = "Never"
    changes.append("spec.activeDeadlineSeconds: %d (ttl_seconds; was %s)"
                   % (ttl, spec.get("activeDeadlineSeconds", "unset")))
    spec["activeDeadlineSeconds"] = ttl
    if opts.get("share_processes") is not None and bool(spec.get("shareProcessNamespace")) != opts["share_processes"]:
        spec["shareProcessNamespace"] = bool(opts["share_processes"])
        changes.append("spec.shareProcessNamespace: %s (share_processes)" % str(spec["shareProcessNamespace"]).lower())

    # --- containers
    init_containers = spec.get("initContainers") or []
    if init_containers and not opts.get("keep_init_containers", True):
        changes.append("spec.initContainers: removed %s (keep_init_containers=false)"
                       % ", ".join(c.get("name") for c in init_containers))
        init_containers = []
    for container in init_containers:
        _strip_container(container, "initContainers", changes)
    for container in spec.get("containers") or []:
        _strip_container(container, "containers", changes)

    target = next(c for c in spec["containers"] if c.get("name") == container_name)
    where = "spec.containers[%s]" % container_name
    original = {
        "container": container_name,
        "command": target.get("command"),
        "args": target.get("args"),
        "image": target.get("image"),
    }
    if opts.get("target_image") and opts["target_image"] != target.get("image"):
        changes.append("%s.image: %s (target_image; was %s)" % (where, opts["target_image"], target.get("image")))
        target["image"] = opts["target_image"]
    if opts.get("env"):
        env = target.get("env") or []
        for key in sorted(opts["env"]):
            value = opts["env"][key]
            if isinstance(value, bool):
                value = "true" if value else "false"
            value = "" if value is None else str(value)
            env = [e for e in env if e.get("name") != key]
            env.append({"name": key, "value": value})
        target["env"] = env
        changes.append("%s.env: set %s" % (where, ", ".join(sorted(opts["env"]))))
    if target.pop("lifecycle", None):
        changes.append("%s.lifecycle: removed (postStart/preStop hooks expect the application running)" % where)
    if any(v.get("name") == TOOLS_VOLUME for v in spec.get("volumes") or []) or \
            any(c.get("name") == TOOLS_INIT_CONTAINER for c in init_containers + spec["containers"]):
        raise KdebugError("pod %s/%s already has a volume or container named %s: kdebug_fork needs that name."
                          % (namespace, name, TOOLS_VOLUME))
    if any((m.get("mountPath") or "").rstrip("/") == TOOLS_MOUNT for m in target.get("volumeMounts") or []):
        raise KdebugError("container %s of pod %s/%s already mounts something at %s, where kdebug_fork puts "
                          "its busybox." % (container_name, namespace, name, TOOLS_MOUNT))
    target["command"] = hold_command(ttl)
    target.pop("args", None)
    target["volumeMounts"] = (target.get("volumeMounts") or []) + [
        {"name": TOOLS_VOLUME, "mountPath": TOOLS_MOUNT, "readOnly": True}]
    changes.append("%s.command: held (%s ...) instead of %s"
                   % (where, " ".join(target["command"][:3]), describe_original(original)))
    spec["volumes"] = (spec.get("volumes") or []) + [{"name": TOOLS_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}}]
    copy_init = {
        "name": TOOLS_INIT_CONTAINER,
        "image": opts["image"],
        "imagePullPolicy": opts.get("image_pull_policy") or "IfNotPresent",
        # busybox copies itself: the tools image needs no shell or cp of its own.
        "command": [opts["busybox_path"], "cp", opts["busybox_path"], BUSYBOX],
        "volumeMounts": [{"name": TOOLS_VOLUME, "mountPath": TOOLS_MOUNT}],
        "resources": _copy_resources(target),
        "securityContext": {
            "runAsUser": COPY_USER,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    spec["initContainers"] = [copy_init] + init_containers
    changes.append("spec.initContainers[%s]: added (copies a static busybox from %s into the emptyDir %s, "
                   "mounted at %s in %s)"
                   % (TOOLS_INIT_CONTAINER, opts["image"], TOOLS_VOLUME, TOOLS_MOUNT, container_name))
    pull_secrets = [{"name": n} for n in opts.get("image_pull_secrets") or []
                    if {"name": n} not in (spec.get("imagePullSecrets") or [])]
    if pull_secrets:
        spec["imagePullSecrets"] = (spec.get("imagePullSecrets") or []) + pull_secrets
        changes.append("spec.imagePullSecrets: added %s (image_pull_secrets, for %s)"
                       % (", ".join(p["name"] for p in pull_secrets), opts["image"]))

    # kubectl exec/logs/attach without -c land in the held container.
    if annotations.get(DEFAULT_CONTAINER_ANNOTATION, container_name) != container_name:
        changes.append("metadata.annotations: %s set to %s (was %s)"
                       % (DEFAULT_CONTAINER_ANNOTATION, container_name, annotations[DEFAULT_CONTAINER_ANNOTATION]))
    annotations[DEFAULT_CONTAINER_ANNOTATION] = container_name
    annotations.update(metadata.audit_annotations(
        opts.get("reason") or "kdebug_fork", "%s/%s/%s" % (namespace, name, container_name), ttl,
        opts.get("requester") or "kdebug", now=opts.get("now")))
    annotations[ANNOTATION_FORK_OF] = "%s/%s" % (namespace, name)
    if src_meta.get("uid"):
        annotations[ANNOTATION_SOURCE_UID] = src_meta["uid"]
    annotations[ANNOTATION_HELD_CONTAINER] = container_name
    annotations[ANNOTATION_ORIGINAL] = json.dumps(original, sort_keys=True)
    fork = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": fork_name(namespace, name),
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }
    fork["metadata"]["annotations"][ANNOTATION_SPEC_HASH] = spec_hash(fork)
    return fork, changes


def describe_original(original):
    if original.get("command"):
        return "its command %s" % json.dumps(original["command"] + (original.get("args") or []))
    if original.get("args"):
        return "the image's ENTRYPOINT with args %s" % json.dumps(original["args"])
    return "the image's ENTRYPOINT and CMD"


def original_of(fork):
    """The original command block stored in a fork's annotation."""
    raw = (fork["metadata"].get("annotations") or {}).get(ANNOTATION_ORIGINAL)
    try:
        original = json.loads(raw) if raw else {}
    except ValueError:
        original = {}
    return original if isinstance(original, dict) else {}


def replay_argv(original, replay_command=None, replay_args=None):
    """(argv, None) to replay the original entrypoint, or (None, why) when it is unknown.

    Kubernetes semantics: ``command`` replaces the image's ENTRYPOINT, ``args``
    its CMD; a command without args runs alone. ``replay_command`` and
    ``replay_args`` stand in for the spec's ``command`` and ``args``.
    """
    command = replay_command if replay_command else original.get("command")
    args = replay_args if replay_args is not None else original.get("args")
    if not command:
        what = "with args %s" % json.dumps(args) if args else "and CMD"
        return None, ("container %s sets no command in the pod spec: it runs the image's ENTRYPOINT %s, which the "
                      "Kubernetes API does not expose. Set replay_command to the entrypoint (docker image inspect, "
                      "crane config or the Dockerfile show it)%s to replay it."
                      % (original.get("container"), what,
                         "" if args else ", with the image's CMD in replay_command or replay_args"))
    return list(command) + list(args or []), None


def held_info(fork, replay_command=None, replay_args=None):
    """The ``held`` result block for a fork (new or found)."""
    original = original_of(fork)
    container = (fork["metadata"].get("annotations") or {}).get(ANNOTATION_HELD_CONTAINER) or original.get("container")
    spec_container = next((c for c in fork["spec"].get("containers") or [] if c.get("name") == container), {})
    argv, why = replay_argv(original, replay_command, replay_args)
    return {
        "container": container,
        "command": spec_container.get("command"),
        "original_command": original.get("command"),
        "original_args": original.get("args"),
        "original_image": original.get("image"),
        "image": spec_container.get("image"),
        "entrypoint_known": bool(original.get("command")) or bool(replay_command),
        "replay_argv": argv,
        "replay_note": why,
    }


def _succeeded(cstatus):
    terminated = (cstatus.get("state") or {}).get("terminated") or {}
    return bool(terminated) and terminated.get("exitCode") == 0


def fork_progress(pod, container):
    """("running" | "pending" | "failed", sentence) for a fork that is starting.

    Image pull and container creation failures are "failed" as soon as they
    show, as are a failed init container and a held container that exited; an
    unschedulable pod stays "pending" (capacity may come), with the scheduler's
    message for the timeout.
    """
    status = pod.get("status") or {}
    phase = status.get("phase")
    inits = status.get("initContainerStatuses") or []
    mains = status.get("containerStatuses") or []
    target = next((c for c in mains if c.get("name") == container), None)
    if pod["metadata"].get("deletionTimestamp"):
        return "failed", "it is being deleted"
    if phase not in ENDED_PHASES and target and "running" in (target.get("state") or {}):
        return "running", "container %s runs (held)" % container
    problems = []
    for kind, cstatus in [("init container", c) for c in inits] + [("container", c) for c in mains]:
        if _succeeded(cstatus):
            continue
        problem = container_state_problem(cstatus)
        exited = "terminated" in (cstatus.get("state") or {})
        # A sidecar that exited does not stop the held container; an init container or the target does.
        if problem and (not exited or kind == "init container" or cstatus.get("name") == container):
            problems.append("%s %s: %s" % (kind, cstatus.get("name"), problem))
    if phase in ENDED_PHASES:
        detail = "; ".join(([status["message"]] if status.get("message") else []) + problems)
        return "failed", "it ended (phase %s%s%s)" % (
            phase, ", " + status["reason"] if status.get("reason") else "", ": " + detail if detail else "")
    if problems:
        return "failed", "; ".join(problems)
    unschedulable = unschedulable_problem(pod)
    if unschedulable:
        return "pending", unschedulable
    waiting = []
    for cstatus in inits + mains:
        reason = ((cstatus.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            waiting.append("%s %s" % (cstatus.get("name"), reason))
    return "pending", "phase %s%s" % (phase or "unknown", " (%s)" % ", ".join(waiting) if waiting else "")


def source_termination(pod, container):
    """The source container's state and last termination, and where its logs are (pure)."""
    status = container_status(pod, container) or {}
    state = status.get("state") or {}
    result = {"state": next(iter(state), None), "waiting_reason": (state.get("waiting") or {}).get("reason"),
              "restart_count": status.get("restartCount", 0)}
    result.update(last_termination(status) or dict.fromkeys(
        ("exit_code", "signal", "reason", "message", "started_at", "finished_at", "logs_of")))
    return result


def fork_summary(pod, created):
    if not pod:
        return None
    return {
        "name": pod["metadata"]["name"],
        "namespace": pod["metadata"]["namespace"],
        "node": pod["spec"].get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "uid": pod["metadata"].get("uid"),
        "created": created,
        "ttl_seconds": pod["spec"].get("activeDeadlineSeconds"),
        "fork_of": (pod["metadata"].get("annotations") or {}).get(ANNOTATION_FORK_OF),
    }


def diff_view(pod):
    """What --diff shows of a pod: its identity, labels, annotations and spec."""
    if not pod:
        return {}
    meta = pod.get("metadata") or {}
    view = {"metadata": dict((k, meta[k]) for k in ("name", "namespace", "labels", "annotations",
                                                    "ownerReferences", "finalizers", "generateName") if k in meta),
            "spec": pod.get("spec") or {}}
    return view


# --- the API part ----------------------------------------------------------------


# The fix for a refused create, by the class of the refusal (kube/failures.py).
CREATE_HINTS = {
    "rbac_role": "kdebug-fork",
    "pod_security": ("The fork copies the source pod's spec, which the level refuses now: check what changed in the "
                     "namespace's pod-security.kubernetes.io/enforce label, or set target_image / env to what it allows"),
    "resource_quota": "The fork counts against the namespace's quota like the source pod",
}


class ForkManager(object):
    """Find, create, replace, delete and wait for forks; replay in them (through a KubeClient: plain dicts)."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self.warnings = []

    def read(self, namespace, name):
        return self.client.get_or_none(pod_path(namespace, name))

    # --- selection safety (only needed when labels are kept)

    def check_not_selected(self, fork):
        """Refuse kept labels that would put the fork behind a Service or under a controller."""
        labels = fork["metadata"]["labels"]
        namespace = fork["metadata"]["namespace"]
        # Everything whose selector could pick a bare pod up: traffic (Service) or adoption (controllers).
        listings = [("services", "Service", api_path("namespaces", namespace, "services")),
                    ("replicationcontrollers", "ReplicationController",
                     api_path("namespaces", namespace, "replicationcontrollers")),
                    ("replicasets", "ReplicaSet", api_path("namespaces", namespace, "replicasets", group="apps")),
                    ("statefulsets", "StatefulSet", api_path("namespaces", namespace, "statefulsets", group="apps")),
                    ("daemonsets", "DaemonSet", api_path("namespaces", namespace, "daemonsets", group="apps")),
                    ("jobs", "Job", api_path("namespaces", namespace, "jobs", group="batch"))]
        for resource, kind, path in listings:
            try:
                items = (self.client.get(path) or {}).get("items") or []
            except ApiError as exc:
                self.warnings.append("could not check whether a %s selects the fork's kept labels (%s): %s"
                                     % (kind, resource, exc.message))
                continue
            for item in items:
                selector = (item.get("spec") or {}).get("selector")
                if selector_matches(selector, labels):
                    raise KdebugError(
                        "with the kept labels (%s) the fork would be selected by %s %s/%s (selector %s): it would "
                        "receive its traffic or be adopted. Keep fewer labels (keep_labels)."
                        % (", ".join(sorted(k for k in labels if not k.startswith("kdebug.io/")
                                            and k != metadata.MANAGED_BY_LABEL)),
                           kind, namespace, item["metadata"]["name"], json.dumps(selector, sort_keys=True)),
                        selected_by={"kind": kind, "name": item["metadata"]["name"]})

    # --- lifecycle

    def ensure(self, desired, wait, wait_timeout, container):
        """(pod, changed, note): a fork matching ``desired``, created or replaced as needed."""
        ready = (lambda pod: self.wait_running(pod, container, wait_timeout)) if wait else None
        namespace, name = desired["metadata"]["namespace"], desired["metadata"]["name"]
        return ensure_by_spec_hash(self.client, desired, self._why_replace, self.check_mode, ready, wait_timeout,
                                   what="fork pod %s/%s" % (namespace, name), hints=CREATE_HINTS)

    @staticmethod
    def _why_replace(existing, desired):
        meta = existing["metadata"]
        annotations = meta.get("annotations") or {}
        if not is_fork(existing) or annotations.get(ANNOTATION_FORK_OF) != desired["metadata"]["annotations"][
                ANNOTATION_FORK_OF]:
            raise KdebugError("pod %s/%s exists and is not a kdebug fork of %s: delete or rename it, kdebug_fork "
                              "needs that name." % (meta["namespace"], meta["name"],
                                                    desired["metadata"]["annotations"][ANNOTATION_FORK_OF]))
        if meta.get("deletionTimestamp"):
            return "it was being deleted"
        phase = (existing.get("status") or {}).get("phase")
        if phase in ENDED_PHASES:
            return "it had ended (%s%s)" % (phase, ", " + existing["status"]["reason"]
                                            if existing["status"].get("reason") else "")
        if annotations.get(ANNOTATION_SPEC_HASH) != desired["metadata"]["annotations"][ANNOTATION_SPEC_HASH]:
            return "its options or the source pod's spec changed (spec hash %s, now %s)" % (
                annotations.get(ANNOTATION_SPEC_HASH), desired["metadata"]["annotations"][ANNOTATION_SPEC_HASH])
        return None

    def delete(self, namespace, name, wait=True, wait_timeout=60, expected_uid=None):
        """(old pod or None, changed)."""
        return delete_and_wait(self.client, pod_path(namespace, name), expected_uid=expected_uid, wait=wait,
                               wait_timeout=wait_timeout, check_mode=self.check_mode,
                               what="fork pod %s/%s" % (namespace, name))

    def wait_running(self, pod, container, timeout):
        """The fork once its held container runs; KdebugError (with the fix) when it cannot or does not in time.

        ensure_by_spec_hash deletes a fork this run created when this fails.
        """
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        seen = {"pod": pod, "message": "not started"}

        def read():
            current = self.read(namespace, name)
            if current is None:
                raise KdebugError("fork pod %s/%s disappeared while starting." % (namespace, name))
            seen["pod"] = current
            return current

        def running(current):
            state, message = fork_progress(current, container)
            seen["message"] = message.rstrip(". ")
            if state == "failed":
                raise self._failure("fork pod %s/%s cannot run: %s." % (namespace, name, seen["message"]), current,
                                    seen["message"])
            return state == "running"

        try:
            return wait_for(read, running, timeout, "fork pod %s/%s" % (namespace, name),
                            watch=lambda obj, seconds: self.client.watch_object(pod_path(namespace), obj, seconds))
        except KdebugError as err:
            if err.message.startswith("timed out after"):
                raise self._failure("fork pod %s/%s did not run within wait_timeout (%ss): %s." % (
                    namespace, name, timeout, seen["message"]), seen["pod"], seen["message"])
            raise

    def _failure(self, text, pod, message):
        return KdebugError(text + " " + self._advice(message),
                           fork={"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                                 "phase": (pod.get("status") or {}).get("phase"), "problem": message})

    @staticmethod
    def _advice(message):
        if "Image" in message or "image" in message:
            return ("Check the image options (image: the tools image the busybox is copied from; target_image) and "
                    "that the node can pull them (image_pull_policy, image_pull_secrets). Before 1.0, image replaced "
                    "the target's image: that is target_image now.")
        if "schedul" in message:
            return "Check the node's capacity and taints, the pod's nodeSelector and affinity, or set same_node."
        if "not a dynamic executable" in message or "no such file" in message or "exec format" in message:
            return ("The busybox copied from image (busybox_path) must be a static binary for the target's "
                    "architecture.")
        return "See kubectl describe pod for the events."

    # --- source details

    def source_logs(self, pod, container, tail_lines):
        """The source container's last logs (of the terminated run), bounded."""
        info = source_termination(pod, container)
        result = {"lines": [], "truncated": False, "error": None, "of": info["logs_of"]}
        if not tail_lines or not info["logs_of"]:
            if not info["logs_of"]:
                result["error"] = "the container has not terminated yet: no previous logs"
            return result
        try:
            data = self.client.get(pod_path(pod["metadata"]["namespace"], pod["metadata"]["name"], "log"),
                                   query={"container": container, "previous": info["logs_of"] == "previous",
                                          "tailLines": int(tail_lines), "limitBytes": LOG_LIMIT_BYTES},
                                   accept="text/plain, */*", decode=False) or b""
        except ApiError as exc:
            result["error"] = exc.message
            return result
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        result["truncated"] = len(data) >= LOG_LIMIT_BYTES
        result["lines"] = text.splitlines()
        return result

    # --- replay

    def replay(self, fork, argv, timeout, max_output_bytes):
        """Run the original argv in the held container, bounded by ``timeout`` (busybox timeout)."""
        from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import (  # pylint: disable=import-outside-toplevel
            exec_in_container)
        container = (fork["metadata"].get("annotations") or {}).get(ANNOTATION_HELD_CONTAINER)
        wrapped = [BUSYBOX, "timeout", "-k", "2", str(int(timeout))] + list(argv)
        # A refused stream (403 on pods/exec, no such container) is an ApiError from kube/failures.py.
        outcome = exec_in_container(self.client, fork["metadata"]["namespace"], fork["metadata"]["name"], container,
                                    wrapped, timeout=timeout, max_output_bytes=max_output_bytes)
        return replay_result(argv, outcome, timeout)


def replay_result(argv, outcome, timeout):
    """The ``replay`` result block from an ExecOutcome."""
    out, err = outcome.stdout.text(), outcome.stderr.text()
    # busybox timeout sends TERM, then KILL: the command ends 143 or 137 (124 from a coreutils timeout).
    timed_out = bool(outcome.timed_out) or (
        outcome.rc in (124, 137, 143) and outcome.elapsed >= timeout * 0.95)
    return {
        "status": "ran",
        "msg": None,
        "argv": list(argv),
        "rc": outcome.rc,
        "stdout": out,
        "stderr": err,
        "stdout_lines": out.splitlines(),
        "stderr_lines": err.splitlines(),
        "duration_ms": int(outcome.elapsed * 1000),
        "timed_out": timed_out,
        "truncated": outcome.stdout.truncated or outcome.stderr.truncated,
        "error": outcome.error,
    }


def replay_not_run(status, msg, argv=None):
    return {"status": status, "msg": msg, "argv": argv, "rc": None, "stdout": "", "stderr": "",
            "stdout_lines": [], "stderr_lines": [], "duration_ms": 0, "timed_out": False, "truncated": False,
            "error": None}


# --- the module ----------------------------------------------------------------


def _source_block(pod, container, logs):
    owners = (pod["metadata"].get("ownerReferences") or [])
    return {
        "namespace": pod["metadata"]["namespace"],
        "pod": pod["metadata"]["name"],
        "container": container,
        "uid": pod["metadata"].get("uid"),
        "node": pod["spec"].get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "owner": owners_text(owners) or None,
        "last_termination": source_termination(pod, container),
        "previous_logs": logs,
    }


def options_from_params(params, requester, reason):
    return default_options(
        container=params.get("container"),
        image=params.get("image") or DEFAULT_TOOLS_IMAGE,
        image_pull_policy=params.get("image_pull_policy") or "IfNotPresent",
        image_pull_secrets=params.get("image_pull_secrets") or [],
        busybox_path=params.get("busybox_path") or DEFAULT_BUSYBOX_PATH,
        target_image=params.get("target_image"),
        keep_labels=params.get("keep_labels") or [],
        keep_annotations=params.get("keep_annotations") or [],
        keep_init_containers=params.get("keep_init_containers", True),
        env=params.get("env") or {},
        share_processes=params.get("share_processes"),
        same_node=bool(params.get("same_node")),
        ttl_seconds=params.get("ttl_seconds"),
        requester=requester,
        reason=reason,
    )


def _absent(module, manager, params):
    namespace, pod_name = params["namespace"], params["pod"]
    name = fork_name(namespace, pod_name)
    before = manager.read(namespace, name)
    if before is None:
        # The pod option may name a fork itself (a name from a previous result).
        named = manager.read(namespace, pod_name)
        if named is not None and is_fork(named):
            name, before = pod_name, named
    if before is None:
        return dict(changed=False, state="absent", fork=None, changes=[])
    if not is_fork(before):
        raise KdebugError("pod %s/%s is not a kdebug fork: refusing to delete it." % (namespace, name))
    old, changed = manager.delete(namespace, name, wait=params["wait"], wait_timeout=params["wait_timeout"])
    result = dict(changed=changed, state="absent", fork=fork_summary(old or before, False),
                  changes=["%s fork pod %s/%s" % ("would delete" if module.check_mode else "deleted", namespace, name)]
                  if changed else [])
    if module._diff:
        result["diff"] = {"before": diff_view(before), "after": {},
                          "before_header": "fork %s/%s" % (namespace, name), "after_header": "(absent)"}
    return result


def _present(module, manager, params):
    namespace = params["namespace"]
    source = read_pod(manager.client, namespace, params["pod"])
    opts = options_from_params(params, module.requested_by(), module.reason())
    desired, changes = build_fork(source, opts)
    container = desired["metadata"]["annotations"][ANNOTATION_HELD_CONTAINER]
    if params.get("keep_labels"):
        manager.check_not_selected(desired)
    replay = params.get("replay")
    wait = params["wait"] or bool(replay)
    pod, changed, note = manager.ensure(desired, wait, params["wait_timeout"], container)
    logs = manager.source_logs(source, container, params.get("previous_logs_lines"))
    held = held_info(pod, params.get("replay_command"), params.get("replay_args"))
    result = dict(
        changed=changed,
        state="present",
        fork=fork_summary(pod, changed),
        source=_source_block(source, container, logs),
        changes=changes,
        held=held,
        note=note,
        manifest=pod,
    )
    if replay:
        if module.check_mode:
            result["replay"] = replay_not_run("skipped", "check mode: the fork is not created, nothing is replayed",
                                              held["replay_argv"])
        elif held["replay_argv"] is None:
            result["replay"] = replay_not_run("needs_replay_command", held["replay_note"])
            manager.warnings.append(held["replay_note"])
        else:
            result["replay"] = manager.replay(pod, held["replay_argv"], params["replay_timeout"],
                                              params["max_output_bytes"])
    if module._diff and changed:
        result["diff"] = {"before": diff_view(source), "after": diff_view(desired),
                          "before_header": "source pod %s/%s" % (namespace, params["pod"]),
                          "after_header": "fork %s/%s" % (namespace, desired["metadata"]["name"])}
    return result


def run_fork_module(module):
    """What kdebug_fork does: ensure (and optionally replay in) or remove the fork of a pod."""
    params = module.params
    manager = ForkManager(module.kube(), module.check_mode)
    if params["state"] == "absent":
        result = _absent(module, manager, params)
    else:
        result = _present(module, manager, params)
    for warning in manager.warnings:
        module.warn(warning)
    return result


def fork_argument_spec():
    spec = options.module_spec(
        options.target_options(), options.tools_image_options(DEFAULT_TOOLS_IMAGE), options.lifetime_options(),
        options.audit_options(),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        busybox_path=dict(type="str", default=DEFAULT_BUSYBOX_PATH),
        target_image=dict(type="str"),
        keep_labels=dict(type="list", elements="str", default=[]),
        keep_annotations=dict(type="list", elements="str", default=[]),
        keep_init_containers=dict(type="bool", default=True),
        env=dict(type="dict", default={}),
        share_processes=dict(type="bool"),
        same_node=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        replay=dict(type="bool", default=False),
        replay_command=dict(type="list", elements="str"),
        replay_args=dict(type="list", elements="str"),
        replay_timeout=dict(type="int", default=60),
        max_output_bytes=dict(type="int", default=1048576),
        previous_logs_lines=dict(type="int", default=50),
    )
    # Before 1.0 the tools image was tools_image (and `image` replaced the target's image, now target_image).
    options.deprecated_alias(spec, "image", "tools_image")
    options.deprecated_alias(spec, "image_pull_policy", "tools_image_pull_policy")
    return spec
