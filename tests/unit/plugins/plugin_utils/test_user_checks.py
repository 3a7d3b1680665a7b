# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import textwrap

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import validate_checks
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import user_checks as uc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
TARGET = {"namespace": "kdebug-demo", "pod": "web-0", "container": "web", "node": "lab"}
SOMAXCONN = {"name": "somaxconn", "shell": "cat /proc/sys/net/core/somaxconn", "expect": "to_number(output) >= `1024`",
             "fail_summary": "somaxconn is {value}, below 1024", "next_step": "Raise it."}


def _examples():
    with open(os.path.join(ROOT, "docs", "user-checks.yml")) as f:
        return yaml.safe_load(f)["user_checks"]


def run(definition, stdout="", rc=0, **result):
    [checked] = uc.definitions([definition])
    exec_result = dict({"rc": rc, "stdout": stdout, "stderr": "", "target": TARGET, "duration_ms": 12}, **result)
    check = uc.judge(checked, exec_result)
    validate_checks([check])  # the one check record
    return check


def test_defaults_are_filled_in():
    [checked] = uc.definitions([SOMAXCONN])
    assert (checked["parse"], checked["ok_rc"], checked["chroot"], checked["env"]) == ("text", [0], False, {})
    assert uc.definitions([dict(SOMAXCONN, env={"A": 1, "B": True})])[0]["env"] == {"A": "1", "B": "True"}
    assert uc.definitions(None) == []


@pytest.mark.parametrize("definition, message", [
    ({"shell": "x", "expect": "a"}, r"user check #1: field 'name' is required"),
    ({"name": "n", "expect": "a"}, r"#1 \('n'\): give exactly one of command \(an argv list\), shell \(a command "
                                   r"line\) and api"),
    ({"name": "n", "shell": "x", "command": ["x"], "expect": "a"}, "give exactly one of command"),
    ({"name": "n", "shell": "x"}, r"field 'expect' is required"),
    ({"name": "n", "shell": "x", "expect": "a", "pars": "json"}, r"field 'pars' is not allowed \(allowed: name, "),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "xml"}, r"field 'parse' must be one of text, lines, json"),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "regex"}, r"parse: regex needs a pattern"),
    ({"name": "n", "shell": "x", "expect": "a ==", "parse": "json"}, r"expect is not a valid JMESPath expression"),
    ({"name": "n", "shell": "x", "expect": "a", "show": "[?"}, r"show is not a valid JMESPath expression"),
    ({"name": "n", "shell": "x", "expect": "a", "parse": "regex", "pattern": "("},
     r"pattern is not a valid regular expression"),
    ({"name": "n", "shell": "x", "expect": "a", "timeout": 0}, r"field 'timeout'"),
    ("cat /etc/hosts", r"user check #1 must be a mapping"),
])
def test_bad_definitions_are_named(definition, message):
    with pytest.raises(uc.UserCheckError, match=message):
        uc.definitions([definition])


def test_names_must_differ_and_a_list_is_needed():
    with pytest.raises(uc.UserCheckError, match=r"#2 \('somaxconn'\): another user check has the same name"):
        uc.definitions([SOMAXCONN, SOMAXCONN])
    with pytest.raises(uc.UserCheckError, match="expected a list"):
        uc.definitions(SOMAXCONN)


def test_pass_and_fail_with_own_summaries_and_evidence():
    passed = run(SOMAXCONN, "4096\n")
    assert (passed["status"], passed["summary"]) == ("pass", "to_number(output) >= `1024` holds (4096)")
    assert passed["target"] == TARGET and passed["duration_ms"] == 12
    assert passed["evidence"] == [{"label": "command", "text": SOMAXCONN["shell"]}, {"label": "stdout", "text": "4096\n"}]
    failed = run(SOMAXCONN, "128\n")
    assert (failed["status"], failed["summary"]) == ("fail", "somaxconn is 128, below 1024")
    assert failed["details"]["value"] is False and failed["details"]["next_step"] == "Raise it."


