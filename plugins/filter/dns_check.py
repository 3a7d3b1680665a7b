# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""DNS runbook (kdebug.toolkit.dns_check role): the names to ask, and the probe's output turned into checks.

The role runs one probe script (roles/dns_check/files/dns_probe.sh) with kdebug_exec in the target's network
namespace; it prints the probes' format (plugins/plugin_utils/probe.py): the pod's resolv.conf, then one
``dig +yaml`` per (name, nameserver) and per search-list variant, read here with a YAML parser, and dig's own
words on why a nameserver did not answer (``transport``: +yaml leaves them out). ``dns_check_results`` parses
them and judges (docs/result-schema.md checks):

- ``DNS resolv.conf``: nameservers present and usable, search list length, what ndots costs.
- ``DNS nameserver <ip>``: the nameserver answers at all (no answer, connection refused, REFUSED).
- ``DNS name <name>``: the name's A record from every nameserver: NXDOMAIN, SERVFAIL, no A record, timeout,
  slow answer.
- ``DNS search list``: each name resolved the way the pod's resolver (glibc) would, through the search list and
  ndots, on the first nameserver that answers: a search domain that answers for a fully qualified name (the
  ndots surprise), a short name that does not resolve, SERVFAIL or timeouts on the way, the total time. Skipped
  when the probe ran with the replay off (``search=0``, the role's ``dns_check_search_replay: false``).

Per-filter documentation lives in the sidecar files plugins/filter/<filter>.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import re

from collections.abc import Mapping, Sequence

import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import failure_details, make_check, with_access
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import node_network
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import probe as probe_output

try:  # libyaml's loader when PyYAML has it: a fleet run reads a hundred pods' answers
    from yaml import CSafeLoader as YamlLoader
except ImportError:
    from yaml import SafeLoader as YamlLoader

PROBE_HEADER = "dns-probe"
NO_YAML = "the tools image's dig has no +yaml output (BIND 9.14 or later has it): "
# glibc's resolver uses at most 3 nameservers (MAXNS) and caps ndots at 15 (RES_MAXNDOTS).
MAX_NAMESERVERS = 3
MAX_NDOTS = 15
CHECK_PREFIX = "DNS "

_NAME_RE = re.compile(r"^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                      r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")
_RECORD_RE = re.compile(r"^(\S+)\s+(\d+)\s+IN\s+([A-Z0-9]+)\s+(.+)$")
_COMM_ERROR_RE = re.compile(r"^;; communications error to \S+: (.+)$")
_SETUP_ERROR_RE = re.compile(r"failed: (.+?)\.?$")


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _text(value):
    return "" if value is None else str(value)


# --- names ----------------------------------------------------------------------------------------------------


def _check_name(name, what):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise AnsibleFilterError("dns_check: %s %r is not a DNS name (letters, digits, '-', '_', dots; labels of "
                                 "at most 63 characters)" % (what, name))
    return name


def dns_check_names(namespace, cluster_domain="cluster.local", service_names=None, external_name="", names=None,
                    search_names=None):
    """The names the role resolves, as ``[{name, kind}]``, in order, without repeats.

    Asked of every nameserver: always ``kubernetes.default.svc.<cluster_domain>`` (kind ``kubernetes``); then
    each of ``service_names`` (kind ``service``): ``web`` means ``web.<namespace>.svc.<cluster_domain>``,
    ``web.other`` means ``web.other.svc.<cluster_domain>``, a name with more dots is taken as it is; then
    ``external_name`` when set (kind ``external``); then ``names`` as they are (kind ``name``).
    Only resolved through the search list: ``search_names`` (kind ``short``).
    """
    domain = _check_name(_text(cluster_domain).strip().rstrip(".") or "cluster.local", "cluster domain")
    namespace = _text(namespace).strip()
    if service_names is None:
        service_names = []
    if names is None:
        names = []
    if search_names is None:
        search_names = []
    for value, what in ((service_names, "service_names"), (names, "names"), (search_names, "search_names")):
        if not _is_list(value):
            raise AnsibleFilterError("dns_check: %s must be a list of names, got %s" % (what, type(value).__name__))
    result = []
    seen = set()

    def add(name, kind):
        key = (kind == "short", name.rstrip(".").lower())
        if key not in seen:
            seen.add(key)
            result.append({"name": name, "kind": kind})

    add("kubernetes.default.svc." + domain, "kubernetes")
    for service in service_names:
        service = _check_name(_text(service).strip(), "service name")
        dots = service.rstrip(".").count(".")
        if dots == 0:
            if not namespace:
                raise AnsibleFilterError("dns_check: service name %r needs the pod's namespace" % service)
            service = "%s.%s.svc.%s" % (service, _check_name(namespace, "namespace"), domain)
        elif dots == 1:
            service = "%s.svc.%s" % (service, domain)
        add(service, "service")
    external = _text(external_name).strip()
    if external:
        add(_check_name(external, "external name"), "external")
    for name in names:
        add(_check_name(_text(name).strip(), "name"), "name")
    for name in search_names:
        add(_check_name(_text(name).strip(), "search name"), "short")
    return result


# --- parsing ----------------------------------------------------------------------------------------------------


def parse_resolv_conf(text):
    """resolv.conf as glibc reads it: nameservers (all listed), the last search/domain line, options."""
    conf = {"nameservers": [], "search": [], "ndots": 1, "options": {}, "unknown": []}
    for raw in _text(text).splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        fields = line.split()
        key, args = fields[0], fields[1:]
        if key == "nameserver" and args:
            conf["nameservers"].append(args[0])
        elif key == "search":
            conf["search"] = [d.rstrip(".") for d in args if d.rstrip(".")]
        elif key == "domain" and args:
            conf["search"] = [args[0].rstrip(".")]
        elif key == "options":
            for option in args:
                name, _sep, value = option.partition(":")
                conf["options"][name] = int(value) if value.isdigit() else (value or True)
        else:
            conf["unknown"].append(line)
    ndots = conf["options"].get("ndots")
    if isinstance(ndots, int) and not isinstance(ndots, bool):
        conf["ndots"] = min(ndots, MAX_NDOTS)
    return conf


def transport_error(lines):
    """Why dig got no answer, in its own words (``timed out``, ``connection refused``...), from its text output."""
    for line in lines:
        match = _COMM_ERROR_RE.match(line)
        if match:
            return match.group(1).strip()
        if line.startswith(";; connection timed out"):
            return "timed out"
        if line.startswith(";; UDP setup") or line.startswith(";; TCP setup"):
            match = _SETUP_ERROR_RE.search(line)
            return match.group(1) if match else line.lstrip("; ")
    return None


def _milliseconds(start, end):
    if isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime):
        return max(0, int(round((end - start).total_seconds() * 1000)))
    return None


