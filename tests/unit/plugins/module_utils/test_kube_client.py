# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kube/client.py: paths, queries, auth headers, and requests against local servers that fail for real.

The HTTP tests talk to a real (tiny, local) server through the real ApiClient
from kube/auth.py, so what goes over the wire (method, path, query, headers,
body, content type) is checked, not a call on a stand-in; and the failures
(refused, silent, HTML, 429, 5xx, TLS with an unknown CA) are real sockets
behaving that way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import errors
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import auth as kube_auth
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import client
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import (
    KubeClient, api_path, join_url, pod_path, query_pairs, query_string, retry_delay)

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
    assert client.dry_run(True) == "All"
    assert client.dry_run(False) is None


@pytest.mark.parametrize("status, headers, method, attempt, expected", [
    (429, {}, "POST", 0, 0.5),                  # rate limited: every method, backoff
    (429, {"Retry-After": "3"}, "POST", 0, 3.0),  # the server names the delay
    (503, {"Retry-After": "1"}, "PATCH", 2, 1.0),  # 5xx with Retry-After: the server did not act on it
    (503, {}, "GET", 2, 2.0),                   # a read is safe to send again
    (503, {}, "POST", 0, None),                 # a create without Retry-After may have happened: never again
    (500, {}, "DELETE", 0, None),
    (502, {}, "GET", 5, 4.0),                   # backoff stops growing
    (404, {}, "GET", 0, None),
    (403, {"Retry-After": "1"}, "GET", 0, None),
])
def test_retry_delay(status, headers, method, attempt, expected):
    assert retry_delay(status, headers, method, attempt) == expected


def status_body(message, code):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code})


# --- auth headers from a real configuration ------------------------------------------


def auth_params(**params):
    values = dict((name, None) for name in kube_auth.AUTH_ARG_NAMES)
    values.update(params)
    return values


@needs_kubernetes
def test_headers_carry_token_impersonation_and_user_agent():
    api = kube_auth.api_client(auth_params(host="https://h:6443", api_key="tok", impersonate_user="alice",
                                           impersonate_groups=["ops"]))
    headers = KubeClient(api).headers(content_type="application/merge-patch+json")
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
    headers = KubeClient(kubernetes.client.ApiClient(configuration)).headers()
    assert headers["authorization"] == "Bearer new" and refreshed


@needs_kubernetes
def test_a_failing_credential_plugin_is_a_config_error():
    configuration = kubernetes.client.Configuration()
    configuration.host = "https://h"

    configuration.api_key = {"authorization": "expired"}

    def refresh(cfg):
        raise OSError("exec: aws: not found")

    configuration.refresh_api_key_hook = refresh
    with pytest.raises(errors.ConfigError) as err:
        KubeClient(kubernetes.client.ApiClient(configuration)).headers()
    assert "aws: not found" in err.value.message and "https://h" in err.value.message


@needs_kubernetes
def test_no_token_no_authorization_header():
    configuration = kubernetes.client.Configuration()
    configuration.host = "https://h"
    assert "authorization" not in KubeClient(kubernetes.client.ApiClient(configuration)).headers()


@needs_kubernetes
def test_kube_client_of_accepts_a_client_or_an_api_client():
    api = kube_auth.api_client(auth_params(host="https://h", api_key="t"))
    kube = KubeClient(api)
    assert KubeClient.of(kube) is kube
    assert KubeClient.of(api).api_client is api


@needs_kubernetes
def test_kube_client_takes_request_timeout_from_the_options():
    assert kube_auth.kube_client(auth_params(host="https://h", api_key="t", request_timeout=7)).request_timeout == 7
    assert kube_auth.kube_client(auth_params(host="https://h", api_key="t")).request_timeout == \
        client.DEFAULT_REQUEST_TIMEOUT


