#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kdebug_cleanup
short_description: Remove what kdebug left behind once it has outlived its TTL
version_added: 0.1.0
description:
  - Lists every object labelled C(app.kubernetes.io/managed-by=kdebug) - agent pods (M(kdebug.toolkit.kdebug_agent)),
    forks (M(kdebug.toolkit.kdebug_fork)) and any other pod, ConfigMap or Secret with the label, cluster-wide or in
    O(namespaces) - and, with O(docker_host), the Docker containers on that engine with the label (tools containers
    of the C(docker) strategy that a killed run left behind), and removes those that have expired.
  - Without O(older_than) each object's own TTL decides - it expires when its age reaches its
    C(kdebug.io/ttl-seconds) annotation (a label on Docker containers). A pod that has ended (phase C(Succeeded) or
    C(Failed), for example an agent past its C(activeDeadlineSeconds)) or an exited Docker container is removed once
    it is a minute old. An object without a TTL is kept (RV(kept) says why).
  - With O(older_than) the age alone decides; V(0) removes everything kdebug made.
  - The age is counted from the C(kdebug.io/created-at) annotation (label), else the server's creation time.
  - Pods are deleted with a grace period of 0 and a UID precondition, so an object that was replaced meanwhile
    (same name, new UID) is never removed by mistake.
  - Ephemeral debug containers cannot be removed by the Kubernetes API; they end by themselves once their idle TTL
    (M(kdebug.toolkit.kdebug_exec) O(kdebug.toolkit.kdebug_exec#module:ttl_seconds)) runs out, and their pod keeps a
    record of them until it is deleted. This module does not list them.
author:
  - kdebug.toolkit contributors (@kdebug)
extends_documentation_fragment:
  - kdebug.toolkit.auth
attributes:
  check_mode:
    description: Lists what would be removed (in RV(removed)); removes nothing.
    support: full
  diff_mode:
    description: The kdebug objects in scope before and after the sweep.
    support: full
  idempotent:
    description: A second run finds nothing more to remove.
    support: full
options:
  older_than:
    description:
      - Remove objects at least this old, whatever their TTL. Seconds (V(3600)) or a number with a unit
        V(s), V(m), V(h), V(d) or V(w) (V(90m), V(2h), V(7d)). V(0) removes every kdebug object in scope.
      - Not set (or empty) - each object's own TTL decides.
    type: raw
  namespaces:
    description:
      - Sweep only these namespaces. Empty means cluster-wide.
      - Docker containers are then only swept when they were made for a pod in one of these namespaces (their
        C(kdebug.io/target) label is C(namespace/pod/container)); containers made for plain Docker targets are swept
        only by a cluster-wide run.
    type: list
    elements: str
    default: []
  kinds:
    description:
      - The Kubernetes resources to sweep. Empty sweeps no Kubernetes objects (only O(docker_host)).
      - V(namespaces) sweeps namespaces kdebug created (the agents' C(kdebug-system), whose TTL is 0, so only with
        O(older_than)), and only when no pod is left in them after the sweep. Deleting a namespace deletes all it
        holds, so it is not in the default.
    type: list
    elements: str
    choices: [pods, configmaps, secrets, namespaces]
    default: [pods, configmaps, secrets]
  docker_host:
    description:
      - Also sweep the Docker engine at this address (the docker SDK's C(base_url), for example
        C(unix:///var/run/docker.sock) or C(tcp://host:2376) with E(DOCKER_TLS_VERIFY) and E(DOCKER_CERT_PATH)).
      - Not set - Docker is not swept.
    type: str
  wait:
    description: Wait until the deleted Kubernetes objects are gone (namespaces excepted); a warning names what is left.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 120
notes:
  - Needs C(list) and C(delete) on the swept resources (cluster-wide, or in each of O(namespaces)); see docs/cleanup.md.
seealso:
  - module: kdebug.toolkit.kdebug_agent
  - module: kdebug.toolkit.kdebug_fork
  - module: kdebug.toolkit.kdebug_exec
"""

EXAMPLES = r"""
- name: Remove what kdebug made and whose TTL has passed, cluster-wide
  kdebug.toolkit.kdebug_cleanup:
  register: swept

- name: Remove everything kdebug made in two namespaces, whatever its age
  kdebug.toolkit.kdebug_cleanup:
    namespaces: [shop, kdebug-system]
    older_than: 0

- name: What a sweep of objects older than a day would remove, Docker host included
  kdebug.toolkit.kdebug_cleanup:
    older_than: 1d
    docker_host: unix:///var/run/docker.sock
  check_mode: true
"""

RETURN = r"""
removed:
  description: The objects removed (in check mode, that would be removed).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(Pod), C(ConfigMap), C(Secret), C(Namespace) or C(DockerContainer).
      type: str
      returned: always
    namespace:
      description: Namespace of the object; null for namespaces and Docker containers.
      type: str
      returned: always
    name:
      description: Name of the object.
      type: str
      returned: always
    age_seconds:
      description: Its age; null when unknown.
      type: int
      returned: always
    reason:
      description: Why it was removed, for example C(its TTL of 3600s has passed) or C(older than 0s (older_than)).
      type: str
      returned: always
    docker_host:
      description: The Docker engine, for Docker containers.
      type: str
      returned: for Docker containers
    id:
      description: The container id, for Docker containers.
      type: str
      returned: for Docker containers
  sample:
    - kind: Pod
      namespace: kdebug-system
      name: kdebug-agent-worker-1-0a1b2c3d
      age_seconds: 3700
      reason: its TTL of 3600s has passed
kept:
  description: The kdebug objects in scope that were kept, with the same keys and why they were kept.
  returned: always
  type: list
  elements: dict
summary:
  description: "One line per object for printing, such as C(Pod kdebug-system/kdebug-agent-x (age 40s): its TTL of 30s has passed)."
  returned: always
  type: dict
  contains:
    removed:
      description: Lines for RV(removed).
      type: list
      elements: str
      returned: always
    kept:
      description: Lines for RV(kept).
      type: list
      elements: str
      returned: always
older_than:
  description: O(older_than) in seconds; null when each object's TTL decided.
  returned: always
  type: int
namespaces:
  description: The namespaces swept; empty for cluster-wide.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.cleanup import cleanup_argument_spec, run_cleanup_module
from ansible_collections.kdebug.toolkit.plugins.module_utils.module_base import run_module


def main():
    run_module("kdebug_cleanup", cleanup_argument_spec(), run_cleanup_module)


if __name__ == "__main__":
    main()