@pytest.mark.parametrize("parse, stdout, expect, status", [
    ("json", '{"status": "UP", "db": {"ok": true}}', "output.status == 'UP' && output.db.ok", "pass"),
    ("json", '{"status": "DOWN"}', "output.status == 'UP'", "fail"),
    ("yaml", "status: UP\nitems: [1, 2]\n", "length(output.items) == `2`", "pass"),
    ("lines", "PATH\n\nHOME\n", "contains(output, 'HOME')", "pass"),
    ("lines", "PATH\n", "contains(output, 'HOME')", "fail"),
    ("text", "  ok \n", "output == 'ok'", "pass"),
    # JMESPath truth: 0 is true, empty things are false
    ("text", "0", "to_number(output)", "pass"),
    ("lines", "", "output", "fail"),
])
def test_parsers_and_truth(parse, stdout, expect, status):
    assert run({"name": "c", "shell": "x", "parse": parse, "expect": expect}, stdout)["status"] == status


def test_regex_gives_the_matches():
    assert uc.parse_output("mtu 1500 x\nmtu 9000", "regex", r"mtu (?P<mtu>\d+)") == [{"mtu": "1500"}, {"mtu": "9000"}]
    assert uc.parse_output("a1 b2", "regex", r"[a-z]\d") == ["a1", "b2"]
    check = run({"name": "mtu", "command": ["ip", "link"], "parse": "regex", "pattern": r"mtu (?P<mtu>\d+)",
                 "expect": "to_number(output[0].mtu) >= `1400`", "show": "output[0].mtu"}, "2: eth0: mtu 1450 qdisc")
    assert check["status"] == "pass" and check["summary"].endswith("(1450)")


@pytest.mark.parametrize("result, summary", [
    ({"rc": 7, "stderr": "curl: (7) Failed to connect\n"}, "the command exited 7: curl: (7) Failed to connect (ok_rc: 0)"),
    ({"timed_out": True, "rc": 124}, "the command did not finish in its timeout"),
    ({"stdout": "not json"}, "the output is not JSON"),
    ({"stdout": "{}"}, None),
])
def test_errors_say_what_kept_the_check_from_deciding(result, summary):
    definition = {"name": "c", "shell": "x", "parse": "json", "expect": "output.a > `1`"}
    check = run(definition, **dict({"rc": 0, "stdout": "{}"}, **result))
    if summary is None:  # a missing key is null: null > 1 is null, a fail
        assert check["status"] == "fail"
    else:
        assert check["status"] == "error" and summary in check["summary"], check["summary"]


def test_an_expression_that_fails_on_the_output_is_an_error():
    check = run({"name": "c", "shell": "x", "expect": "length(output) > `1`", "parse": "json"}, '5')
    assert check["status"] == "error" and "the expression failed on this output" in check["summary"]


def test_ok_rc_makes_an_exit_code_data():
    definition = {"name": "grep", "shell": "grep -q x f", "expect": "rc == `1`", "ok_rc": [0, 1]}
    assert run(definition, rc=1)["status"] == "pass"


def test_a_command_that_did_not_run_is_an_error_with_its_class():
    [checked] = uc.definitions([SOMAXCONN])
    check = uc.judge(checked, {"failed": True, "msg": "pod web-0 is not running", "error_class": "TargetNotRunning"},
                     target={"namespace": "n", "pod": "p"})
    assert (check["status"], check["summary"]) == ("error", "pod web-0 is not running")
    assert check["details"] == {"error_class": "TargetNotRunning"} and check["target"] == {"namespace": "n", "pod": "p"}
    validate_checks([check])


