# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pull secrets as data: registries of images and secrets, the ephemeral strategy's limit, the agent's copy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ImagePullError, StartError
from ansible_collections.kdebug.toolkit.plugins.module_utils.options import DEFAULT_TOOLS_IMAGE
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import pull_secrets as pull

REGISTRY_NAME = "registry.example.test"
REGISTRY = REGISTRY_NAME + ":5000"
IMAGE = REGISTRY + "/team/tools:1"


def docker_secret(name, hosts, kind=pull.DOCKER_CONFIG_JSON, namespace="app"):
    auths = dict((h, {"auth": base64.b64encode(b"u:p").decode()}) for h in hosts)
    config = {"auths": auths} if kind == pull.DOCKER_CONFIG_JSON else auths
    key = ".dockerconfigjson" if kind == pull.DOCKER_CONFIG_JSON else ".dockercfg"
    return {"metadata": {"name": name, "namespace": namespace, "labels": {"team": "a"}}, "type": kind,
            "data": {key: base64.b64encode(json.dumps(config).encode()).decode()}}


def pod(secrets=()):
    return {"metadata": {"name": "web", "namespace": "app"},
            "spec": {"imagePullSecrets": [{"name": s} for s in secrets], "containers": [{"name": "app"}]}}


@pytest.mark.parametrize("image, registry", [
    (IMAGE, REGISTRY),
    ("localhost/tools:1", "localhost"),
    ("10.0.0.1:5000/tools@sha256:abc", "10.0.0.1:5000"),
    ("Registry.Example.Test/a/b/c:1", "registry.example.test"),
    ("team/tools:1", pull.DEFAULT_REGISTRY),
    ("tools", pull.DEFAULT_REGISTRY),
])
def test_registry_of_reads_the_reference_as_the_runtime_does(image, registry):
    assert pull.registry_of(image) == registry


def test_unqualified_names_come_from_the_default_tools_images_registry():
    assert pull.registry_of(DEFAULT_TOOLS_IMAGE) == pull.DEFAULT_REGISTRY


def test_secret_registries_read_both_docker_config_formats_and_urls():
    assert pull.secret_registries(docker_secret("a", ["https://%s/v1/" % REGISTRY, "other.test"])) == \
        sorted([REGISTRY, "other.test"])
    assert pull.secret_registries(docker_secret("a", [REGISTRY], kind=pull.DOCKER_CONFIG)) == [REGISTRY]
    assert pull.secret_registries({"type": "Opaque", "data": {"x": "eA=="}}) == []
    broken = {"type": pull.DOCKER_CONFIG_JSON, "data": {".dockerconfigjson": "bm90IGpzb24="}}
    assert pull.secret_registries(broken) == []


def test_a_credential_for_a_sub_domain_alias_serves_the_registry():
    assert pull.covers(docker_secret("a", ["index." + REGISTRY_NAME]), REGISTRY_NAME)
    assert not pull.covers(docker_secret("a", ["other.test"]), REGISTRY)
    assert not pull.covers(docker_secret("a", ["evil" + REGISTRY]), REGISTRY)


def test_secret_problem_names_the_secret_the_namespace_and_the_registry():
    assert pull.secret_problem("cred", "ns", docker_secret("cred", [REGISTRY]), REGISTRY) is None
    assert pull.secret_problem("cred", "ns", None, REGISTRY) == "image pull secret cred in namespace ns does not exist"
    wrong = pull.secret_problem("cred", "ns", docker_secret("cred", ["other.test"]), REGISTRY)
    assert "cred" in wrong and "ns" in wrong and REGISTRY in wrong and "other.test" in wrong
    opaque = pull.secret_problem("cred", "ns", {"type": "Opaque"}, REGISTRY)
    assert "type Opaque" in opaque


def test_ephemeral_needs_no_check_when_no_secret_is_asked_for():
    assert pull.ephemeral_pull_gap(pod(), IMAGE, []) is None


def test_ephemeral_is_covered_by_the_pods_own_secrets_by_name():
    assert pull.ephemeral_pull_gap(pod(["cred", "other"]), IMAGE, ["cred"]) is None


def test_ephemeral_is_covered_by_a_pod_secret_with_credentials_for_the_registry():
    secrets = {"app-cred": docker_secret("app-cred", [REGISTRY])}
    assert pull.ephemeral_pull_gap(pod(["app-cred"]), IMAGE, ["cred"], secrets) is None


