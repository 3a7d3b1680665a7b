# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every way a request to the API server can fail, as one KdebugError class with a sentence a user can act on.

Pure: functions of the request (method, path, server), the answer (status,
body, headers) or the exception the transport raised. kube/client.py and
kube/exec.py call them; nothing else translates API failures.

- No answer: connection refused, unknown host, TLS (unknown CA, host name
  mismatch, expired certificate, not TLS at all), proxy, timeout: the message
  names the server, what happened and the likely fix.
- An answer that is not JSON (an HTML login page, a proxy's error text):
  ApiBadResponse quoting its start.
- 403 is classified once: RBAC (verb, resource, namespace and the
  docs/rbac.md role to grant), PodSecurity admission (level, violations, the
  option that avoids it), ResourceQuota (quota and resource), an admission
  webhook (its name), other admission (the server's words).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from urllib.parse import unquote

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiBadResponse, ApiConflict, ApiDenied, ApiError, ApiGone, ApiInvalid, ApiNotFound, ApiProxyError,
    ApiServerError, ApiTimeout, ApiTlsError, ApiUnauthorized, ApiUnreachable)

RBAC_DOC = "docs/rbac.md"
# Subresources that a websocket upgrade authorizes as get on older API servers and create on newer ones.
STREAM_SUBRESOURCES = ("exec", "attach", "portforward")


class Request(object):
    """What a request was about, read from its method and path: the words of every error message."""

    def __init__(self, method, path, endpoint=None, watch=False):
        self.method = (method or "GET").upper()
        self.path = path or ""
        self.endpoint = endpoint
        parsed = parse_path(self.path)
        self.group = parsed["group"]
        self.namespace = parsed["namespace"]
        self.resource = parsed["resource"]
        self.name = parsed["name"]
        self.subresource = parsed["subresource"]
        self.verb = api_verb(self.method, bool(self.name), watch)

    @property
    def full_resource(self):
        """``pods/exec``, ``pods``, ``namespaces``; None for discovery paths."""
        if self.subresource:
            return "%s/%s" % (self.resource, self.subresource)
        return self.resource

    def what(self):
        """``pod web in namespace shop``, ``pods in namespace shop``, ``the exec of pod web in namespace shop``."""
        if not self.resource:
            return "the API discovery (%s)" % self.path
        if self.name:
            text = "%s %s" % (singular(self.resource), self.name)
            if self.subresource:
                text = "the %s of %s" % (SUBRESOURCE_WORDS.get(self.subresource, self.subresource), text)
        else:
            text = self.resource
        if self.namespace and not (self.resource == "namespaces"):
            text += " in namespace %s" % self.namespace
        return text

    def line(self):
        return "%s %s" % (self.method, self.path)


def parse_path(path):
    """{group, namespace, resource, name, subresource} of an API path (query string ignored)."""
    parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/") if p]
    out = dict(group=None, namespace=None, resource=None, name=None, subresource=None)
    if parts[:1] == ["api"]:
        rest = parts[2:]
        out["group"] = ""
    elif parts[:1] == ["apis"]:
        out["group"] = parts[1] if len(parts) > 1 else None
        rest = parts[3:]
    else:
        return out
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
        out["namespace"] = rest[1]
        rest = rest[2:]
    elif rest[:1] == ["namespaces"]:
        out["resource"] = "namespaces"
        out["name"] = rest[1] if len(rest) > 1 else None
        out["namespace"] = out["name"]
        return out
    if rest:
        out["resource"] = rest[0]
    if len(rest) > 1:
        out["name"] = rest[1]
    if len(rest) > 2:
        out["subresource"] = rest[2]
    return out


def api_verb(method, named, watch=False):
    """The RBAC verb a request is checked as."""
    if method == "GET":
        if watch:
            return "watch"
        return "get" if named else "list"
    if method == "DELETE":
        return "delete" if named else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


SUBRESOURCE_WORDS = {"ephemeralcontainers": "ephemeral containers", "exec": "exec", "log": "log",
                     "status": "status", "attach": "attach", "portforward": "port forward"}


def singular(resource):
    base, sep, sub = resource.partition("/")
    name = {"pods": "pod", "nodes": "node", "namespaces": "namespace", "events": "event", "services": "service",
            "configmaps": "configmap", "secrets": "secret"}.get(base, base)
    return name + sep + sub


# --- answers ------------------------------------------------------------------------------------------------


def status_object(body):
    """The v1 Status an error answer carries, as a dict; None when the body is not one."""
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def server_message(body, reason=None):
    """The API server's own message (the Status's ``message``), else the HTTP reason."""
    status = status_object(body)
    if status and status.get("message"):
        return status["message"]
    return reason or "no message"


def body_excerpt(body, limit=160):
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = " ".join(str(body).split())
    return text[:limit] + ("..." if len(text) > limit else "")


def retry_after_seconds(headers):
    """Seconds a Retry-After header asks for (its delta-seconds form); None when absent or a date."""
    if not headers:
        return None
    for key in headers:
        if str(key).lower() == "retry-after":
            try:
                return max(float(headers[key]), 0.0)
            except (TypeError, ValueError):
                return None
    return None


def header(headers, name):
    for key in headers or {}:
        if str(key).lower() == name:
            return headers[key]
    return None


# --- 403 ----------------------------------------------------------------------------------------------------

_RBAC = re.compile(r'cannot (?P<verb>[a-z]+) resource "(?P<resource>[^"]+)"(?: in API group "(?P<group>[^"]*)")?'
                   r'(?: in the namespace "(?P<namespace>[^"]+)"| at the cluster scope)?')
_RBAC_USER = re.compile(r'User "(?P<user>[^"]+)" cannot')
_POD_SECURITY = re.compile(r'violates PodSecurity "(?P<level>[a-z]+)(?::(?P<version>[^"]+))?": (?P<violations>.*)$',
                           re.S)
_VIOLATION = re.compile(r'(?P<check>[^,()][^()]*?) \((?P<detail>[^()]*)\)')
_FIELD = re.compile(r'\b((?:spec|securityContext|metadata)\.[A-Za-z0-9_.\[\]]*[A-Za-z0-9_\]])')
_QUOTA = re.compile(r'exceeded quota: (?P<quota>[^,]+), requested: (?P<requested>[^,]+(?:,[^,:]+=[^,]+)*?), '
                    r'used: (?P<used>.+?), limited: (?P<limited>.+)$')
_QUOTA_FAILED = re.compile(r'failed quota: (?P<quota>[^:]+): (?P<detail>.+)$')
_WEBHOOK = re.compile(r'admission webhook "(?P<webhook>[^"]+)" denied the request(?::\s*(?P<detail>.*))?$', re.S)
_POLICY = re.compile(r'ValidatingAdmissionPolicy \'(?P<policy>[^\']+)\' with binding \'(?P<binding>[^\']+)\' denied')


def classify_denial(message):
    """(denied_by, denial) for a 403's message. Pure.

    denied_by: rbac, pod_security, resource_quota, admission_webhook or
    admission (anything else that refuses at admission: LimitRange, a
    namespace being deleted, NodeRestriction, ValidatingAdmissionPolicy).
    """
    message = message or ""
    found = _POD_SECURITY.search(message)
    if found:
        violations = [{"check": v.group("check").strip(), "detail": v.group("detail").strip()}
                      for v in _VIOLATION.finditer(found.group("violations"))]
        fields = []
        for violation in violations:
            for field in _FIELD.findall(violation["detail"]):
                field = field.split("=")[0]
                if field not in fields:
                    fields.append(field)
        return "pod_security", {"level": found.group("level"), "version": found.group("version") or "latest",
                                "violations": violations, "fields": fields}
    found = _QUOTA.search(message)
    if found:
        return "resource_quota", {"quota": found.group("quota").strip(), "requested": found.group("requested").strip(),
                                  "used": found.group("used").strip(), "limited": found.group("limited").strip(),
                                  "resources": sorted(set(p.split("=")[0].strip()
                                                          for p in found.group("requested").split(",")))}
    found = _QUOTA_FAILED.search(message)
    if found:
        return "resource_quota", {"quota": found.group("quota").strip(), "detail": found.group("detail").strip(),
                                  "resources": []}
    found = _WEBHOOK.search(message)
    if found:
        return "admission_webhook", {"webhook": found.group("webhook"), "detail": (found.group("detail") or "").strip()}
    found = _RBAC.search(message)
    if found and ("User " in message or "system:" in message or "cannot " in message):
        user = _RBAC_USER.search(message)
        return "rbac", {"verb": found.group("verb"), "resource": found.group("resource"),
                        "group": found.group("group") or "", "namespace": found.group("namespace"),
                        "user": user.group("user") if user else None}
    found = _POLICY.search(message)
    if found:
        return "admission", {"policy": found.group("policy"), "binding": found.group("binding")}
    return "admission", {}


def rbac_verbs(verb, resource):
    """The verbs to grant: both get and create for streamed subresources (the server checks one or the other)."""
    if resource and resource.partition("/")[2] in STREAM_SUBRESOURCES:
        return ["create", "get"]
    return [verb]


def denied_error(request, message, hints=None, status=403):
    """ApiDenied for a 403 answer to ``request``, with the fix for its class.

    ``hints``: denied_by -> the sentence that says the fix, or a function of the denial (the dict classify_denial
    found) that returns it, for a caller whose fix depends on what was refused.
    """
    denied_by, denial = classify_denial(message)
    hints = dict((key, value(denial) if callable(value) else value) for key, value in (hints or {}).items())
    what = request.what()
    if denied_by == "rbac":
        verb = denial["verb"] or request.verb
        resource = denial["resource"] or request.full_resource
        namespace = denial["namespace"] if denial["namespace"] is not None else request.namespace
        verbs = rbac_verbs(verb, resource)
        scope = "in namespace %s" % namespace if namespace else "cluster-wide"
        role = hints.get("rbac_role")
        where = "%s, role %s" % (RBAC_DOC, role) if role else RBAC_DOC
        text = ("not allowed to %s %s %s: %s. Grant the caller a %s with verbs: [%s] on resources: [%s] (see %s)."
                % (verb, resource, scope, message, "Role" if namespace else "ClusterRole", ", ".join(verbs), resource,
                   where))
        if hints.get("rbac"):
            text += " %s." % hints["rbac"].rstrip(".")
        denial = dict(denial, verb=verb, resource=resource, namespace=namespace, verbs=verbs, role=role)
    elif denied_by == "pod_security":
        checks = "; ".join("%s (%s)" % (v["check"], v["detail"]) for v in denial["violations"]) or message
        fix = hints.get("pod_security") or (
            "Use settings the level allows, or run in a namespace whose pod-security.kubernetes.io/enforce label "
            "allows them")
        text = ("PodSecurity admission refused %s: the namespace enforces the %s level (%s), and the request "
                "violates it: %s. %s." % (what, denial["level"], denial["version"], checks, fix.rstrip(".")))
        denial["namespace"] = request.namespace
    elif denied_by == "resource_quota":
        fix = hints.get("resource_quota") or "Raise the quota, free room, or use another namespace"
        quota = denial["quota"]
        text = ("ResourceQuota %s in namespace %s refused %s: %s. %s (kubectl describe resourcequota -n %s %s)."
                % (quota, request.namespace, what, message, fix.rstrip("."), request.namespace, quota))
        denial["namespace"] = request.namespace
    elif denied_by == "admission_webhook":
        fix = hints.get("admission_webhook") or "Ask the webhook's owners what it allows, or adjust the options"
        text = ("the admission webhook %s refused %s: %s. %s (kubectl get validatingwebhookconfigurations,"
                "mutatingwebhookconfigurations)." % (denial["webhook"], what, denial["detail"] or message,
                                                     fix.rstrip(".")))
    else:
        fix = hints.get("admission") or "Adjust the options, or the namespace's policy"
        text = "admission refused %s: %s. %s." % (what, message, fix.rstrip("."))
    return ApiDenied(text, denied_by, denial, status=status, endpoint=request.endpoint, server_message=message)


# --- HTTP errors --------------------------------------------------------------------------------------------


def http_error(request, status, reason=None, body=None, headers=None, hints=None, retries=0):
    """The ApiError for a non-2xx answer to ``request``."""
    message = server_message(body, reason)
    if status_object(body) is None and body and _looks_like_html(body, headers):
        return not_json_error(request, status, body, headers)
    if status == 403:
        return denied_error(request, message, hints, status)
    if status == 401:
        return ApiUnauthorized(
            "the API server at %s rejected the credentials (401 Unauthorized) for %s: %s. Check kubeconfig, context, "
            "api_key or the K8S_AUTH_* variables (the token may have expired)."
            % (request.endpoint, request.line(), message),
            status=status, endpoint=request.endpoint, server_message=message)
    what = request.what()
    if status == 404:
        return ApiNotFound("%s not found: %s." % (what, message), status=status, endpoint=request.endpoint,
                           server_message=message)
    if status == 409:
        return ApiConflict("conflict on %s: %s." % (what, message), status=status, endpoint=request.endpoint,
                           server_message=message)
    if status == 410:
        return ApiGone("%s: %s." % (what, message), status=status, endpoint=request.endpoint, server_message=message)
    if status in (400, 422):
        return ApiInvalid("the API server refused to %s %s as invalid (HTTP %s): %s." % (
            request.verb, what, status, message), status=status, endpoint=request.endpoint, server_message=message)
    if status == 429 or status >= 500:
        tried = " (tried %d times)" % (retries + 1) if retries else ""
        advice = "The API server is overloaded or rate-limits this client: try again later, or raise request_timeout" \
            if status == 429 else "The API server, or something in front of it, failed: check its health " \
                                  "(kubectl get --raw /readyz) and try again"
        return ApiServerError("the API server at %s answered %s with HTTP %s%s%s: %s. %s." % (
            request.endpoint, request.line(), status, " " + reason if reason else "", tried, message, advice),
            status=status, endpoint=request.endpoint, server_message=message)
    return ApiError("could not %s %s: %s (HTTP %s)." % (request.verb, what, message, status), status=status,
                    endpoint=request.endpoint, server_message=message)


def _looks_like_html(body, headers):
    content_type = str(header(headers, "content-type") or "")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return "html" in content_type or text.lstrip()[:1] == "<"


def not_json_error(request, status, body, headers=None):
    """An answer that is not the API's JSON: most often not an API server at all, or a proxy answering for it."""
    content_type = header(headers, "content-type") or "no content type"
    return ApiBadResponse(
        "the server at %s answered %s with %s (HTTP %s), not the Kubernetes API's JSON: %r. It is not a Kubernetes API "
        "server, or a proxy or load balancer answered in its place: check host / the kubeconfig's server address and "
        "proxy." % (request.endpoint, request.line(), content_type, status, body_excerpt(body)),
        status=status, endpoint=request.endpoint)


# --- no answer ----------------------------------------------------------------------------------------------


def _exception_chain(exc):
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = getattr(exc, "reason", None) if isinstance(getattr(exc, "reason", None), BaseException) else \
            (exc.__cause__ or exc.__context__)
    return seen


def _names(chain):
    names = set()
    for exc in chain:
        names.update(cls.__name__ for cls in type(exc).__mro__)
    return names


def _text(chain):
    texts = []
    for exc in chain:
        text = str(exc)
        if text and not any(text in seen for seen in texts):
            texts.append(text)
    return " | ".join(texts)


def transport_error(request, exc, timeout=None):
    """The ApiError for a request that got no HTTP answer: ``exc`` as urllib3, ssl, socket or websocket raised it."""
    chain = _exception_chain(exc)
    names = _names(chain)
    text = _text(chain) or type(exc).__name__
    server = request.endpoint or "the API server"
    if "ProxyError" in names or "WebSocketProxyException" in names or "ProxySchemeUnknown" in names:
        return ApiProxyError(
            "the proxy between this machine and %s failed the connection: %s. Check proxy and no_proxy "
            "(K8S_AUTH_PROXY, K8S_AUTH_NO_PROXY, HTTPS_PROXY) and that the proxy reaches the API server."
            % (server, _short(text)), endpoint=request.endpoint)
    if "SSLError" in names or "SSLCertVerificationError" in names or "CertificateError" in names:
        return tls_error(request, text)
    if "NameResolutionError" in names or "gaierror" in names or "WebSocketAddressException" in names:
        return ApiUnreachable(
            "cannot resolve the API server's host name in %s: %s. Check the server address in the kubeconfig (or host, "
            "K8S_AUTH_HOST) and this machine's DNS." % (server, _short(text)), endpoint=request.endpoint)
    # urllib3's NewConnectionError (refused, no route) is a ConnectTimeoutError subclass: not a timeout.
    timed_out = "ReadTimeoutError" in names or "WebSocketTimeoutException" in names or (
        ("ConnectTimeoutError" in names or "TimeoutError" in names) and "NewConnectionError" not in names)
    if timed_out:
        return ApiTimeout(
            "the API server at %s did not answer %s within %s (request_timeout): %s. It may be overloaded, or the "
            "address may lead to something that accepts connections but is not an API server; check it (kubectl "
            "cluster-info) or raise request_timeout." % (server, request.line(), _seconds(timeout), _short(text)),
            endpoint=request.endpoint)
    if "refused" in text.lower():
        return ApiUnreachable(
            "cannot reach the Kubernetes API server at %s: connection refused. Check that the API server is up "
            "(kubectl cluster-info) and that kubeconfig, context or host point to it." % server,
            endpoint=request.endpoint)
    if "ProtocolError" in names or "RemoteDisconnected" in names or "ConnectionResetError" in names \
            or "WebSocketConnectionClosedException" in names or "BrokenPipeError" in names:
        return ApiUnreachable(
            "the connection to the API server at %s broke during %s: %s. The API server may be restarting, or "
            "something between closes connections; try again." % (server, request.line(), _short(text)),
            endpoint=request.endpoint)
    return ApiUnreachable(
        "cannot reach the Kubernetes API server at %s: %s. Check that it is up (kubectl cluster-info) and that "
        "kubeconfig, context or host point to it." % (server, _short(text)), endpoint=request.endpoint)


def tls_error(request, text):
    server = request.endpoint or "the API server"
    lowered = text.lower()
    if "hostname mismatch" in lowered or "ip address mismatch" in lowered or "doesn't match" in lowered:
        fix = ("The certificate does not name the address used to reach the server: connect with a name the "
               "certificate holds, or set tls-server-name in the kubeconfig")
    elif "expired" in lowered:
        fix = "The server's certificate has expired (or this machine's clock is wrong): renew the certificate"
    elif "not yet valid" in lowered:
        fix = "The server's certificate is not valid yet: check this machine's clock"
    elif "verify failed" in lowered or "unknown ca" in lowered or "self-signed" in lowered \
            or "self signed" in lowered or "local issuer" in lowered:
        fix = ("The server's certificate is not signed by a CA this client trusts: set ca_cert (K8S_AUTH_SSL_CA_CERT) "
               "to the cluster's CA, or fix certificate-authority(-data) in the kubeconfig")
    elif "wrong version number" in lowered or "record layer failure" in lowered or "packet length" in lowered \
            or "unknown protocol" in lowered:
        fix = ("The server did not answer with TLS: check the scheme and port of the server address (https:// to an "
               "http port, or the wrong service)")
    elif "no such file" in lowered or "errno 2" in lowered:
        fix = "A certificate or key file could not be read: check ca_cert, client_cert and client_key"
    elif "certificate required" in lowered or "bad certificate" in lowered or "handshake failure" in lowered:
        fix = ("The server refused the client certificate: check client_cert and client_key (or those of the "
               "kubeconfig user)")
    else:
        fix = "Check the server address, ca_cert, client_cert and client_key"
    return ApiTlsError("TLS with the API server at %s failed: %s. %s." % (server, _short(text), fix),
                       endpoint=request.endpoint)


def _short(text, limit=300):
    # urllib3 quotes its remaining timeout to the nanosecond (read timeout=2.999181470000167): one decimal says it.
    text = re.sub(r"(\d+\.\d)\d{3,}", r"\1", " ".join(str(text).split()))
    return text[:limit] + ("..." if len(text) > limit else "")


def _seconds(timeout):
    if timeout is None:
        return "the time allowed"
    return "%g s" % timeout
