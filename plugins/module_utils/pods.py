# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a pod dict says: its containers, their states, its owner, whether it can be joined. Pure.

Every module, filter and the inventory reads pods through these, so "the
default container", "a mirror pod" or "a selector picks this pod" mean the
same everywhere. No API calls here (kube/objects.py reads pods).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import parse_timestamp

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# The kubelet's copy of a static pod carries this annotation; the API refuses ephemeral containers on it.
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
# Where the kubelet read a static pod from: file (its staticPodPath) or http (staticPodURL).
STATIC_POD_SOURCE_ANNOTATION = "kubernetes.io/config.source"
# The dnsPolicy the API gives a pod that sets none.
DEFAULT_DNS_POLICY = "ClusterFirst"
FORK_HINT = ("a crashing container cannot be joined in place: fork it with kdebug.toolkit.kdebug_fork "
             "(probes off, command held) and debug the fork")
MAIN, INIT = "main", "init"

# Waiting reasons that will not resolve by waiting (or only by retrying the same failure).
FATAL_WAITING_REASONS = (
    "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
    "CreateContainerError", "CreateContainerConfigError", "RunContainerError", "PreCreateHookError",
)


def pod_name(pod):
    """``namespace/name``."""
    meta = pod.get("metadata") or {}
    return "%s/%s" % (meta.get("namespace"), meta.get("name"))


def spec_containers(pod, kind=MAIN):
    """The container specs of one kind (``main`` or ``init``), in spec order."""
    return (pod.get("spec") or {}).get("initContainers" if kind == INIT else "containers") or []


def container_names(pod, kind=MAIN):
    return [c.get("name") for c in spec_containers(pod, kind) if c.get("name")]


def find_spec(pod, kind, name):
    return next((c for c in spec_containers(pod, kind) if c.get("name") == name), {})


def container_statuses(pod, kind=MAIN):
    """The container statuses of one kind, as the kubelet reports them."""
    return (pod.get("status") or {}).get("initContainerStatuses" if kind == INIT else "containerStatuses") or []


def find_status(pod, kind, name):
    return next((s for s in container_statuses(pod, kind) if s.get("name") == name), None)


def container_kind(pod, container):
    """``main`` or ``init``: which list of the pod's spec names ``container`` (main first; None when neither)."""
    for kind in (MAIN, INIT):
        if container in container_names(pod, kind):
            return kind
    return None


def container_status(pod, container):
    """The status of a container (main, else init), None before the kubelet reports one."""
    return find_status(pod, container_kind(pod, container) or MAIN, container)


def default_container(pod):
    """The container ``kubectl exec`` would pick: the annotation when it names a container, else the first (None)."""
    names = container_names(pod)
    wanted = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if wanted and wanted in names:
        return wanted
    return names[0] if names else None


def choose_container(pod, requested=None):
    """The container to target: ``requested``, else the annotated default, else the first."""
    if requested:
        if container_kind(pod, requested) is None:
            inits = container_names(pod, INIT)
            raise KdebugError("container %s not found in pod %s; it has: %s%s. Set container to one of them."
                              % (requested, pod_name(pod), ", ".join(container_names(pod)) or "no containers",
                                 "; init containers: %s" % ", ".join(inits) if inits else ""))
        return requested
    return default_container(pod)


def state_of(status):
    """(state name, the state's dict): running, waiting, terminated, or (None, {})."""
    state = (status or {}).get("state") or {}
    for key in ("running", "waiting", "terminated"):
        if key in state and state[key] is not None:
            return key, state[key] or {}
    return None, {}


def is_sidecar(spec):
    """A native sidecar: an init container with restartPolicy Always (it keeps running)."""
    return (spec or {}).get("restartPolicy") == "Always"


def last_termination(status):
    """The most recent termination: the current state's, else lastState's; with which log holds it.

    ``logs_of`` is ``current`` when the container is terminated now, ``previous`` otherwise (the kubelet
    serves the last terminated run as the previous log of a running or waiting container).
    """
    state = (status or {}).get("state") or {}
    terminated, logs_of = state.get("terminated"), "current"
    if not terminated:
        terminated, logs_of = ((status or {}).get("lastState") or {}).get("terminated"), "previous"
    if not terminated:
        return None
    return {
        "exit_code": terminated.get("exitCode"),
        "signal": terminated.get("signal"),
        "reason": terminated.get("reason"),
        "message": terminated.get("message"),
        "started_at": terminated.get("startedAt"),
        "finished_at": terminated.get("finishedAt"),
        "logs_of": logs_of,
    }


