# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""module_utils/runs.py on real processes: which run a module works for, and whether a run is still going."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, runs


def test_the_run_is_the_outermost_ansible_process(tmp_path):
    sleep = shutil.which("sleep")
    ansible = tmp_path / "ansible-playbook"
    os.symlink(sleep, str(ansible))
    worker = tmp_path / "ansible-worker"
    os.symlink(sys.executable, str(worker))
    # ansible-playbook (a shell named so) -> a worker named so -> python (the module process)
    code = "import os, sys, time; sys.stdout.write(str(os.getpid()) + chr(10)); sys.stdout.flush(); time.sleep(30)"
    outer = subprocess.Popen(["bash", "-c", 'exec -a %s bash -c "%s -c \\"import subprocess, sys; '
                              'subprocess.run([sys.executable, \'-c\', sys.argv[1]])\\" \'%s\'"' % (ansible, worker, code)],
                             stdout=subprocess.PIPE, text=True)
    try:
        module_pid = int(outer.stdout.readline())
        run_id = runs.current_run_id(module_pid)
        host, pid, start = runs.parse_run_id(run_id)
        assert pid == outer.pid and host == runs.host_key() and start.isdigit()
        assert runs.run_state(run_id) == runs.GOING
    finally:
        outer.kill()
        outer.wait()
    assert runs.run_state(run_id) == runs.GONE


@pytest.mark.parametrize("run_id, state", [
    ("other-host@12345678/1/1", runs.ELSEWHERE),
    ("not a run", None), ("", None), (None, None), ("host/x/1", None),
])
def test_run_state_of_what_this_controller_cannot_see(run_id, state):
    assert runs.run_state(run_id) == state


def test_a_reused_pid_is_not_the_run():
    run_id = "%s/%d/%s" % (runs.host_key(), os.getpid(), "1")  # this pid, another start time
    assert runs.run_state(run_id) == runs.GONE


def test_audit_annotations_carry_the_run():
    annotations = metadata.audit_annotations("why", "ns/pod/c", 60, "me", run=metadata.run_mark("h/1/2", True))
    assert annotations["kdebug.io/run"] == "h/1/2" and annotations["kdebug.io/remove-with-run"] == "true"
    kept = metadata.audit_annotations("why", "ns/pod/c", 60, "me", run=metadata.run_mark("h/1/2", False))
    assert kept["kdebug.io/run"] == "h/1/2" and "kdebug.io/remove-with-run" not in kept
    assert "kdebug.io/run" not in metadata.audit_annotations("why", "ns/pod/c", 60, "me",
                                                             run=metadata.run_mark(None, True))
