# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_fleet_exec: one command in many pods, through one agent exec per node.

A kdebug_exec call per pod costs a Python process and an exec round trip each;
over a fleet that adds up to more than a sequential loop of ``kubectl debug``.
Here one module call reads the pods (one list per namespace), ensures one
agent per node, finds every target's host pid with one /proc scan per node,
and runs the command in all of that node's targets at once from one exec
(FLEET_DRIVER_SCRIPT), with each target's output framed and base64-encoded so
outputs cannot mix. Nodes are served in parallel.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import threading
import time

from ansible_collections.kdebug.toolkit.plugins.module_utils import options, procfs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.exec import exec_in_container
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.agent import AgentManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import check_joinable, choose_container, target_info
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import BoundedOutput, TIMEOUT_EXIT_CODES
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.agent import NAMESPACE_FLAGS
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases.exec import argument_spec as exec_argument_spec

STRATEGY_REASON = "fleet: one agent exec per node runs the command in all of that node's targets"
# Namespaces a fleet command may enter. Not pid: a private /proc per target (unshare --mount-proc) would hide
# /proc/<host pid>/root, which KDEBUG_TARGET_ROOT points at.
FLEET_NAMESPACES = ("net", "uts", "ipc")

# Run in the agent (hostPID) as: sh -c SCRIPT kdebug-fleet TIMEOUT MAX_BYTES NSENTER_FLAGS COMMAND PID...
# Every target runs in the background at once, and each job frames its own result as soon as its command ends:
#
#   @@kdebug-fleet N rc=RC
#   (stdout: its first MAX_BYTES + 1 bytes in base64, so the reader can tell it was cut)
#   @@kdebug-fleet-stderr N
#   (stderr, the same way)
#
# base64 has no '@', so a marker cannot be forged by a target's output. Framing in the jobs overlaps the slow
# targets (a DNS timeout) instead of queueing after the last of them, and the few processes per target are
# counted: on a node with a hundred targets each one is CPU the others wait for.
FLEET_DRIVER_SCRIPT = r"""
timeout_s=$1; cap=$(($2 + 1)); flags=$3; cmd=$4; shift 4
dir=$(mktemp -d) || exit 125
i=0
for pid in "$@"; do
  i=$((i + 1))
  (
    # shellcheck disable=SC2086 # flags are fixed nsenter options chosen by the module
    KDEBUG_TARGET_ROOT="/proc/$pid/root" timeout -k 2 "$timeout_s" nsenter --target "$pid" $flags -- \
      sh -c "$cmd" </dev/null >"$dir/$i.out" 2>"$dir/$i.err"
    rc=$?
    {
      echo "@@kdebug-fleet $i rc=$rc"
      [ -s "$dir/$i.out" ] && head -c "$cap" "$dir/$i.out" | base64
      echo "@@kdebug-fleet-stderr $i"
      [ -s "$dir/$i.err" ] && head -c "$cap" "$dir/$i.err" | base64
    } >"$dir/$i.frame"
  ) &
done
wait
cat "$dir"/*.frame 2>/dev/null
rm -rf "$dir"
"""
RESULT_MARKER = "@@kdebug-fleet "
STDERR_MARKER = "@@kdebug-fleet-stderr "


def nsenter_flags(namespaces):
    unknown = [n for n in namespaces if n not in FLEET_NAMESPACES]
    if unknown:
        raise OptionError("join_namespaces %s cannot be entered by kdebug_fleet_exec: choose from %s."
                          % (", ".join(unknown), ", ".join(FLEET_NAMESPACES)))
    return " ".join(NAMESPACE_FLAGS[n] for n in namespaces)


def driver_argv(command, pids, timeout, max_output_bytes, namespaces, env=None):
    """The agent exec's argv: [env K=V ...] sh -c FLEET_DRIVER_SCRIPT kdebug-fleet ... (never one shell string)."""
    argv = ["sh", "-c", FLEET_DRIVER_SCRIPT, "kdebug-fleet", str(int(timeout)), str(int(max_output_bytes)),
            nsenter_flags(namespaces), command] + [str(p) for p in pids]
    if env:
        argv = ["env"] + ["%s=%s" % (k, v) for k, v in sorted(env.items())] + argv
    return argv


def _decode(lines):
    try:
        return base64.b64decode("".join(line.strip() for line in lines))
    except (binascii.Error, ValueError):
        return b""


