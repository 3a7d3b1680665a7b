"""hostNetwork pods on the lab, for real: the DNS and network runbooks say the pod shares its node's network, label
what they list as the node's, and name dnsPolicy ClusterFirstWithHostNet when the search list fails for that reason.

Two plain pods in a scratch namespace of the test, on the lab's tools image (imagePullPolicy Never): one with
hostNetwork and dnsPolicy ClusterFirst (the kubelet gives it the node's resolv.conf: the lab kubelet's resolvConf
names the cluster DNS and no search list), one with dnsPolicy ClusterFirstWithHostNet (the cluster search list).
"""
import json
import os

import pytest

HOLD = ["sleep", "3600"]


def host_network_pod(lab, namespace, name, dns_policy):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"hostNetwork": True, "dnsPolicy": dns_policy, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "app", "image": lab.tools_image, "imagePullPolicy": "Never",
                                     "command": HOLD}]}}


@pytest.fixture()
def host_network_pods(lab, scratch_namespace):
    """{dnsPolicy: pod name} of two running hostNetwork pods in the test's scratch namespace."""
    pods = {"ClusterFirst": "hostnet-clusterfirst", "ClusterFirstWithHostNet": "hostnet-withhostnet"}
    manifest = {"apiVersion": "v1", "kind": "List",
                "items": [host_network_pod(lab, scratch_namespace, name, policy) for policy, name in pods.items()]}
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    lab.kubectl("wait", "-n", scratch_namespace, "--for=condition=Ready", "--timeout=90s",
                *("pod/" + name for name in pods.values()), timeout=120)
    return pods


def describe(report):
    return json.dumps([[c["status"], c["name"], c["summary"]] for c in report["checks"]], indent=1)


def read_report(directory):
    with open(os.path.join(directory, "report.json")) as handle:
        report = json.load(handle)
    return report, {check["name"]: check for check in report["checks"]}


def run_dns_check(lab, tmp_path, namespace, pod, strategy="auto"):
    report_dir = str(tmp_path / ("dns-" + pod))
    proc = lab.playbook("tests/integration/roles/dns_check_playbook.yml", {
        "pod": pod, "pod_namespace": namespace, "report_dir": report_dir, "image": lab.tools_image,
        "strategy": strategy})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return read_report(report_dir)


def test_diagnose_says_the_pod_shares_the_nodes_network_and_names_the_dns_policy_fix(
        lab, tmp_path, scratch_namespace, host_network_pods):
    pod = host_network_pods["ClusterFirst"]
    out = str(tmp_path / "report")
    proc = lab.playbook("playbooks/diagnose.yml", {
        "pod": pod, "kdebug_namespace": scratch_namespace, "image": lab.tools_image, "fork_image": lab.tools_image,
        "output_dir": out, "runbooks": ["triage", "dns", "network"]}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    report, checks = read_report(out)
    node = lab.kubectl_json("get", "pod", "-n", scratch_namespace, pod)["spec"]["nodeName"]
    shared = "pod %s/%s shares node %s's network (spec.hostNetwork: true)" % (scratch_namespace, pod, node)
    for name in ("DNS host network", "host network"):
        assert checks[name]["status"] == "pass", describe(report)
        assert checks[name]["summary"].startswith(shared), checks[name]["summary"]
        assert {"label": "spec.hostNetwork", "text": "true"} in checks[name]["evidence"]
    for name, what in (("network interfaces", "interfaces"), ("routes", "routes"),
                       ("listening sockets", "listening sockets")):
        assert checks[name]["summary"].startswith("node %s's %s (hostNetwork): " % (node, what)), describe(report)
        assert checks[name]["details"]["network"] == "node"
    # The node's resolv.conf (the lab kubelet's resolvConf: the cluster DNS, no search list): a short name fails.
    search = checks["DNS search list"]
    assert search["status"] == "fail", describe(report)
    assert "set dnsPolicy: ClusterFirstWithHostNet" in search["summary"], search["summary"]
    assert "ClusterFirstWithHostNet" in search["details"]["next_step"]
    assert "the pod's resolv.conf is node %s's (hostNetwork with dnsPolicy ClusterFirst)" % node in checks[
        "DNS resolv.conf"]["summary"]
    assert any("ClusterFirstWithHostNet" in step for step in report["summary"]["next_steps"]), report["summary"]
    with open(os.path.join(out, "report.md")) as handle:
        markdown = handle.read()
    assert shared in markdown and "ClusterFirstWithHostNet" in markdown


@pytest.mark.parametrize("strategy", ["ephemeral", "agent"])
def test_with_cluster_first_with_host_net_the_search_list_passes(lab, tmp_path, scratch_namespace,
                                                                 host_network_pods, strategy,
                                                                 session_agent_namespace):
    pod = host_network_pods["ClusterFirstWithHostNet"]
    report_dir = str(tmp_path / strategy)
    proc = lab.playbook("tests/integration/roles/dns_check_playbook.yml", {
        "pod": pod, "pod_namespace": scratch_namespace, "report_dir": report_dir, "image": lab.tools_image,
        "strategy": strategy, "agent_namespace": session_agent_namespace})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    report, checks = read_report(report_dir)
    assert checks["DNS search list"]["status"] == "pass", describe(report)
    assert "ClusterFirstWithHostNet" not in checks["DNS search list"]["summary"]
    assert "next_step" not in checks["DNS search list"]["details"]
    assert checks["DNS host network"]["status"] == "pass"
    assert checks["DNS host network"]["details"]["dns_policy"] == "ClusterFirstWithHostNet"
    assert report["summary"]["status"] == "pass", describe(report)


def test_a_pod_network_pod_has_no_host_network_check(lab, tmp_path):
    """The lab's web pod has its own network namespace: nothing is said to be the node's."""
    pod = lab.pod_by_label("kdebug-demo", "app=web")["metadata"]["name"]
    report, checks = run_dns_check(lab, tmp_path, "kdebug-demo", pod)
    assert "DNS host network" not in checks, describe(report)
    assert all(check["target"]["network"] == "pod" for check in report["checks"])
