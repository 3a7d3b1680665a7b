# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""kdebug.toolkit.pcap_save: write a base64-encoded pcap to a file on the controller, byte for byte.

``ansible.builtin.copy`` with ``content`` writes text (the bytes of a pcap are
not), so the capture role hands the base64 text from kdebug_exec to this action
plugin, which decodes it, checks it is a pcap, drops a record cut off at the
end and writes the file atomically. It runs on the controller only: no module
is transferred and the capture never travels back to a managed host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.kdebug.toolkit.plugins.plugin_utils.files import same_file, write_atomically
from ansible_collections.kdebug.toolkit.plugins.plugin_utils.pcap import PcapError, decode_base64, parse_pcap

ARGUMENT_SPEC = dict(
    data=dict(type="str", required=True, no_log=False),
    dest=dict(type="path", required=True),
    mode=dict(type="raw", default="0600"),
)


def _mode(value):
    """An int from 0600, '0600' or '600' (octal, like file modes in Ansible)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        mode = int(text, 8)
    except ValueError:
        raise PcapError("mode must be an octal file mode such as '0600', got %r" % value)
    if not 0 <= mode <= 0o7777:
        raise PcapError("mode must be an octal file mode such as '0600', got %r" % value)
    return mode


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        dest = os.path.abspath(os.path.expanduser(args["dest"]))
        result.update(changed=False, dest=dest)
        try:
            mode = _mode(args["mode"])
            raw, dropped_chars = decode_base64(args["data"])
            info = parse_pcap(raw)
        except PcapError as exc:
            result.update(failed=True, msg="not saved to %s: %s." % (dest, exc))
            return result
        pcap = raw[:info["complete_length"]]
        digest = hashlib.sha256(pcap).hexdigest()
        result.update(size=len(pcap), sha256=digest, packets=info["packets"], link_type=info["link_type"],
                      link_type_name=info["link_type_name"], snaplen=info["snaplen"], precision=info["precision"],
                      trimmed_bytes=info["trailing_bytes"], cut=bool(info["trailing_bytes"] or dropped_chars))
        if os.path.isdir(dest):
            result.update(failed=True, msg="not saved: %s is a directory; give the file's path." % dest)
            return result
        if same_file(dest, pcap, mode):
            return result
        result["changed"] = True
        if self._task.check_mode:
            return result
        try:
            write_atomically(dest, pcap, mode, prefix=".pcap_save-")
        except (IOError, OSError) as exc:
            result.update(failed=True, changed=False, msg="could not write %s: %s." % (dest, to_native(exc)))
        return result