def _marker_number(line, marker):
    fields = line[len(marker):].split()
    return int(fields[0]) if fields and fields[0].isdigit() else None


def parse_driver_output(text, count, max_output_bytes):
    """[{rc, stdout, stderr, truncated}] per target (None where the driver printed nothing for it)."""
    frames = {}  # target number -> {"rc", "out": base64 lines, "err": base64 lines}
    section = None  # the list the next base64 lines belong to
    for line in text.splitlines():
        if line.startswith(STDERR_MARKER):
            frame = frames.get(_marker_number(line, STDERR_MARKER))
            section = frame["err"] if frame else None
        elif line.startswith(RESULT_MARKER):
            number = _marker_number(line, RESULT_MARKER)
            if number is None or not 1 <= number <= count:
                section = None
                continue
            rc = dict(f.split("=", 1) for f in line.split()[2:] if "=" in f).get("rc", "")
            frames[number] = {"rc": int(rc) if rc.lstrip("-").isdigit() else None, "out": [], "err": []}
            section = frames[number]["out"]
        elif section is not None:
            section.append(line)
    found = [None] * count
    for number, frame in frames.items():
        out = BoundedOutput(max_output_bytes)
        err = BoundedOutput(max_output_bytes)
        out.write(_decode(frame["out"]))
        err.write(_decode(frame["err"]))
        found[number - 1] = {"rc": frame["rc"], "stdout": out.text(), "stderr": err.text(),
                             "truncated": out.truncated or err.truncated}
    return found


def target_key(target):
    return "%s/%s" % (target["namespace"], target["pod"])


def error_result(target, message):
    return {"failed": True, "msg": message, "rc": None, "stdout": "", "stderr": "", "stdout_lines": [],
            "stderr_lines": [], "timed_out": False, "truncated": False, "duration_ms": 0, "strategy": "agent",
            "strategy_reason": STRATEGY_REASON, "debug_container": None, "agent_pod": None,
            "target": dict({"container": target.get("container"), "container_id": None, "node": None, "pid": None},
                           namespace=target["namespace"], pod=target["pod"]), "host": target.get("host")}


