# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive the client profile of Go's golang.org/x/crypto/ssh at a release tag from its source.

    python scripts/go_ssh_profile_from_source.py /path/to/golang-crypto.git v0.55.0

A Go toolchain new enough for recent x/crypto (go.mod asks for Go 1.25) is not installable here, so the
KEXINIT is read from the source the way the package builds it, with no FIPS 140 mode:
  * ssh/common.go: Config.SetDefaults takes defaultKexAlgos / defaultCiphers / defaultMACs, keeps names that
    have an implementation (kexAlgoMap, cipherModes, macModes: every default has one) and inserts
    curve25519-sha256@libssh.org right after curve25519-sha256;
  * ssh/handshake.go: newClientTransport uses defaultHostKeyAlgos when ClientConfig.HostKeyAlgorithms is
    empty; sendKexInit sends the same cipher and MAC lists both ways, supportedCompressions ("none"), and on
    the first key exchange appends "ext-info-c" and "kex-strict-c-v00@openssh.com";
  * ssh/client.go: the identification string is packageVersion unless ClientConfig.ClientVersion is set.
The Go constants are resolved from the ssh/*.go files of the same tag. It prints the profile as YAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import subprocess
import sys

from profile_yaml import dump_profile

_CONST = re.compile(r'^\s*(?:const\s+)?([A-Za-z0-9_]+)\s*=\s*"([^"]*)"', re.M)


def _show(repo, tag, path):
    return subprocess.run(['git', '-C', repo, 'show', '%s:%s' % (tag, path)], capture_output=True, text=True,
                          check=True).stdout


def _go_list(source, name, constants):
    body = re.search(r'\b%s\s*=\s*\[\]string\{(.*?)\}' % re.escape(name), source, re.S).group(1)
    return [constants[item] for item in re.findall(r'[A-Za-z0-9_]+', body)]


def derive(repo, tag):
    files = subprocess.run(['git', '-C', repo, 'ls-tree', '--name-only', tag, 'ssh/'], capture_output=True,
                           text=True, check=True).stdout.split()
    constants = {}
    for path in files:
        if path.endswith('.go') and not path.endswith('_test.go'):
            constants.update(_CONST.findall(_show(repo, tag, path)))
    common = _show(repo, tag, 'ssh/common.go')
    kex = []
    for name in _go_list(common, 'defaultKexAlgos', constants):
        kex.append(name)
        if name == constants['KeyExchangeCurve25519']:
            kex.append(constants['keyExchangeCurve25519LibSSH'])
    kex += ['ext-info-c', constants.get('kexStrictClient', 'kex-strict-c-v00@openssh.com')]
    defaults = re.search(r'\bdefaultCiphers\s*=\s*(\w+)', common).group(1)
    ciphers = _go_list(common, defaults, constants)  # defaultCiphers = supportedCiphers
    macs = _go_list(common, 'defaultMACs', constants)
    compressions = [constants['compressionNone']]
    version = constants['packageVersion']
    return {
        'name': 'golang-x-crypto-ssh-%s' % tag.lstrip('v'),
        'product': 'Go x/crypto/ssh',
        'version': tag.lstrip('v'),
        'banner': version,
        'source': 'golang.org/x/crypto tag %s (github.com/golang/crypto), derived from ssh/common.go, ssh/handshake.go and '
                  'ssh/client.go by scripts/go_ssh_profile_from_source.py (a ClientConfig with no algorithm settings, no '
                  'FIPS 140 mode; see the script for each rule).' % tag,
        'kex_algorithms': kex,
        'server_host_key_algorithms': _go_list(common, 'defaultHostKeyAlgos', constants),
        'encryption_algorithms_client_to_server': ciphers,
        'encryption_algorithms_server_to_client': list(ciphers),
        'mac_algorithms_client_to_server': macs,
        'mac_algorithms_server_to_client': list(macs),
        'compression_algorithms_client_to_server': compressions,
        'compression_algorithms_server_to_client': list(compressions),
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    }


if __name__ == '__main__':
    dump_profile(derive(sys.argv[1], sys.argv[2]), sys.stdout)
