# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils import basic as module_basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.toolkit.plugins.plugin_utils import in_worker

MAIN_OK = (lambda: None, None)


def echo_main():
    """A module that returns its parameters and one environment variable."""
    module = AnsibleModule(argument_spec=dict(name=dict(type="str", required=True), count=dict(type="int", default=1)),
                           supports_check_mode=True)
    module.exit_json(changed=not module.check_mode, name=module.params["name"], count=module.params["count"],
                     seen_env=os.environ.get("KDEBUG_IN_WORKER_TEST"))


def failing_main():
    AnsibleModule(argument_spec=dict()).fail_json(msg="pod web not found in namespace x", hint="check the name")


def raising_main():
    raise RuntimeError("a bug in the module")


def parsed(out):
    return json.loads(out["stdout"])


def test_arguments_reach_the_module_and_its_result_is_the_stdout_json():
    out = in_worker.run_module_main(echo_main, {"name": "web", "count": 3, "_ansible_check_mode": False})
    assert out["rc"] == 0 and out["stderr"] == ""
    result = parsed(out)
    assert (result["name"], result["count"], result["changed"]) == ("web", 3, True)


def test_check_mode_is_the_modules_own_check_mode():
    assert parsed(in_worker.run_module_main(echo_main, {"name": "web", "_ansible_check_mode": True}))["changed"] is False


def test_bad_arguments_fail_like_a_module_process():
    out = in_worker.run_module_main(echo_main, {"count": "three"})
    assert out["rc"] == 1
    assert parsed(out)["failed"] is True and "name" in parsed(out)["msg"]


def test_fail_json_gives_rc_1_and_the_message():
    out = in_worker.run_module_main(failing_main, {})
    assert out["rc"] == 1
    assert parsed(out)["msg"] == "pod web not found in namespace x" and parsed(out)["hint"] == "check the name"


def test_an_exception_is_a_module_failure_with_its_traceback():
    out = in_worker.run_module_main(raising_main, {})
    assert out["rc"] == 1 and out["stdout"] == ""
    assert "RuntimeError: a bug in the module" in out["stderr"]


def test_the_task_environment_is_set_for_the_module_and_removed_after():
    os.environ.pop("KDEBUG_IN_WORKER_TEST", None)
    out = in_worker.run_module_main(echo_main, {"name": "n"}, {"KDEBUG_IN_WORKER_TEST": 42})
    assert parsed(out)["seen_env"] == "42"
    assert "KDEBUG_IN_WORKER_TEST" not in os.environ


def test_module_argument_hooks_are_restored():
    before = (module_basic._ANSIBLE_ARGS, module_basic._ANSIBLE_PROFILE)
    in_worker.run_module_main(echo_main, {"name": "n"})
    in_worker.run_module_main(raising_main, {})
    assert (module_basic._ANSIBLE_ARGS, module_basic._ANSIBLE_PROFILE) == before
    assert in_worker.can_run_in_worker()


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


@pytest.mark.parametrize("name", ["kdebug_exec", "kdebug_agent", "kdebug_fork", "kdebug_triage", "kdebug_cleanup"])
def test_every_module_has_an_action_plugin_that_imports_its_main(name):
    action = __import__("ansible_collections.kdebug.toolkit.plugins.action." + name, fromlist=["ActionModule"])
    module = __import__("ansible_collections.kdebug.toolkit.plugins.modules." + name, fromlist=["main"])
    assert action.ActionModule.MODULE == name
    assert action.ActionModule.MAIN_IMPORT == (module.main, None)


def test_an_unknown_module_cannot_be_imported_and_says_why():
    main, why = in_worker.import_module_main("kdebug_nonexistent")
    assert main is None and why.startswith("ModuleNotFoundError")
