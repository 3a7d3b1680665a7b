# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""List and remove kdebug-labelled objects: Kubernetes objects through a KubeClient, containers on a Docker engine.
What goes is decided in transforms/cleanup.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiConflict, ApiError, ApiNotFound, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import (
    KINDS, MANAGED_SELECTOR, normalize_docker, normalize_kube)
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.docker import (
    engine_address, engine_error_message, engine_unreachable_error)


class KubeSweeper(object):
    """Lists and deletes kdebug-labelled objects through a KubeClient."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode

    def _path(self, resource, namespace=None, name=None):
        if KINDS[resource][1] and namespace:
            return api_path("namespaces", namespace, resource, name)
        return api_path(resource, name)

    def list(self, resource, namespaces=None, selector=MANAGED_SELECTOR):
        """Records of the ``resource`` objects matching ``selector``, in ``namespaces`` (empty: cluster-wide)."""
        kind, namespaced = KINDS[resource]
        scopes = list(namespaces) if namespaces and namespaced else [None]
        records = []
        for namespace in scopes:
            try:
                answer = self.client.get(self._path(resource, namespace), query={"labelSelector": selector},
                                         hints={"rbac": "Or leave %s out of kinds" % resource})
            except ApiNotFound:
                if namespace:
                    continue  # the namespace does not exist: nothing of ours there
                raise
            records.extend(normalize_kube(kind, item) for item in (answer or {}).get("items") or [])
        if resource == "namespaces" and namespaces:
            records = [r for r in records if r["name"] in namespaces]
        return records

    def pod_names(self, namespace):
        """Every pod name in the namespace (kdebug's or not), or None when they cannot be listed."""
        try:
            answer = self.client.get(self._path("pods", namespace))
        except ApiError:
            return None
        return [item["metadata"]["name"] for item in (answer or {}).get("items") or []]

    def delete(self, record):
        """True when deleted (or, in check mode, would be); False when it was gone or replaced meanwhile."""
        resource = next(r for r, (kind, _ns) in KINDS.items() if kind == record["kind"])
        if self.check_mode:
            return True
        body = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if record.get("uid"):
            body["preconditions"] = {"uid": record["uid"]}  # never a newer object that took the name
        if record["kind"] == "Pod":
            body["gracePeriodSeconds"] = 0  # debug pods hold nothing worth a grace period
        try:
            self.client.delete(self._path(resource, record["namespace"], record["name"]), body=body)
        except (ApiNotFound, ApiConflict):
            return False
        return True

    def gone(self, record):
        resource = next(r for r, (kind, _ns) in KINDS.items() if kind == record["kind"])
        obj = self.client.get_or_none(self._path(resource, record["namespace"], record["name"]))
        return obj is None or (obj.get("metadata") or {}).get("uid") != record.get("uid")

    def wait_gone(self, records, timeout):
        """The records (namespaces aside: they terminate at their own pace) still there after ``timeout``."""
        pending = [r for r in records if r["kind"] != "Namespace"]
        deadline = time.monotonic() + timeout
        while pending:
            pending = [r for r in pending if not self.gone(r)]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        return pending


class DockerSweeper(object):
    """Lists and removes kdebug-labelled containers on one Docker engine."""

    def __init__(self, docker_host, check_mode=False):
        # The docker SDK is loaded only when a Docker engine is swept.
        from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies import docker as docker_strategy  # pylint: disable=import-outside-toplevel
        docker_strategy.require_docker("sweeping the Docker engine at %s (docker_host)" % engine_address(docker_host))
        self.ds = docker_strategy
        self.address = engine_address(docker_host)
        self.check_mode = check_mode
        self.docker_host = docker_host
        self._client = None

    def _api(self):
        if self._client is None:
            self._client = self.ds.connect(self.docker_host)
        return self._client.api

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def list(self):
        try:
            containers = self._api().containers(all=True, filters={"label": [MANAGED_SELECTOR]})
        except (self.ds.docker.errors.DockerException, self.ds.requests.exceptions.RequestException) as exc:
            raise engine_unreachable_error(self.address, exc)
        return [normalize_docker(c, self.address) for c in containers or []]

    def delete(self, record):
        if self.check_mode:
            return True
        docker = self.ds.docker
        try:
            self._api().remove_container(record["id"], force=True, v=True)
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as exc:
            if getattr(exc, "status_code", None) == 409:  # removal already in progress
                return False
            raise KdebugError("could not remove Docker container %s on the engine at %s: %s."
                              % (record["name"], self.address, engine_error_message(exc)))
        except (docker.errors.DockerException, self.ds.requests.exceptions.RequestException) as exc:
            raise engine_unreachable_error(self.address, exc)
        return True
