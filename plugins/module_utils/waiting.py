# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Waiting for a container to run, failing fast on states that will not heal.

An image that cannot be pulled or a container that cannot be created is
reported as soon as its status says so, not when the timeout runs out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import ApiException

# Waiting reasons that will not resolve by waiting (or only by retrying the same failure).
FATAL_WAITING_REASONS = (
    "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
    "CreateContainerError", "CreateContainerConfigError", "RunContainerError", "PreCreateHookError",
)

POLL_SECONDS = 0.25


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


def unschedulable_problem(pod):
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False" \
                and condition.get("reason") == "Unschedulable":
            return "it cannot be scheduled: %s" % (condition.get("message") or "Unschedulable")
    return None


def wait_for(read, check, timeout, what, watch=None):
    """Call ``read()`` until ``check(obj)`` returns True (done) or raises; KdebugError at the timeout.

    ``watch(obj, seconds)``, when given, yields newer versions of ``obj`` as
    the API server sends them, and None when it is gone (KubeRest.watch_object): a change is seen the
    moment it happens instead of up to a poll period later, which is most of
    the wait for a container to start. When the watch ends it is re-read and
    watched again; when it cannot be used (no watch right, broken stream) the
    wait goes on by polling.
    """
    deadline = time.monotonic() + timeout
    obj = read()
    while True:
        if check(obj):
            return obj
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KdebugError("timed out after %ss waiting for %s." % (timeout, what))
        changes = 0
        if watch is not None:
            try:
                for new in watch(obj, remaining):
                    changes += 1
                    if new is None:  # deleted, or the watch's version expired: read() tells which
                        break
                    obj = new
                    if check(obj):
                        return obj
                    if time.monotonic() >= deadline:
                        break
            except ApiException:
                watch = None
        if not changes:  # polling, or a watch that ended at once: do not hammer the API server
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        obj = read()
