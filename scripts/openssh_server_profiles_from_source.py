# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive OpenSSH sshd server profiles (data/server_profiles/openssh-*.yml) from openssh-portable's source.

    python scripts/openssh_server_profiles_from_source.py /path/to/openssh-portable.git [--release 10.0 ...]
    python scripts/openssh_server_profiles_from_source.py /path/to/openssh-portable.git --check-against debian-12
    python scripts/openssh_server_profiles_from_source.py /path/to/openssh-portable.git --debian debian-13 DEBIAN_DIR

--debian NAME DIR writes a distribution variant: the upstream release its debian/changelog names, checked against
the unpacked debian/ directory of the source package (`apt-get source openssh` of that release): it fails if a
patch in debian/patches/series touches a file the default lists come from (myproposal.h, cipher.c, mac.c, kex-names.c,
sshkey.c), if the GSSAPI patch does not default GSSAPIKeyExchange to off, or if debian/rules enables DSA or XMSS;
the banner is what package-versioning.patch makes of version.h's SSH_RELEASE and the Debian revision. On another
Debian release, the source package comes with a temporary sources list, e.g. for trixie:
    echo 'deb-src http://deb.debian.org/debian trixie main' > /tmp/s.list
    apt-get -o Dir::Etc::sourcelist=/tmp/s.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=/tmp/lists update
    apt-get -o Dir::Etc::sourcelist=/tmp/s.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=/tmp/lists
        --download-only source openssh
then unpack openssh_*.debian.tar.xz: DEBIAN_DIR is its debian/ directory.

What sshd puts in its KEXINIT with no algorithm settings, read at each release tag (a build with OpenSSL, ECC,
NIST P-521, SHA-256, EVP GCM, security keys, and the compiler features defines.h needs for sntrup761/ML-KEM/ML-DSA;
no WITH_DSA, no WITH_XMSS, as configure builds by default):
  * kex: myproposal.h KEX_SERVER_KEX (servconf.c assemble_algorithms keeps the default), plus the server's pseudo
    names that kex.c kex_proposal_populate_entries appends (none before 9.6);
  * host keys: the default HostKey files (servconf.c fill_default_server_options, in that order) that
    `ssh-keygen -A` creates (ssh-keygen.c do_gen_all_hostkeys key_types[]); ECDSA at ssh-keygen's default 256 bits;
    the names are those the sshd's list_hostkey_types (sshd.c, sshd-session.c from 9.8, sshd-auth.c from 10.0)
    emits per key, kept only where the default HostKeyAlgorithms (KEX_DEFAULT_PK_ALG) allows them: up to 7.x the
    key's own name is checked and RSA keys add rsa-sha2-512,rsa-sha2-256 after ssh-rsa; from 8.0 each name is
    checked and RSA keys give rsa-sha2-512, rsa-sha2-256, ssh-rsa;
  * ciphers, MACs: KEX_SERVER_ENCRYPT, KEX_SERVER_MAC; compression: sshd's default Compression (delayed) keeps
    KEX_DEFAULT_COMP;
  * supported: kex.c (kex-names.c from 9.9) kexalgs[], sshkey.c keytypes[] (keyimpls[] from 9.2) with signature-only
    and certificate names, cipher.c ciphers[] without "none", mac.c macs[], compression "none,zlib@openssh.com".
It reads the source; it builds nothing. --check-against compares the derived release with a profile captured from
the real software here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from profile_yaml import dump_profile  # noqa: E402  pylint: disable=wrong-import-position

SERVER_PROFILE_DIR = os.path.join(ROOT, 'data', 'server_profiles')

RELEASES = {'7.4': 'V_7_4_P1', '8.0': 'V_8_0_P1', '8.4': 'V_8_4_P1', '8.8': 'V_8_8_P1', '9.2': 'V_9_2_P1',
            '9.6': 'V_9_6_P1', '9.9': 'V_9_9_P1', '10.0': 'V_10_0_P1', '10.1': 'V_10_1_P1', '10.2': 'V_10_2_P1',
            '10.3': 'V_10_3_P1', '10.4': 'V_10_4_P1', '10.5': 'V_10_5_P1'}
