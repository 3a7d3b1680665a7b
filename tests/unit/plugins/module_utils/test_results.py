from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import results


@pytest.mark.parametrize("status, expected", [
    ({"metadata": {}, "status": "Success"}, (0, None)),
    ({"status": "Failure", "reason": "NonZeroExitCode", "message": "command terminated with non-zero exit code",
      "details": {"causes": [{"reason": "ExitCode", "message": "2"}]}}, (2, None)),
    ({"status": "Failure", "reason": "NonZeroExitCode", "message": "exit 3", "details": {}}, (None, "exit 3")),
    ({"status": "Failure", "message": "exec: \"nope\": executable file not found in $PATH"},
     (None, "exec: \"nope\": executable file not found in $PATH")),
    ({"status": "Failure", "details": {"causes": [{"reason": "ExitCode", "message": "x"}]}}, (None, "exec failed without a message")),
    ({"status": "Failure", "details": {"causes": None}, "reason": "InternalError"}, (None, "InternalError")),
    ({}, (None, "the exec stream closed without a status")),
    (None, (None, "the exec stream closed without a status")),
])
def test_exit_code_from_status_never_raises(status, expected):
    assert results.exit_code_from_status(status) == expected


def test_bounded_output_cuts_at_the_limit():
    out = results.BoundedOutput(limit=5)
    out.write(b"abc")
    out.write("def")
    out.write(b"ghi")
    assert out.text() == "abcde"
    assert out.truncated
    unbounded = results.BoundedOutput()
    unbounded.write(b"x" * 10000)
    assert len(unbounded.text()) == 10000 and not unbounded.truncated


def test_exec_result_shape():
    out, err = results.BoundedOutput(), results.BoundedOutput()
    out.write(b"a\nb\n")
    err.write(b"warn\n")
    res = results.exec_result(1, out, err, 12.7, "ephemeral", "served", {"pod": "p"})
    assert res["rc"] == 1 and res["stdout_lines"] == ["a", "b"] and res["stderr_lines"] == ["warn"]
    assert res["duration_ms"] == 12 and res["truncated"] is False and res["timed_out"] is False
    assert set(res) >= {"rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "timed_out", "truncated",
                        "duration_ms", "strategy", "strategy_reason", "debug_container", "target"}


def test_was_timed_out():
    assert results.was_timed_out(124, 5.0, 5)
    assert results.was_timed_out(137, 5.2, 5)
    assert not results.was_timed_out(124, 1.0, 5)
    assert not results.was_timed_out(0, 9.0, 5)
    assert not results.was_timed_out(124, 9.0, None)


def test_with_timeout():
    assert results.with_timeout(["ls"], 30) == ["timeout", "-k", "2", "30", "ls"]
    assert results.with_timeout(["ls"], None) == ["ls"]


def test_plan_result_is_an_exec_result_that_ran_nothing():
    res = results.plan_result({"would_create": True, "argv": ["ls"]}, "agent", "requested", {"pod": "p"})
    assert res["changed"] is True and res["plan"]["argv"] == ["ls"] and "rc" not in res
    assert res["stdout_lines"] == [] and res["msg"].startswith("check mode")
    assert results.plan_result({"would_create": False}, "agent", "requested", {})["changed"] is False


def test_life_needed_asks_no_more_than_a_new_one_would_have():
    assert results.life_needed(60, 3600) == 60 + results.REUSE_MARGIN_SECONDS
    assert results.life_needed(None, 3600) == results.REUSE_MARGIN_SECONDS
    # A TTL under timeout + margin: any live one will do, or every call would add a new one.
    assert results.life_needed(60, 60) == 0
    assert results.ttl_warning(60, 3600, "agent") is None
    assert "ttl_seconds (60s) is shorter than the timeout (60s)" in results.ttl_warning(60, 60, "agent")
    assert results.ttl_warning(None, 10, "agent") is None
