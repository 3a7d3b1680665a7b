# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_cleanup: list what kdebug made, decide what has expired, remove it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import metadata, options, rights, runs
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import AccessProbe
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.cleanup import DockerSweeper, KubeSweeper
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.cleanup import (
    DEFAULT_KINDS, DOCKER_KIND, KINDS, check_kinds, describe, parse_duration, plan_sweep, removal_order, run_of,
    sort_key, sweep_diff)


def cleanup_argument_spec():
    return options.module_spec(
        options.lifetime_options(ttl=False),
        older_than=dict(type="raw"),
        namespaces=dict(type="list", elements="str", default=[]),
        kinds=dict(type="list", elements="str", default=list(DEFAULT_KINDS), choices=sorted(KINDS)),
        docker_host=dict(type="str"),
        wait=dict(type="bool", default=True),
    )


def run_cleanup_module(module):
    """What kdebug_cleanup does: list, decide, remove; exit_json with removed and kept."""
    params = module.params
    removed, kept, warnings = [], [], []
    before = []
    docker_sweeper = None
    try:
        older_than = parse_duration(params["older_than"])
        kinds = check_kinds(params["kinds"])
        namespaces = [n for n in params["namespaces"] or [] if n]
        now = metadata.utc_now()
        kube, records, pods_by_namespace = None, [], {}
        if kinds:
            kube = KubeSweeper(module.kube(), module.check_mode)
            # The sweep's one pre-check: a right short fails before anything is removed, not half-way.
            AccessProbe(kube.client).require(rights.cleanup(kinds, namespaces), "sweep %s" % ", ".join(kinds))
            for resource in kinds:
                records.extend(kube.list(resource, namespaces))
            for record in records:
                if record["kind"] == "Namespace":
                    pods_by_namespace[record["name"]] = kube.pod_names(record["name"])
        if params["docker_host"]:
            docker_sweeper = DockerSweeper(params["docker_host"], module.check_mode)
            records.extend(docker_sweeper.list())
        run_states = dict((run_id, runs.run_state(run_id)) for run_id in set(filter(None, map(run_of, records))))
        remove, keep = plan_sweep(records, now, older_than, namespaces, pods_by_namespace, run_states)
        before = sorted(remove + keep, key=sort_key)
        kept = [item for _record, item in sorted(keep, key=sort_key)]
        deleted = []
        for record, item in removal_order(remove):
            sweeper = docker_sweeper if record["kind"] == DOCKER_KIND else kube
            if sweeper.delete(record):
                removed.append(item)
                deleted.append(record)
            else:
                kept.append(dict(item, reason="gone or replaced before it could be removed"))
        if params["wait"] and kube is not None and not module.check_mode:
            left = kube.wait_gone([r for r in deleted if r["kind"] != DOCKER_KIND], params["wait_timeout"])
            for record in left:
                warnings.append("%s %s/%s is still terminating after %ss."
                                % (record["kind"], record["namespace"], record["name"], params["wait_timeout"]))
    except KdebugError as err:
        # What was removed before the failure is part of the answer.
        err.details.update(removed=removed, kept=kept)
        raise
    finally:
        if docker_sweeper is not None:
            docker_sweeper.close()
    for warning in warnings:
        module.warn(warning)
    result = dict(changed=bool(removed), removed=removed, kept=kept, older_than=older_than, namespaces=namespaces,
                  summary={"removed": [describe(item) for item in removed], "kept": [describe(item) for item in kept]})
    if module._diff:
        result["diff"] = sweep_diff(before, removed)
    return result
