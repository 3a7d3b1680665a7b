"""What a diagnose report says first, on the lab: the verdict, the cause, and the kubectl exec line that works.

The hand-off lines are run for real (kubectl exec, without -t: the test has no terminal), so a line that names the
wrong pod, container or shell fails here.
"""
import json
import os
import shlex

DEMO = "kdebug-demo"
CRASH = "fatal: config file /etc/app.conf not found"


def diagnose(lab, tmp_path, pod, namespace, **extra):
    out = str(tmp_path / "report")
    extra_vars = {"pod": pod, "kdebug_namespace": namespace, "image": lab.tools_image, "fork_image": lab.tools_image,
                  "output_dir": out}
    extra_vars.update(extra)
    proc = lab.playbook("playbooks/diagnose.yml", extra_vars, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    with open(os.path.join(out, "report.md")) as handle:
        markdown = handle.read()
    return proc, report, markdown


def run_handoff(lab, entry, script):
    """The entry's command as a person would run it, with the lab's kubectl and kubeconfig, -i instead of -it."""
    argv = shlex.split(entry["command"])
    assert argv[:3] == ["kubectl", "exec", "-it"], argv
    argv = [lab.kubectl_path, "--kubeconfig", lab.kubeconfig, "exec", "-i"] + argv[3:]
    return lab.run(argv, input=script, timeout=60)


def test_crash_is_the_cause_and_the_kept_fork_can_be_entered(lab, tmp_path, scratch_namespace):
    lab.kubectl("run", "crashy", "-n", scratch_namespace, "--image", lab.busybox_image, "--image-pull-policy", "Never",
                "--restart", "Always", "--command", "--", "sh", "-c", "echo starting; echo '%s' >&2; exit 1" % CRASH)
    lab.kubectl("wait", "pod/crashy", "-n", scratch_namespace, "--timeout=120s",
                "--for=jsonpath={.status.containerStatuses[0].restartCount}=1")
    proc, report, markdown = diagnose(lab, tmp_path, "crashy", scratch_namespace, keep_fork=True)
    summary = report["summary"]
    assert summary["verdict"] == "broken"
    assert CRASH in summary["cause"] and "crash reproduces" in summary["cause"], summary["cause"]
    assert summary["problems"][0]["name"] == "crash reproduced in a fork", summary["problems"]
    assert summary["next_steps"][0].startswith("Fix what the replayed command printed")
    # Markdown: the verdict line before anything else, the failures before the passes
    lines = markdown.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("**Verdict: BROKEN**"))
    assert CRASH in lines[verdict]
    assert verdict < lines.index("## Continue by hand") < markdown.count("\n") and \
        markdown.index("## Failures and errors") < markdown.index("## Passed and skipped")
    [fork] = [h for h in report["handoff"] if h["what"].startswith("fork ")]
    assert "sh -c" in fork["hint"] and "by hand (fork " in proc.stdout
    forks = lab.live_pods(scratch_namespace, "kdebug.io/component=fork")
    assert len(forks) == 1 and forks[0]["metadata"]["name"] in fork["command"]
    result = run_handoff(lab, fork, "echo handoff-ok; ls /.kdebug\n")
    assert "handoff-ok" in result.stdout and "busybox" in result.stdout, result.stdout + result.stderr
    # the namespace goes at the end of the test, the kept fork with it


def test_dns_cause_and_the_debug_container_line_reaches_the_targets_files(lab, tmp_path):
    proc, report, markdown = diagnose(lab, tmp_path, "dns-broken", DEMO, runbooks="dns", strategy="ephemeral")
    summary = report["summary"]
    assert summary["verdict"] == "broken" and "10.244.0.253" in summary["cause"], summary
    assert "kube-dns" in summary["next_steps"][0]
    [debug] = [h for h in report["handoff"] if h["what"].startswith("debug container ")]
    assert "chroot /proc/1/root" in debug["hint"]
    result = run_handoff(lab, debug, "chroot /proc/1/root cat /etc/resolv.conf\n")
    assert "nameserver 10.244.0.253" in result.stdout, result.stdout + result.stderr
    assert report["fleet"] is None


def test_a_healthy_pod_says_so(lab, tmp_path):
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    proc, report, markdown = diagnose(lab, tmp_path, pod, DEMO, runbooks="dns")
    assert report["summary"]["verdict"] == "healthy", report["summary"]
    assert report["summary"]["next_steps"] == []
    assert "**Verdict: HEALTHY**" in markdown and "No check failed or errored." in markdown
