# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The fork transform (transforms/fork.py) as a pure function over a table of pod specs, edit by edit, and the
other pure helpers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import re

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import fork as F
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import BoundedOutput, ExecOutcome
from ansible_collections.kdebug.toolkit.plugins.modules import kdebug_fork

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NOW = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=datetime.timezone.utc)
PROBE = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5}


def opts(**kw):
    kw.setdefault("image", "kdebug.local/tools:1")
    kw.setdefault("requester", "sre@host")
    kw.setdefault("now", NOW)
    return F.default_options(**kw)


def deployment_pod():
    """Like kdebug-demo/crashy as the API returns it."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "crashy-784f45c6dc-rx58b", "generateName": "crashy-784f45c6dc-", "namespace": "kdebug-demo",
            "uid": "u-1", "resourceVersion": "123", "creationTimestamp": "2026-11-26T10:00:00Z",
            "labels": {"app": "crashy", "tier": "backend", "pod-template-hash": "784f45c6dc"},
            "annotations": {"prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "crashy-784f45c6dc",
                                 "uid": "rs-1", "controller": True, "blockOwnerDeletion": True}],
            "managedFields": [{"manager": "kube-controller-manager"}],
        },
        "spec": {
            "nodeName": "kdebug-lab", "restartPolicy": "Always", "priority": 0,
            "preemptionPolicy": "PreemptLowerPriority", "terminationGracePeriodSeconds": 2,
            "containers": [{
                "name": "app", "image": "kdebug.local/busybox:1.35", "imagePullPolicy": "Never",
                "command": ["sh", "-c"], "args": ["echo 'crashy starting'; exit 1"],
                "ports": [{"containerPort": 8080, "hostPort": 18080, "name": "http", "protocol": "TCP"}],
                "readinessProbe": PROBE, "livenessProbe": PROBE,
                "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "sleep 1"]}}},
                "volumeMounts": [{"name": "kube-api-access-x", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                "resources": {"requests": {"cpu": "50m"}, "limits": {"memory": "64Mi"}},
            }],
            "volumes": [{"name": "kube-api-access-x", "projected": {"sources": []}}],
            "ephemeralContainers": [{"name": "debugger-1", "image": "kdebug.local/tools:1"}],
        },
        "status": {"phase": "Running", "containerStatuses": []},
    }


def noshell_pod():
    """No command in the spec: the image's ENTRYPOINT runs with args."""
    return {
        "metadata": {"name": "noshell-crash", "namespace": "scratch", "labels": {"app": "noshell-crash"}},
        "spec": {"containers": [{"name": "app", "image": "kdebug.local/noshell:1", "args": ["crash"],
                                 "startupProbe": PROBE}]},
    }


def job_pod():
    return {
        "metadata": {
            "name": "migrate-x7k2p", "namespace": "jobs", "generateName": "migrate-",
            "labels": {"job-name": "migrate", "batch.kubernetes.io/controller-uid": "j-1", "controller-uid": "j-1"},
            "finalizers": ["batch.kubernetes.io/job-tracking"],
            "ownerReferences": [{"kind": "Job", "name": "migrate", "uid": "j-1", "controller": True}],
        },
        "spec": {"restartPolicy": "Never", "activeDeadlineSeconds": 600, "nodeName": "n1",
                 "containers": [{"name": "migrate", "image": "busybox", "command": ["sh", "-c", "exit 3"]}]},
    }


def statefulset_pod():
    return {
        "metadata": {"name": "db-0", "namespace": "data",
                     "labels": {"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"},
                     "ownerReferences": [{"kind": "StatefulSet", "name": "db", "uid": "s-1", "controller": True}]},
        "spec": {"hostname": "db-0", "subdomain": "db", "nodeName": "n1",
                 "containers": [{"name": "db", "image": "busybox", "command": ["sh", "-c", "exit 2"],
                                 "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]},
    }


def multi_pod():
    return {
        "metadata": {"name": "multi", "namespace": "kdebug-demo", "labels": {"app": "multi"},
                     "annotations": {"kubectl.kubernetes.io/default-container": "app"}},
        "spec": {
            "initContainers": [
                {"name": "setup", "image": "busybox", "command": ["true"]},
                {"name": "proxy", "image": "busybox", "restartPolicy": "Always", "command": ["sleep", "1d"],
                 "readinessProbe": PROBE, "ports": [{"containerPort": 15000, "hostPort": 15000}]},
            ],
            "containers": [
                {"name": "sidecar", "image": "busybox", "command": ["sleep", "2147483647"], "livenessProbe": PROBE},
                {"name": "app", "image": "busybox", "command": ["httpd", "-f"], "readinessProbe": PROBE,
                 "env": [{"name": "MODE", "value": "prod"}, {"name": "KEEP", "value": "1"}]},
            ],
        },
    }


def node(name, taints=None, ready="True", labels=None):
    return {"metadata": {"name": name, "labels": dict({"kubernetes.io/hostname": name}, **(labels or {}))},
            "spec": {"taints": taints or []}, "status": {"conditions": [{"type": "Ready", "status": ready}]}}


NODES = [node("n1"), node("n2"), node("n3", taints=[{"key": "dedicated", "value": "tools", "effect": "NoSchedule"}])]


def daemonset_pod():
    """A crash-looping hostNetwork DaemonSet pod, pinned to n1 as the DaemonSet controller pins it."""
    return {
        "metadata": {"name": "agent-x7k2p", "namespace": "kube-system", "labels": {"app": "agent"},
                     "ownerReferences": [{"kind": "DaemonSet", "name": "agent", "controller": True}]},
        "spec": {
            "nodeName": "n1", "hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet",
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}},
            "tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "agent", "image": "busybox", "command": ["agent", "--listen", ":9100"],
                            "ports": [{"containerPort": 9100, "hostPort": 9100, "protocol": "TCP"}]}],
        },
    }


