# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The fork of a crash-looping pod as data: a copy that stays up so the crash can be examined. Pure.

A container that keeps crashing has no live namespaces to join, so kdebug_fork
copies its pod and changes what kills it or would mix the copy up with the
original. Each change is one small edit (as in the profiles of kubectl debug,
k8s.io/kubectl/pkg/cmd/debug/profiles.go); :data:`FORK_EDITS` lists them in the
order :func:`build_fork` applies them, each with the sentence the kdebug_fork
documentation gives for it (a unit test holds the two equal). Every edit that
changes something says so in ``changes``, one sentence per field.

The entrypoint question: when the pod spec sets no ``command``, the image's
ENTRYPOINT runs (with ``args``, or the image's CMD), and the Kubernetes API does
not expose the image configuration. The hold has to replace the entrypoint
anyway; the replay then needs to be told what it was (``replay_command``), and
the result says so instead of guessing.

managers/fork.py creates, replaces, waits for and deletes forks and replays in
them; usecases/fork.py is the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, options
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import placement
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    DEFAULT_CONTAINER_ANNOTATION, INIT, MAIN, MIRROR_POD_ANNOTATION, choose_container, container_kind,
    container_state_problem, container_status, find_spec, last_termination, owners_text, pod_summary,
    selector_matches, unschedulable_problem)

COMPONENT = "fork"
NAME_PREFIX = "kdebug-fork"

ANNOTATION_FORK_OF = "kdebug.io/fork-of"
ANNOTATION_SOURCE_UID = "kdebug.io/fork-source-uid"
ANNOTATION_HELD_CONTAINER = "kdebug.io/held-container"
ANNOTATION_ORIGINAL = "kdebug.io/original-command"
ANNOTATION_SPEC_HASH = metadata.ANNOTATION_SPEC_HASH

# The injected busybox: volume, init container and where the target sees it.
TOOLS_VOLUME = "kdebug-fork-tools"
TOOLS_INIT_CONTAINER = "kdebug-fork-tools"
TOOLS_MOUNT = "/.kdebug"
BUSYBOX = TOOLS_MOUNT + "/busybox"
# Exits at once on TERM (busybox sleep as pid 1 would ignore it and make every
# deletion wait for the grace period), idles for the TTL otherwise.
HOLD_SCRIPT = "trap 'exit 0' TERM INT; %s sleep %d & wait"
# nobody: the copy needs no privileges; passes PodSecurity "restricted".
COPY_USER = 65534

# The official busybox image ships a static busybox, which runs in any target image.
DEFAULT_TOOLS_IMAGE = options.DEFAULT_FORK_TOOLS_IMAGE
DEFAULT_BUSYBOX_PATH = "/bin/busybox"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
ENDED_PHASES = ("Succeeded", "Failed")
# Metadata the server owns: it sets them again for the fork.
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink", "generation",
                   "deletionTimestamp", "deletionGracePeriodSeconds")


def fork_name(namespace, pod):
    """The fork's name: a function of the source alone, so every run finds the same fork."""
    return metadata.stable_name(NAME_PREFIX, pod, namespace)


def is_fork(pod):
    """True for a pod kdebug_fork made."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    return bool(annotations.get(ANNOTATION_FORK_OF)) or (
        labels.get(metadata.MANAGED_BY_LABEL) == metadata.MANAGED_BY
        and labels.get(metadata.COMPONENT_LABEL) == COMPONENT)


def default_options(**overrides):
    """The transform's options with their defaults (the module's defaults)."""
    opts = dict(
        container=None,
        image=DEFAULT_TOOLS_IMAGE,
        image_pull_policy="IfNotPresent",
        image_pull_secrets=[],
        busybox_path=DEFAULT_BUSYBOX_PATH,
        target_image=None,
        keep_labels=[],
        keep_annotations=[],
        keep_init_containers=True,
        env={},
        share_processes=None,
        same_node=False,
        other_node=None,
        nodes=None,
        ttl_seconds=3600,
        requester="kdebug",
        reason="kdebug_fork",
        now=None,
        run=None,
    )
    unknown = set(overrides) - set(opts)
    if unknown:
        raise ValueError("unknown fork options: %s" % ", ".join(sorted(unknown)))
    opts.update(overrides)
    return opts


def hold_command(ttl_seconds):
    """The held container's command: idle for the TTL through the injected busybox."""
    return [BUSYBOX, "sh", "-c", HOLD_SCRIPT % (BUSYBOX, int(ttl_seconds))]


def spec_hash(fork):
    """Hash of what makes a fork what it is (not who asked or when)."""
    meta = fork["metadata"]
    skip = {metadata.ANNOTATION_REQUESTED_BY, metadata.ANNOTATION_CREATED_AT, metadata.ANNOTATION_REASON,
            metadata.ANNOTATION_RUN, metadata.ANNOTATION_REMOVE_WITH_RUN, ANNOTATION_SOURCE_UID, ANNOTATION_SPEC_HASH}
    annotations = dict((k, v) for k, v in (meta.get("annotations") or {}).items() if k not in skip)
    material = {"labels": meta.get("labels"), "annotations": annotations, "spec": fork["spec"]}
    return metadata.spec_hash(material)


