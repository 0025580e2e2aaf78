# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive dropbear's server profiles (default offer and ``supported``) and dbclient's client profiles from source.

    python scripts/dropbear_profiles_from_source.py /path/to/dropbear.git                  # all known releases
    python scripts/dropbear_profiles_from_source.py /path/to/dropbear.git --server 2026.94 --client 2026.94
    python scripts/dropbear_profiles_from_source.py /path/to/dropbear.git --check-against dropbear-2022.83

Without --server/--client it writes data/server_profiles/dropbear-<release>.yml for SERVER_RELEASES and
data/client_profiles/dropbear-<release>.yml for CLIENT_RELEASES; --server/--client RELEASE (repeatable; a release
such as 2026.94 or its tag DROPBEAR_2026.94) write only those.

One way of evaluating the tables, as a real build does: the tag is extracted (git archive), its own ./configure
runs with the defaults (config.h: zlib found, so DISABLE_ZLIB unset) and ``make default_options_guard.h`` wraps
default_options.h (no localoptions.h); then the C preprocessor runs over common-algo.c with the Makefile's include
directories and -DDROPBEAR_SERVER -DDROPBEAR_CLIENT (a build of both programs, as Debian's), with probes appended
for the options and for the bodies of svr-session.c svr_algos_initialise / cli-session.c cli_algos_initialise.
common-kex.c send_msg_kexinit sends each table's entries whose ``usable`` flag is set (buf_put_algolist):
  * kex: sshkex[] minus the names the side's *_algos_initialise marks unusable (server: ext-info-c,
    kex-strict-c-v00@openssh.com, diffie-hellman-group1-sha1 when DROPBEAR_DH_GROUP1_CLIENTONLY; client:
    kex-strict-s-v00@openssh.com; 2022.83 has no cli_algos_initialise);
  * server host keys: sigalgs[] minus what svr-runopts.c load_all_hostkeys() disables: types without a key, the
    security key (sk-) types, ECDSA sizes other than the loaded key's (ECDSA_DEFAULT_SIZE for ``-R``). The profile
    assumes a key of every type the build enables (what ``dropbear -R`` generates on demand). The client sends all
    of sigalgs[];
  * ciphers, MACs: sshciphers[], sshhashes[] both ways;
  * server compression: up to 2024.86 ssh_delaycompress[] both ways (svr-runopts.c compress_mode
    DROPBEAR_COMPRESS_DELAYED); from 2025.87 common-kex.c kex_setup_compress gives the server ssh_nocompress[]
    client-to-server and ssh_compress[] server-to-client;
  * client compression (common-kex.c kex_setup_compress/kexfirstinitialise): ssh_compress[] when zlib is built in
    and compression is on; from the releases with DROPBEAR_CLI_COMPRESSION (cli-runopts.c starts opts.compression
    with it; default_options.h sets 0) only ssh_nocompress[]; earlier releases always compress;
  * client first_kex_packet_follows when DROPBEAR_KEX_FIRST_FOLLOWS (sysoptions.h; cli-session.c cli_session_init
    sets ses.send_kex_first_guess); banner sysoptions.h LOCAL_IDENT. dbclient with no -c/-m/-o options.
Server ``supported`` is what a build with the default options can offer (dropbear has no runtime algorithm
settings beyond host keys): the same tables with every server-usable entry, all key types and ECDSA sizes the
build has, and every compression table.

--check-against NAME derives the release of the captured profiles NAME (data/server_profiles/NAME.yml, server with
its host keys, and data/client_profiles/NAME.yml) and compares every list; Debian backported the strict-kex
pseudo-algorithm to its 2022.83 package, so that one name is reported, not failed. It also writes ``supported``
into the captured server profile. Needs git, ./configure's tools (a C compiler, make) and zlib headers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from c_source_tables import c_string, extract_tag, preprocess, struct_rows, table_text  # noqa: E402  pylint: disable=wrong-import-position
from capture_server_profiles import ROOT, read_server_profile, write_server_profile  # noqa: E402  pylint: disable=wrong-import-position
from profile_yaml import dump_profile  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS, PSEUDO_ALGORITHMS  # noqa: E402  pylint: disable=wrong-import-position

