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

Which ansible-core: the worker path hands the module its arguments through
``ansible.module_utils.basic``'s private hooks and hands its output to
``ActionBase._parse_returned_data``. Both are internals: 2.19 added serialization
profiles to the first and to the second's arguments, 2.21 made the second return a
task result object instead of a dict. So the worker path is used only on the
ansible-core releases in :data:`PROVEN_CORE`, the ones on which CI proves it
(tests/integration/playbooks/test_in_worker.py, in the dev virtualenv for the newest and
through scripts/test-compat for the others, tests/compat/cores lists them); on any other
release of the range meta/runtime.yml claims, the module runs as a process.

The module runs the usual way, as its own process, when any of these holds:
the ansible-core release is not in PROVEN_CORE, the connection is not local, the
task uses become or async, the task sets ``kdebug_in_worker: false``, the module
could not be imported in the controller's Python, or the worker path's own
machinery fails before the module ran (the reason is shown at -vvv). Once the
module ran, its result is returned whatever happens: a module is never run twice.
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
from ansible.module_utils.common.yaml import yaml_load
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as CORE_VERSION
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.awx import with_awx_requester
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.connection import with_connection

display = Display()

# The ansible-core releases (major.minor) on which CI runs the lab tests of the worker path: the newest in the
# dev virtualenv (requirements-dev.txt), the others through scripts/test-compat (tests/compat/cores). A release
# is added here only with a line there.
PROVEN_CORE = ("2.16", "2.19", "2.21")
# What module processes get too (AnsiballZ's default for collection modules), on releases that have profiles.
SERIALIZATION_PROFILE = "legacy"
IN_WORKER_VAR = "kdebug_in_worker"
LOCAL_TRANSPORTS = ("local", "ansible.builtin.local", "ansible.legacy.local")
# The globals of ansible.module_utils.basic that carry a module's arguments (the ones this release has).
ARGUMENT_HOOKS = ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE", "_PARSED_MODULE_ARGS")
# The doc fragment of the audit options (requested_by, reason).
AUDIT_FRAGMENT = "kdebug.toolkit.common.audit"


def import_module(name):
    """``(module, None)`` for kdebug.toolkit.<name>, or ``(None, why)`` when it cannot be imported here."""
    try:
        return importlib.import_module("ansible_collections.kdebug.toolkit.plugins.modules." + name), None
    except Exception as exc:  # pylint: disable=broad-except  # any failure means: run it as a process
        return None, "%s: %s" % (type(exc).__name__, exc)


def takes_option(documentation, option, fragment):
    """Whether a module's DOCUMENTATION has ``option``, its own or from the doc ``fragment`` that holds it."""
    doc = yaml_load(documentation or "") or {}
    return option in (doc.get("options") or {}) or fragment in (doc.get("extends_documentation_fragment") or [])


def core_series(version):
    """``2.19`` for ansible-core ``2.19.14`` (or ``2.19.0rc1``)."""
    return ".".join(version.split(".")[:2])


def module_payload(module_args):
    """``(bytes, profile)``: the arguments as this release's AnsibleModule reads them (profile None before 2.19)."""
    params = {"ANSIBLE_MODULE_ARGS": module_args}
    if hasattr(module_basic, "_ANSIBLE_PROFILE"):  # 2.19 and later: JSON of a serialization profile
        encoder = module_json.get_module_encoder(SERIALIZATION_PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)
        return json.dumps(params, cls=encoder).encode(), SERIALIZATION_PROFILE
    # before 2.19: plain JSON, vaulted values as their text, as AnsiballZ writes them
    return json.dumps(params, cls=module_json.AnsibleJSONEncoder, vault_to_text=True).encode(), None


@contextlib.contextmanager
def _module_arguments(payload):
    """``ansible.module_utils.basic`` hands ``payload`` to the next AnsibleModule, and is restored afterwards."""
    saved = dict((name, getattr(module_basic, name)) for name in ARGUMENT_HOOKS if hasattr(module_basic, name))
    module_basic._ANSIBLE_ARGS = payload[0]
    if payload[1] is not None:
        module_basic._ANSIBLE_PROFILE = payload[1]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module_basic, name, value)


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


@contextlib.contextmanager
def progress_to_display(host):
    """While a module runs here, its progress lines (KdebugModule.progress) go to the playbook's output, as they happen."""
    module_base.PROGRESS_SINK = lambda line: display.display("%s | %s" % (host, line))
    try:
        yield
    finally:
        module_base.PROGRESS_SINK = None


def run_module_main(main, payload, environment=None):
    """Call a module's ``main()`` with ``payload`` (:func:`module_payload`); return what a module process would have.

    The result is the dict ``_low_level_execute_command`` returns (rc, stdout, stderr), so it goes through
    ``ActionBase._parse_returned_data`` exactly like a module process's output. ``exit_json`` and ``fail_json``
    print the result and raise SystemExit; anything else raised is a module failure with its traceback.
    """
    stdout = io.StringIO()
    rc, stderr = 0, ""
    with _module_arguments(payload), _environment(environment or {}), contextlib.redirect_stdout(stdout):
        try:
            main()
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:  # pylint: disable=broad-except  # reported like a module process's traceback
            rc, stderr = 1, traceback.format_exc()
    return {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr, "stdout_lines": [], "stderr_lines": []}


