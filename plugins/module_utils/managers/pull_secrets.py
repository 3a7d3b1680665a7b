# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read, check and copy the image pull secrets of the tools image through the API (the data is
transforms/pull_secrets.py).

Checked before a pod that pulls the tools image is created, so a missing secret,
or one without credentials for the image's registry, is an error naming both at
once instead of a pod stuck in ImagePullBackOff until wait_timeout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiConflict, ApiDenied, ApiError, ImagePullError)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, dry_run
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import list_pod_events
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import pull_secrets as pull

# What the caller lacks when it may not read or copy a secret (kube/failures.py words the 403 with it).
COPY_HINTS = {"rbac_role": "kdebug-agent",
              "rbac": ("image_pull_secrets_mode copy reads the secrets in the target's namespace and creates them in "
                       "agent_namespace; image_pull_secrets_mode reference needs neither")}
# A secret the caller may not read: it may well be there, and the kubelet reads it, not the caller.
UNREADABLE = object()


def secret_path(namespace, name=None):
    return api_path("namespaces", namespace, "secrets", name) if name else api_path("namespaces", namespace, "secrets")


def read_secret(client, namespace, name):
    """The secret, None when it does not exist, UNREADABLE when the caller may not read it."""
    try:
        return client.get_or_none(secret_path(namespace, name))
    except ApiDenied:
        return UNREADABLE


def secrets_the_kubelet_missed(client, pod):
    """The pull secrets the kubelet pulled ``pod``'s images without, while its last failed pull was one of those
    (transforms/pull_secrets.pull_secrets_missed): a pull to wait for, not a failure yet. [] when no pull fails,
    the pod has no pull secrets, or its events cannot be read."""
    secrets = [s.get("name") for s in (pod.get("spec") or {}).get("imagePullSecrets") or [] if s.get("name")]
    if not secrets or not pull.pulls_failing(pod):
        return []
    try:
        events = list_pod_events(client, pod["metadata"]["namespace"], pod["metadata"]["uid"])
    except ApiError:
        return []
    return pull.pull_secrets_missed(events, secrets)


def secrets_missed_advice(client, pod, names):
    """transforms/pull_secrets.pull_secrets_missed_advice for ``pod``, naming those of ``names`` that do not exist."""
    namespace = pod["metadata"]["namespace"]
    try:
        absent = [name for name in names if read_secret(client, namespace, name) is None]
    except ApiError:
        absent = []  # the error being reported matters more than this detail of it
    return pull.pull_secrets_missed_advice((pod.get("spec") or {}).get("nodeName"), names, namespace, absent)


class PullSecrets(object):
    """The pull secrets of one tools image, through a KubeClient."""

    def __init__(self, client, image, check_mode=False):
        self.client = client
        self.image = image
        self.registry = pull.registry_of(image)
        self.check_mode = check_mode

    def read(self, namespace, name):
        return read_secret(self.client, namespace, name)

    def error(self, problems, names, namespace, fix):
        return ImagePullError(
            "the tools image %s cannot be pulled from registry %s: %s. %s."
            % (self.image, self.registry, "; ".join(problems), fix),
            registry=self.registry, image=self.image, image_pull_secrets=list(names), secrets_namespace=namespace)

    def check(self, names, namespace, fix, covering=True):
        """ImagePullError unless every secret named is in ``namespace`` and (``covering``) one has credentials for
        the registry.

        Secrets the caller may not read are given the benefit of the doubt.
        """
        found = dict((name, self.read(namespace, name)) for name in names)
        readable = dict((n, s) for n, s in found.items() if s is not UNREADABLE)
        missing = [pull.secret_problem(n, namespace, None, self.registry) for n, s in readable.items() if s is None]
        if missing:
            raise self.error(missing, names, namespace, fix)
        if covering and len(readable) == len(found) and not any(pull.covers(s, self.registry)
                                                                for s in readable.values()):
            raise self.error([pull.secret_problem(n, namespace, s, self.registry) for n, s in readable.items()],
                             names, namespace, fix)
        return readable

    def for_agent(self, names, mode, source_namespace, agent_namespace, requester, reason, ttl_seconds):
        """Make the agent's pull secrets usable in ``agent_namespace`` before the agent is created: checked there
        (``reference``) or copied there from ``source_namespace`` (``copy``). The names of the copies made or
        updated (a change)."""
        if not names:
            return []
        if mode == "reference":
            self.check(names, agent_namespace,
                       "The agent runs in namespace %s and can only use pull secrets of that namespace: create them "
                       "there, or set image_pull_secrets_mode to copy to copy them from namespace %s"
                       % (agent_namespace, source_namespace))
            return []
        sources = {}
        for name in names:
            secret = self.client.get_or_none(secret_path(source_namespace, name), hints=COPY_HINTS)
            sources[name] = secret
        self.check_sources(sources, names, source_namespace)
        return [name for name in names if self._copy(sources[name], agent_namespace, requester, reason, ttl_seconds)]

    def check_sources(self, sources, names, namespace):
        fix = "image_pull_secrets_mode copy copies them from namespace %s (the target's): create them there" % namespace
        problems = [pull.secret_problem(n, namespace, s, self.registry) for n, s in sources.items() if s is None]
        if not problems and not any(pull.covers(s, self.registry) for s in sources.values()):
            problems = [pull.secret_problem(n, namespace, s, self.registry) for n, s in sources.items()]
        if problems:
            raise self.error(problems, names, namespace, fix)

    def _copy(self, source, namespace, requester, reason, ttl_seconds):
        """Create or refresh the copy of ``source`` in ``namespace``; True when it changed something."""
        desired = pull.secret_copy(source, namespace, requester, reason, ttl_seconds)
        name = desired["metadata"]["name"]
        existing = self.client.get_or_none(secret_path(namespace, name), hints=COPY_HINTS)
        query = {"dryRun": dry_run(self.check_mode)}
        if existing is None:
            try:
                self.client.post(secret_path(namespace), desired, query=query, hints=COPY_HINTS)
            except ApiConflict:
                return False  # a concurrent run copied it first
            return True
        if not pull.is_kdebug_copy(existing):
            if pull.data_hash(existing) == pull.data_hash(source):
                return False  # the same credentials are there already: use them as they are
            raise self.error(["secret %s already exists in namespace %s and is not a copy kdebug made: kdebug does "
                              "not overwrite it" % (name, namespace)], [name], namespace,
                             "Use it as it is with image_pull_secrets_mode reference, or delete it")
        if pull.copy_is_current(existing, desired):
            return False
        self.client.patch(secret_path(namespace, name), {"metadata": {"annotations": desired["metadata"]["annotations"]},
                                                         "data": desired["data"]},
                          patch_type="merge", query=query, hints=COPY_HINTS)
        return True

    def pod_secrets(self, pod):
        """{name: secret} of the target pod's own imagePullSecrets the caller may read (for the ephemeral check)."""
        namespace = pod["metadata"]["namespace"]
        found = {}
        for name in pull.pod_pull_secret_names(pod):
            secret = self.read(namespace, name)
            if secret is not None and secret is not UNREADABLE:
                found[name] = secret
        return found
