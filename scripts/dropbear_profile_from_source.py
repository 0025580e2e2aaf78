# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive the client profile of dropbear's dbclient at a release tag from its source.

    python scripts/dropbear_profile_from_source.py /path/to/dropbear.git DROPBEAR_2026.94 [NOTE] > data/client_profiles/dropbear-2026.94.yml

dropbear's algorithm tables are C arrays whose entries are switched on and off by the build options
(default_options.h, sysoptions.h, config.h), so the script lets the real tools evaluate them: it extracts the
tag (git archive), runs its own ./configure with the default options (zlib found: DISABLE_ZLIB unset) and
``make default_options_guard.h``, and runs
the C preprocessor over common-algo.c with -DDROPBEAR_CLIENT -DDROPBEAR_SERVER, as the Makefile does when it
builds both dropbear and dbclient (Debian's build), and no localoptions.h. From the expanded text it reads:
  * common-kex.c send_msg_kexinit: kex = sshkex[], host keys = sigalgs[], ciphers = sshciphers[] and MACs =
    sshhashes[] in both directions, compression = ses.compress_algos_c2s/s2c, empty languages, every entry
    whose ``usable`` flag is set (buf_put_algolist);
  * cli-session.c cli_algos_initialise marks SSH_STRICT_KEX_S (kex-strict-s-v00@openssh.com) unusable in the
    client (svr_algos_initialise does the same to ext-info-c in the server); no other client code changes a flag;
  * compression (common-kex.c kex_setup_compress): ssh_compress (zlib@openssh.com, zlib, none) for the client
    when zlib is built in and opts.compression is set; from 2025 releases opts.compression starts as
    DROPBEAR_CLI_COMPRESSION (cli-runopts.c; default_options.h sets it 0, so only ``none``), earlier releases
    always offered zlib;
  * first_kex_packet_follows is true when DROPBEAR_KEX_FIRST_FOLLOWS is set (sysoptions.h, default 1):
    cli-session.c cli_session_init sets ses.send_kex_first_guess, and send_msg_kexinit sends the flag and the guessed packet;
  * the identification string is sysoptions.h LOCAL_IDENT.
The assumptions are dbclient with no -c/-m/-o options. Needs git, a C compiler (cpp) and zlib headers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys
import tempfile

from profile_yaml import dump_profile

_PROBE = '''
/* added by fleetcrypto.sftp scripts/dropbear_profile_from_source.py */
const char *fleetcrypto_ident = LOCAL_IDENT;
int fleetcrypto_first_follows = DROPBEAR_KEX_FIRST_FOLLOWS;
#ifdef DISABLE_ZLIB
int fleetcrypto_zlib = 0;
#else
int fleetcrypto_zlib = 1;
#endif
#ifdef DROPBEAR_CLI_COMPRESSION
int fleetcrypto_cli_compression = DROPBEAR_CLI_COMPRESSION;
#else
int fleetcrypto_cli_compression = -1;
#endif
#ifdef SSH_STRICT_KEX_S
const char *fleetcrypto_strict_server = SSH_STRICT_KEX_S;
#else
const char *fleetcrypto_strict_server = "";
#endif
'''
_ENTRY = re.compile(r'\{\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\s*,[^{}]*?,\s*(\d+)\s*,[^{}]*\}', re.S)


def _table(text, name):
    """The names of ``algo_type name[] = {...};`` whose ``usable`` field is set, in order."""
    body = re.search(r'\balgo_type\s+%s\[\]\s*=\s*\{(.*?)\n\};' % re.escape(name), text, re.S).group(1)
    return [''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', literals)) for literals, usable in _ENTRY.findall(body)
            if usable != '0']


def _value(text, name):
    match = re.search(r'\b%s\s*=\s*(.*?);' % re.escape(name), text, re.S)
    value = match.group(1).strip()
    if value.startswith('"'):
        return ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', value))
    return int(re.sub(r'[()\s]', '', value) or 0)


def expand_common_algo(repo, tag, workdir):
    archive = subprocess.run(['git', '-C', repo, 'archive', tag], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', workdir], input=archive, check=True)
    subprocess.run(['./configure'], cwd=workdir, capture_output=True, check=True)
    # The Makefile's own rule wraps each default_options.h setting in #ifndef (default_options_guard.h).
    subprocess.run(['make', 'default_options_guard.h'], cwd=workdir, capture_output=True, check=True)
    sources = os.path.join(workdir, 'src') if os.path.isdir(os.path.join(workdir, 'src')) else workdir
    path = os.path.join(sources, 'common-algo.c')
    with open(path, 'a') as handle:
        handle.write(_PROBE)
    return subprocess.run(['cpp', '-P', '-DDROPBEAR_CLIENT', '-DDROPBEAR_SERVER', '-I', workdir, '-I', sources,
                           '-I', os.path.join(workdir, 'libtomcrypt', 'src', 'headers'), path],
                          capture_output=True, text=True, check=True).stdout


def derive(repo, tag, note=None):
    workdir = tempfile.mkdtemp(prefix='dropbear-profile-')
    try:
        text = expand_common_algo(repo, tag, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    kex = [name for name in _table(text, 'sshkex') if name != _value(text, 'fleetcrypto_strict_server')]
    ciphers = _table(text, 'sshciphers')
    macs = _table(text, 'sshhashes')
    cli_compression = _value(text, 'fleetcrypto_cli_compression')
    compressing = _value(text, 'fleetcrypto_zlib') and cli_compression != 0
    compression = _table(text, 'ssh_compress') if compressing else _table(text, 'ssh_nocompress')
    banner = _value(text, 'fleetcrypto_ident')
    version = banner.rsplit('_', 1)[1]
    document = {
        'name': 'dropbear-%s' % version,
        'product': 'dropbear',
        'version': version,
        'banner': banner,
        'source': 'dropbear tag %s (github.com/mkj/dropbear), dbclient derived from source by '
                  'scripts/dropbear_profile_from_source.py: common-algo.c sshkex[], sigalgs[], sshciphers[], '
                  'sshhashes[] and ssh_compress[]/ssh_nocompress[] expanded by the C preprocessor with the tag\'s '
                  'default_options.h and sysoptions.h and the config.h of its own ./configure (zlib found), as '
                  'common-kex.c send_msg_kexinit sends them; kex-strict-s-v00@openssh.com dropped by cli-session.c '
                  'cli_algos_initialise; compression %s; first_kex_packet_follows from DROPBEAR_KEX_FIRST_FOLLOWS '
                  '(cli-session.c cli_session_init); banner sysoptions.h LOCAL_IDENT. dbclient with no -c/-m/-o '
                  'options. Run on tag DROPBEAR_2022.83, the method gives the lists captured from Debian\'s dbclient '
                  '2022.83 (profile dropbear-2022.83) but for kex-strict-c-v00@openssh.com, which Debian added in '
                  '2022.83-1+deb12u1 (its CVE-2023-48795 backport).'
                  % (tag, 'none only: opts.compression starts as DROPBEAR_CLI_COMPRESSION = 0 (default_options.h; '
                          '-o compression=yes turns zlib on)' if cli_compression == 0 else
                     'zlib@openssh.com, zlib, none (common-kex.c kex_setup_compress, zlib built in)'),
    }
    if note:
        document['source'] += ' ' + note
    if _value(text, 'fleetcrypto_first_follows'):
        document['first_kex_packet_follows'] = True
    document.update({
        'kex_algorithms': kex,
        'server_host_key_algorithms': _table(text, 'sigalgs'),
        'encryption_algorithms_client_to_server': ciphers,
        'encryption_algorithms_server_to_client': list(ciphers),
        'mac_algorithms_client_to_server': macs,
        'mac_algorithms_server_to_client': list(macs),
        'compression_algorithms_client_to_server': compression,
        'compression_algorithms_server_to_client': list(compression),
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    })
    return document


if __name__ == '__main__':
    dump_profile(derive(sys.argv[1], sys.argv[2], ' '.join(sys.argv[3:]) or None), sys.stdout)
