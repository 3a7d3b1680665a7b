# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Errors a user can act on: what was wrong, with the object's name, and what to do.

Everything in module_utils raises a KdebugError (or a subclass); the module
base (module_base.py) turns it into ``fail_json`` with the message and a
structured ``error_class``, never a traceback. The Kubernetes layer
(kube/failures.py) is where every transport, TLS, HTTP and admission failure
becomes one of the classes below, so every module words a 403 or a refused
connection the same way. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class KdebugError(Exception):
    """A failure to report to the user as is; ``details`` are extra result keys.

    ``error_class`` names the kind of failure in one word; it is in every
    failed result, so a playbook can branch on it
    (``failed_when: result.error_class != 'not_found'``).
    """

    error_class = "error"

    def __init__(self, message, **details):
        super(KdebugError, self).__init__(message)
        self.message = message
        self.details = details

    def result(self):
        """The keys of a failed module result: msg, error_class and the details."""
        result = dict(self.details)
        result["msg"] = self.message
        result["error_class"] = self.error_class
        return result


class OptionError(KdebugError):
    """An option value that cannot work (a negative timeout, a profile that does not exist)."""

    error_class = "option"


class ConfigError(KdebugError):
    """Credentials or a kubeconfig that cannot be used (missing file, malformed YAML, unknown context)."""

    error_class = "config"


class StartError(KdebugError):
    """Something kdebug created cannot start and will not by waiting (image pull, container config, exit)."""

    error_class = "cannot_start"


class ImagePullError(StartError):
    """The tools image cannot be pulled: a pull secret is missing, has no credentials for the image's registry, or
    the registry refused them. ``registry``, ``image`` and ``image_pull_secrets`` are in the result."""

    error_class = "image_pull"


class WaitTimeout(KdebugError):
    """What kdebug waited for (a container to run, an object to go away) did not happen within wait_timeout."""

    error_class = "wait_timeout"


class Interrupted(BaseException):
    """The module was told to stop (SIGINT, SIGTERM: Ctrl-C or a killed ansible-playbook) in the middle of its work.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way swallows it: it runs every
    ``finally`` and the handlers that remove what the task had created (module_base.run_module raises it).
    """

    error_class = "interrupted"

    def __init__(self, signal_name):
        super(Interrupted, self).__init__(signal_name)
        self.message = ("interrupted by %s: stopped before the end; what this task had created so far was removed "
                        "where it could be (see cleaned_up and left_behind)." % signal_name)
        self.details = {}

    def result(self):
        result = dict(self.details)
        result["msg"] = self.message
        result["error_class"] = self.error_class
        return result


class MissingLibrary(KdebugError):
    """A Python library the module needs is not installed where it runs."""

    error_class = "missing_library"


# --- failures of the Kubernetes API (built by kube/failures.py) ---------------------------------------------


class ApiError(KdebugError):
    """Any failure talking to the API server. ``endpoint`` is the server, ``status`` the HTTP status (None: no answer)."""

    error_class = "api"

    def __init__(self, message, status=None, endpoint=None, server_message=None, **details):
        super(ApiError, self).__init__(message, **details)
        self.status = status
        self.endpoint = endpoint
        self.server_message = server_message

    def result(self):
        result = super(ApiError, self).result()
        result.setdefault("api_status", self.status)
        return result


class ApiUnreachable(ApiError):
    """No connection: refused, no route, the host name does not resolve."""

    error_class = "unreachable"


class ApiTlsError(ApiError):
    """The TLS handshake failed: unknown CA, host name mismatch, expired certificate, not TLS at all."""

    error_class = "tls"


class ApiProxyError(ApiError):
    """The proxy refused or failed the connection."""

    error_class = "proxy"


class ApiTimeout(ApiError):
    """No answer within request_timeout."""

    error_class = "timeout"


class ApiBadResponse(ApiError):
    """An answer that is not the API's JSON: an HTML page, a proxy's error text, a cut body."""

    error_class = "bad_response"


class ApiServerError(ApiError):
    """HTTP 5xx (after the retries), or 429 that did not clear within the deadline."""

    error_class = "server_error"


class ApiUnauthorized(ApiError):
    """HTTP 401: the credentials were not accepted."""

    error_class = "unauthorized"


class ApiDenied(ApiError):
    """HTTP 403, classified once: ``denied_by`` is rbac, pod_security, resource_quota, admission_webhook or admission.

    ``denial`` holds what the classification found (the verb and resource for
    RBAC, the level and violations for PodSecurity, the quota, the webhook).
    """

    error_class = "denied"

    def __init__(self, message, denied_by, denial=None, **kwargs):
        super(ApiDenied, self).__init__(message, **kwargs)
        self.denied_by = denied_by
        self.denial = denial or {}

    def result(self):
        result = super(ApiDenied, self).result()
        result["denied_by"] = self.denied_by
        result["denial"] = self.denial
        return result


class ApiNotFound(ApiError):
    """HTTP 404."""

    error_class = "not_found"


class ApiConflict(ApiError):
    """HTTP 409: it exists already, or a precondition (uid, resourceVersion) no longer holds."""

    error_class = "conflict"


class ApiInvalid(ApiError):
    """HTTP 400 or 422: the server refused the request's content."""

    error_class = "invalid"


class ApiGone(ApiError):
    """HTTP 410: a watch's resourceVersion is too old."""

    error_class = "gone"
