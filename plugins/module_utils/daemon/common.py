# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the daemon backends (``openssh``, ``proftpd``) share: their error and how they read configuration files.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class DaemonError(Exception):
    """A daemon command failed or printed something unusable; ``details`` are extra result keys for ``fail_json``."""

    def __init__(self, msg, **details):
        super(DaemonError, self).__init__(msg)
        self.msg = msg
        self.details = details


def read_text(path):
    """A configuration file's text, or None when it cannot be read."""
    try:
        with open(path, 'r', errors='replace') as handle:
            return handle.read()
    except (IOError, OSError):
        return None
