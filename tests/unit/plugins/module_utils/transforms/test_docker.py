# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The pure parts of the docker strategy (transforms/docker.py): modes, labels, argv, stream framing, error
wording."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import struct

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import BoundedOutput
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import docker as ds

TID = "4bbf41adb8a04fa36cd152807f73f60845e3de694033fe6ff64100a8745e1ca0"


def attrs(pid_mode="", ipc_mode="private", pid=4242, name="/web"):
    return {"Id": TID, "Name": name, "State": {"Running": True, "Pid": pid},
            "HostConfig": {"PidMode": pid_mode, "IpcMode": ipc_mode}}


# --- IPC and pid decisions ---

@pytest.mark.parametrize("mode, expected", [
    ("shareable", "container:" + TID),
    ("container:donor123", "container:donor123"),
    ("host", "host"),
    ("private", None),
    ("none", None),
    ("", None),
    (None, None),
])
def test_ipc_joined_only_where_docker_allows_it(mode, expected):
    ipc_mode, why = ds.ipc_mode_for(mode, TID)
    assert ipc_mode == expected
    assert why


def test_ipc_reason_tells_how_to_make_it_joinable():
    _mode, why = ds.ipc_mode_for("private", TID)
    assert "--ipc shareable" in why and "private" in why
    _mode, why = ds.ipc_mode_for(None, TID)
    assert "private" in why


@pytest.mark.parametrize("pid_mode, pid, expected", [
    ("", 4242, "/proc/1/root"),
    ("private", 4242, "/proc/1/root"),
    (None, None, "/proc/1/root"),
    ("host", 4242, "/proc/4242/root"),
    ("host", 0, None),
    ("container:pause", 4242, None),
])
def test_target_root(pid_mode, pid, expected):
    assert ds.target_root_for(pid_mode, pid) == expected


# --- host config ---

def test_host_config_joins_net_and_pid_always_and_ipc_only_when_shareable():
    private = ds.host_config_args(TID, "private")
    assert private == {"network_mode": "container:" + TID, "pid_mode": "container:" + TID, "cap_add": ["SYS_PTRACE"],
                       "log_config": {"type": "none"}}
    shareable = ds.host_config_args(TID, "shareable")
    assert shareable["ipc_mode"] == "container:" + TID


def test_host_config_honours_namespaces_and_capabilities():
    only_net = ds.host_config_args(TID, "shareable", namespaces=("net",), capabilities=())
    assert only_net == {"network_mode": "container:" + TID, "log_config": {"type": "none"}}


@pytest.mark.parametrize("namespaces", [(), ("pid",), ("net", "uts"), ("net", "mnt")])
def test_bad_namespaces(namespaces):
    with pytest.raises(KdebugError) as err:
        ds.check_namespaces(namespaces)
    assert "net is required" in err.value.message


def test_good_namespaces():
    assert ds.check_namespaces(["net", "ipc"]) == ("net", "ipc")


# --- pull policy ---

@pytest.mark.parametrize("policy, present, pull", [
    ("Always", True, True), ("Always", False, True),
    ("IfNotPresent", True, False), ("IfNotPresent", False, True),
    ("Never", True, False), ("Never", False, False),
])
def test_needs_pull(policy, present, pull):
    assert ds.needs_pull(policy, present) is pull


def test_unknown_pull_policy():
    with pytest.raises(KdebugError) as err:
        ds.check_pull_policy("always")
    assert "Never, IfNotPresent, Always" in err.value.message


# --- labels and names ---

def test_labels_carry_the_managed_label_and_the_audit_annotations():
    now = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=datetime.timezone.utc)
    labels = ds.tools_labels("docker/web", TID, "alice@box", "why not", ds.ttl_for(30), now=now)
    assert labels == {
        "app.kubernetes.io/managed-by": "kdebug",
        "kdebug.io/component": "exec",
        "kdebug.io/strategy": "docker",
        "kdebug.io/target-container-id": TID,
        "kdebug.io/requested-by": "alice@box",
        "kdebug.io/created-at": "2026-11-26T12:00:00Z",
        "kdebug.io/reason": "why not",
        "kdebug.io/target": "docker/web",
        "kdebug.io/ttl-seconds": "330",
    }
    assert all(isinstance(v, str) for v in labels.values())


