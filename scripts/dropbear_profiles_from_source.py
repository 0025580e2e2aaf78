# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive dropbear server profiles (default offer and ``supported``) from mkj/dropbear's source.

    python scripts/dropbear_profiles_from_source.py /path/to/dropbear.git [--check-against dropbear-2022.83]

At each release tag it reads the build options (default_options.h with an empty localoptions.h, then
sysoptions.h, as options.h includes them) and evaluates common-algo.c's tables with the C preprocessor, as
``make PROGRAMS="dropbear dbclient ..."`` compiles them (DROPBEAR_SERVER and DROPBEAR_CLIENT both defined, zlib
present). The server's SSH_MSG_KEXINIT (common-kex.c send_msg_kexinit) lists the usable entries:
  * kex: sshkex[] minus what svr-session.c svr_algos_initialise() marks unusable on the server (ext-info-c,
    kex-strict-c-v00@openssh.com, diffie-hellman-group1-sha1 when DROPBEAR_DH_GROUP1_CLIENTONLY);
  * host keys: sigalgs[] minus what svr-runopts.c load_all_hostkeys() disables: types without a key, the security
    key (sk-) types, ECDSA sizes other than the loaded key's (ECDSA_DEFAULT_SIZE for ``-R``). The profile assumes a
    key of every type the build enables (what ``dropbear -R`` generates on demand);
  * ciphers, MACs: sshciphers[], sshhashes[];
  * compression: up to 2024.86 ssh_delaycompress[] both ways (svr-runopts.c compress_mode
    DROPBEAR_COMPRESS_DELAYED); from 2025.87 common-kex.c kex_setup_compress gives the server ssh_nocompress[]
    client-to-server and ssh_compress[] server-to-client.
``supported`` is what a build with the default options can offer (dropbear has no runtime algorithm settings
beyond host keys): the same tables with every server-usable entry, all key types and ECDSA sizes the build has,
and every compression table. --check-against compares the derived 2022.83 with the captured profile (Debian
backported the strict-kex pseudo-algorithm to its 2022.83 package: that one name is reported, not failed).
It reads the source; it builds nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from c_source_tables import git_exists, git_show, preprocess, struct_rows, table_text  # noqa: E402  pylint: disable=wrong-import-position
from capture_server_profiles import read_server_profile, write_server_profile  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS, PSEUDO_ALGORITHMS  # noqa: E402  pylint: disable=wrong-import-position

RELEASES = ['2024.84', '2024.85', '2024.86', '2025.87', '2025.88', '2025.89', '2026.90', '2026.91', '2026.92',
            '2026.93', '2026.94']
CHECK_RELEASE = '2022.83'
# Releases whose derived lists a build of the tag sent exactly (make PROGRAMS="dropbear dbclient dropbearkey", the
# default options, Debian 12's zlib; started and probed by scripts/capture_server_profiles.py --check-binary).
CHECKED_BUILDS = {release: '2026-12-04' for release in RELEASES}
BUILD = ['DROPBEAR_SERVER=1', 'DROPBEAR_CLIENT=1']
HEADERS = ('default_options.h', 'sysoptions.h', 'ssh.h', 'algo.h', 'ecdsa.h')
MARK = 'FLEETCRYPTO_TABLE_START'
# sigalgs[] signature type -> the host key it needs.
KEY_OF_SIGNATURE = {'ED25519': 'ed25519', 'ECDSA_NISTP256': 'ecdsa', 'ECDSA_NISTP384': 'ecdsa',
                    'ECDSA_NISTP521': 'ecdsa', 'RSA_SHA256': 'rsa', 'RSA_SHA1': 'rsa', 'DSS': 'dss',
                    'SK_ED25519': None, 'SK_ECDSA_NISTP256': None}
KEY_OPTIONS = (('rsa', 'DROPBEAR_RSA'), ('ecdsa', 'DROPBEAR_ECDSA'), ('ed25519', 'DROPBEAR_ED25519'),
               ('dss', 'DROPBEAR_DSS'))


