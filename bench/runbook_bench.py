#!/usr/bin/env python3
"""The runbook playbooks against their kubectl baselines, side by side in one run (not a test).

    eval "$(lab/env)"; .venv/bin/python bench/runbook_bench.py [--runs 3] [--only fleet|diagnose]

(d) fleet: playbooks/fleet_dns.yml over fleets of 31 pods (28 healthy, 3 with an unreachable nameserver, the
    same fleet as tests/integration/playbooks/test_fleet.py) and of 100 pods (a tenth broken; --fleet-sizes) with
    the agent strategy and --forks 32, against a sequential loop of `kubectl debug --target` per pod running a dig
    and waiting for its output. Also counts the debug pods and containers each way creates, times back-to-back
    runs that keep the agent (-e remove_agents=false), and measures the floor no fleet playbook can go under:
    ansible-playbook doing nothing over the same inventory, plus the one dig timeout (2 s) the broken pods cost
    (the kubectl loop pays it once per broken pod). Target: fleet >= 10x faster.
(e) diagnose: playbooks/diagnose.yml on the web pod (triage, DNS and network checks, report) against the same
    checks typed as kubectl commands (get pod, events, logs, node, services; one kubectl debug running
    resolv.conf, dig, ip, ss and TCP connects). Target: <= 3x.
Medians of --runs. The machine is shared and noisy: read medians only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "playbooks"))
from fleet_fixture import create_fleet, write_inventory  # noqa: E402  pylint: disable=wrong-import-position
from exec_bench import kubectl_debug_and_wait  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
KUBECTL = os.path.join(os.environ.get("KDEBUG_LAB_BIN", "/var/cache/kdebug-lab/bin"), "kubectl")
KUBECONFIG = os.environ.get("KUBECONFIG", "/var/lib/kdebug-lab/pki/admin.kubeconfig")
TOOLS = os.environ.get("KDEBUG_TOOLS_IMAGE", "kdebug.local/tools:1")
DEMO = "kdebug-demo"
DNS_TIMEOUT = 2  # seconds: dns_check's default query timeout, and so the kubectl loop's
DNS_PROBE = ["dig", "+time=%d" % DNS_TIMEOUT, "+tries=1", "kubernetes.default.svc.cluster.local"]
NET_PROBE = ("cat /etc/resolv.conf; dig +time=2 +tries=1 kubernetes.default.svc.cluster.local; "
             "dig +time=2 +tries=1 web.kdebug-demo.svc.cluster.local; ip addr; ip route; ss -ltnup; "
             "nc -z -w 2 kube-dns.kube-system.svc.cluster.local 53; nc -z -w 2 kubernetes.default.svc.cluster.local 443")


class Lab(object):
    """Just what fleet_fixture needs from the test harness's Lab."""
    busybox_image = os.environ.get("KDEBUG_BUSYBOX_IMAGE", "kdebug.local/busybox:1.35")

    @staticmethod
    def kubectl(*args, **kwargs):
        timeout = kwargs.pop("timeout", 300)
        return run([KUBECTL, "--kubeconfig", KUBECONFIG] + list(args), timeout=timeout, **kwargs)


def run(argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(argv), result.stdout[-3000:], result.stderr[-3000:]))
    return result


def kubectl(*args, **kwargs):
    return Lab.kubectl(*args, **kwargs).stdout


# What any playbook over a pods inventory costs before it does anything: ansible-playbook's start, the
# inventory plugin's pod list, one task.
NOTHING_PLAYBOOK = """- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug: {msg: nothing}
      run_once: true
"""


