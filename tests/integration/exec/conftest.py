"""Fixtures of the kdebug_exec integration tests."""
import os

import pytest


@pytest.fixture()
def docker_target(lab):
    """A running container without a shell on the lab's Docker engine, removed afterwards."""
    name = "kdebug-test-exec-" + os.urandom(4).hex()
    lab.docker("run", "-d", "--name", name, lab.noshell_image, "serve", ":8080")
    yield name
    lab.docker("rm", "-f", name, check=False)
