# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The collection tarball holds the collection and nothing else (galaxy.yml build_ignore), with real metadata.

It is built with this ansible-core's ansible-galaxy from a copy of the checkout (tracked and untracked files, as
`ansible-galaxy collection build` in a working tree sees them) into which what a working tree collects is planted:
reports and captures of runs, test output, virtualenvs, a built tarball.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# what a working tree collects besides the collection (each must stay out of the tarball)
PLANTED = [
    "reports/web-7d9f8/report.json", "captures/web-7d9f8.pcap", "tests/output/junit/unit.xml",
    ".venv/bin/python3", ".collections/ansible_collections/README", "kdebug-toolkit-0.0.9.tar.gz",
    "lab/state.log", "bench/results/run.json", "roles/report/__pycache__/x.cpython-313.pyc",
]
TOP = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "requirements.txt", "requirements-docker.txt",
       "bindep.txt", "changelogs", "docs", "meta", "playbooks", "plugins", "roles", "tests"}
NEVER = ("lab/", "bench/", "scripts/", ".ci/", "reports/", "captures/", "tests/output/", "tests/integration/",
         "tests/browser/", "tests/compat/", ".venv/", ".collections/", ".git/")


def _source_files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                         capture_output=True, check=True).stdout.decode()
    return [name for name in out.split("\0") if name and os.path.isfile(os.path.join(ROOT, name))]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    if not os.path.isdir(os.path.join(ROOT, ".git")) and not os.path.isfile(os.path.join(ROOT, ".git")):
        pytest.skip("needs the git checkout (an installed collection has no galaxy.yml)")
    tree = tmp_path_factory.mktemp("build") / "toolkit"
    for name in _source_files():
        dest = tree / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), str(dest))
    for name in PLANTED:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("planted\n")
    out = tmp_path_factory.mktemp("dist")
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(out), str(tree)], check=True,
                   capture_output=True)
    built = sorted(os.listdir(str(out)))
    assert len(built) == 1 and built[0].startswith("kdebug-toolkit-")
    with tarfile.open(str(out / built[0])) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        return {"names": [m.name for m in tar.getmembers()], "manifest": manifest}


def test_the_tarball_holds_the_collection_and_nothing_else(tarball):
    names = tarball["names"]
    assert {name.split("/")[0] for name in names} == TOP
    assert {name.split("/")[1] for name in names if name.startswith("tests/") and "/" in name} == {"unit", "sanity"}
    leaked = [name for name in names if name.startswith(NEVER) or name.endswith((".pyc", ".tar.gz", ".pcap"))
              or "__pycache__" in name or name in ("ansible.cfg", "Makefile", "requirements-dev.txt")]
    assert leaked == []
    for needed in ("plugins/modules/kdebug_exec.py", "plugins/inventory/pods.py", "roles/diagnose/tasks/main.yml",
                   "playbooks/diagnose.yml", "playbooks/fleet_dns.yml", "meta/runtime.yml",
                   "meta/execution-environment.yml", "docs/rbac.md", "requirements.txt", "requirements-docker.txt"):
        assert needed in names


def test_the_metadata_is_the_projects_own(tarball):
    info = tarball["manifest"]["collection_info"]
    assert (info["namespace"], info["name"]) == ("kdebug", "toolkit")
    assert info["authors"] and info["description"] and info["license"] == ["Apache-2.0"]
    text = json.dumps(info)
    for placeholder in ("example.invalid", "example.com", "example.org", "your name", "TODO", "FIXME"):
        assert placeholder.lower() not in text.lower()
    # no public home yet: no URL is better than a made-up one (galaxy.yml says so)
    for key in ("repository", "documentation", "homepage", "issues"):
        assert info.get(key) in (None, "")
