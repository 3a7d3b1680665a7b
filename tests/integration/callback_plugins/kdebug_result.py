# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Test-only callback: write each task result, whole (diff and failed included), as JSON.

The integration harness (tests/integration/conftest.py) runs modules through
real ansible and reads their results from the file named by KDEBUG_RESULT_FILE.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kdebug_result
type: aggregate
short_description: Write task results as JSON for kdebug.toolkit's integration tests
description:
  - Writes the last task result, with its status, to the file named by E(KDEBUG_RESULT_FILE).
  - Appends every task result, with its task name, status and duration, as one JSON line to the file named by
    E(KDEBUG_RESULTS_LOG) when that is set.
requirements:
  - enable in configuration
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kdebug_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._started = {}

    def v2_runner_on_start(self, host, task):
        self._started[(host.get_name(), task._uuid)] = time.monotonic()  # pylint: disable=protected-access

    def _write(self, result, status):
        data = dict(result._result)  # pylint: disable=protected-access
        data = dict((k, v) for k, v in data.items() if not k.startswith("_ansible"))
        if os.environ.get("KDEBUG_RESULT_FILE"):
            with open(os.environ["KDEBUG_RESULT_FILE"], "w") as handle:
                json.dump({"status": status, "result": data}, handle, default=str)
        if os.environ.get("KDEBUG_RESULTS_LOG"):
            task = result._task  # pylint: disable=protected-access
            started = self._started.pop((result._host.get_name(), task._uuid), None)  # pylint: disable=protected-access
            line = {"task": task.get_name(), "status": status, "result": data,
                    "seconds": None if started is None else time.monotonic() - started}
            with open(os.environ["KDEBUG_RESULTS_LOG"], "a") as handle:
                handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "CHANGED" if result._result.get("changed") else "SUCCESS")  # pylint: disable=protected-access

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "FAILED!")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "UNREACHABLE!")
