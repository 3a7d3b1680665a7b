"""The collection run the way AWX runs it: in the execution environment (EE) image, by ansible-runner, with what an
AWX job gets and nothing else.

scripts/build-ee builds the EE for real (ansible-builder, on a base image built locally as the lab builds its
images) into the lab's Docker engine, cached between runs. Each job here is what AWX's execution node does with a
job: a private data dir (project/, env/envvars with the credential's K8S_AUTH_* variables, env/extravars with the
survey answers and AWX's awx_*/tower_* variables, inventory/hosts as the script AWX writes), mounted at /runner in
the EE container, which runs ``ansible-runner run /runner -p <playbook> --ident <job id>``. The Kubernetes
credential is AWX's "OpenShift or Kubernetes API Bearer Token": a ServiceAccount token, the API endpoint and the CA
file it writes; no kubeconfig anywhere in the container. The fleet inventory comes from an inventory update
(``ansible-inventory --list --export`` of the project's kdebug.toolkit.pods source, in the EE) and is sliced as
AWX slices a job: slice k of n gets the hosts, ordered by name, k-1, k-1+n, ...

A real AWX cannot run here (docs/awx.md says why); this runs what AWX runs underneath it.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "playbooks"))
from fleet_fixture import create_fleet  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROJECT = os.path.join(ROOT, "docs", "awx", "project")  # the job templates' project, as docs/awx.md lays it out
EE_USER = 1000  # the user ansible-builder's images run as; AWX mounts the private data dir writable for it
AWX_USER = "alice"
SLICES = 2


def _requester(job_id):
    return "awx:%s (job %s)" % (AWX_USER, job_id)


def awx_extra_vars(job_id, template_name, survey, template_vars=None):
    """The extra vars AWX gives a job: its awx_* and tower_* variables, the template's Variables, the survey's
    answers (AWX merges them in that order)."""
    awx = {"job_id": job_id, "job_launch_type": "manual", "job_template_id": 7, "job_template_name": template_name,
           "user_id": 3, "user_name": AWX_USER, "user_email": "alice@example.com", "user_first_name": "Alice",
           "user_last_name": "", "inventory_id": 2, "inventory_name": "kdebug pods", "execution_node": "awx-ee",
           "project_revision": "0" * 40, "project_scm_branch": "main"}
    extra = {}
    for prefix in ("awx_", "tower_"):
        extra.update({prefix + key: value for key, value in awx.items()})
    extra.update(template_vars or {})
    extra.update(survey)
    return extra


def inventory_script(data):
    """inventory/hosts as AWX writes it for a job: a script that prints the inventory's JSON."""
    return "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(data)


def slice_inventory(exported, number, count):
    """Slice ``number`` (1-based) of ``count`` of an exported inventory, as AWX's job slicing cuts it (its hosts
    ordered by name, every ``count``-th from ``number - 1``)."""
    hosts = sorted(exported["_meta"]["hostvars"])[number - 1::count]
    sliced = {"_meta": {"hostvars": {h: exported["_meta"]["hostvars"][h] for h in hosts}}}
    for group, body in exported.items():
        if group == "_meta":
            continue
        body = dict(body)
        if "hosts" in body:
            body["hosts"] = [h for h in body["hosts"] if h in hosts]
        sliced[group] = body
    return sliced, hosts