def _dig_document(lines):
    """dig +yaml's first item, or None when the output is not that (dig's own error line, a cut document)."""
    try:
        document = yaml.load("\n".join(lines), Loader=YamlLoader)  # nosec B506: a safe loader
    except yaml.YAMLError:
        return None
    if isinstance(document, list) and document and isinstance(document[0], Mapping) and "type" in document[0]:
        return document[0]
    return None


def parse_dig(lines, exit_code=None, transport=None):
    """One ``dig +yaml`` run as a mapping; ``transport``: dig's text lines for the same nameserver when it did not
    answer (the probe asks again without +yaml, which says why).

    ``result`` is ``answer`` (a reply came: see ``rcode``), ``timeout``, ``refused`` (connection refused: nothing
    listens), ``unreachable`` (no route) or ``error`` (dig could not ask). ``lines`` is the evidence: dig's output
    and, when it did not answer, its own words.
    """
    lines = list(lines)
    parsed = {"result": "error", "rcode": None, "answer_count": 0, "records": [], "addresses": [],
              "latency_ms": None, "error": None, "exit": exit_code, "lines": lines}
    document = _dig_document(lines)
    message = document.get("message") if document else None
    if document and document.get("type") == "MESSAGE" and isinstance(message, Mapping):
        data = message.get("response_message_data") or {}
        parsed["rcode"] = str(data.get("status") or "") or None
        parsed["answer_count"] = data.get("ANSWER") if isinstance(data.get("ANSWER"), int) else 0
        parsed["latency_ms"] = _milliseconds(message.get("query_time"), message.get("response_time"))
        for text in data.get("ANSWER_SECTION") or []:
            match = _RECORD_RE.match(str(text))
            if match:
                record = {"name": match.group(1), "type": match.group(3), "data": match.group(4).strip()}
                parsed["records"].append(record)
                if record["type"] in ("A", "AAAA"):
                    parsed["addresses"].append(record["data"])
    elif document and document.get("type") == "DIG_ERROR":
        parsed["error"] = " ".join(str(message or "").split()) or "dig failed"
    elif lines and any(line.strip() for line in lines):
        first = next(line.strip() for line in lines if line.strip())
        parsed["error"] = first
        if "yaml" in first.lower() and "invalid" in first.lower():
            parsed["error"] = NO_YAML + first
    if parsed["rcode"]:
        parsed["result"] = "answer"
        return parsed
    why = transport_error(transport or [])
    if why:
        parsed["error"] = why
        parsed["lines"] = lines + ["# dig without +yaml, the same nameserver:"] + list(transport)
    error = (parsed["error"] or "").lower()
    if "timed out" in error:
        parsed["result"] = "timeout"
    elif "refused" in error:
        parsed["result"] = "refused"
    elif "unreachable" in error or "no route" in error:
        parsed["result"] = "unreachable"
    elif not parsed["error"]:
        parsed["error"] = ("no reply (dig exit code %s)" % exit_code) if exit_code not in (None, "none") else \
            "no output (the query did not finish)"
    return parsed