def test_labels_default_reason_and_ttl():
    labels = ds.tools_labels("docker/web", TID, "bob@box")
    assert labels["kdebug.io/reason"] == ds.DEFAULT_REASON
    assert labels["kdebug.io/ttl-seconds"] == str(ds.DEFAULT_TTL_SECONDS)
    assert ds.ttl_for(None) == ds.DEFAULT_TTL_SECONDS


def test_target_label():
    assert ds.target_label("web") == "docker/web"
    assert ds.target_label("k8s_app_x", {"namespace": "demo", "pod": "web-1", "container": "app"}) == "demo/web-1/app"


def test_tools_container_name_is_valid_and_unique_per_run():
    a = ds.tools_container_name("Web_Server.1", TID, "run-a")
    assert a == ds.tools_container_name("Web_Server.1", TID, "run-a")
    assert a != ds.tools_container_name("Web_Server.1", TID, "run-b")
    assert a.startswith("kdebug-exec-web-server-1-")
    long_name = ds.tools_container_name("x" * 200, TID)
    assert len(long_name) <= 63


# --- argv ---

def test_argv_is_exactly_the_command_no_shell():
    spec = ExecSpec(command=["echo", "$(id)", ";", "|"])
    argv = ds.tools_argv(spec, attrs())
    assert argv == ["echo", "$(id)", ";", "|"]
    assert ds.split_argv(argv) == (["echo"], ["$(id)", ";", "|"])


def test_the_environment_tells_the_command_where_the_target_root_is():
    spec = ExecSpec(command=["cat", "/etc/hostname"])
    # in the environment, not the argv: a missing program must still fail at container start
    assert ds.tools_argv(spec, attrs()) == ["cat", "/etc/hostname"]
    assert ds.tools_environment(spec, attrs()) == {"KDEBUG_TARGET_ROOT": "/proc/1/root"}
    assert ds.tools_environment(spec, attrs(pid_mode="host", pid=77)) == {"KDEBUG_TARGET_ROOT": "/proc/77/root"}
    assert ds.tools_environment(spec, attrs(pid_mode="container:pause123")) == {}
    assert ds.tools_environment(spec, attrs(), namespaces=("net",)) == {}
    assert ds.tools_environment(ExecSpec(command=["ls"], chroot=True), attrs()) == {}


def test_argv_shell_env_and_chroot():
    spec = ExecSpec(shell="cat /www/index.html", env={"B": "2", "A": "x y"}, chroot=True)
    assert ds.tools_argv(spec, attrs()) == ["chroot", "/proc/1/root", "sh", "-c", "cat /www/index.html"]


def test_argv_chroot_on_host_pid_uses_the_host_pid():
    spec = ExecSpec(command=["ls", "/"], chroot=True)
    assert ds.tools_argv(spec, attrs(pid_mode="host", pid=77)) == ["chroot", "/proc/77/root", "ls", "/"]


def test_argv_chroot_refused_with_a_shared_pid_namespace():
    spec = ExecSpec(command=["ls"], chroot=True)
    with pytest.raises(KdebugError) as err:
        ds.tools_argv(spec, attrs(pid_mode="container:pause123"))
    assert "web" in err.value.message and "pause123" in err.value.message and "strategy agent" in err.value.message


def test_argv_chroot_needs_pid_namespace():
    with pytest.raises(KdebugError) as err:
        ds.tools_argv(ExecSpec(command=["ls"], chroot=True), attrs(), namespaces=("net",), container="web")
    assert "add pid to namespaces" in err.value.message


def test_empty_command():
    with pytest.raises(KdebugError):
        ds.split_argv([])


# --- engine address and pod container ids ---

def test_engine_address():
    assert ds.engine_address("tcp://h:2376", {"DOCKER_HOST": "unix:///x"}) == "tcp://h:2376"
    assert ds.engine_address(None, {"DOCKER_HOST": "unix:///x"}) == "unix:///x"
    assert ds.engine_address(None, {}) == ds.DEFAULT_ENGINE_ADDRESS


