# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The per-node agent as data: one privileged hostPID pod per node, with a TTL. Pure.

Commands reach a target container by ``nsenter`` from the agent into the
target's host pid (:func:`nsenter_argv`). The pod's ``activeDeadlineSeconds`` is its TTL, so an agent
nobody removes dies by itself. One deterministic name per node, so repeated
and concurrent runs converge on one pod. The desired pod is a pure function of
the options; a hash of it, stored as an annotation, says whether an existing
agent still matches (managers/agent.py reads, creates and removes them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ImagePullError, OptionError, StartError
from ansible_collections.kdebug.toolkit.plugins.module_utils.nodes import not_ready_problem
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    container_state_problem, pod_summary, seconds_left, unschedulable_problem)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import parse_timestamp
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import life_needed, with_timeout
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.pull_secrets import (
    image_pull_problem, pull_failure_advice, registry_of)

AGENT_CONTAINER = "agent"
COMPONENT = "agent"
POD_SECURITY_LABELS = {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/audit": "privileged",
    "pod-security.kubernetes.io/warn": "privileged",
}
# Like node debugging: the agent must run on any node, tainted or not.
TOLERATE_EVERYTHING = [{"operator": "Exists"}]
# The target's Linux namespaces a command enters (kdebug_exec join_namespaces), as nsenter flags.
NAMESPACE_FLAGS = {"net": "--net", "uts": "--uts", "ipc": "--ipc", "pid": "--pid", "mnt": "--mount",
                   "cgroup": "--cgroup"}
DEFAULT_JOIN_NAMESPACES = ("net", "uts", "ipc", "pid")
# What a plan shows in place of the target's host pid, which only the agent can find.
PID_PLACEHOLDER = "<pid>"


# The agent's /tmp, where a batch's driver and the probes keep their files (a fleet run creates and removes a
# dozen per target): memory, since on the container's overlay each create searched the ext4 inode bitmap under
# load (about 5% of all CPU during a 300-pod DNS sweep on the lab, by perf). Gone with the pod, so nothing a
# killed command leaves there outlives the agent; the size bounds what a runaway output takes of the node's memory.
SCRATCH_VOLUME = "scratch"
SCRATCH_SIZE = "1Gi"


def agent_name(node):
    return metadata.stable_name("kdebug-agent", node)


