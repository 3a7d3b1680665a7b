# -*- coding: utf-8 -*-
"""kdebug.toolkit.dns_check_names / dns_check_results, table-driven on real probe output.

The *_STDOUT samples are the stdout of roles/dns_check/files/dns_probe.sh run by kdebug_exec in the lab
(kdebug.local/tools:1, dig 9.18): web (Service web, plus example.com, which the lab's CoreDNS answers NXDOMAIN),
dns-broken (nameserver 10.244.0.253 does not answer), noshell through the agent, and two pods made for the
purpose: odd-dns (nameservers: a stub DNS server answering SERVFAIL, slow, NODATA and a wildcard under the search
domain corp.example; and the unreachable 10.244.0.253) and many-search (7 search domains, ndots 2, nameserver
127.0.0.1 where nothing listens). They were captured when the probe printed dig's text output in its own
``@@@`` framing, and rewritten into today's format (plugins/plugin_utils/probe.py, dig +yaml) field for field:
each dig answer's status, id, flags, counts, records and query time became the YAML dig 9.18 prints for it (as
REAL_YAML below shows, less the keys the probe drops), and each unanswered nameserver's first error lines its
transport section. The probe script itself is also run here, with dash and busybox ash, against a stand-in dig;
tests/integration/roles/test_dns_check.py runs it for real.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import subprocess

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import dns_check
from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.verdict import verdict

PROBE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                     "roles", "dns_check", "files", "dns_probe.sh"))


def target(namespace, pod, container, node="kdebug-lab", pid=None):
    return {"namespace": namespace, "pod": pod, "container": container, "container_id": "containerd://0123abcd",
            "node": node, "pid": pid}


WEB_TARGET = target("kdebug-demo", "web-68b79bb664-2xkrg", "web")
DNS_BROKEN_TARGET = target("kdebug-demo", "dns-broken", "app")
NOSHELL_AGENT_TARGET = target("kdebug-demo", "noshell", "app", pid=22307)
ODD_TARGET = target("kdebug-dnsw-sample", "odd-dns", "app")
MANY_SEARCH_TARGET = target("kdebug-dnsw-sample", "many-search", "app")

WEB_STDOUT = """\
@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1
@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf
search kdebug-demo.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
@@kdebug names
kubernetes.default.svc.cluster.local
example.com
@@kdebug search-names
kubernetes.default
@@kdebug search-domains
kdebug-demo.svc.cluster.local
svc.cluster.local
cluster.local
@@kdebug addresses
10.244.0.7
@@kdebug services
web.kdebug-demo.svc.cluster.local
@@kdebug primary\tserver=10.96.0.10
@@kdebug query\tid=1\tkind=name\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 7811
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1'
@@kdebug query\tid=2\tkind=name\ttype=A\tserver=10.96.0.10\tname=example.com\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 22665
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=3\tkind=ptr\ttype=PTR\tserver=10.96.0.10\tname=10.244.0.7\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 24965
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      ANSWER_SECTION:
        - '7.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-7.web.kdebug-demo.svc.cluster.local.'
@@kdebug query\tid=4\tkind=name\ttype=A\tserver=10.96.0.10\tname=web.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 46271
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      ANSWER_SECTION:
        - 'web.kdebug-demo.svc.cluster.local. 30 IN A 10.96.163.58'
@@kdebug query\tid=5\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 58892
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=6\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 36507
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=7\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 43124
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=8\tkind=search\ttype=A\tserver=10.96.0.10\tname=example.com.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 12173
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=9\tkind=search\ttype=A\tserver=10.96.0.10\tname=example.com.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 13924
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=10\tkind=search\ttype=A\tserver=10.96.0.10\tname=example.com.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 7395
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=11\tkind=search\ttype=A\tserver=10.96.0.10\tname=web.kdebug-demo.svc.cluster.local.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 46414
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=12\tkind=search\ttype=A\tserver=10.96.0.10\tname=web.kdebug-demo.svc.cluster.local.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 36161
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=13\tkind=search\ttype=A\tserver=10.96.0.10\tname=web.kdebug-demo.svc.cluster.local.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 5601
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=14\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 19398
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=15\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 65441
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=16\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 35683
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug end
"""


DNS_BROKEN_STDOUT = """\
@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1
@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf
search kdebug-demo.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.244.0.253
options ndots:5
@@kdebug names
kubernetes.default.svc.cluster.local
@@kdebug search-names
kubernetes.default
@@kdebug search-domains
kdebug-demo.svc.cluster.local
svc.cluster.local
cluster.local
@@kdebug addresses
10.244.0.5
@@kdebug services
@@kdebug primary\tserver=
@@kdebug query\tid=1\tkind=name\ttype=A\tserver=10.244.0.253\tname=kubernetes.default.svc.cluster.local\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=2\tkind=ptr\ttype=PTR\tserver=10.244.0.253\tname=10.244.0.5\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug transport\tserver=10.244.0.253\texit=9
;; communications error to 10.244.0.253#53: timed out
;; no servers could be reached
@@kdebug end
"""


NOSHELL_AGENT_STDOUT = """\
@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1
@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf
search kdebug-demo.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
@@kdebug names
kubernetes.default.svc.cluster.local
@@kdebug search-names
kubernetes.default
@@kdebug search-domains
kdebug-demo.svc.cluster.local
svc.cluster.local
cluster.local
@@kdebug addresses
10.244.0.4
@@kdebug services
@@kdebug primary\tserver=10.96.0.10
@@kdebug query\tid=1\tkind=name\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 7301
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local. 21 IN A 10.96.0.1'
@@kdebug query\tid=2\tkind=ptr\ttype=PTR\tserver=10.96.0.10\tname=10.244.0.4\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 48467
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=3\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 15961
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=4\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.024Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 10024
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=5\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.024Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 20307
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=6\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 29780
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=7\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.kdebug-demo.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 54421
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=8\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 41084
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug end
"""


ODD_STDOUT = """\
@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1
@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf
search kdebug-dnsw-sample.svc.cluster.local svc.cluster.local cluster.local corp.example
nameserver 10.244.0.1
nameserver 10.244.0.253
options ndots:5 timeout:2
@@kdebug names
kubernetes.default.svc.cluster.local
example.com
servfail.example.org
slow.example.org
nodata.example.org
@@kdebug search-names
kubernetes.default
@@kdebug search-domains
kdebug-dnsw-sample.svc.cluster.local
svc.cluster.local
cluster.local
corp.example
@@kdebug addresses
10.244.0.13
@@kdebug services
@@kdebug primary\tserver=10.244.0.1
@@kdebug query\tid=1\tkind=name\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 13876
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1'
@@kdebug query\tid=2\tkind=name\ttype=A\tserver=10.244.0.1\tname=example.com\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 39580
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=3\tkind=name\ttype=A\tserver=10.244.0.1\tname=servfail.example.org\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: SERVFAIL
      id: 35454
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=4\tkind=name\ttype=A\tserver=10.244.0.1\tname=slow.example.org\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.800Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 19966
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'slow.example.org. 30 IN A 10.0.0.9'
@@kdebug query\tid=5\tkind=name\ttype=A\tserver=10.244.0.1\tname=nodata.example.org\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 42362
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=6\tkind=ptr\ttype=PTR\tserver=10.244.0.1\tname=10.244.0.13\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 53744
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=7\tkind=name\ttype=A\tserver=10.244.0.253\tname=kubernetes.default.svc.cluster.local\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=8\tkind=name\ttype=A\tserver=10.244.0.253\tname=example.com\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=9\tkind=name\ttype=A\tserver=10.244.0.253\tname=servfail.example.org\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=10\tkind=name\ttype=A\tserver=10.244.0.253\tname=slow.example.org\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=11\tkind=name\ttype=A\tserver=10.244.0.253\tname=nodata.example.org\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=12\tkind=ptr\ttype=PTR\tserver=10.244.0.253\tname=10.244.0.13\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=13\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.svc.cluster.local.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.080Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 15298
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=14\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.svc.cluster.local.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 2237
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=15\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.svc.cluster.local.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 55362
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=16\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.svc.cluster.local.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 16711
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local.corp.example. 30 IN A 10.0.0.99'
@@kdebug query\tid=17\tkind=search\ttype=A\tserver=10.244.0.1\tname=example.com.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 10196
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=18\tkind=search\ttype=A\tserver=10.244.0.1\tname=example.com.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 41995
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=19\tkind=search\ttype=A\tserver=10.244.0.1\tname=example.com.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 62657
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=20\tkind=search\ttype=A\tserver=10.244.0.1\tname=example.com.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.028Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 23585
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'example.com.corp.example. 30 IN A 10.0.0.99'
@@kdebug query\tid=21\tkind=search\ttype=A\tserver=10.244.0.1\tname=servfail.example.org.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: SERVFAIL
      id: 24173
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=22\tkind=search\ttype=A\tserver=10.244.0.1\tname=servfail.example.org.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: SERVFAIL
      id: 18999
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=23\tkind=search\ttype=A\tserver=10.244.0.1\tname=servfail.example.org.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: SERVFAIL
      id: 7055
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=24\tkind=search\ttype=A\tserver=10.244.0.1\tname=servfail.example.org.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: SERVFAIL
      id: 51285
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=25\tkind=search\ttype=A\tserver=10.244.0.1\tname=slow.example.org.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.800Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 21051
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'slow.example.org.kdebug-dnsw-sample.svc.cluster.local. 30 IN A 10.0.0.9'
@@kdebug query\tid=26\tkind=search\ttype=A\tserver=10.244.0.1\tname=slow.example.org.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.800Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 26875
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'slow.example.org.svc.cluster.local. 30 IN A 10.0.0.9'
@@kdebug query\tid=27\tkind=search\ttype=A\tserver=10.244.0.1\tname=slow.example.org.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.800Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 59442
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'slow.example.org.cluster.local. 30 IN A 10.0.0.9'
@@kdebug query\tid=28\tkind=search\ttype=A\tserver=10.244.0.1\tname=slow.example.org.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.800Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 54675
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'slow.example.org.corp.example. 30 IN A 10.0.0.9'
@@kdebug query\tid=29\tkind=search\ttype=A\tserver=10.244.0.1\tname=nodata.example.org.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 45827
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=30\tkind=search\ttype=A\tserver=10.244.0.1\tname=nodata.example.org.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.084Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 14755
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=31\tkind=search\ttype=A\tserver=10.244.0.1\tname=nodata.example.org.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 58727
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=32\tkind=search\ttype=A\tserver=10.244.0.1\tname=nodata.example.org.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 30268
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=33\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 44993
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=34\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 2243
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=35\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.cluster.local\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 40784
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 0
@@kdebug query\tid=36\tkind=search\ttype=A\tserver=10.244.0.1\tname=kubernetes.default.corp.example\texit=0
- type: MESSAGE
  message:
    type: RECURSIVE_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.244.0.1"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 24753
      flags: qr rd ra
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 0
      ANSWER_SECTION:
        - 'kubernetes.default.corp.example. 30 IN A 10.0.0.99'
