# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive the client profile of libssh (libssh.org) at a release tag from its source.

    python scripts/libssh_profile_from_source.py /path/to/libssh.git libssh-0.11.5 [NOTE] > data/client_profiles/libssh-0.11.yml

NOTE, when given, is appended to ``source:`` (e.g. how the derived lists were checked).

libssh builds its KEXINIT lists from C preprocessor macros whose values depend on the crypto back-end and the
build options, so the script lets the real tools evaluate them: it extracts the tag (git archive), runs the
project's own CMake configure step with its default options (OpenSSL back-end found on this machine, zlib,
group exchange; Debian builds libssh the same way) to get config.h, and runs the C preprocessor over src/kex.c
with that config.h and the tag's headers. From the expanded text it reads:
  * src/kex.c default_methods[]: one string per KEXINIT list; a client with no algorithm options sends them
    (ssh_set_client_kex copies opts.wanted_methods[i] or, when unset, default_methods[i], as-is: a trailing
    comma in a macro becomes an empty entry on the wire, kept here as ``empty_entries``);
  * the host-key list: ssh_client_select_hostkeys takes the DEFAULT_PUBLIC_KEY_ALGORITHMS default, keeps the
    names in HOSTKEYS (ssh_find_all_matching: certificate types are dropped) in the default's order, and, when
    the host has no key in known_hosts (assumed: a first connection), sends that;
  * ssh_set_client_kex / ssh_kex_append_extensions: ``ext-info-c`` (KEX_EXTENSION_CLIENT) and, from 0.10.6,
    ``kex-strict-c-v00@openssh.com`` (KEX_STRICT_CLIENT) are appended to the kex list on the first key exchange;
  * ssh_send_kex: first_kex_packet_follows is 1 only when session->send_first_kex_follows is set, which only
    libssh's own tests do: false;
  * include/libssh/priv.h CLIENT_BANNER_SSH2 is the identification string.
The assumptions are a client with no ssh_options_set algorithm options, no ssh_config that sets algorithms
(SSH_OPTIONS_PROCESS_CONFIG off, as lab/clients.py runs it), not in FIPS mode, GSSAPI key exchange off.
Needs git, cmake, a C compiler (cpp) and the OpenSSL and zlib development headers. It prints YAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys
import tempfile

from c_source_tables import extract_tag
from profile_yaml import dump_profile

LIST_KEYS = ('kex_algorithms', 'server_host_key_algorithms', 'encryption_algorithms_client_to_server',
             'encryption_algorithms_server_to_client', 'mac_algorithms_client_to_server',
             'mac_algorithms_server_to_client', 'compression_algorithms_client_to_server',
             'compression_algorithms_server_to_client', 'languages_client_to_server', 'languages_server_to_client')

