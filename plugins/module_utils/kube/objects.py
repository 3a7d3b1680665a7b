# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The object lifecycle every kdebug manager shares: read a pod or a log tail, wait for a state, delete and wait,
ensure by spec hash.

Agents and forks are both "a pod kdebug owns, with a deterministic name and
a hash of what makes it in an annotation": :func:`ensure_by_spec_hash` keeps
one that matches, replaces one that does not, takes the one a concurrent run
created (HTTP 409), and removes the one it created itself when waiting for it
fails (or says in the error that it could not). :func:`delete_and_wait`
deletes with a UID precondition, so a newer object of the same name is never
removed by mistake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import (
    ApiConflict, ApiError, ApiInvalid, ApiNotFound, ApiServerError, ApiTimeout, ApiUnreachable, Interrupted,
    KdebugError, WaitTimeout)
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, dry_run, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import what_was_lost

POLL_SECONDS = 0.25
# How long cleaning up after a failure may take: the failure is what the user waits for.
CLEANUP_TIMEOUT_SECONDS = 15
# Each log tail is cut at this many bytes (the API's limitBytes).
LOG_LIMIT_BYTES = 64 * 1024


def read_pod(client, namespace, name):
    """The pod as a dict; a missing namespace and a missing pod are told apart (KdebugError naming the fix)."""
    try:
        return client.get(pod_path(namespace, name))
    except ApiNotFound:
        raise pod_not_found(client, namespace, name)


def read_node(client, name):
    """The node as a dict; ApiNotFound naming it and how to list the nodes when it is not there."""
    try:
        return client.get(api_path("nodes", name))
    except ApiNotFound:
        raise ApiNotFound("node %s not found: check the node option (kubectl get nodes lists them)." % name,
                          status=404, endpoint=client.host)


def pod_not_found(client, namespace, name):
    """The ApiNotFound to raise for a pod that is not there: is it the namespace that is missing (one read)?"""
    try:
        client.get(api_path("namespaces", namespace))
    except ApiNotFound:
        return ApiNotFound("namespace %s not found: check the namespace option (kubectl get namespaces)." % namespace,
                           status=404, endpoint=client.host)
    except ApiError:
        pass  # no right to read namespaces: we cannot tell the two apart; say the pod
    return ApiNotFound("pod %s not found in namespace %s: check the pod name (kubectl get pods -n %s)."
                       % (name, namespace, namespace), status=404, endpoint=client.host)


def list_pods(client, namespace):
    """{name: pod} of every pod in the namespace, in one request."""
    return dict((pod["metadata"]["name"], pod) for pod in client.get(pod_path(namespace)).get("items") or [])


def list_pod_events(client, namespace, uid):
    """The events whose involved object is this pod (by UID, so an earlier pod of the same name is left out)."""
    answer = client.get(api_path("namespaces", namespace, "events"),
                        query={"fieldSelector": "involvedObject.uid=%s" % uid})
    return (answer or {}).get("items") or []


# What the kubelet answers for the log of a container run it has removed meanwhile (a crash-looping container's
# previous run goes when the next one ends), in place of the log.
LOG_GONE = re.compile(r"^unable to retrieve container logs for [a-z0-9-]+://[0-9a-f]+\s*$")
LOG_GONE_PAUSE_SECONDS = 0.5


def read_log(client, namespace, name, container, previous, tail_lines):
    """(text, truncated): the last ``tail_lines`` lines of a container's log (its previous run's with ``previous``),
    at most LOG_LIMIT_BYTES. A log the API does not have (not started, no previous run) is ApiInvalid (HTTP 400).

    A run the kubelet removed while it was asked for (the container restarted) is asked for once more: "previous"
    is then the run after it; ApiInvalid when that one is gone too."""
    for attempt in (1, 2):
        data, gone = _log_or_gone(client, namespace, name, container, previous, tail_lines)
        if gone is None:
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
            return text, len(data) >= LOG_LIMIT_BYTES
        if attempt == 1:
            time.sleep(LOG_GONE_PAUSE_SECONDS)
    raise ApiInvalid("the %slog of container %s of pod %s/%s is gone: the kubelet answered \"%s\" (it removed that "
                     "run while it was read, as a restarting container's older runs are). Read it again once the "
                     "container has restarted." % ("previous " if previous else "", container, namespace, name, gone),
                     server_message=gone)


