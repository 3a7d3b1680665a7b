# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pods
short_description: Kubernetes pods as inventory hosts, for fleet-wide diagnostics
version_added: 0.1.0
description:
  - Lists the pods of a Kubernetes cluster and makes each one an inventory host named
    C(<namespace>/<pod>), so a playbook can run kdebug.toolkit modules against many pods at once
    (for example a DNS check in every pod of an application).
  - Every host gets C(ansible_connection=local) and C(ansible_python_interpreter) set to the
    controller's Python, so the kdebug.toolkit modules run on the controller, one per fork, and reach
    the pod through the Kubernetes API. Nothing is installed in the pods.
  - "The inventory source is a YAML file whose name ends in C(kdebug_pods.yml) or
    C(kdebug_pods.yaml) and which holds C(plugin: kdebug.toolkit.pods)."
  - "Host variables: C(kdebug_cluster) (the cluster's name in O(clusters), else the context or host the pods were
    listed with), C(kdebug_connection) (the connection the pods were listed with: the kubeconfig file and context,
    or the host and its TLS options; every kdebug.toolkit module reads it before the E(K8S_AUTH_*) variables and
    E(KUBECONFIG), so a host's tasks reach the cluster it was listed in), C(kdebug_namespace), C(kdebug_pod),
    C(kdebug_container) (the container a
    kdebug module should target: the default container, or the host's own container with
    O(include_containers)), C(kdebug_node), C(kdebug_phase), C(kdebug_containers) (names of the
    pod's containers, in spec order), C(kdebug_default_container) (the
    C(kubectl.kubernetes.io/default-container) annotation when it names a container of the pod, else
    the first container), C(kdebug_labels), C(kdebug_pod_ip), C(kdebug_owner) (C(kind) and C(name) of
    the controlling owner, or null)."
  - "Groups: C(namespace_<namespace>) and C(node_<node>) (characters other than letters, digits and
    C(_) become C(_)), C(pod_<namespace>_<pod>) with O(include_containers), and whatever O(groups) and
    O(keyed_groups) add. With O(clusters), also C(cluster_<name>), and the node and pod groups carry the cluster:
    C(node_<cluster>_<node>), C(pod_<cluster>_<namespace>_<pod>)."
  - Pods being deleted (C(metadata.deletionTimestamp) set) are left out.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
  - kdebug.toolkit.kube_inventory
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; must be V(kdebug.toolkit.pods) for the file to be read by it.
    required: true
    type: str
    choices: [kdebug.toolkit.pods]
  namespaces:
    description:
      - Namespaces to list pods in. Empty (the default) lists the pods of all namespaces, which needs
        C(list pods) cluster-wide.
    type: list
    elements: str
    default: []
  label_selector:
    description:
      - Only pods whose labels match this selector, in the syntax of C(kubectl get pods -l), for example
        V(app=web,tier!=cache) or V(app in (web,api)).
    type: str
  field_selector:
    description:
      - Only pods matching this field selector, in the syntax of C(kubectl get pods --field-selector),
        for example V(spec.nodeName=node-1).
    type: str
  phases:
    description:
      - Only pods in one of these phases (C(status.phase)). Empty keeps every phase.
      - Most kdebug.toolkit strategies need a running container, hence the default.
    type: list
    elements: str
    default: [Running]
  include_containers:
    description:
      - When V(false), one host per pod, C(<namespace>/<pod>), whose C(kdebug_container) is the pod's
        default container.
      - When V(true), one host per container, C(<namespace>/<pod>/<container>), whose
        C(kdebug_container) is that container; the containers of a pod are grouped in
        C(pod_<namespace>_<pod>). Init and ephemeral containers are not hosts.
    type: bool
    default: false
notes:
  - The caller needs C(list) on C(pods) in every namespace of O(namespaces) (cluster-wide when
    O(namespaces) is empty).
  - With O(clusters), host names are C(<cluster>/<namespace>/<pod>).
"""

EXAMPLES = r"""
---
# inventory/shop.kdebug_pods.yml: the running pods of app=web in two namespaces
plugin: kdebug.toolkit.pods
kubeconfig: ~/.kube/config
namespaces: [shop, shop-canary]
label_selector: app=web