def check_joinable(pod, container):
    """Raise KdebugError unless the container is running now (its namespaces exist).

    An init container is joinable while it runs (the pod is Pending then); a sidecar init container
    (restartPolicy Always) runs beside the main containers.
    """
    name = pod_name(pod)
    phase = pod.get("status", {}).get("phase")
    if pod["metadata"].get("deletionTimestamp"):
        raise KdebugError("pod %s is being deleted: target a live pod." % name)
    if container_kind(pod, container) == INIT:
        check_init_joinable(pod, container)
        return
    blocker = init_blocker(pod) if phase == "Pending" and pod["spec"].get("nodeName") else None
    if blocker:
        raise KdebugError("pod %s is Pending: its %s, and container %s waits for it. Target the init container "
                          "(container: %s) while it runs, or fork it (kdebug.toolkit.kdebug_fork with container: %s) "
                          "when it crashes." % (name, describe_init_blocker(blocker), container, blocker["name"],
                                                blocker["name"]), init_container=blocker["name"])
    if phase == "Pending":
        raise KdebugError("pod %s is Pending: it has no running container yet. Check kubectl describe pod -n %s %s "
                          "(scheduling, image pulls) and try again when it runs."
                          % (name, pod["metadata"]["namespace"], pod["metadata"]["name"]))
    if phase in ("Succeeded", "Failed"):
        raise KdebugError("pod %s has finished (phase %s): its containers no longer run. %s."
                          % (name, phase, FORK_HINT))
    status = container_status(pod, container)
    state = (status or {}).get("state") or {}
    if "running" in state:
        return
    waiting = (state.get("waiting") or {}).get("reason")
    if waiting == "CrashLoopBackOff" or "terminated" in state or (status or {}).get("restartCount", 0) > 0:
        raise KdebugError("container %s of pod %s is crash-looping (%s, %s restarts): %s."
                          % (container, name, waiting or "terminated", (status or {}).get("restartCount", 0),
                             FORK_HINT), hint="kdebug.toolkit.kdebug_fork")
    raise KdebugError("container %s of pod %s is not running (%s): wait until it runs."
                      % (container, name, waiting or "no status yet"))


def init_position(pod, container):
    """``(n, m)``: ``container`` is the n-th of the pod's m init containers (1-based)."""
    names = container_names(pod, INIT)
    return names.index(container) + 1, len(names)


def init_blocker(pod):
    """The init container the pod waits on, or None once it is initialized (or has no init containers).

    Init containers run one after the other: the first one that has not completed (a sidecar, restartPolicy
    Always: that does not run) holds the rest and every main container back. Returns ``{name, position, count,
    sidecar, state, reason, message, restart_count, exit_code, crash_looping}``, with ``exit_code`` of its last
    termination and ``crash_looping`` True when it has failed and is being retried (or has failed for good).
    """
    conditions = (pod.get("status") or {}).get("conditions") or []
    if any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions):
        return None
    names = container_names(pod, INIT)
    for position, name in enumerate(names, 1):
        spec, status = find_spec(pod, INIT, name), find_status(pod, INIT, name)
        state, detail = state_of(status)
        if is_sidecar(spec) and state == "running":
            continue
        if not is_sidecar(spec) and state == "terminated" and detail.get("exitCode") == 0:
            continue
        ended = last_termination(status) or {}
        restarts = (status or {}).get("restartCount", 0) or 0
        failed = ended.get("exit_code") not in (None, 0) or ended.get("reason") in ("OOMKilled", "Error")
        return {
            "name": name, "position": position, "count": len(names), "sidecar": is_sidecar(spec),
            "state": state, "reason": detail.get("reason"), "message": detail.get("message"),
            "restart_count": restarts, "exit_code": ended.get("exit_code"), "logs_of": ended.get("logs_of"),
            "crash_looping": detail.get("reason") == "CrashLoopBackOff" or (failed and state != "running")
            or (failed and restarts > 0),
        }
    return None


def describe_init_blocker(blocker):
    """``init container setup (2 of 3) is crash-looping: CrashLoopBackOff, last exit code 3``."""
    what = "sidecar init container" if blocker["sidecar"] else "init container"
    if blocker["crash_looping"]:
        how = "crash-looping"
    elif blocker["state"] == "running":
        how = "running"
    else:
        how = blocker["state"] or "not started"
    text = "%s %s (%d of %d) is %s" % (what, blocker["name"], blocker["position"], blocker["count"], how)
    detail = [blocker["reason"]] if blocker["reason"] and blocker["state"] != "running" else []
    if blocker["exit_code"] is not None:
        detail.append("last exit code %s" % blocker["exit_code"])
    if blocker["restart_count"]:
        detail.append("%d restarts" % blocker["restart_count"])
    return text + (": " + ", ".join(detail) if detail else "")


