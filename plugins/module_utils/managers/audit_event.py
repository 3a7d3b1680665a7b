# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Create an audit Event (the Event itself is transforms/audit_event.py).

The record must not cost the diagnosis: a caller without ``create events`` in
the namespace (or an admission policy that refuses events) gets a warning
naming what to grant, and the command still runs. Any other failure is a real
API failure and is raised as such.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiConflict, ApiDenied
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import api_path

# The role of docs/rbac.md that grants ``create events`` to the ephemeral strategy.
EVENT_HINTS = {"rbac_role": "kdebug-ephemeral"}


def record_event(client, event):
    """Create ``event``; None when it exists now, else the warning for ``module.warn``.

    An Event that already exists (409: a retry, or a concurrent run that
    created the same debug container) is the same record. The warning, for a
    refusal (403), names the right the caller lacks.
    """
    namespace = event["metadata"]["namespace"]
    try:
        client.post(api_path("namespaces", namespace, "events"), event, hints=EVENT_HINTS)
    except ApiConflict:
        return None
    except ApiDenied as err:
        involved = event["involvedObject"]
        return ("no audit Event recorded on pod %s/%s (%s): %s The command still ran; the record of who added the "
                "debug container and why is missing from kubectl describe pod."
                % (namespace, involved["name"], event["reason"], err.message))
    return None
