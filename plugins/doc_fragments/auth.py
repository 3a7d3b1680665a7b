# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Kubernetes authentication options shared by every kdebug.toolkit module.
    # Keep in sync with AUTH_ARG_SPEC in plugins/module_utils/kube/auth.py
    # (tests/unit/plugins/module_utils/test_kube_auth.py checks it).
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dictionary.
      - Several files may be given separated by colons, as in C(KUBECONFIG).
      - Can also be set with the E(K8S_AUTH_KUBECONFIG) environment variable.
      - When neither this, O(context) nor O(host) with credentials is set, the
        module uses the in-cluster service account if it runs in a pod, then
        E(KUBECONFIG) or C(~/.kube/config).
    type: raw
  context:
    description:
      - The kubeconfig context to use. Without O(kubeconfig), it is looked up in
        E(KUBECONFIG) or C(~/.kube/config).
      - Can also be set with the E(K8S_AUTH_CONTEXT) environment variable.
    type: str
  host:
    description:
      - URL of the Kubernetes API server, for example V(https://10.0.0.1:6443).
      - With O(api_key), O(username) and O(password), or O(client_cert) and
        O(client_key), no kubeconfig is read at all. Alone, it overrides the
        server of the kubeconfig or in-cluster config in use.
      - Can also be set with the E(K8S_AUTH_HOST) environment variable.
    type: str
  api_key:
    description:
      - Bearer token used to authenticate with the API server.
      - Can also be set with the E(K8S_AUTH_API_KEY) environment variable.
    type: str
  username:
    description:
      - User name for HTTP basic authentication (only for API servers or
        proxies that still accept it).
      - Can also be set with the E(K8S_AUTH_USERNAME) environment variable.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
      - Can also be set with the E(K8S_AUTH_PASSWORD) environment variable.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate.
      - When not set, the kubeconfig or in-cluster setting applies, which
        verifies by default.
      - Can also be set with the E(K8S_AUTH_VERIFY_SSL) environment variable.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA certificate bundle used to verify the API server.
      - Can also be set with the E(K8S_AUTH_SSL_CA_CERT) environment variable.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
      - Can also be set with the E(K8S_AUTH_CERT_FILE) environment variable.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert).
      - Can also be set with the E(K8S_AUTH_KEY_FILE) environment variable.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP proxy to reach the API server through.
      - Can also be set with the E(K8S_AUTH_PROXY) environment variable.
    type: str
  no_proxy:
    description:
      - Comma separated hosts, domains, IP addresses or CIDRs to reach
        without the proxy, for example V(localhost,.local,10.0.0.0/8).
      - Can also be set with the E(K8S_AUTH_NO_PROXY) environment variable.
    type: str
  proxy_headers:
    description:
      - Extra headers for the proxy connection.
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - Colon separated user name and password for the proxy
            (V(user:password)).
        type: str
      basic_auth:
        description:
          - Colon separated user name and password sent as basic
            authorization (V(user:password)).
        type: str
      user_agent:
        description:
          - User-Agent header to send.
        type: str
  impersonate_user:
    description:
      - User to impersonate for the requests (the C(Impersonate-User)
        header; the authenticated identity needs the C(impersonate) verb).
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_USER) environment
        variable.
    type: str
  impersonate_groups:
    description:
      - Group to impersonate together with O(impersonate_user).
      - The Kubernetes Python client sends a single C(Impersonate-Group)
        header, so at most one group is accepted.
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_GROUPS) environment
        variable.
    type: list
    elements: str
  request_timeout:
    description:
      - Seconds each request to the API server may take, from connecting to the last byte of the answer, retries
        included. A server that does not answer in time fails the task with an error saying so.
      - HTTP 429 and 5xx answers that carry C(Retry-After), and 500, 502, 503 and 504 answers to reads, are tried
        again within this time, after the delay the server asks for.
      - Waiting for something to start (C(wait_timeout) where a module has it) is bounded separately.
      - Can also be set with the E(K8S_AUTH_REQUEST_TIMEOUT) environment variable.
    type: float
    default: 30
notes:
  - >-
    Credentials are taken from the first of these that applies:
    O(host) with a token, basic or client certificate credential;
    O(kubeconfig) or O(context); the in-cluster service account;
    E(KUBECONFIG) or C(~/.kube/config).
  - >-
    Every option above can be set once for all kdebug.toolkit modules with
    C(module_defaults) and the C(group/kdebug.toolkit.kdebug) action group.
  - >-
    An AWX or Automation Controller C(OpenShift or Kubernetes API Bearer Token)
    credential sets E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY), E(K8S_AUTH_VERIFY_SSL)
    and E(K8S_AUTH_SSL_CA_CERT), and works with no module parameters.
requirements:
  - kubernetes >= 24.2.0 (Python library)
"""
