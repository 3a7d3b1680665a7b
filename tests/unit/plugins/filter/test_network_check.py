# -*- coding: utf-8 -*-
"""kdebug.toolkit.network_check_results: the network_check probe's output as check results.

The samples are real: the registered kdebug_exec results of roles/network_check/files/network_probe.sh, run
by the role on the lab. They were captured when the probe had its own framing (``@@kdebug-net section=...``)
and rewritten line for line into the probes' common format (plugins/plugin_utils/probe.py) when the probe moved
to it; every body (ip -j, ss, the tab-separated fields) is the lab's output as it was. Variants (a low MTU, an
interface down, no default route...) are those samples with one section edited, so the parser always sees the
real format.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import shutil
import subprocess

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.filter import network_check
from ansible_collections.kdebug.toolkit.plugins.filter.report import validate_checks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "network_check")
PROBE = os.path.join(ROLE, "files", "network_probe.sh")

DEFAULT_ENDPOINTS = ["kube-dns.kube-system.svc.cluster.local:53", "kubernetes.default.svc.cluster.local:443"]
WEB_ENDPOINTS = DEFAULT_ENDPOINTS + ["web.kdebug-demo.svc.cluster.local:80", "10.96.0.10:1", "127.0.0.1:9",
                                     "[::1]:8080", "localhost:8080", "nosuchname.example.invalid:80"]
WEB_URLS = ["http://127.0.0.1:8080/", "http://web.kdebug-demo.svc/", "https://kubernetes.default.svc/healthz",
            "http://127.0.0.1:8080/nope", "http://127.0.0.1:9/"]
HTTP_URLS = ["http://127.0.0.1:18080/ready", "https://10.96.0.1/healthz", "http://10.96.0.10:1/"]

# ss -H -l -t -u -n -p in web's network namespace with three extra listeners started in the debug container:
# UDP on 0.0.0.0:5353, TCP on 127.0.0.1:9999 and on [::1]:9998 (real output).
SS_EXTRA_LISTENERS = (
    "udp UNCONN 0      0        0.0.0.0:5353 0.0.0.0:* users:((\"nc\",pid=1223,fd=3))\n"
    "tcp LISTEN 0      1      127.0.0.1:9999 0.0.0.0:* users:((\"nc\",pid=1224,fd=3))\n"
    "tcp LISTEN 0      9              *:8080       *:* users:((\"httpd\",pid=1,fd=3))\n"
    "tcp LISTEN 0      1          [::1]:9998    [::]:* users:((\"nc\",pid=1225,fd=3))\n"
)

# Real registered kdebug_exec results of the probe, captured on the lab (kdebug.local/tools:1);
# stdout_lines and stderr_lines left out.

# web (busybox httpd on :8080), ephemeral strategy: the default endpoints, the web Service, a port
# nobody answers on, a refused port, IPv6 loopback, a name from /etc/hosts, a name that does not exist; 5 URLs.
WEB_EPHEMERAL = {
    "changed": False,
    "duration_ms": 3403,
    "failed": False,
    "failed_when_result": False,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing=\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":359,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"96:aa:d4:49:20:52","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.7","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::94a'
        'a:d4ff:fe49:2052","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.7","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=65\ttruncated=0\n'
        'tcp LISTEN 0      9      *:8080 *:* users:(("httpd",pid=1,fd=3))\n'
        '\n'
        '@@kdebug tcp\tindex=1\tendpoint=kube-dns.kube-system.svc.cluster.local:53\thost=kube-dns.kube-system.sv'
        'c.cluster.local\tport=53\taddress=10.96.0.10\tresolved=dns\tresolve_note=kube-dns.kube-system.svc.cluste'
        'r.local. from nameserver 10.96.0.10\tresolve_ms=1097\trc=0\tconnect_ms=19\tmessage=Connection to 10.96.0'
        '.10 53 port [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=2\tendpoint=kubernetes.default.svc.cluster.local:443\thost=kubernetes.default.svc.c'
        'luster.local\tport=443\taddress=10.96.0.1\tresolved=dns\tresolve_note=kubernetes.default.svc.cluster.loc'
        'al. from nameserver 10.96.0.10\tresolve_ms=790\trc=0\tconnect_ms=65\tmessage=Connection to 10.96.0.1 443'
        ' port [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=3\tendpoint=web.kdebug-demo.svc.cluster.local:80\thost=web.kdebug-demo.svc.cluster.'
        'local\tport=80\taddress=10.96.163.58\tresolved=dns\tresolve_note=web.kdebug-demo.svc.cluster.local. from'
        ' nameserver 10.96.0.10\tresolve_ms=1239\trc=0\tconnect_ms=17\tmessage=Connection to 10.96.163.58 80 port'
        ' [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=4\tendpoint=10.96.0.10:1\thost=10.96.0.10\tport=1\taddress=10.96.0.10\tresolved=litera'
        'l\tresolve_note=\tresolve_ms=50\trc=1\tconnect_ms=3055\tmessage=nc: connect to 10.96.0.10 port 1 (tcp) ti'
        'med out: Operation now in progress \n'
        '@@kdebug tcp\tindex=5\tendpoint=127.0.0.1:9\thost=127.0.0.1\tport=9\taddress=127.0.0.1\tresolved=literal\tr'
        'esolve_note=\tresolve_ms=37\trc=1\tconnect_ms=79\tmessage=nc: connect to 127.0.0.1 port 9 (tcp) failed: '
        'Connection refused \n'
        '@@kdebug tcp\tindex=6\tendpoint=[::1]:8080\thost=::1\tport=8080\taddress=::1\tresolved=literal\tresolve_not'
        'e=\tresolve_ms=24\trc=0\tconnect_ms=102\tmessage=Connection to ::1 8080 port [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=7\tendpoint=localhost:8080\thost=localhost\tport=8080\taddress=127.0.0.1\tresolved=hos'
        'ts\tresolve_note=localhost in /proc/1/root/etc/hosts\tresolve_ms=65\trc=0\tconnect_ms=64\tmessage=Connect'
        'ion to 127.0.0.1 8080 port [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=8\tendpoint=nosuchname.example.invalid:80\thost=nosuchname.example.invalid\tport=80\t'
        'address=\tresolved=fail\tresolve_note=nosuchname.example.invalid.: NXDOMAIN from 10.96.0.10\tresolve_ms'
        '=1114\trc=\tconnect_ms=\tmessage=nosuchname.example.invalid.: NXDOMAIN from 10.96.0.10\n'
        '@@kdebug http\tindex=1\turl=http://127.0.0.1:8080/\thost=127.0.0.1\tport=8080\taddress=127.0.0.1\tresolved'
        '=literal\tresolve_note=\tresolve_ms=43\trc=0\tcode=200\ttime_total=0.015638\ttime_connect=0.007546\tremote_'
        'ip=127.0.0.1\tmessage=\n'
        '@@kdebug http\tindex=2\turl=http://web.kdebug-demo.svc/\thost=web.kdebug-demo.svc\tport=80\taddress=10.96'
        '.163.58\tresolved=dns\tresolve_note=web.kdebug-demo.svc.cluster.local. from nameserver 10.96.0.10\treso'
        'lve_ms=767\trc=0\tcode=200\ttime_total=0.003509\ttime_connect=0.000213\tremote_ip=10.96.163.58\tmessage=\n'
        '@@kdebug http\tindex=3\turl=https://kubernetes.default.svc/healthz\thost=kubernetes.default.svc\tport=44'
        '3\taddress=10.96.0.1\tresolved=dns\tresolve_note=kubernetes.default.svc.cluster.local. from nameserver '
        '10.96.0.10\tresolve_ms=1097\trc=0\tcode=200\ttime_total=0.023304\ttime_connect=0.003182\tremote_ip=10.96.0'
        '.1\tmessage=\n'
        '@@kdebug http\tindex=4\turl=http://127.0.0.1:8080/nope\thost=127.0.0.1\tport=8080\taddress=127.0.0.1\treso'
        'lved=literal\tresolve_note=\tresolve_ms=37\trc=0\tcode=404\ttime_total=0.004635\ttime_connect=0.000219\trem'
        'ote_ip=127.0.0.1\tmessage=\n'
        '@@kdebug http\tindex=5\turl=http://127.0.0.1:9/\thost=127.0.0.1\tport=9\taddress=127.0.0.1\tresolved=liter'
        'al\tresolve_note=\tresolve_ms=48\trc=7\tcode=000\ttime_total=0.000129\ttime_connect=0.000000\tremote_ip=\tme'
        "ssage=curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server \n"
        '@@kdebug end\n'
    ),
    "strategy": 'ephemeral',
    "target": {
        "container": 'web',
        "container_id": 'containerd://83e6fe87a678713143957a94e2588d38413874106ce97cf1c0af609e254c5a7d',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": None,
        "pod": 'web-68b79bb664-2xkrg',
    },
    "timed_out": False,
    "truncated": False,
}

# dns-broken (its nameserver 10.244.0.253 answers nothing), agent strategy: names are resolved with the
# pod's resolv.conf, not the agent's.
DNS_BROKEN_AGENT = {
    "changed": False,
    "duration_ms": 4158,
    "failed": False,
    "failed_when_result": False,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.244.0.253 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing='
        '\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":357,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"7e:50:f0:42:63:98","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.5","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::7c5'
        '0:f0ff:fe42:6398","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.5","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=0\ttruncated=0\n'
        '\n'
        '@@kdebug tcp\tindex=1\tendpoint=kube-dns.kube-system.svc.cluster.local:53\thost=kube-dns.kube-system.sv'
        'c.cluster.local\tport=53\taddress=\tresolved=fail\tresolve_note=nameserver 10.244.0.253: communications '
        'error to 10.244.0.253#53: timed out \tresolve_ms=3446\trc=\tconnect_ms=\tmessage=nameserver 10.244.0.253'
        ': communications error to 10.244.0.253#53: timed out \n'
        '@@kdebug tcp\tindex=2\tendpoint=kubernetes.default.svc.cluster.local:443\thost=kubernetes.default.svc.c'
        'luster.local\tport=443\taddress=\tresolved=fail\tresolve_note=nameserver 10.244.0.253: communications er'
        'ror to 10.244.0.253#53: timed out \tresolve_ms=3435\trc=\tconnect_ms=\tmessage=nameserver 10.244.0.253: '
        'communications error to 10.244.0.253#53: timed out \n'
        '@@kdebug http\tindex=1\turl=http://kubernetes.default.svc/\thost=kubernetes.default.svc\tport=80\taddress'
        '=\tresolved=fail\tresolve_note=nameserver 10.244.0.253: communications error to 10.244.0.253#53: timed'
        ' out \tresolve_ms=3426\trc=\t\tmessage=nameserver 10.244.0.253: communications error to 10.244.0.253#53:'
        ' timed out \n'
        '@@kdebug end\n'
    ),
    "strategy": 'agent',
    "target": {
        "container": 'app',
        "container_id": 'containerd://9cde9d484db94098bf16802abaf322a553a3056822ee61fc6a7ce63a524bd7d0',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": 22367,
        "pod": 'dns-broken',
    },
    "timed_out": False,
    "truncated": False,
}

# noshell (no shell in the image, /demoapp serve :8080), agent strategy.
NOSHELL_AGENT = {
    "changed": False,
    "duration_ms": 1033,
    "failed": False,
    "failed_when_result": False,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing=\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":356,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"ae:39:4b:4e:a9:fe","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.4","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::ac3'
        '9:4bff:fe4e:a9fe","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.4","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=67\ttruncated=0\n'
        'tcp LISTEN 0      4096   *:8080 *:* users:(("demoapp",pid=1,fd=5))\n'
        '\n'
        '@@kdebug tcp\tindex=1\tendpoint=kube-dns.kube-system.svc.cluster.local:53\thost=kube-dns.kube-system.sv'
        'c.cluster.local\tport=53\taddress=10.96.0.10\tresolved=dns\tresolve_note=kube-dns.kube-system.svc.cluste'
        'r.local. from nameserver 10.96.0.10\tresolve_ms=545\trc=0\tconnect_ms=22\tmessage=Connection to 10.96.0.'
        '10 53 port [tcp/*] succeeded! \n'
        '@@kdebug tcp\tindex=2\tendpoint=kubernetes.default.svc.cluster.local:443\thost=kubernetes.default.svc.c'
        'luster.local\tport=443\taddress=10.96.0.1\tresolved=dns\tresolve_note=kubernetes.default.svc.cluster.loc'
        'al. from nameserver 10.96.0.10\tresolve_ms=554\trc=0\tconnect_ms=31\tmessage=Connection to 10.96.0.1 443'
        ' port [tcp/*] succeeded! \n'
        '@@kdebug http\tindex=1\turl=http://127.0.0.1:8080/healthz\thost=127.0.0.1\tport=8080\taddress=127.0.0.1\tr'
        'esolved=literal\tresolve_note=\tresolve_ms=19\trc=0\tcode=200\ttime_total=0.001876\ttime_connect=0.000236\t'
        'remote_ip=127.0.0.1\tmessage=\n'
        '@@kdebug end\n'
    ),
    "strategy": 'agent',
    "target": {
        "container": 'app',
        "container_id": 'containerd://933adef16dada892c44707a250f7a042fe0c4e35cf2c1a28b92ad874a2c587f4',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": 22307,
        "pod": 'noshell',
    },
    "timed_out": False,
    "truncated": False,
}

# multi joined through its sidecar: the app's httpd on :8081 is in another pid namespace.
MULTI_SIDECAR = {
    "changed": False,
    "duration_ms": 445,
    "failed": False,
    "failed_when_result": False,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing=\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":358,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"a6:a2:62:63:f0:1d","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.6","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::a4a'
        '2:62ff:fe63:f01d","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.6","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=36\ttruncated=0\n'
        'tcp LISTEN 0      9      *:8081 *:*\n'
        '\n'
        '@@kdebug tcp\tindex=1\tendpoint=127.0.0.1:8081\thost=127.0.0.1\tport=8081\taddress=127.0.0.1\tresolved=lit'
        'eral\tresolve_note=\tresolve_ms=19\trc=0\tconnect_ms=41\tmessage=Connection to 127.0.0.1 8081 port [tcp/*'
        '] succeeded! \n'
        '@@kdebug end\n'
    ),
    "strategy": 'ephemeral',
    "target": {
        "container": 'sidecar',
        "container_id": 'containerd://dd02c745db0ba2e60a65695b0a331631f08de557340adee28d29f4624a007908',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": None,
        "pod": 'multi',
    },
    "timed_out": False,
    "truncated": False,
}

# web with busybox as the tools image: no iproute2 ip, no ss, dig or curl, and a busybox nc.
BUSYBOX_IMAGE = {
    "changed": False,
    "duration_ms": 313,
    "failed": False,
    "failed_when_result": False,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing= s'
        's dig curl nc\n'
        '@@kdebug addr\trc=1\tbytes=0\ttruncated=0\n'
        '\n'
        '@@kdebug stderr\tof=addr\n'
        'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n'
        '\n'
        'Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n'
        '\n'
        'OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n'
        '\n'
        'ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]\n'
        'ip route list|flush|add|del|change|append|replace|test ROUTE\n'
        'ip link set IFACE [up|down] [arp on|off] [multicast on|off]\n'
        '\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]\n'
        '\t[master IFACE | nomaster] [netns PID]\n'
        'ip tunnel add|change|del|show [NAME]\n'
        '\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]\n'
        'ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]\n'
        'ip rule [list] | add|del SELECTOR ACTION\n'
        '\n'
        '@@kdebug route\trc=1\tbytes=0\ttruncated=0\n'
        '\n'
        '@@kdebug stderr\tof=route\n'
        'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n'
        '\n'
        'Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n'
        '\n'
        'OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n'
        '\n'
        'ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]\n'
        'ip route list|flush|add|del|change|append|replace|test ROUTE\n'
        'ip link set IFACE [up|down] [arp on|off] [multicast on|off]\n'
        '\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]\n'
        '\t[master IFACE | nomaster] [netns PID]\n'
        'ip tunnel add|change|del|show [NAME]\n'
        '\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]\n'
        'ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]\n'
        'ip rule [list] | add|del SELECTOR ACTION\n'
        '\n'
        '@@kdebug route6\trc=1\tbytes=0\ttruncated=0\n'
        '\n'
        '@@kdebug stderr\tof=route6\n'
        'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n'
        '\n'
        'Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n'
        '\n'
        'OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n'
        '\n'
        'ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]\n'
        'ip route list|flush|add|del|change|append|replace|test ROUTE\n'
        'ip link set IFACE [up|down] [arp on|off] [multicast on|off]\n'
        '\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]\n'
        '\t[master IFACE | nomaster] [netns PID]\n'
        'ip tunnel add|change|del|show [NAME]\n'
        '\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]\n'
        'ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]\n'
        'ip rule [list] | add|del SELECTOR ACTION\n'
        '\n'
        '@@kdebug listen\trc=127\tbytes=0\ttruncated=0\n'
        '\n'
        '@@kdebug stderr\tof=listen\n'
        'sh: ss: not found\n'
        '\n'
        '@@kdebug tcp\tindex=1\tendpoint=kube-dns.kube-system.svc.cluster.local:53\thost=kube-dns.kube-system.sv'
        'c.cluster.local\tport=53\taddress=\tresolved=fail\tresolve_note=dig is not in the tools image\tresolve_ms'
        '=0\trc=\tconnect_ms=\tmessage=dig is not in the tools image\n'
        '@@kdebug tcp\tindex=2\tendpoint=10.96.0.10:53\thost=10.96.0.10\tport=53\taddress=10.96.0.10\tresolved=lite'
        'ral\tresolve_note=\tresolve_ms=0\trc=1\tconnect_ms=0\tmessage= -e PROG Run PROG after connect \n'
        '@@kdebug http\tindex=1\turl=http://127.0.0.1:8080/\thost=127.0.0.1\tport=8080\taddress=127.0.0.1\tresolved'
        '=literal\tresolve_note=\tresolve_ms=0\trc=127\t\tmessage=sh: curl: not found \n'
        '@@kdebug end\n'
    ),
    "strategy": 'ephemeral',
    "target": {
        "container": 'web',
        "container_id": 'containerd://83e6fe87a678713143957a94e2588d38413874106ce97cf1c0af609e254c5a7d',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": None,
        "pod": 'web-68b79bb664-2xkrg',
    },
    "timed_out": False,
    "truncated": False,
}

# web with network_check_timeout 2 and a connect that takes 3 s: stopped before the tcp section.
TIMED_OUT = {
    "changed": False,
    "duration_ms": 2179,
    "failed": False,
    "failed_when_result": False,
    "rc": 124,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing=\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":359,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"96:aa:d4:49:20:52","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.7","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::94a'
        'a:d4ff:fe49:2052","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.7","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=65\ttruncated=0\n'
        'tcp LISTEN 0      9      *:8080 *:* users:(("httpd",pid=1,fd=3))\n'
        '\n'
    ),
    "strategy": 'ephemeral',
    "target": {
        "container": 'web',
        "container_id": 'containerd://83e6fe87a678713143957a94e2588d38413874106ce97cf1c0af609e254c5a7d',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": None,
        "pod": 'web-68b79bb664-2xkrg',
    },
    "timed_out": True,
    "truncated": False,
}

# web with a one-shot server answering 503 on 127.0.0.1:18080, certificates verified, 1 s timeouts.
HTTP_PROBLEMS = {
    "changed": False,
    "duration_ms": 1664,
    "rc": 0,
    "stderr": '',
    "stdout": (
        '@@kdebug network-probe\tversion=2\n'
        '@@kdebug resolver\tresolv_conf=/proc/1/root/etc/resolv.conf\thosts=/proc/1/root/etc/hosts\tnameservers='
        '10.96.0.10 \tsearch= kdebug-demo.svc.cluster.local svc.cluster.local cluster.local\tndots=5\tmissing=\n'
        '@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n'
        '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","oper'
        'state":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00'
        '","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"s'
        'cope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"'
        'inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_tim'
        'e":4294967295}]},{"ifindex":2,"link_index":359,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"'
        ',"LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","ad'
        'dress":"96:aa:d4:49:20:52","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"'
        'inet","local":"10.244.0.7","prefixlen":24,"broadcast":"10.244.0.255","scope":"global","label":"eth0"'
        ',"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::94a'
        'a:d4ff:fe49:2052","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4'
        '294967295}]}]\n'
        '\n'
        '@@kdebug route\trc=0\tbytes=173\ttruncated=0\n'
        '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0","flags":[]},{"dst":"10.244.0.0/24","dev":"eth0'
        '","protocol":"kernel","scope":"link","prefsrc":"10.244.0.7","flags":[]}]\n'
        '\n'
        '@@kdebug route6\trc=0\tbytes=95\ttruncated=0\n'
        '[{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]\n'
        '\n'
        '@@kdebug listen\trc=0\tbytes=65\ttruncated=0\n'
        'tcp LISTEN 0      9      *:8080 *:* users:(("httpd",pid=1,fd=3))\n'
        '\n'
        '@@kdebug http\tindex=1\turl=http://127.0.0.1:18080/ready\thost=127.0.0.1\tport=18080\taddress=127.0.0.1\tr'
        'esolved=literal\tresolve_note=\tresolve_ms=22\trc=0\tcode=503\ttime_total=0.002785\ttime_connect=0.002677\t'
        'remote_ip=127.0.0.1\tmessage=\n'
        '@@kdebug http\tindex=2\turl=https://10.96.0.1/healthz\thost=10.96.0.1\tport=443\taddress=10.96.0.1\tresolv'
        'ed=literal\tresolve_note=\tresolve_ms=10\trc=60\tcode=000\ttime_total=0.169085\ttime_connect=0.000000\tremo'
        'te_ip=10.96.0.1\tmessage=curl: (60) SSL certificate problem: unable to get local issuer certificate \n'
        '@@kdebug http\tindex=3\turl=http://10.96.0.10:1/\thost=10.96.0.10\tport=1\taddress=10.96.0.10\tresolved=li'
        'teral\tresolve_note=\tresolve_ms=9\trc=28\tcode=000\ttime_total=1.000292\ttime_connect=0.000000\tremote_ip='
        '\tmessage=curl: (28) Failed to connect to 10.96.0.10 port 1 after 1000 ms: Timeout was reached \n'
        '@@kdebug end\n'
    ),
    "strategy": 'ephemeral',
    "target": {
        "container": 'web',
        "container_id": 'containerd://83e6fe87a678713143957a94e2588d38413874106ce97cf1c0af609e254c5a7d',
        "namespace": 'kdebug-demo',
        "node": 'kdebug-lab',
        "pid": None,
        "pod": 'web-68b79bb664-2xkrg',
    },
    "timed_out": False,
    "truncated": False,
}

# a pod that does not exist (registered with failed_when: false).
NO_POD = {
    "changed": False,
    "failed": False,
    "failed_when_result": False,
    "msg": 'pod no-such-pod not found in namespace kdebug-demo: check the pod name (kubectl get pods -n kdebug-demo).',
}


# ---------------------------------------------------------------------------- helpers


def _edit(sample, section, text):
    """A copy of ``sample`` with the body of one probe section replaced."""
    result = copy.deepcopy(sample)
    lines = result["stdout"].split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("@@kdebug %s\t" % section))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("@@kdebug "))
    lines[start + 1:end] = text.split("\n") + [""]
    result["stdout"] = "\n".join(lines)
    return result


def _replace(sample, old, new):
    result = copy.deepcopy(sample)
    assert old in result["stdout"]
    result["stdout"] = result["stdout"].replace(old, new)
    return result


def _by_name(checks):
    names = [c["name"] for c in checks]
    assert len(names) == len(set(names)), names
    return dict((c["name"], c) for c in checks)


WEB_KW = dict(endpoints=WEB_ENDPOINTS, urls=WEB_URLS, expected_ports=[8080])
WEB_LOW_MTU = _replace(WEB_EPHEMERAL, '"mtu":1500', '"mtu":1000')
WEB_ETH0_DOWN = _replace(_replace(WEB_EPHEMERAL, '"flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]',
                                  '"flags":["BROADCAST","MULTICAST"]'),
                         '"operstate":"UP"', '"operstate":"DOWN"')
WEB_NO_CARRIER = _replace(WEB_EPHEMERAL, '"flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]',
                          '"flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"]')
WEB_LO_DOWN = _replace(WEB_EPHEMERAL, '"flags":["LOOPBACK","UP","LOWER_UP"]', '"flags":["LOOPBACK"]')
WEB_NO_DEFAULT = _edit(WEB_EPHEMERAL, "route", '[{"dst":"10.244.0.0/24","dev":"eth0","protocol":"kernel",'
                                               '"scope":"link","prefsrc":"10.244.0.7","flags":[]}]')
WEB_V6_DEFAULT_ONLY = _edit(_edit(WEB_EPHEMERAL, "route", "[]"), "route6",
                            '[{"dst":"fd00::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],'
                            '"pref":"medium"},{"dst":"default","gateway":"fd00::1","dev":"eth0","metric":1024,'
                            '"flags":[],"pref":"medium"}]')
WEB_LINKDOWN_DEFAULT = _edit(WEB_EPHEMERAL, "route", '[{"dst":"default","gateway":"10.244.0.1","dev":"eth0",'
                                                     '"flags":["linkdown"]}]')
WEB_ADDR_CUT = _replace(WEB_EPHEMERAL, "@@kdebug addr\trc=0\tbytes=1114\ttruncated=0\n[{",
                        "@@kdebug addr\trc=0\tbytes=1114\ttruncated=1\n[[{")
WEB_EXTRA_LISTENERS = _edit(WEB_EPHEMERAL, "listen", SS_EXTRA_LISTENERS.rstrip("\n"))
WEB_NO_TCP_LINE = dict(copy.deepcopy(WEB_EPHEMERAL), stdout="\n".join(
    line for line in WEB_EPHEMERAL["stdout"].split("\n") if not line.startswith("@@kdebug tcp\tindex=2\t")))
WEB_TOOLS_CUT = dict(copy.deepcopy(WEB_EPHEMERAL), truncated=True,
                     stdout=WEB_EPHEMERAL["stdout"][:WEB_EPHEMERAL["stdout"].index("@@kdebug tcp\t")])
NOTHING_PRINTED = {"changed": False, "failed": False, "rc": 126, "stdout": "",
                   "stderr": "sh: 1: exec: /bin/sh: Permission denied\n", "timed_out": False, "truncated": False,
                   "strategy": "agent", "target": dict(NOSHELL_AGENT["target"])}
CHECK_MODE = {"changed": True, "failed": False, "plan": {"would_create": True, "argv": ["sh", "-c", "..."]},
              "stdout": "", "stderr": "", "timed_out": False, "truncated": False, "duration_ms": 0,
              "strategy": "ephemeral", "msg": "check mode: nothing was created or run",
              "target": dict(WEB_EPHEMERAL["target"])}

# (sample, filter arguments, {check name: (status, [texts in its summary])}): the checks in order.
CASES = [
    ("web, all kinds of endpoints", WEB_EPHEMERAL, WEB_KW, [
        ("network interfaces", "pass", ["eth0 up, MTU 1500, 10.244.0.7/24"]),
        ("routes", "pass", ["default via 10.244.0.1 dev eth0"]),
        ("listening sockets", "pass", ["httpd (pid 1) on *:8080/tcp"]),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "pass", ["(10.96.0.10:53) connected in 19 ms"]),
        ("TCP connect to kubernetes.default.svc.cluster.local:443", "pass", ["(10.96.0.1:443) connected in"]),
        ("TCP connect to web.kdebug-demo.svc.cluster.local:80", "pass", ["(10.96.163.58:80) connected"]),
        ("TCP connect to 10.96.0.10:1", "fail", ["10.96.0.10:1: no answer (connect timed out) after 3055 ms"]),
        ("TCP connect to 127.0.0.1:9", "fail", ["127.0.0.1:9: connection refused"]),
        ("TCP connect to [::1]:8080", "pass", ["[::1]:8080 connected in"]),
        ("TCP connect to localhost:8080", "pass", ["localhost:8080 (127.0.0.1:8080) connected"]),
        ("TCP connect to nosuchname.example.invalid:80", "fail",
         ["nosuchname.example.invalid does not resolve", "NXDOMAIN from 10.96.0.10"]),
        ("HTTP GET http://127.0.0.1:8080/", "pass", ["HTTP 200 in", "from 127.0.0.1"]),
        ("HTTP GET http://web.kdebug-demo.svc/", "pass", ["HTTP 200", "from 10.96.163.58"]),
        ("HTTP GET https://kubernetes.default.svc/healthz", "pass", ["HTTP 200", "from 10.96.0.1"]),
        ("HTTP GET http://127.0.0.1:8080/nope", "pass", ["HTTP 404"]),
        ("HTTP GET http://127.0.0.1:9/", "fail", ["GET failed: curl: (7) Failed to connect to 127.0.0.1 port 9"]),
    ]),
    ("allowed statuses", WEB_EPHEMERAL, dict(urls=WEB_URLS, http_statuses=[200], endpoints=DEFAULT_ENDPOINTS), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "pass", []),
        ("TCP connect to kubernetes.default.svc.cluster.local:443", "pass", []),
        ("HTTP GET http://127.0.0.1:8080/", "pass", []),
        ("HTTP GET http://web.kdebug-demo.svc/", "pass", []),
        ("HTTP GET https://kubernetes.default.svc/healthz", "pass", []),
        ("HTTP GET http://127.0.0.1:8080/nope", "fail", ["HTTP 404", "(expected 200)"]),
        ("HTTP GET http://127.0.0.1:9/", "fail", ["curl: (7)"]),
    ]),
    ("a declared port nobody listens on", WEB_EPHEMERAL, dict(endpoints=["127.0.0.1:9"], expected_ports=[8080, 9999]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "fail", ["nothing listens on declared port 9999", "httpd (pid 1) on *:8080/tcp"]),
        ("TCP connect to 127.0.0.1:9", "fail", ["connection refused"]),
    ]),
    ("without the lists: what the probe did", WEB_EPHEMERAL, dict(endpoints=None, urls=None), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
    ] + [("TCP connect to " + e, None, []) for e in WEB_ENDPOINTS] + [("HTTP GET " + u, None, []) for u in WEB_URLS]),
    ("dns-broken through the agent", DNS_BROKEN_AGENT, dict(endpoints=DEFAULT_ENDPOINTS,
                                                            urls=["http://kubernetes.default.svc/"]), [
        ("network interfaces", "pass", ["10.244.0.5/24"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", ["no listening sockets"]),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "fail",
         ["does not resolve", "nameserver 10.244.0.253", "timed out"]),
        ("TCP connect to kubernetes.default.svc.cluster.local:443", "fail", ["does not resolve"]),
        ("HTTP GET http://kubernetes.default.svc/", "fail", ["kubernetes.default.svc does not resolve"]),
    ]),
    ("noshell through the agent", NOSHELL_AGENT, dict(endpoints=DEFAULT_ENDPOINTS,
                                                      urls=["http://127.0.0.1:8080/healthz"], expected_ports=[8080]), [
        ("network interfaces", "pass", ["10.244.0.4/24"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", ["demoapp (pid 1) on *:8080/tcp"]),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "pass", []),
        ("TCP connect to kubernetes.default.svc.cluster.local:443", "pass", []),
        ("HTTP GET http://127.0.0.1:8080/healthz", "pass", ["HTTP 200"]),
    ]),
    ("a listener in another pid namespace", MULTI_SIDECAR, dict(endpoints=["127.0.0.1:8081"], expected_ports=[8081]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", ["a process outside the target's pid namespace on *:8081/tcp"]),
        ("TCP connect to 127.0.0.1:8081", "pass", []),
    ]),
    ("the wrong tools image", BUSYBOX_IMAGE, dict(endpoints=["kube-dns.kube-system.svc.cluster.local:53",
                                                             "10.96.0.10:53"], urls=["http://127.0.0.1:8080/"]), [
        ("network interfaces", "error", ["ip -j addr failed (rc 1): BusyBox"]),
        ("routes", "error", ["ip -j route failed (rc 1)"]),
        ("listening sockets", "error", ["the tools image has no ss"]),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "error", ["the tools image has no dig"]),
        ("TCP connect to 10.96.0.10:53", "error", ["the tools image has no OpenBSD nc"]),
        ("HTTP GET http://127.0.0.1:8080/", "error", ["the tools image has no curl"]),
    ]),
    ("stopped at the timeout", TIMED_OUT, dict(endpoints=["10.96.0.10:1", "10.96.0.10:53"], timeout=2), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 10.96.0.10:1", "error", ["stopped at its timeout of 2 s", "network_check_timeout"]),
        ("TCP connect to 10.96.0.10:53", "error", ["stopped at its timeout of 2 s"]),
    ]),
    ("HTTP problems", HTTP_PROBLEMS, dict(urls=HTTP_URLS), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("HTTP GET http://127.0.0.1:18080/ready", "fail", ["HTTP 503 in", "(expected below 500)"]),
        ("HTTP GET https://10.96.0.1/healthz", "fail", ["curl: (60) SSL certificate problem"]),
        ("HTTP GET http://10.96.0.10:1/", "fail", ["curl: (28) Failed to connect to 10.96.0.10 port 1"]),
    ]),
    ("503 allowed", HTTP_PROBLEMS, dict(urls=HTTP_URLS[:1], http_statuses=[200, 503]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("HTTP GET http://127.0.0.1:18080/ready", "pass", ["HTTP 503"]),
    ]),
    ("low MTU", WEB_LOW_MTU, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "fail", ["eth0 MTU 1000 is below 1280"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("low MTU, lower threshold", WEB_LOW_MTU, dict(endpoints=["127.0.0.1:9"], min_mtu=900), [
        ("network interfaces", "pass", ["MTU 1000"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("eth0 down", WEB_ETH0_DOWN, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "fail", ["no interface besides loopback is up with an address", "eth0 down"]),
        ("routes", "fail", ["every default route goes through an interface that is down", "via 10.244.0.1 dev eth0"]),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("eth0 without carrier", WEB_NO_CARRIER, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "fail", ["eth0 up, no carrier"]),
        ("routes", "fail", ["down"]),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("loopback down", WEB_LO_DOWN, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "fail", ["loopback is down"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("no default route", WEB_NO_DEFAULT, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "pass", []),
        ("routes", "fail", ["no default route", "10.244.0.0/24 dev eth0", "fe80::/64 dev eth0"]),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("IPv6 default route only", WEB_V6_DEFAULT_ONLY, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", ["default via fd00::1 dev eth0"]),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("default route linkdown", WEB_LINKDOWN_DEFAULT, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "pass", []),
        ("routes", "fail", ["down"]),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("cut JSON", WEB_ADDR_CUT, dict(endpoints=["127.0.0.1:9"]), [
        ("network interfaces", "error", ["could not parse the output of ip -j addr (the output was cut"]),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("loopback-only and UDP listeners", WEB_EXTRA_LISTENERS, dict(endpoints=["127.0.0.1:9"],
                                                                  expected_ports=[8080, 5353, 9999, 9998]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "fail", ["port 9999 is only listened on loopback (127.0.0.1:9999)",
                                       "port 9998 is only listened on loopback ([::1]:9998)"]),
        ("TCP connect to 127.0.0.1:9", "fail", []),
    ]),
    ("an endpoint the probe has no line for", WEB_NO_TCP_LINE, dict(endpoints=DEFAULT_ENDPOINTS), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to kube-dns.kube-system.svc.cluster.local:53", "pass", []),
        ("TCP connect to kubernetes.default.svc.cluster.local:443", "error", ["no result for", "rc 0"]),
    ]),
    ("output cut at max_output_bytes", WEB_TOOLS_CUT, dict(endpoints=["127.0.0.1:9"], urls=["http://127.0.0.1:9/"]), [
        ("network interfaces", "pass", []),
        ("routes", "pass", []),
        ("listening sockets", "pass", []),
        ("TCP connect to 127.0.0.1:9", "error", ["max_output_bytes"]),
        ("HTTP GET http://127.0.0.1:9/", "error", ["max_output_bytes"]),
    ]),
    ("a pod that does not exist", NO_POD, dict(pod="no-such-pod", namespace="kdebug-demo"), [
        ("network check", "error", ["could not run the network probe in kdebug-demo/no-such-pod",
                                    "pod no-such-pod not found in namespace kdebug-demo"]),
    ]),
    ("the probe printed nothing", NOTHING_PRINTED, dict(pod="noshell", namespace="kdebug-demo"), [
        ("network check", "error", ["printed nothing it could read (rc 126)", "Permission denied"]),
    ]),
    ("check mode", CHECK_MODE, dict(endpoints=DEFAULT_ENDPOINTS), [
        ("network check", "skipped", ["check mode"]),
    ]),
]


@pytest.mark.parametrize("sample, kwargs, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_checks(sample, kwargs, expected):
    before = copy.deepcopy(sample)
    kwargs = dict({"endpoints": [], "urls": []}, **kwargs)  # as the role calls it: both lists, maybe empty
    checks = network_check.network_check_results(sample, **kwargs)
    assert sample == before  # the registered result is not modified
    assert [c["name"] for c in checks] == [name for name, _status, _texts in expected]
    for check, (name, status, texts) in zip(checks, expected):
        if status is not None:
            assert check["status"] == status, (name, check["summary"])
        for text in texts:
            assert text in check["summary"], (name, text, check["summary"])
    # Valid results, JSON-able (report.json), with the exec target without its pid.
    assert validate_checks(checks) == validate_checks(json.loads(json.dumps(checks)))
    for check in checks:
        if sample.get("target"):
            assert check["target"] == dict((k, v) for k, v in sample["target"].items() if k != "pid")
        if "duration_ms" in check:
            assert isinstance(check["duration_ms"], int) and check["duration_ms"] >= 0


def test_check_mode_plan_without_the_script():
    check = network_check.network_check_results(CHECK_MODE, endpoints=[], urls=[])[0]
    assert check["details"] == {"plan": {"would_create": True}}


def test_error_check_target_without_exec_target():
    checks = network_check.network_check_results(NO_POD, pod="no-such-pod", namespace="kdebug-demo", container="")
    assert checks[0]["target"] == {"namespace": "kdebug-demo", "pod": "no-such-pod", "container": None}
    checks = network_check.network_check_results(NO_POD, pod="p", container="app")
    assert checks[0]["target"] == {"namespace": "default", "pod": "p", "container": "app"}


def test_details_of_the_web_checks():
    checks = _by_name(network_check.network_check_results(WEB_EPHEMERAL, **WEB_KW))
    interfaces = checks["network interfaces"]["details"]
    assert [(i["name"], i["up"], i["loopback"], i["mtu"]) for i in interfaces["interfaces"]] == [
        ("lo", True, True, 65536), ("eth0", True, False, 1500)]
    assert {"family": "ipv4", "address": "10.244.0.7/24", "scope": "global"} in interfaces["interfaces"][1]["addresses"]
    assert checks["network interfaces"]["evidence"] == [
        {"label": "interfaces (ip -j addr, brief)",
         "text": "lo UNKNOWN mtu 65536 127.0.0.1/8 ::1/128\neth0 UP mtu 1500 10.244.0.7/24 fe80::94aa:d4ff:fe49:2052/64"}]
    assert checks["routes"]["evidence"] == [
        {"label": "ipv4 routes (ip -j route, brief)", "text": "default via 10.244.0.1 dev eth0\n10.244.0.0/24 dev eth0"},
        {"label": "ipv6 routes (ip -j -6 route, brief)", "text": "fe80::/64 dev eth0"}]

    routes = checks["routes"]["details"]
    assert routes["default_routes"] == [{"family": "ipv4", "gateway": "10.244.0.1", "dev": "eth0"}]

    sockets = checks["listening sockets"]["details"]
    assert sockets["listening"] == ["httpd (pid 1) on *:8080/tcp"]
    assert sockets["sockets"][0]["processes"] == [{"name": "httpd", "pid": 1, "fd": 3}]
    assert sockets["missing_ports"] == [] and sockets["expected_ports"] == [8080]

    dns = checks["TCP connect to kube-dns.kube-system.svc.cluster.local:53"]
    assert dns["details"]["address"] == "10.96.0.10" and dns["details"]["resolved"] == "dns"
    assert dns["details"]["connect_ms"] == 19 and dns["details"]["resolve_ms"] == 1097
    assert dns["duration_ms"] == 19 + 1097
    assert dns["details"]["resolver"]["nameservers"] == ["10.96.0.10"]
    assert dns["details"]["resolver"]["resolv_conf"] == "/proc/1/root/etc/resolv.conf"
    assert "Connection to 10.96.0.10 53 port [tcp/*] succeeded!" in dns["evidence"]

    refused = checks["TCP connect to 127.0.0.1:9"]["details"]
    assert refused["rc"] == 1 and "Connection refused" in refused["error"] and "resolver" not in refused

    http = checks["HTTP GET http://127.0.0.1:8080/"]
    assert http["details"]["status_code"] == 200 and http["details"]["remote_ip"] == "127.0.0.1"
    assert isinstance(http["details"]["time_total_ms"], int) and http["duration_ms"] == http["details"]["time_total_ms"]
    assert http["details"]["allowed_statuses"] == "any status below 500"


def test_parse_probe_output_sections():
    sections = network_check.parse_probe_output(BUSYBOX_IMAGE["stdout"])
    assert sections["_end"] is True
    assert sorted(k for k in sections if k != "_end") == ["addr", "http", "listen", "resolver", "route", "route6",
                                                          "tcp"]
    assert sections["listen"]["rc"] == 127 and sections["listen"]["stderr"] == "sh: ss: not found"
    assert sections["addr"]["text"] == "" and sections["addr"]["stderr"].startswith("BusyBox v1.35.0")
    assert sections["resolver"]["missing"].split() == ["ss", "dig", "curl", "nc"]
    assert [(r["index"], r["endpoint"]) for r in sections["tcp"]] == [
        ("1", "kube-dns.kube-system.svc.cluster.local:53"), ("2", "10.96.0.10:53")]
    assert network_check.parse_probe_output("")["_end"] is False
    assert network_check.parse_probe_output(TIMED_OUT["stdout"])["_end"] is False


def test_parse_listening_sockets():
    sockets = network_check.parse_listening_sockets(SS_EXTRA_LISTENERS + "garbage\n")
    assert [(s["protocol"], s["address"], s["port"], s["loopback_only"], s["process"]) for s in sockets] == [
        ("udp", "0.0.0.0", 5353, False, "nc (pid 1223)"),
        ("tcp", "127.0.0.1", 9999, True, "nc (pid 1224)"),
        ("tcp", "*", 8080, False, "httpd (pid 1)"),
        ("tcp", "::1", 9998, True, "nc (pid 1225)"),
    ]
    more = network_check.parse_listening_sockets(
        "udp UNCONN 0 0 10.244.0.7%eth0:68 0.0.0.0:*\n"
        "tcp LISTEN 0 128 [::ffff:127.0.0.1]:7000 [::]:* users:((\"a b\",pid=7,fd=4),(\"worker\",pid=8,fd=4))\n")
    assert (more[0]["address"], more[0]["interface"], more[0]["port"], more[0]["process"]) == ("10.244.0.7", "eth0", 68, None)
    assert more[1]["loopback_only"] is True and more[1]["process"] == "a b (pid 7), worker (pid 8)"


def test_many_listeners_are_summarised():
    lines = "\n".join("tcp LISTEN 0 9 *:%d *:* users:((\"srv\",pid=1,fd=%d))" % (8000 + n, n) for n in range(8))
    check = _by_name(network_check.network_check_results(_edit(WEB_EPHEMERAL, "listen", lines), endpoints=[], urls=[]))
    summary = check["listening sockets"]["summary"]
    assert summary.count("srv (pid 1)") == 5 and summary.endswith("and 3 more")
    assert len(check["listening sockets"]["details"]["sockets"]) == 8


@pytest.mark.parametrize("kwargs, text", [
    (dict(endpoints="a:1"), "endpoints must be a list"),
    (dict(urls={"u": 1}), "urls must be a list"),
    (dict(expected_ports=["http"]), "expected_ports must be a list of integers"),
    (dict(expected_ports=[True]), "expected_ports must be a list of integers"),
    (dict(http_statuses="200"), "http_statuses must be a list of integers"),
])
def test_bad_arguments(kwargs, text):
    with pytest.raises(AnsibleFilterError, match=text):
        network_check.network_check_results(WEB_EPHEMERAL, **kwargs)


@pytest.mark.parametrize("value", [None, "text", ["a"]])
def test_not_an_exec_result(value):
    with pytest.raises(AnsibleFilterError, match="registered kdebug_exec result"):
        network_check.network_check_results(value)


def test_string_ports_and_duplicates():
    checks = network_check.network_check_results(WEB_EPHEMERAL, endpoints=["127.0.0.1:9", "127.0.0.1:9"],
                                                 expected_ports=["8080", 8080], min_mtu="1280")
    assert [c["name"] for c in checks].count("TCP connect to 127.0.0.1:9") == 1
    assert _by_name(checks)["listening sockets"]["details"]["expected_ports"] == [8080]


def test_filter_is_registered():
    assert network_check.FilterModule().filters()["network_check_results"] is network_check.network_check_results


# ---------------------------------------------------------------------------- the role's files


def test_probe_is_posix_sh():
    for shell in ("sh", "dash", "busybox"):
        path = shutil.which(shell)
        if path:
            argv = [path, "sh", "-n", PROBE] if shell == "busybox" else [path, "-n", PROBE]
            assert subprocess.run(argv, capture_output=True, check=False).returncode == 0, shell


def test_role_defaults_match_argument_specs():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(ROLE, "meta", "argument_specs.yml")) as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    assert set(options) - set(defaults) == {"network_check_pod"}
    assert set(defaults) <= set(options)
    for name, value in defaults.items():
        assert options[name]["default"] == value, name


# The web probe's output as a hostNetwork pod's result would carry it (the target says network: node): what the probe
# lists is then the node's (tests/integration/roles/test_host_network.py runs it on a real hostNetwork pod).
HOST_NETWORK = dict(copy.deepcopy(WEB_EPHEMERAL),
                    target=dict(WEB_EPHEMERAL["target"], network="node", dns_policy="ClusterFirst"))


def test_a_hostnetwork_pod_shares_its_nodes_interfaces_routes_and_sockets():
    checks = network_check.network_check_results(HOST_NETWORK, **WEB_KW)
    assert validate_checks(checks)
    by_name = _by_name(checks)
    assert checks[0]["name"] == "host network"
    assert by_name["host network"]["status"] == "pass"
    assert by_name["host network"]["summary"] == (
        "pod kdebug-demo/web-68b79bb664-2xkrg shares node kdebug-lab's network (spec.hostNetwork: true): the "
        "interfaces, routes and listening sockets listed here are the node's, shared with every hostNetwork pod there")
    plain = _by_name(network_check.network_check_results(WEB_EPHEMERAL, **WEB_KW))
    for name, what in (("network interfaces", "interfaces"), ("routes", "routes"),
                       ("listening sockets", "listening sockets")):
        check = by_name[name]
        assert check["status"] == plain[name]["status"]
        assert check["summary"] == "node kdebug-lab's %s (hostNetwork): %s" % (what, plain[name]["summary"])
        assert check["details"]["network"] == "node"
        assert [e["label"] for e in check["evidence"]] == [
            "node kdebug-lab's %s, %s" % (what, e["label"]) for e in plain[name]["evidence"]]
        assert check["target"]["network"] == "node"


def test_a_pod_with_its_own_network_has_no_host_network_check():
    checks = network_check.network_check_results(WEB_EPHEMERAL, **WEB_KW)
    assert "host network" not in _by_name(checks)
    assert all("network" not in c["details"] for c in checks)