# --- requests against a local HTTP server ------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers from the server's ``answers`` {(method, path): [(status, body, type, headers)]}.

    A list of answers is served in order (the last one repeats), so retries can be seen.
    """

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                 "body": body})
        path = self.path.split("?", 1)[0]
        answers = self.server.answers.get((self.command, path)) or [(404, status_body("not found", 404),
                                                                     "application/json")]
        if not isinstance(answers, list):
            answers = [answers]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        self.server.answers[(self.command, path)] = answers
        status, payload, content_type = answer[:3]
        extra = answer[3] if len(answer) > 3 else {}
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *_args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.seen, httpd.answers = [], {}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def client_for(httpd_or_host, **params):
    host = httpd_or_host if isinstance(httpd_or_host, str) else "http://127.0.0.1:%d" % httpd_or_host.server_address[1]
    return kube_auth.kube_client(auth_params(host=host, api_key="tok", **params))


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "resourceVersion": "7"},
       "spec": {"containers": [{"name": "app"}]}, "status": {"phase": "Running"}}
JSON = "application/json"


@needs_kubernetes
def test_get_returns_plain_dicts_with_auth_and_impersonation(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), JSON)
    pod = client_for(server, impersonate_user="alice").get(pod_path("ns", "p"))
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
    server.answers[("PATCH", path)] = (200, json.dumps(POD), JSON)
    client_for(server).patch(pod_path("ns", "p", "ephemeralcontainers"), body, patch_type=patch_type,
                             query={"dryRun": "All"})
    seen = server.seen[0]
    assert seen["headers"]["Content-Type"] == content_type
    assert json.loads(seen["body"]) == body
    assert seen["path"].endswith("?dryRun=All")


@needs_kubernetes
def test_patch_rejects_unknown_kinds_and_non_list_json_patches(server):
    kube = client_for(server)
    with pytest.raises(ValueError):
        kube.patch("/api/v1/x", {}, patch_type="apply")
    with pytest.raises(ValueError):
        kube.patch("/api/v1/x", {"not": "a list"}, patch_type="json")
    assert server.seen == []


@needs_kubernetes
def test_post_and_delete_with_query_and_body(server):
    server.answers[("POST", "/api/v1/namespaces/ns/pods")] = (201, json.dumps(POD), JSON)
    server.answers[("DELETE", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), JSON)
    kube = client_for(server)
    assert kube.post(pod_path("ns"), POD, query={"dryRun": None})["metadata"]["name"] == "p"
    kube.delete(pod_path("ns", "p"), body={"preconditions": {"uid": "u1"}}, query={"gracePeriodSeconds": 0})
    post, delete = server.seen
    assert post["path"] == "/api/v1/namespaces/ns/pods" and json.loads(post["body"]) == POD
    assert post["headers"]["Content-Type"] == "application/json"
    assert delete["path"] == "/api/v1/namespaces/ns/pods/p?gracePeriodSeconds=0"
    assert json.loads(delete["body"]) == {"preconditions": {"uid": "u1"}}


@needs_kubernetes
def test_raw_bytes_for_logs(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p/log")] = (200, b"line 1\nline 2\n", "text/plain")
    data = client_for(server).get(pod_path("ns", "p", "log"), query={"previous": True, "tailLines": 2},
                                  accept="text/plain", decode=False)
    assert data == b"line 1\nline 2\n"
    assert server.seen[0]["path"].endswith("/log?previous=true&tailLines=2")


@needs_kubernetes
def test_watch_object_yields_changes_then_none_when_deleted(server):
    modified = dict(POD, status={"phase": "Succeeded"})
    events = [{"type": "MODIFIED", "object": modified}, {"type": "DELETED", "object": modified}]
    server.answers[("GET", "/api/v1/namespaces/ns/pods")] = (200, "".join(json.dumps(e) + "\n" for e in events), JSON)
    seen = list(client_for(server).watch_object(pod_path("ns"), POD, 5))
    assert seen == [modified, None]
    path = server.seen[0]["path"]
    assert "fieldSelector=metadata.name%3Dp" in path and "resourceVersion=7" in path
    assert "watch=true" in path and "timeoutSeconds=5" in path


@needs_kubernetes
def test_a_refused_watch_is_an_api_error(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods")] = (
        403, status_body('pods is forbidden: User "u" cannot watch resource "pods" in API group "" in the namespace '
                         '"ns"', 403), JSON)
    with pytest.raises(errors.ApiDenied) as err:
        list(client_for(server).watch_object(pod_path("ns"), POD, 5))
    assert err.value.denied_by == "rbac" and err.value.denial["verb"] == "watch"


# --- every failure is one class with a message that names the fix ------------------------------------------


@needs_kubernetes
def test_get_or_none_and_not_found(server):
    kube = client_for(server)
    assert kube.get_or_none(pod_path("ns", "gone")) is None
    with pytest.raises(errors.ApiNotFound) as err:
        kube.get(pod_path("ns", "gone"))
    assert err.value.result()["error_class"] == "not_found" and "pod gone in namespace ns" in err.value.message


@needs_kubernetes
def test_a_forbidden_create_is_classified_with_the_callers_fix(server):
    message = ('pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
               '(container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
               '(container "c" must not include "SYS_PTRACE" in securityContext.capabilities.add)')
    server.answers[("POST", "/api/v1/namespaces/ns/pods")] = (403, status_body(message, 403), JSON)
    with pytest.raises(errors.ApiDenied) as err:
        client_for(server).post(pod_path("ns"), POD, hints={"pod_security": "Set profile to restricted"})
    result = err.value.result()
    assert result["error_class"] == "denied" and result["denied_by"] == "pod_security"
    assert result["denial"]["level"] == "restricted"
    assert "securityContext.capabilities.add" in result["denial"]["fields"]
    assert "Set profile to restricted" in err.value.message and "Grant" not in err.value.message
    assert "missing_permission" not in result


@needs_kubernetes
def test_get_is_retried_on_503_and_429_honours_retry_after(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = [
        (503, status_body("etcd is restarting", 503), JSON),
        (429, status_body("slow down", 429), JSON, {"Retry-After": "0"}),
        (200, json.dumps(POD), JSON)]
    assert client_for(server).get(pod_path("ns", "p")) == POD
    assert len(server.seen) == 3


@needs_kubernetes
def test_a_create_is_not_retried_on_500_and_says_so(server):
    server.answers[("POST", "/api/v1/namespaces/ns/pods")] = (500, status_body("boom", 500), JSON)
    with pytest.raises(errors.ApiServerError) as err:
        client_for(server).post(pod_path("ns"), POD)
    assert len(server.seen) == 1
    assert "HTTP 500" in err.value.message and "boom" in err.value.message and "readyz" in err.value.message


@needs_kubernetes
def test_retries_stop_at_the_deadline(server):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (429, status_body("slow down", 429), JSON,
                                                               {"Retry-After": "30"})
    started = time.monotonic()
    with pytest.raises(errors.ApiServerError) as err:
        client_for(server, request_timeout=2).get(pod_path("ns", "p"))
    assert time.monotonic() - started < 2
    assert "429" in err.value.message


@needs_kubernetes
@pytest.mark.parametrize("status, body, content_type", [
    (200, "<html><body>Please log in</body></html>", "text/html"),
    (200, "plain words, no JSON", "text/plain"),
    (502, "<html>Bad Gateway</html>", "text/html"),
])
def test_an_answer_that_is_not_json_is_a_bad_response(server, status, body, content_type):
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (status, body, content_type)
    with pytest.raises((errors.ApiBadResponse, errors.ApiServerError)) as err:
        client_for(server, request_timeout=2).get(pod_path("ns", "p"))
    if status == 200 or "html" in content_type:
        assert err.value.error_class == "bad_response"
        assert "not the Kubernetes API" in err.value.message and body[:10] in err.value.message


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@needs_kubernetes
def test_connection_refused_is_unreachable():
    with pytest.raises(errors.ApiUnreachable) as err:
        client_for("https://127.0.0.1:%d" % free_port()).get(pod_path("ns", "p"))
    assert "connection refused" in err.value.message and "kubectl cluster-info" in err.value.message


@needs_kubernetes
def test_an_unknown_host_name_is_unreachable():
    with pytest.raises(errors.ApiUnreachable) as err:
        client_for("https://kdebug-no-such-host.invalid:6443", request_timeout=5).get(pod_path("ns", "p"))
    assert "resolve" in err.value.message


@needs_kubernetes
def test_a_server_that_never_answers_times_out_within_request_timeout():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does), never answers
    try:
        started = time.monotonic()
        with pytest.raises(errors.ApiTimeout) as err:
            client_for("https://127.0.0.1:%d" % silent.getsockname()[1], request_timeout=1).get(pod_path("ns", "p"))
        assert time.monotonic() - started < 3
        assert "request_timeout" in err.value.message
    finally:
        silent.close()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS API stand-in with a certificate from a CA of its own (openssl), for the TLS failures."""
    work = tmp_path_factory.mktemp("tls")
    ca_key, ca_crt, key, csr, crt = (str(work / n) for n in ("ca.key", "ca.crt", "srv.key", "srv.csr", "srv.crt"))

    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "2",
        "-subj", "/CN=kdebug-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    ext = work / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
        "-days", "2", "-extfile", str(ext))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.seen, httpd.answers = [], {("GET", "/api/v1/namespaces/ns/pods/p"): (200, json.dumps(POD), JSON)}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd, ca_crt
    httpd.shutdown()
    httpd.server_close()


