"""What the integration suite leaves behind: the session-level leak check of tests/integration/conftest.py.

At the start of a session the check lists what is there; at its end it lists again, and every object that is new,
not going away (a deletion under way, or a namespace being removed) and made by this session is a leak, unless a
test declared it (the ``leftover`` fixture). Listed:

* every object labelled ``app.kubernetes.io/managed-by=kdebug``: pods, config maps, secrets, namespaces (Events
  excepted: the API server removes them after its --event-ttl);
* every running kdebug ephemeral container (the env KDEBUG_MANAGED_BY marks it; it cannot be removed, only end);
* every kdebug Docker container, running or not;
* every scratch namespace the session created (``lab.kubectl("create", "namespace", ...)``).

The lab is shared with other runs (developers, other sessions), so "made by this session" is told by who asked:
the session sets KDEBUG_REQUESTED_BY (the modules' default ``requested_by``) to a name of its own, and an object
counts when it carries that requester (for an ephemeral container: its audit Event does), or lives in a namespace
the session created. A test that sets ``requested_by`` itself on an object outside its own namespaces escapes that
net on a shared lab; with KDEBUG_TEST_LAB_ALONE=1 (CI, which has the lab to itself) every new object counts.
"""
import fnmatch
import json
import os
import socket
import uuid

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.audit_event import COMPONENT as EVENT_COMPONENT
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.audit_event import event_name
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import MANAGED_SELECTOR

KUBE_KINDS = "pods,configmaps,secrets,namespaces"
EPHEMERAL_MARK = "KDEBUG_MANAGED_BY"


def session_requester():
    """The ``requested_by`` of this session's objects: unique per session, readable in the cluster."""
    return "pytest-%s@%s" % (uuid.uuid4().hex[:8], socket.gethostname())


class Found(object):
    """One object of a listing: ``key`` identifies it across listings (uid or container id included)."""

    def __init__(self, kind, namespace, name, uid, requester=None, going=False, detail=""):
        self.kind, self.namespace, self.name, self.uid = kind, namespace, name, uid
        self.requester, self.going, self.detail = requester, going, detail

    @property
    def key(self):
        return (self.kind, self.namespace, self.name, self.uid)

    def __str__(self):
        where = "%s/%s" % (self.namespace, self.name) if self.namespace else self.name
        detail = ": " + self.detail if self.detail else ""
        return "%s %s (requested by %s)%s" % (self.kind, where, self.requester or "?", detail)


def _requester(meta):
    return (meta.get("annotations") or {}).get(metadata.ANNOTATION_REQUESTED_BY)


