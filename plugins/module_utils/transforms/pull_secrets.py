# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image pull secrets as data: which registry an image comes from, which registries a secret has credentials
for, and the copy of a secret kdebug makes in the agents' namespace. Pure.

The agent runs in the agents' namespace, and a pod can only use pull secrets
of its own namespace: ``image_pull_secrets_mode`` says whether the secrets
named in ``image_pull_secrets`` are already there (``reference``) or are
copied there from the target's namespace (``copy``; managers/pull_secrets.py
reads and writes them). An ephemeral container pulls with the target pod's
own ``imagePullSecrets`` and cannot add any (an API limit):
:func:`ephemeral_pull_gap` says when those do not cover the tools image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import (
    container_state_problem, container_statuses, event_time, INIT, MAIN)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import parse_timestamp
from ansible_collections.kdebug.toolkit.plugins.module_utils.options import DEFAULT_TOOLS_IMAGE, PULL_SECRETS_MODES

MODES = tuple(PULL_SECRETS_MODES)
# Where an unqualified image name (``name:tag``, ``team/name``) is pulled from: the container runtimes' default
# registry, which is also the registry of the default tools image.
DEFAULT_REGISTRY = DEFAULT_TOOLS_IMAGE.split("/", 1)[0]
DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CONFIG = "kubernetes.io/dockercfg"
PULL_SECRET_TYPES = (DOCKER_CONFIG_JSON, DOCKER_CONFIG)
COMPONENT = "pull-secret"
# On a copy: where it was copied from (namespace/name), and a hash of the data copied.
ANNOTATION_COPIED_FROM = "kdebug.io/copied-from"


def registry_of(image):
    """The registry host (with its port) an image reference is pulled from, as the container runtime reads it."""
    first, sep, _rest = (image or "").partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return DEFAULT_REGISTRY


def _host(key):
    """The registry host of a key of a docker config (``https://host:port/v1/`` or ``host``)."""
    key = key.strip().lower()
    if "://" in key:
        key = key.split("://", 1)[1]
    return key.split("/", 1)[0]


def secret_registries(secret):
    """The registry hosts a pull secret has credentials for (sorted); [] for anything else."""
    data = (secret or {}).get("data") or {}
    kind = (secret or {}).get("type")
    raw = data.get(".dockerconfigjson") if kind == DOCKER_CONFIG_JSON else data.get(".dockercfg")
    if not raw:
        return []
    try:
        config = json.loads(base64.b64decode(raw).decode("utf-8"))
    except (ValueError, TypeError):
        return []
    if not isinstance(config, dict):
        return []
    auths = config.get("auths") if kind == DOCKER_CONFIG_JSON else config
    return sorted(set(_host(k) for k in auths or {})) if isinstance(auths, dict) else []


def host_matches(have, registry):
    """Does a credential for host ``have`` apply to ``registry``? Equal, or a sub-domain alias of it
    (a credential stored for ``index.<registry>`` serves ``<registry>``)."""
    return have == registry or have.endswith("." + registry)


def covers(secret, registry):
    return any(host_matches(h, registry) for h in secret_registries(secret))


def secret_problem(name, namespace, secret, registry):
    """Why the secret ``name`` read from ``namespace`` cannot pull from ``registry`` (None: it can)."""
    where = "image pull secret %s in namespace %s" % (name, namespace)
    if secret is None:
        return "%s does not exist" % where
    if secret.get("type") not in PULL_SECRET_TYPES:
        return "%s is of type %s, not %s" % (where, secret.get("type"), DOCKER_CONFIG_JSON)
    hosts = secret_registries(secret)
    if not any(host_matches(h, registry) for h in hosts):
        return "%s has no credentials for registry %s (it has: %s)" % (where, registry, ", ".join(hosts) or "none")
    return None


def pod_pull_secret_names(pod):
    return [s.get("name") for s in (pod.get("spec") or {}).get("imagePullSecrets") or [] if s.get("name")]


def pulls(pull_policy):
    """Whether the node may pull the image at all. With ``Never`` it only runs an image it already has: pull secrets
    are neither used nor checked then (the kubelet ignores them, as it does secrets that do not exist)."""
    return pull_policy != "Never"


def ephemeral_pull_gap(pod, image, wanted, pod_secrets=None):
    """None when the target pod's own imagePullSecrets can pull ``image`` for an ephemeral container, else why not.

    ``wanted`` is image_pull_secrets: nothing asked, nothing to check (the
    image is public, or the node has credentials). The pod covers the image
    when it lists every wanted secret by name, or when one of its own secrets
    (``pod_secrets``: {name: secret or None}, those that could be read) has
    credentials for the image's registry.
    """
    if not wanted:
        return None
    own = pod_pull_secret_names(pod)
    if all(name in own for name in wanted):
        return None
    registry = registry_of(image)
    if any(covers(secret, registry) for secret in (pod_secrets or {}).values() if secret):
        return None
    return ("the ephemeral strategy can pull the tools image %s from registry %s only with the target pod's own "
            "imagePullSecrets (an API limit: a debug container cannot add any), and pod %s/%s has %s, not %s"
            % (image, registry, pod["metadata"]["namespace"], pod["metadata"]["name"],
               ", ".join(own) if own else "none", ", ".join(n for n in wanted if n not in own)))


def data_hash(secret):
    return metadata.spec_hash({"type": secret.get("type"), "data": secret.get("data") or {}})


