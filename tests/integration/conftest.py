"""Integration tests run against the real lab (lab/up), never a fake API.

The lab's locations come from `eval "$(lab/env)"` (scripts/test-integration does
that); a lab that is not up is an error, not a skip.

The session ends with a leak check (leaks.py): anything kdebug-made or any scratch
namespace this session left fails the run, unless a test declared it (``leftover``).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ansible_collections.kdebug.toolkit importable as Ansible sees it (scripts/setup-dev makes the link), for the tests
# that call module_utils directly and for leaks.py.
COLLECTIONS = os.path.join(REPO_ROOT, ".collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "kdebug", "toolkit")
if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", ".."), _LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from leaks import LeakCheck  # noqa: E402  (needs the path above)


CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")
# What makes ansible write its task results where the harness reads them (callback_plugins/kdebug_result.py).
CALLBACK_ENV = dict(ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="kdebug_result",
                    ANSIBLE_LOAD_CALLBACK_PLUGINS="1")


class Lab:
    def __init__(self):
        self.kubeconfig = os.environ.get("KUBECONFIG", "/var/lib/kdebug-lab/pki/admin.kubeconfig")
        self.bin = os.environ.get("KDEBUG_LAB_BIN", "/var/cache/kdebug-lab/bin")
        self.docker_host = os.environ.get("DOCKER_HOST", "unix:///run/kdebug-lab/docker.sock")
        self.containerd_sock = os.environ.get("KDEBUG_LAB_CONTAINERD_SOCK", "/run/kdebug-lab/containerd/containerd.sock")
        self.tools_image = os.environ.get("KDEBUG_TOOLS_IMAGE", "kdebug.local/tools:1")
        self.busybox_image = os.environ.get("KDEBUG_BUSYBOX_IMAGE", "kdebug.local/busybox:1.35")
        self.noshell_image = os.environ.get("KDEBUG_NOSHELL_IMAGE", "kdebug.local/noshell:1")
        self.kubectl_path = os.path.join(self.bin, "kubectl")
        # node name -> {ip, pod_cidr, containerd_socket, ctr, cgroup_root} (lab/env; lab/lib/workers.sh)
        self.nodes = json.loads(os.environ.get("KDEBUG_LAB_NODES") or self.run([os.path.join(
            REPO_ROOT, "lab", "env")]).stdout.split("KDEBUG_LAB_NODES='", 1)[1].split("'", 1)[0])

    def node_tasks(self, node):
        """{container id: host pid} of the tasks that node's own containerd runs (ctr tasks ls on its socket)."""
        info = self.nodes[node]
        out = self.run([info["ctr"], "--address", info["containerd_socket"], "-n", "k8s.io", "tasks", "ls"]).stdout
        return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[1:] if line.strip()}

    @staticmethod
    def host_pid(container_id, pid):
        """The machine's pid of a container's process that its node numbers PID: a worker node has a PID
        namespace of its own (lab/lib/workers.sh), so its containerd and a hostPID agent there see other pids."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cgroup" % entry) as handle:
                    if container_id not in handle.read():
                        continue
                with open("/proc/%s/status" % entry) as handle:
                    nspid = next(line.split()[1:] for line in handle if line.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            if str(pid) in nspid:
                return int(entry)
        raise AssertionError("no process of container %s is pid %d in any PID namespace" % (container_id, pid))

    def run(self, argv, check=True, timeout=120, input=None):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"{argv} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def kubectl(self, *args, **kwargs):
        if args[:2] == ("create", "namespace") and len(args) > 2:
            LEAKS.namespaces.add(args[2])  # a scratch namespace of this session: the leak check looks for it
        return self.run([self.kubectl_path, "--kubeconfig", self.kubeconfig, *args], **kwargs)

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def docker(self, *args, **kwargs):
        return self.run([shutil.which("docker") or "docker", "-H", self.docker_host, *args], **kwargs)

    def module(self, name, args, check=False, diff=False, env=None, timeout=300, in_worker=None, verbose=False,
               extra_vars=None):
        """Run kdebug.toolkit.<name> through ansible (ad hoc, localhost) and return (status, result).

        status is SUCCESS, CHANGED or FAILED!; result is the module's whole result
        (diff included), written by the test callback callback_plugins/kdebug_result.py.
        This is the real path a task takes: the action plugin runs the module in the
        worker (plugin_utils/in_worker.py); in_worker=False, or KDEBUG_TEST_IN_WORKER=0
        for a whole run, makes it a module process (AnsiballZ) instead.
        With verbose, returns (status, result, ansible's stdout at -vvv). extra_vars go in as one JSON document.
        """
        if in_worker is None:
            in_worker = os.environ.get("KDEBUG_TEST_IN_WORKER", "1") != "0"
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-c", "local",
                "-e", "ansible_python_interpreter=" + sys.executable, "-e", "kdebug_in_worker=%s" % in_worker,
                "-m", "kdebug.toolkit." + name, "-a", json.dumps(args)]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        if verbose:
            argv.append("-vvv")
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        with tempfile.TemporaryDirectory() as work:
            result_file = os.path.join(work, "result.json")
            run_env = dict(os.environ, KDEBUG_RESULT_FILE=result_file, ANSIBLE_NOCOLOR="1",
                           ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", **CALLBACK_ENV,
                           **(env or {}))
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=run_env, check=False,
                                  cwd=REPO_ROOT)
            if not os.path.exists(result_file):
                raise AssertionError("no result from ansible %s:\n%s\n%s" % (name, proc.stdout, proc.stderr))
            with open(result_file) as handle:
                written = json.load(handle)
        if verbose:
            return written["status"], written["result"], proc.stdout
        return written["status"], written["result"]

    def playbook(self, playbook, extra_vars=None, args=(), env=None, timeout=600, cwd=None):
        """Run ansible-playbook (a path under the repository, or a file) for real and return the CompletedProcess.

        Extra vars go in as one JSON document; the lab's kubeconfig reaches the
        modules through KUBECONFIG, like a user's shell. The caller asserts on
        returncode and reads what the play wrote (report.json, say).
        """
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                os.path.join(REPO_ROOT, playbook), "-e", "ansible_python_interpreter=" + sys.executable]
        if os.environ.get("KDEBUG_TEST_IN_WORKER", "1") == "0":
            argv += ["-e", "kdebug_in_worker=false"]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        argv += list(args)
        run_env = dict(os.environ, KUBECONFIG=self.kubeconfig, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
                       ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                       **(env or {}))
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=run_env, check=False,
                              cwd=cwd or REPO_ROOT)

    def live_pods(self, namespace, selector=None):
        """The pods of a namespace (matching a label selector) that are not being deleted."""
        args = ["get", "pods", "-n", namespace] + (["-l", selector] if selector else [])
        return [p for p in self.kubectl_json(*args)["items"] if not p["metadata"].get("deletionTimestamp")]

    def tasks(self, tasks, env=None, verbose=False, timeout=600):
        """Run ``tasks`` (task dicts, each named uniquely) in one play on localhost, for real: (results, output).

        Many module calls for one ansible start-up. ``results`` maps each task's name to (status, result,
        seconds): as lab.module gives them, and the task's own time, ansible's start-up left out (written by
        callback_plugins/kdebug_result.py). ``output`` is ansible's stdout and stderr (at -vvv with verbose).
        A task that should not end the play needs ``ignore_errors: true``.
        """
        with tempfile.TemporaryDirectory() as work:
            playbook, log = os.path.join(work, "play.yml"), os.path.join(work, "results.jsonl")
            with open(playbook, "w") as handle:
                json.dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}],
                          handle)
            run_env = dict(CALLBACK_ENV, KDEBUG_RESULTS_LOG=log, **(env or {}))
            proc = self.playbook(playbook, args=["-vvv"] if verbose else [], env=run_env, timeout=timeout)
            results = {}
            if os.path.exists(log):
                with open(log) as handle:
                    for line in handle:
                        entry = json.loads(line)
                        results[entry["task"]] = (entry["status"], entry["result"], entry["seconds"])
        return results, proc.stdout + proc.stderr

    def pod_by_label(self, namespace, selector):
        pods = self.kubectl_json("get", "pods", "-n", namespace, "-l", selector)["items"]
        running = [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        assert running, f"no running pod with {selector} in {namespace}"
        return running[0]


LEAKS = LeakCheck(Lab())
# Left on purpose, declared for the whole suite:
# - a kdebug debug container in one of the lab's own demo pods (lab/manifests/demo.yaml.in, and the PodSecurity
#   namespaces' pods of lab/manifests/production.yaml.in): an ephemeral container cannot be removed from a pod, only
#   left to end at its TTL; the demo pods are the shared targets every run reuses (and reuses the debug containers
#   of). A test that must leave nothing uses pods of its own.
# - the default agents' namespace: it outlives its agents by design (docs/cleanup.md), like lab/up's namespaces.
for _lab_namespace in ("kdebug-demo", "kdebug-baseline", "kdebug-restricted"):
    LEAKS.declare("EphemeralContainer", _lab_namespace, "*/kdebug-*")
LEAKS.declare("Namespace", None, "kdebug-system")


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: stops or pauses a lab daemon (faults/disruptions.py); runs last")


def pytest_collection_modifyitems(session, config, items):
    """The disruptive faults run after every other test. A paused kubelet or a stopped API server leaves true
    history behind - NodeNotReady events on that node's pods, errors in its kubelet log - which triage rightly
    reports for the hour it lasts; the healthy-path tests that follow would meet it. The sort is stable."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def pytest_sessionstart(session):
    if os.path.exists(LEAKS.lab.kubeconfig):  # else the lab fixture fails every test, saying why
        LEAKS.start()