def desired_agent(node, namespace, image, ttl_seconds, requester, reason, pull_policy="IfNotPresent",
                  image_pull_secrets=None, tolerations=None, resources=None, run=None):
    """The agent pod as a dict. ``tolerations`` None means tolerate every taint."""
    spec = {
        "nodeName": node,
        "hostPID": True,
        "hostNetwork": True,
        "hostIPC": True,
        "restartPolicy": "Never",
        "activeDeadlineSeconds": int(ttl_seconds),
        "terminationGracePeriodSeconds": 1,
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "tolerations": TOLERATE_EVERYTHING if tolerations is None else tolerations,
        "imagePullSecrets": [{"name": s} for s in (image_pull_secrets or [])],
        "containers": [{
            "name": AGENT_CONTAINER,
            "image": image,
            "imagePullPolicy": pull_policy,
            # activeDeadlineSeconds ends the pod; the sleep is a second stop should it not.
            "command": ["sleep", str(int(ttl_seconds) + 60)],
            "securityContext": {"privileged": True},
            "resources": resources or {},
            "volumeMounts": [{"name": SCRATCH_VOLUME, "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": SCRATCH_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": SCRATCH_SIZE}}],
    }
    annotations = metadata.audit_annotations(reason, node, ttl_seconds, requester, run=run)
    annotations[metadata.ANNOTATION_SPEC_HASH] = metadata.spec_hash(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": agent_name(node),
            "namespace": namespace,
            "labels": metadata.managed_labels(COMPONENT, {metadata.NODE_LABEL: node[:63]}),
            "annotations": annotations,
        },
        "spec": spec,
    }


def agent_namespace(name, requester, reason):
    """The agents' namespace: PodSecurity privileged, since the agent is.

    Made by the first run that needs an agent there, so it carries that run's
    requester and reason; TTL 0: it outlives its agents (docs/cleanup.md).
    """
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": metadata.managed_labels("agent-namespace", POD_SECURITY_LABELS),
                         "annotations": metadata.audit_annotations(reason, name, 0, requester)}}


def expires_in(pod, now):
    """Seconds left of the agent's TTL (``activeDeadlineSeconds`` counts from the pod's start) at ``now``."""
    return seconds_left((pod.get("status") or {}).get("startTime"), pod["spec"].get("activeDeadlineSeconds"), now)


def agent_summary(pod, created, now):
    """The documented ``agent`` result; ``expires_in_seconds`` is the time left at ``now`` (epoch seconds)."""
    if not pod:
        return None
    return pod_summary(pod, image=pod["spec"]["containers"][0]["image"], created=created,
                       expires_in_seconds=expires_in(pod, now))


def why_replace(pod, desired, needed_seconds=0, now=0):
    """None when an existing agent can be kept (alive, same spec, ``needed_seconds`` of its TTL left at ``now``),
    else why it is replaced."""
    if pod["metadata"].get("deletionTimestamp"):
        return "it was being deleted"
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return "it had ended (%s)" % ((pod.get("status") or {}).get("reason") or phase)  # its TTL ran out, or it died
    have = (pod["metadata"].get("annotations") or {}).get(metadata.ANNOTATION_SPEC_HASH)
    want = desired["metadata"]["annotations"][metadata.ANNOTATION_SPEC_HASH]
    if have != want:
        return "its options changed (spec hash %s, now %s)" % (have, want)
    left = expires_in(pod, now)
    if needed_seconds and left is not None and left < needed_seconds:
        return ("its TTL ends in %ds, before this command could end (its timeout plus a margin: %ds), so it "
                "would be killed mid-command" % (left, needed_seconds))
    return None


def agent_ready(pod):
    """True when the agent runs; StartError when it never will."""
    name = "%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        raise StartError("agent pod %s ended (%s: %s)." % (name, status.get("reason") or status.get("phase"),
                                                           status.get("message") or "no message"))
    problem = unschedulable_problem(pod)
    for container in status.get("containerStatuses") or []:
        problem = problem or container_state_problem(container)
        if "running" in (container.get("state") or {}):
            return True
    if problem and image_pull_problem(problem):
        image = pod["spec"]["containers"][0]["image"]
        secrets = [s.get("name") for s in pod["spec"].get("imagePullSecrets") or []]
        raise ImagePullError("agent pod %s on node %s cannot start: %s. %s." % (
            name, pod["spec"].get("nodeName"), problem,
            pull_failure_advice(image, secrets, pod["metadata"]["namespace"], problem)),
            registry=registry_of(image), image=image, image_pull_secrets=secrets)
    if problem:
        raise StartError("agent pod %s on node %s cannot start: %s. Check the image option (the node must be able "
                         "to pull it: image_pull_secrets, image_pull_policy) and the node's taints and capacity."
                         % (name, pod["spec"].get("nodeName"), problem))
    return False


def diff_of(before, after):
    """A small before/after for --diff: what an agent is, not every field the API adds."""
    def view(pod):
        if not pod:
            return {}
        return {"name": pod["metadata"]["name"], "node": pod["spec"].get("nodeName"),
                "image": pod["spec"]["containers"][0]["image"],
                "ttl_seconds": pod["spec"].get("activeDeadlineSeconds"),
                "spec_hash": (pod["metadata"].get("annotations") or {}).get(metadata.ANNOTATION_SPEC_HASH)}
    return {"before": view(before), "after": view(after)}


# --- a command in a target, from the agent ---------------------------------------------------------------------


def nsenter_argv(pid, namespaces, inner_argv, timeout=None):
    """nsenter into the listed namespaces of pid, then run inner_argv (argv, no shell) under ``timeout``.

    Entering a pid namespace leaves /proc showing the node's processes, which
    confuses ps and friends; ``unshare --mount-proc`` gives the command a
    private /proc of the target's pid namespace (the agent's own mounts stay).

    The timeout acts inside the target's namespaces: entering a pid namespace
    makes nsenter fork, and a ``timeout`` around nsenter would see nsenter die
    of its TERM while a command that ignores TERM lives on, never KILLed. So
    the ``timeout`` runs after the nsenter that forks, as the command's parent.
    Its binary comes from the agent: with ``mnt`` joined, a second nsenter
    (no fork: no pid namespace) enters the target's mount namespace last.
    """
    unknown = [n for n in namespaces if n not in NAMESPACE_FLAGS]
    if unknown:
        raise OptionError("unknown namespace(s) %s in join_namespaces: choose from %s."
                          % (", ".join(unknown), ", ".join(NAMESPACE_FLAGS)))
    if "pid" not in namespaces:  # nsenter does not fork: the command is timeout's own child
        return with_timeout(_nsenter(pid, namespaces) + list(inner_argv), timeout)
    if "mnt" not in namespaces:
        return _nsenter(pid, namespaces) + ["unshare", "--mount-proc", "--"] + with_timeout(inner_argv, timeout)
    if not timeout:
        return _nsenter(pid, namespaces) + list(inner_argv)
    return (_nsenter(pid, [n for n in namespaces if n != "mnt"])
            + with_timeout(_nsenter(pid, ["mnt"]) + list(inner_argv), timeout))


