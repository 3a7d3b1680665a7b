# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The bad-input table, the part that needs no cluster: each module's real main() with a bad value.

Each row asserts the module fails (never exits ok), with a message naming the bad value and the fix, without a
traceback, and before any request to a cluster (KdebugModule.kube is not reached: nothing can be created). The
inputs that need the lab (missing objects, kubeconfigs, images, forks, inventories, playbooks) are the other part
of the table: tests/integration/badinput/test_bad_inputs.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import json

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base

# ansible-core's own way to hand a module its arguments in a test came with 2.19: on the older cores CI runs the unit
# tests on (the requirements' floors), these tables are skipped; they run on every newer core.
patch_module_args = pytest.importorskip("ansible.module_utils.testing",
                                        reason="ansible.module_utils.testing is new in ansible-core 2.19"
                                        ).patch_module_args

POD = {"pod": "web", "namespace": "shop"}
EXEC = dict(POD, command=["true"])
NAME_FIX = "Fix the %s option"


def name_rows():
    """Invalid characters, upper case, 300 characters, unicode, newlines, path-like, empty, leading dash."""
    values = [("../../../../tmp/x", "'../../../../tmp/x'"), ("Web", "'Web'"), ("a" * 300, "300 characters"),
              (u"w\u00e9b", u"'w\u00e9b'"), ("web\nx", "'web\\nx'"), ("", "is empty"), ("web pod", "'web pod'"),
              ("-web", "'-web'"), ("web_1", "'web_1'")]
    rows = []
    for value, shown in values:
        rows.append(("kdebug_exec", dict(EXEC, pod=value), [shown, NAME_FIX % "pod"]))
    for value, shown in values[:7]:
        rows.append(("kdebug_triage", dict(POD, namespace=value), [shown, NAME_FIX % "namespace"]))
    for value, shown in values[:6]:
        rows.append(("kdebug_fork", dict(POD, container=value), [shown, NAME_FIX % "container"]))
    for value, shown in values[:4]:
        rows.append(("kdebug_agent", {"node": value}, [shown, NAME_FIX % "node"]))
    for value, shown in values[:4]:
        rows.append(("kdebug_exec", dict(EXEC, agent_namespace=value), [shown, NAME_FIX % "agent_namespace"]))
    return rows


