# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a kdebug module inside the Ansible worker instead of a new Python process.

Why: a module process pays for starting Python and importing the kubernetes
library (about 0.4 s, twice what ``kubectl exec`` takes for the whole job)
before it does its own work, which is under 0.1 s on a warm target. Every
kdebug module talks to an API server, not to the host it "runs on", so when
that host is the controller itself (``connection: local``, how every kdebug
playbook runs) the module can just as well run in the worker Ansible forked
for the task. The strategy loads the action plugin class in the controller
process before forking any worker, and the action plugin imports the module
(and so the kubernetes library) at load time: the import is paid once per
``ansible-playbook`` run and every worker inherits it.

This is the same thing ansible.netcommon does for network modules (see
``AnsibleModule._record_module_result``). The module is the same code either
way: its AnsibleModule reads the same arguments (built by
``ActionBase._update_module_args``, as for a module process) and its result
goes through the same ``_parse_returned_data``.

The module runs the usual way, as its own process, when any of these holds:
the connection is not local, the task uses become or async, the task sets
``kdebug_in_worker: false``, or the module could not be imported in the
controller's Python (the reason is shown at -vvv).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib
import io
import json
import os
import time
import traceback

from ansible.module_utils import basic as module_basic
from ansible.module_utils.common import json as module_json
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

# What module processes get too (AnsiballZ's default for collection modules).
SERIALIZATION_PROFILE = "legacy"
IN_WORKER_VAR = "kdebug_in_worker"
LOCAL_TRANSPORTS = ("local", "ansible.builtin.local", "ansible.legacy.local")


def import_module_main(name):
    """``(main, None)`` for kdebug.toolkit.<name>, or ``(None, why)`` when it cannot be imported here."""
    try:
        module = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.modules." + name)
        return module.main, None
    except Exception as exc:  # pylint: disable=broad-except  # any failure means: run it as a process
        return None, "%s: %s" % (type(exc).__name__, exc)


@contextlib.contextmanager
def _environment(values):
    """os.environ with ``values`` set, as the task's ``environment:`` sets it for a module process."""
    saved = dict(os.environ)
    os.environ.update(dict((str(k), str(v)) for k, v in values.items()))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_module_main(main, module_args, environment=None):
    """Call a module's ``main()`` with ``module_args``; return what a module process would have.

    The result is the dict ``_low_level_execute_command`` returns (rc, stdout, stderr), so it goes through
    ``ActionBase._parse_returned_data`` exactly like a module process's output. ``exit_json`` and ``fail_json``
    print the result and raise SystemExit; anything else raised is a module failure with its traceback.
    """
    encoder = module_json.get_module_encoder(SERIALIZATION_PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()
    saved = (module_basic._ANSIBLE_ARGS, module_basic._ANSIBLE_PROFILE)
    stdout = io.StringIO()
    rc, stderr = 0, ""
    module_basic._ANSIBLE_ARGS, module_basic._ANSIBLE_PROFILE = payload, SERIALIZATION_PROFILE
    try:
        with _environment(environment or {}), contextlib.redirect_stdout(stdout):
            try:
                main()
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # pylint: disable=broad-except  # reported like a module process's traceback
                rc, stderr = 1, traceback.format_exc()
    finally:
        module_basic._ANSIBLE_ARGS, module_basic._ANSIBLE_PROFILE = saved
    return {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr, "stdout_lines": [], "stderr_lines": []}


def can_run_in_worker():
    """Whether this ansible-core has the module-argument hooks the worker path sets."""
    return hasattr(module_basic, "_ANSIBLE_ARGS") and hasattr(module_basic, "_ANSIBLE_PROFILE")


def refusal(in_worker, transport, become, async_val, main_import):
    """None when a module may run in the worker, else why it must run as its own process."""
    if not boolean(in_worker, strict=False):
        return "%s is false" % IN_WORKER_VAR
    if transport not in LOCAL_TRANSPORTS:
        return "the connection is %s, not local" % transport
    if become:
        return "the task uses become"
    if async_val:
        return "the task is async"
    if not can_run_in_worker():
        return "this ansible-core has no module argument hook"
    if main_import[0] is None:
        return "the module cannot be imported on the controller (%s)" % main_import[1]
    return None


class InWorkerModuleAction(ActionBase):
    """Action plugin base for a kdebug module: a subclass sets ``MODULE``; its module is imported with the class."""

    _supports_check_mode = True
    _supports_async = True

    MODULE = None          # the module's short name, e.g. "kdebug_exec"
    MAIN_IMPORT = (None, "no MODULE set")   # import_module_main(MODULE)

    def __init_subclass__(cls, **kwargs):
        # At class creation, so when the strategy loads the plugin before forking workers: they inherit the import.
        super().__init_subclass__(**kwargs)
        if cls.MODULE:
            cls.MAIN_IMPORT = import_module_main(cls.MODULE)

    def why_not_in_worker(self, task_vars):
        """None when the module may run in this worker, else the reason it runs as a process."""
        return refusal(task_vars.get(IN_WORKER_VAR, True), getattr(self._connection, "transport", None),
                       self._play_context.become, self._task.async_val, self.MAIN_IMPORT)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InWorkerModuleAction, self).run(tmp, task_vars)
        del tmp
        module_name = "kdebug.toolkit." + self.MODULE
        reason = self.why_not_in_worker(task_vars)
        if reason:
            display.vvv("%s runs as a module process: %s" % (module_name, reason))
            result = merge_hash(result, self._execute_module(module_name=module_name, task_vars=task_vars,
                                                             wrap_async=self._task.async_val))
            if not self._task.async_val:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv("%s runs in the worker (pid %d)" % (module_name, os.getpid()))
        module_args = dict(self._task.args)
        self._update_module_args(module_name, module_args, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        started = time.perf_counter()
        output = run_module_main(self.MAIN_IMPORT[0], module_args, environment)
        display.vvv("%s ran in the worker in %.3f s" % (module_name, time.perf_counter() - started))
        returned = self._parse_returned_data(output, SERIALIZATION_PROFILE)
        returned.remove_internal_keys()
        return merge_hash(result, returned.as_result_dict(for_round_trip=True))
