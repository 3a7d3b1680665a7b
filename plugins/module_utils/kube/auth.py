# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Shared Kubernetes authentication for every kdebug.toolkit module.

Option names, aliases and ``K8S_AUTH_*`` environment variables are those of
kubernetes.core, so playbooks, ``module_defaults`` and AWX credentials written
for kubernetes.core work unchanged.

Where the credentials come from, first match wins (as kubernetes.core does):

1. ``params``: ``host`` plus ``api_key``, ``username``+``password`` or
   ``client_cert``+``client_key``. The ``K8S_AUTH_*`` variables are already
   folded into the parameters by Ansible (``env_fallback``), so an AWX
   "OpenShift or Kubernetes API Bearer Token" credential (``K8S_AUTH_HOST``,
   ``K8S_AUTH_API_KEY``, ``K8S_AUTH_VERIFY_SSL``, ``K8S_AUTH_SSL_CA_CERT``)
   lands here with no module parameters at all.
2. ``kubeconfig``: a ``kubeconfig`` (path or dict) or a ``context`` was given.
3. ``incluster``: the service account of the pod Ansible runs in.
4. ``default_kubeconfig``: ``$KUBECONFIG`` or ``~/.kube/config``.

Whichever source is used, connection options that were given explicitly
(``host``, ``validate_certs``, ``ca_cert``, ``proxy``...) override what the
source provided.

The decision (:func:`choose_auth_source`) and the mapping of options onto the
client configuration (:func:`configuration_overrides`) are pure functions; only
:func:`build_configuration` and :func:`api_client` touch files or import
the kubernetes library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ConfigError, MissingLibrary
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import DEFAULT_REQUEST_TIMEOUT, KubeClient

KUBERNETES_IMPORT_ERROR = None
# Eager on purpose: any ``import kubernetes.<anything>`` runs kubernetes/__init__.py, which imports
# kubernetes.config (and with it requests-oauthlib, yaml...) anyway, so deferring this import saves nothing.
# Only kubernetes.client.CoreV1Api and the models are expensive, and no hot path touches them (kube/client.py).
try:
    import kubernetes.client
    import kubernetes.config
    from kubernetes.config.config_exception import ConfigException
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()

    class ConfigException(Exception):  # type: ignore[no-redef]
        """Stand-in so ``except ConfigException`` works without the library."""

else:
    HAS_KUBERNETES = True


AUTH_SOURCE_PARAMS = "params"
AUTH_SOURCE_KUBECONFIG = "kubeconfig"
AUTH_SOURCE_INCLUSTER = "incluster"
AUTH_SOURCE_DEFAULT_KUBECONFIG = "default_kubeconfig"

# Where a pod's service account token is mounted (kubernetes.config uses the same).
INCLUSTER_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
DEFAULT_KUBECONFIG = "~/.kube/config"

AUTH_PROXY_HEADERS_SPEC = dict(
    proxy_basic_auth=dict(type="str", no_log=True),
    basic_auth=dict(type="str", no_log=True),
    user_agent=dict(type="str"),
)

AUTH_ARG_SPEC = dict(
    kubeconfig=dict(
        type="raw",
        fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"]),
    ),
    context=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_CONTEXT"]),
    ),
    host=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_HOST"]),
    ),
    api_key=dict(
        type="str",
        no_log=True,
        fallback=(env_fallback, ["K8S_AUTH_API_KEY"]),
    ),
    username=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_USERNAME"]),
    ),
    password=dict(
        type="str",
        no_log=True,
        fallback=(env_fallback, ["K8S_AUTH_PASSWORD"]),
    ),
    validate_certs=dict(
        type="bool",
        aliases=["verify_ssl"],
        fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL", "K8S_AUTH_VALIDATE_CERTS"]),
    ),
    ca_cert=dict(
        type="path",
        aliases=["ssl_ca_cert"],
        fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_CA_CERT"]),
    ),
    client_cert=dict(
        type="path",
        aliases=["cert_file"],
        fallback=(env_fallback, ["K8S_AUTH_CERT_FILE", "K8S_AUTH_CLIENT_CERT"]),
    ),
    # A path to the key, not the key itself: nothing secret to hide.
    client_key=dict(
        type="path",
        aliases=["key_file"],
        no_log=False,
        fallback=(env_fallback, ["K8S_AUTH_KEY_FILE", "K8S_AUTH_CLIENT_KEY"]),
    ),
    proxy=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_PROXY"]),
    ),
    no_proxy=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_NO_PROXY"]),
    ),
    proxy_headers=dict(
        type="dict",
        options=AUTH_PROXY_HEADERS_SPEC,
    ),
    impersonate_user=dict(
        type="str",
        fallback=(env_fallback, ["K8S_AUTH_IMPERSONATE_USER"]),
    ),
    impersonate_groups=dict(
        type="list",
        elements="str",
        fallback=(env_fallback, ["K8S_AUTH_IMPERSONATE_GROUPS"]),
    ),
    # Ours, not kubernetes.core's: every request (and its retries) ends within it (kube/client.py).
    request_timeout=dict(
        type="float",
        default=DEFAULT_REQUEST_TIMEOUT,
        fallback=(env_fallback, ["K8S_AUTH_REQUEST_TIMEOUT"]),
    ),
)

