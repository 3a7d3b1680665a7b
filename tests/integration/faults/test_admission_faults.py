"""PodSecurity and ResourceQuota refusals: what each module creates is refused with the right class and fix.

A refusal only happens where a module creates something: the ephemeral
container (kdebug_exec, strategy ephemeral, profile general given: without one kdebug picks a profile the
namespace admits), the
agent pod (kdebug_exec strategy agent, kdebug_agent: its agent_namespace
carries the rule), the fork (its source pod's namespace gets the rule after
the source started). kdebug_triage and kdebug_cleanup create nothing: they
work in those namespaces as anywhere, and so does the fix a refusal names.
Every module case runs in one play; nothing may be left behind but the
ephemeral containers that were admitted.
"""
import pytest

from faultlib import (assert_clean_failure, assert_no_traceback, compliant, nothing_left_behind, run_cases,
                      run_diagnose)

QUOTA = "no-pods"  # faultlib.Scratch.quota


def ephemeral(ns, image, pod="web", **more):
    return dict({"pod": pod, "namespace": ns, "command": ["id", "-u"], "strategy": "ephemeral", "image": image,
                 "ttl_seconds": 60}, **more)


def by_agent(plain, agent_namespace, image):
    return {"pod": "web", "namespace": plain, "agent_namespace": agent_namespace, "image": image}


def fork(ns, image):
    return {"pod": "web", "namespace": ns, "image": image}


# case -> (module, the namespace with the rule, args(rule namespace, plain namespace, image), denied_by, words).
REFUSED = {
    "exec-ephemeral-restricted": ("kdebug_exec", "restricted",
                                  lambda rule, plain, image: ephemeral(rule, image, "tight", profile="general"),
                                  "pod_security", ("restricted", "SYS_PTRACE", "profile general",
                                                   "admits profile restricted here: set profile to restricted")),
    "exec-ephemeral-baseline": ("kdebug_exec", "baseline",
                                lambda rule, plain, image: ephemeral(rule, image, profile="general"),
                                "pod_security", ("baseline", "SYS_PTRACE", "profile general",
                                                 "admits profile baseline here: set profile to baseline")),
    "exec-agent-restricted": ("kdebug_exec", "restricted",
                              lambda rule, plain, image: dict(by_agent(plain, rule, image), command=["true"],
                                                              strategy="agent"),
                              "pod_security", ("restricted", "privileged", "point agent_namespace at")),
    "exec-agent-quota": ("kdebug_exec", "no_more_pods",
                         lambda rule, plain, image: dict(by_agent(plain, rule, image), command=["true"],
                                                         strategy="agent"),
                         "resource_quota", (QUOTA, "quota of the agent namespace (agent_namespace)")),
    "agent-restricted": ("kdebug_agent", "restricted", lambda rule, plain, image: by_agent(plain, rule, image),
                         "pod_security", ("restricted", "privileged", "point agent_namespace at")),
    "agent-quota": ("kdebug_agent", "no_more_pods", lambda rule, plain, image: by_agent(plain, rule, image),
                    "resource_quota", (QUOTA, "quota of the agent namespace (agent_namespace)")),
    # web started before the label: its copy is refused.
    "fork-restricted": ("kdebug_fork", "restricted", lambda rule, plain, image: fork(rule, image),
                        "pod_security", ("restricted", "pod-security.kubernetes.io/enforce")),
    "fork-quota": ("kdebug_fork", "no_more_pods", lambda rule, plain, image: fork(rule, image),
                   "resource_quota", (QUOTA, "kubectl describe resourcequota")),
}
# case -> (module, the namespace with the rule, args): they create nothing a rule refuses, and work there.
WORK = {
    "triage-restricted": ("kdebug_triage", "restricted", lambda rule, plain, image: {"pod": "web", "namespace": rule}),
    "triage-quota": ("kdebug_triage", "no_more_pods", lambda rule, plain, image: {"pod": "web", "namespace": rule}),
    "cleanup-restricted": ("kdebug_cleanup", "restricted", lambda rule, plain, image: {"namespaces": [rule]}),
    "cleanup-quota": ("kdebug_cleanup", "no_more_pods", lambda rule, plain, image: {"namespaces": [rule]}),
    # The fixes the refusals above name.
    "exec-ephemeral-restricted-profile-restricted": (
        "kdebug_exec", "restricted", lambda rule, plain, image: ephemeral(rule, image, "tight", profile="restricted")),
    "exec-ephemeral-baseline-profile-baseline": (
        "kdebug_exec", "baseline", lambda rule, plain, image: ephemeral(rule, image, profile="baseline")),
    # No profile given: kdebug picks the one the namespace admits (another pull policy: another container).
    "exec-ephemeral-restricted-auto-profile": (
        "kdebug_exec", "restricted",
        lambda rule, plain, image: ephemeral(rule, image, "tight", image_pull_policy="Never")),
    # A quota counts pods: an ephemeral container is not one.
    "exec-ephemeral-quota": ("kdebug_exec", "no_more_pods", lambda rule, plain, image: ephemeral(rule, image)),
}
# A pod that predates its namespace's label violates the level itself: no profile makes an ephemeral container
# admissible there, only the agent strategy (its pod lives in agent_namespace) gets in.
PREDATES = {
    "exec-ephemeral-restricted-pod-predates-label": (
        "kdebug_exec", "restricted", lambda rule, plain, image: ephemeral(rule, image, profile="restricted")),
    "exec-ephemeral-auto-profile-pod-predates-label": (
        "kdebug_exec", "restricted", lambda rule, plain, image: ephemeral(rule, image)),
}
RULES = ("restricted", "baseline", "no_more_pods")


