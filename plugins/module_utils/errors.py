# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Errors a user can act on: what was wrong, with the object's name, and what to do.

module_utils raise KdebugError; each module turns it into ``fail_json`` (no
traceback). API errors are translated here once, so every module words a 403
or a 404 the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class KdebugError(Exception):
    """A failure to report to the user as is; ``details`` are extra result keys."""

    def __init__(self, message, **details):
        super(KdebugError, self).__init__(message)
        self.message = message
        self.details = details


def api_error_message(exc):
    """The API server's own message from an ApiException (its body is a v1 Status)."""
    body = getattr(exc, "body", None)
    if body:
        try:
            status = json.loads(body)
            if isinstance(status, dict) and status.get("message"):
                return status["message"]
        except (TypeError, ValueError):
            pass
    return getattr(exc, "reason", None) or str(exc)


def api_status(exc):
    return getattr(exc, "status", None)


def forbidden_error(exc, verb, resource, namespace=None):
    """A 403 as a sentence naming the verb, the resource and the fix."""
    where = " in namespace %s" % namespace if namespace else " cluster-wide"
    return KdebugError(
        "not allowed to %s %s%s: %s. Grant the caller a Role or ClusterRole with verbs: [%s] on resources: [%s] "
        "(see docs/rbac.md)." % (verb, resource, where, api_error_message(exc), verb, resource),
        missing_permission={"verb": verb, "resource": resource, "namespace": namespace},
    )


def translate_api_error(exc, verb, resource, namespace=None, name=None):
    """KdebugError for an ApiException raised while doing ``verb`` on ``resource``."""
    status = api_status(exc)
    if status == 403:
        return forbidden_error(exc, verb, resource, namespace)
    if status == 401:
        return KdebugError("the API server rejected the credentials (401 Unauthorized): check kubeconfig, "
                           "api_key or the K8S_AUTH_* variables.")
    target = "%s %s" % (resource, name) if name else resource
    if namespace:
        target += " in namespace %s" % namespace
    return KdebugError("could not %s %s: %s (HTTP %s)" % (verb, target, api_error_message(exc), status))
