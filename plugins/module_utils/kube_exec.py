# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a command in a container through ``pods/exec`` (the kubernetes client's stream).

Output is read as it arrives and bounded by ``max_output_bytes``; the status
channel is parsed defensively (see results.exit_code_from_status). A timeout
is enforced twice: remotely by wrapping the argv in ``timeout`` (so the
process really dies), and locally by a deadline a little later (so a hung
stream cannot hang the task).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.kdebug.toolkit.plugins.module_utils.results import (
    BoundedOutput, ExecOutcome, exit_code_from_status, was_timed_out)

try:
    from kubernetes.stream import stream as k8s_stream
    from kubernetes.stream.ws_client import ERROR_CHANNEL, STDERR_CHANNEL, STDIN_CHANNEL, STDOUT_CHANNEL
except ImportError:  # reported by kube_auth.require_kubernetes before any call
    k8s_stream = None
    STDIN_CHANNEL, STDOUT_CHANNEL, STDERR_CHANNEL, ERROR_CHANNEL = 0, 1, 2, 3

# How long after the remote `timeout` fires we give up on the stream ourselves.
LOCAL_GRACE_SECONDS = 10


def with_timeout(argv, timeout):
    """Prefix argv with `timeout` (TERM at the deadline, KILL 2 s later)."""
    if not timeout:
        return list(argv)
    return ["timeout", "-k", "2", str(int(timeout))] + list(argv)


def exec_in_container(core_v1, namespace, pod, container, argv, stdin=None, timeout=None, max_output_bytes=None):
    """Run argv (already wrapped as needed) and return an ExecOutcome."""
    started = time.monotonic()
    deadline = started + timeout + LOCAL_GRACE_SECONDS if timeout else None
    stdout, stderr = BoundedOutput(max_output_bytes), BoundedOutput(max_output_bytes)
    response = k8s_stream(core_v1.connect_get_namespaced_pod_exec, pod, namespace, container=container,
                          command=list(argv), stdin=stdin is not None, stdout=True, stderr=True, tty=False,
                          binary=True, _preload_content=False)
    status_text = b""
    locally_timed_out = False
    try:
        if stdin is not None:
            response.write_channel(STDIN_CHANNEL, stdin.encode("utf-8") if isinstance(stdin, str) else stdin)
            response.close_channel(STDIN_CHANNEL)
        while response.is_open():
            wait = 1.0
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    locally_timed_out = True
                    break
            response.update(timeout=wait)
            stdout.write(response.read_channel(STDOUT_CHANNEL))
            stderr.write(response.read_channel(STDERR_CHANNEL))
            status_text += response.read_channel(ERROR_CHANNEL) or b""
        stdout.write(response.read_channel(STDOUT_CHANNEL))
        stderr.write(response.read_channel(STDERR_CHANNEL))
        status_text += response.read_channel(ERROR_CHANNEL) or b""
    finally:
        response.close()
    rc, error = None, None
    if not locally_timed_out:
        try:
            status = json.loads(status_text.decode("utf-8", "replace")) if status_text else None
        except ValueError:
            status = {"status": "Failure", "message": status_text.decode("utf-8", "replace")}
        rc, error = exit_code_from_status(status)
    elapsed = time.monotonic() - started
    timed_out = locally_timed_out or was_timed_out(rc, elapsed, timeout)
    if locally_timed_out:
        error = "no answer from the exec stream %ss after the timeout" % LOCAL_GRACE_SECONDS
    return ExecOutcome(rc, stdout, stderr, error, elapsed, timed_out)
