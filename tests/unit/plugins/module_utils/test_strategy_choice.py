from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiDenied, KdebugError, OptionError
from ansible_collections.kdebug.toolkit.plugins.module_utils.strategies.choose import (
    choose_strategy, when_mirror_pod, when_no_profile_admitted)


def allow_all(_right):
    return True


def allow_only(*rights):
    return lambda right: right[:2] in rights


def test_requested_strategy_wins():
    assert choose_strategy("agent", True, allow_all, "ns", "kdebug-system") == ("agent", "requested")
    assert choose_strategy("docker", False, allow_only(), "ns", "kdebug-system") == ("docker", "requested")


def test_auto_prefers_ephemeral_when_served_and_allowed():
    name, reason = choose_strategy("auto", True, allow_all, "ns", "kdebug-system")
    assert name == "ephemeral" and "pods/ephemeralcontainers" in reason


def test_auto_falls_back_to_agent_when_not_served():
    name, reason = choose_strategy("auto", False, allow_all, "ns", "kdebug-system")
    assert name == "agent" and "does not serve" in reason


def test_auto_falls_back_to_agent_when_patch_is_forbidden():
    def allowed(right):
        return right != ("patch", "pods/ephemeralcontainers", "ns")

    name, reason = choose_strategy("auto", True, allowed, "ns", "kdebug-system")
    assert name == "agent" and "patch pods/ephemeralcontainers in namespace ns" in reason


def test_auto_fails_naming_the_missing_rights():
    with pytest.raises(KdebugError) as err:
        choose_strategy("auto", True, allow_only(("get", "pods")), "ns", "kdebug-system")
    assert "patch pods/ephemeralcontainers in namespace ns" in err.value.message
    assert "create pods in namespace kdebug-system" in err.value.message
    assert "get nodes cluster-wide" in err.value.message
    assert err.value.denied_by == "rbac" and err.value.denial["missing"]["ephemeral"]


def test_unknown_strategy():
    with pytest.raises(KdebugError):
        choose_strategy("magic", True, allow_all, "ns", "kdebug-system")


def test_auto_takes_the_agent_when_the_pod_can_take_no_more_debug_containers():
    spent = "pod ns/p already carries 50 ended kdebug ephemeral containers (the budget is 50)"
    name, reason = choose_strategy("auto", True, allow_all, "ns", "kdebug-system", ephemeral_unusable=spent)
    assert name == "agent" and reason.startswith(spent)
    with pytest.raises(KdebugError) as err:
        choose_strategy("auto", True, allow_only(("patch", "pods/ephemeralcontainers"), ("get", "pods"),
                                                 ("create", "pods/exec")), "ns", "kdebug-system",
                        ephemeral_unusable=spent)
    assert spent in err.value.message


REFUSED = "PodSecurity admits no debug container profile in namespace ns"
MIRROR = ("pod kdebug-demo/static-web-w1 is the mirror of a static pod (a manifest the kubelet of node w1 runs), and "
          "the API refuses ephemeral containers on mirror pods")


@pytest.mark.parametrize("when, why", [(when_no_profile_admitted, REFUSED), (when_mirror_pod, MIRROR)])
def test_auto_turns_to_the_agent_when_ephemeral_cannot_serve_and_the_caller_may_run_it(when, why):
    """No profile admitted, or a static pod's mirror: the agent, saying why in the same words."""
    name, reason = when("auto", allow_all, "ns", "kdebug-system", why)
    assert name == "agent"
    assert reason == why + ", so the node agent in namespace kdebug-system, which the caller may run"


@pytest.mark.parametrize("when, why, denied_by, then", [
    (when_no_profile_admitted, REFUSED, "pod_security", ". The node agent is no way out either: the caller may not "),
    (when_mirror_pod, MIRROR, "rbac", ". The node agent is the way in, but the caller may not "),
])
def test_without_agent_rights_auto_fails_naming_why_and_the_missing_right(when, why, denied_by, then):
    def allowed(right):
        return right != ("create", "pods/exec", "kdebug-system")

    with pytest.raises(ApiDenied) as caught:
        when("auto", allowed, "ns", "kdebug-system", why)
    assert caught.value.denied_by == denied_by
    assert str(caught.value).startswith(why + then + "create pods/exec in namespace kdebug-system")


def test_an_explicit_ephemeral_strategy_never_turns_to_the_agent():
    with pytest.raises(ApiDenied) as caught:
        when_no_profile_admitted("ephemeral", allow_all, "ns", "kdebug-system", REFUSED)
    assert "Use strategy agent" in str(caught.value)
    assert caught.value.result()["denial"] == {"namespace": "ns", "admitted_profile": None}


def test_strategy_ephemeral_on_a_mirror_pod_is_an_option_error_with_the_fix():
    with pytest.raises(OptionError) as caught:
        when_mirror_pod("ephemeral", allow_all, "kdebug-demo", "kdebug-system", MIRROR)
    message = str(caught.value)
    assert message.startswith(MIRROR + ". Nothing was changed. Use strategy agent (or auto")
    assert caught.value.result()["error_class"] == "option"
