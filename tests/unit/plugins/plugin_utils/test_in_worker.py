# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest

from ansible.module_utils import basic as module_basic
from ansible.module_utils.basic import AnsibleModule
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.release import __version__ as core_version
from ansible.template import Templar

from ansible_collections.kdebug.toolkit.plugins.plugin_utils import in_worker

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

MAIN_OK = (lambda: None, None)


def echo_main():
    """A module that returns its parameters and one environment variable."""
    module = AnsibleModule(argument_spec=dict(name=dict(type="str", required=True), count=dict(type="int", default=1)),
                           supports_check_mode=True)
    module.exit_json(changed=not module.check_mode, name=module.params["name"], count=module.params["count"],
                     seen_env=os.environ.get("KDEBUG_IN_WORKER_TEST"))


def audited_main():
    """A module with the audit option: returns the requested_by it was given."""
    module = AnsibleModule(argument_spec=dict(requested_by=dict(type="str")))
    module.exit_json(changed=False, requested_by=module.params["requested_by"], stdout="a\nb")


def failing_main():
    AnsibleModule(argument_spec=dict()).fail_json(msg="pod web not found in namespace x", hint="check the name")


def raising_main():
    raise RuntimeError("a bug in the module")


def parsed(out):
    return json.loads(out["stdout"])


def run_main(main, module_args, environment=None):
    return in_worker.run_module_main(main, in_worker.module_payload(module_args), environment)


def test_arguments_reach_the_module_and_its_result_is_the_stdout_json():
    out = run_main(echo_main, {"name": "web", "count": 3, "_ansible_check_mode": False})
    assert out["rc"] == 0 and out["stderr"] == ""
    result = parsed(out)
    assert (result["name"], result["count"], result["changed"]) == ("web", 3, True)


def test_check_mode_is_the_modules_own_check_mode():
    assert parsed(run_main(echo_main, {"name": "web", "_ansible_check_mode": True}))["changed"] is False


def test_bad_arguments_fail_like_a_module_process():
    out = run_main(echo_main, {"count": "three"})
    assert out["rc"] == 1
    assert parsed(out)["failed"] is True and "name" in parsed(out)["msg"]


def test_fail_json_gives_rc_1_and_the_message():
    out = run_main(failing_main, {})
    assert out["rc"] == 1
    assert parsed(out)["msg"] == "pod web not found in namespace x" and parsed(out)["hint"] == "check the name"


def test_an_exception_is_a_module_failure_with_its_traceback():
    out = run_main(raising_main, {})
    assert out["rc"] == 1 and out["stdout"] == ""
    assert "RuntimeError: a bug in the module" in out["stderr"]


def test_the_task_environment_is_set_for_the_module_and_removed_after():
    os.environ.pop("KDEBUG_IN_WORKER_TEST", None)
    out = run_main(echo_main, {"name": "n"}, {"KDEBUG_IN_WORKER_TEST": 42})
    assert parsed(out)["seen_env"] == "42"
    assert "KDEBUG_IN_WORKER_TEST" not in os.environ


def test_module_argument_hooks_are_restored():
    hooks = [name for name in in_worker.ARGUMENT_HOOKS if hasattr(module_basic, name)]
    before = [getattr(module_basic, name) for name in hooks]
    run_main(echo_main, {"name": "n"})
    run_main(raising_main, {})
    assert [getattr(module_basic, name) for name in hooks] == before and "_ANSIBLE_ARGS" in hooks


@pytest.mark.parametrize("in_worker_var, transport, become, async_val, main_import, reason", [
    (True, "local", False, 0, MAIN_OK, None),
    ("yes", "ansible.builtin.local", False, 0, MAIN_OK, None),
    (False, "local", False, 0, MAIN_OK, "kdebug_in_worker is false"),
    ("false", "local", False, 0, MAIN_OK, "kdebug_in_worker is false"),
    (True, "ssh", False, 0, MAIN_OK, "the connection is ssh, not local"),
    (True, "local", True, 0, MAIN_OK, "the task uses become"),
    (True, "local", False, 30, MAIN_OK, "the task is async"),
    (True, "local", False, 0, (None, "ImportError: No module named 'kubernetes'"),
     "the module cannot be imported on the controller (ImportError: No module named 'kubernetes')"),
])
def test_when_a_module_runs_in_the_worker(in_worker_var, transport, become, async_val, main_import, reason):
    assert in_worker.refusal(in_worker_var, transport, become, async_val, main_import) == reason


