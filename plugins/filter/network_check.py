# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The network_check runbook's parsing: the probe's output (one kdebug_exec call) as check results.

The probe is roles/network_check/files/network_probe.sh. It prints the probes' format
(plugins/plugin_utils/probe.py): ``@@kdebug NAME<TAB>key=value...`` section lines, each followed by its body:

    resolver  fields only: which resolv.conf and hosts file names were resolved with, the tools the image lacks
    addr      ``ip -j addr show`` (fields rc, bytes, truncated; its stderr, when any, in ``stderr`` of=addr)
    route     ``ip -j route show``
    route6    ``ip -j -6 route show``
    listen    ``ss -H -l -t -u -n -p``
    tcp       one per endpoint, fields only (endpoint, address, resolved, rc, connect_ms, message...)
    http      one per URL, fields only (url, address, rc, code, time_total, message...)

Checks follow docs/result-schema.md; per-filter documentation is in plugins/filter/network_check_results.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import failure_details, make_check, with_access
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import node_network
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import probe as probe_output

COMMAND_SECTIONS = ("addr", "route", "route6", "listen")
TARGET_KEYS = ("namespace", "pod", "container", "container_id", "node", "network", "dns_policy")
DEFAULT_MIN_MTU = 1280
EVIDENCE_MAX = 8000
SOCKETS_IN_SUMMARY = 5

_PROCESS = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')


# ---------------------------------------------------------------------------- parsing the probe's output

def parse_probe_output(stdout):
    """The probe's output: ``{command: {rc, text, stderr, bytes, truncated}, "resolver": {fields}, "tcp": [fields],
    "http": [fields], "_end": bool}``; a part the probe did not print is missing (tcp and http: when it printed
    no item at all)."""
    output = probe_output.parse(stdout)
    sections = {"_end": output.ended}
    for section in output.sections:
        if section.name in COMMAND_SECTIONS:
            sections[section.name] = {"rc": section.int("rc"), "bytes": section.int("bytes"),
                                      "truncated": section.get("truncated") == "1", "text": section.text,
                                      "stderr": ""}
        elif section.name == "stderr" and section.get("of") in sections:
            sections[section.get("of")]["stderr"] = section.text
        elif section.name == "resolver":
            sections["resolver"] = dict(section.fields)
        elif section.name in ("tcp", "http"):
            sections.setdefault(section.name, []).append(dict(section.fields))
    return sections


def _int(value, default=None):
    return probe_output.number(value, default)


def _float(value, default=None):
    return probe_output.number(value, default, float)


def _first_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _clip(text, limit=EVIDENCE_MAX):
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "\n... (%d more characters)" % (len(text) - limit)


# ---------------------------------------------------------------------------- the checks

