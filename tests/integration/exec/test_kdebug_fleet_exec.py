"""kdebug_fleet_exec on the lab: one call, many pods, one agent exec per node; bad targets are data."""

DEMO = "kdebug-demo"


def test_many_pods_one_call(lab):
    web = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    crashy = lab.kubectl_json("get", "pods", "-n", DEMO, "-l", "app=crashy")["items"][0]["metadata"]["name"]
    targets = [{"namespace": DEMO, "pod": web, "host": "w"}, {"namespace": DEMO, "pod": "noshell", "host": "n"},
               {"namespace": DEMO, "pod": "multi", "container": "sidecar", "host": "m"},
               {"namespace": DEMO, "pod": crashy, "host": "c"}, {"namespace": DEMO, "pod": "no-such-pod", "host": "x"},
               {"namespace": "no-such-namespace", "pod": "p", "host": "y"}]
    status, result = lab.module("kdebug_fleet_exec", {
        "targets": targets, "image": lab.tools_image, "image_pull_policy": "Never", "timeout": 20,
        "env": {"GREETING": "a; b $(c)"},
        "shell": 'hostname; echo "$GREETING"; test -r "$KDEBUG_TARGET_ROOT/etc/hostname" && echo root-ok; exit 7'})
    assert status in ("SUCCESS", "CHANGED"), result
    by_host = {r["host"]: r for r in result["results"]}
    assert [r["host"] for r in result["results"]] == ["w", "n", "m", "c", "x", "y"]
    for host, pod in (("w", web), ("n", "noshell"), ("m", "multi")):
        got = by_host[host]
        assert got["rc"] == 7 and not got["failed"], got
        assert got["stdout_lines"] == [pod, "a; b $(c)", "root-ok"]
        assert got["target"]["pid"] and got["agent_pod"]["node"] == got["target"]["node"]
    assert by_host["m"]["target"]["container"] == "sidecar"
    assert by_host["c"]["failed"] and "crash-looping" in by_host["c"]["msg"] and "kdebug_fork" in by_host["c"]["msg"]
    assert by_host["x"]["failed"] and "no-such-pod" in by_host["x"]["msg"]
    assert by_host["y"]["failed"] and "no-such-namespace" in by_host["y"]["msg"]
    assert result["summary"] == {"targets": 6, "ran": 3, "failed": 3, "nodes": ["kdebug-lab"]}
    # one agent for the node, in the default agent namespace
    agents = lab.kubectl_json("get", "pods", "-n", "kdebug-system", "-l", "kdebug.io/component=agent")["items"]
    assert len([a for a in agents if not a["metadata"].get("deletionTimestamp")]) == 1


def test_a_timeout_is_reported_per_target(lab):
    status, result = lab.module("kdebug_fleet_exec", {
        "targets": [{"namespace": DEMO, "pod": "noshell"}], "image": lab.tools_image, "image_pull_policy": "Never",
        "timeout": 2, "shell": "sleep 30"})
    got = result["results"][0]
    assert status in ("SUCCESS", "CHANGED") and got["timed_out"] is True and got["rc"] in (124, 137), got