---
# inventory/all.kdebug_pods.yml: every running pod, grouped by app label and by owner kind;
# credentials from the environment (K8S_AUTH_KUBECONFIG, or an AWX Kubernetes credential)
plugin: kdebug.toolkit.pods
keyed_groups:
  - key: kdebug_labels['app'] | default('none')
    prefix: app
  - key: kdebug_owner.kind | default('bare')
    prefix: owner
groups:
  multi_container: kdebug_containers | length > 1
compose:
  kdebug_exec_strategy: "'agent' if kdebug_namespace == 'kube-system' else 'ephemeral'"

---
# inventory/two.kdebug_pods.yml: the web pods of two clusters; hosts are prod/shop/web-1, staging/shop/web-1...
plugin: kdebug.toolkit.pods
kubeconfig: ~/.kube/config
namespaces: [shop]
label_selector: app=web
clusters:
  - name: prod
    context: prod-admin
  - name: staging
    context: staging-admin

---
# inventory/pending.kdebug_pods.yml: pods that are not running, cached for an hour
plugin: kdebug.toolkit.pods
phases: [Pending, Failed, Unknown]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/kdebug-inventory-cache
cache_timeout: 3600

# A fleet playbook for these hosts (each task runs on the controller, one per fork):
#
# - hosts: namespace_shop
#   gather_facts: false
#   tasks:
#     - name: Resolve the database name from inside every pod
#       kdebug.toolkit.kdebug_exec:
#         namespace: "{{ kdebug_namespace }}"
#         pod: "{{ kdebug_pod }}"
#         container: "{{ kdebug_container }}"
#         command: [nslookup, db.shop.svc.cluster.local]
"""

from ansible.errors import AnsibleParserError

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiInvalid, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import container_names, default_container, owner_of
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.kube_inventory import KubeInventory, list_pages, safe_name

FILE_SUFFIXES = ("kdebug_pods.yml", "kdebug_pods.yaml")

# --- pure parts: names, host variables, groups (unit-tested) ----------------


def host_name(namespace, pod, container=None, cluster=None):
    """``[<cluster>/]<namespace>/<pod>[/<container>]``.

    Unique (namespace and pod names cannot hold ``/``) and safe in host patterns:
    Kubernetes names hold only lower case letters, digits, ``-`` and ``.``, never the
    ``,`` or ``:`` that patterns split on (cluster names are checked by :func:`cluster_entries`).
    """
    name = "%s/%s" % (namespace, pod)
    if cluster:
        name = "%s/%s" % (cluster, name)
    if container:
        name += "/" + container
    return name


def pod_host_vars(pod):
    """The ``kdebug_*`` host variables of a pod (a dict as the API returns it)."""
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    default = default_container(pod)
    return {
        "kdebug_namespace": metadata.get("namespace"),
        "kdebug_pod": metadata.get("name"),
        "kdebug_node": spec.get("nodeName"),
        "kdebug_phase": status.get("phase"),
        "kdebug_containers": container_names(pod),
        "kdebug_default_container": default,
        "kdebug_container": default,
        "kdebug_labels": dict(metadata.get("labels") or {}),
        "kdebug_pod_ip": status.get("podIP"),
        "kdebug_owner": owner_of(pod),
    }


def pod_selected(pod, phases):
    """Keep a pod: not being deleted, and in one of ``phases`` (all phases when empty)."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return not phases or (pod.get("status") or {}).get("phase") in phases


def host_entries(pod_vars, include_containers=False, by_cluster=False):
    """``(host name, host vars)`` pairs for one pod: the pod itself, or each of its containers.

    ``by_cluster``: the names start with the pod's ``kdebug_cluster`` (an inventory of several clusters).
    """
    cluster = pod_vars.get("kdebug_cluster") if by_cluster else None
    if not include_containers:
        return [(host_name(pod_vars["kdebug_namespace"], pod_vars["kdebug_pod"], cluster=cluster), dict(pod_vars))]
    entries = []
    for container in pod_vars["kdebug_containers"]:
        host_vars = dict(pod_vars, kdebug_container=container)
        entries.append((host_name(pod_vars["kdebug_namespace"], pod_vars["kdebug_pod"], container, cluster),
                        host_vars))
    return entries


