# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every request kdebug makes to the Kubernetes API goes through KubeClient: dicts in, dicts out.

What it guarantees, for every module, the inventory and the action plugins:

- a deadline: each call finishes within ``request_timeout`` seconds (connect,
  TLS, answer and any retries together); a watch within its own duration;
- retries where they are safe: 429, and 5xx with Retry-After, are tried again
  after the delay the server asks for (else a short backoff), as client-go
  does; a GET is also tried again on 500/502/503/504 and on a pooled
  connection the server had closed; never past the deadline;
- one translation of failures (kube/failures.py): no answer, TLS, proxy,
  timeout, a body that is not JSON and every HTTP error become one
  KdebugError class (errors.py) with a message naming the server or the
  object, what happened and the fix. No urllib3 or kubernetes exception
  leaves this file.

Why not ``CoreV1Api``: kubernetes client 37 builds some 250 pydantic models the
first time ``kubernetes.client.CoreV1Api`` is touched, 1-2 s of every module
call, while the API work itself takes under 0.1 s. Everything a request needs
is on the ``ApiClient`` that kube/auth.py builds: the urllib3 pool (CA,
client cert, verify_ssl, proxy), the configuration (bearer token and its
refresh hook) and the default headers (User-Agent, Impersonate-*). Requests
go to that pool directly, with our own timeout and ``retries=False``: the
generated client's pool retries a read timeout three times, which would make
a black-holed server cost four timeouts.

The pure parts (paths, query strings) need no library and are unit tested on
their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from urllib.parse import quote, urlencode

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiNotFound, ConfigError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.failures import (
    Request, http_error, not_json_error, retry_after_seconds, transport_error)

try:
    import urllib3
except ImportError:  # urllib3 comes with kubernetes; the module base reports a missing kubernetes library
    urllib3 = None

DEFAULT_REQUEST_TIMEOUT = 30
# Backoff between tries when the server names no delay: 0.5 s, 1 s, 2 s, then 4 s.
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 4.0
# GETs are safe to send again when an answer failed this way.
RETRIABLE_GET_STATUSES = (500, 502, 503, 504)
# Extra seconds a watch may stay silent past the duration it asked the server for.
WATCH_GRACE_SECONDS = 10

JSON = "application/json"
# PATCH flavours by name: what `kubectl patch --type` calls them.
PATCH_CONTENT_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
}
DRY_RUN_ALL = "All"


# --- pure helpers -------------------------------------------------------------


def api_path(*segments, **kwargs):
    """The path of a resource: core ``/api/v1/...`` or ``/apis/<group>/<version>/...``.

    ``api_path("namespaces", "ns", "pods", "p", "exec")`` is
    ``/api/v1/namespaces/ns/pods/p/exec``; ``group="apps"`` gives
    ``/apis/apps/v1/...``. Every segment is percent-encoded, so a name can
    never change the path. None segments are skipped (a cluster-wide list).
    """
    group = kwargs.pop("group", None)
    version = kwargs.pop("version", "v1")
    if kwargs:
        raise TypeError("unexpected arguments: %s" % ", ".join(sorted(kwargs)))
    prefix = "/apis/%s/%s" % (group, version) if group else "/api/%s" % version
    parts = [quote(str(s), safe="") for s in segments if s is not None]
    return "/".join([prefix] + parts)


def pod_path(namespace, name=None, subresource=None):
    return api_path("namespaces", namespace, "pods", name, subresource)


def query_pairs(query):
    """(key, text) pairs for a query: None values dropped, booleans as true/false, lists repeated.

    ``query`` is a dict or a list of pairs (order kept: exec needs its
    ``command`` values in order). Keys are API names (``dryRun``,
    ``labelSelector``, ``fieldSelector``, ``gracePeriodSeconds``...).
    """
    items = query.items() if isinstance(query, dict) else (query or [])
    pairs = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        for one in values:
            if one is None:
                continue
            if isinstance(one, bool):
                one = "true" if one else "false"
            pairs.append((key, str(one)))
    return pairs


def query_string(query):
    """The encoded query (no leading ``?``); ``%20`` for spaces, ``=``/``&`` in values escaped."""
    return urlencode(query_pairs(query), quote_via=lambda text, *_args: quote(text, safe=""))


def join_url(host, path, query=None):
    """host + path (+ ?query). A trailing slash on the host (``https://h:6443/``) does not double up."""
    url = host.rstrip("/") + path
    text = query_string(query) if query else ""
    return url + "?" + text if text else url


def dry_run(check_mode):
    """The ``dryRun`` query value for check mode (None sends nothing)."""
    return DRY_RUN_ALL if check_mode else None


