# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The agent strategy for a batch of targets (kdebug_exec ``targets``): one agent exec per node.

A kdebug_exec call per pod costs an Ansible task, an API read and an exec round
trip each; over a fleet that adds up to more than a sequential loop of
``kubectl debug``. Here one call reads the pods (one list per namespace),
ensures one agent per node, finds every target's host pid with one /proc scan
per node, and runs the command in all of that node's targets at once from one
exec (transforms/batch.py DRIVER_SCRIPT), each target's output framed so
outputs cannot mix. Nodes are served in parallel, each from its agent's start
to its last frame, so a node whose agent is slow to start holds up no other.

Each target runs exactly the argv the agent strategy runs for one target
(strategies/agent.py), so every exec option means the same for a batch. A node
target (``{node: ...}``) runs in its node's host process, found with one more
/proc scan, from a driver exec of its own (its default join_namespaces differ). A
target that cannot run (missing, not running, no process found, its node's
agent refused) gets an error result naming why; the others still run. Only a
failure to reach the API at all fails the whole call. A target whose command
ended by a signal or without a frame is checked as a single target's is
(strategies/agent.py): its node's agent gone, its pod deleted or its container
stopped is a failure ``error_class=lost`` naming it, never the signal's exit code.

Against the strategies/base.py interface: ``plan`` and ``run`` return one
result per target (in the order of the targets) instead of one outcome, and
``prepare`` reads the targets; the agents are ensured in ``run``, node by node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs, rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiProxyError, ApiTlsError, ApiUnauthorized, ApiUnreachable, ConfigError, KdebugError, MissingLibrary)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import (
    list_pods, pod_not_found, read_node, settled_loss)
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.nodes import node_target, not_ready_problem
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import check_joinable, choose_container, target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import life_needed
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import batch

# Failures that say the API cannot be used at all: the call fails, rather than every target one by one.
UNUSABLE_API = (ApiUnreachable, ApiTlsError, ApiProxyError, ApiUnauthorized, ConfigError, MissingLibrary)
# Seconds the driver's exec may outlast the command's own timeout: the targets' `timeout -k 2`, then the framing.
DRIVER_GRACE_SECONDS = 30
# Targets of one node whose loss is settled at once (each is a read and a watch of its pod, for up to
# kube/objects.py LOSS_SETTLE_SECONDS): a command that kills itself in a hundred targets costs seconds, not minutes.
LOSS_THREADS = 8