@@kdebug transport\tserver=10.244.0.253\texit=9
;; communications error to 10.244.0.253#53: timed out
;; no servers could be reached
@@kdebug end
"""


MANY_SEARCH_STDOUT = """\
@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1
@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf
search kdebug-dnsw-sample.svc.cluster.local svc.cluster.local cluster.local a.example b.example c.example d.example
nameserver 127.0.0.1
nameserver 10.96.0.10
options ndots:2
@@kdebug names
kubernetes.default.svc.cluster.local
@@kdebug search-names
kubernetes.default
@@kdebug search-domains
kdebug-dnsw-sample.svc.cluster.local
svc.cluster.local
cluster.local
a.example
b.example
c.example
d.example
@@kdebug addresses
10.244.0.31
@@kdebug services
@@kdebug primary\tserver=10.96.0.10
@@kdebug query\tid=1\tkind=name\ttype=A\tserver=127.0.0.1\tname=kubernetes.default.svc.cluster.local\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=2\tkind=ptr\ttype=PTR\tserver=127.0.0.1\tname=10.244.0.31\texit=9
- type: DIG_ERROR
  message: |
    no servers could be reached
@@kdebug query\tid=3\tkind=name\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 30571
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1'
@@kdebug query\tid=4\tkind=ptr\ttype=PTR\tserver=10.96.0.10\tname=10.244.0.31\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 36910
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=5\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 35300
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=6\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 14775
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=7\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 1183
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=8\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.a.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 11760
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=9\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.b.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 21238
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=10\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.c.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.008Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 17859
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=11\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local.d.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 21694
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=12\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 24156
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=13\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.kdebug-dnsw-sample.svc.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 8196
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=14\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.cluster.local\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 59894
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 1
      ADDITIONAL: 1
@@kdebug query\tid=15\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.a.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 54469
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=16\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.b.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 24649
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=17\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.c.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.012Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 57984
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug query\tid=18\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.d.example\texit=0
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-27T10:00:00.000Z
    response_time: !!timestamp 2026-11-27T10:00:00.004Z
    response_address: "10.96.0.10"
    response_message_data:
      opcode: QUERY
      status: NXDOMAIN
      id: 63257
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 0
      AUTHORITY: 0
      ADDITIONAL: 1
