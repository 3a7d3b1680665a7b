# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the docker strategy decides, as pure functions: the tools container's modes, labels, name and argv, the
error wording, and the framing of the attach stream. strategies/docker.py talks to the engine.

The tools container joins the target's network and pid namespaces (``container:<target id>``) and its IPC
namespace only where Docker allows it (:func:`ipc_mode_for`); it carries ``app.kubernetes.io/managed-by: kdebug``
and the audit annotations as labels (Docker has no annotations), so a sweep by label finds a leftover.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import struct
import uuid

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.metadata import (
    audit_annotations, managed_labels, run_mark, stable_name)
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import TARGET_ROOT_ENV

PULL_POLICIES = ("Never", "IfNotPresent", "Always")
NAMESPACES = ("net", "pid", "ipc")
# strace/ltrace/gdb and reading /proc/<pid>/root of a target with more capabilities than ours need it
# (kubectl debug's "general" profile adds it too).
DEFAULT_CAPABILITIES = ("SYS_PTRACE",)
DEFAULT_REASON = "kdebug_exec"
# The tools container lives for one command; the TTL label tells a sweep when a leftover is surely stale.
DEFAULT_TTL_SECONDS = 3600
TTL_MARGIN_SECONDS = 300
DEFAULT_ENGINE_ADDRESS = "unix:///var/run/docker.sock"
STREAM_STDOUT, STREAM_STDERR = 1, 2
TOOLS_COMPONENT = "exec"
STRATEGY_LABEL = "kdebug.io/strategy"
TARGET_ID_LABEL = "kdebug.io/target-container-id"


# --- pure decisions -------------------------------------------------------------------------------------------

def engine_address(docker_host, environ=None):
    """The engine as users name it, for messages and the result: the option, else DOCKER_HOST, else the default."""
    environ = os.environ if environ is None else environ
    return docker_host or environ.get("DOCKER_HOST") or DEFAULT_ENGINE_ADDRESS


def client_environment(docker_host, environ=None):
    """The environment ``docker.from_env`` reads: ours, with DOCKER_HOST set to ``docker_host`` when given.

    Going through from_env for an explicit host too keeps DOCKER_TLS_VERIFY and
    DOCKER_CERT_PATH working for ``tcp://`` engines.
    """
    env = dict(os.environ if environ is None else environ)
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


def check_pull_policy(pull_policy):
    if pull_policy not in PULL_POLICIES:
        raise KdebugError("unknown pull_policy %s: choose one of %s." % (pull_policy, ", ".join(PULL_POLICIES)))
    return pull_policy


def check_namespaces(namespaces):
    names = tuple(namespaces or ())
    unknown = [n for n in names if n not in NAMESPACES]
    if unknown or "net" not in names:
        raise KdebugError("the docker strategy joins namespaces %s (net is required); got %s."
                          % (", ".join(NAMESPACES), ", ".join(names) or "none"))
    return names


def needs_pull(pull_policy, present):
    """Kubernetes' imagePullPolicy: Always pulls, IfNotPresent pulls when missing, Never never does."""
    return pull_policy == "Always" or (pull_policy == "IfNotPresent" and not present)


def ipc_mode_for(target_ipc_mode, target_id):
    """(ipc_mode for the tools container or None, why) from the target's ``HostConfig.IpcMode``.

    Docker lets a container join another's IPC namespace only when that donor
    was started with ``--ipc shareable`` (the default, ``private``, refuses).
    A target that itself joined a donor (``container:<donor>``, e.g. a
    Kubernetes app container joining its pause container) is joined through
    that same donor, and a target on the host's IPC namespace through
    ``host``. Otherwise the tools container keeps its own private IPC.
    """
    mode = target_ipc_mode or ""
    if mode == "shareable":
        return "container:%s" % target_id, "the target's IPC namespace is shareable: joined"
    if mode.startswith("container:"):
        return mode, "the target shares the IPC namespace of %s: joined through it" % mode.split(":", 1)[1]
    if mode == "host":
        return "host", "the target uses the host's IPC namespace: joined"
    return None, ("the target's IPC mode is %s, which Docker does not let others join (start it with --ipc "
                  "shareable to join it): the tools container has its own IPC namespace" % (mode or "private"))


def target_root_for(target_pid_mode, target_pid):
    """Where the target's root filesystem is seen from a tools container in its pid namespace, or None.

    A target with its own pid namespace is pid 1 there (so /proc/1/root); on
    the host's pid namespace it keeps its host pid. A target sharing another
    container's pid namespace (``container:<id>``) is not pid 1 and has no pid
    we can know from outside: None.
    """
    mode = target_pid_mode or ""
    if mode == "host":
        return "/proc/%d/root" % int(target_pid) if target_pid else None
    if mode.startswith("container:"):
        return None
    return "/proc/1/root"