def group_names(host_vars, include_containers=False, by_cluster=False):
    """The plugin's own groups for a host: namespace, node, per container the pod, with several clusters the cluster."""
    cluster = safe_name(host_vars.get("kdebug_cluster")) + "_" if by_cluster else ""
    groups = ["namespace_" + safe_name(host_vars["kdebug_namespace"])]
    if host_vars.get("kdebug_node"):
        groups.append("node_" + cluster + safe_name(host_vars["kdebug_node"]))
    if include_containers:
        groups.append("pod_%s%s_%s" % (cluster, safe_name(host_vars["kdebug_namespace"]),
                                       safe_name(host_vars["kdebug_pod"])))
    if by_cluster:
        groups.append("cluster_" + safe_name(host_vars.get("kdebug_cluster")))
    return groups


def selector_error(exc, label_selector, field_selector):
    """A sentence for a selector the API server refused (HTTP 400 on the list)."""
    given = []
    if label_selector:
        given.append("label_selector %r" % label_selector)
    if field_selector:
        given.append("field_selector %r" % field_selector)
    hint = "same syntax as kubectl get pods -l" if label_selector else ""
    if field_selector:
        hint += (" / " if hint else "") + (
            "same syntax as kubectl get pods --field-selector; pods support metadata.name, metadata.namespace, "
            "spec.nodeName, spec.restartPolicy, spec.schedulerName, spec.serviceAccountName, spec.hostNetwork, "
            "status.phase, status.podIP and status.nominatedNodeName"
        )
    return "the API server refused %s: %s. Fix the selector (%s)" % (" and ".join(given),
                                                                     exc.server_message or exc.message, hint)


# --- the plugin (plugin_utils/kube_inventory.py: auth, clusters, cache, filling the inventory) ---------------


class InventoryModule(KubeInventory):
    NAME = "kdebug.toolkit.pods"
    FILE_SUFFIXES = FILE_SUFFIXES

    def sort_key(self, host_vars):
        return (host_vars["kdebug_namespace"] or "", host_vars["kdebug_pod"] or "")

    def host_entries(self, object_vars, by_cluster):
        include_containers = self.get_option("include_containers")
        return [(name, host_vars, group_names(host_vars, include_containers, by_cluster))
                for name, host_vars in host_entries(object_vars, include_containers, by_cluster)]

    def list_hosts(self, client, where):
        namespaces = [n for n in (self.get_option("namespaces") or []) if n] or [None]
        label_selector = self.get_option("label_selector")
        field_selector = self.get_option("field_selector")
        phases = self.get_option("phases") or []
        query = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        selected = []
        for namespace in sorted(set(namespaces), key=lambda n: n or ""):
            try:
                items = list_pages(client, pod_path(namespace) if namespace else "/api/v1/pods", query)
            except ApiInvalid as exc:
                if not (label_selector or field_selector):
                    raise AnsibleParserError("%s: %s" % (where, exc.message))
                raise AnsibleParserError("%s: %s" % (where, selector_error(exc, label_selector, field_selector)))
            except KdebugError as exc:
                raise AnsibleParserError("%s: %s" % (where, exc.message))
            selected.extend(pod_host_vars(p) for p in items if pod_selected(p, phases))
            if namespace and not items:
                self._require_namespace(client, where, namespace)
        return selected

    @staticmethod
    def _require_namespace(client, path, namespace):
        """Fail when ``namespace`` does not exist: listing the pods of a missing namespace is an empty list, not an
        error, and the fleet would check nothing. A namespace the caller may not read is left alone."""
        try:
            found = client.get_or_none(api_path("namespaces", namespace))
        except KdebugError:
            return
        if found is None:
            raise AnsibleParserError("%s: namespace %r does not exist in this cluster: fix the namespaces option "
                                     "(kubectl get namespaces lists them)" % (path, namespace))
