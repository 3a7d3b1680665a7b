# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The capture runbook's filters (plugins/filter/capture.py): tcpdump's stderr and the capture check."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.filter import capture as C
from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks

# What the lab's tcpdump 4.99 prints (stderr of the capture script).
CLEAN = """@@kdebug tcpdump
tcpdump: data link type LINUX_SLL2
tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes
5 packets captured
12 packets received by filter
0 packets dropped by kernel
@@kdebug exit\trc=0
@@kdebug end
"""
TIMED_OUT = """@@kdebug tcpdump
tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
0 packets captured
1 packet received by filter
3 packets dropped by kernel
@@kdebug exit\trc=124
@@kdebug end
"""
BAD_FILTER = """@@kdebug tcpdump
tcpdump: data link type LINUX_SLL2
tcpdump: can't parse filter expression: syntax error
@@kdebug exit\trc=1
@@kdebug end
"""
NO_DEVICE = """@@kdebug tcpdump
tcpdump: eth9: No such device exists
(No such device exists)
@@kdebug exit\trc=1
@@kdebug end
"""


def framed(lines, rc):
    """The capture script's stderr: tcpdump's lines, then its exit code."""
    return "@@kdebug tcpdump\n%s%s@@kdebug exit\trc=%s\n@@kdebug end\n" % (lines, "\n" if lines else "", rc)


TARGET = {"namespace": "shop", "pod": "web-0", "container": "app", "container_id": "containerd://abc",
          "node": "n1", "pid": None}


def exec_result(stderr, rc=0, stdout="1MOyoQIABAA=", **extra):
    result = {"changed": False, "failed": False, "rc": rc, "stdout": stdout, "stderr": stderr, "timed_out": False,
              "truncated": False, "duration_ms": 5021, "strategy": "ephemeral", "target": TARGET}
    result.update(extra)
    return result


def save_result(packets=5, size=582, cut=False, trimmed=0, **extra):
    result = {"changed": True, "dest": "/tmp/captures/shop-web-0.pcap", "size": size, "packets": packets,
              "link_type": 276, "link_type_name": "LINUX_SLL2", "snaplen": 262144, "sha256": "ab" * 32,
              "trimmed_bytes": trimmed, "cut": cut}
    result.update(extra)
    return result


def checks(exec_res, save_res=None, **kwargs):
    options = dict(pod="web-0", namespace="shop", container="app", interface="any", capture_filter="tcp port 8080",
                   packets=5, seconds=10, max_bytes=10485760)
    options.update(kwargs)
    result = C.capture_checks(exec_res, save_res, **options)
    validate_checks(result)  # always a valid check list
    assert len(result) == 1 and result[0]["name"] == "packet capture"
    return result[0]


# --- tcpdump_stats ----------------------------------------------------------------------


def test_stats_of_a_clean_capture():
    assert C.tcpdump_stats(CLEAN) == {"captured": 5, "received_by_filter": 12, "dropped_by_kernel": 0,
                                      "dropped_by_interface": None, "rc": 0, "link_type": "LINUX_SLL2", "errors": []}


def test_stats_singular_and_timeout():
    stats = C.tcpdump_stats(TIMED_OUT)
    assert (stats["captured"], stats["received_by_filter"], stats["dropped_by_kernel"]) == (0, 1, 3)
    assert stats["rc"] == 124 and stats["link_type"] == "EN10MB" and stats["errors"] == []


def test_stats_of_failures_keep_the_error_lines():
    stats = C.tcpdump_stats(BAD_FILTER)
    assert stats["captured"] is None and stats["rc"] == 1
    assert stats["errors"] == ["can't parse filter expression: syntax error"]
    assert C.tcpdump_stats(NO_DEVICE)["errors"] == ["eth9: No such device exists", "(No such device exists)"]
    assert C.tcpdump_stats(framed("sh: 1: tcpdump: not found", 127))["errors"] == [
        "sh: 1: tcpdump: not found"]


