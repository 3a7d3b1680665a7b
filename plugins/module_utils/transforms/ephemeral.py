# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The ephemeral debug container as data: its name, spec and generation. Pure.

Its name is a hash of what makes it (image, target, profile, pull policy), so
a second call with the same inputs re-uses it and concurrent calls send
identical patches that merge into one container; when the TTL has ended it,
the next generation gets the next name (``-2``, ``-3``...).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, OptionError

# securityContext per profile, as `kubectl debug --profile` sets it for an ephemeral container.
PROFILES = {
    "legacy": None,
    "general": {"capabilities": {"add": ["SYS_PTRACE"]}},
    "baseline": {},
    "restricted": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                   "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
    "netadmin": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
    "sysadmin": {"privileged": True},
}
MAX_GENERATIONS = 50


def security_context(profile):
    if profile not in PROFILES:
        raise OptionError("unknown profile %s: choose one of %s." % (profile, ", ".join(sorted(PROFILES))))
    return PROFILES[profile]


def base_name(image, target_container, profile, pull_policy):
    return "kdebug-" + metadata.stable_suffix(image, target_container, profile, pull_policy)


def generation_name(base, generation):
    return base if generation == 1 else "%s-%d" % (base, generation)


def pick_container(pod, base):
    """(name, exists): the live generation to re-use, or the first free name to create.

    A generation whose container has terminated (its TTL ran out) is skipped:
    ephemeral containers cannot be restarted or removed.
    """
    declared = set(c["name"] for c in pod["spec"].get("ephemeralContainers") or [])
    statuses = dict((s["name"], s) for s in (pod.get("status") or {}).get("ephemeralContainerStatuses") or [])
    for generation in range(1, MAX_GENERATIONS + 1):
        name = generation_name(base, generation)
        if name not in declared:
            return name, False
        if "terminated" not in ((statuses.get(name) or {}).get("state") or {}):
            return name, True
    raise KdebugError("pod %s/%s already has %d ended kdebug ephemeral containers: ephemeral containers cannot be "
                      "removed; use strategy agent or recreate the pod."
                      % (pod["metadata"]["namespace"], pod["metadata"]["name"], MAX_GENERATIONS))


def ephemeral_container(name, image, target_container, profile, pull_policy, ttl_seconds):
    """The container spec (pure). Identical inputs give identical specs, so concurrent patches merge."""
    container = {
        "name": name,
        "image": image,
        "imagePullPolicy": pull_policy,
        "targetContainerName": target_container,
        "command": ["sleep", str(int(ttl_seconds))],
        "env": [{"name": "KDEBUG_MANAGED_BY", "value": metadata.MANAGED_BY},
                {"name": "KDEBUG_TTL_SECONDS", "value": str(int(ttl_seconds))}],
        "stdin": False,
        "tty": False,
        "terminationMessagePolicy": "File",
    }
    context = security_context(profile)
    if context is not None:
        container["securityContext"] = context
    return container


def ephemeral_status(pod, name):
    for status in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []:
        if status.get("name") == name:
            return status
    return None
