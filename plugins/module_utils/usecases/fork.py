# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug_fork: ensure the fork of a pod (and replay its command in it), or remove it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils import options, rights
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import Interrupted, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.access import AccessProbe
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.objects import read_pod
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.fork import ForkManager
from ansible_collections.kdebug.toolkit.plugins.module_utils.managers.pull_secrets import PullSecrets
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import fork as fork_spec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.fork import (
    DEFAULT_BUSYBOX_PATH, DEFAULT_TOOLS_IMAGE)


def fork_argument_spec():
    spec = options.module_spec(
        options.target_options(), options.tools_image_options(DEFAULT_TOOLS_IMAGE), options.lifetime_options(),
        options.audit_options(),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        busybox_path=dict(type="str", default=DEFAULT_BUSYBOX_PATH),
        target_image=dict(type="str"),
        keep_labels=dict(type="list", elements="str", default=[]),
        keep_annotations=dict(type="list", elements="str", default=[]),
        keep_init_containers=dict(type="bool", default=True),
        env=dict(type="dict", default={}),
        share_processes=dict(type="bool"),
        same_node=dict(type="bool", default=False),
        other_node=dict(type="bool"),
        wait=dict(type="bool", default=True),
        replay=dict(type="bool", default=False),
        replay_command=dict(type="list", elements="str"),
        replay_args=dict(type="list", elements="str"),
        replay_timeout=dict(type="int", default=60),
        max_output_bytes=dict(type="int", default=1048576),
        previous_logs_lines=dict(type="int", default=50),
    )
    # Before 1.0 the tools image was tools_image (and `image` replaced the target's image, now target_image).
    options.deprecated_alias(spec, "image", "tools_image")
    options.deprecated_alias(spec, "image_pull_policy", "tools_image_pull_policy")
    return spec


def options_from_params(params, requester, reason, run=None, nodes=None):
    return fork_spec.default_options(
        container=params.get("container"),
        image=params.get("image") or DEFAULT_TOOLS_IMAGE,
        image_pull_policy=params.get("image_pull_policy") or "IfNotPresent",
        image_pull_secrets=params.get("image_pull_secrets") or [],
        busybox_path=params.get("busybox_path") or DEFAULT_BUSYBOX_PATH,
        target_image=params.get("target_image"),
        keep_labels=params.get("keep_labels") or [],
        keep_annotations=params.get("keep_annotations") or [],
        keep_init_containers=params.get("keep_init_containers", True),
        env=params.get("env") or {},
        share_processes=params.get("share_processes"),
        same_node=bool(params.get("same_node")),
        other_node=params.get("other_node"),
        nodes=nodes,
        ttl_seconds=params.get("ttl_seconds"),
        requester=requester,
        reason=reason,
        run=run,
    )


def _absent(module, manager, params):
    namespace, pod_name = params["namespace"], params["pod"]
    name = fork_spec.fork_name(namespace, pod_name)
    before = manager.read(namespace, name)
    if before is None:
        # The pod option may name a fork itself (a name from a previous result).
        named = manager.read(namespace, pod_name)
        if named is not None and fork_spec.is_fork(named):
            name, before = pod_name, named
    if before is None:
        return dict(changed=False, state="absent", fork=None, changes=[])
    if not fork_spec.is_fork(before):
        raise KdebugError("pod %s/%s is not a kdebug fork: refusing to delete it." % (namespace, name))
    old, changed = manager.delete(namespace, name, wait=params["wait"], wait_timeout=params["wait_timeout"])
    result = dict(changed=changed, state="absent", fork=fork_spec.fork_summary(old or before, False),
                  changes=["%s fork pod %s/%s" % ("would delete" if module.check_mode else "deleted", namespace, name)]
                  if changed else [])
    if module._diff:
        result["diff"] = {"before": fork_spec.diff_view(before), "after": {},
                          "before_header": "fork %s/%s" % (namespace, name), "after_header": "(absent)"}
    return result


