# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""plugin_utils/pcap.py and the kdebug.toolkit.pcap_save action plugin, without a cluster.

The action plugin runs for real through ansible-playbook on localhost; the
files it writes are read back byte for byte.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import stat
import struct
import subprocess
import sys

import pytest

from ansible_collections.kdebug.toolkit.plugins.plugin_utils import pcap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
# Every byte value, so any text-mode write would corrupt it (0x80-0xff, NUL, CR, LF).
PACKETS = [bytes(range(256)), b"\x00\r\n\x80\xff" * 20, b"GET / HTTP/1.1\r\n\r\n"]


def b64(data, wrap=True):
    text = base64.b64encode(data).decode()
    if wrap:  # as coreutils/busybox base64 print it: 76 characters a line
        text = "\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + "\n"
    return text


# --- decode_base64 -----------------------------------------------------------------


def test_decode_base64_ignores_line_breaks_and_keeps_every_byte():
    data = pcap.build_pcap(PACKETS)
    assert pcap.decode_base64(b64(data)) == (data, 0)
    assert pcap.decode_base64(b64(data, wrap=False)) == (data, 0)
    assert pcap.decode_base64(b64(data).encode()) == (data, 0)
    assert pcap.decode_base64("") == (b"", 0)


def test_decode_base64_drops_an_incomplete_last_group():
    data = bytes(range(30))
    text = base64.b64encode(data).decode()  # 40 characters
    decoded, dropped = pcap.decode_base64(text[:-2])
    assert dropped == 2
    assert decoded == data[:27]


@pytest.mark.parametrize("text", ["not base64!", "QUJD\x00", "QU=JD", "A==="])
def test_decode_base64_refuses_garbage(text):
    with pytest.raises(pcap.PcapError):
        pcap.decode_base64(text)


# --- parse_pcap ----------------------------------------------------------------------


@pytest.mark.parametrize("order, nanoseconds, precision", [
    ("<", False, "microseconds"), (">", False, "microseconds"), ("<", True, "nanoseconds"), (">", True, "nanoseconds"),
])
def test_parse_pcap_reads_every_byte_order_and_precision(order, nanoseconds, precision):
    data = pcap.build_pcap(PACKETS, link_type=276, snaplen=65535, byte_order=order, nanoseconds=nanoseconds)
    info = pcap.parse_pcap(data)
    assert info == {"byte_order": "little" if order == "<" else "big", "precision": precision, "version": "2.4",
                    "snaplen": 65535, "link_type": 276, "link_type_name": "LINUX_SLL2", "packets": 3,
                    "complete_length": len(data), "trailing_bytes": 0}


def test_parse_pcap_counts_whole_records_and_marks_a_cut_one():
    data = pcap.build_pcap(PACKETS)
    whole = pcap.parse_pcap(data)["complete_length"]
    first_two = 24 + sum(16 + len(p) for p in PACKETS[:2])
    for cut in (1, 16, 17, len(PACKETS[2]) + 15):
        info = pcap.parse_pcap(data[:whole - cut])
        assert info["packets"] == 2
        assert info["complete_length"] == first_two
        assert info["trailing_bytes"] == whole - cut - first_two
    header_only = pcap.parse_pcap(data[:24])
    assert (header_only["packets"], header_only["trailing_bytes"]) == (0, 0)


def test_parse_pcap_names_unknown_link_types():
    assert pcap.parse_pcap(pcap.build_pcap([], link_type=147))["link_type_name"] == "LINKTYPE_147"
    # FCS bits above the link type are not part of it
    data = bytearray(pcap.build_pcap([], link_type=1))
    struct.pack_into("<I", data, 20, 0x10000001)
    assert pcap.parse_pcap(bytes(data))["link_type"] == 1


@pytest.mark.parametrize("data, words", [
    (b"", "the capture is empty: tcpdump wrote nothing"),
    (b"\xd4\xc3\xb2\xa1" + b"\x00" * 10, "14 bytes, shorter than a pcap header"),
    (b"\x0a\x0d\x0d\x0a" + b"\x00" * 40, "pcapng"),
    (b"GET / HTTP/1.1\r\n" + b"\x00" * 20, "does not start with a pcap magic number (got 47455420)"),
    (b"sh: ", "does not start with a pcap magic number"),
])
def test_parse_pcap_refuses_what_is_not_a_pcap(data, words):
    with pytest.raises(pcap.PcapError) as err:
        pcap.parse_pcap(data)
    assert words in str(err.value)