class _Context(object):
    """What every check needs: the target, the exec result and why a section may be missing."""

    def __init__(self, result, target, sections, timeout=None):
        self.result = result
        self.timeout = timeout
        self.target = target
        self.sections = sections
        probe = sections.get("resolver") or {}
        self.missing = set((probe.get("missing") or "").split())
        self.resolver = dict((k, probe[k]) for k in ("resolv_conf", "hosts", "nameservers", "search", "ndots")
                             if probe.get(k))
        if "nameservers" in self.resolver:
            self.resolver["nameservers"] = self.resolver["nameservers"].split()
        if "search" in self.resolver:
            self.resolver["search"] = self.resolver["search"].split()

    def lacks(self, tool):
        """Summary for a check that could not run because the tools image lacks ``tool``."""
        what = "OpenBSD nc" if tool == "nc" else tool
        return ("the tools image has no %s (network_check_image needs ip from iproute2, ss, dig, OpenBSD nc and "
                "curl)" % what)

    def check(self, name, status, summary, details=None, evidence=None, duration_ms=None):
        return make_check(name, status, summary, self.target, details, evidence, duration_ms)

    def node_level(self, name, status, summary, details, evidence, what):
        """A check of something a hostNetwork pod shares with its node (``what``: interfaces, routes, listening
        sockets): labelled as the node's in its summary, details and evidence; a plain check for any other pod."""
        if node_network.shares_node_network(self.target):
            whose = "%s's %s" % (node_network.node_label(self.target), what)
            summary = "%s (hostNetwork): %s" % (whose, summary)
            details = dict(details or {}, network=node_network.NODE)
            evidence = [dict(e, label="%s, %s" % (whose, e["label"])) for e in evidence or []]
        return self.check(name, status, summary, details, evidence)

    def missing_reason(self):
        """Why a section (or an item) is not in the output."""
        if self.result.get("timed_out"):
            return "the probe was stopped at its timeout%s before it got there (raise network_check_timeout)" % (
                " of %s s" % self.timeout if self.timeout else "")
        if self.result.get("truncated"):
            return "the probe's output was cut at kdebug_exec's max_output_bytes"
        why = _first_line(self.result.get("stderr"))
        return "the probe did not print it (rc %s%s)" % (self.result.get("rc"), ": " + why if why else "")

    def section(self, name, label):
        """(section, None, []) when it ran fine, else (None, summary of what went wrong, evidence)."""
        section = self.sections.get(name)
        if section is None:
            return None, "no %s output: %s" % (label, self.missing_reason()), []
        if section["rc"] != 0:
            tool = label.split()[0]
            if section["rc"] == 127 or tool in self.missing:
                return None, self.lacks(tool), \
                    [{"label": label + " (stderr)", "text": _clip(section["stderr"])}] if section["stderr"] else []
            why = _first_line(section["stderr"]) or _first_line(section["text"])
            return None, "%s failed (rc %s)%s" % (label, section["rc"], ": " + why if why else ""), \
                [{"label": label + " (stderr)", "text": _clip(section["stderr"])}] if section["stderr"] else []
        return section, None, []

    def parsed_json(self, name, label):
        """(value, None, []) or (None, summary, evidence) for a JSON section."""
        section, problem, evidence = self.section(name, label)
        if section is None:
            return None, problem, evidence
        try:
            value = json.loads(section["text"] or "[]")
        except ValueError as err:
            cut = " (the output was cut at %s bytes)" % len(section["text"]) if section["truncated"] else ""
            return None, "could not parse the output of %s%s: %s" % (label, cut, err), \
                [{"label": label, "text": _clip(section["text"])}]
        if not isinstance(value, list):
            return None, "unexpected output of %s: not a JSON list" % label, \
                [{"label": label, "text": _clip(section["text"])}]
        return value, None, []


def _target(result, namespace, pod, container):
    target = result.get("target") if isinstance(result, Mapping) else None
    if isinstance(target, Mapping) and target.get("pod"):
        return dict((k, target.get(k)) for k in TARGET_KEYS if k in target)
    return {"namespace": namespace or "default", "pod": pod, "container": container or None}


# --- interfaces

def _interfaces(links):
    interfaces = []
    for link in links:
        if not isinstance(link, Mapping):
            continue
        flags = link.get("flags") or []
        addresses = []
        for info in link.get("addr_info") or []:
            if isinstance(info, Mapping) and info.get("local"):
                addresses.append({"family": "ipv6" if info.get("family") == "inet6" else "ipv4",
                                  "address": "%s/%s" % (info["local"], info.get("prefixlen", "")),
                                  "scope": info.get("scope", "")})
        interfaces.append({
            "name": link.get("ifname", "?"),
            "up": "UP" in flags,
            "carrier": "LOWER_UP" in flags,
            "operstate": link.get("operstate", ""),
            "loopback": "LOOPBACK" in flags or link.get("link_type") == "loopback",
            "mtu": link.get("mtu"),
            "mac": link.get("address", ""),
            "addresses": addresses,
        })
    return interfaces


def _interface_line(iface):
    state = "up" if iface["up"] and iface["carrier"] else ("up, no carrier" if iface["up"] else "down")
    addresses = [a["address"] for a in iface["addresses"] if a["scope"] != "link"]
    return "%s %s, MTU %s%s" % (iface["name"], state, iface["mtu"],
                                ", " + " ".join(addresses) if addresses else ", no address")


