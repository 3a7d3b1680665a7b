# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Triage's reading (managers/triage.py): gather with a fetcher serving the fixtures (fixtures/triage_data.py), and
the fetcher's requests against a KubeClient answering from a table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import KubeClient
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.failures import Request, http_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import LOG_LIMIT_BYTES
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.triage import TriageFetcher, gather
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import triage as T
from ansible_collections.kdebug.toolkit.tests.unit.plugins.module_utils.fixtures.triage_data import (
    CRASHY_LOG, by_name, completed_init, edit, events, load, node, pod)


# --- gather and build, with a fake fetcher -------------------------------------------------------------


class FakeFetcher(object):
    """Serves the fixtures; ``fail`` maps a method name to the exception it raises."""

    def __init__(self, name, fail=None, logs=None):
        self.name = name
        self.fail = fail or {}
        self.logs = logs or {}
        self.calls = []

    def _call(self, method, value):
        self.calls.append(method)
        if method in self.fail:
            raise self.fail[method]
        return value

    def read_pod(self, namespace, name):
        return self._call("read_pod", pod(self.name))

    def list_pod_events(self, namespace, uid):
        assert uid == pod(self.name)["metadata"]["uid"]
        return self._call("list_pod_events", events(self.name))

    def list_services(self, namespace):
        return self._call("list_services", load("services-kdebug-demo"))

    def read_node(self, name):
        assert name == "kdebug-lab"
        return self._call("read_node", node())

    def read_log(self, namespace, name, container, previous, tail_lines):
        stream = "previous" if previous else "current"
        self.calls.append(("read_log", container, stream, tail_lines))
        key = (container, stream)
        if isinstance(self.logs.get(key), Exception):
            raise self.logs[key]
        return self.logs.get(key, "%s %s log\n" % (container, stream)), False


def forbidden(verb, resource, namespace=None):
    """The error the client raises for an RBAC 403 (kube/failures.py), from the API server's own words."""
    info = Request("GET", "/api/v1/namespaces/%s/%s" % (namespace, resource) if namespace else "/api/v1/" + resource)
    scope = ' in the namespace "%s"' % namespace if namespace else " at the cluster scope"
    message = '%s is forbidden: User "u" cannot %s resource "%s" in API group ""%s' % (resource, verb, resource, scope)
    return http_error(info, 403, "Forbidden", json.dumps({"kind": "Status", "message": message}))


def run(name, fetcher=None, **kw):
    fetcher = fetcher or FakeFetcher(name)
    p = pod(name)
    gathered = gather(fetcher, p["metadata"]["namespace"], p["metadata"]["name"], kw.pop("container", None),
                      kw.pop("log_lines", 50), kw.get("event_limit", 20), max_workers=kw.pop("max_workers", 4))
    return T.triage_result(gathered, kw.pop("restart_threshold", 3), kw.pop("event_limit", 20)), fetcher


def test_web_all_checks_pass_and_are_valid():
    result, fetcher = run("web")
    assert [c for c in result["checks"] if c["status"] != "pass"] == []
    assert validate_checks(result["checks"])  # the report's own validation accepts them
    names = [(c["name"], c["target"].get("container")) for c in result["checks"]]
    assert len(names) == len(set(names)), "check names are unique per target"
    assert result["pod"]["services"] == ["web"]
    assert result["logs"]["web"] == {"current": "web current log\n", "previous": None, "truncated": False,
                                     "note": "no previous run"}
    assert result["node"]["ready"] is True and result["missing_permissions"] == []
    assert ("read_log", "web", "current", 50) in fetcher.calls


def test_crashy_checks_and_logs():
    result = run("crashy", FakeFetcher("crashy", logs={("app", "previous"): CRASHY_LOG}))[0]
    checks = by_name(result["checks"])
    assert "CrashLoopBackOff" in checks["container app state"]["summary"]
    assert checks["container app last termination"]["summary"].startswith("exit code 1 (Error)")
    assert checks["container app last termination"]["evidence"] == [{"label": "previous log tail", "text": CRASHY_LOG}]
    assert checks["pod events"]["status"] == "fail"
    assert result["logs"]["app"]["previous"] == CRASHY_LOG and result["logs"]["app"]["current"] is None
    assert [e["reason"] for e in result["events"]][-1] in ("BackOff", "Started", "Created", "Pulled")


def test_one_container_only():
    result, fetcher = run("multi", container="app")
    assert list(result["logs"]) == ["app"]
    assert not [c for c in result["checks"] if (c["target"].get("container") == "sidecar")]
    assert "container app state" in by_name(result["checks"])
    assert [c for c in fetcher.calls if isinstance(c, tuple)] == [("read_log", "app", "current", 50)]
    # the pod summary still shows both
    assert [c["name"] for c in result["pod"]["containers"]] == ["sidecar", "app"]