@@kdebug transport\tserver=127.0.0.1\texit=9
;; communications error to 127.0.0.1#53: connection refused
;; no servers could be reached
@@kdebug end
"""


def exec_result(stdout, tgt, rc=0, **extra):
    result = {"changed": False, "failed": False, "rc": rc, "stdout": stdout, "stderr": "", "timed_out": False,
              "truncated": False, "duration_ms": 1200, "strategy": "ephemeral", "target": tgt}
    result.update(extra)
    return result


def by_name(checks):
    return dict((c["name"], c) for c in checks)


def run(stdout, tgt, **kwargs):
    checks = dns_check.dns_check_results(exec_result(stdout, tgt), **kwargs)
    assert validate_checks(checks)  # every check is a valid result (docs/result-schema.md)
    return checks


WEB_NAMES = [{"name": "kubernetes.default.svc.cluster.local", "kind": "kubernetes"},
             {"name": "example.com", "kind": "external"}, {"name": "kubernetes.default", "kind": "short"}]

# (sample, target, filter kwargs, {check name: (status, [substrings of the summary])}, check names in order)
CASES = [
    ("web", WEB_STDOUT, WEB_TARGET, {"names": WEB_NAMES}, {
        "DNS resolv.conf": ("pass", ["nameserver 10.96.0.10", "3 domains in the search list, ndots 5",
                                     "3 extra queries"]),
        "DNS nameserver 10.96.0.10": ("pass", ["nameserver 10.96.0.10 answers"]),
        "DNS name kubernetes.default.svc.cluster.local": ("pass", ["10.96.0.1 from 10.96.0.10 in 0 ms"]),
        "DNS name example.com": ("fail", ["example.com: NXDOMAIN from 10.96.0.10"]),
        "DNS name web.kdebug-demo.svc.cluster.local": ("pass", ["10.96.163.58 from 10.96.0.10"]),
        "DNS search list": ("pass", ["kubernetes.default resolves as kubernetes.default.svc.cluster.local",
                                     "take 3 extra queries through the search list first (ndots 5)"]),
    }, ["DNS resolv.conf", "DNS nameserver 10.96.0.10", "DNS name kubernetes.default.svc.cluster.local",
        "DNS name example.com", "DNS name web.kdebug-demo.svc.cluster.local", "DNS search list"]),
    ("dns-broken", DNS_BROKEN_STDOUT, DNS_BROKEN_TARGET, {}, {
        "DNS resolv.conf": ("pass", ["nameserver 10.244.0.253"]),
        "DNS nameserver 10.244.0.253": ("fail", ["nameserver 10.244.0.253 does not answer: timed out after 2 s "
                                                 "(2 queries)"]),
        "DNS name kubernetes.default.svc.cluster.local": ("fail", ["no answer from 10.244.0.253 (timed out)"]),
        "DNS search list": ("skipped", ["no nameserver answered"]),
    }, None),
    ("noshell through the agent", NOSHELL_AGENT_STDOUT, NOSHELL_AGENT_TARGET, {}, {
        "DNS resolv.conf": ("pass", ["ndots 5"]),
        "DNS nameserver 10.96.0.10": ("pass", ["answers: 8 queries"]),
        "DNS name kubernetes.default.svc.cluster.local": ("pass", ["10.96.0.1 from 10.96.0.10"]),
        "DNS search list": ("pass", ["kubernetes.default resolves as kubernetes.default.svc.cluster.local"]),
    }, None),
    ("odd-dns", ODD_STDOUT, ODD_TARGET, {}, {
        "DNS resolv.conf": ("pass", ["nameservers 10.244.0.1, 10.244.0.253", "4 domains in the search list"]),
        "DNS nameserver 10.244.0.1": ("pass", ["answers"]),
        "DNS nameserver 10.244.0.253": ("fail", ["does not answer: timed out after 2 s (6 queries)"]),
        "DNS name kubernetes.default.svc.cluster.local": ("fail", ["no answer from 10.244.0.253 (timed out)"]),
        "DNS name example.com": ("fail", ["NXDOMAIN from 10.244.0.1", "no answer from 10.244.0.253"]),
        "DNS name servfail.example.org": ("fail", ["SERVFAIL from 10.244.0.1"]),
        "DNS name slow.example.org": ("fail", ["slow answer from 10.244.0.1: 800 ms (more than 500 ms)"]),
        "DNS name nodata.example.org": ("fail", ["NODATA (NOERROR, no record) from 10.244.0.1"]),
        "DNS search list": ("fail", [
            "kubernetes.default.svc.cluster.local resolves as kubernetes.default.svc.cluster.local.corp.example "
            "(10.0.0.99), not as itself: search domain corp.example answers first (ndots 5, the name has 4 dots)",
            "example.com resolves as example.com.corp.example (10.0.0.99)",
            "servfail.example.org: SERVFAIL through the search list",
            "slow.example.org takes 800 ms through the search list"]),
    }, None),
    ("many-search", MANY_SEARCH_STDOUT, MANY_SEARCH_TARGET, {}, {
        "DNS resolv.conf": ("fail", ["7 domains in the search list, more than 6"]),
        "DNS nameserver 127.0.0.1": ("fail", ["nameserver 127.0.0.1 does not answer: connection refused (2 queries)"]),
        "DNS nameserver 10.96.0.10": ("pass", []),
        "DNS name kubernetes.default.svc.cluster.local": ("fail", ["no answer from 127.0.0.1 (connection refused)"]),
        "DNS search list": ("pass", ["kubernetes.default resolves as kubernetes.default.svc.cluster.local"]),
    }, None),
    ("web, a lower search-domain limit", WEB_STDOUT, WEB_TARGET, {"max_search_domains": 2}, {
        "DNS resolv.conf": ("fail", ["3 domains in the search list, more than 2"]),
    }, None),
    ("odd-dns, slow answers allowed", ODD_STDOUT, ODD_TARGET, {"slow_ms": 1000}, {
        "DNS name slow.example.org": ("fail", ["no answer from 10.244.0.253"]),
    }, None),
]


@pytest.mark.parametrize("label, stdout, tgt, kwargs, expected, order", CASES, ids=[c[0] for c in CASES])
def test_checks_from_real_probe_output(label, stdout, tgt, kwargs, expected, order):
    checks = run(stdout, tgt, **kwargs)
    found = by_name(checks)
    for name, (status, parts) in expected.items():
        assert name in found, "%s: no check %r in %s" % (label, name, sorted(found))
        assert found[name]["status"] == status, found[name]
        for part in parts:
            assert part in found[name]["summary"], (part, found[name]["summary"])
    if order:
        assert [c["name"] for c in checks] == order
    for check in checks:
        assert check["target"] == tgt
    if "slow_ms" in kwargs:
        assert "slow answer" not in found["DNS name slow.example.org"]["summary"]


def test_name_check_details_and_evidence():
    found = by_name(run(ODD_STDOUT, ODD_TARGET))
    slow = found["DNS name slow.example.org"]
    assert slow["details"]["results"] == [
        {"nameserver": "10.244.0.1", "result": "NOERROR", "rcode": "NOERROR", "addresses": ["10.0.0.9"],
         "latency_ms": 800},
        {"nameserver": "10.244.0.253", "result": "timed out", "rcode": None, "addresses": [], "latency_ms": None}]
    assert slow["details"]["slow_ms"] == 500 and slow["details"]["type"] == "A"
    assert slow["duration_ms"] == 800
    assert [e["label"] for e in slow["evidence"]] == [
        "dig @10.244.0.1 slow.example.org A", "dig @10.244.0.253 slow.example.org A"]
    assert "response_time: !!timestamp 2026-11-27T10:00:00.800Z" in slow["evidence"][0]["text"]
    assert ";; communications error to 10.244.0.253#53: timed out" in slow["evidence"][1]["text"]
    servfail = found["DNS name servfail.example.org"]["details"]["results"][0]
    assert servfail["rcode"] == "SERVFAIL" and servfail["addresses"] == []


def test_search_list_details_follow_the_resolver():
    found = by_name(run(ODD_STDOUT, ODD_TARGET))
    names = dict((n["name"], n) for n in found["DNS search list"]["details"]["names"])
    hijacked = names["kubernetes.default.svc.cluster.local"]
    assert hijacked["resolved_as"] == "kubernetes.default.svc.cluster.local.corp.example"
    assert [step["name"] for step in hijacked["path"]] == [
        "kubernetes.default.svc.cluster.local.kdebug-dnsw-sample.svc.cluster.local",
        "kubernetes.default.svc.cluster.local.svc.cluster.local",
        "kubernetes.default.svc.cluster.local.cluster.local",
        "kubernetes.default.svc.cluster.local.corp.example"]
    assert [step["result"] for step in hijacked["path"]] == ["NXDOMAIN", "NXDOMAIN", "NXDOMAIN", "NOERROR"]
    short = names["kubernetes.default"]
    assert short["kind"] == "short name"
    # kubernetes.default.svc.cluster.local comes before corp.example in the search list
    assert short["resolved_as"] == "kubernetes.default.svc.cluster.local" and short["queries"] == 2
    assert found["DNS search list"]["details"]["nameserver"] == "10.244.0.1"
    web = by_name(run(WEB_STDOUT, WEB_TARGET))["DNS search list"]
    evidence = dict((e["label"], e["text"]) for e in web["evidence"])
    assert evidence["kubernetes.default"].splitlines() == [
        "kubernetes.default.kdebug-demo.svc.cluster.local NXDOMAIN 0 ms",
        "kubernetes.default.svc.cluster.local NOERROR 10.96.0.1 0 ms"]


def test_resolv_conf_check_details():
    found = by_name(run(WEB_STDOUT, WEB_TARGET))
    resolv = found["DNS resolv.conf"]
    assert resolv["details"]["nameservers"] == ["10.96.0.10"]
    assert resolv["details"]["search"] == ["kdebug-demo.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    assert resolv["details"]["ndots"] == 5
    assert resolv["details"]["extra_queries_for_outside_names"] == 3
    assert resolv["evidence"] == [{"label": "/proc/1/root/etc/resolv.conf", "text": (
        "search kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
        "options ndots:5\n")}]


def probe_output(resolv, queries=(), primary=None, names="", search_names="", domains=None, end=True):
    """A probe output in the script's format, for cases the lab cannot show. A query that got no reply (exit code
    9) has its nameserver's transport section, as the probe prints it: timed out."""
    conf = dns_check.parse_resolv_conf(resolv)
    lines = ["@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=0",
             "@@kdebug resolv\tpath=/etc/resolv.conf"] + resolv.rstrip("\n").splitlines()
    lines += ["@@kdebug names"] + names.split() + ["@@kdebug search-names"] + search_names.split()
    lines += ["@@kdebug search-domains"] + (conf["search"] if domains is None else domains)
    lines += ["@@kdebug primary\tserver=" + (primary or "")]
    unanswered = []
    for n, (server, name, dig_lines, code) in enumerate(queries, 1):
        lines.append("@@kdebug query\tid=%d\tkind=name\ttype=A\tserver=%s\tname=%s\texit=%s" % (n, server, name, code))
        lines += dig_lines
        if code == 9 and server not in unanswered:
            unanswered.append(server)
    for server in unanswered:
        lines += ["@@kdebug transport\tserver=%s\texit=9" % server] + timed_out_text(server)
    if end:
        lines.append("@@kdebug end")
    return "\n".join(lines) + "\n"


