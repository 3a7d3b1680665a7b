# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # What the kdebug.toolkit inventories of Kubernetes objects share (plugins/plugin_utils/kube_inventory.py):
    # kdebug.toolkit.pods and kdebug.toolkit.nodes.
    DOCUMENTATION = r"""
options:
  clusters:
    description:
      - Several clusters in one inventory. Each item is a C(name) and the auth options of one cluster
        (C(kubeconfig), C(context), C(host)...); options not given there come from the file's own auth options and
        the E(K8S_AUTH_*) variables.
      - With O(clusters), host names start with the cluster's name and C(/), and the hosts of a cluster are grouped
        in C(cluster_<name>).
      - A cluster that cannot be listed fails the inventory with its name.
    type: list
    elements: dict
    default: []
notes:
  - >-
    Besides the options, the E(K8S_AUTH_*) environment variables of the modules apply (for example
    E(K8S_AUTH_KUBECONFIG), E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY)); an option in the file wins over its
    variable.
  - C(kdebug_connection) holds no token or password unless the file itself names one (C(api_key), C(password));
    prefer a kubeconfig and context, or E(K8S_AUTH_API_KEY), which stays in the environment.
  - Labels and other values read from the cluster are never templated; only the file's own
    O(compose), O(groups) and O(keyed_groups) expressions are.
"""
