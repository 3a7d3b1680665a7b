"""Secrets stay secret: a planted env value, a token and kubeconfig contents reach no audit log, argv, -vvv or report.

The lab's API server writes an audit log of every pods/exec, pods/attach and ephemeral-container request at
Metadata level, request URI included (lab/lib/services.sh); the node is this machine, so its process list is ours
to read.
"""
import base64
import glob
import hashlib
import json
import os
import threading
import time
import uuid

import pytest

DEMO = "kdebug-demo"
AUDIT_LOG = os.environ.get("KDEBUG_LAB_AUDIT_LOG", "/var/lib/kdebug-lab/logs/kube-apiserver-audit.log")
PKI = "/var/lib/kdebug-lab/pki"


@pytest.fixture(scope="module")
def agent_namespace(lab):
    name = "kdebug-test-agents-" + uuid.uuid4().hex[:6]
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)


def audit_text():
    """The whole audit log, rotated files included."""
    files = sorted(glob.glob(AUDIT_LOG + "*"))
    if not files:
        pytest.fail("the lab's API server writes no audit log (%s): run lab/up" % AUDIT_LOG)
    text = ""
    for path in files:
        with open(path, errors="replace") as handle:
            text += handle.read()
    return text


def audit_events(predicate, timeout=30):
    """The audit events matching ``predicate``, waiting for the first one (the log is written as requests end)."""
    deadline = time.monotonic() + timeout
    while True:
        events = []
        for line in audit_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if predicate(event):
                events.append(event)
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def host_cmdlines():
    lines = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as handle:
                lines.append(handle.read().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:
            pass
    return lines


@pytest.mark.parametrize("strategy", ["ephemeral", "agent", "targets"])
def test_env_values_reach_the_command_and_nothing_else(lab, agent_namespace, strategy):
    secret = "kdebug-planted-" + uuid.uuid4().hex
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    args = {"image": lab.tools_image, "image_pull_policy": "Never", "agent_namespace": agent_namespace,
            "env": {"KDEBUG_SECRET": secret, "OTHER": "1"},
            # the value's digest, never the value: the command proves it arrived without printing it
            "shell": 'printf %s "$KDEBUG_SECRET" | md5sum; echo "other=$OTHER"; sleep 2'}
    if strategy == "targets":
        args.update(targets=[{"pod": pod, "namespace": DEMO}])
    else:
        args.update(pod=pod, namespace=DEMO, strategy=strategy)

    seen, done = [], threading.Event()

    def watch_processes():
        while not done.is_set():
            seen.extend(line for line in host_cmdlines() if secret in line)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch_processes)
    watcher.start()
    started = time.time()
    try:
        # a playbook file, not ansible -a: the task's arguments stay out of the test's own ansible command line
        results, output = lab.tasks([{"name": "planted", "kdebug.toolkit.kdebug_exec": args}], verbose=True)
    finally:
        done.set()
        watcher.join()
    status, result, _seconds = results["planted"]
    assert status in ("SUCCESS", "CHANGED"), result
    one = result["results"][0] if strategy == "targets" else result
    assert one["stdout"].split()[0] == hashlib.md5(secret.encode()).hexdigest(), one
    assert "other=1" in one["stdout"]  # a short value is not blanked out of the output
    assert seen == [], "the secret was in a process's arguments on the node"
    assert secret not in output and secret not in json.dumps(result)
    if "module_args" in output:  # env is no_log in the invocation -vvv shows, when it shows one
        assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
    # the audit log holds this exec (so it is on, and logs URIs) and not the secret
    execs = audit_events(lambda e: e.get("objectRef", {}).get("subresource") == "exec"
                         and e.get("stage") == "ResponseComplete" and e.get("requestURI", "").find("command=") >= 0
                         and e.get("stageTimestamp", "") >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)))
    assert execs, "no pods/exec in the API server's audit log since the test started"
    assert secret not in audit_text()


@pytest.fixture()
def token(lab, scratch_namespace):
    """A ServiceAccount token with the rights diagnose.yml needs (cluster-admin, for this test only)."""
    name = "kdebug-secret-test-" + scratch_namespace[-8:]
    lab.kubectl("create", "serviceaccount", "-n", scratch_namespace, "prober")
    lab.kubectl("create", "clusterrolebinding", name, "--clusterrole=cluster-admin",
                "--serviceaccount=%s:prober" % scratch_namespace)
    try:
        yield lab.kubectl("create", "token", "-n", scratch_namespace, "prober", "--duration=10m").stdout.strip(), \
            "system:serviceaccount:%s:prober" % scratch_namespace
    finally:
        lab.kubectl("delete", "clusterrolebinding", name, "--ignore-not-found", check=False)


def kubeconfig_secrets(path):
    """The credentials a kubeconfig holds: the key and certificate data, as written and decoded."""
    with open(path) as handle:
        text = handle.read()
    found = []
    for line in text.splitlines():
        key, _sep, value = line.strip().partition(": ")
        if key in ("client-key-data", "client-certificate-data", "token") and value:
            found.append(value)
            if key != "token":
                pem = base64.b64decode(value).decode()
                found += [pem_line for pem_line in pem.splitlines() if len(pem_line) >= 40]
    assert found, "no credentials in %s" % path
    return found


def report_texts(directory):
    texts = []
    for path in glob.glob(os.path.join(directory, "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, errors="replace") as handle:
                texts.append((path, handle.read()))
    assert {os.path.basename(p) for p, _t in texts} >= {"report.json", "report.md", "report.html", "report.xml"}
    return texts


def test_no_token_and_no_kubeconfig_contents_in_output_reports_or_audit_log(lab, token, tmp_path):
    bearer, user = token
    pod = lab.pod_by_label(DEMO, "app=web")["metadata"]["name"]
    extra = {"pod": pod, "namespace": DEMO, "image": lab.tools_image, "runbooks": "dns"}
    started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    # a token from an AWX-style credential (K8S_AUTH_*), then the admin kubeconfig (KUBECONFIG)
    with_token = lab.playbook("playbooks/diagnose.yml", dict(extra, output_dir=str(tmp_path / "token")), args=["-vvv"],
                              env={"K8S_AUTH_HOST": "https://10.250.0.1:6443", "K8S_AUTH_API_KEY": bearer,
                                   "K8S_AUTH_SSL_CA_CERT": os.path.join(PKI, "ca.crt")})
    assert with_token.returncode == 0, with_token.stdout[-4000:]
    with_kubeconfig = lab.playbook("playbooks/diagnose.yml", dict(extra, output_dir=str(tmp_path / "kubeconfig")),
                                   args=["-vvv"])
    assert with_kubeconfig.returncode == 0, with_kubeconfig.stdout[-4000:]
    # the token was used: the audit log shows its user exec'ing, and nothing of it
    assert audit_events(lambda e: e.get("user", {}).get("username") == user
                        and e.get("stageTimestamp", "") >= started), "the token's requests are not in the audit log"
    planted = [bearer] + kubeconfig_secrets(lab.kubeconfig)
    places = [("-vvv output (token)", with_token.stdout + with_token.stderr),
              ("-vvv output (kubeconfig)", with_kubeconfig.stdout + with_kubeconfig.stderr),
              ("the audit log", audit_text())]
    places += report_texts(str(tmp_path / "token")) + report_texts(str(tmp_path / "kubeconfig"))
    hits = [(where, secret[:12] + "...") for where, text in places for secret in planted if secret in text]
    assert hits == []