def answer(rcode, name="kubernetes.default.svc.cluster.local", address=None, msec=0, server="10.96.0.10"):
    """dig +yaml's output (as the probe trims it) for one answer."""
    lines = ["- type: MESSAGE", "  message:", "    type: AUTH_RESPONSE",
             "    query_time: !!timestamp 2026-11-27T10:00:00.000Z",
             "    response_time: !!timestamp 2026-11-27T10:00:%02d.%03dZ" % (msec // 1000, msec % 1000),
             '    response_address: "%s"' % server, "    response_message_data:", "      opcode: QUERY",
             "      status: %s" % rcode, "      id: 4776", "      flags: qr aa rd", "      QUESTION: 1",
             "      ANSWER: %d" % (1 if address else 0), "      AUTHORITY: 0", "      ADDITIONAL: 1"]
    if address:
        lines += ["      ANSWER_SECTION:", "        - '%s. 30 IN A %s'" % (name, address)]
    return lines


def timed_out_text(server):
    """What dig without +yaml says about a nameserver that does not answer."""
    return [";; communications error to %s#53: timed out" % server, ";; no servers could be reached"]


KUBE = "kubernetes.default.svc.cluster.local"
# dig +yaml when no reply came: why is in the probe's transport section (timed_out_text)
TIMED_OUT = ["- type: DIG_ERROR", "  message: |", "    no servers could be reached"]

SYNTHETIC = [
    ("no nameserver", "search svc.cluster.local\noptions ndots:5\n", [], None, {
        "DNS resolv.conf": ("fail", ["no nameserver is listed (resolvers then ask 127.0.0.1)"]),
        "DNS name " + KUBE: ("error", ["no nameserver to ask"]),
        "DNS search list": ("skipped", [])}),
    ("a hostname as nameserver", "nameserver dns.internal\nnameserver 10.96.0.10\n",
     [("10.96.0.10", KUBE, answer("NOERROR", address="10.96.0.1"), 0)], "10.96.0.10", {
         "DNS resolv.conf": ("fail", ["nameserver dns.internal is not an IP address: resolvers ignore it"]),
         "DNS name " + KUBE: ("pass", [])}),
    ("four nameservers", "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n",
     [(ns, KUBE, answer("NOERROR", address="10.96.0.1", server=ns), 0)
      for ns in ("10.0.0.1", "10.0.0.2", "10.0.0.3")], "10.0.0.1", {
         "DNS resolv.conf": ("fail", ["4 nameservers, resolvers only use the first 3: 10.0.0.4 never asked"]),
         "DNS nameserver 10.0.0.3": ("pass", []),
         "DNS name " + KUBE: ("pass", ["10.96.0.1 from 10.0.0.1 in 0 ms; 10.96.0.1 from 10.0.0.2"])}),
    ("REFUSED everywhere", "nameserver 10.96.0.10\n", [("10.96.0.10", KUBE, answer("REFUSED"), 0)], "10.96.0.10", {
        "DNS nameserver 10.96.0.10": ("fail", ["refuses every query (REFUSED)"]),
        "DNS name " + KUBE: ("fail", [KUBE + ": REFUSED from 10.96.0.10"])}),
    ("a nameserver that misses some queries", "nameserver 10.96.0.10\n",
     [("10.96.0.10", KUBE, answer("NOERROR", address="10.96.0.1"), 0),
      ("10.96.0.10", "web.default.svc.cluster.local", TIMED_OUT, 9)], "10.96.0.10", {
          "DNS nameserver 10.96.0.10": ("fail", ["did not answer 1 of 2 queries (timed out): "
                                                 "web.default.svc.cluster.local"]),
          "DNS name web.default.svc.cluster.local": ("fail", ["no answer from 10.96.0.10 (timed out)"])}),
    ("no search list", "nameserver 10.96.0.10\n",
     [("10.96.0.10", KUBE, answer("NOERROR", address="10.96.0.1"), 0),
      ("10.96.0.10", "kubernetes.default", answer("NXDOMAIN"), 0)], "10.96.0.10", {
          "DNS resolv.conf": ("pass", ["no search list"]),
          "DNS search list": ("fail", [
              "kubernetes.default does not resolve through the search list (kubernetes.default NXDOMAIN)"])}),
    ("a timeout stops the search list", "search a.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\n"
     "options ndots:5\n",
     [("10.96.0.10", KUBE, answer("NOERROR", address="10.96.0.1"), 0),
      ("10.96.0.10", "kubernetes.default.a.svc.cluster.local", TIMED_OUT, 9),
      ("10.96.0.10", KUBE + ".a.svc.cluster.local", answer("NXDOMAIN"), 0),
      ("10.96.0.10", KUBE + ".svc.cluster.local", answer("NXDOMAIN", msec=700), 0)], "10.96.0.10", {
          "DNS search list": ("fail", [
              "kubernetes.default: the query for kubernetes.default.a.svc.cluster.local timed out, the resolver "
              "gives up there",
              KUBE + " takes 700 ms through the search list (3 queries, more than 500 ms)"])}),
    ("a name ending with a dot skips the search list", "search svc.cluster.local\nnameserver 10.96.0.10\n"
     "options ndots:5\n", [("10.96.0.10", KUBE + ".", answer("NOERROR", address="10.96.0.1"), 0)], "10.96.0.10", {
         "DNS name " + KUBE + ".": ("pass", []),
         "DNS search list": ("pass", ["kubernetes.default resolves as kubernetes.default.svc.cluster.local"])}),
]


@pytest.mark.parametrize("label, resolv, queries, primary, expected", SYNTHETIC, ids=[c[0] for c in SYNTHETIC])
def test_checks_from_made_up_probe_output(label, resolv, queries, primary, expected):
    names = sorted(set(q[1] for q in queries if not q[1].startswith("kubernetes.default.a")
                       and not q[1].endswith((".a.svc.cluster.local", ".svc.cluster.local.svc.cluster.local"))))
    names = [n for n in names if n != "kubernetes.default"] or [KUBE]
    stdout = probe_output(resolv, queries, primary, names=" ".join(names), search_names="kubernetes.default")
    found = by_name(run(stdout, WEB_TARGET))
    for name, (status, parts) in expected.items():
        assert name in found, "%s: no check %r in %s" % (label, name, sorted(found))
        assert found[name]["status"] == status, found[name]
        for part in parts:
            assert part in found[name]["summary"], (part, found[name]["summary"])


TARGET_VARS = {"namespace": "kdebug-demo", "pod": "nope", "container": ""}

ERRORS = [
    ("the pod cannot be joined",
     {"changed": False, "failed": False, "failed_when_result": False, "exception": "(traceback unavailable)",
      "msg": "pod nope not found in namespace kdebug-demo: check the pod name (kubectl get pods -n kdebug-demo)."},
     "DNS check", "error", "pod nope not found in namespace kdebug-demo", TARGET_VARS),
    ("a message that does not name the pod",
     {"failed": True, "msg": "Unauthorized"}, "DNS check", "error", "kdebug-demo/nope: Unauthorized", TARGET_VARS),
    ("no exit code", {"rc": None, "stdout": "", "stderr": "", "msg": "the command did not run to an exit code: EOF",
                      "target": WEB_TARGET},
     "DNS check", "error", "the command did not run to an exit code: EOF", WEB_TARGET),
    ("no shell in the tools image",
     exec_result("", WEB_TARGET, rc=127, stderr="env: 'sh': No such file or directory\n"),
     "DNS check", "error", "the DNS probe failed (rc 127): env: 'sh': No such file or directory", WEB_TARGET),
    ("the probe timed out",
     exec_result("@@kdebug dns-probe\tversion=2\n", WEB_TARGET, rc=124, timed_out=True),
     "DNS check", "error", "the DNS probe timed out", WEB_TARGET),
    ("no dig in the image",
     exec_result("@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1\n"
                 "@@kdebug fatal\tmessage=dig is not installed in the tools image (the role needs dig, from "
                 "bind-tools/dnsutils)\n@@kdebug end\n", WEB_TARGET, rc=3),
     "DNS check", "error", "dig is not installed in the tools image", WEB_TARGET),
    ("resolv.conf cannot be read",
     exec_result("@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1\n"
                 "@@kdebug resolv-error\tpath=/proc/1/root/etc/resolv.conf\n"
                 "cat: can't open '/proc/1/root/etc/resolv.conf': Permission denied\n@@kdebug end\n", WEB_TARGET),
     "DNS resolv.conf", "error",
     "cannot read /proc/1/root/etc/resolv.conf: cat: can't open '/proc/1/root/etc/resolv.conf': Permission denied",
     WEB_TARGET),
    ("a dig without +yaml",
     exec_result(probe_output("nameserver 10.96.0.10\n", [("10.96.0.10", KUBE, ["Invalid option: +yaml", "Usage:"], 1)],
                              names=KUBE), WEB_TARGET),
     "DNS check", "error", "the tools image's dig has no +yaml output (BIND 9.14 or later has it): Invalid option: "
     "+yaml; use a tools image with a newer dig (dns_check_image)", WEB_TARGET),
    ("check mode",
     {"changed": True, "plan": {"would_create": True}, "msg": "check mode: nothing was created or run",
      "stdout": "", "target": WEB_TARGET},
     "DNS check", "skipped", "not run (check mode): check mode: nothing was created or run", WEB_TARGET),
]


@pytest.mark.parametrize("label, result, name, status, summary, tgt", ERRORS, ids=[c[0] for c in ERRORS])
def test_a_probe_that_cannot_run_is_one_check(label, result, name, status, summary, tgt):
    checks = dns_check.dns_check_results(result, target=TARGET_VARS)
    assert validate_checks(checks)
    assert len(checks) == 1
    assert checks[0]["name"] == name and checks[0]["status"] == status
    assert summary in checks[0]["summary"]
    assert checks[0]["target"] == tgt


def test_cut_short_output_is_marked_and_unasked_names_are_errors():
    stdout = WEB_STDOUT.split("@@kdebug query\tid=2\t", maxsplit=1)[0]
    checks = dns_check.dns_check_results(exec_result(stdout, WEB_TARGET, truncated=True))
    found = by_name(checks)
    assert found["DNS name kubernetes.default.svc.cluster.local"]["status"] == "pass"
    assert found["DNS name example.com"]["status"] == "error"
    assert "the probe did not ask it" in found["DNS name example.com"]["summary"]
    assert all(c["details"]["probe_incomplete"] == "rc 0, output truncated" for c in checks)


def test_without_any_target_checks_have_none():
    result = exec_result(WEB_STDOUT, None)
    del result["target"]
    assert all("target" not in c for c in dns_check.dns_check_results(result))


@pytest.mark.parametrize("kwargs, message", [
    ({"slow_ms": "fast"}, "slow_ms must be a number"),
    ({"max_search_domains": -1}, "max_search_domains must be at least 0"),
    ({"names": "web"}, "names must be a list"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        dns_check.dns_check_results(exec_result(WEB_STDOUT, WEB_TARGET), **kwargs)
    with pytest.raises(AnsibleFilterError, match="expected the registered kdebug_exec result"):
        dns_check.dns_check_results("not a result")


# --- parsing -----------------------------------------------------------------------------------------------------

# dig 9.18's +yaml output as it prints it (the probe drops the keys nobody reads), from the lab.
REAL_YAML = """\
- type: MESSAGE
  message:
    type: AUTH_RESPONSE
    query_time: !!timestamp 2026-11-30T22:24:43.722Z
    response_time: !!timestamp 2026-11-30T22:24:43.726Z
    message_size: 52b
    socket_family: INET
    socket_protocol: UDP
    response_address: "10.96.0.10"
    response_port: 53
    query_address: "0.0.0.0"
    query_port: 0
    response_message_data:
      opcode: QUERY
      status: NOERROR
      id: 57329
      flags: qr aa rd
      QUESTION: 1
      ANSWER: 1
      AUTHORITY: 0
      ADDITIONAL: 1
      OPT_PSEUDOSECTION:
        EDNS:
          version: 0
          flags:
          udp: 1232
          COOKIE: 1349560bfe0d9360 (echoed)
      QUESTION_SECTION:
        - 'kubernetes.default.svc.cluster.local. IN A'
      ANSWER_SECTION:
        - 'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1'
""".splitlines()

DIG = [
    ("answer", answer("NOERROR", address="10.96.0.1", msec=4), 0, None,
     {"result": "answer", "rcode": "NOERROR", "answer_count": 1, "addresses": ["10.96.0.1"], "latency_ms": 4,
      "error": None}),
    ("dig 9.18 as it prints it", REAL_YAML, 0, None,
     {"result": "answer", "rcode": "NOERROR", "answer_count": 1, "addresses": ["10.96.0.1"], "latency_ms": 4}),
    ("NXDOMAIN", answer("NXDOMAIN"), 0, None,
     {"result": "answer", "rcode": "NXDOMAIN", "answer_count": 0, "addresses": [], "latency_ms": 0}),
    ("timed out", TIMED_OUT, 9, timed_out_text("10.244.0.253"),
     {"result": "timeout", "rcode": None, "error": "timed out", "latency_ms": None}),
    ("connection refused", TIMED_OUT, 9, [";; communications error to 127.0.0.1#53: connection refused",
                                          ";; no servers could be reached"],
     {"result": "refused", "error": "connection refused"}),
    ("dig 9.16 timeout", TIMED_OUT, 9, [";; connection timed out; no servers could be reached"],
     {"result": "timeout", "error": "timed out"}),
    ("network unreachable", TIMED_OUT, 9,
     [";; UDP setup with fd00::10#53(fd00::10) for example.com failed: network unreachable.",
      ";; no servers could be reached"],
     {"result": "unreachable", "error": "network unreachable"}),
    ("no reply, no word on why", TIMED_OUT, 9, None, {"result": "error", "error": "no servers could be reached"}),
    ("bad server", ["dig: couldn't get address for 'not-an-ip': not found"], 1, None,
     {"result": "error", "error": "dig: couldn't get address for 'not-an-ip': not found"}),
    ("a dig without +yaml", ["Invalid option: +yaml", "Usage:  dig [@global-server] [domain] [q-type]"], 1, None,
     {"result": "error", "error": "the tools image's dig has no +yaml output (BIND 9.14 or later has it): "
                                  "Invalid option: +yaml"}),
    ("cut in a quoted record", answer("NOERROR", address="10.96.0.1")[:-1] + ["        - 'kubernetes.default.svc"], 0,
     None, {"result": "error", "rcode": None}),
    ("killed", [], None, None, {"result": "error", "error": "no output (the query did not finish)"}),
    ("PTR", ["- type: MESSAGE", "  message:", "    type: AUTH_RESPONSE",
             "    query_time: !!timestamp 2026-11-30T22:24:47.778Z",
             "    response_time: !!timestamp 2026-11-30T22:24:47.778Z", "    response_message_data:",
             "      status: NOERROR", "      ANSWER: 1", "      ANSWER_SECTION:",
             "        - '7.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-7.web.kdebug-demo.svc.cluster.local.'"], 0, None,
     {"result": "answer", "addresses": [], "latency_ms": 0, "records": [
         {"name": "7.0.244.10.in-addr.arpa.", "type": "PTR", "data": "10-244-0-7.web.kdebug-demo.svc.cluster.local."}]}),
]


@pytest.mark.parametrize("label, lines, code, transport, expected", DIG, ids=[c[0] for c in DIG])
def test_parse_dig(label, lines, code, transport, expected):
    parsed = dns_check.parse_dig(lines, code, transport)
    for key, value in expected.items():
        assert parsed[key] == value, (key, parsed)
    if transport and parsed["result"] != "error":  # the evidence keeps dig's own words
        assert parsed["lines"][-len(transport):] == transport


RESOLV = [
    ("kubernetes default", "search a.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
     "options ndots:5\n",
     {"nameservers": ["10.96.0.10"], "search": ["a.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      "ndots": 5, "options": {"ndots": 5}}),
    ("comments, domain after search, options", "# generated\n; also a comment\nsearch x.example\ndomain corp.example.\n"
     "nameserver 10.0.0.1 # inline\noptions ndots:20 timeout:2 attempts:3 rotate single-request-reopen\n"
     "sortlist 10.0.0.0/8\n",
     {"nameservers": ["10.0.0.1"], "search": ["corp.example"], "ndots": 15,
      "options": {"ndots": 20, "timeout": 2, "attempts": 3, "rotate": True, "single-request-reopen": True},
      "unknown": ["sortlist 10.0.0.0/8"]}),
    ("empty", "", {"nameservers": [], "search": [], "ndots": 1, "options": {}}),
]


@pytest.mark.parametrize("label, text, expected", RESOLV, ids=[c[0] for c in RESOLV])
def test_parse_resolv_conf(label, text, expected):
    parsed = dns_check.parse_resolv_conf(text)
    for key, value in expected.items():
        assert parsed[key] == value, (key, parsed)


@pytest.mark.parametrize("name, ndots, domains, expected", [
    ("example.com", 5, ["a.svc", "svc"], ["example.com.a.svc", "example.com.svc", "example.com"]),
    ("example.com", 1, ["a.svc", "svc"], ["example.com", "example.com.a.svc", "example.com.svc"]),
    ("web", 1, ["a.svc"], ["web.a.svc", "web"]),
    ("example.com.", 5, ["a.svc"], ["example.com"]),
    ("example.com", 5, [], ["example.com"]),
])
def test_search_candidates(name, ndots, domains, expected):
    assert dns_check.search_candidates(name, ndots, domains) == expected


def test_parse_probe_sections():
    probe = dns_check.parse_probe(WEB_STDOUT)
    assert probe["header"] and probe["ended"]
    assert probe["params"] == {"timeout": "2", "domain": "cluster.local", "discover": "1"}
    assert probe["resolv_text"].startswith("search kdebug-demo.svc.cluster.local")
    assert probe["names"] == ["kubernetes.default.svc.cluster.local", "example.com"]
    assert probe["search_names"] == ["kubernetes.default"]
    assert probe["addresses"] == ["10.244.0.7"]
    assert probe["services"] == ["web.kdebug-demo.svc.cluster.local"]
    assert probe["primary"] == "10.96.0.10"
    assert [q["id"] for q in probe["queries"]] == list(range(1, len(probe["queries"]) + 1))
    assert probe["queries"][2]["type"] == "PTR"


# --- dns_check_names ---------------------------------------------------------------------------------------------

NAMES = [
    ("defaults", ("kdebug-demo",), {}, [("kubernetes.default.svc.cluster.local", "kubernetes")]),
    ("everything", ("shop",), {"cluster_domain": "corp.local.", "service_names": ["web", "db.data", "x.y.svc.other"],
                               "external_name": "example.com", "names": ["api.example.org", "WEB.shop.svc.corp.local"],
                               "search_names": ["kubernetes.default", "web"]},
     [("kubernetes.default.svc.corp.local", "kubernetes"), ("web.shop.svc.corp.local", "service"),
      ("db.data.svc.corp.local", "service"), ("x.y.svc.other", "service"), ("example.com", "external"),
      ("api.example.org", "name"), ("kubernetes.default", "short"), ("web", "short")]),
    ("an empty cluster domain is cluster.local", ("a",), {"cluster_domain": "", "external_name": "  "},
     [("kubernetes.default.svc.cluster.local", "kubernetes")]),
]


@pytest.mark.parametrize("label, args, kwargs, expected", NAMES, ids=[c[0] for c in NAMES])
def test_dns_check_names(label, args, kwargs, expected):
    assert [(n["name"], n["kind"]) for n in dns_check.dns_check_names(*args, **kwargs)] == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"service_names": ["bad name"]}, "service name 'bad name' is not a DNS name"),
    ({"external_name": "a..b"}, "external name 'a..b' is not a DNS name"),
    ({"names": ["$(reboot)"]}, "is not a DNS name"),
    ({"search_names": ["-x"]}, "search name '-x' is not a DNS name"),
    ({"names": "example.com"}, "names must be a list"),
    ({"cluster_domain": "a b"}, "cluster domain"),
])
def test_dns_check_names_refuses_what_is_not_a_name(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        dns_check.dns_check_names("kdebug-demo", **kwargs)


def test_filters_are_registered():
    assert set(dns_check.FilterModule().filters()) == {"dns_check_names", "dns_check_results"}


# --- the probe script, with a stand-in dig -----------------------------------------------------------------------

FAKE_DIG = """#!/bin/sh
# stand-in dig: @server then queries (-q name -t A | -x addr), asked one after the other as dig does, one YAML item
# each with +yaml (dig's text words without it); logs each query ("server name yaml") and each call ("call N")
yaml=0
for a in "$@"; do
    case $a in @*) server=${a#@} ;; +yaml) yaml=1 ;; esac
done
names=
while [ $# -gt 0 ]; do
    case $1 in -q|-x) names="$names $2"; shift ;; -t) shift ;; -*|+*|@*) ;; *) [ -z "$names" ] && names=" $1" ;; esac
    shift
done
set -- $names
echo "call $#" >>"$FAKE_DIG_LOG"
reply() { # status answer-count [record]
    printf '%s\\n' "- type: MESSAGE" "  message:" "    type: AUTH_RESPONSE" \\
        "    query_time: !!timestamp 2026-11-27T10:00:00.000Z" "    response_time: !!timestamp 2026-11-27T10:00:00.${ms}Z" \\
        "    message_size: 52b" "    response_message_data:" "      status: $1" "      ANSWER: $2"
    [ -n "${3:-}" ] && printf '%s\\n' "      ANSWER_SECTION:" "        - '$3'"
    return 0
}
rc=0
for name in "$@"; do
    echo "$server $name $yaml" >>"$FAKE_DIG_LOG"
    # FAKE_DIG_SLOW_ONCE: that name's first answer takes 700 ms (a busy node), the next ones 3 ms
    ms=003
    if [ "$name" = "${FAKE_DIG_SLOW_ONCE:-}" ] && [ ! -e "$FAKE_DIG_LOG.slow" ]; then : >"$FAKE_DIG_LOG.slow"; ms=700; fi
    case "$server $name" in
        "10.244.0.253 "*)
            # FAKE_DIG_SLOW: like a real nameserver that never answers, each query runs to its timeout (1 s here)
            [ $yaml = 1 ] && [ -n "${FAKE_DIG_SLOW:-}" ] && sleep 1
            if [ $yaml = 1 ]; then printf '%s\\n' "- type: DIG_ERROR" "  message: |" "    no servers could be reached"
            else echo ";; communications error to 10.244.0.253#53: timed out"; echo ";; no servers could be reached"; fi
            rc=9 ;;
        "10.96.0.10 10.244.0.7") reply NOERROR 1 "7.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-7.web.demo.svc.cluster.local."; rc=0 ;;
        "10.96.0.10 kubernetes.default.svc.cluster.local"|"10.96.0.10 web.demo.svc.cluster.local")
            reply NOERROR 1 "$name. 30 IN A 10.96.0.1"; rc=0 ;;
        *) reply NXDOMAIN 0; rc=0 ;;
    esac
done
exit $rc
"""

FAKE_IP = """#!/bin/sh
case "$*" in *"scope global"*) ;; *) echo "1: lo    inet 127.0.0.1/8 scope host lo" ;; esac
echo "2: eth0    inet 10.244.0.7/24 brd 10.244.0.255 scope global eth0"
"""

SHELLS = [[shutil.which(s[0])] + s[1:] for s in (["dash"], ["busybox", "ash"], ["bash", "--posix"]) if shutil.which(s[0])]
SHELL_IDS = [" ".join([os.path.basename(s[0])] + s[1:]) for s in SHELLS]


@pytest.fixture()
def fake_tools(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("dig", FAKE_DIG), ("ip", FAKE_IP)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "resolv.conf").write_text(
        "search demo.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
        "nameserver 10.244.0.253\noptions ndots:5\n")
    return tmp_path


def run_probe(shell, tools, **env):
    run_env = {"PATH": "%s:%s" % (tools / "bin", os.environ.get("PATH", "/usr/bin:/bin")),
               "KDEBUG_TARGET_ROOT": str(tools / "root"), "FAKE_DIG_LOG": str(tools / "dig.log"),
               "KDEBUG_DNS_NAMES": "kubernetes.default.svc.cluster.local example.com",
               "KDEBUG_DNS_SEARCH_NAMES": "kubernetes.default", "KDEBUG_DNS_TIMEOUT": "1",
               "KDEBUG_DNS_DOMAIN": "cluster.local", "KDEBUG_DNS_DISCOVER": "1", "TMPDIR": str(tools)}
    run_env.update(env)
    with open(PROBE) as handle:
        script = handle.read()
    proc = subprocess.run(shell + ["-c", script], env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    return proc


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_probe_script_sections(shell, fake_tools):
    # The dead nameserver fails at once; a query timeout of 10 s keeps that "at once" under any load (one that
    # ended a whole timeout after the probe started counts as timed out, and is not asked again).
    proc = run_probe(shell, fake_tools, KDEBUG_DNS_TIMEOUT="10")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    probe = dns_check.parse_probe(proc.stdout)
    assert probe["header"] and probe["ended"]
    assert probe["resolv_path"] == str(fake_tools / "root" / "etc" / "resolv.conf")
    assert probe["search_domains"] == ["demo.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    # busybox ash may run its own ip applet before ours: then the addresses are this host's
    busybox = os.path.basename(shell[0]) == "busybox"
    assert probe["addresses"] if busybox else probe["addresses"] == ["10.244.0.7"]
    assert probe["primary"] == "10.96.0.10"
    asked = [(q["server"], q["name"]) for q in probe["queries"]]
    assert len(asked) == len(set(asked))  # each (server, name) once
    if busybox:
        return
    assert probe["services"] == ["web.demo.svc.cluster.local"]
    for ns in ("10.96.0.10", "10.244.0.253"):
        for name in ("kubernetes.default.svc.cluster.local", "example.com", "10.244.0.7", "web.demo.svc.cluster.local"):
            assert (ns, name) in asked
    # search variants only on the primary nameserver
    assert ("10.96.0.10", "kubernetes.default.demo.svc.cluster.local") in asked
    assert ("10.96.0.10", "example.com.cluster.local") in asked
    assert not [a for a in asked if a[0] == "10.244.0.253" and a[1].endswith(".svc.cluster.local.cluster.local")]
    trimmed = "\n".join(sum((q["dig"]["lines"] for q in probe["queries"]), []))
    assert "message_size" not in trimmed and "\n\n" not in trimmed
    # the dead nameserver is asked once more without +yaml, to learn why it does not answer
    with open(str(fake_tools / "dig.log")) as handle:
        calls = handle.read().splitlines()
    assert [c for c in calls if c.endswith(" 0")] == ["10.244.0.253 kubernetes.default.svc.cluster.local 0"]
    assert all(q["dig"]["result"] == "timeout" for q in probe["queries"] if q["server"] == "10.244.0.253")
    checks = by_name(dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET)))
    assert checks["DNS nameserver 10.244.0.253"]["status"] == "fail"
    assert "does not answer: timed out after 10 s" in checks["DNS nameserver 10.244.0.253"]["summary"]
    assert checks["DNS name web.demo.svc.cluster.local"]["details"]["kind"] == "service (reverse lookup)"
    assert checks["DNS search list"]["status"] == "pass"


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_a_nameserver_that_lets_queries_time_out_is_not_asked_again(fake_tools):
    """Its queries ran to their timeout: that is the reason, said without another query (which would cost the
    slowest pod of a fleet one more timeout); a nameserver that fails at once is asked again (the test above)."""
    proc = run_probe(SHELLS[0], fake_tools, FAKE_DIG_SLOW="1", KDEBUG_DNS_DISCOVER="0", KDEBUG_DNS_SEARCH="0")
    assert proc.returncode == 0, proc.stderr
    with open(str(fake_tools / "dig.log")) as handle:
        calls = handle.read().splitlines()
    assert [c for c in calls if c.endswith(" 0")] == []
    probe = dns_check.parse_probe(proc.stdout)
    assert all(q["dig"]["result"] == "timeout" for q in probe["queries"] if q["server"] == "10.244.0.253")
    checks = by_name(dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET)))
    assert "does not answer: timed out after 1 s" in checks["DNS nameserver 10.244.0.253"]["summary"]


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_probe_script_shows_resolv_conf_within_limits(shell, fake_tools):
    """At most 60 lines of at most 400 bytes, a last line without a newline included, and blank lines kept."""
    long_comment = "# " + "x" * 500
    lines = ["nameserver 10.96.0.10", "", "  search a.example b.example", long_comment] + ["# %d" % i for i in range(70)]
    (fake_tools / "root" / "etc" / "resolv.conf").write_text("\n".join(lines[:3]))  # no newline at the end
    shown = dns_check.parse_probe(run_probe(shell, fake_tools, KDEBUG_DNS_DISCOVER="0").stdout)["resolv_text"]
    assert shown == "\n".join(lines[:3]) + "\n"
    (fake_tools / "root" / "etc" / "resolv.conf").write_text("\n".join(lines) + "\n")
    shown = dns_check.parse_probe(run_probe(shell, fake_tools, KDEBUG_DNS_DISCOVER="0").stdout)["resolv_text"]
    assert shown.splitlines() == lines[:3] + [long_comment[:400]] + lines[4:60]


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_probe_script_refuses_bad_input_and_keeps_limits(fake_tools):
    names = " ".join(["n%d.example.com" % i for i in range(30)] + ["$(touch${IFS}pwned)", "-x", "a..b", "ok.example"])
    (fake_tools / "root" / "etc" / "resolv.conf").write_text(
        "search %s\nnameserver 10.96.0.10\nnameserver 10.244.0.253\n" % " ".join("d%d.example" % i for i in range(9)))
    proc = run_probe(SHELLS[0], fake_tools, KDEBUG_DNS_NAMES=names, KDEBUG_DNS_DISCOVER="0", KDEBUG_DNS_TIMEOUT="x")
    assert proc.returncode == 0, proc.stderr
    probe = dns_check.parse_probe(proc.stdout)
    assert probe["params"]["timeout"] == "2" and probe["params"]["discover"] == "0"
    assert probe["names"] == ["n%d.example.com" % i for i in range(20)]
    assert not os.path.exists("pwned") and not os.path.exists(str(fake_tools / "pwned"))
    assert probe["search_domains"] == ["d%d.example" % i for i in range(8)]
    assert len(probe["queries"]) == 150
    # 40 names (20 x 2 nameservers), then 20 x 8 + 9 search variants on the primary: 59 over the limit
    assert probe["limit"] == "59 queries not run (at most 150)"


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_probe_script_without_dig_or_resolv_conf(fake_tools):
    (fake_tools / "root" / "etc" / "resolv.conf").unlink()
    proc = run_probe(SHELLS[0], fake_tools)
    checks = dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET, rc=proc.returncode))
    assert [(c["name"], c["status"]) for c in checks] == [("DNS resolv.conf", "error")]
    assert "no such file" in checks[0]["summary"]
    (fake_tools / "bin" / "dig").unlink()
    proc = run_probe(SHELLS[0], fake_tools, PATH=str(fake_tools / "bin") + ":/nonexistent")
    assert proc.returncode == 3
    checks = dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET, rc=proc.returncode))
    assert checks[0]["status"] == "error" and "dig is not installed" in checks[0]["summary"]


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_probe_without_search_replay_asks_each_name_once_per_nameserver(shell, fake_tools):
    proc = run_probe(shell, fake_tools, KDEBUG_DNS_SEARCH="0", KDEBUG_DNS_DISCOVER="0")
    assert proc.returncode == 0, proc.stderr
    probe = dns_check.parse_probe(proc.stdout)
    assert probe["params"]["search"] == "0" and probe["ended"]
    asked = sorted((q["server"], q["name"], q["kind"]) for q in probe["queries"])
    assert asked == sorted((ns, name, "name") for ns in ("10.96.0.10", "10.244.0.253")
                           for name in ("kubernetes.default.svc.cluster.local", "example.com"))
    checks = by_name(dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET)))
    assert checks["DNS search list"]["status"] == "skipped"
    assert "not replayed" in checks["DNS search list"]["summary"]
    assert checks["DNS nameserver 10.244.0.253"]["status"] == "fail"
    assert checks["DNS name kubernetes.default.svc.cluster.local"]["status"] == "fail"  # one nameserver is dead
    # the replay is on unless the variable says 0
    default = dns_check.parse_probe(run_probe(shell, fake_tools, KDEBUG_DNS_SEARCH="yes").stdout)
    assert default["params"]["search"] == "1" and any(q["kind"] == "search" for q in default["queries"])


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_a_slow_answer_is_measured_again_before_it_fails(shell, fake_tools):
    """An answer slowed by a busy node (all queries run at once) is asked once more when the others are done; the
    check judges the faster answer and says both."""
    (fake_tools / "root" / "etc" / "resolv.conf").write_text("nameserver 10.96.0.10\n")
    proc = run_probe(shell, fake_tools, FAKE_DIG_SLOW_ONCE="kubernetes.default.svc.cluster.local",
                     KDEBUG_DNS_SLOW_MS="500", KDEBUG_DNS_DISCOVER="0", KDEBUG_DNS_SEARCH="0")
    assert proc.returncode == 0, proc.stderr
    assert "@@kdebug again\tid=1\texit=0" in proc.stdout
    assert proc.stdout.count("@@kdebug again") == 1  # only the slow one
    checks = by_name(dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET), slow_ms=500))
    kube = checks["DNS name " + KUBE]
    assert kube["status"] == "pass", kube["summary"]
    assert "in 3 ms (700 ms at first: asked again once the other queries had finished)" in kube["summary"]
    assert kube["details"]["results"][0]["first_latency_ms"] == 700
    assert "# asked again once the other queries had finished: 3 ms" in kube["evidence"][0]["text"]


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_without_a_threshold_nothing_is_asked_again(fake_tools):
    (fake_tools / "root" / "etc" / "resolv.conf").write_text("nameserver 10.96.0.10\n")
    proc = run_probe(SHELLS[0], fake_tools, FAKE_DIG_SLOW_ONCE="kubernetes.default.svc.cluster.local",
                     KDEBUG_DNS_DISCOVER="0", KDEBUG_DNS_SEARCH="0")
    assert proc.returncode == 0, proc.stderr
    assert "@@kdebug again" not in proc.stdout
    checks = by_name(dns_check.dns_check_results(exec_result(proc.stdout, WEB_TARGET), slow_ms=500))
    assert checks["DNS name " + KUBE]["status"] == "fail"


