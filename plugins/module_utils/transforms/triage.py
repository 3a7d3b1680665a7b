# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Triage of one pod as data: summaries of the pod, its events, logs and node, and the checks. Pure.

managers/triage.py reads the pod, then its events, the namespace's Services, the log tails and the node
concurrently (:func:`gather` there), and hands over plain dicts, the JSON the API server sent (as ``kubectl
get -o json`` shows it), with a record of the pieces that could not be read. The functions here summarise
those dicts and compute the checks (docs/result-schema.md). The rules:

  - ``pod phase``: Running and Succeeded pass. Pending fails (the summary says
    whether it is not scheduled, with the scheduler's message, or scheduled with
    containers not started, with their waiting reasons). Failed and Unknown
    fail; so does a pod that is being deleted.
  - ``pod condition <type>``: one check per condition. Ready, ContainersReady,
    Initialized, PodScheduled, PodReadyToStartContainers and readiness gates
    pass when True and fail otherwise (with the condition's reason and message),
    except ``False`` with reason PodCompleted, or Ready, ContainersReady and
    PodReadyToStartContainers ``False`` in a Succeeded pod (a finished pod). DisruptionTarget
    is the other way round: True fails (the pod is about to be evicted).
  - ``container <name> state`` (and ``init container <name> state``): running
    passes; waiting fails with its reason and message (CrashLoopBackOff with the
    last exit code); terminated fails unless it completed with exit code 0 where
    that is the end (init containers, restartPolicy Never or OnFailure); no
    status yet fails.
  - ``container <name> restarts``: fails above ``restart_threshold`` restarts
    (default 3), passes at or below it.
  - ``container <name> last termination``: the current state's termination, else
    ``lastState.terminated``. OOMKilled or a non-zero exit code fails naming exit
    code and reason, with the log tail of that run as evidence; exit code 0 or
    no termination passes.
  - ``pod events``: fails when any of the pod's events is a Warning (listing the
    reasons with counts, the messages as evidence); passes otherwise. Warnings that
    all came before the pod became Ready (and it still is) pass, listed as earlier.
  - ``static pod``: only for a static pod's mirror (annotation kubernetes.io/config.mirror), a pass that names
    the node whose kubelet runs it from a manifest: that is where it is changed, and the node agent the way in.
  - ``node <condition>``: Ready must be True; every other node condition
    (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable, and those of
    node-problem-detector) must be False. Skipped when the pod has no node.
  - A piece that could not be read becomes an ``error`` check carrying the
    reason (for a 403, the verb and resource to grant): ``pod events``,
    ``node conditions``, ``services selecting the pod``,
    ``container <name> logs``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import make_check
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    INIT, MAIN, container_statuses, describe_init_blocker, event_time, find_spec, find_status, init_blocker,
    is_sidecar, last_termination, owner_of, pod_network, selected_by, spec_containers, state_of, static_pod,
    static_pod_text)

DEFAULT_LOG_LINES = 50
DEFAULT_EVENT_LIMIT = 20
DEFAULT_RESTART_THRESHOLD = 3

# Pod conditions whose True is the problem.
NEGATIVE_POD_CONDITIONS = ("DisruptionTarget",)
# Conditions that are False once a pod has completed (phase Succeeded): its sandbox and containers are gone.
DONE_POD_CONDITIONS = ("Ready", "ContainersReady", "PodReadyToStartContainers")
# Terminations with this reason are failures even with exit code 0.
FAILED_TERMINATION_REASONS = ("OOMKilled", "ContainerCannotRun", "DeadlineExceeded", "StartError")
# Waiting reasons of a container that is merely being started.
STARTING_REASONS = ("ContainerCreating", "PodInitializing")


class LogUnavailable(KdebugError):
    """The API has no such log (HTTP 400: the container has not started, no previous run)."""


def _error_text(exc):
    if isinstance(exc, KdebugError):
        return exc.message
    return "%s: %s" % (type(exc).__name__, exc)


def select_containers(pod, requested=None):
    """[(kind, name)], init containers first; only ``requested`` when given (KdebugError when unknown)."""
    pairs = [("init", c["name"]) for c in spec_containers(pod, INIT)] + \
        [("main", c["name"]) for c in spec_containers(pod, MAIN)]
    if not requested:
        return pairs
    chosen = [p for p in pairs if p[1] == requested]
    if not chosen:
        raise KdebugError("container %s not found in pod %s/%s; it has: %s. Set container to one of them."
                          % (requested, pod["metadata"].get("namespace"), pod["metadata"].get("name"),
                             ", ".join(p[1] for p in pairs)))
    return chosen


