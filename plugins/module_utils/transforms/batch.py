# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A batch of kdebug_exec targets (``targets``) as data: the per-node driver, its output, the results. Pure.

A batch runs through the node agents (strategies/batch.py): one exec per node
runs the command in all of that node's targets at once. Here is everything
about that exec that needs no API:

- :func:`command_template`: the argv each target runs, exactly the argv of the
  agent strategy for one target (``timeout``, ``nsenter``, the command), as sh
  words in which only the target's pid and root are variables. Every other
  word is quoted, so an argv ``command`` and the ``env`` values reach the
  target as they were given, whatever characters they hold;
- DRIVER_SCRIPT and :func:`driver_argv`: the one exec per node;
- :func:`parse_driver_output`: each target's rc, stdout and stderr back from
  the driver's archive (its frame), and :func:`frame_outcome`: each target's
  ExecOutcome, as a single target's exec gives it (the strategy checks it for a
  loss the same way);
- the results: :func:`target_result`, :func:`error_result`, :func:`plan_result`
  (check mode), :func:`batch_summary`, all with the keys of a single
  kdebug_exec result plus ``host``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import io
import posixpath
import re
import shlex
import tarfile
import zlib

from ansible_collections.kdebug.toolkit.plugins.module_utils import options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.nodes import node_target
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import (
    BoundedOutput, ExecOutcome, exec_result, outcome_failure, plan_result as single_plan_result, was_timed_out)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent as agent_spec

STRATEGY = "agent"
STRATEGY_REASON = "targets: one agent exec per node runs the command in every target of that node at once"

# Run in the agent (hostPID) as: sh -c DRIVER_SCRIPT kdebug-batch MAX_BYTES STDIN PARALLEL TEMPLATE PID ROOT [PID ROOT]...
# TEMPLATE is command_template(): sh words in which "$pid" and "$root" stand for the target's. Every target runs in
# the background, at most PARALLEL at once, its stdout and stderr in files, and when its command ends it writes
# N.rc ("rc=RC start=UPTIME end=UPTIME") beside N.out and N.err. When all have ended, the outputs longer than
# MAX_BYTES + 1 bytes are cut to that (so the reader can tell they were cut) and the whole directory goes out as one
# gzipped tar in base64: four processes per node (find, tar, gzip, base64) instead of two per target (head and
# base64 of each stream): on a node with a hundred targets, each process is CPU the others wait for. A target's
# output cannot forge another's: each is a file of its own in the archive. start and end (/proc/uptime, read with
# the builtin read: no process) time each target's command on its own: a target killed early by a signal is not
# taken for one stopped at its timeout because another target of its node ran that long.
# Each target also gets KDEBUG_SCRATCH, a directory of its own for scratch files (all made by one mkdir, all
# removed with the driver's), so a probe needs no mktemp and no rm of its own; it is the agent's, so a command that
# joins the target's mnt namespace does not see it. With STDIN=1 the driver's standard input is given to every
# target; otherwise each reads an empty file.
DRIVER_SCRIPT = r"""
cap=$(($1 + 1)); stdin=$2; parallel=$3; template=$4; shift 4
dir=$(mktemp -d) || exit 125
if [ "$stdin" = 1 ]; then cat >"$dir/in"; else : >"$dir/in"; fi
mkfifo "$dir/slots" && exec 3<>"$dir/slots" || exit 125
n=0; while [ "$n" -lt "$parallel" ]; do echo >&3; n=$((n + 1)); done
n=0; scratch=""; while [ "$n" -lt $(($# / 2)) ]; do n=$((n + 1)); scratch="$scratch scratch/$n"; done
(cd "$dir" && mkdir frames scratch $scratch) || exit 125
i=0
while [ "$#" -ge 2 ]; do
  pid=$1; root=$2; shift 2
  i=$((i + 1))
  (
    read -r _ <&3
    eval "set -- $template"
    read -r start _ </proc/uptime
    KDEBUG_SCRATCH="$dir/scratch/$i" "$@" <"$dir/in" >"$dir/frames/$i.out" 2>"$dir/frames/$i.err" 3>&-
    rc=$?
    read -r end _ </proc/uptime
    echo >&3
    echo "rc=$rc start=$start end=$end" >"$dir/frames/$i.rc"
  ) &
done
wait
find "$dir/frames" -type f -size +"$cap"c -exec truncate -s "$cap" {} + 2>/dev/null
tar -C "$dir/frames" -czf - . | base64
rm -rf "$dir"
"""
# Targets of a node whose commands run at once (the others wait for a slot, a token of a FIFO): enough to overlap
# the slow ones (a DNS timeout), few enough that a hundred targets' processes do not thrash the node's CPUs. On the
# lab (2 cores, 300 pods over 3 nodes, fleet_dns.yml) the probe step took 15 s with 24 against 18 s unbounded.
MAX_PARALLEL_PER_NODE = 24
# The driver's variables that command_template() leaves to it, one per target.
SLOT_VARIABLES = ("pid", "root")


