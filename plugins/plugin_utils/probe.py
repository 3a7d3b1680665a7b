# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one output format of the runbooks' probes, and its parser.

The probes (roles/dns_check/files/dns_probe.sh, roles/network_check/files/network_probe.sh, the capture role's
script) run as POSIX sh in the tools image and print sections; their filters (plugins/filter/) read them here:

    @@kdebug NAME<TAB>key=value<TAB>key=value...    a section: a name, then fields (a value has no tab or newline;
                                                    blanks around it are not part of it)
    body lines                                      the section's body: every line up to the next section
    @@kdebug end                                    the probe's last line: its output is complete

The simplest framing to print from sh (printf of a header, then a command's own output) and to read here; a
body keeps the tool's own format (dig +yaml, ip -j JSON, resolv.conf, tcpdump's messages) for the filter to
parse with the matching library. A body line can never start with ``@@kdebug `` in practice: YAML and JSON
bodies start with a space, '-', '[' or '{', and the probes mark any line of a file they copy that would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MARK = "@@kdebug "
END = "end"


class Section(object):
    """One section: ``name``, ``fields`` (a dict of strings) and ``lines`` (the body)."""

    __slots__ = ("name", "fields", "lines")

    def __init__(self, name, fields, lines=None):
        self.name = name
        self.fields = fields
        self.lines = lines if lines is not None else []

    def get(self, key, default=None):
        return self.fields.get(key, default)

    def int(self, key, default=None):
        """A field as an int (``default`` when missing or not a number)."""
        return number(self.fields.get(key), default)

    @property
    def text(self):
        """The body as text, without the newlines that frame it."""
        return "\n".join(self.lines).strip("\n")

    def __repr__(self):
        return "Section(%r, %r, %d lines)" % (self.name, self.fields, len(self.lines))


def number(value, default=None, kind=int):
    """A probe field (or any value) as ``kind`` (int or float); ``default`` when missing or not a number."""
    try:
        return kind(str(value).strip())
    except (TypeError, ValueError):
        return default


def header(line):
    """The (name, fields) of a section line, or None for a body line."""
    if not line.startswith(MARK):
        return None
    parts = line[len(MARK):].rstrip("\r").split("\t")
    name = parts[0].strip()
    if not name or " " in name:
        return None
    fields = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if sep and key.strip():
            fields[key.strip()] = value.strip()
    return name, fields


class ProbeOutput(object):
    """The sections of a probe's output, in order, and whether it ended (``@@kdebug end`` was printed)."""

    def __init__(self, text):
        self.sections = []
        self.ended = False
        current = None
        for line in (text or "").splitlines():
            parsed = header(line)
            if parsed is None:
                if current is not None:
                    current.lines.append(line)
                continue
            name, fields = parsed
            if name == END:
                self.ended = True
                current = None
                continue
            current = Section(name, fields)
            self.sections.append(current)

    def all(self, name):
        """Every section called ``name``, in order."""
        return [section for section in self.sections if section.name == name]

    def first(self, name):
        """The first section called ``name``, or None."""
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def __bool__(self):
        return bool(self.sections)

    __nonzero__ = __bool__


def parse(text):
    """A probe's output (a string; None is no output) as a ProbeOutput."""
    return ProbeOutput(text)