def log_plan(pod, selected):
    """{container: [streams]} worth reading: ``current`` while it runs or after it ended, ``previous`` once it
    has restarted.

    The kubelet serves a waiting container's last run both as its current and its previous log, so a waiting
    container (CrashLoopBackOff) gets ``previous`` only. One still waiting for its first start has no log at all
    (the API answers 400). An init container that completed and never failed is left out (its logs rarely
    explain anything and cost a call).
    """
    plan = {}
    for kind, name in selected:
        status = find_status(pod, kind, name)
        if not status:
            continue
        state, detail = state_of(status)
        has_last = bool(((status.get("lastState") or {}).get("terminated")))
        if kind == "init" and state == "terminated" and detail.get("exitCode") == 0 and not has_last:
            continue
        streams = []
        # A waiting container's "current" log is its last run, the same as "previous": read it once.
        if state in ("running", "terminated"):
            streams.append("current")
        if has_last:
            streams.append("previous")
        if streams:
            plan[name] = streams
    return plan


def matching_services(services, labels):
    return selected_by(services, labels)


def matching_service_ports(services, labels):
    """{service: [{port, protocol}]} of the Services selecting the pod: what network checks connect to."""
    return dict((s["metadata"]["name"], [{"port": p.get("port"), "protocol": p.get("protocol", "TCP")}
                                         for p in (s.get("spec") or {}).get("ports") or []])
                for s in services or [] if s["metadata"]["name"] in selected_by([s], labels))


def _condition(cond):
    return {
        "type": cond.get("type"),
        "status": cond.get("status"),
        "reason": cond.get("reason"),
        "message": cond.get("message"),
        "last_transition": cond.get("lastTransitionTime"),
    }


def container_summary(pod, kind, spec, status):
    state, detail = state_of(status)
    term = last_termination(status)
    summary = {
        "name": spec.get("name") or (status or {}).get("name"),
        "image": spec.get("image") or (status or {}).get("image"),
        "ready": bool((status or {}).get("ready")),
        "started": (status or {}).get("started"),
        "restart_count": (status or {}).get("restartCount", 0),
        "state": state,
        "reason": detail.get("reason"),
        "message": detail.get("message"),
        "since": detail.get("startedAt"),
        "exit_code": detail.get("exitCode") if state == "terminated" else None,
        "last_termination": None,
        "ports": [p.get("containerPort") for p in spec.get("ports") or [] if p.get("containerPort") is not None],
    }
    if kind == "init":
        summary["sidecar"] = is_sidecar(spec)
    if term:
        summary["last_termination"] = dict((k, term[k]) for k in ("exit_code", "reason", "message", "finished_at"))
    return summary


def summarize_pod(pod, services=None):
    """The ``pod`` block of the result. ``services``: the namespace's Services (None when not read)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    labels = meta.get("labels") or {}
    mains = [container_summary(pod, "main", c, find_status(pod, "main", c["name"])) for c in spec.get("containers") or []]
    inits = [container_summary(pod, "init", c, find_status(pod, "init", c["name"]))
             for c in spec.get("initContainers") or []]
    ports = sorted(set(p for c in mains + inits for p in c["ports"]))
    default = (meta.get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default not in [c["name"] for c in mains]:
        default = mains[0]["name"] if mains else None
    return {
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "node": spec.get("nodeName"),
        "phase": status.get("phase"),
        "reason": status.get("reason"),
        "message": status.get("message"),
        "qos": status.get("qosClass"),
        "ip": status.get("podIP"),
        "host_ip": status.get("hostIP"),
        "start_time": status.get("startTime"),
        "deleting": bool(meta.get("deletionTimestamp")),
        "restart_policy": spec.get("restartPolicy", "Always"),
        "labels": labels,
        "owner": owner_of(pod),
        "static_pod": static_pod(pod),
        "network": pod_network(pod),
        "default_container": default,
        "conditions": [_condition(c) for c in status.get("conditions") or []],
        "containers": mains,
        "init_containers": inits,
        "ephemeral_containers": [c.get("name") for c in spec.get("ephemeralContainers") or []],
        "services": None if services is None else matching_services(services, labels),
        "service_ports": None if services is None else matching_service_ports(services, labels),
        "container_ports": ports,
        "init_blocker": init_blocker(pod),
    }


def summarize_events(events, limit=DEFAULT_EVENT_LIMIT):
    """The pod's events, oldest first, the last ``limit`` of them (all with limit None)."""
    out = []
    for event in events or []:
        series = event.get("series") or {}
        source = event.get("source") or {}
        out.append({
            "type": event.get("type") or "Normal",
            "reason": event.get("reason"),
            "message": (event.get("message") or "").strip(),
            "count": series.get("count") or event.get("count") or 1,
            "first_time": event.get("firstTimestamp") or event.get("eventTime"),
            "last_time": event_time(event) or None,
            "source": event.get("reportingComponent") or source.get("component"),
            "object": (event.get("involvedObject") or {}).get("fieldPath"),
        })
    # RFC 3339 UTC timestamps sort as text once cut to the second (eventTime has microseconds, the others not).
    out.sort(key=lambda e: ((e["last_time"] or "")[:19], e["last_time"] or ""))
    return out if limit is None else out[-limit:] if limit else []


