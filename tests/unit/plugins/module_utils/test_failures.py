# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kube/failures.py: every answer and every missing answer becomes one class with the fix. Pure, from the words
API servers (v1.34) and the transport libraries really use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import ssl

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import errors
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.failures import (
    Request, classify_denial, http_error, parse_path, retry_after_seconds, transport_error)

ENDPOINT = "https://10.250.0.1:6443"


def status(message, code=403):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                       "reason": "Forbidden", "code": code})


@pytest.mark.parametrize("path, expected", [
    ("/api/v1/namespaces/ns/pods/p/exec?command=ls", dict(group="", namespace="ns", resource="pods", name="p",
                                                          subresource="exec")),
    ("/api/v1/namespaces/ns/pods", dict(group="", namespace="ns", resource="pods", name=None, subresource=None)),
    ("/api/v1/namespaces/ns", dict(group="", namespace="ns", resource="namespaces", name="ns", subresource=None)),
    ("/api/v1/nodes/n1", dict(group="", namespace=None, resource="nodes", name="n1", subresource=None)),
    ("/apis/apps/v1/namespaces/ns/replicasets", dict(group="apps", namespace="ns", resource="replicasets", name=None,
                                                     subresource=None)),
    ("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
     dict(group="authorization.k8s.io", namespace=None, resource="selfsubjectaccessreviews", name=None,
          subresource=None)),
    ("/api/v1", dict(group="", namespace=None, resource=None, name=None, subresource=None)),
])
def test_parse_path(path, expected):
    assert parse_path(path) == expected


@pytest.mark.parametrize("method, path, verb, what", [
    ("GET", "/api/v1/namespaces/ns/pods/p", "get", "pod p in namespace ns"),
    ("GET", "/api/v1/namespaces/ns/pods", "list", "pods in namespace ns"),
    ("POST", "/api/v1/namespaces/ns/pods", "create", "pods in namespace ns"),
    ("PATCH", "/api/v1/namespaces/ns/pods/p/ephemeralcontainers", "patch",
     "the ephemeral containers of pod p in namespace ns"),
    ("POST", "/api/v1/namespaces/ns/pods/p/exec", "create", "the exec of pod p in namespace ns"),
    ("DELETE", "/api/v1/namespaces/ns/pods/p", "delete", "pod p in namespace ns"),
    ("GET", "/api/v1/namespaces/kdebug-system", "get", "namespace kdebug-system"),
    ("GET", "/api/v1", "list", "the API discovery (/api/v1)"),
])
def test_request_words(method, path, verb, what):
    request = Request(method, path, ENDPOINT)
    assert request.verb == verb and request.what() == what


# --- 403, classified once ---------------------------------------------------------------------------------

RBAC = ('pods "web" is forbidden: User "system:serviceaccount:ops:debugger" cannot patch resource '
        '"pods/ephemeralcontainers" in API group "" in the namespace "shop"')
RBAC_CLUSTER = 'nodes "n1" is forbidden: User "bob" cannot get resource "nodes" in API group "" at the cluster scope'
POD_SECURITY = (
    'pods "web" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container '
    '"kdebug-1a2b3c4d" must not include "SYS_PTRACE" in securityContext.capabilities.add)')
POD_SECURITY_RESTRICTED = (
    'pods "kdebug-agent-n1-0a1b2c3d" is forbidden: violates PodSecurity "restricted:v1.34": host namespaces '
    '(hostNetwork=true, hostPID=true, hostIPC=true), privileged (container "agent" must not set '
    'securityContext.privileged=true), allowPrivilegeEscalation != false (container "agent" must set '
    'securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "agent" must set '
    'securityContext.runAsNonRoot=true)')
QUOTA = 'pods "kdebug-fork-x" is forbidden: exceeded quota: no-pods, requested: pods=1, used: pods=0, limited: pods=0'
QUOTA_MULTI = ('pods "x" is forbidden: exceeded quota: compute, requested: limits.cpu=2,requests.cpu=1, '
               'used: limits.cpu=3,requests.cpu=2, limited: limits.cpu=4,requests.cpu=2')
QUOTA_FAILED = 'pods "x" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app'
WEBHOOK = 'admission webhook "pods.policy.example.com" denied the request: debug containers are not allowed here'
LIMIT_RANGE = 'pods "x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1'
TERMINATING = 'pods "x" is forbidden: unable to create new content in namespace shop because it is being terminated'