def test_loop_results_and_targets_results():
    checked = uc.definitions([SOMAXCONN, {"name": "two", "shell": "x", "expect": "output"}])
    loop = [dict({"item": checked[0]}, results=[{"rc": 0, "stdout": "4096", "target": TARGET},
                                                {"rc": 0, "stdout": "128", "target": dict(TARGET, pod="web-1")}]),
            {"item": checked[1], "rc": 0, "stdout": "yes", "target": TARGET}]
    checks = uc.results_to_checks(loop)
    assert [(c["name"], c["status"], c["target"]["pod"]) for c in checks] == [
        ("somaxconn", "pass", "web-0"), ("somaxconn", "fail", "web-1"), ("two", "pass", "web-0")]
    with pytest.raises(uc.UserCheckError, match="with its definition as item"):
        uc.results_to_checks([{"rc": 0}])


def test_long_output_is_cut_in_the_evidence_and_summary():
    check = run({"name": "c", "shell": "x", "expect": "output == 'no'"}, "y" * 10000)
    assert len(check["evidence"][1]["text"]) < uc.EVIDENCE_CHARS + 100
    assert check["summary"].endswith("...") and len(check["summary"]) < uc.SHOWN_CHARS + 60


def test_the_shipped_examples_are_valid_and_in_the_docs():
    examples = _examples()
    assert len(uc.definitions(examples)) == 7
    with open(os.path.join(ROOT, "docs", "user-checks.md")) as f:
        page = f.read()
    with open(os.path.join(ROOT, "docs", "user-checks.yml")) as f:
        shipped = f.read()
    assert shipped[shipped.index("user_checks:"):] in page


@pytest.mark.parametrize("name, stdout, status", [
    ("somaxconn is at least 1024", "4096\n", "pass"),
    ("somaxconn is at least 1024", "128\n", "fail"),
    ("the mounted service account token is fresh", '{"age_seconds": 120}\n', "pass"),
    ("the mounted service account token is fresh", '{"age_seconds": 90000}\n', "fail"),
    ("the API server's /version answers the pod", json.dumps({"major": "1", "minor": "34", "gitVersion": "v1.34.2"}),
     "pass"),
    ("KUBERNETES_SERVICE_HOST is in the container's environment", "PATH\nKUBERNETES_SERVICE_HOST\nHOME\n", "pass"),
    ("KUBERNETES_SERVICE_HOST is in the container's environment", "PATH\nHOME\n", "fail"),
    ("eth0's MTU is at least 1400", "2: eth0@if5: <BROADCAST,UP> mtu 1500 qdisc noqueue", "pass"),
])
def test_the_examples_judge_real_shaped_output(name, stdout, status):
    [definition] = [d for d in _examples() if d["name"] == name]
    assert run(definition, stdout)["status"] == status


# --- api definitions: an object read through the API (kdebug_get) --------------------------------------------------

RESTARTS = {"name": "restarts", "api": {"kind": "Pod"},
            "expect": "max(output.status.containerStatuses[].restartCount) <= `3`",
            "show": "max(output.status.containerStatuses[].restartCount)", "fail_summary": "{value} restarts"}
POD_TARGET = {"namespace": "shop", "pod": "web-0", "container": None}


def pod_object(restarts, node="lab-w1"):
    return {"kind": "Pod", "metadata": {"name": "web-0", "namespace": "shop"}, "spec": {"nodeName": node},
            "status": {"containerStatuses": [{"name": "web", "restartCount": restarts}]}}


def entry(request, obj=None, **error):
    """A kdebug_get objects entry, as the module returns it (its request echoed with every field)."""
    request = dict({"api_version": "v1", "name": None, "namespace": None, "node_of": None}, **request)
    if request["node_of"]:
        request["node_of"] = dict({"namespace": "default"}, **request["node_of"])
    found = dict(request=request, kind=request["kind"], api_version=request["api_version"],
                 namespace=request["namespace"], name=request["name"], object=obj, found=obj is not None)
    found.update(error)
    return found


def test_an_api_definition_gets_its_defaults_and_none_of_the_command_fields():
    [checked] = uc.definitions([RESTARTS])
    assert checked["api"] == {"kind": "Pod", "api_version": "v1"}
    assert not set(uc.COMMAND_ONLY) & set(checked)


