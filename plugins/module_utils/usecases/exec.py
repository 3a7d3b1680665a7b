# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What kdebug_exec does: resolve the target, choose a strategy, run, shape the result.

``changed`` is true only when kdebug created a tools container or an agent: a
diagnostic command is not a change (use ``changed_when`` for one that is).
With ``targets``, the same command runs in every target through the node
agents (strategies/batch.py), and the result holds one exec result per target.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import options, rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ImagePullError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import AccessProbe
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import read_node, read_pod
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.pull_secrets import PullSecrets
from ansible_collections.kdebug.toolkit.plugins.module_utils.nodes import not_ready_problem
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    check_joinable, choose_container, mirror_pod_refusal)
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import exec_result, outcome_failure, plan_result
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.choose import (
    choose_strategy, when_mirror_pod, when_no_profile_admitted)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import batch
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import pull_secrets as pull
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.ephemeral import GenerationBudgetSpent


def command_options():
    """What to run and how: shared by a single target and a batch (``targets``)."""
    return dict(
        command=dict(type="list", elements="str"),
        shell=dict(type="str"),
        stdin=dict(type="str"),
        # Secrets welcome: never in the exec URL nor an argv (strategies/base.py ENV_READER), hidden from the invocation.
        env=dict(type="dict", default={}, no_log=True),
        timeout=dict(type="int", default=60),
        max_output_bytes=dict(type="int", default=1048576),
        chroot=dict(type="bool", default=False),
    )


def argument_spec():
    spec = options.module_spec(
        options.target_options(pod_required=False), options.tools_image_options(), options.lifetime_options(),
        options.agent_namespace_option(), options.audit_options(), command_options(),
        node=dict(type="str"),
        targets=dict(type="list", elements="dict", options=dict(
            pod=dict(type="str"), node=dict(type="str"), namespace=dict(type="str"), container=dict(type="str"),
            host=dict(type="str"))),
        docker_container=dict(type="str"),
        docker_host=dict(type="str"),
        strategy=dict(type="str", default="auto", choices=["auto", "ephemeral", "agent", "docker"]),
        profile=dict(type="str", choices=list(options.PROFILES)),
        # Unset: each target kind's default (transforms/agent.py join_namespaces): a pod's, or a node's (with mnt).
        join_namespaces=dict(type="list", elements="str", choices=list(options.LINUX_NAMESPACES)),
    )
    # Before 1.0 the Linux namespaces were `namespaces`, a word that means Kubernetes namespaces elsewhere.
    options.deprecated_alias(spec, "join_namespaces", "namespaces")
    return spec


TARGET_KINDS = ("pod", "docker_container", "node", "targets")
MODULE_KWARGS = dict(mutually_exclusive=[("command", "shell"), TARGET_KINDS],
                     required_one_of=[("command", "shell"), TARGET_KINDS])
# Why a node target runs through the agent.
NODE_REASON = ("node %s: a node target runs through the node's privileged agent (nsenter into the host's namespaces), "
               "the only strategy that reaches a node")


def exec_spec(params):
    options.require_command(params)
    return ExecSpec(command=params["command"], shell=params["shell"], stdin=params["stdin"], env=params["env"],
                    timeout=params["timeout"], max_output_bytes=params["max_output_bytes"], chroot=params["chroot"])


def docker_strategy(module):
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker as docker_strategy_module  # pylint: disable=import-outside-toplevel
    params = module.params
    docker_strategy_module.require_docker("the docker strategy (docker_container)")
    return docker_strategy_module.DockerStrategy(
        docker_host=params["docker_host"], container=params["docker_container"], image=params["image"],
        pull_policy=params["image_pull_policy"], requester=module.requested_by(), reason=module.reason(),
        ttl_seconds=params["ttl_seconds"], run_id=module.run()["id"]), "requested"


