# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""module_base.run_module: whatever a use case does, the module prints one JSON result and never a bare traceback."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base

# The directory that holds ansible_collections/ (module_utils -> plugins -> toolkit -> kdebug -> ansible_collections).
COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(module_base.__file__), *[".."] * 5))

# A module whose use case is chosen by the test, run as a process the way Ansible's debugging entry point runs
# one (python module.py args.json), so what it prints is exactly what Ansible would parse.
MODULE = r"""
import sys
from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, ApiUnreachable

def result(module):
    return {"changed": True, "rc": 3}

def unreachable(module):
    raise ApiUnreachable("cannot reach the Kubernetes API server at https://x: connection refused.")

def denied(module):
    raise ApiDenied("PodSecurity admission refused ...", "pod_security", {"level": "baseline"}, status=403)

def bug(module):
    return {}["missing"]

def failure(module):
    return {"failed": True, "msg": "the command did not run", "rc": None}

def interrupted(module):
    # a use case in the middle of its work when the run is stopped: its finally still runs
    import os, signal, time
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
    finally:
        sys.stderr.write("cleanup ran\n")
        os.kill(os.getpid(), signal.SIGINT)  # a second signal during the cleanup is ignored
        sys.stderr.write("cleanup ended\n")

SPEC = dict(timeout=dict(type="int", default=5), use_case=dict(type="str"))
USE_CASE = sys.argv.pop(1)
module_base.run_module("kdebug_test", SPEC, globals()[USE_CASE])
"""


def run(use_case, tmp_path, args=None):
    """(exit code, the JSON result, stderr) of a module process running ``use_case``."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args or {})}))
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    proc = subprocess.run([sys.executable, "-c", MODULE, use_case, str(args_file)], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.stdout.strip(), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_a_result_exits_zero_with_failed_false(tmp_path):
    code, result, _err = run("result", tmp_path)
    assert code == 0 and result["changed"] is True and result["rc"] == 3 and result["failed"] is False


def test_a_kdebug_error_is_its_message_and_class(tmp_path):
    code, result, _err = run("unreachable", tmp_path)
    assert code == 1 and result["failed"] is True and result["error_class"] == "unreachable"
    assert result["msg"].startswith("cannot reach") and "exception" not in result


def test_a_denial_carries_denied_by(tmp_path):
    _code, result, _err = run("denied", tmp_path)
    assert result["denied_by"] == "pod_security" and result["denial"] == {"level": "baseline"}
    assert result["api_status"] == 403


def test_a_bug_is_still_json_with_the_traceback_under_exception_only(tmp_path):
    code, result, stderr = run("bug", tmp_path)
    assert code == 1 and result["error_class"] == "internal"
    assert "KeyError" in result["msg"] and "This is a bug in kdebug.toolkit" in result["msg"]
    # ansible-core keeps the traceback itself (under `exception`) only when traceback capture is on (-vvv).
    assert "Traceback" in result.get("exception", "Traceback") and "Traceback" not in result["msg"]
    assert "Traceback" not in stderr


def test_positive_options_are_checked_before_the_use_case(tmp_path):
    code, result, _err = run("result", tmp_path, {"timeout": 0})
    assert code == 1 and result["error_class"] == "option" and "timeout must be a positive number" in result["msg"]
    assert "rc" not in result


def test_a_use_case_may_return_a_failure(tmp_path):
    code, result, _err = run("failure", tmp_path)
    assert code == 1 and result["msg"] == "the command did not run"


def test_a_stop_signal_runs_the_use_cases_cleanup_and_fails_as_interrupted(tmp_path):
    code, result, stderr = run("interrupted", tmp_path)
    assert code == 1 and result["failed"] is True and result["error_class"] == "interrupted"
    assert result["msg"].startswith("interrupted by SIGTERM")
    assert "cleanup ran\ncleanup ended" in stderr and "Traceback" not in stderr


def test_stop_signal_handlers_are_restored_after_the_module():
    import signal
    before = signal.getsignal(signal.SIGTERM)
    with module_base.stop_signals_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_connection_failure_names_the_cluster_the_task_used():
    failed = {"msg": "cannot reach the Kubernetes API server at https://h:6443: connection refused.",
              "error_class": "unreachable"}
    named = module_base.cluster_named(failed, {"context": "prod", "kubeconfig": "/k"})
    assert named["msg"].endswith("connection refused. The task used context prod, kubeconfig /k.")
    assert module_base.cluster_named(dict(failed, error_class="denied"), {"context": "prod"}) == \
        dict(failed, error_class="denied")
    assert module_base.cluster_named(failed, {}) == failed
