"""Every module and diagnose.yml aimed at an endpoint that fails: refused, unknown host, black hole, not JSON,
wrong CA.

Each must fail with the fault's error_class and a message naming the endpoint
and the fix, with no traceback (nor "Module result deserialization failed")
anywhere but under the result's `exception`, within request_timeout + 5 s, and
leave nothing behind. The credentials are the lab's own (KUBECONFIG); only the
endpoint (and, where it matters, the CA) is the fault's. The modules of one
fault run in one play (ansible starts once), each as its own task.
"""
import os

import pytest

from faultlib import (FAULTS, HANG_MARGIN, REQUEST_TIMEOUT, assert_clean_failure, assert_no_traceback,
                      nothing_left_behind, one_line, run_cases, run_diagnose)


def exec_args(ns, image, **more):
    return dict({"pod": "web", "namespace": ns, "command": ["true"], "image": image}, **more)


# Each module as a user would call it on the plain namespace's running pod (agents in that namespace too):
# case -> (module, args(namespace, tools image), task vars).
CASES = {
    "exec-ephemeral": ("kdebug_exec", lambda ns, image: exec_args(ns, image, strategy="ephemeral"), None),
    "exec-agent": ("kdebug_exec", lambda ns, image: exec_args(ns, image, strategy="agent", agent_namespace=ns), None),
    # The module process (remote hosts, become, kdebug_in_worker=false): where the traceback used to show.
    "exec-ephemeral-as-a-process": ("kdebug_exec", lambda ns, image: exec_args(ns, image, strategy="ephemeral"),
                                    {"kdebug_in_worker": False}),
    "fork": ("kdebug_fork", lambda ns, image: {"pod": "web", "namespace": ns, "image": image}, None),
    "agent": ("kdebug_agent", lambda ns, image: {"pod": "web", "namespace": ns, "agent_namespace": ns,
                                                 "image": image}, None),
    "triage": ("kdebug_triage", lambda ns, image: {"pod": "web", "namespace": ns}, None),
    "cleanup": ("kdebug_cleanup", lambda ns, image: {"namespaces": [ns]}, None),
}


@pytest.fixture(scope="module")
def at_fault(lab, faults, plain):
    """The Run of every case at a fault (one play per fault, run on first use)."""
    runs = {}

    def run(name):
        if name not in runs:
            params = faults[name].params()
            cases = dict((case, (module, dict(args(plain.name, lab.tools_image), **params), task_vars))
                         for case, (module, args, task_vars) in CASES.items())
            runs[name] = run_cases(lab, [plain], cases)
        return runs[name]
    return run


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fault", FAULTS)
def test_each_module_fails_clearly_and_in_time(at_fault, faults, fault, case):
    status, result, seconds = at_fault(fault)[case]
    fault = faults[fault]
    assert_clean_failure(status, result, fault.error_class, fault.host, *fault.fix)
    # A module process's time includes starting Python and importing kubernetes, which this shared machine can
    # stretch to seconds: the deadline (the same KubeClient code either way) is timed in the worker.
    if CASES[case][2] is None and os.environ.get("KDEBUG_TEST_IN_WORKER", "1") != "0":
        assert seconds < REQUEST_TIMEOUT + HANG_MARGIN, "%s took %.1f s at %s" % (case, seconds, fault)


@pytest.mark.parametrize("fault", FAULTS)
def test_no_traceback_in_ansibles_output_and_nothing_left_behind(at_fault, fault):
    run = at_fault(fault)
    assert_no_traceback(run.output)
    assert run.left_behind == []


@pytest.mark.parametrize("fault", FAULTS)
def test_diagnose_fails_and_its_report_says_why(lab, faults, plain, tmp_path, fault):
    fault = faults[fault]
    with nothing_left_behind(lab, plain):
        proc, report, seconds = run_diagnose(lab, tmp_path, "web", plain.name, env=fault.env())
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    assert_no_traceback(output)
    # The play ends on the triage error, which names the endpoint and the fix.
    assert fault.host in one_line(output), output[-4000:]
    assert report is not None and report["summary"]["status"] == "error", output[-4000:]
    [check] = report["checks"]
    assert_no_traceback(check)
    assert check["status"] == "error" and check["details"]["error_class"] == fault.error_class, check
    for word in (fault.host,) + fault.fix:
        assert word in check["summary"], (word, check["summary"])
    # Only triage reaches the fault (the pod's state is unknown, so no other runbook runs): one request_timeout.
    assert seconds < 60, "diagnose.yml took %.0f s at %s" % (seconds, fault)
