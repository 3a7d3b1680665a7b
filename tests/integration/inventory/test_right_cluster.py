"""The right cluster, every time: a host of the pods inventory is probed in the cluster it was listed in.

The lab has a second identity (lab/lib/contexts.sh): user kdebug-limited, allowed into namespace kdebug-limited
only, in limited.kubeconfig and (with the admin's context kdebug-lab) in contexts.kubeconfig. A task that fell back
to KUBECONFIG would run as that user and be refused in the test's namespace.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from test_pods_inventory import BIN, REPO_ROOT, pod_manifest, unwrap

PKI = "/var/lib/kdebug-lab/pki"
LIMITED = os.path.join(PKI, "limited.kubeconfig")
CONTEXTS = os.path.join(PKI, "contexts.kubeconfig")


@pytest.fixture()
def limited():
    if not os.path.exists(LIMITED):
        pytest.fail("the lab has no second context (%s): run lab/up" % LIMITED)
    return LIMITED


@pytest.fixture()
def two_pods(lab, scratch_namespace):
    items = [pod_manifest(name, {"fleet": "yes"}) for name in ("one", "two")]
    lab.kubectl("apply", "-n", scratch_namespace, "-f", "-",
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    lab.kubectl("wait", "-n", scratch_namespace, "--for=condition=Ready", "pod", "--all", "--timeout=120s",
                timeout=150)
    return scratch_namespace


def inventory(tmp_path, lines):
    path = tmp_path / "lab.kdebug_pods.yml"
    path.write_text("plugin: kdebug.toolkit.pods\n" + "\n".join(lines) + "\n")
    return str(path)


def run(argv, timeout=600, **env):
    run_env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), **env)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, env=run_env,
                          check=False)


def playbook(name, inventory_path, extra_vars, **env):
    return run([os.path.join(BIN, "ansible-playbook"), os.path.join(REPO_ROOT, name), "-i", inventory_path,
                "-e", "ansible_python_interpreter=" + sys.executable, "-e", json.dumps(extra_vars)], **env)


def test_the_limited_context_really_is_refused_there(lab, limited, two_pods):
    """The premise: through KUBECONFIG=limited.kubeconfig the test's pods cannot even be read."""
    proc = lab.run([lab.kubectl_path, "--kubeconfig", LIMITED, "get", "pods", "-n", two_pods], check=False)
    assert proc.returncode != 0 and "forbidden" in proc.stderr.lower(), proc.stderr


def test_hosts_carry_the_connection_they_were_listed_with(lab, limited, two_pods, tmp_path):
    path = inventory(tmp_path, ["kubeconfig: %s" % CONTEXTS, "context: kdebug-lab", "namespaces: [%s]" % two_pods])
    proc = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"], KUBECONFIG=LIMITED)
    assert proc.returncode == 0, proc.stderr
    hostvars = unwrap(json.loads(proc.stdout))["_meta"]["hostvars"]
    assert sorted(hostvars) == ["%s/one" % two_pods, "%s/two" % two_pods]
    for host_vars in hostvars.values():
        assert host_vars["kdebug_connection"] == {"kubeconfig": CONTEXTS, "context": "kdebug-lab"}
        assert host_vars["kdebug_cluster"] == "kdebug-lab"
    # no credential in the host variables: the kubeconfig is referenced, never copied
    assert "client-key-data" not in proc.stdout and "BEGIN" not in proc.stdout


def test_the_fleet_execs_where_it_listed_whatever_kubeconfig_says(lab, limited, two_pods, tmp_path):
    path = inventory(tmp_path, ["kubeconfig: %s" % lab.kubeconfig, "namespaces: [%s]" % two_pods])
    out = str(tmp_path / "report")
    proc = playbook("playbooks/fleet_dns.yml", path, {"output_dir": out, "image": lab.tools_image},
                    KUBECONFIG=LIMITED)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    pods = sorted({c["target"]["pod"] for c in report["checks"] if isinstance(c.get("target"), dict)})
    assert pods == ["one", "two"]
    assert [c for c in report["checks"] if c["status"] == "error"] == []