def test_ephemeral_gap_says_the_api_limit_the_registry_and_the_secrets():
    gap = pull.ephemeral_pull_gap(pod(["app-cred"]), IMAGE, ["cred", "app-cred"],
                                  {"app-cred": docker_secret("app-cred", ["other.test"])})
    assert "an API limit" in gap and REGISTRY in gap and IMAGE in gap
    assert "pod app/web has app-cred, not cred" in gap
    assert "has none, not cred" in pull.ephemeral_pull_gap(pod(), IMAGE, ["cred"])


def test_the_copy_keeps_type_and_data_and_carries_kdebugs_labels_audit_and_ttl():
    source = docker_secret("cred", [REGISTRY])
    copy = pull.secret_copy(source, "kdebug-system", "alice@host", "why", 600)
    assert copy["metadata"]["name"] == "cred" and copy["metadata"]["namespace"] == "kdebug-system"
    assert copy["type"] == source["type"] and copy["data"] == source["data"]
    assert copy["metadata"]["labels"][metadata.MANAGED_BY_LABEL] == metadata.MANAGED_BY
    assert "team" not in copy["metadata"]["labels"]
    annotations = copy["metadata"]["annotations"]
    assert annotations[metadata.ANNOTATION_TTL] == "600" and annotations[metadata.ANNOTATION_REQUESTED_BY] == "alice@host"
    assert annotations[pull.ANNOTATION_COPIED_FROM] == "app/cred"
    assert pull.is_kdebug_copy(copy) and not pull.is_kdebug_copy(source)


def test_a_copy_is_current_until_the_original_changes():
    source = docker_secret("cred", [REGISTRY])
    copy = pull.secret_copy(source, "kdebug-system", "a", "b", 600)
    assert pull.copy_is_current(copy, pull.secret_copy(source, "kdebug-system", "someone else", "b", 60))
    changed = docker_secret("cred", [REGISTRY, "other.test"])
    assert not pull.copy_is_current(copy, pull.secret_copy(changed, "kdebug-system", "a", "b", 600))


@pytest.mark.parametrize("problem, expected", [
    ("ErrImagePull: failed to pull: 401 Unauthorized", True),
    ("ImagePullBackOff: Back-off pulling image", True),
    ("ErrImageNeverPull: Container image is not present with pull policy of Never", False),
    ("CreateContainerError: no", False),
    (None, False),
])
def test_image_pull_problem(problem, expected):
    assert pull.image_pull_problem(problem) is expected


def test_pull_failure_advice_tells_refused_credentials_from_missing_ones():
    refused = pull.pull_failure_advice(IMAGE, ["cred"], "kdebug-system", "ErrImagePull: ... 401 Unauthorized")
    assert "the registry refused the credentials" in refused and "cred" in refused and REGISTRY in refused
    asked = pull.pull_failure_advice(IMAGE, [], "kdebug-system", "ErrImagePull: ... 401 Unauthorized")
    assert "the registry asks for credentials" in asked and "with no image pull secret" in asked


def test_an_agent_that_cannot_pull_is_an_image_pull_error_naming_registry_and_secrets():
    pod_ = agent.desired_agent("node-1", "kdebug-system", IMAGE, 600, "me", "test", "Always", ["cred"])
    pod_["status"] = {"phase": "Pending", "containerStatuses": [
        {"state": {"waiting": {"reason": "ErrImagePull", "message": "pulling from host failed: 401 Unauthorized"}}}]}
    with pytest.raises(ImagePullError) as err:
        agent.agent_ready(pod_)
    assert isinstance(err.value, StartError)
    result = err.value.result()
    assert result["error_class"] == "image_pull"
    assert result["registry"] == REGISTRY and result["image_pull_secrets"] == ["cred"] and result["image"] == IMAGE
    assert "cred" in result["msg"] and REGISTRY in result["msg"] and "refused the credentials" in result["msg"]


@pytest.mark.parametrize("policy, pulls", [("Never", False), ("IfNotPresent", True), ("Always", True), (None, True)])
def test_secrets_only_matter_when_the_node_may_pull(policy, pulls):
    assert pull.pulls(policy) is pulls


