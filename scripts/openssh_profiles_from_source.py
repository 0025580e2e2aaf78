# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive OpenSSH client profiles of releases that are not installable here from openssh-portable's source.

    python scripts/openssh_profiles_from_source.py /path/to/openssh-portable.git [--check-against PROFILE]

For each release tag it evaluates myproposal.h with the C preprocessor, as a build with OpenSSL (ECC,
NIST P-521, SHA-256, EVP GCM) and security keys compiles it, and applies what the client adds to those defaults
(read from the same tag):
  * sshconnect2.c ssh_kex2 (up to 9.5) appends "ext-info-c"; from 9.6 kex.c kex_proposal_populate_entries
    appends "ext-info-c,kex-strict-c-v00@openssh.com";
  * with no known_hosts entry for the server, the host-key list is KEX_DEFAULT_PK_ALG unreordered;
  * every default list keeps only the names the build supports (readconf.c fill_default_options and
    kex_assemble_names filter with kexalgs[], sshkey_alg_list, ciphers[], macs[]; from 10.x sshconnect2.c ssh_kex2
    takes readconf.c kex_default_pk_alg(), KEX_DEFAULT_PK_ALG filtered the same way) -- this changes nothing up to
    10.5 for a default build, but keeps the method honest for names a build may lack;
  * compression (Compression=no, the default): "none,zlib@openssh.com,zlib" (sshconnect2.c up to 8.0,
    cipher.c compression_alg_list from 8.1), "none,zlib@openssh.com" from 9.9.
It reads the source; it builds nothing. --check-against compares one derived release with a profile
captured from the real software (the lists a distribution did not patch must be equal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from capture_client_profiles import PROFILE_DIR, write_profile  # noqa: E402  pylint: disable=wrong-import-position
from openssh_server_profiles_from_source import evaluate as evaluate_macros, supported  # noqa: E402  pylint: disable=wrong-import-position

RELEASES = {'7.4': 'V_7_4_P1', '8.0': 'V_8_0_P1', '8.4': 'V_8_4_P1', '8.8': 'V_8_8_P1', '9.6': 'V_9_6_P1',
            '9.9': 'V_9_9_P1', '10.0': 'V_10_0_P1', '10.1': 'V_10_1_P1', '10.2': 'V_10_2_P1', '10.3': 'V_10_3_P1',
            '10.4': 'V_10_4_P1', '10.5': 'V_10_5_P1', '9.2-upstream': 'V_9_2_P1'}
# Every conditional myproposal.h tests (7.4 and 8.0 have them; 8.4 ... 10.5 none), set as a default build with
# OpenSSL has them: DEFINES of scripts/openssh_server_profiles_from_source.py.
MACROS = ('KEX_CLIENT_KEX', 'KEX_DEFAULT_PK_ALG', 'KEX_CLIENT_ENCRYPT', 'KEX_CLIENT_MAC')
# Product lines -> the profile their alias points at (the newest release derived in that line).
ALIASES = {'openssh-10.x': 'openssh-10.5', 'openssh-9.x': 'openssh-9.9'}


def evaluate(git_dir, tag):
    values = evaluate_macros(git_dir, tag, MACROS)
    lists = supported(git_dir, tag)[0]
    for macro, category in (('KEX_CLIENT_KEX', 'kex'), ('KEX_DEFAULT_PK_ALG', 'host_key'),
                            ('KEX_CLIENT_ENCRYPT', 'cipher'), ('KEX_CLIENT_MAC', 'mac')):
        values[macro] = [name for name in values[macro] if name in lists[category]]
    return values


def major_minor(tag):
    return tuple(int(part) for part in re.match(r'V_(\d+)_(\d+)', tag).groups())


def derive(git_dir, release, tag):
    values = evaluate(git_dir, tag)
    version = major_minor(tag)
    pseudo = ['ext-info-c', 'kex-strict-c-v00@openssh.com'] if version >= (9, 6) else ['ext-info-c']
    compression = ['none', 'zlib@openssh.com'] if version >= (9, 9) else ['none', 'zlib@openssh.com', 'zlib']
    name = 'openssh-%s' % release
    document = {
        'name': name,
        'product': 'OpenSSH',
        'version': '%d.%dp1' % version,
        'banner': 'SSH-2.0-OpenSSH_%d.%d' % version,
        'source': 'openssh-portable tag %s: myproposal.h KEX_CLIENT_KEX, KEX_DEFAULT_PK_ALG, KEX_CLIENT_ENCRYPT and '
                  'KEX_CLIENT_MAC evaluated with cpp for an OpenSSL build; %s appends %s; compression default '
                  '(Compression=no) from %s. Derived by scripts/openssh_profiles_from_source.py; the method '
                  'reproduces the captured openssh-9.2 profile except for Debian\'s backported kex changes.'
                  % (tag, 'kex.c kex_proposal_populate_entries' if version >= (9, 6) else 'sshconnect2.c ssh_kex2',
                     ','.join(pseudo), 'cipher.c compression_alg_list' if version >= (8, 1) else 'sshconnect2.c'),
        'kex_algorithms': values['KEX_CLIENT_KEX'] + pseudo,
        'server_host_key_algorithms': values['KEX_DEFAULT_PK_ALG'],
    }
    for key in ('encryption_algorithms', 'mac_algorithms', 'compression_algorithms'):
        for direction in ('client_to_server', 'server_to_client'):
            document['%s_%s' % (key, direction)] = list(
                values['KEX_CLIENT_ENCRYPT'] if key.startswith('enc') else
                values['KEX_CLIENT_MAC'] if key.startswith('mac') else compression)
    document['languages_client_to_server'] = []
    document['languages_server_to_client'] = []
    return document


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('git_dir')
    parser.add_argument('--check-against', help='captured profile to compare the derived 9.2 release with')
    args = parser.parse_args()
    if args.check_against:
        derived = derive(args.git_dir, '9.2-upstream', RELEASES['9.2-upstream'])
        with open(os.path.join(PROFILE_DIR, args.check_against + '.yml')) as handle:
            captured = yaml.safe_load(handle)
        for key in sorted(k for k in derived if k.endswith(('algorithms', '_client_to_server', '_server_to_client'))):
            print('%-45s %s' % (key, 'equal' if derived[key] == captured[key] else
                                'DIFFERENT derived=%s captured=%s' % (derived[key], captured[key])))
        return
    for release, tag in RELEASES.items():
        if release.endswith('-upstream'):
            continue
        document = derive(args.git_dir, release, tag)
        write_profile(os.path.join(PROFILE_DIR, document['name'] + '.yml'), document)
        print('%s -> %s' % (tag, document['name']))
    for alias, target in ALIASES.items():
        line = alias[len('openssh-'):]
        write_profile(os.path.join(PROFILE_DIR, alias + '.yml'), {
            'name': alias, 'alias_of': target,
            'source': 'The newest OpenSSH %s release derived from openssh-portable (scripts/openssh_profiles_from_'
                      'source.py ALIASES) when the profiles were last derived; see %s.' % (line, target)})
        print('%s -> %s' % (alias, target))


if __name__ == '__main__':
    main()