@needs_kubernetes
def test_tls_with_the_right_ca_works(tls_server):
    httpd, ca = tls_server
    kube = client_for("https://localhost:%d" % httpd.server_address[1], ca_cert=ca, request_timeout=5)
    assert kube.get(pod_path("ns", "p")) == POD


@needs_kubernetes
def test_tls_with_an_unknown_ca_says_set_ca_cert(tls_server):
    httpd, _ca = tls_server
    with pytest.raises(errors.ApiTlsError) as err:
        client_for("https://localhost:%d" % httpd.server_address[1], request_timeout=5).get(pod_path("ns", "p"))
    assert "ca_cert" in err.value.message and "verify failed" in err.value.message


@needs_kubernetes
def test_tls_to_a_name_the_certificate_does_not_hold(tls_server):
    httpd, ca = tls_server
    with pytest.raises(errors.ApiTlsError) as err:
        client_for("https://127.0.0.1:%d" % httpd.server_address[1], ca_cert=ca,
                   request_timeout=5).get(pod_path("ns", "p"))
    assert "does not name the address" in err.value.message


@needs_kubernetes
def test_https_to_a_plain_http_port(server):
    with pytest.raises(errors.ApiTlsError) as err:
        client_for("https://127.0.0.1:%d" % server.server_address[1], request_timeout=5).get(pod_path("ns", "p"))
    assert "did not answer with TLS" in err.value.message


