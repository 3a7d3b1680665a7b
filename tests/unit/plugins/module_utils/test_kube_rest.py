# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kube_rest: paths, queries, errors, auth headers, and requests against a local HTTP server.

The HTTP tests talk to a real (tiny, local) server through the real ApiClient
from kube_auth, so what goes over the wire (method, path, query, headers,
body, content type) is checked, not a call on a stand-in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import kube_auth, kube_rest
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import translate_api_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import (
    KubeRest, api_exception, api_path, join_url, pod_path, query_pairs, query_string)

try:
    import kubernetes
except ImportError:
    kubernetes = None

needs_kubernetes = pytest.mark.skipif(kubernetes is None, reason="kubernetes Python library not installed")


# --- pure ----------------------------------------------------------------------


def test_api_path_core_and_groups():
    assert api_path() == "/api/v1"
    assert api_path("nodes", "n1") == "/api/v1/nodes/n1"
    assert pod_path("ns", "p", "exec") == "/api/v1/namespaces/ns/pods/p/exec"
    assert pod_path("ns") == "/api/v1/namespaces/ns/pods"
    assert api_path("namespaces", "ns", "replicasets", group="apps") == "/apis/apps/v1/namespaces/ns/replicasets"
    assert api_path("selfsubjectaccessreviews", group="authorization.k8s.io") == \
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    assert api_path("jobs", group="batch", version="v2") == "/apis/batch/v2/jobs"
    with pytest.raises(TypeError):
        api_path("pods", grup="apps")


def test_api_path_segments_cannot_escape():
    assert pod_path("ns", "../../nodes/x") == "/api/v1/namespaces/ns/pods/..%2F..%2Fnodes%2Fx"
    assert pod_path("ns", "a b?c") == "/api/v1/namespaces/ns/pods/a%20b%3Fc"


def test_query_pairs_drop_none_lower_bools_repeat_lists_in_order():
    assert query_pairs({"dryRun": None, "watch": True, "tty": False, "tailLines": 5}) == \
        [("watch", "true"), ("tty", "false"), ("tailLines", "5")]
    assert query_pairs([("command", ["sh", "-c", "b a"]), ("container", "c")]) == \
        [("command", "sh"), ("command", "-c"), ("command", "b a"), ("container", "c")]
    assert query_pairs(None) == []


def test_query_string_escapes_selectors_and_spaces():
    assert query_string({"labelSelector": "app=web,tier in (a,b)"}) == \
        "labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29"
    assert query_string([("fieldSelector", "metadata.name=p"), ("dryRun", "All")]) == \
        "fieldSelector=metadata.name%3Dp&dryRun=All"
    assert query_string([("command", ["echo", "a&b=c", "x+y"])]) == "command=echo&command=a%26b%3Dc&command=x%2By"


def test_join_url():
    assert join_url("https://h:6443/", "/api/v1/nodes") == "https://h:6443/api/v1/nodes"
    assert join_url("https://h", "/api/v1", {"dryRun": None}) == "https://h/api/v1"
    assert join_url("https://h", "/api/v1/pods", {"dryRun": "All"}) == "https://h/api/v1/pods?dryRun=All"


def test_dry_run():
    assert kube_rest.dry_run(True) == "All"
    assert kube_rest.dry_run(False) is None


def status_body(message, code):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code})


def test_api_exception_is_what_translate_api_error_reads():
    exc = api_exception(403, "Forbidden", status_body('pods "p" is forbidden: nope', 403).encode())
    assert (exc.status, exc.reason) == (403, "Forbidden")
    assert isinstance(exc.body, str)
    err = translate_api_error(exc, "get", "pods", "ns", "p")
    assert "not allowed to get pods in namespace ns" in err.message and "nope" in err.message
    err = translate_api_error(api_exception(500, "Internal", "not json"), "patch", "pods/ephemeralcontainers", "ns", "p")
    assert "could not patch pods/ephemeralcontainers p in namespace ns" in err.message and "(HTTP 500)" in err.message
    assert api_exception(0, "connection refused").body is None


@needs_kubernetes
def test_api_exception_is_the_clients_own_class():
    from kubernetes.client.rest import ApiException
    assert isinstance(api_exception(404, "Not Found"), ApiException)


# --- auth headers from a real configuration ------------------------------------------


class FailJson(Exception):
    pass


class Module(object):
    """Just enough of AnsibleModule for kube_auth.get_api_client: params and fail_json."""

    def __init__(self, **params):
        self.params = dict((name, None) for name in kube_auth.AUTH_ARG_NAMES)
        self.params.update(params)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs["msg"])


