"""The lab has three real nodes: each runs its pods in its own containerd (kdebug-lab-w2 a containerd 2), under
its own cgroup root and pod CIDR; pods reach each other and Services across nodes; kdebug-lab-w1 has a static pod
and kdebug-lab-w2 a NoSchedule taint that the agent tolerates."""
import ipaddress
import json
import uuid

import pytest

CONTROL_PLANE, W1, W2 = "kdebug-lab", "kdebug-lab-w1", "kdebug-lab-w2"
NODES = (CONTROL_PLANE, W1, W2)
TAINT = {"key": "kdebug.io/lab-dedicated", "value": "tools", "effect": "NoSchedule"}


def pod_on(lab, namespace, name, node, image, command, tolerate=True):
    """A pod pinned to NODE by the scheduler (nodeSelector), tolerating the lab's taint unless told not to."""
    spec = {"terminationGracePeriodSeconds": 1, "nodeSelector": {"kubernetes.io/hostname": node},
            "containers": [{"name": "app", "image": image, "imagePullPolicy": "Never", "command": command}]}
    if tolerate:
        spec["tolerations"] = [dict(TAINT, operator="Equal")]
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))


@pytest.fixture(scope="module")
def clients(lab):
    """A sleeping busybox pod on each node, in a namespace of this module's own."""
    namespace = "kdebug-test-nodes-" + uuid.uuid4().hex[:6]
    lab.kubectl("create", "namespace", namespace)
    names = {node: "client-" + node.replace("kdebug-lab", "cp").replace("cp-", "") for node in NODES}
    for node, name in names.items():
        pod_on(lab, namespace, name, node, lab.busybox_image, ["sleep", "3600"])
    lab.kubectl("wait", "-n", namespace, "--for=condition=Ready", "--timeout=120s", *("pod/" + n for n in names.values()))
    pods = {node: lab.kubectl_json("get", "pod", "-n", namespace, name) for node, name in names.items()}
    yield {"namespace": namespace, "pods": pods}
    lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_three_nodes_are_ready_on_their_own_addresses(lab):
    nodes = {n["metadata"]["name"]: n for n in lab.kubectl_json("get", "nodes")["items"]}
    assert set(nodes) >= set(NODES)
    for name in NODES:
        node = nodes[name]
        assert {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"] == "True", name
        addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
        assert addresses["InternalIP"] == lab.nodes[name]["ip"], (name, addresses)


def test_each_node_runs_its_pods_in_its_own_containerd(lab, clients):
    for node, pod in clients["pods"].items():
        assert pod["spec"]["nodeName"] == node
        assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(lab.nodes[node]["pod_cidr"])
        container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
        tasks = {name: lab.node_tasks(name) for name in NODES}
        assert container_id in tasks[node], "%s's containerd does not run %s" % (node, container_id)
        assert [n for n in NODES if container_id in tasks[n]] == [node], "another node's containerd runs it"
        pid = lab.host_pid(container_id, tasks[node][container_id])
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            assert handle.read().split(b"\0")[0] == b"sleep"
        with open("/proc/%d/cgroup" % pid) as handle:
            memory = next(line.split(":", 2)[2] for line in handle.read().splitlines() if ":memory:" in line)
        root = lab.nodes[node]["cgroup_root"].rstrip("/")
        assert memory.startswith(root + "/kubepods/") and container_id in memory, (node, memory)


def test_the_workers_run_two_containerd_versions(lab):
    versions = {n["metadata"]["name"]: n["status"]["nodeInfo"]["containerRuntimeVersion"]
                for n in lab.kubectl_json("get", "nodes")["items"]}
    assert versions[W2].startswith("containerd://2."), versions
    assert versions[W1].startswith("containerd://1.") and versions[CONTROL_PLANE].startswith("containerd://1."), versions


def test_pods_reach_pods_on_every_node_and_services_from_every_node(lab, clients):
    spread = [p for p in lab.live_pods("kdebug-demo", "app=spread") if p["status"].get("podIP")]
    by_node = {p["spec"]["nodeName"]: p["status"]["podIP"] for p in spread}
    assert set(by_node) == set(NODES), "the demo spread has one pod on each node: %s" % by_node
    cluster_ip = lab.kubectl_json("get", "service", "-n", "kdebug-demo", "web")["spec"]["clusterIP"]
    for node, pod in clients["pods"].items():
        urls = ["http://%s:8080/" % ip for ip in by_node.values()]
        urls += ["http://%s/" % cluster_ip, "http://web.kdebug-demo.svc.cluster.local/",
                 "http://spread.kdebug-demo.svc.cluster.local/"]
        # timeout, not wget -T: the lab busybox's wget crashes on -T
        script = "; ".join("timeout 5 wget -qO- %s || echo FAILED %s" % (url, url) for url in urls)
        out = lab.kubectl("exec", "-n", clients["namespace"], pod["metadata"]["name"], "--", "sh", "-c", script).stdout
        assert "FAILED" not in out and out.count("kdebug demo web") == len(urls), (node, out)


def test_w1_has_a_static_pod_whose_mirror_is_in_the_api(lab):
    mirror = lab.kubectl_json("get", "pod", "-n", "kdebug-demo", "static-web-" + W1)
    assert mirror["spec"]["nodeName"] == W1 and mirror["status"]["phase"] == "Running"
    assert "kubernetes.io/config.mirror" in mirror["metadata"]["annotations"]
    assert [(o["kind"], o["name"]) for o in mirror["metadata"]["ownerReferences"]] == [("Node", W1)]


def test_w2_taint_keeps_pods_off_unless_they_tolerate_it(lab, scratch_namespace):
    taints = lab.kubectl_json("get", "node", W2)["spec"].get("taints") or []
    assert TAINT in [{k: t[k] for k in ("key", "value", "effect")} for t in taints], taints
    pod_on(lab, scratch_namespace, "untolerated", W2, lab.busybox_image, ["sleep", "60"], tolerate=False)
    lab.kubectl("wait", "-n", scratch_namespace, "pod/untolerated", "--timeout=60s",
                "--for=jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}=Unschedulable")
    condition = next(c for c in lab.kubectl_json("get", "pod", "-n", scratch_namespace, "untolerated")["status"]
                     ["conditions"] if c["type"] == "PodScheduled")
    assert "1 node(s) had untolerated taint" in condition["message"], condition
    dedicated = lab.kubectl_json("get", "pod", "-n", "kdebug-demo", "dedicated")
    assert dedicated["spec"]["nodeName"] == W2 and dedicated["status"]["phase"] == "Running"


@pytest.mark.parametrize("node", NODES)
def test_the_agent_finds_the_target_process_on_every_node(lab, clients, node):
    """kdebug_exec through the agent (hostPID, pid found from the cgroups) on each node's runtime: containerd 1.6
    with the root cgroup, containerd 1.6 and 2.x under a kubelet cgroupRoot, the tainted node included."""
    pod = clients["pods"][node]
    agents = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    try:
        status, result = lab.module("kdebug_exec", {"pod": pod["metadata"]["name"], "namespace": clients["namespace"],
                                                    "strategy": "agent", "agent_namespace": agents,
                                                    "image": lab.tools_image, "image_pull_policy": "Never",
                                                    "shell": "ps -eo args"})
        assert status in ("SUCCESS", "CHANGED"), result
        assert result["target"]["node"] == node and result["agent_pod"]["namespace"] == agents
        container_id = result["target"]["container_id"].split("://", 1)[1]
        assert lab.node_tasks(node)[container_id] == result["target"]["pid"]
        assert "sleep 3600" in result["stdout"]
    finally:
        lab.kubectl("delete", "namespace", agents, "--wait=false", check=False)


@pytest.mark.parametrize("node", (W1, W2))
def test_a_hostpid_pod_on_a_worker_sees_that_node_only(lab, scratch_namespace, node):
    """A worker has a PID namespace of its own: pid 1 is the node's init (the lab's pause), its kubelet is there
    and the machine's other kubelets are not; `nsenter -t 1 -n` lands in the node's network (its node IP)."""
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "host", "namespace": scratch_namespace},
                "spec": {"hostPID": True, "terminationGracePeriodSeconds": 1,
                         "nodeSelector": {"kubernetes.io/hostname": node}, "tolerations": [dict(TAINT, operator="Equal")],
                         "containers": [{"name": "tools", "image": lab.tools_image, "imagePullPolicy": "Never",
                                         "command": ["sleep", "600"], "securityContext": {"privileged": True}}]}}
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    lab.kubectl("wait", "-n", scratch_namespace, "pod/host", "--for=condition=Ready", "--timeout=90s")
    out = lab.kubectl("exec", "-n", scratch_namespace, "host", "--", "sh", "-c",
                      "cat /proc/1/comm; echo ---; ps -eo args; echo ---; nsenter -t 1 -n ip -4 -o addr show eth0").stdout
    init, processes, address = out.split("---\n")
    assert init.strip() == "pause", out
    kubelets = [line for line in processes.splitlines() if "kubelet --config" in line]
    assert len(kubelets) == 1 and "--hostname-override %s " % node in kubelets[0], kubelets
    assert " %s/32 " % lab.nodes[node]["ip"] in address, address