def _check_interfaces(ctx, min_mtu):
    name = "network interfaces"
    links, problem, evidence = ctx.parsed_json("addr", "ip -j addr")
    if links is None:
        return ctx.check(name, "error", problem, evidence=evidence), []
    interfaces = _interfaces(links)
    brief = "\n".join("%s %s mtu %s %s" % (i["name"], i["operstate"] or "?", i["mtu"], " ".join(
        a["address"] for a in i["addresses"])) for i in interfaces)
    raw = [{"label": "interfaces (ip -j addr, brief)", "text": _clip(brief) or "(none)"}]
    details = {"interfaces": interfaces, "min_mtu": min_mtu}
    problems = []
    loopback = [i for i in interfaces if i["loopback"]]
    if not loopback or not any(i["up"] for i in loopback):
        problems.append("loopback is %s: the pod's containers cannot talk to each other on 127.0.0.1"
                        % ("missing" if not loopback else "down"))
    others = [i for i in interfaces if not i["loopback"]]
    working = [i for i in others if i["up"] and i["carrier"]
               and any(a["scope"] == "global" for a in i["addresses"])]
    if not working:
        if not others:
            problems.append("no network interface besides loopback")
        else:
            problems.append("no interface besides loopback is up with an address (%s)"
                            % "; ".join(_interface_line(i) for i in others))
    low = [i for i in others if i["up"] and isinstance(i["mtu"], int) and i["mtu"] < min_mtu]
    for iface in low:
        problems.append("%s MTU %s is below %s: larger packets are dropped or fragmented"
                        % (iface["name"], iface["mtu"], min_mtu))
    details["problems"] = problems
    shown = "; ".join(_interface_line(i) for i in (working or others))
    if problems:
        return ctx.node_level(name, "fail", "; ".join(problems), details, raw, "interfaces"), interfaces
    return ctx.node_level(name, "pass", shown, details, raw, "interfaces"), interfaces


# --- routes

def _default_route(route):
    return route.get("dst") in ("default", "0.0.0.0/0", "::/0")


def _route_line(route):
    parts = [str(route.get("dst", "?"))]
    if route.get("gateway"):
        parts.append("via %s" % route["gateway"])
    if route.get("dev"):
        parts.append("dev %s" % route["dev"])
    return " ".join(parts)


def _check_routes(ctx, interfaces):
    name = "routes"
    v4, problem4, evidence4 = ctx.parsed_json("route", "ip -j route")
    v6, problem6, evidence6 = ctx.parsed_json("route6", "ip -j -6 route")
    if v4 is None and v6 is None:
        return ctx.check(name, "error", problem4, {"ipv6": problem6}, evidence4 + evidence6)
    routes = {"ipv4": [r for r in v4 or [] if isinstance(r, Mapping)],
              "ipv6": [r for r in v6 or [] if isinstance(r, Mapping)]}
    details = {"ipv4": routes["ipv4"], "ipv6": routes["ipv6"]}
    evidence = []
    for family, label, parsed in (("ipv4", "ip -j route, brief", v4), ("ipv6", "ip -j -6 route, brief", v6)):
        if parsed is not None:
            evidence.append({"label": "%s routes (%s)" % (family, label),
                             "text": _clip("\n".join(_route_line(r) for r in routes[family])) or "(none)"})
    notes = [p for p in (problem4, problem6) if p]
    if notes:
        details["notes"] = notes
    defaults = [dict(r, family=family) for family in ("ipv4", "ipv6") for r in routes[family] if _default_route(r)]
    details["default_routes"] = [{"family": r["family"], "gateway": r.get("gateway"), "dev": r.get("dev")}
                                 for r in defaults]
    if not defaults:
        connected = [_route_line(r) for fam in ("ipv4", "ipv6") for r in routes[fam]]
        return ctx.node_level(name, "fail", "no default route: the pod reaches only %s"
                              % (", ".join(connected) if connected else "nothing (no routes at all)"), details,
                              evidence, "routes")
    down = set(i["name"] for i in interfaces if not (i["up"] and i["carrier"]))
    broken = [r for r in defaults if r.get("dev") in down or "linkdown" in (r.get("flags") or [])]
    if len(broken) == len(defaults):
        return ctx.node_level(name, "fail", "every default route goes through an interface that is down: %s"
                              % ", ".join(_route_line(r) for r in broken), details, evidence, "routes")
    return ctx.node_level(name, "pass", ", ".join(_route_line(r) for r in defaults), details, evidence, "routes")


# --- listening sockets

def _split_address(local):
    """``*:8080``, ``0.0.0.0:53``, ``[::1]:9998``, ``10.0.0.5%eth0:68`` -> (address, interface, port)."""
    address, _sep, port = local.rpartition(":")
    interface = None
    if "%" in address:
        address, interface = address.split("%", 1)
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    return address, interface, _int(port, port)


