"""Runs stopped half way (Ctrl-C, a killed ansible-playbook) leave nothing for long (issue: interruptions).

Ansible runs no `always:` once it is interrupted, so two things take its place, each tested here on the lab:

- the task that is running when the signal comes removes what it made that goes with the run: the crashloop
  runbook's fork (its replay interrupted), a Docker tools container (its command interrupted);
- what earlier tasks made for the run (a fleet's or diagnose's node agent) carries kdebug.io/remove-with-run and
  the run (kdebug.io/run): the default cleanup playbook lists it with --check and removes it as soon as the
  ansible-playbook process is gone, not an hour later at its TTL, while the same object of a run still going is
  kept.

Each case uses its own namespace (and agents' namespace), so nothing here touches what other tests use.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

MANAGED = "app.kubernetes.io/managed-by=kdebug"


def start_playbook(lab, play, extra_vars=None):
    """ansible-playbook on ``play`` (a list of plays), started in its own process group like a shell's job."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    json.dump(play, handle)
    handle.close()
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), handle.name,
            "-e", "ansible_python_interpreter=" + sys.executable]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    env = dict(os.environ, KUBECONFIG=lab.kubeconfig, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            cwd=REPO_ROOT, start_new_session=True)
    proc.play_file = handle.name
    proc.lines = []
    proc.reader = threading.Thread(target=lambda: proc.lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    proc.reader.start()
    return proc


def output_of(proc):
    return "".join(proc.lines)


# A Ctrl-C that lands while ansible-playbook forks a worker runs ansible-core's handler inside CPython's at-fork
# hook, which prints this and drops the KeyboardInterrupt: the run goes on as if no key was pressed.
SWALLOWED_INTERRUPT = re.compile(r"Exception ignored in: <function _afterFork.*?\nKeyboardInterrupt: *\n", re.S)


def stop(proc, signum):
    """Ctrl-C reaches the terminal's foreground process group; a kill reaches the ansible-playbook process.

    A Ctrl-C that ansible-playbook swallowed (SWALLOWED_INTERRUPT) is pressed again, as its user would."""
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    try:
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                if signum == signal.SIGINT and SWALLOWED_INTERRUPT.search(output_of(proc)):
                    os.killpg(proc.pid, signum)
        proc.wait(timeout=1)
        proc.reader.join(timeout=10)
    finally:
        os.unlink(proc.play_file)
    return output_of(proc)


def assert_stopped_cleanly(proc, output):
    """Stopped with a failing exit code and no traceback of ours - or, when ansible-playbook swallowed the
    Ctrl-C and finished before it came again, a complete run (which cleans up after itself)."""
    ours = SWALLOWED_INTERRUPT.sub("", output)
    assert "Traceback" not in ours, output
    finished = ours != output and proc.returncode == 0 and "PLAY RECAP" in output
    assert proc.returncode != 0 or finished, output


def wait_until(what, condition, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            proc.reader.join(timeout=10)
            raise AssertionError("the run ended before %s:\n%s" % (what, output_of(proc)))
        assert time.monotonic() < deadline, "no %s within %ss" % (what, timeout)
        time.sleep(0.5)


def live(lab, namespace, selector):
    return [p for p in lab.kubectl_json("get", "pods", "-n", namespace, "-l", selector)["items"]
            if not p["metadata"].get("deletionTimestamp")]


def running(pods):
    return [p for p in pods if p["status"].get("phase") == "Running"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_crashloop_replay_removes_its_fork(lab, scratch_namespace, signum):
    ns = scratch_namespace
    lab.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crashes", "namespace": ns, "labels": {"app": "c"}},
        "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
            "name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
            "command": ["sh", "-c", "echo starting; exit 3"]}]}}))
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "roles": [{
        "role": "kdebug.toolkit.crashloop", "crashloop_pod": "crashes", "crashloop_namespace": ns,
        "crashloop_triage": False, "crashloop_image": lab.busybox_image, "crashloop_image_pull_policy": "Never",
        # a replay that lasts: the run is stopped in the middle of it
        "crashloop_replay_command": ["sh", "-c", "sleep 120"], "crashloop_replay_timeout": 150}]}]
    proc = start_playbook(lab, play)
    fork = wait_until("a running fork", lambda: running(live(lab, ns, MANAGED + ",kdebug.io/component=fork")), proc)[0]
    annotations = fork["metadata"]["annotations"]
    assert annotations["kdebug.io/remove-with-run"] == "true"
    assert annotations["kdebug.io/run"].split("/")[1] == str(proc.pid), annotations["kdebug.io/run"]
    time.sleep(2)  # into the replay
    started = time.monotonic()
    output = stop(proc, signum)
    assert proc.returncode != 0, output
    assert "Traceback" not in output
    # The fork task removed its fork itself (no wait for the deletion): nothing of it is left running.
    deadline = time.monotonic() + 30
    while live(lab, ns, MANAGED):
        assert time.monotonic() < deadline, "the interrupted run left its fork:\n" + output
        time.sleep(0.5)
    assert time.monotonic() - started < 60