def _with_again(stdout, query_id, dig_lines, code=0):
    """The probe output with an ``again`` section after query ``query_id``, as the probe prints it."""
    lines = stdout.splitlines()
    head = "@@kdebug query\tid=%d\t" % query_id
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("@@kdebug "))
    lines[end:end] = ["@@kdebug again\tid=%d\texit=%s" % (query_id, code)] + dig_lines
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("again_ms, again_code, status, words", [
    (4, 0, "pass", "10.96.0.1 from 10.96.0.10 in 4 ms (800 ms at first: asked again"),
    (650, 0, "fail", "slow answer from 10.96.0.10: 800 ms, and 650 ms asked again (more than 500 ms)"),
    (None, 9, "fail", "slow answer from 10.96.0.10: 800 ms (more than 500 ms)"),
])
def test_the_second_measurement_decides(again_ms, again_code, status, words):
    slow = answer("NOERROR", address="10.96.0.1", msec=800)
    stdout = probe_output("nameserver 10.96.0.10\n", [("10.96.0.10", KUBE, slow, 0)], "10.96.0.10", names=KUBE)
    second = answer("NOERROR", address="10.96.0.1", msec=again_ms) if again_ms is not None else TIMED_OUT
    checks = by_name(dns_check.dns_check_results(exec_result(_with_again(stdout, 1, second, again_code), WEB_TARGET)))
    kube = checks["DNS name " + KUBE]
    assert kube["status"] == status
    assert words in kube["summary"]
    assert kube["details"]["results"][0]["first_latency_ms"] == 800


