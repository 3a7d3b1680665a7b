# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The pure parts of the exec stream, the SSAR probe bodies and wait_for with a watch."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import ssl
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlparse

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import exec as kube_exec
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import objects as waiting
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import (
    access_review, serves_ephemeral_containers)
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import (
    BoundedOutput, ExecOutcome, exit_code_from_status)


def test_exec_url_keeps_argv_in_order_and_literal():
    argv = ["sh", "-c", "echo $HOME && ls /tmp?x=1", "--", "a b"]
    url = kube_exec.exec_url("https://10.0.0.1:6443", "ns", "web-1", "kdebug-abc", argv, stdin=True)
    parsed = urlparse(url)
    assert parsed.scheme == "wss" and parsed.netloc == "10.0.0.1:6443"
    assert parsed.path == "/api/v1/namespaces/ns/pods/web-1/exec"
    query = parse_qsl(parsed.query)
    assert [v for k, v in query if k == "command"] == argv
    assert dict((k, v) for k, v in query if k != "command") == {
        "container": "kdebug-abc", "stdin": "true", "stdout": "true", "stderr": "true", "tty": "false"}


def test_exec_url_without_stdin_and_plain_http():
    url = kube_exec.exec_url("http://127.0.0.1:8080/", "ns", "p", "c", ["true"])
    assert url.startswith("ws://127.0.0.1:8080/api/v1/namespaces/ns/pods/p/exec?command=true&container=c&stdin=false")


def config(**attrs):
    base = dict(verify_ssl=True, ssl_ca_cert=None, assert_hostname=None, cert_file=None, key_file=None,
                tls_server_name=None, proxy=None, no_proxy=None, proxy_headers=None)
    base.update(attrs)
    return SimpleNamespace(**base)


def test_websocket_ssl_options_verify_with_ca_and_client_cert():
    options = kube_exec.websocket_ssl_options(config(ssl_ca_cert="/ca", cert_file="/c", key_file="/k",
                                                     tls_server_name="api.internal"), "wss://h/x")
    assert options == {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": "/ca", "certfile": "/c", "keyfile": "/k",
                       "server_hostname": "api.internal"}


def test_websocket_ssl_options_without_verification_still_sends_the_client_cert():
    options = kube_exec.websocket_ssl_options(config(verify_ssl=False, cert_file="/c", key_file="/k"), "wss://h/x")
    assert options == {"cert_reqs": ssl.CERT_NONE, "certfile": "/c", "keyfile": "/k"}
    checked = kube_exec.websocket_ssl_options(config(ssl_ca_cert="/ca", assert_hostname=False), "wss://h/x")
    assert checked["check_hostname"] is False


def test_websocket_proxy_options():
    assert kube_exec.websocket_proxy_options(config()) == {}
    options = kube_exec.websocket_proxy_options(config(
        proxy="http://u%40x:p%3Aw@proxy.local:3128", no_proxy="localhost, .svc,",
        proxy_headers={"proxy-authorization": "Basic YWxpY2U6czNjcjN0"}))
    assert options["http_proxy_host"] == "proxy.local" and options["http_proxy_port"] == 3128
    assert options["http_no_proxy"] == ["localhost", ".svc"]
    assert options["http_proxy_auth"] == ("alice", "s3cr3t")  # the explicit header wins over the URL's
    assert kube_exec.websocket_proxy_options(config(proxy="http://u%40x:p%3Aw@p:1"))["http_proxy_auth"] == \
        ("u@x", "p:w")


