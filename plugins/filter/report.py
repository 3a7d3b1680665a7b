# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Runbook check results: validation, summary and rendering (Markdown, HTML, JUnit XML).

The check schema is documented in docs/result-schema.md (JSON Schema: docs/check.schema.json).
Each output format has exactly one Jinja2 template, below; the report role only calls
these filters and writes their output (JSON is ``to_nice_json`` of validated checks).
Per-filter documentation lives in the sidecar files plugins/filter/<filter>.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from collections.abc import Mapping, Sequence

from jinja2 import Environment, StrictUndefined

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils import checks as checks_lib

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
        for c in checks if c["status"] in ("fail", "error")
    ]
    return result


def check_summary(checks):
    """Counts per status, the overall status and the failing/erroring checks."""
    return summarize(validate_checks(checks))


def summary_lines(name, summary, files=()):
    """What the report role prints: the counts, a table of the failing and erroring checks, the files."""
    lines = ["%s: %s, %d checks: %d pass, %d fail, %d error, %d skipped" % (
        name, summary["status"].upper(), summary["total"], summary["pass"], summary["fail"], summary["error"],
        summary["skipped"])]
    if summary["problems"]:
        lines.append("STATUS | CHECK | TARGET | SUMMARY")
        lines += [" | ".join((p["status"].upper(), p["name"], p["target"], p["summary"])) for p in summary["problems"]]
    return lines + ["files: " + ", ".join(files)]


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


MARKDOWN_TEMPLATE = u"""\
# {{ title | md }}

{% if generated %}Generated: {{ generated | md }}

{% endif %}\
**Overall: {{ summary.status | upper }}**: {{ summary.total }} checks, {{ summary.pass }} pass, \
{{ summary.fail }} fail, {{ summary.error }} error, {{ summary.skipped }} skipped.

| Check | Target | Status | Summary |
| --- | --- | --- | --- |
{% for c in checks %}\
| [{{ c.name | md }}](#{{ c.anchor }}) | {{ c.target_label | md }} | **{{ c.status | upper }}** | {{ c.summary | md }} |
{% endfor %}

## Details
{% for c in checks %}

<a id="{{ c.anchor }}"></a>
### {{ c.name | md }}: {{ c.status | upper }}

{% if c.target_label %}Target: {{ c.target_label | md }}

{% endif %}\
{% if c.duration_ms is defined %}Duration: {{ c.duration_ms }} ms

{% endif %}\
{{ c.summary | md }}
{% if c.details_text %}

{{ c.details_text | fence }}
{% endif %}\
{% if c.evidence %}

Evidence:
{% for e in c.evidence %}
{% if e.path is defined %}\
- {{ e.label | md }}: file `{{ e.path | replace('`', "'") }}`
{% else %}\
- {{ (e.label or 'output') | md }}:

{{ e.text | fence | indent(2, true) }}
{% endif %}\
{% endfor %}\
{% endif %}\
{% endfor %}\
"""


# ---------------------------------------------------------------------------- HTML

HTML_TEMPLATE = u"""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #1f2328; }
table.summary { border-collapse: collapse; width: 100%; }
table.summary th, table.summary td { border: 1px solid #d0d7de; padding: .35em .6em; text-align: left;
                                     vertical-align: top; }
table.summary th { background: #f6f8fa; }
.status { font-weight: bold; text-transform: uppercase; padding: .1em .5em; border-radius: .3em; color: #fff; }
.status-pass { background: #1a7f37; }
.status-fail { background: #cf222e; }
.status-error { background: #9a6700; }
.status-skipped { background: #6e7781; }
section.check { border: 1px solid #d0d7de; border-left-width: .4em; border-radius: .3em; margin: 1em 0;
                padding: 0 1em 1em; }
section.check-pass { border-left-color: #1a7f37; }
section.check-fail { border-left-color: #cf222e; }
section.check-error { border-left-color: #9a6700; }
section.check-skipped { border-left-color: #6e7781; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.meta { color: #57606a; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
{% if generated %}<p class="meta">Generated: {{ generated }}</p>{% endif %}
<p id="overall">Overall: <span class="status status-{{ summary.status }}">{{ summary.status }}</span>
  {{ summary.total }} checks: {{ summary.pass }} pass, {{ summary.fail }} fail, {{ summary.error }} error,
  {{ summary.skipped }} skipped.</p>
<h2>Summary</h2>
<table class="summary" id="summary">
<thead><tr><th>Check</th><th>Target</th><th>Status</th><th>Summary</th></tr></thead>
<tbody>
{% for c in checks %}
<tr class="row-{{ c.status }}"><td><a href="#{{ c.anchor }}">{{ c.name }}</a></td><td>{{ c.target_label }}</td>\
<td><span class="status status-{{ c.status }}">{{ c.status }}</span></td><td>{{ c.summary }}</td></tr>
{% else %}
<tr><td colspan="4">No checks.</td></tr>
{% endfor %}
</tbody>
</table>
<h2 id="details">Details</h2>
{% for c in checks %}
<section class="check check-{{ c.status }}" id="{{ c.anchor }}">
<h3>{{ c.name }} <span class="status status-{{ c.status }}">{{ c.status }}</span></h3>
{% if c.target_label %}<p class="meta">Target: {{ c.target_label }}</p>{% endif %}
{% if c.duration_ms is defined %}<p class="meta">Duration: {{ c.duration_ms }} ms</p>{% endif %}
<p>{{ c.summary }}</p>
{% if c.details_text %}<h4>Details</h4>
<pre class="details">{{ c.details_text }}</pre>
{% endif %}
{% if c.evidence %}<h4>Evidence</h4>
{% for e in c.evidence %}
{% if e.path is defined %}<p class="evidence">{{ e.label }}: file <code>{{ e.path }}</code></p>
{% else %}{% if e.label %}<p class="evidence">{{ e.label }}</p>{% endif %}
<pre class="evidence">{{ e.text }}</pre>
{% endif %}
{% endfor %}
{% endif %}
</section>
{% endfor %}
</body>
</html>
"""


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


