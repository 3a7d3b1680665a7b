# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Resolve and check the pod and container a command is aimed at.

Which container (the ``kubectl.kubernetes.io/default-container`` annotation,
else the first), and whether it can be joined at all: a Pending, finished or
crash-looping container has no live namespaces, so the error says so and
points at kdebug_fork. The decisions are pure functions over the pod dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, translate_api_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import ApiException, KubeRest, api_path, pod_path

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
FORK_HINT = ("a crashing container cannot be joined in place: fork it with kdebug.toolkit.kdebug_fork "
             "(probes off, command held) and debug the fork")


def pod_name(pod):
    return "%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])


def choose_container(pod, requested=None):
    """The container to target: ``requested``, else the annotated default, else the first."""
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    if requested:
        if requested not in names:
            raise KdebugError("container %s not found in pod %s; it has: %s. Set container to one of them."
                              % (requested, pod_name(pod), ", ".join(names)))
        return requested
    annotated = (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if annotated in names:
        return annotated
    return names[0]


def container_status(pod, container):
    for status in pod.get("status", {}).get("containerStatuses") or []:
        if status.get("name") == container:
            return status
    return None


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
    """Raise KdebugError unless the container is running now (its namespaces exist)."""
    name = pod_name(pod)
    phase = pod.get("status", {}).get("phase")
    if pod["metadata"].get("deletionTimestamp"):
        raise KdebugError("pod %s is being deleted: target a live pod." % name)
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


def target_info(pod, container):
    """The ``target`` block of every result."""
    status = container_status(pod, container) or {}
    return {
        "namespace": pod["metadata"]["namespace"],
        "pod": pod["metadata"]["name"],
        "container": container,
        "container_id": status.get("containerID"),
        "node": pod["spec"].get("nodeName"),
        "pid": None,
    }


def read_pod(api, namespace, name):
    """The pod as a dict; a missing namespace and a missing pod are told apart.

    ``api`` is a kube_rest.KubeRest (or what KubeRest.of takes).
    """
    rest = KubeRest.of(api)
    try:
        return rest.get(pod_path(namespace, name))
    except ApiException as exc:
        if exc.status != 404:
            raise translate_api_error(exc, "get", "pods", namespace, name)
    try:
        rest.get(api_path("namespaces", namespace))
    except ApiException as ns_exc:
        if ns_exc.status == 404:
            raise KdebugError("namespace %s not found: check the namespace option (kubectl get namespaces)."
                              % namespace)
        # No right to read namespaces: we cannot tell the two apart; say both.
    raise KdebugError("pod %s not found in namespace %s: check the pod name (kubectl get pods -n %s)."
                      % (name, namespace, namespace))
