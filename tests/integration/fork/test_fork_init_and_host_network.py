"""kdebug_fork for the pods today's fork could not handle, against the lab: a crash-looping init container held
and replayed (directly and through the crashloop runbook, which follows triage to it), and a crash-looping
hostNetwork DaemonSet pod forked away from its node when another node fits, or beside it, saying so plainly,
when none does. Everything lives in a scratch namespace of the test."""
import json
import time

from test_kdebug_fork import fork_module


def apply(lab, manifest):
    lab.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def wait_until(read, ok, what, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value):
            return value
        assert time.monotonic() < deadline, "timed out waiting for %s: %s" % (what, json.dumps(value)[-2000:])
        time.sleep(1)


def init_crash_pod(lab, namespace):
    """`fetch` completes, `migrate` (2 of 2) says why and exits 3, over and over; `app` never starts."""
    busybox = {"image": lab.busybox_image, "imagePullPolicy": "Never"}
    apply(lab, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "migrating", "namespace": namespace},
                "spec": {"terminationGracePeriodSeconds": 1,
                         "initContainers": [
                             dict(busybox, name="fetch", command=["true"]),
                             dict(busybox, name="migrate", command=["sh", "-c"],
                                  args=["echo migrating to v3; echo schema v3 missing >&2; exit 3"])],
                         "containers": [dict(busybox, name="app", command=["sleep", "3600"])]}})
    return wait_until(lambda: lab.kubectl_json("get", "pod", "-n", namespace, "migrating"),
                      lambda p: any(s["name"] == "migrate" and (s.get("lastState") or {}).get("terminated")
                                    for s in p["status"].get("initContainerStatuses") or []),
                      "init container migrate to crash")


def test_a_crash_looping_init_container_is_forked_held_and_replayed(lab, scratch_namespace):
    init_crash_pod(lab, scratch_namespace)
    base = dict(pod="migrating", namespace=scratch_namespace, image=lab.busybox_image, image_pull_policy="Never",
                container="migrate", replay=True, replay_timeout=20)
    try:
        status, result = fork_module(lab, base)
        assert status == "CHANGED", result
        assert result["held"]["container"] == "migrate" and result["held"]["kind"] == "init"
        replay = result["replay"]
        assert replay["status"] == "ran" and replay["rc"] == 3, replay
        assert replay["stdout_lines"] == ["migrating to v3"] and replay["stderr_lines"] == ["schema v3 missing"]
        assert result["source"]["container"] == "migrate"
        assert result["source"]["last_termination"]["exit_code"] == 3
        assert "schema v3 missing" in result["source"]["previous_logs"]["lines"]
        fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
        assert [c["name"] for c in fork["spec"]["initContainers"]] == ["kdebug-fork-tools", "fetch", "migrate"]
        held = fork["status"]["initContainerStatuses"][2]
        assert held["name"] == "migrate" and "running" in held["state"]
        assert "running" not in json.dumps(fork["status"].get("containerStatuses") or [])  # app waits
        # The init containers before the held one skipped.
        status, result = fork_module(lab, dict(base, keep_init_containers=False))
        assert status == "CHANGED" and result["replay"]["rc"] == 3, result
        fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
        assert [c["name"] for c in fork["spec"]["initContainers"]] == ["kdebug-fork-tools", "migrate"]
        assert any("removed fetch, the ones before the held migrate" in c for c in result["changes"])
    finally:
        fork_module(lab, dict(pod="migrating", namespace=scratch_namespace, state="absent"))


def test_triage_names_the_init_container_and_the_crashloop_runbook_forks_it(lab, scratch_namespace):
    init_crash_pod(lab, scratch_namespace)
    status, result = lab.module("kdebug_triage", dict(pod="migrating", namespace=scratch_namespace))
    assert status == "SUCCESS", result
    phase = next(c for c in result["checks"] if c["name"] == "pod phase")
    assert phase["status"] == "fail"
    assert "init container migrate (2 of 2) is crash-looping" in phase["summary"], phase["summary"]
    assert "last exit code 3" in phase["summary"] and "schema v3 missing" in phase["summary"], phase["summary"]
    assert "scheduling" not in phase["summary"]
    assert result["pod"]["init_blocker"]["name"] == "migrate"
    results, output = lab.tasks([
        {"name": "crashloop", "ansible.builtin.include_role": {"name": "kdebug.toolkit.crashloop"},
         "vars": {"crashloop_pod": "migrating", "crashloop_namespace": scratch_namespace,
                  "crashloop_image": lab.busybox_image, "crashloop_image_pull_policy": "Never",
                  "crashloop_replay_timeout": 20}},
        {"name": "fork result", "ansible.builtin.debug": {"var": "crashloop_fork"}},
        {"name": "checks", "ansible.builtin.debug": {"var": "crashloop_checks"}}])
    fork = results["fork result"][1]["crashloop_fork"]
    replayed = next(c for c in results["checks"][1]["crashloop_checks"] if c["name"] == "crash reproduced in a fork")
    assert replayed["status"] == "fail", replayed
    assert "the crash reproduces: init container migrate exits 3" in replayed["summary"], replayed["summary"]
    assert fork["held"]["container"] == "migrate", output[-3000:]
    assert fork["replay"]["rc"] == 3 and fork["replay"]["stderr_lines"] == ["schema v3 missing"], fork["replay"]
    # The runbook removed its fork.
    assert not lab.live_pods(scratch_namespace, "kdebug.io/component=fork")