def playbook(name, extra_vars, *args, **kwargs):
    """Seconds one ansible-playbook run takes; name is a playbook of playbooks/ or a path. With memory=[] the
    controller's peak memory (MiB, see ControllerMemory) is appended to that list."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), KUBECONFIG=KUBECONFIG)
    argv = [PLAYBOOK, os.path.join(REPO, "playbooks", name), "-e", json.dumps(extra_vars),
            "-e", "ansible_python_interpreter=" + sys.executable] + list(args)
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = ControllerMemory(process.pid)
    sampler.start()
    try:
        output, _ = process.communicate(timeout=1800)
    finally:
        peak = sampler.stop()
    if process.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(argv), output[-6000:]))
    if kwargs.get("memory") is not None:
        kwargs["memory"].append(peak)
    return time.perf_counter() - started


class ControllerMemory(threading.Thread):
    """The peak memory of a process and all its descendants (ansible-playbook, its forks, the modules they run):
    the sum of their proportional set sizes (Pss of /proc/PID/smaps_rollup, so the pages the forks share with
    their parent count once), sampled every 0.2 s; in MiB."""

    def __init__(self, pid):
        super(ControllerMemory, self).__init__(daemon=True)
        self.pid, self.peak, self.stopping = pid, 0.0, threading.Event()

    @staticmethod
    def _children(pid):
        found = []
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as handle:
                found.extend(int(child) for child in handle.read().split())
        return found

    def sample(self):
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                with open("/proc/%d/smaps_rollup" % pid) as handle:
                    total += sum(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
                todo.extend(self._children(pid))
            except (OSError, ValueError):
                continue  # ended meanwhile
        return total / 1024.0

    def run(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, self.sample())
            self.stopping.wait(0.2)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.peak


class PeakCounter(threading.Thread):
    """Polls a count (e.g. agent pods) while a run goes on and keeps the highest seen."""

    def __init__(self, count):
        super(PeakCounter, self).__init__(daemon=True)
        self.count, self.peak, self.stopping = count, 0, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, self.count())
            self.stopping.wait(2.0)  # each poll is a kubectl process: keep its CPU out of the measured run

    def stop(self):
        self.stopping.set()
        self.join()
        return self.peak


def busy_fraction(seconds):
    """The share of all CPUs busy over ``seconds`` (/proc/stat: everything but idle and iowait)."""
    def read():
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        return sum(fields) - fields[3] - fields[4], sum(fields)
    busy0, total0 = read()
    time.sleep(seconds)
    busy1, total1 = read()
    return (busy1 - busy0) / float(max(total1 - total0, 1))


# A fleet just created keeps the nodes busy for minutes (every kubelet and the runtimes take in its hundreds of
# containers), and the kdebug runs, CPU-bound, would pay for it while the kubectl loop, which waits on the API more
# than on the CPU, comes later. Each series starts when the machine is about as quiet as a lab with the fleet idle
# (37% busy at 300 pods, bench/README.md), or after SETTLE_TIMEOUT whatever it is.
QUIET_BUSY = 0.40
SETTLE_TIMEOUT = 300


def settle():
    """Wait (in 5 s windows, at most SETTLE_TIMEOUT) until the machine is at most QUIET_BUSY busy; say how long."""
    started = time.monotonic()
    busy = busy_fraction(5)
    while busy > QUIET_BUSY and time.monotonic() - started < SETTLE_TIMEOUT:
        busy = busy_fraction(5)
    print("settled in %.0f s: %.0f%% busy" % (time.monotonic() - started, busy * 100), flush=True)


def agent_pods():
    """Live agent pods in the default agent namespace (the one the fleet playbook uses)."""
    pods = json.loads(kubectl("get", "pods", "-n", "kdebug-system", "-l", "kdebug.io/component=agent",
                              "-o", "json"))["items"]
    return len([p for p in pods if not p["metadata"].get("deletionTimestamp")])


def pod_node(namespace, name):
    return kubectl("get", "pod", "-n", namespace, name, "-o", "jsonpath={.spec.nodeName}")


def ephemeral_containers(namespace):
    pods = json.loads(kubectl("get", "pods", "-n", namespace, "-o", "json"))["items"]
    return sum(len(p["spec"].get("ephemeralContainers") or []) for p in pods)


def bench_fleet(runs, work, size):
    namespace = "kdebug-bench-fleet"
    Lab.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=true", timeout=300)
    kubectl("create", "namespace", namespace)
    try:
        broken = max(3, size // 10)
        ok, bad = create_fleet(Lab, namespace, healthy=size - broken, broken=broken)
        pods = ok + bad
        inventory = write_inventory(work, namespace)
        ours, peaks, warm, memory = [], [], [], []
        settle()
        for index in range(runs):
            counter = PeakCounter(agent_pods)
            counter.start()
            ours.append(playbook("fleet_dns.yml", {"image": TOOLS, "kdebug_strategy": "agent", "kdebug_timeout": 30,
                                                   "output_dir": os.path.join(work, "fleet-%d" % index)},
                                 "-i", inventory, "--forks", "32", memory=memory))
            peaks.append(counter.stop())
        # Back-to-back runs that keep the agent (remove_agents=false): the first one creates it.
        for index in range(runs + 1):
            seconds = playbook("fleet_dns.yml", {"image": TOOLS, "kdebug_strategy": "agent", "kdebug_timeout": 30,
                                                 "remove_agents": index == runs,
                                                 "output_dir": os.path.join(work, "warm-%d" % index)},
                               "-i", inventory, "--forks", "32")
            if index:
                warm.append(seconds)
        nothing = os.path.join(work, "nothing.yml")
        with open(nothing, "w") as handle:
            handle.write(NOTHING_PLAYBOOK)
        floor = [playbook(nothing, {}, "-i", inventory) + DNS_TIMEOUT for _index in range(runs)]
        ours_containers = ephemeral_containers(namespace)
        theirs = []
        settle()
        for _index in range(runs):
            started = time.perf_counter()
            for pod in pods:
                kubectl_debug_and_wait(namespace, pod, DNS_PROBE, target="app")
            theirs.append(time.perf_counter() - started)
        theirs_containers = ephemeral_containers(namespace) - ours_containers
        return {"pods": len(pods), "broken": len(bad), "ours": statistics.median(ours),
                "theirs": statistics.median(theirs), "warm": statistics.median(warm), "warm_all": warm,
                "floor": statistics.median(floor), "floor_all": floor,
                "ours_all": ours, "theirs_all": theirs, "agent_pods_peak": max(peaks), "memory_all": memory,
                "nodes": len({pod_node(namespace, name) for name in pods}),
                "ours_ephemeral": ours_containers, "theirs_ephemeral_per_run": theirs_containers // runs}
    finally:
        kubectl("delete", "namespace", namespace, "--wait=false")
        # The kept-agent series' last run did not create the agents, so it does not remove them: they would wait
        # for their TTL, and be the next fleet's "fresh" agents.
        Lab.kubectl("delete", "pods", "-n", "kdebug-system", "-l", "kdebug.io/component=agent", "--wait=false",
                    check=False)


def kubectl_diagnose(pod):
    """The same checks typed as kubectl commands, one after the other."""
    started = time.perf_counter()
    node = json.loads(kubectl("get", "pod", "-n", DEMO, pod, "-o", "json"))["spec"]["nodeName"]
    kubectl("get", "events", "-n", DEMO, "--field-selector", "involvedObject.name=" + pod, "-o", "json")
    kubectl("logs", "-n", DEMO, pod, "--tail", "50")
    Lab.kubectl("logs", "-n", DEMO, pod, "--tail", "50", "--previous", check=False)
    kubectl("get", "node", node, "-o", "json")
    kubectl("get", "services", "-n", DEMO, "-o", "json")
    kubectl_debug_and_wait(DEMO, pod, ["sh", "-c", NET_PROBE], target="web")
    return time.perf_counter() - started


def bench_diagnose(runs, work):
    pods = json.loads(kubectl("get", "pods", "-n", DEMO, "-l", "app=web", "-o", "json"))["items"]
    pod = [p for p in pods if p["status"].get("phase") == "Running"][0]["metadata"]["name"]
    ours = [playbook("diagnose.yml", {"pod": pod, "kdebug_namespace": DEMO, "image": TOOLS, "kdebug_strategy": "ephemeral",
                                      "output_dir": os.path.join(work, "diagnose-%d" % i)}) for i in range(runs)]
    theirs = [kubectl_diagnose(pod) for _ in range(runs)]
    return {"ours": statistics.median(ours), "theirs": statistics.median(theirs), "ours_all": ours,
            "theirs_all": theirs}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["fleet", "diagnose"])
    parser.add_argument("--fleet-sizes", default="31,100",
                        help="fleets to measure, comma separated: pods in each, a tenth of them (at least 3) with an "
                             "unreachable nameserver (default 31,100; each lab node takes 150 pods)")
    opts = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kdebug-bench-")
    rows = []
    try:
        if opts.only in (None, "diagnose"):
            diag = bench_diagnose(opts.runs, work)
            rows.append(("(e) diagnose.yml on web vs kubectl commands", diag["ours"], diag["theirs"],
                         "%.2fx slower" % (diag["ours"] / diag["theirs"]), "<= 3x"))
            print("diagnose runs: ours %s, kubectl %s" % (["%.1f" % v for v in diag["ours_all"]],
                                                          ["%.1f" % v for v in diag["theirs_all"]]))
        for size in ([int(n) for n in opts.fleet_sizes.split(",")] if opts.only in (None, "fleet") else []):
            fleet = bench_fleet(opts.runs, work, size)
            rows.append(("(d) fleet_dns.yml over %d pods vs sequential kubectl debug" % fleet["pods"], fleet["ours"],
                         fleet["theirs"], "%.2fx faster" % (fleet["theirs"] / fleet["ours"]), ">= 10x"))
            rows.append(("(d) ... the agent kept from the run before (remove_agents=false)", fleet["warm"],
                         fleet["theirs"], "%.2fx faster" % (fleet["theirs"] / fleet["warm"]), ">= 10x"))
            rows.append(("(d) ... floor: a no-op playbook over the pods + one DNS timeout", fleet["floor"],
                         fleet["theirs"], "%.2fx at most" % (fleet["theirs"] / fleet["floor"]), ""))
            print("fleet runs (%d pods, %d broken): ours %s, agent kept %s, floor %s, kubectl %s"
                  % (fleet["pods"], fleet["broken"], ["%.1f" % v for v in fleet["ours_all"]],
                     ["%.1f" % v for v in fleet["warm_all"]], ["%.1f" % v for v in fleet["floor_all"]],
                     ["%.1f" % v for v in fleet["theirs_all"]]))
            print("controller peak memory (ansible-playbook and its forks, Pss) per run: %s MiB; the pods ran on "
                  "%d node(s)" % (["%.0f" % v for v in fleet["memory_all"]], fleet["nodes"]))
            print("created per run: kdebug %d agent pod(s) at most at once, %d ephemeral containers; kubectl debug %d "
                  "ephemeral containers" % (fleet["agent_pods_peak"], fleet["ours_ephemeral"],
                                            fleet["theirs_ephemeral_per_run"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n%-62s %9s %9s %14s %8s" % ("measure (median seconds)", "kdebug", "kubectl", "ratio", "target"))
    for label, ours, theirs, ratio, target in rows:
        print("%-62s %9.2f %9.2f %14s %8s" % (label, ours, theirs, ratio, target))


if __name__ == "__main__":
    main()
