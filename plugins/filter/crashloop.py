# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The crashloop runbook's checks, from kdebug_fork results (docs/result-schema.md).

Pure functions: the crashloop role registers the fork-and-replay result and the
removal result and hands both here. Per-filter documentation lives in
plugins/filter/crashloop_checks.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import failure_details, make_check

REPLAY_CHECK = "crash reproduced in a fork"
REMOVAL_CHECK = "fork removed"
EVIDENCE_LINES = 40


def _tail(lines, count=EVIDENCE_LINES):
    return "\n".join(list(lines or [])[-count:])


def _target(result, pod, namespace, container):
    source = result.get("source") or {}
    return {"namespace": source.get("namespace") or namespace, "pod": source.get("pod") or pod,
            "container": source.get("container") or container}


def _last_line(replay):
    for stream in ("stderr_lines", "stdout_lines"):
        lines = [line for line in replay.get(stream) or [] if line.strip()]
        if lines:
            return lines[-1]
    return ""


def _evidence(result, replay):
    evidence = []
    if replay.get("argv"):
        evidence.append({"label": "replayed command", "text": " ".join(replay["argv"])})
    for stream in ("stdout", "stderr"):
        text = _tail(replay.get(stream + "_lines"))
        if text:
            evidence.append({"label": "replay " + stream, "text": text})
    previous = ((result.get("source") or {}).get("previous_logs") or {}).get("lines")
    if previous:
        evidence.append({"label": "previous run's log (the source pod)", "text": _tail(previous)})
    return evidence


def module_failed(result):
    """Whether a registered kdebug_fork result is a failure.

    The role registers it with ``failed_when: false``, which sets ``failed``
    to false, so a failure shows as a ``msg`` without the ``state`` that every
    successful kdebug_fork result carries.
    """
    return bool(result.get("failed")) or ("state" not in result and "msg" in result)


def replay_check(result, pod, namespace, container=None):
    """One check from a kdebug_fork ``replay: true`` result (failed or not)."""
    result = result if isinstance(result, Mapping) else {}
    target = _target(result, pod, namespace, container)
    if module_failed(result):
        return make_check(REPLAY_CHECK, "error", "could not fork pod %s/%s: %s" % (
            namespace, pod, result.get("msg") or "unknown error"), target,
            dict(failure_details(result), msg=result.get("msg")))
    replay = result.get("replay") or {}
    fork = result.get("fork") or {}
    details = {"fork": fork.get("name"), "replay_status": replay.get("status"), "rc": replay.get("rc"),
               "timed_out": replay.get("timed_out"), "argv": replay.get("argv"),
               "last_termination": (result.get("source") or {}).get("last_termination"),
               "changes": result.get("changes") or [], "held": result.get("held"),
               "placement": result.get("placement")}
    status = replay.get("status")
    if status == "needs_replay_command":
        status, summary = "skipped", "%s Set crashloop_replay_command to the image's entrypoint." % (
            replay.get("msg") or "the entrypoint is not in the pod spec.")
    elif status != "ran":
        status, summary = "skipped", replay.get("msg") or "the replay did not run (%s)" % status
    elif replay.get("rc") is None:
        status, summary = "error", "the replay in fork %s could not run: %s" % (
            fork.get("name"), replay.get("error") or "no exit code")
    elif replay.get("timed_out"):
        status, summary = "pass", (
            "no crash: the command kept running in fork %s for its whole timeout with probes off, so the restarts "
            "more likely come from a probe, an OOM kill or the environment (see triage)" % fork.get("name"))
    elif replay["rc"] == 0:
        status, summary = "pass", (
            "no crash: the command exits 0 in fork %s; a container that exits 0 is still restarted under "
            "restartPolicy Always - check that it is meant to keep running" % fork.get("name"))
    else:
        last = _last_line(replay)
        held = result.get("held") or {}
        what = "init container %s" % held.get("container") if held.get("kind") == "init" else "the command"
        status, summary = "fail", "the crash reproduces: %s exits %d in fork %s%s" % (
            what, replay["rc"], fork.get("name"), (": " + last) if last else "")
    placement = result.get("placement") or {}
    if placement.get("shares_network_with_source"):
        summary += " (the hostNetwork fork ran beside the source on node %s, sharing its network: a port clash may " \
                   "be the fork's own)" % placement.get("node")
    return make_check(REPLAY_CHECK, status, summary, target, details, _evidence(result, replay),
                      replay.get("duration_ms") or 0)


def removal_check(result, pod, namespace, container=None):
    """One check from the ``state: absent`` kdebug_fork result that removes the fork."""
    result = result if isinstance(result, Mapping) else {}
    target = {"namespace": namespace, "pod": pod, "container": container}
    if result.get("skipped"):
        return make_check(REMOVAL_CHECK, "skipped",
                          "the fork was kept (crashloop_keep_fork): remove it with kdebug_fork state=absent", target)
    if module_failed(result):
        return make_check(REMOVAL_CHECK, "error", "could not remove the fork of %s/%s: %s" % (
            namespace, pod, result.get("msg")), target, dict(failure_details(result), msg=result.get("msg")))
    fork = result.get("fork") or {}
    return make_check(REMOVAL_CHECK, "pass", ("fork %s removed" % fork["name"]) if fork.get("name") else
                      "no fork was left to remove", target,
                      {"fork": fork.get("name"), "changed": bool(result.get("changed"))})


def crashloop_checks(fork_result, removal_result=None, pod=None, namespace="default", container=None):
    """The crashloop runbook's checks: the replay, then (when given) the fork's removal."""
    checks = [replay_check(fork_result, pod, namespace, container)]
    if removal_result is not None:
        checks.append(removal_check(removal_result, pod, namespace, container))
    return checks


class FilterModule(object):
    """kdebug.toolkit crashloop filters."""

    def filters(self):
        return {"crashloop_checks": crashloop_checks}
