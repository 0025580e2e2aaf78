# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture the default KEXINIT of every SSH client installed here and write it as a client profile.

    .venv/bin/python scripts/capture_client_profiles.py [kind ...]
    .venv/bin/python scripts/capture_client_profiles.py --run 'COMMAND ... {port} ...' --source 'WHAT RAN' [--suffix S]

Each client connects with its default settings to fleetcrypto.sftp's capture listener on 127.0.0.1;
the profile lands in data/client_profiles/<product>-<version>.yml with a ``source:`` naming the
software and package it came from. tests/live/test_client_profiles.py re-captures and compares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time

from profile_yaml import dump_profile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.clients import DEFAULT_CLIENTS, available_default_clients  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import (  # noqa: E402  pylint: disable=wrong-import-position
    capture_clients,
    profile_name,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS  # noqa: E402  pylint: disable=wrong-import-position

PROFILE_DIR = os.path.join(ROOT, 'data', 'client_profiles')


def capture_default(kind, workdir, timeout=60.0, launcher=None):
    """Run the ``kind`` client (or ``launcher(port, workdir)``) against a capture listener; return the
    capture record or None."""
    launcher = launcher or DEFAULT_CLIENTS[kind][0]
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


def write_profile(path, document):
    """Write ``document``; a profile that also carries what a capture cannot know (a PuTTY release's
    ``putty_settings``/``putty_tokens``, written with their comments) keeps all of it but its name-lists, which are
    replaced by the captured ones (from ``kex_algorithms:`` on, the profile's last keys)."""
    kept = ''
    if os.path.exists(path):
        with open(path) as handle:
            text = handle.read()
        if '\nputty_tokens:' in text and '\nkex_algorithms:' in text:
            kept = text[:text.index('\nkex_algorithms:') + 1]
    with open(path, 'w') as handle:
        if kept:
            handle.write(kept)
            lists = {key: document[key] for key in NAME_LIST_KEYS}
            yaml_text = []
            dump_profile(lists, _Collect(yaml_text))
            handle.write(''.join(yaml_text)[len('---\n'):])
        else:
            dump_profile(document, handle)


class _Collect:
    def __init__(self, parts):
        self.write = parts.append


# Software whose banner names another release than the one installed: upstream JSch 0.1.55 never raised
# JSch.VERSION from "0.1.54" (JSch.java line 39 in the 0.1.55 sources that github.com/mwiede/jsch imported
# as its first commit, 635c0bcf), so Debian's libjsch-java 0.1.55 says SSH-2.0-JSCH-0.1.54 on the wire.
RELEASE_OVERRIDES = {'jsch': '0.1.55', 'jsch-restricted-jce': '0.1.55'}
# Builds whose lists differ from the upstream release their banner names: Debian 12's filezilla adds strict kex
# (debian/patches/CVE-2023-48795.patch), so its profile is a variant of FileZilla 3.63.0.
NAME_SUFFIXES = {'fzsftp': '-debian12'}


def as_profile_document(kind, record, described=None, suffix=''):
    """A profile document; ``kind`` None means a one-off ``--run`` capture that CI cannot repeat."""
    profile = record['profile']
    software = dict(profile['software'], version=RELEASE_OVERRIDES.get(kind, profile['software']['version']))
    version = software['version']
    name = profile_name(software)
    document = {
        # The restricted-JCE variant keeps the name the issue tracker gave it (the banner's release).
        'name': (profile['name'] + '-restricted-jce') if kind == 'jsch-restricted-jce'
        else name + (suffix or NAME_SUFFIXES.get(kind, '')),
        'product': profile['software']['product'],
        'version': version,
        'banner': profile['banner'],
        'source': 'Captured on the wire on %s from %s with its default settings, by fleetcrypto.sftp.client_capture '
                  '(scripts/capture_client_profiles.py %s).' % (
                      time.strftime('%Y-%m-%d'), described or DEFAULT_CLIENTS[kind][1](),
                      kind or '--run'),
    }
    if kind:
        document['captured_with'] = kind
    if record.get('offer', {}).get('first_kex_packet_follows'):
        # RFC 4253 section 7.1: the client sends a guessed key-exchange packet (dropbear always does).
        document['first_kex_packet_follows'] = True
    for key in NAME_LIST_KEYS:
        document[key] = profile[key]
    return document


def capture_command(command, described, suffix=''):
    """One-off capture of software built or installed outside the lab (e.g. an older release built from its
    source tag): ``command`` is an argv template with ``{port}``; ``described`` goes into ``source:``."""
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-capture-')

    def launcher(port, _workdir):
        argv = [part.replace('{port}', str(port)) for part in shlex.split(command)]
        subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, check=False, cwd=workdir)
    record = capture_default(None, workdir, launcher=launcher)
    if record is None:
        sys.exit('no KEXINIT captured from: %s' % command)
    document = as_profile_document(None, record, described, suffix)
    path = os.path.join(PROFILE_DIR, document['name'] + '.yml')
    write_profile(path, document)
    print('%s -> %s' % (record['banner'], os.path.relpath(path, ROOT)))


def main(kinds):
    if kinds and kinds[0] in ('-h', '--help'):
        print(__doc__.strip())
        return
    if kinds and kinds[0] == '--run':
        options = dict(zip(kinds[::2], kinds[1::2]))
        if '--source' not in options:
            sys.exit('--run needs --source (what ran, for the profile\'s source:)')
        capture_command(options['--run'], options['--source'], options.get('--suffix', ''))
        return
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
