# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Create, find and remove node agents through the API (the pod itself is transforms/agent.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiConflict, ApiDenied, ApiError, ImagePullError, KdebugError, WaitTimeout)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, dry_run, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import exec_in_container
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import (
    delete_and_wait, ensure_by_spec_hash, read_node, wait_for)
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.pull_secrets import (
    PullSecrets, secrets_missed_advice, secrets_the_kubelet_missed)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import pull_secrets as pull
from ansible_collections.kdebug.toolkit.plugins.module_utils.options import DEFAULT_AGENT_NAMESPACE
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec

# What to do about a 403 when creating the agent, by its class (kube/failures.py).
CREATE_HINTS = {
    "rbac_role": "kdebug-agent",
    "pod_security": ("The agent is a privileged hostPID pod: point agent_namespace at a namespace labelled "
                     "pod-security.kubernetes.io/enforce=privileged (kdebug creates kdebug-system that way), or use "
                     "strategy ephemeral"),
    "resource_quota": "Raise the quota of the agent namespace (agent_namespace), or point agent_namespace elsewhere",
}


class AgentManager(object):
    """The agents of one namespace (``agent_namespace``), through a KubeClient."""

    def __init__(self, client, namespace=DEFAULT_AGENT_NAMESPACE, check_mode=False, pull_secrets_mode="reference",
                 pull_secrets_from=None):
        self.client = client
        self.namespace = namespace
        self.check_mode = check_mode
        # image_pull_secrets_mode, and the namespace a copy is made from (the target's): transforms/pull_secrets.py
        self.pull_secrets_mode = pull_secrets_mode
        self.pull_secrets_from = pull_secrets_from
        self.namespace_created = False  # by the last ensure(): a change even when another run made the pod
        self.note = None  # by the last ensure(): why it replaced an existing agent
        self.secrets_copied = []  # by the last ensure(): the pull secrets copied into the namespace (a change)

    def _path(self, node):
        return pod_path(self.namespace, agent_spec.agent_name(node))

    def check_node(self, node):
        read_node(self.client, node)

    def read(self, node):
        return self.client.get_or_none(self._path(node))

    def ensure_namespace(self, requester, reason):
        """Create the agent namespace (PodSecurity privileged) when absent; True when created.

        A caller who may not read namespaces (the shipped roles grant none: playbooks/rbac.yml makes the agents'
        namespace) goes on: creating the agent in a namespace that is absent fails with its name.
        """
        try:
            if self.client.get_or_none(api_path("namespaces", self.namespace)) is not None:
                return False
        except ApiDenied:
            return False
        try:
            self.client.post(api_path("namespaces"), agent_spec.agent_namespace(self.namespace, requester, reason),
                             query={"dryRun": dry_run(self.check_mode)}, hints={"rbac_role": "kdebug-agent-nodes"})
        except ApiConflict:
            return False
        return True

    def ensure(self, desired, wait=True, wait_timeout=120, needed_seconds=0):
        """(pod, created): the agent matching ``desired``, reused, created or replaced.

        A live agent is pinned to its node, so the node exists: the warm path is
        one read (and no wait when it already runs). One with less than
        ``needed_seconds`` of its TTL left is replaced (a command would not end
        before it does), and ``note`` says so.
        """
        node = desired["spec"]["nodeName"]

        def why_replace(pod, want):
            return agent_spec.why_replace(pod, want, needed_seconds, time.time())
        existing = self.read(node)
        self.namespace_created = False
        self.note = None
        self.secrets_copied = []
        if existing is None or why_replace(existing, desired) is not None:
            self.check_node(node)
            # The namespace is made for this agent: the same who and why.
            audit = desired["metadata"]["annotations"]
            self.namespace_created = self.ensure_namespace(audit[metadata.ANNOTATION_REQUESTED_BY],
                                                           audit[metadata.ANNOTATION_REASON])
            if self.check_mode and self.namespace_created:
                return desired, True  # a dry-run create would 404: the namespace does not exist yet
            self.secrets_copied = self.prepare_pull_secrets(desired)
        ready = (lambda pod: self.wait_running(pod, wait_timeout)) if wait else None
        pod, created, self.note = ensure_by_spec_hash(
            self.client, desired, why_replace, self.check_mode, ready, wait_timeout,
            what="agent pod %s/%s" % (self.namespace, desired["metadata"]["name"]), hints=CREATE_HINTS)
        return pod, created

    def prepare_pull_secrets(self, desired):
        """Before the agent is created: its image_pull_secrets are in its namespace (checked, or copied there).
        The names of the secrets copied."""
        names = [s["name"] for s in desired["spec"].get("imagePullSecrets") or []]
        if not pull.pulls(desired["spec"]["containers"][0].get("imagePullPolicy")):
            return []  # never pulled: the secrets are not used
        audit = desired["metadata"]["annotations"]
        return PullSecrets(self.client, desired["spec"]["containers"][0]["image"], self.check_mode).for_agent(
            names, self.pull_secrets_mode, self.pull_secrets_from, self.namespace,
            audit[metadata.ANNOTATION_REQUESTED_BY], audit[metadata.ANNOTATION_REASON],
            int(audit[metadata.ANNOTATION_TTL]))

    def wait_running(self, pod, timeout):
        name = "%s/%s" % (self.namespace, pod["metadata"]["name"])
        node = pod["spec"]["nodeName"]
        missed = {}  # the last pull failure the kubelet made without the pull secrets: waited through

        def ready(current):
            try:
                return agent_spec.agent_ready(current)
            except ImagePullError as err:
                secrets = secrets_the_kubelet_missed(self.client, current)
                if not secrets:
                    raise
                missed.update(error=err, secrets=secrets, pod=current)
                return False
        if ready(pod):
            return pod

        def read():
            current = self.read(node)
            if current is None:
                raise KdebugError("agent pod %s disappeared while starting." % name)
            return current
        try:
            return wait_for(read, ready, timeout, "agent pod %s to run" % name,
                            watch=lambda obj, seconds: self.client.watch_object(pod_path(self.namespace), obj, seconds))
        except WaitTimeout as err:
            if missed:
                raise ImagePullError("%s %s." % (missed["error"].message, secrets_missed_advice(
                    self.client, missed["pod"], missed["secrets"])), **missed["error"].details)
            silence = self.node_silence(node)
            if silence:
                raise WaitTimeout("%s %s" % (err.message, silence), node=node)
            raise

    def node_silence(self, node):
        """agent_spec.node_silence for ``node``, from what can be read of it (nothing, without the rights)."""
        node_obj = lease = None
        try:
            node_obj = self.client.get_or_none(api_path("nodes", node))
        except ApiError:
            pass
        try:
            lease = self.client.get_or_none(api_path("namespaces", "kube-node-lease", "leases", node,
                                                     group="coordination.k8s.io"))
        except ApiError:
            pass
        return agent_spec.node_silence(node_obj, lease, time.time())

    def loss(self, agent_pod):
        """("agent_pod", why) when ``agent_pod`` is no longer its node's agent (deleted, being deleted, replaced),
        else None: asked of a command that ended by a signal or without an exit code (ExecOutcome.may_be_lost)."""
        node = agent_pod["spec"]["nodeName"]
        pod = self.read(node)
        meta = (pod or {}).get("metadata") or {}
        if meta.get("uid") == agent_pod["metadata"]["uid"] and not meta.get("deletionTimestamp"):
            return None
        return "agent_pod", ("the agent pod %s/%s of node %s went away while the command ran (deleted, or its TTL "
                             "ended)" % (agent_pod["metadata"]["namespace"], agent_pod["metadata"]["name"], node))

    def exec(self, agent_pod, argv, **kwargs):
        """Run argv in the agent's container (kube/exec.py exec_in_container keywords): an ExecOutcome."""
        return exec_in_container(self.client, agent_pod["metadata"]["namespace"], agent_pod["metadata"]["name"],
                                 agent_spec.AGENT_CONTAINER, argv, **kwargs)

    # Pauses before scanning /proc again for the containers a scan did not find: a scan that raced with the agent's
    # start or with many other scans on a busy node can come back empty while the container runs.
    SCAN_RETRY_PAUSES = (0.3, 1.0)

    def find_processes(self, agent_pod, raw_ids, timeout=60):
        """{container id: its init process ({pid, nspid, ...}) or None}, from a /proc scan in the agent (again,
        for the ids it missed, after each of SCAN_RETRY_PAUSES)."""
        found = dict.fromkeys(raw_ids)
        for pause in self.SCAN_RETRY_PAUSES + (None,):
            missing = [raw_id for raw_id in raw_ids if found[raw_id] is None]
            outcome = self.exec(agent_pod, ["sh", "-c", procfs.PID_SCAN_SCRIPT, "kdebug-pid-scan"] + missing,
                                timeout=timeout)
            if outcome.rc != 0:
                raise KdebugError("could not scan /proc in agent pod %s: %s %s" % (
                    agent_pod["metadata"]["name"], outcome.error or "", outcome.stderr.text()[-500:]))
            processes = procfs.parse_scan(outcome.stdout.text())
            found.update(procfs.find_container_processes(processes, missing))
            if pause is None or all(found.values()):
                return found
            time.sleep(pause)
        return found

    def find_host_process(self, agent_pod, timeout=30):
        """The process whose namespaces are the node's host namespaces ({pid, comm}: procfs.HOST_PROCESS_SCRIPT);
        KdebugError when there is none to enter."""
        outcome = self.exec(agent_pod, ["sh", "-c", procfs.HOST_PROCESS_SCRIPT, "kdebug-host-process"],
                            timeout=timeout)
        process = procfs.parse_host_process(outcome.stdout.text())
        if process is None:
            if outcome.rc not in (0, 3):
                raise KdebugError("could not scan /proc in agent pod %s: %s %s" % (
                    agent_pod["metadata"]["name"], outcome.error or "", outcome.stderr.text()[-500:]))
            raise KdebugError(procfs.no_host_process_message(agent_pod["spec"]["nodeName"]))
        return process

    def delete(self, node, wait=True, wait_timeout=60):
        """(old pod or None, changed)."""
        return delete_and_wait(self.client, self._path(node), wait=wait, wait_timeout=wait_timeout,
                               check_mode=self.check_mode, what="agent pod %s/%s" % (self.namespace,
                                                                                     agent_spec.agent_name(node)))