def _text(data):
    if data is None:
        return None
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def retry_delay(status, headers, method, attempt):
    """Seconds to wait before trying ``method`` again after ``status``; None when it must not be tried again. Pure.

    429, and any 5xx that says Retry-After, are retried for every method (the
    server did not act on the request); a GET also on 500, 502, 503 and 504.
    """
    after = retry_after_seconds(headers)
    if status == 429 or (status >= 500 and after is not None) or (method == "GET" and status in RETRIABLE_GET_STATUSES):
        if after is not None:
            return after
        return min(BACKOFF_FIRST_SECONDS * (2 ** attempt), BACKOFF_MAX_SECONDS)
    return None


def dropped_connection(exc):
    """A pooled keep-alive connection the server had already closed: the request never reached it."""
    names = set()
    seen = exc
    while seen is not None:
        names.update(cls.__name__ for cls in type(seen).__mro__)
        seen = seen.__context__ if seen.__context__ is not seen else None
    return "ProtocolError" in names and ("RemoteDisconnected" in names or "aborted" in str(exc))


def auth_headers(configuration):
    """The headers the configuration's auth settings ask for (``authorization: Bearer ...``).

    Calling ``auth_settings()`` runs the configuration's ``refresh_api_key_hook``
    first (kubeconfig exec plugins, OIDC, the in-cluster token file), and its
    value already carries ``api_key_prefix``: the same thing the generated
    client does before each request. A key that is unset gives no header.
    """
    headers = {}
    for setting in (configuration.auth_settings() or {}).values():
        if not setting or setting.get("in") != "header" or setting.get("type") == "http-signature":
            continue
        if setting.get("value"):
            headers[setting["key"]] = setting["value"]
    return headers