def kube_strategy(module):
    params = module.params
    client = module.kube()
    namespace = params["namespace"]
    probe = AccessProbe(client)
    served = probe.ephemeral_served() if params["strategy"] == "auto" else True
    name, reason = choose_strategy(params["strategy"], served, probe.allowed, namespace, params["agent_namespace"])
    if name == "docker":
        raise OptionError("strategy docker targets docker_container on a Docker engine, not a pod: set "
                          "docker_container (and docker_host), or use strategy auto, ephemeral or agent for pod %s."
                          % params["pod"])
    # The one pre-check of a single-target strategy: before anything is created (auto asked these already).
    if name == "ephemeral":
        probe.require(rights.ephemeral(namespace), "add a debug container to pod %s/%s" % (namespace, params["pod"]))
    else:
        probe.require(agent_rights(params, namespace),
                      "reach pod %s/%s through the node agent" % (namespace, params["pod"]))
    pod = read_pod(client, namespace, params["pod"])
    container = choose_container(pod, params["container"])
    check_joinable(pod, container)
    if name == "ephemeral" and mirror_pod_refusal(pod):
        name, reason = when_mirror_pod(params["strategy"], probe.allowed, namespace, params["agent_namespace"],
                                       mirror_pod_refusal(pod))
    if name == "ephemeral":
        name, reason = ephemeral_or_agent(client, pod, params, probe, reason)
    if name == "ephemeral":
        from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import ephemeral  # pylint: disable=import-outside-toplevel
        try:
            profile = params["profile"]
            if profile is None:
                profile, why = ephemeral.choose_profile(client, pod, container, params["image"],
                                                        params["image_pull_policy"], params["ttl_seconds"])
                if profile is None:
                    name, reason = when_no_profile_admitted(params["strategy"], probe.allowed, namespace,
                                                            params["agent_namespace"], why)
                else:
                    reason = "%s; %s" % (reason, why)
            if name == "ephemeral":
                return ephemeral.EphemeralStrategy(
                    client, pod, container, params["image"], module.requested_by(), module.reason(),
                    params["image_pull_policy"], profile, params["ttl_seconds"], params["wait_timeout"],
                    module.check_mode, params["timeout"]), reason
        except GenerationBudgetSpent as spent:
            if params["strategy"] != "auto":
                raise
            # The pod can take no more debug containers: the agent serves it, when the caller may run one.
            name, reason = choose_strategy("auto", served, probe.allowed, namespace, params["agent_namespace"],
                                           ephemeral_unusable=spent.why)
            module.warn("%s: using strategy agent." % spent.why)
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.agent import AgentStrategy  # pylint: disable=import-outside-toplevel
    return AgentStrategy(client, pod, container, desired_agent(module, pod["spec"]["nodeName"]),
                         agent_spec.join_namespaces(params["join_namespaces"]), params["wait_timeout"],
                         module.check_mode, params["timeout"], agent_pull_secrets(params)), reason


def node_strategy(module):
    """(strategy, reason) for a node target: the agent strategy in the node's host namespaces."""
    params = module.params
    node = params["node"]
    if params["strategy"] not in ("auto", "agent"):
        raise OptionError("node %s is a node, not a pod: strategy %s cannot reach it (%s). Use strategy auto or agent: "
                          "the node's agent runs the command in the host's namespaces." % (
                              node, params["strategy"], "ephemeral adds a debug container to a pod"
                              if params["strategy"] == "ephemeral" else "docker targets a Docker container"))
    if params["container"]:
        raise OptionError("container %s is a pod's: node %s is a node, whose host namespaces the command enters. "
                          "Remove container, or give the pod instead of node." % (params["container"], node))
    client = module.kube()
    AccessProbe(client).require(node_rights(params), "run a command on node %s through its agent" % node)
    problem = not_ready_problem(read_node(client, node))
    if problem:
        module.warn("%s: its agent may not start or answer (kubectl describe node %s)." % (problem, node))
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.agent import NodeAgentStrategy  # pylint: disable=import-outside-toplevel
    return NodeAgentStrategy(client, node, desired_agent(module, node),
                             agent_spec.join_namespaces(params["join_namespaces"], node_target=True),
                             wait_timeout=params["wait_timeout"], check_mode=module.check_mode,
                             timeout=params["timeout"], pull_secrets=agent_pull_secrets(params)), (
        "requested" if params["strategy"] == "agent" else NODE_REASON % node)


def agent_rights(params, namespace=None):
    """The agent's rights, and the caller's own in the target's ``namespace`` (a batch checks each of its
    namespaces itself): the agent never reaches further than the caller could. Leaving the target's pid namespace
    (join_namespaces without pid: every process of the node in view) needs the node-wide right."""
    needed = rights.reach_target(namespace) if namespace else []
    needed += rights.agent(params["agent_namespace"])
    if "pid" not in agent_spec.join_namespaces(params["join_namespaces"]):
        needed += rights.node_wide()
    return needed


def node_rights(params):
    """A node target's rights (rights.node): the agent's, and the node-wide right, whatever join_namespaces says."""
    return rights.node(params["agent_namespace"])


def ephemeral_pull_gap(client, pod, params):
    """Why the target pod's own imagePullSecrets cannot pull the tools image for a debug container (None: they can).
    The pod's secrets are read only when their names do not settle it."""
    image, wanted = params["image"], params["image_pull_secrets"]
    if not pull.pulls(params["image_pull_policy"]):
        return None  # never pulled: the secrets are not used
    gap = pull.ephemeral_pull_gap(pod, image, wanted)
    if gap:
        gap = pull.ephemeral_pull_gap(pod, image, wanted, PullSecrets(client, image).pod_secrets(pod))
    return gap


