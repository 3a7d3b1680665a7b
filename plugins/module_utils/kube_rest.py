# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Plain REST calls on the Kubernetes API through the client's ``ApiClient``: dicts in, dicts out.

Why not ``CoreV1Api``: kubernetes client 37 builds some 250 pydantic models the
first time ``kubernetes.client.CoreV1Api`` is touched, 1-2 s of every module
call, while the API work itself takes under 0.1 s. Everything a request needs
is already on the ``ApiClient`` that kube_auth builds: the urllib3 pool
(``rest_client``: CA, client cert, verify_ssl, proxy), the configuration
(bearer token and its refresh hook) and the default headers (User-Agent,
Impersonate-*). So this layer sends JSON to an API path and returns the
decoded JSON; no generated API class or model is ever imported on that path.

Errors are ``kubernetes.client.rest.ApiException`` with ``.status``,
``.reason`` and ``.body`` (the API server's v1 Status as text), exactly what
the generated methods raise, so ``errors.translate_api_error`` is unchanged.

The pure parts (paths, query strings, exception building) need no library
and are unit tested on their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from urllib.parse import quote, urlencode

try:
    from urllib3 import exceptions as urllib3_errors
except ImportError:  # urllib3 comes with kubernetes
    urllib3_errors = None

try:
    from kubernetes.client.rest import ApiException
except ImportError:  # reported by kube_auth.require_kubernetes before any call
    class ApiException(Exception):  # type: ignore[no-redef]
        """Stand-in with the attributes errors.py reads, so the pure parts work without the library."""

        def __init__(self, status=None, reason=None, http_resp=None):
            super(ApiException, self).__init__(reason)
            self.status = status
            self.reason = reason
            self.body = None
            self.headers = None


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


def api_exception(status, reason, body=None, headers=None):
    """An ApiException as the generated client raises it (``status``, ``reason``, ``body`` as text).

    Built field by field rather than from a response: the constructor's
    keyword arguments differ between client versions, the attributes do not.
    """
    exc = ApiException(status=status, reason=reason)
    exc.body = _text(body)
    exc.headers = headers
    return exc


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


def _response_data(resp):
    # Client 37 reads the body lazily (read()); older clients preloaded it into .data.
    data = getattr(resp, "data", None)
    if data is None and callable(getattr(resp, "read", None)):
        data = resp.read()
    return data


def _response_headers(resp):
    headers = getattr(resp, "headers", None)
    if headers is None and callable(getattr(resp, "getheaders", None)):
        headers = resp.getheaders()
    return headers


# --- the client ---------------------------------------------------------------


class KubeRest(object):
    """GET/POST/PATCH/DELETE on API paths with an ``ApiClient`` from kube_auth.get_api_client.

    Bodies are plain dicts (or lists for a JSON patch), answers are decoded
    JSON. Every request carries the client's default headers (impersonation,
    User-Agent) and fresh auth headers; TLS and proxy are the client's pool's.
    """

    def __init__(self, api_client):
        self.api_client = api_client

    @classmethod
    def of(cls, api):
        """A KubeRest for ``api``: a KubeRest, an ApiClient, or anything with an ``api_client`` (a CoreV1Api)."""
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
        """Default headers + cookie + auth, as the generated client would send them."""
        headers = dict(self.api_client.default_headers)
        cookie = getattr(self.api_client, "cookie", None)
        if cookie:
            headers["Cookie"] = cookie
        headers.update(auth_headers(self.configuration))
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def request(self, method, path, query=None, body=None, content_type=JSON, accept=JSON, timeout=None,
                decode=True):
        """Send one request; decoded JSON (or raw bytes with ``decode=False``); ApiException unless 2xx.

        ``timeout`` is seconds (or a (connect, read) pair), None waits as long
        as the generated client would (forever).
        """
        headers = self.headers(accept, content_type if body is not None else None)
        # Keyword arguments only: the positional order of request() changed between client versions.
        resp = self.api_client.rest_client.request(method, self.url(path, query), headers=headers, body=body,
                                                   _request_timeout=timeout)
        data = _response_data(resp)
        if not 200 <= resp.status <= 299:
            raise api_exception(resp.status, resp.reason, data, _response_headers(resp))
        if not decode:
            return data
        if not data:
            return None
        return json.loads(_text(data))

    def get(self, path, query=None, **kwargs):
        return self.request("GET", path, query=query, **kwargs)

    def post(self, path, body, query=None, **kwargs):
        return self.request("POST", path, query=query, body=body, **kwargs)

    def patch(self, path, body, patch_type="strategic", query=None, **kwargs):
        """PATCH with ``patch_type`` strategic (the default, as kubectl), merge or json (a list of ops)."""
        if patch_type not in PATCH_CONTENT_TYPES:
            raise ValueError("unknown patch type %s: choose one of %s" % (patch_type, ", ".join(sorted(PATCH_CONTENT_TYPES))))
        if patch_type == "json" and not isinstance(body, list):
            # Client 37 would quietly send a non-list as a strategic merge patch: say so instead.
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
        connection is an ApiException, so a caller can fall back to polling.
        Goes to the client's urllib3 pool directly: rest_client.request reads
        whole bodies (older clients) and a watch body never ends by itself.
        """
        seconds = max(int(timeout_seconds), 1)
        url = self.url(path, query_pairs(query) + [("watch", "true"), ("timeoutSeconds", str(seconds))])
        pool = self.api_client.rest_client.pool_manager
        try:
            resp = pool.request("GET", url, headers=self.headers(), preload_content=False, timeout=seconds + 10)
        except urllib3_errors.HTTPError as exc:
            raise api_exception(0, str(exc))
        try:
            if resp.status != 200:
                raise api_exception(resp.status, resp.reason, resp.data, resp.headers)
            for line in _lines(resp):
                event = json.loads(line)
                yield event.get("type"), event.get("object")
        except urllib3_errors.HTTPError as exc:
            raise api_exception(0, str(exc))
        finally:
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