@pytest.mark.parametrize("definition, message", [
    (dict(RESTARTS, shell="true"), "give exactly one of command"),
    (dict(RESTARTS, api={"name": "x"}), r"field 'kind' is required"),
    (dict(RESTARTS, api={"kind": "pod"}), r"field 'api.kind' must be a kind as the API spells it.*got 'pod'"),
    (dict(RESTARTS, api={"kind": "Deployment", "api_version": "apps"}),
     r"field 'api.api_version' must be an API version, for example v1, apps/v1"),
    (dict(RESTARTS, api={"kind": "Pod", "name": "a/b"}), r"field 'api.name' must be an object name"),
    (dict(RESTARTS, api={"kind": "Pod", "namespace": "Shop"}), r"field 'api.namespace' must be a namespace name"),
    (dict(RESTARTS, api={"kind": "Pod", "nam": "x"}), r"field 'api.nam' is not allowed \(allowed: kind, api_version"),
    (dict(RESTARTS, api="Pod"), r"field 'api': 'Pod' is not of type 'object'"),
    (dict(RESTARTS, parse="json"), r"#1 \('restarts'\): field 'parse' is for a command's output, not for api"),
    (dict(RESTARTS, timeout=5), r"field 'timeout' is for a command's output"),
])
def test_bad_api_definitions_are_named(definition, message):
    with pytest.raises(uc.UserCheckError, match=message):
        uc.definitions([definition])


@pytest.mark.parametrize("api, target, expected", [
    # the target pod itself, and its namespace for another object
    ({"kind": "Pod"}, POD_TARGET, {"name": "web-0", "namespace": "shop"}),
    ({"kind": "Deployment", "api_version": "apps/v1", "name": "web"}, POD_TARGET,
     {"api_version": "apps/v1", "name": "web", "namespace": "shop"}),
    ({"kind": "ConfigMap", "name": "cfg", "namespace": "other"}, POD_TARGET, {"name": "cfg", "namespace": "other"}),
    # the pod's node, a named node, the pod's namespace
    ({"kind": "Node"}, POD_TARGET, {"node_of": {"namespace": "shop", "pod": "web-0"}}),
    ({"kind": "Node", "name": "w2"}, POD_TARGET, {"name": "w2", "namespace": "shop"}),
    ({"kind": "Namespace"}, POD_TARGET, {"name": "shop", "namespace": "shop"}),
    # a pod target without namespace is in default
    ({"kind": "Pod"}, {"pod": "p"}, {"name": "p", "namespace": "default"}),
    # a node target: its node; a pod-like default has nothing to come from
    ({"kind": "Node"}, {"node": "w1", "host": "w1"}, {"name": "w1"}),
    ({"kind": "Pod"}, {"node": "w1"}, None),
    ({"kind": "Pod", "name": "etcd", "namespace": "kube-system"}, {"node": "w1"},
     {"name": "etcd", "namespace": "kube-system"}),
])
def test_object_references_default_to_the_target(api, target, expected):
    got = uc.object_request(dict({"api_version": "v1"}, **api), target)
    if expected is None:
        assert got is None
    else:
        assert got == dict({"kind": api["kind"], "api_version": "v1", "name": None, "namespace": None,
                            "node_of": None}, **expected)


def test_the_fleet_reads_each_distinct_object_once():
    deploy = {"kind": "Deployment", "api_version": "apps/v1", "name": "web"}
    checked = uc.definitions([RESTARTS, {"name": "deploy", "api": deploy, "expect": "output"},
                              {"name": "node", "api": {"kind": "Node"}, "expect": "output"},
                              {"name": "cmd", "shell": "true", "expect": "rc == `0`"}])
    targets = [{"namespace": "shop", "pod": "web-%d" % i, "container": None, "host": "h%d" % i} for i in range(3)]
    requests = uc.object_requests(checked, targets + targets[:1])
    assert [(r["kind"], r["name"] or r["node_of"]["pod"]) for r in requests] == [
        ("Pod", "web-0"), ("Pod", "web-1"), ("Pod", "web-2"), ("Deployment", "web"),
        ("Node", "web-0"), ("Node", "web-1"), ("Node", "web-2")]
    assert uc.object_requests(checked[3:], targets) == []


