# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What kdebug_triage reads through the API, and :func:`gather`, which reads it concurrently.

:class:`TriageFetcher` holds every API call (read the pod, list its events and the namespace's Services, read
log tails, read the node), through kube/client.py. It returns plain dicts, the JSON the API server sent, so its
transport can change without touching the rest. :func:`gather` reads the pod first (a missing pod or namespace
fails the call), then the other pieces concurrently; a piece that cannot be read (missing rights, API error) is
recorded, not raised. transforms/triage.py makes the summaries and checks of what it gathered.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiInvalid
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import list_pod_events, read_log, read_pod
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.triage import (
    DEFAULT_EVENT_LIMIT, DEFAULT_LOG_LINES, LogUnavailable, log_entries, log_plan, select_containers)

# Concurrent API calls after the pod is read.
MAX_WORKERS = 8


class TriageFetcher(object):
    """Every API call kdebug_triage makes, through a KubeClient (plain REST: no generated API class or model).

    Methods return the API's JSON as dicts and raise the ApiError of kube/failures.py, LogUnavailable for a
    log the API does not have.
    """

    def __init__(self, client):
        self.client = client

    def read_pod(self, namespace, name):
        """The pod; a missing namespace and a missing pod are told apart (kube/objects.read_pod)."""
        return read_pod(self.client, namespace, name)

    def list_pod_events(self, namespace, uid):
        return list_pod_events(self.client, namespace, uid)

    def list_services(self, namespace):
        answer = self.client.get(api_path("namespaces", namespace, "services"))
        return (answer or {}).get("items") or []

    def read_log(self, namespace, name, container, previous, tail_lines):
        """(text, truncated): the last ``tail_lines`` lines, at most kube/objects.LOG_LIMIT_BYTES."""
        try:
            return read_log(self.client, namespace, name, container, previous, tail_lines)
        except ApiInvalid as exc:
            raise LogUnavailable(exc.server_message or exc.message)

    def read_node(self, name):
        return self.client.get(api_path("nodes", name))


def _run_jobs(jobs, max_workers=MAX_WORKERS):
    """Run ``{key: callable}`` concurrently; ({key: value}, {key: exception}). Never raises."""
    values, errors = {}, {}
    if not jobs:
        return values, errors

    def call(key):
        try:
            values[key] = jobs[key]()
        except Exception as exc:  # pylint: disable=broad-except
            errors[key] = exc

    if len(jobs) == 1 or max_workers <= 1:
        for key in jobs:
            call(key)
        return values, errors
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        list(pool.map(call, list(jobs)))
    return values, errors


def gather(fetcher, namespace, name, container=None, log_lines=DEFAULT_LOG_LINES, event_limit=DEFAULT_EVENT_LIMIT,
           max_workers=MAX_WORKERS):
    """Read everything triage needs. Raises KdebugError only for the pod itself (or an unknown container).

    Returns ``{pod, selected, events, services, node, logs, errors}``: raw API dicts (None where not read),
    ``selected`` the [(kind, name)] containers looked at, ``logs`` {container: {current, previous, ...}},
    ``errors`` {piece: KdebugError or exception} for the pieces that could not be read.
    """
    pod = fetcher.read_pod(namespace, name)
    selected = select_containers(pod, container)
    jobs = {}
    if event_limit:
        jobs["events"] = lambda: fetcher.list_pod_events(namespace, pod["metadata"].get("uid"))
    jobs["services"] = lambda: fetcher.list_services(namespace)
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node_name:
        jobs["node"] = lambda: fetcher.read_node(node_name)
    plan = log_plan(pod, selected) if log_lines else {}
    for cname, streams in plan.items():
        for stream in streams:
            jobs[("log", cname, stream)] = (
                lambda c=cname, s=stream: fetcher.read_log(namespace, name, c, s == "previous", log_lines))
    values, errors = _run_jobs(jobs, max_workers)
    return {
        "pod": pod,
        "selected": selected,
        "events": values.get("events"),
        "services": values.get("services"),
        "node": values.get("node"),
        "logs": log_entries(pod, selected, plan, values, errors, log_lines),
        "errors": errors,
    }
