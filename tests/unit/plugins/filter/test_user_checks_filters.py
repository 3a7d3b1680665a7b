# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import user_checks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_filters_are_exported_and_documented():
    names = set(user_checks.FilterModule().filters())
    assert names == {"user_check_definitions", "user_check_objects", "user_check_results"}
    for name in names:
        assert os.path.exists(os.path.join(ROOT, "plugins", "filter", name + ".yml"))


def test_a_bad_definition_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"user check #1 \('x'\): field 'expect' is required"):
        user_checks.user_check_definitions([{"name": "x", "shell": "true"}])


def test_results_through_the_filter():
    [definition] = user_checks.user_check_definitions([{"name": "x", "shell": "true", "expect": "rc == `0`"}])
    [check] = user_checks.user_check_results([dict(item=definition, rc=0, stdout="", stderr="")],
                                             target={"namespace": "n", "pod": "p"})
    assert (check["status"], check["target"]) == ("pass", {"namespace": "n", "pod": "p"})
    with pytest.raises(AnsibleFilterError, match="definition as item"):
        user_checks.user_check_results([{"rc": 0}])


def test_api_checks_through_the_filters():
    definitions = user_checks.user_check_definitions([{"name": "x", "shell": "true", "expect": "rc == `0`"},
                                                      {"name": "pod", "api": {"kind": "Pod"}, "expect": "output.spec"}])
    target = {"namespace": "n", "pod": "p", "container": None}
    [request] = user_checks.user_check_objects(definitions, [target])
    assert request == {"kind": "Pod", "api_version": "v1", "name": "p", "namespace": "n", "node_of": None}
    reads = {"objects": [{"request": request, "kind": "Pod", "api_version": "v1", "namespace": "n", "name": "p",
                          "found": True, "object": {"spec": {"nodeName": "w1"}}}]}
    checks = user_checks.user_check_results([dict(item=definitions[0], rc=0, stdout="", stderr="")], target=target,
                                            definitions=definitions, reads=reads, targets=[target])
    assert [(c["name"], c["status"]) for c in checks] == [("x", "pass"), ("pod", "pass")]
    assert checks[1]["target"] == dict(target, node="w1")
    with pytest.raises(AnsibleFilterError, match="user_check_objects needs checked definitions"):
        user_checks.user_check_objects([{"name": "x", "api": {}}], [target])