def summarize_node(node):
    if node is None:
        return None
    conditions = [_condition(c) for c in (node.get("status") or {}).get("conditions") or []]
    ready = next((c["status"] == "True" for c in conditions if c["type"] == "Ready"), False)
    return {
        "name": node["metadata"]["name"],
        "ready": ready,
        "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
        "conditions": conditions,
        "created": node["metadata"].get("creationTimestamp"),
    }


def log_entries(pod, selected, plan, values, errors, log_lines):
    """{container: {current, previous, truncated, note}} from the log tails read as ``plan`` said.

    ``values`` and ``errors`` are keyed ("log", container, stream); a LogUnavailable becomes a note (and leaves
    ``errors``), any other error stays there for an error check and is noted too.
    """
    logs = {}
    for kind, cname in selected:
        entry = {"current": None, "previous": None, "truncated": False, "note": None}
        notes = []
        state, detail = state_of(find_status(pod, kind, cname))
        if not log_lines:
            notes.append("log_lines is 0")
        elif not plan.get(cname) and state == "terminated" and detail.get("exitCode") == 0:
            notes.append("init container completed: its logs are not read")
        elif not plan.get(cname):
            notes.append("the container has not started: no logs")
        for stream in plan.get(cname, ()):
            key = ("log", cname, stream)
            if key in values:
                entry[stream], cut = values[key]
                entry["truncated"] = entry["truncated"] or cut
            elif isinstance(errors.get(key), LogUnavailable):
                notes.append("%s: %s" % (stream, errors.pop(key).message))
            elif key in errors:
                notes.append("%s: %s" % (stream, _error_text(errors[key])))
        if plan.get(cname) and "current" not in plan[cname]:
            notes.append("the container is waiting: its last run's log is the previous one")
        if plan.get(cname) and "previous" not in plan[cname]:
            notes.append("no previous run")
        entry["note"] = "; ".join(notes) or None
        logs[cname] = entry
    return logs


# --- checks ------------------------------------------------------------------------------------------


def pod_target(pod):
    return {"namespace": pod["metadata"].get("namespace"), "pod": pod["metadata"].get("name")}


def container_target(pod, name):
    target = pod_target(pod)
    target["container"] = name
    return target


def _reason_message(reason, message):
    text = reason or "no reason given"
    return text + (": " + message if message else "")


def _log_tail(logs, blocker, lines=5):
    """The last ``lines`` lines of the blocking init container's last run (its ``logs`` entry), or []."""
    entry = (logs or {}).get(blocker["name"]) or {}
    text = entry.get("previous") if blocker["logs_of"] == "previous" else None
    text = text or entry.get("current") or entry.get("previous") or ""
    return text.rstrip("\n").splitlines()[-lines:] if text.strip() else []


