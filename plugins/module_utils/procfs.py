# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Find a container's main process on its node from /proc, runtime-agnostically.

Every runtime puts a container's processes in cgroups whose paths name the
container id (containerd: ``.../kubepods/.../<id>``, Docker: ``/docker/<id>``,
CRI-O: ``crio-<id>.scope``), so the host process whose cgroup names the id is
the container's; of those, the one whose parent is outside the set is its init.
Pure functions over text, so they are unit-tested without a node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.pods import target_info

# Shell run in the agent (hostPID): for each process whose cgroup file names the
# id, print a marker line, the stat line, the NSpid line and the cgroup lines. Reading /proc in
# one exec keeps the lookup to a single round trip; one grep over every cgroup file (not one
# grep per process: hundreds of forks on a busy node, half a second) finds the few that match,
# and the shell's own read copies their files (a batch of a hundred targets matches a hundred
# processes: three cat and grep each took the scan of a busy node from 0.5 to 2 s).
# A process that ends meanwhile is just missing from the output, or cut short.
# Every argument is an id (a batch of kdebug_exec targets scans for all the targets of a node at once).
PID_SCAN_SCRIPT = r"""
ids=$(printf '%s\n' "$@")
for f in $(grep -l -F -- "$ids" /proc/[0-9]*/cgroup 2>/dev/null); do
  d=${f%/cgroup}
  echo "@@ ${d#/proc/}"
  { IFS= read -r line && printf '%s\n' "$line"; } 2>/dev/null <"$d/stat"
  while IFS= read -r line; do
    case $line in NSpid:*) printf '%s\n' "$line"; break ;; esac
  done 2>/dev/null <"$d/status"
  while IFS= read -r line; do printf '%s\n' "$line"; done 2>/dev/null <"$f"
done
"""

_CONTAINER_ID = re.compile(r"^(?P<runtime>[a-z0-9.-]+)://(?P<id>[0-9a-f]{12,128})$")


def split_container_id(container_id):
    """``containerd://abc...`` -> ``("containerd", "abc...")``; ValueError when malformed."""
    match = _CONTAINER_ID.match(container_id or "")
    if not match:
        raise ValueError("not a container id of the form <runtime>://<hex id>: %r" % (container_id,))
    return match.group("runtime"), match.group("id")


def raw_container_id(pod, container):
    """The bare id of a pod's container (what its cgroups name); KdebugError when it has none (not running)."""
    try:
        return split_container_id(target_info(pod, container)["container_id"])[1]
    except ValueError:
        raise KdebugError("container %s of pod %s/%s has no container id yet: it is not running."
                          % (container, pod["metadata"]["namespace"], pod["metadata"]["name"]))


def no_process_message(container, raw_id, node):
    return ("no process of container %s (%s) found on node %s: the container may have just restarted; try again."
            % (container, raw_id[:12], node))


def parse_stat(stat_line):
    """Return (pid, comm, ppid) from a /proc/<pid>/stat line (comm may hold spaces and parens)."""
    open_paren = stat_line.index("(")
    close_paren = stat_line.rindex(")")
    pid = int(stat_line[:open_paren].strip())
    comm = stat_line[open_paren + 1:close_paren]
    fields = stat_line[close_paren + 2:].split()
    return pid, comm, int(fields[1])


def parse_scan(output):
    """Parse PID_SCAN_SCRIPT output into a list of dicts {pid, comm, ppid, nspid, cgroup}.

    ``nspid`` is the pid inside the process's own (innermost) pid namespace.
    """
    processes = []
    current = None
    for line in output.splitlines():
        if line.startswith("@@ "):
            current = {"pid": int(line[3:].strip()), "comm": None, "ppid": None, "nspid": None, "cgroup": []}
            processes.append(current)
        elif current is not None and line.startswith("NSpid:"):
            fields = line.split()[1:]
            current["nspid"] = int(fields[-1]) if fields else None
        elif current is not None and current["comm"] is None and line.strip():
            try:
                _pid, current["comm"], current["ppid"] = parse_stat(line)
            except ValueError:
                current["comm"] = ""
        elif current is not None and line.strip():
            current["cgroup"].append(line.strip())
    return processes


def find_container_processes(processes, container_ids):
    """{container id: its init among processes ({pid, ppid, cgroup, ...}), or None} for every id of
    ``container_ids``.

    A process belongs to a container when one of its cgroup lines names the
    id as a whole path component (so a prefix of another id does not match).
    One pass over the processes' cgroup lines for all the ids: a node's
    hundred targets matched one id at a time cost a hundred passes over its
    hundreds of processes (seconds of the fleet run's one CPU-bound thread).
    """
    found = dict.fromkeys(container_ids)
    wanted = sorted(set(i for i in container_ids if i), key=len, reverse=True)
    if not wanted:
        return found
    # the id between a path separator (or ':' or '-', as in cri-containerd-<id>.scope) and '/', '.' or the end
    component = re.compile(r"(?:^|[/:-])(%s)(?=$|[/.])" % "|".join(re.escape(i) for i in wanted))
    members = {}
    for process in processes:
        ids = set(match.group(1) for line in process.get("cgroup", []) for match in component.finditer(line))
        for container_id in ids:
            members.setdefault(container_id, []).append(process)
    for container_id, its in members.items():
        member_pids = set(p["pid"] for p in its)
        roots = [p for p in its if p.get("ppid") not in member_pids]
        found[container_id] = min(roots or its, key=lambda p: p["pid"])
    return found


def find_container_process(processes, container_id):
    """The container's init among processes, or None (find_container_processes for one id)."""
    return find_container_processes(processes, [container_id])[container_id]


def find_container_pid(processes, container_id):
    """The host pid of the container's init, or None."""
    process = find_container_process(processes, container_id)
    return process["pid"] if process else None


# --- a node's own namespaces (kdebug_exec node targets) -------------------------------------------------------------

# Shell run in the agent (hostPID, hostNetwork): the process whose namespaces are the node's host namespaces. That is
# pid 1 (what kubectl-node-shell enters) when it shares the agent's network namespace (the agent's is the node's: it
# is hostNetwork) and its namespaces can be opened; some inits cannot be entered (a non-dumpable init, as in sandboxes
# and micro-VMs), and on a machine running several nodes pid 1 belongs to none of them. Then it is the node's kubelet:
# the kubelet process in the agent's network namespace, which runs in the node's host namespaces. Prints "PID COMM".
HOST_PROCESS_SCRIPT = r"""
net=$(readlink /proc/self/ns/net) || exit 125
for d in /proc/1 /proc/[0-9]*; do
  [ "$d" = /proc/1 ] || [ "$(cat "$d/comm" 2>/dev/null)" = kubelet ] || continue
  [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$net" ] || continue
  readlink "$d/ns/mnt" >/dev/null 2>&1 || continue
  echo "${d#/proc/} $(cat "$d/comm" 2>/dev/null)"
  exit 0
done
exit 3
"""


def parse_host_process(output):
    """{pid, comm} from HOST_PROCESS_SCRIPT output, or None when it found none."""
    for line in output.splitlines():
        fields = line.split(None, 1)
        if fields and fields[0].isdigit():
            return {"pid": int(fields[0]), "comm": fields[1].strip() if len(fields) > 1 else ""}
    return None


def no_host_process_message(node):
    return ("node %s: cannot enter the node's host namespaces: pid 1 cannot be entered from the node's agent (or is "
            "not in the node's network namespace) and no kubelet process runs in it. Use a pod target on that node "
            "with join_namespaces, or kubectl debug node/%s." % (node, node))