def _words(section):
    return [word for line in (section.lines if section else []) for word in line.split()]


def parse_probe(stdout):
    """The probe's sections: params, resolv.conf, names, addresses, services, primary, queries (parsed)."""
    output = probe_output.parse(stdout)
    head = output.first(PROBE_HEADER)
    probe = {"header": head is not None, "ended": output.ended, "fatal": None,
             "params": dict((k, v) for k, v in (head.fields if head else {}).items() if k != "version"),
             "resolv_path": None, "resolv_text": None, "resolv_error": None, "names": [], "search_names": [],
             "search_domains": [], "addresses": [], "services": [], "primary": None, "limit": None, "queries": []}
    resolv = output.first("resolv")
    if resolv is not None:
        probe["resolv_path"] = resolv.get("path")
        probe["resolv_text"] = "\n".join(resolv.lines) + ("\n" if resolv.lines else "")
    error = output.first("resolv-error")
    if error is not None:
        probe["resolv_path"] = error.get("path")
        probe["resolv_error"] = "; ".join(line.strip() for line in error.lines if line.strip()) or "cannot read it"
    for name in ("names", "search-names", "search-domains", "addresses", "services"):
        probe[name.replace("-", "_")] = _words(output.first(name))
    primary = output.first("primary")
    probe["primary"] = (primary.get("server") or None) if primary else None
    limit = output.first("limit")
    if limit is not None:
        probe["limit"] = "%s queries not run (at most %s)" % (limit.get("skipped"), limit.get("max"))
    fatal = output.first("fatal")
    if fatal is not None:
        probe["fatal"] = fatal.get("message") or fatal.text or "the DNS probe cannot run"
    transport = dict((section.get("server"), section.lines) for section in output.all("transport"))
    again = dict((section.int("id"), section) for section in output.all("again"))
    for section in output.all("query"):
        query = {"id": section.int("id"), "kind": section.get("kind"), "type": section.get("type"),
                 "server": section.get("server"), "name": section.get("name"), "exit": section.get("exit", "none")}
        if None in (query["id"], query["type"], query["server"], query["name"]):
            continue
        query["dig"] = parse_dig(section.lines, section.int("exit"), transport.get(query["server"]))
        if query["id"] in again:
            measure_again(query["dig"], parse_dig(again[query["id"]].lines, again[query["id"]].int("exit")))
        probe["queries"].append(query)
    return probe


def measure_again(dig, second):
    """Take the second measurement of a slow answer (the probe asked it again once every query had finished).

    The first ran at once with every other query of the probe, on a node that may be busy: the faster of the two is
    the nameserver's latency. ``first_latency_ms`` and ``again_latency_ms`` keep both, and the evidence says so.
    """
    dig["first_latency_ms"] = dig["latency_ms"]
    dig["again_latency_ms"] = second["latency_ms"] if second["result"] == "answer" else None
    if dig["result"] == "answer" and second["result"] == "answer" and second["rcode"] == dig["rcode"] \
            and None not in (dig["latency_ms"], second["latency_ms"]):
        dig["latency_ms"] = min(dig["latency_ms"], second["latency_ms"])
    dig["lines"] = dig["lines"] + ["# asked again once the other queries had finished: %s" % (
        ("%s ms" % second["latency_ms"]) if dig["again_latency_ms"] is not None else _outcome(second))]