def test_request_keys_ignore_how_a_request_is_spelled():
    short = {"kind": "Node", "node_of": {"pod": "p"}}
    echoed = {"kind": "Node", "api_version": "v1", "name": None, "namespace": None,
              "node_of": {"namespace": "default", "pod": "p"}}
    assert uc.request_key(short) == uc.request_key(echoed)
    assert uc.request_key({"kind": "Pod", "name": "p", "namespace": "a"}) != uc.request_key(
        {"kind": "Pod", "name": "p", "namespace": "b"})


def judge_api(definition, reads, target=None):
    [checked] = uc.definitions([definition])
    check = uc.judge_object(checked, target or POD_TARGET, reads)
    validate_checks([check])
    return check


def test_an_api_check_passes_and_fails_on_the_object_with_its_reference_and_value_as_evidence():
    request = {"kind": "Pod", "name": "web-0", "namespace": "shop"}
    passed = judge_api(RESTARTS, {"objects": [entry(request, pod_object(1))]})
    assert (passed["status"], passed["summary"]) == ("pass", "%s holds (1)" % RESTARTS["expect"])
    assert passed["evidence"] == [{"label": "object", "text": "Pod shop/web-0"}, {"label": "shown", "text": "1"}]
    assert passed["details"]["api"] == {"kind": "Pod", "api_version": "v1", "namespace": "shop", "name": "web-0"}
    # the pod's node, read with it, is the target's
    assert passed["target"] == dict(POD_TARGET, node="lab-w1")
    failed = judge_api(dict(RESTARTS, next_step="Look at its logs."), {"objects": [entry(request, pod_object(7))]})
    assert (failed["status"], failed["summary"]) == ("fail", "7 restarts")
    assert failed["details"]["value"] is False and failed["details"]["next_step"] == "Look at its logs."


def test_an_api_check_sees_only_the_object_as_output():
    reads = {"objects": [entry({"kind": "Pod", "name": "web-0", "namespace": "shop"}, pod_object(0))]}
    assert judge_api({"name": "n", "api": {"kind": "Pod"}, "expect": "rc == null && stdout == null"},
                     reads)["status"] == "pass"
    shown = judge_api({"name": "n", "api": {"kind": "Pod"}, "expect": "output.spec"}, reads)
    assert json.loads(shown["evidence"][1]["text"]) == pod_object(0)  # default show: the whole object


def test_an_object_that_cannot_be_read_is_an_error_naming_it():
    request = {"kind": "Deployment", "api_version": "apps/v1", "name": "web", "namespace": "shop"}
    definition = {"name": "d", "api": request, "expect": "output"}
    missing = judge_api(definition, {"objects": [entry(request, msg="Deployment shop/web not found: check its name",
                                                       error_class="not_found")]})
    assert (missing["status"], missing["summary"]) == ("error", "Deployment shop/web not found: check its name")
    assert missing["details"] == {"error_class": "not_found"}
    assert missing["evidence"] == [{"label": "object", "text": "Deployment shop/web (apps/v1)"}]
    denied = judge_api(definition, {"objects": [entry(request, msg="not allowed to get deployments",
                                                      error_class="denied", denied_by="rbac",
                                                      denial={"verb": "get"})]})
    assert denied["details"] == {"error_class": "denied", "denied_by": "rbac", "denial": {"verb": "get"}}


def test_a_failed_kdebug_get_call_makes_every_api_check_an_error_with_its_class():
    failed = {"failed": True, "msg": "could not connect to https://lab:6443", "error_class": "unreachable"}
    check = judge_api({"name": "n", "api": {"kind": "Node"}, "expect": "output"}, failed)
    assert (check["status"], check["summary"]) == ("error", failed["msg"])
    assert check["details"]["error_class"] == "unreachable"
    assert check["evidence"] == [{"label": "object", "text": "the Node of Pod shop/web-0"}]