def _log_or_gone(client, namespace, name, container, previous, tail_lines):
    """(the log's bytes, None), or (None, the kubelet's words) when it answered LOG_GONE, in the body or as a 400."""
    try:
        data = client.get(pod_path(namespace, name, "log"),
                          query={"container": container, "previous": bool(previous), "tailLines": int(tail_lines),
                                 "limitBytes": LOG_LIMIT_BYTES},
                          accept="text/plain, */*", decode=False) or b""
    except ApiInvalid as err:
        words = err.server_message or err.message or ""
        if not LOG_GONE.match(words):
            raise
        return None, words.strip()
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return (None, text.strip()) if LOG_GONE.match(text) else (data, None)


def wait_for(read, check, timeout, what, watch=None):
    """Call ``read()`` until ``check(obj)`` returns True (done) or raises; KdebugError at the timeout.

    ``watch(obj, seconds)``, when given, yields newer versions of ``obj`` as
    the API server sends them, and None when it is gone
    (KubeClient.watch_object): a change is seen the moment it happens instead
    of up to a poll period later, which is most of the wait for a container
    to start. When the watch ends it is re-read and watched again; when it
    cannot be used (no watch right, broken stream) the wait goes on by
    polling. A read that fails for good (denied, not found...) ends the wait
    with its own error; one the API server may get over (API_OUTAGES: it is
    restarting, overloaded, or its connection broke) is tried again until the
    timeout, which then says how long the API server had not answered.
    """
    deadline = time.monotonic() + timeout
    outage = Outage()
    obj = outage.read(read, deadline, what)
    while True:
        if not outage.since and check(obj):  # through an outage there is nothing new to check
            return obj
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise outage.timeout(timeout, what)
        changes = 0
        if watch is not None and not outage.since:
            try:
                for new in watch(obj, remaining):
                    changes += 1
                    if new is None:  # deleted, or the watch's version expired: read() tells which
                        break
                    obj = new
                    if check(obj):
                        return obj
                    if time.monotonic() >= deadline:
                        break
            except API_OUTAGES:
                pass  # read() below says whether the API server is back
            except ApiError:
                watch = None
        if not changes:  # polling, or a watch that ended at once: do not hammer the API server
            pause = OUTAGE_POLL_SECONDS if outage.since else POLL_SECONDS
            time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        obj = outage.read(read, deadline, what, obj)


# Failures of a read that the API server gets over by itself: it restarts (connection refused), it is too slow
# (the request's own timeout), it answers 5xx for a while (etcd away). A wait goes on through them.
API_OUTAGES = (ApiUnreachable, ApiTimeout, ApiServerError)
OUTAGE_POLL_SECONDS = 1.0


class Outage(object):
    """How long the reads of one wait have been failing with API_OUTAGES (``since``: monotonic, or None)."""

    def __init__(self):
        self.since, self.error = None, None

    def read(self, read, deadline, what, last=None):
        """``read()``; through an outage, ``last`` (the last object read) until the deadline."""
        try:
            obj = read()
        except API_OUTAGES as err:
            if self.since is None:
                self.since = time.monotonic()
            self.error = err
            if time.monotonic() >= deadline:
                raise self.timeout(None, what)
            return last
        self.since, self.error = None, None
        return obj

    def timeout(self, timeout, what):
        if self.since is None:
            return WaitTimeout("timed out after %ss waiting for %s." % (timeout, what))
        return WaitTimeout("timed out waiting for %s: the API server has not answered for the last %.0fs (%s). It "
                           "may be restarting or overloaded: check it (kubectl get --raw /readyz) and run again."
                           % (what, time.monotonic() - self.since, self.error.message))


def object_path(obj):
    """The API path of a core/v1 object (a Pod, a Namespace) from its own metadata."""
    meta = obj["metadata"]
    kind = obj.get("kind", "Pod")
    if kind == "Namespace":
        return api_path("namespaces", meta["name"])
    return api_path("namespaces", meta["namespace"], kind.lower() + "s", meta["name"])


def delete_and_wait(client, path, expected_uid=None, wait=True, wait_timeout=60, check_mode=False,
                    grace_period_seconds=0, what=None):
    """(old object or None, changed): delete the object at ``path`` when it is there (and has ``expected_uid``).

    The delete carries a UID precondition (the object read, or
    ``expected_uid``), so an object replaced meanwhile is left alone; in
    check mode it is a server-side dry run. With ``wait``, returns once the
    object (that UID) is gone.
    """
    existing = client.get_or_none(path)
    if existing is None or (expected_uid and existing["metadata"]["uid"] != expected_uid):
        return None, False
    uid = existing["metadata"]["uid"]
    # With a body, the API server reads the options from it and ignores the query string: dryRun goes in both.
    body = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": uid},
            "gracePeriodSeconds": grace_period_seconds}
    if check_mode:
        body["dryRun"] = [dry_run(True)]
    try:
        client.delete(path, body=body, query={"dryRun": dry_run(check_mode)})
    except (ApiNotFound, ApiConflict):
        return existing, False  # gone already, or replaced by a newer object of the same name
    if wait and not check_mode:
        name = what or "%s %s" % (existing.get("kind", "object").lower(), existing["metadata"]["name"])
        wait_for(lambda: client.get_or_none(path), lambda obj: obj is None or obj["metadata"]["uid"] != uid,
                 wait_timeout, "%s to go away (kubectl get -o yaml shows its finalizers)" % name)
    return existing, True


