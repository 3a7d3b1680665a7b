#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: report_write
short_description: Write runbook check results as JSON, Markdown, HTML and JUnit report files on the controller
version_added: 0.1.0
description:
  - Validates the check results (docs/result-schema.md), renders each format with the same code as the filters
    P(kdebug.toolkit.render_markdown#filter), P(kdebug.toolkit.render_html#filter) and
    P(kdebug.toolkit.render_junit#filter), and writes C(report.json), C(report.md), C(report.html) and C(report.xml)
    into O(dest), creating it when missing.
  - Each file is written through a temporary file in the same directory, so readers never see half a report, and only
    when its content changed.
  - This is an action plugin - it always runs on the controller, in Ansible's own process (no module run per file).
    The P(kdebug.toolkit.report#role) role calls it.
author:
  - kdebug.toolkit contributors (@kdebug)
attributes:
  check_mode:
    description: Renders everything and says whether a file would change; writes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  idempotent:
    description: The same checks, name, title and time write nothing the second time.
    support: full
options:
  checks:
    description: The check results.
    type: list
    elements: dict
    required: true
  dest:
    description:
      - The directory on the controller (C(~) is expanded; relative to the directory Ansible runs in).
      - Empty - C(reports/<name>).
    type: path
    default: ""
  name:
    description: The report's name (in C(report.json)). Empty - C(kdebug-report-<UTC time>), e.g. C(kdebug-report-20260101T120000Z).
    type: str
    default: ""
  title:
    description: The report's title. Empty - C(kdebug report <name>).
    type: str
    default: ""
  generated:
    description: When the report was made, as shown in it (for example C(2026-11-27T02:00:00Z)). Empty - now, in UTC.
    type: str
    default: ""
  formats:
    description: The formats to write.
    type: list
    elements: str
    choices: [html, json, junit, markdown]
    default: [json, markdown, html, junit]
  templates:
    description:
      - Jinja2 templates to render formats with instead of the P(kdebug.toolkit.report#role) role's
        C(roles/report/templates/report.md.j2), C(report.html.j2) and C(report.junit.xml.j2) - a mapping of
        C(markdown), C(html) or C(junit) to a template file; a format left out keeps the role's template.
      - A relative path is looked up like the O(ansible.builtin.template#module:src) of M(ansible.builtin.template)
        (the role's and the playbook's C(templates/) directories first).
      - Start from a copy of the role's template - its first lines list the variables and filters it can use.
        Templates are rendered by plain Jinja2, not Ansible's templating - Ansible's filters and lookups are not
        available.
    type: dict
    default: {}
  handoff:
    description:
      - The ways to continue by hand, shown under the verdict - each C({what, command, hint}), as the
        P(kdebug.toolkit.handoff#filter) filter makes them from kdebug_exec and kdebug_fork results (a
        C(kubectl exec -it) line into a debug container or a kept fork, and a C(chroot) hint).
    type: list
    elements: dict
    default: []
seealso:
  - module: kdebug.toolkit.pcap_save
"""

EXAMPLES = r"""
- name: Write a report of two checks
  kdebug.toolkit.report_write:
    checks:
      - {name: cluster DNS answers, status: pass, summary: 10.96.0.10 answers}
      - {name: web listens on 8080, status: fail, summary: nobody listens on 8080}
    dest: reports/web
    name: web
    title: kdebug report web
    generated: "{{ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ') }}"

- name: Write the Markdown report with our own template (templates/ next to the playbook)
  kdebug.toolkit.report_write:
    checks: "{{ checks }}"
    formats: [markdown]
    templates:
      markdown: our-report.md.j2
"""

RETURN = r"""
dest:
  description: Absolute path of the directory.
  returned: always
  type: str
files:
  description: Absolute paths of the report files, in the order of O(formats).
  returned: always
  type: list
  elements: str
name:
  description: The report's name (O(name) or the default).
  returned: always
  type: str
title:
  description: The report's title (O(title) or the default).
  returned: always
  type: str
generated:
  description: The report's time (O(generated) or the default).
  returned: always
  type: str
templates:
  description: The template file each format other than C(json) was rendered with.
  returned: success
  type: dict
  sample:
    markdown: /home/me/kdebug/report.md.j2
    html: /usr/share/ansible/collections/ansible_collections/kdebug/toolkit/roles/report/templates/report.html.j2
summary:
  description:
    - Counts per status, the overall C(status), C(total) and the failing and erroring checks (C(problems), failures
      first), as the P(kdebug.toolkit.check_summary#filter) filter gives them.
    - C(verdict) (V(healthy), V(broken) or V(could not tell)), C(cause) (one sentence, from the failing check that
      explains most) and C(next_steps) (sentences).
  returned: success
  type: dict
handoff:
  description: O(handoff), checked.
  returned: success
  type: list
  elements: dict
lines:
  description:
    - A short summary to print - the verdict and its cause, the counts, the next steps, a table of the failing and
      erroring checks, the lines to continue by hand, the files.
  returned: success
  type: list
  elements: str
"""
