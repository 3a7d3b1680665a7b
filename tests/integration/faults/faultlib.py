"""What the fault tests share: the faults' expectations, scratch namespaces, running kdebug, the assertions.

conftest.py makes the faults and namespaces (fixtures); the tests import this.
"""
import contextlib
import json
import os
import re
import time
import uuid

# Every module aimed at a fault gets this request_timeout: a black hole must fail within it + 5 s.
REQUEST_TIMEOUT = 3
HANG_MARGIN = 5
MANAGED = "app.kubernetes.io/managed-by=kdebug"
# What no failure may show the user outside the result's `exception` key.
FORBIDDEN = ("Traceback (most recent call last)", "Module result deserialization failed", "No start of json char")


# --- connection faults ------------------------------------------------------------------------------------

# Their names; conftest.py's ``faults`` fixture maps each to its Fault.
FAULTS = ("refused", "unknown_host", "black_hole", "not_json", "wrong_ca")


class Fault:
    """An endpoint that fails one way, the options and variables that aim kdebug at it, and what it must say."""

    def __init__(self, name, host, error_class, fix, ca_cert=None):
        self.name = name
        self.host = host
        self.error_class = error_class
        self.fix = fix  # words of the fix the message must name
        self.ca_cert = ca_cert

    def __repr__(self):
        return self.name

    def params(self):
        """Module options: the lab's kubeconfig credentials, this endpoint (and CA)."""
        params = {"host": self.host, "request_timeout": REQUEST_TIMEOUT}
        if self.ca_cert:
            params["ca_cert"] = self.ca_cert
        return params

    def env(self):
        """The same as K8S_AUTH_* variables, the way an AWX credential hands them to a playbook."""
        env = {"K8S_AUTH_HOST": self.host, "K8S_AUTH_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)}
        if self.ca_cert:
            env["K8S_AUTH_SSL_CA_CERT"] = self.ca_cert
        return env


# --- the lab side: scratch namespaces -------------------------------------------------------------------


def sleeper(namespace, name="web"):
    """A running busybox pod (baseline-compliant, not restricted-compliant: it runs as root)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                "name": "app", "image": os.environ.get("KDEBUG_BUSYBOX_IMAGE", "kdebug.local/busybox:1.35"),
                "imagePullPolicy": "Never", "command": ["sleep", "3600"]}]}}


def compliant(namespace, name="tight"):
    """A running busybox pod that the restricted PodSecurity level admits (as uid 1000, no capabilities)."""
    pod = sleeper(namespace, name)
    pod["spec"]["securityContext"] = {"runAsNonRoot": True, "runAsUser": 1000,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    pod["spec"]["containers"][0]["securityContext"] = {"allowPrivilegeEscalation": False,
                                                       "capabilities": {"drop": ["ALL"]}}
    return pod


def crashed(namespace, name="crashy"):
    """A pod whose only run failed (exit 1, restartPolicy Never): diagnose.yml forks it to replay the crash."""
    pod = sleeper(namespace, name)
    pod["spec"]["restartPolicy"] = "Never"
    pod["spec"]["containers"][0]["command"] = ["sh", "-c", "echo 'fatal: config file missing' >&2; exit 1"]
    return pod


class Scratch:
    """A namespace of this session, with pods, and the rule (label, quota) put on it once they run."""

    def __init__(self, lab, role):
        self.lab = lab
        self.name = "kdebug-faults-%s-%s" % (role, uuid.uuid4().hex[:6])
        lab.kubectl("create", "namespace", self.name)
        # pods are admitted once the namespace's default ServiceAccount exists (the controller manager makes it)
        lab.kubectl("wait", "-n", self.name, "--for", "create", "serviceaccount/default", "--timeout=60s", timeout=70)

    def run_pods(self, *pods):
        self.lab.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
        for pod in pods:
            name = pod["metadata"]["name"]
            condition = "condition=Ready" if pod["spec"].get("restartPolicy") != "Never" else \
                "jsonpath={.status.phase}=Failed"
            self.lab.kubectl("wait", "-n", self.name, "--for", condition, "pod/" + name, "--timeout=120s", timeout=130)
        return self

    def enforce(self, level):
        self.lab.kubectl("label", "namespace", self.name, "pod-security.kubernetes.io/enforce=" + level)
        return self

    def quota(self, name="no-pods"):
        """A ResourceQuota of pods=0, once the quota controller has counted it (admission enforces it from then)."""
        self.lab.kubectl("create", "quota", name, "-n", self.name, "--hard=pods=0")
        self.lab.kubectl("wait", "-n", self.name, "--for", "jsonpath={.status.hard.pods}=0", "resourcequota/" + name,
                         "--timeout=60s", timeout=70)
        return self

    def delete(self):
        self.lab.kubectl("delete", "namespace", self.name, "--wait=false", check=False)


# --- what kdebug made -------------------------------------------------------------------------------------


def kdebug_made(lab, namespaces):
    """Everything kdebug made in these namespaces: its labelled pods, config maps and secrets, every ephemeral container."""
    found = set()
    labelled = lab.kubectl_json("get", "pods,configmaps,secrets", "-A", "-l", MANAGED)["items"]
    for item in labelled:
        meta = item["metadata"]
        if meta["namespace"] in namespaces and not meta.get("deletionTimestamp"):
            found.add((item["kind"], meta["namespace"], meta["name"]))
    for pod in lab.kubectl_json("get", "pods", "-A")["items"]:
        meta = pod["metadata"]
        if meta["namespace"] in namespaces:
            found.update(("EphemeralContainer", meta["namespace"], "%s/%s" % (meta["name"], c["name"]))
                         for c in pod["spec"].get("ephemeralContainers") or [])
    return found


@contextlib.contextmanager
def nothing_left_behind(lab, *scratches):
    """Asserts that the block leaves no new kdebug object in the scratch namespaces."""
    names = [s.name for s in scratches]
    before = kdebug_made(lab, names)
    yield
    assert sorted(kdebug_made(lab, names) - before) == []


# --- running modules or diagnose.yml at a fault ------------------------------------------------------------


class Run:
    """One play of many module calls (lab.tasks): each call's (status, result, seconds), the output, what was left."""

    def __init__(self, results, output, left_behind):
        self.results = results
        self.output = output
        self.left_behind = left_behind

    def __getitem__(self, case):
        assert case in self.results, "task %s has no result; the play said:\n%s" % (case, self.output[-4000:])
        return self.results[case]


def run_cases(lab, scratches, cases, env=None):
    """Run ``cases`` ({name: (module, args, task vars)}) in one play; the Run, with what it left in ``scratches``."""
    tasks = [{"name": name, "kdebug.toolkit." + module: args, "vars": task_vars or {}, "ignore_errors": True}
             for name, (module, args, task_vars) in sorted(cases.items())]
    names = [s.name for s in scratches]
    before = kdebug_made(lab, names)
    results, output = lab.tasks(tasks, env=env, verbose=True, timeout=300)
    return Run(results, output, sorted(kdebug_made(lab, names) - before))


def run_diagnose(lab, tmp_path, pod, namespace, env=None, **extra):
    """(CompletedProcess, report.json or None, seconds) of playbooks/diagnose.yml on one pod."""
    out = str(tmp_path / "report")
    extra_vars = dict({"pod": pod, "kdebug_namespace": namespace, "image": lab.tools_image, "fork_image": lab.tools_image,
                       "output_dir": out}, **extra)
    started = time.monotonic()
    proc = lab.playbook("playbooks/diagnose.yml", extra_vars, env=env, timeout=300)
    seconds = time.monotonic() - started
    report = None
    if os.path.exists(os.path.join(out, "report.json")):
        with open(os.path.join(out, "report.json")) as handle:
            report = json.load(handle)
    return proc, report, seconds


def assert_no_traceback(*texts):
    """No traceback, no deserialization failure in any of the texts (a result is given minus its `exception`)."""
    for text in texts:
        if isinstance(text, dict):
            text = json.dumps(dict((k, v) for k, v in text.items() if k != "exception"))
        for forbidden in FORBIDDEN:
            assert forbidden not in text, "%r in:\n%s" % (forbidden, text[-4000:])


def assert_clean_failure(status, result, error_class, *words):
    """A failed task, with the class and the words in its message, and no traceback anywhere but under `exception`."""
    assert status == "FAILED!", result
    assert_no_traceback(result)
    assert result.get("error_class") == error_class, result
    for word in words:
        assert word in result["msg"], (word, result["msg"])


def one_line(text):
    """The text with its line breaks (ansible wraps long messages) as single spaces."""
    return re.sub(r"\s+", " ", text)
