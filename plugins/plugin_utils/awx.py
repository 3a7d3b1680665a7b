# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Who asked, when AWX (or Automation Controller, or Ansible Tower) runs the job.

A job's execution environment runs as a service user (``runner@awx-job-42-xyz``),
so the module's own default for ``requested_by`` (the user and host running it)
says nothing about who launched the job. AWX passes the launching user and the
job as extra vars (``awx_user_name``, ``awx_job_id``; Tower and older AWX releases
``tower_user_name``, ``tower_job_id``); only the action plugin sees them, so it
sets ``requested_by`` from them when the task leaves it unset (docs/awx.md).

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The extra vars AWX sets, newest name first.
USER_VARS = ("awx_user_name", "tower_user_name")
JOB_VARS = ("awx_job_id", "tower_job_id")


def _first(task_vars, names):
    for name in names:
        value = task_vars.get(name)
        if value is not None and str(value) != "":
            return str(value)
    return None


def awx_requester(task_vars):
    """``awx:alice (job 42)`` when AWX runs the job (``awx:alice``, ``awx (job 42)`` when it names only one); else None."""
    user, job = _first(task_vars, USER_VARS), _first(task_vars, JOB_VARS)
    if user is None and job is None:
        return None
    return "awx%s%s" % (":" + user if user else "", " (job %s)" % job if job else "")


def with_awx_requester(module_args, task_vars, takes_requested_by):
    """A copy of ``module_args``, with ``requested_by`` set to the AWX requester when the module takes the option,
    the task leaves it unset and AWX runs the job."""
    module_args = dict(module_args)
    if takes_requested_by and not module_args.get("requested_by"):
        requester = awx_requester(task_vars)
        if requester:
            module_args["requested_by"] = requester
    return module_args
