#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pcap_save
short_description: Save a base64-encoded packet capture as a pcap file on the controller
version_added: 0.1.0
description:
  - Decodes base64 text (line breaks allowed), such as the output of C(tcpdump -w - | base64) run through
    M(kdebug.toolkit.kdebug_exec), and writes the bytes to O(dest) on the Ansible controller. Unlike
    M(ansible.builtin.copy) with C(content), which writes text, the file is byte for byte what tcpdump wrote.
  - Checks that the data is a classic pcap file (any byte order, micro- or nanosecond timestamps) and counts its
    packets. A record cut off at the end (by a size cap such as C(head -c), or an output limit) is dropped, so the
    file is always a valid pcap; RV(trimmed_bytes) says how much was dropped.
  - Writes through a temporary file in the same directory, so readers never see half a file; missing parent
    directories are created. Rewrites nothing when O(dest) already holds the same bytes and mode.
  - This is an action plugin - it always runs on the controller, whatever host the task is for.
author:
  - kdebug.toolkit contributors (@kdebug)
attributes:
  check_mode:
    description: Decodes and checks the data and says whether the file would change; writes nothing.
    support: full
  diff_mode:
    description: Binary content has no useful diff.
    support: none
  idempotent:
    description: Writing the same capture again changes nothing.
    support: full
options:
  data:
    description: The pcap, base64-encoded. Whitespace is ignored; an incomplete last group of characters is dropped.
    type: str
    required: true
  dest:
    description: Path of the file on the controller (C(~) is expanded, relative paths are relative to the directory
      Ansible runs in).
    type: path
    required: true
  mode:
    description: File mode (octal). Captures hold the pod's traffic, so by default only the owner may read them.
    type: raw
    default: "0600"
notes:
  - Only classic pcap (what C(tcpdump -w) writes) is accepted; pcapng is refused.
seealso:
  - module: kdebug.toolkit.kdebug_exec
"""

EXAMPLES = r"""
- name: Capture 20 packets in a pod
  kdebug.toolkit.kdebug_exec:
    pod: api-7d9f
    namespace: shop
    shell: timeout -s INT 10 tcpdump -i any -U -c 20 -w - 'tcp port 8080' | base64
    timeout: 40
  register: capture
  no_log: true  # the capture is the pod's traffic

- name: Save it on the controller
  kdebug.toolkit.pcap_save:
    data: "{{ capture.stdout }}"
    dest: captures/api-7d9f.pcap
  no_log: true
"""

RETURN = r"""
dest:
  description: Absolute path of the file.
  returned: always
  type: str
size:
  description: Bytes written.
  returned: when the data is a pcap
  type: int
sha256:
  description: SHA-256 of the file.
  returned: when the data is a pcap
  type: str
packets:
  description: Number of packets in the file.
  returned: when the data is a pcap
  type: int
link_type:
  description: The pcap link type number (1 Ethernet, 113 Linux cooked, 276 Linux cooked v2...).
  returned: when the data is a pcap
  type: int
link_type_name:
  description: Its name, for example C(LINUX_SLL2).
  returned: when the data is a pcap
  type: str
snaplen:
  description: The snapshot length in the header.
  returned: when the data is a pcap
  type: int
precision:
  description: Timestamp precision, C(microseconds) or C(nanoseconds).
  returned: when the data is a pcap
  type: str
trimmed_bytes:
  description: Bytes of an incomplete last record that were dropped.
  returned: when the data is a pcap
  type: int
cut:
  description: The data ended in the middle of a record or of a base64 group (it was cut by a size limit).
  returned: when the data is a pcap
  type: bool
"""
