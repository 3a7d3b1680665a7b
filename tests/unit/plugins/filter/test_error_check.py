# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import checks as checks_filter
from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_error_check_from_a_failed_module_result():
    result = {"failed": False, "msg": "pod no-such-pod not found in namespace kdebug-demo", "error_class": "NotFound"}
    check = checks_filter.error_check(result, "pod triage", target={"namespace": "kdebug-demo", "pod": "no-such-pod"})
    assert validate_checks([check]) == [{"name": "pod triage", "status": "error", "summary": result["msg"],
                                         "target": {"namespace": "kdebug-demo", "pod": "no-such-pod"},
                                         "details": {"error_class": "NotFound"}, "evidence": []}]
    assert checks_filter.error_check({}, "x", default="it failed")["summary"] == "it failed"


@pytest.mark.parametrize("result, name, message", [
    ("text", "x", "expected a registered module result"),
    ({}, "", "needs a name"),
    ({}, None, "needs a name"),
])
def test_bad_arguments(result, name, message):
    with pytest.raises(AnsibleFilterError, match=message):
        checks_filter.error_check(result, name)


def test_registered_and_documented():
    assert set(checks_filter.FilterModule().filters()) == {"error_check"}
    assert os.path.exists(os.path.join(ROOT, "plugins", "filter", "error_check.yml"))


# Every runbook's error check for a module that failed carries the failure's class, as the triage one does.
DENIED = {"failed": False, "msg": "PodSecurity admission refused ...", "error_class": "denied",
          "denied_by": "pod_security", "denial": {"level": "restricted"}, "rc": None}


def test_runbook_error_checks_carry_the_failure_class():
    from ansible_collections.kdebug.toolkit.plugins.filter.capture import capture_checks
    from ansible_collections.kdebug.toolkit.plugins.filter.crashloop import replay_check
    from ansible_collections.kdebug.toolkit.plugins.filter.dns_check import dns_check_results
    from ansible_collections.kdebug.toolkit.plugins.filter.network_check import network_check_results
    target = {"namespace": "ns", "pod": "web"}
    checks = (dns_check_results(DENIED, target=target) + network_check_results(DENIED, "ns", "web")
              + [replay_check(DENIED, "web", "ns")] + capture_checks(DENIED, namespace="ns", pod="web"))
    errors = [c for c in checks if c["status"] == "error"]
    assert len(errors) == 4, checks
    for check in errors:
        assert check["details"]["error_class"] == "denied", check
        assert check["details"]["denied_by"] == "pod_security", check
        assert check["details"]["denial"] == {"level": "restricted"}, check