# --- a pull the kubelet made without the pod's pull secrets ------------------------------------------------------

def event(reason, message, last, count=1):
    return {"reason": reason, "message": message, "lastTimestamp": last, "count": count, "type": "Warning"}


def missed_event(last, names="regcred"):
    return event(pull.PULL_SECRETS_MISSED_REASON, "Unable to retrieve some image pull secrets (%s); attempting to "
                 "pull the image may not succeed." % names, last)


def pull_failed(last):
    return event("Failed", 'Failed to pull image "reg.example:5000/tools:1": 401 Unauthorized', last)


def test_a_failed_pull_right_after_the_kubelet_missed_the_secret_is_one_to_wait_for():
    events = [missed_event("2026-12-02T10:00:00Z"), pull_failed("2026-12-02T10:00:01Z"),
              event("Failed", "Error: ErrImagePull", "2026-12-02T10:00:01Z")]
    assert pull.pull_secrets_missed(events, ["regcred"]) == ["regcred"]
    # The status can show the failure before its event is written: the missed secret alone is enough.
    assert pull.pull_secrets_missed(events[:1], ["regcred"]) == ["regcred"]


def test_a_pull_that_failed_later_had_the_secrets():
    # The kubelet's retry, after its 10 s back-off, read the secret and still got a 401: the credentials are wrong.
    events = [missed_event("2026-12-02T10:00:00Z"), pull_failed("2026-12-02T10:00:11Z")]
    assert pull.pull_secrets_missed(events, ["regcred"]) == []


def test_no_missed_secret_is_nothing_to_wait_for():
    assert pull.pull_secrets_missed([pull_failed("2026-12-02T10:00:01Z")], ["regcred"]) == []
    assert pull.pull_secrets_missed([], ["regcred"]) == []


def test_every_secret_the_kubelet_named_and_the_pods_when_it_named_none():
    events = [missed_event("2026-12-02T10:00:00Z", "b, a"), missed_event("2026-12-02T10:00:12Z", "c"),
              pull_failed("2026-12-02T10:00:12Z")]
    assert pull.pull_secrets_missed(events, ["a"]) == ["a", "b", "c"]
    unnamed = [event(pull.PULL_SECRETS_MISSED_REASON, "Unable to retrieve some image pull secrets", "2026-12-02T10:00:00Z")]
    assert pull.pull_secrets_missed(unnamed, ["x", "y"]) == ["x", "y"]


def test_series_and_event_time_are_read_when_last_timestamp_is_not_set():
    missed = missed_event(None)
    missed["series"] = {"lastObservedTime": "2026-12-02T10:00:20.123456Z", "count": 3}
    assert pull.pull_secrets_missed([missed, pull_failed("2026-12-02T10:00:21Z")], ["regcred"]) == ["regcred"]
    assert pull.pull_secrets_missed([missed, pull_failed("2026-12-02T10:00:40Z")], ["regcred"]) == []


def waiting(reason, message="x"):
    return {"name": "c", "state": {"waiting": {"reason": reason, "message": message}}}


@pytest.mark.parametrize("statuses, init_statuses, failing", [
    ([waiting("ErrImagePull")], [], True),
    ([waiting("ImagePullBackOff")], [], True),
    ([], [waiting("ErrImagePull")], True),
    ([waiting("ContainerCreating")], [], False),
    ([waiting("CreateContainerConfigError")], [], False),
    ([{"name": "c", "state": {"running": {}}}], [], False),
    ([], [], False),
])
def test_pulls_failing_reads_init_and_main_containers(statuses, init_statuses, failing):
    pod = {"status": {"containerStatuses": statuses, "initContainerStatuses": init_statuses}}
    assert pull.pulls_failing(pod) is failing


def test_the_advice_names_node_secrets_namespace_and_which_do_not_exist():
    text = pull.pull_secrets_missed_advice("w1", ["a", "b"], "ns", absent=["b"])
    assert "The kubelet of node w1 could not read image pull secrets a, b of namespace ns" in text
    assert pull.PULL_SECRETS_MISSED_REASON in text and "b does not exist there: create it" in text
    text = pull.pull_secrets_missed_advice("w1", ["a"], "ns")
    assert "image pull secret a of" in text and "kubectl describe node w1" in text and "wait_timeout" in text
