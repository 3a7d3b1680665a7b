"""The lab's private registry (lab/lib/registry.sh): where it is, its credentials, and Secrets made from them."""
import base64
import json
import os
import uuid

import pytest


class PrivateRegistry:
    def __init__(self, lab):
        self.lab = lab
        self.host = os.environ.get("KDEBUG_LAB_REGISTRY", "10.250.0.1:5000")
        self.image = os.environ.get("KDEBUG_PRIVATE_TOOLS_IMAGE", self.host + "/private/kdebug-tools:1")
        self.auth_file = os.environ.get("KDEBUG_LAB_REGISTRY_AUTH", "/var/lib/kdebug-lab/registry/dockerconfig.json")
        self.ca_file = os.path.join(os.path.dirname(lab.kubeconfig), "ca.crt")
        with open(self.auth_file) as handle:
            self.config = json.load(handle)
        entry = self.config["auths"][self.host]
        self.user, self.password = entry["username"], entry["password"]

    def secret(self, namespace, name, password=None, host=None):
        """A kubernetes.io/dockerconfigjson Secret in ``namespace``: the lab's credentials, or a wrong password, or
        credentials for another registry host."""
        password = self.password if password is None else password
        host = host or self.host
        auth = base64.b64encode(("%s:%s" % (self.user, password)).encode()).decode()
        config = {"auths": {host: {"username": self.user, "password": password, "auth": auth}}}
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                  "metadata": {"name": name, "namespace": namespace},
                  "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}}
        self.lab.kubectl("apply", "-f", "-", input=json.dumps(secret))
        return name


@pytest.fixture(scope="session")
def registry(lab):
    if not os.path.exists(os.environ.get("KDEBUG_LAB_REGISTRY_AUTH", "/var/lib/kdebug-lab/registry/dockerconfig.json")):
        pytest.fail("the lab has no private registry: run lab/up (lab/lib/registry.sh)")
    return PrivateRegistry(lab)


@pytest.fixture()
def agents_namespace(lab):
    """An agents' namespace that exists before kdebug runs (to hold a referenced secret), deleted afterwards."""
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:8]
    lab.kubectl("create", "namespace", name)
    lab.kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=privileged")
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)