def host_config_args(target_id, target_ipc_mode, namespaces=NAMESPACES, capabilities=DEFAULT_CAPABILITIES):
    """Keyword arguments for ``create_host_config`` of the tools container.

    No log driver: kdebug reads the output from the attach stream and keeps at most max_output_bytes of it, and
    the engine's default json-file log would write all of it to disk again (and make a large output many times
    slower: 24 s instead of 0.5 s for 10 MB of two-byte lines on the lab).
    """
    args = {"network_mode": "container:%s" % target_id, "log_config": {"type": "none"}}
    if "pid" in namespaces:
        args["pid_mode"] = "container:%s" % target_id
    if "ipc" in namespaces:
        ipc_mode, _why = ipc_mode_for(target_ipc_mode, target_id)
        if ipc_mode:
            args["ipc_mode"] = ipc_mode
    if capabilities:
        args["cap_add"] = list(capabilities)
    return args


def target_label(container_name, pod_target=None):
    """The ``kdebug.io/target`` value: namespace/pod/container for a pod, else docker/<container name>."""
    if pod_target and pod_target.get("pod"):
        return "%s/%s/%s" % (pod_target.get("namespace"), pod_target.get("pod"), pod_target.get("container"))
    return "docker/%s" % container_name


def ttl_for(timeout):
    return int(timeout) + TTL_MARGIN_SECONDS if timeout else DEFAULT_TTL_SECONDS


def tools_labels(target, target_id, requester, reason=None, ttl_seconds=DEFAULT_TTL_SECONDS, now=None, run_id=None):
    """Labels of the tools container: the managed labels plus the audit annotations (Docker has no annotations).

    A tools container is one-shot: the module removes it when the command ends, so it always goes with its run
    (``run_id``): one that a killed run left is removed by kdebug_cleanup once that run is gone."""
    labels = managed_labels(TOOLS_COMPONENT, {STRATEGY_LABEL: "docker", TARGET_ID_LABEL: target_id})
    labels.update(audit_annotations(reason or DEFAULT_REASON, target, ttl_seconds, requester, now=now,
                                    run=run_mark(run_id, remove_with_run=True)))
    return labels


def tools_container_name(container_name, target_id, unique=None):
    """``kdebug-exec-<target>-<hash>``: unique per run (one-shot containers must not collide with a concurrent run)."""
    return stable_name("kdebug-exec", container_name, target_id, unique or uuid.uuid4().hex)


def split_argv(argv):
    """(entrypoint, cmd): argv[0] replaces the image's ENTRYPOINT, so argv runs exactly as given, no shell."""
    argv = list(argv)
    if not argv:
        raise KdebugError("the command is empty: give at least the program to run.")
    return argv[:1], argv[1:]


def docker_container_id(container_id):
    """The bare id from a pod status ``containerID`` (``docker://<id>``); other runtimes are a clear error."""
    runtime, sep, bare = (container_id or "").partition("://")
    if not sep:
        runtime, bare = "docker", container_id or ""
    if runtime != "docker" or not bare:
        raise KdebugError("container id %s is not a Docker container (runtime %s): the docker strategy needs a node "
                          "whose container runtime is Docker; use strategy ephemeral or agent."
                          % (container_id, runtime or "unknown"))
    return bare


def tools_target_root(spec, target_attrs, namespaces=NAMESPACES, container=None):
    """The target's root as the tools container sees it (None when unknown); refuses a chroot that cannot work."""
    host_config = target_attrs.get("HostConfig") or {}
    root = None
    if "pid" in namespaces:
        root = target_root_for(host_config.get("PidMode"), (target_attrs.get("State") or {}).get("Pid"))
    if spec.chroot:
        name = container or (target_attrs.get("Name") or "").lstrip("/")
        if "pid" not in namespaces:
            raise KdebugError("chroot into Docker container %s needs its pid namespace: add pid to namespaces." % name)
        if root is None:
            raise KdebugError(
                "chroot is not available for Docker container %s: it shares the pid namespace of %s, so its root is "
                "not /proc/1/root. Run without chroot (the target's files are under /proc/<pid>/root) or use "
                "strategy agent." % (name, host_config.get("PidMode", "").split(":", 1)[-1]))
    return root


