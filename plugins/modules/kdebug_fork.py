#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_fork
short_description: Fork a crash-looping pod so its crash can be reproduced and examined
version_added: 0.1.0
description:
  - A container that keeps crashing has no live namespaces to join. This module makes a copy of its pod (the fork)
    that stays up, with the target container's command held, so someone can step in, look around and run the
    entrypoint by hand, or let O(replay) run it and return its exit code and output.
  - "The fork is the source pod's spec with these changes, in this order (RV(changes) lists those that applied,
    one sentence per field):"
  - "- all labels removed except O(keep_labels), so no Service routes to it and no controller adopts it"
  - "- annotations removed except O(keep_annotations) and C(kubectl.kubernetes.io/default-container) (never
    C(kubernetes.io/config.mirror): the fork of a static pod's mirror is a plain pod)"
  - "- C(ownerReferences) and C(finalizers) cleared, so it is a standalone pod that nothing keeps from being
    deleted"
  - "- C(generateName) cleared, the name derived from the source's namespace and name"
  - "- C(status) and the server's fields (uid, resourceVersion, creationTimestamp, managedFields) cleared"
  - "- C(nodeName) cleared unless O(same_node), so the scheduler places it"
  - "- C(ephemeralContainers) (the source's debug containers) removed"
  - "- C(priority) and C(preemptionPolicy) cleared (admission sets them again from C(priorityClassName))"
  - "- C(restartPolicy=Never)"
  - "- C(activeDeadlineSeconds) = O(ttl_seconds), so a forgotten fork ends by itself"
  - "- C(shareProcessNamespace) = O(share_processes) when set"
  - "- the init containers removed when O(keep_init_containers=false) (when the held container is an init container,
    the ones before it)"
  - "- readiness, liveness and startup probes removed on every container (a held application would fail them and be
    killed)"
  - "- for a hostNetwork pod, a required node affinity C(metadata.name NotIn [source node]) when another node fits
    (O(other_node)); otherwise RV(placement) and a warning say that the fork shares the source's node network and
    its ports may clash"
  - "- hostPorts cleared on every container (the fork would clash with the original on the node); for a hostNetwork
    pod, whose hostPorts the API server sets back to the containerPorts, the port declarations kept when the fork
    avoids the source's node, removed otherwise"
  - "- the target container's image replaced by O(target_image) when set"
  - "- O(env) set in the target container"
  - "- the target container's lifecycle hooks removed (postStart and preStop expect the application running)"
  - "- the target container held - it runs C(/.kdebug/busybox sh -c 'sleep TTL') instead of its entrypoint, its
    original command and args kept in the C(kdebug.io/original-command) annotation"
  - "- an init container added that copies a static busybox from O(image) into an emptyDir mounted at C(/.kdebug) in
    the target, so images without a shell or C(sleep) are held too"
  - "- O(image_pull_secrets) added to C(imagePullSecrets)"
  - "- C(kubectl.kubernetes.io/default-container) set to the target container, so C(kubectl exec) and C(kubectl
    logs) without C(-c) land in it"
  - The fork's name is derived from the source pod's namespace and name (a valid name for any source name), so a
    second run finds the same fork. A fork whose options or source spec changed, or that has ended (its TTL ran
    out), is replaced. A concurrent create (HTTP 409) of the same fork is taken as "already there".
  - Refuses to fork a pod that is itself a fork (it is already held); O(state=absent) accepts the fork's own name.
  - Every fork carries C(app.kubernetes.io/managed-by=kdebug), C(kdebug.io/component=fork) and audit annotations
    (requested-by, created-at, reason, target, TTL, C(kdebug.io/fork-of)).
  - "C(changed) reports whether the fork pod was created, replaced or deleted; running O(replay) does not count
    as a change."
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.common.lifetime
  - kdebug.toolkit.common.audit
attributes:
  check_mode:
    description: Server-side dry run (C(dryRun=All)) of the create or delete; the would-be pod is returned in
      RV(manifest). Nothing is replayed.
    support: full
  diff_mode:
    description: Shows the source pod (before) against the fork (after) when a fork is created or replaced, and
      the fork against nothing when it is deleted.
    support: full
  idempotent:
    description: A second run with the same options finds the same fork and changes nothing.
    support: full
