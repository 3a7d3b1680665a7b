# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""User checks: a command in the target's namespaces (or an API object), its output parsed, judged by JMESPath.

Pure: no I/O. The user_checks role runs each command definition with kdebug_exec (one target, or many with
``targets``) and reads the objects of the ``api`` definitions with kdebug_get (one call for every target, each
object once); this module checks the definitions first (jsonschema, then the expressions and patterns compile),
says which objects to read (object_requests) and turns each exec result or object into the one check record of
plugins/module_utils/checks.py (docs/user-checks.md).

A definition::

    name: somaxconn is at least 1024          # the check's name
    shell: cat /proc/sys/net/core/somaxconn   # or command: [argv...]
    parse: text                               # text (default), lines, json, yaml or regex (with pattern)
    expect: to_number(output) >= `1024`       # JMESPath over {output, rc, stdout, stderr}: true-ish passes
    show: output                              # optional JMESPath: the value the summary shows ({value})
    fail_summary: somaxconn is {value}, below 1024   # optional, pass_summary too
    next_step: raise net.core.somaxconn in the pod's securityContext.sysctls   # optional
    ok_rc: [0]                                # exit codes that are data; any other is an error check
    chroot: false, env: {}, timeout: 60       # as kdebug_exec's

or, instead of command/shell (and parse, pattern, ok_rc, chroot, env, timeout), an object read through the API::

    api: {kind: Deployment, api_version: apps/v1, name: web, namespace: shop}   # output is the object
    api: {kind: Pod}                          # name and namespace default to the target pod's: the pod itself
    api: {kind: Node}                         # no name: the node the target pod runs on

The expression is true-ish as JMESPath defines it: false, null, "", [] and {} fail, anything else passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    import jmespath
    import jmespath.exceptions
    HAS_JMESPATH = True
except ImportError:  # the controller's requirements.txt has it; say so when it is missing
    jmespath = None
    HAS_JMESPATH = False

try:
    import jsonschema
    HAS_JSONSCHEMA = True
except ImportError:
    jsonschema = None
    HAS_JSONSCHEMA = False

import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils.checks import error_check, make_check

PARSERS = ("text", "lines", "json", "yaml", "regex")
SHOWN_CHARS = 160
EVIDENCE_CHARS = 4000
# The fields of a command definition that an api definition has no use for.
COMMAND_ONLY = ("parse", "pattern", "ok_rc", "chroot", "env", "timeout")

API_SCHEMA = {
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"},
        "api_version": {"type": "string", "pattern": "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+([a-z]+[0-9]+)?$",
                        "default": "v1"},
        "name": {"type": "string", "pattern": "^[^/\\s%]+$"},
        "namespace": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
    },
}
# What a field of ``api`` must look like, for the message of a value that does not.
API_FIELD_HINTS = {
    "api.kind": "a kind as the API spells it, for example Pod, Deployment or Node",
    "api.api_version": "an API version, for example v1, apps/v1 or networking.k8s.io/v1",
    "api.name": "an object name, without '/', '%' or blanks",
    "api.namespace": "a namespace name: lower-case letters, digits and '-', at most 63 characters",
}

DEFINITION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "kdebug.toolkit user check definition",
    "type": "object",
    "required": ["name", "expect"],
    "additionalProperties": False,
    "oneOf": [{"required": ["command"]}, {"required": ["shell"]}, {"required": ["api"]}],
    "properties": {
        "name": {"type": "string", "pattern": "\\S"},
        "command": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "shell": {"type": "string", "pattern": "\\S"},
        "api": API_SCHEMA,
        "parse": {"enum": list(PARSERS), "default": "text"},
        "pattern": {"type": "string", "minLength": 1},
        "expect": {"type": "string", "pattern": "\\S"},
        "show": {"type": "string", "pattern": "\\S"},
        "pass_summary": {"type": "string"},
        "fail_summary": {"type": "string"},
        "next_step": {"type": "string"},
        "ok_rc": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "default": [0]},
        "chroot": {"type": "boolean", "default": False},
        "env": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}, "default": {}},
        "timeout": {"type": "integer", "minimum": 1},
    },
    "if": {"properties": {"parse": {"const": "regex"}}, "required": ["parse"]},
    "then": {"required": ["pattern"]},
}


class UserCheckError(ValueError):
    """A definition that cannot run: the message names it (position and name), the field and the fix."""


def _who(index, definition):
    name = definition.get("name") if isinstance(definition, dict) else None
    return "user check #%d%s" % (index + 1, " (%r)" % name if isinstance(name, str) and name.strip() else "")