# Every option of AUTH_ARG_SPEC; modules can use it to pick the auth params out.
AUTH_ARG_NAMES = tuple(AUTH_ARG_SPEC)


def auth_argument_spec():
    """Return a fresh copy of :data:`AUTH_ARG_SPEC` for one module to extend."""
    return copy.deepcopy(AUTH_ARG_SPEC)


def _given(params, *names):
    return all(params.get(name) not in (None, "", {}) for name in names)


def direct_credentials(params):
    """Name the credential carried by the parameters themselves, or None.

    Enough to authenticate without any kubeconfig: ``host`` with an
    ``api_key``, with ``username``+``password``, or with
    ``client_cert``+``client_key``.
    """
    if not _given(params, "host"):
        return None
    if _given(params, "api_key"):
        return "api_key"
    if _given(params, "username", "password"):
        return "basic"
    if _given(params, "client_cert", "client_key"):
        return "client_cert"
    return None


def _no_credentials_message(params):
    if _given(params, "host"):
        return (
            "Kubernetes host {0} is set but no credentials go with it and no other source was found: "
            "set api_key (K8S_AUTH_API_KEY), username and password, or client_cert and client_key; "
            "or set kubeconfig (K8S_AUTH_KUBECONFIG), or run in a pod with a service account".format(params["host"])
        )
    partial = [name for name in ("api_key", "username", "password", "client_cert", "client_key") if _given(params, name)]
    if partial:
        return (
            "{0} given but host is not, and no kubeconfig or in-cluster service account was found: "
            "set host (K8S_AUTH_HOST), or set kubeconfig (K8S_AUTH_KUBECONFIG)".format(" and ".join(partial))
        )
    return (
        "no Kubernetes credentials found: set kubeconfig, K8S_AUTH_KUBECONFIG or host+api_key "
        "(K8S_AUTH_HOST, K8S_AUTH_API_KEY), or run in a pod with a service account; "
        "neither $KUBECONFIG nor ~/.kube/config exists"
    )


def choose_auth_source(params, incluster_available, default_kubeconfig_exists):
    """Decide where the credentials come from. Pure: no I/O, no kubernetes import.

    :arg params: the module parameters (``K8S_AUTH_*`` already folded in).
    :arg incluster_available: a pod service account is mounted and the
        ``KUBERNETES_SERVICE_HOST``/``_PORT`` variables are set.
    :arg default_kubeconfig_exists: ``$KUBECONFIG`` or ``~/.kube/config`` exists.
    :returns: one of ``params``, ``kubeconfig``, ``incluster``, ``default_kubeconfig``.
    :raises ConfigError: when no source can be used.
    """
    if direct_credentials(params):
        return AUTH_SOURCE_PARAMS
    if _given(params, "kubeconfig"):
        return AUTH_SOURCE_KUBECONFIG
    if _given(params, "context"):
        if default_kubeconfig_exists:
            return AUTH_SOURCE_KUBECONFIG
        raise ConfigError(
            "context {0} was given but there is no kubeconfig to find it in: set kubeconfig "
            "(K8S_AUTH_KUBECONFIG) or create $KUBECONFIG or ~/.kube/config".format(params["context"])
        )
    if incluster_available:
        return AUTH_SOURCE_INCLUSTER
    if default_kubeconfig_exists:
        return AUTH_SOURCE_DEFAULT_KUBECONFIG
    raise ConfigError(_no_credentials_message(params))


def _basic(user, password):
    raw = "{0}:{1}".format(user, password).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _authorization(value):
    # kubernetes >= 29 looks up "BearerToken" first, older clients "authorization".
    return {"BearerToken": value, "authorization": value}


