"""kdebug_exec with `targets` on the lab: one call, many pods, one agent exec per node; a target that cannot run
is data. Each test keeps its agents in a namespace of its own (the agent_namespace fixture), deleted afterwards, so
nothing is left behind and no other run's agent is touched."""
import pytest

DEMO = "kdebug-demo"
# What an argv may hold: each must reach the command as it is (no shell ever sees them).
HOSTILE = ["a b", "it's \"quoted\"", "$HOME $(id) `id`; echo pwned", "*", "", "-n", "new\nline", "@kdebug-pid-0@"]


def batch(lab, agent_namespace, targets, **args):
    args = dict({"targets": targets, "image": lab.tools_image, "image_pull_policy": "Never", "timeout": 20,
                 "agent_namespace": agent_namespace}, **args)
    return lab.module("kdebug_exec", args, check=args.pop("_check", False))


@pytest.fixture(scope="module")
def pods(lab):
    return {"web": lab.pod_by_label(DEMO, "app=web")["metadata"]["name"],
            "crashy": lab.kubectl_json("get", "pods", "-n", DEMO, "-l", "app=crashy")["items"][0]["metadata"]["name"]}


def test_many_pods_one_call_and_bad_targets_are_data(lab, agent_namespace, pods):
    targets = [{"pod": pods["web"], "host": "w"}, {"pod": "noshell", "host": "n"},
               {"pod": "multi", "container": "sidecar", "host": "m"}, {"pod": pods["crashy"], "host": "c"},
               {"pod": "no-such-pod", "host": "x"}, {"namespace": "no-such-namespace", "pod": "p", "host": "y"}]
    status, result = batch(lab, agent_namespace, targets, namespace=DEMO, env={"GREETING": "a; b $(c) 'd'"},
                           requested_by="batch-test", reason="ticket 42",
                           shell='hostname; echo "$GREETING"; test -r "$KDEBUG_TARGET_ROOT/etc/hostname" && '
                                 'echo root-ok; exit 7')
    assert status == "CHANGED", result  # the agent namespace and its agent were created
    assert [r["host"] for r in result["results"]] == ["w", "n", "m", "c", "x", "y"]
    by_host = {r["host"]: r for r in result["results"]}
    for host, pod in (("w", pods["web"]), ("n", "noshell"), ("m", "multi")):
        got = by_host[host]
        assert got["rc"] == 7 and got["failed"] is False, got
        assert got["stdout_lines"] == [pod, "a; b $(c) 'd'", "root-ok"]
        assert got["strategy"] == "agent" and got["timed_out"] is False and got["truncated"] is False
        assert got["target"]["pid"] and got["target"]["namespace"] == DEMO
        assert got["agent_pod"]["node"] == got["target"]["node"]
        assert got["agent_pod"]["namespace"] == agent_namespace and got["agent_pod"]["created"] is True
    assert by_host["m"]["target"]["container"] == "sidecar"
    assert by_host["c"]["failed"] and "crash-looping" in by_host["c"]["msg"] and "kdebug_fork" in by_host["c"]["msg"]
    assert by_host["x"]["failed"] and "pod no-such-pod not found in namespace %s" % DEMO in by_host["x"]["msg"]
    assert by_host["x"]["error_class"] == "not_found" and by_host["x"]["rc"] is None
    assert by_host["y"]["failed"] and "namespace no-such-namespace not found" in by_host["y"]["msg"]
    summary = result["summary"]
    assert summary["targets"] == 6 and summary["ran"] == 3 and summary["failed"] == 3
    # the nodes of the targets found (crashy's too: the lab has three nodes), and one agent on each node of the
    # targets that ran, with the audit record asked for
    nodes = {by_host[host]["target"]["node"] for host in ("w", "n", "m")}
    assert summary["nodes"] == sorted(nodes | {by_host["c"]["target"]["node"]})
    assert summary["agents_created"] == sorted(nodes)
    agents = lab.live_pods(agent_namespace, "kdebug.io/component=agent")
    assert sorted(a["spec"]["nodeName"] for a in agents) == sorted(nodes)
    for agent in agents:
        annotations = agent["metadata"]["annotations"]
        assert annotations["kdebug.io/requested-by"] == "batch-test" and annotations["kdebug.io/reason"] == "ticket 42"

    # An argv command runs as given in every target, whatever its arguments hold; the agent is reused.
    status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": pods["web"]},
                                                  {"namespace": DEMO, "pod": "noshell"}],
                           command=["printf", "[%s]\\n"] + HOSTILE, requested_by="batch-test", reason="ticket 42")
    assert status == "SUCCESS", result  # nothing created this time
    for got in result["results"]:
        assert got["rc"] == 0 and got["stdout"] == "".join("[%s]\n" % a for a in HOSTILE), got
        assert got["agent_pod"]["created"] is False and got["changed"] is False
    assert result["summary"]["agents_created"] == []


