# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kdebug.toolkit.plugins.doc_fragments.auth import ModuleDocFragment
from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ConfigError, MissingLibrary
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube import auth as kube_auth
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.auth import (
    AUTH_ARG_SPEC,
    auth_argument_spec,
    choose_auth_source,
    configuration_overrides,
    api_client,
    impersonation_headers,
)

AWX_ENV = {
    "K8S_AUTH_HOST": "https://api.awx.example:6443",
    "K8S_AUTH_API_KEY": "awx-token",
    "K8S_AUTH_VERIFY_SSL": "False",
    "K8S_AUTH_SSL_CA_CERT": "/runner/env/ca.crt",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No K8S_AUTH_*, KUBECONFIG or real ~/.kube/config leaks into a test."""
    for name in list(os.environ):
        if name.startswith("K8S_AUTH_") or name in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def validated(params=None):
    """Run params through the real argument spec, env fallbacks included, like AnsibleModule."""
    result = ArgumentSpecValidator(auth_argument_spec()).validate(dict(params or {}))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def write_kubeconfig(path, contexts):
    """A kubeconfig with one cluster/user/context per (name, server, token)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": contexts[0][0],
    }
    for name, server, token in contexts:
        doc["clusters"].append({"name": name, "cluster": {"server": server, "insecure-skip-tls-verify": True}})
        doc["users"].append({"name": name, "user": {"token": token}})
        doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return doc


# --- argument spec ------------------------------------------------------------


def test_auth_argument_spec_returns_independent_deep_copies():
    first = auth_argument_spec()
    second = auth_argument_spec()
    assert first == AUTH_ARG_SPEC
    assert first is not second
    first["validate_certs"]["aliases"].append("insecure")
    first["proxy_headers"]["options"]["user_agent"]["type"] = "int"
    first["namespace"] = dict(type="str")
    assert second["validate_certs"]["aliases"] == ["verify_ssl"]
    assert AUTH_ARG_SPEC["validate_certs"]["aliases"] == ["verify_ssl"]
    assert AUTH_ARG_SPEC["proxy_headers"]["options"]["user_agent"]["type"] == "str"
    assert "namespace" not in AUTH_ARG_SPEC


@pytest.mark.parametrize("name", ["api_key", "password"])
def test_secrets_are_no_log(name):
    assert AUTH_ARG_SPEC[name].get("no_log") is True


@pytest.mark.parametrize("name", ["proxy_basic_auth", "basic_auth"])
def test_proxy_header_secrets_are_no_log(name):
    assert AUTH_ARG_SPEC["proxy_headers"]["options"][name].get("no_log") is True


@pytest.mark.parametrize("name", ["kubeconfig", "context", "host", "username", "ca_cert", "client_cert", "client_key", "proxy"])
def test_non_secrets_are_not_hidden(name):
    assert not AUTH_ARG_SPEC[name].get("no_log")