def _pinned(fork):
    terms = ((((fork["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    return [f for t in terms for f in t.get("matchFields") or [] if f["key"] == "metadata.name"]


def _avoids_source(source, o):
    return bool(source["spec"].get("hostNetwork") and source["spec"].get("nodeName") and not o["same_node"]
                and o["other_node"] is not False and o["nodes"] is not None)


def containers_of(pod):
    return dict((c["name"], c) for c in pod["spec"]["containers"])


def inits_of(pod):
    return dict((c["name"], c) for c in pod["spec"].get("initContainers") or [])


# --- the transform ----------------------------------------------------------------

def everything_pod():
    """A source on which every edit has something to change (with EVERYTHING_OPTIONS)."""
    pod = deployment_pod()
    pod["metadata"]["finalizers"] = ["example.com/hold"]
    pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] = "sidecar"
    pod["spec"]["containers"].append({"name": "sidecar", "image": "busybox", "command": ["sleep", "1d"],
                                      "startupProbe": PROBE})
    pod["spec"]["initContainers"] = [{"name": "setup", "image": "busybox", "command": ["true"]}]
    pod["spec"]["hostNetwork"] = True
    pod["spec"]["affinity"] = daemonset_pod()["spec"]["affinity"]
    return pod


EVERYTHING_OPTIONS = dict(container="app", target_image="busybox:debug", env={"MODE": "debug"}, share_processes=True,
                          keep_init_containers=False, image_pull_secrets=["pull"], keep_labels=["tier"], nodes=NODES)
SOURCES = [deployment_pod, noshell_pod, job_pod, statefulset_pod, multi_pod, everything_pod, daemonset_pod]
OPTIONS = [dict(), dict(same_node=True, ttl_seconds=120, share_processes=False, keep_annotations=["prometheus.io/scrape"]),
           dict((k, v) for k, v in EVERYTHING_OPTIONS.items() if k != "container")]


def _target(source, fork):
    name = fork["metadata"]["annotations"]["kdebug.io/held-container"]
    return containers_of(source)[name], containers_of(fork)[name]


def _all_containers(fork):
    return fork["spec"]["containers"] + fork["spec"]["initContainers"]


def _kept_labels(source, o):
    labels = source["metadata"].get("labels") or {}
    return dict((k, labels[k]) for k in o["keep_labels"] if k in labels)


def _expected_inits(source, o):
    inits = list(inits_of(source)) if o["keep_init_containers"] else []
    return ["kdebug-fork-tools"] + inits


# What each edit of FORK_EDITS guarantees, for any source and options: check(source, fork, options).
EDIT_CHECKS = {
    "strip_labels": lambda source, fork, o: fork["metadata"]["labels"] == dict(
        _kept_labels(source, o), **{"app.kubernetes.io/managed-by": "kdebug", "kdebug.io/component": "fork"}),
    "strip_annotations": lambda source, fork, o: not [
        k for k in (source["metadata"].get("annotations") or {})
        if k in fork["metadata"]["annotations"] and k not in o["keep_annotations"]
        and k != "kubectl.kubernetes.io/default-container"],
    "detach_from_owners": lambda source, fork, o: not {"ownerReferences", "finalizers"} & set(fork["metadata"]),
    "name_after_source": lambda source, fork, o: "generateName" not in fork["metadata"] and fork["metadata"][
        "name"] == F.fork_name(source["metadata"]["namespace"], source["metadata"]["name"]),
    "clear_server_fields": lambda source, fork, o: not set(F.SERVER_METADATA) & set(fork["metadata"]) and set(
        fork) == {"apiVersion", "kind", "metadata", "spec"},
    "unpin_node": lambda source, fork, o: fork["spec"].get("nodeName") == (
        source["spec"]["nodeName"] if o["same_node"] else None) and (
            o["same_node"] or not [f for f in _pinned(fork) if f["operator"] == "In"]),
    "place_host_network": lambda source, fork, o: (
        [f["values"] for f in _pinned(fork) if f["operator"] == "NotIn"]
        == ([[source["spec"]["nodeName"]]] if _avoids_source(source, o) else [])),
    "drop_ephemeral_containers": lambda source, fork, o: "ephemeralContainers" not in fork["spec"],
    "drop_priority": lambda source, fork, o: not {"priority", "preemptionPolicy"} & set(fork["spec"]),
    "never_restart": lambda source, fork, o: fork["spec"]["restartPolicy"] == "Never",
    "end_at_ttl": lambda source, fork, o: fork["spec"]["activeDeadlineSeconds"] == o["ttl_seconds"],
    "set_share_processes": lambda source, fork, o: bool(fork["spec"].get("shareProcessNamespace")) == (
        bool(source["spec"].get("shareProcessNamespace")) if o["share_processes"] is None else o["share_processes"]),
    "drop_init_containers": lambda source, fork, o: list(inits_of(fork)) == _expected_inits(source, o),
    "remove_probes": lambda source, fork, o: not [p for c in _all_containers(fork) for p in F.PROBES if p in c],
    "clear_host_ports": lambda source, fork, o: not [
        p for c in _all_containers(fork) for p in c.get("ports") or [] if "hostPort" in p
        and not _avoids_source(source, o)],
    "set_target_image": lambda source, fork, o: _target(source, fork)[1]["image"] == (
        o["target_image"] or _target(source, fork)[0]["image"]),
    "set_env": lambda source, fork, o: all(
        {"name": k, "value": str(v)} in _target(source, fork)[1]["env"] for k, v in o["env"].items()),
    "remove_lifecycle_hooks": lambda source, fork, o: "lifecycle" not in _target(source, fork)[1],
    "hold_target": lambda source, fork, o: (
        _target(source, fork)[1]["command"] == F.hold_command(o["ttl_seconds"])
        and "args" not in _target(source, fork)[1]
        and {"name": "kdebug-fork-tools", "mountPath": "/.kdebug", "readOnly": True} in _target(source, fork)[1][
            "volumeMounts"]
        and json.loads(fork["metadata"]["annotations"]["kdebug.io/original-command"]) == {
            "container": _target(source, fork)[0]["name"], "command": _target(source, fork)[0].get("command"),
            "args": _target(source, fork)[0].get("args"), "image": _target(source, fork)[0]["image"]}),
    "add_busybox_copy": lambda source, fork, o: (
        fork["spec"]["initContainers"][0]["command"] == ["/bin/busybox", "cp", "/bin/busybox", "/.kdebug/busybox"]
        and fork["spec"]["initContainers"][0]["image"] == o["image"]
        and {"name": "kdebug-fork-tools", "emptyDir": {"sizeLimit": "64Mi"}} in fork["spec"]["volumes"]),
    "add_pull_secrets": lambda source, fork, o: all(
        {"name": n} in fork["spec"]["imagePullSecrets"] for n in o["image_pull_secrets"]),
    "default_to_held_container": lambda source, fork, o: fork["metadata"]["annotations"][
        "kubectl.kubernetes.io/default-container"] == fork["metadata"]["annotations"]["kdebug.io/held-container"],
}
EDITS = [edit for edit, _documented in F.FORK_EDITS]


def test_every_edit_has_a_check():
    assert sorted(e.__name__ for e in EDITS) == sorted(EDIT_CHECKS)


def _cases():
    """(source, fork, options) for every source and set of options."""
    for make in SOURCES:
        for options in OPTIONS:
            source = make()
            if options.get("same_node") and not source["spec"].get("nodeName"):
                source["spec"]["nodeName"] = "n1"
            o = opts(**options)
            before = copy.deepcopy(source)
            fork, dummy = F.build_fork(source, o)
            assert source == before, "build_fork must not touch its input"
            yield source, fork, o


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_every_edit_is_applied(edit):
    for source, fork, o in _cases():
        assert EDIT_CHECKS[edit.__name__](source, fork, o), (source["metadata"]["name"], o)


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_every_check_fails_without_its_edit(edit, monkeypatch):
    """The checks above can fail: without its edit, each one's check fails on some source."""
    monkeypatch.setattr(F, "FORK_EDITS", tuple(e for e in F.FORK_EDITS if e[0] is not edit))
    failed = []
    try:
        for source, fork, o in _cases():
            if not EDIT_CHECKS[edit.__name__](source, fork, o):
                failed.append(source["metadata"]["name"])
    except (KeyError, StopIteration):
        failed.append("built nothing")  # a later edit needs this one
    assert failed


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_every_edit_says_what_it_changed(edit):
    """Applied in order to a pod where each has work to do, every edit adds its own sentences to ``changes``."""
    draft = F.Draft(everything_pod(), opts(**EVERYTHING_OPTIONS))
    for each in EDITS[:EDITS.index(edit)]:
        each(draft)
    before = list(draft.changes)
    edit(draft)
    added = draft.changes[len(before):]
    assert draft.changes[:len(before)] == before and added, edit.__name__
    assert all(isinstance(c, str) and ": " in c for c in added), added


def test_the_module_documents_every_edit_in_order():
    """The rules live once: kdebug_fork's description lists FORK_EDITS' sentences, in the order they apply."""
    description = yaml.safe_load(kdebug_fork.DOCUMENTATION)["description"]
    start = next(i for i, p in enumerate(description) if p.startswith("The fork is the source pod's spec with"))
    documented = []
    for paragraph in description[start + 1:]:
        if not paragraph.startswith("- "):
            break
        documented.append(paragraph[2:])
    assert documented == [sentence for _edit, sentence in F.FORK_EDITS]


@pytest.mark.parametrize("make", SOURCES, ids=lambda m: m.__name__)
def test_identity_and_audit_for_every_source(make):
    source = make()
    fork, changes = F.build_fork(source, opts())
    meta = fork["metadata"]
    assert set(meta) == {"name", "namespace", "labels", "annotations"}
    assert DNS_LABEL.match(meta["name"]) and len(meta["name"]) <= 63
    assert meta["namespace"] == source["metadata"]["namespace"]
    ann = meta["annotations"]
    assert ann["kdebug.io/fork-of"] == "%s/%s" % (source["metadata"]["namespace"], source["metadata"]["name"])
    assert ann["kdebug.io/requested-by"] == "sre@host"
    assert ann["kdebug.io/created-at"] == "2026-11-26T12:00:00Z"
    assert ann["kdebug.io/ttl-seconds"] == "3600"
    assert ann["kdebug.io/spec-hash"] == F.spec_hash(fork)
    held = containers_of(fork)[ann["kdebug.io/held-container"]]
    assert "sleep 3600" in held["command"][3]
    copier = fork["spec"]["initContainers"][0]
    assert copier["name"] == "kdebug-fork-tools" and copier["securityContext"]["runAsNonRoot"] is True
    assert any(c.startswith("spec.containers[%s].command: held" % held["name"]) for c in changes)


def test_deployment_pod_changes_are_listed():
    fork, changes = F.build_fork(deployment_pod(), opts())
    text = "\n".join(changes)
    assert "metadata.labels: removed app, pod-template-hash, tier" in text
    assert "metadata.annotations: removed prometheus.io/scrape" in text
    assert "metadata.ownerReferences: cleared (ReplicaSet/crashy-784f45c6dc)" in text
    assert "metadata.generateName: cleared (crashy-784f45c6dc-)" in text
    assert "spec.nodeName: cleared (was kdebug-lab)" in text
    assert "spec.ephemeralContainers: removed" in text
    assert "spec.restartPolicy: Never (was Always)" in text
    assert "spec.containers[app]: removed readinessProbe, livenessProbe" in text
    assert "spec.containers[app].ports: cleared hostPort 18080" in text
    assert "spec.containers[app].lifecycle: removed" in text
    app = containers_of(fork)["app"]
    assert "lifecycle" not in app
    assert app["ports"] == [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
    # the copy init container asks for what the target asks for: no extra footprint, same LimitRange fit
    assert fork["spec"]["initContainers"][0]["resources"] == app["resources"]
    # the service account volume and others stay
    assert fork["spec"]["volumes"][0]["name"] == "kube-api-access-x"


def test_job_pod_becomes_standalone():
    fork, changes = F.build_fork(job_pod(), opts(ttl_seconds=120))
    text = "\n".join(changes)
    assert "metadata.finalizers: cleared (batch.kubernetes.io/job-tracking)" in text
    assert "metadata.ownerReferences: cleared (Job/migrate)" in text
    assert "spec.restartPolicy" not in text  # already Never
    assert "spec.activeDeadlineSeconds: 120 (ttl_seconds; was 600)" in text
    assert fork["spec"]["activeDeadlineSeconds"] == 120
    assert "sleep 120" in containers_of(fork)["migrate"]["command"][3]
    assert "job-name" not in fork["metadata"]["labels"]


def test_statefulset_pod_keeps_its_hostname_and_volumes():
    fork, dummy = F.build_fork(statefulset_pod(), opts())
    assert fork["spec"]["hostname"] == "db-0" and fork["spec"]["subdomain"] == "db"
    assert fork["spec"]["volumes"][0] == {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}
    assert "statefulset.kubernetes.io/pod-name" not in fork["metadata"]["labels"]


def test_multi_container_default_annotation_and_sidecars():
    fork, changes = F.build_fork(multi_pod(), opts())
    assert fork["metadata"]["annotations"]["kdebug.io/held-container"] == "app"
    assert fork["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] == "app"
    containers = containers_of(fork)
    assert containers["sidecar"]["command"] == ["sleep", "2147483647"]  # only the target is held
    assert "livenessProbe" not in containers["sidecar"]
    inits = inits_of(fork)
    assert list(inits) == ["kdebug-fork-tools", "setup", "proxy"]
    assert "readinessProbe" not in inits["proxy"] and "hostPort" not in inits["proxy"]["ports"][0]
    assert "spec.initContainers[proxy]: removed readinessProbe" in changes
    # explicit container
    fork2, changes2 = F.build_fork(multi_pod(), opts(container="sidecar"))
    assert containers_of(fork2)["sidecar"]["command"][0] == "/.kdebug/busybox"
    assert containers_of(fork2)["app"]["command"] == ["httpd", "-f"]
    assert fork2["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] == "sidecar"
    assert "metadata.annotations: kubectl.kubernetes.io/default-container set to sidecar (was app)" in changes2
    assert fork2["metadata"]["name"] == fork["metadata"]["name"]  # one fork per source pod
    assert F.spec_hash(fork2) != F.spec_hash(fork)


def test_options_image_env_share_processes_init_containers():
    fork, changes = F.build_fork(multi_pod(), opts(target_image="busybox:debug", env={"MODE": "debug", "EXTRA": 1, "ON": True},
                                                   share_processes=True, keep_init_containers=False))
    app = containers_of(fork)["app"]
    assert app["image"] == "busybox:debug"
    assert app["env"] == [{"name": "KEEP", "value": "1"}, {"name": "EXTRA", "value": "1"},
                          {"name": "MODE", "value": "debug"}, {"name": "ON", "value": "true"}]
    assert fork["spec"]["shareProcessNamespace"] is True
    assert list(inits_of(fork)) == ["kdebug-fork-tools"]
    text = "\n".join(changes)
    assert "spec.containers[app].image: busybox:debug (target_image; was busybox)" in text
    assert "spec.containers[app].env: set EXTRA, MODE, ON" in text
    assert "spec.shareProcessNamespace: true" in text
    assert "spec.initContainers: removed setup, proxy (keep_init_containers=false)" in text
    original = json.loads(fork["metadata"]["annotations"]["kdebug.io/original-command"])
    assert original["image"] == "busybox"


def test_keep_labels_and_annotations():
    fork, changes = F.build_fork(deployment_pod(), opts(keep_labels=["tier", "missing"],
                                                        keep_annotations=["prometheus.io/scrape"]))
    assert fork["metadata"]["labels"] == {"tier": "backend", "app.kubernetes.io/managed-by": "kdebug",
                                          "kdebug.io/component": "fork"}
    assert fork["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert "metadata.labels: removed app, pod-template-hash" in "\n".join(changes)


def static_web_pod():
    """Like the mirror of the lab's static pod kdebug-demo/static-web on worker kdebug-lab-w1, as the API returns it."""
    pod = deployment_pod()
    meta = pod["metadata"]
    meta.pop("generateName")
    meta.update(name="static-web-kdebug-lab-w1", annotations={
        "kubernetes.io/config.mirror": "0f1e", "kubernetes.io/config.hash": "0f1e",
        "kubernetes.io/config.source": "file", "kubernetes.io/config.seen": "2026-11-26T10:00:00Z"},
        ownerReferences=[{"apiVersion": "v1", "kind": "Node", "name": "kdebug-lab-w1", "uid": "n-1",
                          "controller": True}])
    pod["spec"]["nodeName"] = "kdebug-lab-w1"
    return pod


@pytest.mark.parametrize("keep", [[], ["kubernetes.io/config.mirror", "kubernetes.io/config.source"]])
def test_the_fork_of_a_static_pods_mirror_is_a_plain_pod(keep):
    """The API server takes the mirror annotation only from the node's kubelet: never on the fork, even if kept."""
    fork, changes = F.build_fork(static_web_pod(), opts(keep_annotations=keep))
    assert "kubernetes.io/config.mirror" not in fork["metadata"]["annotations"]
    assert "ownerReferences" not in fork["metadata"]
    assert "nodeName" not in fork["spec"]
    assert ("the source is a static pod's mirror: the fork is a plain pod (kubernetes.io/config.mirror removed%s)"
            % (", although in keep_annotations" if keep else "")) in changes
    assert "metadata.ownerReferences: cleared (Node/kdebug-lab-w1): the fork is a standalone pod" in changes
    if keep:
        assert fork["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"


def test_kept_managed_by_label_is_replaced_by_ours():
    pod = deployment_pod()
    pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "Helm"
    fork, changes = F.build_fork(pod, opts(keep_labels=["app.kubernetes.io/managed-by"]))
    assert fork["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kdebug"
    assert "metadata.labels: app.kubernetes.io/managed-by set to kdebug's own value" in changes


def test_same_node():
    fork, changes = F.build_fork(deployment_pod(), opts(same_node=True))
    assert fork["spec"]["nodeName"] == "kdebug-lab"
    assert "spec.nodeName: kept (kdebug-lab, same_node)" in changes
    pending = deployment_pod()
    del pending["spec"]["nodeName"]
    with pytest.raises(KdebugError, match="not scheduled"):
        F.build_fork(pending, opts(same_node=True))


def test_long_source_names_give_valid_distinct_names():
    names = set()
    for last in "ab":
        pod = deployment_pod()
        pod["metadata"]["name"] = "x" * 62 + last
        fork, dummy = F.build_fork(pod, opts())
        name = fork["metadata"]["name"]
        assert len(name) <= 63 and DNS_LABEL.match(name), name
        names.add(name)
    assert len(names) == 2
    assert F.fork_name("ns", "a" * 253) == F.fork_name("ns", "a" * 253)
    assert F.fork_name("ns1", "p") != F.fork_name("ns2", "p")


def test_fork_of_a_fork_is_refused():
    fork, dummy = F.build_fork(deployment_pod(), opts())
    assert F.is_fork(fork)
    fork["status"] = {"phase": "Running"}
    with pytest.raises(KdebugError) as err:
        F.build_fork(fork, opts())
    assert "is itself a kdebug fork (of kdebug-demo/crashy-784f45c6dc-rx58b)" in err.value.message
    assert not F.is_fork(deployment_pod())


@pytest.mark.parametrize("mutate, match", [
    (lambda p: p["spec"]["volumes"].append({"name": "kdebug-fork-tools", "emptyDir": {}}), "needs that name"),
    (lambda p: p["spec"]["containers"][0]["volumeMounts"].append({"name": "v", "mountPath": "/.kdebug/"}),
     "already mounts something at /.kdebug"),
])
def test_clashes_with_what_the_fork_adds(mutate, match):
    pod = deployment_pod()
    mutate(pod)
    with pytest.raises(KdebugError, match=match):
        F.build_fork(pod, opts())


def test_missing_container_and_bad_ttl():
    with pytest.raises(KdebugError, match="container nope not found in pod kdebug-demo/multi; it has: sidecar, app"):
        F.build_fork(multi_pod(), opts(container="nope"))
    with pytest.raises(KdebugError, match="ttl_seconds"):
        F.build_fork(multi_pod(), opts(ttl_seconds=0))
    with pytest.raises(ValueError):
        F.default_options(nope=1)


def test_spec_hash_ignores_who_and_when_but_not_options():
    a, dummy = F.build_fork(deployment_pod(), opts())
    later = NOW + datetime.timedelta(hours=1)
    b, dummy = F.build_fork(deployment_pod(), opts(requester="other@host", now=later, reason="again"))
    assert a["metadata"]["annotations"]["kdebug.io/spec-hash"] == b["metadata"]["annotations"]["kdebug.io/spec-hash"]
    for changed in (dict(ttl_seconds=60), dict(env={"A": "1"}), dict(target_image="x"), dict(same_node=True),
                    dict(image="other:1"), dict(image_pull_secrets=["pull"]), dict(keep_labels=["app"])):
        c, dummy = F.build_fork(deployment_pod(), opts(**changed))
        assert c["metadata"]["annotations"]["kdebug.io/spec-hash"] != a["metadata"]["annotations"]["kdebug.io/spec-hash"], changed
    # The source's own identity (a recreated StatefulSet pod) does not force a new fork.
    recreated = deployment_pod()
    recreated["metadata"]["uid"] = "u-2"
    d, dummy = F.build_fork(recreated, opts())
    assert d["metadata"]["annotations"]["kdebug.io/spec-hash"] == a["metadata"]["annotations"]["kdebug.io/spec-hash"]


def test_fork_summary_has_the_documented_keys():
    fork, dummy = F.build_fork(deployment_pod(), opts())
    summary = F.fork_summary(fork, True)
    assert set(summary) == set(yaml.safe_load(kdebug_fork.RETURN)["fork"]["contains"])
    assert summary["fork_of"] == "kdebug-demo/crashy-784f45c6dc-rx58b" and summary["ttl_seconds"] == 3600
    assert summary["name"] == fork["metadata"]["name"] and summary["created"] is True
    assert F.fork_summary(None, False) is None


# --- entrypoint and replay -----------------------------------------------------------

@pytest.mark.parametrize("original, command, args, argv, known", [
    ({"container": "c", "command": ["sh", "-c"], "args": ["exit 1"]}, None, None, ["sh", "-c", "exit 1"], True),
    ({"container": "c", "command": ["/app"], "args": None}, None, None, ["/app"], True),
    ({"container": "c", "command": None, "args": ["crash"]}, None, None, None, False),
    ({"container": "c", "command": None, "args": ["crash"]}, ["/demoapp"], None, ["/demoapp", "crash"], True),
    ({"container": "c", "command": None, "args": None}, ["/demoapp", "serve"], None, ["/demoapp", "serve"], True),
    ({"container": "c", "command": ["/app"], "args": ["a"]}, None, ["b", "c"], ["/app", "b", "c"], True),
    ({"container": "c", "command": ["/app"], "args": ["a"]}, None, [], ["/app"], True),
])
def test_replay_argv(original, command, args, argv, known):
    got, why = F.replay_argv(original, command, args)
    assert got == argv
    assert (why is None) == known
    if not known:
        assert "replay_command" in why and "ENTRYPOINT" in why


def test_held_info_for_an_image_entrypoint():
    fork, changes = F.build_fork(noshell_pod(), opts())
    held = F.held_info(fork)
    assert held["container"] == "app"
    assert held["original_command"] is None and held["original_args"] == ["crash"]
    assert held["entrypoint_known"] is False and held["replay_argv"] is None
    assert "sets no command" in held["replay_note"]
    assert "instead of the image's ENTRYPOINT with args [\"crash\"]" in "\n".join(changes)
    held = F.held_info(fork, replay_command=["/demoapp"])
    assert held["replay_argv"] == ["/demoapp", "crash"] and held["entrypoint_known"] is True


def _outcome(rc, out, err, elapsed, timed_out=False):
    stdout, stderr = BoundedOutput(), BoundedOutput()
    stdout.write(out)
    stderr.write(err)
    return ExecOutcome(rc, stdout, stderr, None, elapsed, timed_out)


def test_replay_result():
    r = F.replay_result(["sh", "-c", "x"], _outcome(1, b"crashy starting\n", b"fatal\n", 0.05), 60)
    assert r["status"] == "ran" and r["rc"] == 1 and r["stdout_lines"] == ["crashy starting"]
    assert r["stderr_lines"] == ["fatal"] and r["timed_out"] is False and r["duration_ms"] == 50
    assert F.replay_result(["x"], _outcome(143, b"", b"", 10.0), 10)["timed_out"] is True
    assert F.replay_result(["x"], _outcome(143, b"", b"", 1.0), 10)["timed_out"] is False
    skipped = F.replay_not_run("needs_replay_command", "why")
    assert skipped["rc"] is None and skipped["stdout_lines"] == []


# --- selectors, progress, termination ------------------------------------------------

def _pod(phase="Pending", inits=None, mains=None, conditions=None, **status):
    st = dict(phase=phase, initContainerStatuses=inits or [], containerStatuses=mains or [],
              conditions=conditions or [])
    st.update(status)
    return {"metadata": {"name": "f", "namespace": "n"}, "status": st}


def _cs(name, **state):
    return {"name": name, "state": state}


@pytest.mark.parametrize("pod, expected, words", [
    (_pod("Running", mains=[_cs("app", running={})]), "running", "runs"),
    (_pod("Running", mains=[_cs("side", terminated={"exitCode": 1, "reason": "Error"}), _cs("app", running={})]),
     "running", "runs"),
    (_pod(mains=[_cs("app", waiting={"reason": "ErrImageNeverPull", "message": "image x not present"})]),
     "failed", "ErrImageNeverPull"),
    (_pod(mains=[_cs("app", waiting={"reason": "ImagePullBackOff", "message": "Back-off"})]),
     "failed", "ImagePullBackOff"),
    (_pod(inits=[_cs("kdebug-fork-tools", waiting={"reason": "ErrImagePull", "message": "pull failed"})]),
     "failed", "init container kdebug-fork-tools: ErrImagePull"),
    (_pod(inits=[_cs("kdebug-fork-tools", terminated={"exitCode": 0, "reason": "Completed"})],
          mains=[_cs("app", waiting={"reason": "PodInitializing"})]), "pending", "app PodInitializing"),
    (_pod(mains=[_cs("app", waiting={"reason": "CreateContainerError", "message": "no such file"})]),
     "failed", "CreateContainerError"),
    (_pod(conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                       "message": "0/1 nodes are available: 1 Insufficient cpu."}]), "pending", "Insufficient cpu"),
    # a hostNetwork fork kept off its source's node, whose port every other node's DaemonSet pod holds: at once
    (_pod(conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                       "message": "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 "
                                  "node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes "
                                  "are available: 3 No preemption victims found for incoming pod."}]),
     "failed", "free ports"),
    # the same as the lab's scheduler (v1.34) words it: the fork's node affinity keeps it off the source's node
    (_pod(conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                       "message": "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 "
                                  "node(s) didn't have free ports for the requested pod ports. no new claims to "
                                  "deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
                                  "scheduling, 2 No preemption victims found for incoming pod."}]),
     "failed", "free ports"),
    # one node short of cpu may free up: keep waiting
    (_pod(conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                       "message": "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't have free ports "
                                  "for the requested pod ports."}]), "pending", "free ports"),
    (_pod("Failed", reason="DeadlineExceeded", message="Pod was active on the node longer than specified"),
     "failed", "DeadlineExceeded"),
    (_pod("Failed", mains=[_cs("app", terminated={"exitCode": 127, "reason": "StartError",
                                                  "message": "exec: not found"})]), "failed", "StartError"),
    (_pod(), "pending", "phase Pending"),
])
def test_fork_progress(pod, expected, words):
    state, message = F.fork_progress(pod, "app")
    assert state == expected, message
    assert words in message


def test_last_termination():
    crashloop = {"status": {"containerStatuses": [{
        "name": "app", "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "s", "finishedAt": "f"}}}]}}
    info = F.source_termination(crashloop, "app")
    assert info["exit_code"] == 1 and info["reason"] == "Error" and info["finished_at"] == "f"
    assert info["logs_of"] == "previous" and info["waiting_reason"] == "CrashLoopBackOff"
    assert info["restart_count"] == 4 and info["state"] == "waiting"
    just_died = {"status": {"containerStatuses": [{
        "name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 2, "message": "bye"}}}]}}
    info = F.source_termination(just_died, "app")
    assert info["exit_code"] == 2 and info["message"] == "bye" and info["logs_of"] == "current"
    info = F.source_termination({"status": {}}, "app")
    assert info["exit_code"] is None and info["logs_of"] is None


# --- hostNetwork: kept off the source's node when another fits, else said plainly ------------------------------


def test_a_host_network_fork_avoids_the_source_node_and_keeps_its_port_declarations():
    fork, changes, where, warnings = F.build_fork_draft(daemonset_pod(), opts(nodes=NODES))
    assert where["avoid_source_node"] is True and where["candidates"] == ["n2"]
    assert where["excluded"] == {"n1": "the source's node", "n3": "taint dedicated=tools:NoSchedule not tolerated"}
    assert _pinned(fork) == [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]
    assert fork["spec"]["containers"][0]["ports"][0]["hostPort"] == 9100
    assert any("removed the pin to node n1" in c for c in changes)
    assert not [c for c in changes if "cleared hostPort" in c] and not warnings
    result = F.placement_result(where, dict(fork, spec=dict(fork["spec"], nodeName="n2")))
    assert result["node"] == "n2" and result["shares_network_with_source"] is False


@pytest.mark.parametrize("overrides, words", [
    (dict(nodes=[node("n1"), node("n2", ready="False")]),
     ["no other node fits the fork (n2: not Ready)", "shares node n1's network", "Stop the source"]),
    (dict(nodes=None), ["the nodes could not be listed", "set other_node=true"]),
    (dict(same_node=True), ["same_node: the fork runs on the source's node n1"]),
])
def test_a_host_network_fork_that_stays_beside_the_source_says_so_and_drops_the_port_declarations(overrides, words):
    fork, changes, where, warnings = F.build_fork_draft(daemonset_pod(), opts(**overrides))
    assert where["avoid_source_node"] is False
    assert not [f for f in _pinned(fork) if f["operator"] == "NotIn"]
    assert "ports" not in fork["spec"]["containers"][0]
    assert any("ports: removed 9100/TCP" in c for c in changes), changes
    for word in words:
        assert word in where["reason"], where["reason"]
    assert warnings and words[0] in warnings[0]


def test_other_node_refuses_when_no_other_node_fits_and_false_lets_the_scheduler_choose():
    with pytest.raises(KdebugError) as err:
        F.build_fork(daemonset_pod(), opts(nodes=[node("n1")], other_node=True))
    assert "other_node is set but no node other than n1 fits" in err.value.message
    fork, _changes, where, warnings = F.build_fork_draft(daemonset_pod(), opts(nodes=NODES, other_node=False))
    assert where["avoid_source_node"] is False and "other_node=false" in where["reason"] and not warnings


# --- an init container held ----------------------------------------------------------------------------------


def init_crash_pod():
    pod = multi_pod()
    pod["spec"]["initContainers"].append({"name": "migrate", "image": "busybox", "command": ["migrate"],
                                          "args": ["--to", "v3"]})
    return pod


def test_an_init_container_is_held_in_place_after_the_ones_before_it():
    fork, changes = F.build_fork(init_crash_pod(), opts(container="migrate"))
    inits = fork["spec"]["initContainers"]
    assert [c["name"] for c in inits] == ["kdebug-fork-tools", "setup", "proxy", "migrate"]
    assert inits[3]["command"] == F.hold_command(3600) and "args" not in inits[3]
    assert fork["metadata"]["annotations"]["kdebug.io/held-container"] == "migrate"
    assert fork["spec"]["containers"][1]["command"] == ["httpd", "-f"]  # the main containers as they were
    assert any(c.startswith("spec.initContainers[migrate].command: held") for c in changes)
    held = F.held_info(fork)
    assert held["kind"] == "init" and held["replay_argv"] == ["migrate", "--to", "v3"]


def test_the_init_containers_before_the_held_one_can_be_skipped():
    fork, changes = F.build_fork(init_crash_pod(), opts(container="migrate", keep_init_containers=False))
    assert [c["name"] for c in fork["spec"]["initContainers"]] == ["kdebug-fork-tools", "migrate"]
    assert any("removed setup, proxy, the ones before the held migrate" in c for c in changes)


def test_a_fork_holding_an_init_container_runs_once_that_container_runs():
    fork, _changes = F.build_fork(init_crash_pod(), opts(container="migrate"))
    fork["status"] = {"phase": "Pending", "initContainerStatuses": [
        {"name": "kdebug-fork-tools", "state": {"terminated": {"exitCode": 0}}},
        {"name": "setup", "state": {"terminated": {"exitCode": 0}}},
        {"name": "proxy", "state": {"running": {}}},
        {"name": "migrate", "state": {"running": {}}}],
        "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}]}
    assert F.fork_progress(fork, "migrate") == ("running", "init container migrate runs (held)")
    fork["status"]["initContainerStatuses"][3]["state"] = {"waiting": {"reason": "PodInitializing"}}
    assert F.fork_progress(fork, "migrate")[0] == "pending"