def test_a_search_walk_slowed_by_load_is_judged_on_the_second_measurements():
    resolv = "search a.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    queries = [("10.96.0.10", KUBE, answer("NOERROR", address="10.96.0.1"), 0),
               ("10.96.0.10", KUBE + ".a.svc.cluster.local", answer("NXDOMAIN", msec=300), 0),
               ("10.96.0.10", KUBE + ".svc.cluster.local", answer("NXDOMAIN", msec=300), 0)]
    stdout = probe_output(resolv, queries, "10.96.0.10", names=KUBE)
    before = by_name(dns_check.dns_check_results(exec_result(stdout, WEB_TARGET)))
    assert before["DNS search list"]["status"] == "fail"
    assert "takes 600 ms through the search list" in before["DNS search list"]["summary"]
    stdout = _with_again(_with_again(stdout, 2, answer("NXDOMAIN", msec=2)), 3, answer("NXDOMAIN", msec=2))
    after = by_name(dns_check.dns_check_results(exec_result(stdout, WEB_TARGET)))
    assert after["DNS search list"]["status"] == "pass"
    assert "ms through the search list" not in after["DNS search list"]["summary"]
    assert "(300 ms at first, asked again)" in after["DNS search list"]["evidence"][0]["text"]


# A hostNetwork pod with dnsPolicy ClusterFirst on the lab's worker kdebug-lab-w1 (ephemeral strategy), captured from
# the dns_check role: the kubelet gave it the node's resolv.conf (the lab kubelet's resolvConf names the cluster DNS
# and no search list), so kubernetes.default is asked as it is, NXDOMAIN.
HOSTNET_STDOUT = (
    '@@kdebug dns-probe\tversion=2\ttimeout=2\tdomain=cluster.local\tdiscover=1\tsearch=1\tslow=500\n'
    '@@kdebug resolv\tpath=/proc/1/root/etc/resolv.conf\n'
    'nameserver 10.96.0.10\n'
    '@@kdebug names\n'
    'kubernetes.default.svc.cluster.local\n'
    '@@kdebug search-names\n'
    'kubernetes.default\n'
    '@@kdebug search-domains\n'
    '@@kdebug addresses\n'
    '10.250.0.2\n'
    '10.244.1.1\n'
    '@@kdebug services\n'
    '@@kdebug primary\tserver=10.96.0.10\n'
    '@@kdebug query\tid=1\tkind=name\ttype=A\tserver=10.96.0.10\tname=kubernetes.default.svc.cluster.local\texit=0\n'
    '- type: MESSAGE\n'
    '  message:\n'
    '    type: AUTH_RESPONSE\n'
    '    query_time: !!timestamp 2026-12-01T04:58:23.184Z\n'
    '    response_time: !!timestamp 2026-12-01T04:58:23.188Z\n'
    '    response_address: "10.96.0.10"\n'
    '    response_message_data:\n'
    '      opcode: QUERY\n'
    '      status: NOERROR\n'
    '      id: 35325\n'
    '      flags: qr aa rd\n'
    '      QUESTION: 1\n'
    '      ANSWER: 1\n'
    '      AUTHORITY: 0\n'
    '      ADDITIONAL: 1\n'
    '      ANSWER_SECTION:\n'
    "        - 'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1'\n"
    '@@kdebug query\tid=2\tkind=ptr\ttype=PTR\tserver=10.96.0.10\tname=10.250.0.2\texit=0\n'
    '- type: MESSAGE\n'
    '  message:\n'
    '    type: AUTH_RESPONSE\n'
    '    query_time: !!timestamp 2026-12-01T04:58:23.188Z\n'
    '    response_time: !!timestamp 2026-12-01T04:58:23.188Z\n'
    '    response_address: "10.96.0.10"\n'
    '    response_message_data:\n'
    '      opcode: QUERY\n'
    '      status: NXDOMAIN\n'
    '      id: 46871\n'
    '      flags: qr aa rd\n'
    '      QUESTION: 1\n'
    '      ANSWER: 0\n'
    '      AUTHORITY: 1\n'
    '      ADDITIONAL: 1\n'
    '@@kdebug query\tid=3\tkind=ptr\ttype=PTR\tserver=10.96.0.10\tname=10.244.1.1\texit=0\n'
    '- type: MESSAGE\n'
    '  message:\n'
    '    type: AUTH_RESPONSE\n'
    '    query_time: !!timestamp 2026-12-01T04:58:23.184Z\n'
    '    response_time: !!timestamp 2026-12-01T04:58:23.184Z\n'
    '    response_address: "10.96.0.10"\n'
    '    response_message_data:\n'
    '      opcode: QUERY\n'
    '      status: NXDOMAIN\n'
    '      id: 18929\n'
    '      flags: qr aa rd\n'
    '      QUESTION: 1\n'
    '      ANSWER: 0\n'
    '      AUTHORITY: 1\n'
    '      ADDITIONAL: 1\n'
    '@@kdebug query\tid=4\tkind=search\ttype=A\tserver=10.96.0.10\tname=kubernetes.default\texit=0\n'
    '- type: MESSAGE\n'
    '  message:\n'
    '    type: AUTH_RESPONSE\n'
    '    query_time: !!timestamp 2026-12-01T04:58:23.264Z\n'
    '    response_time: !!timestamp 2026-12-01T04:58:23.264Z\n'
    '    response_address: "10.96.0.10"\n'
    '    response_message_data:\n'
    '      opcode: QUERY\n'
    '      status: NXDOMAIN\n'
    '      id: 44615\n'
    '      flags: qr aa rd\n'
    '      QUESTION: 1\n'
    '      ANSWER: 0\n'
    '      AUTHORITY: 0\n'
    '      ADDITIONAL: 1\n'
    '@@kdebug end\n'
)


