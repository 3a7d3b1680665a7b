"""kdebug_exec with docker_container: the module path of the docker strategy on the lab's engine."""
import pytest


@pytest.fixture()
def target(docker_target):
    return docker_target


def leftovers(lab):
    return lab.docker("ps", "-aq", "--filter", "label=app.kubernetes.io/managed-by=kdebug").stdout.split()


def test_exec_in_a_docker_container_without_a_shell(lab, target):
    args = {"docker_container": target, "docker_host": lab.docker_host, "image": lab.tools_image,
            "image_pull_policy": "Never", "shell": "ss -ltn; ps -eo args"}
    status, check = lab.module("kdebug_exec", args, check=True)
    assert status == "SUCCESS" and check["strategy"] == "docker" and check.get("rc") is None
    assert leftovers(lab) == []
    status, result = lab.module("kdebug_exec", args)
    assert status in ("SUCCESS", "CHANGED"), result
    assert result["rc"] == 0 and result["strategy"] == "docker"
    assert ":8080" in result["stdout"] and "/demoapp serve" in result["stdout"]
    assert result["target"]["container"] == target and result["target"]["pid"] > 0
    assert leftovers(lab) == [], "the tools container is always removed"


def test_docker_bad_input(lab, target):
    status, result = lab.module("kdebug_exec", {"docker_container": "kdebug-no-such-container",
                                                "docker_host": lab.docker_host, "image": lab.tools_image,
                                                "command": ["true"]})
    assert status == "FAILED!" and "kdebug-no-such-container" in result["msg"]
    status, result = lab.module("kdebug_exec", {"docker_container": target, "docker_host": lab.docker_host,
                                                "image": lab.tools_image, "strategy": "agent",
                                                "command": ["true"]})
    assert status == "FAILED!" and "strategy must be auto or docker" in result["msg"]
    status, result = lab.module("kdebug_exec", {"docker_container": target, "docker_host": lab.docker_host,
                                                "image": "kdebug.local/does-not-exist:1", "image_pull_policy": "Never",
                                                "command": ["true"]})
    assert status == "FAILED!" and "kdebug.local/does-not-exist:1" in result["msg"]
    assert leftovers(lab) == []
