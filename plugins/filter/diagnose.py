# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which runbooks the diagnose role runs for a pod, from the triage role's view of it.

Pure: the diagnose role passes ``triage_pod_info`` (the pod summary of
kdebug_triage) and the runbooks the user asked for. Per-filter documentation
lives in plugins/filter/diagnose_runbooks.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

RUNBOOKS = ("triage", "dns", "network", "crashloop", "capture")
# Waiting reasons that mean "it ran and died", as opposed to "it never started".
CRASH_REASONS = ("CrashLoopBackOff", "RunContainerError")


def container_state(container):
    """(kind, reason) of a container summary: kind is running, waiting, terminated or None.

    Takes both the API's shape (``state: {waiting: {reason: ...}}``) and a
    flattened one (``state: waiting, reason: ...``).
    """
    state = container.get("state")
    if isinstance(state, Mapping):
        kind = next((k for k in ("running", "waiting", "terminated") if k in state), None)
        detail = state.get(kind) or {} if kind else {}
        return kind, detail.get("reason") if isinstance(detail, Mapping) else None
    return state, container.get("reason") or container.get("state_reason")


# A running container that has already died this many times after a non-zero exit is crash-looping, just
# caught between two crashes: DNS and network checks would find it gone, a fork can replay it.
CRASH_RESTARTS = 2


def _crashing(container):
    kind, reason = container_state(container)
    exit_code = (container.get("last_termination") or {}).get("exit_code")
    if kind == "running":
        return (container.get("restart_count") or 0) >= CRASH_RESTARTS and exit_code not in (None, 0)
    if kind == "waiting" and reason in CRASH_REASONS:
        return True
    if kind == "terminated":
        return reason not in ("Completed",) or bool(exit_code)
    return bool(container.get("restart_count")) and exit_code not in (None, 0)


def _pick(pod_info, container):
    containers = list(pod_info.get("containers") or [])
    for candidate in containers:
        if candidate.get("name") == container:
            return candidate
    default = pod_info.get("default_container")
    for candidate in containers:
        if candidate.get("name") == default:
            return candidate
    return containers[0] if containers else {}


def diagnose_runbooks(pod_info, requested=None, container=None):
    """The runbooks to run, in order, triage first.

    ``requested`` (names, or a comma-separated string) wins; otherwise by
    state: a crash-looping or failed target container (or init container the pod is stuck on) gets crashloop, a
    running one dns and network, anything else (Pending, say) triage only.
    """
    if isinstance(requested, str):
        requested = [part.strip() for part in requested.split(",") if part.strip()]
    requested = list(requested or [])
    unknown = [name for name in requested if name not in RUNBOOKS]
    if unknown:
        raise AnsibleFilterError("unknown runbook(s) %s: choose from %s" % (", ".join(unknown), ", ".join(RUNBOOKS)))
    if requested:
        return [name for name in RUNBOOKS if name in requested or name == "triage"]
    if not isinstance(pod_info, Mapping) or not pod_info:
        return ["triage"]
    target = _pick(pod_info, container)
    # A pod stuck in init on a crash-looping init container: unless another container was asked for.
    stuck = _crashing_init(pod_info)
    if pod_info.get("phase") == "Failed" or _crashing(target) or (stuck and container in (None, "", stuck)):
        return ["triage", "crashloop"]
    if pod_info.get("phase") == "Running" and container_state(target)[0] == "running":
        return ["triage", "dns", "network"]
    return ["triage"]


def _crashing_init(pod_info):
    """The name of the init container a pod stuck in init crash-loops on (triage's ``init_blocker``), else None."""
    blocker = pod_info.get("init_blocker") if isinstance(pod_info, Mapping) else None
    if isinstance(blocker, Mapping) and blocker.get("crash_looping"):
        return blocker.get("name")
    return None


def fork_container(pod_info, container=None):
    """The container the crashloop runbook forks: ``container`` when given, else the init container a pod stuck in
    init crash-loops on (triage's ``init_blocker``), else None (kdebug_fork's default)."""
    return container or _crashing_init(pod_info)


def service_endpoints(service_ports, namespace, cluster_domain="cluster.local"):
    """``host:port`` for each TCP port of the pod's Services (``{service: [ports]}``), by in-cluster name."""
    endpoints = []
    for service in sorted(service_ports or {}):
        for port in service_ports[service] or []:
            number = port.get("port") if isinstance(port, Mapping) else port
            protocol = (port.get("protocol") or "TCP") if isinstance(port, Mapping) else "TCP"
            if number and protocol == "TCP":
                endpoints.append("%s.%s.svc.%s:%s" % (service, namespace, cluster_domain, number))
    return endpoints


def created_agent_nodes(exec_results):
    """Nodes whose agent pod a kdebug_exec run created (``agent_pod.created``): the ones to remove afterwards."""
    nodes = []
    for result in exec_results or []:
        agent = (result or {}).get("agent_pod") if isinstance(result, Mapping) else None
        if isinstance(agent, Mapping) and agent.get("created") and agent.get("node") not in nodes:
            nodes.append(agent["node"])
    return nodes


class FilterModule(object):
    """kdebug.toolkit diagnose filters."""

    def filters(self):
        return {"diagnose_runbooks": diagnose_runbooks, "service_endpoints": service_endpoints,
                "fork_container": fork_container,
                "created_agent_nodes": created_agent_nodes}
