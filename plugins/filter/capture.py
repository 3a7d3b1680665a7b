# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The capture runbook: tcpdump's report and the capture check (docs/result-schema.md).

Pure functions: the capture role runs ``tcpdump -w - | head -c MAX | base64``
in one kdebug_exec call, saves the pcap (stdout) with kdebug.toolkit.pcap_save
and hands both registered results here. Its stderr is in the probes' format
(plugins/plugin_utils/probe.py): a ``tcpdump`` section with tcpdump's messages
and statistics, then ``exit`` with tcpdump's exit code in ``rc``.
Per-filter documentation lives in plugins/filter/tcpdump_stats.yml and
plugins/filter/capture_checks.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections.abc import Mapping

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import failure_details, make_check
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import probe as probe_output

CHECK_NAME = "packet capture"
# What tcpdump prints while all is well (not errors).
_INFO = re.compile(r"^(tcpdump: (data link type|listening on|verbose output suppressed)|\d+ packets? "
                   r"(captured|received by filter|dropped by kernel|dropped by interface))")
_STAT = re.compile(r"^(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)\s*$")
_LINK = re.compile(r"link-type (\S+)")
_STAT_KEYS = {"captured": "captured", "received by filter": "received_by_filter",
              "dropped by kernel": "dropped_by_kernel", "dropped by interface": "dropped_by_interface"}
# tcpdump's words for a filter it cannot compile.
FILTER_ERRORS = ("can't parse filter expression", "syntax error", "illegal", "unknown host", "unknown port",
                 "not a valid", "expression rejects all packets")
# Exit codes that mean tcpdump was stopped on purpose: `timeout` (124; SIGINT 130, SIGTERM 143), or SIGPIPE (141)
# once `head -c` reached the size cap.
STOPPED_RCS = (124, 130, 141, 143)


def tcpdump_output(stderr):
    """(tcpdump's own lines, its exit code or None) from the capture's stderr; stderr that is not in the probes'
    format is taken as tcpdump's lines as they are."""
    output = probe_output.parse(stderr)
    if not output:
        return (stderr or "").splitlines(), None
    lines = [line for section in output.all("tcpdump") for line in section.lines]
    exit_section = output.first("exit")
    return lines, exit_section.int("rc") if exit_section else None


def tcpdump_stats(stderr):
    """tcpdump's statistics, link type, exit code and error lines from the capture's stderr.

    ``{captured, received_by_filter, dropped_by_kernel, dropped_by_interface, rc, link_type, errors}``; numbers
    are None when tcpdump did not print them (it printed its statistics only if it ended cleanly).
    """
    stats = {"captured": None, "received_by_filter": None, "dropped_by_kernel": None, "dropped_by_interface": None,
             "rc": None, "link_type": None, "errors": []}
    lines, stats["rc"] = tcpdump_output(stderr)
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        stat = _STAT.match(line)
        if stat:
            stats[_STAT_KEYS[stat.group(2)]] = int(stat.group(1))
            continue
        link = _LINK.search(line)
        if link and line.startswith("tcpdump: listening on"):
            stats["link_type"] = link.group(1)
        if not _INFO.match(line):
            stats["errors"].append(line[len("tcpdump: "):] if line.startswith("tcpdump: ") else line)
    return stats


def _target(exec_result, pod, namespace, container):
    target = exec_result.get("target")
    if isinstance(target, Mapping) and target.get("pod"):
        return dict((k, target.get(k)) for k in ("namespace", "pod", "container", "container_id", "node")
                    if target.get(k) is not None)
    return {"namespace": namespace, "pod": pod, "container": container or None}


def _is_filter_error(errors):
    text = " ".join(errors).lower()
    return any(marker in text for marker in FILTER_ERRORS)


def _saved(save_result):
    """pcap_save wrote the file. Under ``failed_when: false`` a failure has ``failed: false`` but keeps its ``msg``
    (a success has none)."""
    return isinstance(save_result, Mapping) and not save_result.get("skipped") and not save_result.get("failed") \
        and not save_result.get("msg") and save_result.get("size") is not None


def _save_failed(save_result):
    return isinstance(save_result, Mapping) and not save_result.get("skipped") and not _saved(save_result) \
        and bool(save_result.get("failed") or save_result.get("msg"))


def _plural(count, word):
    return "%s %s%s" % (count, word, "" if count == 1 else "s")


# Why tcpdump failed when the debug container's profile lacks NET_RAW (kdebug_exec debug_container.cannot).
NO_NET_RAW = ("; the debug container runs with profile %s, which has no NET_RAW, and tcpdump needs it: set capture_profile "
              "to baseline or general where the namespace's PodSecurity admits one, else capture_strategy agent, "
              "where the caller may run the node agent")


