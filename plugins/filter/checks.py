# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Check records for the roles: the error check of a module call that failed (docs/result-schema.md).

The record is built by plugins/module_utils/checks.py, the one place every producer builds checks with.
Per-filter documentation lives in plugins/filter/error_check.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.module_utils import checks


def error_check(result, name, target=None, default="the module failed without a message"):
    """One ``error`` check from a registered module result that failed (``msg``, ``error_class``...)."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("error_check: expected a registered module result (a mapping), got %s"
                                 % type(result).__name__)
    if not isinstance(name, str) or not name.strip():
        raise AnsibleFilterError("error_check: the check needs a name, got %r" % (name,))
    return checks.error_check(dict(result), name, dict(target) if isinstance(target, Mapping) else target, default)


class FilterModule(object):
    """kdebug.toolkit check record filters."""

    def filters(self):
        return {"error_check": error_check}