# What a default configure run defines on a current Linux with OpenSSL: the myproposal.h/kex/cipher/sshkey
# conditionals, and defines.h's USE_SNTRUP761X25519/USE_MLKEM768X25519/USE_MLDSA (set when the compiler has
# variable-length arrays and declarations after code).
DEFINES = ['-DWITH_OPENSSL', '-DOPENSSL_HAS_ECC', '-DOPENSSL_HAS_NISTP521', '-DHAVE_EVP_SHA256', '-DOPENSSL_HAVE_EVPGCM',
           '-DENABLE_SK', '-DUSE_SNTRUP761X25519', '-DUSE_MLKEM768X25519', '-DUSE_MLDSA']
MACROS = ('KEX_SERVER_KEX', 'KEX_DEFAULT_PK_ALG', 'KEX_SERVER_ENCRYPT', 'KEX_SERVER_MAC', 'KEX_DEFAULT_COMP')
# ssh-keygen -A key type -> the key's own name (sshkey_ssh_name); ECDSA at DEFAULT_BITS_ECDSA (256).
KEY_NAMES = {'rsa': 'ssh-rsa', 'dsa': 'ssh-dss', 'ecdsa': 'ecdsa-sha2-nistp256', 'ed25519': 'ssh-ed25519',
             'mldsa44-ed25519': 'ssh-mldsa44-ed25519@openssh.com', 'xmss': 'ssh-xmss@openssh.com'}
# _PATH_HOST_<X>_KEY_FILE -> ssh-keygen key type.
PATH_TYPES = {'RSA': 'rsa', 'DSA': 'dsa', 'ECDSA': 'ecdsa', 'ED25519': 'ed25519', 'MLDSA44_ED25519': 'mldsa44-ed25519',
              'XMSS': 'xmss'}
# Product lines -> the server profile their alias points at (the newest release derived in that line).
ALIASES = {'openssh-10.x': 'openssh-10.5', 'openssh-9.x': 'openssh-9.9'}
LIST_KEYS = ('kex_algorithms', 'server_host_key_algorithms', 'encryption_algorithms_client_to_server',
             'encryption_algorithms_server_to_client', 'mac_algorithms_client_to_server',
             'mac_algorithms_server_to_client', 'compression_algorithms_client_to_server',
             'compression_algorithms_server_to_client', 'languages_client_to_server', 'languages_server_to_client')


def show(git_dir, tag, path):
    result = subprocess.run(['git', '-C', git_dir, 'show', '%s:%s' % (tag, path)], capture_output=True, text=True,
                            check=False)
    return result.stdout if result.returncode == 0 else None


def preprocess(text):
    """``text`` through cpp with DEFINES (only #if/#ifdef/#define matter here; no includes)."""
    work = tempfile.mkdtemp(prefix='fleetcrypto-sshd-')
    path = os.path.join(work, 'eval.c')
    with open(path, 'w') as handle:
        handle.write(text)
    return subprocess.run(['cpp', '-P'] + DEFINES + [path], capture_output=True, text=True, check=True).stdout


def evaluate(git_dir, tag, macros=MACROS):
    """The myproposal.h ``macros`` as name lists."""
    header = show(git_dir, tag, 'myproposal.h')
    out = preprocess(header + '\n' + ''.join('fleetcrypto_%d=%s\n' % (i, m) for i, m in enumerate(macros)))
    values = {}
    for line in out.splitlines():
        label, _sep, rest = line.partition('=')
        if label.startswith('fleetcrypto_'):
            joined = ''.join(re.findall(r'"([^"]*)"', rest))
            values[macros[int(label[len('fleetcrypto_'):])]] = joined.split(',') if joined else []
    return values


