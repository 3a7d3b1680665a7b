"""The kdebug.toolkit.capture role on the lab, for real: ansible-playbook runs the role and then the report role,
and the test reads the pcap from the controller and the report.json.

Lab facts used: kdebug-demo/web (busybox httpd on :8080 with a readiness probe), noshell (no shell in the image,
HTTP readiness probe on :8080 every 2 s), multi (busybox wget, used to send requests to web).
The pcap is checked with a pcap parser of the test's own (not the collection's): magic number, header, records.
"""
import json
import os
import struct
import subprocess
import uuid

import pytest

DEMO = "kdebug-demo"
CHECK = "packet capture"
# pcap magic as stored -> (byte order, timestamp precision)
MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}

PLAYBOOK = """---
- name: Capture in a pod and report it
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Capture
      ansible.builtin.include_role:
        name: kdebug.toolkit.capture
      vars:
        capture_pod: "{{ pod }}"
        capture_namespace: "{{ pod_namespace }}"
        capture_strategy: "{{ strategy | default('auto') }}"
        capture_agent_namespace: "{{ agent_namespace | default('') }}"
        capture_image: "{{ image }}"
        capture_filter: "{{ filter | default('') }}"
        capture_packets: "{{ packets | default(100) }}"
        capture_seconds: "{{ seconds | default(10) }}"
        capture_max_bytes: "{{ max_bytes | default(10485760) }}"
        capture_output_dir: "{{ capture_dir }}"

    - name: Report the checks
      ansible.builtin.include_role:
        name: kdebug.toolkit.report
      vars:
        report_checks: "{{ capture_checks }}"
        report_output_dir: "{{ report_dir }}"
        report_name: capture
        report_formats: [json]
"""


