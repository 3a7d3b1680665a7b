# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Exec results: bounded output capture, the exec status channel, result shape.

Every exec-style result has the same keys whichever strategy ran, so a runbook
checks ``rc``/``stdout`` without caring how the command got there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Exit codes of coreutils/busybox `timeout` when it had to stop the command.
TIMEOUT_EXIT_CODES = (124, 137)


class BoundedOutput(object):
    """Collects a stream's bytes up to ``limit`` (None: no limit); remembers whether it cut."""

    def __init__(self, limit=None):
        self.limit = limit
        self.truncated = False
        self._chunks = []
        self._size = 0

    def write(self, data):
        if not data:
            return
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if self.limit is not None and self._size + len(data) > self.limit:
            data = data[:max(self.limit - self._size, 0)]
            self.truncated = True
            if not data:
                return  # past the limit: nothing more is kept, however much more comes
        self._chunks.append(data)
        self._size += len(data)

    @property
    def size(self):
        """Bytes kept (after the limit)."""
        return self._size

    def text(self):
        return b"".join(self._chunks).decode("utf-8", "replace")


class ExecOutcome(object):
    """What one run returned, before it is shaped into a result.

    rc: exit code or None (could not run); stdout/stderr: BoundedOutput;
    error: why there is no rc; elapsed: seconds; timed_out: the command was
    stopped at its timeout (remotely or by our own deadline); status: the
    pods/exec status object (a v1 Status dict) when one arrived.
    """

    def __init__(self, rc, stdout, stderr, error=None, elapsed=0.0, timed_out=False, status=None):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.error = error
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.status = status
        self.lost = None  # what ended under the command (lose()): target_pod, agent_pod, debug_container...

    def may_be_lost(self):
        """True when the command's end may not be its own: killed by a signal (rc 128+), or no exit code at all,
        and not by its timeout. The strategy then checks what it ran in (see lose())."""
        return not self.timed_out and (self.rc is None or self.rc >= 128)

    def lose(self, lost, message):
        """The command ended because ``lost`` (a pod or container) went away: no exit code, an error that says so."""
        self.lost = lost
        self.error = "%s%s" % (message, " (%s)" % self.error if self.error else "")
        self.rc = None

    def broke_silently(self):
        """True when the stream broke before any status or output: whether a process ran is unknown (the caller
        tells from the container's state)."""
        return (self.rc is None and not self.timed_out and self.status is None
                and not self.stdout.size and not self.stderr.size)

    def reached_no_process(self):
        """True when the exec certainly ran nothing: a Status without an exit code, and no output.

        Such a status says the process could not be started (no such
        container yet, no such binary); a command that ran ends with an exit
        code, or without any status when the stream breaks. Only the former
        may be retried without running the command twice.
        """
        return (self.rc is None and not self.timed_out and isinstance(self.status, dict)
                and not self.stdout.size and not self.stderr.size)


def exit_code_from_status(status):
    """(rc, error) from a pods/exec status-channel object (a v1 Status as a dict).

    Success is rc 0; a non-zero exit is reported as a cause with reason
    ``ExitCode``. Anything else (the command could not start, the container
    went away) is an error message with rc None. Missing keys never raise.
    """
    if not isinstance(status, dict) or not status:
        return None, "the exec stream closed without a status"
    if status.get("status") == "Success":
        return 0, None
    details = status.get("details") or {}
    for cause in details.get("causes") or []:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message")), None
            except (TypeError, ValueError):
                break
    return None, status.get("message") or status.get("reason") or "exec failed without a message"


def exec_result(rc, stdout, stderr, duration_ms, strategy, strategy_reason, target,
                timed_out=False, debug_container=None, agent_pod=None, changed=False):
    """The documented result of kdebug_exec. ``stdout``/``stderr`` are BoundedOutput."""
    out, err = stdout.text(), stderr.text()
    return {
        "changed": changed,
        "rc": rc,
        "stdout": out,
        "stderr": err,
        "stdout_lines": out.splitlines(),
        "stderr_lines": err.splitlines(),
        "timed_out": bool(timed_out),
        "truncated": stdout.truncated or stderr.truncated,
        "duration_ms": int(duration_ms),
        "strategy": strategy,
        "strategy_reason": strategy_reason,
        "debug_container": debug_container,
        "agent_pod": agent_pod,
        "target": target,
    }


def outcome_failure(outcome):
    """What makes an exec result a failure, from its ExecOutcome: the same for a single target and each target of
    a batch. A lost command (ExecOutcome.lose) is ``error_class=lost`` and ``lost`` naming what ended under it; no
    exit code otherwise (not at the timeout) is ``no_exit_code``; {} when the command ran to its exit code."""
    if outcome.lost:
        return dict(failed=True, error_class="lost", lost=outcome.lost,
                    msg="the command did not run to an exit code: %s. Its output so far is in stdout and stderr."
                    % outcome.error)
    if outcome.rc is None and not outcome.timed_out:
        return dict(failed=True, error_class="no_exit_code",
                    msg="the command did not run to an exit code: %s" % outcome.error)
    return {}


def plan_result(plan, strategy, strategy_reason, target):
    """The documented check-mode result of kdebug_exec: the plan, and the exec keys empty (nothing ran)."""
    return {"changed": bool(plan.get("would_create")), "plan": plan, "strategy": strategy,
            "strategy_reason": strategy_reason, "target": target, "stdout": "", "stderr": "", "stdout_lines": [],
            "stderr_lines": [], "timed_out": False, "truncated": False, "duration_ms": 0,
            "msg": "check mode: nothing was created or run"}


def with_timeout(argv, timeout):
    """Prefix argv with `timeout` (TERM at the deadline, KILL 2 s later)."""
    if not timeout:
        return list(argv)
    return ["timeout", "-k", "2", str(int(timeout))] + list(argv)


# A tools container or agent is reused only when this much of its TTL is left beyond the command's timeout: the
# exec's start, the timeout's own KILL grace and the last of the output all come after the timeout.
REUSE_MARGIN_SECONDS = 30


def life_needed(timeout, ttl_seconds):
    """Seconds of TTL a reused tools container or agent must have left to see a command with ``timeout`` end.

    0 (any live one will do) when ``ttl_seconds`` itself is shorter than that: even a new one could not see the
    command end, and asking for more than a new one has would add a new one on every call
    (see ttl_warning).
    """
    needed = int(timeout or 0) + REUSE_MARGIN_SECONDS
    return needed if ttl_seconds is None or ttl_seconds >= needed else 0


def ttl_warning(timeout, ttl_seconds, what):
    """A warning when ``what`` (a debug container, an agent) lives shorter than a command's timeout plus the margin."""
    if life_needed(timeout, ttl_seconds) or not timeout:
        return None
    return ("ttl_seconds (%ss) is shorter than the timeout (%ss) plus %ss: the %s may end before the command does. "
            "Raise ttl_seconds." % (ttl_seconds, timeout, REUSE_MARGIN_SECONDS, what))


def was_timed_out(rc, elapsed_seconds, timeout_seconds):
    """The remote `timeout` wrapper killed the command (its exit code, at the deadline)."""
    if timeout_seconds is None or rc is None:
        return False
    return rc in TIMEOUT_EXIT_CODES and elapsed_seconds >= timeout_seconds * 0.95
