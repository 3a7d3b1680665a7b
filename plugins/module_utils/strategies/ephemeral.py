# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Ephemeral-container strategy: a tools container added to the target's pod.

``targetContainerName`` puts it in the target container's pid namespace (the
pod already shares net, ipc and uts). Ephemeral containers cannot be removed,
so the container idles for a TTL and then ends by itself; its name and spec
are transforms/ephemeral.py.

A new container is not waited for through its status: the first exec reaches
it as soon as it starts, up to a second before the kubelet reports it running.

An ephemeral container has no annotations: who added it and why is recorded as
an Event on the target pod (transforms/audit_event.py), once, by the run that
created the container. A caller that may not create events gets a warning
(``warnings``), and the command still runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiConflict, ApiDenied, ApiError, ApiInvalid, ApiNotFound, ApiUnauthorized, ApiUnreachable, ImagePullError,
    KdebugError, StartError)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import DRY_RUN_ALL, api_path, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import exec_in_container
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import API_OUTAGES, settled_loss, wait_for
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.audit_event import record_event
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import container_state_problem, target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import life_needed, ttl_warning, with_timeout
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.audit_event import debug_container_event
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import pull_secrets as pull
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.ephemeral import (
    auto_profiles, base_name, enforced_level, ephemeral_container, ephemeral_status, expires_in, less_capable,
    no_profile_admitted, pick_container, pod_at_fault, pod_security_fix, profile_cannot, profile_reason, refusal_text,
    restricted_identity,
    security_context, start_problem_advice)

# A debug container that does not run yet is reached by exec as soon as it starts, while the kubelet reports
# it running up to a second later (its PLEG relist): the first exec knocks this often, for this long, before
# it waits on the container's status instead (a slow image pull).
START_KNOCK_INTERVAL = 0.1
START_KNOCK_SECONDS = 3
# How often prepare() re-reads the pod and tries again when it changed under the patch that adds a container.
PATCH_ATTEMPTS = 5
# The role of docs/rbac.md that grants what this strategy needs.
RBAC_ROLE = "kdebug-ephemeral"


