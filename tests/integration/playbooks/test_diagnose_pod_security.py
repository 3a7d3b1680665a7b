"""playbooks/diagnose.yml where PodSecurity is enforced: the lab's kdebug-restricted namespace and its non-root
shell pod web (lab/manifests/production.yaml.in), run exactly as a user would, with no other variable."""
import glob
import json
import os


def test_diagnose_in_a_restricted_namespace_passes_dns_and_network_and_says_how(lab, tmp_path):
    # -e pod -e namespace and nothing else: the default tools image, profile and strategy; the report goes where
    # the playbook runs (./reports/...).
    proc = lab.playbook("playbooks/diagnose.yml", {"pod": "web", "namespace": "kdebug-restricted"},
                        cwd=str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    [report_dir] = glob.glob(str(tmp_path / "reports" / "diagnose-kdebug-restricted-web-*"))
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    problems = [(c["name"], c["status"], c["summary"]) for c in report["checks"] if c["status"] != "pass"]
    assert problems == [], problems
    probed = [c for c in report["checks"] if c["name"].startswith(("DNS ", "network ", "routes", "listening",
                                                                   "TCP connect"))]
    assert {c["name"] for c in probed} >= {"DNS nameserver 10.96.0.10", "network interfaces",
                                           "TCP connect to web.kdebug-restricted.svc.cluster.local:80"}, probed
    for check in probed:
        access = check["details"]["access"]
        assert access["strategy"] == "ephemeral" and access["profile"] == "restricted", check
        assert "net_raw" in access["cannot"]
        reason = access["strategy_reason"]
        assert "namespace kdebug-restricted enforces PodSecurity restricted" in reason, reason
        assert ("a server-side dry run (dryRun=All) admitted profile restricted" in reason
                or "profile restricted: its running debug container is re-used" in reason), reason
        assert "no NET_RAW (tcpdump" in reason
    # the report a person reads says it too
    with open(os.path.join(report_dir, "report.md")) as handle:
        markdown = handle.read()
    assert '"profile": "restricted"' in markdown and "enforces PodSecurity restricted" in markdown