def tools_argv(spec, target_attrs, namespaces=NAMESPACES, container=None):
    """The tools container's argv for an ExecSpec, given the target's inspect data.

    With ``chroot`` the command runs in the target's root as seen from its pid
    namespace (see target_root_for); argv is never passed through a shell.
    Without it the argv is the command itself, so the engine reports a missing
    program when it starts the container; the target's root goes in the
    container's environment instead (tools_environment).
    """
    root = tools_target_root(spec, target_attrs, namespaces, container)
    return spec.inner_argv(root if spec.chroot else None)


def tools_environment(spec, target_attrs, namespaces=NAMESPACES, container=None):
    """The tools container's environment: KDEBUG_TARGET_ROOT when the root is known and there is no chroot."""
    root = tools_target_root(spec, target_attrs, namespaces, container)
    return {TARGET_ROOT_ENV: root} if root and not spec.chroot else {}


def command_start_failed(message):
    """Whether an engine error at start is about the command itself (missing or not executable)."""
    text = (message or "").lower()
    return any(m in text for m in ("executable file not found", "no such file or directory", "permission denied",
                                   "exec format error", "not a directory"))


# --- error wording --------------------------------------------------------------------------------------------

def engine_unreachable_error(address, reason):
    return KdebugError(
        "cannot reach the Docker engine at %s: %s. Check docker_host (or DOCKER_HOST), that dockerd runs there and "
        "that this user may use it (try: docker -H %s info)." % (address, reason, address),
        docker_host=address)


def container_not_found_error(name, address):
    return KdebugError(
        "Docker container %s not found on the engine at %s: check the container name or id "
        "(docker -H %s ps)." % (name, address, address), docker_host=address)


def not_running_error(name, address, state):
    """The target exists but has no live namespaces; ``state`` is its ``State`` block."""
    state = state or {}
    status = state.get("Status") or "unknown"
    if status == "paused" or state.get("Paused"):
        fix = "unpause it (docker -H %s unpause %s)" % (address, name)
    elif status == "restarting" or state.get("Restarting"):
        fix = "it is restarting (crash-looping?): check docker -H %s logs %s, and try again when it runs" % (
            address, name)
    else:
        fix = "start it (docker -H %s start %s) or debug a copy of it" % (address, name)
    detail = status
    if status in ("exited", "dead"):
        detail = "%s, exit code %s" % (status, state.get("ExitCode"))
    return KdebugError(
        "Docker container %s on the engine at %s is not running (%s): only a running container's namespaces can be "
        "joined; %s." % (name, address, detail, fix), docker_host=address, state=status)


def image_missing_error(image, address):
    return KdebugError(
        "image %s is not present on the Docker engine at %s and pull_policy is Never: load it with docker load "
        "(docker -H %s load -i FILE), or set image to one the engine has." % (image, address, address),
        image=image, docker_host=address)


def pull_failed_error(image, address, reason):
    return KdebugError(
        "could not pull image %s on the Docker engine at %s: %s. Load it with docker load (docker -H %s load -i "
        "FILE) and use pull_policy IfNotPresent or Never, or set image to one the engine has."
        % (image, address, reason, address), image=image, docker_host=address)


def engine_error_message(exc):
    """The engine's own words from a docker APIError, else the exception's text."""
    explanation = getattr(exc, "explanation", None)
    if explanation:
        return explanation.decode("utf-8", "replace") if isinstance(explanation, bytes) else str(explanation)
    return str(exc) or exc.__class__.__name__


# --- the attach stream ----------------------------------------------------------------------------------------

class FrameDemuxer(object):
    """Splits Docker's multiplexed attach stream (tty off) into stdout and stderr.

    Each frame is an 8-byte header (stream type, three zero bytes, big-endian
    uint32 length) and the payload; frames may arrive cut anywhere, so bytes
    are buffered until a frame is whole. Stdout and stderr are BoundedOutput.
    """

    HEADER = struct.Struct(">BxxxL")

    def __init__(self, stdout, stderr):
        self.stdout = stdout
        self.stderr = stderr
        self._buffer = b""

    def feed(self, data):
        self._buffer += data
        while len(self._buffer) >= self.HEADER.size:
            stream, length = self.HEADER.unpack_from(self._buffer)
            end = self.HEADER.size + length
            if len(self._buffer) < end:
                break
            payload = self._buffer[self.HEADER.size:end]
            self._buffer = self._buffer[end:]
            (self.stderr if stream == STREAM_STDERR else self.stdout).write(payload)

    @property
    def pending(self):
        """Bytes of an incomplete frame (non-zero only if the stream was cut mid-frame)."""
        return len(self._buffer)
