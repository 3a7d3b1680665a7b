"""kdebug.toolkit.network_check on the lab, for real: a playbook applies the role to a pod, then the report role,
and the test reads the report.json it wrote (tests/integration/roles/network_check_playbook.yml)."""
import json
import os

import pytest


PLAYBOOK = "tests/integration/roles/network_check_playbook.yml"
NAMESPACE = "kdebug-demo"
DNS = "kube-dns.kube-system.svc.cluster.local:53"
API = "kubernetes.default.svc.cluster.local:443"


def _run(lab, tmp_path, pod, **extra):
    """Run the playbook on one pod; (checks by name, checks in order, ansible-playbook's stdout)."""
    out = tmp_path / "report"
    extra_vars = {"network_check_pod": pod, "network_check_namespace": NAMESPACE,
                  "network_check_image": lab.tools_image, "report_output_dir": str(out)}
    extra_vars.update(extra)
    proc = lab.playbook(PLAYBOOK, extra_vars)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(str(out), "report.json")) as handle:
        report = json.load(handle)
    checks = report["checks"]
    by_name = dict((c["name"], c) for c in checks)
    assert len(by_name) == len(checks), [c["name"] for c in checks]
    return by_name, checks, proc.stdout


def _problems(checks):
    return [(c["name"], c["status"], c["summary"]) for c in checks if c["status"] != "pass"]


@pytest.fixture(scope="module")
def web_pod(lab):
    return lab.pod_by_label(NAMESPACE, "app=web")["metadata"]["name"]


@pytest.fixture(scope="module")
def kube_dns_ip(lab):
    return lab.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")["spec"]["clusterIP"]


def test_web_all_pass(lab, tmp_path, web_pod):
    by_name, checks, _stdout = _run(
        lab, tmp_path, web_pod,
        network_check_http_urls=["http://127.0.0.1:8080/"],
        network_check_service_endpoints=["web.%s.svc.cluster.local:80" % NAMESPACE],
        network_check_expected_ports=[8080])
    assert [c["name"] for c in checks] == [
        "network interfaces", "routes", "listening sockets", "TCP connect to " + DNS, "TCP connect to " + API,
        "TCP connect to web.%s.svc.cluster.local:80" % NAMESPACE, "HTTP GET http://127.0.0.1:8080/"]
    assert _problems(checks) == []
    for check in checks:
        assert check["target"]["pod"] == web_pod and check["target"]["namespace"] == NAMESPACE
        assert check["target"]["container"] == "web" and check["target"]["container_id"]

    sockets = by_name["listening sockets"]
    assert "httpd (pid 1) on *:8080/tcp" in sockets["details"]["listening"]
    assert any(s["port"] == 8080 and s["protocol"] == "tcp" and [p["name"] for p in s["processes"]] == ["httpd"]
               for s in sockets["details"]["sockets"])

    http = by_name["HTTP GET http://127.0.0.1:8080/"]
    assert http["details"]["status_code"] == 200 and http["summary"].startswith("HTTP 200 in ")
    assert isinstance(http["details"]["time_total_ms"], int) and http["duration_ms"] >= 0

    dns = by_name["TCP connect to " + DNS]
    assert dns["details"]["resolved"] == "dns" and dns["details"]["rc"] == 0
    assert dns["details"]["resolver"]["nameservers"], dns["details"]
    interfaces = by_name["network interfaces"]["details"]["interfaces"]
    assert any(i["name"] == "eth0" and i["up"] and i["mtu"] >= 1280 for i in interfaces)
    assert by_name["routes"]["details"]["default_routes"]


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_noshell(lab, tmp_path, strategy, session_agent_namespace):
    by_name, checks, stdout = _run(lab, tmp_path, "noshell", network_check_strategy=strategy,
                                   network_check_agent_namespace=session_agent_namespace,
                                   network_check_http_urls=["http://127.0.0.1:8080/healthz"],
                                   network_check_expected_ports=[8080])
    assert "network_check strategy=%s" % strategy in stdout
    assert _problems(checks) == []
    assert [c["name"] for c in checks] == [
        "network interfaces", "routes", "listening sockets", "TCP connect to " + DNS, "TCP connect to " + API,
        "HTTP GET http://127.0.0.1:8080/healthz"]
    assert any(line.startswith("demoapp (pid ") and line.endswith(":8080/tcp")
               for line in by_name["listening sockets"]["details"]["listening"])
    assert by_name["HTTP GET http://127.0.0.1:8080/healthz"]["details"]["status_code"] == 200


def test_endpoint_nobody_listens_on(lab, tmp_path, web_pod, kube_dns_ip):
    endpoint = "%s:1" % kube_dns_ip
    by_name, checks, _stdout = _run(lab, tmp_path, web_pod, network_check_endpoints=[endpoint, DNS],
                                    network_check_connect_timeout=2)
    check = by_name["TCP connect to " + endpoint]
    assert check["status"] == "fail" and endpoint in check["summary"], check
    assert check["details"]["rc"] != 0 and check["details"]["error"]
    assert _problems(checks) == [(check["name"], "fail", check["summary"])]


