# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive ProFTPD mod_sftp server profiles (default offer and ``supported``) from proftpd/proftpd's source.

    python scripts/proftpd_profiles_from_source.py /path/to/proftpd.git [--check-against proftpd-1.3.8]

At each release tag it reads contrib/mod_sftp as a build against OpenSSL 3.0 with libsodium, X448, ECC, SHA-256/512,
EVP AES-GCM and ChaCha20 compiles it (Debian 12's build: its captured offer has curve25519 and curve448):
  * kex: kex.c kex_exchanges[] (get_kexinit_exchange_list without SFTPKeyExchanges; diffie-hellman-group1-sha1 only
    with SFTPOptions AllowWeakDH), then "ext-info-s" and, from 1.3.8b, "kex-strict-s-v00@openssh.com";
  * host keys: kex.c get_kexinit_hostkey_algo_list's default order, keeping the algorithms of the host keys the
    server has (ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512, rsa-sha2-256, ssh-rsa for RSA, ECDSA P-256 and
    Ed25519 keys);
  * ciphers, MACs: crypto.c ciphers[] and digests[] entries whose ``enabled`` field is TRUE
    (sftp_crypto_get_kexinit_cipher_list / _digest_list without SFTPCiphers / SFTPDigests);
  * compression: "none" (SFTPCompression off, kex.c create_kex).
``supported`` is every entry of crypto.c key_exchanges[], hostkey_algos[], ciphers[], digests[] (enabled or not)
in that build, and the three SFTPCompression lists. --check-against compares a derived release with a captured
profile (v1.3.8b, whose strict-kex change Debian backported to its 1.3.8 package, against proftpd-1.3.8).
It reads the source; it builds nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from c_source_tables import git_show, preprocess, string_items, struct_rows, table_text  # noqa: E402  pylint: disable=wrong-import-position
from capture_server_profiles import read_server_profile, write_server_profile  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS  # noqa: E402  pylint: disable=wrong-import-position

BUILD = ['OPENSSL_VERSION_NUMBER=0x30000000L', 'HAVE_EVP_AES_256_GCM_OPENSSL', 'HAVE_EVP_CHACHA20_OPENSSL',
         'HAVE_SHA256_OPENSSL', 'HAVE_SHA512_OPENSSL', 'PR_USE_OPENSSL_ECC', 'PR_USE_SODIUM', 'HAVE_SODIUM_H',
         'HAVE_X448_OPENSSL', 'TRUE=1', 'FALSE=0']
BUILD_WORDS = 'OpenSSL 3.0 with libsodium, X448, ECC, SHA-256/512, EVP AES-GCM and ChaCha20'
# Derived profiles: name -> the tags of that release line (the newest last; every tag must give the same lists).
RELEASES = {'proftpd-1.3.9': ['v1.3.9', 'v1.3.9a', 'v1.3.9b', 'v1.3.9c', 'v1.3.9d']}
CHECK_TAG = 'v1.3.8b'
# Tags whose derived lists a build sent exactly (configure --with-modules=mod_sftp --enable-openssl against Debian 12's
# OpenSSL 3.0 and libsodium; started and probed by scripts/capture_server_profiles.py --check-binary).
CHECKED_BUILDS = {'v1.3.9d': '2026-12-04'}
HOST_KEY_ALGORITHMS = {'ed25519': ['ssh-ed25519'], 'ed448': ['ssh-ed448'], 'ecdsa': ['ecdsa-sha2-nistp256'],
                       'rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'], 'dsa': ['ssh-dss']}
HOST_KEYS = ('rsa', 'ecdsa', 'ed25519')
CRYPTO = 'contrib/mod_sftp/crypto.c'
KEX = 'contrib/mod_sftp/kex.c'


def _flag(value):
    return value.strip() in ('1', 'TRUE')


def derive_lists(git_dir, tag, host_keys=HOST_KEYS):
    crypto = git_show(git_dir, tag, CRYPTO)
    kex = git_show(git_dir, tag, KEX)
    ciphers = struct_rows(preprocess(table_text(crypto, 'ciphers'), BUILD))
    digests = struct_rows(preprocess(table_text(crypto, 'digests'), BUILD))
    # struct sftp_cipher / sftp_digest: name first, then ... enabled, fips_allowed last.
    default_ciphers = [row[0] for row in ciphers if _flag(row[-2])]
    default_macs = [row[0] for row in digests if _flag(row[-2])]
    kex_default = string_items(preprocess(table_text(kex, 'kex_exchanges'), BUILD))
    pseudo = []
    if 'pstrdup(p, "ext-info-s")' in kex:
        pseudo.append('ext-info-s')
    if 'pstrdup(p, "kex-strict-s-v00@openssh.com")' in kex:
        pseudo.append('kex-strict-s-v00@openssh.com')
    supported_host_keys = string_items(preprocess(table_text(crypto, 'hostkey_algos'), BUILD))
    order = re.findall(r'push_array\(hostkey_algos\)\) = pstrdup\(p, "([^"]+)"\)', kex)
    if not order:
        raise LookupError('%s %s: get_kexinit_hostkey_algo_list default order not found' % (tag, KEX))
    usable = {name for key in host_keys for name in HOST_KEY_ALGORITHMS[key]}
    host_key_list = [name for name in order if name in usable and name in supported_host_keys]
    if '"zlib@openssh.com,zlib,none"' not in kex or 'c2s_comp_algo = "none"' not in kex:
        raise LookupError('%s %s: the SFTPCompression lists are not where this script expects them' % (tag, KEX))
    lists = {
        'kex_algorithms': kex_default + pseudo,
        'server_host_key_algorithms': host_key_list,
        'encryption_algorithms': default_ciphers,
        'mac_algorithms': default_macs,
        'compression_algorithms': ['none'],
    }
    supported = {
        'kex': string_items(preprocess(table_text(crypto, 'key_exchanges'), BUILD)),
        'host_key': supported_host_keys,
        'cipher': [row[0] for row in ciphers],
        'mac': [row[0] for row in digests],
        'compression': ['zlib@openssh.com', 'zlib', 'none'],
    }
    return lists, supported