# --- the edits: each takes the Draft, changes it in place and notes what it changed ---------------------------


class Draft(object):
    """The fork while the edits shape it: copies of the source's metadata and spec, and the changes so far."""

    def __init__(self, pod, opts):
        self.meta = copy.deepcopy(pod.get("metadata") or {})
        self.spec = copy.deepcopy(pod.get("spec") or {})
        self.namespace, self.name = self.meta.get("namespace"), self.meta.get("name")
        self.source_uid = self.meta.get("uid")
        self.opts = opts
        self.ttl = int(opts["ttl_seconds"])
        self.container = choose_container(pod, opts.get("container"))
        # An init container is held where it is: the ones before it run first, the ones after it and the main
        # containers wait until it ends (which the hold makes the TTL).
        self.kind = container_kind(pod, self.container) or MAIN
        source_target = find_spec(pod, self.kind, self.container)
        self.original = dict(container=self.container, command=source_target.get("command"),
                             args=source_target.get("args"), image=source_target.get("image"))
        self.changes = []
        self.warnings = []
        self.source_node = self.spec.get("nodeName")
        self.placement = {"host_network": bool(self.spec.get("hostNetwork")), "source_node": self.source_node,
                          "avoid_source_node": False, "candidates": None, "excluded": None, "reason": None}

    @property
    def target(self):
        """The container the fork holds."""
        field = "initContainers" if self.kind == INIT else "containers"
        return next(c for c in self.spec[field] if c.get("name") == self.container)

    @property
    def where(self):
        return "spec.%s[%s]" % ("initContainers" if self.kind == INIT else "containers", self.container)

    def containers(self):
        """(field, container) for every init and main container."""
        return [("initContainers", c) for c in self.spec.get("initContainers") or []] + \
            [("containers", c) for c in self.spec.get("containers") or []]

    def note(self, change, *args):
        self.changes.append(change % args if args else change)


def strip_labels(fork):
    labels = fork.meta.get("labels") or {}
    kept = dict((k, labels[k]) for k in fork.opts.get("keep_labels") or [] if k in labels)
    removed = sorted(set(labels) - set(kept))
    if removed:
        fork.note("metadata.labels: removed %s (no Service or controller selects the fork)", ", ".join(removed))
    fork.meta["labels"] = dict(kept)
    fork.meta["labels"].update(metadata.managed_labels(COMPONENT))
    replaced = sorted(k for k in kept if kept[k] != fork.meta["labels"][k])
    if replaced:
        fork.note("metadata.labels: %s set to kdebug's own value", ", ".join(replaced))


def strip_annotations(fork):
    annotations = fork.meta.get("annotations") or {}
    keep = set(fork.opts.get("keep_annotations") or []) | {DEFAULT_CONTAINER_ANNOTATION}
    # The API server takes a mirror pod only from the kubelet that runs its static pod: the fork of one is a plain pod.
    keep.discard(MIRROR_POD_ANNOTATION)
    fork.meta["annotations"] = dict((k, v) for k, v in annotations.items() if k in keep)
    dropped = sorted(set(annotations) - set(fork.meta["annotations"]))
    if dropped:
        fork.note("metadata.annotations: removed %s", ", ".join(dropped))
    if MIRROR_POD_ANNOTATION in annotations:
        fork.note("the source is a static pod's mirror: the fork is a plain pod (%s removed%s)", MIRROR_POD_ANNOTATION,
                  ", although in keep_annotations" if MIRROR_POD_ANNOTATION in (fork.opts.get("keep_annotations")
                                                                                or []) else "")


def detach_from_owners(fork):
    owners = fork.meta.pop("ownerReferences", None)
    if owners:
        fork.note("metadata.ownerReferences: cleared (%s): the fork is a standalone pod", owners_text(owners))
    finalizers = fork.meta.pop("finalizers", None)
    if finalizers:
        fork.note("metadata.finalizers: cleared (%s)", ", ".join(finalizers))


def name_after_source(fork):
    generate_name = fork.meta.pop("generateName", None)
    if generate_name:
        fork.note("metadata.generateName: cleared (%s)", generate_name)
    fork.meta["name"] = fork_name(fork.namespace, fork.name)
    fork.note("metadata.name: %s (deterministic, from the source)", fork.meta["name"])


def clear_server_fields(fork):
    for field in SERVER_METADATA:
        fork.meta.pop(field, None)
    fork.note("status, uid, resourceVersion, creationTimestamp, managedFields: cleared")