SERVER_RELEASES = ['2024.84', '2024.85', '2024.86', '2025.87', '2025.88', '2025.89', '2026.90', '2026.91',
                   '2026.92', '2026.93', '2026.94']
CLIENT_RELEASES = ['2026.94']
CLIENT_PROFILE_DIR = os.path.join(ROOT, 'data', 'client_profiles')
# Releases whose derived server lists a build of the tag sent exactly (make PROGRAMS="dropbear dbclient
# dropbearkey", the default options, Debian 12's zlib; started and probed by scripts/capture_server_profiles.py
# --check-binary).
CHECKED_BUILDS = {release: '2026-12-04' for release in SERVER_RELEASES}
# Releases whose derived client lists, banner and guess flag were captured on the wire from dbclient built from the
# tag here (./configure defaults, make PROGRAMS=dbclient).
CHECKED_CLIENT_BUILDS = {'2026.94': '2026-12-04'}
BUILD = ['DROPBEAR_SERVER', 'DROPBEAR_CLIENT']
OPTIONS = ('DROPBEAR_RSA', 'DROPBEAR_ECDSA', 'DROPBEAR_ED25519', 'DROPBEAR_DSS', 'ECDSA_DEFAULT_SIZE',
           'DISABLE_ZLIB', 'DROPBEAR_CLI_COMPRESSION', 'DROPBEAR_KEX_FIRST_FOLLOWS', 'LOCAL_IDENT')
# The functions that mark kex entries unusable, per side: (file, signature).
ALGOS_INITIALISE = {'server': ('svr-session.c', 'static void svr_algos_initialise(void)'),
                    'client': ('cli-session.c', 'static void cli_algos_initialise(void)')}
MARK = 'fleetcrypto_probe_%s'
# sigalgs[] signature type -> the host key it needs.
KEY_OF_SIGNATURE = {'ED25519': 'ed25519', 'ECDSA_NISTP256': 'ecdsa', 'ECDSA_NISTP384': 'ecdsa',
                    'ECDSA_NISTP521': 'ecdsa', 'RSA_SHA256': 'rsa', 'RSA_SHA1': 'rsa', 'DSS': 'dss',
                    'SK_ED25519': None, 'SK_ECDSA_NISTP256': None}
KEY_OPTIONS = (('rsa', 'DROPBEAR_RSA'), ('ecdsa', 'DROPBEAR_ECDSA'), ('ed25519', 'DROPBEAR_ED25519'),
               ('dss', 'DROPBEAR_DSS'))


def release_of(text):
    return text[len('DROPBEAR_'):] if text.startswith('DROPBEAR_') else text


def function_body(source, signature):
    """The body of the C function defined by ``signature`` at a line start, or None when the file has none."""
    match = re.search(r'^%s[^{;]*\{(.*?)^\}' % re.escape(signature), source, re.S | re.M)
    return match.group(1) if match else None


def probe_text(bodies):
    """What is appended to common-algo.c: each option's value (only if defined) and each function body. ecdsa.h
    (ECDSA_DEFAULT_SIZE) is included as svr-runopts.c includes it; common-algo.c does not."""
    lines = ['#include "ecdsa.h"']
    lines += ['#ifdef %s\n%s %s\n#endif' % (name, MARK % ('option_' + name), name) for name in OPTIONS]
    for side, body in sorted(bodies.items()):
        if body is not None:
            lines.append('%s\n%s\n%s' % (MARK % ('begin_' + side), body, MARK % ('end_' + side)))
    return '\n' + '\n'.join(lines) + '\n'


