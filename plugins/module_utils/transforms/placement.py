# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which nodes a pod spec fits, as the scheduler's simplest filters see it. Pure.

Enough to tell whether a fork can move away from its source's node: the node is Ready and not cordoned, the
pod tolerates its NoSchedule and NoExecute taints, and its nodeSelector and required node affinity select it.
Resources and host ports are left to the scheduler (a fork that does not fit stays Pending, and kdebug_fork
says so with the scheduler's message).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The label and field the DaemonSet controller pins its pods with.
HOSTNAME_FIELD = "metadata.name"


def _tolerates(tolerations, taint):
    for tol in tolerations or []:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _requirement_matches(req, values_of):
    key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
    value = values_of(key)
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        try:
            number, bound = int(value), int(values[0])
        except (TypeError, ValueError, IndexError):
            return False
        return number > bound if op == "Gt" else number < bound
    return False


def term_matches(term, node):
    """A nodeSelectorTerm: all its matchExpressions (labels) and matchFields (metadata.name) hold."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    name = (node.get("metadata") or {}).get("name")
    return all(_requirement_matches(r, labels.get) for r in term.get("matchExpressions") or []) and \
        all(_requirement_matches(r, lambda key: name if key == HOSTNAME_FIELD else None)
            for r in term.get("matchFields") or [])


def required_terms(spec):
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {})
    return (affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")


def why_not(spec, node):
    """None when a pod of ``spec`` may be scheduled on ``node``, else the reason in a few words."""
    status = node.get("status") or {}
    if (node.get("spec") or {}).get("unschedulable"):
        return "cordoned"
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    if not ready or ready.get("status") != "True":
        return "not Ready"
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(spec.get("tolerations"), taint):
            return "taint %s=%s:%s not tolerated" % (taint.get("key"), taint.get("value") or "", taint.get("effect"))
    labels = (node.get("metadata") or {}).get("labels") or {}
    selector = spec.get("nodeSelector") or {}
    missing = sorted(k for k in selector if labels.get(k) != selector[k])
    if missing:
        return "nodeSelector %s does not match" % ", ".join("%s=%s" % (k, selector[k]) for k in missing)
    terms = required_terms(spec)
    if terms and not any(term_matches(t, node) for t in terms):
        return "required node affinity does not select it"
    return None


def unpin_terms(terms):
    """The nodeSelectorTerms without the DaemonSet controller's pin (matchFields metadata.name In); None when empty."""
    kept = []
    for term in terms or []:
        fields = [f for f in term.get("matchFields") or []
                  if not (f.get("key") == HOSTNAME_FIELD and f.get("operator") == "In")]
        term = dict(term)
        if fields:
            term["matchFields"] = fields
        else:
            term.pop("matchFields", None)
        if term.get("matchExpressions") or term.get("matchFields"):
            kept.append(term)
    return kept or None


def avoid_node(spec, node_name):
    """Add ``metadata.name NotIn [node_name]`` to every required term (terms are ORed), in place."""
    requirement = {"key": HOSTNAME_FIELD, "operator": "NotIn", "values": [node_name]}
    affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    required = affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    terms = required.get("nodeSelectorTerms") or [{}]
    for term in terms:
        term["matchFields"] = (term.get("matchFields") or []) + [dict(requirement)]
    required["nodeSelectorTerms"] = terms