def unpin_node(fork):
    node = fork.spec.get("nodeName")
    if fork.opts.get("same_node"):
        if not node:
            raise KdebugError("same_node is set but pod %s/%s is not scheduled to a node yet: unset same_node, "
                              "or wait until the pod is scheduled." % (fork.namespace, fork.name))
        fork.note("spec.nodeName: kept (%s, same_node)", node)
    elif node:
        del fork.spec["nodeName"]
        fork.note("spec.nodeName: cleared (was %s): the scheduler places the fork", node)
    terms = placement.required_terms(fork.spec)
    if terms and not fork.opts.get("same_node"):
        unpinned = placement.unpin_terms(terms)
        if unpinned != terms:
            required = fork.spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            if unpinned:
                required["nodeSelectorTerms"] = unpinned
            else:
                del fork.spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            fork.note("spec.affinity.nodeAffinity: removed the pin to node %s (matchFields metadata.name In, as the "
                      "DaemonSet controller sets it)", node or "its node")


def place_host_network(fork):
    """A hostNetwork fork shares its node's network: keep it off the source's node when another node fits."""
    if not fork.placement["host_network"]:
        return
    where, opts, source = fork.placement, fork.opts, fork.source_node
    shares = ("it shares node %s's network with the source: the ports the source binds may clash with the fork's. "
              "Stop the source (scale its controller down or delete the pod), or " % source)
    if opts.get("same_node"):
        where["reason"] = "same_node: the fork runs on the source's node %s; %sunset same_node" % (source, shares)
        fork.warnings.append("hostNetwork fork of %s/%s: %s" % (fork.namespace, fork.name, where["reason"]))
        return
    if opts.get("other_node") is False:
        where["reason"] = ("other_node=false: the scheduler may place the fork on the source's node %s; if it does, "
                           "%sleave other_node unset" % (source, shares))
        return
    nodes = opts.get("nodes")
    if nodes is None:
        where["reason"] = ("the nodes could not be listed, so whether another node fits is unknown: the fork is not "
                           "kept off the source's node %s; if it lands there, %sset other_node=true to require "
                           "another node" % (source, shares))
        fork.warnings.append("hostNetwork fork of %s/%s: %s" % (fork.namespace, fork.name, where["reason"]))
        return
    where["excluded"] = dict((n["metadata"]["name"], "the source's node" if n["metadata"]["name"] == source
                              else placement.why_not(fork.spec, n)) for n in nodes)
    where["candidates"] = sorted(n for n, why in where["excluded"].items() if why is None)
    where["excluded"] = dict((n, why) for n, why in where["excluded"].items() if why is not None)
    if where["candidates"] and source:
        placement.avoid_node(fork.spec, source)
        where["avoid_source_node"] = True
        where["reason"] = ("hostNetwork: the fork would share the source's network and host ports on node %s, so it "
                           "is kept off that node (it fits %s)" % (source, ", ".join(where["candidates"])))
        fork.note("spec.affinity.nodeAffinity: required metadata.name NotIn [%s] (hostNetwork: the fork would share "
                  "the source's network and host ports on its node; it fits %s)", source,
                  ", ".join(where["candidates"]))
        return
    excluded = "; ".join("%s: %s" % (n, why) for n, why in sorted(where["excluded"].items()) if n != source) \
        or "there is no other node"
    if opts.get("other_node"):
        raise KdebugError("other_node is set but no node other than %s fits the fork of hostNetwork pod %s/%s (%s). "
                          "Make another node fit (taints, nodeSelector, affinity), or unset other_node to fork beside "
                          "the source, sharing its network." % (source, fork.namespace, fork.name, excluded),
                          placement=dict(where))
    where["reason"] = ("no other node fits the fork (%s), so it runs on %s beside the source: %smake another node fit "
                       "(other_node=true refuses to fork beside the source)" % (excluded, source, shares))
    fork.warnings.append("hostNetwork fork of %s/%s: %s" % (fork.namespace, fork.name, where["reason"]))


def drop_ephemeral_containers(fork):
    if fork.spec.pop("ephemeralContainers", None):
        fork.note("spec.ephemeralContainers: removed (debug containers of the source)")


def drop_priority(fork):
    recomputed = [field for field in ("priority", "preemptionPolicy") if fork.spec.pop(field, None) is not None]
    if recomputed:
        fork.note("spec.%s: cleared (admission sets them again)", ", spec.".join(recomputed))


def never_restart(fork):
    if fork.spec.get("restartPolicy") != "Never":
        fork.note("spec.restartPolicy: Never (was %s)", fork.spec.get("restartPolicy", "Always"))
        fork.spec["restartPolicy"] = "Never"


def end_at_ttl(fork):
    fork.note("spec.activeDeadlineSeconds: %d (ttl_seconds; was %s)",
              fork.ttl, fork.spec.get("activeDeadlineSeconds", "unset"))
    fork.spec["activeDeadlineSeconds"] = fork.ttl


def set_share_processes(fork):
    wanted = fork.opts.get("share_processes")
    if wanted is not None and bool(fork.spec.get("shareProcessNamespace")) != wanted:
        fork.spec["shareProcessNamespace"] = bool(wanted)
        fork.note("spec.shareProcessNamespace: %s (share_processes)", str(bool(wanted)).lower())


