# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one interface every exec strategy (ephemeral, agent, docker) implements.

A strategy knows how to get a tools process into the target's namespaces; an
ExecSpec knows what to run there. kdebug_exec only talks to this interface:

    strategy.plan(spec)    what would be created and run (check mode; no side effects)
    strategy.prepare()     make sure the tools context exists; True when it created something
    strategy.run(spec)     run the command, return a results.ExecOutcome
    strategy.target()      the result's ``target`` block (namespace, pod, container, ids, node, pid)
    strategy.handle()      {"debug_container": ..., "agent_pod": ...} for the result
    strategy.warnings      what went wrong without stopping the run (after prepare()), for module.warn
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# The variable that tells a command where the target's root filesystem is.
TARGET_ROOT_ENV = "KDEBUG_TARGET_ROOT"


class ExecSpec(object):
    """What to run: exactly one of ``command`` (argv, never through a shell) or ``shell``."""

    def __init__(self, command=None, shell=None, stdin=None, env=None, timeout=None, max_output_bytes=None,
                 chroot=False):
        if (command is None) == (shell is None):
            raise ValueError("exactly one of command and shell is required")
        self.command = list(command) if command is not None else None
        self.shell = shell
        self.stdin = stdin
        self.env = dict(env or {})
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        self.chroot = chroot

    def inner_argv(self, target_root=None):
        """argv as run in the tools context: [env K=V ...] [chroot ROOT] (command | sh -c SHELL).

        ``target_root`` is the target's root as the tools process sees it
        (e.g. /proc/<pid>/root); with ``chroot`` the command runs inside it,
        so the target image's files (and, for ``shell``, its sh) are used.
        Without ``chroot`` it is passed on as KDEBUG_TARGET_ROOT, so a command
        can read the target's own files (its /etc/resolv.conf, say).
        """
        argv = list(self.command) if self.command is not None else ["sh", "-c", self.shell]
        env = dict(self.env)
        if self.chroot:
            if not target_root:
                raise ValueError("chroot needs the target's root path")
            argv = ["chroot", target_root] + argv
        elif target_root:
            env.setdefault(TARGET_ROOT_ENV, target_root)
        if env:
            argv = ["env"] + ["%s=%s" % (k, v) for k, v in sorted(env.items())] + argv
        return argv


class Strategy(object):
    """Base class; see the module docstring for the contract."""

    name = None
    warnings = ()

    def plan(self, spec):
        raise NotImplementedError

    def prepare(self):
        raise NotImplementedError

    def run(self, spec):
        raise NotImplementedError

    def target(self):
        raise NotImplementedError

    def handle(self):
        return {"debug_container": None, "agent_pod": None}