ROWS = name_rows() + [
    # zero, negative and huge numbers
    ("kdebug_exec", dict(EXEC, timeout=0), ["timeout must be a positive number, got 0"]),
    ("kdebug_exec", dict(EXEC, timeout=-1), ["timeout must be a positive number, got -1"]),
    ("kdebug_exec", dict(EXEC, timeout=10 ** 20), ["timeout must be at most 2147483647", str(10 ** 20)]),
    ("kdebug_exec", dict(EXEC, max_output_bytes=0), ["max_output_bytes must be a positive number, got 0"]),
    ("kdebug_agent", {"node": "n1", "ttl_seconds": 0}, ["ttl_seconds must be a positive number, got 0"]),
    ("kdebug_agent", {"node": "n1", "ttl_seconds": 99999999999999999999},
     ["ttl_seconds must be at most 2147483647", "99999999999999999999"]),
    ("kdebug_agent", {"node": "n1", "wait_timeout": -1}, ["wait_timeout must be a positive number, got -1"]),
    ("kdebug_triage", dict(POD, request_timeout=0), ["request_timeout must be a positive number, got 0"]),
    ("kdebug_fork", dict(POD, replay_timeout=-3), ["replay_timeout must be a positive number, got -3"]),
    ("kdebug_fork", dict(POD, ttl_seconds=-5), ["ttl_seconds must be a positive number, got -5"]),
    # not a number at all
    ("kdebug_exec", dict(EXEC, timeout="soon"), ["timeout", "soon", "int"]),
    ("kdebug_agent", {"node": "n1", "ttl_seconds": "1h"}, ["ttl_seconds", "1h", "int"]),
    # unknown choices
    ("kdebug_exec", dict(EXEC, strategy="bogus"), ["strategy", "bogus", "auto, ephemeral, agent, docker"]),
    ("kdebug_exec", dict(EXEC, image_pull_policy="Sometimes"), ["image_pull_policy", "Sometimes", "IfNotPresent"]),
    ("kdebug_exec", dict(EXEC, profile="bogus"), ["profile", "bogus", "general"]),
    ("kdebug_agent", {"node": "n1", "state": "gone"}, ["state", "gone", "present, absent"]),
    ("kdebug_cleanup", {"kinds": ["pods", "deployments"]}, ["kinds", "deployments", "pods"]),
    # empty or contradictory commands
    ("kdebug_exec", dict(POD, command=[]), ["command is empty", "command: [ls, -l, /]"]),
    ("kdebug_exec", dict(POD, command=[""]), ["command is empty", "shell"]),
    ("kdebug_exec", dict(POD, command="ls -l /"), ["command 'ls -l /'", "shell: 'ls -l /'", "[ls, -l, /]"]),
    ("kdebug_exec", dict(POD, shell=""), ["shell is empty", "sh -c"]),
    ("kdebug_exec", dict(POD, shell="   "), ["shell is empty"]),
    ("kdebug_exec", dict(POD, command=["true"], shell="true"), ["mutually exclusive", "command|shell"]),
    ("kdebug_exec", dict(POD), ["one of the following is required", "command, shell"]),
    ("kdebug_exec", dict(EXEC, docker_container="app"), ["mutually exclusive", "pod|docker_container|node|targets"]),
    ("kdebug_exec", dict(EXEC, node="n1"), ["mutually exclusive", "pod|docker_container|node|targets"]),
    ("kdebug_exec", {"node": "n1", "command": ["true"], "strategy": "ephemeral"},
     ["node n1 is a node, not a pod", "strategy ephemeral", "Use strategy auto or agent"]),
    ("kdebug_exec", {"node": "n1", "command": ["true"], "strategy": "docker"},
     ["node n1 is a node, not a pod", "strategy docker", "Use strategy auto or agent"]),
    ("kdebug_exec", {"node": "n1", "command": ["true"], "container": "app"},
     ["container app is a pod's", "Remove container"]),
    ("kdebug_exec", {"node": "Node/1", "command": ["true"]}, ["node 'Node/1'", "kubectl get nodes lists them"]),
    ("kdebug_exec", {"targets": [{"host": "x"}], "command": ["true"]}, ["targets item 1", "exactly one of pod"]),
    ("kdebug_exec", {"targets": [{"pod": "a"}], "command": ["true"], "strategy": "ephemeral"},
     ["strategy", "must be auto or agent, not ephemeral", "one kdebug_exec task per pod"]),
    # resources the API server would refuse, after creating the agents' namespace
    ("kdebug_agent", {"node": "n1", "resources": {"limits": {"cpu": "lots"}}},
     ["resources.limits.cpu 'lots'", "500m"]),
    ("kdebug_agent", {"node": "n1", "resources": {"requests": {"memory": "-"}}}, ["resources.requests.memory '-'"]),
    ("kdebug_agent", {"node": "n1", "resources": {"limit": {"cpu": "1"}}}, ["'limit'", "only limits and requests"]),
    ("kdebug_agent", {"node": "n1", "resources": {"limits": "1 cpu"}}, ["resources.limits must be a mapping"]),
    # a duration that is none
    ("kdebug_cleanup", {"older_than": "yesterday"}, ["older_than", "'yesterday'", "90m"]),
    # objects the API cannot be asked for
    ("kdebug_get", {"objects": [{"kind": "deployment", "name": "web"}]}, ["objects[0].kind 'deployment'", "Deployment"]),
    ("kdebug_get", {"objects": [{"kind": "Deployment", "api_version": "apps", "name": "web"}]},
     ["objects[0].api_version 'apps'", "apps/v1"]),
    ("kdebug_get", {"objects": [{"kind": "Pod", "name": "web"}, {"kind": "Pod"}]}, ["objects[1]: name is required"]),
    ("kdebug_get", {"objects": [{"kind": "Pod", "name": "../x"}]}, ["objects[0].name '../x'", "no '/'"]),
    ("kdebug_get", {"objects": [{"kind": "Pod", "name": "web", "namespace": "Shop"}]},
     ["objects[0].namespace 'Shop'", "Fix the objects[0].namespace option"]),
    ("kdebug_get", {"objects": [{"kind": "Pod", "node_of": {"pod": "web"}}]}, ["node_of", "kind Node"]),
    ("kdebug_get", {"objects": [{"kind": "Node", "node_of": {"pod": "web/x"}}]}, ["objects[0].node_of.pod 'web/x'"]),
]


@pytest.fixture()
def no_cluster(monkeypatch):
    def refuse(self):
        raise AssertionError("a bad input reached the cluster")
    monkeypatch.setattr(module_base.KdebugModule, "kube", refuse)


def run_main(name, args, capsys):
    module = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.modules." + name)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_the_table_is_long_enough():
    assert len(ROWS) >= 60


@pytest.mark.parametrize("name, args, expected", ROWS, ids=["%s-%d" % (r[0], i) for i, r in enumerate(ROWS)])
def test_bad_input_fails_naming_the_value_and_the_fix(name, args, expected, capsys, no_cluster):
    result = run_main(name, args, capsys)
    assert result.get("failed") is True, result
    message = result["msg"]
    for text in expected:
        assert text in message, (text, message)
    assert "Traceback" not in json.dumps(result) and "reached the cluster" not in message, result
    assert result.get("changed") in (None, False)