def drop_init_containers(fork):
    inits = fork.spec.get("initContainers") or []
    if fork.kind == INIT:
        before = inits[:[c.get("name") for c in inits].index(fork.container)]
        if before and not fork.opts.get("keep_init_containers", True):
            fork.note("spec.initContainers: removed %s, the ones before the held %s (keep_init_containers=false)",
                      ", ".join(c.get("name") for c in before), fork.container)
            fork.spec["initContainers"] = inits[len(before):]
        return
    if inits and not fork.opts.get("keep_init_containers", True):
        fork.note("spec.initContainers: removed %s (keep_init_containers=false)",
                  ", ".join(c.get("name") for c in inits))
        del fork.spec["initContainers"]


def remove_probes(fork):
    for field, container in fork.containers():
        removed = [p for p in PROBES if p in container]
        for probe in removed:
            del container[probe]
        if removed:
            fork.note("spec.%s[%s]: removed %s", field, container.get("name"), ", ".join(removed))


def clear_host_ports(fork):
    if fork.placement["host_network"]:
        clear_host_network_ports(fork)
        return
    for field, container in fork.containers():
        cleared = []
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                cleared.append(str(port.pop("hostPort")))
                port.pop("hostIP", None)
        if cleared:
            fork.note("spec.%s[%s].ports: cleared hostPort %s (it would clash with the original on the node)",
                      field, container.get("name"), ", ".join(cleared))


def clear_host_network_ports(fork):
    """With hostNetwork the API server sets every hostPort back to its containerPort: clearing it does nothing.

    Kept off the source's node, the fork's ports do not clash with the source's, and the declarations stay (the
    scheduler keeps it off any node where they are taken). Beside the source, the declarations go, or the
    scheduler would never place the fork there; the process still binds the ports (placement.reason says so).
    """
    for field, container in fork.containers():
        declared = ["%s/%s" % (p.get("containerPort"), p.get("protocol") or "TCP") for p in container.get("ports") or []]
        if not declared:
            continue
        if fork.placement["avoid_source_node"]:
            fork.note("spec.%s[%s].ports: kept %s (hostNetwork: the API server sets each hostPort to its containerPort; "
                      "the fork runs on another node than the source, so they do not clash)",
                      field, container.get("name"), ", ".join(declared))
        else:
            del container["ports"]
            fork.note("spec.%s[%s].ports: removed %s (hostNetwork: the API server sets each hostPort to its "
                      "containerPort, so the fork could not be scheduled beside the source with them; the processes "
                      "still bind those ports on the node: see placement)", field, container.get("name"),
                      ", ".join(declared))


def set_target_image(fork):
    image = fork.opts.get("target_image")
    if image and image != fork.target.get("image"):
        fork.note("%s.image: %s (target_image; was %s)", fork.where, image, fork.target.get("image"))
        fork.target["image"] = image