def ensure_by_spec_hash(client, desired, why_replace, check_mode=False, wait_until_ready=None, wait_timeout=120,
                        what=None, hints=None):
    """(object, created, note): the object ``desired`` describes, reused, created or replaced.

    ``why_replace(existing, desired)`` returns None when an existing object
    will do, else a sentence (it may raise KdebugError when the name is taken
    by something kdebug must not touch). ``wait_until_ready(obj)`` returns the
    object once it is usable; when it fails for an object this call created,
    the object is deleted (or, when that fails too, named in the error's
    ``left_behind``) before the error goes on.
    """
    path = object_path(desired)
    list_path = path.rsplit("/", 1)[0]
    what = what or "%s %s" % (desired.get("kind", "object").lower(), desired["metadata"]["name"])
    note = None
    existing = client.get_or_none(path)
    if existing is not None:
        why = why_replace(existing, desired)
        if why is None:
            if wait_until_ready and not check_mode:
                existing = wait_until_ready(existing)
            return existing, False, None
        note = "%s the existing %s: %s" % ("would replace" if check_mode else "replaced", what, why)
        if check_mode:
            return desired, True, note  # a dry-run create would meet the object that is still there
        delete_and_wait(client, path, expected_uid=existing["metadata"]["uid"], wait_timeout=wait_timeout, what=what)
    try:
        created = client.post(list_path, desired, query={"dryRun": dry_run(check_mode)}, hints=hints)
    except ApiConflict:
        # Another run created it first: take it when it is the same thing.
        current = client.get_or_none(path)
        if current is None or why_replace(current, desired) is not None:
            raise KdebugError("%s was created at the same time by another run, with other options: run again." % what)
        if wait_until_ready and not check_mode:
            current = wait_until_ready(current)
        return current, False, "another run created the %s at the same time" % what
    if wait_until_ready and not check_mode:
        try:
            created = wait_until_ready(created)
        except (KdebugError, Interrupted) as err:
            raise remove_after_failure(client, path, created, err, what)
    return created, True, note


def remove_after_failure(client, path, created, err, what):
    """``err``, after deleting the object this run created; or naming it in ``left_behind`` when that failed too."""
    meta = created["metadata"]
    try:
        delete_and_wait(client, path, expected_uid=meta.get("uid"), wait=False, wait_timeout=CLEANUP_TIMEOUT_SECONDS)
        err.details.setdefault("cleaned_up", []).append(
            {"kind": created.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"]})
        if "was deleted" not in err.message:
            err.message = err.message.rstrip() + " The %s this run created was deleted." % what
    except KdebugError as cleanup_err:
        err.details.setdefault("left_behind", []).append(
            {"kind": created.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
             "why": cleanup_err.message})
        err.message = err.message.rstrip() + (" The %s this run created could not be deleted (%s): it ends by itself "
                                              "at its TTL, or run the cleanup playbook." % (what, cleanup_err.message))
    return err


# After a command was killed by a signal or its stream broke: how long the pod's status may take to show why
# (the kubelet reports a container's end at its next relist, about a second later).
LOSS_SETTLE_SECONDS = 5


def settled_loss(client, pod, container, debug_container=None):
    """pods.what_was_lost for ``pod`` (read before the command) as the API tells it now, waiting up to
    LOSS_SETTLE_SECONDS for the kubelet to report an ended container; None when nothing was lost."""
    meta = pod["metadata"]
    path = pod_path(meta["namespace"], meta["name"])

    def lost(current):
        return what_was_lost(pod, current, container, debug_container) is not None
    try:
        current = wait_for(lambda: client.get_or_none(path), lost, LOSS_SETTLE_SECONDS, "the pod's status",
                           watch=lambda obj, seconds: client.watch_object(pod_path(meta["namespace"]), obj, seconds)
                           if obj is not None else iter(()))
    except WaitTimeout:
        return None
    return what_was_lost(pod, current, container, debug_container)
