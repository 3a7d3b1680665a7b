#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_triage
short_description: One pod's state, events, log tails and node, with checks saying what is wrong
version_added: 0.1.0
description:
  - Reads, in one call, what the first look at a misbehaving pod needs - phase, conditions, container states,
    restart counts, last terminations (exit code, reason, message), the pod's events, current and previous log
    tails, the Services selecting it and its node's conditions - and returns them summarised, with a list of
    checks in the format of docs/result-schema.md (C(kdebug.toolkit.report) renders them).
  - The pod is read first; the other pieces are then read concurrently. A missing pod or namespace fails the module
    naming it. A piece that cannot be read (no right to list events, read logs or nodes, or list Services; an API
    error) does not fail the module - it becomes an C(error) check carrying the reason and, for a missing right, the
    verb and resource to grant (also listed in RV(missing_permissions)).
  - "The checks: C(pod phase) (Running and Succeeded pass; Pending - with why, not scheduled or containers not
    started -, Failed, Unknown and being deleted fail); C(pod condition <type>) for each condition (True passes,
    except DisruptionTarget where True fails; False passes in a pod that completed); per container
    C(container <name> state) (running passes; waiting, e.g. CrashLoopBackOff, ImagePullBackOff,
    CreateContainerConfigError, fails with its reason and message; terminated fails unless it completed with exit
    code 0 where that is the end), C(container <name> restarts) (fails above O(restart_threshold)),
    C(container <name> last termination) (OOMKilled or a non-zero exit code fails naming them, with that run's log
    tail as evidence); C(pod events) (fails when the pod has Warning events, listing their reasons; Warnings that all came
    before the pod became Ready, and it still is, pass as overcome);
    C(node <condition>) for each node condition (Ready must be True, MemoryPressure, DiskPressure, PIDPressure,
    NetworkUnavailable and the others must be False). Init containers get the same container checks, named
    C(init container <name> ...)."
  - Read-only; C(changed) is always false.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.common.target
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show.
    support: none
  idempotent:
    description: Reads only.
    support: full
options:
  pod:
    description: The pod's name.
    type: str
    required: true
  container:
    description:
      - Look at this container only (a container or an init container of the pod). Default is all of them.
      - The pod-level checks (phase, conditions, events, node) are made either way.
    type: str
  log_lines:
    description:
      - Lines of each log tail to return - the current run, and the previous run of a container that restarted.
        Each tail is also cut at 64 KiB. 0 reads no logs.
    type: int
    default: 50
  event_limit:
    description:
      - The most recent events of the pod to return in RV(events), and Warning messages to quote as evidence.
        The C(pod events) check looks at all the pod's events. 0 reads no events.
    type: int
    default: 20
  restart_threshold:
    description: The C(restarts) check of a container fails when it restarted more times than this.
    type: int
    default: 3
notes:
  - "Rights: C(get) on pods (required), C(get) on pods/log, C(list) on events and services in the pod's namespace,
    and C(get) on nodes (cluster-wide). Without the optional ones the matching piece is an C(error) check."
  - Events are matched by the pod's UID, so events of an earlier pod with the same name are left out. The API server
    keeps events for an hour by default.
seealso:
  - module: kdebug.toolkit.kdebug_exec
  - module: kdebug.toolkit.kdebug_fork
"""

EXAMPLES = r"""
- name: Triage a pod
  kdebug.toolkit.kdebug_triage:
    namespace: shop
    pod: api-7d9f8c6b5-x2x4q
  register: triage

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ triage.checks | selectattr('status', 'ne', 'pass') | map(attribute='summary') | list }}"

- name: Only the app container, longer log tails, restarts tolerated up to 10
  kdebug.toolkit.kdebug_triage:
    namespace: shop
    pod: api-7d9f8c6b5-x2x4q
    container: app
    log_lines: 200
    restart_threshold: 10
