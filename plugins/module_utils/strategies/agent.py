# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Agent strategy: nsenter from the node's privileged agent into the target's host pid.

The target's host pid is found by the cgroup that names its container id
(procfs.py), which works for containerd, CRI-O and Docker alike. Shell-less
targets work: every binary comes from the agent's tools image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import exec_in_container, with_timeout
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.agent import (
    DEFAULT_NAMESPACES, nsenter_argv, target_root)
# fleet.py imports NAMESPACE_FLAGS from here (until it imports it from transforms/agent.py).
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.agent import NAMESPACE_FLAGS  # pylint: disable=unused-import


class AgentStrategy(Strategy):
    name = "agent"

    def __init__(self, client, pod, container, desired_agent, namespaces=DEFAULT_NAMESPACES, wait_timeout=120,
                 check_mode=False):
        self.client = client
        self.pod = pod
        self.container = container
        self.desired = desired_agent
        self.namespaces = list(namespaces)
        self.wait_timeout = wait_timeout
        self.manager = AgentManager(client, desired_agent["metadata"]["namespace"], check_mode)
        self.agent_pod = None
        self.created = False
        self.pid = None
        self.process = None

    def plan(self, spec):
        existing = self.manager.read(self.desired["spec"]["nodeName"])
        reuse = bool(existing and agent_spec.why_replace(existing, self.desired) is None)
        inner = spec.inner_argv("/proc/<pid>/root")
        return {"agent_pod": self.desired["metadata"]["name"], "agent_namespace": self.desired["metadata"]["namespace"],
                "would_create": not reuse, "argv": with_timeout(nsenter_argv("<pid>", self.namespaces, inner),
                                                                spec.timeout)}

    def prepare(self):
        self.agent_pod, self.created = self.manager.ensure(self.desired, wait=True, wait_timeout=self.wait_timeout)
        self.pid = self._find_pid()
        return self.created

    def _agent_exec(self, argv, **kwargs):
        return exec_in_container(self.client, self.agent_pod["metadata"]["namespace"],
                                 self.agent_pod["metadata"]["name"], agent_spec.AGENT_CONTAINER, argv, **kwargs)

    def _find_pid(self):
        container_id = target_info(self.pod, self.container)["container_id"]
        try:
            _runtime, raw_id = procfs.split_container_id(container_id)
        except ValueError:
            raise KdebugError("container %s of pod %s/%s has no container id yet: it is not running."
                              % (self.container, self.pod["metadata"]["namespace"], self.pod["metadata"]["name"]))
        outcome = self._agent_exec(["sh", "-c", procfs.PID_SCAN_SCRIPT, "kdebug-pid-scan", raw_id], timeout=30)
        if outcome.rc != 0:
            raise KdebugError("could not scan /proc in agent pod %s: %s %s"
                              % (self.agent_pod["metadata"]["name"], outcome.error or "", outcome.stderr.text()))
        self.process = procfs.find_container_process(procfs.parse_scan(outcome.stdout.text()), raw_id)
        if self.process is None:
            raise KdebugError("no process of container %s (%s) found on node %s: the container may have just "
                              "restarted; try again." % (self.container, raw_id[:12], self.pod["spec"].get("nodeName")))
        return self.process["pid"]

    def run(self, spec):
        inner = spec.inner_argv(target_root(self.process, self.namespaces))
        argv = with_timeout(nsenter_argv(self.pid, self.namespaces, inner), spec.timeout)
        outcome = self._agent_exec(argv, stdin=spec.stdin, timeout=spec.timeout, max_output_bytes=spec.max_output_bytes)
        killed = outcome.rc is None or outcome.rc >= 128  # no status, or ended by a signal
        if killed and not outcome.timed_out and not self._agent_still_there():
            outcome.error = "the agent pod %s went away while the command ran (deleted, or its TTL ended)%s" % (
                self.agent_pod["metadata"]["name"], ": " + outcome.error if outcome.error else "")
            outcome.rc = None
        return outcome

    def _agent_still_there(self):
        pod = self.manager.read(self.desired["spec"]["nodeName"])
        return bool(pod and pod["metadata"]["uid"] == self.agent_pod["metadata"]["uid"]
                    and not pod["metadata"].get("deletionTimestamp"))

    def target(self):
        info = target_info(self.pod, self.container)
        info["pid"] = self.pid
        return info

    def handle(self):
        return {"debug_container": None, "agent_pod": agent_spec.agent_summary(self.agent_pod, self.created)}
