# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The option vocabulary shared by the kdebug.toolkit modules (docs/options.md). Each fragment documents one
    # group of plugins/module_utils/options.py; tests/unit/plugins/module_utils/test_options.py checks they agree.

    # kdebug.toolkit.common.target
    TARGET = r"""
options:
  pod:
    description: Name of the target pod.
    type: str
  namespace:
    description: Namespace of the target pod.
    type: str
    default: default
  container:
    description:
      - The target container of the pod. Default is the pod's C(kubectl.kubernetes.io/default-container)
        annotation when it names a container, else its first container.
      - An init container may be named - kdebug_exec joins it while it runs (a pod stuck in init, a sidecar init
        container); kdebug_fork holds it and replays it; kdebug_triage looks at it alone.
    type: str
"""

    # kdebug.toolkit.common.tools_image
    TOOLS_IMAGE = r"""
options:
  image:
    description:
      - The tools image, the one kdebug brings into the target's namespaces. Never the target's own image.
    type: str
    default: docker.io/nicolaka/netshoot:latest
  image_pull_policy:
    description: Pull policy of O(image).
    type: str
    default: IfNotPresent
    choices: [Always, IfNotPresent, Never]
  image_pull_secrets:
    description:
      - Names of image pull secrets for O(image), in the namespace of the pod that runs it. That is O(agent_namespace)
        for an agent (see O(image_pull_secrets_mode)), the target's namespace for a fork.
      - An ephemeral debug container cannot have pull secrets of its own (an API limit), so it pulls with the target
        pod's C(imagePullSecrets). When those do not cover the ones given here (by name, or by credentials for the
        registry of O(image) when the caller may read them), strategy C(ephemeral) fails before it changes the pod,
        and strategy C(auto) takes the agent when the caller may use it.
    type: list
    elements: str
    default: []
"""

    # kdebug.toolkit.common.lifetime
    LIFETIME = r"""
options:
  ttl_seconds:
    description:
      - Seconds what kdebug creates lives before it ends by itself (a forgotten object never stays).
    type: int
    default: 3600
  remove_with_run:
    description:
      - What kdebug creates belongs to this Ansible run, which removes it before it ends (a crashloop runbook's
        fork, a fleet's agents). It is annotated C(kdebug.io/remove-with-run) with the run
        (C(kdebug.io/run), the ansible-playbook process). If the run is interrupted before it removes it,
        M(kdebug.toolkit.kdebug_cleanup) (and the cleanup playbook) removes it as soon as that process has ended,
        instead of at its TTL; while the run is still going it is kept.
      - A run's end can only be seen from the controller it ran on. From another controller (or an AWX job in
        another container), the TTL still decides.
      - Objects that another run found and used (an agent) keep the annotations of the run that made them.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for what kdebug creates to run (or to go away). Failures that will not heal (an image that
        cannot be pulled, a container that cannot be created) are reported at once.
    type: int
    default: 120
"""

    # kdebug.toolkit.common.agent_namespace
    AGENT_NAMESPACE = r"""
options:
  agent_namespace:
    description:
      - Namespace of the node agents (created with the PodSecurity C(privileged) label when absent). Never the
        target's namespace.
    type: str
    default: kdebug-system
  image_pull_secrets_mode:
    description:
      - How the agent gets O(image_pull_secrets). A pod can only use pull secrets of its own namespace, and the
        agent runs in O(agent_namespace).
      - V(reference) uses the secrets of those names that are already in O(agent_namespace); kdebug reads no secret
        (it checks, when the caller may read them, that they exist and have credentials for the registry of O(image)).
      - V(copy) copies each secret from O(namespace) (the target's) into O(agent_namespace) before the agent is
        created, with kdebug's labels, the audit annotations and O(ttl_seconds) (the cleanup playbook removes a copy
        whose TTL has passed). A copy is refreshed when the original changes; a secret of that name kdebug did not
        make is never overwritten. Needs C(get) on C(secrets) in O(namespace) and C(create), C(get), C(patch) on
        C(secrets) in O(agent_namespace).
      - A missing secret, or none with credentials for the registry of O(image), fails before the agent is created
        (error_class C(image_pull), naming the secrets and the registry).
    type: str
    default: reference
    choices: [reference, copy]
"""

    # kdebug.toolkit.common.audit
    AUDIT = r"""
options:
  requested_by:
    description:
      - Who asked, for the audit record of every object kdebug creates (annotation C(kdebug.io/requested-by); for
        an ephemeral container, which has no annotations, an Event on the target pod).
      - Default is the user and host running the module; under AWX or Automation Controller, the job's user and
        job id.
      - When not given, the E(KDEBUG_REQUESTED_BY) environment variable is used if set (a CI job or wrapper script
        names who asked once for every task); the AWX job's user still wins over it.
    type: str
  reason:
    description:
      - Why, for the same audit record (annotation C(kdebug.io/reason), or the Event's message).
      - Default is the module's name, or the runbook role's name when a role calls it.
    type: str
"""
