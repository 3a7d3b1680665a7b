# -*- coding: utf-8 -*-
"""fleet_plan: a fleet run's check-mode plan, per target and per agent."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.filter.fleet import fleet_plan


def agent_result(pod, node, agent, would_create, namespace="shop", agent_namespace="kdebug-system"):
    return {"host": "%s/%s" % (namespace, pod), "failed": False, "strategy": "agent",
            "target": {"namespace": namespace, "pod": pod, "container": "app", "node": node},
            "plan": {"agent_pod": agent, "agent_namespace": agent_namespace, "node": node,
                     "would_create": would_create, "argv": ["true"]}}


def test_agents_grouped_per_node_with_the_pods_they_would_reach():
    plan = fleet_plan([agent_result("a", "n1", "kdebug-agent-n1", True),
                       agent_result("b", "n2", "kdebug-agent-n2", False),
                       agent_result("c", "n1", "kdebug-agent-n1", True)])
    assert [(a["node"], a["would_create"], a["pods"]) for a in plan["agents"]] == [
        ("n1", True, ["shop/a", "shop/c"]), ("n2", False, ["shop/b"])]
    assert plan["errors"] == [] and plan["debug_containers_to_create"] == 0
    assert plan["lines"][0].startswith("check mode: 3 target(s), 1 agent(s) to create, 1 reused, 0 debug")
    assert "agent kdebug-system/kdebug-agent-n1 on node n1 (to create) would reach 2 pod(s): shop/a, shop/c" \
        in plan["lines"]
    assert [t["via"] for t in plan["targets"]] == ["agent kdebug-system/kdebug-agent-n1",
                                                   "agent kdebug-system/kdebug-agent-n2",
                                                   "agent kdebug-system/kdebug-agent-n1"]


def test_debug_containers_failures_and_hosts_that_did_not_run():
    ephemeral = {"strategy": "ephemeral", "target": {"namespace": "shop", "pod": "web", "node": "n1"},
                 "plan": {"debug_container": "kdebug-1234", "would_create": True}}
    failed = {"host": "shop/gone", "failed": True, "msg": "pod gone not found in namespace shop",
              "target": {"namespace": "shop", "pod": "gone"}}
    plan = fleet_plan([ephemeral, failed, {}, None, {"skipped": True}])
    assert plan["debug_containers_to_create"] == 1 and plan["agents"] == []
    assert plan["errors"] == [{"host": "shop/gone", "msg": "pod gone not found in namespace shop"}]
    assert plan["lines"] == [
        "check mode: 2 target(s), 0 agent(s) to create, 0 reused, 1 debug container(s) to create, 1 target(s) that "
        "could not be planned",
        "shop/web: debug container kdebug-1234 on node n1 (to create)",
        "shop/gone: cannot be planned: pod gone not found in namespace shop"]


def test_nothing_to_plan():
    assert fleet_plan(None)["lines"] == ["check mode: 0 target(s), 0 agent(s) to create, 0 reused, 0 debug "
                                         "container(s) to create, 0 target(s) that could not be planned"]