def _latency_text(dig, slow=False):
    """'812 ms'; when measured twice, '4 ms (812 ms at first: asked again...)', or for a slow answer
    '812 ms, and 790 ms asked again'."""
    first, again = dig.get("first_latency_ms"), dig.get("again_latency_ms")
    if first is None or again is None:
        return "%s ms" % dig["latency_ms"]
    if slow:
        return "%s ms, and %s ms asked again" % (first, again)
    return "%s ms (%s ms at first: asked again once the other queries had finished)" % (dig["latency_ms"], first)


# --- judging ----------------------------------------------------------------------------------------------------


def _is_ip(value):
    try:
        ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _plural(count, word, words=None):
    return "%d %s" % (count, word if count == 1 else (words or word + "s"))


def _some(items, count=3):
    """'a, b, c' or 'a, b, c and 2 more'."""
    items = list(items)
    shown = ", ".join(items[:count])
    return shown + (" and %d more" % (len(items) - count) if len(items) > count else "")


def _outcome(dig):
    """Short text for one query's outcome: NOERROR, NXDOMAIN, timed out, connection refused..."""
    if dig["result"] == "answer":
        if dig["rcode"] == "NOERROR" and not dig["answer_count"]:
            return "NODATA (NOERROR, no record)"
        return dig["rcode"]
    if dig["result"] == "timeout":
        return "timed out"
    if dig["result"] == "refused":
        return "connection refused"
    return dig["error"] or dig["result"]


def _resolved(dig):
    return dig["result"] == "answer" and dig["rcode"] == "NOERROR" and dig["answer_count"] > 0


def search_candidates(name, ndots, domains):
    """The names glibc's resolver tries for ``name``, in order (res_nsearch).

    A name ending in a dot is only tried as it is. One with at least ``ndots`` dots is tried as it is first, then
    under each search domain; one with fewer dots under each search domain first, then as it is.
    """
    if name.endswith("."):
        return [name.rstrip(".")]
    under = ["%s.%s" % (name, domain) for domain in domains]
    if name.count(".") >= ndots:
        return [name] + under
    return under + [name]


