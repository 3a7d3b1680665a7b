"""The lab is a real cluster: processes on the host, exec, ephemeral
containers, DNS, Services, and a Docker engine whose containers can be joined."""
import os
import time


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_pod(lab, namespace, name, image, command):
    lab.kubectl("run", name, "-n", namespace, "--image", image, "--image-pull-policy", "Never",
                "--restart", "Never", "--command", "--", *command)
    lab.kubectl("wait", "-n", namespace, f"pod/{name}", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=90s",
                check=False)
    return lab.kubectl("logs", "-n", namespace, name).stdout


def test_node_is_ready_and_runs_the_built_version(lab):
    node = lab.kubectl_json("get", "node", "kdebug-lab")
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True"
    assert node["status"]["nodeInfo"]["kubeletVersion"] == os.environ.get("KDEBUG_LAB_KUBE_VERSION", "v1.34.12")
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")


def test_container_process_is_on_the_host_with_the_runtime_pid(lab):
    pod = lab.pod_by_label("kdebug-demo", "app=web")
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    pid = lab.host_pid(container_id, lab.node_tasks(pod["spec"]["nodeName"])[container_id])  # its node's containerd
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        argv = handle.read().split(b"\0")
    assert b"httpd" in argv[0]
    with open(f"/proc/{pid}/cgroup") as handle:
        assert container_id in handle.read(), "the host process's cgroup names its container id"


def test_kubectl_exec_runs_in_the_container(lab):
    pod = lab.pod_by_label("kdebug-demo", "app=web")
    out = lab.kubectl("exec", "-n", "kdebug-demo", pod["metadata"]["name"], "--", "cat", "/www/index.html").stdout
    assert "kdebug demo web" in out


def test_ephemeral_container_shares_the_target_pid_namespace(lab, scratch_namespace):
    lab.kubectl("run", "target", "-n", scratch_namespace, "--image", lab.noshell_image, "--image-pull-policy", "Never",
                "--restart", "Never", "--", "serve", ":8080")
    lab.kubectl("wait", "-n", scratch_namespace, "pod/target", "--for=condition=Ready", "--timeout=90s")
    lab.kubectl("debug", "-n", scratch_namespace, "target", "--image", lab.tools_image, "--image-pull-policy", "Never",
                "--target", "target", "-c", "dbg", "--", "sleep", "600")

    def debug_running():
        pod = lab.kubectl_json("get", "pod", "-n", scratch_namespace, "target")
        statuses = pod["status"].get("ephemeralContainerStatuses", [])
        return any(s["name"] == "dbg" and "running" in s["state"] for s in statuses)

    wait_until(debug_running, 90, "the ephemeral container to run")
    processes = lab.kubectl("exec", "-n", scratch_namespace, "target", "-c", "dbg", "--", "ps", "-eo", "args").stdout
    assert "/demoapp serve" in processes, processes
    sockets = lab.kubectl("exec", "-n", scratch_namespace, "target", "-c", "dbg", "--", "ss", "-ltn").stdout
    assert ":8080" in sockets


def test_dns_resolves_the_kubernetes_service_from_a_pod(lab, scratch_namespace):
    out = run_pod(lab, scratch_namespace, "dig", lab.tools_image,
                  ["dig", "+short", "+search", "kubernetes.default.svc.cluster.local"])
    assert out.strip().splitlines() == ["10.96.0.1"], out


def test_service_ip_answers_from_another_pod(lab, scratch_namespace):
    cluster_ip = lab.kubectl_json("get", "service", "-n", "kdebug-demo", "web")["spec"]["clusterIP"]
    out = run_pod(lab, scratch_namespace, "wget", lab.busybox_image,
                  ["sh", "-c", f"wget -qO- http://{cluster_ip}/ && wget -qO- http://web.kdebug-demo.svc.cluster.local/"])
    assert out.count("kdebug demo web") == 2, out


def test_docker_container_can_be_joined_by_network_and_pid(lab):
    name = "kdebug-test-target-" + os.urandom(4).hex()
    lab.docker("run", "-d", "--name", name, lab.noshell_image, "serve", ":8080")
    try:
        out = lab.docker("run", "--rm", "--network", f"container:{name}", "--pid", f"container:{name}",
                         lab.tools_image, "sh", "-c", "ps -eo args; ss -ltn; curl -s http://127.0.0.1:8080/").stdout
        assert "/demoapp serve" in out, out
        assert ":8080" in out
        assert "demoapp on" in out
    finally:
        lab.docker("rm", "-f", name, check=False)


PRODUCTION_LEVELS = ("baseline", "restricted")


def test_production_namespaces_enforce_pod_security(lab):
    """kdebug-baseline and kdebug-restricted really refuse a privileged pod (PodSecurity admission, not a label)."""
    for level in PRODUCTION_LEVELS:
        namespace = "kdebug-" + level
        labels = lab.kubectl_json("get", "namespace", namespace)["metadata"]["labels"]
        for mode in ("enforce", "warn", "audit"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == level, labels
        refused = lab.kubectl("run", "kdebug-test-privileged", "-n", namespace, "--image", lab.busybox_image,
                              "--image-pull-policy", "Never", "--restart", "Never", "--privileged",
                              "--dry-run=server", "--", "true", check=False)
        assert refused.returncode != 0, refused.stdout
        assert f'violates PodSecurity "{level}:latest"' in refused.stderr, refused.stderr
        assert "privileged" in refused.stderr


def test_production_targets_run_locked_down(lab):
    """Both targets run non-root, read-only, without capabilities; web has a shell, noshell none."""
    for level in PRODUCTION_LEVELS:
        namespace = "kdebug-" + level
        for name, uid in (("web", 1000), ("noshell", 1001)):
            pod = lab.kubectl_json("get", "pod", "-n", namespace, name)
            assert pod["status"]["phase"] == "Running", (namespace, name, pod["status"])
            container = pod["spec"]["containers"][0]
            context = dict(pod["spec"].get("securityContext") or {}, **container["securityContext"])
            assert context["runAsUser"] == uid and context["runAsNonRoot"] is True
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        identity = lab.kubectl("exec", "-n", namespace, "web", "--", "id").stdout
        assert identity.startswith("uid=1000 gid=3000"), identity
        readonly = lab.kubectl("exec", "-n", namespace, "web", "--", "touch", "/www/x", check=False)
        assert readonly.returncode != 0 and "Read-only file system" in readonly.stderr, readonly.stderr
        noshell = lab.kubectl("exec", "-n", namespace, "noshell", "--", "sh", "-c", "true", check=False)
        assert noshell.returncode != 0, "noshell has no shell"
