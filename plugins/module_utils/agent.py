# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The per-node agent: one privileged hostPID pod per node, with a TTL.

Commands reach a target container by ``nsenter`` from the agent into the
target's host pid. The pod's ``activeDeadlineSeconds`` is its TTL, so an agent
nobody removes dies by itself. One deterministic name per node, so repeated
and concurrent runs converge on one pod; a 409 on create means another run
made it first. The desired pod is a pure function of the options; a hash of
it, stored as an annotation, says whether an existing agent still matches.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, translate_api_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import (
    ApiException, KubeRest, api_path, dry_run, pod_path)
from ansible_collections.kdebug.toolkit.plugins.module_utils.waiting import (
    container_state_problem, unschedulable_problem, wait_for)

DEFAULT_NAMESPACE = "kdebug-system"
AGENT_CONTAINER = "agent"
ANNOTATION_SPEC_HASH = "kdebug.io/spec-hash"
POD_SECURITY_LABELS = {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/audit": "privileged",
    "pod-security.kubernetes.io/warn": "privileged",
}
# Like node debugging: the agent must run on any node, tainted or not.
TOLERATE_EVERYTHING = [{"operator": "Exists"}]


def agent_name(node):
    return metadata.stable_name("kdebug-agent", node)


def desired_agent(node, namespace, image, ttl_seconds, requester, pull_policy="IfNotPresent",
                  image_pull_secrets=None, tolerations=None, resources=None, reason="node agent"):
    """The agent pod as a dict (pure). ``tolerations`` None means tolerate every taint."""
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
        }],
    }
    spec_hash = hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    annotations = metadata.audit_annotations(reason, node, ttl_seconds, requester)
    annotations[ANNOTATION_SPEC_HASH] = spec_hash
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": agent_name(node),
            "namespace": namespace,
            "labels": metadata.managed_labels("agent", {metadata.NODE_LABEL: node[:63]}),
            "annotations": annotations,
        },
        "spec": spec,
    }


def agent_summary(pod, created):
    """The documented ``agent`` result."""
    if not pod:
        return None
    return {
        "name": pod["metadata"]["name"],
        "namespace": pod["metadata"]["namespace"],
        "node": pod["spec"].get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "image": pod["spec"]["containers"][0]["image"],
        "created": created,
        "expires_in_seconds": pod["spec"].get("activeDeadlineSeconds"),
    }


