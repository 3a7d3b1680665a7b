"""The shipped ClusterRoles (roles/rbac/files) are enough, and each of their rules is needed.

Each way of using kdebug runs its cheapest real call with a ServiceAccount token
bound, by playbooks/rbac.yml's role, to exactly the shipped roles of that use;
then once per rule with that one rule removed (copies of the roles, labelled with
this run and removed afterwards): every removal fails before anything is created,
naming the verb, the resource and the shipped role that grants it. The agent's
commands stay in the target's pid namespace: another pod's file is out of reach
through /proc/*/root, unless the caller holds the node-wide right.
"""
import base64
import json
import os
import time
import uuid

import pytest
import yaml

# Not `from conftest import`: with several conftest.py files in the suite, which one that names depends on the
# order of collection.
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

FILES = os.path.join(REPO_ROOT, "roles", "rbac", "files")
USES = ("ephemeral", "agent", "fork", "fleet", "cleanup")
PLAY_USES = ("awx", "fleet", "cleanup")  # the playbooks' ServiceAccounts, play-<use>
# Rules whose absence is not an error, by design (docs/rbac.md): the run succeeds and says what it could not do.
OPTIONAL = {("kdebug-ephemeral", "events"), ("kdebug-fork", "pods/log"), ("kdebug-fork-nodes", "nodes")}
API = "rbac.authorization.k8s.io"


def shipped(name):
    with open(os.path.join(FILES, name + ".yml")) as handle:
        return yaml.safe_load(handle)


def roles_by_use():
    with open(os.path.join(REPO_ROOT, "roles", "rbac", "vars", "main.yml")) as handle:
        return yaml.safe_load(handle)["rbac_roles_by_use"]


def service_account(run, name):
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": run.target_ns}}


