# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import shutil
import subprocess

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import fleet
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_driver_argv_is_argv_never_one_shell_string():
    argv = fleet.driver_argv("dig $NAME; echo ';'", [101, 202], 30, 4096, ["net", "uts"], {"NAME": "a b"})
    assert argv[:2] == ["env", "NAME=a b"]
    assert argv[2:4] == ["sh", "-c"] and argv[4] == fleet.FLEET_DRIVER_SCRIPT
    assert argv[5:] == ["kdebug-fleet", "30", "4096", "--net --uts", "dig $NAME; echo ';'", "101", "202"]


def test_only_namespaces_that_keep_the_host_proc_view():
    assert fleet.nsenter_flags(["net", "ipc"]) == "--net --ipc"
    with pytest.raises(KdebugError) as err:
        fleet.nsenter_flags(["pid"])
    assert "pid" in err.value.message


def b64_lines(text, width=8):
    """base64 wrapped the way base64(1) wraps it (narrower here, so the tests cross line ends)."""
    encoded = b64(text)
    return [encoded[i:i + width] for i in range(0, len(encoded), width)]


def test_parse_driver_output_frames_each_target():
    text = "\n".join(
        ["@@kdebug-fleet 2 rc=3"] + b64_lines("0123456789")
        + ["@@kdebug-fleet-stderr 2"] + b64_lines("oops")
        + ["@@kdebug-fleet 1 rc=0"] + b64_lines("hello\n") + ["@@kdebug-fleet-stderr 1"])
    first, second, third = fleet.parse_driver_output(text, 3, max_output_bytes=6)
    assert first == {"rc": 0, "stdout": "hello\n", "stderr": "", "truncated": False}
    assert second == {"rc": 3, "stdout": "012345", "stderr": "oops", "truncated": True}
    assert third is None  # nothing printed for it: the caller reports an error for that target


def test_parse_driver_output_reads_exactly_max_bytes_as_whole():
    # The driver sends MAX_BYTES + 1 bytes of a longer output: exactly MAX_BYTES is not a cut.
    whole = fleet.parse_driver_output("\n".join(["@@kdebug-fleet 1 rc=0", b64("abcdef"), "@@kdebug-fleet-stderr 1"]),
                                      1, max_output_bytes=6)[0]
    assert whole["stdout"] == "abcdef" and whole["truncated"] is False


def test_parse_driver_output_survives_garbage():
    assert fleet.parse_driver_output("@@kdebug-fleet x rc=\n@@kdebug-fleet 9 rc=1\nAAAA\n", 1, 10) == [None]
    broken = fleet.parse_driver_output("noise\n@@kdebug-fleet 1 rc=\n!!notbase64\n@@kdebug-fleet-stderr 7\nb29wcw==\n",
                                       1, 10)[0]
    assert broken == {"rc": None, "stdout": "", "stderr": "", "truncated": False}


@pytest.mark.skipif(not shutil.which("nsenter") or os.geteuid() != 0, reason="needs root and nsenter")
def test_the_driver_script_runs_every_target_and_frames_its_output():
    """The real script in a real shell, aimed at our own pid: rc, stdout, stderr and env come back per target."""
    me = os.getpid()
    argv = fleet.driver_argv('echo "root=$KDEBUG_TARGET_ROOT $X"; echo err >&2; exit 4', [me, me], 10, 1000,
                             ["net"], {"X": "x y"})
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    results = fleet.parse_driver_output(out, 2, 1000)
    for got in results:
        assert got == {"rc": 4, "stdout": "root=/proc/%d/root x y\n" % me, "stderr": "err\n", "truncated": False}


@pytest.mark.skipif(not shutil.which("nsenter") or os.geteuid() != 0, reason="needs root and nsenter")
@pytest.mark.parametrize("printed, truncated", [(100, False), (101, True), (5000, True)])
def test_the_driver_script_cuts_output_at_max_bytes(printed, truncated):
    """Outputs longer than one base64 line, at and around the limit, through the real script."""
    me = os.getpid()
    argv = fleet.driver_argv("yes x | head -c %d" % printed, [me], 10, 100, ["net"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    got = fleet.parse_driver_output(out, 1, 100)[0]
    assert got == {"rc": 0, "stdout": ("x\n" * printed)[:min(printed, 100)], "stderr": "", "truncated": truncated}