def normalize_targets(targets, namespace, container):
    """Each target as {pod, namespace, container, node, host}: a pod's (the module's ``namespace``/``container``
    fill its gaps) or a node's (``node``, the others null). OptionError for an entry that is neither or both."""
    normalized = []
    for number, target in enumerate(targets, 1):
        if bool(target.get("pod")) == bool(target.get("node")):
            raise OptionError("targets item %d (%s) needs exactly one of pod (a pod, with its namespace and "
                              "container) and node (the node's host namespaces)."
                              % (number, ", ".join("%s=%s" % (k, v) for k, v in sorted(target.items()) if v) or "empty"))
        if target.get("node"):
            problem = options.name_problem("targets item %d node" % number, target["node"], "node",
                                           hint="kubectl get nodes lists them")
            if problem:
                raise OptionError(problem)
            if target.get("namespace") or target.get("container"):
                raise OptionError("targets item %d is node %s: namespace and container are a pod's, not a node's. "
                                  "Remove them, or give the pod." % (number, target["node"]))
            normalized.append({"pod": None, "namespace": None, "container": None, "node": target["node"],
                               "host": target.get("host")})
            continue
        normalized.append({"pod": target["pod"], "namespace": target.get("namespace") or namespace,
                           "container": target.get("container") or container or None, "node": None,
                           "host": target.get("host")})
    return normalized


def shell_words(argv, slots=None):
    """``argv`` as sh words for ``eval "set -- WORDS"``: each element quoted; a slot (a placeholder string in
    ``slots``, mapped to a variable name) becomes ``"$variable"`` wherever it occurs."""
    slots = slots or {}
    pattern = re.compile("(%s)" % "|".join(re.escape(s) for s in slots)) if slots else None
    words = []
    for arg in argv:
        parts = pattern.split(arg) if pattern else [arg]
        words.append("".join('"$%s"' % slots[p] if p in slots else shlex.quote(p) for p in parts if p) or "''")
    return " ".join(words)


def _unused_placeholder(texts, name):
    """A placeholder that occurs in none of ``texts``, so nothing the user gave is ever taken for one."""
    number = 0
    while any("@kdebug-%s-%d@" % (name, number) in text for text in texts):
        number += 1
    return "@kdebug-%s-%d@" % (name, number)


def command_template(spec, namespaces):
    """The agent strategy's argv for one target (an ExecSpec run in ``namespaces``), as sh words with "$pid" and
    "$root" for the target's host pid and root (transforms/agent.py target_argv, target_root)."""
    texts = list(spec.command or []) + [spec.shell or ""]
    pid, root = (_unused_placeholder(texts, name) for name in SLOT_VARIABLES)
    return shell_words(agent_spec.target_argv(spec, pid, root, namespaces), {pid: "pid", root: "root"})


def driver_argv(template, targets, max_output_bytes, stdin=False, parallel=None):
    """The agent exec's argv: sh -c DRIVER_SCRIPT ... with (pid, root) per target (never one shell string)."""
    parallel = int(parallel or MAX_PARALLEL_PER_NODE)
    argv = ["sh", "-c", DRIVER_SCRIPT, "kdebug-batch", str(int(max_output_bytes)), "1" if stdin else "0",
            str(max(1, parallel)), template]
    for pid, root in targets:
        argv += [str(int(pid)), root]
    return argv


def output_budget(count, max_output_bytes):
    """Bytes of driver output to keep for ``count`` targets: both streams and the exit line, each in a tar member of
    its own (a header and padding), in base64 (gzip only makes it smaller, but a stream it cannot shrink may grow a
    little), and the archive's end."""
    return (max_output_bytes * 3 + 8192) * count + 4096


def _archive_files(text):
    """{member's base name: bytes} of the driver's archive (base64 of a gzipped tar). As much as can be read: a
    stream cut short keeps the members before the cut, garbage gives nothing."""
    try:
        data = base64.b64decode("".join(text.split()))
        raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)  # positional: Python 2.7 takes no wbits=
    except (binascii.Error, ValueError, TypeError, zlib.error):
        return {}
    files = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            for member in archive:
                if member.isfile():
                    files[posixpath.basename(member.name)] = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError):
        pass
    return files


def parse_driver_output(text, count, max_output_bytes):
    """[{rc, seconds, stdout, stderr}] per target, stdout/stderr as BoundedOutput, seconds the command's own time
    (None when the driver did not tell it); None where the driver wrote no exit line for a target."""
    files = _archive_files(text)
    found = [None] * count
    for number in range(1, count + 1):
        line = files.get("%d.rc" % number)
        if line is None:
            continue
        fields = dict(f.split("=", 1) for f in line.decode("ascii", "replace").split() if "=" in f)
        rc = fields.get("rc", "")
        out, err = BoundedOutput(max_output_bytes), BoundedOutput(max_output_bytes)
        out.write(files.get("%d.out" % number, b""))
        err.write(files.get("%d.err" % number, b""))
        found[number - 1] = {"rc": int(rc) if rc.lstrip("-").isdigit() else None,
                             "seconds": _seconds_between(fields.get("start"), fields.get("end")),
                             "stdout": out, "stderr": err}
    return found


