# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Runbook check results: validation, summary and rendering (Markdown, HTML, JUnit XML).

The check schema is documented in docs/result-schema.md (JSON Schema: docs/check.schema.json).
Each output format has one Jinja2 template, a file of the report role (roles/report/templates/report.md.j2,
report.html.j2, report.junit.xml.j2) that a user can replace with their own (the role's report_templates, the
filters' template); the report_write action renders them with these functions.
Per-filter documentation lives in the sidecar files plugins/filter/<filter>.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from collections.abc import Mapping, Sequence

from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils import checks as checks_lib
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import handoff as handoff_lib
from ansible_collections.kdebug.toolkit.plugins.plugin_utils import verdict as verdict_lib

STATUSES = checks_lib.STATUSES
# Worst first: the overall status of a report is the first of these any check has.
OVERALL_ORDER = ("fail", "error", "pass", "skipped")
TARGET_PARTS = ("namespace", "pod", "container")

# Characters XML 1.0 cannot carry at all (terminal escapes in captured output, NULs...).
_XML_INVALID = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def validate_checks(checks):
    """Validated, normalised copies of ``checks`` (evidence strings become ``{text}`` items): jsonschema against
    the check schema (plugins/module_utils/checks.py, published as docs/check.schema.json)."""
    try:
        return checks_lib.validate_checks(checks)
    except checks_lib.CheckError as exc:
        raise AnsibleFilterError(str(exc))


def target_label(target):
    """``namespace/pod/container`` (what is set), ``node/<node>`` for node-level checks, or ''."""
    if target is None:
        return ""
    if not isinstance(target, Mapping):
        return str(target)
    parts = [str(target[k]) for k in TARGET_PARTS if target.get(k)]
    if not target.get("pod") and target.get("node"):
        parts = ["node", str(target["node"])]
    return "/".join(parts)


def summarize(checks):
    """check_summary of checks that validate_checks has already returned (no second validation)."""
    counts = dict((s, 0) for s in STATUSES)
    for check in checks:
        counts[check["status"]] += 1
    overall = next((s for s in OVERALL_ORDER if counts[s]), "skipped")
    result = {"status": overall, "total": len(checks)}
    result.update(counts)
    result["problems"] = [
        {"name": c["name"], "target": target_label(c.get("target")), "status": c["status"], "summary": c["summary"]}
        for c in verdict_lib.order_checks(checks) if c["status"] in ("fail", "error")
    ]
    found = verdict_lib.verdict(checks)
    result.update(verdict=found["verdict"], cause=found["cause"], next_steps=found["next_steps"])
    return result


def check_summary(checks):
    """Counts per status, the overall status and the failing/erroring checks."""
    return summarize(validate_checks(checks))


def summary_lines(name, summary, files=(), handoff=()):
    """What the report role prints: the verdict and its cause, the counts, the next steps, a table of the
    failing and erroring checks, the lines to continue by hand, the files."""
    lines = ["%s: %s: %s" % (name, summary["verdict"].upper(), summary["cause"]),
             "%d checks: %d pass, %d fail, %d error, %d skipped" % (
                 summary["total"], summary["pass"], summary["fail"], summary["error"], summary["skipped"])]
    lines += ["next: " + step for step in summary["next_steps"]]
    if summary["problems"]:
        lines.append("STATUS | CHECK | TARGET | SUMMARY")
        lines += [" | ".join((p["status"].upper(), p["name"], p["target"], p["summary"])) for p in summary["problems"]]
    lines += ["by hand (%s): %s" % (entry["what"], entry["command"]) for entry in handoff]
    return lines + ["files: " + ", ".join(files)]


def handoff(results, keep_agents=False):
    """``[{what, command, hint}]``: a ``kubectl exec -it`` line into each debug container, kept agent or kept fork
    the registered kdebug_exec and kdebug_fork ``results`` left running (plugins/plugin_utils/handoff.py)."""
    if not _is_list(results):
        raise AnsibleFilterError("handoff: expected a list of registered kdebug_exec or kdebug_fork results, got %s"
                                 % type(results).__name__)
    return handoff_lib.handoff([dict(r) for r in results if isinstance(r, Mapping)], bool(keep_agents))


def validate_handoff(entries):
    """Copies of hand-off entries, each a mapping with the strings what, command and hint (hint may be empty)."""
    result = []
    for index, entry in enumerate(entries or []):
        fields = [entry.get(k) for k in ("what", "command")] if isinstance(entry, Mapping) else [None]
        if not all(isinstance(field, str) and field for field in fields):
            raise AnsibleFilterError("invalid hand-off entry #%d: expected {what, command, hint} with what and command "
                                     "non-empty strings (the kdebug.toolkit.handoff filter makes them), got %r"
                                     % (index + 1, entry))
        result.append({"what": entry["what"], "command": entry["command"], "hint": str(entry.get("hint") or "")})
    return result


def _pretty(value):
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def report_view(checks):
    """Checks that validate_checks returned, as the templates see them: with target label, pretty details and an
    anchor id. One view serves every format of a report (render_view)."""
    view = []
    for n, check in enumerate(_xml_clean(checks)):
        item = dict(check)
        item["target_label"] = target_label(check.get("target"))
        item["details_text"] = _pretty(check["details"]) if check["details"] else ""
        item["anchor"] = "check-%d" % (n + 1)
        item["evidence"] = [dict({"label": ""}, **e) for e in check["evidence"]]
        view.append(item)
    return view


# ---------------------------------------------------------------------------- Markdown

def _md_inline(value):
    """Text safe inside a Markdown table cell or heading: no raw HTML, no cell breaks, one line."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return " <br> ".join(line.strip() for line in text.splitlines()) if "\n" in text else text


def _md_fence(value):
    """A fenced code block longer than any backtick run in ``value``."""
    text = str(value)
    longest = max([len(m) for m in re.findall(r"`+", text)] + [0])
    fence = "`" * max(3, longest + 1)
    return "%s\n%s\n%s" % (fence, text.rstrip("\n"), fence)


# ---------------------------------------------------------------------------- JUnit XML

def _xml_clean(value):
    """Strings as XML 1.0 (and HTML) can carry them: invalid control characters dropped, recursively."""
    if isinstance(value, str):
        return _XML_INVALID.sub(u"", value)
    if isinstance(value, Mapping):
        return dict((k, _xml_clean(v)) for k, v in value.items())
    if _is_list(value):
        return [_xml_clean(v) for v in value]
    return value


def _junit_body(check):
    parts = [check["summary"]]
    if check["details_text"]:
        parts.append("details:\n" + check["details_text"])
    for e in check["evidence"]:
        label = e.get("label") or "evidence"
        parts.append("%s: file %s" % (label, e["path"]) if "path" in e else "%s:\n%s" % (label, e["text"]))
    return "\n\n".join(parts)


# The templates are files of the report role (roles/report/templates), so a user can copy one and point the role's
# report_templates (or a filter's template) at the copy.
TEMPLATE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles", "report",
                                             "templates"))
TEMPLATE_FILES = {"markdown": "report.md.j2", "html": "report.html.j2", "junit": "report.junit.xml.j2"}

_ENV_HTML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=True)
_ENV_XML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)
_ENV_MD = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
_ENV_MD.filters.update(md=_md_inline, fence=_md_fence)
_ENVS = {"markdown": _ENV_MD, "html": _ENV_HTML, "junit": _ENV_XML}

_TEMPLATES = {}


def template_path(fmt, path=None):
    """The template file of a format: ``path`` when given, else the report role's default."""
    if fmt not in TEMPLATE_FILES:
        raise AnsibleFilterError("unknown report format %r: choose from %s" % (fmt, ", ".join(sorted(TEMPLATE_FILES))))
    return os.path.abspath(os.path.expanduser(path)) if path else os.path.join(TEMPLATE_DIR, TEMPLATE_FILES[fmt])


def _template(fmt, path):
    """The compiled template of ``path``, read again only when the file changed."""
    try:
        stat = os.stat(path)
        key = (fmt, path, stat.st_mtime_ns, stat.st_size)
        if key not in _TEMPLATES:
            with open(path, "rb") as handle:
                source = handle.read().decode("utf-8")
            _TEMPLATES[key] = _ENVS[fmt].from_string(source)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        raise AnsibleFilterError("cannot read the %s report template %s: %s" % (fmt, path, exc))
    except TemplateSyntaxError as exc:
        raise AnsibleFilterError("the %s report template %s has a syntax error on line %s: %s"
                                 % (fmt, path, exc.lineno, exc.message))
    return _TEMPLATES[key]


def _title(title):
    return str(title) if title else "kdebug report"


def _junit_suites(view, title):
    """The view as JUnit suites, one per target (copies: the view stays as it was), and their total time."""
    suites = []
    by_name = {}
    for check in view:
        check = dict(check, body=_junit_body(check), time=(check.get("duration_ms") or 0) / 1000.0)
        name = check["target_label"] or title
        if name not in by_name:
            by_name[name] = {"name": name, "checks": []}
            suites.append(by_name[name])
        by_name[name]["checks"].append(check)
    for suite in suites:
        suite["summary"] = summarize(suite["checks"])
        suite["time"] = sum(c["time"] for c in suite["checks"])
    return {"suites": suites, "time": sum(s["time"] for s in suites)}


def report_values(view, handoff_entries=()):
    """What every template gets besides title and generated: summary (with the verdict, its cause and the next
    steps), checks (the view, in its own order, as before), problems and others (the view reordered: failures
    and errors, the failure that explains most first, then the rest), handoff, and fleet (problems grouped over
    targets, healthy targets) when the checks are about more than one pod, else None."""
    ordered = verdict_lib.order_checks(view)
    groups, healthy, targets = verdict_lib.fleet_groups(view)
    return {
        "checks": view, "summary": summarize(view),
        "problems": [c for c in ordered if c["status"] in verdict_lib.PROBLEM_STATUSES],
        "others": [c for c in ordered if c["status"] not in verdict_lib.PROBLEM_STATUSES],
        "handoff": list(handoff_entries or []),
        "fleet": {"groups": groups, "healthy_targets": healthy, "targets": targets} if targets > 1 else None,
    }


def render_view(fmt, view, title=None, generated=None, template=None, handoff_entries=()):
    """One report format (markdown, html or junit) of a report_view, with ``template`` (a path) or the default."""
    path = template_path(fmt, template)
    title = _title(title)
    values = {"title": title, "generated": generated}
    values.update(report_values(view, handoff_entries))
    if fmt == "junit":  # the suites keep the checks' own order
        values.update(_junit_suites(view, title))
        values = _xml_clean(values)
    try:
        return _template(fmt, path).render(values)
    except TemplateError as exc:
        raise AnsibleFilterError("the %s report template %s failed: %s" % (fmt, path, exc))


def render_markdown(checks, title=None, generated=None, template=None, handoff=None):
    """The report as Markdown: overall line, summary table, then one section per check."""
    return render_view("markdown", report_view(validate_checks(checks)), title, generated, template,
                       validate_handoff(handoff))


def render_html(checks, title=None, generated=None, template=None, handoff=None):
    """The report as one self-contained HTML page (inline CSS, every user string escaped)."""
    return render_view("html", report_view(validate_checks(checks)), title, generated, template,
                       validate_handoff(handoff))


def render_junit(checks, title=None, generated=None, template=None, handoff=None):
    """The report as JUnit XML: one testsuite per target, one testcase per check."""
    return render_view("junit", report_view(validate_checks(checks)), title, generated, template,
                       validate_handoff(handoff))


class FilterModule(object):
    """kdebug.toolkit report filters."""

    def filters(self):
        return {
            "validate_checks": validate_checks,
            "check_summary": check_summary,
            "render_markdown": render_markdown,
            "render_html": render_html,
            "render_junit": render_junit,
            "handoff": handoff,
        }