def capture_checks(exec_result, save_result=None, pod=None, namespace="default", container=None, interface="any",
                   capture_filter="", packets=0, seconds=0, max_bytes=0):
    """The capture check (a one-item list) from the kdebug_exec result and the pcap_save result."""
    exec_result = exec_result if isinstance(exec_result, Mapping) else {}
    target = _target(exec_result, pod, namespace, container)
    where = "%s/%s" % (namespace, pod)
    filter_text = "filter '%s'" % capture_filter if capture_filter else "no filter"
    stats = tcpdump_stats(exec_result.get("stderr"))
    details = {"interface": interface, "filter": capture_filter, "packet_limit": packets, "seconds": seconds,
               "max_bytes": max_bytes, "strategy": exec_result.get("strategy"), "tcpdump_rc": stats["rc"],
               "tcpdump_captured": stats["captured"], "received_by_filter": stats["received_by_filter"],
               "dropped_by_kernel": stats["dropped_by_kernel"], "link_type": stats["link_type"]}
    evidence = []
    container = exec_result.get("debug_container") or {}
    if container.get("profile"):
        details.update(profile=container["profile"], strategy_reason=exec_result.get("strategy_reason"))
    stderr = "\n".join(tcpdump_output(exec_result.get("stderr"))[0]).strip()
    if stderr:
        evidence.append({"label": "tcpdump", "text": stderr})

    def check(status, summary, check_details=None, check_evidence=None):
        return [make_check(CHECK_NAME, status, summary, target, check_details or details,
                           evidence if check_evidence is None else check_evidence,
                           exec_result.get("duration_ms") or 0)]

    if "plan" in exec_result and exec_result.get("rc") is None:  # check mode: kdebug_exec ran nothing
        return check("skipped", "check mode: tcpdump would run in pod %s (strategy %s); nothing was captured" % (
            where, exec_result.get("strategy") or "unknown"))

    if exec_result.get("rc") is None and not exec_result.get("timed_out"):
        msg = exec_result.get("msg") or "the capture task did not run"
        return check("error", "could not run tcpdump in pod %s: %s" % (where, msg),
                     dict(details, msg=msg, **failure_details(exec_result)))

    if not _saved(save_result):
        if stats["errors"] and stats["captured"] is None:
            problem = "; ".join(stats["errors"])
            if capture_filter and _is_filter_error(stats["errors"]):
                summary = "tcpdump rejected the capture filter '%s': %s" % (capture_filter, problem)
            else:
                summary = "tcpdump failed on interface %s in pod %s (rc %s): %s" % (
                    interface, where, stats["rc"] if stats["rc"] is not None else exec_result.get("rc"), problem)
        elif _save_failed(save_result):
            summary = "the capture from pod %s could not be saved on the controller: %s" % (
                where, save_result.get("msg") or "unknown error")
            details["msg"] = save_result.get("msg")
        elif exec_result.get("timed_out"):
            summary = "the capture in pod %s did not end within the exec timeout and produced no pcap" % where
        else:
            summary = "tcpdump produced no pcap in pod %s (rc %s)%s" % (
                where, stats["rc"] if stats["rc"] is not None else exec_result.get("rc"),
                ": " + "; ".join(stats["errors"]) if stats["errors"] else "")
        if "net_raw" in (container.get("cannot") or []):
            summary += NO_NET_RAW % container.get("profile")
        return check("error", summary)

    count = save_result.get("packets")
    path = save_result.get("dest")
    details.update(path=path, packets=count, bytes=save_result.get("size"), sha256=save_result.get("sha256"),
                   link_type=save_result.get("link_type_name") or stats["link_type"],
                   trimmed_bytes=save_result.get("trimmed_bytes"))
    received = (save_result.get("size") or 0) + (save_result.get("trimmed_bytes") or 0)
    if save_result.get("cut") or stats["rc"] == 141 or (max_bytes and received >= max_bytes):
        stopped = "the size cap of %s bytes" % max_bytes
    elif packets and stats["captured"] is not None and stats["captured"] >= packets:
        stopped = "the packet limit"
    elif stats["rc"] in STOPPED_RCS or stats["rc"] == 0:
        stopped = "the time limit of %ss" % seconds
    else:
        stopped = "tcpdump exiting with rc %s" % stats["rc"]
    details["stopped_by"] = stopped
    notes = []
    if stats["dropped_by_kernel"]:
        notes.append("%s dropped by the kernel" % _plural(stats["dropped_by_kernel"], "packet"))
    if stats["captured"] is None:
        notes.append("tcpdump printed no statistics (rc %s)" % stats["rc"])
    summary = "captured %s on %s with %s in pod %s, stopped by %s; saved to %s (%s)%s" % (
        _plural(count, "packet"), interface, filter_text, where, stopped, path, _plural(save_result.get("size"), "byte"),
        "; " + ", ".join(notes) if notes else "")
    return check("pass", summary, check_evidence=[{"label": "capture", "path": path}] + evidence)


class FilterModule(object):
    """kdebug.toolkit capture filters."""

    def filters(self):
        return {
            "tcpdump_stats": tcpdump_stats,
            "capture_checks": capture_checks,
        }
