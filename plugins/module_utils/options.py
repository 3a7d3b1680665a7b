# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The option vocabulary: one name, one meaning, one default, in every module (docs/options.md).

Each group below is the argument spec of a concept that several modules
share; plugins/doc_fragments/common.py documents the same groups, and
tests/unit check that the two agree. A module's spec is the auth options plus
the groups it needs plus its own options (:func:`module_spec`).

- the target: ``pod`` + ``namespace`` + ``container``
- the tools image: ``image``, ``image_pull_policy``, ``image_pull_secrets``
- lifetime: ``ttl_seconds`` (what kdebug creates ends by itself) and
  ``wait_timeout`` (how long to wait for it to run)
- the agents: ``agent_namespace``, ``image_pull_secrets_mode``
- the audit record: ``requested_by``, ``reason``

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import getpass
import socket

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.auth import auth_argument_spec

# The tools image of kdebug_exec and kdebug_agent: sh, nsenter, dig, curl, tcpdump, ss...
DEFAULT_TOOLS_IMAGE = "docker.io/nicolaka/netshoot:latest"
# The tools image of kdebug_fork: only a static busybox is copied out of it, which runs in any target image.
DEFAULT_FORK_TOOLS_IMAGE = "docker.io/library/busybox:stable"
DEFAULT_AGENT_NAMESPACE = "kdebug-system"
DEFAULT_NAMESPACE = "default"
DEFAULT_TTL_SECONDS = 3600
DEFAULT_WAIT_TIMEOUT = 120
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
# How image_pull_secrets reach the agents' namespace (transforms/pull_secrets.py).
PULL_SECRETS_MODES = ["reference", "copy"]
# `kubectl debug --profile` names; strategies/ephemeral.py holds what each one sets.
PROFILES = ["legacy", "general", "baseline", "restricted", "netadmin", "sysadmin"]
# Linux namespaces a command can join (kdebug_exec join_namespaces).
LINUX_NAMESPACES = ["net", "uts", "ipc", "pid", "mnt", "cgroup"]
# When the options were renamed; the old names keep working as deprecated aliases until then.
ALIAS_REMOVAL_VERSION = "2.0.0"
COLLECTION = "kdebug.toolkit"


def target_options(pod_required=True):
    """The target: ``pod`` in ``namespace``, ``container`` in it (default: the pod's default container)."""
    return dict(
        pod=dict(type="str", required=pod_required),
        namespace=dict(type="str", default=DEFAULT_NAMESPACE),
        container=dict(type="str"),
    )


def tools_image_options(default_image=DEFAULT_TOOLS_IMAGE):
    """The tools image and how to pull it."""
    return dict(
        image=dict(type="str", default=default_image),
        image_pull_policy=dict(type="str", default="IfNotPresent", choices=list(PULL_POLICIES)),
        image_pull_secrets=dict(type="list", elements="str", default=[], no_log=False),
    )


def lifetime_options(wait_timeout=DEFAULT_WAIT_TIMEOUT, ttl=True):
    spec = dict(wait_timeout=dict(type="int", default=wait_timeout))
    if ttl:
        spec["ttl_seconds"] = dict(type="int", default=DEFAULT_TTL_SECONDS)
    return spec


def agent_namespace_option():
    """Where the node agents run, and how the tools image's pull secrets get there (a pod can only use pull
    secrets of its own namespace): ``reference`` uses those already there, ``copy`` copies them from the target's."""
    return dict(agent_namespace=dict(type="str", default=DEFAULT_AGENT_NAMESPACE),
                image_pull_secrets_mode=dict(type="str", default="reference", choices=list(PULL_SECRETS_MODES)))


def audit_options():
    """Who asked and why: on every object and record kdebug creates (docs/options.md)."""
    return dict(
        requested_by=dict(type="str"),
        reason=dict(type="str"),
    )


def deprecated_alias(spec, option, alias):
    """Make ``alias`` a deprecated alias of ``option`` in ``spec`` (the name it had before 1.0)."""
    entry = spec[option]
    entry.setdefault("aliases", []).append(alias)
    entry.setdefault("deprecated_aliases", []).append(
        dict(name=alias, version=ALIAS_REMOVAL_VERSION, collection_name=COLLECTION))
    return spec


def module_spec(*groups, **own):
    """The auth options, then each group (a dict of options), then the module's own options."""
    spec = auth_argument_spec()
    for group in groups:
        spec.update(copy.deepcopy(group))
    spec.update(own)
    return spec


# Every int option that only makes sense above zero, in any module.
POSITIVE_OPTIONS = ("timeout", "max_output_bytes", "ttl_seconds", "wait_timeout", "replay_timeout", "request_timeout")


def require_positive(params, names=POSITIVE_OPTIONS):
    """OptionError naming the first option of ``names`` that is set and not a positive number."""
    for name in names:
        value = params.get(name)
        if value is not None and value <= 0:
            raise OptionError("%s must be a positive number, got %s." % (name, value))


def local_requester():
    """user@host of whoever runs the module."""
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except  # no passwd entry in some containers
        user = "unknown"
    return "%s@%s" % (user, socket.gethostname())


def requested_by(params):
    """Who asked: the option when given, else the user and host running the module."""
    return params.get("requested_by") or local_requester()


def reason(params, default):
    """Why: the option when given, else ``default`` (the module's or the role's name)."""
    return params.get("reason") or default