class Expanded:
    """common-algo.c and the probes as the C preprocessor gave them."""

    def __init__(self, text):
        self.text = text

    def rows(self, name):
        """The ``{name, val, data, usable, mode}`` rows of ``algo_type name[]``."""
        return struct_rows(table_text(self.text, name))

    def table(self, name, unusable=()):
        """The names of ``name[]`` that buf_put_algolist sends: ``usable`` set and not marked ``unusable``."""
        return [row[0] for row in self.rows(name) if row[3] != '0' and row[0] not in unusable]

    def option(self, name):
        """The value of the option macro ``name`` (stripped text), or None when it is not defined."""
        match = re.search(r'^%s\b(.*)$' % re.escape(MARK % ('option_' + name)), self.text, re.M)
        return None if match is None else match.group(1).strip()

    def unusable(self, side):
        """The kex names the side's *_algos_initialise marks unusable (nothing when the tag has no such function)."""
        match = re.search(r'%s(.*?)%s' % (MARK % ('begin_' + side), MARK % ('end_' + side)), self.text, re.S)
        if match is None:
            return set()
        return set(re.findall(r'strcmp\(algo->name, "([^"]+)"\) == 0\) \{\s*algo->usable = 0', match.group(1)))


class Tree:
    """One tag extracted, configured with the defaults and default_options_guard.h made, as a build does it (the
    sources moved under src/ in 2024.84)."""

    def __init__(self, git_dir, release):
        self.tag = 'DROPBEAR_%s' % release_of(release)
        self.release = release_of(release)
        self.workdir = tempfile.mkdtemp(prefix='fleetcrypto-dropbear-')
        try:
            extract_tag(git_dir, self.tag, self.workdir)
            subprocess.run(['./configure'], cwd=self.workdir, capture_output=True, check=True)
            # The Makefile's own rule wraps each default_options.h setting in #ifndef (default_options_guard.h).
            subprocess.run(['make', 'default_options_guard.h'], cwd=self.workdir, capture_output=True, check=True)
            self.prefix = 'src/' if os.path.exists(os.path.join(self.workdir, 'src', 'common-algo.c')) else ''
            self.kex_c = self.show('common-kex.c')
            self.svr_runopts = self.show('svr-runopts.c')
            bodies = {side: function_body(self.show(path), signature)
                      for side, (path, signature) in ALGOS_INITIALISE.items()}
            if bodies['server'] is None:
                raise LookupError('%s %s: %s not found' % ((self.tag,) + ALGOS_INITIALISE['server']))
            # The Makefile's CPPFLAGS: libtomcrypt's headers, the build directory (config.h,
            # default_options_guard.h), the source directory.
            self.expanded = Expanded(preprocess(
                self.show('common-algo.c') + probe_text(bodies), BUILD,
                include_dirs=[os.path.join(self.workdir, 'libtomcrypt', 'src', 'headers'), self.workdir,
                              os.path.join(self.workdir, self.prefix.rstrip('/'))]))
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def show(self, path):
        with open(os.path.join(self.workdir, self.prefix + path)) as handle:
            return handle.read()


def _enabled(value):
    return value not in (None, '0', '')