_PROBE = '''
/* added by fleetcrypto.sftp scripts/libssh_profile_from_source.py */
static const char *fleetcrypto_probe[] = {
    HOSTKEYS,
    DEFAULT_PUBLIC_KEY_ALGORITHMS,
    KEX_EXTENSION_CLIENT,
#ifdef KEX_STRICT_CLIENT
    KEX_STRICT_CLIENT,
#else
    "",
#endif
    CLIENT_BANNER_SSH2,
    NULL
};
'''
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(,)|([^",\s]+)')


def _array(text, name):
    """The entries of ``static const char *name[] = { ... };`` in preprocessed C: adjacent literals joined."""
    body = re.search(r'\b%s\[\]\s*=\s*\{(.*?)\};' % re.escape(name), text, re.S).group(1)
    entries, current, other = [], [], False
    for literal, comma, rest in _TOKEN.findall(body):
        if comma:
            entries.append(None if other else ''.join(current))
            current, other = [], False
        elif rest:
            other = True
        else:
            current.append(literal)
    if current or other:
        entries.append(None if other else ''.join(current))
    return entries


def _names(value):
    """``(names, first_empty)``: the wire names of a name-list string and how many came before an empty entry."""
    names, first_empty = [], None
    for name in value.split(',') if value else []:
        if not name:
            if first_empty is None:
                first_empty = len(names)
            continue
        names.append(name)
    return names, first_empty


def expand_kex_c(repo, tag, workdir):
    """Configure the tag with CMake's defaults and return src/kex.c (plus the probe) run through the preprocessor."""
    tree = os.path.join(workdir, 'src')
    os.mkdir(tree)
    extract_tag(repo, tag, tree)
    build = os.path.join(workdir, 'build')
    subprocess.run(['cmake', '-S', tree, '-B', build, '-DUNIT_TESTING=OFF', '-DCLIENT_TESTING=OFF',
                    '-DSERVER_TESTING=OFF', '-DWITH_EXAMPLES=OFF'], capture_output=True, check=True)
    kex_c = os.path.join(tree, 'src', 'kex.c')
    with open(kex_c, 'a') as handle:
        handle.write(_PROBE)
    return subprocess.run(['cpp', '-P', '-DHAVE_CONFIG_H', '-I', build, '-I', os.path.join(build, 'include'),
                           '-I', os.path.join(tree, 'include'), kex_c],
                          capture_output=True, text=True, check=True).stdout


def derive(repo, tag, note=None):
    workdir = tempfile.mkdtemp(prefix='libssh-profile-')
    try:
        text = expand_kex_c(repo, tag, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    defaults = _array(text, 'default_methods')[:len(LIST_KEYS)]
    hostkeys, public_key_algorithms, ext_info, strict, banner = _array(text, 'fleetcrypto_probe')[:5]
    document_lists, empty_entries = {}, {}
    for key, value in zip(LIST_KEYS, defaults):
        names, first_empty = _names(value)
        document_lists[key] = names
        if first_empty is not None:
            empty_entries[key] = first_empty
    allowed = set(_names(hostkeys)[0])
    document_lists['server_host_key_algorithms'] = [
        name for name in _names(public_key_algorithms)[0] if name in allowed]
    document_lists['kex_algorithms'] += [ext_info] + ([strict] if strict else [])
    version = banner.split('_', 1)[1]
    document = {
        'name': 'libssh-%s' % '.'.join(version.split('.')[:2]),
        'product': 'libssh',
        'version': version,
        'banner': banner,
        'source': 'libssh tag %s (git.libssh.org, GitHub mirror libssh/libssh-mirror), derived from source by '
                  'scripts/libssh_profile_from_source.py: src/kex.c default_methods[] (kex, ciphers, MACs, '
                  'compression) expanded by the C preprocessor with the config.h of the tag\'s own CMake configure '
                  '(default options, OpenSSL %s back-end, zlib, group exchange); host keys by '
                  'ssh_client_select_hostkeys (DEFAULT_PUBLIC_KEY_ALGORITHMS restricted to HOSTKEYS, nothing in '
                  'known_hosts for the server); ext-info-c%s appended by ssh_set_client_kex; no guessed kex packet '
                  '(ssh_send_kex, send_first_kex_follows unset); banner include/libssh/priv.h CLIENT_BANNER_SSH2. '
                  'A client with no algorithm options and no ssh_config, not in FIPS mode. The method gives exactly the '
                  'lists captured from Debian\'s libssh 0.10.6 (profile libssh-0.10) when run on tag libssh-0.10.6.'
                  % (tag, _openssl_version(), ' and kex-strict-c-v00@openssh.com' if strict else ''),
    }
    raw = subprocess.run(['git', '-C', repo, 'show', '%s:src/kex.c' % tag], capture_output=True, text=True,
                         check=True).stdout
    if 'mlkem1024nistp384-sha384' in raw and 'mlkem1024nistp384-sha384' not in document_lists['kex_algorithms']:
        document['source'] += (' Built against OpenSSL 3.5 or later (ConfigureChecks.cmake sets HAVE_MLKEM1024), the '
                               'kex list also has mlkem1024nistp384-sha384 after mlkem768nistp256-sha256.')
    if note:
        document['source'] += ' ' + note
    if empty_entries:
        # The macros leave a trailing comma in these lists: an empty entry after the last name on the wire.
        document['empty_entries'] = empty_entries
    document.update(document_lists)
    return document


def _openssl_version():
    proc = subprocess.run(['openssl', 'version'], capture_output=True, text=True, check=False)
    words = proc.stdout.split()
    return words[1] if len(words) > 1 else 'system'


if __name__ == '__main__':
    dump_profile(derive(sys.argv[1], sys.argv[2], ' '.join(sys.argv[3:]) or None), sys.stdout)
