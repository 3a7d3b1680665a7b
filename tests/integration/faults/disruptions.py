"""The lab's own daemons stopped, paused and restarted for real: the disruptive faults of the fault suite.

A daemon is found by its pid file in the lab's run directory (lab/lib/common.sh start_daemon), or, for a node's
kubelet, by its command line (the workers' daemons run inside their node's namespaces). Stopping one and starting
it again reuses its own command line, environment and log, and writes the new pid where lab/down looks, so the lab
is whole again after each case: `restored` waits until the API server answers and every node is Ready.

These faults stop the whole lab for everyone: run them only on a lab of your own (CI has one). Locally,
KDEBUG_TEST_SKIP_DISRUPTIVE=1 skips them.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

LAB_RUN = os.environ.get("KDEBUG_LAB_RUN", "/run/kdebug-lab")
LAB_STATE = os.environ.get("KDEBUG_LAB_STATE", "/var/lib/kdebug-lab")

# `disruptive` also tells the root conftest to run these tests after all others (see its collection hook).
skip_unless_alone = [
    pytest.mark.disruptive,
    pytest.mark.skipif(os.environ.get("KDEBUG_TEST_SKIP_DISRUPTIVE") == "1",
                       reason="KDEBUG_TEST_SKIP_DISRUPTIVE=1: the disruptive faults are skipped"),
]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not open("/proc/%d/stat" % pid).read().split(") ", 1)[1].startswith("Z")


class Daemon:
    """One of the lab's processes: stop (TERM, then KILL), start again as it was, pause and resume."""

    def __init__(self, name, pid, pid_file=None):
        self.name, self.pid, self.pid_file = name, pid, pid_file
        self.argv = self._read("cmdline").split(b"\0")[:-1]
        self.env = dict(item.split(b"=", 1) for item in self._read("environ").split(b"\0") if b"=" in item)
        self.cwd = os.readlink("/proc/%d/cwd" % pid)
        self.log = os.path.join(LAB_STATE, "logs", name + ".log")

    @classmethod
    def by_pid_file(cls, name):
        path = os.path.join(LAB_RUN, "pids", name + ".pid")
        with open(path) as handle:
            return cls(name, int(handle.read().strip()), path)

    @classmethod
    def kubelet_of(cls, node):
        """The kubelet process of ``node`` (its --hostname-override), whatever namespaces it runs in."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                argv = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"kubelet") and b"--hostname-override" in argv:
                if argv[argv.index(b"--hostname-override") + 1].decode() == node:
                    return cls("kubelet", int(entry))
        raise AssertionError("no kubelet process for node %s on this machine" % node)

    def _read(self, what):
        with open("/proc/%d/%s" % (self.pid, what), "rb") as handle:
            return handle.read()

    def stop(self, timeout=30):
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(self.pid):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
            time.sleep(0.2)

    def start(self):
        """The same command line, environment and working directory, in a session of its own, logging where it did."""
        with open(self.log, "ab") as log:
            proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=log, start_new_session=True, close_fds=True)
        self.pid = proc.pid
        if self.pid_file:
            with open(self.pid_file, "w") as handle:
                handle.write("%d\n" % proc.pid)

    def pause(self):
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)


def poll(what, condition, timeout, step=0.3):
    """condition()'s first true value within timeout seconds (never a blind sleep); AssertionError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "no %s within %ss" % (what, timeout)
        time.sleep(step)


def api_answers(lab):
    return lab.kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0


def nodes_ready(lab):
    proc = lab.kubectl("get", "nodes", "-o", "json", check=False, timeout=15)
    if proc.returncode != 0:
        return False
    return all(any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))
               for node in json.loads(proc.stdout)["items"])


def restored(lab, timeout=180):
    """The API server answers, every node is Ready again, and the controllers work (controllers_work)."""
    poll("API server answering", lambda: api_answers(lab), timeout)
    poll("every node Ready", lambda: nodes_ready(lab), timeout, step=1)
    if not controllers_work(lab, 45):
        # A restarted API server refuses the controller manager's watches until its RBAC caches fill, and the
        # manager's informers back off for minutes after that: start it again, as an operator would.
        manager = Daemon.by_pid_file("kube-controller-manager")
        manager.stop()
        manager.start()
        assert controllers_work(lab, 120), "the controller manager does not make ServiceAccounts after a restart"


def controllers_work(lab, timeout):
    """A new namespace gets its default ServiceAccount within timeout seconds (the controller manager is at work)."""
    name = "kdebug-faults-probe-%s" % uuid.uuid4().hex[:6]
    lab.kubectl("create", "namespace", name)
    try:
        return lab.kubectl("wait", "-n", name, "--for", "create", "serviceaccount/default", "--timeout=%ds" % timeout,
                           check=False, timeout=timeout + 10).returncode == 0
    finally:
        lab.kubectl("delete", "namespace", name, "--wait=false", check=False)


def json_or_none(proc):
    return json.loads(proc.stdout) if proc.returncode == 0 else None