def test_a_timeout_and_stdin_per_target(lab, agent_namespace):
    _status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": "noshell"}], timeout=2,
                            command=["sleep", "30"])
    got = result["results"][0]
    assert got["timed_out"] is True and got["rc"] in (124, 137) and got["failed"] is False, got
    _status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": "noshell"},
                                                   {"namespace": DEMO, "pod": "multi"}],
                            command=["wc", "-l"], stdin="one\ntwo\nthree\n")
    assert [r["stdout"].strip() for r in result["results"]] == ["3", "3"], result["results"]


def test_check_mode_plans_each_target_and_creates_nothing(lab, agent_namespace, pods):
    status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": pods["web"], "host": "w"},
                                                  {"namespace": DEMO, "pod": "no-such-pod", "host": "x"}],
                           command=["ss", "-ltn"], _check=True)
    assert status == "CHANGED", result  # an agent would be created
    web, missing = result["results"]
    plan = web["plan"]
    assert plan["would_create"] is True and plan["agent_namespace"] == agent_namespace
    assert plan["node"] == web["target"]["node"] and plan["agent_pod"].startswith("kdebug-agent-")
    # nsenter first: the timeout runs inside the target's namespaces (transforms/agent.py nsenter_argv).
    assert plan["argv"][:3] == ["nsenter", "--target", "<pid>"] and ["timeout", "-k", "2", "20"] == \
        plan["argv"][plan["argv"].index("timeout"):plan["argv"].index("timeout") + 4]
    assert plan["argv"][-2:] == ["ss", "-ltn"] and "rc" not in web and web["host"] == "w"
    assert missing["failed"] and "no-such-pod" in missing["msg"]
    assert result["summary"]["planned"] == 1 and result["summary"]["agents_created"] == [plan["node"]]
    # nothing was created: not even the agents' namespace
    assert lab.kubectl("get", "namespace", agent_namespace, check=False).returncode != 0


def test_targets_refuse_a_strategy_that_cannot_batch(lab, agent_namespace):
    status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": "noshell"}], strategy="ephemeral",
                           command=["true"])
    assert status == "FAILED!" and result["error_class"] == "option"
    assert "strategy must be auto or agent" in result["msg"] and "Traceback" not in str(result)
    status, result = batch(lab, agent_namespace, [{"namespace": DEMO, "pod": "noshell"}], pod="noshell",
                           command=["true"])
    assert status == "FAILED!" and "mutually exclusive" in result["msg"]


OLD_PLAYBOOK = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A playbook written for kdebug_fleet_exec
      kdebug.toolkit.kdebug_fleet_exec:
        targets: [{namespace: %(ns)s, pod: noshell, host: n}, {namespace: %(ns)s, pod: multi, host: m}]
        shell: hostname
        namespaces: [net, uts]
        image: %(image)s
        image_pull_policy: Never
        agent_namespace: %(agents)s
      register: fleet
    - name: It still gets one result per target
      ansible.builtin.assert:
        that:
          - fleet.results | map(attribute='stdout') | map('trim') | list == ['noshell', 'multi']
          - fleet.results | map(attribute='host') | list == ['n', 'm']
          - fleet.summary.ran == 2
"""


def test_the_old_module_name_still_works_and_warns(lab, agent_namespace, tmp_path):
    playbook = tmp_path / "old.yml"
    playbook.write_text(OLD_PLAYBOOK % {"ns": DEMO, "image": lab.tools_image, "agents": agent_namespace})
    proc = lab.playbook(str(playbook))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert "kdebug_fleet_exec" in output and "deprecated" in output.lower(), output[-5000:]
    assert "kdebug.toolkit.kdebug_exec" in output
    nodes = {lab.kubectl_json("get", "pod", "-n", DEMO, name)["spec"]["nodeName"] for name in ("noshell", "multi")}
    assert len(lab.live_pods(agent_namespace, "kdebug.io/component=agent")) == len(nodes)  # one per node