@pytest.mark.parametrize("version, runs_in_worker", [
    ("2.16.19", True), ("2.19.14", True), ("2.21.5", True), ("2.21.0rc1", True),
    ("2.17.14", False), ("2.18.19", False), ("2.20.3", False), ("2.22.0", False), ("2.15.13", False),
])
def test_only_the_releases_ci_proves_run_modules_in_the_worker(version, runs_in_worker):
    reason = in_worker.refusal(True, "local", False, 0, MAIN_OK, core_version=version)
    if runs_in_worker:
        assert reason is None
    else:
        assert reason == "ansible-core %s is not a release the worker path is tested on (2.16, 2.19, 2.21)" % version


def ci_cores():
    """The ansible-core series CI runs the lab tests on: tests/compat/cores and the dev virtualenv's pin."""
    with open(os.path.join(ROOT, "tests", "compat", "cores")) as handle:
        compat = [line.split()[0] for line in handle if line.strip() and not line.startswith("#")]
    with open(os.path.join(ROOT, "requirements-dev.txt")) as handle:
        dev = re.search(r"^ansible-core>=([0-9.]+)", handle.read(), re.M).group(1)
    return sorted(set(in_worker.core_series(version) for version in compat + [dev]))


def test_the_worker_path_is_claimed_exactly_where_ci_proves_it():
    assert sorted(in_worker.PROVEN_CORE) == ci_cores()
    # This file runs on each of them (scripts/test-compat runs it in every compat virtualenv).
    assert in_worker.core_series(core_version) in in_worker.PROVEN_CORE


def test_the_claimed_range_is_the_one_ci_runs():
    """meta/runtime.yml claims from the oldest release CI runs to the newest series it runs, no further."""
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        claim = re.search(r'^requires_ansible: "(.*)"', handle.read(), re.M).group(1)
    with open(os.path.join(ROOT, "tests", "compat", "cores")) as handle:
        oldest = min((line.split()[0] for line in handle if line.strip() and not line.startswith("#")),
                     key=lambda v: tuple(int(p) for p in v.split(".")))
    newest = max(in_worker.PROVEN_CORE, key=lambda v: tuple(int(p) for p in v.split(".")))
    major, minor = newest.split(".")
    assert claim == ">=%s.0,<%s.%d" % (in_worker.core_series(oldest), major, int(minor) + 1)


@pytest.mark.parametrize("name", ["kdebug_exec", "kdebug_agent", "kdebug_fork", "kdebug_triage", "kdebug_cleanup",
                                  "kdebug_get"])
def test_every_module_has_an_action_plugin_that_imports_its_main(name):
    action = __import__("ansible_collections.kdebug.toolkit.plugins.action." + name, fromlist=["ActionModule"])
    module = __import__("ansible_collections.kdebug.toolkit.plugins.modules." + name, fromlist=["main"])
    assert action.ActionModule.MODULE == name
    assert action.ActionModule.MAIN_IMPORT == (module.main, None)


def test_an_unknown_module_cannot_be_imported_and_says_why():
    module, why = in_worker.import_module("kdebug_nonexistent")
    assert module is None and why.startswith("ModuleNotFoundError")


@pytest.mark.parametrize("documentation, takes", [
    ("options: {requested_by: {type: str}}", True),
    ("extends_documentation_fragment: [kdebug.toolkit.auth, kdebug.toolkit.common.audit]", True),
    ("options: {pod: {type: str}}\nextends_documentation_fragment: [kdebug.toolkit.auth]", False),
    ("", False),
])
def test_takes_option_reads_the_documentation_and_its_fragments(documentation, takes):
    assert in_worker.takes_option(documentation, "requested_by", in_worker.AUDIT_FRAGMENT) is takes