def test_client_environment_overrides_only_docker_host():
    env = ds.client_environment("unix:///lab.sock", {"DOCKER_HOST": "unix:///other", "DOCKER_TLS_VERIFY": "1"})
    assert env == {"DOCKER_HOST": "unix:///lab.sock", "DOCKER_TLS_VERIFY": "1"}
    assert ds.client_environment(None, {"DOCKER_HOST": "unix:///other"}) == {"DOCKER_HOST": "unix:///other"}


def test_docker_container_id():
    assert ds.docker_container_id("docker://" + TID) == TID
    assert ds.docker_container_id(TID) == TID
    with pytest.raises(KdebugError) as err:
        ds.docker_container_id("containerd://" + TID)
    assert "runtime containerd" in err.value.message and "ephemeral or agent" in err.value.message


@pytest.mark.parametrize("message, about_command", [
    ('OCI runtime create failed: exec: "nosuch": executable file not found in $PATH: unknown', True),
    ('exec: "/x": permission denied', True),
    ("cannot join network of a non running container: 4bbf", False),
    ("", False),
])
def test_command_start_failed(message, about_command):
    assert ds.command_start_failed(message) is about_command


# --- the attach stream ---

def frame(stream, payload):
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_demux_separates_stdout_and_stderr_across_cut_frames():
    out, err = BoundedOutput(), BoundedOutput()
    demux = ds.FrameDemuxer(out, err)
    data = frame(1, b"hello ") + frame(2, b"oops\n") + frame(1, b"world\n") + frame(1, b"")
    for i in range(0, len(data), 3):  # cut everywhere, headers included
        demux.feed(data[i:i + 3])
    assert out.text() == "hello world\n"
    assert err.text() == "oops\n"
    assert demux.pending == 0


def test_demux_bounds_output_and_keeps_parsing():
    out, err = BoundedOutput(4), BoundedOutput(4)
    demux = ds.FrameDemuxer(out, err)
    demux.feed(frame(1, b"0123456789") + frame(2, b"e") + frame(1, b"more"))
    assert out.text() == "0123" and out.truncated
    assert err.text() == "e" and not err.truncated


def test_demux_incomplete_frame_is_pending():
    demux = ds.FrameDemuxer(BoundedOutput(), BoundedOutput())
    demux.feed(frame(1, b"abcdef")[:-2])
    assert demux.pending == 12


# --- error wording ---

def test_error_wording_names_the_object_and_the_fix():
    host = "unix:///run/kdebug-lab/docker.sock"
    msg = ds.engine_unreachable_error(host, "Connection refused").message
    assert host in msg and "Connection refused" in msg and "DOCKER_HOST" in msg and "docker -H %s info" % host in msg

    msg = ds.container_not_found_error("nope", host).message
    assert "Docker container nope not found" in msg and "docker -H %s ps" % host in msg

    msg = ds.image_missing_error("tools:9", host).message
    assert "tools:9" in msg and host in msg and "pull_policy is Never" in msg
    assert "load it with docker load" in msg and "set image" in msg

    msg = ds.pull_failed_error("tools:9", host, "pull access denied").message
    assert "could not pull image tools:9" in msg and "pull access denied" in msg and "docker load" in msg


@pytest.mark.parametrize("state, words", [
    ({"Status": "exited", "ExitCode": 3}, ["not running (exited, exit code 3)", "docker -H h start web"]),
    ({"Status": "created"}, ["not running (created)", "start it"]),
    ({"Status": "paused", "Paused": True, "Running": True}, ["(paused)", "unpause"]),
    ({"Status": "restarting", "Restarting": True}, ["(restarting)", "logs web"]),
    (None, ["(unknown)"]),
])
def test_not_running_error_says_the_state(state, words):
    err = ds.not_running_error("web", "h", state)
    for word in words:
        assert word in err.message
    assert err.details["docker_host"] == "h"


def test_engine_error_message():
    class Explained(Exception):
        explanation = b"No such image: x"
    assert ds.engine_error_message(Explained()) == "No such image: x"
    assert ds.engine_error_message(ValueError("plain")) == "plain"
    assert ds.engine_error_message(ValueError()) == "ValueError"