class FleetRun(object):
    """One fleet run: read pods, one agent per node, one scan and one driver exec per node."""

    def __init__(self, client, params, requester, reason):
        self.rest = client
        self.params = params
        self.requester = requester
        self.reason = reason
        self.manager = AgentManager(client, params["agent_namespace"])

    def _pods(self, namespaces):
        pods = {}
        for namespace in sorted(namespaces):
            listed = self.rest.get(pod_path(namespace))
            for pod in listed.get("items") or []:
                pods["%s/%s" % (namespace, pod["metadata"]["name"])] = pod
        return pods

    def _resolve(self, targets):
        """[(target, pod, container)] for the joinable ones, and the error results of the others."""
        pods = self._pods(set(t["namespace"] for t in targets))
        ready, results = [], {}
        for index, target in enumerate(targets):
            pod = pods.get(target_key(target))
            if pod is None:
                results[index] = error_result(target, "pod %s not found in namespace %s: check the pod name "
                                                      "(kubectl get pods -n %s)."
                                              % (target["pod"], target["namespace"], target["namespace"]))
                continue
            try:
                container = choose_container(pod, target.get("container"))
                check_joinable(pod, container)
            except KdebugError as err:
                results[index] = error_result(target, err.message)
                continue
            ready.append((index, target, pod, container))
        return ready, results

    def _node(self, node, members, results, lock):
        params = self.params
        started = time.monotonic()
        try:
            desired = agent_spec.desired_agent(node, params["agent_namespace"], params["image"], params["ttl_seconds"],
                                               self.requester, self.reason, params["image_pull_policy"],
                                               params["image_pull_secrets"])
            agent_pod, created = self.manager.ensure(desired, wait=True, wait_timeout=params["wait_timeout"])
            summary = agent_spec.agent_summary(agent_pod, created)
            ns, name = agent_pod["metadata"]["namespace"], agent_pod["metadata"]["name"]
            raw_ids = [procfs.split_container_id(target_info(pod, c)["container_id"])[1] for _i, _t, pod, c in members]
            scan = exec_in_container(self.rest, ns, name, agent_spec.AGENT_CONTAINER,
                                     ["sh", "-c", procfs.PID_SCAN_SCRIPT, "kdebug-pid-scan"] + raw_ids, timeout=60)
            processes = procfs.parse_scan(scan.stdout.text())
            runnable = []
            for (index, target, pod, container), raw_id in zip(members, raw_ids):
                process = procfs.find_container_process(processes, raw_id)
                if process is None:
                    results[index] = error_result(target, "no process of container %s (%s) found on node %s: it may "
                                                          "have just restarted; try again."
                                                  % (container, raw_id[:12], node))
                else:
                    runnable.append((index, target, pod, container, process["pid"]))
            if not runnable:
                return
            outcome = exec_in_container(
                self.rest, ns, name, agent_spec.AGENT_CONTAINER,
                driver_argv(params["shell"], [r[4] for r in runnable], params["timeout"], params["max_output_bytes"],
                            params["join_namespaces"], params["env"]),
                timeout=params["timeout"] + 30, max_output_bytes=(params["max_output_bytes"] * 3 + 1024) * len(runnable))
            parsed = parse_driver_output(outcome.stdout.text(), len(runnable), params["max_output_bytes"])
            elapsed_ms = int((time.monotonic() - started) * 1000)
            for (index, target, pod, container, pid), got in zip(runnable, parsed):
                if got is None:
                    results[index] = error_result(target, "the agent exec on node %s ended without this target's "
                                                          "result: %s %s" % (node, outcome.error or "",
                                                                             outcome.stderr.text()[-500:]))
                    continue
                info = target_info(pod, container)
                info["pid"] = pid
                timed_out = got["rc"] in TIMEOUT_EXIT_CODES and elapsed_ms >= params["timeout"] * 950
                with lock:
                    results[index] = {
                        "changed": created, "rc": got["rc"], "stdout": got["stdout"], "stderr": got["stderr"],
                        "stdout_lines": got["stdout"].splitlines(), "stderr_lines": got["stderr"].splitlines(),
                        "timed_out": timed_out, "truncated": got["truncated"], "duration_ms": elapsed_ms,
                        "strategy": "agent", "strategy_reason": STRATEGY_REASON, "debug_container": None,
                        "agent_pod": summary, "target": info, "host": target.get("host"), "failed": False}
        except KdebugError as err:
            with lock:
                for index, target, _pod, _container in members:
                    results.setdefault(index, error_result(target, "node %s: %s" % (node, err.message)))

    def run(self, targets):
        ready, results = self._resolve(targets)
        by_node = {}
        for member in ready:
            by_node.setdefault(member[2]["spec"]["nodeName"], []).append(member)
        lock = threading.Lock()
        threads = [threading.Thread(target=self._node, args=(node, members, results, lock))
                   for node, members in sorted(by_node.items())]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [results.get(i) or error_result(t, "no result (internal error)") for i, t in enumerate(targets)]


# Options that mean the same as kdebug_exec's (agent strategy), taken from its spec rather than copied.
SHARED_EXEC_OPTIONS = ("env", "timeout", "image", "image_pull_secrets", "image_pull_policy", "ttl_seconds",
                       "agent_namespace", "wait_timeout", "requested_by", "reason")


def fleet_argument_spec():
    exec_spec_options = exec_argument_spec()
    spec = options.module_spec()
    spec.update((name, exec_spec_options[name]) for name in SHARED_EXEC_OPTIONS)
    spec.update(
        targets=dict(type="list", elements="dict", required=True, options=dict(
            namespace=dict(type="str", default="default"), pod=dict(type="str", required=True),
            container=dict(type="str"), host=dict(type="str"))),
        shell=dict(type="str", required=True),
        max_output_bytes=dict(type="int", default=262144),
        join_namespaces=dict(type="list", elements="str", default=["net", "uts"], choices=list(FLEET_NAMESPACES)),
    )
    return options.deprecated_alias(spec, "join_namespaces", "namespaces")


def run_fleet_module(module):
    """Do what kdebug_fleet_exec is asked: the documented result."""
    params = module.params
    started = time.monotonic()
    client = module.kube()
    if module.check_mode:
        return dict(changed=False, results=[], msg="check mode: nothing was created or run")
    results = FleetRun(client, params, module.requested_by(), module.reason()).run(params["targets"])
    failed = [r for r in results if r.get("failed")]
    return dict(changed=any(r.get("changed") for r in results), results=results,
                summary={"targets": len(results), "ran": len(results) - len(failed), "failed": len(failed),
                         "nodes": sorted(set(r["target"]["node"] for r in results if r["target"].get("node")))},
                duration_ms=int((time.monotonic() - started) * 1000))
