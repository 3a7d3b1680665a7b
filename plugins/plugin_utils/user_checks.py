# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""User checks: a command in the target's namespaces, its output parsed, judged by a JMESPath expression.

Pure: no I/O. The user_checks role runs each definition with kdebug_exec (one target, or many with ``targets``);
this module checks the definitions first (jsonschema, then the expressions and patterns compile) and turns each
exec result into the one check record of plugins/module_utils/checks.py (docs/user-checks.md).

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

DEFINITION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "kdebug.toolkit user check definition",
    "type": "object",
    "required": ["name", "expect"],
    "additionalProperties": False,
    "oneOf": [{"required": ["command"]}, {"required": ["shell"]}],
    "properties": {
        "name": {"type": "string", "pattern": "\\S"},
        "command": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "shell": {"type": "string", "pattern": "\\S"},
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
        return "give exactly one of command (an argv list) and shell (a command line)"
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        if missing == ["pattern"]:
            return "parse: regex needs a pattern (a Python regular expression)"
        return "field '%s' is required" % (missing[0] if missing else path)
    if error.validator == "additionalProperties":
        unknown = sorted(key for key in error.instance if key not in DEFINITION_SCHEMA["properties"])
        return "field '%s' is not allowed (allowed: %s)" % (
            (unknown or ["?"])[0], ", ".join(DEFINITION_SCHEMA["properties"]))
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
            raise UserCheckError("%s must be a mapping with name, command or shell, and expect; got %s"
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
    try:
        value = jmespath.search(definition["expect"], document)
        shown = jmespath.search(definition["show"], document) if definition.get("show") else output
    except jmespath.exceptions.JMESPathError as exc:
        return error("the expression failed on this output: %s" % " ".join(str(exc).split()))
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


def results_to_checks(loop_results, target=None):
    """The checks of a loop of kdebug_exec results, each with its definition as ``item`` (the role's loop); a
    ``targets`` result gives one check per target."""
    checks = []
    for loop_result in loop_results or []:
        if not isinstance(loop_result, dict) or not isinstance(loop_result.get("item"), dict):
            raise UserCheckError("user check results: each must be a registered kdebug_exec loop result with its "
                                 "definition as item")
        definition = loop_result["item"]
        if isinstance(loop_result.get("results"), list):
            checks += [judge(definition, one, target) for one in loop_result["results"]]
        else:
            checks.append(judge(definition, loop_result, target))
    return checks
