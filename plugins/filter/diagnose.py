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

RUNBOOKS = ("triage", "dns", "network", "crashloop", "capture", "node")
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


def diagnose_runbooks(pod_info, requested=None, container=None, checks=None):
    """The runbooks to run, in order, triage first.

    ``requested`` (names, or a comma-separated string) wins; otherwise by
    state: a crash-looping or failed target container (or init container the pod is stuck on) gets crashloop, a
    running one dns and network, anything else (Pending, say) triage only; and node when triage's ``checks``
    (or the pod itself) point at the pod's node (node_suspicions).
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
    chosen = _by_state(pod_info, container)
    if pod_info.get("node") and node_suspicions(pod_info, checks):
        chosen.append("node")
    return chosen


def _by_state(pod_info, container):
    target = _pick(pod_info, container)
    # A pod stuck in init on a crash-looping init container: unless another container was asked for.
    stuck = _crashing_init(pod_info)
    # A pod the node failed (evicted, shut down, refused at admission) did not crash: there is nothing to replay.
    if pod_info.get("reason") in NODE_POD_REASONS:
        return ["triage"]
    if pod_info.get("phase") == "Failed" or _crashing(target) or (stuck and container in (None, "", stuck)):
        return ["triage", "crashloop"]
    if pod_info.get("phase") == "Running" and container_state(target)[0] == "running":
        return ["triage", "dns", "network"]
    return ["triage"]


# Pod event reasons that the kubelet, the runtime or the node lifecycle controller give when the trouble is the
# node's rather than the pod's: its sandbox cannot be made or killed, it was evicted, the node went away.
NODE_EVENT_REASONS = ("Evicted", "NodeNotReady", "NodeShutdown", "FailedCreatePodSandBox", "FailedKillPod",
                      "ContainerGCFailed", "SystemOOM", "TaintManagerEviction")
# Pod status reasons that name the node as the cause.
NODE_POD_REASONS = ("Evicted", "NodeLost", "NodeShutdown", "Terminated", "UnexpectedAdmissionError",
                    "OutOfcpu", "OutOfmemory", "OutOfpods", "NodeAffinity")


def node_suspicions(pod_info, checks=None):
    """Why the pod's node is suspect, from triage's view (empty when it is not): a failed ``node <condition>``
    check (NotReady, a pressure), the pod's status reason, an Unknown phase, node-side warning events."""
    reasons = []
    for check in checks or []:
        if not isinstance(check, Mapping) or check.get("status") != "fail":
            continue
        name = check.get("name") or ""
        if name.startswith("node ") and name != "node conditions":
            reasons.append(check.get("summary") or name)
        elif name == "pod events":
            found = sorted(r for r in (check.get("details") or {}).get("reasons") or {} if r in NODE_EVENT_REASONS)
            if found:
                reasons.append("the pod's events: %s" % ", ".join(found))
    if isinstance(pod_info, Mapping):
        if pod_info.get("reason") in NODE_POD_REASONS:
            reasons.append("the pod is %s: %s" % (pod_info["reason"], pod_info.get("message") or "no message"))
        if pod_info.get("phase") == "Unknown":
            reasons.append("the pod's phase is Unknown: its node's kubelet stopped reporting")
    return reasons


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
                "fork_container": fork_container, "node_suspicions": node_suspicions,
                "created_agent_nodes": created_agent_nodes}