def secret_copy(source, namespace, requester, reason, ttl_seconds):
    """The copy of the pull secret ``source`` in ``namespace`` (the agents'): same name, type and data, kdebug's
    labels, the audit annotations and where it came from, with a TTL (the cleanup playbook removes it after)."""
    meta = source["metadata"]
    origin = "%s/%s" % (meta["namespace"], meta["name"])
    annotations = metadata.audit_annotations(reason, origin, ttl_seconds, requester)
    annotations[ANNOTATION_COPIED_FROM] = origin
    annotations[metadata.ANNOTATION_SPEC_HASH] = data_hash(source)
    return {"apiVersion": "v1", "kind": "Secret", "type": source.get("type"),
            "metadata": {"name": meta["name"], "namespace": namespace, "labels": metadata.managed_labels(COMPONENT),
                         "annotations": annotations},
            "data": dict(source.get("data") or {})}


def is_kdebug_copy(secret):
    meta = (secret or {}).get("metadata") or {}
    return ((meta.get("labels") or {}).get(metadata.MANAGED_BY_LABEL) == metadata.MANAGED_BY
            and ANNOTATION_COPIED_FROM in (meta.get("annotations") or {}))


def copy_is_current(existing, desired):
    have = ((existing.get("metadata") or {}).get("annotations") or {}).get(metadata.ANNOTATION_SPEC_HASH)
    return have == desired["metadata"]["annotations"][metadata.ANNOTATION_SPEC_HASH]


# The waiting reasons of a container whose image the node could not pull (not ErrImageNeverPull: no pull was tried).
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")


def image_pull_problem(problem):
    """Is this container problem (pods.container_state_problem) a failed pull?"""
    return (problem or "").split(":", 1)[0] in PULL_FAILURES


def pull_failure_advice(image, secrets, namespace, problem):
    """The fix for a pod whose tools image cannot be pulled, naming the registry and the secrets it used."""
    registry = registry_of(image)
    if secrets:
        used = "with image pull secret%s %s (namespace %s)" % ("s" if len(secrets) > 1 else "", ", ".join(secrets),
                                                               namespace)
    else:
        used = "with no image pull secret"
    unauthorized = any(w in (problem or "").lower() for w in ("unauthorized", "401", "403", "forbidden",
                                                              "authorization failed", "denied"))
    what = ("the registry refused the credentials" if unauthorized and secrets else
            "the registry asks for credentials" if unauthorized else "the pull failed")
    return ("the node could not pull %s from registry %s %s: %s. Check that %s hold%s valid credentials for %s "
            "(image_pull_secrets), or the image name and image_pull_policy"
            % (image, registry, used, what, ", ".join(secrets) if secrets else "a secret given in image_pull_secrets",
               "" if len(secrets) > 1 else "s", registry))


def pulls_failing(pod):
    """Does a container of ``pod`` (init or main) wait on a failed pull of its image?"""
    return any(image_pull_problem(container_state_problem(status))
               for kind in (INIT, MAIN) for status in container_statuses(pod, kind))


# The kubelet's warning when it pulls a pod's images without some of its pull secrets: it could not read them. A
# kubelet waits one second for its secret cache to sync on a new pod, so a busy node pulls without the secrets and
# gets a 401; it reads them again before each retry. Its first retry is 10 s (the image back-off) after a failure:
# a failure within PULL_SECRETS_MISSED_WINDOW seconds of the warning was a pull without them.
PULL_SECRETS_MISSED_REASON = "FailedToRetrieveImagePullSecret"
PULL_FAILED_REASON, PULL_FAILED_MESSAGE = "Failed", "Failed to pull image"
PULL_SECRETS_MISSED_WINDOW = 5


def pull_secrets_missed(events, secrets):
    """The pull secrets (of ``secrets``, the pod's) the kubelet pulled without, from the pod's events, when its last
    failed pull was one of those (it will pull again with them); [] when it failed with the secrets, or none was
    missed."""
    def last(reason, prefix=""):
        times = [parse_timestamp(event_time(e)) for e in events
                 if e.get("reason") == reason and (e.get("message") or "").startswith(prefix)]
        return max([t for t in times if t is not None] or [None])
    missed_at, failed_at = last(PULL_SECRETS_MISSED_REASON), last(PULL_FAILED_REASON, PULL_FAILED_MESSAGE)
    if missed_at is None or (failed_at is not None
                             and (failed_at - missed_at).total_seconds() > PULL_SECRETS_MISSED_WINDOW):
        return []
    names = set()
    for event in events:
        if event.get("reason") == PULL_SECRETS_MISSED_REASON:
            listed = re.search(r"\(([^)]*)\)", event.get("message") or "")
            names.update(n.strip() for n in (listed.group(1) if listed else "").split(",") if n.strip())
    return sorted(names) or list(secrets)


def pull_secrets_missed_advice(node, secrets, namespace, absent=()):
    """Why a pull without the secrets went on failing until the wait ended, and what to check (``absent``: those
    of ``secrets`` that do not exist)."""
    plural = "s" if len(secrets) > 1 else ""
    if absent:
        check = ("%s do%s not exist there: create %s, or fix the name%s"
                 % (", ".join(absent), "" if len(absent) > 1 else "es", "them" if len(absent) > 1 else "it", plural))
    else:
        check = ("Check the node (kubectl describe node %s): a busy kubelet or API server reads secrets late, so a "
                 "longer wait_timeout may be enough" % node)
    return ("The kubelet of node %s could not read image pull secret%s %s of namespace %s (event %s) and pulled "
            "without them; it had not pulled with them when the wait ended. %s"
            % (node, plural, ", ".join(secrets), namespace, PULL_SECRETS_MISSED_REASON, check))
