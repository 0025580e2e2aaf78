# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive the client profile of libssh2 at a release tag from its source.

    python scripts/libssh2_profile_from_source.py /path/to/libssh2.git libssh2-1.11.1 [NOTE]

libssh2's method tables are C arrays of pointers to method structures, switched on and off by the crypto
back-end's macros (src/openssl.h LIBSSH2_AES_GCM, LIBSSH2_ED25519, ...), so the script lets the real tools
evaluate them: it extracts the tag (git archive), runs its own CMake configure with the OpenSSL back-end found
here and zlib off (as the captured builds were made), and runs the C preprocessor over src/kex.c, src/hostkey.c,
src/crypt.c and src/mac.c with the generated libssh2_config.h. From the expanded text it reads:
  * kex.c libssh2_kex_methods[], hostkey.c hostkey_methods[], crypt.c _libssh2_crypt_methods[], mac.c
    mac_methods[]: the entries (``&name``) in order, each named by the first string of the structure it points to;
  * kex.c kexinit: with no libssh2_session_method_pref() the lists are the whole tables (LIBSSH2_METHOD_PREFS_STR
    with NULL prefs), the cipher and MAC lists the same both ways, compression from comp.c
    _libssh2_comp_methods, which is ``none`` only unless LIBSSH2_FLAG_COMPRESS is set; no languages;
    first_kex_packet_follows 0;
  * the identification string is "SSH-2.0-libssh2_" and the release number (include/libssh2.h LIBSSH2_VERSION;
    the git tree has a _DEV suffix that maketgz replaces in the release tarball, so the tag's number is used).
Needs git, cmake, a C compiler (cpp) and the OpenSSL development headers. It prints YAML.
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

TABLES = (('kex_algorithms', 'kex.c', 'libssh2_kex_methods'),
          ('server_host_key_algorithms', 'hostkey.c', 'hostkey_methods'),
          ('encryption_algorithms_client_to_server', 'crypt.c', '_libssh2_crypt_methods'),
          ('mac_algorithms_client_to_server', 'mac.c', 'mac_methods'))


def pointer_table(text, array):
    """The names of the methods that ``static const X *array[] = { &a, &b, NULL };`` points at, in order."""
    body = re.search(r'\b%s\[\]\s*=\s*\{(.*?)\};' % re.escape(array), text, re.S).group(1)
    names = []
    for symbol in re.findall(r'&\s*([A-Za-z_][A-Za-z0-9_]*)', body):
        struct = re.search(r'\b%s\s*=\s*\{\s*((?:"(?:[^"\\]|\\.)*"\s*)+)' % re.escape(symbol), text)
        names.append(''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', struct.group(1))))
    return names


def expand(repo, tag, workdir):
    tree = os.path.join(workdir, 'src')
    os.mkdir(tree)
    extract_tag(repo, tag, tree)
    build = os.path.join(workdir, 'build')
    subprocess.run(['cmake', '-S', tree, '-B', build, '-DCRYPTO_BACKEND=OpenSSL', '-DENABLE_ZLIB_COMPRESSION=OFF',
                    '-DBUILD_EXAMPLES=OFF', '-DBUILD_TESTING=OFF'], capture_output=True, check=True)
    texts = {}
    for _key, source, _array in TABLES:
        texts[source] = subprocess.run(
            ['cpp', '-P', '-DHAVE_CONFIG_H', '-DLIBSSH2_OPENSSL', '-I', os.path.join(build, 'src'),
             '-I', os.path.join(tree, 'include'), '-I', os.path.join(tree, 'src'), os.path.join(tree, 'src', source)],
            capture_output=True, text=True, check=True).stdout
    return texts


def derive(repo, tag, note=None):
    workdir = tempfile.mkdtemp(prefix='libssh2-profile-')
    try:
        texts = expand(repo, tag, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lists = {key: pointer_table(texts[source], array) for key, source, array in TABLES}
    version = tag.split('-', 1)[1]
    document = {
        'name': 'libssh2-%s' % '.'.join(version.split('.')[:2]),
        'product': 'libssh2',
        'version': version,
        'banner': 'SSH-2.0-libssh2_%s' % version,
        'source': 'libssh2 tag %s (github.com/libssh2/libssh2), derived from source by '
                  'scripts/libssh2_profile_from_source.py: src/kex.c libssh2_kex_methods[], src/hostkey.c '
                  'hostkey_methods[], src/crypt.c _libssh2_crypt_methods[] and src/mac.c mac_methods[] expanded by the C '
                  'preprocessor with the libssh2_config.h of the tag\'s own CMake configure (OpenSSL back-end, zlib '
                  'off), each entry named by its method structure; kexinit sends the whole tables when no method '
                  'preferences are set, compression none (LIBSSH2_FLAG_COMPRESS unset), no guessed packet. The method '
                  'gives exactly the lists captured from builds of libssh2-1.8.2 and libssh2-1.11.1 (profiles '
                  'libssh2-1.8 and libssh2-1.11) and from Debian\'s libssh2 1.10.0 (libssh2-1.10).' % tag,
    }
    if note:
        document['source'] += ' ' + note
    document.update({
        'kex_algorithms': lists['kex_algorithms'],
        'server_host_key_algorithms': lists['server_host_key_algorithms'],
        'encryption_algorithms_client_to_server': lists['encryption_algorithms_client_to_server'],
        'encryption_algorithms_server_to_client': list(lists['encryption_algorithms_client_to_server']),
        'mac_algorithms_client_to_server': lists['mac_algorithms_client_to_server'],
        'mac_algorithms_server_to_client': list(lists['mac_algorithms_client_to_server']),
        'compression_algorithms_client_to_server': ['none'],
        'compression_algorithms_server_to_client': ['none'],
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    })
    return document


if __name__ == '__main__':
    dump_profile(derive(sys.argv[1], sys.argv[2], ' '.join(sys.argv[3:]) or None), sys.stdout)