def test_a_node_target_without_a_name_for_a_pod_kind_is_an_error():
    check = judge_api({"name": "n", "api": {"kind": "Pod"}, "expect": "output"}, {"objects": []},
                      target={"node": "w1"})
    assert check["status"] == "error" and "give api.name" in check["summary"]


def test_results_keep_the_definitions_order_and_give_one_api_check_per_target():
    checked = uc.definitions([RESTARTS, SOMAXCONN, {"name": "node ready", "api": {"kind": "Node"},
                                                    "expect": "output.status.conditions[?type=='Ready'].status"
                                                              " | [0] == 'True'"}])
    targets = [dict(POD_TARGET, pod="web-0", host="a"), dict(POD_TARGET, pod="web-1", host="b")]
    node = {"kind": "Node", "metadata": {"name": "lab-w1"}, "status": {"conditions": [{"type": "Ready",
                                                                                       "status": "True"}]}}
    reads = {"objects": [entry({"kind": "Pod", "name": "web-0", "namespace": "shop"}, pod_object(0)),
                         entry({"kind": "Pod", "name": "web-1", "namespace": "shop"}, pod_object(9)),
                         dict(entry({"kind": "Node", "node_of": {"namespace": "shop", "pod": "web-0"}}, node),
                              name="lab-w1"),
                         dict(entry({"kind": "Node", "node_of": {"namespace": "shop", "pod": "web-1"}}, node),
                              name="lab-w1")]}
    loop = [{"item": checked[1], "results": [{"rc": 0, "stdout": "4096", "target": dict(TARGET, pod=t["pod"])}
                                             for t in targets]}]
    checks = uc.results_to_checks(loop, None, checked, reads, targets)
    assert [(c["name"], c["target"]["pod"], c["status"]) for c in checks] == [
        ("restarts", "web-0", "pass"), ("restarts", "web-1", "fail"), ("somaxconn", "web-0", "pass"),
        ("somaxconn", "web-1", "pass"), ("node ready", "web-0", "pass"), ("node ready", "web-1", "pass")]
    assert all("host" not in c["target"] for c in checks[:2])
    assert checks[4]["evidence"][0] == {"label": "object", "text": "Node lab-w1"}
    validate_checks(checks)


def test_the_api_examples_judge_real_shaped_objects():
    examples = dict((d["name"], d) for d in _examples() if "api" in d)
    assert len(examples) == 2
    restarts = examples["no container of the pod restarted more than 3 times"]
    reads = {"objects": [entry({"kind": "Pod", "name": "web-0", "namespace": "shop"}, pod_object(2))]}
    assert judge_api(restarts, reads)["status"] == "pass"
    reads = {"objects": [entry({"kind": "Pod", "name": "web-0", "namespace": "shop"}, pod_object(4))]}
    assert judge_api(restarts, reads)["status"] == "fail"
    ready = examples["the pod's node is Ready"]
    for status, verdict in (("True", "pass"), ("Unknown", "fail")):
        node = {"kind": "Node", "metadata": {"name": "lab-w1"},
                "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                          {"type": "Ready", "status": status, "reason": "KubeletReady"}]}}
        reads = {"objects": [dict(entry({"kind": "Node", "node_of": {"namespace": "shop", "pod": "web-0"}}, node),
                                  name="lab-w1")]}
        assert judge_api(ready, reads)["status"] == verdict


def test_every_example_of_the_page_is_a_valid_definition():
    with open(os.path.join(ROOT, "docs", "user-checks.md")) as f:
        blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    names = []
    for block in blocks:
        loaded = yaml.safe_load(textwrap.dedent(block))
        names += [d["name"] for d in uc.definitions(loaded["user_checks"] if isinstance(loaded, dict) else loaded)]
    assert "web has all its replicas available" in names and "the app reports itself healthy" in names