def test_an_interrupted_run_leaves_its_agent_to_the_cleanup_playbook_at_once(lab, agent_namespace):
    """The agent was made by an earlier moment of the run (it is the run's, not the interrupted task's): the
    default cleanup playbook removes it once the run is gone; before that, while the run goes on, it keeps it."""
    web = lab.pod_by_label("kdebug-demo", "app=web")["metadata"]["name"]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [{
        "name": "A long command through a node agent that goes with the run",
        "kdebug.toolkit.kdebug_exec": {"pod": web, "namespace": "kdebug-demo", "strategy": "agent",
                                       "agent_namespace": agent_namespace, "image": lab.tools_image,
                                       "image_pull_policy": "Never", "remove_with_run": True,
                                       "command": ["sleep", "300"], "timeout": 330}}]}]
    proc = start_playbook(lab, play)
    agent = wait_until("a running agent", lambda: running(live(lab, agent_namespace, MANAGED)), proc)[0]
    assert agent["metadata"]["annotations"]["kdebug.io/remove-with-run"] == "true"
    cleanup_vars = {"cleanup_namespaces": [agent_namespace]}
    # while the run goes on, the cleanup keeps its agent and says why
    going = lab.playbook("playbooks/cleanup.yml", cleanup_vars, args=["-v"])
    assert going.returncode == 0, going.stdout + going.stderr
    assert "is still going and removes it" in " ".join(going.stdout.split()), going.stdout
    assert live(lab, agent_namespace, MANAGED)
    output = stop(proc, signal.SIGTERM)
    assert proc.returncode != 0 and "Traceback" not in output, output
    assert live(lab, agent_namespace, MANAGED), "the agent is the run's, not the interrupted task's"
    # --check lists it, with the reason; then one run of the default playbook removes it, long before its TTL
    listed = lab.playbook("playbooks/cleanup.yml", cleanup_vars, args=["--check"])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    listed_text = " ".join(listed.stdout.split())
    assert "would remove Pod %s/%s" % (agent_namespace, agent["metadata"]["name"]) in listed_text, listed.stdout
    assert "has ended without removing it" in listed_text
    assert live(lab, agent_namespace, MANAGED)
    swept = lab.playbook("playbooks/cleanup.yml", cleanup_vars)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "removed Pod %s/%s" % (agent_namespace, agent["metadata"]["name"]) in " ".join(swept.stdout.split()), \
        swept.stdout
    assert not live(lab, agent_namespace, MANAGED)


