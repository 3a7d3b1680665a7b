# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The AWX files of docs/awx/ are what AWX accepts and match the playbooks they drive.

The surveys (survey-*.json): the fields AWX's survey_spec validation requires, and every variable a survey sets is
one its playbook reads. The setup playbook (setup.yml): the job templates name the project's playbooks and the
shipped surveys. The project (project/): one-line wrappers of the collection's playbooks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AWX = os.path.join(ROOT, "docs", "awx")
# survey file -> the collection playbooks whose variables it sets
SURVEYS = {
    "survey-diagnose.json": ["playbooks/diagnose.yml"],
    "survey-fleet-dns.json": ["playbooks/fleet_dns.yml", "playbooks/fleet.yml"],
}
# AWX's survey question types (awx/api/views: survey_spec validation) and what each requires
TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
JINJA = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.S)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# keys whose values are Jinja expressions without braces
CONDITIONALS = ("when", "that", "failed_when", "changed_when", "until")


def _expressions(node, conditional=False):
    """The Jinja expressions in a parsed playbook: what {{ }} and {% %} hold, and conditionals as they are."""
    if isinstance(node, str):
        if conditional:
            yield node
        for match in JINJA.finditer(node):
            yield match.group(1) or match.group(2)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _expressions(value, conditional=key in CONDITIONALS)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item, conditional)


def _names_read(playbooks):
    """Every identifier in a Jinja expression of the playbooks (the variables they can read)."""
    names = set()
    for playbook in playbooks:
        with open(os.path.join(ROOT, playbook)) as handle:
            for expression in _expressions(yaml.safe_load(handle)):
                names.update(NAME.findall(expression))
    return names


def _load_survey(name):
    with open(os.path.join(AWX, name)) as handle:
        return json.load(handle)


@pytest.mark.parametrize("survey_file", sorted(SURVEYS))
def test_survey_has_what_awx_requires(survey_file):
    survey = _load_survey(survey_file)
    assert isinstance(survey["name"], str) and survey["name"]
    assert isinstance(survey["description"], str) and survey["description"]
    assert isinstance(survey["spec"], list) and survey["spec"]
    variables = [q["variable"] for q in survey["spec"]]
    assert len(variables) == len(set(variables)), variables
    for question in survey["spec"]:
        for field in ("question_name", "variable", "type", "required"):
            assert field in question, (survey_file, question)
        assert question["type"] in TYPES, question
        assert isinstance(question["required"], bool), question
        if question["type"] in ("multiplechoice", "multiselect"):
            choices = question["choices"].split("\n")
            defaults = [d for d in str(question.get("default", "")).split("\n") if d]
            assert set(defaults) <= set(choices), question
            if question["type"] == "multiplechoice" and question["required"]:
                assert len(defaults) == 1, question
        if question["type"] in ("integer", "float"):
            assert question["min"] <= question.get("default", question["min"]) <= question["max"], question
        if question["type"] in ("text", "textarea") and "default" in question:
            assert len(question["default"]) <= question.get("max", 1024), question


@pytest.mark.parametrize("survey_file", sorted(SURVEYS))
def test_every_survey_variable_is_read_by_its_playbook(survey_file):
    read = _names_read(SURVEYS[survey_file])
    unread = [q["variable"] for q in _load_survey(survey_file)["spec"] if q["variable"] not in read]
    assert not unread, "%s sets variables %s reads not" % (survey_file, SURVEYS[survey_file])


def test_the_name_check_can_fail():
    assert "no_such_survey_variable" not in _names_read(["playbooks/diagnose.yml"])
    assert "pod" in _names_read(["playbooks/diagnose.yml"])


def _setup_tasks():
    with open(os.path.join(AWX, "setup.yml")) as handle:
        (play,) = yaml.safe_load(handle)
    return play["tasks"]


def test_setup_job_templates_use_the_project_playbooks_and_shipped_surveys():
    templates = [t["awx.awx.job_template"] for t in _setup_tasks() if "awx.awx.job_template" in t]
    assert {t["playbook"] for t in templates} == {"diagnose.yml", "fleet_dns.yml"}
    for template in templates:
        assert os.path.isfile(os.path.join(AWX, "project", template["playbook"])), template["playbook"]
        survey = re.search(r"lookup\('ansible.builtin.file', '([^']+)'\)", template["survey_spec"]).group(1)
        assert survey in SURVEYS, survey
        assert template["survey_enabled"] is True
        assert template["credentials"] == ["kdebug cluster"]
    fleet = [t for t in templates if t["playbook"] == "fleet_dns.yml"][0]
    assert "job_slice_count" in fleet and fleet["extra_vars"]["remove_agents"] is False


def test_setup_credential_is_the_builtin_kubernetes_bearer_token():
    (credential,) = [t["awx.awx.credential"] for t in _setup_tasks() if "awx.awx.credential" in t]
    assert credential["credential_type"] == "OpenShift or Kubernetes API Bearer Token"
    assert set(credential["inputs"]) == {"host", "bearer_token", "verify_ssl", "ssl_ca_cert"}


def test_project_wraps_the_collection_playbooks():
    project = os.path.join(AWX, "project")
    wrappers = sorted(n for n in os.listdir(project) if n.endswith(".yml"))
    assert wrappers
    for name in wrappers:
        with open(os.path.join(project, name)) as handle:
            (play,) = yaml.safe_load(handle)
        target = play["ansible.builtin.import_playbook"]
        assert target == "kdebug.toolkit." + name[:-len(".yml")], (name, target)
        assert os.path.isfile(os.path.join(ROOT, "playbooks", name)), name
    with open(os.path.join(project, "inventories", "shop.kdebug_pods.yml")) as handle:
        assert yaml.safe_load(handle)["plugin"] == "kdebug.toolkit.pods"