"""

RETURN = r"""
pod:
  description: The pod, summarised.
  returned: success
  type: dict
  contains:
    namespace: {description: Namespace., type: str, returned: always}
    name: {description: Name., type: str, returned: always}
    uid: {description: UID., type: str, returned: always}
    node: {description: Node it is scheduled on (null when not scheduled)., type: str, returned: always}
    phase: {description: Pod phase., type: str, returned: always}
    reason: {description: "The pod's status reason (e.g. Evicted), if any.", type: str, returned: always}
    message: {description: "The pod's status message, if any.", type: str, returned: always}
    qos: {description: QoS class., type: str, returned: always}
    ip: {description: Pod IP., type: str, returned: always}
    host_ip: {description: Node IP., type: str, returned: always}
    start_time: {description: When the kubelet accepted the pod., type: str, returned: always}
    deleting: {description: The pod is being deleted., type: bool, returned: always}
    restart_policy: {description: The pod's restartPolicy., type: str, returned: always}
    labels: {description: The pod's labels., type: dict, returned: always}
    owner: {description: "The controller owner C({kind, name}) (null when standalone).", type: dict, returned: always}
    static_pod:
      description:
        - "For a static pod's mirror (annotation C(kubernetes.io/config.mirror)): C({node, source}), the node whose
          kubelet runs it from a manifest and where the kubelet read it (C(file), C(http)). Null for any other pod."
      type: dict
      returned: always
    network:
      description: "C(node) for a hostNetwork pod (it shares its node's network namespace), else C(pod)."
      type: str
      returned: always
    default_container: {description: "The default container (annotation, else the first).", type: str, returned: always}
    conditions:
      description: "Pod conditions C({type, status, reason, message, last_transition})."
      type: list
      elements: dict
      returned: always
    containers:
      description:
        - "Containers C({name, image, ready, started, restart_count, state, reason, message, since, exit_code,
          last_termination, ports}); C(state) is C(running), C(waiting), C(terminated) or null, C(reason) and
          C(message) those of the state."
        - "C(last_termination) is C({exit_code, reason, message, finished_at}) of the most recent termination
          (null when it never terminated)."
      type: list
      elements: dict
      returned: always
    init_containers:
      description: Init containers, like RV(pod.containers), with C(sidecar) (restartPolicy Always).
      type: list
      elements: dict
      returned: always
    ephemeral_containers: {description: Names of ephemeral (debug) containers; not checked., type: list,
                           elements: str, returned: always}
    services:
      description: Names of the Services of the namespace whose selector matches the pod's labels (null when they
        could not be listed).
      type: list
      elements: str
      returned: always
    service_ports:
      description: The ports of those Services, Service name to a list of C({port, protocol}) (null when they could
        not be listed).
      type: dict
      returned: always
    container_ports: {description: The ports the containers declare., type: list, elements: int, returned: always}
    init_blocker:
      description:
        - The init container a pod that is not initialized waits on (the first that has not completed, or a sidecar
          that does not run) - C({name, position, count, sidecar, state, reason, message, restart_count, exit_code,
          logs_of, crash_looping}), C(exit_code) of its last termination; null once the pod is initialized.
        - The C(pod phase) check names it, with its last log lines.
      type: dict
      returned: always
events:
  description:
    - "The pod's most recent events (at most O(event_limit)), oldest first, each C({type, reason, message, count,
      first_time, last_time, source, object}). Null when they were not read."
  returned: success
  type: list
  elements: dict
logs:
  description:
    - "Per container looked at: C({current, previous, truncated, note}). C(current) is the tail of the current (or,
      for a waiting container, the last) run, C(previous) that of the run before the last restart; null when there
      is none or it could not be read (C(note) says why)."
  returned: success
  type: dict
node:
  description: "The pod's node C({name, ready, unschedulable, conditions, created}); null when not scheduled or not read."
  returned: success
  type: dict
checks:
  description: The checks (docs/result-schema.md), target C({namespace, pod}) or C({namespace, pod, container}).
  returned: success
  type: list
  elements: dict
  sample:
    - name: container app state
      status: fail
      summary: "waiting: CrashLoopBackOff (last exit code 1, Error): back-off 1m20s restarting failed container=app"
      target: {namespace: kdebug-demo, pod: crashy-784f45c6dc-9b2v4, container: app}
      details: {state: waiting, reason: CrashLoopBackOff, ready: false, restart_count: 4}
      evidence: []
missing_permissions:
  description: "The rights whose absence turned a piece into an C(error) check, each C({verb, resource, namespace})."
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.triage import run_triage_module, triage_argument_spec


def main():
    run_module("kdebug_triage", triage_argument_spec(), run_triage_module)


if __name__ == "__main__":
    main()
