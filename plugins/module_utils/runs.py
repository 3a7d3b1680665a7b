# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which Ansible run a module works for, and whether a run is still going (reads /proc).

A run is the outermost ``ansible*`` process above the module (ansible-playbook, ansible, ansible-runner): in the
worker path the module runs in a worker forked from ansible-playbook; as a module process it runs under a shell
under such a worker. Its id is ``<host>/<pid>/<start>``, the start being the process's start time in clock ticks
since boot (/proc/<pid>/stat field 22), so a pid used again by another process is not taken for the run.

kdebug_cleanup asks :func:`run_state` of each object that should go with its run: ``going``, ``gone`` (the process
has ended: the run was interrupted before its cleanup tasks), or ``elsewhere`` (made on another controller, or
this one rebooted: its state cannot be seen from here, and the object's TTL decides).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

GOING, GONE, ELSEWHERE = "going", "gone", "elsewhere"


def _boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()[:8]
    except OSError:
        return ""


def _stat(pid):
    """(parent pid, start ticks) of a process, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            text = handle.read()
    except (OSError, ValueError):
        return None
    # the command name (field 2) is in parentheses and may hold blanks: the fields after the last ')' are fixed
    fields = text[text.rfind(")") + 2:].split()
    try:
        return int(fields[1]), fields[19]
    except (IndexError, ValueError):
        return None


def _is_ansible(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv = handle.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return False
    return any(os.path.basename(arg).startswith("ansible") for arg in argv[:3])


def host_key():
    """This controller as a run id names it: host name and boot (a pid is only unique within one boot)."""
    boot = _boot_id()
    return "%s@%s" % (socket.gethostname(), boot) if boot else socket.gethostname()


def current_run_id(pid=None):
    """``<host>/<pid>/<start>`` of the outermost ansible process above ``pid`` (default: this one), or None."""
    pid = pid or os.getpid()
    found = None
    seen = 0
    while pid > 1 and seen < 64:
        stat = _stat(pid)
        if stat is None:
            break
        if _is_ansible(pid):
            found = (pid, stat[1])
        pid = stat[0]
        seen += 1
    if found is None:
        return None
    return "%s/%d/%s" % (host_key(), found[0], found[1])


def parse_run_id(run_id):
    """(host, pid, start) from a run id, or None when it is not one."""
    parts = str(run_id or "").rsplit("/", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def run_state(run_id):
    """``going``, ``gone`` or ``elsewhere`` (see the module docstring); None for what is not a run id."""
    parsed = parse_run_id(run_id)
    if parsed is None:
        return None
    host, pid, start = parsed
    if host != host_key():
        return ELSEWHERE
    stat = _stat(pid)
    return GOING if stat is not None and stat[1] == start else GONE