def _present(module, manager, params):
    namespace = params["namespace"]
    # The fork's one pre-check: before the fork is created (a replay it may not exec in would leave it running).
    AccessProbe(manager.client).require(rights.fork(namespace, bool(params.get("replay"))),
                                        "fork pod %s/%s" % (namespace, params["pod"]))
    source = read_pod(manager.client, namespace, params["pod"])
    if params.get("same_node") and params.get("other_node"):
        raise KdebugError("same_node and other_node are both set: choose one (same_node keeps the fork on the source's "
                          "node, other_node keeps a hostNetwork fork off it).")
    nodes = manager.nodes_for(source, params)
    opts = options_from_params(params, module.requested_by(), module.reason(), module.run(), nodes)
    if opts["image_pull_secrets"]:
        # Each must be there: the kubelet pulls without a secret it cannot find, and the fork's wait would take
        # that 401 for a pull to retry (managers/fork.py).
        PullSecrets(manager.client, opts["image"], module.check_mode).check(
            opts["image_pull_secrets"], namespace,
            "The fork runs in the source's namespace %s and can only use its pull secrets: create them there, or fix "
            "image_pull_secrets" % namespace, covering=False)
    desired, changes, placement, warnings = fork_spec.build_fork_draft(source, opts)
    manager.warnings.extend(warnings)
    container = desired["metadata"]["annotations"][fork_spec.ANNOTATION_HELD_CONTAINER]
    if params.get("keep_labels"):
        manager.check_not_selected(desired)
    replay = params.get("replay")
    wait = params["wait"] or bool(replay)
    pod, changed, note = manager.ensure(desired, wait, params["wait_timeout"], container)
    try:
        return _inspect_and_replay(module, manager, params, source, desired, changes, container, pod, changed, note,
                                   placement)
    except Interrupted as err:
        # The run was stopped here (Ctrl-C, a killed ansible-playbook): the always: that would remove a fork that
        # goes with its run will not run, so it goes now.
        if params.get("remove_with_run") and not module.check_mode:
            raise manager.remove_after_interruption(pod, err)
        raise


def _inspect_and_replay(module, manager, params, source, desired, changes, container, pod, changed, note,
                        placement):
    namespace = params["namespace"]
    replay = params.get("replay")
    logs = manager.source_logs(source, container, params.get("previous_logs_lines"))
    held = fork_spec.held_info(pod, params.get("replay_command"), params.get("replay_args"))
    result = dict(
        changed=changed,
        state="present",
        fork=fork_spec.fork_summary(pod, changed),
        source=fork_spec.source_block(source, container, logs),
        changes=changes,
        held=held,
        placement=fork_spec.placement_result(placement, pod),
        note=note,
        manifest=pod,
    )
    if replay:
        if module.check_mode:
            result["replay"] = fork_spec.replay_not_run(
                "skipped", "check mode: the fork is not created, nothing is replayed", held["replay_argv"])
        elif held["replay_argv"] is None:
            result["replay"] = fork_spec.replay_not_run("needs_replay_command", held["replay_note"])
            manager.warnings.append(held["replay_note"])
        else:
            result["replay"] = manager.replay(pod, held["replay_argv"], params["replay_timeout"],
                                              params["max_output_bytes"])
    if module._diff and changed:
        result["diff"] = {"before": fork_spec.diff_view(source), "after": fork_spec.diff_view(desired),
                          "before_header": "source pod %s/%s" % (namespace, params["pod"]),
                          "after_header": "fork %s/%s" % (namespace, desired["metadata"]["name"])}
    return result


def run_fork_module(module):
    """What kdebug_fork does: ensure (and optionally replay in) or remove the fork of a pod."""
    params = module.params
    manager = ForkManager(module.kube(), module.check_mode)
    if params["state"] == "absent":
        result = _absent(module, manager, params)
    else:
        result = _present(module, manager, params)
    for warning in manager.warnings:
        module.warn(warning)
    return result