@pytest.mark.parametrize("stderr", [None, "", "\n\n", "@@kdebug tcpdump\n@@kdebug exit\trc=x"])
def test_stats_of_nothing(stderr):
    stats = C.tcpdump_stats(stderr)
    assert stats["captured"] is None and stats["rc"] is None and stats["errors"] == []


def test_stderr_without_the_framing_is_tcpdumps_own():
    raw = "\n".join(line for line in CLEAN.splitlines() if not line.startswith("@@kdebug"))
    stats = C.tcpdump_stats(raw)
    assert (stats["captured"], stats["rc"], stats["errors"]) == (5, None, [])


def test_evidence_is_tcpdumps_lines_without_the_framing():
    check = checks(exec_result(CLEAN), save_result())
    (tcpdump,) = [e for e in check["evidence"] if e.get("label") == "tcpdump"]
    assert tcpdump["text"].startswith("tcpdump: data link type") and "@@kdebug" not in tcpdump["text"]


# --- capture_checks -----------------------------------------------------------------------


def test_pass_names_the_pcap_and_the_packet_count():
    check = checks(exec_result(CLEAN), save_result())
    assert check["status"] == "pass"
    assert check["evidence"][0] == {"label": "capture", "path": "/tmp/captures/shop-web-0.pcap"}
    assert check["evidence"][1]["label"] == "tcpdump" and "5 packets captured" in check["evidence"][1]["text"]
    assert check["target"] == {"namespace": "shop", "pod": "web-0", "container": "app",
                               "container_id": "containerd://abc", "node": "n1"}
    assert check["duration_ms"] == 5021
    details = check["details"]
    assert details["packets"] == 5 and details["tcpdump_captured"] == 5 and details["received_by_filter"] == 12
    assert details["path"] == "/tmp/captures/shop-web-0.pcap" and details["bytes"] == 582
    assert details["filter"] == "tcp port 8080" and details["interface"] == "any"
    assert details["link_type"] == "LINUX_SLL2" and details["strategy"] == "ephemeral"
    assert details["stopped_by"] == "the packet limit"
    assert check["summary"] == ("captured 5 packets on any with filter 'tcp port 8080' in pod shop/web-0, stopped by "
                                "the packet limit; saved to /tmp/captures/shop-web-0.pcap (582 bytes)")


def test_pass_stopped_by_time_and_by_size():
    check = checks(exec_result(TIMED_OUT), save_result(packets=0, size=24), capture_filter="")
    assert check["status"] == "pass"
    assert check["details"]["stopped_by"] == "the time limit of 10s"
    assert "captured 0 packets on any with no filter" in check["summary"]
    assert "3 packets dropped by the kernel" in check["summary"]
    cut = checks(exec_result(CLEAN.replace("5 packets captured", "40 packets captured")),
                 save_result(packets=7, size=967, cut=True, trimmed=57), packets=0, max_bytes=1024)
    assert cut["details"]["stopped_by"] == "the size cap of 1024 bytes"
    assert cut["details"]["trimmed_bytes"] == 57
    one = checks(exec_result(CLEAN), save_result(packets=1, size=100))
    assert "captured 1 packet on" in one["summary"] and "(100 bytes)" in one["summary"]


def test_pass_without_statistics_says_so():
    check = checks(exec_result(framed("", 137), timed_out=True, rc=137), save_result())
    assert check["status"] == "pass"
    assert "tcpdump printed no statistics (rc 137)" in check["summary"]


def test_error_when_the_pod_cannot_be_joined():
    failed = {"failed": False, "failed_when_result": False, "msg": "pod nope not found in namespace shop"}
    check = checks(failed, {"skipped": True}, pod="nope")
    assert check["status"] == "error"
    assert check["summary"] == "could not run tcpdump in pod shop/nope: pod nope not found in namespace shop"
    assert check["target"] == {"namespace": "shop", "pod": "nope", "container": "app"}
    assert check["details"]["msg"] == "pod nope not found in namespace shop"
    assert checks({}, None)["summary"].endswith("the capture task did not run")