# The action plugin itself, built from ansible's own objects (no lab: the module is a local main()).

def action(task_args, check_mode=False):
    from ansible_collections.kdebug.toolkit.plugins.action.kdebug_exec import ActionModule
    task = Task.load({"action": "kdebug.toolkit.kdebug_exec", "args": task_args})
    task.check_mode = check_mode
    play_context = PlayContext()
    loader = DataLoader()
    return ActionModule(task, connection_loader.get("local", play_context, "/dev/null"), play_context, loader,
                        Templar(loader=loader), None)


AWX = {"awx_user_name": "alice", "awx_job_id": 42}


def test_in_the_worker_the_module_gets_the_awx_requester_and_its_result_is_cleaned(monkeypatch):
    plugin = action({})
    monkeypatch.setattr(plugin, "MAIN_IMPORT", (audited_main, None))
    result = plugin.run(task_vars=AWX)
    assert result["requested_by"] == "awx:alice (job 42)"
    internal = [key for key in result if key.startswith("_ansible_") and key != "_ansible_parsed"]
    assert result["stdout_lines"] == ["a", "b"] and internal == []


def test_a_requester_the_task_sets_wins_over_awx(monkeypatch):
    plugin = action({"requested_by": "carol"})
    monkeypatch.setattr(plugin, "MAIN_IMPORT", (audited_main, None))
    assert plugin.run(task_vars=AWX)["requested_by"] == "carol"


def test_when_the_worker_machinery_fails_before_the_module_it_runs_as_a_process(monkeypatch):
    plugin, calls = action({"pod": "web"}), []

    def broken(*args):
        raise AttributeError("'dict' object has no attribute 'remove_internal_keys'")

    def process(**kwargs):
        calls.append(kwargs)
        return {"changed": False, "ran": "as a process"}

    monkeypatch.setattr(plugin, "prepare_in_worker", broken)
    monkeypatch.setattr(plugin, "_execute_module", process)
    result = plugin.run(task_vars=AWX)
    assert result["ran"] == "as a process"
    assert [call["module_args"] for call in calls] == [{"pod": "web", "requested_by": "awx:alice (job 42)"}]


def test_once_the_module_ran_a_parser_failure_still_returns_its_result(monkeypatch):
    plugin = action({})
    runs = []

    def main():
        runs.append(1)
        audited_main()

    def broken(*args):
        raise TypeError("_parse_returned_data() takes 2 positional arguments but 3 were given")

    monkeypatch.setattr(plugin, "MAIN_IMPORT", (main, None))
    monkeypatch.setattr(plugin, "_parse_returned_data", broken)
    result = plugin.run(task_vars={})
    assert runs == [1] and result["changed"] is False and "stdout" in result and "failed" not in result


def test_plain_result_drops_internal_keys_and_says_when_there_is_no_json():
    out = {"rc": 0, "stdout": '{"changed": true, "_ansible_no_log": false}', "stderr": ""}
    assert in_worker.plain_result(out) == {"changed": True}
    failed = in_worker.plain_result({"rc": 1, "stdout": "", "stderr": "Traceback (most recent call last):"})
    assert failed["failed"] is True and failed["module_stderr"].startswith("Traceback") and failed["rc"] == 1


def progress_main():
    from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base
    module = module_base.KdebugModule("kdebug_exec", argument_spec={})
    module.progress("node a done")
    module.progress("node b done")
    module.exit_json(changed=False)


def test_progress_lines_reach_the_playbook_output_while_the_module_runs_in_the_worker(monkeypatch):
    from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base
    shown = []
    monkeypatch.setattr(in_worker.display, "display", shown.append)
    with in_worker.progress_to_display("web-1"):
        out = run_main(progress_main, {})
    assert out["rc"] == 0 and parsed(out)["changed"] is False
    assert shown == ["web-1 | node a done", "web-1 | node b done"]
    assert module_base.PROGRESS_SINK is None
    # as a module process (no sink) the lines are dropped: Ansible reads a process's output once it has ended
    out = run_main(progress_main, {})
    assert out["rc"] == 0 and shown == ["web-1 | node a done", "web-1 | node b done"]
