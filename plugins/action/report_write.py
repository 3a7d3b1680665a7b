# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug.toolkit.report_write: render check results and write every report file in one step, on the controller.

The report role used to create the directory and copy each format with its own
module run; each of those is a Python process (about a second apiece on a busy
2-core machine), which made the report the slowest step of a diagnose run. This
action plugin renders with the same filters (plugins/filter/report.py) and writes
the files atomically in the controller's own process.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase

from ansible_collections.kdebug.toolkit.plugins.filter import report
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.files import same_file, write_atomically

FILE_NAMES = {"json": "report.json", "markdown": "report.md", "html": "report.html", "junit": "report.xml"}

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="dict", required=True),
    dest=dict(type="path", default=""),
    name=dict(type="str", default=""),
    title=dict(type="str", default=""),
    generated=dict(type="str", default=""),
    formats=dict(type="list", elements="str", choices=sorted(FILE_NAMES), default=["json", "markdown", "html", "junit"]),
    templates=dict(type="dict", default={}),
    handoff=dict(type="list", elements="dict", default=[]),
)


def report_identity(name="", title="", generated="", dest="", now=None):
    """(name, title, generated, absolute dest) with the report role's defaults filled in.

    generated: the UTC time; name: kdebug-report-<compact time>; title: "kdebug report <name>";
    dest: reports/<name> under the current directory, the name made one safe path component (directory_name): a
    name built from user input (``-e pod=../../x``) never puts the report outside ``reports/``. ``now`` (a datetime
    in UTC) is for tests.
    """
    when = now or datetime.datetime.now(datetime.timezone.utc)
    generated = generated or when.strftime("%Y-%m-%dT%H:%M:%SZ")
    name = name or "kdebug-report-" + generated.replace("-", "").replace(":", "")
    title = title or "kdebug report " + name
    dest = os.path.realpath(os.path.expanduser(dest or os.path.join("reports", directory_name(name))))
    return name, title, generated, dest


def directory_name(name):
    """``name`` as one directory name: every character other than letters, digits, ``.``, ``_`` and ``-`` becomes
    ``_``, and no leading dot (no ``..``, no hidden directory)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "report"


def render(fmt, checks, name, title, generated, view=None, template=None, handoff=()):
    """The text of one report file; ``checks`` are already validated (report.validate_checks), ``view`` is their
    report.report_view when the caller made it once for every format, ``template`` a template file to use instead
    of the report role's, ``handoff`` validated hand-off entries (report.validate_handoff)."""
    if fmt == "json":
        # checks keep their order; the verdict is in summary, the fleet's groups in fleet (null for one pod)
        values = report.report_values(checks, handoff)
        document = {"name": name, "title": title, "generated": generated, "summary": values["summary"],
                    "checks": checks, "handoff": values["handoff"], "fleet": values["fleet"]}
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return report.render_view(fmt, report.report_view(checks) if view is None else view, title, generated, template,
                              handoff)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        name, title, generated, dest = report_identity(args["name"], args["title"], args["generated"], args["dest"])
        result.update(changed=False, dest=dest, files=[], name=name, title=title, generated=generated)
        try:
            checks = report.validate_checks(args["checks"])
            handoff = report.validate_handoff(args["handoff"])
        except Exception as exc:  # AnsibleFilterError names the check and the field
            result.update(failed=True, msg=to_native(exc))
            return result
        if os.path.exists(dest) and not os.path.isdir(dest):
            result.update(failed=True, msg="cannot write the report into %s: it is not a directory." % dest)
            return result
        try:
            templates = self._templates(args["templates"])
            view = report.report_view(checks)  # one for every format
            rendered = [(fmt, to_bytes(render(fmt, checks, name, title, generated, view, templates.get(fmt), handoff)))
                        for fmt in sorted(set(args["formats"]), key=args["formats"].index)]
        except AnsibleError as exc:  # a template that cannot be found, read or rendered: named in the message
            result.update(failed=True, msg=to_native(exc))
            return result
        for fmt, data in rendered:
            path = os.path.join(dest, FILE_NAMES[fmt])
            result["files"].append(path)
            if same_file(path, data, 0o644):
                continue
            result["changed"] = True
            if self._task.check_mode:
                continue
            try:
                write_atomically(path, data, 0o644, prefix=".report_write-")
            except (IOError, OSError) as exc:
                result.update(failed=True, msg="could not write %s: %s." % (path, to_native(exc)))
                return result
        result["templates"] = dict((fmt, report.template_path(fmt, templates.get(fmt)))
                                   for fmt in args["formats"] if fmt != "json")
        result["summary"] = report.summarize(checks)
        result["handoff"] = handoff
        result["lines"] = report.summary_lines(name, result["summary"], result["files"], handoff)
        return result

    def _templates(self, templates):
        """``{format: absolute path}`` of the user's templates; a relative path is looked up the way
        ansible.builtin.template looks up its src (the role's and the playbook's templates/ directories...)."""
        unknown = sorted(set(templates) - set(report.TEMPLATE_FILES))
        if unknown:
            raise AnsibleError("report templates: unknown format %s (choose from %s)"
                               % (", ".join(unknown), ", ".join(sorted(report.TEMPLATE_FILES))))
        found = {}
        for fmt, path in templates.items():
            if not path:
                continue
            path = os.path.expanduser(to_native(path))
            found[fmt] = path if os.path.isabs(path) else self._find_needle("templates", path)
        return found
