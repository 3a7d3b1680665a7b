# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""One vocabulary: every module's argument spec matches its documentation (fragments included), and a shared
option means the same thing (type, default, choices) in every module that has it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

import pytest
import yaml

from ansible_collections.kdebug.toolkit.plugins.module_utils import module_base, options
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import OptionError

MODULES = ["kdebug_exec", "kdebug_agent", "kdebug_fork", "kdebug_triage", "kdebug_cleanup", "kdebug_get"]


class Captured(Exception):
    pass


def spec_of(name, monkeypatch):
    """The argument spec the module's main() hands to run_module."""
    module = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.modules." + name)

    def capture(module_name, argument_spec, use_case, **kwargs):
        raise Captured(argument_spec)

    monkeypatch.setattr(module, "run_module", capture)
    with pytest.raises(Captured) as got:
        module.main()
    return got.value.args[0], module


def fragment_options(reference):
    """Options of a doc fragment reference: kdebug.toolkit.auth or kdebug.toolkit.common.target."""
    parts = reference.split(".")
    name, attribute = parts[2], (parts[3].upper() if len(parts) > 3 else "DOCUMENTATION")
    fragment = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.doc_fragments." + name)
    return yaml.safe_load(getattr(fragment.ModuleDocFragment, attribute))["options"]


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    merged = {}
    for reference in doc.get("extends_documentation_fragment") or []:
        merged.update(fragment_options(reference))
    merged.update(doc.get("options") or {})  # the module's own entry wins, as in ansible-doc
    return merged


@pytest.mark.parametrize("name", MODULES)
def test_every_option_is_documented_with_its_type_default_choices_and_aliases(name, monkeypatch):
    spec, module = spec_of(name, monkeypatch)
    documented = documented_options(module)
    assert set(spec) == set(documented)
    for option, entry in spec.items():
        doc = documented[option]
        assert entry.get("type", "str") == doc.get("type", "str"), option
        assert entry.get("default") == doc.get("default"), option
        assert sorted(entry.get("choices") or []) == sorted(doc.get("choices") or []), option
        assert sorted(entry.get("aliases") or []) == sorted(doc.get("aliases") or []), option
        assert bool(entry.get("required")) == bool(doc.get("required")), option


SHARED = ["pod", "namespace", "container", "image_pull_policy", "image_pull_secrets", "ttl_seconds", "wait_timeout",
          "agent_namespace", "requested_by", "reason", "request_timeout", "profile", "timeout", "max_output_bytes",
          "env"]


def test_a_shared_option_means_the_same_everywhere(monkeypatch):
    seen = {}
    for name in MODULES:
        spec, _module = spec_of(name, monkeypatch)
        for option in SHARED:
            if option in spec:
                entry = spec[option]
                shape = (entry.get("type", "str"), tuple(entry.get("choices") or ()), entry.get("elements"))
                seen.setdefault(option, {})[name] = shape
    for option, shapes in seen.items():
        assert len(set(shapes.values())) == 1, (option, shapes)


def test_the_old_names_are_deprecated_aliases(monkeypatch):
    exec_spec, _module = spec_of("kdebug_exec", monkeypatch)
    assert exec_spec["join_namespaces"]["deprecated_aliases"][0]["name"] == "namespaces"
    fork_spec, _module = spec_of("kdebug_fork", monkeypatch)
    assert [a["name"] for a in fork_spec["image"]["deprecated_aliases"]] == ["tools_image"]
    agent_spec, _module = spec_of("kdebug_agent", monkeypatch)
    assert "pod_namespace" in agent_spec["namespace"]["aliases"]
    assert agent_spec["agent_namespace"]["default"] == options.DEFAULT_AGENT_NAMESPACE


def test_the_default_tools_image_is_written_once():
    from ansible_collections.kdebug.toolkit.plugins.doc_fragments.common import ModuleDocFragment
    assert yaml.safe_load(ModuleDocFragment.TOOLS_IMAGE)["options"]["image"]["default"] == options.DEFAULT_TOOLS_IMAGE


@pytest.mark.parametrize("params, bad", [
    ({"timeout": 0}, "timeout"), ({"ttl_seconds": -5}, "ttl_seconds"), ({"request_timeout": 0}, "request_timeout"),
    ({"wait_timeout": 3, "timeout": None}, None),
])
def test_require_positive(params, bad):
    if bad is None:
        options.require_positive(params)
        return
    with pytest.raises(OptionError) as err:
        options.require_positive(params)
    assert err.value.message.startswith(bad + " must be a positive number")


def test_requested_by_prefers_the_option():
    assert options.requested_by({"requested_by": "alice"}) == "alice"
    assert "@" in options.requested_by({})


def test_module_base_is_what_every_module_runs(monkeypatch):
    for name in MODULES:
        module = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.modules." + name)
        assert module.run_module is module_base.run_module, name


@pytest.mark.parametrize("name", MODULES)
def test_the_action_plugin_knows_whether_its_module_takes_requested_by(name, monkeypatch):
    """It sets the AWX requester (plugin_utils/awx.py) only for a module that has the option."""
    spec, _module = spec_of(name, monkeypatch)
    action = importlib.import_module("ansible_collections.kdebug.toolkit.plugins.action." + name)
    assert action.ActionModule.TAKES_REQUESTED_BY is ("requested_by" in spec)


def test_requested_by_falls_back_to_kdebug_requested_by(monkeypatch):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    monkeypatch.setenv("KDEBUG_REQUESTED_BY", "ci-job-17")
    validator = ArgumentSpecValidator(options.audit_options())
    assert validator.validate({}).validated_parameters["requested_by"] == "ci-job-17"
    assert validator.validate({"requested_by": "alice"}).validated_parameters["requested_by"] == "alice"
    monkeypatch.delenv("KDEBUG_REQUESTED_BY")
    assert validator.validate({}).validated_parameters["requested_by"] is None


@pytest.mark.parametrize("option, value, fragment", [
    ("pod", "web-7d9f8.shop", None), ("pod", "a" * 253, None), ("pod", "a" * 254, "longer than the 253"),
    ("namespace", "a" * 63, None), ("namespace", "a" * 64, "longer than the 63"), ("namespace", "a.b", "not a valid"),
    ("container", "web_1", "not a valid"), ("node", "ip-10-0-0-1.ec2.internal", None), ("pod", None, None),
])
def test_require_valid_names(option, value, fragment):
    if fragment is None:
        options.require_valid_names({option: value})
        return
    with pytest.raises(OptionError) as err:
        options.require_valid_names({option: value})
    assert fragment in err.value.message and ("Fix the %s option" % option) in err.value.message