@needs_kubernetes
def test_headers_carry_token_impersonation_and_user_agent():
    client = kube_auth.get_api_client(Module(host="https://h:6443", api_key="tok", impersonate_user="alice",
                                             impersonate_groups=["ops"]))
    headers = KubeRest(client).headers(content_type="application/merge-patch+json")
    assert headers["authorization"] == "Bearer tok"
    assert headers["Impersonate-User"] == "alice" and headers["Impersonate-Group"] == "ops"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/merge-patch+json"
    assert headers["User-Agent"]


@needs_kubernetes
def test_headers_use_api_key_prefix_and_refresh_hook():
    configuration = kubernetes.client.Configuration()
    configuration.host = "https://h"
    configuration.api_key = {"authorization": "old"}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    refreshed = []

    def refresh(cfg):  # what the kubeconfig/in-cluster loaders install: a fresh token before each request
        refreshed.append(True)
        cfg.api_key["authorization"] = "new"

    configuration.refresh_api_key_hook = refresh
    headers = KubeRest(kubernetes.client.ApiClient(configuration)).headers()
    assert headers["authorization"] == "Bearer new" and refreshed


@needs_kubernetes
def test_no_token_no_authorization_header():
    configuration = kubernetes.client.Configuration()
    configuration.host = "https://h"
    assert "authorization" not in KubeRest(kubernetes.client.ApiClient(configuration)).headers()


@needs_kubernetes
def test_kube_rest_of_accepts_a_client_or_anything_holding_one():
    client = kube_auth.get_api_client(Module(host="https://h", api_key="t"))

    class Holder(object):
        api_client = client

    rest = KubeRest(client)
    assert KubeRest.of(rest) is rest
    assert KubeRest.of(client).api_client is client
    assert KubeRest.of(Holder()).api_client is client


# --- requests against a local HTTP server ------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers from the server's ``answers`` {(method, path): (status, body, type)}."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                 "body": body})
        path = self.path.split("?", 1)[0]
        status, payload, content_type = self.server.answers.get((self.command, path),
                                                                (404, status_body("not found", 404), "application/json"))
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *_args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.seen, httpd.answers = [], {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def rest_for(httpd, **params):
    host = "http://127.0.0.1:%d" % httpd.server_address[1]
    return KubeRest(kube_auth.get_api_client(Module(host=host, api_key="tok", **params)))


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "resourceVersion": "7"},
       "spec": {"containers": [{"name": "app"}]}, "status": {"phase": "Running"}}


@needs_kubernetes
def test_get_returns_plain_dicts_with_auth_and_impersonation(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), "application/json")
    pod = rest_for(server, impersonate_user="alice").get(pod_path("ns", "p"))
    assert pod == POD and isinstance(pod, dict)
    seen = server.seen[0]
    assert seen["method"] == "GET" and seen["path"] == "/api/v1/namespaces/ns/pods/p"
    assert seen["headers"]["authorization"] == "Bearer tok"
    assert seen["headers"]["Impersonate-User"] == "alice"


@needs_kubernetes
@pytest.mark.parametrize("patch_type, content_type, body", [
    ("strategic", "application/strategic-merge-patch+json", {"spec": {"ephemeralContainers": [{"name": "d"}]}}),
    ("merge", "application/merge-patch+json", {"metadata": {"labels": {"a": "b"}}}),
    ("json", "application/json-patch+json", [{"op": "add", "path": "/metadata/labels/a", "value": "b"}]),
])
def test_patch_sends_the_content_type_of_its_kind(server, patch_type, content_type, body):
    path = "/api/v1/namespaces/ns/pods/p/ephemeralcontainers"
    server.answers[("PATCH", path)] = (200, json.dumps(POD), "application/json")
    rest_for(server).patch(pod_path("ns", "p", "ephemeralcontainers"), body, patch_type=patch_type,
                           query={"dryRun": "All"})
    seen = server.seen[0]
    assert seen["headers"]["Content-Type"] == content_type
    assert json.loads(seen["body"]) == body
    assert seen["path"].endswith("?dryRun=All")


@needs_kubernetes
def test_patch_rejects_unknown_kinds_and_non_list_json_patches(server):
    rest = rest_for(server)
    with pytest.raises(ValueError):
        rest.patch("/api/v1/x", {}, patch_type="apply")
    with pytest.raises(ValueError):
        rest.patch("/api/v1/x", {"not": "a list"}, patch_type="json")
    assert server.seen == []


