# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""transforms/placement.py: which nodes a pod spec fits; the DaemonSet pin removed; a node avoided."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import placement as P


def node(name, taints=(), ready="True", labels=None, cordoned=False):
    return {"metadata": {"name": name, "labels": dict({"kubernetes.io/hostname": name}, **(labels or {}))},
            "spec": {"taints": list(taints), "unschedulable": cordoned},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


TAINT = {"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"}


@pytest.mark.parametrize("spec, the_node, why", [
    ({}, node("a"), None),
    ({}, node("a", ready="False"), "not Ready"),
    ({}, node("a", cordoned=True), "cordoned"),
    ({}, node("a", taints=[TAINT]), "taint kdebug.io/lab-dedicated=tools:NoSchedule not tolerated"),
    ({}, node("a", taints=[dict(TAINT, effect="PreferNoSchedule")]), None),
    ({"tolerations": [{"key": "kdebug.io/lab-dedicated", "operator": "Exists"}]}, node("a", taints=[TAINT]), None),
    ({"tolerations": [{"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"}]},
     node("a", taints=[TAINT]), None),
    ({"tolerations": [{"key": "kdebug.io/lab-dedicated", "value": "other"}]}, node("a", taints=[TAINT]),
     "taint kdebug.io/lab-dedicated=tools:NoSchedule not tolerated"),
    ({"tolerations": [{"operator": "Exists"}]}, node("a", taints=[TAINT]), None),
    ({"nodeSelector": {"disk": "ssd"}}, node("a"), "nodeSelector disk=ssd does not match"),
    ({"nodeSelector": {"disk": "ssd"}}, node("a", labels={"disk": "ssd"}), None),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]}]}}}},
     node("a"), "required node affinity does not select it"),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["z1"]}]}]}}}},
     node("a", labels={"zone": "z2"}), None),
])
def test_why_not(spec, the_node, why):
    assert P.why_not(spec, the_node) == why


def test_the_daemonset_pin_goes_and_the_users_terms_stay():
    terms = [{"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]}],
              "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]},
             {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]
    assert P.unpin_terms(terms) == [{"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]}]}]
    assert P.unpin_terms(terms[1:]) is None


def test_avoid_node_adds_the_requirement_to_every_term():
    spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]}]}, {"matchFields": []}]}}}}
    P.avoid_node(spec, "n1")
    terms = P.required_terms(spec)
    assert all({"key": "metadata.name", "operator": "NotIn", "values": ["n1"]} in t["matchFields"] for t in terms)
    assert not P.term_matches(terms[0], node("n1", labels={"os": "linux"}))
    assert P.term_matches(terms[0], node("n2", labels={"os": "linux"}))
    empty = {}
    P.avoid_node(empty, "n1")
    assert P.required_terms(empty) == [{"matchFields": [{"key": "metadata.name", "operator": "NotIn",
                                                         "values": ["n1"]}]}]