def check_init_joinable(pod, container):
    """Raise KdebugError unless the init container ``container`` runs now, naming its state and what to do."""
    name = pod_name(pod)
    status = find_status(pod, INIT, container)
    state, detail = state_of(status)
    if state == "running":
        return
    n, m = init_position(pod, container)
    what = "sidecar init container" if is_sidecar(find_spec(pod, INIT, container)) else "init container"
    if state == "terminated" and detail.get("exitCode") == 0 and not is_sidecar(find_spec(pod, INIT, container)):
        raise KdebugError("%s %s (%d of %d) of pod %s has completed (exit code 0): its processes are gone and it "
                          "does not run again in this pod. Target a running container, or fork the pod "
                          "(kdebug.toolkit.kdebug_fork with container: %s) to run it again held."
                          % (what, container, n, m, name, container), hint="kdebug.toolkit.kdebug_fork")
    restarts = (status or {}).get("restartCount", 0)
    waiting = detail.get("reason") if state == "waiting" else None
    if state == "terminated" or waiting == "CrashLoopBackOff" or restarts > 0:
        ended = last_termination(status) or {}
        raise KdebugError("%s %s (%d of %d) of pod %s is not running (%s, last exit code %s, %s restarts): it cannot "
                          "be joined. Fork it (kdebug.toolkit.kdebug_fork with container: %s): the fork holds it "
                          "and replays its command." % (what, container, n, m, name, waiting or detail.get("reason")
                                                        or state, ended.get("exit_code"), restarts, container),
                          hint="kdebug.toolkit.kdebug_fork")
    raise KdebugError("%s %s (%d of %d) of pod %s is not running yet (%s): wait until it runs."
                      % (what, container, n, m, name, waiting or "no status yet"))


def target_info(pod, container):
    """The ``target`` block of every result: ``network`` is ``node`` for a hostNetwork pod (what a probe sees in
    its network namespace is the node's), else ``pod``; ``dns_policy`` the pod's (the API's default when unset)."""
    status = container_status(pod, container) or {}
    return {
        "namespace": pod["metadata"]["namespace"],
        "pod": pod["metadata"]["name"],
        "container": container,
        "container_id": status.get("containerID"),
        "node": pod["spec"].get("nodeName"),
        "pid": None,
        "network": pod_network(pod),
        "dns_policy": pod["spec"].get("dnsPolicy") or DEFAULT_DNS_POLICY,
    }


def pod_network(pod):
    """``node`` when the pod runs in its node's network namespace (spec.hostNetwork), else ``pod``."""
    return "node" if (pod.get("spec") or {}).get("hostNetwork") else "pod"


def pod_summary(pod, **extra):
    """The summary of a pod kdebug made (an agent, a fork): name, namespace, node, phase, and ``extra``."""
    summary = {
        "name": pod["metadata"]["name"],
        "namespace": pod["metadata"]["namespace"],
        "node": pod["spec"].get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
    }
    summary.update(extra)
    return summary


def seconds_left(started_at, ttl_seconds, now):
    """Whole seconds left of a TTL that started at ``started_at`` (RFC 3339), at ``now`` (epoch seconds).

    Not started yet (no time): the whole TTL. Never below 0. The clock is the
    controller's, against timestamps the API server wrote: the lab and most
    clusters keep them in step, and a skew only moves when reuse gives way.
    """
    if ttl_seconds is None:
        return None
    started = parse_timestamp(started_at)
    if started is None:
        return int(ttl_seconds)
    return max(int(ttl_seconds - (now - started.timestamp())), 0)


def what_was_lost(pod, current, container, debug_container=None):
    """What ended under a command that ran in ``container`` of ``pod`` (as read before the command), seen in
    ``current`` (the pod now; None when it is gone): (lost, message), or None when everything is still there.

    ``lost`` is target_pod, target_container (its processes die with it, the command too: a cause comes before
    its effects) or debug_container (``debug_container``, the ephemeral container the command ran in). A command
    killed by a signal (rc 137, 143) or a broken exec stream is told apart from the command's own exit this way:
    a lost pod or container is a failure naming it, never the command's exit code.
    """
    where = "%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])
    if current is None or current["metadata"].get("uid") != pod["metadata"].get("uid"):
        return "target_pod", "the target pod %s was deleted while the command ran" % where
    if current["metadata"].get("deletionTimestamp"):
        return "target_pod", "the target pod %s was being deleted while the command ran" % where
    before, after = container_status(pod, container) or {}, container_status(current, container) or {}
    state, detail = state_of(after)
    if state != "running" or after.get("containerID") != before.get("containerID"):
        how = "restarted" if state == "running" else (detail.get("reason") or state or "no status")
        return "target_container", ("the target container %s of pod %s stopped while the command ran (%s), and "
                                    "the command with it" % (container, where, how))
    if debug_container:
        status = next((s for s in (current.get("status") or {}).get("ephemeralContainerStatuses") or []
                       if s.get("name") == debug_container), None)
        state, detail = state_of(status)
        if state == "terminated":
            how = "%s, exit code %s" % (detail.get("reason") or "terminated", detail.get("exitCode"))
            return "debug_container", ("the debug container %s in pod %s ended while the command ran (%s: killed, or "
                                       "its TTL ran out)" % (debug_container, where, how))
    return None