def check_phase(pod, logs=None):
    """``logs``: the result's ``logs`` (container: tails), for the last lines of an init container the pod waits on."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    details = {"phase": phase, "reason": status.get("reason"), "message": status.get("message"),
               "node": spec.get("nodeName")}
    target = pod_target(pod)
    evidence = [{"label": "status.message", "text": status["message"]}] if status.get("message") else []
    if meta.get("deletionTimestamp"):
        details["deletion_timestamp"] = meta["deletionTimestamp"]
        details["grace_seconds"] = meta.get("deletionGracePeriodSeconds")
        return make_check("pod phase", "fail", "%s, being deleted since %s (grace period %ss)"
                          % (phase, meta["deletionTimestamp"], meta.get("deletionGracePeriodSeconds")),
                          target, details, evidence)
    if phase == "Running":
        return make_check("pod phase", "pass", "Running on node %s" % spec.get("nodeName"), target, details)
    if phase == "Succeeded":
        return make_check("pod phase", "pass", "Succeeded: every container completed", target, details)
    if phase == "Pending":
        scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
        if scheduled and scheduled.get("status") != "True":
            summary = "Pending: not scheduled (%s)" % _reason_message(scheduled.get("reason"), scheduled.get("message"))
        elif not spec.get("nodeName"):
            summary = "Pending: not scheduled yet"
        elif init_blocker(pod):
            blocker = init_blocker(pod)
            details["init_blocker"] = blocker
            tail = _log_tail(logs, blocker)
            summary = "Pending on node %s: %s%s" % (spec["nodeName"], describe_init_blocker(blocker),
                                                    "; last log lines: %s" % " | ".join(tail) if tail else "")
            summary += (": fork it to replay it held (kdebug.toolkit.kdebug_fork container=%s)" % blocker["name"]
                        if blocker["crash_looping"] else
                        ": the containers start when it completes (kdebug.toolkit.kdebug_exec container=%s joins it)"
                        % blocker["name"] if blocker["state"] == "running" else "")
            if tail:
                evidence.append({"label": "init container %s log tail" % blocker["name"], "text": "\n".join(tail)})
        else:
            waiting = []
            for kind in ("init", "main"):
                for cstatus in container_statuses(pod, kind):
                    state, detail = state_of(cstatus)
                    if state != "running" and not (state == "terminated" and detail.get("exitCode") == 0):
                        waiting.append("%s%s %s" % ("init container " if kind == "init" else "", cstatus.get("name"),
                                                    detail.get("reason") or state or "no state"))
            summary = "Pending on node %s: containers not started%s" % (
                spec["nodeName"], " (%s)" % ", ".join(waiting) if waiting else "")
        return make_check("pod phase", "fail", summary, target, details, evidence)
    if phase == "Failed":
        return make_check("pod phase", "fail", "Failed (%s)" % _reason_message(status.get("reason"), status.get("message")),
                          target, details, evidence)
    return make_check("pod phase", "fail", "phase %s: the node's kubelet has not reported the pod (node lost?)" % phase,
                      target, details, evidence)


def check_conditions(pod):
    """One check per pod condition."""
    checks = []
    target = pod_target(pod)
    conditions = (pod.get("status") or {}).get("conditions") or []
    succeeded = (pod.get("status") or {}).get("phase") == "Succeeded"
    if not conditions:
        return [make_check("pod conditions", "skipped", "the pod reports no conditions yet", target)]
    for cond in conditions:
        ctype, cstatus = cond.get("type"), cond.get("status")
        details = _condition(cond)
        name = "pod condition %s" % ctype
        if ctype in NEGATIVE_POD_CONDITIONS:
            ok = cstatus == "False"
        else:
            ok = cstatus == "True" or (cstatus == "False" and (
                cond.get("reason") == "PodCompleted" or (succeeded and ctype in DONE_POD_CONDITIONS)))
        text = "%s is %s" % (ctype, cstatus)
        if cond.get("reason") or cond.get("message"):
            text += " (%s)" % _reason_message(cond.get("reason"), cond.get("message"))
        checks.append(make_check(name, "pass" if ok else "fail", text, target, details))
    return checks


def _label(kind, name):
    return "%s %s" % ("init container" if kind == "init" else "container", name)


def _state_evidence(status):
    state = (status or {}).get("state") or {}
    return [{"label": "state", "text": json.dumps(state, indent=2, sort_keys=True)}] if state else []


def check_container_state(pod, kind, name):
    spec = find_spec(pod, kind, name)
    status = find_status(pod, kind, name)
    target = container_target(pod, name)
    check_name = "%s state" % _label(kind, name)
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if status is None:
        return make_check(check_name, "fail", "no status yet (pod phase %s)" % (pod.get("status") or {}).get("phase"),
                          target, {"state": None})
    state, detail = state_of(status)
    term = last_termination(status)
    details = {"state": state, "reason": detail.get("reason"), "message": detail.get("message"),
               "ready": bool(status.get("ready")), "restart_count": status.get("restartCount", 0)}
    evidence = _state_evidence(status)
    if state == "running":
        summary = "running since %s" % detail.get("startedAt")
        if kind == "main" or is_sidecar(spec):
            summary += "" if status.get("ready") else ", not ready"
        return make_check(check_name, "pass", summary, target, details)
    if state == "waiting":
        reason = detail.get("reason") or "waiting"
        summary = "waiting: %s" % reason
        if term and reason == "CrashLoopBackOff":
            summary += " (last exit code %s, %s)" % (term["exit_code"], term["reason"] or "terminated")
        if detail.get("message"):
            summary += ": %s" % detail["message"]
        if reason in STARTING_REASONS:
            summary += " (still starting%s)" % (": init containers have not completed"
                                                if reason == "PodInitializing" else "")
        return make_check(check_name, "fail", summary, target, details, evidence)
    if state == "terminated":
        code, reason = detail.get("exitCode"), detail.get("reason") or "terminated"
        details["exit_code"] = code
        completes = (kind == "init" and not is_sidecar(spec)) or policy in ("Never", "OnFailure")
        if code == 0 and completes and reason not in FAILED_TERMINATION_REASONS:
            return make_check(check_name, "pass", "completed (exit code 0) at %s" % detail.get("finishedAt"),
                              target, details)
        summary = "terminated: %s, exit code %s" % (reason, code)
        if detail.get("message"):
            summary += ": %s" % detail["message"].strip()
        restarted = (code != 0 and policy != "Never") or (policy == "Always" and not completes)
        if restarted:
            summary += " (restartPolicy %s: it will be restarted; %d restarts so far)" % (
                policy, status.get("restartCount", 0) or 0)
        return make_check(check_name, "fail", summary, target, details, evidence)
    return make_check(check_name, "fail", "no state reported", target, details, evidence)


def check_restarts(pod, kind, name, threshold=DEFAULT_RESTART_THRESHOLD):
    status = find_status(pod, kind, name)
    target = container_target(pod, name)
    check_name = "%s restarts" % _label(kind, name)
    count = (status or {}).get("restartCount", 0) or 0
    details = {"restart_count": count, "threshold": threshold}
    if count > threshold:
        term = last_termination(status)
        summary = "restarted %d times (threshold %d)" % (count, threshold)
        if term:
            summary += ", last: %s, exit code %s at %s" % (term["reason"] or "terminated", term["exit_code"],
                                                           term["finished_at"])
        return make_check(check_name, "fail", summary, target, details)
    return make_check(check_name, "pass", "%d restart%s (threshold %d)" % (count, "" if count == 1 else "s", threshold),
                      target, details)


def _memory_limit(spec):
    return (((spec or {}).get("resources") or {}).get("limits") or {}).get("memory")


def check_last_termination(pod, kind, name, logs=None):
    """``logs``: this container's entry of the result's ``logs`` (its tails), for the evidence."""
    spec = find_spec(pod, kind, name)
    status = find_status(pod, kind, name)
    target = container_target(pod, name)
    check_name = "%s last termination" % _label(kind, name)
    term = last_termination(status)
    if not term:
        return make_check(check_name, "pass", "never terminated", target, {"last_termination": None})
    details = dict(term)
    code, reason = term["exit_code"], term["reason"]
    evidence = []
    if term.get("message"):
        evidence.append({"label": "termination message", "text": term["message"]})
    tail = (logs or {}).get(term["logs_of"])
    if tail:
        evidence.append({"label": "%s log tail" % term["logs_of"], "text": tail})
    signal = ""
    if isinstance(code, int) and 128 < code < 160:
        signal = " (signal %d%s)" % (code - 128, {9: " SIGKILL", 15: " SIGTERM", 6: " SIGABRT", 11: " SIGSEGV"}.get(
            code - 128, ""))
    when = " at %s" % term["finished_at"] if term["finished_at"] else ""
    if reason == "OOMKilled":
        limit = _memory_limit(spec)
        details["memory_limit"] = limit
        summary = "OOMKilled, exit code %s%s%s: it used more memory than %s" % (
            code, signal, when, "its limit %s" % limit if limit else "the node could give (no limit set)")
        return make_check(check_name, "fail", summary, target, details, evidence)
    if code != 0 or reason in FAILED_TERMINATION_REASONS:
        summary = "exit code %s%s (%s)%s" % (code, signal, reason or "no reason", when)
        if term.get("message"):
            summary += ": %s" % term["message"].strip().splitlines()[-1]
        return make_check(check_name, "fail", summary, target, details, evidence)
    return make_check(check_name, "pass", "exit code 0 (%s)%s" % (reason or "Completed", when), target, details, evidence)


def ready_since(pod):
    """When the pod last became Ready, or None when it is not Ready now."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return cond.get("lastTransitionTime")
    return None


