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
- lifetime: ``ttl_seconds`` (what kdebug creates ends by itself),
  ``remove_with_run`` (it belongs to this Ansible run) and ``wait_timeout``
  (how long to wait for it to run)
- the agents: ``agent_namespace``, ``image_pull_secrets_mode``
- the audit record: ``requested_by``, ``reason``

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import getpass
import re
import socket

from ansible.module_utils.basic import env_fallback

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
        spec["remove_with_run"] = dict(type="bool", default=False)
    return spec


def agent_namespace_option():
    """Where the node agents run, and how the tools image's pull secrets get there (a pod can only use pull
    secrets of its own namespace): ``reference`` uses those already there, ``copy`` copies them from the target's."""
    return dict(agent_namespace=dict(type="str", default=DEFAULT_AGENT_NAMESPACE),
                image_pull_secrets_mode=dict(type="str", default="reference", choices=list(PULL_SECRETS_MODES)))


def audit_options():
    """Who asked and why: on every object and record kdebug creates (docs/options.md)."""
    return dict(
        # KDEBUG_REQUESTED_BY: a CI job or a wrapper names who asked once for every task (the test suite names its
        # session with it, to tell its own objects from those of other runs on a shared cluster).
        requested_by=dict(type="str", fallback=(env_fallback, ["KDEBUG_REQUESTED_BY"])),
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


# Kubernetes object names, as the API server checks them (k8s.io/apimachinery validation): a DNS-1123 label for
# namespaces and containers, a DNS-1123 subdomain for pods and nodes.
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = re.compile(r"^%s\Z" % _LABEL)
DNS_SUBDOMAIN = re.compile(r"^%s(\.%s)*\Z" % (_LABEL, _LABEL))
# option -> (what it names, pattern, longest name, how to find the right one)
NAME_OPTIONS = (
    ("pod", "pod", DNS_SUBDOMAIN, 253, "kubectl get pods -n <namespace> lists them"),
    ("namespace", "namespace", DNS_LABEL, 63, "kubectl get namespaces lists them"),
    ("container", "container", DNS_LABEL, 63, "kubectl get pod <pod> -o jsonpath='{.spec.containers[*].name}'"),
    ("node", "node", DNS_SUBDOMAIN, 253, "kubectl get nodes lists them"),
    ("agent_namespace", "namespace", DNS_LABEL, 63, "a namespace name such as kdebug-system"),
)


def name_problem(option, value, what="name", pattern=DNS_SUBDOMAIN, longest=253, hint=""):
    """Why ``value`` cannot be a Kubernetes ``what`` name given as ``option`` (a sentence with the fix), or None."""
    if value is None:
        return None
    text = str(value)
    shown = repr(text) if len(text) <= 80 else repr(text[:60]) + "... (%d characters)" % len(text)
    if not text.strip():
        why = "is empty"
    elif len(text) > longest:
        why = "is longer than the %d characters a %s name may have" % (longest, what)
    elif not pattern.match(text):
        why = ("is not a valid %s name: lower-case letters, digits and '-'%s, starting and ending with a letter or "
               "digit" % (what, ", '.'" if pattern is DNS_SUBDOMAIN else ""))
    else:
        return None
    return "%s %s %s. Fix the %s option%s." % (option, shown, why, option, " (%s)" % hint if hint else "")


def require_valid_names(params, names=NAME_OPTIONS):
    """OptionError naming the first Kubernetes name option that is set and not a name the API server would take.

    Checked before any request: a path-like, empty, over-long or unicode name never reaches a URL, a label or a
    file name, and the message says what is wrong with it instead of the API's 404 or regex.
    """
    for option, what, pattern, longest, hint in names:
        problem = name_problem(option, params.get(option), what, pattern, longest, hint)
        if problem:
            raise OptionError(problem)


# Every int option that only makes sense above zero, in any module.
POSITIVE_OPTIONS = ("timeout", "max_output_bytes", "ttl_seconds", "wait_timeout", "replay_timeout", "request_timeout")


# The largest such number: what the API server, sleep and every timer take (int32; 68 years of seconds, 2 GiB).
MAX_POSITIVE = 2 ** 31 - 1


def require_positive(params, names=POSITIVE_OPTIONS):
    """OptionError naming the first option of ``names`` that is set and not a positive number up to MAX_POSITIVE."""
    for name in names:
        value = params.get(name)
        if value is not None and value <= 0:
            raise OptionError("%s must be a positive number, got %s." % (name, value))
        if value is not None and value > MAX_POSITIVE:
            raise OptionError("%s must be at most %d, got %s." % (name, MAX_POSITIVE, value))


def require_command(params):
    """OptionError for a command that cannot be what the user meant: an empty ``command`` list or ``shell``, or a
    whole command line given as ``command`` (one word with spaces, which no program is called: rc 127)."""
    command, shell = params.get("command"), params.get("shell")
    if command is not None and not [word for word in command if word]:
        raise OptionError("command is empty (%r): give the program and its arguments as a list, for example "
                          "command: [ls, -l, /], or a shell command line as shell." % (command,))
    if command and len(command) == 1 and len(command[0].split()) > 1:
        raise OptionError("command %r is a whole command line in one word: no program has that name. Use shell: %r "
                          "to run it through sh -c, or split it into a list, for example command: %s."
                          % (command[0], command[0], "[" + ", ".join(command[0].split()) + "]"))
    if shell is not None and not shell.strip():
        raise OptionError("shell is empty: give the command line to run with sh -c, for example shell: 'ls -l /'.")


# A Kubernetes quantity, as the API server parses it (k8s.io/apimachinery/pkg/api/resource).
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)\Z")
RESOURCE_SECTIONS = ("limits", "requests")


def require_resources(resources, option="resources"):
    """OptionError naming the first entry of a container's ``resources`` (limits, requests) that the API server would
    refuse, with the value and an example; before anything is created."""
    if not resources:
        return
    for section, amounts in resources.items():
        if section not in RESOURCE_SECTIONS:
            raise OptionError("%s has %r: only limits and requests are allowed, for example %s: {limits: {cpu: 500m, "
                              "memory: 256Mi}}." % (option, section, option))
        if not isinstance(amounts, dict):
            raise OptionError("%s.%s must be a mapping of resource to quantity, for example {cpu: 500m, memory: "
                              "256Mi}, got %r." % (option, section, amounts))
        for resource, amount in amounts.items():
            if isinstance(amount, bool) or not QUANTITY.match(str(amount).strip()):
                raise OptionError("%s.%s.%s %r is not a Kubernetes quantity: use for example 500m or 2 for cpu, "
                                  "256Mi or 1Gi for memory." % (option, section, resource, amount))


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
