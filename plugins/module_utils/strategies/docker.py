# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The docker strategy: the kubectl-debug seed's own mechanism, through the docker SDK.

For each command a one-shot tools container is created from ``image`` with
``network_mode`` and ``pid_mode`` set to ``container:<target id>`` (and
``ipc_mode`` when the target's IPC can be joined, see transforms/docker.py),
attached, started, fed stdin, read until it exits or its timeout (then
killed), and removed, always. Nothing outlives :meth:`DockerStrategy.run`; the
tools container still carries ``app.kubernetes.io/managed-by: kdebug`` and
the audit annotations (as labels: Docker has no annotations), so a sweep by
label finds one a killed controller left behind.

The target is a container name or id on the engine at ``docker_host`` (a plain
Docker host), or a Kubernetes pod's container on a node whose runtime is
Docker (:meth:`DockerStrategy.for_pod_container`, from ``docker://<id>``).

Usage (what kdebug_exec does)::

    require_docker("the docker strategy")   # MissingLibrary (error_class missing_library) without the library
    strategy = DockerStrategy("web", image="kdebug.local/tools:1", docker_host="unix:///run/docker.sock")
    changed = strategy.prepare()          # resolves the target, pulls the image if the policy says so
    outcome = strategy.run(ExecSpec(command=["ss", "-ltn"], timeout=30))

Everything that decides (modes, labels, argv, error wording, the stream
framing) is a pure function in transforms/docker.py; only this file talks to
the engine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import select
import socket
import sys
import time
import traceback
import uuid

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, MissingLibrary
from ansible_collections.kdebug.toolkit.plugins.module_utils.options import local_requester
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import BoundedOutput, ExecOutcome
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import Strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.docker import (
    DEFAULT_CAPABILITIES, NAMESPACES, FrameDemuxer, check_namespaces, check_pull_policy, client_environment,
    command_start_failed, container_not_found_error, docker_container_id, engine_address, engine_error_message,
    engine_unreachable_error, host_config_args, image_missing_error, ipc_mode_for, needs_pull, not_running_error,
    pull_failed_error, split_argv, target_label, tools_argv, tools_container_name, tools_environment, tools_labels,
    ttl_for)

DOCKER_IMPORT_ERROR = None
try:
    import docker
    import docker.errors
    import requests.exceptions
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DOCKER = True


def require_docker(what):
    """Raise MissingLibrary naming ``what`` needs the docker library, and how to install it, when it is missing.

    The docker library is an optional requirement (requirements-docker.txt): only the docker strategy and the
    sweep of a Docker engine use it, so everything else works without it.
    """
    if not HAS_DOCKER:
        raise MissingLibrary(
            "%s needs the docker Python library, which %s cannot import: install it for that Python with "
            "`pip install -r requirements-docker.txt` (a file of the kdebug.toolkit collection) or "
            "`pip install 'docker>=6.1.0,<8'`." % (what, sys.executable),
            exception=DOCKER_IMPORT_ERROR)


# After a kill: how long we keep reading what the stream still holds, and wait for the exit status.
KILL_GRACE_SECONDS = 10
READ_CHUNK = 65536


def connect(docker_host):
    """A docker SDK client for the engine at ``docker_host`` (None: DOCKER_HOST...); KdebugError when unreachable."""
    try:
        return docker.from_env(environment=client_environment(docker_host))
    except docker.errors.DockerException as exc:
        raise engine_unreachable_error(engine_address(docker_host), exc)


def _raw_socket(sock):
    """The socket under the SDK's attach object (socket.SocketIO for unix/tcp, SSLSocket, paramiko channel)."""
    return getattr(sock, "_sock", sock)


def _close_write(raw):
    try:
        if hasattr(raw, "shutdown_write"):  # paramiko channel (ssh://)
            raw.shutdown_write()
        else:
            raw.shutdown(socket.SHUT_WR)
    except (OSError, EOFError):
        pass


# --- the strategy ---------------------------------------------------------------------------------------------

class DockerStrategy(Strategy):
    """Run commands in a one-shot tools container that joins a Docker container's namespaces.

    container:    name or id of the target on the engine (a running container).
    image:        the tools image (must have the programs you run, and ``env``/``chroot`` for env/chroot).
    docker_host:  the engine (docker SDK ``base_url``, e.g. ``unix:///run/docker.sock``, ``tcp://h:2376``);
                  None: DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, else the SDK's default.
    pull_policy:  Never | IfNotPresent | Always, as Kubernetes' imagePullPolicy.
    requester, reason: for the audit labels (requester defaults to user@host).
    ttl_seconds:  the TTL label (when a leftover tools container is surely stale); default: the command's
                  timeout plus 5 minutes, or an hour without a timeout. Each run removes its container anyway.
    namespaces:   which of net, pid, ipc to join (net required; ipc only where Docker allows, see ipc_mode_for).
    capabilities: added to the tools container (default SYS_PTRACE).
    """

    name = "docker"

    def __init__(self, container, image, docker_host=None, pull_policy="IfNotPresent", requester=None,
                 reason=None, ttl_seconds=None, namespaces=NAMESPACES, capabilities=DEFAULT_CAPABILITIES,
                 run_id=None):
        self.container = container
        self.image = image
        self.docker_host = docker_host
        self.address = engine_address(docker_host)
        self.pull_policy = check_pull_policy(pull_policy)
        self.requester = requester or local_requester()
        self.reason = reason
        self.ttl_seconds = ttl_seconds
        self.run_id = run_id
        self.namespaces = check_namespaces(namespaces)
        self.capabilities = tuple(capabilities or ())
        self.pod_target = None
        self._client = None
        self._attrs = None
        self._engine_name = None
        self._image_checked = False
        self._unique = uuid.uuid4().hex

    @classmethod
    def for_pod_container(cls, container_id, pod_target, image, **kwargs):
        """The strategy for a Kubernetes pod's container on a Docker node.

        ``container_id`` is the pod status ``containerID`` (``docker://<id>``);
        ``pod_target`` is the pod's target block (namespace, pod, container,
        node), merged into :meth:`target`. ``docker_host`` (in kwargs) must
        reach that node's engine.
        """
        strategy = cls(docker_container_id(container_id), image, **kwargs)
        strategy.pod_target = dict(pod_target or {})
        return strategy

    # engine access

    def _docker(self):
        if self._client is None:
            require_docker("the docker strategy")
            self._client = connect(self.docker_host)
        return self._client.api

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def _inspect(self):
        """The target's inspect data, read once; raises when it is missing or not running."""
        if self._attrs is None:
            api = self._docker()
            try:
                attrs = api.inspect_container(self.container)
            except docker.errors.NotFound:
                raise container_not_found_error(self.container, self.address)
            except docker.errors.APIError as exc:
                raise KdebugError("could not inspect Docker container %s on the engine at %s: %s."
                                  % (self.container, self.address, engine_error_message(exc)))
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                raise engine_unreachable_error(self.address, exc)
            state = attrs.get("State") or {}
            if not state.get("Running") or state.get("Paused") or state.get("Restarting"):
                raise not_running_error(self.container, self.address, state)
            self._attrs = attrs
        return self._attrs

    def _target_id(self):
        return self._inspect()["Id"]

    def _target_name(self):
        return (self._inspect().get("Name") or self.container).lstrip("/")

    def _engine(self):
        if self._engine_name is None:
            try:
                self._engine_name = self._docker().info().get("Name") or self.address
            except (docker.errors.DockerException, requests.exceptions.RequestException):
                self._engine_name = self.address
        return self._engine_name

    def _image_present(self):
        try:
            self._docker().inspect_image(self.image)
            return True
        except docker.errors.NotFound:  # ImageNotFound
            return False
        except docker.errors.APIError as exc:
            raise KdebugError("could not inspect image %s on the Docker engine at %s: %s."
                              % (self.image, self.address, engine_error_message(exc)))
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise engine_unreachable_error(self.address, exc)

    def _ensure_image(self):
        """Make the tools image available as pull_policy says; True when it pulled."""
        if self._image_checked:
            return False
        present = self._image_present()
        pulled = False
        if needs_pull(self.pull_policy, present):
            try:
                self._client.images.pull(self.image)
                pulled = True
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                raise pull_failed_error(self.image, self.address, engine_error_message(exc))
        elif not present:
            raise image_missing_error(self.image, self.address)
        self._image_checked = True
        return pulled

    # the pieces of the tools container

    @property
    def tools_name(self):
        return tools_container_name(self._target_name(), self._target_id(), self._unique)

    def argv(self, spec):
        """The argv the tools container runs for ``spec`` (chroot into the target's root when asked)."""
        return spec.outer_argv(tools_argv(spec, self._inspect(), self.namespaces, self.container))

    def _host_config_args(self):
        attrs = self._inspect()
        return host_config_args(attrs["Id"], (attrs.get("HostConfig") or {}).get("IpcMode"), self.namespaces,
                                self.capabilities)

    def _labels(self, timeout):
        return tools_labels(target_label(self._target_name(), self.pod_target), self._target_id(), self.requester,
                            self.reason, self.ttl_seconds or ttl_for(timeout), run_id=self.run_id)

    # the Strategy interface

    def plan(self, spec=None):
        """What run() would create and run; reads only (inspect target and image)."""
        attrs = self._inspect()
        present = self._image_present()
        if self.pull_policy == "Never" and not present:
            raise image_missing_error(self.image, self.address)
        host_config = self._host_config_args()
        _mode, ipc_reason = ipc_mode_for((attrs.get("HostConfig") or {}).get("IpcMode"), attrs["Id"])
        if "ipc" not in self.namespaces:
            ipc_reason = "ipc is not in namespaces: the tools container has its own IPC namespace"
        return {
            "strategy": self.name,
            "docker_host": self.address,
            "image_present": present,
            "would_pull": needs_pull(self.pull_policy, present),
            "tools_container": {
                "name": self.tools_name,
                "image": self.image,
                "network_mode": host_config.get("network_mode"),
                "pid_mode": host_config.get("pid_mode"),
                "ipc_mode": host_config.get("ipc_mode"),
                "ipc_reason": ipc_reason,
                "cap_add": host_config.get("cap_add", []),
                "labels": self._labels(spec.timeout if spec else None),
                "removed_after_run": True,
            },
            "argv": self.argv(spec) if spec is not None else None,
        }

    def prepare(self):
        """Check the target runs and make the image available; True when an image was pulled.

        The tools container itself is created and removed by each run(), so
        nothing else persists.
        """
        self._inspect()
        return self._ensure_image()

    def run(self, spec):
        self.prepare()
        api = self._docker()
        argv = self.argv(spec)
        entrypoint, cmd = split_argv(argv)
        stdout, stderr = BoundedOutput(spec.max_output_bytes), BoundedOutput(spec.max_output_bytes)
        stdin = spec.stdin_data()
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8", "surrogateescape")
        started = time.monotonic()
        container_id = None
        sock = None
        failed = True
        try:
            try:
                created = api.create_container(
                    self.image, command=cmd, entrypoint=entrypoint, name=self.tools_name,
                    environment=tools_environment(spec, self._inspect(), self.namespaces, self.container),
                    stdin_open=stdin is not None, tty=False, labels=self._labels(spec.timeout),
                    host_config=api.create_host_config(**self._host_config_args()), use_config_proxy=False)
            except docker.errors.APIError as exc:
                raise KdebugError("could not create the tools container from image %s on the Docker engine at %s: %s."
                                  % (self.image, self.address, engine_error_message(exc)))
            container_id = created["Id"]
            sock = api.attach_socket(container_id, params={"stdin": int(stdin is not None), "stdout": 1,
                                                           "stderr": 1, "stream": 1})
            try:
                api.start(container_id)
            except docker.errors.APIError as exc:
                message = engine_error_message(exc)
                if command_start_failed(message):
                    failed = False
                    return ExecOutcome(None, stdout, stderr, error="could not start %s in the tools container: %s"
                                       % (argv[0], message), elapsed=time.monotonic() - started)
                raise KdebugError("could not start the tools container for Docker container %s on the engine at %s: "
                                  "%s." % (self.container, self.address, message))
            deadline = time.monotonic() + spec.timeout if spec.timeout else None
            timed_out = self._pump(sock, stdin, FrameDemuxer(stdout, stderr), deadline, container_id)
            rc, waited_out = self._wait_exit(container_id, None if timed_out else deadline)
            outcome = ExecOutcome(rc, stdout, stderr, elapsed=time.monotonic() - started,
                                  timed_out=timed_out or waited_out)
            if outcome.may_be_lost():
                lost = self._loss(container_id, time.time() - outcome.elapsed)
                if lost:
                    outcome.lose(*lost)
            failed = False
            return outcome
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise KdebugError("running the tools container for Docker container %s on the engine at %s failed: %s."
                              % (self.container, self.address, engine_error_message(exc)))
        finally:
            self._close_socket(sock)
            if container_id is not None:
                self._remove(container_id, raise_errors=not failed)

    def target(self):
        attrs = self._inspect()
        block = {
            "namespace": None,
            "pod": None,
            "container": self._target_name(),
            "container_id": attrs["Id"],
            "node": self._engine(),
            "pid": (attrs.get("State") or {}).get("Pid"),
            "docker_host": self.address,
        }
        if self.pod_target:
            block.update({k: v for k, v in self.pod_target.items() if k in ("namespace", "pod", "container", "node")})
            block["container_id"] = "docker://%s" % attrs["Id"]
        return block

    def handle(self):
        return {"debug_container": self.tools_name, "agent_pod": None}

    # the run's moving parts

    def _pump(self, sock, stdin, demux, deadline, container_id):
        """Write stdin and read the stream until it ends or the deadline passes; True when we had to kill."""
        raw = _raw_socket(sock)
        pending = stdin or b""
        if stdin is not None and not pending:
            _close_write(raw)
        while True:
            wait = 1.0
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    self._kill(container_id)
                    self._drain(raw, demux, time.monotonic() + KILL_GRACE_SECONDS)
                    return True
            readable = bool(getattr(raw, "pending", lambda: 0)())  # TLS may hold decrypted bytes select cannot see
            writable = False
            if not readable:
                ready_r, ready_w, _x = select.select([raw], [raw] if pending else [], [], wait)
                readable, writable = bool(ready_r), bool(ready_w)
            if writable:
                try:
                    sent = raw.send(pending[:READ_CHUNK])
                    pending = pending[sent:]
                except (BrokenPipeError, ConnectionResetError):
                    pending = b""  # the command exited without reading all of its stdin
                if not pending:
                    _close_write(raw)
            if readable:
                data = raw.recv(READ_CHUNK)
                if not data:
                    return False
                demux.feed(data)

    @staticmethod
    def _drain(raw, demux, until):
        while time.monotonic() < until:
            ready, _w, _x = select.select([raw], [], [], max(until - time.monotonic(), 0))
            if not ready:
                return
            try:
                data = raw.recv(READ_CHUNK)
            except OSError:
                return
            if not data:
                return
            demux.feed(data)

    def _wait_exit(self, container_id, deadline):
        """(exit code, killed at the deadline) once the container has exited."""
        api = self._docker()
        killed = False
        while True:
            if deadline is not None and not killed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._kill(container_id)
                    killed = True
                    continue
                wait = max(int(remaining) + 1, 1)
            else:
                wait = KILL_GRACE_SECONDS if killed else 60
            try:
                return api.wait(container_id, timeout=wait).get("StatusCode"), killed
            except docker.errors.APIError as exc:
                raise KdebugError("could not read the exit code of the tools container %s: %s."
                                  % (self.tools_name, engine_error_message(exc)))
            except requests.exceptions.RequestException:  # our wait timed out, the command still runs
                if killed:
                    raise KdebugError("the tools container %s did not exit after it was killed." % self.tools_name)

    def _loss(self, container_id, since):
        """(lost, message) when the command was killed from outside: its target stopped, or the engine killed the
        tools container (docker kill or stop, the OOM killer) since ``since`` (epoch seconds); else None."""
        api = self._docker()
        try:
            state = api.inspect_container(self.container).get("State") or {}
        except docker.errors.NotFound:
            state = {"Status": "removed"}
        if not state.get("Running") or state.get("Restarting"):
            return "target_container", ("the Docker container %s stopped while the command ran (%s), and the "
                                        "command with it" % (self.container, state.get("Status") or "not running"))
        events = api.events(since=int(since) - 1, until=int(time.time()) + 1, decode=True,
                            filters={"container": container_id, "event": ["kill", "oom"]})
        for event in events:
            if event.get("Action") == "oom" or event.get("status") == "oom":
                return "tools_container", "the tools container %s ran out of memory (the OOM killer)" % self.tools_name
            signal = ((event.get("Actor") or {}).get("Attributes") or {}).get("signal")
            return "tools_container", ("the tools container %s was killed (signal %s: docker kill or stop) while the "
                                       "command ran" % (self.tools_name, signal or "unknown"))
        return None

    def _kill(self, container_id):
        try:
            self._docker().kill(container_id)
        except docker.errors.APIError:
            pass  # already exited

    @staticmethod
    def _close_socket(sock):
        if sock is None:
            return
        # The SDK's object, the socket under it and the HTTP response all hold the connection: close each.
        response = getattr(sock, "_response", None)
        raw = _raw_socket(sock)
        for closer in (getattr(response, "close", None), getattr(sock, "close", None), getattr(raw, "close", None)):
            try:
                if closer:
                    closer()
            except (OSError, ValueError):
                pass

    def _remove(self, container_id, raise_errors):
        try:
            self._docker().remove_container(container_id, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            if raise_errors:
                raise KdebugError("could not remove the tools container %s from the Docker engine at %s: %s. Remove "
                                  "it with docker -H %s rm -f %s." % (self.tools_name, self.address,
                                                                      engine_error_message(exc), self.address,
                                                                      self.tools_name))