def ephemeral_or_agent(client, pod, params, probe, reason):
    """(strategy, reason) once the pull secrets are weighed, before the pod is changed: ephemeral when the pod's
    own secrets can pull the tools image; else, with strategy auto, the agent when the caller may use it; else an
    ImagePullError that says why."""
    gap = ephemeral_pull_gap(client, pod, params)
    if not gap:
        return "ephemeral", reason
    agent_namespace = params["agent_namespace"]
    if params["strategy"] == "auto" and all(probe.allowed(r) for r in agent_rights(params, params["namespace"])):
        return "agent", ("%s; the agent pulls it with image_pull_secrets, and the caller may run it in namespace %s"
                         % (gap, agent_namespace))
    raise ImagePullError(
        "%s. Nothing was changed. Use strategy agent (it pulls with image_pull_secrets), add the secrets to the pod's "
        "imagePullSecrets (or its ServiceAccount's), or use a tools image the node can pull without them." % gap,
        registry=pull.registry_of(params["image"]), image=params["image"],
        image_pull_secrets=list(params["image_pull_secrets"]))


def desired_agent(module, node):
    """The agent pod the options ask for on ``node``."""
    params = module.params
    return agent_spec.desired_agent(node, params["agent_namespace"], params["image"], params["ttl_seconds"],
                                    module.requested_by(), module.reason(), params["image_pull_policy"],
                                    params["image_pull_secrets"], run=module.run())


def agent_pull_secrets(params):
    """How the agents get image_pull_secrets (AgentManager keywords): copied from the target's namespace, or not."""
    return dict(pull_secrets_mode=params["image_pull_secrets_mode"], pull_secrets_from=params["namespace"])


def run_batch(module, spec, started):
    """kdebug_exec with ``targets``: one exec result per target, in their order, and a summary."""
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.batch import BatchStrategy  # pylint: disable=import-outside-toplevel
    params = module.params
    if params["strategy"] not in ("auto", "agent"):
        raise OptionError("targets run through the node agents (one exec per node for all of its targets): strategy "
                          "must be auto or agent, not %s. For the %s strategy, loop over the pods with one "
                          "kdebug_exec task per pod." % (params["strategy"], params["strategy"]))
    targets = batch.normalize_targets(params["targets"], params["namespace"], params["container"])
    # The batch's pre-check, before any agent is created: the agents' rights here, each target namespace's in
    # BatchStrategy.prepare (a namespace the caller may not reach fails its targets only).
    probe = AccessProbe(module.kube())
    needed = agent_rights(params)
    if any(t["node"] for t in targets):
        needed += [r for r in node_rights(params) if r not in needed]
    probe.require(needed, "run a command through the node agents in namespace %s" % params["agent_namespace"])
    strategy = BatchStrategy(module.kube(), targets, lambda node: desired_agent(module, node),
                             params["join_namespaces"], params["wait_timeout"], module.check_mode, probe,
                             agent_pull_secrets(params))
    results = strategy.plan(spec) if module.check_mode else strategy.run(spec, progress=module.progress)
    for warning in strategy.warnings:
        module.warn(warning)
    result = dict(changed=any(r.get("changed") for r in results), results=results,
                  summary=batch.batch_summary(results), strategy=strategy.name, strategy_reason=batch.STRATEGY_REASON,
                  duration_ms=int((time.monotonic() - started) * 1000))
    if module.check_mode:
        result["msg"] = "check mode: nothing was created or run"
    return result


def run_exec(module):
    """Do what kdebug_exec is asked: the documented result."""
    params = module.params
    started = time.monotonic()
    spec = exec_spec(params)
    module.hide_in_invocation_only("env")
    if params["targets"] is not None:
        return run_batch(module, spec, started)
    if params["docker_container"]:
        if params["strategy"] not in ("auto", "docker"):
            raise OptionError("docker_container runs on a Docker engine: strategy must be auto or docker, not %s."
                              % params["strategy"])
        strategy, reason = docker_strategy(module)
    elif params["node"]:
        strategy, reason = node_strategy(module)
    else:
        strategy, reason = kube_strategy(module)
    if module.check_mode:
        return plan_result(strategy.plan(spec), strategy.name, reason, strategy.target())
    changed = strategy.prepare()
    for warning in strategy.warnings:
        module.warn(warning)
    outcome = strategy.run(spec)
    result = exec_result(outcome.rc, outcome.stdout, outcome.stderr, (time.monotonic() - started) * 1000,
                         strategy.name, reason, strategy.target(), timed_out=outcome.timed_out, changed=changed,
                         **strategy.handle())
    result.update(outcome_failure(outcome))
    return result
