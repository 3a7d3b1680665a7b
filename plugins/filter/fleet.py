# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fleet helpers: the kdebug_exec targets of a play's hosts, and the plan of a check-mode run (docs:
plugins/filter/fleet_targets.yml, fleet_plan.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def fleet_targets(hosts_vars, hosts=None):
    """[{namespace, pod, container, host}] from the host vars of kdebug.toolkit.pods inventory hosts, and
    [{node, host}] from those of kdebug.toolkit.nodes hosts (which have a kdebug_node and no kdebug_pod).

    ``hosts_vars`` is a list of host variable mappings (``ansible_play_hosts | map('extract', hostvars)``);
    ``hosts`` their names, else each mapping's ``inventory_hostname``.
    """
    targets = []
    for index, host_vars in enumerate(hosts_vars or []):
        host = hosts[index] if hosts else (host_vars or {}).get("inventory_hostname") if isinstance(
            host_vars, Mapping) else None
        if isinstance(host_vars, Mapping) and not host_vars.get("kdebug_pod") and host_vars.get("kdebug_node"):
            targets.append({"node": host_vars["kdebug_node"], "host": host})
            continue
        if not isinstance(host_vars, Mapping) or not host_vars.get("kdebug_pod"):
            raise AnsibleFilterError("host %s has no kdebug_pod nor kdebug_node: fleet targets come from a "
                                     "kdebug.toolkit.pods or kdebug.toolkit.nodes inventory (-i <file>.kdebug_pods.yml, "
                                     "-i <file>.kdebug_nodes.yml)" % (host or "#%d" % index))
        targets.append({"namespace": host_vars.get("kdebug_namespace") or "default", "pod": host_vars["kdebug_pod"],
                        "container": host_vars.get("kdebug_container") or None, "host": host})
    return targets


def _plan_target(result):
    """One target's line of the plan, from its kdebug_exec check-mode result (batch or single)."""
    target = result.get("target") or {}
    plan = result.get("plan") or {}
    entry = {"host": result.get("host") or "%s/%s" % (target.get("namespace"), target.get("pod")),
             "namespace": target.get("namespace"), "pod": target.get("pod"), "container": target.get("container"),
             "node": target.get("node") or plan.get("node"), "strategy": result.get("strategy"),
             "would_create": bool(plan.get("would_create"))}
    if result.get("failed") or not plan:
        entry["error"] = result.get("msg") or "no plan: the target could not be resolved"
    elif plan.get("agent_pod"):
        entry["via"] = "agent %s/%s" % (plan.get("agent_namespace"), plan["agent_pod"])
    else:
        entry["via"] = "debug container %s" % plan.get("debug_container")
    return entry


def fleet_plan(exec_results):
    """What a fleet run in check mode would do: per target, where its command would run; per node, the agent.

    ``exec_results`` are kdebug_exec check-mode results: the ``results`` of one call with ``targets`` (agent
    strategy) or one result per pod (ephemeral); missing or empty ones are left out. Returns ``targets`` (host,
    namespace, pod, container, node, strategy, via, would_create, or error), ``agents`` (per agent pod: node,
    agent_namespace, agent_pod, would_create, the pods it would reach), ``debug_containers_to_create``, ``errors``
    and ``lines`` (the same, as text for a debug task).
    """
    targets, agents = [], {}
    for result in exec_results or []:
        if not isinstance(result, Mapping) or not (result.get("plan") or result.get("failed")):
            continue
        entry = _plan_target(result)
        targets.append(entry)
        plan = result.get("plan") or {}
        if plan.get("agent_pod") and "error" not in entry:
            key = (plan.get("agent_namespace"), plan["agent_pod"])
            agent = agents.setdefault(key, {"node": plan.get("node"), "agent_namespace": key[0], "agent_pod": key[1],
                                            "would_create": bool(plan.get("would_create")), "pods": []})
            agent["pods"].append("%s/%s" % (entry["namespace"], entry["pod"]))
    agent_list = [agents[key] for key in sorted(agents, key=lambda k: (k[0] or "", k[1]))]
    errors = [{"host": t["host"], "msg": t["error"]} for t in targets if "error" in t]
    debug_containers = sum(1 for t in targets if t["would_create"] and "error" not in t and not
                           (t.get("via") or "").startswith("agent "))
    lines = ["check mode: %d target(s), %d agent(s) to create, %d reused, %d debug container(s) to create, "
             "%d target(s) that could not be planned"
             % (len(targets), sum(1 for a in agent_list if a["would_create"]),
                sum(1 for a in agent_list if not a["would_create"]), debug_containers, len(errors))]
    for agent in agent_list:
        lines.append("agent %s/%s on node %s (%s) would reach %d pod(s): %s"
                     % (agent["agent_namespace"], agent["agent_pod"], agent["node"],
                        "to create" if agent["would_create"] else "exists, reused", len(agent["pods"]),
                        ", ".join(agent["pods"])))
    for entry in targets:
        if "error" in entry:
            lines.append("%s: cannot be planned: %s" % (entry["host"], entry["error"]))
        elif not entry["via"].startswith("agent "):
            state = "to create" if entry["would_create"] else "exists, reused"
            lines.append("%s: %s on node %s (%s)" % (entry["host"], entry["via"], entry["node"], state))
    return {"targets": targets, "agents": agent_list, "debug_containers_to_create": debug_containers,
            "errors": errors, "lines": lines}


class FilterModule(object):
    """kdebug.toolkit fleet filters."""

    def filters(self):
        return {"fleet_targets": fleet_targets, "fleet_plan": fleet_plan}
