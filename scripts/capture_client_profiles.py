# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture the default KEXINIT of every SSH client installed here and write it as a client profile.

    .venv/bin/python scripts/capture_client_profiles.py [kind ...]

Each client connects with its default settings to fleetcrypto.sftp's capture listener on 127.0.0.1;
the profile lands in data/client_profiles/<product>-<version>.yml with a ``source:`` naming the
software and package it came from. tests/live/test_client_profiles.py re-captures and compares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys
import tempfile
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import conftest  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
from lab.clients import DEFAULT_CLIENTS, available_default_clients  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import (  # noqa: E402  pylint: disable=wrong-import-position
    capture_clients,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.kexinit import NAME_LIST_KEYS  # noqa: E402  pylint: disable=wrong-import-position

PROFILE_DIR = os.path.join(ROOT, 'data', 'client_profiles')


def capture_default(kind, workdir, timeout=60.0):
    """Run the ``kind`` client against a capture listener; return the capture record or None."""
    launcher = DEFAULT_CLIENTS[kind][0]
    ready = threading.Event()
    port = []
    result = {}

    def listen():
        result.update(capture_clients(address='127.0.0.1', port=0, count=1, timeout=timeout,
                                      on_listening=lambda bound: (port.append(bound), ready.set())))
    thread = threading.Thread(target=listen)
    thread.start()
    try:
        if not ready.wait(10):
            return None
        launcher(port[0], workdir)
    finally:
        thread.join(timeout + 5)
    clients = result.get('clients') or []
    return clients[0] if clients else None


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as yamllint (and ansible-lint) expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_IndentedDumper, self).increase_indent(flow, False)


def write_profile(path, document):
    with open(path, 'w') as handle:
        handle.write('---\n')
        yaml.dump(document, handle, Dumper=_IndentedDumper, sort_keys=False, width=120)


def as_profile_document(kind, record):
    profile = record['profile']
    document = {
        'name': profile['name'] + ('-restricted-jce' if kind == 'jsch-restricted-jce' else ''),
        'product': profile['software']['product'],
        'version': profile['software']['version'],
        'banner': profile['banner'],
        'source': 'Captured on the wire on %s from %s with its default settings, by fleetcrypto.sftp.client_capture '
                  '(scripts/capture_client_profiles.py %s).' % (time.strftime('%Y-%m-%d'), DEFAULT_CLIENTS[kind][1](),
                                                                kind),
        'captured_with': kind,
    }
    for key in NAME_LIST_KEYS:
        document[key] = profile[key]
    return document


def main(kinds):
    os.makedirs(PROFILE_DIR, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-capture-')
    for kind in kinds or available_default_clients():
        record = capture_default(kind, workdir)
        if record is None:
            print('%-10s no KEXINIT captured' % kind)
            continue
        document = as_profile_document(kind, record)
        path = os.path.join(PROFILE_DIR, document['name'] + '.yml')
        write_profile(path, document)
        print('%-10s %s -> %s' % (kind, record['banner'], os.path.relpath(path, ROOT)))


if __name__ == '__main__':
    main(sys.argv[1:])
