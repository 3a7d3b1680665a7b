#!/usr/bin/env python3
"""kdebug_exec against its kubectl baselines, side by side in one run (not a test).

    eval "$(lab/env)"; .venv/bin/python bench/exec_bench.py [--runs 5]

(a) warm ephemeral kdebug_exec (tools container already up) vs `kubectl exec` of the same command;
(b) cold ephemeral kdebug_exec (fresh pod) vs `kubectl debug --target` plus waiting for its output;
(c) cold and warm agent kdebug_exec;
(floor) what any module call costs before kdebug does its own work: python + AnsibleModule that exits at once,
then + `import kubernetes`, then + loading the kubeconfig into an ApiClient (kube/auth.py), then + one pod GET;
in the same rounds, the whole warm call and an `ansible.builtin.ping` task (what any Ansible task costs).
Each kdebug figure is given twice: the module call alone (python runs the module file, as AnsiballZ
would, without Ansible's task machinery) and the whole Ansible task (`ansible localhost -m ...`).
(a) also runs inside a playbook of --runs + 1 warm tasks, where the module runs in the Ansible worker
(plugins/plugin_utils/in_worker.py): the module call there (timed by the action plugin), each task's own time
(bench/callback_plugins/task_times.py) and, for comparison, the same tasks as module processes.
Medians of --runs; ratios are kdebug / kubectl. The machine is shared and noisy: read medians only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(REPO, ".venv", "bin", "python")
ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")
KUBECTL = os.path.join(os.environ.get("KDEBUG_LAB_BIN", "/var/cache/kdebug-lab/bin"), "kubectl")
TOOLS = os.environ.get("KDEBUG_TOOLS_IMAGE", "kdebug.local/tools:1")
BUSYBOX = os.environ.get("KDEBUG_BUSYBOX_IMAGE", "kdebug.local/busybox:1.35")
MODULE = os.path.join(REPO, "plugins", "modules", "kdebug_exec.py")


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(argv), result.stdout, result.stderr))
    return result.stdout


def timed(argv, **kwargs):
    started = time.perf_counter()
    out = run(argv, **kwargs)
    return time.perf_counter() - started, out


def kubectl(*args, **kwargs):
    return run([KUBECTL] + list(args), **kwargs)


def module_call(args, module=MODULE):
    """The module alone: its file run by python with ANSIBLE_MODULE_ARGS, as AnsiballZ runs it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    try:
        seconds, out = timed([PYTHON, module, handle.name], env=env)
    finally:
        os.unlink(handle.name)
    result = json.loads(out)
    assert result.get("rc") == 0, result
    return seconds


# Floor modules, run exactly like module_call: each adds one step of what kdebug_exec needs before its own work.
FLOOR_HEAD = "from ansible.module_utils.basic import AnsibleModule\n"
FLOOR_AUTH = (
    "from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import auth\n"
    "from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import pod_path\n"
    "spec = auth.auth_argument_spec()\n"
    "spec.update(pod=dict(type='str'), namespace=dict(type='str'))\n"
    "module = AnsibleModule(argument_spec=spec)\n"
    "rest = auth.kube_client(module.params)\n")
FLOOR_MODULES = [
    ("(floor) python + AnsibleModule, exit at once",
     FLOOR_HEAD + "AnsibleModule(argument_spec=dict(pod=dict(), namespace=dict())).exit_json(rc=0)\n"),
    ("(floor) ... + import kubernetes",
     FLOOR_HEAD + "import kubernetes.client\n"
     "AnsibleModule(argument_spec=dict(pod=dict(), namespace=dict())).exit_json(rc=0)\n"),
    ("(floor) ... + kubeconfig loaded into an ApiClient", FLOOR_HEAD + FLOOR_AUTH + "module.exit_json(rc=0)\n"),
    ("(floor) ... + one pod GET (kube/client.py)",
     FLOOR_HEAD + FLOOR_AUTH + "rest.get(pod_path(module.params['namespace'], module.params['pod']))\n"
     "module.exit_json(rc=0)\n"),
]


def floor_call(source, args):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    try:
        return module_call(args, module=handle.name)
    finally:
        os.unlink(handle.name)