class _Judge(object):
    """Builds the checks from one parsed probe."""

    def __init__(self, probe, names, slow_ms, max_search_domains, target):
        self.probe = probe
        self.slow_ms = slow_ms
        self.max_search_domains = max_search_domains
        self.target = target
        self.conf = parse_resolv_conf(probe["resolv_text"])
        timeout = probe["params"].get("timeout", "")
        self.timeout_s = int(timeout) if timeout.isdigit() else None
        self.cluster_domain = probe["params"].get("domain", "cluster.local")
        self.queries = {}
        for query in probe["queries"]:
            self.queries.setdefault((query["server"], query["name"].rstrip(".").lower(), query["type"]), query)
        self.nameservers = [ns for ns in self.conf["nameservers"] if _is_ip(ns)][:MAX_NAMESERVERS]
        self.names = self._names(names)

    def _names(self, names):
        kinds = {}
        ordered = []
        for item in names or []:
            if isinstance(item, Mapping):
                name, kind = _text(item.get("name")), _text(item.get("kind")) or "name"
            else:
                name, kind = _text(item), "name"
            if kind == "short":
                continue  # resolved through the search list only
            if name and name.rstrip(".").lower() not in kinds:
                kinds[name.rstrip(".").lower()] = kind
                ordered.append((name, kind))
        for name in self.probe["names"]:
            if name.rstrip(".").lower() not in kinds:
                kinds[name.rstrip(".").lower()] = "name"
                ordered.append((name, "name"))
        for name in self.probe["services"]:
            if name.rstrip(".").lower() not in kinds:
                kinds[name.rstrip(".").lower()] = "service (reverse lookup)"
                ordered.append((name, "service (reverse lookup)"))
        return ordered

    def query(self, server, name, qtype="A"):
        return self.queries.get((server, name.rstrip(".").lower(), qtype))

    def check(self, name, status, summary, details=None, evidence=None, duration_ms=None):
        return make_check(CHECK_PREFIX + name, status, summary, self.target, details, evidence, duration_ms)

    # resolv.conf ------------------------------------------------------------------------------------------------

    def resolv_check(self):
        conf, problems, notes = self.conf, [], []
        listed = conf["nameservers"]
        invalid = [ns for ns in listed if not _is_ip(ns)]
        valid = [ns for ns in listed if _is_ip(ns)]
        if not valid:
            problems.append("no nameserver is listed (resolvers then ask 127.0.0.1)" if not listed else
                            "no usable nameserver (%s: not an IP address)" % ", ".join(invalid))
        elif invalid:
            problems.append("nameserver %s is not an IP address: resolvers ignore it" % ", ".join(invalid))
        if len(valid) > MAX_NAMESERVERS:
            problems.append("%d nameservers, resolvers only use the first %d: %s never asked"
                            % (len(valid), MAX_NAMESERVERS, ", ".join(valid[MAX_NAMESERVERS:])))
        domains = conf["search"]
        ndots = conf["ndots"]
        # An outside name such as example.com (one dot) goes through the search list first when ndots > 1.
        extra = len(domains) if ndots > 1 else 0
        too_many = len(domains) > self.max_search_domains
        if too_many:
            problems.append("%s in the search list, more than %d: with ndots %d, a name with fewer dots costs %s "
                            "before the name itself"
                            % (_plural(len(domains), "domain"), self.max_search_domains, ndots,
                               _plural(len(domains), "query", "queries")))
        if valid and not problems:
            notes.append("nameserver%s %s" % ("s" if len(valid) > 1 else "", ", ".join(valid)))
        if domains and not too_many:
            notes.append("%s in the search list, ndots %d" % (_plural(len(domains), "domain"), ndots))
            if extra:
                notes.append("a name with fewer than %d dots (example.com) is tried under each search domain first: "
                             "%s before itself (end a name with '.' to skip them)"
                             % (ndots, _plural(extra, "extra query", "extra queries")))
        elif not domains:
            notes.append("no search list: short names (kubernetes.default) only resolve as they are")
        implied = sorted(set(d.split(".svc.", 1)[1] for d in domains if ".svc." in d))
        if implied and self.cluster_domain not in implied:
            notes.append("the search list implies cluster domain %s, the role was given %s"
                         % (", ".join(implied), self.cluster_domain))
        if conf["options"].get("ndots", 0) != ndots and isinstance(conf["options"].get("ndots"), int):
            notes.append("ndots:%s is taken as %d" % (conf["options"]["ndots"], ndots))
        if node_network.uses_node_resolver(self.target):
            notes.append("the pod's resolv.conf is %s's (hostNetwork with dnsPolicy %s)" % (
                node_network.node_label(self.target), self.target.get("dns_policy") or "ClusterFirst"))
        status = "fail" if problems else "pass"
        details = {"path": self.probe["resolv_path"], "nameservers": listed, "search": domains, "ndots": ndots,
                   "options": conf["options"], "extra_queries_for_outside_names": extra,
                   "max_search_domains": self.max_search_domains}
        if conf["unknown"]:
            details["unknown_lines"] = conf["unknown"]
        evidence = [{"label": self.probe["resolv_path"] or "/etc/resolv.conf", "text": self.probe["resolv_text"]}]
        return self.check("resolv.conf", status, "; ".join(problems + notes), details, evidence)

    # nameservers ------------------------------------------------------------------------------------------------

    def nameserver_checks(self):
        checks = []
        for ns in self.nameservers:
            asked = [q for q in self.probe["queries"] if q["server"] == ns]
            answered = [q for q in asked if q["dig"]["result"] == "answer"]
            failed = [q for q in asked if q["dig"]["result"] != "answer"]
            refused = [q for q in answered if q["dig"]["rcode"] == "REFUSED"]
            latencies = [q["dig"]["latency_ms"] for q in answered if q["dig"]["latency_ms"] is not None]
            details = {"nameserver": ns, "queries": len(asked), "answered": len(answered),
                       "no_answer": len(failed), "refused": len(refused),
                       "max_latency_ms": max(latencies) if latencies else None,
                       "query_timeout_s": self.timeout_s}
            if not asked:
                checks.append(self.check("nameserver " + ns, "error", "nameserver %s was not asked (the probe stopped "
                                         "before its queries)" % ns, details))
                continue
            outcomes = sorted(set(_outcome(q["dig"]) for q in failed))
            if not answered:
                why = " / ".join(outcomes)
                if "timed out" in outcomes and self.timeout_s:
                    why += " after %d s" % self.timeout_s
                status, summary = "fail", "nameserver %s does not answer: %s (%s)" % (
                    ns, why, _plural(len(failed), "query", "queries"))
            elif failed:
                status, summary = "fail", "nameserver %s did not answer %d of %d queries (%s): %s" % (
                    ns, len(failed), len(asked), " / ".join(outcomes),
                    _some(q["name"] for q in failed))
            elif len(refused) == len(answered):
                status, summary = "fail", "nameserver %s refuses every query (REFUSED)" % ns
            else:
                status, summary = "pass", "nameserver %s answers: %s, at most %s ms" % (
                    ns, _plural(len(asked), "query", "queries"), max(latencies) if latencies else "?")
            sample = (failed or refused or answered)[:3]
            evidence = [{"label": "dig @%s %s %s" % (ns, q["name"], q["type"]), "text": "\n".join(q["dig"]["lines"])}
                        for q in sample]
            checks.append(self.check("nameserver " + ns, status, summary, details, evidence,
                                     max(latencies) if latencies else None))
        return checks

    # names ------------------------------------------------------------------------------------------------------

    def name_checks(self):
        checks = []
        for name, kind in self.names:
            results, problems, good, evidence, latencies = [], [], [], [], []
            for ns in self.nameservers:
                query = self.query(ns, name)
                if query is None:
                    results.append({"nameserver": ns, "result": "not asked"})
                    continue
                dig = query["dig"]
                entry = {"nameserver": ns, "result": _outcome(dig), "rcode": dig["rcode"],
                         "addresses": dig["addresses"], "latency_ms": dig["latency_ms"]}
                if "first_latency_ms" in dig:
                    entry.update(first_latency_ms=dig["first_latency_ms"], again_latency_ms=dig["again_latency_ms"])
                results.append(entry)
                evidence.append({"label": "dig @%s %s A" % (ns, name), "text": "\n".join(dig["lines"])})
                if dig["latency_ms"] is not None:
                    latencies.append(dig["latency_ms"])
                if dig["result"] != "answer":
                    problems.append("no answer from %s (%s)" % (ns, _outcome(dig)))
                elif not _resolved(dig):
                    problems.append("%s from %s" % (_outcome(dig), ns))
                elif dig["latency_ms"] is not None and dig["latency_ms"] > self.slow_ms:
                    problems.append("slow answer from %s: %s (more than %d ms)" % (ns, _latency_text(dig, slow=True),
                                                                                   self.slow_ms))
                else:
                    good.append("%s from %s in %s" % (", ".join(dig["addresses"]) or "an answer", ns,
                                                      _latency_text(dig)))
            details = {"name": name, "kind": kind, "type": "A", "results": results, "slow_ms": self.slow_ms}
            duration = max(latencies) if latencies else None
            asked = [r for r in results if r["result"] != "not asked"]
            if not asked:
                why = "no nameserver to ask" if not self.nameservers else "the probe did not ask it"
                if self.probe["limit"]:
                    why += " (%s)" % self.probe["limit"]
                checks.append(self.check("name " + name, "error", "%s: not resolved, %s" % (name, why), details))
            elif problems:
                checks.append(self.check("name " + name, "fail", "%s: %s" % (name, "; ".join(problems)), details,
                                         evidence, duration))
            else:
                checks.append(self.check("name " + name, "pass", "%s: %s" % (name, "; ".join(good)), details,
                                         evidence, duration))
        return checks

    # search list ------------------------------------------------------------------------------------------------

    def search_check(self):
        primary = self.probe["primary"]
        domains = self.probe["search_domains"] or self.conf["search"]
        ndots = self.conf["ndots"]
        details = {"nameserver": primary, "ndots": ndots, "search": domains, "slow_ms": self.slow_ms, "names": []}
        if self.probe["params"].get("search") == "0":
            return self.check("search list", "skipped", "not replayed in this run (dns_check_search_replay is false)",
                              details)
        if not primary:
            return self.check("search list", "skipped", "not tried: no nameserver answered", details)
        wanted = [(name, kind, False) for name, kind in self.names]
        wanted += [(name, "short name", True) for name in self.probe["search_names"]]
        problems, notes, evidence = [], [], []
        extra_by_count = {}
        for name, kind, short in wanted:
            candidates = search_candidates(name, ndots, domains)
            path, resolved_as, stopped, total = [], None, None, 0
            for candidate in candidates:
                query = self.query(primary, candidate)
                if query is None:
                    stopped = "%s was not asked" % candidate
                    path.append({"name": candidate, "result": "not asked"})
                    break
                dig = query["dig"]
                latency = dig["latency_ms"]
                if latency is None and dig["result"] == "timeout" and self.timeout_s:
                    latency = self.timeout_s * 1000
                total += latency or 0
                step = {"name": candidate, "result": _outcome(dig), "addresses": dig["addresses"],
                        "latency_ms": latency}
                if dig.get("first_latency_ms") not in (None, latency):
                    step["first_latency_ms"] = dig["first_latency_ms"]
                path.append(step)
                if _resolved(dig):
                    resolved_as = candidate
                    break
                if dig["result"] != "answer":
                    stopped = "the query for %s %s, the resolver gives up there" % (candidate, _outcome(dig))
                    break
            details["names"].append({"name": name, "kind": kind, "resolved_as": resolved_as, "queries": len(path),
                                     "total_ms": total, "path": path})
            evidence.append({"label": name, "text": "\n".join(
                "%s %s%s%s" % (step["name"], step["result"],
                               (" " + ",".join(step["addresses"])) if step.get("addresses") else "",
                               (" %s ms" % step["latency_ms"]) if step.get("latency_ms") is not None else "")
                + ((" (%s ms at first, asked again)" % step["first_latency_ms"]) if "first_latency_ms" in step else "")
                for step in path)})
            # The name itself answering SERVFAIL is the name check's finding; here only the search variants.
            bad_steps = [step for step in path if step["result"] in ("SERVFAIL", "REFUSED")
                         and step["name"].lower() != name.rstrip(".").lower()]
            if stopped and not resolved_as:
                problems.append("%s: %s" % (name, stopped))
            if bad_steps:
                problems.append("%s: %s through the search list (%s)" % (
                    name, "/".join(sorted(set(s["result"] for s in bad_steps))), _some(s["name"] for s in bad_steps)))
            target_name = name.rstrip(".")
            if resolved_as and not short and resolved_as.lower() != target_name.lower():
                problems.append("%s resolves as %s (%s), not as itself: search domain %s answers first "
                                "(ndots %d, the name has %s); end it with '.'" % (
                                    name, resolved_as, ", ".join(path[-1]["addresses"]) or "an answer",
                                    resolved_as[len(target_name) + 1:], ndots,
                                    _plural(target_name.count("."), "dot")))
            elif short and not resolved_as and not stopped:
                problems.append("%s does not resolve through the search list (%s)" % (
                    name, _some("%s %s" % (s["name"], s["result"]) for s in path) or "nothing to try"))
            elif short and resolved_as:
                notes.append("%s resolves as %s" % (name, resolved_as))
            if resolved_as and total > self.slow_ms:
                problems.append("%s takes %d ms through the search list (%s, more than %d ms)" % (
                    name, total, _plural(len(path), "query", "queries"), self.slow_ms))
            if resolved_as and len(path) > 1 and not short:
                extra_by_count.setdefault(len(path) - 1, []).append(name)
        for count in sorted(extra_by_count, reverse=True):
            who = extra_by_count[count]
            notes.append("%s %s %s through the search list first (ndots %d)" % (
                _some(who), "takes" if len(who) == 1 else "take", _plural(count, "extra query", "extra queries"),
                ndots))
        status = "fail" if problems else "pass"
        summary = "; ".join(problems) if problems else ("; ".join(notes) or "every name resolves as itself")
        return self.check("search list", status, summary, details, evidence)

    def checks(self):
        checks = [self.resolv_check()] + self.nameserver_checks() + self.name_checks() + [self.search_check()]
        fix = node_network.dns_policy_fix(self.target)
        for check in checks:
            if fix and check["status"] == "fail":
                check["details"]["next_step"] = fix[0].upper() + fix[1:] + "."
                if check["name"] == CHECK_PREFIX + "search list":
                    check["summary"] = "%s; %s" % (check["summary"], fix)
        if node_network.shares_node_network(self.target):
            checks.insert(0, node_network.node_network_check(CHECK_PREFIX + "host network", self.target,
                                                             "its network interfaces and the nameservers it reaches"))
        return checks