@needs_kubernetes
def test_post_and_delete_with_query_and_body(server):
    server.answers[("POST", "/api/v1/namespaces/ns/pods")] = (201, json.dumps(POD), "application/json")
    server.answers[("DELETE", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), "application/json")
    rest = rest_for(server)
    assert rest.post(pod_path("ns"), POD, query={"dryRun": None})["metadata"]["name"] == "p"
    rest.delete(pod_path("ns", "p"), body={"preconditions": {"uid": "u1"}}, query={"gracePeriodSeconds": 0})
    post, delete = server.seen
    assert post["path"] == "/api/v1/namespaces/ns/pods" and json.loads(post["body"]) == POD
    assert post["headers"]["Content-Type"] == "application/json"
    assert delete["path"] == "/api/v1/namespaces/ns/pods/p?gracePeriodSeconds=0"
    assert json.loads(delete["body"]) == {"preconditions": {"uid": "u1"}}


@needs_kubernetes
def test_errors_are_api_exceptions_with_the_status_body(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (403, status_body('pods "p" is forbidden', 403),
                                                               "application/json")
    with pytest.raises(kube_rest.ApiException) as err:
        rest_for(server).get(pod_path("ns", "p"))
    assert err.value.status == 403 and "is forbidden" in err.value.body
    assert "not allowed to get pods" in translate_api_error(err.value, "get", "pods", "ns", "p").message


@needs_kubernetes
def test_raw_bytes_for_logs(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p/log")] = (200, b"line 1\nline 2\n", "text/plain")
    data = rest_for(server).get(pod_path("ns", "p", "log"), query={"previous": True, "tailLines": 2},
                                accept="text/plain", decode=False)
    assert data == b"line 1\nline 2\n"
    assert server.seen[0]["path"].endswith("/log?previous=true&tailLines=2")


@needs_kubernetes
def test_watch_object_yields_changes_then_none_when_deleted(server):
    modified = dict(POD, status={"phase": "Succeeded"})
    events = [{"type": "MODIFIED", "object": modified}, {"type": "DELETED", "object": modified}]
    server.answers[("GET", "/api/v1/namespaces/ns/pods")] = (
        200, "".join(json.dumps(e) + "\n" for e in events), "application/json")
    seen = list(rest_for(server).watch_object(pod_path("ns"), POD, 5))
    assert seen == [modified, None]
    path = server.seen[0]["path"]
    assert "fieldSelector=metadata.name%3Dp" in path and "resourceVersion=7" in path
    assert "watch=true" in path and "timeoutSeconds=5" in path


@needs_kubernetes
def test_a_refused_watch_is_an_api_exception(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods")] = (403, status_body("cannot watch", 403), "application/json")
    with pytest.raises(kube_rest.ApiException) as err:
        list(rest_for(server).watch_object(pod_path("ns"), POD, 5))
    assert err.value.status == 403


# --- the point of it all: no generated API class or model on the hot path ------------------------


HOT_PATH = r"""
import json, sys
from ansible_collections.kdebug.toolkit.plugins.module_utils import exec_runner, kube_auth, kube_exec
from ansible_collections.kdebug.toolkit.plugins.module_utils.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.fork import ForkManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube_rest import KubeRest
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import agent, choose, ephemeral
from ansible_collections.kdebug.toolkit.plugins.module_utils.target import read_pod

class Module(object):
    params = dict((name, None) for name in kube_auth.AUTH_ARG_NAMES)
    params.update(host=sys.argv[1], api_key="tok")
    def fail_json(self, **kwargs):
        raise SystemExit(kwargs["msg"])

rest = KubeRest(kube_auth.get_api_client(Module()))
pod = read_pod(rest, "ns", "p")
AgentManager(rest, "kdebug-system")
ForkManager(rest)
choose.AccessProbe(rest)
kube_exec.exec_url(rest.host, "ns", "p", "c", ["true"])
loaded = sorted(m for m in sys.modules if m.startswith(("kubernetes.client.api.", "kubernetes.client.models.")))
print(json.dumps({"pod": pod["metadata"]["name"], "loaded": loaded}))
"""


@needs_kubernetes
def test_hot_path_never_loads_generated_apis_or_models(server):
    """CoreV1Api and its models cost 1-2 s per module call with client 37: none of it may be imported."""
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), "application/json")
    collections = os.path.abspath(os.path.join(os.path.dirname(kube_rest.__file__), "..", "..", "..", "..", ".."))
    env = dict(os.environ, PYTHONPATH=collections)
    out = subprocess.run([sys.executable, "-c", HOT_PATH, "http://127.0.0.1:%d" % server.server_address[1]],
                         capture_output=True, text=True, env=env, check=True).stdout
    result = json.loads(out)
    assert result == {"pod": "p", "loaded": []}