def ansible_task(args):
    """The whole Ansible task; args None runs ansible.builtin.ping instead (what any task costs)."""
    argv = [ANSIBLE, "localhost", "-c", "local", "-e", "ansible_python_interpreter=" + PYTHON]
    argv += ["-m", "ansible.builtin.ping"] if args is None else ["-m", "kdebug.toolkit.kdebug_exec", "-a", json.dumps(args)]
    return timed(argv, cwd=REPO, env=dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0",
                                           ANSIBLE_INVENTORY_UNPARSED_WARNING="0"))[0]


PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
CALLBACKS = os.path.join(REPO, "bench", "callback_plugins")


def playbook_tasks(args, count, in_worker):
    """One ansible-playbook run of ``count`` identical kdebug_exec tasks.

    Returns (each task's seconds from its start to its result, the in-worker module calls' seconds as the
    action plugin logs them at -vvv). The first task is left out of both: it is where the run imports the
    kubernetes library, whichever way the module runs.
    """
    task = {"kdebug.toolkit.kdebug_exec": args}
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task] * count}]
    with tempfile.TemporaryDirectory() as work:
        path, times = os.path.join(work, "play.yml"), os.path.join(work, "times.jsonl")
        with open(path, "w") as handle:
            json.dump(play, handle)
        env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="task_times",
                   KDEBUG_TASK_TIMES=times, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
        out = run([PLAYBOOK, path, "-vvv", "-e", "ansible_python_interpreter=" + PYTHON,
                   "-e", "kdebug_in_worker=%s" % in_worker], cwd=REPO, env=env)
        with open(times) as handle:
            tasks = [json.loads(line)["seconds"] for line in handle]
    calls = [float(line.rsplit(" in ", 1)[1].split()[0]) for line in out.splitlines() if "ran in the worker in" in line]
    assert len(tasks) == count, tasks
    return tasks[1:], calls[1:]


def new_pod(namespace):
    name = "bench-" + uuid.uuid4().hex[:6]
    kubectl("run", name, "-n", namespace, "--image", BUSYBOX, "--image-pull-policy", "Never", "--restart", "Never",
            "--command", "--", "sleep", "3600")
    return name


def wait_ready(namespace, names):
    kubectl("wait", "-n", namespace, "--for=condition=Ready", "--timeout=180s", *["pod/" + n for n in names])


def kubectl_debug_and_wait(namespace, pod, command, target=None):
    """The kubectl way: add a debug container running the command, wait for it to end, read its output.

    ``target`` is the container to share processes with (default: the pod's name, as `kubectl run` names it).
    Also the baseline of bench/runbook_bench.py.
    """
    container = "dbg-" + uuid.uuid4().hex[:6]
    started = time.perf_counter()
    kubectl("debug", "-n", namespace, pod, "--image", TOOLS, "--image-pull-policy", "Never", "--target", target or pod,
            "-c", container, "--", *command)
    while True:
        pod_json = json.loads(kubectl("get", "pod", "-n", namespace, pod, "-o", "json"))
        states = [s["state"] for s in pod_json["status"].get("ephemeralContainerStatuses", []) if s["name"] == container]
        if states and "terminated" in states[0]:
            break
        time.sleep(0.1)
    kubectl("logs", "-n", namespace, pod, "-c", container)
    return time.perf_counter() - started


def median(values):
    return statistics.median(values)


