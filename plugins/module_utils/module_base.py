# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one way a kdebug module runs: argument checks, libraries, the API client, errors and the result.

A module file is its documentation, its argument spec and one call::

    def main():
        run_module(kdebug_exec_spec(), run_exec, mutually_exclusive=[...])

``run_module`` builds the AnsibleModule (check mode supported everywhere),
checks the positive-number options, and calls the use case with a
KdebugModule. Whatever goes wrong becomes ``fail_json``: a KdebugError with
its message and ``error_class`` (plus ``denied_by`` for a 403), anything
unexpected with ``error_class: internal`` and its traceback under
``exception`` only. So a module never dies with a traceback on stdout, which
is what Ansible reports as "Module result deserialization failed", in a
module process or in the worker (plugin_utils/in_worker.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import signal
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, options, runs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import Interrupted, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import auth

# Ctrl-C and a killed ansible-playbook reach the module as these (the worker passes them on to its process group).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# Where KdebugModule.progress lines go while the module runs: set by plugin_utils/in_worker.py for a module that runs
# in the Ansible worker (they reach the playbook's output as they happen); None in a module process, whose output
# Ansible reads only once it has ended, so its lines are dropped (its result says the same at the end).
PROGRESS_SINK = None


# What Ansible shows for a no_log value in a task's arguments.
NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


class KdebugModule(AnsibleModule):
    """AnsibleModule with the shared parts every kdebug use case needs (the API client, who asked and why)."""

    def __init__(self, name, *args, **kwargs):
        kwargs.setdefault("supports_check_mode", True)
        super(KdebugModule, self).__init__(*args, **kwargs)
        self.name = name
        self._kube = None

    def kube(self):
        """The KubeClient for this module's auth options (built once; ConfigError when unusable)."""
        if self._kube is None:
            self._kube = auth.kube_client(self.params)
        return self._kube

    def requested_by(self):
        return options.requested_by(self.params)

    def progress(self, line):
        """Say how far a long call is (e.g. a fleet's nodes as they finish), where that can be seen while it runs."""
        if PROGRESS_SINK is not None:
            PROGRESS_SINK(line)

    def reason(self):
        """The ``reason`` option, else the module's FQCN."""
        return options.reason(self.params, "kdebug.toolkit." + self.name)

    def run(self):
        """The Ansible run this task belongs to, for the audit annotations (metadata.run_mark)."""
        return metadata.run_mark(runs.current_run_id(), self.params.get("remove_with_run"))

    def hide_in_invocation_only(self, name):
        """For the no_log dict option ``name``, once its values are used: they stay hidden where Ansible shows the
        task's arguments (the invocation at -vvv, the module's log), but are not blanked out of the rest of the
        result, where a value such as ``1`` would blank every ``1`` of the command's output. Values that another
        no_log option also has stay blanked everywhere."""
        values = self.params.get(name) or {}
        others = set(str(self.params.get(option)) for option, spec in self.argument_spec.items()
                     if option != name and spec.get("no_log") and self.params.get(option) not in (None, ""))
        self.no_log_values.difference_update(set(str(v) for v in values.values() if v is not None) - others)
        self.params[name] = dict((key, NO_LOG_PLACEHOLDER) for key in values)

    def finish(self, result):
        """exit_json, or fail_json when the use case returned ``failed: true`` (with its ``msg``)."""
        result = dict(result)
        if result.pop("failed", False):
            self.fail_json(**result)
        # Ansible fails any task whose result has a non-zero rc and no 'failed' key: an exit code is data here.
        self.exit_json(failed=False, **result)


@contextlib.contextmanager
def stop_signals_interrupt():
    """SIGINT and SIGTERM raise Interrupted inside the block, once: the use case's ``finally`` and cleanup handlers
    run (a fork being waited for is deleted, a Docker tools container removed) instead of the process dying with
    them; a second signal is ignored while that cleanup runs. The module then fails with ``error_class:
    interrupted`` and its process (or Ansible's worker) ends as usual. Outside the main thread nothing changes
    (signal handlers cannot be set there)."""
    caught = []

    def interrupt(signum, _frame):
        if caught:
            return
        caught.append(signum)
        raise Interrupted(signal.Signals(signum).name)

    try:
        previous = dict((signum, signal.signal(signum, interrupt)) for signum in STOP_SIGNALS)
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# Failures of the connection itself: their message names the server; with several clusters in play (a pods
# inventory of many, a diagnose.yml -e context=...) it also says which context and kubeconfig the task used.
CLUSTER_ERROR_CLASSES = ("unreachable", "tls", "proxy", "timeout", "bad_response", "unauthorized", "server_error")


def cluster_named(result, params):
    """``result`` (a failure's) with the cluster the auth options named appended to ``msg`` for a connection failure."""
    where = auth.describe_connection(params) if result.get("error_class") in CLUSTER_ERROR_CLASSES else ""
    if not where:
        return result
    return dict(result, msg="%s The task used %s." % (result.get("msg", "").rstrip(), where))


def run_module(name, argument_spec, use_case, **module_kwargs):
    """Build the module, run ``use_case(module) -> result dict``, and exit with its result or its error."""
    module = KdebugModule(name, argument_spec=argument_spec, **module_kwargs)
    try:
        options.require_positive(module.params)
        options.require_valid_names(module.params)
        with stop_signals_interrupt():
            result = use_case(module)
    except Interrupted as err:
        module.fail_json(**err.result())
    except KdebugError as err:
        module.fail_json(**cluster_named(err.result(), module.params))
    except Exception as exc:  # pylint: disable=broad-except  # a bug: still a JSON result, never a bare traceback
        module.fail_json(msg="kdebug.toolkit.%s failed unexpectedly (%s: %s). This is a bug in kdebug.toolkit: please "
                             "report it with the exception shown at -vvv." % (name, type(exc).__name__, exc),
                         error_class="internal", exception=traceback.format_exc())
    module.finish(result)