def read_pcap(path):
    """(link type, [packet bytes]) of a classic pcap; asserts it is one, complete."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert len(data) >= 24, "%s is %d bytes, no pcap header" % (path, len(data))
    assert data[:4] in MAGICS, "%s has no pcap magic number: %r" % (path, data[:4])
    order = MAGICS[data[:4]]
    major, minor, _zone, _sigfigs, _snaplen, link_type = struct.unpack(order + "HHiIII", data[4:24])
    assert (major, minor) == (2, 4)
    packets, offset = [], 24
    while offset < len(data):
        assert len(data) - offset >= 16, "a record header is cut at offset %d" % offset
        _sec, _frac, incl_len, _orig = struct.unpack(order + "IIII", data[offset:offset + 16])
        assert offset + 16 + incl_len <= len(data), "a record is cut at offset %d" % offset
        packets.append(data[offset + 16:offset + 16 + incl_len])
        offset += 16 + incl_len
    return link_type, packets


def run_capture(lab, tmp_path, pod, **extra):
    playbook = tmp_path / "capture_playbook.yml"
    playbook.write_text(PLAYBOOK)
    capture_dir, report_dir = tmp_path / "captures", tmp_path / "report"
    extra_vars = dict({"pod": pod, "pod_namespace": DEMO, "image": lab.tools_image, "capture_dir": str(capture_dir),
                       "report_dir": str(report_dir)}, **extra)
    proc = lab.playbook(str(playbook), extra_vars)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    with open(os.path.join(str(report_dir), "report.json")) as handle:
        report = json.load(handle)
    checks = {check["name"]: check for check in report["checks"]}
    assert list(checks) == [CHECK], report["checks"]
    return checks[CHECK], capture_dir, proc


def web_pod(lab):
    return lab.pod_by_label(DEMO, "app=web")


def test_web_capture_with_a_filter_while_another_pod_sends_requests(lab, tmp_path):
    web = web_pod(lab)
    name, address = web["metadata"]["name"], web["status"]["podIP"]
    marker = "kdebug-capture-" + uuid.uuid4().hex[:12]
    # Requests from the multi pod to web for ~30 s, in the background (bounded: they stop by themselves).
    traffic = subprocess.Popen(
        [lab.kubectl_path, "--kubeconfig", lab.kubeconfig, "exec", "-n", DEMO, "multi", "-c", "app", "--", "sh", "-c",
         "for i in $(seq 60); do wget -q -O /dev/null http://%s:8080/%s; sleep 0.5; done" % (address, marker)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check, capture_dir, proc = run_capture(lab, tmp_path, name, filter="tcp port 8080", packets=400, seconds=6)
    finally:
        traffic.kill()
        traffic.wait()
    assert check["status"] == "pass", check
    path = str(capture_dir / ("%s-%s.pcap" % (DEMO, name)))
    assert check["evidence"][0] == {"label": "capture", "path": path}
    assert os.path.isfile(path)
    link_type, packets = read_pcap(path)
    assert link_type in (113, 276)  # Linux cooked capture: interface "any"
    assert len(packets) >= 1
    # Our own requests are in it, with the path we chose.
    assert any(marker.encode() in packet for packet in packets), "no request for /%s in the capture" % marker
    details = check["details"]
    assert details["packets"] == len(packets)
    assert details["tcpdump_captured"] >= len(packets)
    assert details["filter"] == "tcp port 8080" and details["interface"] == "any"
    assert details["bytes"] == os.path.getsize(path)
    assert details["stopped_by"] in ("the time limit of 6s", "the packet limit")
    assert "captured %d packet" % len(packets) in check["summary"] and path in check["summary"]
    assert check["target"]["pod"] == name and check["target"]["namespace"] == DEMO
    assert check["target"]["container"] == "web"
    # The capture never shows in the play's output (no_log).
    assert marker not in proc.stdout
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_noshell_target_and_the_size_cap(lab, tmp_path, strategy, session_agent_namespace):
    # noshell's readiness probe hits :8080 every 2 s: several requests in 5 s, more than 1 KiB of packets.
    check, capture_dir, _proc = run_capture(lab, tmp_path, "noshell", strategy=strategy, filter="tcp port 8080",
                                            packets=0, seconds=5, max_bytes=1024,
                                            agent_namespace=session_agent_namespace)
    assert check["status"] == "pass", check
    path = str(capture_dir / ("%s-noshell.pcap" % DEMO))
    assert os.path.getsize(path) <= 1024
    _link_type, packets = read_pcap(path)  # complete records only: the one cut at the cap was dropped
    assert len(packets) >= 1
    assert check["details"]["packets"] == len(packets)
    assert check["details"]["stopped_by"] == "the size cap of 1024 bytes"
    assert check["details"]["strategy"] == strategy
    assert check["target"]["pod"] == "noshell"


def test_a_filter_tcpdump_cannot_parse_is_an_error_check_naming_it(lab, tmp_path):
    name = web_pod(lab)["metadata"]["name"]
    check, capture_dir, _proc = run_capture(lab, tmp_path, name, filter="tcp port", seconds=3)
    assert check["status"] == "error", check
    assert "tcp port" in check["summary"]
    assert check["summary"].startswith("tcpdump rejected the capture filter 'tcp port': ")
    assert "syntax error" in check["summary"]
    assert not os.path.exists(str(capture_dir))  # nothing saved


def test_a_pod_that_does_not_exist_is_an_error_check(lab, tmp_path):
    check, _capture_dir, _proc = run_capture(lab, tmp_path, "no-such-pod", seconds=2)
    assert check["status"] == "error", check
    assert check["summary"].startswith("could not run tcpdump in pod %s/no-such-pod: " % DEMO)
    assert "not found" in check["summary"]
    assert check["target"] == {"namespace": DEMO, "pod": "no-such-pod", "container": None}


def test_in_a_restricted_namespace_the_missing_net_raw_is_named(lab, tmp_path):
    """kdebug-restricted admits only the restricted profile, which has no NET_RAW: the check says so and what to do."""
    check, capture_dir, _proc = run_capture(lab, tmp_path, "web", pod_namespace="kdebug-restricted", seconds=2)
    assert check["status"] == "error", check
    assert "You don't have permission to perform this capture" in check["summary"], check["summary"]
    assert "profile restricted, which has no NET_RAW, and tcpdump needs it" in check["summary"]
    assert check["details"]["profile"] == "restricted"
    assert "enforces PodSecurity restricted" in check["details"]["strategy_reason"]
    assert not os.path.exists(str(capture_dir / "kdebug-restricted-web.pcap"))