JUNIT_TEMPLATE = u"""\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="{{ title }}" tests="{{ summary.total }}" failures="{{ summary.fail }}" \
errors="{{ summary.error }}" skipped="{{ summary.skipped }}" time="{{ '%.3f' | format(time) }}">
{% for s in suites %}
  <testsuite name="{{ s.name }}" tests="{{ s.summary.total }}" failures="{{ s.summary.fail }}" \
errors="{{ s.summary.error }}" skipped="{{ s.summary.skipped }}" time="{{ '%.3f' | format(s.time) }}"\
{% if generated %} timestamp="{{ generated }}"{% endif %}>
{% for c in s.checks %}
    <testcase name="{{ c.name }}" classname="{{ s.name }}" time="{{ '%.3f' | format(c.time) }}">
{% if c.status == 'fail' %}
      <failure message="{{ c.summary }}" type="fail">{{ c.body }}</failure>
{% elif c.status == 'error' %}
      <error message="{{ c.summary }}" type="error">{{ c.body }}</error>
{% elif c.status == 'skipped' %}
      <skipped message="{{ c.summary }}"/>
      <system-out>{{ c.body }}</system-out>
{% else %}
      <system-out>{{ c.body }}</system-out>
{% endif %}
    </testcase>
{% endfor %}
  </testsuite>
{% endfor %}
</testsuites>
"""


_ENV_HTML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=True)
_ENV_XML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)
_ENV_MD = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
_ENV_MD.filters.update(md=_md_inline, fence=_md_fence)

_TEMPLATES = {}


def _template(env, source):
    key = (id(env), source)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = env.from_string(source)
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


def render_view(fmt, view, title=None, generated=None):
    """One report format (markdown, html or junit) of a report_view."""
    title = _title(title)
    if fmt == "junit":
        values = _junit_suites(view, title)
        values.update(title=title, generated=generated, summary=summarize(view))
        return _template(_ENV_XML, JUNIT_TEMPLATE).render(_xml_clean(values))
    env, source = {"markdown": (_ENV_MD, MARKDOWN_TEMPLATE), "html": (_ENV_HTML, HTML_TEMPLATE)}[fmt]
    return _template(env, source).render(title=title, generated=generated, checks=view, summary=summarize(view))


def render_markdown(checks, title=None, generated=None):
    """The report as Markdown: overall line, summary table, then one section per check."""
    return render_view("markdown", report_view(validate_checks(checks)), title, generated)


def render_html(checks, title=None, generated=None):
    """The report as one self-contained HTML page (inline CSS, every user string escaped)."""
    return render_view("html", report_view(validate_checks(checks)), title, generated)


def render_junit(checks, title=None, generated=None):
    """The report as JUnit XML: one testsuite per target, one testcase per check."""
    return render_view("junit", report_view(validate_checks(checks)), title, generated)


class FilterModule(object):
    """kdebug.toolkit report filters."""

    def filters(self):
        return {
            "validate_checks": validate_checks,
            "check_summary": check_summary,
            "render_markdown": render_markdown,
            "render_html": render_html,
            "render_junit": render_junit,
        }