class Tree:
    """One tag's files (the sources moved under src/ in 2024.84)."""

    def __init__(self, git_dir, tag):
        self.git_dir = git_dir
        self.tag = tag
        self.prefix = 'src/' if git_exists(git_dir, tag, 'src/common-algo.c') else ''
        self.prelude = '\n'.join(
            re.sub(r'^\s*#\s*(include|error|warning)\b.*$', '', self.show(header), flags=re.M)
            for header in HEADERS)

    def show(self, path):
        return git_show(self.git_dir, self.tag, self.prefix + path)

    def evaluate(self, text):
        """``text`` preprocessed after the option headers."""
        out = preprocess(self.prelude + '\n' + MARK + '\n' + text, BUILD)
        return out.split(MARK, 1)[1]

    def option(self, name):
        value = self.evaluate('fleetcrypto=%s' % name).strip().split('=', 1)[1].strip()
        return None if value == name else value

    def table(self, name, source='common-algo.c'):
        return struct_rows(self.evaluate(table_text(self.show(source), name)))

    def function(self, source, signature):
        text = self.show(source)
        match = re.search(r'^%s[^{;]*\{(.*?)^\}' % re.escape(signature), text, re.S | re.M)
        if not match:
            raise LookupError('%s %s: %s not found' % (self.tag, source, signature))
        return self.evaluate(match.group(1))


def _enabled(value):
    return value not in (None, '0', '')


def derive(git_dir, release, host_keys=None):
    """The lists of ``release`` for a server with ``host_keys`` (default: a key of every type the build has)."""
    tree = Tree(git_dir, 'DROPBEAR_%s' % release)
    # svr_algos_initialise(): the kex names the server marks unusable.
    unusable = set(re.findall(r'strcmp\(algo->name, "([^"]+)"\) == 0\) \{\s*algo->usable = 0',
                              tree.function('svr-session.c', 'static void svr_algos_initialise(void)')))
    kex_rows = tree.table('sshkex')
    kex = [row[0] for row in kex_rows if row[3] == '1' and row[0] not in unusable]
    build_key_types = [key for key, option in KEY_OPTIONS if _enabled(tree.option(option))]
    key_types = [key for key in build_key_types if host_keys is None or key in host_keys]
    ecdsa_size = tree.option('ECDSA_DEFAULT_SIZE')
    signatures = tree.table('sigalgs')
    host_key = []
    for name, signature in ((row[0], row[1]) for row in signatures):
        kind = signature.replace('DROPBEAR_SIGNATURE_', '')
        if kind not in KEY_OF_SIGNATURE:
            raise LookupError('%s sigalgs[]: unknown signature type %s' % (tree.tag, signature))
        key = KEY_OF_SIGNATURE[kind]
        if key is None or key not in key_types:
            continue
        if key == 'ecdsa' and kind != 'ECDSA_NISTP%s' % ecdsa_size:
            continue
        host_key.append(name)
    ciphers = [row[0] for row in tree.table('sshciphers')]
    macs = [row[0] for row in tree.table('sshhashes')]
    kex_c = tree.show('common-kex.c')
    runopts = tree.show('svr-runopts.c')
    compress = {name: [row[0] for row in tree.table(name)] for name in ('ssh_compress', 'ssh_delaycompress',
                                                                         'ssh_nocompress')}
    if 'opts.compress_mode = DROPBEAR_COMPRESS_DELAYED' in runopts and \
            'ses.compress_algos = ssh_delaycompress' in kex_c:
        c2s = s2c = compress['ssh_delaycompress']
        compression_rule = 'svr-runopts.c compress_mode DROPBEAR_COMPRESS_DELAYED: ssh_delaycompress[] both ways'
    elif re.search(r'opts\.(compression|allow_compress) = 1;', runopts) and re.search(
            r'\} else \{\s*ses\.compress_algos_c2s = ssh_nocompress;\s*ses\.compress_algos_s2c = ssh_compress;',
            kex_c):
        c2s, s2c = compress['ssh_nocompress'], compress['ssh_compress']
        compression_rule = ('common-kex.c kex_setup_compress (server, compression on by svr-runopts.c): '
                            'ssh_nocompress[] client-to-server, ssh_compress[] server-to-client')
    else:
        raise LookupError('%s: the server compression setup is not one this script knows' % tree.tag)
    lists = {
        'kex_algorithms': kex,
        'server_host_key_algorithms': host_key,
        'encryption_algorithms_client_to_server': ciphers,
        'encryption_algorithms_server_to_client': ciphers,
        'mac_algorithms_client_to_server': macs,
        'mac_algorithms_server_to_client': macs,
        'compression_algorithms_client_to_server': c2s,
        'compression_algorithms_server_to_client': s2c,
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    }
    supported = {
        'kex': [name for name in kex if name not in PSEUDO_ALGORITHMS],
        'host_key': [row[0] for row in signatures
                     if KEY_OF_SIGNATURE[row[1].replace('DROPBEAR_SIGNATURE_', '')] in build_key_types],
        'cipher': ciphers,
        'mac': macs,
        'compression': [name for name in compress['ssh_compress']],
    }
    for name in compress['ssh_delaycompress'] + compress['ssh_nocompress']:
        if name not in supported['compression']:
            supported['compression'].append(name)
    facts = {'tag': tree.tag, 'files': tree.prefix, 'key_types': key_types, 'ecdsa_size': ecdsa_size,
             'unusable': sorted(unusable), 'compression_rule': compression_rule}
    return lists, supported, facts


