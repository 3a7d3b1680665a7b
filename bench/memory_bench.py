#!/usr/bin/env python3
"""Peak memory of kdebug_exec against the size of a command's output (not a test).

    eval "$(lab/env)"; .venv/bin/python bench/memory_bench.py [--runs 1] [--sizes 1K,10M,100M,500M]

A command prints SIZE bytes in lines of 100 (``yes <99 characters> | head -c SIZE``) with the default max_output_bytes (1 MiB): kdebug keeps
the first MiB and must read, and drop, the rest without holding it. The module runs as its own process (python
runs the module file, as AnsiballZ would), so its peak RSS (ru_maxrss from wait4) is the controller's cost of
the call alone. Two paths: the ephemeral strategy (the pods/exec websocket, kube/exec.py; the agent strategy
reads the same stream) and the docker strategy (the attach stream, strategies/docker.py). The target is a pod
in a namespace of its own and a Docker container, both made here and removed at the end.
Target (issue 14): every size within 20 MiB of the 1 KB case.
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
KUBECTL = os.path.join(os.environ.get("KDEBUG_LAB_BIN", "/var/cache/kdebug-lab/bin"), "kubectl")
TOOLS = os.environ.get("KDEBUG_TOOLS_IMAGE", "kdebug.local/tools:1")
BUSYBOX = os.environ.get("KDEBUG_BUSYBOX_IMAGE", "kdebug.local/busybox:1.35")
DOCKER_HOST = os.environ.get("DOCKER_HOST", "unix:///run/kdebug-lab/docker.sock")
MODULE = os.path.join(REPO, "plugins", "modules", "kdebug_exec.py")
UNITS = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
TARGET_MIB = 20


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(argv), result.stdout, result.stderr))
    return result.stdout


def size_of(text):
    return int(text[:-1]) * UNITS[text[-1].upper()] if text[-1].upper() in UNITS else int(text)


def module_peak(args):
    """(seconds, peak RSS in MiB, result) of one module process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    try:
        started = time.perf_counter()
        with open(os.devnull, "w") as sink, tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen([PYTHON, MODULE, handle.name], stdout=out, stderr=sink, env=env)
            _pid, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            seconds = time.perf_counter() - started
            out.seek(0)
            result = json.loads(out.read())
    finally:
        os.unlink(handle.name)
    return seconds, usage.ru_maxrss / 1024.0, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--sizes", default="1K,10M,100M,500M")
    parser.add_argument("--paths", default="ephemeral,docker")
    options = parser.parse_args()
    sizes = [s.strip() for s in options.sizes.split(",")]
    namespace = "kdebug-bench-memory-" + uuid.uuid4().hex[:6]
    container = "kdebug-bench-memory-" + uuid.uuid4().hex[:6]
    kubectl = [KUBECTL]
    docker = ["docker", "-H", DOCKER_HOST]
    paths = options.paths.split(",")
    try:
        if "ephemeral" in paths:
            run(kubectl + ["create", "namespace", namespace])
            run(kubectl + ["run", "-n", namespace, "target", "--image", BUSYBOX, "--image-pull-policy", "Never",
                           "--command", "--", "sleep", "3600"])
            run(kubectl + ["wait", "-n", namespace, "pod/target", "--for=condition=Ready", "--timeout=120s"])
        if "docker" in paths:
            run(docker + ["run", "-d", "--name", container, BUSYBOX, "sleep", "3600"])
        base = {"image": TOOLS, "image_pull_policy": "Never", "timeout": 600}
        targets = {"ephemeral": dict(base, pod="target", namespace=namespace, strategy="ephemeral"),
                   "docker": dict(base, docker_container=container, docker_host=DOCKER_HOST)}
        print("| path | output | seconds | peak RSS (MiB) | vs 1 KB (MiB) | kept (bytes) |")
        print("| --- | --- | --- | --- | --- | --- |")
        for path in paths:
            module_peak(dict(targets[path], command=["true"]))  # the debug container made, the image present
            first = None
            for size in sizes:
                figures = []
                for _run in range(options.runs):
                    seconds, peak, result = module_peak(dict(targets[path], shell="yes %s | head -c %d" % ("x" * 99, size_of(size))))
                    if result.get("failed") or result.get("rc") != 0:
                        raise SystemExit("%s %s failed: %s" % (path, size, result.get("msg") or result))
                    figures.append((seconds, peak, len(result["stdout"])))
                seconds = statistics.median(f[0] for f in figures)
                peak = max(f[1] for f in figures)
                first = peak if first is None else first
                print("| %s | %s | %.1f | %.1f | %+.1f | %d |" % (path, size, seconds, peak, peak - first,
                                                                figures[0][2]))
                sys.stdout.flush()
    finally:
        subprocess.run(kubectl + ["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"],
                       capture_output=True, check=False)
        subprocess.run(docker + ["rm", "-f", container], capture_output=True, check=False)


if __name__ == "__main__":
    main()
