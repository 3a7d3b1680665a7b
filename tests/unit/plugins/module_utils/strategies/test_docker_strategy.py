# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""DockerStrategy before it reaches an engine (tests/integration/docker runs it against the lab's)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker as docker_strategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.docker import DockerStrategy
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.docker import NAMESPACES

TID = "4bbf41adb8a04fa36cd152807f73f60845e3de694033fe6ff64100a8745e1ca0"


def test_for_pod_container_does_not_touch_the_engine():
    strategy = DockerStrategy.for_pod_container("docker://" + TID, {"namespace": "demo", "pod": "web-1"},
                                                "tools:1", docker_host="tcp://node:2375")
    assert strategy.container == TID and strategy.pod_target["pod"] == "web-1"
    assert strategy.address == "tcp://node:2375"


def test_constructor_validates_without_connecting():
    with pytest.raises(KdebugError):
        DockerStrategy("web", "tools:1", docker_host="unix:///nonexistent.sock", pull_policy="Sometimes")
    strategy = DockerStrategy("web", "tools:1", docker_host="unix:///nonexistent.sock", requester="me")
    assert strategy.requester == "me" and strategy.namespaces == NAMESPACES


@pytest.mark.skipif(not docker_strategy.HAS_DOCKER, reason="needs the docker Python library")
def test_an_engine_that_is_not_there_is_named_with_the_fix(tmp_path):
    address = "unix://%s" % (tmp_path / "nonexistent.sock")
    with pytest.raises(KdebugError) as err:
        docker_strategy.connect(address)
    assert err.value.message.startswith("cannot reach the Docker engine at %s" % address)
    assert "docker -H %s info" % address in err.value.message


# --- without the docker library (an optional requirement: requirements-docker.txt) ---------------------------

WITHOUT_DOCKER = r"""
import json, sys
sys.modules["docker"] = None   # `import docker` raises ImportError, as where the library is not installed
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.cleanup import DockerSweeper
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker
from ansible_collections.kdebug.toolkit.plugins.module_utils.usecases import exec as exec_use_case

class Module(object):
    params = dict(docker_host=None, docker_container="web", image="tools:1", image_pull_policy="IfNotPresent",
                  ttl_seconds=None)
    def requested_by(self):
        return "me"
    def reason(self):
        return None

results = {"has_docker": docker.HAS_DOCKER}
for name, call in [("exec", lambda: exec_use_case.docker_strategy(Module())),
                   ("run", lambda: docker.DockerStrategy("web", "tools:1")._docker()),
                   ("cleanup", lambda: DockerSweeper("unix:///run/other.sock"))]:
    try:
        call()
    except KdebugError as err:
        results[name] = err.result()
print(json.dumps(results))
"""


def test_without_the_docker_library_the_docker_paths_say_what_to_install():
    collections = os.path.abspath(os.path.join(os.path.dirname(docker_strategy.__file__), *[".."] * 6))
    out = subprocess.run([sys.executable, "-c", WITHOUT_DOCKER], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=collections)).stdout
    results = json.loads(out)
    assert results.pop("has_docker") is False
    assert sorted(results) == ["cleanup", "exec", "run"]
    for name, result in results.items():
        assert result["error_class"] == "missing_library", name
        assert "needs the docker Python library, which %s cannot import" % sys.executable in result["msg"], name
        assert "pip install -r requirements-docker.txt" in result["msg"], name
        assert "Traceback" not in result["msg"], name
    assert results["exec"]["msg"].startswith("the docker strategy (docker_container) needs")
    assert results["cleanup"]["msg"].startswith("sweeping the Docker engine at unix:///run/other.sock (docker_host)")


@pytest.mark.skipif(not docker_strategy.HAS_DOCKER, reason="needs the docker Python library")
def test_with_the_docker_library_nothing_is_raised():
    docker_strategy.require_docker("anything")
