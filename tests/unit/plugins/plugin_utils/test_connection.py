# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_connection: a host's cluster reaches the module's auth options, below the task's own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.plugin_utils.connection import with_connection

LISTED = {"kubeconfig": "/lab/admin.kubeconfig", "context": "kdebug-lab"}


def test_the_hosts_connection_fills_the_auth_options():
    args = with_connection({"pod": "web"}, {"kdebug_connection": LISTED})
    assert args == {"pod": "web", "kubeconfig": "/lab/admin.kubeconfig", "context": "kdebug-lab"}


def test_no_connection_leaves_the_args_alone():
    assert with_connection({"pod": "web"}, {}) == {"pod": "web"}
    assert with_connection({"pod": "web"}, {"kdebug_connection": {}}) == {"pod": "web"}


@pytest.mark.parametrize("own", [{"context": "other"}, {"kubeconfig": "/x"}, {"host": "https://h", "api_key": "t"}])
def test_a_task_that_names_its_own_connection_keeps_it_whole(own):
    args = dict(own, pod="web")
    assert with_connection(args, {"kdebug_connection": LISTED}) == args


def test_non_connection_options_of_the_task_stay():
    args = with_connection({"pod": "web", "request_timeout": 5, "context": None},
                           {"kdebug_connection": dict(LISTED, request_timeout=30)})
    assert args["request_timeout"] == 5 and args["context"] == "kdebug-lab"


def test_the_input_is_not_changed():
    args = {"pod": "web"}
    with_connection(args, {"kdebug_connection": LISTED})
    assert args == {"pod": "web"}


@pytest.mark.parametrize("connection, message", [
    ("kdebug-lab", "must be a mapping"),
    ({"contxt": "a", "server": "b"}, "contxt, server, which are no Kubernetes auth option"),
])
def test_a_bad_connection_is_a_clear_error(connection, message):
    with pytest.raises(ValueError, match=message):
        with_connection({}, {"kdebug_connection": connection})