def in_parallel(work, items, workers):
    """``work(item)`` for every item, on up to ``workers`` threads; the first exception is raised here, in the
    caller's thread (no item is started after it)."""
    pending, errors = list(reversed(items)), []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending or errors:
                    return
                item = pending.pop()
            try:
                work(item)
            except Exception as exc:  # pylint: disable=broad-except  # raised below, in the caller's thread
                with lock:
                    errors.append(exc)
                return
    threads = [threading.Thread(target=worker) for _n in range(min(len(items), workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class Member(object):
    """A target that can be joined: its place in the batch, its pod and container, the id its cgroups name."""

    def __init__(self, index, target, pod, container):
        self.index = index
        self.target = target
        self.pod = pod
        self.container = container
        self.block = target_info(pod, container)
        self.raw_id = procfs.raw_container_id(pod, container)
        self.node = pod["spec"].get("nodeName")


class NodeMember(object):
    """A node target (``{node: ...}``): the command runs in the node's host namespaces (strategies/agent.py
    NodeAgentStrategy), from the same agent as that node's pod targets."""

    raw_id = None

    def __init__(self, index, target):
        self.index = index
        self.target = target
        self.node = target["node"]
        self.block = node_target(self.node)


class BatchStrategy(Strategy):
    """``targets`` (normalized: transforms/batch.py normalize_targets) through the agents made by ``desired_for(node)``."""

    name = batch.STRATEGY

    def __init__(self, client, targets, desired_for, namespaces=None, wait_timeout=120,
                 check_mode=False, probe=None, pull_secrets=None):
        self.client = client
        self.probe = probe  # kube/access.py AccessProbe: the caller's own rights in each target namespace
        self.pull_secrets = pull_secrets or {}  # AgentManager's pull_secrets_mode and pull_secrets_from
        self.targets = list(targets)
        self.desired_for = desired_for
        # The Linux namespaces a pod target and a node target enter: ``namespaces`` (join_namespaces) for both when
        # given, else each kind's default (transforms/agent.py join_namespaces).
        self.namespaces = {kind: agent_spec.join_namespaces(namespaces, kind) for kind in (False, True)}
        self.warnings = []  # by prepare(): node targets that are NotReady
        self.wait_timeout = wait_timeout
        self.check_mode = check_mode
        self.members = None  # node -> [Member], by prepare()
        self.results = {}  # index -> result, for the targets that cannot run (and, after run(), every target)

    def _manager(self, desired):
        return AgentManager(self.client, desired["metadata"]["namespace"], self.check_mode, **self.pull_secrets)

    def prepare(self):
        """Read the targets' pods (one list per namespace) and group the joinable ones by node; creates nothing."""
        pods, missing = {}, {}
        for namespace in sorted(set(t["namespace"] for t in self.targets if t.get("pod"))):
            try:
                if self.probe is not None:
                    self.probe.require(rights.reach_target(namespace, rights.FLEET_ROLE, "list"),
                                       "reach the targets in namespace %s" % namespace)
                pods[namespace] = list_pods(self.client, namespace)
            except UNUSABLE_API:
                raise
            except KdebugError as err:
                missing[namespace] = err
        self.members = {}
        nodes = {}
        for index, target in enumerate(self.targets):
            if target.get("node"):
                try:
                    self._node_member(index, target, nodes)
                except UNUSABLE_API:
                    raise
                except KdebugError as err:
                    self.results[index] = batch.error_result(target, err.message, err)
                continue
            namespace = target["namespace"]
            pod = pods.get(namespace, {}).get(target["pod"])
            try:
                if namespace in missing:
                    raise missing[namespace]
                if pod is None:
                    raise pod_not_found(self.client, namespace, target["pod"])
                container = choose_container(pod, target.get("container"))
                check_joinable(pod, container)
                member = Member(index, target, pod, container)
            except UNUSABLE_API:
                raise
            except KdebugError as err:
                block = target_info(pod, target.get("container")) if pod is not None else None
                self.results[index] = batch.error_result(target, err.message, err, block)
                continue
            self.members.setdefault(member.node, []).append(member)
        return False

    def _node_member(self, index, target, nodes):
        """Read a node target's node (once per node) and add it to the members, warning when it is NotReady."""
        name = target["node"]
        if name not in nodes:
            nodes[name] = read_node(self.client, name)
            problem = not_ready_problem(nodes[name])
            if problem:
                self.warnings.append("%s: its agent may not start or answer." % problem)
        self.members.setdefault(name, []).append(NodeMember(index, target))

    def plan(self, spec):
        if self.members is None:
            self.prepare()
        results = dict(self.results)
        for node, members in sorted(self.members.items()):
            desired = self.desired_for(node)
            try:
                existing = self._manager(desired).read(node)
                plans = dict((kind, agent_spec.exec_plan(desired, existing, spec, self.namespaces[kind], time.time()))
                             for kind in set(member.raw_id is None for member in members))
            except UNUSABLE_API:
                raise
            except KdebugError as err:
                for member in members:
                    results[member.index] = batch.error_result(member.target, "node %s: %s" % (node, err.message),
                                                               err, member.block)
                continue
            for member in members:
                results[member.index] = batch.plan_result(member.target, plans[member.raw_id is None], member.block)
        return [results[index] for index in range(len(self.targets))]

    def run(self, spec, progress=None):
        """Run ``spec`` in every target, the nodes in parallel; ``progress(line)`` hears of each node as it ends."""
        if self.members is None:
            self.prepare()
        templates = dict((kind, batch.command_template(spec, namespaces)) for kind, namespaces in self.namespaces.items())
        outputs = {}
        lock = threading.Lock()

        def serve(item):
            node, members = item
            started = time.monotonic()
            outputs[node] = self._run_node(node, members, spec, templates)
            if progress is not None:
                with lock:
                    progress(batch.node_progress(node, outputs[node].values(), time.monotonic() - started,
                                                 len(outputs), len(self.members)))
        in_parallel(serve, sorted(self.members.items()), len(self.members))
        results = dict(self.results)
        for node_results in outputs.values():
            results.update(node_results)
        self.results = results
        return [results[index] for index in range(len(self.targets))]

    def _run_node(self, node, members, spec, templates):
        """{index: result} for the members on ``node``: its agent, one /proc scan, one driver exec per kind of target
        (pods, the node itself: ``templates`` by kind)."""
        started = time.monotonic()
        desired = self.desired_for(node)
        manager = self._manager(desired)
        results, summary = {}, None
        try:
            agent_pod, created = manager.ensure(desired, wait=True, wait_timeout=self.wait_timeout,
                                                needed_seconds=life_needed(spec.timeout, desired["spec"]["activeDeadlineSeconds"]))
            if manager.note:
                self.warnings.append(manager.note)  # it replaced an agent (the single target's warning, as is)
            summary = agent_spec.agent_summary(agent_pod, created, time.time())
            runnable = {}  # kind (node target or not) -> [(member, process)]
            pod_members = [m for m in members if m.raw_id is not None]
            processes = manager.find_processes(agent_pod, [m.raw_id for m in pod_members]) if pod_members else {}
            for member in pod_members:
                process = processes.get(member.raw_id)
                if process is None:
                    results[member.index] = batch.error_result(
                        member.target, procfs.no_process_message(member.container, member.raw_id, node),
                        target_block=member.block, agent_pod=summary)
                else:
                    runnable.setdefault(False, []).append((member, process))
            node_members = [m for m in members if m.raw_id is None]
            if node_members:
                try:
                    host = manager.find_host_process(agent_pod)
                    runnable[True] = [(member, host) for member in node_members]
                except UNUSABLE_API:
                    raise
                except KdebugError as err:
                    for member in node_members:
                        results[member.index] = batch.error_result(member.target, err.message, err, member.block,
                                                                   summary)
            for kind, pairs in sorted(runnable.items()):
                results.update(self._exec_driver(manager, agent_pod, node, pairs, spec, templates[kind],
                                                 self.namespaces[kind], started, created))
        except UNUSABLE_API:
            raise
        except KdebugError as err:
            for member in members:
                results.setdefault(member.index, batch.error_result(
                    member.target, "node %s: %s" % (node, err.message), err, member.block, summary))
        return results

    def _exec_driver(self, manager, agent_pod, node, runnable, spec, template, namespaces, started, created):
        """{index: result} of one driver exec in ``agent_pod`` running ``template`` in each (member, process)."""
        exec_started = time.monotonic()
        driver = manager.exec(
            agent_pod, spec.outer_argv(batch.driver_argv(
                template, [(p["pid"], agent_spec.target_root(p, namespaces)) for _m, p in runnable],
                spec.max_output_bytes, spec.stdin is not None)),
            stdin=spec.stdin_data(), timeout=spec.timeout + DRIVER_GRACE_SECONDS,
            max_output_bytes=batch.output_budget(len(runnable), spec.max_output_bytes))
        finished = time.monotonic()
        frames = batch.parse_driver_output(driver.stdout.text(), len(runnable), spec.max_output_bytes)
        driver_error = "%s %s" % (driver.error or "", driver.stderr.text()[-500:])
        outcomes = [batch.frame_outcome(frame, finished - exec_started, spec.timeout, node, driver_error)
                    for frame in frames]
        self._find_losses(manager, agent_pod, [(member, o) for (member, _p), o in zip(runnable, outcomes)])
        # The agent's time left when the commands ended, as a single target's result says it.
        summary = agent_spec.agent_summary(agent_pod, created, time.time())
        return dict((member.index, batch.target_result(member.target, outcome, finished - started,
                                                       dict(member.block, pid=process["pid"]), summary, created))
                    for (member, process), outcome in zip(runnable, outcomes))

    def _find_losses(self, manager, agent_pod, members_outcomes):
        """What a single target's run checks (strategies/agent.py AgentStrategy.run), for each target whose command
        ended by a signal or without an exit code: the node's agent gone (once for the node), else the target's pod
        or container (kube/objects.py settled_loss; a node target has none). Each one lost gets ExecOutcome.lose.
        The targets are settled in parallel: each may wait up to LOSS_SETTLE_SECONDS for the kubelet's word."""
        suspects = [(member, outcome) for member, outcome in members_outcomes if outcome.may_be_lost()]
        if not suspects:
            return
        agent_lost = manager.loss(agent_pod)
        if agent_lost:
            for _member, outcome in suspects:
                outcome.lose(*agent_lost)
            return

        def settle(item):
            member, outcome = item
            lost = settled_loss(self.client, member.pod, member.container)
            if lost:
                outcome.lose(*lost)
        in_parallel(settle, [(m, o) for m, o in suspects if m.raw_id is not None], LOSS_THREADS)

    def target(self):
        """The ``target`` block of each target, in order (once run: with each one's pid)."""
        return [self.results[index]["target"] for index in sorted(self.results)]