class Run:
    """One run's namespaces, pods and ServiceAccounts; everything it made carries its label."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.id = uuid.uuid4().hex[:6]
        self.target_ns = "kdebug-test-rbac-" + self.id
        self.other_ns = "kdebug-test-rbac-other-" + self.id
        self.agent_ns = "kdebug-test-rbac-agents-" + self.id
        self.label = "kdebug-test-run=rbac-" + self.id
        config = lab.kubectl_json("config", "view", "--raw", "--minify")
        self.ca = tmp_path / "ca.crt"
        self.ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
        self.server = config["clusters"][0]["cluster"]["server"]

    def user(self, account):
        return "system:serviceaccount:%s:%s" % (self.target_ns, account)

    def auth(self, account):
        token = self.lab.kubectl("create", "token", account, "-n", self.target_ns, "--duration=1h").stdout.strip()
        return {"host": self.server, "api_key": token, "ca_cert": str(self.ca)}

    def subject(self, account):
        return {"kind": "ServiceAccount", "name": account, "namespace": self.target_ns}

    def apply(self, objects):
        self.lab.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))

    def bindings_for(self, account, roles, removed=None):
        """Copies of the shipped ``roles`` (without the rule ``removed`` = (role, index)), bound to ``account``."""
        objects = [service_account(self, account)]
        for name in roles:
            role = shipped(name)
            rules = [r for i, r in enumerate(role["rules"]) if (name, i) != removed]
            if not rules:
                continue
            copy = "%s--%s-%s" % (name, self.id, account)
            meta = {"name": copy, "labels": {"kdebug-test-run": "rbac-" + self.id}}
            objects.append({"apiVersion": API + "/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules})
            bind = role["metadata"]["annotations"]["kdebug.io/bind"]
            ref = {"apiGroup": API, "kind": "ClusterRole", "name": copy}
            if bind == "cluster":
                objects.append({"apiVersion": API + "/v1", "kind": "ClusterRoleBinding", "metadata": meta,
                                "roleRef": ref, "subjects": [self.subject(account)]})
            else:
                namespace = self.agent_ns if bind == "agents" else self.target_ns
                objects.append({"apiVersion": API + "/v1", "kind": "RoleBinding", "roleRef": ref,
                                "metadata": dict(meta, namespace=namespace), "subjects": [self.subject(account)]})
        return objects

    def ensure_agent_namespace(self):
        """The agents' namespace, for the RoleBindings bound there: made by the rbac role in the first test, here
        when a test runs alone."""
        if self.lab.kubectl("get", "namespace", self.agent_ns, check=False).returncode != 0:
            self.lab.kubectl("create", "namespace", self.agent_ns)

    def wait_granted(self, account, roles, removed=None):
        """RBAC reaches the authorizer through its informers: wait until one right of each bound rule answers yes."""
        for name in roles:
            role = shipped(name)
            bind = role["metadata"]["annotations"]["kdebug.io/bind"]
            namespace = self.agent_ns if bind == "agents" else self.target_ns
            for index, rule in enumerate(role["rules"]):
                if (name, index) == removed:
                    continue
                resource, _sep, subresource = rule["resources"][0].partition("/")
                argv = ["auth", "can-i", rule["verbs"][0], resource, "--as", self.user(account)]
                argv += ["--subresource", subresource] if subresource else []
                argv += [] if bind == "cluster" else ["-n", namespace]
                deadline = time.monotonic() + 30
                while self.lab.kubectl(*argv, check=False).stdout.strip() != "yes":
                    assert time.monotonic() < deadline, "RBAC never granted %s to %s" % (argv, account)
                    time.sleep(0.2)


SAME_NODE = "kdebug-lab"  # the lab's control-plane node


@pytest.fixture(scope="module")
def run(lab, tmp_path_factory):
    run = Run(lab, tmp_path_factory.mktemp("rbac"))
    names = [n[:-4] for n in os.listdir(FILES)]
    installed = lab.kubectl("get", "clusterroles", "--ignore-not-found", "-o", "name", *names).stdout.split()
    for namespace in (run.target_ns, run.other_ns):
        lab.kubectl("create", "namespace", namespace)
    for namespace, name in ((run.target_ns, "target"), (run.other_ns, "other")):
        run.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
                    # one node for both: the point is that a pod's neighbour on the same node is out of reach
                    "spec": {"terminationGracePeriodSeconds": 1, "nodeName": SAME_NODE, "containers": [{
                        "name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                        "command": ["sh", "-c", "echo %s > /tmp/kdebug-%s-%s; exec sleep 3600" % (name, name, run.id)]
                    }]}}])
    for namespace, name in ((run.target_ns, "target"), (run.other_ns, "other")):
        lab.kubectl("wait", "-n", namespace, "pod/" + name, "--for=condition=Ready", "--timeout=60s")
    yield run
    lab.kubectl("delete", "clusterrolebindings,clusterroles", "-l", run.label, "--ignore-not-found", check=False)
    # The rbac role's own ClusterRoleBindings (<role>-<rbac_binding_name>); the shipped ClusterRoles stay.
    suffixes = [(use, use) for use in USES] + [("play-" + use, use) for use in PLAY_USES]
    cluster_bindings = ["%s-%s-%s" % (name, run.id, suffix) for suffix, use in suffixes
                        for name in roles_by_use()[use]
                        if shipped(name)["metadata"]["annotations"]["kdebug.io/bind"] == "cluster"]
    if cluster_bindings:
        lab.kubectl("delete", "clusterrolebindings", "--ignore-not-found", *cluster_bindings, check=False)
    # The shipped ClusterRoles the rbac role applied stay only where they were installed before.
    added = [n for n in names if "clusterrole.rbac.authorization.k8s.io/" + n not in installed]
    if added:
        lab.kubectl("delete", "clusterroles", "--ignore-not-found", *added, check=False)
    for namespace in (run.target_ns, run.other_ns, run.agent_ns):
        lab.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false", check=False)


def call(run, use, auth):
    """(module, args): the cheapest real call that needs every right of ``use``."""
    tools = {"image": run.lab.tools_image, "image_pull_policy": "Never"}
    if use == "ephemeral":
        return "kdebug_exec", dict(tools, **auth, pod="target", namespace=run.target_ns, strategy="ephemeral",
                                   command=["echo", "ok"])
    if use == "agent":
        # The target's own file, and another pod's: only the first is in reach of a confined command.
        return "kdebug_exec", dict(tools, **auth, pod="target", namespace=run.target_ns, strategy="agent",
                                   agent_namespace=run.agent_ns,
                                   shell="cat /proc/*/root/tmp/kdebug-*-%s 2>/dev/null; echo ok" % run.id)
    if use == "fork":
        return "kdebug_fork", dict(tools, **auth, pod="target", namespace=run.target_ns, replay=True,
                                   replay_command=["echo", "ok"], replay_timeout=30, wait_timeout=90)
    if use == "fleet":
        return "kdebug_exec", dict(tools, **auth, targets=[{"pod": "target", "namespace": run.target_ns}],
                                   agent_namespace=run.agent_ns, command=["echo", "ok"])
    return "kdebug_cleanup", dict(auth, namespaces=[run.target_ns], kinds=["pods", "configmaps", "secrets", "namespaces"],
                                  older_than="3650d")


def removals():
    for use in USES:
        for name in roles_by_use()[use]:
            for index, rule in enumerate(shipped(name)["rules"]):
                yield use, name, index, rule


def assert_names_the_rule(result, name, rule):
    message = result.get("msg", "")
    assert result.get("error_class") == "denied" and result.get("denied_by") == "rbac", result
    for resource in rule["resources"]:
        assert any("%s %s " % (verb, resource) in message for verb in rule["verbs"]), (resource, message)
    assert "role %s)" % name in message, message
    assert "Nothing was created" in message


def test_each_use_runs_with_exactly_its_shipped_roles_and_fails_clearly_with_one_rule_fewer(lab, run):
    # The exact sets, bound by the rbac role itself (one include per use, one ansible run).
    run.apply([service_account(run, "exact-" + use) for use in USES])
    tasks = []
    for use in USES:
        tasks.append({"name": "bind " + use, "ansible.builtin.include_role": {"name": "kdebug.toolkit.rbac"},
                      "vars": {"rbac_uses": [use], "rbac_namespaces": [run.target_ns],
                               "rbac_agent_namespace": run.agent_ns, "rbac_binding_name": "%s-%s" % (run.id, use),
                               "rbac_subjects": [run.subject("exact-" + use)]}})
    _results, output = lab.tasks(tasks)
    assert "failed=0" in output, output
    variants = list(removals())
    objects = []
    for number, (use, name, index, _rule) in enumerate(variants):
        objects += run.bindings_for("less-%d" % number, roles_by_use()[use], (name, index))
    run.apply(objects)
    for use in USES:
        run.wait_granted("exact-" + use, roles_by_use()[use])
    for number, (use, name, index, _rule) in enumerate(variants):
        run.wait_granted("less-%d" % number, roles_by_use()[use], (name, index))

    tasks = []
    for use in USES:
        module, args = call(run, use, run.auth("exact-" + use))
        tasks.append({"name": "exact " + use, "kdebug.toolkit." + module: args, "ignore_errors": True})
    for number, (use, name, index, _rule) in enumerate(variants):
        module, args = call(run, use, run.auth("less-%d" % number))
        tasks.append({"name": "less %d" % number, "kdebug.toolkit." + module: args, "ignore_errors": True})
    started = time.monotonic()
    results, output = lab.tasks(tasks)
    assert time.monotonic() - started < 240, "keep this test lean: it runs every use %d times" % len(tasks)

    for use in USES:
        status, result, _seconds = results["exact " + use]
        assert status in ("SUCCESS", "CHANGED"), (use, result, output[-3000:])
        assert not any("kdebug-" in w and "not allowed" in w for w in result.get("warnings") or []), result
    assert results["exact agent"][1]["stdout"].splitlines() == ["target", "ok"], \
        "the agent reads the target's file, never the other pod's"
    assert results["exact fork"][1]["replay"]["stdout_lines"] == ["ok"]

    for number, (use, name, index, rule) in enumerate(variants):
        status, result, _seconds = results["less %d" % number]
        if any((name, resource) in OPTIONAL for resource in rule["resources"]):
            assert status in ("SUCCESS", "CHANGED"), (use, name, rule, result)
            continue
        if use == "fleet" and status != "FAILED!":
            # A target namespace the caller may not reach fails its targets only.
            assert len(result["results"]) == 1, result
            result = result["results"][0]
            assert result["failed"], result
        else:
            assert status == "FAILED!", (use, name, rule, result)
        assert_names_the_rule(result, name, rule)

    # Refused before anything was created: only the exact runs made a debug container, a fork and an agent.
    pod = lab.kubectl_json("get", "pod", "-n", run.target_ns, "target")
    assert len(pod["spec"].get("ephemeralContainers") or []) == 1
    forks = [p for p in lab.live_pods(run.target_ns) if p["metadata"]["name"] != "target"]
    assert len(forks) == 1, [p["metadata"]["name"] for p in forks]
    assert len(lab.live_pods(run.agent_ns)) == 1


def test_the_agent_leaves_the_targets_pid_namespace_only_with_the_node_wide_right(lab, run):
    """/proc/*/root of another pod is out of reach; join_namespaces without pid is refused without nodes/proxy,
    and with it (the lab's admin) the same command does reach the other pod: the test can fail."""
    account = "agent-user"
    roles = roles_by_use()["agent"]
    run.ensure_agent_namespace()
    run.apply(run.bindings_for(account, roles))
    run.wait_granted(account, roles)
    module, args = call(run, "agent", run.auth(account))
    wide = dict(args, join_namespaces=["net", "uts", "ipc"])
    admin = dict((k, v) for k, v in wide.items() if k not in ("host", "api_key", "ca_cert"))
    results, output = lab.tasks([
        {"name": "confined", "kdebug.toolkit." + module: args, "ignore_errors": True},
        {"name": "node-wide refused", "kdebug.toolkit." + module: wide, "ignore_errors": True},
        {"name": "node-wide admin", "kdebug.toolkit." + module: admin, "ignore_errors": True}])
    status, confined, _s = results["confined"]
    assert status in ("SUCCESS", "CHANGED") and "other" not in confined["stdout"].split(), (confined, output[-2000:])
    status, refused, _s = results["node-wide refused"]
    assert status == "FAILED!" and "get nodes/proxy cluster-wide (role kdebug-agent-node-wide)" in refused["msg"], \
        refused
    status, wide_result, _s = results["node-wide admin"]
    assert status in ("SUCCESS", "CHANGED") and "other" in wide_result["stdout"].split(), wide_result


def test_a_node_target_runs_with_the_node_use_and_is_refused_without_the_node_wide_right(lab, run):
    """A shell on the node sees every pod's files: with the roles of use `node` it does (the test can fail), with
    the agent's roles alone it is refused before anything is created, naming the missing role."""
    node = lab.kubectl_json("get", "pod", "-n", run.target_ns, "target")["spec"]["nodeName"]
    roles = roles_by_use()
    run.ensure_agent_namespace()
    run.apply(run.bindings_for("node-user", roles["node"]) + run.bindings_for("agent-only", roles["agent"]))
    run.wait_granted("node-user", roles["node"])
    run.wait_granted("agent-only", roles["agent"])
    args = {"image": lab.tools_image, "image_pull_policy": "Never", "node": node, "agent_namespace": run.agent_ns,
            "shell": "cat /proc/*/root/tmp/kdebug-*-%s 2>/dev/null | sort; echo ok" % run.id}
    results, output = lab.tasks([
        {"name": "node", "kdebug.toolkit.kdebug_exec": dict(args, **run.auth("node-user")), "ignore_errors": True},
        {"name": "agent only", "kdebug.toolkit.kdebug_exec": dict(args, **run.auth("agent-only")),
         "ignore_errors": True}])
    status, result, _s = results["node"]
    assert status in ("SUCCESS", "CHANGED") and result["stdout_lines"] == ["other", "target", "ok"], \
        (result, output[-2000:])
    status, refused, _s = results["agent only"]
    assert status == "FAILED!" and "get nodes/proxy cluster-wide (role kdebug-agent-node-wide)" in refused["msg"], \
        refused
    assert "run a command on node %s" % node in refused["msg"] and "Nothing was created" in refused["msg"]


