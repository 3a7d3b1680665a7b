"""playbooks/cleanup.yml on the lab, for real: agents, forks and Docker tools containers left behind are swept.

Each test makes its own leftovers: an agent (kdebug_agent, in a namespace the module creates, so the namespace is
kdebug's too), a fork (kdebug_fork of a crash-looping pod in a scratch namespace) and a Docker container with the
labels the docker strategy puts on its tools containers. Other tests may run at the same time and have kdebug
objects of their own (the shared agent in kdebug-system, forks of kdebug-demo/crashy, one-shot Docker tools
containers), so sweeps that remove regardless of age are confined to this test's namespaces, and the cluster-wide
sweep only removes what is older than two hours (this test's objects are made to look three hours old).
"""
import datetime
import json
import uuid

import pytest

PLAYBOOK = "playbooks/cleanup.yml"
MANAGED = "app.kubernetes.io/managed-by=kdebug"
NODE = "kdebug-lab"


def stamp(seconds_ago):
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return then.strftime("%Y-%m-%dT%H:%M:%SZ")


def age_of(created_at):
    then = datetime.datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - then).total_seconds()


class Leftovers:
    """One set of kdebug objects, as a killed run would leave them."""

    def __init__(self, lab, scratch, docker_target=None, ttl=600):
        self.lab = lab
        self.scratch = scratch
        self.agent_namespace = "kdebug-test-cleanup-" + uuid.uuid4().hex[:8]
        self.docker_name = "kdebug-exec-leftover-" + uuid.uuid4().hex[:8]
        self.docker_target = docker_target or "%s/crashy/app" % scratch
        self.ttl = ttl
        self.agent = self.fork = None

    def make(self, created_at=None):
        lab = self.lab
        # The agent, in a namespace kdebug_agent creates (labelled managed-by=kdebug as well).
        status, result = lab.module("kdebug_agent", {"node": NODE, "agent_namespace": self.agent_namespace,
                                                     "image": lab.tools_image, "image_pull_policy": "Never",
                                                     "ttl_seconds": self.ttl})
        assert status == "CHANGED", result
        self.agent = result["agent"]["name"]
        # A crash-looping pod like kdebug-demo/crashy, and its fork.
        crashy = {"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "crashy", "namespace": self.scratch, "labels": {"app": "crashy"}},
                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                      "name": "app", "image": lab.busybox_image, "imagePullPolicy": "Never",
                      "command": ["sh", "-c", "echo crashy starting; exit 1"]}]}}
        lab.kubectl("apply", "-f", "-", input=json.dumps(crashy))
        status, result = lab.module("kdebug_fork", {"namespace": self.scratch, "pod": "crashy",
                                                    "tools_image": lab.tools_image, "ttl_seconds": self.ttl})
        assert status == "CHANGED" and "state" in result, result
        self.fork = result["fork"]["name"]
        # A tools container of the docker strategy that nobody removed.
        labels = {"app.kubernetes.io/managed-by": "kdebug", "kdebug.io/component": "exec",
                  "kdebug.io/strategy": "docker", "kdebug.io/target": self.docker_target,
                  "kdebug.io/created-at": created_at or stamp(0), "kdebug.io/ttl-seconds": str(self.ttl),
                  "kdebug.io/requested-by": "test_cleanup", "kdebug.io/reason": "kdebug_exec"}
        argv = ["run", "-d", "--name", self.docker_name, "--network", "none"]
        for key, value in labels.items():
            argv += ["--label", "%s=%s" % (key, value)]
        lab.docker(*argv, lab.tools_image, "sleep", "3600")
        if created_at:  # make the Kubernetes objects look as old (their age is read from kdebug.io/created-at)
            for namespace, pod in ((self.agent_namespace, self.agent), (self.scratch, self.fork)):
                lab.kubectl("annotate", "--overwrite", "pod", "-n", namespace, pod,
                            "kdebug.io/created-at=" + created_at)
        return self

    @property
    def names(self):
        return [self.agent, self.fork, self.docker_name]

    def remove(self):
        self.lab.kubectl("delete", "namespace", self.agent_namespace, "--wait=false", "--ignore-not-found",
                         check=False)
        self.lab.docker("rm", "-f", self.docker_name, check=False)

    # what is left

    def pods(self):
        left = []
        for pod in self.lab.kubectl_json("get", "pods", "-A", "-l", MANAGED)["items"]:
            meta = pod["metadata"]
            if meta["namespace"] in (self.agent_namespace, self.scratch) and not meta.get("deletionTimestamp"):
                left.append(meta["name"])
        return left

    def containers(self):
        out = self.lab.docker("ps", "-a", "--filter", "label=" + MANAGED, "--filter", "name=" + self.docker_name,
                              "--format", "{{.Names}}").stdout
        return [line for line in out.split() if line]

    def agent_namespace_phase(self):
        proc = self.lab.kubectl("get", "namespace", self.agent_namespace, "-o", "json", check=False)
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout)["status"]["phase"]


@pytest.fixture()
def leftovers(lab, scratch_namespace):
    made = []

    def make(**kwargs):
        created_at = kwargs.pop("created_at", None)
        item = Leftovers(lab, scratch_namespace, **kwargs)
        made.append(item)
        return item.make(created_at)
    yield make
    for item in made:
        item.remove()