def configuration_overrides(params):
    """Map the explicitly given options onto ``kubernetes.client.Configuration`` attributes.

    Pure. Options left unset (None) are not in the result, so whatever the
    chosen source (kubeconfig, in-cluster) provided for them stays.
    """
    out = {}
    if _given(params, "host"):
        out["host"] = params["host"].rstrip("/")
    if _given(params, "username"):
        out["username"] = params["username"]
    if _given(params, "password"):
        out["password"] = params["password"]
    if _given(params, "api_key"):
        out["api_key"] = _authorization("Bearer {0}".format(params["api_key"]))
        out["api_key_prefix"] = {}
    elif _given(params, "username", "password"):
        # The generated client only sends the "BearerToken" auth setting, so a
        # basic credential has to travel in the same authorization slot.
        out["api_key"] = _authorization(_basic(params["username"], params["password"]))
        out["api_key_prefix"] = {}
    if params.get("validate_certs") is not None:
        out["verify_ssl"] = bool(params["validate_certs"])
    if _given(params, "ca_cert"):
        out["ssl_ca_cert"] = params["ca_cert"]
    if _given(params, "client_cert"):
        out["cert_file"] = params["client_cert"]
    if _given(params, "client_key"):
        out["key_file"] = params["client_key"]
    if _given(params, "proxy"):
        out["proxy"] = params["proxy"]
    if _given(params, "no_proxy"):
        out["no_proxy"] = params["no_proxy"]
    headers = proxy_headers(params.get("proxy_headers"))
    if headers:
        out["proxy_headers"] = headers
    return out


def proxy_headers(spec):
    """Build proxy headers like ``urllib3.util.make_headers`` from the proxy_headers option."""
    headers = {}
    if not spec:
        return headers
    if spec.get("user_agent"):
        headers["user-agent"] = spec["user_agent"]
    if spec.get("basic_auth"):
        user, _sep, password = spec["basic_auth"].partition(":")
        headers["authorization"] = _basic(user, password)
    if spec.get("proxy_basic_auth"):
        user, _sep, password = spec["proxy_basic_auth"].partition(":")
        headers["proxy-authorization"] = _basic(user, password)
    return headers


def impersonation_headers(params):
    """Impersonate-User / Impersonate-Group headers for the API client. Pure."""
    headers = {}
    groups = [g for g in (params.get("impersonate_groups") or []) if g]
    if groups and not _given(params, "impersonate_user"):
        raise ConfigError(
            "impersonate_groups is set but impersonate_user is not: Kubernetes needs a user "
            "to impersonate; set impersonate_user (K8S_AUTH_IMPERSONATE_USER)"
        )
    if len(groups) > 1:
        raise ConfigError(
            "impersonate_groups has {0} groups ({1}) but the Kubernetes Python client can send only one "
            "Impersonate-Group header: give one group, or bind the rights to the user instead".format(
                len(groups), ", ".join(groups)
            )
        )
    if _given(params, "impersonate_user"):
        headers["Impersonate-User"] = params["impersonate_user"]
    if groups:
        headers["Impersonate-Group"] = groups[0]
    return headers


# --- the parts that look at the machine -------------------------------------


def incluster_available(environ=None):
    """True when running in a pod with a mounted service account token."""
    environ = os.environ if environ is None else environ
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and os.path.isfile(INCLUSTER_TOKEN_FILE)
    )


def default_kubeconfig_paths(environ=None):
    """Existing files among ``$KUBECONFIG`` (colon separated) or ``~/.kube/config``."""
    environ = os.environ if environ is None else environ
    raw = environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    paths = [os.path.expanduser(p) for p in raw.split(os.pathsep) if p]
    return [p for p in paths if os.path.isfile(p)]


