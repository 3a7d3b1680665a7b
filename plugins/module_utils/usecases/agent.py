# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_agent: ensure or remove the agent of one node (the node named, or the node of a pod)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import options, rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import AccessProbe
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import read_pod
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec


def argument_spec():
    spec = options.module_spec(
        options.target_options(pod_required=False), options.agent_namespace_option(), options.tools_image_options(),
        options.lifetime_options(), options.audit_options(),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        node=dict(type="str"),
        tolerations=dict(type="list", elements="dict"),
        resources=dict(type="dict"),
        wait=dict(type="bool", default=True),
    )
    # Before 1.0 the target pod's namespace was pod_namespace (or target_namespace), and `namespace` named the
    # agents' namespace, which is agent_namespace now, as in every module.
    options.deprecated_alias(spec, "namespace", "pod_namespace")
    options.deprecated_alias(spec, "namespace", "target_namespace")
    del spec["container"]  # the agent serves a node: which container of the pod does not matter
    return spec


MODULE_KWARGS = dict(required_one_of=[("node", "pod")], mutually_exclusive=[("node", "pod")])


def node_of(client, params):
    if params["node"]:
        return params["node"]
    pod = read_pod(client, params["namespace"], params["pod"])
    node = pod["spec"].get("nodeName")
    if not node:
        raise KdebugError("pod %s/%s is not scheduled to a node yet: give node, or wait until it is scheduled."
                          % (params["namespace"], params["pod"]))
    return node


def run_agent(module):
    params = module.params
    options.require_resources(params["resources"])
    client = module.kube()
    node = node_of(client, params)
    manager = AgentManager(client, params["agent_namespace"], module.check_mode,
                           pull_secrets_mode=params["image_pull_secrets_mode"], pull_secrets_from=params["namespace"])
    before = manager.read(node)
    if params["state"] == "absent":
        old, changed = manager.delete(node, wait=params["wait"], wait_timeout=params["wait_timeout"])
        result = dict(changed=changed, agent=agent_spec.agent_summary(old, False, time.time()), state="absent")
        if module._diff:
            result["diff"] = agent_spec.diff_of(before, None)
        return result
    # kdebug_agent's one pre-check: before the agent (or its namespace) is created.
    AccessProbe(client).require([r for r in rights.agent(params["agent_namespace"]) if r.resource != "pods/exec"],
                                "run the node agent in namespace %s" % params["agent_namespace"])
    desired = agent_spec.desired_agent(node, params["agent_namespace"], params["image"], params["ttl_seconds"],
                                       module.requested_by(), module.reason(), params["image_pull_policy"],
                                       params["image_pull_secrets"], params["tolerations"], params["resources"])
    pod, created = manager.ensure(desired, wait=params["wait"], wait_timeout=params["wait_timeout"])
    result = dict(changed=created or manager.namespace_created,
                  agent=agent_spec.agent_summary(pod, created, time.time()), state="present")
    if module._diff:
        result["diff"] = agent_spec.diff_of(before, pod)
    return result
