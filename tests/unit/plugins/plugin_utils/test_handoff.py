# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible_collections.kdebug.toolkit.plugins.plugin_utils.handoff import handoff

TARGET = {"namespace": "kdebug-demo", "pod": "web-0", "container": "web", "node": "lab", "pid": 4242}
EPHEMERAL = {"rc": 0, "strategy": "ephemeral", "target": TARGET,
             "debug_container": {"name": "kdebug-debug-1a2b", "image": "tools:1", "reused": True}}
AGENT = {"rc": 0, "strategy": "agent", "target": TARGET,
         "agent_pod": {"name": "kdebug-agent-lab", "namespace": "kdebug-system", "node": "lab", "created": True}}
FORK = {"state": "present", "fork": {"name": "kdebug-fork-crashy", "namespace": "kdebug-demo",
                                     "fork_of": "kdebug-demo/crashy"},
        "held": {"container": "app", "command": ["/.kdebug/busybox", "sh", "-c", "..."],
                 "replay_argv": ["sh", "-c", "echo 'crashy starting'; exit 1"]}}


def test_ephemeral_debug_container_with_the_chroot_hint():
    [entry] = handoff([EPHEMERAL])
    assert shlex.split(entry["command"]) == ["kubectl", "exec", "-it", "-n", "kdebug-demo", "web-0", "-c",
                                             "kdebug-debug-1a2b", "--", "sh"]
    assert "chroot /proc/1/root" in entry["hint"]
    assert entry["what"] == "debug container kdebug-debug-1a2b of kdebug-demo/web-0"


def test_agent_only_when_kept():
    assert handoff([AGENT]) == []
    [entry] = handoff([AGENT], keep_agents=True)
    assert shlex.split(entry["command"]) == ["kubectl", "exec", "-it", "-n", "kdebug-system", "kdebug-agent-lab", "--",
                                             "nsenter", "--target", "4242", "--net", "--uts", "--ipc", "--pid", "--",
                                             "sh"]
    assert "chroot /proc/4242/root" in entry["hint"]


def test_kept_fork_execs_its_busybox_and_quotes_the_replay():
    [entry] = handoff([FORK])
    assert shlex.split(entry["command"]) == ["kubectl", "exec", "-it", "-n", "kdebug-demo", "kdebug-fork-crashy",
                                             "-c", "app", "--", "/.kdebug/busybox", "sh"]
    assert "sh -c 'echo '\"'\"'crashy starting'\"'\"'; exit 1'" in entry["hint"]


def test_targets_results_one_each_and_no_repeats():
    other = dict(EPHEMERAL, target=dict(TARGET, pod="web-1"))
    entries = handoff([{"results": [EPHEMERAL, other, EPHEMERAL]}, EPHEMERAL])
    assert [e["what"].split(" of ")[1] for e in entries] == ["kdebug-demo/web-0", "kdebug-demo/web-1"]


def test_nothing_left_running_gives_nothing():
    assert handoff([
        {}, None, "x", dict(EPHEMERAL, failed=True, msg="no"), dict(EPHEMERAL, plan={"would_create": True}),
        {"rc": 0, "strategy": "docker", "target": {"container": "legacy"}, "debug_container": {"name": "t"}},
        dict(FORK, state="absent"), {"skipped": True}, dict(EPHEMERAL, target={}),
    ]) == []
    assert handoff(None) == []