def _load_kubeconfig(kubeconfig, context, configuration):
    kwargs = dict(context=context or None, client_configuration=configuration, persist_config=False)
    if isinstance(kubeconfig, dict):
        where = "the kubeconfig given as a dict"
        loader = kubernetes.config.load_kube_config_from_dict
        kwargs["config_dict"] = kubeconfig
    else:
        if kubeconfig:
            paths = [os.path.expanduser(os.path.expandvars(p)) for p in str(kubeconfig).split(os.pathsep) if p]
            missing = [p for p in paths if not os.path.isfile(p)]
            if missing:
                raise ConfigError(
                    "kubeconfig file {0} does not exist: check the kubeconfig option or "
                    "K8S_AUTH_KUBECONFIG".format(", ".join(missing))
                )
        else:
            paths = default_kubeconfig_paths()
        where = "kubeconfig {0}".format(os.pathsep.join(paths))
        loader = kubernetes.config.load_kube_config
        kwargs["config_file"] = os.pathsep.join(paths)
    try:
        loader(**kwargs)
    except Exception as exc:  # pylint: disable=broad-except  # the loader fails with YAML, type, key and file errors
        raise ConfigError(
            "cannot use {0}{1}: {2}: {3}. Check the file (kubectl config view{4}) and the context name "
            "(kubectl config get-contexts)".format(
                where, " with context {0}".format(context) if context else "", type(exc).__name__,
                " ".join(str(exc).split()), "" if isinstance(kubeconfig, dict) else " --kubeconfig " + kwargs["config_file"]
            )
        ) from exc


def check_files(params):
    """ConfigError naming the first of ca_cert, client_cert, client_key that is set and not a readable file."""
    for option, env in (("ca_cert", "K8S_AUTH_SSL_CA_CERT"), ("client_cert", "K8S_AUTH_CERT_FILE"),
                        ("client_key", "K8S_AUTH_KEY_FILE")):
        path = params.get(option)
        if path and not os.path.isfile(os.path.expanduser(path)):
            raise ConfigError("{0} {1} is not a file: check the {0} option or {2}".format(option, path, env))


