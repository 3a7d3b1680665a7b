"""The kdebug.toolkit.dns_check role on the lab, for real: ansible-playbook runs the role and then the report role,
and the test reads the report.json it wrote.

Lab facts used: kdebug-demo/web (Deployment app=web, Service web), dns-broken (its dnsConfig points at the
unreachable nameserver 10.244.0.253), noshell (no shell in the image); cluster DNS 10.96.0.10 (CoreDNS,
cluster.local) does not forward, so outside names are NXDOMAIN.
"""
import json
import os

import pytest

DEMO = "kdebug-demo"
PLAYBOOK = "tests/integration/roles/dns_check_playbook.yml"
KUBERNETES_NAME = "DNS name kubernetes.default.svc.cluster.local"


def run_dns_check(lab, tmp_path, pod, **extra):
    report_dir = str(tmp_path / "report")
    extra_vars = dict({"pod": pod, "pod_namespace": DEMO, "report_dir": report_dir, "image": lab.tools_image},
                      **extra)
    proc = lab.playbook(PLAYBOOK, extra_vars)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    return report, {check["name"]: check for check in report["checks"]}


def web_pod(lab):
    return lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]


def describe(report):
    return json.dumps([[c["status"], c["name"], c["summary"]] for c in report["checks"]], indent=1)


def test_web_all_dns_checks_pass(lab, tmp_path):
    pod = web_pod(lab)
    report, checks = run_dns_check(lab, tmp_path, pod)
    assert report["summary"]["status"] == "pass", describe(report)
    assert all(c["status"] == "pass" for c in report["checks"]), describe(report)
    assert {"DNS resolv.conf", "DNS nameserver 10.96.0.10", KUBERNETES_NAME, "DNS search list"} <= set(checks)
    # The pod's own Service, found from inside the pod by the reverse lookup of its address.
    service = checks["DNS name web.%s.svc.cluster.local" % DEMO]
    assert service["details"]["kind"] == "service (reverse lookup)"
    kubernetes = checks[KUBERNETES_NAME]["details"]["results"]
    assert kubernetes[0]["nameserver"] == "10.96.0.10" and kubernetes[0]["rcode"] == "NOERROR"
    assert kubernetes[0]["addresses"] == ["10.96.0.1"]
    assert isinstance(kubernetes[0]["latency_ms"], int)
    resolv = checks["DNS resolv.conf"]
    assert resolv["details"]["nameservers"] == ["10.96.0.10"]
    assert resolv["details"]["ndots"] == 5
    assert resolv["details"]["search"][0] == DEMO + ".svc.cluster.local"
    assert "nameserver 10.96.0.10" in resolv["evidence"][0]["text"]
    search = {n["name"]: n for n in checks["DNS search list"]["details"]["names"]}
    assert search["kubernetes.default"]["resolved_as"] == "kubernetes.default.svc.cluster.local"
    for check in report["checks"]:
        assert check["target"]["pod"] == pod and check["target"]["namespace"] == DEMO
        assert check["target"]["container"] == "web"


def test_dns_broken_names_the_unreachable_nameserver(lab, tmp_path):
    report, checks = run_dns_check(lab, tmp_path, "dns-broken")
    nameserver = checks["DNS nameserver 10.244.0.253"]
    assert nameserver["status"] == "fail", describe(report)
    assert "10.244.0.253" in nameserver["summary"] and "does not answer" in nameserver["summary"]
    assert "timed out" in nameserver["evidence"][0]["text"]
    assert checks["DNS resolv.conf"]["status"] == "pass"
    assert checks[KUBERNETES_NAME]["status"] == "fail"
    assert "10.244.0.253" in checks[KUBERNETES_NAME]["summary"]
    assert checks["DNS search list"]["status"] == "skipped"
    assert report["summary"]["status"] == "fail"


@pytest.mark.parametrize("strategy", ["auto", "ephemeral", "agent"])
def test_noshell_pod(lab, tmp_path, strategy, session_agent_namespace):
    report, checks = run_dns_check(lab, tmp_path, "noshell", strategy=strategy,
                                   agent_namespace=session_agent_namespace)
    assert report["summary"]["status"] == "pass", describe(report)
    assert checks[KUBERNETES_NAME]["status"] == "pass"
    assert checks["DNS nameserver 10.96.0.10"]["status"] == "pass"
    assert checks["DNS resolv.conf"]["details"]["nameservers"] == ["10.96.0.10"]
    assert checks["DNS resolv.conf"]["details"]["path"].endswith("/etc/resolv.conf")


def test_external_name_nxdomain_is_a_fail_naming_it(lab, tmp_path):
    report, checks = run_dns_check(lab, tmp_path, web_pod(lab), external_name="example.com")
    external = checks["DNS name example.com"]
    assert external["status"] == "fail", describe(report)
    assert "example.com" in external["summary"] and "NXDOMAIN" in external["summary"]
    assert external["details"]["kind"] == "external"
    assert external["details"]["results"][0]["rcode"] == "NXDOMAIN"
    assert checks[KUBERNETES_NAME]["status"] == "pass"
    assert report["summary"]["status"] == "fail"
    assert [p["name"] for p in report["summary"]["problems"]] == ["DNS name example.com"]


def test_missing_pod_is_one_error_check(lab, tmp_path):
    report, _checks = run_dns_check(lab, tmp_path, "no-such-pod-dns")
    assert len(report["checks"]) == 1, describe(report)
    check = report["checks"][0]
    assert check["status"] == "error"
    assert "no-such-pod-dns" in check["summary"]
    assert check["target"] == {"namespace": DEMO, "pod": "no-such-pod-dns", "container": ""}
    assert report["summary"]["status"] == "error"