class AwxJobs:
    """Private data dirs of AWX-shaped jobs, run in the EE container."""

    def __init__(self, lab, image, credential, workdir, project=PROJECT):
        self.lab, self.image, self.credential, self.workdir, self.project = lab, image, credential, workdir, project

    def _private_data_dir(self, job_id, extra_vars, inventory):
        pdd = os.path.join(self.workdir, "job-%s" % job_id)
        shutil.copytree(self.project, os.path.join(pdd, "project"))
        os.makedirs(os.path.join(pdd, "env"))
        os.makedirs(os.path.join(pdd, "inventory"))
        # The credential's injector (AWX: kubernetes_bearer_token): host, token, and with "Verify SSL" and CA data,
        # the CA in a file of the private data dir, named by its path in the container.
        handle, ca_path = tempfile.mkstemp(dir=os.path.join(pdd, "env"))
        with os.fdopen(handle, "w") as ca_file:
            ca_file.write(self.credential["ca"])
        envvars = {"K8S_AUTH_HOST": self.credential["host"], "K8S_AUTH_API_KEY": self.credential["token"],
                   "K8S_AUTH_VERIFY_SSL": "True",
                   "K8S_AUTH_SSL_CA_CERT": "/runner/env/" + os.path.basename(ca_path),
                   # what else AWX sets for a job
                   "JOB_ID": str(job_id), "INVENTORY_ID": "2", "PROJECT_REVISION": "0" * 40,
                   "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_HOST_KEY_CHECKING": "False",
                   "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True", "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
                   "ANSIBLE_FORCE_COLOR": "False", "AWX_HOST": "https://awx.example.com"}
        with open(os.path.join(pdd, "env", "envvars"), "w") as handle:
            json.dump(envvars, handle)
        with open(os.path.join(pdd, "env", "extravars"), "w") as handle:
            json.dump(extra_vars, handle)
        script = os.path.join(pdd, "inventory", "hosts")
        with open(script, "w") as handle:
            handle.write(inventory_script(inventory))
        os.chmod(script, 0o755)
        for dirpath, dirnames, filenames in os.walk(pdd):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.chown(name, EE_USER, 0)
        return pdd

    def _docker_run(self, name, pdd, command, timeout):
        """The EE container AWX's execution node starts: the private data dir at /runner, the host's network (the
        lab's API server is on the host), nothing else mounted and no environment of ours."""
        argv = ["run", "--rm", "--name", name, "--label", "kdebug.io/test=awx", "--network", "host",
                "-v", "%s:/runner" % pdd, self.image] + command
        try:
            return self.lab.docker(*argv, check=False, timeout=timeout)
        finally:
            self.lab.docker("rm", "-f", name, check=False)

    def run(self, job_id, playbook, extra_vars, inventory, timeout=600):
        """``ansible-runner run`` of the job in the EE; returns (CompletedProcess, artifacts dir of the job)."""
        pdd = self._private_data_dir(job_id, extra_vars, inventory)
        proc = self._docker_run("kdebug-test-awx-job-%s-%s" % (job_id, uuid.uuid4().hex[:6]), pdd,
                                ["ansible-runner", "run", "/runner", "-p", playbook, "--ident", str(job_id)], timeout)
        return proc, os.path.join(pdd, "artifacts", str(job_id))

    def inventory_update(self, job_id, source):
        """What AWX's inventory update runs in the EE for a source "Sourced from a Project" (with the credential's
        environment): ``ansible-inventory --list --export`` of the inventory file; returns what AWX imports."""
        pdd = self._private_data_dir(job_id, {}, {"_meta": {"hostvars": {}}})
        with open(os.path.join(pdd, "env", "envvars")) as handle:
            env = json.load(handle)
        argv = ["env"] + ["%s=%s" % item for item in env.items()] + [
            "ansible-inventory", "-i", "/runner/project/" + source, "--list", "--export",
            "--output", "/runner/artifacts/inventory.json"]
        os.makedirs(os.path.join(pdd, "artifacts"))
        os.chown(os.path.join(pdd, "artifacts"), EE_USER, 0)
        proc = self._docker_run("kdebug-test-awx-inventory-%s" % uuid.uuid4().hex[:6], pdd, argv, 300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        with open(os.path.join(pdd, "artifacts", "inventory.json")) as handle:
            return json.load(handle)


def plain(value):
    """A value of ``ansible-inventory --list --export`` as it reads: strings Ansible holds as unsafe (not to be
    templated) come wrapped, ``{"__ansible_unsafe": "..."}``; AWX stores and hands them back so."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {k: plain(v) for k, v in value.items()}
    return value


def job_events(artifacts):
    events = []
    for name in os.listdir(os.path.join(artifacts, "job_events")):
        with open(os.path.join(artifacts, "job_events", name)) as handle:
            events.append(json.load(handle))
    return sorted(events, key=lambda e: e.get("counter", 0))


def job_artifacts(artifacts):
    """The job's set_stats data: what AWX shows as its Artifacts (the stats event's artifact_data)."""
    stats = [e for e in job_events(artifacts) if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1, [e["event"] for e in job_events(artifacts)]
    return stats[0]["event_data"].get("artifact_data") or {}


def failed_tasks(artifacts):
    return ["%s: %s" % (e["event_data"].get("task"), e["event_data"].get("res", {}).get("msg"))
            for e in job_events(artifacts) if e["event"] == "runner_on_failed"]


def assert_job_ok(proc, artifacts):
    detail = "\n".join([proc.stdout[-4000:], proc.stderr[-2000:]])
    assert proc.returncode == 0, detail
    with open(os.path.join(artifacts, "status")) as handle:
        assert handle.read().strip() == "successful", detail
    with open(os.path.join(artifacts, "stdout")) as handle:
        stdout = handle.read()
    assert "Traceback" not in stdout, stdout[-4000:]
    assert not failed_tasks(artifacts), failed_tasks(artifacts)
    return stdout


def audit_records(lab, namespace):
    """pod -> the (kdebug.io/requested-by, kdebug.io/reason) of the audit Events of the debug containers kdebug added
    to it."""
    events = lab.kubectl_json("get", "events", "-n", namespace, "-l", "app.kubernetes.io/managed-by=kdebug")
    found = {}
    for event in events["items"]:
        annotations = event["metadata"]["annotations"]
        found.setdefault(event["involvedObject"]["name"], set()).add(
            (annotations["kdebug.io/requested-by"], annotations["kdebug.io/reason"]))
    return found


@pytest.fixture(scope="module")
def ee_image(lab):
    """The EE image, built (or found in the cache) by scripts/build-ee."""
    t0 = time.monotonic()
    proc = subprocess.run([os.path.join(ROOT, "scripts", "build-ee")], capture_output=True, text=True,
                          timeout=3600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    image = proc.stdout.strip().splitlines()[-1]
    print("EE image %s ready in %.0fs:\n%s" % (image, time.monotonic() - t0, proc.stderr))
    return image


@pytest.fixture(scope="module")
def awx_credential(lab):
    """What the job's "OpenShift or Kubernetes API Bearer Token" credential holds: the API endpoint, a
    ServiceAccount's token and the cluster CA, in a namespace of its own (the fleet's pods live there too)."""
    suffix = uuid.uuid4().hex[:6]
    namespace, binding = "kdebug-test-awx-" + suffix, "kdebug-test-awx-" + suffix
    lab.kubectl("create", "namespace", namespace)
    try:
        lab.kubectl("create", "serviceaccount", "awx", "-n", namespace)
        # the rights of every strategy, the triage's node reads, and the pods inventory cluster-wide: what
        # docs/rbac.md's roles add up to (tests/integration/rbac checks those one by one)
        lab.kubectl("create", "clusterrolebinding", binding, "--clusterrole=cluster-admin",
                    "--serviceaccount=%s:awx" % namespace)
        token = lab.kubectl("create", "token", "awx", "-n", namespace, "--duration=1h").stdout.strip()
        with open(lab.kubeconfig) as handle:
            cluster = yaml.safe_load(handle)["clusters"][0]["cluster"]
        if "certificate-authority-data" in cluster:
            ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
        else:
            with open(cluster["certificate-authority"]) as handle:
                ca = handle.read()
        yield {"namespace": namespace, "host": cluster["server"], "token": token, "ca": ca}
    finally:
        lab.kubectl("delete", "clusterrolebinding", binding, "--ignore-not-found", check=False)
        lab.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture(scope="module")
def jobs(lab, ee_image, awx_credential):
    workdir = tempfile.mkdtemp(prefix="kdebug-awx-")
    yield AwxJobs(lab, ee_image, awx_credential, workdir)
    shutil.rmtree(workdir, ignore_errors=True)


def test_the_ee_has_the_collection_its_requirements_and_no_kubeconfig(lab, ee_image):
    script = ("import ansible, ansible_runner, kubernetes, jmespath, jsonschema, os; "
              "from ansible_collections.kdebug.toolkit.plugins.module_utils import errors; "
              "print(ansible.__version__, os.path.exists(os.path.expanduser('~/.kube/config')), "
              "'KUBECONFIG' in os.environ)")
    proc = lab.docker("run", "--rm", "--network", "none", ee_image, "python3", "-c",
                      "import sys; sys.path.append('/usr/share/ansible/collections'); " + script)
    version, kubeconfig, env = proc.stdout.split()
    assert version.startswith("2.21.") and kubeconfig == "False" and env == "False", proc.stdout
    # ansible-builder installed the runtime bindep entries only: no chromium (profile test)
    proc = lab.docker("run", "--rm", "--network", "none", ee_image, "sh", "-c",
                      "dpkg-query -W ca-certificates; ! dpkg-query -W chromium 2>/dev/null")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_diagnose_job_with_survey_answers_and_the_awx_user(lab, jobs, awx_credential):
    # a pod of its own, outside the fleet below (its label is not fleet=yes)
    namespace = awx_credential["namespace"]
    pod = "single"
    lab.kubectl("run", pod, "-n", namespace, "--image", lab.busybox_image, "--image-pull-policy", "Never",
                "--restart", "Never", "--", "sleep", "2147483647")
    lab.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/" + pod, "--timeout=120s", timeout=150)
    survey = {"pod": pod, "kdebug_namespace": namespace, "container": "", "runbooks": ["dns"],
              "kdebug_strategy": "ephemeral", "reason": "INC-4711"}
    template_vars = {"image": lab.tools_image, "image_pull_policy": "Never"}
    extra_vars = awx_extra_vars(41, "kdebug diagnose", survey, template_vars)
    proc, artifacts = jobs.run(41, "diagnose.yml", extra_vars, {"_meta": {"hostvars": {}}})
    assert_job_ok(proc, artifacts)

    reports = job_artifacts(artifacts)["kdebug_reports"]
    assert len(reports) == 1, reports
    (name, report), = reports.items()
    assert report["status"] == "pass", report
    # the report files, in the job's project directory (/runner/project/reports/<name>/)
    assert all(f.startswith("/runner/project/reports/" + name + "/") for f in report["files"]), report["files"]
    with open(os.path.join(os.path.dirname(artifacts), "..", "project", "reports", name, "report.json")) as handle:
        written = json.load(handle)
    targets = {(c["target"]["namespace"], c["target"]["pod"]) for c in written["checks"]}
    assert targets == {(namespace, pod)}, targets
    # the runbooks of the survey's multiselect (a list): dns, and not network, which a healthy pod gets by default
    names = [c["name"] for c in written["checks"]]
    assert names and all(n.startswith("DNS ") for n in names), names

    # who asked: the AWX user and job, not the EE's user; why: the survey's reason
    events = lab.kubectl_json("get", "events", "-n", namespace, "-l", "app.kubernetes.io/managed-by=kdebug",
                              "--field-selector", "involvedObject.name=" + pod)["items"]
    assert [e["metadata"]["annotations"]["kdebug.io/requested-by"] for e in events] == [_requester(41)], events
    assert events[0]["metadata"]["annotations"]["kdebug.io/reason"] == "INC-4711"


def test_fleet_dns_job_sliced_in_two(lab, jobs, awx_credential):
    namespace = awx_credential["namespace"]
    ok, broken = create_fleet(lab, namespace, healthy=5, broken=1)
    # the project's inventory file, as a user would add it for this namespace
    source = "inventories/fleet.kdebug_pods.yml"
    with open(os.path.join(PROJECT, "inventories", "shop.kdebug_pods.yml")) as handle:
        shipped = yaml.safe_load(handle)
    inventory_file = dict(shipped, namespaces=[namespace], label_selector="fleet=yes")
    jobs_project = os.path.join(jobs.workdir, "project-fleet")
    shutil.copytree(PROJECT, jobs_project)
    with open(os.path.join(jobs_project, source), "w") as handle:
        yaml.safe_dump(inventory_file, handle)
    fleet_jobs = AwxJobs(lab, jobs.image, jobs.credential, jobs.workdir, project=jobs_project)
    exported = fleet_jobs.inventory_update(90, source)
    hostvars = exported["_meta"]["hostvars"]
    assert sorted(h.split("/")[-1] for h in hostvars) == sorted(ok + broken), sorted(hostvars)
    # listed with the credential from the environment: its host, no kubeconfig
    for host in map(plain, hostvars.values()):
        assert host["kdebug_connection"].get("host") == awx_credential["host"], host["kdebug_connection"]
        assert not host["kdebug_connection"].get("kubeconfig"), host["kdebug_connection"]
        assert awx_credential["token"] not in json.dumps(host), "the token is in the inventory"

    survey = {"target": "all", "kdebug_strategy": "ephemeral", "kdebug_timeout": 30, "slow_ms": 3000,
              "external_name": "", "reason": "INC-4712"}
    template_vars = {"image": lab.tools_image, "image_pull_policy": "Never", "remove_agents": False}
    covered, slice_pods = [], {}
    for number in range(1, SLICES + 1):
        job_id = 100 + number
        inventory, hosts = slice_inventory(exported, number, SLICES)
        covered += hosts
        extra_vars = awx_extra_vars(job_id, "kdebug fleet DNS", survey, template_vars)
        proc, artifacts = fleet_jobs.run(job_id, "fleet_dns.yml", extra_vars, inventory)
        assert_job_ok(proc, artifacts)
        (name, report), = job_artifacts(artifacts)["kdebug_reports"].items()
        with open(os.path.join(os.path.dirname(artifacts), "..", "project", "reports", name,
                               "report.json")) as handle:
            written = json.load(handle)
        pods = {plain(hostvars[h]["kdebug_pod"]) for h in hosts}
        slice_pods[job_id] = pods
        assert {c["target"]["pod"] for c in written["checks"]} == pods, (job_id, written["checks"])
        bad = {c["target"]["pod"] for c in written["checks"] if c["status"] in ("fail", "error")}
        assert bad == pods & set(broken), (job_id, bad)
        assert report["status"] == ("fail" if bad else "pass"), report
    # the two slices cover the fleet, each pod once
    assert sorted(covered) == sorted(hostvars), covered
    assert all(len(pods) == 3 for pods in slice_pods.values()), slice_pods
    # each pod's debug container was asked for by the job of its slice, for the survey's reason
    records = audit_records(lab, namespace)
    for job_id, pods in slice_pods.items():
        for pod in pods:
            assert records.get(pod) == {(_requester(job_id), "INC-4712")}, (pod, records)
