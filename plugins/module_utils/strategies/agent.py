# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Agent strategy: nsenter from the node's privileged agent into the target's host pid (or, for a node target, the
node's host process).

The target's host pid is found by the cgroup that names its container id
(procfs.py), which works for containerd, CRI-O and Docker alike. Shell-less
targets work: every binary comes from the agent's tools image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import settled_loss
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.nodes import node_target
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import life_needed, ttl_warning
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec


class AgentStrategy(Strategy):
    name = "agent"

    def __init__(self, client, pod, container, desired_agent, namespaces=agent_spec.DEFAULT_JOIN_NAMESPACES,
                 wait_timeout=120, check_mode=False, timeout=None, pull_secrets=None):
        self.client = client
        self.pod = pod
        self.container = container
        self.desired = desired_agent
        self.namespaces = list(namespaces)
        self.wait_timeout = wait_timeout
        # pull_secrets: AgentManager's pull_secrets_mode and pull_secrets_from
        self.manager = AgentManager(client, desired_agent["metadata"]["namespace"], check_mode, **(pull_secrets or {}))
        self.agent_pod = None
        self.created = False
        self.pid = None
        self.process = None
        ttl_seconds = desired_agent["spec"]["activeDeadlineSeconds"]
        self.needed_seconds = life_needed(timeout, ttl_seconds)  # of the agent's TTL, for it to be reused
        warning = ttl_warning(timeout, ttl_seconds, "agent")
        self.warnings = [warning] if warning else []

    def plan(self, spec):
        existing = self.manager.read(self.desired["spec"]["nodeName"])
        return agent_spec.exec_plan(self.desired, existing, spec, self.namespaces, time.time())

    def prepare(self):
        self.agent_pod, self.created = self.manager.ensure(self.desired, wait=True, wait_timeout=self.wait_timeout,
                                                           needed_seconds=self.needed_seconds)
        if self.manager.note:
            self.warnings.append(self.manager.note)
        self.pid = self._find_pid()
        return self.created

    def _find_pid(self):
        raw_id = procfs.raw_container_id(self.pod, self.container)
        self.process = self.manager.find_processes(self.agent_pod, [raw_id], timeout=30)[raw_id]
        if self.process is None:
            raise KdebugError(procfs.no_process_message(self.container, raw_id, self.pod["spec"].get("nodeName")))
        return self.process["pid"]

    def run(self, spec):
        argv = agent_spec.target_argv(spec, self.pid, agent_spec.target_root(self.process, self.namespaces),
                                      self.namespaces)
        outcome = self.manager.exec(self.agent_pod, spec.outer_argv(argv), stdin=spec.stdin_data(), timeout=spec.timeout,
                                    max_output_bytes=spec.max_output_bytes)
        if outcome.may_be_lost():
            lost = self.manager.loss(self.agent_pod) or self._target_lost()
            if lost:
                outcome.lose(*lost)
        return outcome

    def _target_lost(self):
        """(what, why) when the target ended under the command (kube/objects.py settled_loss), else None."""
        return settled_loss(self.client, self.pod, self.container)

    def target(self):
        info = target_info(self.pod, self.container)
        info["pid"] = self.pid
        return info

    def handle(self):
        return {"debug_container": None,
                "agent_pod": agent_spec.agent_summary(self.agent_pod, self.created, time.time())}


class NodeAgentStrategy(AgentStrategy):
    """The agent strategy for a node target (kdebug_exec ``node``): the command runs in the node's host namespaces.

    Like ``kubectl debug node/<node>`` and kubectl-node-shell, but through the node's agent: nsenter into the node's
    host process (pid 1, else the node's kubelet: procfs.HOST_PROCESS_SCRIPT) with ``namespaces`` (default
    transforms/agent.py DEFAULT_NODE_JOIN_NAMESPACES). The host's root filesystem is that process's
    ``/proc/<pid>/root``: KDEBUG_TARGET_ROOT, and what ``chroot`` enters.
    """

    def __init__(self, client, node, desired_agent, namespaces=agent_spec.DEFAULT_NODE_JOIN_NAMESPACES, **kwargs):
        super(NodeAgentStrategy, self).__init__(client, None, None, desired_agent, namespaces, **kwargs)
        self.node = node

    def _find_pid(self):
        self.process = self.manager.find_host_process(self.agent_pod)
        return self.process["pid"]

    def _target_lost(self):
        return None  # a node does not end under a command: only its agent can (AgentStrategy.run checks that)

    def target(self):
        return node_target(self.node, self.pid)