class EphemeralStrategy(Strategy):
    name = "ephemeral"

    def __init__(self, client, pod, container, image, requester, reason, pull_policy="IfNotPresent",
                 profile="general", ttl_seconds=3600, wait_timeout=120, check_mode=False, timeout=None):
        self.client = client
        self.pod = pod
        self.container = container
        self.image = image
        self.pull_policy = pull_policy
        self.profile = profile
        self.ttl_seconds = ttl_seconds
        self.wait_timeout = wait_timeout
        self.check_mode = check_mode
        self.requester = requester
        self.reason = reason
        self.audit_event = None  # the name of the Event recording the container this run created
        self.warnings = []
        self.base = base_name(image, container, profile, pull_policy)
        self.needed_seconds = life_needed(timeout, ttl_seconds)  # of a debug container's TTL, for it to be reused
        warning = ttl_warning(timeout, ttl_seconds, "debug container")
        if warning:
            self.warnings.append(warning)
        self._pick()
        self.unconfirmed = False  # prepare() made or found the container, no exec has reached it yet
        security_context(profile)  # fail early on a bad profile

    def _pick(self):
        """Choose the generation for self.pod: a live one with time enough left, else the next name to add."""
        self.debug_name, self.exists, skipped = pick_container(self.pod, self.base, self.needed_seconds, time.time())
        for name, left in skipped:
            note = ("debug container %s has %ds of its TTL left, less than this command's timeout plus a margin "
                    "(%ds): not reused, so it is not killed mid-command; %s %s instead."
                    % (name, left, self.needed_seconds, "re-using" if self.exists else "adding", self.debug_name))
            if note not in self.warnings:
                self.warnings.append(note)

    @property
    def _ns(self):
        return self.pod["metadata"]["namespace"]

    @property
    def _pod(self):
        return self.pod["metadata"]["name"]

    def _spec(self):
        return ephemeral_container(self.debug_name, self.image, self.container, self.profile, self.pull_policy,
                                   self.ttl_seconds, restricted_identity(self.pod, self.container))

    def _event(self):
        return debug_container_event(self.pod, self.debug_name, self.container, self.image, self.profile,
                                     self.ttl_seconds, self.requester, self.reason, self.name)

    def plan(self, spec):
        return {"debug_container": self.debug_name, "would_create": not self.exists,
                "container": None if self.exists else self._spec(),
                "audit_event": None if self.exists else self._event(),
                "argv": spec.outer_argv(with_timeout(spec.inner_argv("/proc/1/root"), spec.timeout))}

    def _read(self):
        try:
            return self.client.get(pod_path(self._ns, self._pod))
        except ApiNotFound:
            raise KdebugError("pod %s/%s disappeared while its debug container was starting." % (self._ns, self._pod))

    def _hints(self):
        """The fix for a refused patch, by the class of the refusal (kube/failures.py)."""
        return {
            "rbac_role": RBAC_ROLE,
            "pod_security": lambda denial: pod_security_fix(denial, self.debug_name, self.profile),
            "admission_webhook": "Set profile to restricted, or use strategy agent",
        }

    def prepare(self):
        created = False
        for _attempt in range(PATCH_ATTEMPTS):
            if self.exists:
                break
            # The pod's resourceVersion makes the patch conditional: of concurrent runs adding the same container,
            # one gets it in and the others a conflict, so exactly one says it created the container.
            body = {"metadata": {"resourceVersion": self.pod["metadata"].get("resourceVersion")},
                    "spec": {"ephemeralContainers": [self._spec()]}}
            try:
                self.pod = self.client.patch(pod_path(self._ns, self._pod, "ephemeralcontainers"), body,
                                             hints=self._hints())
                created = True
                break
            except ApiDenied as exc:
                raise self._with_admitted_profile(exc)
            except ApiConflict:
                # The pod changed since it was read (a concurrent run added this container, or the kubelet
                # wrote its status): re-read and decide again.
                self.pod = self._read()
                self._pick()
            except ApiInvalid:
                # A concurrent run may have added a different spec under this name: re-read and decide again.
                name = self.debug_name
                self.pod = self._read()
                self._pick()
                if not self.exists and self.debug_name == name:
                    raise
        if not (created or self.exists):
            raise ApiConflict("pod %s/%s changed under each of %d attempts to add debug container %s: run again."
                              % (self._ns, self._pod, PATCH_ATTEMPTS, self.debug_name), 409)
        if created:
            self._record()
        # A re-used container that already runs in the pod we read needs nothing more. One that does not run
        # yet is not waited for here: the first exec reaches it sooner than its status would say (_exec).
        self.unconfirmed = created or not self._running(self.pod)
        return created

    def _with_admitted_profile(self, exc):
        """A PodSecurity refusal of this profile, with the profile a server-side dry run admits instead (if any)."""
        if exc.denied_by != "pod_security" or pod_at_fault(exc.denial, self.debug_name):
            return exc
        refused = []
        for profile in less_capable(self.profile):
            refusal = dry_run_refusal(self.client, self.pod, self.container, self.image, profile, self.pull_policy,
                                      self.ttl_seconds)
            if refusal is None:
                exc.denial["admitted_profile"] = profile
                return ApiDenied("%s A server-side dry run (dryRun=All) admits profile %s here: set profile to %s, or "
                                 "leave profile unset and kdebug picks the most capable profile admitted."
                                 % (exc, profile, profile), exc.denied_by, exc.denial, status=exc.status,
                                 endpoint=exc.endpoint, server_message=exc.server_message)
            refused.append("%s (%s)" % (profile, refusal))
        exc.denial["admitted_profile"] = None
        return ApiDenied("%s No profile is admitted here (server-side dry runs refused %s): use strategy agent."
                         % (exc, "; ".join(refused) or "no other profile"), exc.denied_by, exc.denial,
                         status=exc.status, endpoint=exc.endpoint, server_message=exc.server_message)

    def _record(self):
        """The audit Event of the container this run created (or a concurrent run that made the same one)."""
        event = self._event()
        warning = record_event(self.client, event)
        if warning:
            self.warnings.append(warning)
        else:
            self.audit_event = event["metadata"]["name"]

    def _exec(self, argv, **kwargs):
        """exec in the debug container; the first one after prepare() also waits for the container to start.

        Until the container is seen running, an exec that reached no process
        (results.ExecOutcome.reached_no_process, a refused stream other than
        401/403, or a stream that broke with nothing said while the container
        still does not run) means "not started yet" and is tried again: nothing
        ran, so nothing runs twice. The pod status is read between tries, so image
        errors fail as fast as before; once it says running, or after
        START_KNOCK_SECONDS, the wait is on the status and the next exec counts.
        """
        if not self.unconfirmed:
            return exec_in_container(self.client, self._ns, self._pod, self.debug_name, argv, **kwargs)
        deadline = time.monotonic() + self.wait_timeout
        knock_until = time.monotonic() + START_KNOCK_SECONDS
        running = False
        while True:
            try:
                outcome = exec_in_container(self.client, self._ns, self._pod, self.debug_name, argv, **kwargs)
            except (ApiDenied, ApiUnauthorized):
                raise
            except ApiUnreachable:
                break  # the API server is away (nothing was reached): wait for the container through the outage
            except ApiError as exc:
                if exc.status is None:
                    raise  # no answer at all: not a container that is still starting
                outcome = None  # refused at the handshake (older API servers): no process either
            unknown = outcome is not None and outcome.broke_silently()  # whether it ran: the container's state says
            if outcome is not None and not outcome.reached_no_process() and not unknown:
                self.unconfirmed = False
                return outcome
            try:
                self.pod = self._read()
            except API_OUTAGES:
                break  # as above: wait_for goes on through the outage
            running = self._running(self.pod)  # raises on image errors and the like
            if unknown and running:
                # The stream broke and the container runs by now: the command may have run; never run it twice.
                self.unconfirmed = False
                return outcome
            # Else nothing ran: no process was reached, or the stream broke (a kubelet that hung, an API server
            # that restarted) while the container was not running yet, so there was nothing to run the command in.
            if running or time.monotonic() >= knock_until:
                break
            time.sleep(START_KNOCK_INTERVAL)
        if not running:
            self.pod = wait_for(self._read, self._running, max(deadline - time.monotonic(), 0),
                                "debug container %s in pod %s/%s to run" % (self.debug_name, self._ns, self._pod),
                                watch=lambda pod, seconds: self.client.watch_object(pod_path(self._ns), pod, seconds))
        self.unconfirmed = False
        return exec_in_container(self.client, self._ns, self._pod, self.debug_name, argv, **kwargs)

    def _running(self, pod):
        status = ephemeral_status(pod, self.debug_name)
        if status and "running" in (status.get("state") or {}):
            return True
        problem = container_state_problem(status)
        if problem and pull.image_pull_problem(problem):
            secrets = pull.pod_pull_secret_names(pod)
            raise ImagePullError("debug container %s in pod %s/%s cannot run: %s. %s (a debug container pulls with the "
                                 "pod's own imagePullSecrets). It stays in the pod's spec (ephemeral containers cannot "
                                 "be removed) but never runs." % (
                                     self.debug_name, self._ns, self._pod, problem,
                                     pull.pull_failure_advice(self.image, secrets, self._ns, problem)),
                                 registry=pull.registry_of(self.image), image=self.image, image_pull_secrets=secrets,
                                 debug_container={"name": self.debug_name, "image": self.image,
                                                  "profile": self.profile})
        if problem:
            # Ephemeral containers cannot be removed: say so, and that the next call with other options gets its own.
            raise StartError("debug container %s in pod %s/%s cannot run: %s. %s. It stays in the pod's spec (ephemeral "
                             "containers cannot be removed) but never runs; a call with other options adds another."
                             % (self.debug_name, self._ns, self._pod, problem,
                                start_problem_advice(problem, self.image, self.profile)),
                             debug_container={"name": self.debug_name, "image": self.image, "profile": self.profile})
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
        return "/proc/%s/root" % pid

    def run(self, spec):
        argv = spec.outer_argv(with_timeout(spec.inner_argv(self._target_root(spec)), spec.timeout))
        outcome = self._exec(argv, stdin=spec.stdin_data(), timeout=spec.timeout,
                             max_output_bytes=spec.max_output_bytes)
        if outcome.may_be_lost():
            lost = settled_loss(self.client, self.pod, self.container, self.debug_name)
            if lost:
                outcome.lose(*lost)
        return outcome

    def target(self):
        return target_info(self.pod, self.container)

    def handle(self):
        return {"debug_container": {"name": self.debug_name, "image": self.image, "profile": self.profile,
                                    "cannot": profile_cannot(self.profile), "reused": self.exists,
                                    "ttl_seconds": self.ttl_seconds,
                                    "expires_in_seconds": expires_in(self.pod, self.debug_name, time.time()),
                                    "audit_event": self.audit_event},
                "agent_pod": None}


