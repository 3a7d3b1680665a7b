# -*- coding: utf-8 -*-
"""The pure parts of a kdebug_exec batch (``targets``): the per-target argv template, the driver, its framed
output, the results. The driver script also runs for real in a local shell (as root, with nsenter)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import io
import os
import shutil
import subprocess
import tarfile

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import results
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, KdebugError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.base import ExecSpec
from ansible_collections.kdebug.toolkit.plugins.module_utils.transforms import agent, batch

# What a user may put in an argv or an env value: every one must reach the command unchanged.
HOSTILE = ["plain", "two words", "it's", 'say "hi"', "$HOME", "$(touch /tmp/kdebug-pwned)", "`id`", "a;b|c&d",
           "*", "~", "back\\slash", "new\nline", "tab\there", "", " ", "-n", "--", "'", '"', "${IFS}", "é ü 中",
           "@kdebug-pid-0@", "@kdebug-root-0@", '"$pid"', "$root", "'\"$pid\"'"]


def eval_words(words, pid=42, root="/proc/42/root"):
    """The argv sh gets from ``eval "set -- WORDS"`` with the driver's variables set (one element per line,
    NUL-separated so newlines inside survive)."""
    script = 'pid=$1; root=$2; eval "set -- $3"; for a do printf "%s\\0" "$a"; done'
    out = subprocess.run(["sh", "-c", script, "sh", str(pid), root, words], capture_output=True, check=True).stdout
    return out.decode("utf-8").split("\0")[:-1]


def test_shell_words_quote_every_element():
    assert eval_words(batch.shell_words(HOSTILE)) == HOSTILE


@pytest.mark.parametrize("namespaces", [["net", "uts"], ["net", "uts", "ipc", "pid"], ["net", "mnt", "pid"]])
@pytest.mark.parametrize("chroot", [False, True])
def test_the_template_is_the_agent_strategys_argv_for_each_target(namespaces, chroot):
    """Argv and env with hostile strings: eval'd by sh, exactly what the agent strategy runs for one target."""
    spec = ExecSpec(command=["printf", "%s\\n"] + HOSTILE, env={"GREETING": "a; b $(c) 'd'", "EMPTY": ""},
                    timeout=30, chroot=chroot)
    template = batch.command_template(spec, namespaces)
    for pid, root in ((42, "/proc/42/root"), (7, "/proc/1/root")):
        assert eval_words(template, pid, root) == agent.target_argv(spec, pid, root, namespaces)


def test_a_shell_command_is_one_word_and_the_placeholders_never_match_the_users_strings():
    shell = 'echo "@kdebug-pid-0@ @kdebug-root-0@ $pid $root"; exit 3'
    spec = ExecSpec(shell=shell, env={"X": "@kdebug-pid-1@"}, timeout=5)
    template = batch.command_template(spec, ["net"])
    argv = eval_words(template, 9, "/proc/9/root")
    assert argv == agent.target_argv(spec, 9, "/proc/9/root", ["net"])
    assert argv[-3:] == ["sh", "-c", shell] and not any("@kdebug-pid-1@" in a for a in argv)  # env: on stdin
    assert "--target" in argv and argv[argv.index("--target") + 1] == "9"


def test_driver_argv_is_argv_never_one_shell_string():
    argv = batch.driver_argv("true", [(101, "/proc/101/root"), (202, "/proc/1/root")], 4096)
    assert argv[:4] == ["sh", "-c", batch.DRIVER_SCRIPT, "kdebug-batch"]
    assert argv[4:] == ["4096", "0", str(batch.MAX_PARALLEL_PER_NODE), "true", "101", "/proc/101/root", "202",
                        "/proc/1/root"]
    assert batch.driver_argv("true", [], 10, parallel=3)[6] == "3"
    assert batch.driver_argv("true", [], 10, stdin=True)[5] == "1"
    with pytest.raises(ValueError):
        batch.driver_argv("true", [("1; reboot", "/")], 10)  # a pid is a number


def test_normalize_targets_fills_namespace_and_container_from_the_module():
    got = batch.normalize_targets([{"pod": "a"}, {"pod": "b", "namespace": "n", "container": "c", "host": "h"}],
                                  "shop", None)
    assert got == [{"pod": "a", "namespace": "shop", "container": None, "node": None, "host": None},
                   {"pod": "b", "namespace": "n", "container": "c", "node": None, "host": "h"}]
    assert batch.normalize_targets([{"pod": "a", "container": ""}], "default", "app")[0]["container"] == "app"


