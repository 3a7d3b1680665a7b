#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_fleet_exec
short_description: Run one shell command in the namespaces of many pods at once, one agent exec per node
version_added: 0.1.0
description:
  - The fleet form of M(kdebug.toolkit.kdebug_exec) with the agent strategy. One call reads the pods (one list per
    namespace), ensures one agent per node (as M(kdebug.toolkit.kdebug_agent) does), finds every target's host pid
    with one /proc scan per node, and runs O(shell) in all of that node's targets at once from a single exec into
    the agent. Nodes are served in parallel.
  - Each target gets a result shaped like kdebug_exec's (rc, stdout, stderr, target, agent_pod...), in the order
    of O(targets). A target that cannot be joined (missing, not running, crash-looping) gets C(failed=true) and a
    C(msg) naming it; the others still run, and the module itself succeeds.
  - The command sees the target's root filesystem in E(KDEBUG_TARGET_ROOT) (C(/proc/<host pid>/root)).
  - "C(changed): whether an agent pod was created."
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
    description: Runs nothing and creates nothing; returns no results.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  idempotent:
    description: The agents are re-used; the command runs on every call.
    support: none
options:
  targets:
    description: The pods, each C({namespace, pod, container, host}); C(host) is passed back in its result.
    type: list
    elements: dict
    required: true
    suboptions:
      namespace:
        description: The pod's namespace.
        type: str
        default: default
      pod:
        description: The pod's name.
        type: str
        required: true
      container:
        description: The container. Default is the pod's default container.
        type: str
      host:
        description: A label of your own (for example the inventory host), returned in the result.
        type: str
  shell:
    description: The command, run by C(sh -c) in the tools image, inside each target's namespaces.
    type: str
    required: true
  env:
    description: Environment variables for the command.
    type: dict
    default: {}
  timeout:
    description: Seconds each target's command may run (all run at once).
    type: int
    default: 60
  max_output_bytes:
    description: At most this many bytes of each target's stdout and of its stderr.
    type: int
    default: 262144
  join_namespaces:
    description: The Linux namespaces of each target to enter (C(namespaces) before 1.0, a deprecated alias).
    type: list
    elements: str
    choices: [net, uts, ipc]
    default: [net, uts]
    aliases: [namespaces]
notes:
  - Rights are those of the agent strategy (docs/rbac.md), plus C(list) on pods in the targets' namespaces.
seealso:
  - module: kdebug.toolkit.kdebug_exec
  - module: kdebug.toolkit.kdebug_agent
"""

EXAMPLES = r"""
- name: Resolve the API server's name in every pod of the shop namespace
  kdebug.toolkit.kdebug_fleet_exec:
    targets: "{{ ansible_play_hosts | map('extract', hostvars) | kdebug.toolkit.fleet_targets }}"
    shell: dig +short +time=2 +tries=1 kubernetes.default.svc.cluster.local
  run_once: true
  register: fleet
"""

RETURN = r"""
results:
  description:
    - One result per target, in the order of O(targets), with the keys of a kdebug_exec result (C(rc), C(stdout),
      C(stderr), C(stdout_lines), C(stderr_lines), C(timed_out), C(truncated), C(duration_ms), C(strategy),
      C(strategy_reason), C(agent_pod), C(target)) plus C(host) and C(failed); C(msg) says why a failed target
      did not run.
  returned: success
  type: list
  elements: dict
summary:
  description: C(targets), C(ran), C(failed) counts and the C(nodes) served.
  returned: success
  type: dict
duration_ms:
  description: How long the call took.
  returned: success
  type: int
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.fleet import fleet_argument_spec, run_fleet_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module


def main():
    run_module("kdebug_fleet_exec", fleet_argument_spec(), run_fleet_module)


if __name__ == "__main__":
    main()
