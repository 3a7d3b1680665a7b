# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a report says first: the verdict, the likely cause, the next steps, and a fleet's failures grouped.

Pure: it takes checks that plugins/module_utils/checks.py has validated (dicts with name, status, summary,
details, evidence, target) and returns plain data the report templates, the JSON report and the AWX artifacts
show. No I/O.

- verdict: ``healthy`` (something passed and nothing failed or errored), ``broken`` (a check failed) or
  ``could not tell`` (no failure, but a check errored, or nothing passed).
- cause: one sentence, the summary of the failing check that explains most. The triage role's checks mostly
  describe symptoms (a pod that is not Ready, BackOff events), so a failure of a deeper runbook (a crash that
  reproduces, a nameserver that does not answer, a user check) is preferred to them; among the triage checks, a
  container's last termination says more than its state, which says more than the pod's conditions.
- next steps: per problem, the check's own ``details.next_step`` when it has one (user checks can carry one),
  else the first rule of NEXT_STEPS that matches its name, else a generic one; one per check name (the same
  check of many targets gives one step, for the first of them), at most MAX_STEPS.
- fleet groups: the failing and erroring checks grouped by (status, name) over targets, with counts per
  namespace and node; the targets with no problem are the healthy ones.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections import OrderedDict

HEALTHY, BROKEN, UNKNOWN = "healthy", "broken", "could not tell"
VERDICTS = (HEALTHY, BROKEN, UNKNOWN)
PROBLEM_STATUSES = ("fail", "error")
# The order a report lists checks in: failures, errors, then the rest (stable within a status).
STATUS_ORDER = {"fail": 0, "error": 1, "pass": 2, "skipped": 3}
MAX_STEPS = 5

# How much a failing check explains, lower first: the triage role's checks describe symptoms.
SYMPTOMS = (
    (re.compile(r"^container \S+ last termination$"), 1),
    (re.compile(r"^container \S+ state$"), 2),
    (re.compile(r"^pod condition (PodScheduled|Initialized)$"), 2),
    (re.compile(r"^pod phase$"), 3),
    (re.compile(r"^node "), 3),
    (re.compile(r"^pod events$"), 4),
    (re.compile(r"^pod condition"), 5),
    (re.compile(r"^container \S+ restarts$"), 5),
)

# The next step of a failing check, by a pattern on its name ({ns}, {pod}, {container} are the check's target);
# the first match wins. Errors get DENIED_STEP or ERROR_STEP instead.
NEXT_STEPS = (
    (re.compile(r"^crash reproduced"),
     "Fix what the replayed command printed (the evidence of 'crash reproduced in a fork'); to look inside a copy "
     "of the pod by hand, run again with keep_fork=true and use the kubectl exec line of the report."),
    (re.compile(r"^DNS nameserver"),
     "Check the cluster DNS the pod asks: its pods and endpoints (kubectl -n kube-system get pods,endpoints "
     "-l k8s-app=kube-dns) and the pod's dnsPolicy and dnsConfig (kubectl -n {ns} get pod {pod} -o yaml)."),
    (re.compile(r"^DNS "),
     "Check that the names exist (the Services and their namespaces) and that the pod's nameserver answers for "
     "them (kubectl -n {ns} get svc)."),
    (re.compile(r"^TCP connect to"),
     "Check the Service's endpoints (kubectl -n {ns} get endpoints) and the NetworkPolicies that apply to the "
     "pod (kubectl -n {ns} get networkpolicy)."),
    (re.compile(r"^listening sockets"),
     "Make the container listen on the ports it declares, on all addresses rather than 127.0.0.1 only."),
    (re.compile(r"^container \S+ (last termination|state|restarts)$"),
     "Read the container's last logs: kubectl -n {ns} logs {pod} -c {container} --previous."),
    (re.compile(r"^pod condition PodScheduled$"),
     "See why it cannot be scheduled (kubectl -n {ns} describe pod {pod}): free resources, or fix its node "
     "selector, affinity or tolerations."),
    (re.compile(r"^pod (events|phase|condition)"),
     "Read the pod's events: kubectl -n {ns} describe pod {pod}."),
)
DENIED_STEP = ("Grant the rights the error names (docs/rbac.md lists what each strategy needs), or choose another "
               "strategy.")
ERROR_STEP = "Fix what kept '{name}' from running (its evidence says what), then run again."
FAIL_STEP = "Look at '{name}': its details and evidence below say what it found."


def order_checks(checks):
    """The checks as a report lists them: failures (the ones that explain most first), errors, then passes and
    skips; otherwise in their own order."""
    return sorted(checks, key=lambda check: (STATUS_ORDER.get(check["status"], len(STATUS_ORDER)),
                                             _weight(check) if check["status"] == "fail" else 0))


def _weight(check):
    """How little a failing check explains (0: most)."""
    for pattern, weight in SYMPTOMS:
        if pattern.search(check["name"]):
            return weight
    return 0


