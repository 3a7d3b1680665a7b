# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The way to continue by hand: a ``kubectl exec -it`` line into what a run left running.

Pure: it reads registered results of kdebug_exec (one target, or ``results`` of a ``targets`` call) and
kdebug_fork, and returns one entry per thing still there, ``{what, command, hint}``:

- an ephemeral debug container (it idles until its TTL, it cannot be removed): exec into it; it shares the
  target's pid namespace, so the target's files are at /proc/1/root (``chroot /proc/1/root``);
- a node agent that was kept: exec into it and nsenter the target's host pid (``chroot /proc/<pid>/root`` from
  the agent itself for the target's files);
- a fork that was kept: exec into the held container with the busybox it was given (the command it replays as
  the hint).

Results that failed, ran in check mode or left nothing behind (the Docker strategy removes its container) give
nothing. The same line twice is given once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from shlex import quote


def _argv(words):
    return " ".join(quote(str(word)) for word in words)


def _exec_results(result):
    """The single results inside a registered kdebug_exec result (a ``targets`` call holds many)."""
    if not isinstance(result, dict):
        return []
    if isinstance(result.get("results"), list):
        return [item for item in result["results"] if isinstance(item, dict)]
    return [result]


def _from_exec(result, keep_agents):
    if result.get("failed") or result.get("plan") or result.get("skipped"):
        return None
    target = result.get("target") or {}
    namespace, pod = target.get("namespace"), target.get("pod")
    if not namespace or not pod:
        return None
    debug = result.get("debug_container") or {}
    if result.get("strategy") == "ephemeral" and debug.get("name"):
        return {
            "what": "debug container %s of %s/%s" % (debug["name"], namespace, pod),
            "command": _argv(["kubectl", "exec", "-it", "-n", namespace, pod, "-c", debug["name"], "--", "sh"]),
            "hint": "it shares the target's processes: the target's files are at /proc/1/root "
                    "(chroot /proc/1/root sh, when the target's image has a shell); it ends by itself after its TTL",
        }
    agent = result.get("agent_pod") or {}
    if result.get("strategy") == "agent" and keep_agents and agent.get("name") and target.get("pid"):
        pid = str(target["pid"])
        return {
            "what": "node agent %s for %s/%s" % (agent["name"], namespace, pod),
            "command": _argv(["kubectl", "exec", "-it", "-n", agent.get("namespace") or "kdebug-system", agent["name"],
                              "--", "nsenter", "--target", pid, "--net", "--uts", "--ipc", "--pid", "--", "sh"]),
            "hint": "the target's files are at /proc/%s/root from the agent (chroot /proc/%s/root sh before nsenter); "
                    "the pid changes when the container restarts" % (pid, pid),
        }
    return None


def _from_fork(result):
    fork = result.get("fork") or {}
    held = result.get("held") or {}
    if result.get("failed") or result.get("state") == "absent" or not fork.get("name") or not held.get("container"):
        return None
    shell = (held.get("command") or ["sh"])[0]
    replay = held.get("replay_argv")
    hint = "the fork holds the container; run its command by hand: %s" % _argv(replay) if replay else \
        "the fork holds the container instead of running its command"
    return {
        "what": "fork %s of %s" % (fork["name"], fork.get("fork_of") or "the pod"),
        "command": _argv(["kubectl", "exec", "-it", "-n", fork.get("namespace") or "default", fork["name"], "-c",
                          held["container"], "--", shell, "sh"] if shell.endswith("busybox") else
                         ["kubectl", "exec", "-it", "-n", fork.get("namespace") or "default", fork["name"], "-c",
                          held["container"], "--", "sh"]),
        "hint": hint + "; it ends by itself after its TTL",
    }


def handoff(results, keep_agents=False):
    """``[{what, command, hint}]`` for what the registered ``results`` left running (see the module's doc)."""
    entries = []
    for result in results or []:
        if not isinstance(result, dict):
            continue
        if "fork" in result:
            found = [_from_fork(result)]
        else:
            found = [_from_exec(item, keep_agents) for item in _exec_results(result)]
        for entry in found:
            if entry and entry["command"] not in [e["command"] for e in entries]:
                entries.append(entry)
    return entries