def test_a_quota_in_the_agents_namespace_is_a_quota_not_missing_rights(lab, run):
    """The caller holds every right; the agents' namespace's ResourceQuota refuses the agent pod."""
    namespace = run.agent_ns + "-quota"
    lab.kubectl("create", "namespace", namespace)
    try:
        lab.kubectl("create", "quota", "no-pods", "-n", namespace, "--hard=pods=0")
        _module, args = call(run, "agent", {})
        status, result = lab.module("kdebug_exec", dict(args, agent_namespace=namespace))
        assert status == "FAILED!", result
        assert result.get("error_class") == "denied" and result.get("denied_by") == "resource_quota", result
        assert "ResourceQuota no-pods in namespace %s" % namespace in result["msg"], result["msg"]
        assert "agent_namespace" in result["msg"] and "not allowed" not in result["msg"], result["msg"]
        assert lab.live_pods(namespace) == []
    finally:
        lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_the_playbooks_run_with_a_token_bound_to_exactly_the_shipped_roles(lab, run, tmp_path):
    """diagnose.yml and fleet_network.yml as AWX runs them, fleet_dns.yml as a fleet user, cleanup.yml as the
    cleanup operator: each with a ServiceAccount token (K8S_AUTH_*, as an AWX credential sets them) bound by the
    rbac role."""
    uses = PLAY_USES
    run.apply([service_account(run, "play-" + use) for use in uses])
    tasks = [{"name": "bind " + use, "ansible.builtin.include_role": {"name": "kdebug.toolkit.rbac"},
              "vars": {"rbac_uses": [use], "rbac_namespaces": [run.target_ns], "rbac_agent_namespace": run.agent_ns,
                       "rbac_binding_name": "%s-play-%s" % (run.id, use),
                       "rbac_subjects": [run.subject("play-" + use)]}} for use in uses]
    _results, output = lab.tasks(tasks)
    assert "failed=0" in output, output
    for use in uses:
        run.wait_granted("play-" + use, roles_by_use()[use])

    def env(use):
        auth = run.auth("play-" + use)
        # K8S_AUTH_HOST with a token comes first, before any kubeconfig (kube/auth.py).
        return {"K8S_AUTH_HOST": auth["host"],
                "K8S_AUTH_API_KEY": auth["api_key"], "K8S_AUTH_SSL_CA_CERT": auth["ca_cert"]}

    common = {"image": lab.tools_image, "image_pull_policy": "Never", "agent_namespace": run.agent_ns}
    diagnose = lab.playbook("playbooks/diagnose.yml", dict(common, pod="target", namespace=run.target_ns,
                                                           output_dir=str(tmp_path / "diagnose")), env=env("awx"))
    assert diagnose.returncode == 0, diagnose.stdout[-4000:] + diagnose.stderr[-2000:]
    with open(str(tmp_path / "diagnose" / "report.json")) as handle:
        report = json.load(handle)
    errors = [(c["name"], c["summary"]) for c in report["checks"] if c["status"] == "error"]
    assert errors == [], errors

    inventory = tmp_path / "fleet.kdebug_pods.yml"
    inventory.write_text("plugin: kdebug.toolkit.pods\nnamespaces: [%s]\n" % run.target_ns)
    for playbook, use in (("playbooks/fleet_dns.yml", "fleet"), ("playbooks/fleet_network.yml", "awx")):
        out = tmp_path / os.path.basename(playbook)
        fleet = lab.playbook(playbook, dict(common, output_dir=str(out), timeout=30), args=["-i", str(inventory)],
                             env=env(use))
        assert fleet.returncode == 0, fleet.stdout[-4000:] + fleet.stderr[-2000:]
        assert "not allowed" not in fleet.stdout, fleet.stdout[-4000:]

    cleanup = lab.playbook("playbooks/cleanup.yml", {"cleanup_namespaces": run.target_ns,
                                                     "cleanup_older_than": "3650d"}, env=env("cleanup"))
    assert cleanup.returncode == 0, cleanup.stdout[-4000:] + cleanup.stderr[-2000:]
