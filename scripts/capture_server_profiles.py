# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture the default KEXINIT of the sshd installed here and write it as a server profile.

    .venv/bin/python scripts/capture_server_profiles.py sshd NAME      # e.g. NAME=debian-12

Starts the real sshd on 127.0.0.1 (lab.servers.Sshd) with no algorithm settings and the host keys a package
install creates (rsa, ecdsa, ed25519 in sshd's default HostKey order), reads its offer with the collection's
algorithms_info core (plugins/module_utils/probe.py), and writes data/server_profiles/NAME.yml with
``captured_with: sshd``. ``supported`` is what the same build lists with ``ssh -Q`` (client and server come from one
source package). tests/live/test_server_profiles.py re-captures and compares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from profile_yaml import dump_profile  # noqa: E402  pylint: disable=wrong-import-position
from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.servers import Sshd  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe  # noqa: E402  pylint: disable=wrong-import-position

SERVER_PROFILE_DIR = os.path.join(ROOT, 'data', 'server_profiles')
# sshd's default HostKey files (servconf.c fill_default_server_options), all three created by `ssh-keygen -A`
# (and by Debian's openssh-server postinst).
DEFAULT_HOST_KEYS = ('rsa', 'ecdsa', 'ed25519')
# supported category -> `ssh -Q` query of the same build.
QUERIES = {'kex': 'kex', 'host_key': 'key-sig', 'cipher': 'cipher', 'mac': 'mac'}
# What the capture of a distribution's sshd shows beside the upstream release it is based on (checked with
# scripts/openssh_server_profiles_from_source.py --check-against NAME).
NOTES = {
    'debian-12': ' Differs from upstream V_9_2_P1 (data/server_profiles/openssh-9.2.yml) only by Debian\'s backports '
                 'in 1:9.2p1-2+deb12u*: kex-strict-s-v00@openssh.com (strict key exchange, CVE-2023-48795, upstream '
                 'from 9.6) and the sntrup761x25519-sha512 name (upstream from 9.9) ahead of '
                 'sntrup761x25519-sha512@openssh.com; no ext-info-s (upstream sshd sends it from 9.6).',
}


def capture_sshd_offer(host_key_types=DEFAULT_HOST_KEYS, timeout=20.0):
    """The real sshd's probe result (offer, banner, software) with no algorithm settings."""
    with Sshd(host_key_types=host_key_types) as server:
        target = server.targets[0]
        result = probe(target['host'], target['port'], timeout=timeout)
    if result.get('failed'):
        raise RuntimeError('probe of sshd failed: %s' % result.get('msg'))
    return result


def ssh_query(query):
    return subprocess.run(['ssh', '-Q', query], capture_output=True, text=True, check=True).stdout.split()


def package_version(package):
    return subprocess.run(['dpkg-query', '-W', '-f', '${Version}', package], capture_output=True, text=True,
                          check=False).stdout.strip() or 'unknown'


def sshd_document(name, result):
    software = result['software']
    supported = {category: ssh_query(query) for category, query in QUERIES.items()}
    # sshd offers "none,zlib@openssh.com" (Compression yes/delayed) or "none" (Compression no); plain "zlib",
    # which `ssh -Q compression` lists for the client, is not an sshd choice.
    supported['compression'] = list(result['offer']['compression_algorithms_server_to_client'])
    document = {
        'name': name,
        'product': software.get('product') or 'OpenSSH',
        'version': software.get('version'),
        'banner': result['banner'],
        'source': 'Captured on the wire on %s from Debian package openssh-server %s (/usr/sbin/sshd) with no '
                  'algorithm settings and host keys %s (sshd\'s default HostKey order, the keys ssh-keygen -A and '
                  'the package create), by scripts/capture_server_profiles.py sshd (probe: fleetcrypto.sftp '
                  'algorithms_info core).' % (datetime.date.today().isoformat(), package_version('openssh-server'),
                                              ', '.join(DEFAULT_HOST_KEYS)) + NOTES.get(name, ''),
        'captured_with': 'sshd',
        'host_keys': list(DEFAULT_HOST_KEYS),
    }
    for key in NAME_LIST_KEYS:
        document[key] = list(result['offer'][key])
    document['supported'] = supported
    document['supported_source'] = (
        '`ssh -Q kex`, `ssh -Q key-sig`, `ssh -Q cipher`, `ssh -Q mac` of Debian openssh-client %s (built from the '
        'same source package as the server); compression: what sshd offers with Compression yes (the default) '
        'and no. GSSAPI key exchange (`ssh -Q kex-gss`, Debian patch, off unless GSSAPIKeyExchange yes) is left out.'
        % package_version('openssh-client'))
    return document


def main():
    if len(sys.argv) != 3 or sys.argv[1] != 'sshd':
        sys.exit(__doc__)
    document = sshd_document(sys.argv[2], capture_sshd_offer())
    if not os.path.isdir(SERVER_PROFILE_DIR):
        os.makedirs(SERVER_PROFILE_DIR)
    path = os.path.join(SERVER_PROFILE_DIR, document['name'] + '.yml')
    with open(path, 'w') as handle:
        dump_profile(document, handle)
    print(path)


if __name__ == '__main__':
    main()
