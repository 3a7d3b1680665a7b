# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The check record of the runbooks: built in one place (make_check), validated with jsonschema against one schema.

A check is ``{name, status, summary, details, evidence, target, duration_ms}`` (docs/result-schema.md). Every
producer (the kdebug_triage module, the runbook filters, the triage role through the error_check filter) builds
it with make_check; the report filters and the report_write action validate lists of them with validate_checks.

CHECK_SCHEMA is the JSON Schema itself, as Python data here rather than a file: module_utils is the one place that
reaches modules (AnsiballZ ships module_utils' Python files, never data files beside them), filters and action
plugins alike by a plain import, so no code has to find a file in an installed collection.
docs/check.schema.json is the published copy for other tools; tests/unit/plugins/module_utils/test_checks.py
fails when the two differ.

Pure: no I/O. jsonschema is needed only to validate (the controller); building checks needs nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import jsonschema
    HAS_JSONSCHEMA = True
except ImportError:  # only validate_checks needs it; the modules that build checks do not
    jsonschema = None
    HAS_JSONSCHEMA = False

STATUSES = ("pass", "fail", "error", "skipped")
FIELDS = ("name", "status", "summary", "details", "evidence", "target", "duration_ms")
NULLABLE_STRING = {"type": ["string", "null"]}

CHECK_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.invalid/kdebug/toolkit/docs/check.schema.json",
    "title": "kdebug.toolkit runbook check result",
    "description": "One check of a runbook. See docs/result-schema.md. The report role takes a list of these.",
    "type": "object",
    "required": ["name", "status", "summary"],
    "additionalProperties": False,
    "properties": {
        "name": {
            "description": "What was checked, short and stable (a JUnit testcase name).",
            "type": "string",
            "pattern": "\\S",
        },
        "status": {
            "description": "pass: the check ran and found nothing wrong; fail: it ran and found a problem; error: it "
                           "could not run or could not decide; skipped: it did not apply.",
            "enum": list(STATUSES),
        },
        "summary": {
            "description": "One human sentence: what was found.",
            "type": "string",
        },
        "details": {
            "description": "Free-form structured data (anything JSON can hold) a runbook or a reader can use.",
            "type": "object",
            "default": {},
        },
        "evidence": {
            "description": "What the conclusion rests on: command output, file contents, or paths of saved files.",
            "type": "array",
            "default": [],
            "items": {
                "description": "A string (raw output), {label, text} or {label, path}: exactly one of text and path, "
                               "label optional.",
                "type": ["string", "object"],
                "properties": {
                    "label": {"type": "string", "minLength": 1},
                    "text": {"type": "string"},
                    "path": {"type": "string"},
                },
                "additionalProperties": False,
                "if": {"type": "object"},
                "then": {"oneOf": [{"required": ["text"]}, {"required": ["path"]}]},
            },
        },
        "target": {
            "description": "What was checked: a label, or the target mapping of an exec-style result.",
            "type": ["string", "object"],
            "properties": {
                "namespace": NULLABLE_STRING,
                "pod": NULLABLE_STRING,
                "container": NULLABLE_STRING,
                "container_id": NULLABLE_STRING,
                "node": NULLABLE_STRING,
            },
            "additionalProperties": {"type": ["string", "integer", "null"]},
        },
        "duration_ms": {
            "description": "How long the check took, in milliseconds (JUnit time).",
            "type": "number",
            "minimum": 0,
        },
    },
}


class CheckError(ValueError):
    """A check that does not follow CHECK_SCHEMA; the message names the check (position and name) and the field."""


def make_check(name, status, summary, target=None, details=None, evidence=None, duration_ms=None):
    """One check record. ``target`` and ``duration_ms`` are left out when None; a duration is whole milliseconds."""
    check = {"name": name, "status": status, "summary": summary, "details": details or {}, "evidence": evidence or []}
    if target is not None:
        check["target"] = target
    if duration_ms is not None:
        check["duration_ms"] = max(0, int(round(duration_ms)))
    return check


