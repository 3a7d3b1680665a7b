# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Writing files on the controller from action plugins: atomically, and only when they change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import tempfile


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def same_file(path, data, mode):
    """Whether ``path`` already holds exactly ``data`` with ``mode`` (so writing it would change nothing)."""
    return (os.path.isfile(path) and os.path.getsize(path) == len(data)
            and (os.stat(path).st_mode & 0o7777) == mode
            and file_sha256(path) == hashlib.sha256(data).hexdigest())


def write_atomically(path, data, mode, prefix=".kdebug-"):
    """Write ``data`` to ``path`` through a temporary file in the same directory (parents made as needed)."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