def test_an_interrupted_docker_command_removes_its_tools_container(lab):
    name = "kdebug-test-interrupt-" + os.urandom(4).hex()
    lab.docker("run", "-d", "--name", name, lab.noshell_image, "serve", ":8080")
    selector = "label=kdebug.io/target=docker/" + name
    try:
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [{
            "name": "A long command in the tools container",
            "kdebug.toolkit.kdebug_exec": {"docker_container": name, "docker_host": lab.docker_host,
                                           "image": lab.tools_image, "image_pull_policy": "Never",
                                           "command": ["sleep", "120"], "timeout": 150}}]}]
        proc = start_playbook(lab, play)

        def tools_containers():
            return lab.docker("ps", "-q", "--filter", selector).stdout.split()

        tools = wait_until("a tools container", tools_containers, proc)
        labels = json.loads(lab.docker("inspect", tools[0]).stdout)[0]["Config"]["Labels"]
        assert labels["kdebug.io/remove-with-run"] == "true" and labels["kdebug.io/run"]
        output = stop(proc, signal.SIGTERM)
        assert proc.returncode != 0 and "Traceback" not in output, output
        # removed by the interrupted task itself (its worker outlives ansible-playbook by that long)
        deadline = time.monotonic() + 30
        while lab.docker("ps", "-aq", "--filter", selector).stdout.split():
            assert time.monotonic() < deadline, "the interrupted command's tools container is left:\n" + output
            time.sleep(0.5)
    finally:
        lab.docker("rm", "-f", name, check=False)
        for left in lab.docker("ps", "-aq", "--filter", selector).stdout.split():
            lab.docker("rm", "-f", left, check=False)


def managed_pods(lab, *namespaces):
    return [(ns, p["metadata"]["name"]) for ns in namespaces for p in live(lab, ns, MANAGED)]


@pytest.mark.parametrize("point, signum", [
    ("triage", signal.SIGINT), ("fork", signal.SIGINT), ("fork", signal.SIGTERM), ("agent", signal.SIGTERM),
    ("agent", signal.SIGINT)])
def test_diagnose_stopped_at_any_point_leaves_nothing_after_one_cleanup_run(lab, scratch_namespace, agent_namespace,
                                                                            point, signum):
    """diagnose.yml stopped while it triages, while its crashloop fork starts or replays, while its node agent
    probes: one default cleanup.yml run (listing first with --check) leaves no kdebug pod of the run."""
    ns = scratch_namespace
    lab.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "target", "namespace": ns},
        "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
            "name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
            "command": ["sh", "-c", "echo starting; exit 3"] if point == "fork" else ["sleep", "3600"]}]}}))
    lab.kubectl("wait", "-n", ns, "--for=jsonpath={.status.containerStatuses[0].restartCount}=1"
                if point == "fork" else "--for=condition=Ready", "pod/target", "--timeout=120s", timeout=150)
    extra = {"pod": "target", "kdebug_namespace": ns, "image": lab.tools_image, "fork_image": lab.tools_image,
             "image_pull_policy": "Never", "agent_namespace": agent_namespace,
             "runbooks": {"triage": "dns", "fork": "crashloop", "agent": "dns"}[point]}
    if point == "agent":
        extra["kdebug_strategy"] = "agent"
    play = [{"import_playbook": os.path.join(REPO_ROOT, "playbooks", "diagnose.yml")}]
    proc = start_playbook(lab, play, extra)
    if point == "triage":
        wait_until("triage", lambda: "TASK [kdebug.toolkit.triage" in output_of(proc), proc)
    else:
        where = ns if point == "fork" else agent_namespace
        wait_until("the run's %s" % point, lambda: live(lab, where, MANAGED), proc)
    output = stop(proc, signum)
    assert_stopped_cleanly(proc, output)
    cleanup_vars = {"cleanup_namespaces": [ns, agent_namespace]}
    listed = lab.playbook("playbooks/cleanup.yml", cleanup_vars, args=["--check"])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for where, name in managed_pods(lab, ns, agent_namespace):
        assert "would remove Pod %s/%s" % (where, name) in " ".join(listed.stdout.split()), listed.stdout
    swept = lab.playbook("playbooks/cleanup.yml", cleanup_vars)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    deadline = time.monotonic() + 30
    while managed_pods(lab, ns, agent_namespace):
        assert time.monotonic() < deadline, (managed_pods(lab, ns, agent_namespace), output, swept.stdout)
        time.sleep(0.5)