def _before(time, moment):
    # RFC 3339 UTC timestamps compare as text once cut to the second.
    return bool(time and moment) and time[:19] <= moment[:19]


def _warning_reasons(warnings):
    reasons = {}
    for event in warnings:
        reasons[event["reason"]] = reasons.get(event["reason"], 0) + (event["count"] or 1)
    order = sorted(reasons, key=lambda r: max(e["last_time"] or "" for e in warnings if e["reason"] == r), reverse=True)
    return reasons, ", ".join("%s (x%d)" % (r, reasons[r]) for r in order)


def _warning_evidence(warnings, limit):
    # The most recent first, at most ``limit`` of them.
    return ["%s x%d, last %s: %s" % (e["reason"], e["count"], e["last_time"], e["message"])
            for e in reversed(warnings[-limit:] if limit else warnings)]


# The kubelet's reasons for a failed (or warned) liveness, readiness or startup probe.
PROBE_REASONS = ("Unhealthy", "ProbeWarning")


def check_events(pod, events, limit=DEFAULT_EVENT_LIMIT):
    """Warning events among all the pod's events (``events``: summarize_events(..., None) output).

    A Warning whose last occurrence is no later than the moment the pod became Ready (and still is) was
    overcome: a volume mounted on the second try, a readiness probe that failed while the app started.
    Those are reported but pass, as do probe failures since that never took the pod out of Ready; any other
    Warning since, or any Warning on a pod that is not Ready, fails.
    """
    target = pod_target(pod)
    warnings = [e for e in events if e["type"] == "Warning"]
    details = {"events": len(events), "warnings": len(warnings)}
    if not warnings:
        return make_check("pod events", "pass", "%d event%s, no warnings" % (len(events), "" if len(events) == 1 else "s"),
                          target, details)
    ready = ready_since(pod)
    current = [e for e in warnings if not _before(e["last_time"], ready)]
    overcome = [e for e in warnings if _before(e["last_time"], ready)]
    # A probe that failed since, yet never as often in a row as its failureThreshold: the pod stayed Ready, so
    # it stayed in its Services (a 1 s probe timeout missed under load, say). Named, but not a fault.
    tolerated = [e for e in current if e["reason"] in PROBE_REASONS] if ready else []
    current = [e for e in current if e not in tolerated]
    if not current:
        details.update({"overcome": len(overcome), "ready_since": ready})
        parts = []
        if overcome:
            reasons, listed = _warning_reasons(overcome)
            details["reasons"] = reasons
            parts.append("earlier: %s" % listed)
        if tolerated:
            reasons, listed = _warning_reasons(tolerated)
            details["probe_failures_while_ready"] = reasons
            parts.append("since: %s, too few in a row to take it out of Ready" % listed)
        summary = "no warnings since the pod became Ready at %s (%s)" % (ready, "; ".join(parts))
        return make_check("pod events", "pass", summary, target, details,
                          _warning_evidence(sorted(overcome + tolerated, key=lambda e: e["last_time"] or ""), limit))
    reasons, listed = _warning_reasons(current)
    details["reasons"] = reasons
    summary = "Warning events: %s" % listed
    if overcome:
        details.update({"overcome": len(overcome), "ready_since": ready})
        summary += " (and %d before the pod became Ready)" % len(overcome)
    return make_check("pod events", "fail", summary, target, details, _warning_evidence(current, limit))