def report(rows):
    print("\n%-68s %10s %10s %8s" % ("measure (median seconds)", "kdebug", "kubectl", "ratio"))
    for label, ours, theirs in rows:
        ratio = "%.2fx" % (ours / theirs) if theirs else "-"
        print("%-68s %10.3f %10s %8s" % (label, ours, "%.3f" % theirs if theirs else "-", ratio))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor rows (they need kube/client.py: an older checkout has none)")
    opts = parser.parse_args()
    namespace = "kdebug-bench-" + uuid.uuid4().hex[:6]
    agent_namespace = namespace + "-agents"
    kubectl("create", "namespace", namespace)
    command = ["cat", "/etc/hostname"]
    try:
        # one warm target for (a) and (c), fresh targets for (b)
        warm = new_pod(namespace)
        fresh_ours = [new_pod(namespace) for _ in range(opts.runs)]
        fresh_kubectl = [new_pod(namespace) for _ in range(opts.runs)]
        wait_ready(namespace, [warm] + fresh_ours + fresh_kubectl)
        base = {"namespace": namespace, "image": TOOLS, "image_pull_policy": "Never", "command": command}
        # kubectl run names a pod's only container after the pod
        eph = dict(base, pod=warm, container=warm, strategy="ephemeral")
        module_call(eph)  # the tools container comes up once; everything after is warm
        rows = []
        # kdebug and kubectl take turns, so a burst of load on the shared machine hits both sides alike.
        a_ours, a_theirs = [], []
        for _ in range(opts.runs):
            a_theirs.append(timed([KUBECTL, "exec", "-n", namespace, warm, "--"] + command)[0])
            a_ours.append(module_call(eph))
        a_kubectl = median(a_theirs)
        rows.append(("(a) warm ephemeral: module call vs kubectl exec", median(a_ours), a_kubectl))
        rows.append(("(a) warm ephemeral: ansible task vs kubectl exec", median([ansible_task(eph) for _ in range(opts.runs)]),
                     a_kubectl))
        # In a playbook, where the action plugin runs the module in the worker (the default with connection local).
        tasks, calls = playbook_tasks(eph, opts.runs + 1, in_worker=True)
        a_theirs.append(timed([KUBECTL, "exec", "-n", namespace, warm, "--"] + command)[0])
        process_tasks, _calls = playbook_tasks(eph, opts.runs + 1, in_worker=False)
        a_theirs.append(timed([KUBECTL, "exec", "-n", namespace, warm, "--"] + command)[0])
        a_kubectl = median(a_theirs)
        rows.append(("(a) warm ephemeral: module call in the worker vs kubectl exec", median(calls), a_kubectl))
        rows.append(("(a) warm ephemeral: playbook task, in the worker", median(tasks), a_kubectl))
        rows.append(("(a) warm ephemeral: playbook task, module process", median(process_tasks), a_kubectl))
        # (b): every run on a pod nobody has debugged yet
        b_ours, b_kubectl = [], []
        for mine, theirs in zip(fresh_ours, fresh_kubectl):
            b_ours.append(module_call(dict(base, pod=mine, container=mine, strategy="ephemeral")))
            b_kubectl.append(kubectl_debug_and_wait(namespace, theirs, command))
        rows.append(("(b) cold ephemeral: module call vs kubectl debug + wait", median(b_ours), median(b_kubectl)))
        # (c): cold agent = none on the node yet (deleted before each run); warm = it is there
        agent = dict(base, pod=warm, container=warm, strategy="agent", agent_namespace=agent_namespace)
        cold = []
        for _ in range(opts.runs):
            subprocess.run([KUBECTL, "delete", "pods", "--all", "-n", agent_namespace, "--grace-period=0", "--force"],
                           capture_output=True, check=False)
            cold.append(module_call(agent))
        rows.append(("(c) cold agent: module call vs kubectl exec", median(cold), a_kubectl))
        rows.append(("(c) warm agent: module call vs kubectl exec", median([module_call(agent) for _ in range(opts.runs)]),
                     a_kubectl))
        rows.append(("(c) warm agent: ansible task vs kubectl exec", median([ansible_task(agent) for _ in range(opts.runs)]),
                     a_kubectl))
        # The floor, in rounds with the whole warm call, so the steps compare under the same load.
        target = {"namespace": namespace, "pod": warm}
        floor = dict((label, []) for label, _source in FLOOR_MODULES)
        whole, ping = [], []
        for _ in range(0 if opts.no_floor else opts.runs):
            for label, source in FLOOR_MODULES:
                floor[label].append(floor_call(source, target))
            whole.append(module_call(eph))
            ping.append(ansible_task(None))
        if whole:
            rows += [(label, median(floor[label]), a_kubectl) for label, _source in FLOOR_MODULES]
            rows.append(("(floor) the whole warm ephemeral module call, same rounds", median(whole), a_kubectl))
            rows.append(("(floor) ansible task of ansible.builtin.ping (Ansible's own cost)", median(ping),
                         a_kubectl))
        report(rows)
    finally:
        subprocess.run([KUBECTL, "delete", "namespace", namespace, agent_namespace, "--wait=false"],
                       capture_output=True, check=False)


if __name__ == "__main__":
    sys.exit(main())