@pytest.fixture(scope="module")
def admitted(request, lab, plain):
    """The Run of every case (one play), and the rule namespaces by fixture name."""
    rules = dict((name, request.getfixturevalue(name)) for name in RULES)
    cases = {}
    for case, spec in list(REFUSED.items()) + list(WORK.items()) + list(PREDATES.items()):
        module, rule, args = spec[:3]
        cases[case] = (module, args(rules[rule].name, plain.name, lab.tools_image), None)
    return run_cases(lab, [plain] + list(rules.values()), cases), rules


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_a_module_creates_is_refused_with_the_class_and_the_fix(admitted, case):
    run, rules = admitted
    _module, rule, _args, denied_by, words = REFUSED[case]
    status, result, _seconds = run[case]
    assert_clean_failure(status, result, "denied", rules[rule].name, *words)
    assert result["denied_by"] == denied_by, result
    assert result["denial"]["namespace"] == rules[rule].name, result["denial"]
    assert "Grant" not in result["msg"]  # not an RBAC problem: no RBAC advice


@pytest.mark.parametrize("case", sorted(WORK))
def test_what_creates_nothing_refused_works_there(admitted, case):
    run, _rules = admitted
    status, result, _seconds = run[case]
    assert status in ("SUCCESS", "CHANGED"), result
    if case.startswith("triage"):
        assert result["pod"]["name"] == "web" and result["checks"], result
    elif case.startswith("cleanup"):
        assert result["removed"] == [], result
    else:
        assert result["rc"] == 0 and result["strategy"] == "ephemeral", result
        if case.endswith("auto-profile"):
            assert result["debug_container"]["profile"] == "restricted", result
            assert "admitted profile restricted" in result["strategy_reason"], result


@pytest.mark.parametrize("case", sorted(PREDATES))
def test_a_pod_that_violates_the_level_itself_gets_the_agent_advice(admitted, case):
    run, rules = admitted
    status, result, _seconds = run[case]
    assert_clean_failure(status, result, "denied", rules["restricted"].name, "strategy agent")
    assert result["denied_by"] == "pod_security"
    assert "set profile to restricted" not in result["msg"], result["msg"]


