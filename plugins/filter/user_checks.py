# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""User checks for the user_checks role: check the definitions, say which objects to read, turn kdebug_exec results
and kdebug_get objects into check records.

The logic is plugins/plugin_utils/user_checks.py (pure); docs/user-checks.md has the definition format and the
examples. Per-filter documentation lives in plugins/filter/user_check_definitions.yml, user_check_objects.yml and
user_check_results.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.toolkit.plugins.plugin_utils import user_checks


def _plain(value):
    """Ansible's lazy containers and tagged strings as plain dicts, lists and strings."""
    if isinstance(value, Mapping):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def user_check_definitions(definitions):
    """The definitions checked (schema, JMESPath expressions, patterns) with their defaults filled in."""
    try:
        return user_checks.definitions(_plain(definitions))
    except user_checks.UserCheckError as exc:
        raise AnsibleFilterError(str(exc))


def user_check_objects(definitions, targets):
    """The kdebug_get ``objects`` of the api definitions for every target, each distinct object once."""
    try:
        return user_checks.object_requests(_plain(definitions), _plain(targets))
    except (user_checks.UserCheckError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("user_check_objects needs checked definitions (user_check_definitions) and a list of "
                                 "targets: %s" % exc)


def user_check_results(loop_results, target=None, definitions=None, reads=None, targets=None):
    """One check record per definition (per target with ``targets``) from the role's kdebug_exec loop results and,
    for api definitions, its kdebug_get result ``reads``."""
    try:
        return user_checks.results_to_checks(_plain(loop_results), _plain(target), _plain(definitions), _plain(reads),
                                             _plain(targets))
    except user_checks.UserCheckError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """kdebug.toolkit user check filters."""

    def filters(self):
        return {"user_check_definitions": user_check_definitions, "user_check_objects": user_check_objects,
                "user_check_results": user_check_results}
