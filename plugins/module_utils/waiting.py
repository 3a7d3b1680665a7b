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


def wait_for(read, check, timeout, what):
    """Call ``read()`` until ``check(obj)`` returns True (done) or raises; KdebugError at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        obj = read()
        if check(obj):
            return obj
        if time.monotonic() >= deadline:
            raise KdebugError("timed out after %ss waiting for %s." % (timeout, what))
        time.sleep(POLL_SECONDS)
