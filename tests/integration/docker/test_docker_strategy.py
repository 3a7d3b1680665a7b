# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The docker strategy against the lab's real Docker engine (no mocks).

Each test starts its own target containers (unique names, removed at the
end) and checks that no kdebug-managed container is left on the engine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
import uuid

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.docker import DockerStrategy

MANAGED = "label=app.kubernetes.io/managed-by=kdebug"
INDEX_HTML = "<h1>kdebug demo web</h1>"


def managed_containers(lab):
    out = lab.docker("ps", "-a", "-q", "--filter", MANAGED).stdout
    return out.split()


@pytest.fixture()
def targets(lab):
    """start(image, *args, ipc=None) -> name of a new running container; all removed afterwards."""
    started = []

    def start(image, *args, **kwargs):
        name = "kdebug-it-%s" % uuid.uuid4().hex[:10]
        extra = ["--ipc", kwargs["ipc"]] if kwargs.get("ipc") else []
        lab.docker("run", "-d", "--name", name, *(extra + [image] + list(args)))
        started.append(name)
        return name

    yield start
    if started:
        lab.docker("rm", "-f", *started, check=False)


@pytest.fixture(autouse=True)
def nothing_left_behind(lab):
    before = managed_containers(lab)
    assert not before, "kdebug-managed containers were already on the engine: %s" % before
    yield
    left = managed_containers(lab)
    if left:
        lab.docker("rm", "-f", *left, check=False)
    assert not left, "tools containers left behind: %s" % left


def strategy(lab, container, **kwargs):
    kwargs.setdefault("docker_host", lab.docker_host)
    kwargs.setdefault("pull_policy", "Never")
    return DockerStrategy(container, kwargs.pop("image", lab.tools_image), requester="pytest", **kwargs)


def run(strat, **spec):
    return strat.run(ExecSpec(**spec))