def hostnet_target(dns_policy="ClusterFirst"):
    return dict(target("kdebug-test-hn", "hostnet", "app", node="kdebug-lab-w1"), network="node",
                dns_policy=dns_policy)


def test_a_hostnetwork_pod_is_said_to_share_its_nodes_network():
    checks = dict((c["name"], c) for c in run(HOSTNET_STDOUT, hostnet_target()))
    shared = checks["DNS host network"]
    assert shared["status"] == "pass"
    assert shared["summary"].startswith("pod kdebug-test-hn/hostnet shares node kdebug-lab-w1's network "
                                        "(spec.hostNetwork: true): ")
    assert {"label": "spec.hostNetwork", "text": "true"} in shared["evidence"]
    assert {"label": "spec.dnsPolicy", "text": "ClusterFirst"} in shared["evidence"]
    assert checks["DNS resolv.conf"]["summary"].endswith(
        "the pod's resolv.conf is node kdebug-lab-w1's (hostNetwork with dnsPolicy ClusterFirst)")


def test_the_search_list_failure_of_a_hostnetwork_pod_with_cluster_first_names_the_fix():
    checks = dict((c["name"], c) for c in run(HOSTNET_STDOUT, hostnet_target()))
    search = checks["DNS search list"]
    assert search["status"] == "fail"
    assert search["summary"].startswith("kubernetes.default does not resolve through the search list")
    assert search["summary"].endswith(
        "pod kdebug-test-hn/hostnet uses hostNetwork with dnsPolicy ClusterFirst, which falls back to node "
        "kdebug-lab-w1's resolv.conf (no cluster search list): set dnsPolicy: ClusterFirstWithHostNet in its spec "
        "to resolve with the cluster DNS and search list")
    assert search["details"]["next_step"].startswith("Pod kdebug-test-hn/hostnet uses hostNetwork")
    assert "ClusterFirstWithHostNet" in verdict(list(checks.values()))["next_steps"][0]


