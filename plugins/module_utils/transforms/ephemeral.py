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
# Without ``profile``, the profiles kdebug tries, most capable first: each can do all the next one can.
AUTO_PROFILES = ("general", "baseline", "restricted")
# The most capable of AUTO_PROFILES a PodSecurity level admits into a pod that meets the level itself.
LEVEL_PROFILES = {"privileged": "general", "baseline": "baseline", "restricted": "restricted"}
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
# What a debug container cannot do, by profile: a tag per missing power (the result's debug_container.cannot, which
# runbooks read), and what it means for a user.
LIMITS = {
    "ptrace": "no ptrace (strace, gdb, ltrace)",
    "net_admin": "no NET_ADMIN (iptables, tc, changing addresses or routes)",
    "net_raw": "no NET_RAW (tcpdump, ping, arping)",
    "root": "no root (it runs as the target's user and reads only what that user may)",
}
PROFILE_LIMITS = {
    "legacy": ("ptrace", "net_admin"),
    "general": ("net_admin",),
    "baseline": ("ptrace", "net_admin"),
    "restricted": ("ptrace", "net_admin", "net_raw", "root"),
    "netadmin": ("ptrace",),
    "sysadmin": (),
}
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


def restricted_identity(pod, target_container):
    """The runAsUser/runAsGroup the restricted profile sets: the target container's own, so its files under
    /proc/<pid>/root stay readable. What the pod sets for every container applies to the debug container by
    itself; when nothing names a user, nobody (a root-default tools image could never start under runAsNonRoot)."""
    own = find_spec(pod, "main", target_container).get("securityContext") or {}
    pod_level = (pod.get("spec") or {}).get("securityContext") or {}
    identity = {}
    if own.get("runAsUser") is not None:
        identity["runAsUser"] = own["runAsUser"]
    elif pod_level.get("runAsUser") is None:
        identity["runAsUser"] = NOBODY
    if own.get("runAsGroup") is not None:
        identity["runAsGroup"] = own["runAsGroup"]
    return identity


def ephemeral_container(name, image, target_container, profile, pull_policy, ttl_seconds, identity=None):
    """The container spec (pure). Identical inputs give identical specs, so concurrent patches merge.

    ``identity`` (restricted_identity: runAsUser, runAsGroup) goes into the restricted profile's securityContext.
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
        if profile == "restricted":
            container["securityContext"].update(identity or {})
    return container


_NAMED_CONTAINERS = re.compile(r'containers? ((?:"[^"]+"(?:, | and )?)+)')


def containers_named(detail):
    """The container names a PodSecurity violation's detail quotes (``container "a" must...``)."""
    names = []
    for group in _NAMED_CONTAINERS.findall(detail or ""):
        names.extend(re.findall(r'"([^"]+)"', group))
    return names


def pod_at_fault(denial, debug_name):
    """True when a PodSecurity refusal names the pod's own containers, not the debug container: no profile helps."""
    named = set()
    for violation in denial.get("violations") or []:
        named.update(containers_named(violation.get("detail")))
    return bool(named) and debug_name not in named


def pod_security_fix(denial, debug_name, profile):
    """What to do about a PodSecurity refusal of the debug container (kube/failures.py denial)."""
    if pod_at_fault(denial, debug_name):
        return ("The pod itself does not meet the level (it predates the namespace's enforce label, or is exempt from "
                "it), so no profile of a debug container can be admitted into it: use strategy agent")
    return "The debug container's profile %s sets what the level forbids" % profile


def enforced_level(namespace):
    """The PodSecurity level a namespace object's labels enforce; None when it sets none (or it is unknown)."""
    level = (((namespace or {}).get("metadata") or {}).get("labels") or {}).get(ENFORCE_LABEL)
    return level if level in LEVEL_PROFILES else None


def auto_profiles(level):
    """(to_try, skipped): the AUTO_PROFILES a dry run is worth, most capable first, and those the level forbids."""
    first = AUTO_PROFILES.index(LEVEL_PROFILES.get(level, "general"))
    return list(AUTO_PROFILES[first:]), list(AUTO_PROFILES[:first])


def less_capable(profile):
    """The AUTO_PROFILES to try when ``profile`` is refused: those after it, or all for a profile outside them."""
    if profile in AUTO_PROFILES:
        return list(AUTO_PROFILES[AUTO_PROFILES.index(profile) + 1:])
    return [p for p in AUTO_PROFILES if p != profile]


def profile_cannot(profile):
    return list(PROFILE_LIMITS.get(profile, ()))


def describe_limits(profile):
    cannot = profile_cannot(profile)
    if not cannot:
        return "profile %s lacks nothing kdebug's runbooks use" % profile
    return "profile %s has %s" % (profile, ", ".join(LIMITS[tag] for tag in cannot))


def refusal_text(denial, message):
    """One refusal, short: the PodSecurity checks a dry run failed, else the server's message."""
    checks = [v.get("check") for v in (denial or {}).get("violations") or [] if v.get("check")]
    return ", ".join(checks) if checks else (message or "refused")


def profile_reason(namespace, level, skipped, refused, chosen, how):
    """strategy_reason's part about the profile ``auto`` chose: what was refused, how the choice was confirmed and
    what the chosen profile cannot do. ``refused``: (profile, why) pairs from dry runs; ``how``: "dry run" or
    "re-used" (a running debug container of that profile is already in the pod)."""
    parts = []
    if level:
        parts.append("namespace %s enforces PodSecurity %s" % (namespace, level))
    else:
        parts.append("namespace %s enforces no PodSecurity level by label" % namespace)
    if skipped:
        many = len(skipped) > 1
        parts[-1] += ", so profile%s %s %s not tried" % ("s" if many else "", " and ".join(skipped),
                                                         "were" if many else "was")
    for profile, why in refused:
        parts.append("a server-side dry run (dryRun=All) refused profile %s (%s)" % (profile, why))
    if how == "re-used":
        parts.append("profile %s: its running debug container is re-used" % chosen)
    else:
        parts.append("a server-side dry run (dryRun=All) admitted profile %s" % chosen)
    limits = describe_limits(chosen)
    return "; ".join(parts) + ". " + limits[:1].upper() + limits[1:]


def no_profile_admitted(namespace, level, skipped, refused):
    """Why no debug container profile can be used: every one was refused."""
    tried = "; ".join("%s (%s)" % (profile, why) for profile, why in refused) or "none"
    text = "PodSecurity admits no debug container profile in namespace %s" % namespace
    if level:
        text += " (it enforces %s%s)" % (level, ", which rules out " + " and ".join(skipped) if skipped else "")
    return text + "; server-side dry runs refused: %s" % tried


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
