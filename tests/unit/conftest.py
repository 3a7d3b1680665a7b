# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Make ``ansible_collections.kdebug.toolkit`` importable for plain pytest runs.

scripts/setup-dev links .collections/ansible_collections/kdebug/toolkit to the
repository root; this puts .collections on sys.path (making the link when it is
missing) so tests import the collection exactly as Ansible does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "kdebug", "toolkit")


def _ensure_link():
    # Inside an ansible_collections/kdebug/toolkit tree already (ansible-test copy)?
    parts = ROOT.split(os.sep)
    if parts[-3:] == ["ansible_collections", "kdebug", "toolkit"]:
        return os.sep.join(parts[:-3]) or os.sep
    if not os.path.lexists(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(os.path.join("..", "..", ".."), LINK)
    return COLLECTIONS


_path = _ensure_link()
if _path not in sys.path:
    sys.path.insert(0, _path)
