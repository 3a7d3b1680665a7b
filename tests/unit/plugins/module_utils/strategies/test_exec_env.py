# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""``env`` travels on stdin, never in an argv: the reader script in real shells, with hostile values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import subprocess

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec

VALUES = ["plain", "two words", "it's", 'say "hi"', "$HOME", "$(touch /tmp/kdebug-pwned)", "`id`", "a;b|c&d",
          "back\\slash", "new\nline", "trailing\n\n", "tab\there", "", " ", "-n", "\\0101", "%s%b", "é ü 中"]
SHELLS = [s for s in ("sh", "dash", "bash", "busybox") if shutil.which(s)]


def run(spec, shell="sh"):
    argv = spec.outer_argv(spec.inner_argv())
    assert argv[0] == "sh"
    argv = ([shutil.which("busybox"), "sh"] if shell == "busybox" else [shell]) + argv[1:]
    return subprocess.run(argv, input=spec.stdin_data(), capture_output=True, timeout=10, check=False)


@pytest.mark.parametrize("shell", SHELLS)
def test_every_value_arrives_as_given_and_the_command_keeps_its_stdin(shell):
    env = dict(("V%d" % i, v) for i, v in enumerate(VALUES))
    spec = ExecSpec(command=["python3", "-c", "import os, sys, json; print(json.dumps("
                             "[{k: os.environ[k] for k in sorted(os.environ) if k.startswith('V')}, sys.stdin.read()]))"],
                    env=env, stdin="first line\nsecond\n")
    proc = run(spec, shell)
    assert proc.returncode == 0, proc.stderr
    import json
    got_env, got_stdin = json.loads(proc.stdout)
    assert got_env == env and got_stdin == "first line\nsecond\n"


def test_no_value_is_in_any_argv():
    spec = ExecSpec(shell="echo $SECRET", env={"SECRET": "hunter2-token"}, stdin="x")
    argv = spec.outer_argv(spec.inner_argv("/proc/1/root"))
    assert not any("hunter2" in a for a in argv)
    assert b"hunter2" not in spec.stdin_data() and spec.stdin_data().endswith(b"\n\nx")


def test_without_env_nothing_changes():
    spec = ExecSpec(command=["cat"], stdin="x")
    assert spec.outer_argv(["cat"]) == ["cat"] and spec.stdin_data() == "x"
    assert ExecSpec(command=["cat"]).stdin_data() is None


def test_a_name_that_is_no_variable_name_is_refused():
    with pytest.raises(OptionError, match="env: 1X, A-B are not a variable name"):
        ExecSpec(command=["a"], env={"A-B": "1", "1X": "2", "OK": "3"})