class KubeClient(object):
    """GET/POST/PATCH/DELETE/watch on API paths, with an ``ApiClient`` from kube/auth.py.

    Bodies are plain dicts (or lists for a JSON patch), answers decoded JSON.
    Every request carries the client's default headers (impersonation,
    User-Agent) and fresh auth headers; TLS and proxy are the client's pool's.
    Failures raise errors.ApiError subclasses (kube/failures.py). ``hints``
    maps a 403 class (``pod_security``, ``resource_quota``, ``rbac_role``...)
    to the fix the caller knows better than this layer.
    """

    def __init__(self, api_client, request_timeout=DEFAULT_REQUEST_TIMEOUT):
        self.api_client = api_client
        self.request_timeout = float(request_timeout or DEFAULT_REQUEST_TIMEOUT)

    @classmethod
    def of(cls, api):
        """A KubeClient for ``api``: a KubeClient, or an ApiClient."""
        if isinstance(api, cls):
            return api
        return cls(getattr(api, "api_client", api))

    @property
    def configuration(self):
        return self.api_client.configuration

    @property
    def host(self):
        return self.configuration.host

    def url(self, path, query=None):
        return join_url(self.host, path, query)

    def headers(self, accept=JSON, content_type=None):
        """Default headers + cookie + auth, as the generated client would send them.

        The auth part runs the kubeconfig's credential refresh (an exec plugin,
        a token file): its failure is a ConfigError naming it.
        """
        headers = dict(self.api_client.default_headers)
        cookie = getattr(self.api_client, "cookie", None)
        if cookie:
            headers["Cookie"] = cookie
        try:
            headers.update(auth_headers(self.configuration))
        except Exception as exc:  # pylint: disable=broad-except  # exec plugins and token files fail in many ways
            raise ConfigError("could not get credentials for %s from the kubeconfig user (exec plugin, token file or "
                              "auth provider): %s. Run kubectl against the same kubeconfig to see the full error."
                              % (self.host, exc))
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _pool(self):
        return self.api_client.rest_client.pool_manager

    def request(self, method, path, query=None, body=None, content_type=JSON, accept=JSON, timeout=None,
                decode=True, hints=None):
        """Send one request; decoded JSON (raw bytes with ``decode=False``); an ApiError unless 2xx.

        ``timeout`` (seconds) replaces ``request_timeout`` for this call: the
        whole call, retries included, ends within it.
        """
        budget = float(timeout or self.request_timeout)
        deadline = time.monotonic() + budget
        info = Request(method, path, self.host)
        url = self.url(path, query)
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = self.headers(accept, content_type if body is not None else None)
        attempt = 0
        while True:
            remaining = max(deadline - time.monotonic(), 0.001)
            try:
                resp = self._pool().request(method, url, body=payload, headers=headers, retries=False,
                                            timeout=urllib3.Timeout(connect=remaining, read=remaining),
                                            preload_content=True)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if attempt == 0 and method in ("GET", "DELETE") and dropped_connection(exc):
                    attempt += 1
                    continue
                raise transport_error(info, exc, budget)
            data = resp.data
            if 200 <= resp.status <= 299:
                return _decode(info, resp, data) if decode else data
            delay = retry_delay(resp.status, resp.headers, method, attempt)
            if delay is not None and time.monotonic() + delay < deadline:
                time.sleep(delay)
                attempt += 1
                continue
            raise http_error(info, resp.status, resp.reason, data, resp.headers, hints, attempt)

    def get(self, path, query=None, **kwargs):
        return self.request("GET", path, query=query, **kwargs)

    def get_or_none(self, path, query=None, **kwargs):
        """GET, with None for a 404 instead of ApiNotFound."""
        try:
            return self.get(path, query=query, **kwargs)
        except ApiNotFound:
            return None

    def post(self, path, body, query=None, **kwargs):
        return self.request("POST", path, query=query, body=body, **kwargs)

    def patch(self, path, body, patch_type="strategic", query=None, **kwargs):
        """PATCH with ``patch_type`` strategic (the default, as kubectl), merge or json (a list of ops)."""
        if patch_type not in PATCH_CONTENT_TYPES:
            raise ValueError("unknown patch type %s: choose one of %s" % (patch_type, ", ".join(sorted(PATCH_CONTENT_TYPES))))
        if patch_type == "json" and not isinstance(body, list):
            raise ValueError("a json patch is a list of operations")
        return self.request("PATCH", path, query=query, body=body, content_type=PATCH_CONTENT_TYPES[patch_type],
                            **kwargs)

    def delete(self, path, body=None, query=None, **kwargs):
        """DELETE; with a ``body`` (DeleteOptions) the server reads the options from it, not from the query."""
        return self.request("DELETE", path, query=query, body=body, **kwargs)

    def watch(self, path, query=None, timeout_seconds=60):
        """Yield ``(type, object)`` events (plain dicts) of a watch on a list path until the server ends it.

        The server closes the watch after ``timeout_seconds``; a silence well
        past that, a refused watch (403 without the watch verb) or a broken
        connection is an ApiError, so a caller can fall back to polling.
        """
        seconds = max(int(timeout_seconds), 1)
        info = Request("GET", path, self.host, watch=True)
        url = self.url(path, query_pairs(query) + [("watch", "true"), ("timeoutSeconds", str(seconds))])
        connect = min(self.request_timeout, seconds + WATCH_GRACE_SECONDS)
        try:
            resp = self._pool().request("GET", url, headers=self.headers(), preload_content=False, retries=False,
                                        timeout=urllib3.Timeout(connect=connect, read=seconds + WATCH_GRACE_SECONDS))
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise transport_error(info, exc, connect)
        try:
            if resp.status != 200:
                raise http_error(info, resp.status, resp.reason, resp.data, resp.headers)
            for line in _lines(resp):
                try:
                    event = json.loads(line)
                except ValueError:
                    raise not_json_error(info, resp.status, line, resp.headers)
                yield event.get("type"), event.get("object")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise transport_error(info, exc, seconds + WATCH_GRACE_SECONDS)
        finally:
            resp.release_conn()
            resp.close()

    def watch_object(self, list_path, obj, timeout_seconds):
        """Newer versions of ``obj`` (a named object listed under ``list_path``) as the server sends them.

        Starts at the object's resourceVersion, so no change after it was
        read is missed. Yields None and ends when the object is deleted or on
        an ERROR event (410: that version is too old); also ends when the
        server closes the watch. The caller re-reads in every case.
        """
        meta = obj["metadata"]
        query = [("fieldSelector", "metadata.name=" + meta["name"]), ("resourceVersion", meta.get("resourceVersion"))]
        for kind, new in self.watch(list_path, query, timeout_seconds):
            if kind in ("ADDED", "MODIFIED"):
                yield new
            elif kind != "BOOKMARK":
                yield None
                return


def _decode(info, resp, data):
    if not data:
        return None
    try:
        return json.loads(_text(data))
    except ValueError:
        raise not_json_error(info, resp.status, data, resp.headers)


def _lines(resp):
    """Lines of a streamed (chunked) response as they arrive; a watch sends one JSON event per line."""
    buffered = b""
    for chunk in resp.stream(amt=None, decode_content=True):
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            if line.strip():
                yield _text(line)
    if buffered.strip():
        yield _text(buffered)