def test_parse_pcap_refuses_an_absurd_record():
    data = pcap.build_pcap([]) + struct.pack("<IIII", 0, 0, 2 ** 31, 2 ** 31)
    with pytest.raises(pcap.PcapError) as err:
        pcap.parse_pcap(data)
    assert "corrupt" in str(err.value)


# --- the action plugin, run by ansible-playbook ---------------------------------------------
# One ansible-playbook run for all the cases below (each run costs seconds): CASES name -> (args, check mode).

DATA = pcap.build_pcap(PACKETS, link_type=113)
FIRST_TWO = 24 + sum(16 + len(p) for p in PACKETS[:2])
CASES = {
    "write": ({"data": b64(DATA), "dest": "sub/dir/web.pcap"}, False),
    "again": ({"data": b64(DATA), "dest": "sub/dir/web.pcap"}, False),
    "cut": ({"data": b64(DATA[:-5]), "dest": "cut.pcap", "mode": "0640"}, False),
    "check": ({"data": b64(DATA), "dest": "none.pcap"}, True),
    "empty": ({"data": "", "dest": "empty.pcap"}, False),
    "text": ({"data": base64.b64encode(b"sh: 1: tcpdump: not found\n").decode(), "dest": "text.pcap"}, False),
    "garbage": ({"data": "%%%", "dest": "garbage.pcap"}, False),
    "directory": ({"data": b64(DATA), "dest": "sub"}, False),
    "mode": ({"data": b64(DATA), "dest": "mode.pcap", "mode": "rw-r"}, False),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(directory, {case: registered result}) after running every case in order, in one play."""
    work = tmp_path_factory.mktemp("pcap_save")
    tasks = []
    for index, (name, (args, check)) in enumerate(CASES.items()):
        args = dict(args, dest=str(work / args["dest"]))
        tasks.append({"name": name, "kdebug.toolkit.pcap_save": args, "register": "r%d" % index,
                      "ignore_errors": True, "check_mode": check})
    results = "{{ {%s} | to_json }}" % ", ".join("'%s': r%d" % (n, i) for i, n in enumerate(CASES))
    out = work / "results.json"
    tasks.append({"ansible.builtin.copy": {"content": results, "dest": str(out)}, "check_mode": False})
    play = work / "play.yml"
    play.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=" + sys.executable, str(play)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_LOCAL_TEMP=str(work / ".ansible-tmp"))
    proc = subprocess.run(argv, cwd=str(work), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.exists(), proc.stdout + proc.stderr
    return work, json.loads(out.read_text())


def test_pcap_save_writes_the_exact_bytes(saved):
    work, results = saved
    result, dest = results["write"], work / "sub" / "dir" / "web.pcap"
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert dest.read_bytes() == DATA
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert result["dest"] == str(dest)
    assert result["packets"] == 3 and result["size"] == len(DATA)
    assert result["link_type"] == 113 and result["link_type_name"] == "LINUX_SLL"
    assert result["trimmed_bytes"] == 0 and result["cut"] is False
    assert result["sha256"] == __import__("hashlib").sha256(DATA).hexdigest()
    # the same bytes again: nothing to do, and no temporary file left behind
    assert results["again"]["changed"] is False and not results["again"].get("failed")
    assert not [n for n in os.listdir(str(dest.parent)) if n.startswith(".pcap_save-")]


def test_pcap_save_drops_a_record_cut_by_the_size_cap(saved):
    work, results = saved
    result, dest = results["cut"], work / "cut.pcap"
    assert result["packets"] == 2 and result["cut"] is True
    assert result["trimmed_bytes"] == 16 + len(PACKETS[2]) - 5
    assert dest.read_bytes() == DATA[:FIRST_TWO]
    assert pcap.parse_pcap(dest.read_bytes())["trailing_bytes"] == 0
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640


def test_pcap_save_check_mode_writes_nothing(saved):
    work, results = saved
    assert results["check"]["changed"] is True and results["check"]["packets"] == 3
    assert not (work / "none.pcap").exists()


@pytest.mark.parametrize("case, words", [
    ("empty", "tcpdump wrote nothing"),
    ("text", "does not start with a pcap magic number"),
    ("garbage", "not base64"),
    ("directory", "is a directory"),
    ("mode", "octal"),
])
def test_pcap_save_fails_with_a_reason(saved, case, words):
    work, results = saved
    result = results[case]
    assert result["failed"] is True
    assert words in result["msg"], result["msg"]
    assert str(work) in result["msg"]
    if case != "directory":
        assert not (work / CASES[case][0]["dest"]).exists()