def block(text, start_pattern):
    """The source from the line matching ``start_pattern`` to the first line that is ``};`` or ``}``."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.search(start_pattern, line):
            for end in range(index + 1, len(lines)):
                if re.match(r'^\s*};?\s*$', lines[end]):
                    return '\n'.join(lines[index:end + 1])
    raise ValueError('no block matching %r' % start_pattern)


def string_defines(text):
    return '\n'.join(re.findall(r'^#define\s+\w+\s+"[^"]*"\s*$', text or '', re.M))


def array_names(git_dir, tag, path, array, defines_from=None):
    """The first string of each entry of ``array`` in ``path``, after the preprocessor (macros from
    ``defines_from``, e.g. kex.h's KEX_* names)."""
    text = show(git_dir, tag, path)
    prefix = string_defines(show(git_dir, tag, defines_from)) if defines_from else ''
    out = preprocess(prefix + '\n' + block(text, r'\b%s\[\]\s*=' % array))
    return re.findall(r'\{\s*"([^"]+)"', out)


def supported_kex(git_dir, tag):
    path = 'kex-names.c' if show(git_dir, tag, 'kex-names.c') else 'kex.c'
    return path, array_names(git_dir, tag, path, 'kexalgs', 'kex.h')


def supported_host_key(git_dir, tag):
    sshkey = show(git_dir, tag, 'sshkey.c')
    if re.search(r'keyimpls\[\]\s*=', sshkey):
        impls = re.findall(r'&(sshkey_\w+_impl)', preprocess(block(sshkey, r'keyimpls\[\]\s*=')))
        grep = subprocess.run(['git', '-C', git_dir, 'grep', '-h', '-A1', r'struct sshkey_impl sshkey_\w*_impl = {',
                               tag, '--', '*.c'], capture_output=True, text=True, check=True).stdout
        names = dict(re.findall(r'struct sshkey_impl (sshkey_\w+_impl) = \{\s*/\* \.name = \*/\s*"([^"]+)"', grep))
        return 'sshkey.c keyimpls[] (names from each sshkey_impl)', [names[impl] for impl in impls]
    return 'sshkey.c keytypes[]', array_names(git_dir, tag, 'sshkey.c', 'keytypes')


def supported(git_dir, tag):
    kex_path, kex = supported_kex(git_dir, tag)
    key_where, keys = supported_host_key(git_dir, tag)
    ciphers = [name for name in array_names(git_dir, tag, 'cipher.c', 'ciphers') if name != 'none']
    macs = array_names(git_dir, tag, 'mac.c', 'macs')
    source = ('openssh-portable tag %s: %s kexalgs[], %s, cipher.c ciphers[] (without the internal "none"), '
              'mac.c macs[], compression none and zlib@openssh.com (sshd Compression yes/delayed/no); evaluated with '
              'cpp for a default OpenSSL build (%s). Derived by scripts/openssh_server_profiles_from_source.py.'
              % (tag, kex_path, key_where, ' '.join(DEFINES)))
    return {'kex': kex, 'host_key': keys, 'cipher': ciphers, 'mac': macs,
            'compression': ['none', 'zlib@openssh.com']}, source


def server_pseudo(git_dir, tag):
    """The names kex.c appends to the server's KexAlgorithms (kex_proposal_populate_entries, from 9.6)."""
    kex = show(git_dir, tag, 'kex.c')
    found = re.findall(r'"((?:ext-info-s|kex-strict-s-v00@openssh\.com)[^"]*)"', kex)
    return found[0].split(',') if found else []


def default_host_keys(git_dir, tag):
    """Key types of the default HostKey files ssh-keygen -A creates, in sshd's HostKey order."""
    servconf = show(git_dir, tag, 'servconf.c')
    fill = block(servconf, r'num_host_key_files == 0\)')
    files = [PATH_TYPES[x] for x in re.findall(r'_PATH_HOST_(\w+?)_KEY_FILE', preprocess(fill))]
    keygen = show(git_dir, tag, 'ssh-keygen.c')
    created = re.findall(r'\{\s*"([\w-]+)",', preprocess(block(keygen, r'key_types\[\]\s*=')))
    return [key for key in files if key in created]


def list_hostkey_source(git_dir, tag):
    for path in ('sshd-auth.c', 'sshd-session.c', 'sshd.c'):
        text = show(git_dir, tag, path)
        if text and re.search(r'^list_hostkey_types\(', text, re.M):
            return path, block(text, r'^list_hostkey_types\(')
    raise ValueError('list_hostkey_types not found at %s' % tag)


def host_key_algorithms(git_dir, tag, host_keys, allowed):
    path, function = list_hostkey_source(git_dir, tag)
    per_name = 'append_hostkey_type(b, "rsa-sha2-512")' in function
    names = []
    for key in host_keys:
        own = KEY_NAMES[key]
        if per_name:
            # 8.0+: append_hostkey_type checks every name against HostKeyAlgorithms.
            candidates = ['rsa-sha2-512', 'rsa-sha2-256', own] if key == 'rsa' else [own]
            names += [name for name in candidates if name in allowed]
        elif own in allowed:
            # 7.x: the key's own name is checked; RSA keys then add the SHA-2 signature names.
            names += [own] + (['rsa-sha2-512', 'rsa-sha2-256'] if key == 'rsa' else [])
    return path, names


def derive(git_dir, release, tag):
    values = evaluate(git_dir, tag)
    version = tuple(int(part) for part in re.match(r'V_(\d+)_(\d+)', tag).groups())
    pseudo = server_pseudo(git_dir, tag)
    host_keys = default_host_keys(git_dir, tag)
    supported_lists, supported_source = supported(git_dir, tag)
    # servconf.c assemble_algorithms (kex_assemble_names) keeps only the defaults the build supports.
    for macro, category in (('KEX_SERVER_KEX', 'kex'), ('KEX_DEFAULT_PK_ALG', 'host_key'),
                            ('KEX_SERVER_ENCRYPT', 'cipher'), ('KEX_SERVER_MAC', 'mac')):
        values[macro] = [name for name in values[macro] if name in supported_lists[category]]
    hk_path, hostkey_algorithms = host_key_algorithms(git_dir, tag, host_keys, values['KEX_DEFAULT_PK_ALG'])
    document = {
        'name': 'openssh-%s' % release,
        'product': 'OpenSSH',
        'version': '%d.%dp1' % version,
        'banner': 'SSH-2.0-OpenSSH_%d.%d' % version,
        'source': 'openssh-portable tag %s: myproposal.h KEX_SERVER_KEX, KEX_SERVER_ENCRYPT, KEX_SERVER_MAC, '
                  'KEX_DEFAULT_COMP (sshd default Compression delayed) evaluated with cpp for a default OpenSSL build; '
                  '%s; host-key names from %s list_hostkey_types for the default HostKey files (servconf.c '
                  'fill_default_server_options) that ssh-keygen -A creates (ssh-keygen.c key_types[]), filtered by '
                  'the default HostKeyAlgorithms KEX_DEFAULT_PK_ALG. Derived by '
                  'scripts/openssh_server_profiles_from_source.py.'
                  % (tag, 'kex.c kex_proposal_populate_entries appends %s' % ','.join(pseudo) if pseudo else
                     'no server pseudo kex names at this tag', hk_path),
        'host_keys': host_keys,
        'kex_algorithms': values['KEX_SERVER_KEX'] + pseudo,
        'server_host_key_algorithms': hostkey_algorithms,
    }
    for direction in ('client_to_server', 'server_to_client'):
        document['encryption_algorithms_%s' % direction] = list(values['KEX_SERVER_ENCRYPT'])
    for direction in ('client_to_server', 'server_to_client'):
        document['mac_algorithms_%s' % direction] = list(values['KEX_SERVER_MAC'])
    for direction in ('client_to_server', 'server_to_client'):
        document['compression_algorithms_%s' % direction] = list(values['KEX_DEFAULT_COMP'])
    document['languages_client_to_server'] = []
    document['languages_server_to_client'] = []
    document['supported'] = supported_lists
    document['supported_source'] = supported_source
    return document


LIST_SOURCES = ('myproposal.h', 'cipher.c', 'mac.c', 'kex-names.c', 'sshkey.c')
# Read in Debian's gssapi.patch (10.0p1-7): in kex-names.c it adds a separate gss_kexalgs[] (offered only with
# GSSAPIKeyExchange yes) and leaves kexalgs[] alone; in sshkey.c it adds the "null" key impl, which sshkey_alg_list
# skips (offered only beside gss kex). Accepted when the patch removes no kexalgs[]/keyimpls[] entry.
GSSAPI_ONLY = {('kex-names.c', 'gssapi.patch'), ('sshkey.c', 'gssapi.patch')}


def debian_variant(git_dir, name, debian_dir):
    """The upstream derivation for the release ``debian_dir``'s changelog names, with Debian's banner, after
    checking that Debian's patches and build flags leave the default lists alone."""
    with open(os.path.join(debian_dir, 'changelog')) as handle:
        package, full_version = re.match(r'(\S+) \(([^)]+)\)', handle.readline()).groups()
    upstream, revision = re.match(r'(?:\d+:)?([^-]+)-(.+)$', full_version).groups()
    release = re.match(r'(\d+\.\d+)', upstream).group(1)
    with open(os.path.join(debian_dir, 'patches', 'series')) as handle:
        series = [line.strip() for line in handle if line.strip() and not line.startswith('#')]
    touching = {}
    for patch in series:
        with open(os.path.join(debian_dir, 'patches', patch)) as handle:
            text = handle.read()
        for path in re.findall(r'^\+\+\+ b/(\S+)', text, re.M):
            if path in LIST_SOURCES and (path, patch) not in GSSAPI_ONLY:
                touching.setdefault(path, []).append(patch)
        if patch == 'gssapi.patch':
            if not re.search(r'^\+\s*options->gss_keyex = 0;', text, re.M):
                raise ValueError('gssapi.patch: GSSAPIKeyExchange default not found to be off')
            if re.search(r'^-\s*(\{ KEX_|&sshkey_)', text, re.M):
                raise ValueError('gssapi.patch removes a kexalgs[]/keyimpls[] entry')
    if touching:
        raise ValueError('Debian patches touch the default lists: %s' % touching)
    with open(os.path.join(debian_dir, 'rules')) as handle:
        rules = handle.read()
    if re.search(r'--enable-dsa-keys|--with-xmss|WITH_XMSS', rules):
        raise ValueError('debian/rules enables DSA or XMSS keys')
    tag = RELEASES[release]
    version_h = show(git_dir, tag, 'version.h')
    ssh_release = ''.join(re.findall(r'#define\s+SSH_(?:VERSION|PORTABLE)\s+"([^"]*)"', version_h))
    document = derive(git_dir, release, tag)
    document['name'] = name
    document['version'] = upstream
    document['banner'] = 'SSH-2.0-%s Debian-%s' % (ssh_release, revision)
    document['source'] = (
        'Debian source package %s %s (debian/ checked by scripts/openssh_server_profiles_from_source.py --debian): '
        'none of its %d patches touches %s, except gssapi.patch, which adds a separate gss_kexalgs[] to kex-names.c '
        'and the "null" key to sshkey.c keyimpls[] (skipped by sshkey_alg_list) and removes no entry; gssapi.patch '
        'defaults GSSAPIKeyExchange to no, so no gss-* kex and no '
        '"null" host key are offered; debian/rules builds without DSA/XMSS keys; the package creates rsa, ecdsa and '
        'ed25519 host keys (openssh-server.postinst create_keys). So the lists are upstream %s\'s: %s The banner is '
        'package-versioning.patch\'s SSH_RELEASE (version.h says %s at %s) plus " Debian-%s" (DebianBanner yes, '
        'the default).' % (package, full_version, len(series), ', '.join(LIST_SOURCES), tag, document['source'],
                           ssh_release, tag, revision))
    return document


def write(document):
    if not os.path.isdir(SERVER_PROFILE_DIR):
        os.makedirs(SERVER_PROFILE_DIR)
    with open(os.path.join(SERVER_PROFILE_DIR, document['name'] + '.yml'), 'w') as handle:
        dump_profile(document, handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('git_dir')
    parser.add_argument('--release', action='append', help='only these releases (default: all of RELEASES)')
    parser.add_argument('--check-against', help='server profile captured here to compare the same release with')
    parser.add_argument('--debian', nargs=2, metavar=('NAME', 'DEBIAN_DIR'),
                        help='write the Debian variant NAME from the unpacked debian/ directory of its source package')
    args = parser.parse_args()
    if args.debian:
        document = debian_variant(args.git_dir, args.debian[0], args.debian[1])
        write(document)
        print('%s -> %s' % (args.debian[1], document['name']))
        return
    if args.check_against:
        with open(os.path.join(SERVER_PROFILE_DIR, args.check_against + '.yml')) as handle:
            captured = yaml.safe_load(handle)
        release = re.match(r'(\d+\.\d+)', captured['version']).group(1)
        derived = derive(args.git_dir, release, RELEASES[release])
        for key in LIST_KEYS:
            print('%-45s %s' % (key, 'equal' if derived[key] == captured[key] else
                                'DIFFERENT derived=%s captured=%s' % (derived[key], captured[key])))
        for category in derived['supported']:
            mine, theirs = derived['supported'][category], captured.get('supported', {}).get(category)
            if theirs is not None:
                print('supported.%-35s %s' % (category, 'equal' if mine == theirs else 'DIFFERENT only derived=%s '
                                              'only captured=%s' % ([n for n in mine if n not in theirs],
                                                                    [n for n in theirs if n not in mine])))
        return
    for release in args.release or RELEASES:
        document = derive(args.git_dir, release, RELEASES[release])
        write(document)
        print('%s -> %s' % (RELEASES[release], document['name']))
    if not args.release:
        for alias, target in ALIASES.items():
            write({'name': alias, 'alias_of': target,
                   'source': 'The newest OpenSSH %s release derived from openssh-portable (scripts/openssh_server_'
                             'profiles_from_source.py ALIASES) when the profiles were last derived; see %s.'
                             % (alias[len('openssh-'):], target)})
            print('%s -> %s' % (alias, target))


if __name__ == '__main__':
    main()
