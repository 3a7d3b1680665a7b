# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The node_check runbook's judgement: its probe's output (one kdebug_exec call on a node) as check results.

The probe is roles/node_check/files/node_probe.sh, run in the node's host namespaces with the host's own binaries.
It prints the probes' format (plugins/plugin_utils/probe.py):

    time            fields: epoch, uptime (s), local (YYYYmmddHHMMSS, the node's local time: klog's clock), clk_tck
    daemon          one per daemon (name kubelet or runtime): running, pid, comm, start_ticks, log (file:<path>,
                    journal:<unit> or none); body: its command line, one argument per line
    log             of=<daemon>: the error lines of its log's last lines (klog E/F, logfmt level=error/fatal, and the
                    kubelet's "Node became not ready")
    kubelet_config  the kubelet's configuration file (YAML)
    healthz         the kubelet's /healthz: url, rc, code; body its answer
    runtime         the kubelet's container runtime endpoint and whether its socket exists
    clock           the API server (from the kubelet's kubeconfig), the node's clock before and after asking it, and
                    the Date header of its answer
    memory          MemTotal, MemAvailable (KiB); pids: pid_max, threads_max, threads; conntrack: count, max or loaded=0
    mounts          /proc/self/mounts; df and df_inodes: ``df -P -k`` and ``df -P -i``
    firewall        rule counts: iptables, ip6tables (``-A`` lines of iptables-save), nft (rules); empty when the tool
                    is missing
    oom             source (dmesg or journal); body: the kernel's OOM lines, ``[seconds since boot] ...``

Checks follow docs/result-schema.md; the filter's documentation is plugins/filter/node_check_results.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import email.utils
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import failure_details, make_check, with_access
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import probe as probe_output

DEFAULTS = {
    "since_minutes": 60,
    "disk_percent": 85,
    "inode_percent": 85,
    "memory_available_percent": 10,
    "pid_percent": 80,
    "conntrack_percent": 80,
    "max_firewall_rules": 20000,
    "max_clock_offset_seconds": 2,
    "log_errors_max": 20,
}
# Filesystems that are not storage a node fills (kernel interfaces), or that are full by design (images).
PSEUDO_FSTYPES = frozenset((
    "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "pstore", "bpf",
    "configfs", "fusectl", "hugetlbfs", "nsfs", "autofs", "binfmt_misc", "rpc_pipefs", "squashfs", "iso9660",
    "overlay", "devtmpfs", "ramfs", "efivarfs", "selinuxfs", "fuse.lxcfs"))
# Mounts that belong to a container or a pod volume (the kubelet's pods/ directory, the runtime's state and
# snapshots), not to the node: the pod's own checks see those.
CONTAINER_MOUNT = re.compile(r"/pods/|/io\.containerd\.|/containers/|/sandboxes/|/overlay2?/|/rootfs(/|$)|/netns/"
                             r"|/kubelet/plugins/")
EVICTION_DEFAULTS = {"memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%",
                     "imagefs.available": "15%"}
KLOG_LINE = re.compile(r"^[EFIW](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})")
LOGFMT_TIME = re.compile(r'time="?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?')
KLOG_MESSAGE = re.compile(r"^[EFIW]\d{4} [\d:.]+\s+\d+ [^\]]+\] ?")
OOM_LINE = re.compile(r"^\[\s*(\d+(?:\.\d+)?)\]\s*(.*)$")
KILLED = re.compile(r"Killed process (\d+) \(([^)]*)\)")
# A pod's own trouble that the kubelet logs as errors (its sync loop retrying a crash-looping container or an image
# it cannot pull): the pod's checks report those; the node's log check counts the rest.
POD_ERRORS = re.compile(r"Error syncing pod|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|back-off \S+ restarting")
PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
EVIDENCE_LINES = 10


# ---------------------------------------------------------------------------- small parsers

def _int(value, default=None):
    return probe_output.number(value, default)


def _float(value, default=None):
    return probe_output.number(value, default, float)


def _percent(part, whole):
    return None if not whole else 100.0 * part / whole


def _size(kib):
    """KiB as a short human size (GiB, MiB or KiB)."""
    for unit, factor in (("GiB", 1024 * 1024), ("MiB", 1024)):
        if kib >= factor:
            return "%.1f %s" % (kib / float(factor), unit)
    return "%d KiB" % kib


def _quantity_kib(text):
    """A Kubernetes quantity of memory (100Mi, 1Gi, 500M, 1024) in KiB, or None."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?|k)?\s*$", str(text or ""))
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or ""
    factors = {"": 1.0 / 1024, "k": 1000.0 / 1024, "K": 1000.0 / 1024, "M": 1e6 / 1024, "G": 1e9 / 1024,
               "T": 1e12 / 1024, "Ki": 1, "Mi": 1024, "Gi": 1024 ** 2, "Ti": 1024 ** 3}
    return number * factors[unit]


def _yaml(text):
    try:
        import yaml  # pylint: disable=import-outside-toplevel
        loaded = yaml.safe_load(text or "")
    except Exception:  # pylint: disable=broad-except
        return {}
    return loaded if isinstance(loaded, Mapping) else {}


def parse_df(text):
    """``df -P`` output as {mount point: {source, total, used, available}} (numbers as df printed them)."""
    found = {}
    for line in (text or "").splitlines()[1:]:
        parts = line.split()
        if len(parts) < 6 or not parts[1].isdigit():
            continue
        found[" ".join(parts[5:])] = {"source": parts[0], "total": int(parts[1]), "used": _int(parts[2], 0),
                                      "available": _int(parts[3], 0)}
    return found


def parse_mounts(text):
    """/proc/self/mounts as {mount point: fstype} (octal escapes of the kernel undone)."""
    found = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1])
            found[point] = parts[2]
    return found


def node_filesystems(mounts, usage):
    """The node's own filesystems of ``usage`` (parse_df): not a kernel interface, not a container's or pod's."""
    return dict((point, entry) for point, entry in usage.items()
                if mounts.get(point) not in PSEUDO_FSTYPES and not CONTAINER_MOUNT.search(point))


def parse_probe_output(stdout):
    """The probe's sections as a dict: single sections by name, ``daemon`` and ``log`` by daemon name."""
    output = probe_output.parse(stdout)
    parsed = {"_end": output.ended, "daemon": {}, "log": {}}
    for section in output.sections:
        if section.name == "daemon":
            parsed["daemon"][section.get("name")] = {"fields": section.fields, "argv": section.lines}
        elif section.name == "log":
            parsed["log"][section.get("of")] = [line for line in section.lines if line.strip()]
        else:
            parsed[section.name] = {"fields": section.fields, "text": section.text}
    return parsed


# ---------------------------------------------------------------------------- time

def _local_now(sections):
    text = sections.get("time", {}).get("fields", {}).get("local", "")
    try:
        return datetime.datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def log_line_age(line, local_now, epoch_now):
    """Seconds since a log line was written (klog's local MMDD time, or logfmt's time=), or None when unknown."""
    match = KLOG_LINE.match(line)
    if match and local_now is not None:
        month, day, hour, minute, second = (int(g) for g in match.groups())
        try:
            when = local_now.replace(month=month, day=day, hour=hour, minute=minute, second=second, microsecond=0)
        except ValueError:
            return None
        if when > local_now + datetime.timedelta(days=1):  # December's lines read in January
            when = when.replace(year=when.year - 1)
        return (local_now - when).total_seconds()
    match = LOGFMT_TIME.search(line)
    if match and epoch_now is not None:
        zone = match.group(2) or "Z"
        stamp = match.group(1) + ("+00:00" if zone == "Z" else zone if ":" in zone else zone[:3] + ":" + zone[3:])
        try:
            when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
        epoch = (when - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()
        return epoch_now - epoch
    return None


def _api_time(value):
    """An RFC 3339 time of the API (2026-12-01T10:00:00Z) as epoch seconds, or None."""
    try:
        when = datetime.datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return (when - datetime.datetime(1970, 1, 1)).total_seconds()


def _ago(seconds):
    seconds = max(0, int(seconds))
    if seconds < 120:
        return "%d s ago" % seconds
    if seconds < 7200:
        return "%d min ago" % (seconds // 60)
    return "%.1f h ago" % (seconds / 3600.0)


# ---------------------------------------------------------------------------- the checks

class _Node(object):
    """What the checks share: the node, the parsed probe, the time, the thresholds."""

    def __init__(self, result, node, target, sections, limits):
        self.result = result
        self.node = node
        self.target = target
        self.sections = sections
        self.limits = limits
        time = sections.get("time", {}).get("fields", {})
        self.epoch = _float(time.get("epoch"))
        self.uptime = _float(time.get("uptime"))
        self.clk_tck = _int(time.get("clk_tck"), 100) or 100
        self.local_now = _local_now(sections)
        self.window = limits["since_minutes"] * 60

    def check(self, name, status, summary, details=None, evidence=None):
        return make_check("node " + name, status, summary, self.target, details, evidence)

    def missing(self, name, what):
        """A check whose part of the probe is absent: the probe was cut short, or the host lacks the tool."""
        why = ("the probe stopped before it (timed out?)" if not self.sections["_end"] else what)
        return self.check(name, "error" if not self.sections["_end"] else "skipped",
                          "could not tell on node %s: %s" % (self.node, why))

    def daemon_age(self, daemon):
        fields = daemon["fields"]
        ticks = _int(fields.get("start_ticks"))
        if ticks is None or self.uptime is None:
            return None
        return self.uptime - ticks / float(self.clk_tck)

    def recent(self, lines):
        """The lines of ``lines`` written within the window (lines of unknown time count: they are the log's last)."""
        kept = []
        for line in lines:
            age = log_line_age(line, self.local_now, self.epoch)
            if age is None or age <= self.window:
                kept.append(line)
        return kept

    def kubelet_config(self):
        return _yaml(self.sections.get("kubelet_config", {}).get("text"))


def _daemon_check(ctx, name, label, extra_problem=None):
    daemon = ctx.sections["daemon"].get(name)
    if daemon is None:
        return ctx.missing(label, "the probe found no %s" % label)
    fields = daemon["fields"]
    if fields.get("running") != "1":
        looked_for = " (looked for containerd, crio and dockerd)" if name == "runtime" else ""
        return ctx.check(label, "fail", "no %s process runs on node %s%s" % (label, ctx.node, looked_for),
                         {"running": False},
                         next_step_evidence("Start the %s (systemctl status / journalctl on the node) and look at why "
                                            "it stopped." % label))
    age = ctx.daemon_age(daemon)
    details = {"running": True, "pid": _int(fields.get("pid")), "process": fields.get("comm"),
               "started_seconds_ago": None if age is None else int(age), "log": fields.get("log")}
    problems = list(extra_problem or ())
    if problems:
        return ctx.check(label, "fail", "the %s of node %s (pid %s) %s" % (
            label, ctx.node, fields.get("pid"), "; ".join(p[0] for p in problems)), details,
            [e for p in problems for e in p[1]])
    return ctx.check(label, "pass", "the %s runs on node %s (pid %s, %s %s)" % (
        label, ctx.node, fields.get("pid"), fields.get("comm"),
        "started " + _ago(age) if age is not None else "running"), details)


def next_step_evidence(text):
    return [{"label": "next step", "text": text}]


def _kubelet_problems(ctx):
    healthz = ctx.sections.get("healthz")
    if healthz is None:
        return []
    fields = healthz["fields"]
    if fields.get("missing"):
        return []
    answer = healthz["text"].strip()
    if fields.get("code") == "200" and answer == "ok":
        return []
    return [("answers %s on %s: %s" % ("HTTP %s" % fields.get("code") if fields.get("code") not in ("", "000", "0")
                                       else "nothing (rc %s)" % fields.get("rc"), fields.get("url"),
                                       answer.splitlines()[0] if answer else "no body"),
             [{"label": "healthz", "text": answer or "(empty)"}])]


def _runtime_problems(ctx):
    runtime = ctx.sections.get("runtime")
    if runtime is None or runtime["fields"].get("socket") != "0":
        return []
    endpoint = runtime["fields"].get("endpoint")
    return [("has no socket at %s, the kubelet's container runtime endpoint" % endpoint,
             [{"label": "kubelet containerRuntimeEndpoint", "text": endpoint}])]


def _log_check(ctx, name, label):
    daemon = ctx.sections["daemon"].get(name)
    if daemon is None or daemon["fields"].get("running") != "1":
        return ctx.check(label, "skipped", "no %s process on node %s, so no log to read" % (
            label.replace(" log", ""), ctx.node))
    source = daemon["fields"].get("log") or "none"
    if source == "none":
        return ctx.check(label, "skipped", "could not find the log of the %s on node %s (neither a journal unit nor a "
                         "file on its stdout or stderr)" % (label.replace(" log", ""), ctx.node), {"log": source})
    recent = [line for line in ctx.recent(ctx.sections["log"].get(name, [])) if "Node became not ready" not in line]
    lines = [line for line in recent if not POD_ERRORS.search(line)]
    messages = {}
    for line in lines:
        message = KLOG_MESSAGE.sub("", line)[:160]
        messages[message] = messages.get(message, 0) + 1
    top = sorted(messages.items(), key=lambda item: -item[1])[:3]
    details = {"log": source, "errors": len(lines), "pod_errors": len(recent) - len(lines),
               "window_minutes": ctx.limits["since_minutes"],
               "most_frequent": [{"message": m, "count": c} for m, c in top]}
    evidence = [{"label": "%s errors (last %d)" % (label, min(len(lines), EVIDENCE_LINES)),
                 "text": "\n".join(lines[-EVIDENCE_LINES:])}] if lines else []
    if len(lines) > ctx.limits["log_errors_max"]:
        return ctx.check(label, "fail", "%d errors in the %s of node %s within %d min, most often: %s" % (
            len(lines), label, ctx.node, ctx.limits["since_minutes"], "; ".join(
                "%s (%dx)" % (m, c) for m, c in top)), details, evidence)
    return ctx.check(label, "pass", "%d errors in the %s of node %s within %d min (fails above %d)" % (
        len(lines), label, ctx.node, ctx.limits["since_minutes"], ctx.limits["log_errors_max"]), details, evidence)


def _eviction(ctx, signal):
    hard = ctx.kubelet_config().get("evictionHard")
    value = (hard or {}).get(signal) if isinstance(hard, Mapping) else None
    return str(value) if value else EVICTION_DEFAULTS.get(signal)


def _memory_check(ctx):
    memory = ctx.sections.get("memory")
    if memory is None:
        return ctx.missing("memory", "no /proc/meminfo")
    total = _int(memory["fields"].get("MemTotal"))
    available = _int(memory["fields"].get("MemAvailable"))
    if not total or available is None:
        return ctx.missing("memory", "/proc/meminfo has no MemAvailable")
    percent = 100.0 * available / total
    eviction = _eviction(ctx, "memory.available")
    eviction_kib = (total * float(eviction[:-1]) / 100 if eviction and eviction.endswith("%")
                    else _quantity_kib(eviction))
    details = {"total_kib": total, "available_kib": available, "available_percent": round(percent, 1),
               "threshold_percent": ctx.limits["memory_available_percent"], "eviction_hard": eviction}
    summary = "%s of %s memory available on node %s (%.0f%%)" % (_size(available), _size(total), ctx.node, percent)
    if eviction_kib is not None and available <= eviction_kib:
        return ctx.check("memory", "fail", "%s: at the kubelet's eviction threshold memory.available<%s, so it "
                         "evicts pods" % (summary, eviction), details)
    if percent < ctx.limits["memory_available_percent"]:
        return ctx.check("memory", "fail", "%s, below %s%%: near the kubelet's eviction threshold (%s)" % (
            summary, ctx.limits["memory_available_percent"], eviction), details)
    return ctx.check("memory", "pass", summary, details)


def _filesystems_check(ctx, label, section, used_key, limit_key, unit):
    usage = ctx.sections.get(section)
    if usage is None or (ctx.sections.get("df", {}).get("fields", {}).get("missing")):
        return ctx.missing(label, "the host has no df")
    mounts = parse_mounts(ctx.sections.get("mounts", {}).get("text"))
    filesystems = node_filesystems(mounts, parse_df(usage["text"]))
    if not filesystems:
        return ctx.missing(label, "df listed no filesystem of the node")
    limit = ctx.limits[limit_key]
    rows, full = [], []
    for point in sorted(filesystems):
        entry = filesystems[point]
        capacity = entry["used"] + entry["available"]
        percent = _percent(entry["used"], capacity)
        if percent is None:  # a filesystem without inode accounting (btrfs, vfat) reports 0 of 0
            continue
        row = {"mount": point, "fstype": mounts.get(point), "source": entry["source"], "percent": round(percent, 1),
               used_key: entry["used"], "available": entry["available"], "total": entry["total"]}
        rows.append(row)
        if percent >= limit:
            full.append(row)
    details = {"filesystems": rows, "threshold_percent": limit}
    text = "\n".join("%-40s %5.1f%% used (%s free)" % (
        r["mount"], r["percent"], _size(r["available"]) if unit == "KiB" else "%d inodes" % r["available"])
        for r in rows)
    evidence = [{"label": "df on node %s" % ctx.node, "text": text}]
    if full:
        def left(row):
            return _size(row["available"]) if unit == "KiB" else "%d inodes" % row["available"]
        problems = "; ".join("%s is %.0f%% full (%s) (%s left)" % (r["mount"], r["percent"], r["fstype"], left(r))
                             for r in full)
        return ctx.check(label, "fail", "on node %s, %s - at or above %d%%" % (ctx.node, problems, limit), details,
                         evidence)
    worst = max(rows, key=lambda r: r["percent"]) if rows else None
    return ctx.check(label, "pass", "%d filesystems of node %s under %d%% (fullest: %s at %.0f%%)" % (
        len(rows), ctx.node, limit, worst["mount"], worst["percent"]) if worst else
        "no filesystem of node %s to judge" % ctx.node, details, evidence)


def _share_check(ctx, name, used, limit, limit_key, what, consequence, details):
    """A count against its kernel limit: fails at or above the ``limit_key`` percentage, saying ``consequence``."""
    percent = 100.0 * used / limit
    details = dict(details, percent=round(percent, 1), threshold_percent=ctx.limits[limit_key])
    summary = (what + " on node %s (%.0f%%)") % (used, limit, ctx.node, percent)
    if percent >= ctx.limits[limit_key]:
        return ctx.check(name, "fail", "%s: %s" % (summary, consequence), details)
    return ctx.check(name, "pass", summary, details)


def _pids_check(ctx):
    pids = ctx.sections.get("pids")
    if pids is None:
        return ctx.missing("PIDs", "no /proc/sys/kernel/pid_max")
    fields = pids["fields"]
    threads, pid_max, threads_max = (_int(fields.get(k)) for k in ("threads", "pid_max", "threads_max"))
    if not threads or not pid_max:
        return ctx.missing("PIDs", "the kernel's task counts could not be read")
    limit = min(x for x in (pid_max, threads_max) if x)
    return _share_check(ctx, "PIDs", threads, limit, "pid_percent", "%d tasks of %d", "new processes will soon fail "
                        "to start (fork: retry)", {"tasks": threads, "pid_max": pid_max, "threads_max": threads_max})


def _conntrack_check(ctx):
    conntrack = ctx.sections.get("conntrack")
    if conntrack is None:
        return ctx.missing("conntrack", "no conntrack section")
    fields = conntrack["fields"]
    if fields.get("loaded") == "0":
        return ctx.check("conntrack", "pass", "node %s tracks no connections (nf_conntrack not loaded)" % ctx.node,
                         {"loaded": False})
    count, maximum = _int(fields.get("count")), _int(fields.get("max"))
    if count is None or not maximum:
        return ctx.missing("conntrack", "nf_conntrack_count or nf_conntrack_max could not be read")
    return _share_check(ctx, "conntrack", count, maximum, "conntrack_percent", "%d of %d conntrack entries used",
                        "when the table is full the kernel drops new connections ('nf_conntrack: table full, "
                        "dropping packet'); raise net.netfilter.nf_conntrack_max or find what opens so many",
                        {"count": count, "max": maximum})


def _firewall_check(ctx):
    firewall = ctx.sections.get("firewall")
    if firewall is None:
        return ctx.missing("firewall rules", "no firewall section")
    counts = dict((tool, _int(firewall["fields"].get(tool))) for tool in ("iptables", "ip6tables", "nft"))
    known = dict((tool, count) for tool, count in counts.items() if count is not None)
    if not known:
        return ctx.check("firewall rules", "skipped", "node %s has neither iptables-save nor nft" % ctx.node)
    total = sum(known.values())
    details = dict(counts, total=total, threshold=ctx.limits["max_firewall_rules"])
    summary = "%d firewall rules on node %s (%s)" % (total, ctx.node, ", ".join(
        "%s %d" % (tool, count) for tool, count in sorted(known.items())))
    if total > ctx.limits["max_firewall_rules"]:
        return ctx.check("firewall rules", "fail", "%s, more than %d: every rule change (kube-proxy's sync) and "
                         "every new connection walks them; consider kube-proxy's nftables or IPVS mode" % (
                             summary, ctx.limits["max_firewall_rules"]), details)
    return ctx.check("firewall rules", "pass", summary, details)


def clock_offset(fields):
    """(offset, uncertainty) in seconds of the node's clock against the API server's Date header, or None.

    The Date header is whole seconds, taken somewhere between the node's ``before`` and ``after``: the offset is
    measured to the middle of both, and its uncertainty is half that span plus the header's resolution."""
    before, after = _float(fields.get("before")), _float(fields.get("after"))
    try:
        parsed = email.utils.parsedate_to_datetime(fields.get("date") or "")
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or before is None or after is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    server = (parsed - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds() + 0.5
    return (before + after) / 2.0 - server, (after - before) / 2.0 + 0.5


def _clock_check(ctx):
    clock = ctx.sections.get("clock")
    if clock is None:
        return ctx.missing("clock", "no kubelet, so no API server to compare with")
    fields = clock["fields"]
    if fields.get("missing"):
        return ctx.check("clock", "skipped", "could not ask the API server's time from node %s: %s" % (
            ctx.node, "the host has no curl" if fields["missing"] == "curl" else
            "the kubelet's kubeconfig names no server"), dict(fields))
    measured = clock_offset(fields)
    if measured is None:
        return ctx.check("clock", "error", "the API server %s gave node %s no Date header to compare with" % (
            fields.get("server"), ctx.node), dict(fields))
    offset, uncertainty = measured
    details = {"offset_seconds": round(offset, 2), "uncertainty_seconds": round(uncertainty, 2),
               "server": fields.get("server"), "threshold_seconds": ctx.limits["max_clock_offset_seconds"]}
    direction = "ahead of" if offset > 0 else "behind"
    summary = "node %s's clock is %.1f s %s the API server's (%s; +/- %.1f s)" % (
        ctx.node, abs(offset), direction, fields.get("server"), uncertainty)
    if abs(offset) - uncertainty > ctx.limits["max_clock_offset_seconds"]:
        return ctx.check("clock", "fail", summary + ": certificates, tokens and leases are judged by time; check the "
                         "node's time synchronisation (chronyc tracking, timedatectl)", details)
    return ctx.check("clock", "pass", summary, details)


def _oom_check(ctx):
    oom = ctx.sections.get("oom")
    if oom is None:
        return ctx.missing("OOM kills", "no kernel log section")
    if oom["fields"].get("missing"):
        return ctx.check("OOM kills", "skipped", "node %s's kernel log could not be read (no dmesg, no journal)" %
                         ctx.node)
    kills = []
    for line in oom["text"].splitlines():
        match = OOM_LINE.match(line.strip())
        if not match:
            continue
        seconds, message = float(match.group(1)), match.group(2)
        if ctx.uptime is not None and ctx.uptime - seconds > ctx.window:
            continue
        killed = KILLED.search(message)
        if killed:
            age = None if ctx.uptime is None else ctx.uptime - seconds
            kills.append({"pid": int(killed.group(1)), "process": killed.group(2),
                          "seconds_ago": None if age is None else int(age), "line": line.strip()})
    details = {"kills": kills, "window_minutes": ctx.limits["since_minutes"], "source": oom["fields"].get("source")}
    if kills:
        def when(kill):
            return "recently" if kill["seconds_ago"] is None else _ago(kill["seconds_ago"])
        named = ", ".join("%s (pid %d, %s)" % (k["process"], k["pid"], when(k)) for k in kills[-5:])
        return ctx.check("OOM kills", "fail", "the kernel of node %s killed %d processes for memory within %d min: %s"
                         % (ctx.node, len(kills), ctx.limits["since_minutes"], named), details,
                         [{"label": "kernel log", "text": "\n".join(k["line"] for k in kills[-EVIDENCE_LINES:])}])
    return ctx.check("OOM kills", "pass", "no OOM kill in the kernel log of node %s within %d min" % (
        ctx.node, ctx.limits["since_minutes"]), details)


def normal_state(state):
    """A node's state as given to the filter - ``{conditions, ready_since, created}`` with conditions a {type: status}
    mapping (the nodes inventory's kdebug_conditions), or kdebug_triage's node summary (a list of
    {type, status, last_transition}) - as ({type: status}, ready_since epoch, created epoch), None where unknown."""
    if not isinstance(state, Mapping):
        return None, None, None
    conditions = state.get("conditions")
    ready_since = state.get("ready_since")
    created = _api_time(state.get("created"))
    if isinstance(conditions, list):
        listed = [c for c in conditions if isinstance(c, Mapping)]
        ready = next((c for c in listed if c.get("type") == "Ready"), {})
        ready_since = ready_since or ready.get("last_transition") or ready.get("lastTransitionTime")
        conditions = dict((c.get("type"), c.get("status")) for c in listed)
    return (dict(conditions) if isinstance(conditions, Mapping) else None), _api_time(ready_since), created


def _conditions_check(ctx, conditions):
    bad = ["Ready=%s" % conditions.get("Ready")] if conditions.get("Ready") != "True" else []
    bad += ["%s=True" % kind for kind in sorted(conditions) if kind != "Ready" and conditions[kind] == "True"]
    details = {"conditions": conditions}
    if bad:
        return ctx.check("conditions", "fail", "node %s reports %s" % (ctx.node, ", ".join(bad)), details)
    return ctx.check("conditions", "pass", "node %s is Ready, with no pressure (%s)" % (
        ctx.node, ", ".join("%s=%s" % (k, conditions[k]) for k in PRESSURE if k in conditions) or "none reported"),
        details)


# A node whose Ready condition last changed within this many seconds of its registration only ever became Ready once.
JOINED_SLACK_SECONDS = 300


def _not_ready_check(ctx, conditions, ready_since, created):
    lines = [line for line in ctx.recent(ctx.sections["log"].get("kubelet", [])) if "Node became not ready" in line]
    kubelet = ctx.sections["daemon"].get("kubelet")
    kubelet_age = ctx.daemon_age(kubelet) if kubelet and kubelet["fields"].get("running") == "1" else None
    events = []
    if conditions and conditions.get("Ready") not in (None, "True"):
        events.append("it is NotReady now (Ready=%s)" % conditions.get("Ready"))
    since = None if ready_since is None or ctx.epoch is None else ctx.epoch - ready_since
    joined = created is not None and ready_since is not None and ready_since - created <= JOINED_SLACK_SECONDS
    if since is not None and since <= ctx.window and conditions and conditions.get("Ready") == "True" and not joined:
        events.append("it became Ready %s, after being NotReady" % _ago(since))
    if lines:
        events.append("its kubelet logged 'Node became not ready' %d times" % len(lines))
    details = {"ready_since_seconds": None if since is None else int(since), "kubelet_not_ready_lines": len(lines),
               "kubelet_started_seconds_ago": None if kubelet_age is None else int(kubelet_age),
               "window_minutes": ctx.limits["since_minutes"]}
    evidence = [{"label": "kubelet log", "text": "\n".join(lines[-EVIDENCE_LINES:])}] if lines else []
    restart = (" (its kubelet started %s)" % _ago(kubelet_age)) if kubelet_age is not None and \
        kubelet_age <= ctx.window else ""
    if events:
        return ctx.check("NotReady history", "fail", "node %s was not Ready within %d min: %s%s" % (
            ctx.node, ctx.limits["since_minutes"], "; ".join(events), restart), details, evidence)
    known = ("Ready since it joined the cluster %s, " if joined else "Ready since %s, ") % _ago(since) \
        if since is not None else ""
    return ctx.check("NotReady history", "pass", "node %s: %sno 'Node became not ready' in its kubelet's log within "
                     "%d min%s" % (ctx.node, known, ctx.limits["since_minutes"], restart), details)


def _limits(options):
    limits = dict(DEFAULTS)
    for key, value in options.items():
        if value is None:
            continue
        if key not in DEFAULTS:
            raise AnsibleFilterError("node_check_results: unknown option %r (known: %s)" % (key, ", ".join(DEFAULTS)))
        number = _float(value)
        if number is None or number < 0:
            raise AnsibleFilterError("node_check_results: %s must be a number >= 0, got %r" % (key, value))
        limits[key] = number
    return limits


def node_check_results(result, node=None, node_states=None, condition_checks=True, **options):
    """The checks of the node_check runbook from the registered kdebug_exec result of its probe on one node.

    ``node_states``: {node name: state} (see normal_state) from the API, for the conditions and NotReady history
    checks; ``condition_checks`` false leaves out the conditions check (diagnose has triage's)."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("node_check_results: expected the registered kdebug_exec result (a mapping), got %s"
                                 % type(result).__name__)
    limits = _limits(options)
    node = (result.get("target") or {}).get("node") or node
    if not node and (result.get("rc") is not None or result.get("timed_out")):
        raise AnsibleFilterError("node_check_results: the result names no node and none was given (node=...)")
    # A call that failed before it reached any node (a fleet's whole call) names none: its error check neither.
    target = dict(result.get("target") or {}, node=node) if result.get("target") else {"node": node}
    node = node or "(none reached)"
    if result.get("plan") is not None and result.get("rc") is None:
        return [make_check("node check", "skipped", "check mode: the probe did not run on node %s" % node, target,
                           {"plan": dict((k, v) for k, v in result["plan"].items() if k != "argv")
                            if isinstance(result["plan"], Mapping) else result["plan"]})]
    if result.get("rc") is None and not result.get("timed_out"):
        details = dict((k, result[k]) for k in ("strategy", "strategy_reason") if result.get(k))
        details.update(failure_details(result))
        return [make_check("node check", "error", "could not run the node probe on node %s: %s" % (
            node, result.get("msg") or "kdebug_exec failed without a message"), target, details,
            [text for text in (result.get("stderr"),) if text])]
    sections = parse_probe_output(result.get("stdout"))
    if "time" not in sections:
        stderr = (result.get("stderr") or "").strip()
        return [make_check("node check", "error", "the node probe printed nothing it could read on node %s (rc %s)%s"
                           % (node, result.get("rc"), ": " + stderr.splitlines()[-1] if stderr else ""), target,
                           {"rc": result.get("rc")}, [text for text in (result.get("stdout"), stderr) if text])]
    ctx = _Node(result, node, target, sections, limits)
    state = node_states.get(node) if isinstance(node_states, Mapping) else None
    conditions, ready_since, created = normal_state(state)
    checks = []
    if conditions is not None and condition_checks:
        checks.append(_conditions_check(ctx, conditions))
    checks += [
        _daemon_check(ctx, "kubelet", "kubelet", _kubelet_problems(ctx)),
        _daemon_check(ctx, "runtime", "container runtime", _runtime_problems(ctx)),
        _log_check(ctx, "kubelet", "kubelet log"),
        _log_check(ctx, "runtime", "container runtime log"),
        _memory_check(ctx),
        _filesystems_check(ctx, "disk space", "df", "used_kib", "disk_percent", "KiB"),
        _filesystems_check(ctx, "inodes", "df_inodes", "used_inodes", "inode_percent", "inodes"),
        _pids_check(ctx),
        _conntrack_check(ctx),
        _firewall_check(ctx),
        _clock_check(ctx),
        _oom_check(ctx),
        _not_ready_check(ctx, conditions, ready_since, created),
    ]
    if result.get("timed_out"):
        checks.insert(0, make_check("node check", "error", "the node probe timed out on node %s: the checks below "
                                    "that it did not reach say so" % node, target, {"timed_out": True}))
    return with_access(checks, result)


def node_state(host_vars):
    """``{conditions, ready_since, created}`` of a kdebug.toolkit.nodes inventory host (its kdebug_conditions,
    kdebug_ready_since and kdebug_created): what node_check_results takes in ``node_states``."""
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("node_state: expected a host's variables (a mapping), got %s" % type(host_vars).__name__)
    return {"conditions": host_vars.get("kdebug_conditions"), "ready_since": host_vars.get("kdebug_ready_since"),
            "created": host_vars.get("kdebug_created")}


class FilterModule(object):
    def filters(self):
        return {"node_check_results": node_check_results, "node_state": node_state}