def test_normalize_targets_takes_nodes_and_refuses_an_entry_that_is_neither_or_both():
    got = batch.normalize_targets([{"node": "n1", "host": "h"}, {"pod": "a"}], "shop", "app")
    assert got[0] == {"pod": None, "namespace": None, "container": None, "node": "n1", "host": "h"}
    assert got[1]["pod"] == "a" and got[1]["node"] is None
    for bad, words in (({"host": "h"}, "targets item 1 (host=h) needs exactly one of pod"),
                       ({"pod": "a", "node": "n1"}, "needs exactly one of pod"),
                       ({"node": "n1", "namespace": "x"}, "targets item 1 is node n1: namespace and container"),
                       ({"node": "Bad/Node"}, "targets item 1 node 'Bad/Node' is not a valid node name")):
        with pytest.raises(OptionError) as err:
            batch.normalize_targets([bad], "default", None)
        assert words in err.value.message


def test_a_node_target_that_cannot_be_read_has_a_node_block():
    result = batch.error_result({"node": "n1", "host": "h"}, "node n1 not found")
    assert result["target"] == {"namespace": None, "pod": None, "container": None, "container_id": None,
                                "node": "n1", "pid": None, "network": "node", "dns_policy": None}
    assert result["failed"] and result["host"] == "h"