def _is_loopback(address):
    if address in ("*", "", "0.0.0.0", "::"):
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def parse_listening_sockets(text):
    """``ss -H -l -t -u -n -p`` lines as ``[{protocol, state, address, port, interface, processes, ...}]``."""
    sockets = []
    for line in (text or "").splitlines():
        parts = line.split(None, 6)
        if len(parts) < 6:
            continue
        address, interface, port = _split_address(parts[4])
        processes = [{"name": m.group(1), "pid": int(m.group(2)), "fd": int(m.group(3))}
                     for m in _PROCESS.finditer(parts[6] if len(parts) > 6 else "")]
        sockets.append({
            "protocol": parts[0],
            "state": parts[1],
            "local": parts[4],
            "address": address,
            "interface": interface,
            "port": port,
            "loopback_only": _is_loopback(address),
            "processes": processes,
            "process": ", ".join("%s (pid %s)" % (p["name"], p["pid"]) for p in processes) or None,
        })
    return sockets


def _socket_line(sock):
    who = sock["process"] or "a process outside the target's pid namespace"
    return "%s on %s/%s" % (who, sock["local"], sock["protocol"])


def _check_listening(ctx, expected_ports):
    name = "listening sockets"
    section, problem, evidence = ctx.section("listen", "ss -ltunp")
    if section is None:
        return ctx.check(name, "error", problem, {"expected_ports": expected_ports}, evidence)
    sockets = parse_listening_sockets(section["text"])
    details = {"sockets": sockets, "listening": [_socket_line(s) for s in sockets],
               "expected_ports": expected_ports}
    if section["truncated"]:
        details["truncated"] = True
    evidence = [{"label": "ss -H -ltunp", "text": _clip(section["text"]) or "(no listening sockets)"}]
    missing = []
    loopback_only = []
    for port in expected_ports:
        listeners = [s for s in sockets if s["port"] == port]
        if not listeners:
            missing.append(port)
        elif all(s["loopback_only"] for s in listeners):
            loopback_only.append((port, listeners))
    details["missing_ports"] = missing
    details["loopback_only_ports"] = [p for p, _l in loopback_only]
    problems = []
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems.append("nothing listens on declared port%s %s" % (plural, ", ".join(str(p) for p in missing)))
    for port, listeners in loopback_only:
        problems.append("port %s is only listened on loopback (%s): other pods and Services cannot reach it"
                        % (port, ", ".join(s["local"] for s in listeners)))
    shown = [_socket_line(s) for s in sockets[:SOCKETS_IN_SUMMARY]]
    if len(sockets) > SOCKETS_IN_SUMMARY:
        shown.append("and %d more" % (len(sockets) - SOCKETS_IN_SUMMARY))
    listening = "; ".join(shown) if shown else "no listening sockets"
    if problems:
        return ctx.node_level(name, "fail", "%s (listening: %s)" % ("; ".join(problems), listening), details, evidence,
                              "listening sockets")
    return ctx.node_level(name, "pass", listening, details, evidence, "listening sockets")


# --- TCP connects

def _record_for(records, key, value, index):
    for record in records:
        if record.get(key) == value:
            return record
    for record in records:
        if _int(record.get("index")) == index and not record.get(key):
            return record
    return None


def _resolve_problem(host, record):
    note = record.get("resolve_note") or "no answer"
    return "%s does not resolve (%s)" % (host, note)


def _connect_problem(message):
    text = (message or "").lower()
    if "refused" in text:
        return "connection refused"
    if "timed out" in text:
        return "no answer (connect timed out)"
    if "unreachable" in text:
        return "unreachable"
    return message or "connect failed"