def _schema_problem(error):
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "oneOf" and not path:
        return ("give exactly one of command (an argv list), shell (a command line) and api (an object to read, "
                "{kind, api_version, name, namespace})")
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        if missing == ["pattern"]:
            return "parse: regex needs a pattern (a Python regular expression)"
        return "field '%s' is required" % (missing[0] if missing else path)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = sorted(key for key in error.instance if key not in allowed)
        return "field '%s%s' is not allowed (allowed: %s)" % (
            path + "." if path else "", (unknown or ["?"])[0], ", ".join(allowed))
    if error.validator == "pattern" and path in API_FIELD_HINTS:
        return "field '%s' must be %s, got %r" % (path, API_FIELD_HINTS[path], error.instance)
    if error.validator == "enum":
        return "field '%s' must be one of %s, got %r" % (path, ", ".join(error.validator_value), error.instance)
    return "field '%s': %s" % (path or "(the definition)", error.message)


def _compile_expression(who, field, text):
    try:
        return jmespath.compile(text)
    except jmespath.exceptions.JMESPathError as exc:
        raise UserCheckError("%s: %s is not a valid JMESPath expression (%s): %s"
                             % (who, field, " ".join(str(exc).split()), text))


def definitions(defs):
    """Checked copies of the user check definitions, defaults filled in; raises UserCheckError for the first bad one."""
    if not HAS_JMESPATH or not HAS_JSONSCHEMA:
        raise UserCheckError("user checks need the jmespath and jsonschema Python libraries on the controller "
                             "(pip install -r requirements.txt of the collection)")
    if defs is None:
        return []
    if not isinstance(defs, (list, tuple)):
        raise UserCheckError("user checks: expected a list of check definitions, got %s" % type(defs).__name__)
    validator = jsonschema.Draft202012Validator(DEFINITION_SCHEMA)
    result, names = [], set()
    for index, definition in enumerate(defs):
        who = _who(index, definition)
        if not isinstance(definition, dict):
            raise UserCheckError("%s must be a mapping with name, command, shell or api, and expect; got %s"
                                 % (who, type(definition).__name__))
        if not validator.is_valid(definition):
            error = jsonschema.exceptions.best_match(validator.iter_errors(definition))
            raise UserCheckError("%s: %s (docs/user-checks.md)" % (who, _schema_problem(error)))
        if definition["name"] in names:
            raise UserCheckError("%s: another user check has the same name; names must differ (they name the report "
                                 "rows)" % who)
        names.add(definition["name"])
        _compile_expression(who, "expect", definition["expect"])
        if definition.get("show"):
            _compile_expression(who, "show", definition["show"])
        if definition.get("pattern"):
            try:
                re.compile(definition["pattern"])
            except re.error as exc:
                raise UserCheckError("%s: pattern is not a valid regular expression (%s): %s"
                                     % (who, exc, definition["pattern"]))
        if "api" in definition:
            extra = [field for field in COMMAND_ONLY if field in definition]
            if extra:
                raise UserCheckError("%s: field '%s' is for a command's output, not for api (the expression sees the "
                                     "object as output): remove it (docs/user-checks.md)" % (who, extra[0]))
            normal = dict(definition, api=dict({"api_version": "v1"}, **definition["api"]))
        else:
            normal = {"parse": "text", "ok_rc": [0], "chroot": False, "env": {}}
            normal.update(definition)
            normal["env"] = dict((str(k), str(v)) for k, v in normal["env"].items())
        result.append(normal)
    return result


def parse_output(text, how="text", pattern=None):
    """The output as the expression sees it; raises ValueError saying why it cannot be parsed."""
    text = text or ""
    if how == "text":
        return text.strip()
    if how == "lines":
        return [line.rstrip() for line in text.splitlines() if line.strip()]
    if how == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError("the output is not JSON (%s)" % exc)
    if how == "yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError("the output is not YAML (%s)" % " ".join(str(exc).split()))
    if how == "regex":
        compiled = re.compile(pattern, re.MULTILINE)
        if compiled.groupindex:
            return [match.groupdict() for match in compiled.finditer(text)]
        return [match.group(0) for match in compiled.finditer(text)]
    raise ValueError("unknown parse %r: choose from %s" % (how, ", ".join(PARSERS)))


def _truthy(value):
    """JMESPath's truth: false, null, empty string, list and object are false; numbers (0 too) are true."""
    return not (value is None or value is False or value in ("", [], {}))


def _compact(value):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _evidence(definition, result):
    ran = definition.get("shell") or " ".join(definition.get("command") or [])
    evidence = [{"label": "command" + (" (chroot)" if definition.get("chroot") else ""), "text": ran}]
    for stream in ("stdout", "stderr"):
        text = result.get(stream) or ""
        if text.strip():
            cut = text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS] + "\n[... cut at %d characters]" \
                % EVIDENCE_CHARS
            evidence.append({"label": stream, "text": cut})
    return evidence


