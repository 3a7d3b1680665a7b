# -*- coding: utf-8 -*-
"""Benchmark-only callback: each task's wall time, from its start to its first host result, as JSON lines.

Enabled by bench/*.py with ANSIBLE_CALLBACK_PLUGINS pointing here and KDEBUG_TASK_TIMES naming the output file.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: write each task's wall time to $KDEBUG_TASK_TIMES (benchmarks only)
description: [Writes one JSON line per task with its name, action and seconds from start to first result.]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._path = os.environ.get("KDEBUG_TASK_TIMES")
        self._task = None
        self._started = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task, self._started = task, time.perf_counter()

    def _record(self, result):
        if self._task is None or not self._path:
            return
        with open(self._path, "a") as handle:
            handle.write(json.dumps({"name": self._task.get_name(), "action": self._task.action,
                                     "seconds": time.perf_counter() - self._started}) + "\n")
        self._task = None

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = _record