def build_configuration(params, incluster=None, default_kubeconfig=None):
    """Return a ``kubernetes.client.Configuration`` for the parameters.

    Reads kubeconfig or service-account files as needed, never contacts the API
    server. ``incluster`` and ``default_kubeconfig`` default to looking at the
    machine. Raises :class:`ConfigError` with a sentence for the user.
    """
    if not HAS_KUBERNETES:
        raise MissingLibrary(missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    check_files(params)
    if incluster is None:
        incluster = incluster_available()
    if default_kubeconfig is None:
        default_kubeconfig = bool(default_kubeconfig_paths())

    source = choose_auth_source(params, incluster, default_kubeconfig)
    configuration = kubernetes.client.Configuration()
    if source == AUTH_SOURCE_KUBECONFIG:
        _load_kubeconfig(params.get("kubeconfig"), params.get("context"), configuration)
    elif source == AUTH_SOURCE_DEFAULT_KUBECONFIG:
        _load_kubeconfig(None, None, configuration)
    elif source == AUTH_SOURCE_INCLUSTER:
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ConfigError(
                "in-cluster config cannot be used: {0}. Check the pod's service account "
                "(automountServiceAccountToken) or set kubeconfig / host+api_key".format(exc)
            ) from exc

    overrides = configuration_overrides(params)
    _apply(configuration, overrides)
    hook = getattr(configuration, "refresh_api_key_hook", None)
    if hook is not None and overrides:
        configuration.refresh_api_key_hook = _KeepOverrides(hook, overrides)
    return configuration


class _KeepOverrides:
    """Refresh hook wrapper that re-applies the explicit options after each refresh.

    The kubeconfig and in-cluster loaders rewrite the configuration (token,
    host, TLS settings) before every request and put their own hook back in
    place; this runs theirs, adopts the one they install, re-applies the
    explicit options and puts itself back.
    """

    def __init__(self, hook, overrides):
        self.hook = hook
        self.overrides = overrides

    def __call__(self, configuration):
        self.hook(configuration)
        installed = configuration.refresh_api_key_hook
        if installed is not None and installed is not self:
            self.hook = installed
        _apply(configuration, self.overrides)
        configuration.refresh_api_key_hook = self


def _apply(configuration, overrides):
    # Copies: the loaders mutate dicts such as api_key in place.
    for attr, value in overrides.items():
        setattr(configuration, attr, copy.deepcopy(value))


# The auth options that say which cluster and as whom without holding a secret (paths, names, the server): what the
# pods inventory hands its hosts (kdebug_connection) so their tasks talk to the cluster it listed.
CONNECTION_OPTIONS = ("kubeconfig", "context", "host", "validate_certs", "ca_cert", "client_cert", "client_key",
                      "proxy", "no_proxy", "impersonate_user", "impersonate_groups")
# The options that do hold a secret: recorded only when the inventory file itself names them (then they are in clear
# there already); from K8S_AUTH_* they stay in the environment, where the modules read them too.
SECRET_OPTIONS = ("api_key", "username", "password", "proxy_headers")
# Files named by K8S_AUTH_* are the listing process's: AWX writes its credential's CA (K8S_AUTH_SSL_CA_CERT) to a
# temporary file of each job, so the inventory update's path is gone when a job runs (and the job has its own,
# in its own K8S_AUTH_*). Recorded only when the inventory file itself names them; else read from the environment.
ENV_FILE_OPTIONS = ("ca_cert", "client_cert", "client_key")


def connection_record(params, given, source, kubeconfig_paths=()):
    """The connection to pin for the tasks of hosts listed with ``params``. Pure.

    :arg params: the validated auth options (``K8S_AUTH_*`` folded in).
    :arg given: the names of the options the inventory file itself set.
    :arg source: what :func:`choose_auth_source` chose.
    :arg kubeconfig_paths: the kubeconfig files used when none was named (``$KUBECONFIG`` or ``~/.kube/config``).
    :returns: a dict of auth options; a kubeconfig source is pinned to its file(s) (:func:`listed_connection`
        adds the current context when none was named), so a later ``$KUBECONFIG`` or ``current-context`` cannot
        move the tasks to another cluster.
    """
    record = dict((name, params[name]) for name in CONNECTION_OPTIONS if params.get(name) not in (None, "", [], {})
                  and (name not in ENV_FILE_OPTIONS or name in given))
    record.update((name, params[name]) for name in SECRET_OPTIONS if name in given and params.get(name) not in
                  (None, "", {}))
    if source in (AUTH_SOURCE_KUBECONFIG, AUTH_SOURCE_DEFAULT_KUBECONFIG):
        if not isinstance(record.get("kubeconfig"), dict):
            paths = ([os.path.abspath(os.path.expanduser(os.path.expandvars(p)))
                      for p in str(record["kubeconfig"]).split(os.pathsep) if p]
                     if record.get("kubeconfig") else list(kubeconfig_paths))
            if paths:
                record["kubeconfig"] = os.pathsep.join(paths)
    return record


def current_context(kubeconfig):
    """The current context of ``kubeconfig`` (``:``-separated paths, or a dict), or None when it names none."""
    if isinstance(kubeconfig, dict):
        return kubeconfig.get("current-context") or None
    try:
        _contexts, active = kubernetes.config.list_kube_config_contexts(config_file=kubeconfig)
    except Exception as exc:  # pylint: disable=broad-except  # the loader fails with YAML, type, key and file errors
        raise ConfigError("cannot read the current context of kubeconfig {0}: {1}: {2}. Check the file (kubectl config "
                          "view --kubeconfig {0}) or name a context".format(kubeconfig, type(exc).__name__, exc)) from exc
    return (active or {}).get("name") or None


def listed_connection(params, given=()):
    """:func:`connection_record` for ``params`` on this machine (reads the kubeconfig; never contacts the server)."""
    source = choose_auth_source(params, incluster_available(), bool(default_kubeconfig_paths()))
    paths = default_kubeconfig_paths() if source in (AUTH_SOURCE_KUBECONFIG, AUTH_SOURCE_DEFAULT_KUBECONFIG) else []
    record = connection_record(params, given, source, paths)
    if "kubeconfig" in record and not record.get("context"):
        context = current_context(record["kubeconfig"])
        if context:
            record["context"] = context
    return record


def describe_connection(params):
    """``context X in kubeconfig Y``, ``host Z``...: which cluster the auth options name, for messages; "" for none."""
    parts = []
    if params.get("context"):
        parts.append("context %s" % params["context"])
    if params.get("kubeconfig") and not isinstance(params["kubeconfig"], dict):
        parts.append("kubeconfig %s" % params["kubeconfig"])
    if params.get("host"):
        parts.append("host %s" % params["host"])
    return ", ".join(parts)


def api_client(params):
    """A ``kubernetes.client.ApiClient`` for the auth options in ``params`` (module parameters or the inventory's).

    Raises MissingLibrary without the kubernetes library, ConfigError when no
    usable credentials are found; never contacts the API server.
    """
    configuration = build_configuration(params)
    headers = impersonation_headers(params)
    client = kubernetes.client.ApiClient(configuration)
    for name, value in headers.items():
        client.set_default_header(name, value)
    return client


def kube_client(params):
    """The KubeClient every kdebug module, the inventory and the action plugins talk to the API through."""
    return KubeClient(api_client(params), params.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT)