def failure_details(result):
    """The error fields of a failed module result (docs/errors: error_class, denied_by, denial) that it has."""
    return dict((key, result[key]) for key in ("error_class", "denied_by", "denial") if key in result)


def with_access(checks, result):
    """``checks`` with ``details.access``: how kdebug_exec's ``result`` reached the target (strategy, why, and the
    ephemeral container's profile and what it cannot do), so a report says it next to what the probe found."""
    access = dict((key, result[key]) for key in ("strategy", "strategy_reason") if result.get(key))
    container = result.get("debug_container") or {}
    if container.get("profile"):
        access.update(profile=container["profile"], cannot=list(container.get("cannot") or []))
    if access:
        for check in checks:
            check["details"] = dict(check.get("details") or {}, access=access)
    return checks


def error_check(result, name, target=None, default="the module failed without a message"):
    """The error check for a module call that failed (a registered result with ``msg``, under failed_when false)."""
    result = result if isinstance(result, dict) else {}
    return make_check(name, "error", str(result.get("msg") or default), target, failure_details(result))


_VALIDATOR = []


def _validator():
    """The Draft 2020-12 validator of CHECK_SCHEMA, made once per process."""
    if not _VALIDATOR:
        if not HAS_JSONSCHEMA:
            raise CheckError("validating check results needs the jsonschema Python library on the controller "
                             "(pip install jsonschema, see the collection's requirements.txt)")
        _VALIDATOR.append(jsonschema.Draft202012Validator(CHECK_SCHEMA))
    return _VALIDATOR[0]


def _field(error):
    """The field an error is about, as ``evidence[0].label``: its path, plus the property it names when it is a
    missing or an unexpected one."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        path += missing[:1]
    elif error.validator == "additionalProperties" and error.validator_value is False:
        allowed = error.schema.get("properties", {})
        path += sorted(str(key) for key in error.instance if key not in allowed)[:1]
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def _problem(error):
    """What is wrong, to follow the field's name."""
    if error.validator == "required":
        return " is required"
    if error.validator == "additionalProperties" and error.validator_value is False:
        return " is not allowed (allowed: %s)" % ", ".join(error.schema.get("properties", {}))
    if error.validator == "enum":
        return " must be one of %s, got %r" % (", ".join(error.validator_value), error.instance)
    if error.validator == "oneOf" and list(error.absolute_path)[:1] == ["evidence"]:
        return " must have exactly one of text or path"
    return ": %s" % error.message


def check_error(index, check, error):
    """The message of one jsonschema error of check number ``index`` (from 0)."""
    name = check.get("name") if isinstance(check, dict) else None
    who = "check #%d" % (index + 1)
    if isinstance(name, str) and name.strip():
        who += " (%r)" % (name,)
    if not isinstance(check, dict):
        return "invalid check result: %s must be a mapping, got %s" % (who, type(check).__name__)
    return "invalid check result: %s: field '%s'%s" % (who, _field(error), _problem(error))


def _normal(check):
    """A valid check with the defaults filled in and evidence strings as ``{text}`` items (a copy)."""
    result = dict(check)
    result["details"] = dict(check.get("details") or {})
    if isinstance(check.get("target"), dict):
        result["target"] = dict(check["target"])
    result["evidence"] = [{"text": item} if isinstance(item, str) else dict(item) for item in check.get("evidence") or []]
    return result


def validate_checks(checks):
    """Validated, normalised copies of ``checks`` (a list); raises CheckError naming the first bad check and field."""
    if checks is None:
        return []
    if not isinstance(checks, (list, tuple)):
        raise CheckError("invalid check results: expected a list of checks, got %s" % type(checks).__name__)
    validator = _validator()
    result = []
    for index, check in enumerate(checks):
        if not validator.is_valid(check):
            error = jsonschema.exceptions.best_match(validator.iter_errors(check))
            raise CheckError(check_error(index, check, error))
        result.append(_normal(check))
    return result
