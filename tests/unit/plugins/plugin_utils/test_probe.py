# -*- coding: utf-8 -*-
"""The probes' output format (plugins/plugin_utils/probe.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.plugin_utils import probe

SAMPLE = (
    "noise before the first section is dropped\n"
    "@@kdebug dns-probe\tversion=2\ttimeout=2\n"
    "@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf\n"
    "search a b\n"
    "\n"
    "nameserver 10.96.0.10\n"
    "@@kdebug tcp\tindex=1\tmessage=Connection to 10.96.0.10 53 port [tcp/*] succeeded! \tnote=a=b\tbare\n"
    "@@kdebug query\tid=2\n"
    "- type: MESSAGE\n"
    "@@kdebugger is a body line\n"
    "@@kdebug two words\tis a body line too\n"
    "@@kdebug end\n"
)


def test_sections_fields_and_bodies():
    out = probe.parse(SAMPLE)
    assert out.ended and bool(out)
    assert [s.name for s in out.sections] == ["dns-probe", "resolv", "tcp", "query"]
    assert out.first("dns-probe").fields == {"version": "2", "timeout": "2"}
    assert out.first("dns-probe").int("timeout") == 2 and out.first("dns-probe").int("nope", 7) == 7
    resolv = out.first("resolv")
    assert resolv.get("path") == "/proc/1/root/etc/resolv.conf"
    assert resolv.lines == ["search a b", "", "nameserver 10.96.0.10"] and resolv.text == "search a b\n\nnameserver 10.96.0.10"
    # values keep spaces and '=' but not surrounding blanks; a part without '=' is ignored
    assert out.first("tcp").fields == {"index": "1", "message": "Connection to 10.96.0.10 53 port [tcp/*] succeeded!",
                                       "note": "a=b"}
    assert out.first("query").lines == ["- type: MESSAGE", "@@kdebugger is a body line",
                                        "@@kdebug two words\tis a body line too"]
    assert out.all("query") == [out.first("query")] and out.all("nothing") == [] and out.first("nothing") is None


@pytest.mark.parametrize("text", [None, "", "no sections at all\n", "@@kdebug end\n"])
def test_no_sections(text):
    out = probe.parse(text)
    assert not out and out.sections == []
    assert out.ended == (text == "@@kdebug end\n")


def test_cut_short_output_has_not_ended():
    out = probe.parse(SAMPLE[:SAMPLE.index("@@kdebug end")])
    assert not out.ended and out.first("query").lines[0] == "- type: MESSAGE"


def test_a_section_after_end_is_read():
    out = probe.parse("@@kdebug end\n@@kdebug late\tx=1\nbody\n")
    assert out.ended and out.first("late").text == "body"