def _check_tcp(ctx, endpoint, index, records, section_problem):
    name = "TCP connect to %s" % endpoint
    if section_problem:
        return ctx.check(name, "error", section_problem, {"endpoint": endpoint})
    record = _record_for(records, "endpoint", endpoint, index)
    if record is None or "rc" not in record:
        why = record.get("message") if record else None
        return ctx.check(name, "error", "no result for %s: %s" % (endpoint, why or ctx.missing_reason()),
                         {"endpoint": endpoint})
    resolve_ms = _int(record.get("resolve_ms"), 0)
    connect_ms = _int(record.get("connect_ms"))
    details = {
        "endpoint": endpoint,
        "host": record.get("host"),
        "port": _int(record.get("port"), record.get("port")),
        "address": record.get("address") or None,
        "resolved": record.get("resolved"),
        "resolve_note": record.get("resolve_note") or None,
        "resolve_ms": resolve_ms,
        "connect_ms": connect_ms,
        "rc": _int(record.get("rc")),
    }
    if record.get("resolved") != "literal":
        details["resolver"] = ctx.resolver
    evidence = list(dict.fromkeys(text for text in (record.get("resolve_note"), record.get("message")) if text))
    duration = resolve_ms + (connect_ms or 0)
    if not record.get("address"):
        if "dig" in ctx.missing:
            return ctx.check(name, "error", ctx.lacks("dig"), details, evidence)
        return ctx.check(name, "fail", _resolve_problem(record.get("host") or endpoint, record), details,
                         evidence, duration)
    if "nc" in ctx.missing or details["rc"] == 127:
        return ctx.check(name, "error", ctx.lacks("nc"), details, evidence)
    where = "%s:%s" % (_bracket(record["address"]), details["port"])
    via = "" if record.get("address") == record.get("host") else " (%s)" % where
    if details["rc"] == 0:
        return ctx.check(name, "pass", "%s%s connected in %s ms" % (endpoint, via, connect_ms), details,
                         evidence, duration)
    details["error"] = record.get("message") or None
    problem = _connect_problem(record.get("message"))
    return ctx.check(name, "fail", "%s%s: %s after %s ms" % (endpoint, via, problem, connect_ms), details, evidence,
                     duration)


def _bracket(address):
    return "[%s]" % address if ":" in (address or "") else address


# --- HTTP GETs

def _status_allowed(code, allowed):
    if allowed:
        return code in allowed
    return code < 500


def _check_http(ctx, url, index, records, section_problem, allowed):
    name = "HTTP GET %s" % url
    if section_problem:
        return ctx.check(name, "error", section_problem, {"url": url})
    record = _record_for(records, "url", url, index)
    if record is None or "rc" not in record:
        why = record.get("message") if record else None
        return ctx.check(name, "error", "no result for %s: %s" % (url, why or ctx.missing_reason()), {"url": url})
    total = _float(record.get("time_total"))
    code = _int(record.get("code"))
    details = {
        "url": url,
        "host": record.get("host"),
        "port": _int(record.get("port"), record.get("port")),
        "address": record.get("address") or None,
        "resolved": record.get("resolved"),
        "resolve_note": record.get("resolve_note") or None,
        "resolve_ms": _int(record.get("resolve_ms"), 0),
        "rc": _int(record.get("rc")),
        "status_code": code or None,
        "time_total_ms": int(round(total * 1000)) if total is not None else None,
        "time_connect_ms": (int(round(_float(record["time_connect"]) * 1000))
                            if _float(record.get("time_connect")) is not None else None),
        "remote_ip": record.get("remote_ip") or None,
        "allowed_statuses": list(allowed) if allowed else "any status below 500",
    }
    if record.get("resolved") != "literal":
        details["resolver"] = ctx.resolver
    evidence = list(dict.fromkeys(text for text in (record.get("resolve_note"), record.get("message")) if text))
    duration = details["time_total_ms"]
    if not record.get("address"):
        if "dig" in ctx.missing:
            return ctx.check(name, "error", ctx.lacks("dig"), details, evidence)
        return ctx.check(name, "fail", _resolve_problem(record.get("host") or url, record), details, evidence,
                         details["resolve_ms"])
    if "curl" in ctx.missing or details["rc"] == 127:
        return ctx.check(name, "error", ctx.lacks("curl"), details, evidence)
    if details["rc"] != 0 or not code:
        details["error"] = record.get("message") or None
        return ctx.check(name, "fail", "GET failed: %s" % (record.get("message") or "curl rc %s" % details["rc"]),
                         details, evidence, duration)
    summary = "HTTP %s in %s ms from %s" % (code, details["time_total_ms"], details["remote_ip"] or details["address"])
    if not _status_allowed(code, allowed):
        expected = ", ".join(str(c) for c in allowed) if allowed else "below 500"
        return ctx.check(name, "fail", "%s (expected %s)" % (summary, expected), details, evidence, duration)
    return ctx.check(name, "pass", summary, details, evidence, duration)