def is_usable(pod, desired):
    """An existing agent is kept when it matches the desired spec and is alive."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False  # its TTL ran out (DeadlineExceeded) or it died
    have = (pod["metadata"].get("annotations") or {}).get(ANNOTATION_SPEC_HASH)
    return have == desired["metadata"]["annotations"][ANNOTATION_SPEC_HASH]


def agent_ready(pod):
    """True when the agent runs; KdebugError when it never will."""
    name = "%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        raise KdebugError("agent pod %s ended (%s: %s)." % (name, status.get("reason") or status.get("phase"),
                                                            status.get("message") or "no message"))
    problem = unschedulable_problem(pod)
    for container in status.get("containerStatuses") or []:
        problem = problem or container_state_problem(container)
        if "running" in (container.get("state") or {}):
            return True
    if problem:
        raise KdebugError("agent pod %s on node %s cannot start: %s. Check the image option (the node must be able "
                          "to pull it) and the node's taints and capacity." % (name, pod["spec"].get("nodeName"),
                                                                               problem))
    return False


class AgentManager(object):
    """Create, find and remove agents through the API (kube_rest: plain dicts, no generated models)."""

    def __init__(self, api, namespace=DEFAULT_NAMESPACE, check_mode=False):
        self.api = KubeRest.of(api)
        self.namespace = namespace
        self.check_mode = check_mode
        self.namespace_created = False  # by the last ensure(): a change even when another run made the pod

    def _dry_run(self):
        return {"dryRun": dry_run(self.check_mode)}

    def check_node(self, node):
        try:
            self.api.get(api_path("nodes", node))
        except ApiException as exc:
            if exc.status == 404:
                raise KdebugError("node %s not found: check the node option (kubectl get nodes)." % node)
            raise translate_api_error(exc, "get", "nodes", None, node)

    def read(self, node):
        try:
            return self.api.get(pod_path(self.namespace, agent_name(node)))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise translate_api_error(exc, "get", "pods", self.namespace, agent_name(node))

    def ensure_namespace(self, requester):
        """Create the agent namespace (PodSecurity privileged) when absent; True when created."""
        try:
            self.api.get(api_path("namespaces", self.namespace))
            return False
        except ApiException as exc:
            if exc.status != 404:
                raise translate_api_error(exc, "get", "namespaces", None, self.namespace)
        labels = metadata.managed_labels("agent-namespace", POD_SECURITY_LABELS)
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": self.namespace, "labels": labels,
                             "annotations": metadata.audit_annotations("kdebug agents", self.namespace, 0, requester)}}
        try:
            self.api.post(api_path("namespaces"), body, query=self._dry_run())
        except ApiException as exc:
            if exc.status != 409:
                raise translate_api_error(exc, "create", "namespaces", None, self.namespace)
            return False
        return True

    def ensure(self, desired, wait=True, wait_timeout=120):
        """(pod, changed): the agent matching ``desired``, created or replaced as needed."""
        node = desired["spec"]["nodeName"]
        existing = self.read(node)
        if existing and is_usable(existing, desired):
            # A live agent is pinned to the node, so the node exists: the warm path needs no node read,
            # and no second pod read when the one in hand already runs.
            if wait and not self.check_mode and not agent_ready(existing):
                existing = self.wait_running(node, wait_timeout)
            return existing, False
        self.check_node(node)
        changed = self.ensure_namespace(desired["metadata"]["annotations"][metadata.ANNOTATION_REQUESTED_BY])
        self.namespace_created = changed
        if self.check_mode and (changed or existing):
            # A dry-run create would 404 (no namespace yet) or 409 (the old agent is still there): say what would be.
            return desired, True
        if existing:
            self.delete(node, wait=True, wait_timeout=wait_timeout)
        try:
            pod = self.api.post(pod_path(self.namespace), desired, query=self._dry_run())
        except ApiException as exc:
            if exc.status != 409:
                raise translate_api_error(exc, "create", "pods", self.namespace, desired["metadata"]["name"])
            pod = self.read(node)  # a concurrent run created it first: not ours, even if the namespace was
            if wait and not self.check_mode:
                pod = self.wait_running(node, wait_timeout)
            return pod, False
        if wait and not self.check_mode:
            try:
                pod = self.wait_running(node, wait_timeout)
            except KdebugError:
                self.delete(node, wait=False)  # an agent that cannot start is not left behind
                raise
        return pod, True

    def wait_running(self, node, timeout):
        def read():
            pod = self.read(node)
            if pod is None:
                raise KdebugError("agent pod %s/%s disappeared while starting." % (self.namespace, agent_name(node)))
            return pod
        return wait_for(read, agent_ready, timeout, "agent pod %s/%s to run" % (self.namespace, agent_name(node)),
                        watch=self._watch)

    def _watch(self, pod, seconds):
        return self.api.watch_object(pod_path(self.namespace), pod, seconds)

    def delete(self, node, wait=True, wait_timeout=60):
        """(old pod or None, changed)."""
        existing = self.read(node)
        if existing is None:
            return None, False
        try:
            self.api.delete(pod_path(self.namespace, agent_name(node)),
                            query=dict(self._dry_run(), gracePeriodSeconds=0))
        except ApiException as exc:
            if exc.status == 404:
                return existing, False
            raise translate_api_error(exc, "delete", "pods", self.namespace, agent_name(node))
        if wait and not self.check_mode:
            wait_for(lambda: self.read(node), lambda pod: pod is None or pod["metadata"]["uid"] != existing["metadata"]["uid"],
                     wait_timeout, "agent pod %s/%s to go away" % (self.namespace, agent_name(node)), watch=self._watch)
        return existing, True


def agent_argument_spec():
    from ansible_collections.kdebug.toolkit.plugins.module_utils import kube_auth  # pylint: disable=import-outside-toplevel
    spec = kube_auth.auth_argument_spec()
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        node=dict(type="str"),
        pod=dict(type="str"),
        pod_namespace=dict(type="str", default="default", aliases=["target_namespace"]),
        namespace=dict(type="str", default=DEFAULT_NAMESPACE),
        image=dict(type="str", default="docker.io/nicolaka/netshoot:latest"),
        image_pull_policy=dict(type="str", default="IfNotPresent", choices=["Always", "IfNotPresent", "Never"]),
        image_pull_secrets=dict(type="list", elements="str", default=[], no_log=False),
        ttl_seconds=dict(type="int", default=3600),
        tolerations=dict(type="list", elements="dict"),
        resources=dict(type="dict"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        requested_by=dict(type="str"),
        reason=dict(type="str", default="kdebug_agent"),
    )
    return spec


def diff_of(before, after):
    """A small before/after for --diff: what an agent is, not every field the API adds."""
    def view(pod):
        if not pod:
            return {}
        return {"name": pod["metadata"]["name"], "node": pod["spec"].get("nodeName"),
                "image": pod["spec"]["containers"][0]["image"],
                "ttl_seconds": pod["spec"].get("activeDeadlineSeconds"),
                "spec_hash": (pod["metadata"].get("annotations") or {}).get(ANNOTATION_SPEC_HASH)}
    return {"before": view(before), "after": view(after)}


def run_agent_module(module):
    """What kdebug_agent does: ensure or remove the agent of one node."""
    from ansible_collections.kdebug.toolkit.plugins.module_utils import kube_auth  # pylint: disable=import-outside-toplevel
    from ansible_collections.kdebug.toolkit.plugins.module_utils.target import read_pod  # pylint: disable=import-outside-toplevel
    params = module.params
    kube_auth.require_kubernetes(module)
    try:
        if params["ttl_seconds"] <= 0:
            raise KdebugError("ttl_seconds must be a positive number, got %s." % params["ttl_seconds"])
        rest = KubeRest(kube_auth.get_api_client(module))
        node = params["node"]
        if not node:
            pod = read_pod(rest, params["pod_namespace"], params["pod"])
            node = pod["spec"].get("nodeName")
            if not node:
                raise KdebugError("pod %s/%s is not scheduled to a node yet: give node, or wait until it is scheduled."
                                  % (params["pod_namespace"], params["pod"]))
        manager = AgentManager(rest, params["namespace"], module.check_mode)
        before = manager.read(node)
        if params["state"] == "absent":
            old, changed = manager.delete(node, wait=params["wait"], wait_timeout=params["wait_timeout"])
            result = dict(changed=changed, agent=agent_summary(old, False), state="absent")
            if module._diff:
                result["diff"] = diff_of(before, None)
            module.exit_json(**result)
        desired = desired_agent(node, params["namespace"], params["image"], params["ttl_seconds"],
                                metadata.requested_by(params["requested_by"]), params["image_pull_policy"],
                                params["image_pull_secrets"], params["tolerations"], params["resources"],
                                params["reason"])
        pod, changed = manager.ensure(desired, wait=params["wait"], wait_timeout=params["wait_timeout"])
    except KdebugError as err:
        module.fail_json(msg=err.message, **err.details)
    result = dict(changed=changed or manager.namespace_created, agent=agent_summary(pod, changed), state="present")
    if module._diff:
        result["diff"] = diff_of(before, pod)
    module.exit_json(**result)