@pytest.mark.parametrize("message, denied_by, checks", [
    (RBAC, "rbac", {"verb": "patch", "resource": "pods/ephemeralcontainers", "namespace": "shop",
                    "user": "system:serviceaccount:ops:debugger"}),
    (RBAC_CLUSTER, "rbac", {"verb": "get", "resource": "nodes", "namespace": None}),
    (POD_SECURITY, "pod_security", {"level": "baseline", "fields": ["securityContext.capabilities.add"]}),
    (POD_SECURITY_RESTRICTED, "pod_security", {"level": "restricted", "version": "v1.34"}),
    (QUOTA, "resource_quota", {"quota": "no-pods", "resources": ["pods"]}),
    (QUOTA_MULTI, "resource_quota", {"quota": "compute", "resources": ["limits.cpu", "requests.cpu"]}),
    (QUOTA_FAILED, "resource_quota", {"quota": "compute"}),
    (WEBHOOK, "admission_webhook", {"webhook": "pods.policy.example.com"}),
    (LIMIT_RANGE, "admission", {}),
    (TERMINATING, "admission", {}),
])
def test_classify_denial(message, denied_by, checks):
    kind, denial = classify_denial(message)
    assert kind == denied_by
    for key, value in checks.items():
        assert denial[key] == value, key


def test_pod_security_lists_every_violation():
    _kind, denial = classify_denial(POD_SECURITY_RESTRICTED)
    assert [v["check"] for v in denial["violations"]] == [
        "host namespaces", "privileged", "allowPrivilegeEscalation != false", "runAsNonRoot != true"]
    assert "securityContext.privileged" in denial["fields"]


def denied(message, method="POST", path="/api/v1/namespaces/shop/pods", hints=None):
    err = http_error(Request(method, path, ENDPOINT), 403, "Forbidden", status(message), hints=hints)
    assert isinstance(err, errors.ApiDenied) and err.result()["error_class"] == "denied"
    return err


def test_rbac_names_verb_resource_namespace_and_role():
    err = denied(RBAC, "PATCH", "/api/v1/namespaces/shop/pods/web/ephemeralcontainers",
                 hints={"rbac_role": "kdebug-ephemeral"})
    assert "not allowed to patch pods/ephemeralcontainers in namespace shop" in err.message
    assert "Grant the caller a Role with verbs: [patch] on resources: [pods/ephemeralcontainers]" in err.message
    assert "docs/rbac.md, role kdebug-ephemeral" in err.message
    assert err.result()["denied_by"] == "rbac"


def test_rbac_on_exec_asks_for_both_verbs():
    message = ('pods "web" is forbidden: User "u" cannot create resource "pods/exec" in API group "" in the namespace '
               '"shop"')
    err = denied(message, "POST", "/api/v1/namespaces/shop/pods/web/exec")
    assert "verbs: [create, get] on resources: [pods/exec]" in err.message


def test_rbac_cluster_scope_asks_for_a_cluster_role():
    assert "ClusterRole with verbs: [get] on resources: [nodes]" in denied(RBAC_CLUSTER, "GET", "/api/v1/nodes/n1").message


def test_pod_security_gets_the_callers_fix_not_rbac_advice():
    err = denied(POD_SECURITY, "PATCH", "/api/v1/namespaces/shop/pods/web/ephemeralcontainers",
                 hints={"pod_security": "Set profile to restricted", "rbac_role": "kdebug-ephemeral"})
    assert "PodSecurity admission refused the ephemeral containers of pod web in namespace shop" in err.message
    assert "enforces the baseline level" in err.message and "SYS_PTRACE" in err.message
    assert "Set profile to restricted" in err.message
    assert "Grant" not in err.message and "rbac" not in err.message.lower()


def test_a_hint_may_depend_on_what_was_refused():
    err = denied(POD_SECURITY, "PATCH", "/api/v1/namespaces/shop/pods/web/ephemeralcontainers",
                 hints={"pod_security": lambda denial: "Level %s: do this" % denial["level"]})
    assert "Level baseline: do this." in err.message