def _nsenter(pid, namespaces):
    return ["nsenter", "--target", str(pid)] + [NAMESPACE_FLAGS[n] for n in namespaces] + ["--"]


def root_path(pid):
    return "/proc/%s/root" % pid


def target_root(process, namespaces):
    """The target's root as the command sees it: through its own /proc when it has one."""
    if "pid" in namespaces and "mnt" not in namespaces and process.get("nspid"):
        return root_path(process["nspid"])
    return root_path(process["pid"])


def target_argv(spec, pid, root, namespaces):
    """The whole argv the agent runs for one target: nsenter, timeout, then the command (an ExecSpec)."""
    return nsenter_argv(pid, namespaces, spec.inner_argv(root), spec.timeout)


def exec_plan(desired, existing, spec, namespaces, now):
    """What running ``spec`` through the agent ``desired`` would do (check mode): ``existing`` is the agent now."""
    reuse = bool(existing and why_replace(existing, desired, life_needed(spec.timeout, desired["spec"]["activeDeadlineSeconds"]), now) is None)
    return {"agent_pod": desired["metadata"]["name"], "agent_namespace": desired["metadata"]["namespace"],
            "node": desired["spec"]["nodeName"], "would_create": not reuse,
            "argv": spec.outer_argv(target_argv(spec, PID_PLACEHOLDER, root_path(PID_PLACEHOLDER), namespaces))}


# The kubelet renews its node's Lease every 10 s (a quarter of the lease's 40 s): twice that without a renewal, and
# the kubelet is not there to start the agent, long before the node turns NotReady (node-monitor-grace-period, 40 s+).
LEASE_SILENCE_SECONDS = 20


def node_silence(node, lease, now):
    """Why the kubelet of ``node`` (the Node, or None) would not start a pod, from its Ready condition and its
    Lease in kube-node-lease (or None when it cannot be read): a sentence, or None when the node looks alive."""
    name = (node or lease or {}).get("metadata", {}).get("name", "?")
    not_ready = not_ready_problem(node) if node is not None else None
    if not_ready:
        return ("%s: its kubelet does not run new pods. Check the node and its kubelet (kubectl describe node %s), "
                "or debug a pod on another node." % (not_ready, name))
    renewed = parse_timestamp(((lease or {}).get("spec") or {}).get("renewTime"))
    if renewed is not None and now - renewed.timestamp() > LEASE_SILENCE_SECONDS:
        return ("the kubelet of node %s has not renewed its lease for %ds: it is stopped, hung or cut off from the "
                "API server, so it starts no pod. Check the kubelet on that node (kubectl get lease -n "
                "kube-node-lease %s), or debug a pod on another node." % (name, now - renewed.timestamp(), name))
    return None


# --- a command in a node's host namespaces, from its agent (kdebug_exec node targets) -----------------------------

# What a node target enters by default: every namespace of the node's host process, like kubectl-node-shell
# (nsenter -t 1 -m -u -i -n -p). With mnt the command runs on the host's filesystem and binaries.
DEFAULT_NODE_JOIN_NAMESPACES = ("mnt", "uts", "ipc", "net", "pid")


def join_namespaces(requested, node_target=False):
    """The Linux namespaces a command enters: ``requested`` (kdebug_exec join_namespaces) when given, else the
    default of the target's kind (a pod's container, or a node's host)."""
    if requested is not None:
        return list(requested)
    return list(DEFAULT_NODE_JOIN_NAMESPACES if node_target else DEFAULT_JOIN_NAMESPACES)