def test_secret_values_are_collected_for_masking(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_API_KEY", "env-secret-token")
    result = ArgumentSpecValidator(auth_argument_spec()).validate({"password": "pw-secret"})
    assert {"env-secret-token", "pw-secret"} <= set(result._no_log_values)


@pytest.mark.parametrize(
    "option, env, aliases",
    [
        ("kubeconfig", "K8S_AUTH_KUBECONFIG", []),
        ("context", "K8S_AUTH_CONTEXT", []),
        ("host", "K8S_AUTH_HOST", []),
        ("api_key", "K8S_AUTH_API_KEY", []),
        ("username", "K8S_AUTH_USERNAME", []),
        ("password", "K8S_AUTH_PASSWORD", []),
        ("validate_certs", "K8S_AUTH_VERIFY_SSL", ["verify_ssl"]),
        ("ca_cert", "K8S_AUTH_SSL_CA_CERT", ["ssl_ca_cert"]),
        ("client_cert", "K8S_AUTH_CERT_FILE", ["cert_file"]),
        ("client_key", "K8S_AUTH_KEY_FILE", ["key_file"]),
        ("proxy", "K8S_AUTH_PROXY", []),
        ("no_proxy", "K8S_AUTH_NO_PROXY", []),
        ("impersonate_user", "K8S_AUTH_IMPERSONATE_USER", []),
    ],
)
def test_kubernetes_core_names_and_env_fallbacks(option, env, aliases):
    spec = AUTH_ARG_SPEC[option]
    assert spec.get("aliases", []) == aliases
    assert spec["fallback"][1][0] == env


def test_doc_fragment_matches_argument_spec():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(doc) == set(AUTH_ARG_SPEC)
    for name, spec in AUTH_ARG_SPEC.items():
        assert doc[name].get("type", "str") == spec.get("type", "str"), name
        assert sorted(doc[name].get("aliases", [])) == sorted(spec.get("aliases", [])), name
        assert doc[name].get("elements") == spec.get("elements"), name
        if "fallback" in spec:
            assert "E({0})".format(spec["fallback"][1][0]) in " ".join(doc[name]["description"]), name
    assert set(doc["proxy_headers"]["suboptions"]) == set(AUTH_ARG_SPEC["proxy_headers"]["options"])


# --- precedence -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params, incluster, default_kc, expected",
    [
        # explicit credentials win over everything
        ({"host": "https://h", "api_key": "t"}, True, True, "params"),
        ({"host": "https://h", "username": "u", "password": "p"}, True, True, "params"),
        ({"host": "https://h", "client_cert": "/c", "client_key": "/k"}, True, True, "params"),
        # host + credentials even beat an explicit kubeconfig (kubernetes.core order)
        ({"host": "https://h", "api_key": "t", "kubeconfig": "/kc"}, False, False, "params"),
        # kubeconfig / context beat in-cluster and the default file
        ({"kubeconfig": "/kc"}, True, True, "kubeconfig"),
        ({"kubeconfig": {"apiVersion": "v1"}}, True, True, "kubeconfig"),
        ({"context": "lab"}, True, True, "kubeconfig"),
        # host without credentials is only an override: kubeconfig still supplies them
        ({"host": "https://h", "kubeconfig": "/kc"}, True, True, "kubeconfig"),
        ({"host": "https://h"}, True, True, "incluster"),
        ({"api_key": "t"}, False, True, "default_kubeconfig"),
        # in-cluster before ~/.kube/config
        ({}, True, True, "incluster"),
        ({}, True, False, "incluster"),
        ({}, False, True, "default_kubeconfig"),
        # half a basic / client-cert credential is not a credential
        ({"host": "https://h", "username": "u"}, False, True, "default_kubeconfig"),
        ({"host": "https://h", "client_cert": "/c"}, False, True, "default_kubeconfig"),
        # empty strings count as unset
        ({"host": "", "api_key": "", "kubeconfig": ""}, False, True, "default_kubeconfig"),
    ],
)
def test_choose_auth_source_precedence(params, incluster, default_kc, expected):
    full = validated(params)
    assert choose_auth_source(full, incluster, default_kc) == expected


def test_nothing_available_is_a_clear_error():
    with pytest.raises(ConfigError) as err:
        choose_auth_source(validated(), incluster_available=False, default_kubeconfig_exists=False)
    msg = str(err.value)
    assert msg.startswith("no Kubernetes credentials found")
    for hint in ("kubeconfig", "K8S_AUTH_KUBECONFIG", "host+api_key", "pod"):
        assert hint in msg


def test_host_without_credentials_and_nowhere_else_names_the_host():
    with pytest.raises(ConfigError, match=r"host https://h:6443 is set but no credentials"):
        choose_auth_source(validated({"host": "https://h:6443"}), False, False)


def test_token_without_host_and_nowhere_else_says_to_set_host():
    with pytest.raises(ConfigError, match=r"api_key given but host is not.*K8S_AUTH_HOST"):
        choose_auth_source(validated({"api_key": "t"}), False, False)


