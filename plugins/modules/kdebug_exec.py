#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_exec
short_description: Run tool commands inside a target container's namespaces
version_added: 0.1.0
description:
  - Brings a tools container into a running container's namespaces, the way kubectl-debug does, and runs a
    command there; the target's network, processes and files are visible, while the tools come from O(image).
  - C(ephemeral) adds an ephemeral container to the pod with C(targetContainerName) (shares the target's pid
    namespace; the pod's net, ipc and uts) and runs commands in it through C(pods/exec). It idles for
    O(ttl_seconds) and then ends by itself; a second call with the same image and target re-uses it.
  - An ephemeral container cannot carry annotations, so the run that adds one records it as an Event on the
    target pod (reason C(KdebugDebugContainer), source C(kdebug)) saying who (O(requested_by)) and why
    (O(reason)), with the strategy, the debug container's name and image, the profile and the TTL;
    C(kubectl describe pod) lists it. A run that re-uses the container records nothing new. The API server
    removes events after its C(--event-ttl) (1 hour by default). Recording needs C(create) on C(events) in the
    namespace; without it the command still runs and the task warns, naming the missing right.
  - C(agent) runs the command from the node's privileged agent pod (see M(kdebug.toolkit.kdebug_agent)) with
    C(nsenter) into the target's host pid, found by the cgroup that names its container id. Works for targets
    without a shell and where ephemeral containers are not allowed.
  - C(docker) creates a tools container on a Docker engine with C(network_mode) and C(pid_mode) set to the
    target container (C(ipc_mode) too when the target's IPC is shareable), runs the command and removes it.
    For plain Docker hosts; O(docker_container) instead of O(pod).
  - A non-zero exit code is data, not a task failure; check RV(rc). The task fails when the command could not
    run at all (no exit code), with a message that says why.
  - C(changed) is true only when a tools container or an agent was created. Running a diagnostic command is not
    counted as a change; use C(changed_when) for commands that change something.
  - With O(node), the command runs on a node itself, in its host namespaces, like C(kubectl debug node/<node>),
    C(oc debug node/<node>) or kubectl-node-shell (see C(docs/node-targets.md)). The node's agent (always the
    C(agent) strategy) enters the namespaces of the node's host process - pid 1, or the node's kubelet when pid 1
    cannot be entered from the agent - with C(nsenter), by default all of mnt, uts, ipc, net and pid, so the
    command runs with the host's own files and binaries, as C(chroot /host) after C(kubectl debug node) would.
    O(join_namespaces) narrows that; without C(mnt) the command runs from the tools image and finds the host's root
    filesystem at E(KDEBUG_TARGET_ROOT) (C(/proc/<pid>/root), RV(target.pid) being the host process). O(chroot)
    runs it chrooted into the host's root. RV(target) names the C(node); its pod keys are V(null).
  - With O(targets), the same command runs in many pods at once through the node agents (the C(agent) strategy).
    One call reads the pods (one list per namespace), ensures one agent per node, finds every target's host pid
    with one /proc scan per node, and runs the command in all of that node's targets from a single exec into the
    agent (at most 24 targets of a node at once, so a hundred pods' commands do not thrash its CPUs), nodes in
    parallel. Each target runs exactly what the C(agent) strategy runs for one target, so every
    option (O(command) or O(shell), O(env), O(stdin), O(timeout), O(max_output_bytes), O(chroot),
    O(join_namespaces), the image and lifetime options) means the same. RV(results) holds one result per target,
    in the order of O(targets), with the keys of a single result; a target that cannot run (missing, not running,
    crash-looping, its node's agent refused) is a result with C(failed=true) and C(msg), and the others still run.
    The task itself fails only when the API cannot be used at all.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.common.target
  - kdebug.toolkit.common.tools_image
  - kdebug.toolkit.common.lifetime
  - kdebug.toolkit.common.agent_namespace
  - kdebug.toolkit.common.audit
attributes:
  check_mode:
    description:
      - Reports the strategy, the target and what would be created (RV(plan)); creates and runs nothing.
      - With O(targets), a RV(plan) per target in RV(results) (its node's agent, whether it would be created, the argv).
    support: full
  diff_mode:
    description: Nothing to diff; a command's effect is its output.
    support: none
  idempotent:
    description: Re-uses the debug container or agent, so repeated runs create nothing new.
    support: partial
options:
  pod:
    description: Name of the target pod. Required unless O(docker_container), O(node) or O(targets) is given.
    type: str
  node:
    description:
      - A node as the target (mutually exclusive with O(pod), O(docker_container) and O(targets)) - the command runs
        in the node's host namespaces through the node's agent. O(strategy) must be C(auto) or C(agent).
      - Needs the rights of the agent and C(get) on C(nodes/proxy) (ClusterRole kdebug-agent-node-wide,
        C(docs/rbac.md)) - a shell on the host sees every process and file of the node.
      - An unknown node fails with C(error_class=not_found); a NotReady node is a warning (its agent may not start).
    type: str
  targets:
    description:
      - Many target pods (or nodes) at once (mutually exclusive with O(pod), O(node) and O(docker_container)), run
        through the node agents with one exec per node; O(strategy) must be C(auto) or C(agent).
      - Each is C({pod, namespace, container, host}); O(namespace) and O(container) are the defaults of a target
        that does not set its own. A node target is C({node, host}) (as O(node); needs the same rights).
      - The filter P(kdebug.toolkit.fleet_targets#filter) builds the list from a P(kdebug.toolkit.pods#inventory)
        play.
      - Each target's command gets E(KDEBUG_SCRATCH), an empty directory of its own in the agent for scratch files,
        removed when the call ends (not visible to a command that joins the target's C(mnt) namespace).
      - The agent's image runs the per-node driver, which needs C(sh), C(mktemp), C(mkfifo), C(find), C(truncate),
        C(tar) with C(gzip), and C(base64) (Debian, Alpine and busybox images have them all).
    type: list
    elements: dict
    suboptions:
      pod:
        description: The pod's name. Exactly one of O(targets[].pod) and O(targets[].node).
        type: str
      node:
        description: A node's name, to run the command in that node's host namespaces (as O(node)).
        type: str
      namespace:
        description: The pod's namespace. Default is O(namespace).
        type: str
      container:
        description: The container. Default is O(container), else the pod's default container.
        type: str
      host:
        description: A label of your own (for example the inventory host), returned in the target's result.
        type: str
  docker_container:
    description: Name or id of a container on a Docker engine (no Kubernetes). Implies O(strategy=docker).
    type: str
  docker_host:
    description:
      - The Docker engine's address, as the docker SDK's C(base_url), e.g. C(unix:///var/run/docker.sock).
      - Default is taken from E(DOCKER_HOST), else the local socket.
    type: str
  command:
    description:
      - The command as an argv list, run as is (never through a shell, so shell metacharacters stay literal).
      - Exactly one of O(command) and O(shell) is required.
    type: list
    elements: str
  shell:
    description:
      - A shell command line, run by C(sh -c) in the tools container (in the target with O(chroot); on a node target
        that joins C(mnt), the default, the host's C(sh)).
    type: str
  stdin:
    description: Text sent to the command's standard input (then closed).
    type: str
  env:
    description:
      - Environment variables for the command. The values may be secrets - they never travel in the exec request's
        URL (which the API server's audit log records) nor in any process's arguments (which C(ps) shows on the
        node). They are sent on the exec's standard input ahead of O(stdin) and exported by a small C(sh) reader in
        the tools container, which then runs the command. The tools image needs C(sh) for that.
      - Ansible shows them as C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) in the task's arguments (C(-vvv), logs). The
        command's own output is returned as it is, so a command that prints a value shows it.
      - Names are variable names (letters, digits and C(_), not starting with a digit).
    type: dict
    default: {}
  timeout:
    description: Seconds the command may run; it is killed then and RV(timed_out) is true.
    type: int
    default: 60
  max_output_bytes:
    description: At most this many bytes of stdout and of stderr are kept; RV(truncated) says when output was cut.
    type: int
    default: 1048576
  chroot:
    description:
      - Run the command chrooted into the target's root filesystem (C(/proc/<pid>/root)), so it sees the target
        image's files. The binary must then exist in the target image (or be given by path under it).
      - For a O(node), the host's root filesystem, like C(chroot /host) after C(kubectl debug node).
      - Without chroot, the command finds the target's root filesystem as seen from the tools context in the
        environment variable E(KDEBUG_TARGET_ROOT) (for example C(/proc/1/root)) whenever the strategy knows it
        without extra work, so tools can read the target's own files, such as its C(/etc/resolv.conf).
    type: bool
    default: false
  image_pull_secrets:
    description:
      - Names of image pull secrets in O(agent_namespace) for the agent pod. An ephemeral container is pulled with
        its pod's own pull secrets.
    type: list
    elements: str
    default: []
  strategy:
    description:
      - How the tools get into the target's namespaces.
      - C(auto) takes C(ephemeral) when the API serves C(pods/ephemeralcontainers) and the caller may patch it
        (and exec) in the namespace, else C(agent) when the caller may run the agent, else fails naming the
        missing rights. RV(strategy_reason) says why.
      - When PodSecurity admits no debug container profile (see O(profile)), C(auto) takes C(agent) if the caller
        may run it, else fails with what was refused.
      - The API refuses ephemeral containers on a static pod's mirror (annotation C(kubernetes.io/config.mirror)),
        so for one C(auto) takes C(agent) and says so in RV(strategy_reason); C(ephemeral) fails before anything is
        created (C(error_class=option)), naming the pod, its node and the fix.
    type: str
    default: auto
    choices: [auto, ephemeral, agent, docker]
  profile:
    description:
      - Security profile of the ephemeral container, as C(kubectl debug --profile) defines them.
      - Unset, kdebug picks the most capable of C(general), C(baseline) and C(restricted) that the target
        namespace's PodSecurity admits. Its C(pod-security.kubernetes.io/enforce) label says where to start, and a
        server-side dry run (C(dryRun=All)) of the debug container confirms it. RV(strategy_reason) says what was
        refused and what the chosen profile cannot do (RV(debug_container.cannot)). See C(docs/podsecurity.md).
      - C(restricted) runs as the target container's own C(runAsUser)/C(runAsGroup) (the pod's apply by
        themselves), so it can read the target's files; with none set, as 65534 (nobody).
      - A profile given here that PodSecurity refuses fails with the PodSecurity message and the profile a dry
        run admits instead.
    type: str
    choices: [legacy, general, baseline, restricted, netadmin, sysadmin]
  join_namespaces:
    description:
      - The Linux namespaces of the target the agent strategy (and O(targets)) enters (C(nsenter) flags).
      - Default is C([net, uts, ipc, pid]) for a pod, C([mnt, uts, ipc, net, pid]) for a O(node) (the host's files
        and binaries; without C(mnt), the tools image's, with the host's root at E(KDEBUG_TARGET_ROOT)).
      - With C(pid) (the default) the command sees only the target's processes, so C(/proc/*/root) reaches no
        other pod. Without C(pid) it sees every process of the node, which needs C(get) on C(nodes/proxy)
        (ClusterRole kdebug-agent-node-wide, docs/rbac.md); without that right the task fails before it runs.
      - Before 1.0 this option was C(namespaces), which is now a deprecated alias.
    type: list
    elements: str
    choices: [net, uts, ipc, pid, mnt, cgroup]
    aliases: [namespaces]
  ttl_seconds:
    description: How long the debug container idles (ephemeral) or the agent lives (agent) before it ends itself.
    type: int
    default: 3600
notes:
  - Ephemeral containers cannot be removed from a pod; they end after O(ttl_seconds). After that, the next call
    adds a new one (a numbered generation of the same name).
  - A debug container or agent is re-used only while more of its TTL is left than O(timeout) plus 30 seconds, so
    that it cannot end under the command. Otherwise the next generation of the debug container is added, or the
    agent is replaced (a command another run has in that agent ends with it), and the task warns saying so.
  - A pod takes at most 50 ended kdebug debug containers. Past that, strategy C(auto) runs the command through the
    agent when the caller may run one (the task warns, naming the count), and strategy C(ephemeral) fails with
    C(error_class=generation_budget).
  - A command ended by a signal (rc 137 or 143, not at its O(timeout)), or whose stream broke, is checked against
    what it ran in. When the target pod was deleted, the target container stopped, or the debug container, the
    docker tools container or the agent was killed or deleted, the task fails with C(error_class=lost) and
    RV(lost) naming which, instead of returning the signal as the command's exit code. With O(targets), each
    target so hit is failed that way in RV(results); the other targets keep their own exit codes.
  - O(timeout) acts inside the target's namespaces. A command that ignores SIGTERM gets SIGKILL 2 seconds later
    from every strategy. With the agent, the C(timeout) runs after C(nsenter), as the command's parent.
  - With O(targets), the rights are those of the C(agent) strategy (docs/rbac.md), with C(list) on pods in the
    targets' namespaces instead of C(get).
seealso:
  - module: kdebug.toolkit.kdebug_agent
  - module: kdebug.toolkit.kdebug_fork
"""

EXAMPLES = r"""
- name: Sockets of a pod that has no shell
  kdebug.toolkit.kdebug_exec:
    pod: api-7d9f
    namespace: shop
    command: [ss, -ltnp]
  register: sockets

- name: DNS as the pod sees it, through the node agent
  kdebug.toolkit.kdebug_exec:
    pod: api-7d9f
    namespace: shop
    strategy: agent
    shell: cat /etc/resolv.conf; dig +short kubernetes.default.svc.cluster.local
    timeout: 20

- name: Read a file of the target image
  kdebug.toolkit.kdebug_exec:
    pod: api-7d9f
    namespace: shop
    chroot: true
    command: [cat, /etc/os-release]

- name: Resolve the API server's name in every pod of the play, one agent exec per node
  kdebug.toolkit.kdebug_exec:
    targets: "{{ ansible_play_hosts | map('extract', hostvars) | kdebug.toolkit.fleet_targets(ansible_play_hosts) }}"
    command: [dig, +short, +time=2, +tries=1, kubernetes.default.svc.cluster.local]
  run_once: true
  register: fleet

- name: The pods whose command failed
  ansible.builtin.debug:
    msg: "{{ fleet.results | rejectattr('rc', 'eq', 0) | map(attribute='host') | list }}"
  run_once: true

- name: The node's own view, like kubectl debug node/worker-1 and chroot /host
  kdebug.toolkit.kdebug_exec:
    node: worker-1
    shell: systemctl is-active kubelet containerd; df -h /var/lib; dmesg | tail -n 20
  register: node_view

- name: A host file, read with the tools image's tools (the host's root is at KDEBUG_TARGET_ROOT)
  kdebug.toolkit.kdebug_exec:
    node: worker-1
    join_namespaces: [net, pid]
    shell: grep -c . "$KDEBUG_TARGET_ROOT/etc/hosts"; ss -s

- name: The same command on every node of a kdebug.toolkit.nodes inventory play, one agent exec per node
  kdebug.toolkit.kdebug_exec:
    targets: "{{ ansible_play_hosts | map('extract', hostvars) | kdebug.toolkit.fleet_targets(ansible_play_hosts) }}"
    command: [cat, /proc/loadavg]
  run_once: true

- name: A plain Docker container
  kdebug.toolkit.kdebug_exec:
    docker_container: legacy-app
    docker_host: unix:///var/run/docker.sock
    command: [curl, -s, http://127.0.0.1:8080/health]
"""

RETURN = r"""
rc:
  description: Exit code of the command (124 or 137 when it was stopped at its timeout).
  returned: when the command ran (with O(targets), in each of RV(results))
  type: int
stdout:
  description: Standard output (at most O(max_output_bytes)).
  returned: always (with O(targets), in each of RV(results))
  type: str
stderr:
  description: Standard error (at most O(max_output_bytes)).
  returned: always (with O(targets), in each of RV(results))
  type: str
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always (with O(targets), in each of RV(results))
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: always (with O(targets), in each of RV(results))
  type: list
  elements: str
timed_out:
  description: The command was stopped because O(timeout) ran out.
  returned: always (with O(targets), in each of RV(results))
  type: bool
truncated:
  description: Output beyond O(max_output_bytes) was dropped.
  returned: always (with O(targets), in each of RV(results))
  type: bool
duration_ms:
  description: Milliseconds the module took, tools container start included (with O(targets), the whole call).
  returned: always
  type: int
strategy:
  description: The strategy that ran (ephemeral, agent or docker).
  returned: always
  type: str
strategy_reason:
  description: Why that strategy was chosen.
  returned: always
  type: str
debug_container:
  description: The ephemeral or docker tools container (name, image, reused...), when one was used.
  returned: when strategy is ephemeral or docker
  type: dict
  contains:
    expires_in_seconds:
      description: Seconds left of the ephemeral container's TTL when the command ended.
      type: int
      returned: when strategy is ephemeral
    audit_event:
      description:
        - The name of the Event on the target pod that records who added this ephemeral container and why.
        - V(null) when the container was re-used (the run that created it recorded it) or the Event could not be
          created (see the task's warnings).
      type: str
      returned: when strategy is ephemeral
      sample: web-68b79bb664-52xtk.3f9c2a71d04b8e65
    profile:
      description: The security profile the ephemeral container runs with (O(profile), or the one kdebug chose).
      type: str
      returned: when strategy is ephemeral
      sample: restricted
    cannot:
      description:
        - What the ephemeral container's profile does not allow, one tag each; runbooks read it to say why a tool
          failed.
        - V(ptrace) (strace, gdb), V(net_admin) (iptables, tc), V(net_raw) (tcpdump, ping), V(root) (it runs as
          the target's user).
      type: list
      elements: str
      returned: when strategy is ephemeral
      sample: [ptrace, net_admin, net_raw, root]
agent_pod:
  description:
    - The agent pod (name, namespace, node, phase, image, created, expires_in_seconds), when the agent strategy
      ran. C(expires_in_seconds) is the time left of its TTL when the command ended; C(created) is true when
      this run created it (or replaced one, which the task warns about).
  returned: when strategy is agent (with O(targets), in each of RV(results))
  type: dict
lost:
  description:
    - What ended under the command, when the task failed with C(error_class=lost). One of V(target_pod),
      V(target_container), V(debug_container), V(tools_container) (docker), V(agent_pod).
  returned: when the command was lost (with O(targets), in each of RV(results) that was)
  type: str
  sample: target_pod
target:
  description: The target.
  returned: always (with O(targets), in each of RV(results))
  type: dict
  contains:
    namespace:
      description: Pod namespace (V(null) for a node target).
      type: str
      returned: for pods
    pod:
      description: Pod name (V(null) for a node target).
      type: str
      returned: for pods
    container:
      description: Container name (V(null) for a node target).
      type: str
      returned: always
    container_id:
      description: Runtime container id, such as C(containerd://...) (V(null) for a node target).
      type: str
      returned: always
    node:
      description: Node (or Docker host) it runs on; for a node target, the node itself.
      type: str
      returned: always
    pid:
      description:
        - Host pid of the target's main process, when the strategy needed it.
        - For a node target, the node's host process whose namespaces the command entered (pid 1, or the kubelet).
      type: int
      returned: always
    network:
      description:
        - V(node) when the pod runs in its node's network namespace (C(spec.hostNetwork)), so what a command sees of
          the network (interfaces, routes, listening sockets, the resolv.conf of dnsPolicy C(ClusterFirst)) is the
          node's; V(pod) otherwise. Always V(node) for a node target.
      type: str
      returned: always
    dns_policy:
      description: The pod's C(dnsPolicy) (V(ClusterFirst) when unset); V(null) for a node target.
      type: str
      returned: always
plan:
  description:
    - In check mode, what would be created and run.
    - For the ephemeral strategy, C(audit_event) is the Event that would record a new debug container (V(null)
      when it would be re-used).
  returned: in check mode
  type: dict
results:
  description:
    - With O(targets), one result per target, in their order, with the keys of a single result (RV(rc),
      RV(stdout), RV(stderr), RV(stdout_lines), RV(stderr_lines), RV(timed_out), RV(truncated), RV(duration_ms),
      RV(strategy), RV(strategy_reason), RV(agent_pod), RV(target), RV(plan) in check mode) plus C(host) (the
      target's own label) and C(failed).
    - A target that could not run has C(failed=true), C(msg) saying why and C(error_class); a target's
      C(duration_ms) is its node's time, its agent's start included.
  returned: with targets
  type: list
  elements: dict
summary:
  description:
    - With O(targets), counts over RV(results) - C(targets), C(ran), C(failed), C(planned) (check mode) - the
      C(nodes) served and the nodes whose agent this call created (C(agents_created); in check mode, would create).
  returned: with targets
  type: dict
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.exec import MODULE_KWARGS, argument_spec, run_exec


def main():
    run_module("kdebug_exec", argument_spec(), run_exec, **MODULE_KWARGS)


if __name__ == "__main__":
    main()
