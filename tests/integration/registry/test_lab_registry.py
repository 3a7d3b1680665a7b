"""The lab's private registry is real: TLS from the lab CA, credentials required, and the node pulls from it only
with them (what kdebug's image_pull_secrets tests stand on)."""
import base64
import json
import ssl
import time
import urllib.error
import urllib.request

import pytest


def status_of(registry, path, auth=None):
    request = urllib.request.Request("https://%s%s" % (registry.host, path), method="GET")
    request.add_header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    context = ssl.create_default_context(cafile=registry.ca_file)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_registry_speaks_tls_from_the_lab_ca_and_refuses_anonymous_requests(registry):
    manifest = "/v2/private/kdebug-tools/manifests/1"
    assert status_of(registry, "/v2/") == 401
    assert status_of(registry, manifest) == 401
    assert status_of(registry, manifest, auth=(registry.user, "wrong-password")) == 401
    assert status_of(registry, manifest, auth=(registry.user, registry.password)) == 200
    with pytest.raises(urllib.error.URLError):  # the system's CAs do not know the lab's
        urllib.request.urlopen("https://%s/v2/" % registry.host, timeout=10)


def pull_state(lab, namespace, name, timeout=90):
    """The first state of the pod's container that is not ContainerCreating/Pending: running, or a pull failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pod = lab.kubectl_json("get", "pod", "-n", namespace, name)
        for status in pod["status"].get("containerStatuses") or []:
            state = status.get("state") or {}
            if "running" in state or "terminated" in state:
                return "running", ""
            waiting = state.get("waiting") or {}
            if waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff"):
                return waiting["reason"], waiting.get("message", "")
        time.sleep(0.5)
    raise AssertionError("pod %s/%s neither ran nor failed to pull within %ss" % (namespace, name, timeout))


def run_private(lab, registry, namespace, name, secrets=()):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
           "spec": {"restartPolicy": "Never", "imagePullSecrets": [{"name": s} for s in secrets],
                    "containers": [{"name": "tools", "image": registry.image, "imagePullPolicy": "Always",
                                    "command": ["sleep", "300"]}]}}
    lab.kubectl("apply", "-f", "-", input=json.dumps(pod))
    return pull_state(lab, namespace, name)


def test_the_node_pulls_the_private_image_only_with_credentials(lab, registry, scratch_namespace):
    state, message = run_private(lab, registry, scratch_namespace, "anonymous")
    assert state in ("ErrImagePull", "ImagePullBackOff"), state
    assert "401" in message or "nauthorized" in message, message

    registry.secret(scratch_namespace, "wrong", password="wrong-password")
    state, message = run_private(lab, registry, scratch_namespace, "wrong-password", ["wrong"])
    assert state in ("ErrImagePull", "ImagePullBackOff") and ("401" in message or "nauthorized" in message), message

    registry.secret(scratch_namespace, "regcred")
    assert run_private(lab, registry, scratch_namespace, "with-secret", ["regcred"])[0] == "running"
