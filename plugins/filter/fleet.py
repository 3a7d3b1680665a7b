# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fleet helpers: the kdebug_exec targets of a play's hosts (docs: plugins/filter/fleet_targets.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def fleet_targets(hosts_vars, hosts=None):
    """[{namespace, pod, container, host}] from the host vars of kdebug.toolkit.pods inventory hosts.

    ``hosts_vars`` is a list of host variable mappings (``ansible_play_hosts | map('extract', hostvars)``);
    ``hosts`` their names, else each mapping's ``inventory_hostname``.
    """
    targets = []
    for index, host_vars in enumerate(hosts_vars or []):
        if not isinstance(host_vars, Mapping) or not host_vars.get("kdebug_pod"):
            name = hosts[index] if hosts else (host_vars or {}).get("inventory_hostname", "#%d" % index)
            raise AnsibleFilterError("host %s has no kdebug_pod: fleet targets come from a kdebug.toolkit.pods "
                                     "inventory (-i <file>.kdebug_pods.yml)" % name)
        targets.append({"namespace": host_vars.get("kdebug_namespace") or "default", "pod": host_vars["kdebug_pod"],
                        "container": host_vars.get("kdebug_container") or None,
                        "host": hosts[index] if hosts else host_vars.get("inventory_hostname")})
    return targets


class FilterModule(object):
    """kdebug.toolkit fleet filters."""

    def filters(self):
        return {"fleet_targets": fleet_targets}
