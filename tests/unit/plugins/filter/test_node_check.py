# -*- coding: utf-8 -*-
"""kdebug.toolkit.node_check_results: the node probe's output as check results.

The healthy sample is the shape roles/node_check/files/node_probe.sh prints on a lab worker (its sections, fields and
the bodies of df, /proc/self/mounts and a kubelet log); each variant edits one section of it, so the parser always
sees the probe's real format. tests/integration/roles/test_node_check.py runs the probe itself on the lab."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import node_check
from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks

NOW_EPOCH = 1796170000
UPTIME = 7000.0
SECTIONS = {
    "time": "@@kdebug time\tepoch=%d\tuptime=%s\tlocal=20261202000640\tclk_tck=100" % (NOW_EPOCH, UPTIME),
    "kubelet": ("@@kdebug daemon\tname=kubelet\trunning=1\tpid=41\tcomm=kubelet\tstart_ticks=20000\t"
                "log=file:/var/log/kdebug-lab/kubelet-w1.log\n/usr/local/bin/kubelet\n--config\n"
                "/var/lib/kdebug-lab/w1/conf/kubelet.yaml\n--root-dir\n/var/lib/kdebug-lab/w1/kubelet"),
    "kubelet_log": ("@@kdebug log\tof=kubelet\n"
                    "E1202 00:05:10.000001    41 kubelet_node_status.go:548] \"Error updating node status, will retry\"\n"
                    "E1201 20:00:00.000001    41 kubelet.go:2100] \"old error\""),
    "kubelet_config": ("@@kdebug kubelet_config\tpath=/var/lib/kdebug-lab/w1/conf/kubelet.yaml\n"
                       "kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/kdebug-lab/w1/c.sock"),
    "healthz": "@@kdebug healthz\turl=http://127.0.0.1:10248/healthz\trc=0\tcode=200\tmissing=\nok",
    "runtime": "@@kdebug runtime\tendpoint=unix:///run/kdebug-lab/w1/c.sock\tsocket=1",
    "clock": ("@@kdebug clock\tserver=https://10.250.0.1:6443\tbefore=%s\tafter=%s\t"
              "date=Wed, 02 Dec 2026 00:06:40 GMT" % (NOW_EPOCH + 0.1, NOW_EPOCH + 0.2)),
    "runtime_daemon": ("@@kdebug daemon\tname=runtime\trunning=1\tpid=12\tcomm=containerd\tstart_ticks=10000\t"
                       "log=file:/var/log/kdebug-lab/containerd-w1.log\ncontainerd\n--config\nx.toml\n"
                       "@@kdebug log\tof=runtime\n"
                       'time="2026-12-02T00:05:00.1Z" level=error msg="failed to pull"'),
    "memory": "@@kdebug memory\tMemTotal=24684084\tMemAvailable=12000000\t",
    "pids": "@@kdebug pids\tpid_max=32768\tthreads_max=192730\tthreads=900",
    "conntrack": "@@kdebug conntrack\tcount=120\tmax=262144",
    "mounts": ("@@kdebug mounts\n/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\n"
               "tmpfs /var/lib/kdebug-lab/w1/kubelet/pods/u/volumes/kubernetes.io~projected/t tmpfs rw 0 0\n"
               "/dev/loop3 /snap/core/1 squashfs ro 0 0\ntmpfs /run tmpfs rw 0 0"),
    "df": ("@@kdebug df\tmissing=\nFilesystem 1024-blocks Used Available Capacity Mounted on\n"
           "/dev/vda 264212084 14939792 80561472 16% /\n"
           "tmpfs 100 100 0 100% /var/lib/kdebug-lab/w1/kubelet/pods/u/volumes/kubernetes.io~projected/t\n"
           "/dev/loop3 1000 1000 0 100% /snap/core/1\ntmpfs 1000 10 990 1% /run"),
    "df_inodes": ("@@kdebug df_inodes\nFilesystem Inodes IUsed IFree IUse% Mounted on\n"
                  "/dev/vda 16777216 476694 16300522 3% /\ntmpfs 100 10 90 10% /run"),
    "firewall": "@@kdebug firewall\tiptables=412\tip6tables=20\tnft=",
    "oom": ("@@kdebug oom\tsource=dmesg\n[ 100.000001] Out of memory: Killed process 77 (old) total-vm:1kB\n"),
}
ORDER = ["time", "kubelet", "kubelet_log", "kubelet_config", "healthz", "runtime", "clock", "runtime_daemon",
         "memory", "pids", "conntrack", "mounts", "df", "df_inodes", "firewall", "oom"]
STATES = {"kdebug-lab-w1": {"conditions": {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False"},
                            "ready_since": "2026-12-01T10:00:00Z"}}


def probe(**replace):
    parts = [replace.get(name, SECTIONS[name]) for name in ORDER]
    return "\n".join(part for part in parts if part is not None) + "\n@@kdebug end\n"


def result(stdout=None, **fields):
    return dict({"rc": 0, "stdout": probe() if stdout is None else stdout, "stderr": "", "strategy": "agent",
                 "target": {"node": "kdebug-lab-w1", "pod": None, "namespace": None}}, **fields)


def run(res=None, **options):
    checks = node_check.node_check_results(res or result(), **options)
    validate_checks(checks)
    return dict((c["name"], c) for c in checks)


def test_a_healthy_node_passes_every_check_and_names_it():
    checks = run(node_states=STATES)
    assert list(checks) == ["node conditions", "node kubelet", "node container runtime", "node kubelet log",
                            "node container runtime log", "node memory", "node disk space", "node inodes",
                            "node PIDs", "node conntrack", "node firewall rules", "node clock", "node OOM kills",
                            "node NotReady history"]
    not_passed = [(c["name"], c["summary"]) for c in checks.values() if c["status"] != "pass"]
    assert not not_passed
    assert all(c["target"]["node"] == "kdebug-lab-w1" for c in checks.values())
    assert "pid 41" in checks["node kubelet"]["summary"]
    assert checks["node firewall rules"]["details"]["total"] == 432
    # the pod volume and the squashfs image, both 100%, are not the node's filesystems
    mounts = [row["mount"] for row in checks["node disk space"]["details"]["filesystems"]]
    assert mounts == ["/", "/run"]


def test_without_node_states_there_is_no_conditions_check_and_diagnose_can_leave_it_out():
    assert "node conditions" not in run()
    assert "node conditions" not in run(node_states=STATES, condition_checks=False)


def test_a_full_filesystem_fails_naming_the_mount_and_what_is_left():
    df = SECTIONS["df"] + "\n/dev/loop9 8192 8192 0 100% /var/lib/kdebug-fault"
    mounts = SECTIONS["mounts"] + "\n/dev/loop9 /var/lib/kdebug-fault ext4 rw 0 0"
    check = run(result(probe(df=df, mounts=mounts)))["node disk space"]
    assert check["status"] == "fail"
    assert "/var/lib/kdebug-fault is 100% full (ext4)" in check["summary"] and "kdebug-lab-w1" in check["summary"]
    assert "/var/lib/kdebug-fault" in check["evidence"][0]["text"]


def test_the_threshold_is_an_option():
    # / is 15.6% used (df's Use%: used of used + available, the root-reserved blocks left out)
    assert run(disk_percent=15)["node disk space"]["status"] == "fail"
    assert run(disk_percent=16)["node disk space"]["status"] == "pass"


def test_inodes_used_up_fail():
    inodes = SECTIONS["df_inodes"] + "\ntmpfs 64 64 0 100% /var/lib/kdebug-fault"
    mounts = SECTIONS["mounts"] + "\ntmpfs /var/lib/kdebug-fault tmpfs rw 0 0"
    check = run(result(probe(df_inodes=inodes, mounts=mounts)))["node inodes"]
    assert check["status"] == "fail" and "/var/lib/kdebug-fault is 100% full (tmpfs) (0 inodes left)" in check["summary"]


def test_a_kubelet_that_does_not_run_or_is_unhealthy_fails():
    down = "@@kdebug daemon\tname=kubelet\trunning=0"
    checks = run(result(probe(kubelet=down, kubelet_log=None, kubelet_config=None, healthz=None, runtime=None,
                              clock=None)))
    assert checks["node kubelet"]["status"] == "fail"
    assert checks["node kubelet"]["summary"] == "no kubelet process runs on node kdebug-lab-w1"
    assert checks["node kubelet log"]["status"] == "skipped"
    assert checks["node clock"]["status"] == "skipped"
    sick = "@@kdebug healthz\turl=http://127.0.0.1:10248/healthz\trc=22\tcode=500\tmissing=\n[-]syncloop failed"
    check = run(result(probe(healthz=sick)))["node kubelet"]
    assert check["status"] == "fail" and "answers HTTP 500" in check["summary"] and "syncloop" in check["summary"]


def test_a_missing_runtime_socket_or_process_fails():
    check = run(result(probe(runtime=SECTIONS["runtime"].replace("socket=1", "socket=0"))))["node container runtime"]
    assert check["status"] == "fail" and "no socket at unix:///run/kdebug-lab/w1/c.sock" in check["summary"]
    check = run(result(probe(runtime_daemon="@@kdebug daemon\tname=runtime\trunning=0")))["node container runtime"]
    assert check["status"] == "fail" and "containerd, crio and dockerd" in check["summary"]


def test_log_errors_within_the_window_count_and_older_ones_do_not():
    check = run()["node kubelet log"]
    assert check["status"] == "pass" and check["details"]["errors"] == 1  # the 20:00 line is 4 h old
    many = "@@kdebug log\tof=kubelet\n" + "\n".join(
        "E1202 00:0%d:00.000001    41 kubelet.go:1] \"Failed to get node info\"" % (i % 9) for i in range(25))
    check = run(result(probe(kubelet_log=many)))["node kubelet log"]
    assert check["status"] == "fail" and "25 errors" in check["summary"]
    assert "\"Failed to get node info\" (25x)" in check["summary"]
    # a crash-looping pod's sync errors are the pod's trouble, not the node's
    pods = "@@kdebug log\tof=kubelet\n" + "\n".join(
        "E1202 00:0%d:00.000001    41 pod_workers.go:1301] \"Error syncing pod, skipping\" err=\"CrashLoopBackOff\""
        % (i % 6) for i in range(25))
    check = run(result(probe(kubelet_log=pods)))["node kubelet log"]
    assert check["status"] == "pass" and check["details"]["pod_errors"] == 25
    assert run(result(probe(kubelet_log=many)), since_minutes=5)["node kubelet log"]["details"]["errors"] < 25


def test_log_line_ages_in_klog_and_logfmt():
    import datetime
    now = datetime.datetime(2026, 12, 2, 0, 10, 0)
    assert node_check.log_line_age("E1202 00:05:00.000001 41 a.go:1] x", now, None) == 300
    assert node_check.log_line_age("E1231 23:59:00.000001 41 a.go:1] x", datetime.datetime(2027, 1, 1, 0, 1),
                                   None) == 120
    assert node_check.log_line_age('time="2026-12-02T00:05:00.5Z" level=error', now, NOW_EPOCH) == \
        NOW_EPOCH - calendar.timegm((2026, 12, 2, 0, 5, 0))
    assert node_check.log_line_age('time="2026-12-02T01:05:00+01:00" level=error', now, NOW_EPOCH) == \
        NOW_EPOCH - calendar.timegm((2026, 12, 2, 0, 5, 0))
    assert node_check.log_line_age("no time here", now, NOW_EPOCH) is None


def test_memory_near_or_at_eviction_fails():
    low = "@@kdebug memory\tMemTotal=24684084\tMemAvailable=1000000\t"
    check = run(result(probe(memory=low)))["node memory"]
    assert check["status"] == "fail" and "below 10%" in check["summary"]
    evicting = "@@kdebug memory\tMemTotal=24684084\tMemAvailable=50000\t"
    assert "evicts pods" in run(result(probe(memory=evicting)))["node memory"]["summary"]
    config = SECTIONS["kubelet_config"] + "\nevictionHard:\n  memory.available: 2Gi"
    check = run(result(probe(memory=low, kubelet_config=config)))["node memory"]
    assert "memory.available<2Gi" in check["summary"]


def test_pids_conntrack_and_firewall_thresholds():
    assert run(result(probe(pids="@@kdebug pids\tpid_max=1000\tthreads_max=192730\tthreads=900")))[
        "node PIDs"]["status"] == "fail"
    check = run(result(probe(conntrack="@@kdebug conntrack\tcount=250000\tmax=262144")))["node conntrack"]
    assert check["status"] == "fail" and "table full" in check["summary"]
    assert run(result(probe(conntrack="@@kdebug conntrack\tloaded=0")))["node conntrack"]["status"] == "pass"
    assert run(max_firewall_rules=400)["node firewall rules"]["status"] == "fail"
    none = "@@kdebug firewall\tiptables=\tip6tables=\tnft="
    assert run(result(probe(firewall=none)))["node firewall rules"]["status"] == "skipped"


def test_clock_offset_against_the_api_servers_date():
    check = run()["node clock"]
    assert check["status"] == "pass" and abs(check["details"]["offset_seconds"]) < 1
    ahead = SECTIONS["clock"].replace("00:06:40", "00:06:30")
    check = run(result(probe(clock=ahead)))["node clock"]
    assert check["status"] == "fail" and "ahead of the API server's" in check["summary"]
    assert 9 < check["details"]["offset_seconds"] < 11
    missing = "@@kdebug clock\tserver=https://10.250.0.1:6443\tmissing=curl"
    assert run(result(probe(clock=missing)))["node clock"]["status"] == "skipped"
    assert node_check.clock_offset({"before": "10", "after": "11", "date": "garbage"}) is None


def test_recent_oom_kills_fail_and_name_the_process():
    assert run()["node OOM kills"]["status"] == "pass"  # 6900 s ago, outside the hour
    recent = SECTIONS["oom"] + "[ 6900.5] Out of memory: Killed process 4242 (java) total-vm:1kB"
    check = run(result(probe(oom=recent)))["node OOM kills"]
    assert check["status"] == "fail" and "java (pid 4242, 99 s ago)" in check["summary"]
    assert run(result(probe(oom=recent)), since_minutes=1)["node OOM kills"]["status"] == "pass"


def test_not_ready_history():
    recent = {"kdebug-lab-w1": {"conditions": {"Ready": "True"}, "ready_since": "2026-12-02T00:00:00Z",
                                "created": "2026-11-02T00:00:00Z"}}
    check = run(node_states=recent)["node NotReady history"]
    assert check["status"] == "fail" and "became Ready 6 min ago, after being NotReady" in check["summary"]
    # a node that registered a minute before it became Ready only joined: no history
    joined = {"kdebug-lab-w1": dict(recent["kdebug-lab-w1"], created="2026-12-01T23:59:00Z")}
    check = run(node_states=joined)["node NotReady history"]
    assert check["status"] == "pass" and "Ready since it joined the cluster 6 min ago" in check["summary"]
    down = {"kdebug-lab-w1": {"conditions": [{"type": "Ready", "status": "Unknown",
                                              "last_transition": "2026-12-02T00:00:00Z"}]}}
    checks = run(node_states=down)
    assert "NotReady now (Ready=Unknown)" in checks["node NotReady history"]["summary"]
    assert checks["node conditions"]["status"] == "fail"
    logged = SECTIONS["kubelet_log"] + "\nI1202 00:04:00.000001    41 setters.go:1] \"Node became not ready\""
    check = run(result(probe(kubelet_log=logged)))["node NotReady history"]
    assert check["status"] == "fail" and "logged 'Node became not ready' 1 times" in check["summary"]


def test_a_probe_that_did_not_run_is_one_error_check():
    failed = {"failed": True, "msg": "the agent on node kdebug-lab-w2 did not start", "error_class": "timeout"}
    checks = node_check.node_check_results(failed, node="kdebug-lab-w2")
    assert [c["name"] for c in checks] == ["node check"] and checks[0]["status"] == "error"
    assert "kdebug-lab-w2" in checks[0]["summary"] and checks[0]["details"]["error_class"] == "timeout"
    whole_call = node_check.node_check_results({"failed": True, "msg": "cannot list nodes"})
    assert whole_call[0]["target"] == {"node": None} and "cannot list nodes" in whole_call[0]["summary"]
    garbage = node_check.node_check_results(result("sh: 1: syntax error"))
    assert garbage[0]["status"] == "error" and "printed nothing it could read" in garbage[0]["summary"]


def test_a_cut_probe_says_which_checks_it_did_not_reach():
    cut = probe().split("@@kdebug memory", maxsplit=1)[0]
    checks = run(result(cut, rc=None, timed_out=True))
    assert checks["node check"]["status"] == "error"
    assert checks["node memory"]["status"] == "error" and "stopped before it" in checks["node memory"]["summary"]


def test_check_mode_gives_the_plan():
    checks = node_check.node_check_results({"plan": {"node": "w1", "would_create": True, "argv": ["sh"]},
                                            "target": {"node": "w1"}})
    assert checks[0]["status"] == "skipped" and checks[0]["details"]["plan"] == {"node": "w1", "would_create": True}


@pytest.mark.parametrize("options, message", [
    ({"disk_percent": "lots"}, "disk_percent must be a number"),
    ({"disk_percent": -1}, "disk_percent must be a number"),
    ({"disks": 1}, "unknown option 'disks'"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        node_check.node_check_results(result(), **options)


def test_node_state_of_an_inventory_host():
    assert node_check.node_state({"kdebug_conditions": {"Ready": "True"}, "kdebug_ready_since": "x",
                                  "kdebug_created": "y"}) == {"conditions": {"Ready": "True"}, "ready_since": "x",
                                                              "created": "y"}
    with pytest.raises(AnsibleFilterError):
        node_check.node_state("w1")
