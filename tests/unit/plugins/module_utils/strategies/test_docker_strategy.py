# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""DockerStrategy before it reaches an engine (tests/integration/docker runs it against the lab's)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