def test_error_names_a_filter_tcpdump_rejected():
    check = checks(exec_result(BAD_FILTER, stdout=""), {"skipped": True}, capture_filter="tcp port")
    assert check["status"] == "error"
    assert check["summary"] == "tcpdump rejected the capture filter 'tcp port': can't parse filter expression: syntax error"
    assert check["details"]["tcpdump_rc"] == 1


def test_error_for_an_unknown_interface_or_missing_tcpdump():
    check = checks(exec_result(NO_DEVICE, stdout=""), None, interface="eth9")
    assert check["status"] == "error"
    assert check["summary"] == ("tcpdump failed on interface eth9 in pod shop/web-0 (rc 1): eth9: No such device "
                                "exists; (No such device exists)")
    check = checks(exec_result(framed("sh: 1: tcpdump: not found", 127), stdout=""), None)
    assert "(rc 127): sh: 1: tcpdump: not found" in check["summary"]


def test_error_when_the_pcap_cannot_be_saved():
    bad = {"failed": False, "failed_when_result": False, "msg": "could not write /x.pcap: Permission denied.",
           "dest": "/x.pcap"}
    check = checks(exec_result(CLEAN), bad)
    # failed_when: false clears 'failed': a result without a size is a failure all the same
    assert check["status"] == "error"
    assert check["summary"] == ("the capture from pod shop/web-0 could not be saved on the controller: could not "
                                "write /x.pcap: Permission denied.")
    # a write error after the data was read: the result has a size, and still failed
    write_error = save_result(failed=False, failed_when_result=False, changed=False, msg="could not write /y.pcap.")
    assert checks(exec_result(CLEAN), write_error)["status"] == "error"


def test_error_when_nothing_came_back():
    check = checks(exec_result("", stdout="", rc=0), {"skipped": True})
    assert check["status"] == "error" and "tcpdump produced no pcap" in check["summary"]
    timed = checks(exec_result("", stdout="", rc=None, timed_out=True), {"skipped": True})
    assert timed["status"] == "error" and "did not end within the exec timeout" in timed["summary"]


def test_check_mode_is_skipped():
    planned = {"changed": True, "failed": False, "plan": {"would_create": True}, "strategy": "ephemeral",
               "stdout": "", "stderr": "", "target": TARGET, "msg": "check mode: nothing was created or run"}
    check = checks(planned, {"skipped": True})
    assert check["status"] == "skipped"
    assert check["summary"] == ("check mode: tcpdump would run in pod shop/web-0 (strategy ephemeral); nothing was "
                                "captured")


NO_PERMISSION = framed("tcpdump: any: You don't have permission to perform this capture on that device\n"
                       "(socket: Operation not permitted)", 1)


def test_a_profile_without_net_raw_is_named_as_why_tcpdump_failed():
    """What tcpdump prints in a restricted debug container (seen in the lab's kdebug-restricted namespace)."""
    restricted = {"name": "kdebug-1", "profile": "restricted", "cannot": ["ptrace", "net_admin", "net_raw", "root"]}
    check = checks(exec_result(NO_PERMISSION, stdout="", debug_container=restricted,
                               strategy_reason="namespace shop enforces PodSecurity restricted"))
    assert check["status"] == "error"
    assert check["summary"].startswith("tcpdump failed on interface any in pod shop/web-0 (rc 1): any: You don't have "
                                       "permission"), check["summary"]
    assert check["summary"].endswith("the debug container runs with profile restricted, which has no NET_RAW, and "
                                     "tcpdump needs it: set capture_profile to baseline or general where the "
                                     "namespace's PodSecurity admits one, else capture_strategy agent, where the "
                                     "caller may run the node agent")
    assert check["details"]["profile"] == "restricted"
    assert check["details"]["strategy_reason"] == "namespace shop enforces PodSecurity restricted"
    general = dict(restricted, profile="general", cannot=["net_admin"])
    assert "NET_RAW" not in checks(exec_result(NO_PERMISSION, stdout="", debug_container=general))["summary"]
