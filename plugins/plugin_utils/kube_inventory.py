# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the kdebug.toolkit inventories of Kubernetes objects share (kdebug.toolkit.pods, kdebug.toolkit.nodes).

The file's auth options (with ``K8S_AUTH_*`` folded in as the modules do), one or
several ``clusters``, the cache, the connection every host carries
(``kdebug_connection``, ``kdebug_cluster``: plugin_utils/connection.py), the
``all`` group's record of the sources that failed, and filling the inventory with
``compose``/``groups``/``keyed_groups``. A subclass says what one cluster's hosts
are (:meth:`KubeInventory.list_hosts`) and what each host's name and groups are
(:meth:`KubeInventory.host_entries`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every inventory string
    def trust_as_template(value):
        return value

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ConfigError, KdebugError
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.auth import (
    AUTH_ARG_NAMES,
    HAS_KUBERNETES,
    auth_argument_spec,
    describe_connection,
    kube_client,
    listed_connection,
)

PAGE_SIZE = 500
# A variable of the ``all`` group: why each kdebug.toolkit inventory source of the run could not list its hosts.
ERRORS_VAR = "kdebug_inventory_errors"
CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# --- pure parts (unit-tested) ----------------------------------------------------


def safe_name(value):
    """``value`` with every character other than letters, digits and ``_`` turned into ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", str(value))


def cluster_entries(options, clusters):
    """``[(name, options)]``: one per item of ``clusters`` (the file's auth ``options`` under its own), else one
    unnamed from ``options``. Raises ConfigError for an item without a usable, unique name."""
    if not clusters:
        return [(None, dict(options))]
    entries, seen = [], set()
    for number, item in enumerate(clusters, 1):
        item = dict(item or {})
        name = str(item.pop("name", "") or "")
        if not CLUSTER_NAME.match(name):
            raise ConfigError("clusters item %d needs a name of letters, digits, '.', '_' and '-' (it names the hosts, "
                              "<cluster>/...), got %r" % (number, name))
        if name in seen:
            raise ConfigError("clusters names %s twice: each cluster needs a name of its own" % name)
        seen.add(name)
        merged = dict(options)
        merged.update((key, value) for key, value in item.items() if value is not None)
        entries.append((name, merged))
    return entries


def auth_params(options):
    """Auth options of the inventory file, with ``K8S_AUTH_*`` folded in as the modules do.

    ``options`` maps the auth option names to the values given in the file (None when
    not given). The environment variables are those of ``AUTH_ARG_SPEC`` (read from
    ``os.environ``); an option given in the file wins. Returns the validated parameters;
    raises :class:`ConfigError` when one is malformed (for example K8S_AUTH_VERIFY_SSL=maybe).
    """
    given = dict((name, value) for name, value in options.items() if value is not None)
    result = ArgumentSpecValidator(auth_argument_spec()).validate(given)
    if result.error_messages:
        raise ConfigError("invalid Kubernetes auth option: %s" % "; ".join(result.error_messages))
    return result.validated_parameters


def list_pages(client, path, query):
    """Every item of a list request, following ``continue`` (PAGE_SIZE items a request)."""
    query = dict(query, limit=PAGE_SIZE)
    items = []
    while True:
        page = client.get(path, query=query)
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items
        query["continue"] = token


# --- the plugin base ------------------------------------------------------------


class KubeInventory(BaseInventoryPlugin, Constructable, Cacheable):
    """The base of an inventory of Kubernetes objects; subclasses set NAME and FILE_SUFFIXES and implement
    :meth:`list_hosts`, :meth:`host_entries` and :meth:`sort_key`."""

    NAME = None
    FILE_SUFFIXES = ()

    def verify_file(self, path):
        if not super(KubeInventory, self).verify_file(path):
            return False
        if path.endswith(self.FILE_SUFFIXES):
            return True
        self.display.vvv("%s: skipping %s, the file name must end in %s"
                         % (self.NAME, path, " or ".join(self.FILE_SUFFIXES)))
        return False

    def parse(self, inventory, loader, path, cache=True):
        super(KubeInventory, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        hosts = None
        if use_cache and cache:
            try:
                hosts = self._cache[cache_key]
            except KeyError:
                hosts = None
        if hosts is None:
            try:
                hosts = self._fetch(path)
            except AnsibleParserError as exc:
                self._record_error(exc)
                raise
            if use_cache:
                self._cache[cache_key] = hosts
        self._populate(hosts)

    def _record_error(self, exc):
        """Keep why this source could not list its hosts in the ``all`` group's ERRORS_VAR, then let Ansible warn.

        Ansible turns an inventory source that fails into a warning, and a fleet play into "skipping: no hosts
        matched" and exit 0; the fleet playbook's first play fails the run with these messages instead.
        """
        errors = list(self.inventory.groups["all"].get_vars().get(ERRORS_VAR) or [])
        errors.append(str(getattr(exc, "message", exc)))
        self.inventory.set_variable("all", ERRORS_VAR, errors)

    # -- talking to the API --

    def _fetch(self, path):
        """The host variables of every selected object, sorted by cluster and sort_key."""
        if not HAS_KUBERNETES:
            raise AnsibleParserError(
                "%s: the %s inventory needs the kubernetes Python library on the controller: "
                "pip install kubernetes (in the Python that runs ansible)" % (path, self.NAME)
            )
        options = dict((name, self.get_option(name)) for name in AUTH_ARG_NAMES)
        try:
            entries = cluster_entries(options, self.get_option("clusters"))
        except KdebugError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.message))
        selected = []
        for name, cluster_options in entries:
            selected.extend(self._fetch_cluster(path, name, cluster_options))
        selected.sort(key=lambda v: (v["kdebug_cluster"] or "",) + self.sort_key(v))
        return selected

    def _fetch_cluster(self, path, name, options):
        """The hosts of one cluster, each with the connection they were listed with."""
        where = "%s: cluster %s" % (path, name) if name else path
        try:
            params = auth_params(options)
            connection = listed_connection(params, given=[k for k, v in options.items() if v is not None])
            client = kube_client(params)
        except KdebugError as exc:
            raise AnsibleParserError("%s: %s" % (where, exc.message))
        cluster = name or connection.get("context") or connection.get("host")
        if not name and describe_connection(connection):
            where = "%s (%s)" % (path, describe_connection(connection))
        elif name:
            where = "%s (%s)" % (where, describe_connection(connection) or "in-cluster")
        try:
            # Raw REST: CoreV1Api costs 1-2 s of model building per run (see module_utils/kube/client.py).
            hosts = self.list_hosts(client, where)
        finally:
            close = getattr(client.api_client, "close", None)
            if close is not None:
                close()
        for host_vars in hosts:
            host_vars.update(kdebug_cluster=cluster, kdebug_connection=dict(connection))
        return hosts

    def list_hosts(self, client, where):
        """[host vars] of one cluster's selected objects; AnsibleParserError naming ``where`` when it cannot."""
        raise NotImplementedError

    def sort_key(self, host_vars):
        """A tuple that orders the hosts of one cluster."""
        raise NotImplementedError

    def host_entries(self, object_vars, by_cluster):
        """[(host name, host vars, [group])] for one object's host variables."""
        raise NotImplementedError

    # -- filling the inventory --

    def _populate(self, hosts):
        by_cluster = bool(self.get_option("clusters"))
        strict = self.get_option("strict")
        # A template the controller fills in, not a value read from the cluster.
        interpreter = trust_as_template("{{ ansible_playbook_python }}")
        for object_vars in hosts:
            for name, host_vars, groups in self.host_entries(object_vars, by_cluster):
                self.inventory.add_host(name)
                for group in groups:
                    self.inventory.add_group(group)
                    self.inventory.add_child(group, name)
                for key, value in host_vars.items():
                    self.inventory.set_variable(name, key, value)
                self.inventory.set_variable(name, "ansible_connection", "local")
                self.inventory.set_variable(name, "ansible_python_interpreter", interpreter)
                self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
                self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
                self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)