options:
  pod:
    description:
      - The source pod's name. With O(state=absent) the fork's own name is accepted too.
    type: str
    required: true
  namespace:
    description: The source pod's namespace; the fork is created there too.
    type: str
    default: default
  container:
    description:
      - The container to hold. Default is the one named by the C(kubectl.kubernetes.io/default-container)
        annotation, else the first container.
      - An init container is held in place (see O(keep_init_containers)); the fork runs once it runs, and O(replay)
        runs its command.
    type: str
  state:
    description: Whether the fork should exist.
    type: str
    default: present
    choices: [present, absent]
  image:
    description:
      - The tools image, the one the static busybox is copied from. It needs nothing but that binary (at
        O(busybox_path)). Before 1.0 this was C(tools_image), now a deprecated alias.
      - The busybox must be statically linked to run in any target image, as in the default (the official
        busybox image). Alpine-based images (netshoot among them) usually ship a busybox linked against musl,
        which runs only in targets that have musl.
    type: str
    default: docker.io/library/busybox:stable
    aliases: [tools_image]
  image_pull_policy:
    description: Pull policy of O(image). Before 1.0 this was C(tools_image_pull_policy), now a deprecated alias.
    type: str
    default: IfNotPresent
    choices: [Always, IfNotPresent, Never]
    aliases: [tools_image_pull_policy]
  image_pull_secrets:
    description:
      - Names of image pull secrets for O(image), added to the fork's C(imagePullSecrets).
      - Each must exist in O(namespace); this is checked before the fork is created, when the caller may read
        secrets.
    type: list
    elements: str
    default: []
  busybox_path:
    description: Path of the static busybox in O(image).
    type: str
    default: /bin/busybox
  target_image:
    description:
      - Replace the held container's image (like C(kubectl debug --set-image)), for example with a build that has
        debugging symbols or a shell. Its pull policy stays the source's.
      - Before 1.0 this option was called C(image), which names the tools image now, as in every module.
    type: str
  keep_labels:
    description:
      - Label keys of the source to keep on the fork. All others are removed.
      - Refused when the kept labels would make a Service, ReplicaSet, StatefulSet, DaemonSet, Job or
        ReplicationController of the namespace select the fork.
    type: list
    elements: str
    default: []
  keep_annotations:
    description: Annotation keys of the source to keep (C(kubectl.kubernetes.io/default-container) is always kept).
    type: list
    elements: str
    default: []
  keep_init_containers:
    description:
      - Keep the source's init containers (they run again in the fork before the held container starts).
      - When the held container is an init container (O(container) names one), this concerns the init containers
        before it; the ones after it and the main containers are kept and wait, as in any pod, until the held one
        ends (at the TTL).
    type: bool
    default: true
  env:
    description: Environment variables to set (or override) in the held container, name to value.
    type: dict
    default: {}
  share_processes:
    description: Set the fork's C(shareProcessNamespace). Default is the source's setting.
    type: bool
  same_node:
    description:
      - Keep the source's C(nodeName), so the fork runs on the same node (for example to reach a ReadWriteOnce
        volume the source uses). Otherwise the scheduler places the fork.
    type: bool
    default: false
  other_node:
    description:
      - For a hostNetwork pod, whose fork shares its node's network (and host ports) with whatever runs there.
      - Unset (the default) - when another node fits the fork (Ready, not cordoned, taints tolerated, nodeSelector
        and required node affinity met), a required node affinity C(metadata.name NotIn [source node]) keeps it off
        the source's node; when none fits, it is placed beside the source, and RV(placement) and a warning say that
        it shares the node's network and its ports may clash, and what to do.
      - V(true) requires another node, and fails naming why each node does not fit when none does.
      - V(false) lets the scheduler place it anywhere, the source's node included.
      - Ignored for a pod without hostNetwork; exclusive with O(same_node).
      - Listing the nodes needs C(list) on C(nodes) (cluster-wide); without it the fork is not moved, with a warning.
    type: bool
  ttl_seconds:
    description: Seconds the fork lives (C(activeDeadlineSeconds)); the held command idles as long.
    type: int
    default: 3600
  wait:
    description:
      - Wait until the held container runs (or, with O(state=absent), until the fork is gone).
      - Image pull and container creation failures (C(ErrImagePull), C(ImagePullBackOff), C(ErrImageNeverPull),
        C(CreateContainerError)...) are reported as soon as they show; a fork this run created and that cannot run
        is deleted.
      - A pull the kubelet made without the pod's pull secrets (event C(FailedToRetrieveImagePullSecret), it had not
        read them yet) is waited through until the kubelet pulls again, with them.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait. An unschedulable fork is reported with the scheduler's message at the timeout.
    type: int
    default: 120
  replay:
    description:
      - After the fork runs, run the original command and args in the held container (the image's files and the
        container's environment are there) with a timeout, and return its exit code, output and duration in
        RV(replay). Implies O(wait).
      - When the pod spec sets no C(command) the image's ENTRYPOINT ran, which the Kubernetes API does not expose;
        then the replay needs O(replay_command) and RV(replay.status) says so.
    type: bool
    default: false
  replay_command:
    description:
      - The entrypoint to replay, standing for the spec's C(command) (the image's ENTRYPOINT when the spec has
        none). The spec's C(args) (or O(replay_args)) follow it.
    type: list
    elements: str
  replay_args:
    description: The arguments to replay, standing for the spec's C(args) (the image's CMD when the spec has none).
    type: list
    elements: str
  replay_timeout:
    description: Seconds the replayed command may run; it is stopped (TERM, KILL 2 s later) after that.
    type: int
    default: 60
  max_output_bytes:
    description: At most this many bytes of the replay's stdout and of its stderr are returned.
    type: int
    default: 1048576
  previous_logs_lines:
    description: Lines of the source container's last terminated run to return (0 to skip).
    type: int
    default: 50
