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

import re

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError

# The variable that tells a command where the target's root filesystem is.
TARGET_ROOT_ENV = "KDEBUG_TARGET_ROOT"

# ``env`` never rides in an argv: an exec's argv is its URL (the API server's audit log, proxies) and a process's argv
# is in every ``ps``. The strategies run ENV_READER first, in the tools context (sh builtins only), and send the
# variables ahead of the command's own stdin: one ``NAME ESCAPED`` line per variable, ESCAPED being each byte of
# the value as \0ooo (so a value holds any character, newlines included), and an empty line after the last. It
# exports them and execs the command, which reads the rest of stdin (``read`` takes no byte past its line).
ENV_READER = r"""while IFS= read -r kdebug_line && [ -n "$kdebug_line" ]; do
kdebug_value=$(printf '%bx' "${kdebug_line#* }") || exit 125
export "${kdebug_line%% *}=${kdebug_value%x}" || exit 125
done
unset kdebug_line kdebug_value
exec "$@"
"""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_payload(env):
    """The stdin lines that ENV_READER turns into ``env`` (bytes)."""
    lines = []
    for name, value in sorted(env.items()):
        data = ("" if value is None else str(value)).encode("utf-8", "surrogateescape")
        lines.append("%s %s\n" % (name, "".join("\\0%03o" % byte for byte in bytearray(data))))
    return ("".join(lines) + "\n").encode("ascii")


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
        bad = sorted(str(name) for name in self.env if not ENV_NAME.match(str(name)))
        if bad:
            raise OptionError("env: %s %s not a variable name: use letters, digits and _, not starting with a digit."
                              % (", ".join(bad), "is" if len(bad) == 1 else "are"))
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        self.chroot = chroot

    def inner_argv(self, target_root=None):
        """argv as run in the tools context: [env KDEBUG_TARGET_ROOT=...] [chroot ROOT] (command | sh -c SHELL).

        ``target_root`` is the target's root as the tools process sees it
        (e.g. /proc/<pid>/root); with ``chroot`` the command runs inside it,
        so the target image's files (and, for ``shell``, its sh) are used.
        Without ``chroot`` it is passed on as KDEBUG_TARGET_ROOT, so a command
        can read the target's own files (its /etc/resolv.conf, say), unless ``env`` sets it.
        ``env`` is not here: see :meth:`outer_argv`.
        """
        argv = list(self.command) if self.command is not None else ["sh", "-c", self.shell]
        if self.chroot:
            if not target_root:
                raise ValueError("chroot needs the target's root path")
            argv = ["chroot", target_root] + argv
        elif target_root and TARGET_ROOT_ENV not in self.env:
            argv = ["env", "%s=%s" % (TARGET_ROOT_ENV, target_root)] + argv
        return argv

    def outer_argv(self, argv):
        """The argv a strategy execs in the tools context, around everything else (timeout, nsenter, inner_argv):
        with ``env``, ENV_READER first, which takes the variables from :meth:`stdin_data`."""
        if not self.env:
            return list(argv)
        return ["sh", "-c", ENV_READER, "kdebug-env"] + list(argv)

    def stdin_data(self, stdin=None):
        """What the exec sends on stdin: ``env`` (:func:`env_payload`), then ``stdin`` (default: the spec's own).
        None when there is neither, so the exec opens no stdin at all."""
        stdin = self.stdin if stdin is None else stdin
        if not self.env:
            return stdin
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8", "surrogateescape")
        return env_payload(self.env) + (stdin or b"")


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
