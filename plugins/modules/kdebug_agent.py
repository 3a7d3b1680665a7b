#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_agent
short_description: The privileged per-node debug agent, with a TTL
version_added: 0.1.0
description:
  - Ensures (or removes) the kdebug agent of one node, a privileged C(hostPID) pod pinned to the node with the
    tools image idling. M(kdebug.toolkit.kdebug_exec) with C(strategy=agent) runs commands from it with
    C(nsenter) into a target container's namespaces. Its C(/tmp), where commands and the runbooks' probes keep
    their scratch files, is a memory-backed C(emptyDir) of at most 1 GiB, gone with the pod.
  - One agent per node, with a deterministic name, so repeated and concurrent runs converge on one pod; a
    concurrent create (HTTP 409) is taken as "already there".
  - C(activeDeadlineSeconds) is the agent's TTL; a forgotten agent dies by itself. An agent that has ended or
    whose options changed is replaced.
  - The agent namespace is created with the PodSecurity C(privileged) label when absent. Every object carries
    C(app.kubernetes.io/managed-by=kdebug) and audit annotations (requested-by, created-at, reason, target, TTL).
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.common.tools_image
  - kdebug.toolkit.common.lifetime
  - kdebug.toolkit.common.agent_namespace
  - kdebug.toolkit.common.audit
attributes:
  check_mode:
    description: Server-side dry run (C(dryRun=All)); nothing is created or deleted.
    support: full
  diff_mode:
    description: Shows the agent before and after (name, node, image, TTL).
    support: full
  idempotent:
    description: A second run with the same options changes nothing.
    support: full
options:
  state:
    description: Whether the node's agent should exist.
    type: str
    default: present
    choices: [present, absent]
  node:
    description: The node. Either this or O(pod) is required.
    type: str
  pod:
    description: A pod whose node gets the agent (in O(namespace)).
    type: str
  namespace:
    description:
      - Namespace of O(pod).
      - The agents' own namespace is O(agent_namespace). Before 1.0 this option named the agents' namespace and the
        pod's was C(pod_namespace), which is now a deprecated alias of this one.
    type: str
    default: default
    aliases: [pod_namespace, target_namespace]
  image:
    description: The tools image (needs C(nsenter), C(sh) and the tools you want to run).
    type: str
    default: docker.io/nicolaka/netshoot:latest
  image_pull_secrets:
    description: Names of image pull secrets in O(agent_namespace), for the agent pod.
    type: list
    elements: str
    default: []
  tolerations:
    description: Tolerations of the agent pod. Default tolerates every taint, like node debugging.
    type: list
    elements: dict
  resources:
    description: Resource requests and limits of the agent container.
    type: dict
  wait:
    description: Wait until the agent runs (or, with O(state=absent), is gone).
    type: bool
    default: true
seealso:
  - module: kdebug.toolkit.kdebug_exec
"""

EXAMPLES = r"""
- name: Agent on the node of a pod, for 30 minutes
  kdebug.toolkit.kdebug_agent:
    pod: api-7d9f
    namespace: shop
    ttl_seconds: 1800

- name: Remove the agent of a node
  kdebug.toolkit.kdebug_agent:
    node: worker-3
    state: absent
"""

RETURN = r"""
agent:
  description: The agent pod (the removed one with O(state=absent)); null when there was none.
  returned: always
  type: dict
  contains:
    name:
      description: Pod name.
      type: str
      returned: always
    namespace:
      description: Pod namespace.
      type: str
      returned: always
    node:
      description: Node.
      type: str
      returned: always
    phase:
      description: Pod phase.
      type: str
      returned: always
    image:
      description: Tools image.
      type: str
      returned: always
    created:
      description: Whether this run created it.
      type: bool
      returned: always
    expires_in_seconds:
      description: Seconds left of the agent's TTL (its activeDeadlineSeconds count from the pod's start).
      type: int
      returned: always
state:
  description: The state asked for.
  returned: always
  type: str
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.agent import (
    MODULE_KWARGS, argument_spec, run_agent)


def main():
    run_module("kdebug_agent", argument_spec(), run_agent, **MODULE_KWARGS)


if __name__ == "__main__":
    main()