def test_missing_rights_become_error_checks():
    fetcher = FakeFetcher("crashy", fail={"list_pod_events": forbidden("list", "events", "kdebug-demo"),
                                          "list_services": forbidden("list", "services", "kdebug-demo"),
                                          "read_node": forbidden("get", "nodes")},
                          logs={("app", "previous"): forbidden("get", "pods/log", "kdebug-demo")})
    result = run("crashy", fetcher)[0]
    checks = by_name(result["checks"])
    for name, words in [("pod events", "list events"), ("services selecting the pod", "list services"),
                        ("node conditions", "get nodes"), ("container app logs", "get pods/log")]:
        assert checks[name]["status"] == "error"
        assert words in checks[name]["summary"]
    assert checks["pod events"]["details"]["denied_by"] == "rbac"
    assert checks["pod events"]["details"]["denial"]["resource"] == "events"
    assert checks["container app logs"]["target"]["container"] == "app"
    assert result["logs"]["app"]["note"].startswith("previous: not allowed to get pods/log")
    assert result["events"] is None and result["node"] is None and result["pod"]["services"] is None
    assert sorted(p["resource"] for p in result["missing_permissions"]) == ["events", "nodes", "pods/log", "services"]
    # the rest is still there
    assert checks["container app state"]["status"] == "fail"
    assert validate_checks(result["checks"])


def test_other_api_errors_become_error_checks_too():
    fetcher = FakeFetcher("web", fail={"read_node": RuntimeError("connection reset")})
    checks = by_name(run("web", fetcher)[0]["checks"])
    assert checks["node conditions"]["status"] == "error"
    assert checks["node conditions"]["summary"] == "RuntimeError: connection reset"


def test_log_not_available_is_a_note_not_an_error():
    fetcher = FakeFetcher("web", logs={("web", "current"): T.LogUnavailable('container "web" is waiting to start')})
    result = run("web", fetcher)[0]
    assert result["logs"]["web"]["current"] is None
    assert 'current: container "web" is waiting to start' in result["logs"]["web"]["note"]
    assert "container web logs" not in by_name(result["checks"])


def test_zero_limits_read_nothing():
    result, fetcher = run("web", log_lines=0, event_limit=0)
    assert "list_pod_events" not in fetcher.calls and not [c for c in fetcher.calls if isinstance(c, tuple)]
    assert by_name(result["checks"])["pod events"]["status"] == "skipped"
    assert result["events"] is None
    assert result["logs"]["web"] == {"current": None, "previous": None, "truncated": False, "note": "log_lines is 0"}


def testcompleted_init_container_logs_are_not_read():
    fetcher = FakeFetcher("web")
    fetcher.read_pod = lambda namespace, name: edit(pod("web"), completed_init)
    result = run("web", fetcher)[0]
    assert result["logs"]["setup"] == {"current": None, "previous": None, "truncated": False,
                                       "note": "init container completed: its logs are not read"}
    assert by_name(result["checks"])["init container setup state"]["status"] == "pass"


def test_unscheduled_pod_has_no_node():
    result, fetcher = run("unschedulable")
    assert "read_node" not in fetcher.calls
    assert by_name(result["checks"])["node conditions"]["status"] == "skipped"
    assert result["logs"]["app"]["note"] == "the container has not started: no logs"


def test_restart_threshold_is_passed_through():
    result = run("crashy", restart_threshold=10)[0]
    assert by_name(result["checks"])["container app restarts"]["status"] == "pass"


def test_pod_errors_propagate():
    fetcher = FakeFetcher("web", fail={"read_pod": KdebugError("pod nope not found in namespace kdebug-demo")})
    with pytest.raises(KdebugError, match="pod nope not found"):
        gather(fetcher, "kdebug-demo", "nope")
    with pytest.raises(KdebugError, match="container nope not found"):
        gather(FakeFetcher("web"), "kdebug-demo", "web", container="nope")


def test_serial_and_concurrent_runs_agree():
    serial = run("initfail", max_workers=1)[0]
    concurrent = run("initfail", max_workers=8)[0]
    assert serial == concurrent


# --- the fetcher: paths, queries and error translation (no cluster: a KubeClient answering from a table) -------


class FakeRest(KubeClient):
    """Answers GETs from ``answers`` {path: dict/bytes or HTTP status}; records (path, query, kwargs).

    An HTTP status becomes the error the real client raises for it (kube/failures.py), with the message the API
    server sends: an RBAC refusal for 403.
    """

    def __init__(self, answers):  # pylint: disable=super-init-not-called
        self.answers = answers
        self.calls = []

    @property
    def host(self):
        return "https://lab:6443"

    def request(self, method, path, query=None, **kwargs):
        self.calls.append((path, query, kwargs))
        answer = self.answers.get(path, 404)
        if isinstance(answer, int):
            info = Request(method, path, self.host)
            message = "status %d" % answer
            if answer == 403:
                message = '%s is forbidden: User "u" cannot %s resource "%s" in API group ""%s' % (
                    info.resource, info.verb, info.full_resource,
                    ' in the namespace "%s"' % info.namespace if info.namespace else " at the cluster scope")
            raise http_error(info, answer, "x", json.dumps({"kind": "Status", "message": message}))
        return answer


POD_PATH = "/api/v1/namespaces/nope-ns/pods/web"


