# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Ephemeral-container strategy: a tools container added to the target's pod.

``targetContainerName`` puts it in the target container's pid namespace (the
pod already shares net, ipc and uts). Ephemeral containers cannot be removed,
so the container idles for a TTL and then ends by itself. Its name is a hash
of what makes it (image, target, profile, pull policy), so a second call with
the same inputs re-uses it and concurrent calls send identical patches that
merge into one container; when the TTL has ended it, the next generation gets
the next name (``-2``, ``-3``...).

A new container is not waited for through its status: the first exec reaches
it as soon as it starts, up to a second before the kubelet reports it running.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, translate_api_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_exec import (
    exec_error, exec_in_container, exec_raw, with_timeout)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import ApiException, KubeRest, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.target import target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.waiting import container_state_problem, wait_for

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
# A debug container that does not run yet is reached by exec as soon as it starts, while the kubelet reports
# it running up to a second later (its PLEG relist): the first exec knocks this often, for this long, before
# it waits on the container's status instead (a slow image pull).
START_KNOCK_INTERVAL = 0.1
START_KNOCK_SECONDS = 3


def security_context(profile):
    if profile not in PROFILES:
        raise KdebugError("unknown profile %s: choose one of %s." % (profile, ", ".join(sorted(PROFILES))))
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


class EphemeralStrategy(Strategy):
    name = "ephemeral"

    def __init__(self, api, pod, container, image, pull_policy="IfNotPresent", profile="general",
                 ttl_seconds=3600, wait_timeout=120, check_mode=False):
        self.api = KubeRest.of(api)
        self.pod = pod
        self.container = container
        self.image = image
        self.pull_policy = pull_policy
        self.profile = profile
        self.ttl_seconds = ttl_seconds
        self.wait_timeout = wait_timeout
        self.check_mode = check_mode
        self.base = base_name(image, container, profile, pull_policy)
        self.debug_name, self.exists = pick_container(pod, self.base)
        self.unconfirmed = False  # prepare() made or found the container, no exec has reached it yet
        security_context(profile)  # fail early on a bad profile

    @property
    def _ns(self):
        return self.pod["metadata"]["namespace"]

    @property
    def _pod(self):
        return self.pod["metadata"]["name"]

    def _spec(self):
        return ephemeral_container(self.debug_name, self.image, self.container, self.profile, self.pull_policy,
                                   self.ttl_seconds)

    def plan(self, spec):
        return {"debug_container": self.debug_name, "would_create": not self.exists,
                "container": None if self.exists else self._spec(),
                "argv": with_timeout(spec.inner_argv("/proc/1/root"), spec.timeout)}

    def _read(self):
        try:
            return self.api.get(pod_path(self._ns, self._pod))
        except ApiException as exc:
            if exc.status == 404:
                raise KdebugError("pod %s/%s disappeared while its debug container was starting." % (self._ns, self._pod))
            raise translate_api_error(exc, "get", "pods", self._ns, self._pod)

    def prepare(self):
        created = False
        if not self.exists:
            # A strategic merge patch merges ephemeralContainers by name: concurrent identical patches make one.
            body = {"spec": {"ephemeralContainers": [self._spec()]}}
            try:
                self.pod = self.api.patch(pod_path(self._ns, self._pod, "ephemeralcontainers"), body)
                created = True
            except ApiException as exc:
                if exc.status == 403:
                    raise translate_api_error(exc, "patch", "pods/ephemeralcontainers", self._ns, self._pod)
                # A concurrent run may have added a different spec under this name: re-read and decide again.
                self.pod = self._read()
                self.debug_name, self.exists = pick_container(self.pod, self.base)
                if not self.exists:
                    raise translate_api_error(exc, "patch", "pods/ephemeralcontainers", self._ns, self._pod)
        # A re-used container that already runs in the pod we read needs nothing more. One that does not run
        # yet is not waited for here: the first exec reaches it sooner than its status would say (_exec).
        self.unconfirmed = created or not self._running(self.pod)
        return created

    def _exec(self, argv, **kwargs):
        """exec in the debug container; the first one after prepare() also waits for the container to start.

        Until the container is seen running, an exec that reached no process
        (results.ExecOutcome.reached_no_process, or a refused stream other than
        401/403) means "not started yet" and is tried again: nothing ran, so
        nothing runs twice. The pod status is read between tries, so image
        errors fail as fast as before; once it says running, or after
        START_KNOCK_SECONDS, the wait is on the status and the next exec counts.
        """
        if not self.unconfirmed:
            return exec_in_container(self.api, self._ns, self._pod, self.debug_name, argv, **kwargs)
        deadline = time.monotonic() + self.wait_timeout
        knock_until = time.monotonic() + START_KNOCK_SECONDS
        running = False
        while True:
            try:
                outcome = exec_raw(self.api, self._ns, self._pod, self.debug_name, argv, **kwargs)
            except ApiException as exc:
                if exc.status in (401, 403):
                    raise exec_error(exc, self._ns, self._pod, self.debug_name)
                outcome = None  # refused at the handshake (older API servers): no process either
            if outcome is not None and not outcome.reached_no_process():
                self.unconfirmed = False
                return outcome
            self.pod = self._read()
            running = self._running(self.pod)  # raises on image errors and the like
            if running or time.monotonic() >= knock_until:
                break
            time.sleep(START_KNOCK_INTERVAL)
        if not running:
            self.pod = wait_for(self._read, self._running, max(deadline - time.monotonic(), 0),
                                "debug container %s in pod %s/%s to run" % (self.debug_name, self._ns, self._pod),
                                watch=lambda pod, seconds: self.api.watch_object(pod_path(self._ns), pod, seconds))
        self.unconfirmed = False
        return exec_in_container(self.api, self._ns, self._pod, self.debug_name, argv, **kwargs)

    def _running(self, pod):
        status = ephemeral_status(pod, self.debug_name)
        if status and "running" in (status.get("state") or {}):
            return True
        problem = container_state_problem(status)
        if problem:
            raise KdebugError("debug container %s in pod %s/%s cannot run: %s. Check the image option (%s): the node "
                              "must be able to pull it (image_pull_secrets, image_pull_policy)."
                              % (self.debug_name, self._ns, self._pod, problem, self.image))
        return False

    def _target_root(self, spec):
        if not self.pod["spec"].get("shareProcessNamespace"):
            return "/proc/1/root"  # the target's own pid namespace: its init is pid 1
        if not spec.chroot:
            return None  # finding it costs a /proc scan: only chroot needs it
        # With a shared process namespace pid 1 is the pause process: find the target by its cgroup.
        raw_id = procfs.split_container_id(target_info(self.pod, self.container)["container_id"])[1]
        outcome = self._exec(["sh", "-c", procfs.PID_SCAN_SCRIPT, "kdebug-pid-scan", raw_id], timeout=30)
        pid = procfs.find_container_pid(procfs.parse_scan(outcome.stdout.text()), raw_id)
        if pid is None:
            raise KdebugError("could not find the process of container %s from the debug container: chroot needs it."
                              % self.container)
        return "/proc/%d/root" % pid

    def run(self, spec):
        argv = with_timeout(spec.inner_argv(self._target_root(spec)), spec.timeout)
        return self._exec(argv, stdin=spec.stdin, timeout=spec.timeout, max_output_bytes=spec.max_output_bytes)

    def target(self):
        return target_info(self.pod, self.container)

    def handle(self):
        return {"debug_container": {"name": self.debug_name, "image": self.image, "profile": self.profile,
                                    "reused": self.exists, "ttl_seconds": self.ttl_seconds},
                "agent_pod": None}
