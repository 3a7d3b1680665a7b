# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What kdebug_exec does: resolve the target, choose a strategy, run, shape the result.

``changed`` is true only when kdebug created a tools container or an agent: a
diagnostic command is not a change (use ``changed_when`` for one that is).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import agent as agent_utils
from ansible_collections.kdebug.toolkit.plugins.module_utils import kube_auth, metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import KubeRest
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import exec_result
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.choose import (
    AccessProbe, choose_strategy)
from ansible_collections.kdebug.toolkit.plugins.module_utils.target import (
    check_joinable, choose_container, read_pod)

DEFAULT_IMAGE = "docker.io/nicolaka/netshoot:latest"


def exec_argument_spec():
    spec = kube_auth.auth_argument_spec()
    spec.update(
        pod=dict(type="str"),
        namespace=dict(type="str", default="default"),
        container=dict(type="str"),
        docker_container=dict(type="str"),
        docker_host=dict(type="str"),
        command=dict(type="list", elements="str"),
        shell=dict(type="str"),
        stdin=dict(type="str"),
        env=dict(type="dict", default={}),
        timeout=dict(type="int", default=60),
        max_output_bytes=dict(type="int", default=1048576),
        chroot=dict(type="bool", default=False),
        image=dict(type="str", default=DEFAULT_IMAGE),
        image_pull_secrets=dict(type="list", elements="str", default=[], no_log=False),
        image_pull_policy=dict(type="str", default="IfNotPresent", choices=["Always", "IfNotPresent", "Never"]),
        strategy=dict(type="str", default="auto", choices=["auto", "ephemeral", "agent", "docker"]),
        profile=dict(type="str", default="general",
                     choices=["legacy", "general", "baseline", "restricted", "netadmin", "sysadmin"]),
        namespaces=dict(type="list", elements="str", default=["net", "uts", "ipc", "pid"],
                        choices=["net", "uts", "ipc", "pid", "mnt", "cgroup"]),
        ttl_seconds=dict(type="int", default=3600),
        agent_namespace=dict(type="str", default=agent_utils.DEFAULT_NAMESPACE),
        wait_timeout=dict(type="int", default=120),
        requested_by=dict(type="str"),
        reason=dict(type="str", default="kdebug_exec"),
    )
    return spec


EXEC_MUTUALLY_EXCLUSIVE = [("command", "shell"), ("pod", "docker_container")]
EXEC_REQUIRED_ONE_OF = [("command", "shell"), ("pod", "docker_container")]


POSITIVE_OPTIONS = ("timeout", "max_output_bytes", "ttl_seconds", "wait_timeout")


def require_positive(params, names=POSITIVE_OPTIONS):
    """KdebugError naming the first option of ``names`` that is set and not a positive number."""
    for name in names:
        if params[name] is not None and params[name] <= 0:
            raise KdebugError("%s must be a positive number, got %s." % (name, params[name]))


def exec_spec(params):
    require_positive(params)
    return ExecSpec(command=params["command"], shell=params["shell"], stdin=params["stdin"], env=params["env"],
                    timeout=params["timeout"], max_output_bytes=params["max_output_bytes"], chroot=params["chroot"])


def _docker_strategy(params, requester):
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker as docker_strategy  # pylint: disable=import-outside-toplevel
    if not docker_strategy.HAS_DOCKER:
        raise KdebugError("the docker strategy needs the docker Python library (pip install docker).",
                          exception=docker_strategy.DOCKER_IMPORT_ERROR)
    return docker_strategy.DockerStrategy(
        docker_host=params["docker_host"], container=params["docker_container"], image=params["image"],
        pull_policy=params["image_pull_policy"], requester=requester, reason=params["reason"],
        ttl_seconds=params["ttl_seconds"]), "requested"


def _kube_strategy(module, params, requester):
    # Raw REST on the client's ApiClient: CoreV1Api would cost 1-2 s of model building (see kube_rest.py).
    rest = KubeRest(kube_auth.get_api_client(module))
    namespace = params["namespace"]
    pod = read_pod(rest, namespace, params["pod"])
    container = choose_container(pod, params["container"])
    check_joinable(pod, container)
    probe = AccessProbe(rest)
    served = probe.ephemeral_served() if params["strategy"] == "auto" else True
    name, reason = choose_strategy(params["strategy"], served, probe.allowed, namespace, params["agent_namespace"])
    if name == "docker":
        raise KdebugError("strategy docker targets docker_container on a Docker engine, not a pod: set docker_container "
                          "(and docker_host), or use strategy auto, ephemeral or agent for pod %s." % params["pod"])
    if name == "ephemeral":
        from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.ephemeral import EphemeralStrategy  # pylint: disable=import-outside-toplevel
        return EphemeralStrategy(rest, pod, container, params["image"], params["image_pull_policy"], params["profile"],
                                 params["ttl_seconds"], params["wait_timeout"], module.check_mode), reason
    from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.agent import AgentStrategy  # pylint: disable=import-outside-toplevel
    desired = agent_utils.desired_agent(pod["spec"]["nodeName"], params["agent_namespace"], params["image"],
                                        params["ttl_seconds"], requester, params["image_pull_policy"],
                                        params["image_pull_secrets"], reason="kdebug_exec agent")
    return AgentStrategy(rest, pod, container, desired, params["namespaces"], params["wait_timeout"],
                         module.check_mode), reason


def run_exec(module):
    """Do what kdebug_exec is asked; exit_json/fail_json with the documented result."""
    params = module.params
    started = time.monotonic()
    try:
        spec = exec_spec(params)
        requester = metadata.requested_by(params["requested_by"])
        if params["docker_container"]:
            if params["strategy"] not in ("auto", "docker"):
                raise KdebugError("docker_container runs on a Docker engine: strategy must be auto or docker, not %s."
                                  % params["strategy"])
            strategy, reason = _docker_strategy(params, requester)
        else:
            kube_auth.require_kubernetes(module)
            strategy, reason = _kube_strategy(module, params, requester)
        if module.check_mode:
            plan = strategy.plan(spec)
            module.exit_json(changed=bool(plan.get("would_create")), plan=plan, strategy=strategy.name,
                             strategy_reason=reason, target=strategy.target(), stdout="", stderr="",
                             stdout_lines=[], stderr_lines=[], timed_out=False, truncated=False, duration_ms=0,
                             msg="check mode: nothing was created or run")
        changed = strategy.prepare()
        outcome = strategy.run(spec)
    except KdebugError as err:
        module.fail_json(msg=err.message, **err.details)
    result = exec_result(outcome.rc, outcome.stdout, outcome.stderr, (time.monotonic() - started) * 1000,
                         strategy.name, reason, strategy.target(), timed_out=outcome.timed_out, changed=changed,
                         **strategy.handle())
    if outcome.rc is None and not outcome.timed_out:
        result["msg"] = "the command did not run to an exit code: %s" % outcome.error
        module.fail_json(**result)
    # Ansible fails any task whose result has a non-zero rc and no 'failed' key: an exit code is data here.
    module.exit_json(failed=False, **result)