def test_parse_status_is_defensive():
    assert kube_exec.parse_status(b"") is None
    ok = kube_exec.parse_status(json.dumps({"status": "Success"}).encode())
    assert exit_code_from_status(ok) == (0, None)
    failed = {"status": "Failure", "reason": "NonZeroExitCode",
              "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}
    assert exit_code_from_status(kube_exec.parse_status(json.dumps(failed).encode())) == (3, None)
    garbage = kube_exec.parse_status(b"\xffnot json")
    assert exit_code_from_status(garbage)[0] is None and "not json" in exit_code_from_status(garbage)[1]


# --- strategy probes ---------------------------------------------------------------


def test_access_review_bodies():
    review = access_review(("patch", "pods/ephemeralcontainers", "ns"))
    assert review["kind"] == "SelfSubjectAccessReview" and review["apiVersion"] == "authorization.k8s.io/v1"
    assert review["spec"]["resourceAttributes"] == {"verb": "patch", "resource": "pods",
                                                    "subresource": "ephemeralcontainers", "namespace": "ns"}
    assert access_review(("get", "nodes", None))["spec"]["resourceAttributes"] == {"verb": "get", "resource": "nodes"}


def test_serves_ephemeral_containers():
    listing = {"kind": "APIResourceList", "resources": [{"name": "pods"}, {"name": "pods/ephemeralcontainers"}]}
    assert serves_ephemeral_containers(listing)
    assert not serves_ephemeral_containers({"resources": [{"name": "pods"}]})
    assert not serves_ephemeral_containers({})


# --- wait_for with a watch --------------------------------------------------------------


class Reads(object):
    """read() answers from a list, counting the calls."""

    def __init__(self, *objects):
        self.objects = list(objects)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.objects.pop(0) if len(self.objects) > 1 else self.objects[0]


def done(obj):
    return obj == "running"


def test_wait_for_returns_on_the_watched_change_without_polling():
    read = Reads("pending")
    assert waiting.wait_for(read, done, 5, "x", watch=lambda obj, seconds: iter(["creating", "running"])) == "running"
    assert read.calls == 1


def test_wait_for_rereads_when_the_watch_says_gone():
    read = Reads("pending", "running")
    assert waiting.wait_for(read, done, 5, "x", watch=lambda obj, seconds: iter([None])) == "running"
    assert read.calls == 2


def test_wait_for_falls_back_to_polling_when_the_watch_is_refused(monkeypatch):
    monkeypatch.setattr(waiting, "POLL_SECONDS", 0.01)
    attempts = []

    def refused(obj, seconds):
        attempts.append(seconds)
        raise ApiDenied("cannot watch pods", "rbac", status=403)
        yield  # pylint: disable=unreachable

    read = Reads("pending", "pending", "running")
    assert waiting.wait_for(read, done, 5, "x", watch=refused) == "running"
    assert len(attempts) == 1 and read.calls == 3


def test_wait_for_times_out_and_check_errors_propagate(monkeypatch):
    monkeypatch.setattr(waiting, "POLL_SECONDS", 0.01)
    with pytest.raises(KdebugError) as err:
        waiting.wait_for(Reads("pending"), done, 0.05, "the thing", watch=lambda obj, seconds: iter([]))
    assert "timed out after 0.05s waiting for the thing" in err.value.message

    def fatal(obj):
        raise KdebugError("ErrImagePull")

    with pytest.raises(KdebugError):
        waiting.wait_for(Reads("pending"), fatal, 5, "x")


def outcome(rc=None, out=b"", status=None, timed_out=False):
    stdout = BoundedOutput()
    stdout.write(out)
    return ExecOutcome(rc, stdout, BoundedOutput(), None, 0.1, timed_out, status=status)


def test_reached_no_process_only_for_a_status_without_exit_code_and_without_output():
    not_found = {"status": "Failure", "reason": "InternalError",
                 "message": 'Internal error occurred: unable to upgrade connection: container not found ("d")'}
    assert outcome(status=not_found).reached_no_process()
    assert not outcome(rc=0, status={"status": "Success"}).reached_no_process()
    assert not outcome(rc=2, status={"status": "Failure"}).reached_no_process()
    assert not outcome(status=not_found, out=b"partial").reached_no_process()
    assert not outcome(status=None).reached_no_process()  # the stream broke: the command may have run
    assert not outcome(status=not_found, timed_out=True).reached_no_process()


def test_broke_silently_only_for_a_stream_that_ended_without_status_output_or_timeout():
    assert outcome(status=None).broke_silently()  # whether it ran is for the container's state to tell
    assert not outcome(status=None, out=b"partial").broke_silently()
    assert not outcome(status=None, timed_out=True).broke_silently()
    assert not outcome(rc=0, status={"status": "Success"}).broke_silently()
    assert not outcome(status={"status": "Failure", "message": "container not found"}).broke_silently()


class Flood(object):
    """A websocket whose command writes faster than anyone reads: a stdout frame is always ready."""

    subprotocol = kube_exec.V5_PROTOCOL
    sock = None

    def __init__(self, frame_bytes):
        self.frame = SimpleNamespace(data=bytes([kube_exec.STDOUT_CHANNEL]) + b"x" * frame_bytes)
        self.frames = 0

    def recv_data_frame(self, _control):
        self.frames += 1
        return kube_exec.ABNF.OPCODE_BINARY, self.frame


def test_a_read_hands_over_a_bounded_batch_however_fast_output_comes(monkeypatch):
    monkeypatch.setattr(kube_exec.ExecStream, "_ready", lambda self, timeout: True)
    ws = Flood(32 * 1024)
    frames = kube_exec.ExecStream(ws).read(1)
    assert sum(len(data) for _channel, data in frames) <= kube_exec.READ_BATCH_BYTES + 32 * 1024
    assert ws.frames == len(frames) < 20


def test_bounded_output_keeps_nothing_past_its_limit():
    out = BoundedOutput(10)
    for _chunk in range(1000):
        out.write(b"y" * 100)
    assert out.size == 10 and out.truncated and len(out._chunks) == 1  # pylint: disable=protected-access


def test_a_signal_or_no_exit_code_may_be_a_loss_the_timeout_never():
    assert outcome(rc=137).may_be_lost() and outcome(rc=143).may_be_lost() and outcome(rc=None).may_be_lost()
    assert not outcome(rc=1).may_be_lost() and not outcome(rc=0).may_be_lost()
    assert not outcome(rc=137, timed_out=True).may_be_lost()
    lost = outcome(rc=137)
    lost.lose("target_pod", "the target pod ns/p was deleted while the command ran")
    assert lost.rc is None and lost.lost == "target_pod" and "ns/p was deleted" in lost.error