def kube_objects(lab):
    """Everything kdebug-labelled (Events excepted), running kdebug ephemeral containers, and every namespace
    (``Namespace`` entries for the unlabelled ones, to find scratch namespaces)."""
    namespaces = lab.kubectl_json("get", "namespaces")["items"]
    ending = {n["metadata"]["name"] for n in namespaces
              if n["metadata"].get("deletionTimestamp") or (n.get("status") or {}).get("phase") == "Terminating"}
    found = []
    for item in lab.kubectl_json("get", KUBE_KINDS, "-A", "-l", MANAGED_SELECTOR)["items"]:
        meta = item["metadata"]
        if item["kind"] == "Namespace":
            continue  # below, with every namespace
        going = bool(meta.get("deletionTimestamp")) or meta.get("namespace") in ending
        detail = ((item.get("status") or {}).get("phase") or "") if item["kind"] == "Pod" else ""
        found.append(Found(item["kind"], meta.get("namespace"), meta["name"], meta.get("uid"), _requester(meta),
                           going, detail))
    for item in namespaces:
        meta = item["metadata"]
        labelled = (meta.get("labels") or {}).get(metadata.MANAGED_BY_LABEL) == metadata.MANAGED_BY
        found.append(Found("Namespace" if labelled else "ScratchNamespace", None, meta["name"], meta.get("uid"),
                           _requester(meta), meta["name"] in ending))
    # An ephemeral container has no metadata: its audit Event (named from the pod's uid and the container's name)
    # says who added it.
    event_requesters = {}
    for event in lab.kubectl_json("get", "events", "-A", "-l",
                                  "%s,%s=%s" % (MANAGED_SELECTOR, metadata.COMPONENT_LABEL, EVENT_COMPONENT))["items"]:
        event_requesters[(event["metadata"]["namespace"], event["metadata"]["name"])] = _requester(event["metadata"])
    for pod in lab.kubectl_json("get", "pods", "-A")["items"]:
        meta = pod["metadata"]
        statuses = dict((s["name"], s) for s in (pod.get("status") or {}).get("ephemeralContainerStatuses") or [])
        for container in (pod.get("spec") or {}).get("ephemeralContainers") or []:
            if not any(e.get("name") == EPHEMERAL_MARK for e in container.get("env") or []):
                continue
            if "running" not in ((statuses.get(container["name"]) or {}).get("state") or {}):
                continue
            requester = event_requesters.get((meta["namespace"], event_name(meta["name"], meta.get("uid") or "",
                                                                            container["name"])))
            going = bool(meta.get("deletionTimestamp")) or meta["namespace"] in ending
            found.append(Found("EphemeralContainer", meta["namespace"], "%s/%s" % (meta["name"], container["name"]),
                               meta.get("uid"), requester, going, "running"))
    return found


def docker_containers(lab):
    """Every kdebug Docker container, running or not."""
    ids = lab.docker("ps", "-aq", "--filter", "label=" + MANAGED_SELECTOR).stdout.split()
    if not ids:
        return []
    found = []
    for item in json.loads(lab.docker("inspect", *ids, check=False).stdout or "[]"):
        labels = (item.get("Config") or {}).get("Labels") or {}
        state = item.get("State") or {}
        found.append(Found("DockerContainer", None, item.get("Name", "").lstrip("/"), item["Id"],
                           labels.get(metadata.ANNOTATION_REQUESTED_BY), bool(state.get("Dead")),
                           state.get("Status") or ""))
    return found


def listing(lab):
    return kube_objects(lab) + docker_containers(lab)


def is_declared(item, declared):
    """Whether ``item`` matches a declaration (kind, namespace, name): the name may be a shell pattern."""
    return any(kind == item.kind and namespace == item.namespace and fnmatch.fnmatchcase(item.name, name)
               for kind, namespace, name in declared)


def leaks(before, after, requester, session_namespaces, declared, alone=False):
    """What this session left: objects of ``after`` that are new since ``before`` (a set of keys), not going away,
    not declared (a set of (kind, namespace, name), is_declared), and the session's own (``requester``, or a
    namespace of ``session_namespaces``), or every new one when ``alone``. Pure."""
    left = []
    for item in after:
        if item.key in before or item.going or is_declared(item, declared):
            continue
        if item.kind == "ScratchNamespace":
            ours = item.name in session_namespaces or (alone and item.name.startswith("kdebug-"))
        else:
            ours = alone or item.requester == requester or (item.namespace or item.name) in session_namespaces
        if ours:
            left.append(item)
    return left


class LeakCheck(object):
    """The session's check: ``start`` before the first test, ``finish`` after the last teardown."""

    def __init__(self, lab):
        self.lab = lab
        self.requester = session_requester()
        self.alone = os.environ.get("KDEBUG_TEST_LAB_ALONE") == "1"
        self.namespaces = set()
        self.declared = set()
        self.before = None
        self.left = None

    def start(self):
        os.environ["KDEBUG_REQUESTED_BY"] = self.requester
        self.before = {item.key for item in listing(self.lab)}

    def declare(self, kind, namespace, name):
        self.declared.add((kind, namespace, name))

    def finish(self):
        if self.before is None:
            return []
        return leaks(self.before, listing(self.lab), self.requester, self.namespaces, self.declared, self.alone)