notes:
  - The fork runs the source's other containers and (unless O(keep_init_containers=false)) its init containers
    again; a replay runs the application's entrypoint for real, with the pod's service account and volumes.
  - Volumes that allow one pod only (ReadWriteOnce on another node, ReadWriteOncePod) keep the fork Pending;
    use O(same_node) for ReadWriteOnce.
  - See docs/kdebug_fork.md.
seealso:
  - module: kdebug.toolkit.kdebug_exec
"""

EXAMPLES = r"""
- name: Fork a crash-looping pod and replay its entrypoint
  kdebug.toolkit.kdebug_fork:
    namespace: shop
    pod: api-7d9f8c6b5-x2x4q
    replay: true
    replay_timeout: 30
  register: fork

- name: Show how the entrypoint ends
  ansible.builtin.debug:
    msg: "exit {{ fork.replay.rc }}: {{ fork.replay.stderr_lines | last | default('') }}"

- name: Fork an image whose entrypoint is not in the pod spec (distroless), with a tools image that has a static busybox
  kdebug.toolkit.kdebug_fork:
    namespace: shop
    pod: worker-0
    image: docker.io/library/busybox:1.36
    replay: true
    replay_command: [/app/worker]

- name: Fork with another image and a debug variable, on the same node
  kdebug.toolkit.kdebug_fork:
    namespace: shop
    pod: api-7d9f8c6b5-x2x4q
    target_image: shop/api:1.4.2-debug
    env:
      LOG_LEVEL: debug
    same_node: true
    ttl_seconds: 1800

- name: Remove the fork
  kdebug.toolkit.kdebug_fork:
    namespace: shop
    pod: api-7d9f8c6b5-x2x4q
    state: absent
"""

RETURN = r"""
state:
  description: The state asked for.
  returned: always
  type: str
fork:
  description: The fork pod (the removed one with O(state=absent)); null when there was none.
  returned: always
  type: dict
  contains:
    name: {description: Pod name., type: str, returned: always}
    namespace: {description: Pod namespace., type: str, returned: always}
    node: {description: Node it runs on (null until scheduled)., type: str, returned: always}
    phase: {description: Pod phase., type: str, returned: always}
    uid: {description: Pod UID (null in check mode for a new fork)., type: str, returned: always}
    created: {description: Whether this run created (or replaced) it., type: bool, returned: always}
    ttl_seconds: {description: The TTL (activeDeadlineSeconds)., type: int, returned: always}
    fork_of: {description: The source as namespace/pod., type: str, returned: always}
changes:
  description: What the fork changes with respect to the source pod, one sentence per change (field first).
  returned: always
  type: list
  elements: str
  sample:
    - "metadata.labels: removed app, pod-template-hash (no Service or controller selects the fork)"
    - "spec.containers[app]: removed readinessProbe, livenessProbe"