def test_expected_port_nobody_listens_on(lab, tmp_path, web_pod):
    by_name, checks, _stdout = _run(lab, tmp_path, web_pod, network_check_expected_ports=[8080, 9999])
    sockets = by_name["listening sockets"]
    assert sockets["status"] == "fail" and "9999" in sockets["summary"], sockets
    assert "8080" not in sockets["summary"].split("(listening:")[0]
    assert sockets["details"]["missing_ports"] == [9999]
    assert [name for name, _status, _summary in _problems(checks)] == ["listening sockets"]


def test_names_resolve_with_the_pods_resolv_conf(lab, tmp_path, session_agent_namespace):
    """dns-broken's nameserver answers nothing: through the agent (whose own resolv.conf works) names still fail."""
    nameserver = lab.kubectl_json("get", "pod", "dns-broken", "-n", NAMESPACE)["spec"]["dnsConfig"]["nameservers"][0]
    by_name, checks, stdout = _run(lab, tmp_path, "dns-broken", network_check_strategy="agent",
                                   network_check_agent_namespace=session_agent_namespace,
                                   network_check_connect_timeout=2)
    assert "network_check strategy=agent" in stdout
    for endpoint in (DNS, API):
        check = by_name["TCP connect to " + endpoint]
        assert check["status"] == "fail" and "does not resolve" in check["summary"], check
        assert "nameserver %s" % nameserver in check["summary"]
    assert by_name["network interfaces"]["status"] == "pass" and by_name["routes"]["status"] == "pass"


def test_missing_pod_is_one_error_check(lab, tmp_path):
    _by_name, checks, _stdout = _run(lab, tmp_path, "no-such-pod-kdebug")
    assert len(checks) == 1, checks
    check = checks[0]
    assert check["status"] == "error" and "no-such-pod-kdebug" in check["summary"], check
    assert check["target"] == {"namespace": NAMESPACE, "pod": "no-such-pod-kdebug", "container": None}


def test_invalid_endpoint_stops_the_play(lab, tmp_path, web_pod):
    proc = lab.playbook(PLAYBOOK, {"network_check_pod": web_pod, "network_check_namespace": NAMESPACE,
                                   "network_check_image": lab.tools_image, "report_output_dir": str(tmp_path),
                                   "network_check_endpoints": ["-oProxyCommand=x:22"]})
    assert proc.returncode != 0
    assert "endpoints must be host:port" in proc.stdout + proc.stderr
    assert not os.path.exists(os.path.join(str(tmp_path), "report.json"))


def test_the_shared_options_reach_the_agent_the_role_creates(lab, tmp_path, agent_namespace):
    """network_check_<option> for every shared option: each is on the agent pod, in the agents' namespace given."""
    by_name, checks, stdout = _run(
        lab, tmp_path, "noshell", network_check_strategy="agent", network_check_agent_namespace=agent_namespace,
        network_check_image_pull_policy="Never", network_check_image_pull_secrets=["kdebug-test-pull"],
        network_check_ttl_seconds=1234, network_check_wait_timeout=90, network_check_requested_by="alice",
        network_check_reason="INC-42 network check", network_check_profile="restricted")
    assert "network_check strategy=agent" in stdout and _problems(checks) == []
    assert by_name["network interfaces"]["target"]["pod"] == "noshell"
    agent = lab.live_pods(agent_namespace, "kdebug.io/component=agent")[0]
    annotations = agent["metadata"]["annotations"]
    assert annotations["kdebug.io/requested-by"] == "alice"
    assert annotations["kdebug.io/reason"] == "INC-42 network check"
    assert agent["spec"]["activeDeadlineSeconds"] == 1234
    assert agent["spec"]["containers"][0]["imagePullPolicy"] == "Never"
    assert agent["spec"]["containers"][0]["image"] == lab.tools_image
    assert agent["spec"]["imagePullSecrets"] == [{"name": "kdebug-test-pull"}]


def test_the_role_default_reason_names_the_role(lab, tmp_path, agent_namespace):
    """Left empty, the options are not passed (the module's defaults apply), and the reason is the role's name."""
    _by_name, checks, _stdout = _run(lab, tmp_path, "noshell", network_check_strategy="agent",
                                     network_check_agent_namespace=agent_namespace)
    assert _problems(checks) == []
    agent = lab.live_pods(agent_namespace, "kdebug.io/component=agent")[0]
    assert agent["metadata"]["annotations"]["kdebug.io/reason"] == "kdebug.toolkit.network_check"
    assert agent["spec"]["activeDeadlineSeconds"] == 3600  # kdebug_exec's own ttl_seconds
    assert agent["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert not agent["spec"].get("imagePullSecrets")
