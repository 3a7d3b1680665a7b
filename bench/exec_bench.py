#!/usr/bin/env python3
"""kdebug_exec against its kubectl baselines, side by side in one run (not a test).

    eval "$(lab/env)"; .venv/bin/python bench/exec_bench.py [--runs 5]

(a) warm ephemeral kdebug_exec (tools container already up) vs `kubectl exec` of the same command;
(b) cold ephemeral kdebug_exec (fresh pod) vs `kubectl debug --target` plus waiting for its output;
(c) cold and warm agent kdebug_exec.
Each kdebug figure is given twice: the module call alone (python runs the module file, as AnsiballZ
would, without Ansible's task machinery) and the whole Ansible task (`ansible localhost -m ...`).
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


def module_call(args):
    """The module alone: its file run by python with ANSIBLE_MODULE_ARGS, as AnsiballZ runs it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    try:
        seconds, out = timed([PYTHON, MODULE, handle.name], env=env)
    finally:
        os.unlink(handle.name)
    result = json.loads(out)
    assert result.get("rc") == 0, result
    return seconds


def ansible_task(args):
    argv = [ANSIBLE, "localhost", "-c", "local", "-e", "ansible_python_interpreter=" + PYTHON,
            "-m", "kdebug.toolkit.kdebug_exec", "-a", json.dumps(args)]
    return timed(argv, cwd=REPO, env=dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0",
                                           ANSIBLE_INVENTORY_UNPARSED_WARNING="0"))[0]


def new_pod(namespace):
    name = "bench-" + uuid.uuid4().hex[:6]
    kubectl("run", name, "-n", namespace, "--image", BUSYBOX, "--image-pull-policy", "Never", "--restart", "Never",
            "--command", "--", "sleep", "3600")
    return name


def wait_ready(namespace, names):
    kubectl("wait", "-n", namespace, "--for=condition=Ready", "--timeout=180s", *["pod/" + n for n in names])


def kubectl_debug_and_wait(namespace, pod, command):
    """The kubectl way: add a debug container running the command, wait for it to end, read its output."""
    container = "dbg-" + uuid.uuid4().hex[:6]
    started = time.perf_counter()
    kubectl("debug", "-n", namespace, pod, "--image", TOOLS, "--image-pull-policy", "Never", "--target", pod,
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
    print("\n%-58s %10s %10s %8s" % ("measure (median seconds)", "kdebug", "kubectl", "ratio"))
    for label, ours, theirs in rows:
        ratio = "%.2fx" % (ours / theirs) if theirs else "-"
        print("%-58s %10.3f %10s %8s" % (label, ours, "%.3f" % theirs if theirs else "-", ratio))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
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
        a_kubectl = median([timed([KUBECTL, "exec", "-n", namespace, warm, "--"] + command)[0]
                            for _ in range(opts.runs)])
        rows.append(("(a) warm ephemeral: module call vs kubectl exec", median([module_call(eph) for _ in range(opts.runs)]),
                     a_kubectl))
        rows.append(("(a) warm ephemeral: ansible task vs kubectl exec", median([ansible_task(eph) for _ in range(opts.runs)]),
                     a_kubectl))
        # (b): every run on a pod nobody has debugged yet
        b_ours = [module_call(dict(base, pod=p, container=p, strategy="ephemeral")) for p in fresh_ours]
        b_kubectl = [kubectl_debug_and_wait(namespace, p, command) for p in fresh_kubectl]
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
        report(rows)
    finally:
        subprocess.run([KUBECTL, "delete", "namespace", namespace, agent_namespace, "--wait=false"],
                       capture_output=True, check=False)


if __name__ == "__main__":
    sys.exit(main())
