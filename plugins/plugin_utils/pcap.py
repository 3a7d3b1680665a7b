# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Classic pcap files (what ``tcpdump -w`` writes), read on the controller: pure functions, no I/O.

The capture role streams ``tcpdump -w - | head -c MAX | base64`` out of the
pod; :func:`decode_base64` turns that text back into bytes (tolerating line
breaks and a cut-off end) and :func:`parse_pcap` checks the global header and
walks the records, so the saved file is always a valid pcap: a record cut by
the size cap (or by a truncated transfer) is dropped, never left half-written.

Format: a 24-byte global header (magic, version 2.4, thiszone, sigfigs,
snaplen, link type), then records of a 16-byte header (seconds, micro- or
nanoseconds, captured length, original length) and the captured bytes. The
magic gives the byte order and the timestamp precision.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import re
import struct

GLOBAL_HEADER_SIZE = 24
RECORD_HEADER_SIZE = 16
# magic as stored -> (struct byte order, timestamp precision)
MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", "microseconds"),
    b"\xa1\xb2\xc3\xd4": (">", "microseconds"),
    b"\x4d\x3c\xb2\xa1": ("<", "nanoseconds"),
    b"\xa1\xb2\x3c\x4d": (">", "nanoseconds"),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
# The link types tcpdump writes most (https://www.tcpdump.org/linktypes.html).
LINK_TYPES = {
    0: "NULL",
    1: "EN10MB",
    101: "RAW",
    113: "LINUX_SLL",
    228: "IPV4",
    229: "IPV6",
    276: "LINUX_SLL2",
}
# A record claiming more than this is not a pcap record (tcpdump's own sanity limit is 256 KiB).
MAX_RECORD_BYTES = 16 * 1024 * 1024

_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


class PcapError(ValueError):
    """The data is not a classic pcap file."""


def decode_base64(text):
    """(bytes, dropped characters) from base64 text; whitespace is ignored, an incomplete last group dropped.

    Raises PcapError when the text holds anything but base64 and whitespace.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = re.sub(r"\s+", "", text or "")
    bad = _NOT_BASE64.search(text)
    if bad:
        raise PcapError("the capture is not base64 text (found %r at offset %d)" % (bad.group(0), bad.start()))
    body = text.rstrip("=")
    if "=" in body:
        raise PcapError("the capture is not valid base64: padding in the middle")
    if len(text) % 4 == 0:
        whole, dropped = text, 0
    else:  # cut off (by the size cap or a truncated transfer): keep the whole 4-character groups
        keep = len(body) - len(body) % 4
        whole, dropped = body[:keep], len(body) - keep
    try:
        return base64.b64decode(whole, validate=True), dropped
    except (binascii.Error, ValueError) as exc:
        raise PcapError("the capture is not valid base64: %s" % exc)


def parse_pcap(data):
    """What a pcap holds: header fields, the number of whole records and where the whole records end.

    Returns ``{byte_order, precision, version, snaplen, link_type, link_type_name, packets, complete_length,
    trailing_bytes}``; ``data[:complete_length]`` is a valid pcap. Raises PcapError for anything that is not a
    classic pcap (pcapng included).
    """
    data = bytes(data or b"")
    if not data:
        raise PcapError("the capture is empty: tcpdump wrote nothing")
    magic = data[:4]
    if magic == PCAPNG_MAGIC:
        raise PcapError("the capture is pcapng, not classic pcap")
    if len(magic) == 4 and magic not in MAGICS:
        raise PcapError("the capture does not start with a pcap magic number (got %s)" % binascii.hexlify(magic).decode())
    if len(data) < GLOBAL_HEADER_SIZE:
        raise PcapError("the capture is %d bytes, shorter than a pcap header (%d bytes)" % (len(data), GLOBAL_HEADER_SIZE))
    order, precision = MAGICS[magic]
    major, minor, _zone, _sigfigs, snaplen, link = struct.unpack(order + "HHiIII", data[4:GLOBAL_HEADER_SIZE])
    link_type = link & 0x0FFFFFFF  # the top bits may carry FCS information
    offset, packets = GLOBAL_HEADER_SIZE, 0
    header = struct.Struct(order + "IIII")
    while len(data) - offset >= RECORD_HEADER_SIZE:
        _sec, _frac, incl_len, _orig_len = header.unpack_from(data, offset)
        if incl_len > MAX_RECORD_BYTES:
            raise PcapError("record %d claims %d bytes: the capture is corrupt" % (packets + 1, incl_len))
        end = offset + RECORD_HEADER_SIZE + incl_len
        if end > len(data):
            break
        offset, packets = end, packets + 1
    return {
        "byte_order": "little" if order == "<" else "big",
        "precision": precision,
        "version": "%d.%d" % (major, minor),
        "snaplen": snaplen,
        "link_type": link_type,
        "link_type_name": LINK_TYPES.get(link_type, "LINKTYPE_%d" % link_type),
        "packets": packets,
        "complete_length": offset,
        "trailing_bytes": len(data) - offset,
    }


def build_pcap(packets, link_type=1, snaplen=262144, byte_order="<", nanoseconds=False):
    """A pcap file from ``packets`` (bytes, or (seconds, fraction, bytes) tuples): for tests and examples."""
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = [struct.pack(byte_order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link_type)]
    for index, packet in enumerate(packets):
        if isinstance(packet, tuple):
            seconds, fraction, payload = packet
        else:
            seconds, fraction, payload = 1700000000 + index, 0, packet
        out.append(struct.pack(byte_order + "IIII", seconds, fraction, len(payload), len(payload)))
        out.append(payload)
    return b"".join(out)
