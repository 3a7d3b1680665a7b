# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which cluster a task talks to when its host says so (docs/authentication.md, "The cluster of a host").

A host of the kdebug.toolkit.pods inventory carries the connection the pods were
listed with in ``kdebug_connection`` (kubeconfig path and context, or host and the
TLS options: kube/auth.py ``listed_connection``); diagnose.yml and the fleet
playbooks set it from ``-e context=... -e kubeconfig=...``. The action plugins of
the kdebug modules hand it to the module as its auth options, so the task reaches
the cluster its host came from whatever ``$KUBECONFIG`` or ``K8S_AUTH_*`` say:

    task arguments (and module_defaults) > kdebug_connection > K8S_AUTH_* > $KUBECONFIG / ~/.kube/config

A task that names a connection of its own (any of CONNECTION_CHOICE) keeps it whole:
the two are never mixed. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.auth import AUTH_ARG_NAMES

CONNECTION_VAR = "kdebug_connection"
# Task arguments that choose a cluster or a credential: given one, the task's connection is its own.
CONNECTION_CHOICE = ("kubeconfig", "context", "host", "api_key", "username", "password", "client_cert",
                     "client_key")


def _set(value):
    return value not in (None, "", [], {})


def with_connection(module_args, task_vars):
    """A copy of ``module_args`` with the host's ``kdebug_connection`` as auth options, unless the task names its own.

    Raises ValueError for a ``kdebug_connection`` that is not a mapping of auth options.
    """
    module_args = dict(module_args)
    connection = task_vars.get(CONNECTION_VAR)
    if not _set(connection) or any(_set(module_args.get(name)) for name in CONNECTION_CHOICE):
        return module_args
    if not isinstance(connection, dict):
        raise ValueError("%s must be a mapping of Kubernetes auth options (kubeconfig, context, host...), not %r"
                         % (CONNECTION_VAR, type(connection).__name__))
    unknown = sorted(str(name) for name in connection if name not in AUTH_ARG_NAMES)
    if unknown:
        raise ValueError("%s has %s, which %s no Kubernetes auth option (docs/authentication.md)"
                         % (CONNECTION_VAR, ", ".join(unknown), "is" if len(unknown) == 1 else "are"))
    for name, value in connection.items():
        if _set(value) and not _set(module_args.get(name)):
            module_args[name] = value
    return module_args