def derive(tree, host_keys=None):
    """The server lists of ``tree`` for a server with ``host_keys`` (default: a key of every type the build has)."""
    expanded = tree.expanded
    unusable = expanded.unusable('server')
    kex = expanded.table('sshkex', unusable)
    build_key_types = [key for key, option in KEY_OPTIONS if _enabled(expanded.option(option))]
    key_types = [key for key in build_key_types if host_keys is None or key in host_keys]
    ecdsa_size = expanded.option('ECDSA_DEFAULT_SIZE')
    signatures = expanded.rows('sigalgs')
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
    ciphers = expanded.table('sshciphers')
    macs = expanded.table('sshhashes')
    compress = {name: expanded.table(name) for name in ('ssh_compress', 'ssh_delaycompress', 'ssh_nocompress')}
    if expanded.option('DISABLE_ZLIB') is not None:
        c2s = s2c = compress['ssh_nocompress']
        compression_rule = 'DISABLE_ZLIB (config.h): ssh_nocompress[] both ways'
    elif 'opts.compress_mode = DROPBEAR_COMPRESS_DELAYED' in tree.svr_runopts and \
            'ses.compress_algos = ssh_delaycompress' in tree.kex_c:
        c2s = s2c = compress['ssh_delaycompress']
        compression_rule = 'svr-runopts.c compress_mode DROPBEAR_COMPRESS_DELAYED: ssh_delaycompress[] both ways'
    elif re.search(r'opts\.(compression|allow_compress) = 1;', tree.svr_runopts) and re.search(
            r'\} else \{\s*ses\.compress_algos_c2s = ssh_nocompress;\s*ses\.compress_algos_s2c = ssh_compress;',
            tree.kex_c):
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
        'compression': list(compress['ssh_compress']),
    }
    for name in compress['ssh_delaycompress'] + compress['ssh_nocompress']:
        if name not in supported['compression']:
            supported['compression'].append(name)
    facts = {'tag': tree.tag, 'files': tree.prefix, 'key_types': key_types, 'ecdsa_size': ecdsa_size,
             'unusable': sorted(unusable), 'compression_rule': compression_rule}
    return lists, supported, facts


def server_document(release, lists, supported, facts):
    files = facts['files']
    keys = list(facts['key_types'])
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