def test_quota_names_the_quota_and_how_to_look_at_it():
    err = denied(QUOTA)
    assert "ResourceQuota no-pods in namespace shop refused pods in namespace shop" in err.message
    assert "kubectl describe resourcequota -n shop no-pods" in err.message
    assert "Grant" not in err.message


def test_webhook_and_other_admission():
    assert "the admission webhook pods.policy.example.com refused" in denied(WEBHOOK).message
    assert denied(LIMIT_RANGE).message.startswith("admission refused pods in namespace shop: ")


# --- other answers ----------------------------------------------------------------------------------------


def test_not_json_answers_are_bad_responses():
    request = Request("GET", "/api/v1/namespaces/shop/pods/web", ENDPOINT)
    err = http_error(request, 200, "OK", b"<!DOCTYPE html><html>Sign in</html>", {"Content-Type": "text/html"})
    assert isinstance(err, errors.ApiBadResponse)
    assert "text/html" in err.message and "Sign in" in err.message and ENDPOINT in err.message


@pytest.mark.parametrize("code, cls", [(401, errors.ApiUnauthorized), (404, errors.ApiNotFound),
                                       (409, errors.ApiConflict), (410, errors.ApiGone), (422, errors.ApiInvalid),
                                       (400, errors.ApiInvalid), (429, errors.ApiServerError),
                                       (503, errors.ApiServerError), (418, errors.ApiError)])
def test_http_statuses_map_to_classes(code, cls):
    err = http_error(Request("GET", "/api/v1/nodes/n1", ENDPOINT), code, "x", status("the words", code))
    assert err.__class__ is cls and "the words" in err.message and err.status == code


def test_retry_after():
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": "0"}) == 0.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_seconds({}) is None and retry_after_seconds(None) is None


# --- no answer: the exceptions the transports raise --------------------------------------------------------

try:
    import urllib3.exceptions as u3
except ImportError:  # pragma: no cover
    u3 = None

needs_urllib3 = pytest.mark.skipif(u3 is None, reason="urllib3 not installed")
REQUEST = Request("GET", "/api/v1/namespaces/shop/pods/web", ENDPOINT)


@needs_urllib3
def test_refused_and_unknown_host():
    refused = u3.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    assert isinstance(transport_error(REQUEST, refused), errors.ApiUnreachable)
    assert "connection refused" in transport_error(REQUEST, refused).message
    unknown = u3.NameResolutionError("api.example", None, socket.gaierror(-2, "Name or service not known"))
    err = transport_error(REQUEST, unknown)
    assert isinstance(err, errors.ApiUnreachable) and "resolve" in err.message


@needs_urllib3
def test_timeouts_name_request_timeout():
    err = transport_error(REQUEST, u3.ReadTimeoutError(None, "/api", "Read timed out. (read timeout=2.999181470000167)"),
                          3)
    assert isinstance(err, errors.ApiTimeout) and "within 3 s (request_timeout)" in err.message
    assert "read timeout=2.9)" in err.message
    assert isinstance(transport_error(REQUEST, u3.ConnectTimeoutError(None, "timed out")), errors.ApiTimeout)
    assert isinstance(transport_error(REQUEST, socket.timeout("timed out")), errors.ApiTimeout)


@needs_urllib3
@pytest.mark.parametrize("text, words", [
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", "ca_cert"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain",
     "ca_cert"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for "
     "'10.0.0.1'", "does not name the address"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired", "expired"),
    ("[SSL: WRONG_VERSION_NUMBER] wrong version number", "did not answer with TLS"),
    ("[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required", "client certificate"),
])
def test_tls_failures_name_the_fix(text, words):
    err = transport_error(REQUEST, u3.SSLError(ssl.SSLError(1, text)))
    assert isinstance(err, errors.ApiTlsError) and words in err.message and ENDPOINT in err.message


@needs_urllib3
def test_proxy_failures():
    err = transport_error(REQUEST, u3.ProxyError("Unable to connect to proxy", OSError("Tunnel connection failed: "
                                                                                       "403 Forbidden")))
    assert isinstance(err, errors.ApiProxyError) and "K8S_AUTH_PROXY" in err.message


@needs_urllib3
def test_a_dropped_connection_is_unreachable_and_says_try_again():
    err = transport_error(REQUEST, u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))
    assert isinstance(err, errors.ApiUnreachable) and "broke" in err.message