def archive(files, cut=None):
    """The driver's output for ``files`` ({name: bytes}, in that order): a gzipped tar in base64, wrapped as
    base64(1) wraps it; ``cut``: only that many bytes of the gzip stream (a stream broken on the way)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = raw.getvalue()[:cut]
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76)) + "\n"


def plain(found):
    return None if found is None else {"rc": found["rc"], "stdout": found["stdout"].text(),
                                       "stderr": found["stderr"].text(),
                                       "truncated": found["stdout"].truncated or found["stderr"].truncated}


def test_parse_driver_output_gives_each_target_its_own_files():
    text = archive({"2.out": b"0123456", "2.err": b"oops", "2.rc": b"rc=3 start=1.00 end=2.00\n",
                    "1.out": b"hello\n", "1.err": b"", "1.rc": b"rc=0 start=1.00 end=1.50\n"})
    first, second, third = [plain(f) for f in batch.parse_driver_output(text, 3, max_output_bytes=6)]
    assert first == {"rc": 0, "stdout": "hello\n", "stderr": "", "truncated": False}
    assert second == {"rc": 3, "stdout": "012345", "stderr": "oops", "truncated": True}
    assert third is None  # no exit line for it: the caller reports an error for that target


def test_parse_driver_output_reads_each_targets_own_time():
    timed, untimed = batch.parse_driver_output(
        archive({"1.rc": b"rc=137 start=100.25 end=102.75\n", "2.rc": b"rc=0 start= end=\n"}), 2, 10)
    assert timed["seconds"] == 2.5 and untimed["seconds"] is None
    assert timed["stdout"].text() == "" and timed["rc"] == 137


def test_parse_driver_output_reads_exactly_max_bytes_as_whole():
    # The driver sends MAX_BYTES + 1 bytes of a longer output: exactly MAX_BYTES is not a cut.
    whole = batch.parse_driver_output(archive({"1.out": b"abcdef", "1.rc": b"rc=0"}), 1, max_output_bytes=6)[0]
    assert plain(whole) == {"rc": 0, "stdout": "abcdef", "stderr": "", "truncated": False}


def test_parse_driver_output_keeps_what_came_before_a_cut_and_survives_garbage():
    files = {"1.out": b"first\n", "1.rc": b"rc=0", "2.out": os.urandom(20000), "2.rc": b"rc=0"}
    full = archive(files)
    cut = batch.parse_driver_output(archive(files, cut=len(base64.b64decode(full)) - 2000), 2, 30000)
    assert plain(cut[0])["stdout"] == "first\n" and cut[1] is None
    assert batch.parse_driver_output("noise\n!!notbase64\n", 1, 10) == [None]
    assert batch.parse_driver_output(base64.b64encode(b"not gzip").decode(), 1, 10) == [None]
    assert batch.parse_driver_output("", 2, 10) == [None, None]
    odd = batch.parse_driver_output(archive({"1.rc": b"rc= start=x", "9.rc": b"rc=1", "x.rc": b"rc=1"}), 1, 10)
    assert plain(odd[0]) == {"rc": None, "stdout": "", "stderr": "", "truncated": False}


def test_the_output_budget_holds_every_target_at_its_limit():
    files = {}
    for number in range(1, 6):
        files.update({"%d.out" % number: os.urandom(101), "%d.err" % number: os.urandom(101),
                      "%d.rc" % number: b"rc=0 start=12345.67 end=12346.78\n"})
    assert len(archive(files)) <= batch.output_budget(5, 100)


SINGLE_KEYS = set(results.exec_result(0, results.BoundedOutput(), results.BoundedOutput(), 0, "agent", "", {}))
TARGET = {"pod": "web", "namespace": "shop", "container": None, "host": "shop_web"}


def frame(rc, seconds=None, stdout=b""):
    out = results.BoundedOutput()
    out.write(stdout)
    return {"rc": rc, "seconds": seconds, "stdout": out, "stderr": results.BoundedOutput()}


def test_a_target_result_has_the_keys_of_a_single_result_plus_host():
    outcome = batch.frame_outcome(frame(124, stdout=b"a\nb\n"), 10.0, 10, "n1", "")
    got = batch.target_result(TARGET, outcome, 12.5, {"pod": "web", "node": "n1", "pid": 7},
                              {"node": "n1", "created": True}, True)
    assert set(got) == SINGLE_KEYS | {"host", "failed"}
    assert got["rc"] == 124 and got["timed_out"] is True and got["duration_ms"] == 12500
    assert got["stdout_lines"] == ["a", "b"] and got["host"] == "shop_web" and got["changed"] is True
    early = batch.target_result(TARGET, batch.frame_outcome(frame(124), 1.0, 10, "n1", ""), 12.5, {}, None, False)
    assert early["timed_out"] is False  # 124 of its own, long before the deadline


def test_a_targets_own_time_says_whether_it_was_stopped_at_the_timeout():
    # The driver ran 10 s (another target of the node ran to the deadline); this one was killed at 1 s: it may be
    # lost, it was not timed out.
    killed = batch.frame_outcome(frame(137, seconds=1.0), 10.0, 10, "n1", "")
    assert killed.timed_out is False and killed.may_be_lost()
    assert batch.frame_outcome(frame(137, seconds=10.0), 10.0, 10, "n1", "").timed_out is True
    assert batch.frame_outcome(frame(137), 10.0, 10, "n1", "").timed_out is True  # no time framed: the driver's


def test_a_lost_target_is_the_single_targets_failure():
    lost = batch.frame_outcome(frame(137, seconds=2.0, stdout=b"so far\n"), 20.0, 60, "n1", "")
    lost.lose("target_pod", "the target pod shop/web was deleted while the command ran")
    got = batch.target_result(TARGET, lost, 21.0, {"pod": "web", "node": "n1", "pid": 7}, {"node": "n1"}, False)
    single = results.outcome_failure(lost)
    assert single["error_class"] == "lost" and single["lost"] == "target_pod"
    assert {k: got[k] for k in single} == single and got["rc"] is None and got["stdout"] == "so far\n"
    assert "the target pod shop/web was deleted" in got["msg"]


def test_a_target_the_driver_never_framed_has_no_exit_code_and_says_how_the_driver_ended():
    outcome = batch.frame_outcome(None, 3.0, 60, "n1", "the exec stream broke before the command ended: EOF ")
    assert outcome.rc is None and outcome.may_be_lost()
    got = batch.target_result(TARGET, outcome, 4.0, {"pod": "web", "node": "n1", "pid": 7}, None, False)
    assert got["failed"] is True and got["error_class"] == "no_exit_code"
    assert "the agent exec on node n1 ended without this target's result: the exec stream broke" in got["msg"]
    outcome.lose("agent_pod", "the agent pod kdebug/kdebug-agent-n1 of node n1 went away while the command ran")
    got = batch.target_result(TARGET, outcome, 4.0, {"pod": "web", "node": "n1", "pid": 7}, None, False)
    assert got["error_class"] == "lost" and got["lost"] == "agent_pod" and "kdebug-agent-n1 of node n1" in got["msg"]


def test_an_error_result_names_why_and_keeps_the_error_class():
    denied = ApiDenied("pods is forbidden", "rbac", {"verb": "list"}, status=403)
    got = batch.error_result(TARGET, "pods is forbidden", denied)
    assert set(got) >= SINGLE_KEYS | {"host", "failed", "msg", "error_class"}
    assert got["failed"] is True and got["rc"] is None and got["error_class"] == "denied"
    assert got["denied_by"] == "rbac" and got["host"] == "shop_web"
    assert got["target"] == {"namespace": "shop", "pod": "web", "container": None, "container_id": None,
                             "node": None, "pid": None}
    plain_error = batch.error_result(TARGET, "no process", KdebugError("no process"), {"pod": "web", "node": "n"})
    assert plain_error["error_class"] == "error" and plain_error["target"]["node"] == "n"


def test_a_plan_result_is_a_single_check_mode_result_plus_host():
    plan = {"agent_pod": "kdebug-agent-n1", "node": "n1", "would_create": True, "argv": ["timeout"]}
    got = batch.plan_result(TARGET, plan, {"pod": "web", "node": "n1"})
    assert got == dict(results.plan_result(plan, "agent", batch.STRATEGY_REASON, {"pod": "web", "node": "n1"}),
                       host="shop_web", failed=False)


def test_the_summary_counts_ran_failed_planned_and_the_agents_created():
    ran = {"rc": 0, "target": {"node": "n1"}, "agent_pod": {"node": "n1", "created": True}}
    kept = {"rc": 1, "target": {"node": "n2"}, "agent_pod": {"node": "n2", "created": False}}
    failed = {"failed": True, "target": {"node": None}}
    assert batch.batch_summary([ran, kept, failed]) == {
        "targets": 3, "ran": 2, "failed": 1, "planned": 0, "nodes": ["n1", "n2"], "agents_created": ["n1"]}
    planned = {"plan": {"would_create": True}, "target": {"node": "n3"}}
    assert batch.batch_summary([planned])["planned"] == 1 and batch.batch_summary([planned])["ran"] == 0
    assert batch.batch_summary([planned])["agents_created"] == ["n3"]
    assert batch.batch_summary([]) == {"targets": 0, "ran": 0, "failed": 0, "planned": 0, "nodes": [],
                                       "agents_created": []}


NEEDS_NSENTER = pytest.mark.skipif(not shutil.which("nsenter") or os.geteuid() != 0, reason="needs root and nsenter")


def run_driver(spec, pids, namespaces=("net",), max_output_bytes=1000, stdin=None):
    """The real driver script in a real shell, aimed at local pids: the frames, parsed."""
    targets = [(pid, agent.root_path(pid)) for pid in pids]
    argv = spec.outer_argv(batch.driver_argv(batch.command_template(spec, list(namespaces)), targets,
                                             max_output_bytes, stdin is not None))
    data = spec.stdin_data(stdin)
    out = subprocess.run(argv, capture_output=True, timeout=30, check=True,
                         input=data.encode() if isinstance(data, str) else data).stdout.decode()
    return [plain(f) for f in batch.parse_driver_output(out, len(targets), max_output_bytes)]


@NEEDS_NSENTER
def test_the_driver_script_runs_every_target_and_frames_its_output():
    me = os.getpid()
    spec = ExecSpec(shell='echo "root=$KDEBUG_TARGET_ROOT $X"; echo err >&2; exit 4', env={"X": "x y"}, timeout=10)
    for got in run_driver(spec, [me, me]):
        assert got == {"rc": 4, "stdout": "root=/proc/%d/root x y\n" % me, "stderr": "err\n", "truncated": False}


@NEEDS_NSENTER
def test_the_driver_runs_an_argv_with_hostile_strings_as_given():
    me = os.getpid()
    argv = [a for a in HOSTILE if "\n" not in a]
    got = run_driver(ExecSpec(command=["printf", "[%s]\\n"] + argv, timeout=10), [me])[0]
    assert got["rc"] == 0 and got["stdout"] == "".join("[%s]\n" % a for a in argv)
    assert not os.path.exists("/tmp/kdebug-pwned")


@NEEDS_NSENTER
def test_the_driver_gives_stdin_to_every_target():
    me = os.getpid()
    for got in run_driver(ExecSpec(command=["cat"], timeout=10, stdin="one\ntwo\n"), [me, me], stdin="one\ntwo\n"):
        assert got == {"rc": 0, "stdout": "one\ntwo\n", "stderr": "", "truncated": False}
    assert run_driver(ExecSpec(command=["cat"], timeout=10), [me])[0]["stdout"] == ""  # no stdin: empty, no wait


@NEEDS_NSENTER
@pytest.mark.parametrize("printed, truncated", [(100, False), (101, True), (5000, True)])
def test_the_driver_script_cuts_output_at_max_bytes(printed, truncated):
    """Outputs longer than one base64 line, at and around the limit, through the real script."""
    got = run_driver(ExecSpec(shell="yes x | head -c %d" % printed, timeout=10), [os.getpid()], max_output_bytes=100)
    assert got[0] == {"rc": 0, "stdout": ("x\n" * printed)[:min(printed, 100)], "stderr": "", "truncated": truncated}


@NEEDS_NSENTER
def test_the_driver_stops_a_target_at_its_timeout():
    got = run_driver(ExecSpec(command=["sleep", "30"], timeout=1), [os.getpid()])[0]
    assert got["rc"] in results.TIMEOUT_EXIT_CODES


@NEEDS_NSENTER
def test_the_driver_times_each_target_on_its_own():
    spec = ExecSpec(command=["sleep", "1"], timeout=10)
    argv = batch.driver_argv(batch.command_template(spec, ["net"]), [(os.getpid(), "/")], 100)
    out = subprocess.run(argv, capture_output=True, timeout=30, check=True).stdout.decode()
    assert 0.9 <= batch.parse_driver_output(out, 1, 100)[0]["seconds"] < 5


def test_the_driver_runs_at_most_parallel_targets_at_once(tmp_path):
    """Six targets whose command notes itself in a directory, waits, and leaves: never more than two at once, and
    every one frames its result (the driver's FIFO of slots, run by a real sh)."""
    seen = tmp_path / "running"
    seen.mkdir()
    template = ("sh -c 'touch %s/$0; ls %s | wc -l >>%s/counts; sleep 0.2; rm %s/$0' \"$pid\""
                % (seen, seen, tmp_path, seen))
    argv = batch.driver_argv(template, [(pid, "/") for pid in range(1, 7)], 100, parallel=2)
    out = subprocess.run(argv, capture_output=True, timeout=30, check=True).stdout.decode()
    frames = batch.parse_driver_output(out, 6, 100)
    assert [frame["rc"] for frame in frames] == [0] * 6
    counts = [int(line) for line in (tmp_path / "counts").read_text().split()]
    assert len(counts) == 6 and max(counts) <= 2


def test_node_progress_counts_what_ran_what_exited_non_zero_and_what_could_not_run():
    line = batch.node_progress("node-a", [{"rc": 0, "failed": False}, {"rc": 1, "failed": False},
                                          {"failed": True, "msg": "no process"}], 3.21, 2, 5)
    assert line == ("node node-a done (2/5 nodes) in 3.2 s: 3 targets, 2 ran, 1 exited non-zero, "
                    "1 could not run")
    assert batch.node_progress("n", [{"rc": 0, "failed": False}], 0.04, 1, 1) == (
        "node n done (1/1 nodes) in 0.0 s: 1 target, 1 ran, 0 exited non-zero, 0 could not run")


@NEEDS_NSENTER
def test_the_driver_gets_env_on_stdin_and_every_target_its_own_stdin():
    me = os.getpid()
    spec = ExecSpec(shell='printf "%s|" "$X"; cat', env={"X": "s3cret value"}, timeout=10, stdin="in\n")
    for got in run_driver(spec, [me, me], stdin="in\n"):
        assert got["stdout"] == "s3cret value|in\n"


@NEEDS_NSENTER
def test_each_target_gets_a_scratch_directory_of_its_own_removed_with_the_driver(tmp_path):
    me = os.getpid()
    spec = ExecSpec(shell='test -d "$KDEBUG_SCRATCH" && ls -A "$KDEBUG_SCRATCH" | wc -l && touch "$KDEBUG_SCRATCH/x" '
                          '&& echo "$KDEBUG_SCRATCH"', timeout=10)
    argv = batch.driver_argv(batch.command_template(spec, ["net"]), [(me, "/"), (me, "/"), (me, "/")], 1000)
    out = subprocess.run(argv, capture_output=True, timeout=30, check=True,
                         env=dict(os.environ, TMPDIR=str(tmp_path))).stdout.decode()
    seen = [plain(frame)["stdout"].split() for frame in batch.parse_driver_output(out, 3, 1000)]
    assert [count for count, _dir in seen] == ["0", "0", "0"]  # each one empty when its command starts
    assert len(set(path for _count, path in seen)) == 3 and all(p.startswith(str(tmp_path)) for _c, p in seen)
    assert list(tmp_path.iterdir()) == []  # removed with the driver's directory
