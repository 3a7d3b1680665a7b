"""fleet_dns.yml and fleet_network.yml over 31 pods on the lab: one summary naming exactly the broken ones."""
import collections
import glob
import json
import os
import re
import shutil
import uuid

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms.agent import agent_name

from fleet_fixture import create_fleet, temp_dir, write_inventory, UNREACHABLE_NAMESERVER


@pytest.fixture(scope="module")
def fleet(lab):
    # a name of its own per run: other runs on the shared lab build their fleets at the same time
    namespace = "kdebug-fleet-test-" + uuid.uuid4().hex[:6]
    lab.kubectl("create", "namespace", namespace)
    ok, bad = create_fleet(lab, namespace)
    work = temp_dir()
    yield {"namespace": namespace, "ok": ok, "bad": bad, "inventory": write_inventory(work, namespace),
           "work": work}
    lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    shutil.rmtree(work, ignore_errors=True)


def run_fleet(lab, fleet, playbook, out, **extra):
    # 32 forks on 2 shared cores: an answer can take longer than the default 500 ms to be read
    extra_vars = {"image": lab.tools_image, "output_dir": out, "kdebug_timeout": 30, "slow_ms": 3000}
    extra_vars.update(extra)
    proc = lab.playbook(playbook, extra_vars, args=["-i", fleet["inventory"], "--forks", "32"], timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    with open(os.path.join(out, "report.json")) as handle:
        return proc, json.load(handle)


AUDIT_LOG = os.environ.get("KDEBUG_LAB_AUDIT_LOG", "/var/lib/kdebug-lab/logs/kube-apiserver-audit.log")


def agent_execs(namespace):
    """{agent pod: the execs the API server's audit log records into it} for the agents of ``namespace``."""
    seen = {}
    for path in (AUDIT_LOG,) + tuple(sorted(glob.glob(AUDIT_LOG[:-len(".log")] + "-*.log"))):
        with open(path) as handle:
            for line in handle:
                if namespace not in line:
                    continue
                event = json.loads(line)
                ref = event.get("objectRef") or {}
                if ref.get("namespace") == namespace and ref.get("subresource") == "exec":
                    seen.setdefault(ref["name"], set()).add(event["auditID"])
    return {name: len(ids) for name, ids in seen.items()}


def failing_pods(report):
    return sorted({c["target"]["pod"] for c in report["checks"] if c["status"] in ("fail", "error")})


def managed_pods(lab):
    return lab.kubectl_json("get", "pods", "-A", "-l", "app.kubernetes.io/managed-by=kdebug")["items"]


def own_agents(lab):
    """The agents this test session asked for (KDEBUG_REQUESTED_BY, set by the leak check): other sessions on the
    shared lab start and remove agents of their own meanwhile."""
    requester = os.environ.get("KDEBUG_REQUESTED_BY")
    return {p["metadata"]["name"] for p in managed_pods(lab)
            if p["metadata"]["labels"].get("kdebug.io/component") == "agent"
            and (p["metadata"].get("annotations") or {}).get("kdebug.io/requested-by") == requester
            and not p["metadata"].get("deletionTimestamp")}


@pytest.mark.parametrize("strategy", ["agent", "ephemeral"])
def test_fleet_dns_names_exactly_the_broken_pods(lab, fleet, strategy):
    agents_before = own_agents(lab)
    out = os.path.join(fleet["work"], "dns-" + strategy)
    proc, report = run_fleet(lab, fleet, "playbooks/fleet_dns.yml", out, kdebug_strategy=strategy)
    problems = report["summary"]["problems"]
    assert failing_pods(report) == sorted(fleet["bad"]), problems
    pods_checked = {c["target"]["pod"] for c in report["checks"]}
    assert pods_checked == set(fleet["ok"]) | set(fleet["bad"])
    assert any(UNREACHABLE_NAMESERVER in p["summary"] for p in problems), problems
    # the printed summary names every broken pod
    for name in fleet["bad"]:
        assert name in proc.stdout
    # a sweep asks the names as they are: no search-list replay unless asked for
    search = [c for c in report["checks"] if c["name"] == "DNS search list"]
    assert len(search) == len(pods_checked) and {c["status"] for c in search} == {"skipped"}
    if strategy == "agent":
        # at most one agent per node while it ran, and none left that this run created
        assert own_agents(lab) <= agents_before
        # each node is reported as it finishes, with its own pods, before the task that probes them all ends
        per_node = collections.Counter(p["spec"]["nodeName"] for p in
                                       lab.kubectl_json("get", "pods", "-n", fleet["namespace"])["items"]
                                       if p["metadata"]["name"] in set(fleet["ok"]) | set(fleet["bad"]))
        progress = re.findall(r"\| node (\S+) done \((\d+)/(\d+) nodes\) in [0-9.]+ s: (\d+) targets?, \d+ ran",
                              proc.stdout)
        assert {node: int(count) for node, _n, _of, count in progress} == dict(per_node), proc.stdout[-3000:]
        assert sorted(int(n) for _node, n, _of, _count in progress) == list(range(1, len(per_node) + 1))
        assert {int(of) for _node, _n, of, _count in progress} == {len(per_node)}
        assert proc.stdout.index("| node %s done" % progress[-1][0]) < proc.stdout.index("PLAY RECAP")
    else:
        # one ephemeral container per pod, never a new pod
        for pod in lab.kubectl_json("get", "pods", "-n", fleet["namespace"])["items"]:
            assert len(pod["spec"].get("ephemeralContainers") or []) == 1, pod["metadata"]["name"]


def test_fleet_dns_replays_the_search_list_when_asked(lab, fleet):
    out = os.path.join(fleet["work"], "dns-replay")
    _proc, report = run_fleet(lab, fleet, "playbooks/fleet_dns.yml", out, kdebug_strategy="agent", search_replay=True)
    assert failing_pods(report) == sorted(fleet["bad"])
    search = dict((c["target"]["pod"], c) for c in report["checks"] if c["name"] == "DNS search list")
    assert {search[p]["status"] for p in fleet["ok"]} == {"pass"}
    assert {search[p]["status"] for p in fleet["bad"]} == {"skipped"}  # no nameserver answered


def test_fleet_takes_the_shared_options_and_removes_its_agent_from_the_agents_namespace(lab, fleet, agent_namespace):
    """-e agent_namespace, reason, requested_by, ttl_seconds...: the probe runs, and the agent this run created in
    that namespace is gone at the end (fleet.yml removes it from there, not from kdebug-system)."""
    out = os.path.join(fleet["work"], "dns-options")
    _proc, report = run_fleet(lab, fleet, "playbooks/fleet_dns.yml", out, kdebug_strategy="agent",
                              agent_namespace=agent_namespace, reason="INC-7 fleet", requested_by="fleet-test",
                              ttl_seconds=600, wait_timeout=90, image_pull_policy="Never",
                              image_pull_secrets="kdebug-a,kdebug-b")
    assert failing_pods(report) == sorted(fleet["bad"])
    assert lab.kubectl("get", "namespace", agent_namespace, check=False).returncode == 0  # the run used it
    assert lab.live_pods(agent_namespace) == []
    # across the nodes: the fleet is spread over every lab node, each pod's result comes from its own node, and
    # each node's agent got two execs (its /proc scan, then one driver for all its pods), whatever its pod count
    nodes = {p["metadata"]["name"]: p["spec"]["nodeName"]
             for p in lab.kubectl_json("get", "pods", "-n", fleet["namespace"])["items"]}
    assert set(nodes.values()) == set(lab.nodes), nodes
    for check in report["checks"]:
        assert check["target"]["node"] == nodes[check["target"]["pod"]], check
    execs = agent_execs(agent_namespace)
    assert sorted(execs) == sorted(agent_name(node) for node in lab.nodes), execs
    assert set(execs.values()) == {2}, execs


def test_fleet_network_passes_on_healthy_pods(lab, fleet):
    out = os.path.join(fleet["work"], "network")
    _proc, report = run_fleet(lab, fleet, "playbooks/fleet_network.yml", out, kdebug_strategy="agent")
    assert {c["target"]["pod"] for c in report["checks"]} == set(fleet["ok"]) | set(fleet["bad"])
    assert report["summary"]["total"] >= 31


def test_fleet_refuses_an_unknown_runbook(lab, fleet):
    proc = lab.playbook("playbooks/fleet.yml", {"runbook": "tracing"}, args=["-i", fleet["inventory"]])
    assert proc.returncode != 0
    assert "runbook must be dns or network" in proc.stdout


@pytest.mark.parametrize("strategy", ["agent", "ephemeral"])
def test_fleet_check_mode_shows_the_plan_and_creates_nothing(lab, agent_namespace, tmp_path, strategy):
    """--check: per agent, its node and the pods it would reach (created or reused); per pod of the ephemeral
    strategy, its debug container; nothing is created, no report is written."""
    inventory = tmp_path / "demo.kdebug_pods.yml"
    inventory.write_text("plugin: kdebug.toolkit.pods\nnamespaces: [kdebug-demo]\nlabel_selector: app in (web,multi)\n")
    live = lab.live_pods("kdebug-demo", "app in (web,multi)")
    pods = sorted(p["metadata"]["name"] for p in live)
    # One agent per node that holds one of the pods: the scheduler decides where they are, so count, never assume.
    pods_per_node = collections.Counter(p["spec"]["nodeName"] for p in live)
    before = {(p["metadata"]["name"], len(p["spec"].get("ephemeralContainers") or [])) for p in live}
    out = str(tmp_path / "out")
    proc = lab.playbook("playbooks/fleet_dns.yml", {"image": lab.tools_image, "kdebug_strategy": strategy,
                                                    "agent_namespace": agent_namespace, "output_dir": out},
                        args=["-i", str(inventory), "--check"], timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:]
    text = " ".join(proc.stdout.split())
    assert "check mode: %d target(s)" % len(pods) in text, text[-3000:]
    if strategy == "agent":
        assert "%d agent(s) to create" % len(pods_per_node) in text, text[-3000:]
        for node, count in pods_per_node.items():
            assert re.search(r"agent %s/kdebug-agent-\S+ on node %s \(to create\) would reach %d pod\(s\)"
                             % (re.escape(agent_namespace), re.escape(node), count), text), text[-3000:]
        for pod in pods:
            assert "kdebug-demo/" + pod in text
    else:
        for pod in pods:
            assert "kdebug-demo/%s: debug container kdebug-" % pod in text
    assert not os.path.exists(out)
    assert lab.kubectl("get", "namespace", agent_namespace, check=False).returncode != 0
    assert {(p["metadata"]["name"], len(p["spec"].get("ephemeralContainers") or []))
            for p in lab.live_pods("kdebug-demo", "app in (web,multi)")} == before
