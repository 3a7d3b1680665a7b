"""kdebug.toolkit.pods against the lab: real pods, real ansible-inventory and ansible runs."""
import json
import os
import subprocess
import sys

import pytest

from inventory_listing import unwrap

# cwd for ansible: ansible.cfg there makes kdebug.toolkit resolve to this checkout.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def pod_manifest(name, labels, containers=("app",), annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels, "annotations": annotations or {}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {"name": c, "image": "kdebug.local/busybox:1.35", "imagePullPolicy": "Never",
                 "command": ["sleep", "3600"]}
                for c in containers
            ],
        },
    }


def write_inventory(tmp_path, lab, namespace, **options):
    lines = ["plugin: kdebug.toolkit.pods", "kubeconfig: %s" % lab.kubeconfig, "namespaces: [%s]" % namespace]
    lines += ["%s: %s" % (k, json.dumps(v)) for k, v in options.items()]
    path = tmp_path / "test.kdebug_pods.yml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(argv, **env):
    run_env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", **env)
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=REPO_ROOT, env=run_env, check=False)


def inventory_list(path, **env):
    proc = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"], **env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return unwrap(json.loads(proc.stdout)), proc


def group_hosts(listing, group):
    return set(listing.get(group, {}).get("hosts", []))


@pytest.fixture()
def pods_in_scratch(lab, scratch_namespace):
    manifests = [
        pod_manifest("web-a", {"app": "web", "tier": "front", "fleet": "yes"}),
        pod_manifest("web-b", {"app": "web", "tier": "front", "fleet": "yes"}, containers=("app", "sidecar"),
                     annotations={"kubectl.kubernetes.io/default-container": "sidecar"}),
        pod_manifest("db", {"app": "db", "fleet": "yes"}),
        pod_manifest("other", {"app": "web", "fleet": "no"}),
    ]
    lab.kubectl("apply", "-n", scratch_namespace, "-f", "-",
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}))
    lab.kubectl("wait", "-n", scratch_namespace, "--for=condition=Ready", "pod", "--all", "--timeout=120s",
                timeout=150)
    return scratch_namespace


def test_pods_as_hosts(lab, pods_in_scratch, tmp_path):
    ns = pods_in_scratch
    path = write_inventory(tmp_path, lab, ns, label_selector="fleet=yes",
                           keyed_groups=[{"key": "kdebug_labels['app']", "prefix": "app"}],
                           groups={"multi": "kdebug_containers | length > 1"},
                           compose={"short_name": "kdebug_pod | upper"})
    listing, _proc = inventory_list(path)
    hostvars = listing["_meta"]["hostvars"]
    expected = {"%s/web-a" % ns, "%s/web-b" % ns, "%s/db" % ns}
    assert set(hostvars) == expected

    pod = lab.kubectl_json("get", "pod", "-n", ns, "web-b")
    web_b = hostvars["%s/web-b" % ns]
    assert web_b["kdebug_namespace"] == ns
    assert web_b["kdebug_pod"] == "web-b"
    assert web_b["kdebug_node"] == pod["spec"]["nodeName"]
    assert web_b["kdebug_phase"] == "Running"
    assert web_b["kdebug_containers"] == ["app", "sidecar"]
    assert web_b["kdebug_default_container"] == "sidecar"
    assert web_b["kdebug_container"] == "sidecar"
    assert web_b["kdebug_labels"] == {"app": "web", "tier": "front", "fleet": "yes"}
    assert web_b["kdebug_pod_ip"] == pod["status"]["podIP"]
    assert web_b["ansible_connection"] == "local"
    assert web_b["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    assert web_b["short_name"] == "WEB-B"
    assert hostvars["%s/web-a" % ns]["kdebug_default_container"] == "app"

    ns_group = "namespace_" + ns.replace("-", "_")
    assert group_hosts(listing, ns_group) == expected
    # one group per node, holding exactly the pods that run there (the lab spreads them over its nodes)
    by_node = {}
    for host in expected:
        by_node.setdefault(hostvars[host]["kdebug_node"], set()).add(host)
    for node, hosts in by_node.items():
        assert group_hosts(listing, "node_" + node.replace("-", "_").replace(".", "_")) == hosts
    assert group_hosts(listing, "app_web") == {"%s/web-a" % ns, "%s/web-b" % ns}
    assert group_hosts(listing, "app_db") == {"%s/db" % ns}
    assert group_hosts(listing, "multi") == {"%s/web-b" % ns}

    graph = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--graph"])
    assert graph.returncode == 0, graph.stderr
    assert "@%s:" % ns_group in graph.stdout
    assert "|--%s/web-a" % ns in graph.stdout

    # The hosts are usable: an ad-hoc run over all of them, on the controller.
    adhoc = run([os.path.join(BIN, "ansible"), "-i", path, "all", "-m", "ansible.builtin.debug", "-a", "var=kdebug_pod"])
    assert adhoc.returncode == 0, adhoc.stdout + adhoc.stderr
    for name in ("web-a", "web-b", "db"):
        assert "%s/%s | SUCCESS" % (ns, name) in adhoc.stdout
        assert "kdebug_pod: %s" % name in adhoc.stdout
    assert "other" not in adhoc.stdout

    # The interpreter template resolves to the controller's Python (a module really runs with it).
    probe = run([os.path.join(BIN, "ansible"), "-i", path, "%s/db" % ns, "-m", "ansible.builtin.setup",
                 "-a", "filter=ansible_python"])
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert os.path.realpath(sys.executable) in probe.stdout or sys.executable in probe.stdout or BIN in probe.stdout


def test_one_host_per_container(lab, pods_in_scratch, tmp_path):
    ns = pods_in_scratch
    path = write_inventory(tmp_path, lab, ns, label_selector="app=web,fleet=yes", include_containers=True)
    listing, _proc = inventory_list(path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {"%s/web-a/app" % ns, "%s/web-b/app" % ns, "%s/web-b/sidecar" % ns}
    assert hostvars["%s/web-b/app" % ns]["kdebug_container"] == "app"
    assert hostvars["%s/web-b/app" % ns]["kdebug_default_container"] == "sidecar"
    assert group_hosts(listing, "pod_%s_web_b" % ns.replace("-", "_")) == {"%s/web-b/app" % ns,
                                                                           "%s/web-b/sidecar" % ns}


def test_selector_matching_nothing(lab, pods_in_scratch, tmp_path):
    path = write_inventory(tmp_path, lab, pods_in_scratch, label_selector="app=nothing-has-this")
    listing, proc = inventory_list(path, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    assert listing["_meta"]["hostvars"] == {}
    assert "Failed to parse" not in proc.stderr


def test_phases_filter(lab, pods_in_scratch, tmp_path):
    path = write_inventory(tmp_path, lab, pods_in_scratch, phases=["Pending", "Failed"])
    listing, _proc = inventory_list(path)
    assert listing["_meta"]["hostvars"] == {}


def test_bad_selector_is_a_clear_error(lab, scratch_namespace, tmp_path):
    path = write_inventory(tmp_path, lab, scratch_namespace, label_selector="app in (web")
    proc = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"],
               ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert "the API server refused label_selector 'app in (web'" in err
    assert "unable to parse requirement" in err
    assert "Fix the selector" in err
