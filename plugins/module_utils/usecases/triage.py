# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_triage: one pod's state, events, logs and node, with checks. Read-only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.triage import TriageFetcher, gather
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.triage import (
    DEFAULT_EVENT_LIMIT, DEFAULT_LOG_LINES, DEFAULT_RESTART_THRESHOLD, triage_result)


def run_triage_module(module):
    """What kdebug_triage does: one pod's state, events, logs and node, with checks. Read-only."""
    params = module.params
    for option in ("log_lines", "event_limit", "restart_threshold"):
        if params[option] < 0:
            raise OptionError("%s must be 0 or more, got %s." % (option, params[option]))
    gathered = gather(TriageFetcher(module.kube()), params["namespace"], params["pod"], params.get("container"),
                      params["log_lines"], params["event_limit"])
    result = triage_result(gathered, params["restart_threshold"], params["event_limit"])
    result["changed"] = False
    return result


def triage_argument_spec():
    return options.module_spec(
        options.target_options(),
        log_lines=dict(type="int", default=DEFAULT_LOG_LINES),
        event_limit=dict(type="int", default=DEFAULT_EVENT_LIMIT),
        restart_threshold=dict(type="int", default=DEFAULT_RESTART_THRESHOLD),
    )