@pytest.mark.parametrize("answers, message", [
    ({}, "namespace nope-ns not found: check the namespace option"),
    ({"/api/v1/namespaces/nope-ns": {}}, "pod web not found in namespace nope-ns: check the pod name "
                                         "(kubectl get pods -n nope-ns)"),
    ({"/api/v1/namespaces/nope-ns": 403}, "pod web not found in namespace nope-ns"),
    ({POD_PATH: 403}, "not allowed to get pods in namespace nope-ns"),
])
def test_read_pod_errors(answers, message):
    with pytest.raises(KdebugError) as info:
        TriageFetcher(FakeRest(answers)).read_pod("nope-ns", "web")
    assert message in info.value.message


def test_fetcher_requests():
    rest = FakeRest({"/api/v1/namespaces/ns/events": {"items": [{"reason": "BackOff"}]},
                     "/api/v1/namespaces/ns/services": {"items": []},
                     "/api/v1/namespaces/ns/pods/web/log": b"a\nb\n",
                     "/api/v1/nodes/n1": {"metadata": {"name": "n1"}}})
    fetcher = TriageFetcher(rest)
    assert fetcher.list_pod_events("ns", "u-1") == [{"reason": "BackOff"}]
    assert fetcher.list_services("ns") == []
    assert fetcher.read_log("ns", "web", "app", True, 50) == ("a\nb\n", False)
    assert fetcher.read_node("n1") == {"metadata": {"name": "n1"}}
    assert rest.calls[0][1] == {"fieldSelector": "involvedObject.uid=u-1"}
    assert rest.calls[2][1] == {"container": "app", "previous": True, "tailLines": 50, "limitBytes": LOG_LIMIT_BYTES}
    assert rest.calls[2][2]["decode"] is False


def test_fetcher_log_cut_at_the_byte_limit():
    rest = FakeRest({"/api/v1/namespaces/ns/pods/web/log": b"x" * LOG_LIMIT_BYTES})
    assert TriageFetcher(rest).read_log("ns", "web", "app", False, 50)[1] is True


def test_fetcher_translates_piece_errors():
    fetcher = TriageFetcher(FakeRest({"/api/v1/namespaces/ns/events": 403, "/api/v1/namespaces/ns/pods/web/log": 400,
                                      "/api/v1/nodes/n1": 403, "/api/v1/namespaces/ns/services": 500}))
    with pytest.raises(ApiDenied) as info:
        fetcher.list_pod_events("ns", "uid")
    assert info.value.denied_by == "rbac"
    assert T.missing_permissions({"events": info.value}) == [{"verb": "list", "resource": "events", "namespace": "ns"}]
    with pytest.raises(T.LogUnavailable, match="status 400"):
        fetcher.read_log("ns", "web", "web", True, 10)
    with pytest.raises(KdebugError) as info:
        fetcher.read_log("ns", "other", "web", True, 10)
    assert not isinstance(info.value, T.LogUnavailable) and "the log of pod other" in info.value.message
    with pytest.raises(KdebugError) as info:
        fetcher.read_node("n1")
    assert "not allowed to get nodes cluster-wide" in info.value.message
    with pytest.raises(KdebugError, match=r"answered GET /api/v1/namespaces/ns/services with HTTP 500"):
        fetcher.list_services("ns")


class SequenceRest(FakeRest):
    """FakeRest whose answer for a path may be a list: one item per call, in order (the last one stays)."""

    def request(self, method, path, query=None, **kwargs):
        answer = self.answers.get(path)
        if isinstance(answer, list):
            self.answers = dict(self.answers)
            self.answers[path] = answer[1:] if len(answer) > 1 else answer
            single = FakeRest(dict(self.answers, **{path: answer[0]}))
            single.calls = self.calls
            return single.request(method, path, query, **kwargs)
        return FakeRest.request(self, method, path, query, **kwargs)


GONE = b"unable to retrieve container logs for containerd://1345bbd823ed4081619d349bf7697e7838a05ca2b4aac15481f31717ea2aef57"
LOG_PATH = "/api/v1/namespaces/ns/pods/web/log"


def test_a_run_the_kubelet_removed_meanwhile_is_read_again(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    rest = SequenceRest({LOG_PATH: [GONE, b"crashy starting\n"]})
    assert TriageFetcher(rest).read_log("ns", "web", "app", True, 50) == ("crashy starting\n", False)
    assert len(rest.calls) == 2


def test_a_run_gone_twice_is_an_unavailable_log_not_its_lines(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    rest = SequenceRest({LOG_PATH: [GONE, GONE + b"\n"]})
    with pytest.raises(T.LogUnavailable, match="unable to retrieve container logs for containerd://1345"):
        TriageFetcher(rest).read_log("ns", "web", "app", True, 50)
    assert len(rest.calls) == 2


def test_a_log_that_only_mentions_the_words_is_a_log():
    text = b"app: unable to retrieve container logs for containerd://abc\nmore\n"
    assert TriageFetcher(FakeRest({LOG_PATH: text})).read_log("ns", "web", "app", True, 50)[0] == text.decode()