def _decide(definition, document, target, details, evidence, duration=None):
    """The pass, fail or error check of ``expect`` (and ``show``) over ``document``, with the summaries."""
    name = definition["name"]
    try:
        value = jmespath.search(definition["expect"], document)
        shown = jmespath.search(definition["show"], document) if definition.get("show") else document["output"]
    except jmespath.exceptions.JMESPathError as exc:
        return make_check(name, "error", "the expression failed on this output: %s" % " ".join(str(exc).split()),
                          target, details, evidence, duration)
    details.update(value=value, shown=shown)
    passed = _truthy(value)
    own = definition.get("pass_summary" if passed else "fail_summary")
    if own:
        summary = own.replace("{value}", _compact(shown))
    elif passed:
        summary = "%s holds (%s)" % (definition["expect"], _compact(shown))
    else:
        summary = "expected %s, got %s" % (definition["expect"], _compact(shown))
    return make_check(name, "pass" if passed else "fail", summary, target, details, evidence, duration)


def judge(definition, result, target=None):
    """The check record of one checked definition and one kdebug_exec result (one target's)."""
    result = result if isinstance(result, dict) else {}
    target = result.get("target") or target
    name = definition["name"]
    if result.get("failed") or "rc" not in result:
        check = error_check(result, name, target, default="the command did not run (no exit code)")
        check["evidence"] = _evidence(definition, result)[:1]
        return check
    details = {"expect": definition["expect"], "parse": definition["parse"], "rc": result["rc"]}
    if definition.get("next_step"):
        details["next_step"] = definition["next_step"]
    evidence = _evidence(definition, result)
    duration = result.get("duration_ms")

    def error(summary):
        return make_check(name, "error", summary, target, details, evidence, duration)

    if result.get("timed_out"):
        return error("the command did not finish in its timeout (%ss)" % definition.get("timeout", "the default"))
    if result["rc"] not in definition["ok_rc"]:
        last = ([line for line in (result.get("stderr") or "").splitlines() if line.strip()] or [""])[-1].strip()
        accepted = ", ".join(str(rc) for rc in definition["ok_rc"])
        return error("the command exited %s%s (ok_rc: %s)" % (result["rc"], ": " + last if last else "", accepted))
    try:
        output = parse_output(result.get("stdout"), definition["parse"], definition.get("pattern"))
    except ValueError as exc:
        return error(str(exc))
    document = {"output": output, "rc": result["rc"], "stdout": result.get("stdout") or "",
                "stderr": result.get("stderr") or ""}
    return _decide(definition, document, target, details, evidence, duration)


# --- api definitions: an object read through the API (kdebug_get) ------------------------------------------------


def object_request(api, target):
    """The kdebug_get request ``{kind, api_version, name, namespace, node_of}`` of an ``api`` definition for one
    target (``{namespace, pod, container}``, or ``{node}`` for a node target); None when the target cannot fill
    in what the definition leaves out (a node target has no pod to default a name to).

    ``name`` and ``namespace`` default to the target pod's; kind Node (v1) without a name is the node the target
    pod runs on (``node_of``), or the node target itself; kind Namespace (v1) without a name is the pod's namespace.
    """
    target = target if isinstance(target, dict) else {}
    kind, api_version = api["kind"], api.get("api_version") or "v1"
    pod = target.get("pod")
    pod_namespace = (target.get("namespace") or "default") if pod else None
    name, node_of = api.get("name"), None
    if not name and api_version == "v1" and kind == "Node":
        if pod:
            node_of = {"namespace": pod_namespace, "pod": pod}
        else:
            name = target.get("node")
    elif not name and api_version == "v1" and kind == "Namespace":
        name = pod_namespace
    elif not name:
        name = pod
    if not name and not node_of:
        return None
    namespace = None if node_of else (api.get("namespace") or pod_namespace)
    return {"kind": kind, "api_version": api_version, "name": name, "namespace": namespace, "node_of": node_of}


def request_key(request):
    """One string per distinct request, however it was spelled (kdebug_get's echo fills in every field)."""
    request = request if isinstance(request, dict) else {}
    node_of = request.get("node_of") or None
    if node_of:
        node_of = {"namespace": node_of.get("namespace") or "default", "pod": node_of.get("pod")}
    return json.dumps([request.get("kind"), request.get("api_version") or "v1", request.get("name") or None,
                       None if node_of else request.get("namespace") or None, node_of], sort_keys=True)


def object_requests(definitions, targets):
    """The kdebug_get ``objects`` of the api definitions for every target, each distinct request once (a fleet's
    pods asking for the same Deployment make one request)."""
    requests, seen = [], set()
    for definition in definitions or []:
        if "api" not in definition:
            continue
        for target in targets or []:
            request = object_request(definition["api"], target)
            if request is not None and request_key(request) not in seen:
                seen.add(request_key(request))
                requests.append(request)
    return requests