def check_node(pod, node):
    """One check per node condition (``node``: summarize_node output)."""
    target = pod_target(pod)
    checks = []
    if not node["conditions"]:
        return [make_check("node conditions", "error", "node %s reports no conditions" % node["name"], target,
                           {"node": node["name"]})]
    # Ready first: it is the one that matters most.
    for cond in sorted(node["conditions"], key=lambda c: c["type"] != "Ready"):
        details = dict(cond, node=node["name"])
        ctype, cstatus = cond["type"], cond["status"]
        ok = cstatus == "True" if ctype == "Ready" else cstatus == "False"
        text = "node %s: %s is %s" % (node["name"], ctype, cstatus)
        if not ok:
            text += " (%s)" % _reason_message(cond["reason"], cond["message"])
        if ctype == "Ready" and node["unschedulable"]:
            text += "; cordoned (unschedulable)"
        checks.append(make_check("node %s" % ctype, "pass" if ok else "fail", text, target, details))
    return checks


def check_static_pod(pod):
    """A static pod's mirror: what that means for whoever debugs it (a pass: it is a fact, not a fault)."""
    static = static_pod(pod)
    return make_check(
        "static pod", "pass",
        "%s: the API only mirrors it, so edit or delete the manifest on node %s (changes through the API do not "
        "stick), and debug it through the node agent (the API refuses ephemeral containers on a mirror pod)"
        % (static_pod_text(pod), static["node"] or "(unknown)"),
        pod_target(pod), dict(static), [{"label": "metadata.annotations", "text": "\n".join(
            "%s: %s" % (k, v) for k, v in sorted(((pod.get("metadata") or {}).get("annotations") or {}).items())
            if k.startswith("kubernetes.io/config."))}])