def pytest_sessionfinish(session, exitstatus):
    if session.config.option.collectonly:
        return
    LEAKS.left = LEAKS.finish()
    if LEAKS.left and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    left = LEAKS.left
    if left:
        terminalreporter.section("kdebug objects left behind", red=True)
        terminalreporter.line("This session left %d object(s) that no test declared (fixture `leftover`):"
                              % len(left))
        for item in left:
            terminalreporter.line("  " + str(item))
    elif left is not None:
        terminalreporter.line("leak check: nothing kdebug-made and no scratch namespace left by this session "
                              "(requested_by %s)" % LEAKS.requester)


@pytest.fixture()
def leftover():
    """``leftover(kind, namespace, name)``: the test leaves this object on purpose; the session's leak check
    (leaks.py) does not count it. Kinds as leaks.py names them (Pod, EphemeralContainer with name pod/container,
    DockerContainer, Namespace, ScratchNamespace...)."""
    return LEAKS.declare


@pytest.fixture(scope="session")
def lab():
    lab = Lab()
    if not os.path.exists(lab.kubeconfig):
        pytest.fail(f"the lab is not up ({lab.kubeconfig} missing): run lab/up first")
    lab.kubectl("get", "--raw", "/readyz")
    return lab


@pytest.fixture()
def agent_namespace(lab):
    """An agents' namespace (agent_namespace) of its own for one test: kdebug creates it, the test deletes it."""
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:8]
    yield name
    lab.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false", check=False)


@pytest.fixture(scope="session")
def session_agent_namespace(lab):
    """An agents' namespace for the whole session, removed at its end with the agents in it: for the runbook tests
    whose roles, unlike diagnose.yml and the fleet playbooks, leave the agent they start (to its TTL)."""
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:8]
    yield name
    lab.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false", check=False)


@pytest.fixture()
def scratch_namespace(lab):
    """A namespace of its own per test, deleted afterwards (nothing left behind)."""
    name = "kdebug-test-" + uuid.uuid4().hex[:8]
    lab.kubectl("create", "namespace", name)
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)