def schedulable_nodes(lab, pod):
    """Nodes the API lists that a copy of ``pod`` could go to (Ready, not cordoned, taints tolerated)."""
    tolerations = pod["spec"].get("tolerations") or []
    names = []
    for node in lab.kubectl_json("get", "nodes")["items"]:
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
        taints = [t for t in node["spec"].get("taints") or [] if t["effect"] in ("NoSchedule", "NoExecute")]
        tolerated = all(any(tol.get("operator") == "Exists" and tol.get("key") in (None, t["key"])
                            or tol.get("key") == t["key"] and tol.get("value") == t.get("value")
                            for tol in tolerations) for t in taints)
        if ready and not node["spec"].get("unschedulable") and tolerated:
            names.append(node["metadata"]["name"])
    return names


def host_network_daemonset(lab, namespace, port, placement):
    """A crash-looping hostNetwork DaemonSet on the first node whose pod listens on host ``port``, then exits 4;
    ``placement`` is the pod template's way of keeping it there. Its crashed pod."""
    first = lab.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]
    script = "nc -l -p %d -e true & pid=$!; sleep 1; echo listening on %d; kill $pid; exit 4" % (port, port)
    apply(lab, {"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "hostnet", "namespace": namespace},
                "spec": {"selector": {"matchLabels": {"app": "hostnet"}},
                         "template": {"metadata": {"labels": {"app": "hostnet"}}, "spec": dict({
                             "hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet",
                             "terminationGracePeriodSeconds": 1,
                             "containers": [{"name": "agent", "image": lab.busybox_image, "imagePullPolicy": "Never",
                                             "command": ["sh", "-c", script],
                                             "ports": [{"containerPort": port, "protocol": "TCP"}]}]},
                             **placement(first))}}})
    return wait_until(lambda: lab.kubectl_json("get", "pods", "-n", namespace, "-l", "app=hostnet")["items"],
                      lambda pods: any((s.get("lastState") or {}).get("terminated")
                                       for p in pods for s in p["status"].get("containerStatuses") or []),
                      "the DaemonSet pod to crash")[0]


def fork_and_replay(lab, namespace, name, port):
    """(args, result): the DaemonSet pod forked and replayed; the replay listened on ``port`` and exited 4."""
    args = dict(pod=name, namespace=namespace, image=lab.busybox_image, image_pull_policy="Never", replay=True,
                replay_timeout=20)
    status, result = fork_module(lab, args)
    assert status == "CHANGED", result
    assert result["placement"]["host_network"] is True
    assert result["replay"]["rc"] == 4 and "listening on %d" % port in result["replay"]["stdout"], result["replay"]
    assert not [c for c in result["changes"] if "cleared hostPort" in c]  # never a fix the API server undoes
    return args, result


def assert_shares_the_source_network(lab, args, result, first, port):
    """The fork runs beside the source on ``first``, says so plainly, and other_node=true refuses it."""
    placement = result["placement"]
    assert placement["avoid_source_node"] is False and placement["shares_network_with_source"] is True
    assert placement["node"] == first
    assert "so it runs on %s beside the source" % first in placement["reason"]
    assert "shares node %s's network with the source" % first in placement["reason"]
    assert "Stop the source" in placement["reason"]
    assert any("hostNetwork fork" in w for w in result.get("warnings") or []), result
    assert any("ports: removed %d/TCP" % port in c for c in result["changes"]), result["changes"]
    status, refused = fork_module(lab, dict(args, other_node=True, replay=False))
    assert status == "FAILED!" and "no node other than %s fits" % first in refused["msg"], refused