# ---------------------------------------------------------------------------- the filter

def _int_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)):
        raise AnsibleFilterError("network_check_results: %s must be a list of integers, got %r" % (what, value))
    result = []
    for item in value:
        number = _int(item)
        if number is None or isinstance(item, bool):
            raise AnsibleFilterError("network_check_results: %s must be a list of integers, got %r" % (what, item))
        result.append(number)
    return result


def _str_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)):
        raise AnsibleFilterError("network_check_results: %s must be a list of strings, got %r" % (what, value))
    return [str(item) for item in value]


def network_check_results(result, pod=None, namespace=None, container=None, endpoints=None, urls=None,
                          expected_ports=None, min_mtu=DEFAULT_MIN_MTU, http_statuses=None, timeout=None):
    """The checks of the network_check runbook from the registered kdebug_exec result of its probe."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("network_check_results: expected the registered kdebug_exec result (a mapping), "
                                 "got %s" % type(result).__name__)
    endpoints = None if endpoints is None else list(dict.fromkeys(_str_list(endpoints, "endpoints")))
    urls = None if urls is None else list(dict.fromkeys(_str_list(urls, "urls")))
    expected_ports = list(dict.fromkeys(_int_list(expected_ports, "expected_ports")))
    allowed = _int_list(http_statuses, "http_statuses")
    min_mtu = _int(min_mtu, DEFAULT_MIN_MTU)
    target = _target(result, namespace, pod, container)
    where = "/".join(str(target[k]) for k in ("namespace", "pod", "container") if target.get(k))

    if result.get("plan") is not None and result.get("rc") is None:
        plan = result["plan"]
        return [make_check("network check", "skipped", "check mode: the probe did not run in %s" % where, target,
                           {"plan": dict((k, v) for k, v in plan.items() if k != "argv")
                            if isinstance(plan, Mapping) else plan})]
    if result.get("rc") is None and not result.get("timed_out"):
        msg = result.get("msg") or "kdebug_exec failed without a message"
        details = dict((k, result[k]) for k in ("strategy", "strategy_reason") if result.get(k))
        details.update(failure_details(result))
        return [make_check("network check", "error", "could not run the network probe in %s: %s" % (
            where or "the pod", msg), target, details, [text for text in (result.get("stderr"),) if text])]

    sections = parse_probe_output(result.get("stdout"))
    ctx = _Context(result, target, sections, _int(timeout))
    if len(sections) == 1 and not result.get("timed_out"):  # nothing but _end
        stderr = result.get("stderr") or ""
        return [ctx.check("network check", "error",
                          "the network probe printed nothing it could read (rc %s)%s"
                          % (result.get("rc"), ": " + _first_line(stderr) if stderr.strip() else ""),
                          {"rc": result.get("rc"), "strategy": result.get("strategy")},
                          [{"label": label, "text": _clip(text)}
                           for label, text in (("stdout", result.get("stdout")), ("stderr", stderr)) if text])]

    checks = []
    if node_network.shares_node_network(target):
        checks.append(node_network.node_network_check("host network", target,
                                                      "the interfaces, routes and listening sockets listed here"))
    interfaces_check, interfaces = _check_interfaces(ctx, min_mtu)
    checks.append(interfaces_check)
    checks.append(_check_routes(ctx, interfaces))
    checks.append(_check_listening(ctx, expected_ports))

    tcp = sections.get("tcp")
    tcp_problem = None if tcp is not None else "no result: %s" % ctx.missing_reason()
    tcp_records = tcp or []
    if endpoints is None:  # not given: what the probe reports
        endpoints = [r["endpoint"] for r in tcp_records if r.get("endpoint")]
    for index, endpoint in enumerate(endpoints, 1):
        checks.append(_check_tcp(ctx, endpoint, index, tcp_records, tcp_problem))
    http = sections.get("http")
    http_problem = None if http is not None else "no result: %s" % ctx.missing_reason()
    http_records = http or []
    if urls is None:
        urls = [r["url"] for r in http_records if r.get("url")]
    for index, url in enumerate(urls, 1):
        checks.append(_check_http(ctx, url, index, http_records, http_problem, allowed))
    return with_access(checks, result)


class FilterModule(object):
    """kdebug.toolkit network_check filters."""

    def filters(self):
        return {
            "network_check_results": network_check_results,
        }