def _seconds_between(start, end):
    """``end - start`` (two /proc/uptime readings), None when either is missing or not a number."""
    try:
        return max(float(end) - float(start), 0.0)
    except (TypeError, ValueError):
        return None


def unresolved_target(target):
    """The ``target`` block of a target whose pod (or node) could not be read."""
    if target.get("node"):
        return node_target(target["node"])
    return {"namespace": target["namespace"], "pod": target["pod"], "container": target.get("container"),
            "container_id": None, "node": None, "pid": None}


def error_result(target, message, error=None, target_block=None, agent_pod=None):
    """The result of a target that could not run: a kdebug_exec result without rc, ``failed`` and ``msg``.

    ``error`` is the KdebugError behind it, when there is one: its ``error_class`` (and ``denied_by``...) come along.
    """
    result = exec_result(None, BoundedOutput(), BoundedOutput(), 0, STRATEGY, STRATEGY_REASON,
                         target_block or unresolved_target(target), agent_pod=agent_pod)
    if error is not None:
        result.update(error.result())
    result.update(failed=True, msg=message, host=target.get("host"))
    result.setdefault("error_class", "error")
    return result


def frame_outcome(frame, exec_seconds, timeout, node, driver_error):
    """One target's ExecOutcome, as a single target's exec would give it: from its frame (parse_driver_output),
    whose ``seconds`` (else ``exec_seconds``, the driver's exec) say whether a timeout's exit code came at the
    deadline. Without a frame (the driver's exec ended before it framed this target: its agent killed, the stream
    broken), no exit code, with ``driver_error`` (how the driver's exec ended) as the error."""
    if frame is None:
        return ExecOutcome(None, BoundedOutput(), BoundedOutput(),
                           "the agent exec on node %s ended without this target's result: %s"
                           % (node, driver_error.strip() or "no error given"), exec_seconds)
    rc = frame["rc"]
    seconds = exec_seconds if frame.get("seconds") is None else frame["seconds"]
    return ExecOutcome(rc, frame["stdout"], frame["stderr"], None if rc is not None else "no exit code was framed",
                       seconds, was_timed_out(rc, seconds, timeout))


def target_result(target, outcome, seconds, target_block, agent_pod, changed):
    """The result of a target the driver ran, from its ExecOutcome (frame_outcome, then checked for a loss):
    ``failed`` as a single target's result is (results.outcome_failure). ``seconds`` is the node's time (agent
    start included, as a single kdebug_exec's duration_ms)."""
    result = exec_result(outcome.rc, outcome.stdout, outcome.stderr, seconds * 1000, STRATEGY, STRATEGY_REASON,
                         target_block, timed_out=outcome.timed_out, agent_pod=agent_pod, changed=changed)
    result.update(host=target.get("host"), failed=False)
    result.update(outcome_failure(outcome))
    return result


def plan_result(target, plan, target_block):
    """Check mode: what would run for this target, and on which node's agent."""
    result = single_plan_result(plan, STRATEGY, STRATEGY_REASON, target_block)
    result.update(host=target.get("host"), failed=False)
    return result


def node_progress(node, results, seconds, nodes_done, nodes_total):
    """One line on a node whose targets have all finished, e.g. for the fleet's progress while other nodes run."""
    results = list(results)
    failed = sum(1 for r in results if r.get("failed"))
    nonzero = sum(1 for r in results if not r.get("failed") and r.get("rc") not in (0, None))
    return "node %s done (%d/%d nodes) in %.1f s: %d target%s, %d ran, %d exited non-zero, %d could not run" % (
        node, nodes_done, nodes_total, seconds, len(results), "" if len(results) == 1 else "s",
        len(results) - failed, nonzero, failed)


def batch_summary(results):
    """Counts over the per-target results, the nodes served and the nodes whose agent was (or would be) created."""
    nodes, created = set(), set()
    for result in results:
        target = result.get("target") or {}
        node = target.get("node")
        if not target.get("pod") and result.get("error_class") == "not_found":
            node = None  # a node target whose node does not exist: no node was served
        if node:
            nodes.add(node)
        would_create = (result.get("plan") or {}).get("would_create")
        if node and (would_create or (result.get("agent_pod") or {}).get("created")):
            created.add(node)
    failed = sum(1 for r in results if r.get("failed"))
    planned = sum(1 for r in results if "plan" in r)
    return {"targets": len(results), "ran": len(results) - failed - planned, "failed": failed, "planned": planned,
            "nodes": sorted(nodes), "agents_created": sorted(created)}