def test_profile_restricted_runs_as_the_target_containers_user(lab, restricted):
    """A pod without a pod-level user: the restricted profile takes the target container's, so a root-default
    tools image starts, and reads the target's files as their owner."""
    pod = compliant(restricted.name, "tight-container-user")
    context = pod["spec"].pop("securityContext")
    pod["spec"]["securityContext"] = {"seccompProfile": context["seccompProfile"]}
    pod["spec"]["containers"][0]["securityContext"].update(runAsNonRoot=True, runAsUser=1000)
    restricted.run_pods(pod)
    args = ephemeral(restricted.name, lab.tools_image, "tight-container-user", profile="restricted", wait_timeout=60)
    args["command"] = ["id", "-u"]
    status, result = lab.module("kdebug_exec", args)
    assert status == "CHANGED", result
    assert result["rc"] == 0 and result["stdout"].strip() == "1000", result


def test_no_traceback_and_nothing_left_behind_but_the_admitted_ephemeral_containers(admitted):
    run, rules = admitted
    assert_no_traceback(run.output)
    admitted_containers = []
    for case, (_module, rule, _args) in WORK.items():
        _status, result, _seconds = run[case]
        if result.get("debug_container"):
            admitted_containers.append(("EphemeralContainer", rules[rule].name,
                                        "%s/%s" % (result["target"]["pod"], result["debug_container"]["name"])))
    assert len(admitted_containers) == 4
    assert run.left_behind == sorted(admitted_containers)


# --- diagnose.yml ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def diagnosed(lab, plain, restricted, no_more_pods, tmp_path_factory):
    """diagnose.yml (on first use) on tight in the restricted namespace (profile general, which it refuses) and on
    crashy in the full one.

    Per case: (CompletedProcess, report, the error checks, what kdebug left in the namespaces).
    """
    targets = {"restricted": (restricted, "tight", {"profile": "general"}), "quota": (no_more_pods, "crashy", {})}
    runs = {}

    def run(case):
        if case not in runs:
            scratch, pod, extra = targets[case]
            with nothing_left_behind(lab, plain, scratch):
                proc, report, _seconds = run_diagnose(lab, tmp_path_factory.mktemp(case), pod, scratch.name, **extra)
            assert report is not None, (proc.stdout + proc.stderr)[-4000:]
            runs[case] = (proc, report, [c for c in report["checks"] if c["status"] == "error"])
        return runs[case]
    return run


def test_diagnose_in_a_restricted_namespace_reports_the_refusal_and_the_profile(diagnosed, restricted):
    proc, report, errors = diagnosed("restricted")
    assert_no_traceback(proc.stdout + proc.stderr)
    assert report["summary"]["status"] == "error", report["summary"]
    # triage read the pod; the DNS and the network runbook could not get in.
    assert sorted(c["name"] for c in errors) == ["DNS check", "network check"], errors
    for check in errors:
        assert_no_traceback(check)
        for word in ("PodSecurity admission refused", restricted.name, "profile general", "set profile to restricted"):
            assert word in check["summary"], (word, check["summary"])


def test_diagnose_of_a_crash_in_a_full_namespace_reports_the_quota(diagnosed, no_more_pods):
    proc, _report, errors = diagnosed("quota")
    assert_no_traceback(proc.stdout + proc.stderr)
    [check] = errors
    assert check["name"] == "crash reproduced in a fork"
    assert_no_traceback(check)
    assert "ResourceQuota %s in namespace %s refused" % (QUOTA, no_more_pods.name) in check["summary"], check


@pytest.mark.parametrize("case, denied_by", [("restricted", "pod_security"), ("quota", "resource_quota")])
def test_diagnose_reports_the_refusals_class(diagnosed, case, denied_by):
    _proc, _report, errors = diagnosed(case)
    assert errors
    for check in errors:
        assert check["details"].get("error_class") == "denied", check
        assert check["details"].get("denied_by") == denied_by, check


def test_diagnose_takes_the_profile_the_refusal_names(lab, baseline, tmp_path):
    proc, report, _seconds = run_diagnose(lab, tmp_path, "web", baseline.name, profile="baseline")
    assert report is not None, (proc.stdout + proc.stderr)[-4000:]
    assert [c for c in report["checks"] if c["status"] == "error"] == []