def _reads_by_key(reads):
    entries = (reads or {}).get("objects") if isinstance(reads, dict) else None
    return dict((request_key(entry.get("request")), entry) for entry in entries or [] if isinstance(entry, dict))


def _object_label(entry):
    """``Deployment shop/web (apps/v1)``: the object an api check judged."""
    where = "%s/" % entry["namespace"] if entry.get("namespace") else ""
    version = "" if (entry.get("api_version") or "v1") == "v1" else " (%s)" % entry["api_version"]
    node_of = entry.get("node_of") or (entry.get("request") or {}).get("node_of")
    if not entry.get("name") and node_of:
        return "the Node of Pod %s/%s" % (node_of.get("namespace") or "default", node_of.get("pod"))
    return "%s %s%s%s" % (entry.get("kind"), where, entry.get("name") or "?", version)


def _shown_text(shown):
    text = shown if isinstance(shown, str) else json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False,
                                                           default=str)
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS] + "\n[... cut at %d characters]" \
        % EVIDENCE_CHARS


def _api_target(target, by_key):
    """The check's target: the pod (namespace, pod, container) and, when a read told it, the node it runs on."""
    target = dict((k, v) for k, v in (target or {}).items() if k != "host") if isinstance(target, dict) else target
    if isinstance(target, dict) and target.get("pod") and not target.get("node"):
        pod_key = request_key({"kind": "Pod", "api_version": "v1", "name": target["pod"],
                               "namespace": target.get("namespace") or "default"})
        node_key = request_key({"kind": "Node", "api_version": "v1",
                                "node_of": {"namespace": target.get("namespace"), "pod": target["pod"]}})
        pod = (by_key.get(pod_key) or {}).get("object") or {}
        node = (pod.get("spec") or {}).get("nodeName") or (by_key.get(node_key) or {}).get("name")
        if node:
            target["node"] = node
    return target


def judge_object(definition, target, reads):
    """The check record of one checked api definition for one target, from the registered kdebug_get result
    (``objects``, or a failed call: every api check is then an error with its message)."""
    name = definition["name"]
    by_key = _reads_by_key(reads)
    check_target = _api_target(target, by_key)
    request = object_request(definition["api"], target)
    if request is None:
        return make_check(name, "error", "the target %s has no pod to take the object's name from: give api.name "
                          "(and api.namespace) for kind %s" % ((target or {}).get("node") or target,
                                                               definition["api"]["kind"]), check_target)
    entry = by_key.get(request_key(request))
    if entry is None:
        failed = isinstance(reads, dict) and reads.get("failed")
        check = error_check(reads if failed else {}, name, check_target,
                            default="the object was not read (the kdebug_get task did not run for it)")
        check["evidence"] = [{"label": "object", "text": _object_label(request)}]
        return check
    evidence = [{"label": "object", "text": _object_label(entry)}]
    if not entry.get("found"):
        check = error_check(entry, name, check_target, default="%s could not be read" % _object_label(entry))
        check["evidence"] = evidence
        return check
    details = {"expect": definition["expect"],
               "api": dict((k, entry.get(k)) for k in ("kind", "api_version", "namespace", "name"))}
    if definition.get("next_step"):
        details["next_step"] = definition["next_step"]
    check = _decide(definition, {"output": entry["object"], "rc": None, "stdout": None, "stderr": None},
                    check_target, details, evidence)
    if "shown" in check["details"]:
        evidence.append({"label": "shown", "text": _shown_text(check["details"]["shown"])})
    return check


def results_to_checks(loop_results, target=None, definitions=None, reads=None, targets=None):
    """The checks of a loop of kdebug_exec results, each with its definition as ``item`` (the role's loop); a
    ``targets`` result gives one check per target.

    With ``definitions`` (the checked list), the checks come in their order, and each api definition gives one
    check per target (``targets``, else ``[target]``) from ``reads``, the registered kdebug_get result."""
    per_definition, order = {}, []
    for loop_result in loop_results or []:
        if not isinstance(loop_result, dict) or not isinstance(loop_result.get("item"), dict):
            raise UserCheckError("user check results: each must be a registered kdebug_exec loop result with its "
                                 "definition as item")
        definition = loop_result["item"]
        if definition["name"] not in per_definition:
            order.append(definition["name"])
        if isinstance(loop_result.get("results"), list):
            checks = [judge(definition, one, target) for one in loop_result["results"]]
        else:
            checks = [judge(definition, loop_result, target)]
        per_definition.setdefault(definition["name"], []).extend(checks)
    if definitions is None:
        return [check for name in order for check in per_definition[name]]
    checks = []
    for definition in definitions:
        if "api" in definition:
            checks += [judge_object(definition, one, reads) for one in (targets or [target])]
        else:
            checks += per_definition.get(definition["name"], [])
    return checks