def task_result(parse_returned_data, output, profile):
    """The module's output as this release's ``ActionBase._execute_module`` returns it."""
    returned = parse_returned_data(output) if profile is None else parse_returned_data(output, profile)
    if hasattr(returned, "remove_internal_keys"):  # 2.21 and later: a task result object
        returned.remove_internal_keys()
        return returned.as_result_dict(for_round_trip=True)
    # before 2.21: a dict, cleaned the way _execute_module cleans it
    from ansible.vars.clean import remove_internal_keys  # pylint: disable=import-outside-toplevel  # gone in 2.21
    returned.pop("_ansible_suppress_tmpdir_delete", None)
    remove_internal_keys(returned)
    for stream in ("stdout", "stderr"):
        if stream in returned and stream + "_lines" not in returned:
            returned[stream + "_lines"] = (returned[stream] or "").splitlines()
    return returned


def plain_result(output):
    """The module's own JSON result, for when this release's parser cannot take it (the module ran: keep it)."""
    try:
        data = json.loads(output["stdout"])
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {"failed": True, "msg": "MODULE FAILURE: the module did not return a JSON result",
                "module_stdout": output["stdout"], "module_stderr": output["stderr"], "rc": output["rc"]}
    return dict((key, value) for key, value in data.items() if not key.startswith("_ansible_"))


def refusal(in_worker, transport, become, async_val, main_import, core_version=CORE_VERSION):
    """None when a module may run in the worker, else why it must run as its own process."""
    if not boolean(in_worker, strict=False):
        return "%s is false" % IN_WORKER_VAR
    if core_series(core_version) not in PROVEN_CORE:
        return "ansible-core %s is not a release the worker path is tested on (%s)" % (
            core_version, ", ".join(PROVEN_CORE))
    if transport not in LOCAL_TRANSPORTS:
        return "the connection is %s, not local" % transport
    if become:
        return "the task uses become"
    if async_val:
        return "the task is async"
    if not hasattr(module_basic, "_ANSIBLE_ARGS"):
        return "this ansible-core has no module argument hook"
    if main_import[0] is None:
        return "the module cannot be imported on the controller (%s)" % main_import[1]
    return None


class InWorkerModuleAction(ActionBase):
    """Action plugin base for a kdebug module: a subclass sets ``MODULE``; its module is imported with the class."""

    _supports_check_mode = True
    _supports_async = True

    MODULE = None          # the module's short name, e.g. "kdebug_exec"
    MAIN_IMPORT = (None, "no MODULE set")   # (its main, None), or (None, why it cannot be imported)
    TAKES_REQUESTED_BY = False              # whether it has the audit option requested_by

    def __init_subclass__(cls, **kwargs):
        # At class creation, so when the strategy loads the plugin before forking workers: they inherit the import.
        super().__init_subclass__(**kwargs)
        if cls.MODULE:
            module, why = import_module(cls.MODULE)
            cls.MAIN_IMPORT = (module.main, None) if module else (None, why)
            cls.TAKES_REQUESTED_BY = bool(module) and takes_option(module.DOCUMENTATION, "requested_by",
                                                                   AUDIT_FRAGMENT)

    def why_not_in_worker(self, task_vars):
        """None when the module may run in this worker, else the reason it runs as a process."""
        return refusal(task_vars.get(IN_WORKER_VAR, True), getattr(self._connection, "transport", None),
                       self._play_context.become, self._task.async_val, self.MAIN_IMPORT)

    def prepare_in_worker(self, module_name, module_args, task_vars):
        """(payload, environment) for :func:`run_module_main`: everything the worker path does before the module."""
        module_args = dict(module_args)
        self._update_module_args(module_name, module_args, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        return module_payload(module_args), environment

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InWorkerModuleAction, self).run(tmp, task_vars)
        del tmp
        module_name = "kdebug.toolkit." + self.MODULE
        module_args = with_awx_requester(self._task.args, task_vars, self.TAKES_REQUESTED_BY)
        try:
            # the cluster the host was listed in (kdebug_connection) before K8S_AUTH_* and $KUBECONFIG
            module_args = with_connection(module_args, task_vars)
        except ValueError as exc:
            return merge_hash(result, {"failed": True, "msg": str(exc), "error_class": "option"})
        reason = self.why_not_in_worker(task_vars)
        if not reason:
            try:
                payload, environment = self.prepare_in_worker(module_name, module_args, task_vars)
            except Exception as exc:  # pylint: disable=broad-except  # internals differ: the process path still works
                reason = "the worker path failed before the module ran (%s: %s)" % (type(exc).__name__, exc)
        if reason:
            display.vvv("%s runs as a module process: %s" % (module_name, reason))
            result = merge_hash(result, self._execute_module(module_name=module_name, module_args=dict(module_args),
                                                             task_vars=task_vars, wrap_async=self._task.async_val))
            if not self._task.async_val:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv("%s runs in the worker (pid %d)" % (module_name, os.getpid()))
        started = time.perf_counter()
        host = task_vars.get("inventory_hostname", "localhost")
        with progress_to_display(host):
            output = run_module_main(self.MAIN_IMPORT[0], payload, environment)
        display.vvv("%s ran in the worker in %.3f s" % (module_name, time.perf_counter() - started))
        try:
            returned = task_result(self._parse_returned_data, output, payload[1])
        except Exception as exc:  # pylint: disable=broad-except  # the module ran: its result, not a parser's error
            display.warning("%s: this ansible-core could not take the module's result (%s: %s); returning it as the "
                            "module wrote it" % (module_name, type(exc).__name__, exc))
            returned = plain_result(output)
        return merge_hash(result, returned)