def owner_of(pod):
    """The controller owner {kind, name} (or the first owner), None for a standalone pod."""
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return {"kind": ref.get("kind"), "name": ref.get("name")} if ref else None


def owners_text(refs):
    """``ReplicaSet/web-7d9f8, ...`` for ownerReferences."""
    return ", ".join("%s/%s" % (r.get("kind"), r.get("name")) for r in refs or [])


def is_mirror_pod(pod):
    """The API server's copy of a static pod (a manifest file on the node): it cannot be changed through the API."""
    return MIRROR_POD_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {})


def static_pod(pod):
    """None for a pod made through the API; for a mirror pod, ``{node, source}``: the node whose kubelet runs it
    from a manifest (its nodeName, else its Node owner) and where the kubelet read it (``file``, ``http``)."""
    if not is_mirror_pod(pod):
        return None
    meta = pod.get("metadata") or {}
    owner = next((r.get("name") for r in meta.get("ownerReferences") or [] if r.get("kind") == "Node"), None)
    return {"node": (pod.get("spec") or {}).get("nodeName") or owner,
            "source": (meta.get("annotations") or {}).get(STATIC_POD_SOURCE_ANNOTATION)}


def static_pod_text(pod):
    """``pod ns/name is the mirror of a static pod (a manifest on node X)``, or None for any other pod."""
    static = static_pod(pod)
    if static is None:
        return None
    return "pod %s is the mirror of a static pod (a manifest the kubelet of node %s runs)" % (
        pod_name(pod), static["node"] or "(unknown)")


def mirror_pod_refusal(pod):
    """Why the ephemeral strategy cannot serve a mirror pod (None for any other pod)."""
    text = static_pod_text(pod)
    return text and "%s, and the API refuses ephemeral containers on mirror pods" % text


def selector_matches(selector, labels):
    """Does a selector pick a pod with ``labels``?

    ``selector`` is either a map (Service, ReplicationController) or a
    LabelSelector (matchLabels/matchExpressions). An empty selector selects
    nothing here: a Service without one has manual endpoints.
    """
    labels = labels or {}
    if not selector:
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        if not match_labels and not expressions:
            return False
        if any(labels.get(k) != v for k, v in match_labels.items()):
            return False
        for expr in expressions:
            key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True
    return all(labels.get(k) == v for k, v in selector.items())


def selected_by(items, labels):
    """Names of the objects (Services, controllers) among ``items`` whose spec.selector picks ``labels``, sorted."""
    return sorted(i["metadata"]["name"] for i in items or []
                  if selector_matches((i.get("spec") or {}).get("selector"), labels or {}))


def container_state_problem(status):
    """A sentence when a container status shows a state that will not heal, else None."""
    state = (status or {}).get("state") or {}
    waiting = state.get("waiting") or {}
    if waiting.get("reason") in FATAL_WAITING_REASONS:
        return "%s: %s" % (waiting["reason"], waiting.get("message") or "no message")
    terminated = state.get("terminated")
    if terminated:
        return "it exited (%s, exit code %s)%s" % (terminated.get("reason") or "terminated",
                                                   terminated.get("exitCode"),
                                                   ": " + terminated["message"] if terminated.get("message") else "")
    return None


def event_time(event):
    """When an event (of a pod) last happened, as its RFC 3339 text ("" when it says nothing)."""
    series = event.get("series") or {}
    return (event.get("lastTimestamp") or series.get("lastObservedTime") or event.get("eventTime")
            or event.get("firstTimestamp") or (event.get("metadata") or {}).get("creationTimestamp") or "")


def unschedulable_problem(pod):
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False" \
                and condition.get("reason") == "Unschedulable":
            return "it cannot be scheduled: %s" % (condition.get("message") or "Unschedulable")
    return None