def error_check(name, target, exc):
    """An ``error`` check for a piece that could not be read (KdebugError or another exception)."""
    details = {}
    if isinstance(exc, KdebugError):
        details.update((k, v) for k, v in exc.result().items() if k != "msg")
    return make_check(name, "error", _error_text(exc), target, details)


def build_checks(gathered, restart_threshold=DEFAULT_RESTART_THRESHOLD, event_limit=DEFAULT_EVENT_LIMIT):
    """Every check, from what :func:`gather` returned (pure)."""
    pod, errors = gathered["pod"], gathered["errors"]
    target = pod_target(pod)
    checks = [check_phase(pod, gathered["logs"])] + check_conditions(pod)
    if static_pod(pod):
        checks.append(check_static_pod(pod))
    for kind, name in gathered["selected"]:
        checks.append(check_container_state(pod, kind, name))
        checks.append(check_restarts(pod, kind, name, restart_threshold))
        checks.append(check_last_termination(pod, kind, name, gathered["logs"].get(name)))
        failed = [errors[k] for k in sorted(errors, key=str) if isinstance(k, tuple) and k[1] == name]
        if failed:
            checks.append(error_check("%s logs" % _label(kind, name), container_target(pod, name), failed[0]))
    if "events" in errors:
        checks.append(error_check("pod events", target, errors["events"]))
    elif gathered["events"] is None:
        checks.append(make_check("pod events", "skipped", "event_limit is 0: events not read", target))
    else:
        checks.append(check_events(pod, summarize_events(gathered["events"], None), event_limit))
    if "services" in errors:
        checks.append(error_check("services selecting the pod", target, errors["services"]))
    if "node" in errors:
        checks.append(error_check("node conditions", target, errors["node"]))
    elif gathered["node"] is None:
        checks.append(make_check("node conditions", "skipped", "the pod is not scheduled on a node", target))
    else:
        checks.extend(check_node(pod, summarize_node(gathered["node"])))
    return checks


def missing_permissions(errors):
    """{verb, resource, namespace} of every RBAC refusal among the pieces that could not be read."""
    out = []
    for exc in errors.values():
        if isinstance(exc, ApiDenied) and exc.denied_by == "rbac":
            perm = {"verb": exc.denial.get("verb"), "resource": exc.denial.get("resource"),
                    "namespace": exc.denial.get("namespace")}
            if perm not in out:
                out.append(perm)
    return out


def triage_result(gathered, restart_threshold=DEFAULT_RESTART_THRESHOLD, event_limit=DEFAULT_EVENT_LIMIT):
    """The module's result (without ``changed``), pure."""
    return {
        "pod": summarize_pod(gathered["pod"], gathered["services"]),
        "events": summarize_events(gathered["events"], event_limit) if gathered["events"] is not None else None,
        "logs": gathered["logs"],
        "node": summarize_node(gathered["node"]),
        "checks": build_checks(gathered, restart_threshold, event_limit),
        "missing_permissions": missing_permissions(gathered["errors"]),
    }