def test_a_host_network_daemonset_pod_is_forked_off_its_node_or_says_it_shares_it(lab, scratch_namespace):
    """The DaemonSet is pinned to the first node as its controller pins each pod (matchFields metadata.name), which
    the fork drops: with one schedulable node the fork runs beside the source and says so; with more, it runs on
    another node."""
    port = 19417
    source = host_network_daemonset(lab, scratch_namespace, port, lambda first: {"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [first]}]}]}}}})
    first = source["spec"]["nodeName"]
    assert source["spec"]["containers"][0]["ports"][0]["hostPort"] == port  # the API server set it
    name = source["metadata"]["name"]
    nodes = schedulable_nodes(lab, source)
    others = [n for n in nodes if n != source["spec"]["nodeName"]]
    try:
        args, result = fork_and_replay(lab, scratch_namespace, name, port)
        placement = result["placement"]
        assert placement["source_node"] == first
        fork = lab.kubectl_json("get", "pod", "-n", scratch_namespace, result["fork"]["name"])
        assert fork["spec"]["hostNetwork"] is True
        joined = " ".join(result["changes"])
        if others:
            assert placement["avoid_source_node"] is True and placement["shares_network_with_source"] is False
            assert fork["spec"]["nodeName"] in others and result["fork"]["node"] == fork["spec"]["nodeName"]
            assert set(placement["candidates"]) >= set(others) - set(placement["excluded"] or {})
            assert fork["spec"]["containers"][0]["ports"][0]["hostPort"] == port
            assert "metadata.name NotIn [%s]" % first in joined
            assert not result.get("warnings"), result.get("warnings")
        else:
            assert fork["spec"]["nodeName"] == first and "ports" not in fork["spec"]["containers"][0]
            assert_shares_the_source_network(lab, args, result, first, port)
        # The DaemonSet's pin to its node is gone from the fork, whatever the placement.
        terms = fork["spec"].get("affinity", {}).get("nodeAffinity", {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", [])
        assert not [f for t in terms for f in t.get("matchFields") or [] if f["operator"] == "In"], terms
    finally:
        fork_module(lab, dict(pod=name, namespace=scratch_namespace, state="absent"))
        lab.kubectl("delete", "daemonset", "-n", scratch_namespace, "hostnet", "--wait=false", check=False)


def test_a_host_network_fork_that_no_other_node_fits_runs_beside_the_source_and_says_so(lab, scratch_namespace):
    """The DaemonSet's nodeSelector (which the fork keeps) fits the first node only, on any lab."""
    port = 19418
    source = host_network_daemonset(lab, scratch_namespace, port, lambda first: {
        "nodeSelector": {"kubernetes.io/hostname": first}})
    first, name = source["spec"]["nodeName"], source["metadata"]["name"]
    try:
        args, result = fork_and_replay(lab, scratch_namespace, name, port)
        placement = result["placement"]
        assert placement["candidates"] == []
        # Every other node is named with why it does not fit (the nodeSelector, or a taint or state before that).
        others = [n["metadata"]["name"] for n in lab.kubectl_json("get", "nodes")["items"]]
        assert set(placement["excluded"]) == set(others) and all(placement["excluded"].values()), placement
        assert all(n in placement["reason"] for n in others if n != first), placement["reason"]
        assert_shares_the_source_network(lab, args, result, first, port)
    finally:
        fork_module(lab, dict(pod=name, namespace=scratch_namespace, state="absent"))
        lab.kubectl("delete", "daemonset", "-n", scratch_namespace, "hostnet", "--wait=false", check=False)


def test_a_host_network_fork_whose_port_every_other_node_holds_fails_at_once_and_says_what_to_do(
        lab, scratch_namespace):
    """The DaemonSet runs on every node (tolerating every taint), so each other node's pod holds the host port: the
    fork kept off its source's node cannot be scheduled anywhere, now or after any wait. It fails at once, well
    within wait_timeout, names the ports, says other_node=false, and leaves no fork behind."""
    port = 19419
    source = host_network_daemonset(lab, scratch_namespace, port, lambda first: {
        "tolerations": [{"operator": "Exists"}]})
    name = source["metadata"]["name"]
    nodes = schedulable_nodes(lab, source)
    try:
        wait_until(lambda: lab.kubectl_json("get", "pods", "-n", scratch_namespace, "-l", "app=hostnet")["items"],
                   lambda pods: len(pods) == len(nodes), "a DaemonSet pod on each of %s" % nodes)
        started = time.monotonic()
        status, result = fork_module(lab, dict(pod=name, namespace=scratch_namespace, image=lab.busybox_image,
                                               image_pull_policy="Never", replay=False, wait_timeout=120))
        elapsed = time.monotonic() - started
        if len(nodes) == 1:  # a one-node lab: no other node, so the fork runs beside its source (tested above)
            assert status == "CHANGED", result
            return
        assert status == "FAILED!", result
        assert elapsed < 60, "failed after %.0fs, as if it had waited for wait_timeout: %s" % (elapsed, result["msg"])
        assert "free ports" in result["msg"] and "other_node=false" in result["msg"], result["msg"]
        forks = lab.kubectl_json("get", "pods", "-n", scratch_namespace, "-l", "app.kubernetes.io/managed-by=kdebug")
        assert forks["items"] == [] or result.get("fork", {}).get("name") in result["msg"], result
    finally:
        fork_module(lab, dict(pod=name, namespace=scratch_namespace, state="absent"))
        lab.kubectl("delete", "daemonset", "-n", scratch_namespace, "hostnet", "--wait=false", check=False)