def test_every_task_of_a_host_reaches_its_cluster_of_several(lab, limited, two_pods, tmp_path):
    """Two clusters in one inventory (the lab's one API server through two kubeconfigs): host names carry the cluster,
    and each host's kdebug_exec reaches the pod through its own connection, with KUBECONFIG on the limited user."""
    path = inventory(tmp_path, ["namespaces: [%s]" % two_pods, "clusters:",
                                "  - {name: admin-file, kubeconfig: %s}" % lab.kubeconfig,
                                "  - {name: admin-context, kubeconfig: %s, context: kdebug-lab}" % CONTEXTS])
    graph = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--graph", "cluster_admin_context"],
                KUBECONFIG=LIMITED)
    assert graph.returncode == 0, graph.stderr
    assert "admin-context/%s/one" % two_pods in graph.stdout and "admin-file/" not in graph.stdout
    proc = run([os.path.join(BIN, "ansible"), "cluster_admin_context", "-i", path, "-e",
                "ansible_python_interpreter=" + sys.executable, "-m", "kdebug.toolkit.kdebug_exec", "-a",
                json.dumps({"pod": "{{ kdebug_pod }}", "namespace": "{{ kdebug_namespace }}", "strategy": "ephemeral",
                            "image": lab.tools_image, "image_pull_policy": "Never", "command": ["hostname"]})],
               KUBECONFIG=LIMITED)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.stdout.count("SUCCESS") + proc.stdout.count("CHANGED") == 2, proc.stdout[-4000:]


def test_a_task_naming_its_own_context_keeps_it(lab, limited, two_pods, tmp_path):
    """-e context / a task's own context beats the inventory's: here the limited one, so the pod is refused."""
    path = inventory(tmp_path, ["kubeconfig: %s" % lab.kubeconfig, "namespaces: [%s]" % two_pods])
    proc = run([os.path.join(BIN, "ansible"), "all", "-i", path, "-l", "%s/one" % two_pods, "-e",
                "ansible_python_interpreter=" + sys.executable, "-m", "kdebug.toolkit.kdebug_exec", "-a",
                json.dumps({"pod": "{{ kdebug_pod }}", "namespace": "{{ kdebug_namespace }}", "strategy": "ephemeral",
                            "kubeconfig": CONTEXTS, "context": "kdebug-limited", "command": ["hostname"]})])
    assert proc.returncode != 0
    # refused as the limited user (the admin may do all): by the API server, or first by kdebug's own rights check
    assert ("kdebug-limited" in proc.stdout and "forbidden" in proc.stdout.lower()) or \
        "the caller may not get pods in namespace" in proc.stdout, proc.stdout[-3000:]


def test_a_fleet_that_cannot_reach_its_cluster_names_it_and_fails(lab, two_pods, tmp_path):
    """Listed, then the cluster went away (a cached inventory; the kubeconfig now leads nowhere)."""
    kubeconfig = tmp_path / "gone.kubeconfig"
    shutil.copy(lab.kubeconfig, str(kubeconfig))
    path = inventory(tmp_path, ["kubeconfig: %s" % kubeconfig, "namespaces: [%s]" % two_pods, "cache: true",
                                "cache_plugin: ansible.builtin.jsonfile",
                                "cache_connection: %s" % (tmp_path / "cache")])
    listed = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"])
    assert listed.returncode == 0 and "%s/one" % two_pods in listed.stdout, listed.stderr
    kubeconfig.write_text(kubeconfig.read_text().replace("https://10.250.0.1:6443", "https://10.250.0.1:6449"))
    for strategy in ("agent", "ephemeral"):
        proc = playbook("playbooks/fleet_dns.yml", path, {"output_dir": str(tmp_path / strategy),
                                                          "strategy": strategy}, KUBECONFIG=lab.kubeconfig)
        text = " ".join((proc.stdout + proc.stderr).split())
        assert proc.returncode != 0, text[-3000:]
        assert "cluster kdebug-lab" in text and str(kubeconfig) in text, text[-3000:]
        assert "10.250.0.1:6449" in text and "connection refused" in text, text[-3000:]


def test_diagnose_takes_context_and_kubeconfig(lab, limited, tmp_path):
    pod = lab.pod_by_label("kdebug-demo", "app=web")["metadata"]["name"]
    out = str(tmp_path / "report")
    proc = run([os.path.join(BIN, "ansible-playbook"), os.path.join(REPO_ROOT, "playbooks/diagnose.yml"),
                "-e", "ansible_python_interpreter=" + sys.executable,
                "-e", json.dumps({"pod": pod, "namespace": "kdebug-demo", "runbooks": "dns", "image": lab.tools_image,
                                  "output_dir": out, "kubeconfig": CONTEXTS, "context": "kdebug-lab"})],
               KUBECONFIG=limited)
    assert proc.returncode == 0, proc.stdout[-4000:]
    with open(os.path.join(out, "report.json")) as handle:
        report = json.load(handle)
    assert report["summary"]["status"] == "pass", [(c["name"], c["summary"]) for c in report["checks"]]