def wait_listening(strat, port, timeout=15):
    """ss -ltn from the tools container until the target listens on :port (the target just started)."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = run(strat, command=["ss", "-ltn"])
        assert outcome.rc == 0, outcome.stderr.text()
        if ":%d " % port in outcome.stdout.text():
            return outcome
        assert time.monotonic() < deadline, "nothing listens on :%d seen from the tools container:\n%s" % (
            port, outcome.stdout.text())
        time.sleep(0.5)


@pytest.fixture()
def web(lab, targets):
    return targets(lab.busybox_image, "httpd", "-f", "-p", "8080", "-h", "/www")


# --- namespaces ---

def test_network_joined_and_result_blocks(lab, web):
    strat = strategy(lab, web)
    assert strat.prepare() is False  # image present, nothing pulled; the tools container is per run
    wait_listening(strat, 8080)
    inspect = lab.docker("inspect", "-f", "{{.Id}} {{.State.Pid}}", web).stdout.split()
    target = strat.target()
    assert target["container"] == web
    assert target["container_id"] == inspect[0]
    assert target["pid"] == int(inspect[1])
    assert target["namespace"] is None and target["pod"] is None
    assert target["docker_host"] == lab.docker_host and target["node"]
    handle = strat.handle()
    assert handle["agent_pod"] is None and handle["debug_container"].startswith("kdebug-exec-" + web)


def test_pid_namespace_joined(lab, web):
    outcome = run(strategy(lab, web), command=["ps", "-eo", "args"])
    assert outcome.rc == 0
    assert "httpd -f -p 8080 -h /www" in outcome.stdout.text()


def test_chroot_reads_a_file_only_the_target_has(lab, web):
    strat = strategy(lab, web)
    inside = run(strat, command=["cat", "/www/index.html"], chroot=True)
    assert inside.rc == 0 and INDEX_HTML in inside.stdout.text()
    outside = run(strat, command=["cat", "/www/index.html"])  # the tools image has no /www
    assert outside.rc != 0 and "No such file" in outside.stderr.text()
    shell = run(strat, shell="cat /www/index.html | wc -c", chroot=True)  # the target's own sh
    assert shell.rc == 0 and int(shell.stdout.text()) == len(INDEX_HTML) + 1


def test_noshell_target(lab, targets):
    name = targets(lab.noshell_image, "serve", ":8080")
    strat = strategy(lab, name)
    wait_listening(strat, 8080)
    ps = run(strat, command=["ps", "-eo", "args"])
    assert "/demoapp serve :8080" in ps.stdout.text()
    seen = run(strat, command=["ls", "-l", "/proc/1/root/demoapp"])
    assert seen.rc == 0, seen.stderr.text()
    own = run(strat, command=["/demoapp", "no-such-mode"], chroot=True)  # the target's binary, in its root
    assert own.rc not in (0, None) and "usage: demoapp" in own.stderr.text()
    no_sh = run(strat, shell="true", chroot=True)  # no /bin/sh in that image: chroot says so, rc 127
    assert no_sh.rc == 127 and "sh" in no_sh.stderr.text()


def test_ipc_joined_only_when_the_target_is_shareable(lab, targets):
    shareable = targets(lab.busybox_image, "sleep", "3600", ipc="shareable")
    private = targets(lab.busybox_image, "sleep", "3600")
    argv = ["sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/1/ns/ipc"]

    strat = strategy(lab, shareable)
    assert strat.plan()["tools_container"]["ipc_mode"] == "container:" + strat.target()["container_id"]
    mine, theirs = run(strat, command=argv).stdout.text().split()
    assert mine == theirs and mine.startswith("ipc:[")

    strat = strategy(lab, private)
    plan = strat.plan()
    assert plan["tools_container"]["ipc_mode"] is None and "shareable" in plan["tools_container"]["ipc_reason"]
    outcome = run(strat, command=argv)
    assert outcome.rc == 0, outcome.stderr.text()
    mine, theirs = outcome.stdout.text().split()
    assert mine != theirs


# --- the command's streams, exit code, limits ---

def test_stdin_reaches_the_command(lab, web):
    strat = strategy(lab, web)
    assert run(strat, command=["cat"], stdin="hello\nkdebug\n").stdout.text() == "hello\nkdebug\n"
    assert run(strat, command=["cat"], stdin="").stdout.text() == ""
    big = "x" * (2 * 1024 * 1024)  # larger than any pipe buffer: written while output is read
    outcome = run(strat, command=["wc", "-c"], stdin=big, timeout=60)
    assert outcome.rc == 0 and int(outcome.stdout.text()) == len(big)


def test_no_stdin_means_eof(lab, web):
    outcome = run(strategy(lab, web), command=["cat"], timeout=20)
    assert outcome.rc == 0 and not outcome.timed_out and outcome.stdout.text() == ""


def test_env_reaches_the_command(lab, web):
    outcome = run(strategy(lab, web), command=["env"], env={"KDEBUG_A": "a b", "KDEBUG_B": "$(id);|"})
    lines = outcome.stdout.text().splitlines()
    assert "KDEBUG_A=a b" in lines and "KDEBUG_B=$(id);|" in lines


def test_nonzero_rc_and_separate_streams(lab, web):
    outcome = run(strategy(lab, web), shell="echo out; echo err >&2; exit 3")
    assert outcome.rc == 3 and outcome.error is None and not outcome.timed_out
    assert outcome.stdout.text() == "out\n"
    assert outcome.stderr.text() == "err\n"


def test_timeout_kills(lab, web):
    started = time.monotonic()
    outcome = run(strategy(lab, web), command=["sleep", "30"], timeout=2)
    took = time.monotonic() - started
    assert outcome.timed_out is True
    assert took < 10, "took %.1f s" % took
    assert outcome.elapsed >= 2


def test_timeout_after_output_closed(lab, web):
    # stdout/stderr closed early: the stream ends, but the command still runs until the deadline
    outcome = run(strategy(lab, web), shell="echo early; exec >&- 2>&-; sleep 30", timeout=2)
    assert outcome.timed_out is True and outcome.stdout.text() == "early\n"


def test_max_output_bytes_truncates(lab, web):
    outcome = run(strategy(lab, web), command=["seq", "100000"], max_output_bytes=100)
    assert outcome.rc == 0
    assert outcome.stdout.truncated is True
    assert len(outcome.stdout.text()) == 100 and outcome.stdout.text().startswith("1\n2\n3\n")


def test_argv_metacharacters_stay_literal(lab, web):
    outcome = run(strategy(lab, web), command=["echo", "$(id)", ";", "|", "`id`", "&&", "*"])
    assert outcome.stdout.text() == "$(id) ; | `id` && *\n"


def test_command_not_found_is_data(lab, web):
    outcome = run(strategy(lab, web), command=["no-such-program"])
    assert outcome.rc is None and "no-such-program" in outcome.error


def test_plan_reads_only(lab, web):
    before = lab.docker("ps", "-a", "-q").stdout.split()
    plan = strategy(lab, web).plan(ExecSpec(command=["ss", "-ltn"], chroot=True))
    assert lab.docker("ps", "-a", "-q").stdout.split() == before
    tools = plan["tools_container"]
    target_id = lab.docker("inspect", "-f", "{{.Id}}", web).stdout.strip()
    assert tools["network_mode"] == tools["pid_mode"] == "container:" + target_id
    assert tools["image"] == lab.tools_image and tools["labels"]["app.kubernetes.io/managed-by"] == "kdebug"
    assert tools["labels"]["kdebug.io/target"] == "docker/" + web
    assert plan["argv"] == ["chroot", "/proc/1/root", "ss", "-ltn"]
    assert plan["image_present"] is True and plan["would_pull"] is False


def test_tools_container_carries_the_labels_while_it_runs(lab, web):
    strat = strategy(lab, web)
    name = strat.handle()["debug_container"]
    # gone afterwards (the autouse fixture checks every test); here: is it labelled while it runs?
    seen = []
    thread = threading.Thread(target=lambda: seen.append(run(strat, command=["sleep", "3"])))
    thread.start()
    labels = None
    deadline = time.monotonic() + 10
    while labels is None and time.monotonic() < deadline:
        found = lab.docker("ps", "-q", "--filter", MANAGED, "--filter", "name=" + name).stdout.split()
        if found:
            labels = lab.docker("inspect", "-f", "{{json .Config.Labels}}", found[0]).stdout
        time.sleep(0.2)
    thread.join()
    assert seen and seen[0].rc == 0
    assert labels and '"kdebug.io/requested-by":"pytest"' in labels and '"kdebug.io/component":"exec"' in labels


def test_docker_host_from_the_environment(lab, web, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", lab.docker_host)
    strat = DockerStrategy(web, lab.tools_image, pull_policy="Never")
    assert run(strat, command=["true"]).rc == 0
    assert strat.target()["docker_host"] == lab.docker_host


# --- bad inputs ---

def test_missing_container(lab):
    name = "kdebug-it-missing-%s" % uuid.uuid4().hex[:6]
    with pytest.raises(KdebugError) as err:
        strategy(lab, name).run(ExecSpec(command=["true"]))
    assert "Docker container %s not found" % name in err.value.message and lab.docker_host in err.value.message


def test_stopped_container(lab, targets):
    name = targets(lab.busybox_image, "sh", "-c", "exit 4")
    lab.docker("wait", name)
    with pytest.raises(KdebugError) as err:
        strategy(lab, name).run(ExecSpec(command=["true"]))
    assert "%s on the engine at %s is not running (exited, exit code 4)" % (name, lab.docker_host) in err.value.message
    assert "start it" in err.value.message


def test_image_absent_with_never(lab, web):
    image = "kdebug.local/absent:0"
    for call in (lambda s: s.run(ExecSpec(command=["true"])), lambda s: s.plan(), lambda s: s.prepare()):
        with pytest.raises(KdebugError) as err:
            call(strategy(lab, web, image=image))
        assert image in err.value.message and lab.docker_host in err.value.message
        assert "load it with docker load" in err.value.message


def test_image_pull_fails(lab, web):
    image = "kdebug.invalid/absent:0"  # no registry is reachable from the lab
    with pytest.raises(KdebugError) as err:
        strategy(lab, web, image=image, pull_policy="IfNotPresent").prepare()
    assert "could not pull image %s" % image in err.value.message and "docker load" in err.value.message


def test_unreachable_engine(lab):
    host = "unix:///nonexistent/kdebug/docker.sock"
    with pytest.raises(KdebugError) as err:
        DockerStrategy("web", lab.tools_image, docker_host=host).run(ExecSpec(command=["true"]))
    assert "cannot reach the Docker engine at %s" % host in err.value.message
    assert "docker -H %s info" % host in err.value.message
