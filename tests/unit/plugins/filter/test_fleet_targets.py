# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter.fleet import fleet_targets


def test_targets_from_inventory_host_vars():
    hosts_vars = [{"kdebug_namespace": "shop", "kdebug_pod": "web-1", "kdebug_container": "app"},
                  {"kdebug_namespace": "shop", "kdebug_pod": "web-2", "inventory_hostname": "shop/web-2"}]
    assert fleet_targets(hosts_vars, ["shop/web-1", "shop/web-2"]) == [
        {"namespace": "shop", "pod": "web-1", "container": "app", "host": "shop/web-1"},
        {"namespace": "shop", "pod": "web-2", "container": None, "host": "shop/web-2"}]
    assert fleet_targets(hosts_vars[1:])[0]["host"] == "shop/web-2"


def test_a_host_that_is_not_a_pod_is_named():
    with pytest.raises(AnsibleFilterError) as err:
        fleet_targets([{"kdebug_pod": "a"}, {"ansible_host": "x"}], ["a", "db1"])
    assert "db1" in str(err.value) and "kdebug.toolkit.pods" in str(err.value)


def test_a_host_of_the_nodes_inventory_is_a_node_target():
    hosts_vars = [{"kdebug_node": "worker-1", "inventory_hostname": "worker-1"},
                  {"kdebug_namespace": "shop", "kdebug_pod": "web-1", "kdebug_node": "worker-1"}]
    assert fleet_targets(hosts_vars, ["worker-1", "shop/web-1"]) == [
        {"node": "worker-1", "host": "worker-1"},
        {"namespace": "shop", "pod": "web-1", "container": None, "host": "shop/web-1"}]
