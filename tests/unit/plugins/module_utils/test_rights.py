"""The rights each strategy asks for, the shipped ClusterRoles that grant them, and docs/rbac.md, kept as one."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils import rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.choose import choose_strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.exec import agent_rights, node_rights

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FILES = os.path.join(ROOT, "roles", "rbac", "files")
BINDS = ("target", "agents", "cluster")


def shipped():
    roles = {}
    for name in sorted(os.listdir(FILES)):
        with open(os.path.join(FILES, name)) as handle:
            roles[name] = yaml.safe_load(handle)
    return roles


def by_name():
    return dict((role["metadata"]["name"], role) for role in shipped().values())


def grants(role, verb, resource):
    return any(verb in rule["verbs"] and resource in rule["resources"] and rule["apiGroups"] == [""]
               for rule in role["rules"])


def every_right():
    return (rights.ephemeral("shop") + rights.agent_strategy("shop", "kdebug-system") + rights.node_wide()
            + rights.batch(["a", "b"], "kdebug-system") + rights.fork("shop", replay=True)
            + rights.node("kdebug-system") + rights.nodes_inventory()
            + rights.cleanup(["pods", "configmaps", "secrets", "namespaces"], ["shop"]))


def test_each_file_is_one_clusterrole_named_like_the_file_with_a_binding_place():
    for name, role in shipped().items():
        assert role["kind"] == "ClusterRole" and role["apiVersion"] == "rbac.authorization.k8s.io/v1", name
        assert name == role["metadata"]["name"] + ".yml"
        assert role["metadata"]["annotations"]["kdebug.io/bind"] in BINDS, name
        assert "namespace" not in role["metadata"], "bound where it is used, defined once: " + name


@pytest.mark.parametrize("right", every_right(), ids=lambda r: "%s-%s-%s" % (r.verb, r.resource, r.role))
def test_every_right_a_strategy_asks_for_is_granted_by_the_role_it_names(right):
    roles = by_name()
    assert right.role in roles, "no shipped file for role %s" % right.role
    assert grants(roles[right.role], right.verb, right.resource), right


def test_every_shipped_rule_is_asked_for_by_some_strategy_or_is_documented_optional():
    """Least privilege: a rule nobody asks for is either an optional right named here, or an over-grant."""
    optional = {("kdebug-ephemeral", "create", "events"),  # the audit Event: a warning without it
                ("kdebug-fork", "get", "pods/log"),  # the source's last logs: an error in the result without it
                ("kdebug-fork-nodes", "list", "nodes"),  # a hostNetwork fork's other node: a warning without it
                ("kdebug-cleanup", "get", "pods"), ("kdebug-cleanup", "get", "configmaps"),
                ("kdebug-cleanup", "get", "secrets")}  # waiting until the removed objects are gone
    streamed = {"pods/exec"}  # the API server asks create (POST) or get (websocket) for the same exec
    triage = {"kdebug-triage"}  # kdebug_triage turns each missing right into an error check, asks for none
    asked = set((r.role, r.verb, r.resource) for r in every_right())
    for role in by_name().values():
        name = role["metadata"]["name"]
        for rule in role["rules"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    if name in triage or (resource in streamed and verb == "get"):
                        continue
                    assert (name, verb, resource) in asked or (name, verb, resource) in optional, (name, verb, resource)


def test_the_fixed_gaps_of_the_old_docs():
    roles = by_name()
    assert grants(roles["kdebug-fork"], "get", "pods/exec"), "a replay needs get pods/exec too (websocket exec)"
    assert not grants(roles["kdebug-ephemeral"], "list", "pods"), "ephemeral never lists pods"


def test_docs_point_at_the_files_and_repeat_no_rules():
    with open(os.path.join(ROOT, "docs", "rbac.md")) as handle:
        text = handle.read()
    for name in shipped():
        assert "roles/rbac/files/%s" % name in text, name
    assert not re.search(r"^rules:", text, re.M), "docs/rbac.md repeats rules: point at roles/rbac/files instead"
    assert "never" in text and "agent_namespace" in text


def test_missing_rights_message_names_verb_resource_and_role():
    missing = [rights.Right("create", "pods/exec", "shop", "kdebug-agent-target"),
               rights.Right("get", "nodes", None, "kdebug-agent-nodes")]
    message = rights.missing_message(missing, "reach pod shop/web through the node agent")
    assert "create pods/exec in namespace shop (role kdebug-agent-target)" in message
    assert "get nodes cluster-wide (role kdebug-agent-nodes)" in message
    assert "Nothing was created" in message
    denial = rights.missing_denial(missing)
    assert denial["verb"] == "create" and denial["resource"] == "pods/exec" and denial["role"] == "kdebug-agent-target"
    assert [m["role"] for m in denial["missing"]] == ["kdebug-agent-target", "kdebug-agent-nodes"]


def test_the_agent_asks_for_the_callers_own_reach_in_the_target_namespace():
    params = {"agent_namespace": "kdebug-system", "join_namespaces": ["net", "uts", "ipc", "pid"], "targets": None}
    needed = set(r[:3] for r in agent_rights(params, "shop"))
    assert ("get", "pods", "shop") in needed and ("create", "pods/exec", "shop") in needed
    assert ("get", "nodes/proxy", None) not in needed
    node_wide = set(r[:3] for r in agent_rights(dict(params, join_namespaces=["net"]), "shop"))
    assert ("get", "nodes/proxy", None) in node_wide, "leaving the target's pid namespace is a node-wide right"


def test_a_node_target_asks_for_the_node_wide_right_whatever_join_namespaces_says():
    for join in (None, ["net", "uts", "ipc", "pid"], ["net"]):
        needed = set(r[:3] for r in node_rights({"agent_namespace": "kdebug-system", "join_namespaces": join}))
        assert ("get", "nodes/proxy", None) in needed and ("create", "pods", "kdebug-system") in needed
        assert not any(r[2] not in (None, "kdebug-system") for r in needed), "no target namespace: a node has none"


def test_auto_does_not_pick_the_agent_for_a_caller_who_may_not_exec_in_the_target_namespace():
    """The case of the issue: get pods in the target namespace, and the whole agent role: no strategy."""
    def allowed(right):
        return right[:3] != ("create", "pods/exec", "b") and right[1] != "pods/ephemeralcontainers"
    with pytest.raises(Exception) as err:
        choose_strategy("auto", True, allowed, "b", "kdebug-system")
    assert "create pods/exec in namespace b" in err.value.message


def test_cleanup_asks_cluster_wide_for_namespaces_and_per_namespace_for_the_rest():
    needed = set(r[:3] for r in rights.cleanup(["pods", "namespaces"], ["shop", "web"]))
    assert needed == {("list", "pods", "shop"), ("delete", "pods", "shop"), ("list", "pods", "web"),
                      ("delete", "pods", "web"), ("list", "namespaces", None), ("delete", "namespaces", None)}