def cleanup(lab, check=False, verbose=False, **extra_vars):
    args = (["--check"] if check else []) + (["-v"] if verbose else [])
    proc = lab.playbook(PLAYBOOK, extra_vars, args=args)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def test_check_mode_lists_then_older_than_zero_removes_agent_fork_namespace_and_container(lab, leftovers):
    mine = leftovers()
    confined = {"cleanup_namespaces": [mine.agent_namespace, mine.scratch], "cleanup_docker_host": lab.docker_host,
                "cleanup_kinds": ["pods", "configmaps", "secrets", "namespaces"]}
    assert sorted(mine.pods()) == sorted([mine.agent, mine.fork])
    assert mine.containers() == [mine.docker_name]

    # --check: everything is listed, nothing is removed.
    out = cleanup(lab, check=True, cleanup_older_than=0, **confined)
    assert "Would remove 4 kdebug object(s)" in out, out
    for name in mine.names + [mine.agent_namespace]:
        assert name in out, (name, out)
    assert sorted(mine.pods()) == sorted([mine.agent, mine.fork])
    assert mine.containers() == [mine.docker_name]
    assert mine.agent_namespace_phase() == "Active"

    # Their own TTL (10 minutes) has not passed: the default sweep keeps them, and -v says why.
    out = cleanup(lab, verbose=True, **confined)
    assert "Removed 0 kdebug object(s), kept 4 (each object's own TTL" in out, out
    assert "within its TTL of 600s" in out
    assert "no TTL (kdebug.io/ttl-seconds)" in out  # the agent namespace: TTL 0
    assert sorted(mine.pods()) == sorted([mine.agent, mine.fork])

    # older_than=0: all of it goes, and the output names each.
    out = cleanup(lab, cleanup_older_than=0, **confined)
    assert "Removed 4 kdebug object(s), kept 0 (older than 0s; namespaces " in out, out
    for name in mine.names + [mine.agent_namespace]:
        assert name in out, (name, out)
    assert mine.pods() == []
    assert mine.containers() == []
    assert mine.agent_namespace_phase() in (None, "Terminating")
    # Nothing managed by kdebug is left in the swept namespaces.
    left = [p["metadata"]["name"] for p in lab.kubectl_json("get", "pods", "-A", "-l", MANAGED)["items"]
            if p["metadata"]["namespace"] in (mine.agent_namespace, mine.scratch)
            and not p["metadata"].get("deletionTimestamp")]
    assert left == []

    # Again: nothing more to do.
    out = cleanup(lab, cleanup_older_than=0, **confined)
    assert "Removed 0 kdebug object(s)" in out, out


def test_confined_sweep_leaves_other_namespaces_and_plain_docker_targets_alone(lab, leftovers, scratch_namespace):
    mine = leftovers(docker_target="docker/some-legacy-app")
    out = cleanup(lab, cleanup_older_than=0, cleanup_namespaces=mine.scratch, cleanup_docker_host=lab.docker_host)
    # Only the fork was in scope: the agent is in another namespace, the container worked for a plain Docker target.
    assert "Removed 1 kdebug object(s)" in out, out
    assert mine.fork in out and mine.agent not in out and mine.docker_name not in out
    assert mine.pods() == [mine.agent]
    assert mine.containers() == [mine.docker_name]


def test_cluster_wide_sweep_leaves_nothing_managed_older_than_the_threshold(lab, leftovers):
    mine = leftovers(docker_target="docker/some-legacy-app", created_at=stamp(3 * 3600))

    # Cluster-wide, each object's own TTL (the default): ours are three hours into a ten-minute TTL.
    out = cleanup(lab, check=True, cleanup_docker_host=lab.docker_host)
    assert "(each object's own TTL; cluster-wide)" in out, out
    for name in mine.names:
        assert name in out, (name, out)
    assert sorted(mine.pods()) == sorted([mine.agent, mine.fork]) and mine.containers() == [mine.docker_name]

    # Cluster-wide, for real: everything older than two hours goes (objects of tests running now are younger).
    out = cleanup(lab, cleanup_older_than="2h", cleanup_docker_host=lab.docker_host)
    assert "(older than 7200s; cluster-wide)" in out, out
    for name in mine.names:
        assert name in out, (name, out)
    assert mine.pods() == [] and mine.containers() == []

    # No kdebug pod or Docker container older than the threshold is left anywhere.
    for pod in lab.kubectl_json("get", "pods", "-A", "-l", MANAGED)["items"]:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            continue
        created = (meta.get("annotations") or {}).get("kdebug.io/created-at") or meta["creationTimestamp"]
        assert age_of(created) < 7200, (meta["namespace"], meta["name"], created)
    ids = lab.docker("ps", "-aq", "--filter", "label=" + MANAGED).stdout.split()
    for container in (json.loads(lab.docker("inspect", *ids).stdout) if ids else []):
        created = container["Config"]["Labels"].get("kdebug.io/created-at")
        if created:
            assert age_of(created) < 7200, (container["Name"], created)