def test_context_without_any_kubeconfig_file_is_an_error():
    with pytest.raises(ConfigError, match=r"context lab was given but there is no kubeconfig"):
        choose_auth_source(validated({"context": "lab"}), True, False)


def test_awx_bearer_token_credential_needs_no_module_params(monkeypatch):
    for name, value in AWX_ENV.items():
        monkeypatch.setenv(name, value)
    params = validated({})
    assert params["host"] == "https://api.awx.example:6443"
    assert params["api_key"] == "awx-token"
    assert params["validate_certs"] is False
    assert params["ca_cert"] == "/runner/env/ca.crt"
    # an AWX job runs in a pod and may have a kubeconfig; the credential still wins
    assert choose_auth_source(params, incluster_available=True, default_kubeconfig_exists=True) == "params"


def test_module_params_beat_env(monkeypatch):
    for name, value in AWX_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/env/kubeconfig")
    params = validated({"host": "https://explicit:6443", "verify_ssl": True, "kubeconfig": "/explicit/kc"})
    assert params["host"] == "https://explicit:6443"
    assert params["validate_certs"] is True
    assert params["kubeconfig"] == "/explicit/kc"
    assert params["api_key"] == "awx-token"  # not given explicitly: env still fills it
    assert choose_auth_source(params, False, False) == "params"


