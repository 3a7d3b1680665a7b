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

import re

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import find_spec, seconds_left

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
# Who the restricted profile runs as when neither the pod nor the target container names a user: the level
# forbids root, and a tools image usually defaults to it (then the container could never start).
NOBODY = 65534


def security_context(profile):
    if profile not in PROFILES:
        raise OptionError("unknown profile %s: choose one of %s." % (profile, ", ".join(sorted(PROFILES))))
    return PROFILES[profile]


def base_name(image, target_container, profile, pull_policy):
    return "kdebug-" + metadata.stable_suffix(image, target_container, profile, pull_policy)


def generation_name(base, generation):
    return base if generation == 1 else "%s-%d" % (base, generation)


class GenerationBudgetSpent(KdebugError):
    """The pod carries so many ended kdebug debug containers that no generation is added (``ended``: how many)."""

    error_class = "generation_budget"

    def __init__(self, pod, ended):
        self.why = "pod %s/%s already carries %d ended kdebug ephemeral containers (the budget is %d)" % (
            pod["metadata"]["namespace"], pod["metadata"]["name"], ended, MAX_GENERATIONS)
        KdebugError.__init__(self, "%s: ephemeral containers cannot be removed, so no more are added to it; use "
                             "strategy agent (strategy auto does when it may) or recreate the pod." % self.why,
                             ended_containers=ended)
        self.ended = ended


def container_ttl(spec):
    """The TTL a kdebug debug container was given (its ``sleep``), or None for one that is not ours."""
    command = spec.get("command") or []
    if len(command) == 2 and command[0] == "sleep" and command[1].isdigit():
        return int(command[1])
    return None


def expires_in(pod, name, now):
    """Seconds left of debug container ``name``'s TTL at ``now`` (epoch seconds): 0 once it ended, None unknown."""
    spec = next((c for c in pod["spec"].get("ephemeralContainers") or [] if c["name"] == name), None)
    if spec is None:
        return None
    state = (ephemeral_status(pod, name) or {}).get("state") or {}
    if "terminated" in state:
        return 0
    return seconds_left((state.get("running") or {}).get("startedAt"), container_ttl(spec), now)


def ended_containers(pod):
    """How many kdebug debug containers of the pod have ended (they stay in its spec for good)."""
    statuses = (pod.get("status") or {}).get("ephemeralContainerStatuses") or []
    return sum(1 for s in statuses if s.get("name", "").startswith("kdebug-")
               and "terminated" in (s.get("state") or {}))


def pick_container(pod, base, needed_seconds=0, now=0):
    """(name, exists, skipped): the live generation to re-use, or the first free name to create.

    A generation whose container has ended (its TTL ran out) is skipped:
    ephemeral containers cannot be restarted or removed. So is one with less
    than ``needed_seconds`` of its TTL left at ``now`` (the command's timeout
    plus a margin): it would be killed mid-command. ``skipped`` lists those
    as (name, seconds left). A new one is not added to a pod that carries
    MAX_GENERATIONS ended kdebug containers already: GenerationBudgetSpent.
    """
    declared = set(c["name"] for c in pod["spec"].get("ephemeralContainers") or [])
    skipped = []
    for generation in range(1, MAX_GENERATIONS + 1):
        name = generation_name(base, generation)
        if name not in declared:
            ended = ended_containers(pod)
            if ended >= MAX_GENERATIONS:
                raise GenerationBudgetSpent(pod, ended)
            return name, False, skipped
        left = expires_in(pod, name, now)
        if left != 0 and (left is None or left >= needed_seconds):
            return name, True, skipped
        if left:
            skipped.append((name, left))
    raise GenerationBudgetSpent(pod, max(ended_containers(pod), MAX_GENERATIONS))


def restricted_user(pod, target_container):
    """The runAsUser the restricted profile sets: the target container's own (so its files under /proc/<pid>/root
    stay readable), none when the pod sets one for every container, else nobody."""
    own = (find_spec(pod, "main", target_container).get("securityContext") or {}).get("runAsUser")
    if own is not None:
        return own
    if ((pod.get("spec") or {}).get("securityContext") or {}).get("runAsUser") is not None:
        return None
    return NOBODY


def ephemeral_container(name, image, target_container, profile, pull_policy, ttl_seconds, run_as_user=None):
    """The container spec (pure). Identical inputs give identical specs, so concurrent patches merge.

    ``run_as_user`` (restricted_user) goes into the restricted profile's securityContext.
    """
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
        container["securityContext"] = dict(context)
        if profile == "restricted" and run_as_user is not None:
            container["securityContext"]["runAsUser"] = run_as_user
    return container


_NAMED_CONTAINERS = re.compile(r'containers? ((?:"[^"]+"(?:, | and )?)+)')


def containers_named(detail):
    """The container names a PodSecurity violation's detail quotes (``container "a" must...``)."""
    names = []
    for group in _NAMED_CONTAINERS.findall(detail or ""):
        names.extend(re.findall(r'"([^"]+)"', group))
    return names


def pod_security_fix(denial, debug_name, profile):
    """What to do about a PodSecurity refusal of the debug container (kube/failures.py denial)."""
    named = set()
    for violation in denial.get("violations") or []:
        named.update(containers_named(violation.get("detail")))
    if named and debug_name not in named:
        return ("The pod itself does not meet the level (it predates the namespace's enforce label, or is exempt from "
                "it), so no profile of a debug container can be admitted into it: use strategy agent")
    if profile == "restricted" or (profile == "baseline" and denial.get("level") != "restricted"):
        return "No profile gets further: use strategy agent"
    return ("The debug container's profile %s sets what the level forbids: set profile to %s, or use strategy agent"
            % (profile, "baseline (or restricted)" if denial.get("level") == "baseline" else "restricted"))


def start_problem_advice(problem, image, profile):
    """The fix for a debug container that cannot start (its waiting reason and message in ``problem``)."""
    if "runAsNonRoot" in problem or "non-root" in problem:
        return ("The tools image %s runs as root, which profile %s forbids: use an image with a non-root USER, or "
                "another profile where the namespace allows it" % (image, profile))
    if "Image" in problem or "image" in problem:
        return ("Check the image option (%s): the node must be able to pull it (image_pull_secrets, image_pull_policy)"
                % image)
    return "See kubectl describe pod for its events"


def ephemeral_status(pod, name):
    for status in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []:
        if status.get("name") == name:
            return status
    return None
