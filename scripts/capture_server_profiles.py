# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture the default KEXINIT of the SSH servers installed here and write it as a server profile.

    .venv/bin/python scripts/capture_server_profiles.py [sshd] [proftpd] [dropbear]
    .venv/bin/python scripts/capture_server_profiles.py --check-binary dropbear /path/to/built/dropbear PROFILE

Each server starts on 127.0.0.1 (lab/servers.py) with a minimal configuration, no algorithm settings, and the
default host-key set of an install (RSA, ECDSA P-256 and Ed25519 keys: what ``ssh-keygen -A`` and Debian's
openssh-server create, in sshd's default HostKey order; the same set for ProFTPD's sample sftp.conf, which uses
OpenSSH's host keys; the types ``dropbear -R`` generates for dropbear); the probe core
(plugins/module_utils/probe.py) reads its offer. The ten lists, the banner and ``host_keys`` are written to
data/server_profiles/<name>.yml (Debian's sshd as ``debian-<release>``). For sshd, ``supported`` is what the
same build lists with ``ssh -Q`` (client and server come from one source package); for the others, keys the file
already has and a capture does not produce (``supported``, ``supported_source``, written by
scripts/proftpd_profiles_from_source.py and scripts/dropbear_profiles_from_source.py) are kept.
tests/live/test_server_profiles.py (sshd) and tests/live/test_server_profiles_capture.py re-capture.

``--check-binary`` validates a profile derived from source against the real software: it starts a server built
from that release's tag (outside the repository; nothing of it is kept) the same way and prints, per list,
whether it sends what the profile says.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

from profile_yaml import dump_profile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.servers import DROPBEAR, PROFTPD, Dropbear, ProftpdSftp, Sshd, keygen  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe  # noqa: E402  pylint: disable=wrong-import-position

SERVER_PROFILE_DIR = os.path.join(ROOT, 'data', 'server_profiles')
# sshd's default HostKey files (servconf.c fill_default_server_options), all three created by `ssh-keygen -A`
# (and by Debian's openssh-server postinst); the same key types for the other servers.
DEFAULT_HOST_KEYS = ('rsa', 'ecdsa', 'ed25519')
SSHD = '/usr/sbin/sshd'
# supported category -> `ssh -Q` query of the same OpenSSH build.
QUERIES = {'kex': 'kex', 'host_key': 'key-sig', 'cipher': 'cipher', 'mac': 'mac'}
# What the capture of a distribution's sshd shows beside the upstream release it is based on (checked with
# scripts/openssh_server_profiles_from_source.py --check-against NAME).
NOTES = {
    'debian-12': ' Differs from upstream V_9_2_P1 (data/server_profiles/openssh-9.2.yml) only by Debian\'s backports '
                 'in 1:9.2p1-2+deb12u*: kex-strict-s-v00@openssh.com (strict key exchange, CVE-2023-48795, upstream '
                 'from 9.6) and the sntrup761x25519-sha512 name (upstream from 9.9) ahead of '
                 'sntrup761x25519-sha512@openssh.com; no ext-info-s (upstream sshd sends it from 9.6).',
}
# The order of a profile's keys (schema in the server-profile contract); unknown keys go after these.
KEY_ORDER = ('name', 'alias_of', 'product', 'version', 'banner', 'source', 'captured_with', 'host_keys') + \
    NAME_LIST_KEYS + ('supported', 'supported_source')


def ordered(document):
    out = {key: document[key] for key in KEY_ORDER if key in document}
    out.update((key, value) for key, value in document.items() if key not in out)
    return out


def write_server_profile(document, directory=SERVER_PROFILE_DIR):
    """Write ``document`` as data/server_profiles/<name>.yml; return its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, document['name'] + '.yml')
    with open(path, 'w') as handle:
        dump_profile(ordered(document), handle)
    return path


def read_server_profile(name, directory=SERVER_PROFILE_DIR):
    path = os.path.join(directory, name + '.yml')
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return yaml.safe_load(handle)


def _package(name):
    try:
        out = subprocess.run(['dpkg-query', '-W', '-f', '${Version}', name], capture_output=True, text=True,
                             check=False).stdout.strip()
    except OSError:
        return None
    return out or None


def installed():
    """The server kinds installed here."""
    return [kind for kind, binary in (('sshd', SSHD), ('proftpd', PROFTPD), ('dropbear', DROPBEAR))
            if os.path.exists(binary) or shutil.which(kind)]


def _debian_release():
    """``12`` on Debian 12 (/etc/debian_version), for the name of the Debian sshd's profile."""
    try:
        with open('/etc/debian_version') as handle:
            return handle.read().strip().split('.')[0]
    except OSError:
        return 'unknown'


def ssh_query(query):
    return subprocess.run(['ssh', '-Q', query], capture_output=True, text=True, check=True).stdout.split()


def _sshd_server(workdir):
    return Sshd(host_key_types=DEFAULT_HOST_KEYS, workdir=workdir)


def _proftpd_server(workdir):
    # ProftpdSftp writes PEM RSA (3072) and ECDSA P-256 SFTPHostKeys; the Ed25519 key (OpenSSH format, which
    # mod_sftp 1.3.8 reads) is one more SFTPHostKey.
    ed25519 = keygen(os.path.join(workdir, 'host_ed25519'), 'ed25519')
    return ProftpdSftp(settings={'SFTPHostKey': ed25519}, workdir=workdir)


def _dropbear_server(workdir):
    # dropbearkey's default sizes: RSA 2048 (3072 from 2024.84), ECDSA 256 (ECDSA_DEFAULT_SIZE).
    return Dropbear(key_types=('rsa', 'ecdsa', 'ed25519'), workdir=workdir)


KINDS = {
    'sshd': {
        'server': _sshd_server,
        'package': 'openssh-server',
        'describe': lambda version: 'Debian package openssh-server %s (/usr/sbin/sshd)' % version,
        'config': 'no algorithm settings and host keys %s (sshd\'s default HostKey order, the keys ssh-keygen -A '
                  'and the package create)' % ', '.join(DEFAULT_HOST_KEYS),
        'name': 'debian-{debian}',
        'product': 'OpenSSH',
    },
    'proftpd': {
        'server': _proftpd_server,
        'package': 'proftpd-core',
        'describe': lambda version: 'Debian 12 package proftpd-core %s (mod_sftp from proftpd-mod-crypto; '
                                    'ProFTPD 1.3.8 with Debian\'s backported Terrapin fix, CVE-2023-48795, which '
                                    'adds kex-strict-s-v00@openssh.com as upstream 1.3.8b does)' % version,
        'config': 'a minimal proftpd.conf (SFTPEngine on, no SFTPCiphers/SFTPDigests/SFTPKeyExchanges/'
                  'SFTPCompression/SFTPOptions) with SFTPHostKey files RSA 3072 and ECDSA P-256 (PEM) and Ed25519 '
                  '(OpenSSH format), the key set of Debian\'s sample /etc/proftpd/sftp.conf (OpenSSH\'s host keys) '
                  'without DSA',
        'name': 'proftpd-{version}',
        'product': 'ProFTPD',
    },
    'dropbear': {
        'server': _dropbear_server,
        'package': 'dropbear-bin',
        'describe': lambda version: 'Debian 12 package dropbear-bin %s (/usr/sbin/dropbear; 2022.83 with Debian\'s '
                                    'backported Terrapin fix, CVE-2023-48795, which adds '
                                    'kex-strict-s-v00@openssh.com)' % version,
        'config': 'no options but -r for host keys RSA, ECDSA P-256 and Ed25519 made by dropbearkey -t TYPE '
                  '(the key types dropbear -R generates by default from 2024.84 on; this 2022.83 build still has DSS, '
                  'its sysoptions.h re-enables DROPBEAR_DSS, but a DSS host key is not assumed)',
        'name': 'dropbear-{version}',
        'product': 'dropbear',
    },
}


def capture(kind, workdir, timeout=20.0, binary=None):
    """Start the installed ``kind`` server (or ``binary``, a build of it) in ``workdir`` and return the probe
    result (the server is stopped)."""
    server = KINDS[kind]['server'](workdir)
    if binary:
        command = server.command
        server.command = lambda: [binary] + command()[1:]
        modules = subprocess.run([binary, '-l'], capture_output=True, text=True, check=False).stdout
        if kind == 'proftpd' and 'mod_sftp.c' in modules:
            # A build with mod_sftp compiled in (configure --with-modules=mod_sftp) has no module to load.
            prepare = server.prepare

            def prepare_static():
                prepare()
                with open(server.config_path) as handle:
                    lines = [line for line in handle if not line.startswith(('ModulePath ', 'LoadModule '))]
                with open(server.config_path, 'w') as handle:
                    handle.writelines(lines)
            server.prepare = prepare_static
    with server:
        result = probe('127.0.0.1', server.port, timeout=timeout)
    if result.get('failed'):
        raise RuntimeError('%s probe failed: %s %s' % (kind, result.get('reason'), result.get('msg')))
    return result


def as_document(kind, result):
    spec = KINDS[kind]
    version = (result.get('software') or {}).get('version')
    if kind == 'proftpd':
        # mod_sftp's banner does not name the release (SSH-2.0-mod_sftp); the installed binary does.
        out = subprocess.run([PROFTPD, '-v'], capture_output=True, text=True, check=False)
        version = (out.stdout + out.stderr).split()[-1]
    document = {
        'name': spec['name'].format(version=version, debian=_debian_release()),
        'product': spec['product'],
        'version': version,
        'banner': result['banner'],
        'source': 'Captured on the wire on %s from %s, started with %s, by the probe core '
                  '(plugins/module_utils/probe.py) in scripts/capture_server_profiles.py %s.' % (
                      time.strftime('%Y-%m-%d'), spec['describe'](_package(spec['package']) or 'installed here'),
                      spec['config'], kind),
        'captured_with': kind,
        'host_keys': list(DEFAULT_HOST_KEYS),
    }
    for key in NAME_LIST_KEYS:
        document[key] = list(result['offer'][key])
    if kind == 'sshd':
        document['source'] += NOTES.get(document['name'], '')
        document['supported'] = {category: ssh_query(query) for category, query in QUERIES.items()}
        # sshd offers "none,zlib@openssh.com" (Compression yes/delayed) or "none" (Compression no); plain "zlib",
        # which `ssh -Q compression` lists for the client, is not an sshd choice.
        document['supported']['compression'] = list(result['offer']['compression_algorithms_server_to_client'])
        document['supported_source'] = (
            '`ssh -Q kex`, `ssh -Q key-sig`, `ssh -Q cipher`, `ssh -Q mac` of Debian openssh-client %s (built from '
            'the same source package as the server); compression: what sshd offers with Compression yes (the '
            'default) and no. GSSAPI key exchange (`ssh -Q kex-gss`, Debian patch, off unless GSSAPIKeyExchange '
            'yes) is left out.' % (_package('openssh-client') or 'installed here'))
    return document


def capture_sshd_offer(timeout=20.0):
    """The installed sshd's probe result (offer, banner, software) with no algorithm settings."""
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-server-capture-')
    try:
        return capture('sshd', workdir, timeout=timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def check_binary(kind, binary, name):
    """Compare what ``binary`` sends with the stored profile ``name``; True when every list is equal."""
    stored = read_server_profile(name)
    if stored is None:
        sys.exit('no server profile %s' % name)
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-server-check-')
    try:
        result = capture(kind, workdir, binary=binary)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    equal = True
    for key in ('banner',) + NAME_LIST_KEYS:
        got = result['banner'] if key == 'banner' else result['offer'][key]
        same = got == stored.get(key)
        equal = equal and same
        print('%-45s %s' % (key, 'equal' if same else 'DIFFERENT sent=%s profile=%s' % (got, stored.get(key))))
    return equal


def main(kinds):
    if kinds and kinds[0] in ('-h', '--help'):
        print(__doc__.strip())
        return
    if kinds and kinds[0] == '--check-binary':
        if len(kinds) != 4:
            sys.exit('--check-binary KIND BINARY PROFILE')
        sys.exit(0 if check_binary(kinds[1], kinds[2], kinds[3]) else 1)
    for kind in kinds or installed():
        workdir = tempfile.mkdtemp(prefix='fleetcrypto-server-capture-')
        try:
            document = as_document(kind, capture(kind, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        previous = read_server_profile(document['name']) or {}
        for key, value in previous.items():
            document.setdefault(key, value)
        path = write_server_profile(document)
        print('%-9s %s -> %s' % (kind, document['banner'], os.path.relpath(path, ROOT)))


if __name__ == '__main__':
    main(sys.argv[1:])