def _number(value, what, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("dns_check_results: %s must be a number, got %r" % (what, value))
    if number < minimum:
        raise AnsibleFilterError("dns_check_results: %s must be at least %d, got %d" % (what, minimum, number))
    return number


def _first_lines(text, count=5):
    lines = [line for line in _text(text).splitlines() if line.strip()]
    return " ".join(lines[:count])


def dns_check_results(exec_result, names=None, slow_ms=500, max_search_domains=6, target=None):
    """Checks (docs/result-schema.md) from the kdebug_exec result of the dns_check probe."""
    slow_ms = _number(slow_ms, "slow_ms")
    max_search_domains = _number(max_search_domains, "max_search_domains")
    if names is not None and not _is_list(names):
        raise AnsibleFilterError("dns_check_results: names must be a list, got %s" % type(names).__name__)
    if not isinstance(exec_result, Mapping):
        raise AnsibleFilterError("dns_check_results: expected the registered kdebug_exec result (a mapping), got %s"
                                 % type(exec_result).__name__)
    result_target = exec_result.get("target")
    if isinstance(result_target, Mapping) and result_target:
        target = dict(result_target)
    elif isinstance(target, Mapping):
        target = dict(target)
    elif target is not None:
        target = _text(target)
    who = ""
    if isinstance(target, Mapping):
        who = "/".join(_text(target.get(k)) for k in ("namespace", "pod", "container") if target.get(k))
    elif target:
        who = target

    def single(status, summary, details=None, evidence=None, name="check"):
        duration = exec_result.get("duration_ms")
        return make_check(CHECK_PREFIX + name, status, summary, target, details, evidence,
                          duration if isinstance(duration, int) else None)

    stdout = _text(exec_result.get("stdout"))
    stderr = _text(exec_result.get("stderr"))
    rc = exec_result.get("rc")
    exec_details = dict((k, exec_result.get(k)) for k in ("rc", "strategy", "timed_out", "truncated")
                        if k in exec_result)
    exec_evidence = [{"label": label, "text": text} for label, text in (("stdout", stdout), ("stderr", stderr))
                     if text.strip()]
    if exec_result.get("skipped") or ("plan" in exec_result and rc is None):
        return [single("skipped", "not run (check mode): %s" % (_text(exec_result.get("msg")) or "nothing ran"),
                       {"plan": exec_result.get("plan")} if "plan" in exec_result else {})]
    if rc is None and not exec_result.get("timed_out"):
        msg = _text(exec_result.get("msg")) or "the DNS probe did not run"
        pod = _text(target.get("pod")) if isinstance(target, Mapping) else ""
        if who and pod not in msg:
            msg = "%s: %s" % (who, msg)
        return [single("error", msg, dict(exec_details, **failure_details(exec_result)), exec_evidence)]
    probe = parse_probe(stdout)
    if exec_result.get("timed_out"):
        return [single("error", "the DNS probe timed out (%s): raise dns_check_timeout" % (
            _text(exec_result.get("msg")) or "killed at its timeout"), exec_details, exec_evidence)]
    if not probe["header"]:
        why = _first_lines(stderr) or _first_lines(stdout) or "no output"
        return [single("error", "the DNS probe failed (rc %s): %s" % (rc, why), exec_details, exec_evidence)]
    if probe["fatal"]:
        return [single("error", probe["fatal"], exec_details, exec_evidence)]
    if probe["resolv_error"] is not None:
        return [single("error", "cannot read %s: %s" % (probe["resolv_path"], probe["resolv_error"]), exec_details,
                       exec_evidence, "resolv.conf")]
    no_yaml = [q["dig"]["error"] for q in probe["queries"] if (q["dig"]["error"] or "").startswith(NO_YAML)]
    if no_yaml:
        return [single("error", no_yaml[0] + "; use a tools image with a newer dig (dns_check_image)", exec_details,
                       exec_evidence)]
    if probe["resolv_text"] is None:
        return [single("error", "the DNS probe printed no resolv.conf (rc %s): %s" % (
            rc, _first_lines(stderr) or "output incomplete"), exec_details, exec_evidence)]
    checks = _Judge(probe, names, slow_ms, max_search_domains, target).checks()
    if not probe["ended"] or rc not in (0, None):
        for check in checks:
            check["details"]["probe_incomplete"] = "rc %s, output %s" % (
                rc, "truncated" if exec_result.get("truncated") else "cut short")
    return with_access(checks, exec_result)


class FilterModule(object):
    """kdebug.toolkit DNS runbook filters."""

    def filters(self):
        return {
            "dns_check_names": dns_check_names,
            "dns_check_results": dns_check_results,
        }