def dry_run_refusal(client, pod, container, image, profile, pull_policy, ttl_seconds):
    """None when PodSecurity (and every admission step) would admit a new debug container of ``profile`` into
    ``pod``: the ephemeral-containers patch sent with dryRun=All, so nothing changes. Else why it was refused."""
    name, exists, _skipped = pick_container(pod, base_name(image, container, profile, pull_policy))
    if exists:
        return None  # a debug container of this profile is in the pod already (and cannot be changed)
    spec = ephemeral_container(name, image, container, profile, pull_policy, ttl_seconds,
                               restricted_identity(pod, container))
    meta = pod["metadata"]
    try:
        client.patch(pod_path(meta["namespace"], meta["name"], "ephemeralcontainers"),
                     {"spec": {"ephemeralContainers": [spec]}}, query={"dryRun": DRY_RUN_ALL},
                     hints={"rbac_role": RBAC_ROLE})
    except ApiDenied as exc:
        if exc.denied_by == "rbac":
            raise
        return refusal_text(exc.denial, exc.server_message)
    return None


def choose_profile(client, pod, container, image, pull_policy, ttl_seconds):
    """(profile or None, reason) for ``auto``: the most capable profile PodSecurity admits for the debug container.

    The namespace's enforce label says where to start (a caller who may not read the namespace starts at the
    top); a running debug container of a profile is re-used as is; otherwise a server-side dry run confirms.
    With no profile admitted, the profile is None and the reason says what each dry run refused.
    """
    namespace = pod["metadata"]["namespace"]
    try:
        level = enforced_level(client.get_or_none(api_path("namespaces", namespace)))
    except ApiDenied:
        level = None  # no right to read the namespace: the dry runs alone decide
    to_try, skipped = auto_profiles(level)
    refused = []
    for profile in to_try:
        if pick_container(pod, base_name(image, container, profile, pull_policy))[1]:
            return profile, profile_reason(namespace, level, skipped, refused, profile, "re-used")
        refusal = dry_run_refusal(client, pod, container, image, profile, pull_policy, ttl_seconds)
        if refusal is None:
            return profile, profile_reason(namespace, level, skipped, refused, profile, "dry run")
        refused.append((profile, refusal))
    return None, no_profile_admitted(namespace, level, skipped, refused)
