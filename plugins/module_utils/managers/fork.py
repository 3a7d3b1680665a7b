# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Forks through the API: create (server-side dry run in check mode), find, replace, delete, wait until the fork
runs (image pull and start failures reported as soon as they show), replay the original command in the fork, and
read the source's previous logs. The fork itself is transforms/fork.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiError, KdebugError, StartError, WaitTimeout)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import (
    delete_and_wait, ensure_by_spec_hash, read_log, remove_after_failure, wait_for)
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.pull_secrets import (
    secrets_missed_advice, secrets_the_kubelet_missed)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import fork as fork_spec

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

    def nodes_for(self, source, params):
        """The cluster's nodes when the fork's placement depends on them (a hostNetwork source that may move), else
        None; None with a warning when they cannot be listed."""
        if not (source.get("spec") or {}).get("hostNetwork") or params.get("same_node") \
                or params.get("other_node") is False:
            return None
        try:
            return (self.client.get(api_path("nodes")) or {}).get("items") or []
        except ApiError as exc:
            self.warnings.append("could not list the nodes to keep the hostNetwork fork off the source's node: %s"
                                 % exc.message)
            return None

    # --- selection safety (only needed when labels are kept)

    def check_not_selected(self, fork):
        """Refuse kept labels that would put the fork behind a Service or under a controller."""
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
            fork_spec.refuse_selection(fork, kind, items)

    # --- lifecycle

    def ensure(self, desired, wait, wait_timeout, container):
        """(pod, changed, note): a fork matching ``desired``, created or replaced as needed."""
        ready = (lambda pod: self.wait_running(pod, container, wait_timeout)) if wait else None
        namespace, name = desired["metadata"]["namespace"], desired["metadata"]["name"]
        return ensure_by_spec_hash(self.client, desired, fork_spec.why_replace, self.check_mode, ready, wait_timeout,
                                   what="fork pod %s/%s" % (namespace, name), hints=CREATE_HINTS)

    def delete(self, namespace, name, wait=True, wait_timeout=60, expected_uid=None):
        """(old pod or None, changed)."""
        return delete_and_wait(self.client, pod_path(namespace, name), expected_uid=expected_uid, wait=wait,
                               wait_timeout=wait_timeout, check_mode=self.check_mode,
                               what="fork pod %s/%s" % (namespace, name))

    def remove_after_interruption(self, pod, err):
        """``err`` (Interrupted), after deleting the fork: it goes with the run, whose own removal will not run."""
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        return remove_after_failure(self.client, pod_path(namespace, name), pod, err,
                                    "fork pod %s/%s" % (namespace, name))

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
            state, message = fork_spec.fork_progress(current, container)
            seen["message"] = message.rstrip(". ")
            if state == "failed":
                seen["missed"] = secrets_the_kubelet_missed(self.client, current)
                if seen["missed"]:
                    return False  # the kubelet pulled without the pull secrets: it pulls again with them
                raise _failure(StartError, "fork pod %s/%s cannot run: %s." % (namespace, name, seen["message"]),
                               current, seen["message"])
            return state == "running"

        try:
            return wait_for(read, running, timeout, "fork pod %s/%s" % (namespace, name),
                            watch=lambda obj, seconds: self.client.watch_object(pod_path(namespace), obj, seconds))
        except WaitTimeout:
            if seen.get("missed"):
                raise _failure(StartError, "fork pod %s/%s cannot run: %s. %s." % (
                    namespace, name, seen["message"], secrets_missed_advice(self.client, seen["pod"], seen["missed"])),
                    seen["pod"], seen["message"])
            raise _failure(WaitTimeout, "fork pod %s/%s did not run within wait_timeout (%ss): %s." % (
                namespace, name, timeout, seen["message"]), seen["pod"], seen["message"])

    # --- source details

    def source_logs(self, pod, container, tail_lines):
        """The source container's last logs (of the terminated run), bounded."""
        info = fork_spec.source_termination(pod, container)
        result = {"lines": [], "truncated": False, "error": None, "of": info["logs_of"]}
        if not tail_lines or not info["logs_of"]:
            if not info["logs_of"]:
                result["error"] = "the container has not terminated yet: no previous logs"
            return result
        try:
            text, result["truncated"] = read_log(self.client, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                                 container, info["logs_of"] == "previous", tail_lines)
        except ApiError as exc:
            result["error"] = exc.message
            return result
        result["lines"] = text.splitlines()
        return result

    # --- replay

    def replay(self, fork, argv, timeout, max_output_bytes):
        """Run the original argv in the held container, bounded by ``timeout`` (busybox timeout)."""
        from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import (  # pylint: disable=import-outside-toplevel
            exec_in_container)
        container = (fork["metadata"].get("annotations") or {}).get(fork_spec.ANNOTATION_HELD_CONTAINER)
        wrapped = [fork_spec.BUSYBOX, "timeout", "-k", "2", str(int(timeout))] + list(argv)
        # A refused stream (403 on pods/exec, no such container) is an ApiError from kube/failures.py.
        outcome = exec_in_container(self.client, fork["metadata"]["namespace"], fork["metadata"]["name"], container,
                                    wrapped, timeout=timeout, max_output_bytes=max_output_bytes)
        return fork_spec.replay_result(argv, outcome, timeout)


def _failure(error_class, text, pod, problem):
    return error_class(text + " " + fork_spec.failure_advice(problem),
                       fork={"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                             "phase": (pod.get("status") or {}).get("phase"), "problem": problem})