@pytest.mark.parametrize("tgt", [hostnet_target("ClusterFirstWithHostNet"), hostnet_target("Default"),
                                 dict(hostnet_target(), network="pod")])
def test_no_dns_policy_fix_where_it_is_not_the_cause(tgt):
    """The same failure, but the pod already asks for the cluster DNS, chose the node's, or has its own network."""
    checks = dict((c["name"], c) for c in run(HOSTNET_STDOUT, tgt))
    assert checks["DNS search list"]["status"] == "fail"
    assert "ClusterFirstWithHostNet" not in checks["DNS search list"]["summary"]
    assert "next_step" not in checks["DNS search list"]["details"]
    assert ("DNS host network" in checks) is (tgt["network"] == "node")


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_one_dig_asks_many_queries(shell, fake_tools):
    """A dig process costs a node far more than a query: a healthy pod's whole probe is three dig runs (the first
    name, the other phase-1 queries, then the Services and the search list), however many names it asks."""
    (fake_tools / "root" / "etc" / "resolv.conf").write_text(
        "search demo.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n")
    proc = run_probe(shell, fake_tools)
    assert proc.returncode == 0, proc.stderr
    probe = dns_check.parse_probe(proc.stdout)
    with open(str(fake_tools / "dig.log")) as handle:
        calls = [int(line.split()[1]) for line in handle.read().splitlines() if line.startswith("call ")]
    if os.path.basename(shell[0]) == "busybox":  # its own ip applet may give this host's addresses
        assert len(calls) <= 5
        return
    # 2 names and a reverse lookup; then the Service it found, and 4 names each as it is and under 3 search
    # domains, less the 4 already asked (kubernetes.default.svc.cluster.local twice): 13, in two runs of at most 8
    assert len(probe["queries"]) == 3 + 1 + 4 * 4 - 4
    assert calls[:2] == [1, 2] and sorted(calls[2:]) == [5, 8]  # the two runs of phase 2 go at once
    assert all(q["dig"]["result"] == "answer" for q in probe["queries"])
    assert [q["id"] for q in probe["queries"]] == list(range(1, len(probe["queries"]) + 1))


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_a_nameserver_silent_on_its_first_query_is_asked_nothing_more(fake_tools):
    """Each of its queries would wait a whole timeout, one after the other: after the first, they are listed as not
    asked, and its transport section says why, in dig's words."""
    proc = run_probe(SHELLS[0], fake_tools, FAKE_DIG_SLOW="1")
    assert proc.returncode == 0, proc.stderr
    with open(str(fake_tools / "dig.log")) as handle:
        dead = [line for line in handle.read().splitlines() if line.startswith("10.244.0.253 ")]
    assert dead == ["10.244.0.253 kubernetes.default.svc.cluster.local 1"]
    probe = dns_check.parse_probe(proc.stdout)
    silent = [q for q in probe["queries"] if q["server"] == "10.244.0.253"]
    assert len(silent) == 4  # two names, the reverse lookup and the Service it found
    assert all(q["dig"]["result"] == "timeout" for q in silent)
    assert [q["exit"] for q in silent[1:]] == ["9"] * 3
    assert all("; not asked: nameserver 10.244.0.253 let an earlier query run to its 1 s timeout" in q["dig"]["lines"]
               for q in silent[1:])
    assert probe["primary"] == "10.96.0.10" and probe["services"] == ["web.demo.svc.cluster.local"]


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
def test_two_queries_go_in_one_dig_even_to_a_silent_nameserver(fake_tools):
    """A fleet's probe (one name, one address, no search list): one dig per nameserver; a nameserver that never
    answers costs two timeouts, and both its queries say so."""
    proc = run_probe(SHELLS[0], fake_tools, FAKE_DIG_SLOW="1", KDEBUG_DNS_NAMES="kubernetes.default.svc.cluster.local",
                     KDEBUG_DNS_SEARCH_NAMES="", KDEBUG_DNS_SEARCH="0")
    assert proc.returncode == 0, proc.stderr
    with open(str(fake_tools / "dig.log")) as handle:
        log = handle.read().splitlines()
    assert sorted(line for line in log if line.startswith("call ")) == ["call 1", "call 2", "call 2"]
    probe = dns_check.parse_probe(proc.stdout)
    silent = [q for q in probe["queries"] if q["server"] == "10.244.0.253"]
    assert [q["name"] for q in silent] == ["kubernetes.default.svc.cluster.local", "10.244.0.7",
                                           "web.demo.svc.cluster.local"]
    assert all(q["dig"]["result"] == "timeout" for q in silent)


@pytest.mark.skipif(not SHELLS, reason="no POSIX shell to run the probe with")
@pytest.mark.parametrize("shell", SHELLS, ids=SHELL_IDS)
def test_a_slow_search_list_answer_is_measured_again_too(shell, fake_tools):
    """Phase 2's answers (the search list) are picked for a second measurement as phase 1's are."""
    (fake_tools / "root" / "etc" / "resolv.conf").write_text("search demo.svc.cluster.local\nnameserver 10.96.0.10\n")
    slow = "kubernetes.default.demo.svc.cluster.local"
    proc = run_probe(shell, fake_tools, FAKE_DIG_SLOW_ONCE=slow, KDEBUG_DNS_SLOW_MS="500", KDEBUG_DNS_DISCOVER="0")
    assert proc.returncode == 0, proc.stderr
    probe = dns_check.parse_probe(proc.stdout)
    slow_id = next(q["id"] for q in probe["queries"] if q["name"] == slow)
    assert slow_id > 2 and proc.stdout.count("@@kdebug again") == 1
    assert "@@kdebug again\tid=%d\texit=0" % slow_id in proc.stdout
    again = next(q for q in probe["queries"] if q["id"] == slow_id)["dig"]
    assert (again["first_latency_ms"], again["latency_ms"]) == (700, 3)
