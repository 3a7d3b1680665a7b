#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_get
short_description: Read Kubernetes objects by kind and name, each once, for checks that judge them
version_added: 0.2.0
description:
  - Reads each object of O(objects) - any kind the API server serves, found through its discovery document (the
    kind's resource and whether it is namespaced) - and returns them in their order, without
    C(metadata.managedFields) (as C(kubectl get) shows them). For kind C(Node), O(objects[].node_of) reads the node
    a pod runs on.
  - Each discovery document and each object is read once per call, however many entries ask for it; so is the pod
    behind a O(objects[].node_of). The user checks (P(kdebug.toolkit.user_checks#role), C(api) definitions,
    docs/user-checks.md) read every object of a fleet in one call.
  - An object that cannot be read does not fail the module - its entry has C(found=false), C(msg) naming it
    (C(Deployment shop/web not found)) and C(error_class) (C(not_found), C(denied) with C(denied_by) and C(denial)
    for a 403, as every kdebug module). A failure of the connection or of the credentials fails the module.
  - Read-only; C(changed) is always false.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show.
    support: none
  idempotent:
    description: Reads only.
    support: full
options:
  objects:
    description: The objects to read.
    type: list
    elements: dict
    required: true
    suboptions:
      kind:
        description: The kind, as the API spells it (V(Pod), V(Deployment), V(Node)).
        type: str
        required: true
      api_version:
        description: Its API version, C(group/version) or V(v1) for the core group (V(apps/v1)).
        type: str
        default: v1
      name:
        description: Its name. Required unless O(objects[].node_of) is given.
        type: str
      namespace:
        description: Its namespace, for a namespaced kind (ignored for a cluster-scoped one).
        type: str
      node_of:
        description: With kind V(Node) and no name - read the node this pod runs on (its C(spec.nodeName)).
        type: dict
        suboptions:
          pod:
            description: The pod's name.
            type: str
            required: true
          namespace:
            description: The pod's namespace.
            type: str
            default: default
notes:
  - "Rights: C(get) on each kind read, in its namespace (cluster-wide for a cluster-scoped kind), and C(get) on pods
    for O(objects[].node_of). Discovery is open to every authenticated user by default. A missing right makes that
    entry's C(msg) name the verb, resource and namespace to grant."
  - An entry of a Secret carries the Secret's data; register the result with C(no_log) when it may hold one.
seealso:
  - module: kdebug.toolkit.kdebug_triage
  - module: kdebug.toolkit.kdebug_exec
"""

EXAMPLES = r"""
- name: Read a Deployment, the target pod and the node it runs on
  kdebug.toolkit.kdebug_get:
    objects:
      - {kind: Deployment, api_version: apps/v1, namespace: shop, name: web}
      - {kind: Pod, namespace: shop, name: web-7d9f8c6b5-x2x4q}
      - {kind: Node, node_of: {namespace: shop, pod: web-7d9f8c6b5-x2x4q}}
  register: read

- name: Fail when the Deployment has fewer available replicas than it wants
  ansible.builtin.assert:
    that: deployment.status.availableReplicas | default(0) >= deployment.spec.replicas
  vars:
    deployment: "{{ read.objects[0].object }}"
"""

RETURN = r"""
objects:
  description: One entry per O(objects) entry, in their order.
  returned: success
  type: list
  elements: dict
  contains:
    request: {description: The entry as given., type: dict, returned: always}
    kind: {description: The kind., type: str, returned: always}
    api_version: {description: The API version., type: str, returned: always}
    namespace: {description: "The object's namespace; null for a cluster-scoped kind.", type: str, returned: always}
    name: {description: "The object's name (for O(objects[].node_of), the node's once known).", type: str,
           returned: always}
    found: {description: The object was read., type: bool, returned: always}
    object: {description: "The object as the API server sent it, without C(metadata.managedFields); null when not
             read.", type: dict, returned: always}
    msg: {description: "Why it could not be read (C(Deployment shop/web not found: ...)).", type: str,
          returned: when not found}
    error_class:
      description: "C(not_found), C(denied), C(option) (a kind the entry cannot name, a namespaced kind without
        namespace), as in every failed kdebug result (docs/options.md)."
      type: str
      returned: when not found
    denied_by: {description: "For C(denied): C(rbac) and the others of docs/options.md.", type: str,
                returned: when denied}
    denial: {description: "For C(denied): the verb, resource and namespace to grant.", type: dict,
             returned: when denied}
reads:
  description: The GET requests made (discovery documents and objects), each path once.
  returned: success
  type: int
  sample: 3
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.get import get_argument_spec, run_get_module


def main():
    run_module("kdebug_get", get_argument_spec(), run_get_module)


if __name__ == "__main__":
    main()