def set_env(fork):
    wanted = fork.opts.get("env")
    if not wanted:
        return
    env = fork.target.get("env") or []
    for key in sorted(wanted):
        value = wanted[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        env = [e for e in env if e.get("name") != key] + [{"name": key, "value": "" if value is None else str(value)}]
    fork.target["env"] = env
    fork.note("%s.env: set %s", fork.where, ", ".join(sorted(wanted)))


def remove_lifecycle_hooks(fork):
    if fork.target.pop("lifecycle", None):
        fork.note("%s.lifecycle: removed (postStart/preStop hooks expect the application running)", fork.where)


def hold_target(fork):
    if any(v.get("name") == TOOLS_VOLUME for v in fork.spec.get("volumes") or []) or \
            any(c.get("name") == TOOLS_INIT_CONTAINER for _field, c in fork.containers()):
        raise KdebugError("pod %s/%s already has a volume or container named %s: kdebug_fork needs that name."
                          % (fork.namespace, fork.name, TOOLS_VOLUME))
    target = fork.target
    if any((m.get("mountPath") or "").rstrip("/") == TOOLS_MOUNT for m in target.get("volumeMounts") or []):
        raise KdebugError("container %s of pod %s/%s already mounts something at %s, where kdebug_fork puts "
                          "its busybox." % (fork.container, fork.namespace, fork.name, TOOLS_MOUNT))
    target["command"] = hold_command(fork.ttl)
    target.pop("args", None)
    target["volumeMounts"] = (target.get("volumeMounts") or []) + [
        {"name": TOOLS_VOLUME, "mountPath": TOOLS_MOUNT, "readOnly": True}]
    fork.meta["annotations"][ANNOTATION_HELD_CONTAINER] = fork.container
    fork.meta["annotations"][ANNOTATION_ORIGINAL] = json.dumps(fork.original, sort_keys=True)
    fork.note("%s.command: held (%s ...) instead of %s",
              fork.where, " ".join(target["command"][:3]), describe_original(fork.original))


def _copy_resources(target):
    """The target's resources for the copy init container.

    An init container's request counts as max(init, sum of containers), so a
    copy of the target's never raises the pod's footprint, and whatever
    LimitRange or quota admits the target admits the copy.
    """
    resources = copy.deepcopy(target.get("resources") or {})
    resources.pop("claims", None)
    return resources


def add_busybox_copy(fork):
    opts = fork.opts
    fork.spec["volumes"] = (fork.spec.get("volumes") or []) + [
        {"name": TOOLS_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}}]
    copier = {
        "name": TOOLS_INIT_CONTAINER,
        "image": opts["image"],
        "imagePullPolicy": opts.get("image_pull_policy") or "IfNotPresent",
        # busybox copies itself: the tools image needs no shell or cp of its own.
        "command": [opts["busybox_path"], "cp", opts["busybox_path"], BUSYBOX],
        "volumeMounts": [{"name": TOOLS_VOLUME, "mountPath": TOOLS_MOUNT}],
        "resources": _copy_resources(fork.target),
        "securityContext": {
            "runAsUser": COPY_USER,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    fork.spec["initContainers"] = [copier] + (fork.spec.get("initContainers") or [])
    fork.note("spec.initContainers[%s]: added (copies a static busybox from %s into the emptyDir %s, mounted at %s "
              "in %s)", TOOLS_INIT_CONTAINER, opts["image"], TOOLS_VOLUME, TOOLS_MOUNT, fork.container)


def add_pull_secrets(fork):
    present = fork.spec.get("imagePullSecrets") or []
    added = [{"name": n} for n in fork.opts.get("image_pull_secrets") or [] if {"name": n} not in present]
    if added:
        fork.spec["imagePullSecrets"] = present + added
        fork.note("spec.imagePullSecrets: added %s (image_pull_secrets, for %s)",
                  ", ".join(p["name"] for p in added), fork.opts["image"])


def default_to_held_container(fork):
    annotations = fork.meta["annotations"]
    if annotations.get(DEFAULT_CONTAINER_ANNOTATION, fork.container) != fork.container:
        fork.note("metadata.annotations: %s set to %s (was %s)",
                  DEFAULT_CONTAINER_ANNOTATION, fork.container, annotations[DEFAULT_CONTAINER_ANNOTATION])
    annotations[DEFAULT_CONTAINER_ANNOTATION] = fork.container


# What a fork changes, in the order build_fork applies it, with the sentence that documents each edit: the
# kdebug_fork module's description lists these sentences, in this order (a unit test compares them).
FORK_EDITS = (
    (strip_labels, "all labels removed except O(keep_labels), so no Service routes to it and no controller adopts it"),
    (strip_annotations, "annotations removed except O(keep_annotations) and C(kubectl.kubernetes.io/default-container) "
                        "(never C(kubernetes.io/config.mirror): the fork of a static pod's mirror is a plain pod)"),
    (detach_from_owners, "C(ownerReferences) and C(finalizers) cleared, so it is a standalone pod that nothing keeps "
                         "from being deleted"),
    (name_after_source, "C(generateName) cleared, the name derived from the source's namespace and name"),
    (clear_server_fields, "C(status) and the server's fields (uid, resourceVersion, creationTimestamp, managedFields) "
                          "cleared"),
    (unpin_node, "C(nodeName) cleared unless O(same_node), so the scheduler places it"),
    (drop_ephemeral_containers, "C(ephemeralContainers) (the source's debug containers) removed"),
    (drop_priority, "C(priority) and C(preemptionPolicy) cleared (admission sets them again from "
                    "C(priorityClassName))"),
    (never_restart, "C(restartPolicy=Never)"),
    (end_at_ttl, "C(activeDeadlineSeconds) = O(ttl_seconds), so a forgotten fork ends by itself"),
    (set_share_processes, "C(shareProcessNamespace) = O(share_processes) when set"),
    (drop_init_containers, "the init containers removed when O(keep_init_containers=false) (when the held container "
                           "is an init container, the ones before it)"),
    (remove_probes, "readiness, liveness and startup probes removed on every container (a held application would "
                    "fail them and be killed)"),
    (place_host_network, "for a hostNetwork pod, a required node affinity C(metadata.name NotIn [source node]) when "
                         "another node fits (O(other_node)); otherwise RV(placement) and a warning say that the fork "
                         "shares the source's node network and its ports may clash"),
    (clear_host_ports, "hostPorts cleared on every container (the fork would clash with the original on the node); "
                       "for a hostNetwork pod, whose hostPorts the API server sets back to the containerPorts, the "
                       "port declarations kept when the fork avoids the source's node, removed otherwise"),
    (set_target_image, "the target container's image replaced by O(target_image) when set"),
    (set_env, "O(env) set in the target container"),
    (remove_lifecycle_hooks, "the target container's lifecycle hooks removed (postStart and preStop expect the "
                             "application running)"),
    (hold_target, "the target container held - it runs C(/.kdebug/busybox sh -c 'sleep TTL') instead of its "
                  "entrypoint, its original command and args kept in the C(kdebug.io/original-command) annotation"),
    (add_busybox_copy, "an init container added that copies a static busybox from O(image) into an emptyDir mounted "
                       "at C(/.kdebug) in the target, so images without a shell or C(sleep) are held too"),
    (add_pull_secrets, "O(image_pull_secrets) added to C(imagePullSecrets)"),
    (default_to_held_container, "C(kubectl.kubernetes.io/default-container) set to the target container, so "
                                "C(kubectl exec) and C(kubectl logs) without C(-c) land in it"),
)


def sign(fork):
    """The finished fork: audit annotations (who, when, why, target, TTL), its source, and its spec hash."""
    opts, annotations = fork.opts, fork.meta["annotations"]
    annotations.update(metadata.audit_annotations(
        opts.get("reason") or "kdebug_fork", "%s/%s/%s" % (fork.namespace, fork.name, fork.container), fork.ttl,
        opts.get("requester") or "kdebug", now=opts.get("now"), run=opts.get("run")))
    annotations[ANNOTATION_FORK_OF] = "%s/%s" % (fork.namespace, fork.name)
    if fork.source_uid:
        annotations[ANNOTATION_SOURCE_UID] = fork.source_uid
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": fork.meta, "spec": fork.spec}
    annotations[ANNOTATION_SPEC_HASH] = spec_hash(pod)
    return pod


def check_forkable(pod, opts):
    """KdebugError for a source that is itself a fork, or a TTL that is not a positive number of seconds."""
    meta = pod.get("metadata") or {}
    if is_fork(pod):
        origin = (meta.get("annotations") or {}).get(ANNOTATION_FORK_OF) or "another pod"
        raise KdebugError(
            "pod %s/%s is itself a kdebug fork (of %s): it is already held, with probes, labels and owners "
            "removed. Debug it directly (kdebug.toolkit.kdebug_exec), or fork the original pod instead; "
            "remove it with state=absent." % (meta.get("namespace"), meta.get("name"), origin),
            fork_of=origin)
    if opts["ttl_seconds"] is None or int(opts["ttl_seconds"]) <= 0:
        raise KdebugError("ttl_seconds must be a positive number of seconds, got %s." % opts["ttl_seconds"])


def build_fork(pod, opts):
    """The fork of ``pod`` (a dict as the API returns it) and the list of changes applied.

    Pure: no API calls, no clock unless ``opts["now"]`` is None. ``opts`` as
    :func:`default_options`. Raises KdebugError for a source that cannot be
    forked (a fork itself, a clash with the names the fork adds).
    """
    fork, changes, _placement, _warnings = build_fork_draft(pod, opts)
    return fork, changes


def build_fork_draft(pod, opts):
    """(fork, changes, placement, warnings): :func:`build_fork` with where the fork may run (``placement``: a
    hostNetwork pod's node choice, ``opts["nodes"]`` the cluster's nodes) and what the user must know."""
    check_forkable(pod, opts)
    fork = Draft(pod, opts)
    for edit, _documented in FORK_EDITS:
        edit(fork)
    return sign(fork), fork.changes, fork.placement, fork.warnings


# --- what a fork says ----------------------------------------------------------------


def describe_original(original):
    if original.get("command"):
        return "its command %s" % json.dumps(original["command"] + (original.get("args") or []))
    if original.get("args"):
        return "the image's ENTRYPOINT with args %s" % json.dumps(original["args"])
    return "the image's ENTRYPOINT and CMD"


def original_of(fork):
    """The original command block stored in a fork's annotation."""
    raw = (fork["metadata"].get("annotations") or {}).get(ANNOTATION_ORIGINAL)
    try:
        original = json.loads(raw) if raw else {}
    except ValueError:
        original = {}
    return original if isinstance(original, dict) else {}


def replay_argv(original, replay_command=None, replay_args=None):
    """(argv, None) to replay the original entrypoint, or (None, why) when it is unknown.

    Kubernetes semantics: ``command`` replaces the image's ENTRYPOINT, ``args``
    its CMD; a command without args runs alone. ``replay_command`` and
    ``replay_args`` stand in for the spec's ``command`` and ``args``.
    """
    command = replay_command if replay_command else original.get("command")
    args = replay_args if replay_args is not None else original.get("args")
    if not command:
        what = "with args %s" % json.dumps(args) if args else "and CMD"
        return None, ("container %s sets no command in the pod spec: it runs the image's ENTRYPOINT %s, which the "
                      "Kubernetes API does not expose. Set replay_command to the entrypoint (docker image inspect, "
                      "crane config or the Dockerfile show it)%s to replay it."
                      % (original.get("container"), what,
                         "" if args else ", with the image's CMD in replay_command or replay_args"))
    return list(command) + list(args or []), None


def held_info(fork, replay_command=None, replay_args=None):
    """The ``held`` result block for a fork (new or found)."""
    original = original_of(fork)
    container = (fork["metadata"].get("annotations") or {}).get(ANNOTATION_HELD_CONTAINER) or original.get("container")
    spec_container = next((c for c in (fork["spec"].get("containers") or []) + (fork["spec"].get("initContainers") or [])
                           if c.get("name") == container), {})
    argv, why = replay_argv(original, replay_command, replay_args)
    return {
        "container": container,
        "kind": INIT if any(c.get("name") == container for c in fork["spec"].get("initContainers") or []) else MAIN,
        "command": spec_container.get("command"),
        "original_command": original.get("command"),
        "original_args": original.get("args"),
        "original_image": original.get("image"),
        "image": spec_container.get("image"),
        "entrypoint_known": bool(original.get("command")) or bool(replay_command),
        "replay_argv": argv,
        "replay_note": why,
    }


def _succeeded(cstatus):
    terminated = (cstatus.get("state") or {}).get("terminated") or {}
    return bool(terminated) and terminated.get("exitCode") == 0


def fork_progress(pod, container):
    """("running" | "pending" | "failed", sentence) for a fork that is starting.

    Image pull and container creation failures are "failed" as soon as they
    show, as are a failed init container and a held container that exited; an
    unschedulable pod stays "pending" (capacity may come), with the scheduler's
    message for the timeout.
    """
    status = pod.get("status") or {}
    phase = status.get("phase")
    inits = status.get("initContainerStatuses") or []
    mains = status.get("containerStatuses") or []
    target = next((c for c in mains + inits if c.get("name") == container), None)
    if pod["metadata"].get("deletionTimestamp"):
        return "failed", "it is being deleted"
    if phase not in ENDED_PHASES and target and "running" in (target.get("state") or {}):
        return "running", "%scontainer %s runs (held)" % ("init " if target in inits else "", container)
    problems = []
    for kind, cstatus in [("init container", c) for c in inits] + [("container", c) for c in mains]:
        if _succeeded(cstatus):
            continue
        problem = container_state_problem(cstatus)
        exited = "terminated" in (cstatus.get("state") or {})
        # A sidecar that exited does not stop the held container; an init container or the target does.
        if problem and (not exited or kind == "init container" or cstatus.get("name") == container):
            problems.append("%s %s: %s" % (kind, cstatus.get("name"), problem))
    if phase in ENDED_PHASES:
        detail = "; ".join(([status["message"]] if status.get("message") else []) + problems)
        return "failed", "it ended (phase %s%s%s)" % (
            phase, ", " + status["reason"] if status.get("reason") else "", ": " + detail if detail else "")
    if problems:
        return "failed", "; ".join(problems)
    unschedulable = unschedulable_problem(pod)
    if unschedulable:
        return ("failed" if ports_held_everywhere(unschedulable) else "pending"), unschedulable
    waiting = []
    for cstatus in inits + mains:
        reason = ((cstatus.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            waiting.append("%s %s" % (cstatus.get("name"), reason))
    return "pending", "phase %s%s" % (phase or "unknown", " (%s)" % ", ".join(waiting) if waiting else "")


# The scheduler's reasons for a node that no wait will change for a hostNetwork fork: its host ports are held (by a
# DaemonSet's pod, which a new node would get too) or it is the source's node the fork is kept off (the fork's node
# affinity; the source's own selector and affinity, copied, exclude the same nodes the source could not use).
_LASTING_REASONS = ("didn't have free ports", "didn't match pod anti-affinity rules",
                    "didn't match Pod's node affinity/selector")


def ports_held_everywhere(unschedulable):
    """True when the scheduler's message (``0/3 nodes are available: 1 node(s) didn't match pod anti-affinity
    rules, 2 node(s) didn't have free ports ...``) excludes every node for lasting reasons, host ports among them:
    the fork would stay Pending until wait_timeout, so it fails at once. Insufficient resources or a taint may
    change (an autoscaler, a drain ending): those keep the wait."""
    counts = unschedulable.split("nodes are available:", 1)[-1].split("preemption:", 1)[0]
    reasons = [part.strip().rstrip(".") for part in counts.split(",") if part.strip()]
    return (any("free ports" in reason for reason in reasons)
            and all(any(lasting in reason for lasting in _LASTING_REASONS) for reason in reasons))


def source_termination(pod, container):
    """The source container's state and last termination, and where its logs are (pure)."""
    status = container_status(pod, container) or {}
    state = status.get("state") or {}
    result = {"state": next(iter(state), None), "waiting_reason": (state.get("waiting") or {}).get("reason"),
              "restart_count": status.get("restartCount", 0)}
    result.update(last_termination(status) or dict.fromkeys(
        ("exit_code", "signal", "reason", "message", "started_at", "finished_at", "logs_of")))
    return result


def fork_summary(pod, created):
    """The ``fork`` result block."""
    if not pod:
        return None
    return pod_summary(pod, uid=pod["metadata"].get("uid"), created=created,
                       ttl_seconds=pod["spec"].get("activeDeadlineSeconds"),
                       fork_of=(pod["metadata"].get("annotations") or {}).get(ANNOTATION_FORK_OF))


def placement_result(placement, pod):
    """The ``placement`` result block: the placement decided when the fork was built, and where it runs."""
    result = dict(placement)
    node = ((pod or {}).get("spec") or {}).get("nodeName")
    result["node"] = node
    result["shares_network_with_source"] = (node == placement["source_node"]) if node and placement["host_network"] \
        else None
    return result


def diff_view(pod):
    """What --diff shows of a pod: its identity, labels, annotations and spec."""
    if not pod:
        return {}
    meta = pod.get("metadata") or {}
    view = {"metadata": dict((k, meta[k]) for k in ("name", "namespace", "labels", "annotations",
                                                    "ownerReferences", "finalizers", "generateName") if k in meta),
            "spec": pod.get("spec") or {}}
    return view


def replay_result(argv, outcome, timeout):
    """The ``replay`` result block from an ExecOutcome."""
    out, err = outcome.stdout.text(), outcome.stderr.text()
    # busybox timeout sends TERM, then KILL: the command ends 143 or 137 (124 from a coreutils timeout).
    timed_out = bool(outcome.timed_out) or (
        outcome.rc in (124, 137, 143) and outcome.elapsed >= timeout * 0.95)
    return {
        "status": "ran",
        "msg": None,
        "argv": list(argv),
        "rc": outcome.rc,
        "stdout": out,
        "stderr": err,
        "stdout_lines": out.splitlines(),
        "stderr_lines": err.splitlines(),
        "duration_ms": int(outcome.elapsed * 1000),
        "timed_out": timed_out,
        "truncated": outcome.stdout.truncated or outcome.stderr.truncated,
        "error": outcome.error,
    }


def replay_not_run(status, msg, argv=None):
    return {"status": status, "msg": msg, "argv": argv, "rc": None, "stdout": "", "stderr": "",
            "stdout_lines": [], "stderr_lines": [], "duration_ms": 0, "timed_out": False, "truncated": False,
            "error": None}


def source_block(pod, container, logs):
    """The ``source`` result block: the source pod, its container's last termination and ``logs``."""
    owners = (pod["metadata"].get("ownerReferences") or [])
    return {
        "namespace": pod["metadata"]["namespace"],
        "pod": pod["metadata"]["name"],
        "container": container,
        "uid": pod["metadata"].get("uid"),
        "node": pod["spec"].get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "owner": owners_text(owners) or None,
        "last_termination": source_termination(pod, container),
        "previous_logs": logs,
    }


def why_replace(existing, desired):
    """Why the fork found must be replaced by ``desired`` (None: keep it); KdebugError when it is not our fork."""
    meta = existing["metadata"]
    annotations = meta.get("annotations") or {}
    wanted = desired["metadata"]["annotations"]
    if not is_fork(existing) or annotations.get(ANNOTATION_FORK_OF) != wanted[ANNOTATION_FORK_OF]:
        raise KdebugError("pod %s/%s exists and is not a kdebug fork of %s: delete or rename it, kdebug_fork "
                          "needs that name." % (meta["namespace"], meta["name"], wanted[ANNOTATION_FORK_OF]))
    if meta.get("deletionTimestamp"):
        return "it was being deleted"
    phase = (existing.get("status") or {}).get("phase")
    if phase in ENDED_PHASES:
        return "it had ended (%s%s)" % (phase, ", " + existing["status"]["reason"]
                                        if existing["status"].get("reason") else "")
    if annotations.get(ANNOTATION_SPEC_HASH) != wanted[ANNOTATION_SPEC_HASH]:
        return "its options or the source pod's spec changed (spec hash %s, now %s)" % (
            annotations.get(ANNOTATION_SPEC_HASH), wanted[ANNOTATION_SPEC_HASH])
    return None


def refuse_selection(fork, kind, items):
    """KdebugError when one of ``items`` (Services or controllers of ``kind``) selects the fork's kept labels."""
    labels = fork["metadata"]["labels"]
    for item in items:
        selector = (item.get("spec") or {}).get("selector")
        if selector_matches(selector, labels):
            raise KdebugError(
                "with the kept labels (%s) the fork would be selected by %s %s/%s (selector %s): it would "
                "receive its traffic or be adopted. Keep fewer labels (keep_labels)."
                % (", ".join(sorted(k for k in labels if not k.startswith("kdebug.io/")
                                    and k != metadata.MANAGED_BY_LABEL)),
                   kind, fork["metadata"]["namespace"], item["metadata"]["name"], json.dumps(selector, sort_keys=True)),
                selected_by={"kind": kind, "name": item["metadata"]["name"]})


def failure_advice(problem):
    """What to do about a fork that cannot run, from the sentence that says why."""
    if "Image" in problem or "image" in problem:
        return ("Check the image options (image: the tools image the busybox is copied from; target_image) and "
                "that the node can pull them (image_pull_policy, image_pull_secrets). Before 1.0, image replaced "
                "the target's image: that is target_image now.")
    if "free ports" in problem:
        return ("A hostNetwork fork kept off the source's node goes only where the source's host ports are free: on "
                "the other nodes that fit, something (a DaemonSet's other pods) holds them. Set other_node=false to "
                "fork beside the source, sharing its network, or stop what holds the ports on another node.")
    if "schedul" in problem:
        return "Check the node's capacity and taints, the pod's nodeSelector and affinity, or set same_node."
    if "not a dynamic executable" in problem or "no such file" in problem or "exec format" in problem:
        return ("The busybox copied from image (busybox_path) must be a static binary for the target's "
                "architecture.")
    return "See kubectl describe pod for the events."