def document_of(release, lists, supported, facts):
    files = facts['files']
    keys = [('ecdsa' if key == 'ecdsa' else key) for key in facts['key_types']]
    return dict({
        'name': 'dropbear-%s' % release,
        'product': 'dropbear',
        'version': release,
        'banner': 'SSH-2.0-dropbear_%s' % release,
        'source': 'github.com/mkj/dropbear tag %s, default build options (%sdefault_options.h, %ssysoptions.h; '
                  'server and client programs built): %scommon-algo.c sshkex[] without what svr-session.c '
                  'svr_algos_initialise marks unusable (%s), sigalgs[] as svr-runopts.c load_all_hostkeys leaves '
                  'it for host keys %s (ECDSA %s, ECDSA_DEFAULT_SIZE; sk- types disabled), sshciphers[], '
                  'sshhashes[]; compression: %s. Derived by scripts/dropbear_profiles_from_source.py, whose method '
                  'reproduces the captured dropbear-2022.83 profile except the strict-kex name Debian backported.%s'
                  % (facts['tag'], files, files, files, ', '.join(facts['unusable']), '/'.join(keys),
                     facts['ecdsa_size'], facts['compression_rule'],
                     ' Checked on %s: a build of the tag with the default options sent exactly these lists '
                     '(scripts/capture_server_profiles.py --check-binary).' % CHECKED_BUILDS[release]
                     if release in CHECKED_BUILDS else ''),
        'host_keys': keys,
        'supported': supported,
        'supported_source': supported_source(facts),
    }, **lists)


def supported_source(facts):
    return ('github.com/mkj/dropbear tag %s with the default build options: every server-usable entry of '
            '%scommon-algo.c sshkex[], sigalgs[] (every host-key type and ECDSA size the build has, sk- types '
            'excluded as load_all_hostkeys disables them), sshciphers[], sshhashes[], ssh_compress[]/'
            'ssh_delaycompress[]/ssh_nocompress[]; dropbear has no runtime setting that adds algorithms.'
            % (facts['tag'], facts['files']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('git_dir')
    parser.add_argument('--check-against', help='captured profile to compare the derived %s with' % CHECK_RELEASE)
    args = parser.parse_args()
    if args.check_against:
        captured = read_server_profile(args.check_against)
        lists, supported, facts = derive(args.git_dir, CHECK_RELEASE, captured['host_keys'])
        different = 0
        for key in NAME_LIST_KEYS:
            extra = [name for name in captured[key] if name not in lists[key]]
            if lists[key] == captured[key]:
                verdict = 'equal'
            elif extra == ['kex-strict-s-v00@openssh.com'] and [
                    name for name in captured[key] if name not in extra] == lists[key]:
                verdict = 'equal but for kex-strict-s-v00@openssh.com (Debian\'s CVE-2023-48795 backport)'
            else:
                verdict = 'DIFFERENT derived=%s captured=%s' % (lists[key], captured[key])
                different += 1
            print('%-45s %s' % (key, verdict))
        if captured.get('captured_with'):
            captured['supported'] = supported
            captured['supported_source'] = supported_source(facts)
            write_server_profile(captured)
            print('supported -> %s' % captured['name'])
        sys.exit(1 if different else 0)
    for release in RELEASES:
        lists, supported, facts = derive(args.git_dir, release)
        path = write_server_profile(document_of(release, lists, supported, facts))
        print('%s -> %s' % (facts['tag'], os.path.basename(path)))


if __name__ == '__main__':
    main()
