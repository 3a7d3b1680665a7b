# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.plugin_utils.awx import awx_requester, with_awx_requester


@pytest.mark.parametrize("task_vars, requester", [
    ({"awx_user_name": "alice", "awx_job_id": 42}, "awx:alice (job 42)"),
    ({"tower_user_name": "bob", "tower_job_id": "7"}, "awx:bob (job 7)"),
    ({"awx_user_name": "alice", "awx_job_id": 42, "tower_user_name": "bob", "tower_job_id": 7}, "awx:alice (job 42)"),
    ({"awx_user_name": "", "tower_user_name": "bob", "awx_job_id": 42}, "awx:bob (job 42)"),
    ({"awx_user_name": "alice"}, "awx:alice"),
    ({"awx_job_id": 42}, "awx (job 42)"),  # a scheduled job may name no user
    ({"awx_user_name": "", "awx_job_id": None}, None),
    ({"inventory_hostname": "localhost"}, None),
])
def test_the_requester_is_the_awx_user_and_job(task_vars, requester):
    assert awx_requester(task_vars) == requester


AWX = {"awx_user_name": "alice", "awx_job_id": 42}


@pytest.mark.parametrize("args, task_vars, takes, requested_by", [
    ({"pod": "web"}, AWX, True, "awx:alice (job 42)"),
    ({"pod": "web", "requested_by": None}, AWX, True, "awx:alice (job 42)"),
    ({"pod": "web", "requested_by": ""}, AWX, True, "awx:alice (job 42)"),
    ({"pod": "web", "requested_by": "carol"}, AWX, True, "carol"),   # the task's own value wins
    ({"pod": "web"}, {}, True, None),                                  # outside AWX the module's own default
    ({"pod": "web"}, AWX, False, None),                                # a module without the option never gets it
])
def test_requested_by_is_set_only_when_the_task_leaves_it_unset_under_awx(args, task_vars, takes, requested_by):
    before = dict(args)
    got = with_awx_requester(args, task_vars, takes)
    assert got.get("requested_by") == requested_by
    assert dict((k, v) for k, v in got.items() if k != "requested_by") == \
        dict((k, v) for k, v in before.items() if k != "requested_by")
    assert args == before, "the task's own arguments are left alone"
