# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parsers of the derive-from-source scripts, on preprocessed C as cpp -P prints it (no checkout needed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import sys

SCRIPTS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'scripts')


def _script(name):
    sys.path.insert(0, os.path.abspath(SCRIPTS))   # the scripts import profile_yaml from beside them
    try:
        spec = importlib.util.spec_from_file_location(name, os.path.join(SCRIPTS, name + '.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.pop(0)


LIBSSH_EXPANDED = '''
static const char *default_methods[] = {
    "curve25519-sha256,curve25519-sha256@libssh.org," "ecdh-sha2-nistp256",
    "ssh-ed25519-cert-v01@openssh.com," "ssh-ed25519," "rsa-sha2-512",
    "chacha20-poly1305@openssh.com," "aes256-ctr,aes128-ctr,",
    "",
    ((void *)0)
};
static const char *fleetcrypto_probe[] = {
    "ssh-ed25519," "rsa-sha2-512," "ssh-rsa",
    "SSH-2.0-libssh_" "0.11.5",
    ((void *)0)
};
'''


def test_libssh_arrays_join_adjacent_literals_and_keep_the_null_sentinel_apart():
    libssh = _script('libssh_profile_from_source')
    methods = libssh._array(LIBSSH_EXPANDED, 'default_methods')
    assert methods == ['curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256',
                       'ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,rsa-sha2-512',
                       'chacha20-poly1305@openssh.com,aes256-ctr,aes128-ctr,', '', None]
    assert libssh._array(LIBSSH_EXPANDED, 'fleetcrypto_probe')[1] == 'SSH-2.0-libssh_0.11.5'


def test_libssh_names_report_where_an_empty_entry_starts():
    libssh = _script('libssh_profile_from_source')
    assert libssh._names('chacha20-poly1305@openssh.com,aes256-ctr,aes128-ctr,') == (
        ['chacha20-poly1305@openssh.com', 'aes256-ctr', 'aes128-ctr'], 3)
    assert libssh._names('none') == (['none'], None)
    assert libssh._names('') == ([], None)


DROPBEAR_EXPANDED = '''
algo_type sshkex[] = {
 {"sntrup761x25519-sha512", 0, &kex_sntrup761, 1, ((void *)0)},
 {"curve25519-sha256", 0, &kex_curve25519, 1, ((void *)0)},
 {"kexguess2@matt.ucc.asn.au", 0, ((void *)0), 1, ((void *)0)},
 {"ext-info-c", 0, ((void *)0), 1, ((void *)0)},
 {"kex-strict-s-v00@openssh.com", 0, ((void *)0), 1, ((void *)0)},
 {"disabled-kex", 0, ((void *)0), 0, ((void *)0)},
 {((void *)0), 0, ((void *)0), 0, ((void *)0)}
};
algo_type sigalgs[] = {
 {"ssh-ed25519", DROPBEAR_SIGNATURE_ED25519, ((void *)0), 1, ((void *)0)},
 {((void *)0), 0, ((void *)0), 0, ((void *)0)}
};
fleetcrypto_probe_option_DROPBEAR_RSA 1
fleetcrypto_probe_option_DROPBEAR_CLI_COMPRESSION (0)
fleetcrypto_probe_option_LOCAL_IDENT "SSH-2.0-dropbear" "_" "2026.94"
fleetcrypto_probe_begin_client
 algo_type *algo;
 for (algo = sshkex; algo->name; algo++) {
  if (strcmp(algo->name, "kex-strict-s-v00@openssh.com") == 0) {
   algo->usable = 0;
  }
 }
fleetcrypto_probe_end_client
'''

SVR_SESSION = '''static void svr_algos_initialise(void);

static void svr_algos_initialise(void) {
    algo_type *algo;
#if DROPBEAR_EXT_INFO
    if (strcmp(algo->name, SSH_EXT_INFO_C) == 0) {
        algo->usable = 0;
    }
#endif
}
'''


def test_dropbear_tables_keep_the_usable_entries_in_order():
    dropbear = _script('dropbear_profiles_from_source')
    expanded = dropbear.Expanded(DROPBEAR_EXPANDED)
    assert expanded.table('sshkex') == [
        'sntrup761x25519-sha512', 'curve25519-sha256', 'kexguess2@matt.ucc.asn.au', 'ext-info-c',
        'kex-strict-s-v00@openssh.com']
    assert expanded.unusable('client') == {'kex-strict-s-v00@openssh.com'}
    assert expanded.unusable('server') == set()
    assert expanded.table('sshkex', expanded.unusable('client'))[-1] == 'ext-info-c'
    assert expanded.rows('sigalgs') == [['ssh-ed25519', 'DROPBEAR_SIGNATURE_ED25519', '((void *)0)', '1',
                                         '((void *)0)']]


def test_dropbear_probes_read_options_and_function_bodies():
    dropbear = _script('dropbear_profiles_from_source')
    expanded = dropbear.Expanded(DROPBEAR_EXPANDED)
    assert expanded.option('DROPBEAR_RSA') == '1'
    assert expanded.option('DROPBEAR_CLI_COMPRESSION') == '(0)'
    assert expanded.option('DISABLE_ZLIB') is None
    tables = _script('c_source_tables')
    assert tables.c_string(expanded.option('LOCAL_IDENT')) == 'SSH-2.0-dropbear_2026.94'
    body = dropbear.function_body(SVR_SESSION, 'static void svr_algos_initialise(void)')
    assert 'SSH_EXT_INFO_C' in body and 'algo_type *algo;' in body
    assert dropbear.function_body(SVR_SESSION, 'static void cli_algos_initialise(void)') is None
    probe = dropbear.probe_text({'server': body, 'client': None})
    assert '#ifdef ECDSA_DEFAULT_SIZE\nfleetcrypto_probe_option_ECDSA_DEFAULT_SIZE ECDSA_DEFAULT_SIZE\n#endif' in probe
    assert 'fleetcrypto_probe_begin_server' in probe and 'fleetcrypto_probe_begin_client' not in probe
    assert dropbear.release_of('DROPBEAR_2026.94') == dropbear.release_of('2026.94') == '2026.94'


LIBSSH2_EXPANDED = '''
static const LIBSSH2_CRYPT_METHOD libssh2_crypt_method_aes256_ctr = {
    "aes256-ctr", "", 16, 16, 32, 0, &_libssh2_cipher_init, ((void *)0)
};
static const LIBSSH2_CRYPT_METHOD libssh2_crypt_method_chacha20_poly1305_openssh = {
    "chacha20-poly1305" "@openssh.com", "", 8, 64, 64, 0,
};
static const LIBSSH2_CRYPT_METHOD *_libssh2_crypt_methods[] = {
    &libssh2_crypt_method_chacha20_poly1305_openssh,
    &libssh2_crypt_method_aes256_ctr,
    ((void *)0)
};
'''


def test_libssh2_tables_name_each_entry_by_its_method_structure():
    libssh2 = _script('libssh2_profile_from_source')
    assert libssh2.pointer_table(LIBSSH2_EXPANDED, '_libssh2_crypt_methods') == [
        'chacha20-poly1305@openssh.com', 'aes256-ctr']