held:
  description: The held container and its original command.
  returned: when O(state=present)
  type: dict
  contains:
    container: {description: The held container., type: str, returned: always}
    kind: {description: "C(main), or C(init) for a held init container.", type: str, returned: always}
    command: {description: The hold command it runs instead., type: list, elements: str, returned: always}
    original_command: {description: The spec's command (null when the image's ENTRYPOINT ran)., type: list,
                       elements: str, returned: always}
    original_args: {description: The spec's args (null when none)., type: list, elements: str, returned: always}
    original_image: {description: The source container's image., type: str, returned: always}
    image: {description: The fork container's image (differs with O(target_image))., type: str, returned: always}
    entrypoint_known: {description: Whether the argv to replay is known (spec command or O(replay_command))., type: bool,
                       returned: always}
    replay_argv: {description: What O(replay) runs (null when the entrypoint is unknown)., type: list, elements: str,
                  returned: always}
    replay_note: {description: "Why the replay argv is unknown, and what to set.", type: str, returned: always}
source:
  description: The source pod and the last termination of its container.
  returned: when O(state=present)
  type: dict
  contains:
    namespace: {description: Namespace., type: str, returned: always}
    pod: {description: Pod name., type: str, returned: always}
    container: {description: The held container's name in the source., type: str, returned: always}
    uid: {description: Pod UID., type: str, returned: always}
    node: {description: Node., type: str, returned: always}
    phase: {description: Pod phase., type: str, returned: always}
    owner: {description: Its owners as Kind/name (null when standalone)., type: str, returned: always}
    last_termination:
      description: >-
        The container's last termination - state, waiting_reason, restart_count, exit_code, signal, reason,
        message, started_at, finished_at, logs_of (current or previous; null when it never terminated).
      type: dict
      returned: always
    previous_logs:
      description: The last O(previous_logs_lines) lines of that run (at most 64 KiB) - lines, truncated, error, of.
      type: dict
      returned: always
replay:
  description:
    - The replay of the original command in the fork. RV(replay.status) is C(ran), C(needs_replay_command) (the
      entrypoint is not in the pod spec; set O(replay_command)) or C(skipped) (check mode).
    - A non-zero RV(replay.rc) is data (that is the crash), not a module failure.
  returned: when O(replay=true)
  type: dict
  contains:
    status: {description: "C(ran), C(needs_replay_command) or C(skipped).", type: str, returned: always}
    msg: {description: Why it did not run., type: str, returned: always}
    argv: {description: What ran., type: list, elements: str, returned: always}
    rc: {description: Exit code (null when it could not run)., type: int, returned: always}
    stdout: {description: Standard output., type: str, returned: always}
    stderr: {description: Standard error., type: str, returned: always}
    stdout_lines: {description: stdout split in lines., type: list, elements: str, returned: always}
    stderr_lines: {description: stderr split in lines., type: list, elements: str, returned: always}
    duration_ms: {description: How long it ran., type: int, returned: always}
    timed_out: {description: It was stopped at O(replay_timeout)., type: bool, returned: always}
    truncated: {description: Output was cut at O(max_output_bytes)., type: bool, returned: always}
    error: {description: Why there is no exit code (the exec failed)., type: str, returned: always}
placement:
  description: Where the fork may run, and why (for a hostNetwork source, whose fork shares its node's network).
  returned: when O(state=present)
  type: dict
  contains:
    host_network: {description: The source uses the node's network., type: bool, returned: always}
    source_node: {description: The source's node., type: str, returned: always}
    avoid_source_node: {description: The fork is kept off the source's node (required node affinity)., type: bool,
                        returned: always}
    candidates: {description: "Nodes other than the source's that fit the fork (null: not looked at).", type: list,
                 elements: str, returned: always}
    excluded: {description: "Node to why it does not fit (null: not looked at).", type: dict, returned: always}
    reason: {description: "Why the fork goes where it goes, and what to do when it shares the source's network.",
             type: str, returned: always}
    node: {description: The node the fork runs on (null until scheduled)., type: str, returned: always}
    shares_network_with_source: {description: "The hostNetwork fork runs on the source's node, so their ports may
                                  clash (null until scheduled or without hostNetwork).", type: bool, returned: always}
note:
  description: Why an existing fork was replaced, or that another run created it at the same time.
  returned: when O(state=present)
  type: str
manifest:
  description: The fork pod as the API server returned it (in check mode, the server-side dry run's pod).
  returned: when O(state=present)
  type: dict
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.fork import fork_argument_spec, run_fork_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module


def main():
    run_module("kdebug_fork", fork_argument_spec(), run_fork_module)


if __name__ == "__main__":
    main()