def derive_client(tree):
    """dbclient's profile document at ``tree`` (no -c/-m/-o options)."""
    expanded = tree.expanded
    kex = expanded.table('sshkex', expanded.unusable('client'))
    ciphers = expanded.table('sshciphers')
    macs = expanded.table('sshhashes')
    cli_compression = expanded.option('DROPBEAR_CLI_COMPRESSION')
    cli_compression = None if cli_compression is None else int(re.sub(r'[()\s]', '', cli_compression) or 0)
    compressing = expanded.option('DISABLE_ZLIB') is None and cli_compression != 0
    compression = expanded.table('ssh_compress' if compressing else 'ssh_nocompress')
    banner = c_string(expanded.option('LOCAL_IDENT'))
    version = banner.rsplit('_', 1)[1]
    checked = CHECKED_CLIENT_BUILDS.get(tree.release)
    document = {
        'name': 'dropbear-%s' % version,
        'product': 'dropbear',
        'version': version,
        'banner': banner,
        'source': 'dropbear tag %s (github.com/mkj/dropbear), dbclient derived from source by '
                  'scripts/dropbear_profiles_from_source.py --client: common-algo.c sshkex[], sigalgs[], '
                  'sshciphers[], sshhashes[] and ssh_compress[]/ssh_nocompress[] expanded by the C preprocessor with '
                  'the tag\'s default_options.h and sysoptions.h and the config.h of its own ./configure (zlib '
                  'found), as common-kex.c send_msg_kexinit sends them; kex-strict-s-v00@openssh.com dropped by '
                  'cli-session.c cli_algos_initialise; compression %s; first_kex_packet_follows from '
                  'DROPBEAR_KEX_FIRST_FOLLOWS (cli-session.c cli_session_init); banner sysoptions.h LOCAL_IDENT. '
                  'dbclient with no -c/-m/-o options. Run on tag DROPBEAR_2022.83, the method gives the lists '
                  'captured from Debian\'s dbclient 2022.83 (profile dropbear-2022.83) but for '
                  'kex-strict-c-v00@openssh.com, which Debian added in 2022.83-1+deb12u1 (its CVE-2023-48795 '
                  'backport).%s'
                  % (tree.tag, 'none only: opts.compression starts as DROPBEAR_CLI_COMPRESSION = 0 '
                               '(default_options.h; -o compression=yes turns zlib on)' if cli_compression == 0 else
                     'zlib@openssh.com, zlib, none (common-kex.c kex_setup_compress, zlib built in)',
                     ' The same lists, banner and guess flag were captured on the wire on %s from dbclient built '
                     'from this tag here (./configure defaults, make PROGRAMS=dbclient).' % checked
                     if checked else ''),
    }
    if _enabled(expanded.option('DROPBEAR_KEX_FIRST_FOLLOWS')):
        document['first_kex_packet_follows'] = True
    document.update({
        'kex_algorithms': kex,
        'server_host_key_algorithms': expanded.table('sigalgs'),
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


def write_client_profile(document, directory=CLIENT_PROFILE_DIR):
    path = os.path.join(directory, document['name'] + '.yml')
    with open(path, 'w') as handle:
        dump_profile(document, handle)
    return path


def compare(derived, captured, strict_name):
    """Print a verdict per list key; return how many lists differ (beyond Debian's ``strict_name`` backport)."""
    different = 0
    for key in NAME_LIST_KEYS:
        extra = [name for name in captured[key] if name not in derived[key]]
        if derived[key] == captured[key]:
            verdict = 'equal'
        elif extra == [strict_name] and [name for name in captured[key] if name not in extra] == derived[key]:
            verdict = 'equal but for %s (Debian\'s CVE-2023-48795 backport)' % strict_name
        else:
            verdict = 'DIFFERENT derived=%s captured=%s' % (derived[key], captured[key])
            different += 1
        print('  %-45s %s' % (key, verdict))
    return different


def check_against(git_dir, name):
    captured = read_server_profile(name)
    with open(os.path.join(CLIENT_PROFILE_DIR, name + '.yml')) as handle:
        captured_client = yaml.safe_load(handle)
    tree = Tree(git_dir, captured['version'])
    lists, supported, facts = derive(tree, captured['host_keys'])
    print('server %s (host keys %s):' % (name, '/'.join(captured['host_keys'])))
    different = compare(lists, captured, 'kex-strict-s-v00@openssh.com')
    client = derive_client(tree)
    print('client %s:' % name)
    different += compare(client, captured_client, 'kex-strict-c-v00@openssh.com')
    for key in ('banner', 'first_kex_packet_follows'):
        if client.get(key) != captured_client.get(key):
            print('  %-45s DIFFERENT derived=%s captured=%s' % (key, client.get(key), captured_client.get(key)))
            different += 1
        else:
            print('  %-45s equal' % key)
    if captured.get('captured_with'):
        captured['supported'] = supported
        captured['supported_source'] = supported_source(facts)
        write_server_profile(captured)
        print('supported -> %s' % captured['name'])
    return different


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('git_dir')
    parser.add_argument('--server', action='append', default=[], metavar='RELEASE',
                        help='write only the server profile of this release (repeatable)')
    parser.add_argument('--client', action='append', default=[], metavar='RELEASE',
                        help='write only the dbclient profile of this release (repeatable)')
    parser.add_argument('--check-against', metavar='NAME',
                        help='captured server and client profiles NAME to compare the derived release with')
    args = parser.parse_args()
    if args.check_against:
        sys.exit(1 if check_against(args.git_dir, args.check_against) else 0)
    servers = [release_of(item) for item in args.server]
    clients = [release_of(item) for item in args.client]
    if not servers and not clients:
        servers, clients = SERVER_RELEASES, CLIENT_RELEASES
    for release in sorted(set(servers) | set(clients)):
        tree = Tree(args.git_dir, release)
        if release in servers:
            path = write_server_profile(server_document(release, *derive(tree)))
            print('%s server -> %s' % (tree.tag, os.path.relpath(path, ROOT)))
        if release in clients:
            path = write_client_profile(derive_client(tree))
            print('%s client -> %s' % (tree.tag, os.path.relpath(path, ROOT)))


if __name__ == '__main__':
    main()