def document_of(name, version, tags, lists, supported, host_keys=HOST_KEYS):
    document = {
        'name': name,
        'product': 'ProFTPD',
        'version': version,
        # mod_sftp's default SFTPServerVersion names no release (mod_sftp.h MOD_SFTP_VERSION, "mod_sftp").
        'banner': 'SSH-2.0-mod_sftp',
        'source': 'github.com/proftpd/proftpd tags %s (identical lists at each), contrib/mod_sftp built against %s: '
                  'kex.c kex_exchanges[] then get_kexinit_exchange_list\'s "ext-info-s"%s; host keys in '
                  'get_kexinit_hostkey_algo_list\'s default order for the host keys %s; crypto.c ciphers[] and '
                  'digests[] entries enabled by default; compression "none" (create_kex without SFTPCompression). '
                  'Derived by scripts/proftpd_profiles_from_source.py, whose method reproduces the captured '
                  'proftpd-1.3.8 profile from tag %s.%s' % (
                      ', '.join(tags), BUILD_WORDS,
                      ' and "kex-strict-s-v00@openssh.com"' if 'kex-strict-s-v00@openssh.com' in lists[
                          'kex_algorithms'] else '', '/'.join(host_keys), CHECK_TAG,
                      ''.join(' Checked on %s: a build of %s sent exactly these lists (scripts/capture_server_profiles.py'
                              ' --check-binary).' % (CHECKED_BUILDS[tag], tag) for tag in tags if tag in CHECKED_BUILDS)),
        'host_keys': list(host_keys),
    }
    document.update(expand(lists))
    document['supported'] = supported
    document['supported_source'] = supported_source(tags[-1])
    return document


def supported_source(tag):
    return ('github.com/proftpd/proftpd tag %s built against %s: contrib/mod_sftp/crypto.c key_exchanges[], '
            'hostkey_algos[], ciphers[] and digests[] (every entry, also those that SFTPCiphers/SFTPDigests/'
            'SFTPOptions AllowWeakDH must enable); compression from kex.c create_kex (SFTPCompression on/delayed).'
            % (tag, BUILD_WORDS))


def expand(lists):
    out = {}
    for key in NAME_LIST_KEYS:
        base = key.rsplit('_', 3)[0] if key.endswith(('_client_to_server', '_server_to_client')) else key
        out[key] = list(lists.get(base, []))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('git_dir')
    parser.add_argument('--check-against', help='captured profile to compare the derived %s with' % CHECK_TAG)
    args = parser.parse_args()
    if args.check_against:
        lists, supported = derive_lists(args.git_dir, CHECK_TAG)
        derived = expand(lists)
        captured = read_server_profile(args.check_against)
        different = 0
        for key in NAME_LIST_KEYS:
            same = derived[key] == captured[key]
            different += not same
            print('%-45s %s' % (key, 'equal' if same else 'DIFFERENT derived=%s captured=%s' % (
                derived[key], captured[key])))
        if captured.get('captured_with'):
            # The capture's ``supported`` is the release's source (upstream 1.3.8, Debian's build).
            captured['supported'] = derive_lists(args.git_dir, 'v1.3.8')[1]
            captured['supported_source'] = supported_source('v1.3.8') + (
                ' Debian\'s backported strict-kex patch adds no algorithm.')
            write_server_profile(captured)
            print('supported -> %s' % captured['name'])
        sys.exit(1 if different else 0)
    for name, tags in RELEASES.items():
        derived = [derive_lists(args.git_dir, tag) for tag in tags]
        if any(one != derived[-1] for one in derived):
            sys.exit('%s: the tags %s do not all give the same lists' % (name, ', '.join(tags)))
        lists, supported = derived[-1]
        path = write_server_profile(document_of(name, name.split('-', 1)[1], tags, lists, supported))
        print('%s -> %s' % (', '.join(tags), path))


if __name__ == '__main__':
    main()