# --- the point of it all: no generated API class or model on the hot path ------------------------


HOT_PATH = r"""
import json, sys
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import auth, exec as kube_exec
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import AccessProbe
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import read_pod
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.fork import ForkManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import agent, choose, ephemeral
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases import exec as exec_use_case

params = dict((name, None) for name in auth.AUTH_ARG_NAMES)
params.update(host=sys.argv[1], api_key="tok")
kube = auth.kube_client(params)
pod = read_pod(kube, "ns", "p")
AgentManager(kube, "kdebug-system")
ForkManager(kube)
AccessProbe(kube)
kube_exec.exec_url(kube.host, "ns", "p", "c", ["true"])
loaded = sorted(m for m in sys.modules if m.startswith(("kubernetes.client.api.", "kubernetes.client.models.")))
print(json.dumps({"pod": pod["metadata"]["name"], "loaded": loaded}))
"""


# kubernetes 37 made kubernetes.client load its API classes on first use; an older client (requirements.txt allows
# them, and scripts/test-compat runs the unit tests at the floor) imports all of them with the package.
LAZY_CLIENT = kubernetes is not None and int(kubernetes.__version__.split(".")[0]) >= 37


@needs_kubernetes
@pytest.mark.skipif(not LAZY_CLIENT, reason="kubernetes < 37 imports every generated API class with the package")
def test_hot_path_never_loads_generated_apis_or_models(server):
    """CoreV1Api and its models cost 1-2 s per module call with client 37: none of it may be imported."""
    server.answers[("GET", "/api/v1/namespaces/ns/pods/p")] = (200, json.dumps(POD), JSON)
    collections = os.path.abspath(os.path.join(os.path.dirname(client.__file__), "..", "..", "..", "..", "..", ".."))
    env = dict(os.environ, PYTHONPATH=collections)
    out = subprocess.run([sys.executable, "-c", HOT_PATH, "http://127.0.0.1:%d" % server.server_address[1]],
                         capture_output=True, text=True, env=env, check=True).stdout
    result = json.loads(out)
    assert result == {"pod": "p", "loaded": []}