def test_env_kubeconfig_is_used_when_nothing_else_is_given(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/env/kubeconfig")
    monkeypatch.setenv("K8S_AUTH_CONTEXT", "lab")
    params = validated({})
    assert (params["kubeconfig"], params["context"]) == ("/env/kubeconfig", "lab")
    assert choose_auth_source(params, True, True) == "kubeconfig"


def test_impersonate_groups_from_env_is_split_into_a_list(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_IMPERSONATE_GROUPS", "devs")
    monkeypatch.setenv("K8S_AUTH_IMPERSONATE_USER", "alice")
    params = validated({})
    assert impersonation_headers(params) == {"Impersonate-User": "alice", "Impersonate-Group": "devs"}


def test_impersonation_errors_are_explained():
    with pytest.raises(ConfigError, match="impersonate_user is not"):
        impersonation_headers(validated({"impersonate_groups": ["devs"]}))
    with pytest.raises(ConfigError, match="only one"):
        impersonation_headers(validated({"impersonate_user": "a", "impersonate_groups": ["x", "y"]}))


# --- mapping onto the client configuration -------------------------------------------


def test_configuration_overrides_only_sets_what_was_given():
    assert configuration_overrides(validated({})) == {}
    out = configuration_overrides(validated({"host": "https://h:6443/", "validate_certs": False}))
    assert out == {"host": "https://h:6443", "verify_ssl": False}


def test_configuration_overrides_basic_auth_and_proxy_headers():
    out = configuration_overrides(
        validated(
            {
                "host": "https://h",
                "username": "u",
                "password": "p:w",
                "proxy_headers": {"proxy_basic_auth": "pu:pp", "user_agent": "kdebug"},
            }
        )
    )
    basic = "Basic " + base64.b64encode(b"u:p:w").decode()
    assert out["api_key"] == {"BearerToken": basic, "authorization": basic}
    assert out["proxy_headers"] == {
        "user-agent": "kdebug",
        "proxy-authorization": "Basic " + base64.b64encode(b"pu:pp").decode(),
    }


# --- building the client (imports kubernetes, contacts nothing) ------------------------


try:
    import kubernetes
except ImportError:  # the pure tests above still run
    kubernetes = None

needs_kubernetes = pytest.mark.skipif(kubernetes is None, reason="kubernetes Python library not installed")


def bearer(cfg):
    """The authorization header value the client would send."""
    return cfg.auth_settings()["BearerToken"]["value"]


@needs_kubernetes
def test_api_client_direct_configuration(tmp_path):
    for name in ("ca.crt", "c.crt", "c.key"):
        (tmp_path / name).write_text("x")
    params = (
        validated(
            {
                "host": "https://10.1.2.3:6443/",
                "api_key": "tok123",
                "validate_certs": True,
                "ca_cert": str(tmp_path / "ca.crt"),
                "client_cert": str(tmp_path / "c.crt"),
                "client_key": str(tmp_path / "c.key"),
                "proxy": "http://proxy.local:3128",
                "no_proxy": "localhost,10.0.0.0/8",
                "impersonate_user": "system:serviceaccount:ops:debugger",
            }
        )
    )
    client = api_client(params)
    assert isinstance(client, kubernetes.client.ApiClient)
    cfg = client.configuration
    assert cfg.host == "https://10.1.2.3:6443"
    assert bearer(cfg) == "Bearer tok123"
    assert cfg.verify_ssl is True
    assert cfg.ssl_ca_cert == str(tmp_path / "ca.crt")
    assert (cfg.cert_file, cfg.key_file) == (str(tmp_path / "c.crt"), str(tmp_path / "c.key"))
    assert cfg.proxy == "http://proxy.local:3128"
    assert cfg.no_proxy == "localhost,10.0.0.0/8"
    assert client.default_headers["Impersonate-User"] == "system:serviceaccount:ops:debugger"


@needs_kubernetes
def test_api_client_awx_env_only(monkeypatch, tmp_path):
    ca = tmp_path / "ca.crt"  # AWX writes the credential's CA to a file and points the variable at it
    ca.write_text("x")
    for name, value in dict(AWX_ENV, K8S_AUTH_SSL_CA_CERT=str(ca)).items():
        monkeypatch.setenv(name, value)
    cfg = api_client(validated({})).configuration
    assert cfg.host == "https://api.awx.example:6443"
    assert bearer(cfg) == "Bearer awx-token"
    assert cfg.verify_ssl is False
    assert cfg.ssl_ca_cert == str(ca)


@needs_kubernetes
def test_api_client_basic_auth_sends_basic_header():
    cfg = api_client(validated({"host": "https://h", "username": "u", "password": "p"})).configuration
    assert bearer(cfg) == "Basic " + base64.b64encode(b"u:p").decode()


@needs_kubernetes
def test_api_client_kubeconfig_file_and_context(tmp_path):
    kc = tmp_path / "kc.yaml"
    write_kubeconfig(kc, [("one", "https://one:6443", "t1"), ("two", "https://two:6443", "t2")])
    cfg = api_client(validated({"kubeconfig": str(kc)})).configuration
    assert cfg.host == "https://one:6443"
    assert bearer(cfg) == "Bearer t1"
    cfg = api_client(validated({"kubeconfig": str(kc), "context": "two"})).configuration
    assert cfg.host == "https://two:6443"
    assert bearer(cfg) == "Bearer t2"


@needs_kubernetes
def test_api_client_kubeconfig_dict_with_overrides(tmp_path):
    doc = write_kubeconfig(tmp_path / "unused", [("lab", "https://lab:6443", "labtoken")])
    params = validated({"kubeconfig": doc, "host": "https://override:443/", "validate_certs": True})
    cfg = api_client(params).configuration
    assert cfg.host == "https://override:443"
    assert bearer(cfg) == "Bearer labtoken"  # runs the loader's refresh hook...
    assert cfg.verify_ssl is True  # ...which must not restore insecure-skip-tls-verify
    assert cfg.host == "https://override:443"


@needs_kubernetes
def test_explicit_token_beats_the_kubeconfig_token(tmp_path):
    doc = write_kubeconfig(tmp_path / "unused", [("lab", "https://lab:6443", "labtoken")])
    cfg = api_client(validated({"kubeconfig": doc, "api_key": "mine"})).configuration
    assert cfg.host == "https://lab:6443"
    assert bearer(cfg) == "Bearer mine"
    assert bearer(cfg) == "Bearer mine"  # a second request: the refresh hook does not put the old token back


@needs_kubernetes
def test_api_client_default_kubeconfig_from_env(tmp_path, monkeypatch):
    kc = tmp_path / "elsewhere" / "config"
    write_kubeconfig(kc, [("dflt", "https://default:6443", "dt")])
    monkeypatch.setenv("KUBECONFIG", str(kc))
    monkeypatch.setattr(kube_auth, "incluster_available", lambda environ=None: False)
    cfg = api_client(validated({})).configuration
    assert cfg.host == "https://default:6443"


@needs_kubernetes
def test_api_client_home_kubeconfig(tmp_path, monkeypatch):
    write_kubeconfig(tmp_path / "home" / ".kube" / "config", [("home", "https://home:6443", "ht")])
    monkeypatch.setattr(kube_auth, "incluster_available", lambda environ=None: False)
    cfg = api_client(validated({})).configuration
    assert cfg.host == "https://home:6443"


@needs_kubernetes
def test_api_client_incluster_is_tried_before_default_kubeconfig(tmp_path, monkeypatch):
    write_kubeconfig(tmp_path / "home" / ".kube" / "config", [("home", "https://home:6443", "ht")])
    calls = []

    def fake_incluster(client_configuration=None, try_refresh_token=True):
        calls.append(client_configuration)
        client_configuration.host = "https://10.96.0.1:443"
        client_configuration.api_key = {"authorization": "Bearer sa-token"}

    monkeypatch.setattr(kube_auth, "incluster_available", lambda environ=None: True)
    monkeypatch.setattr(kubernetes.config, "load_incluster_config", fake_incluster)
    cfg = api_client(validated({})).configuration
    assert len(calls) == 1
    assert cfg.host == "https://10.96.0.1:443"


def test_incluster_detection_needs_env_and_token(monkeypatch):
    assert kube_auth.incluster_available({}) is False
    monkeypatch.setattr(kube_auth, "INCLUSTER_TOKEN_FILE", "/nonexistent/token")
    assert kube_auth.incluster_available({"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}) is False


@needs_kubernetes
def test_missing_kubeconfig_file_fails_with_a_sentence(tmp_path):
    with pytest.raises(ConfigError) as err:
        api_client(validated({"kubeconfig": str(tmp_path / "nope.yaml")}))
    assert "kubeconfig file {0} does not exist".format(tmp_path / "nope.yaml") in str(err.value)
    assert "Traceback" not in str(err.value)


@needs_kubernetes
def test_unknown_context_fails_naming_the_context(tmp_path):
    kc = tmp_path / "kc.yaml"
    write_kubeconfig(kc, [("one", "https://one:6443", "t1")])
    with pytest.raises(ConfigError) as err:
        api_client(validated({"kubeconfig": str(kc), "context": "missing-ctx"}))
    msg = str(err.value)
    assert "with context missing-ctx" in msg
    assert "kubectl config get-contexts" in msg


@needs_kubernetes
def test_no_credentials_fails_the_module(monkeypatch):
    monkeypatch.setattr(kube_auth, "incluster_available", lambda environ=None: False)
    with pytest.raises(ConfigError, match="no Kubernetes credentials found"):
        api_client(validated({}))


def test_a_missing_kubernetes_library_is_named(monkeypatch):
    monkeypatch.setattr(kube_auth, "HAS_KUBERNETES", False)
    monkeypatch.setattr(kube_auth, "KUBERNETES_IMPORT_ERROR", "Traceback: no module named kubernetes")
    with pytest.raises(MissingLibrary) as err:
        api_client(validated({"host": "https://h", "api_key": "t"}))
    assert "Failed to import the required Python library (kubernetes)" in err.value.message
    assert err.value.result()["exception"] == "Traceback: no module named kubernetes"
    assert err.value.result()["error_class"] == "missing_library"


@needs_kubernetes
def test_malformed_kubeconfig_names_the_file_and_the_problem(tmp_path):
    kc = tmp_path / "broken.yaml"
    kc.write_text("apiVersion: v1\nclusters: [\n  - {name: x\n")
    with pytest.raises(ConfigError) as err:
        api_client(validated({"kubeconfig": str(kc)}))
    assert str(kc) in err.value.message and "ParserError" in err.value.message
    kc.write_text("just a string\n")
    with pytest.raises(ConfigError) as err:
        api_client(validated({"kubeconfig": str(kc)}))
    assert str(kc) in err.value.message


@needs_kubernetes
def test_a_kubeconfig_whose_ca_file_is_missing_names_it(tmp_path):
    kc = tmp_path / "kc.yaml"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://h:6443", "certificate-authority": "/nonexistent/ca"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    with pytest.raises(ConfigError) as err:
        api_client(validated({"kubeconfig": str(kc)}))
    assert "/nonexistent/ca" in err.value.message and str(kc) in err.value.message


@needs_kubernetes
@pytest.mark.parametrize("option", ["ca_cert", "client_cert", "client_key"])
def test_a_missing_certificate_file_option_is_named(option):
    params = {"host": "https://h", "api_key": "t", option: "/nonexistent/file.pem"}
    with pytest.raises(ConfigError) as err:
        api_client(validated(params))
    assert option in err.value.message and "/nonexistent/file.pem" in err.value.message


# --- the connection the pods inventory pins its hosts to ---------------------------------------


def test_connection_record_pins_the_default_kubeconfig():
    record = kube_auth.connection_record({"request_timeout": 30}, (), kube_auth.AUTH_SOURCE_DEFAULT_KUBECONFIG,
                                         ["/home/u/.kube/config"])
    assert record == {"kubeconfig": "/home/u/.kube/config"}


def test_connection_record_makes_kubeconfig_paths_absolute(monkeypatch):
    monkeypatch.chdir("/tmp")
    record = kube_auth.connection_record({"kubeconfig": "a.conf:/b.conf", "context": "c"}, ("kubeconfig",),
                                         kube_auth.AUTH_SOURCE_KUBECONFIG, ["/ignored"])
    assert record == {"kubeconfig": "/tmp/a.conf:/b.conf", "context": "c"}


def test_connection_record_keeps_secrets_only_from_the_file():
    params = {"host": "https://h:6443", "api_key": "tok", "ca_cert": "/ca.crt", "validate_certs": True}
    from_env = kube_auth.connection_record(params, ("host",), kube_auth.AUTH_SOURCE_PARAMS)
    assert from_env == {"host": "https://h:6443", "validate_certs": True}
    from_file = kube_auth.connection_record(params, ("host", "api_key"), kube_auth.AUTH_SOURCE_PARAMS)
    assert from_file["api_key"] == "tok"


def test_connection_record_keeps_files_only_from_the_file():
    """A CA or client certificate file from K8S_AUTH_* is the listing process's (AWX: a temporary file of the
    inventory update); the job reads its own from its environment."""
    params = {"host": "https://h:6443", "ca_cert": "/runner/env/tmpab12", "client_cert": "/c.crt",
              "client_key": "/c.key", "validate_certs": True}
    from_env = kube_auth.connection_record(params, ("host",), kube_auth.AUTH_SOURCE_PARAMS)
    assert from_env == {"host": "https://h:6443", "validate_certs": True}
    from_file = kube_auth.connection_record(params, ("host", "ca_cert", "client_cert", "client_key"),
                                            kube_auth.AUTH_SOURCE_PARAMS)
    assert from_file == params


def test_listed_connection_adds_the_current_context(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "b",
        "clusters": [{"name": "c", "cluster": {"server": "https://h:6443"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}},
                     {"name": "b", "context": {"cluster": "c", "user": "u"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(config))
    assert kube_auth.listed_connection({}) == {"kubeconfig": str(config), "context": "b"}
    assert kube_auth.listed_connection({"context": "a"}) == {"kubeconfig": str(config), "context": "a"}


def test_describe_connection():
    assert kube_auth.describe_connection({"context": "a", "kubeconfig": "/k"}) == "context a, kubeconfig /k"
    assert kube_auth.describe_connection({"host": "https://h"}) == "host https://h"
    assert kube_auth.describe_connection({"kubeconfig": {"a": 1}}) == ""