def _target_parts(check):
    target = check.get("target")
    target = target if isinstance(target, dict) else {}
    return {"ns": target.get("namespace") or "<namespace>", "pod": target.get("pod") or "<pod>",
            "container": target.get("container") or "<container>", "node": target.get("node") or ""}


def _label(check):
    """namespace/pod of a check's target ('' when it names no pod)."""
    target = check.get("target")
    if isinstance(target, dict):
        return "/".join(str(target[k]) for k in ("namespace", "pod") if target.get(k)) if target.get("pod") else ""
    return str(target) if target else ""


def cause_check(checks):
    """The check the cause sentence comes from: the failure that explains most, else the first error, else None."""
    failures = [check for check in checks if check["status"] == "fail"]
    if failures:
        return min(failures, key=_weight)  # min keeps the first of equals
    return next((check for check in checks if check["status"] == "error"), None)


def next_step(check):
    """The next step for one failing or erroring check."""
    details = check.get("details") or {}
    own = details.get("next_step")
    if isinstance(own, str) and own.strip():
        return own.strip()
    if check["status"] == "error":
        if details.get("error_class") == "ApiDenied" or details.get("denied_by"):
            return DENIED_STEP
        return ERROR_STEP.format(name=check["name"])
    for pattern, step in NEXT_STEPS:
        if pattern.search(check["name"]):
            return step.format(**_target_parts(check))
    return FAIL_STEP.format(name=check["name"])


def verdict(checks):
    """{verdict, cause, next_steps, cause_check} of validated checks."""
    counts = dict((status, 0) for status in STATUS_ORDER)
    for check in checks:
        counts[check["status"]] = counts.get(check["status"], 0) + 1
    if counts["fail"]:
        state = BROKEN
    elif counts["error"] or not counts["pass"]:
        state = UNKNOWN
    else:
        state = HEALTHY
    found = cause_check(checks)
    if found is None:
        cause = ("all %d checks that ran pass" % counts["pass"]) if counts["pass"] else "no check could run"
    else:
        cause = found["summary"].strip() or found["name"]
        if found["status"] == "error":
            cause = "%s could not run: %s" % (found["name"], cause)
        affected = set(_label(c) for c in checks if c["name"] == found["name"] and c["status"] == found["status"])
        targets = set(_label(c) for c in checks) - set([""])
        if len(targets) > 1 and len(affected) > 1:
            cause = "%s (and the same check in %d more of %d targets)" % (cause, len(affected) - 1, len(targets))
    steps = []
    if found is not None:
        problems = [found] + sorted((c for c in checks if c["status"] in PROBLEM_STATUSES and c is not found),
                                    key=lambda c: (STATUS_ORDER[c["status"]], _weight(c)))
        seen = set()
        for check in problems:
            if check["name"] in seen:  # the same check of another target: one step is enough
                continue
            seen.add(check["name"])
            step = next_step(check)
            if step not in steps:
                steps.append(step)
            if len(steps) >= MAX_STEPS:
                break
    return {"verdict": state, "cause": cause, "next_steps": steps,
            "cause_check": dict((k, found[k]) for k in ("name", "status")) if found else None}


def fleet_groups(checks):
    """The problems of a run over many targets, grouped: ``(groups, healthy_targets, targets)``.

    groups: one per (status, check name) that failed or errored somewhere, most targets first, each
    ``{status, name, summary (the first one), count, namespaces {ns: n}, nodes {node: n}, targets [labels]}``;
    healthy_targets: the labels (namespace/pod) of the targets with no failing or erroring check, sorted;
    targets: how many targets the checks are about.
    """
    groups = OrderedDict()
    targets = OrderedDict()
    for check in checks:
        label = _label(check)
        if label:  # a node's check names no pod: not a target of the fleet, its problems are grouped all the same
            targets.setdefault(label, False)
        if check["status"] not in PROBLEM_STATUSES:
            continue
        parts = _target_parts(check)
        if label:
            targets[label] = True
        else:
            label = "node/" + parts["node"] if parts["node"] else "(no target)"
        group = groups.setdefault((check["status"], check["name"]), {
            "status": check["status"], "name": check["name"], "summary": check["summary"], "count": 0,
            "namespaces": {}, "nodes": {}, "targets": []})
        if label in group["targets"]:
            continue
        group["count"] += 1
        group["targets"].append(label)
        namespace = parts["ns"] if parts["ns"] != "<namespace>" else "(none)"
        node = parts["node"] or "(unknown)"
        group["namespaces"][namespace] = group["namespaces"].get(namespace, 0) + 1
        group["nodes"][node] = group["nodes"].get(node, 0) + 1
    result = sorted(groups.values(), key=lambda g: (STATUS_ORDER[g["status"]], -g["count"]))
    for group in result:
        group["namespaces"] = _by_count(group["namespaces"])
        group["nodes"] = _by_count(group["nodes"])
    healthy = sorted(label for label, broken in targets.items() if not broken)
    return result, healthy, len(targets)


def _by_count(counts):
    """[{name, count}], most first, then by name."""
    return [{"name": name, "count": count} for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
