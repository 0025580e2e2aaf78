# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the negotiation engine and the proposal forms (the log parser has test_kex_log.py).

The engine's exactness against real software is proven in tests/live/test_differential.py; these tests pin
the individual rules, each with the implementation behaviour it encodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.kex_log import parse_kex_log
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, normalize_proposal

OPENSSH = {'product': 'OpenSSH', 'version': '9.2p1'}
PARAMIKO = {'product': 'paramiko', 'version': '5.1.0'}


def profile(software=None, **lists):
    base = {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'], 'ciphers': ['aes256-ctr'],
            'macs': ['hmac-sha2-256'], 'compression': ['none']}
    base.update(lists)
    if software:
        base['software'] = software
    return base


def test_plain_agreement_uses_the_clients_preference():
    server = profile(ciphers=['aes128-ctr', 'aes256-ctr'], macs='hmac-sha1,hmac-sha2-256')
    client = profile(ciphers=['aes256-ctr', 'aes128-ctr'], macs=['hmac-sha2-256', 'hmac-sha1'])
    result = predict(server, client)
    assert result['compatible'] and not result['failures']
    assert result['negotiated'] == {'kex': 'curve25519-sha256', 'host_key': 'ssh-ed25519', 'cipher_c2s': 'aes256-ctr',
                                    'cipher_s2c': 'aes256-ctr', 'mac_c2s': 'hmac-sha2-256', 'mac_s2c': 'hmac-sha2-256',
                                    'compression_c2s': 'none', 'compression_s2c': 'none'}


def test_cerberus_reference_log_reports_both_cipher_directions(fixture_file):
    proposals = parse_kex_log(fixture_file('cerberus-kex-debug.log'))
    client = [p for p in proposals if p['role'] == 'client'][0]
    server = [p for p in proposals if p['role'] == 'server'][0]
    assert server['software']['product'] == 'Cerberus FTP Server'
    assert server['mac_algorithms_client_to_server'][-2:] == ['hmac-ripemd160', 'hmac-md5']
    assert server['empty_entries']['mac_algorithms_client_to_server'] == 7
    assert client['compression_algorithms_client_to_server'] == ['none']
    result = predict(server, client)
    assert not result['compatible']
    assert [(f['category'], f['direction']) for f in result['failures']] == [('cipher', 'c2s'), ('cipher', 's2c')]
    for failure in result['failures']:
        assert failure['server'] == ['aes256-ctr', 'aes256-cbc']
        assert failure['client'] == ['aes128-ctr', 'aes128-cbc', '3des-ctr', '3des-cbc', 'blowfish-cbc']
    assert result['negotiated']['kex'] == 'ecdh-sha2-nistp256' and result['negotiated']['mac_c2s'] == 'hmac-md5'
    # Had the client been OpenSSH, it would print exactly this.
    as_openssh = predict(server, dict(client, software=OPENSSH))
    assert as_openssh['failures'][0]['message'] == 'no matching cipher found. Their offer: aes256-ctr,aes256-cbc'


def test_openssh_client_stops_at_an_empty_entry_of_the_server_list():
    server = profile(macs=['hmac-sha1', 'hmac-ripemd160', 'hmac-md5'])
    server['empty_entries'] = {'mac_algorithms_client_to_server': 2, 'mac_algorithms_server_to_client': 2}
    generic = predict(server, profile(macs=['hmac-md5']))
    assert generic['compatible'] and generic['negotiated']['mac_c2s'] == 'hmac-md5'
    openssh = predict(server, profile(OPENSSH, macs=['hmac-md5']))
    assert not openssh['compatible']
    assert openssh['failures'][0]['category'] == 'mac' and openssh['failures'][0]['direction'] == 's2c'


def test_openssh_reads_only_40_names_of_the_server_list():
    ciphers = ['x%02d-ctr@example.com' % i for i in range(44)] + ['aes256-ctr']
    server = profile(ciphers=ciphers)
    assert predict(server, profile(ciphers=['aes256-ctr']))['compatible']
    assert not predict(server, profile(OPENSSH, ciphers=['aes256-ctr']))['compatible']


def test_aead_mac_is_implicit_for_openssh_but_paramiko_server_requires_a_common_mac():
    client = profile(OPENSSH, ciphers=['aes256-gcm@openssh.com'], macs=['umac-64-etm@openssh.com'])
    openssh_server = predict(profile(OPENSSH, ciphers=['aes256-gcm@openssh.com']), client)
    assert openssh_server['compatible'] and openssh_server['negotiated']['mac_c2s'] is None
    paramiko_server = predict(profile(PARAMIKO, ciphers=['aes256-gcm@openssh.com']), client)
    assert not paramiko_server['compatible']
    failure = paramiko_server['failures'][0]
    assert failure['category'] == 'mac' and failure['detected_by'] == 'server'
    assert 'no acceptable macs' in failure['message']


def test_paramiko_server_never_agrees_to_group_exchange_it_advertises():
    server = profile(PARAMIKO, kex=['diffie-hellman-group-exchange-sha256', 'ecdh-sha2-nistp256'])
    only_gex = predict(server, profile(OPENSSH, kex=['diffie-hellman-group-exchange-sha256']))
    assert not only_gex['compatible'] and only_gex['failures'][0]['detected_by'] == 'server'
    both = predict(server, profile(OPENSSH, kex=['diffie-hellman-group-exchange-sha256', 'ecdh-sha2-nistp256']))
    assert not both['compatible'] and both['failures'][0]['detected_by'] == 'disagreement'


def test_pseudo_algorithms_are_never_negotiated():
    guess = 'kexguess2@matt.ucc.asn.au'
    result = predict(profile(kex=['ecdh-sha2-nistp256', guess, 'kex-strict-s-v00@openssh.com']),
                     profile(kex=['curve25519-sha256', guess, 'ext-info-c']))
    assert not result['compatible'] and result['failures'][0]['category'] == 'kex'


def test_rsa_kex_is_chosen_by_name_whatever_the_host_keys():
    # RFC 4432: the server signs the exchange hash with its host key, as in any other method; PuTTY and AsyncSSH
    # choose the kex by name alone (plink agreed rsa2048-sha256 with an AsyncSSH server holding only Ed25519).
    server = profile(kex=['rsa2048-sha256', 'diffie-hellman-group14-sha256'], host_key=['ssh-ed25519', 'ssh-rsa'])
    chosen = predict(server, profile(kex=['rsa2048-sha256', 'diffie-hellman-group14-sha256'], host_key=['ssh-ed25519']))
    assert chosen['compatible'] and chosen['negotiated']['kex'] == 'rsa2048-sha256'
    assert chosen['negotiated']['host_key'] == 'ssh-ed25519'


def test_every_failing_category_is_listed_in_the_clients_order():
    server = profile(kex=['a-kex'], host_key=['a-key'], ciphers=['a-cipher'], macs=['a-mac'], compression=['zlib'])
    result = predict(server, profile(OPENSSH))
    assert [(f['category'], f['direction']) for f in result['failures']] == [
        ('kex', None), ('host_key', None), ('cipher', 's2c'), ('mac', 's2c'), ('compression', 's2c'),
        ('cipher', 'c2s'), ('mac', 'c2s'), ('compression', 'c2s')]
    assert result['failures'][0]['message'] == 'no matching key exchange method found. Their offer: a-kex'
    assert result['negotiated'] is None


@pytest.mark.parametrize('cipher,mac,strict,exposed', [
    ('chacha20-poly1305@openssh.com', 'hmac-sha2-256', False, True),
    ('chacha20-poly1305@openssh.com', 'hmac-sha2-256', True, False),
    ('aes256-cbc', 'hmac-sha2-256-etm@openssh.com', False, True),
    ('aes256-cbc', 'hmac-sha2-256', False, False),
    ('aes256-ctr', 'hmac-sha2-256-etm@openssh.com', False, False),
])
def test_terrapin_exposure(cipher, mac, strict, exposed):
    server_kex = ['curve25519-sha256'] + (['kex-strict-s-v00@openssh.com'] if strict else [])
    client_kex = ['curve25519-sha256'] + (['kex-strict-c-v00@openssh.com'] if strict else [])
    result = predict(profile(kex=server_kex, ciphers=[cipher], macs=[mac]),
                     profile(kex=client_kex, ciphers=[cipher], macs=[mac]))
    assert result['compatible'] and result['strict_kex'] is strict and result['terrapin_exposed'] is exposed


def test_algorithms_info_result_and_software_from_banner():
    server = {'host': 'h', 'port': 22, 'failed': False, 'banner': 'SSH-2.0-paramiko_3.4.0',
              'offer': {'kex_algorithms': ['curve25519-sha256'], 'server_host_key_algorithms': ['ssh-ed25519'],
                        'encryption_algorithms_client_to_server': ['aes256-ctr'],
                        'encryption_algorithms_server_to_client': ['aes256-ctr'],
                        'mac_algorithms_client_to_server': ['hmac-sha2-256'],
                        'mac_algorithms_server_to_client': ['hmac-sha2-256'],
                        'compression_algorithms_client_to_server': ['none'],
                        'compression_algorithms_server_to_client': ['none'],
                        'languages_client_to_server': [], 'languages_server_to_client': [],
                        'first_kex_packet_follows': False}}
    result = predict(server, profile(banner='SSH-2.0-OpenSSH_7.4'))
    assert result['compatible'] and result['server_software'] == 'paramiko' and result['client_software'] == 'OpenSSH'


@pytest.mark.parametrize('bad', [
    {'ciphers': ['aes128-ctr\nPermitRootLogin yes']},
    {'ciphers': ['aes 128']},
    {'ciphers': ['a' * 65]},
    {'ciphers': ['a@b@c']},
    {'ciphers': 42},
    {},
])
def test_invalid_proposals_are_refused_clearly(bad):
    with pytest.raises(ProposalError):
        normalize_proposal(bad, 'client')


def test_failed_probe_is_not_a_proposal():
    with pytest.raises(ProposalError) as err:
        normalize_proposal({'failed': True, 'reason': 'refused', 'msg': 'nothing listens'}, 'server')
    assert 'refused' in str(err.value)


def _server(**lists):
    base = {'software': {'product': 'OpenSSH', 'version': '9.6p1'}, 'kex': ['curve25519-sha256'],
            'host_key': ['ssh-ed25519'], 'ciphers': ['aes128-gcm@openssh.com'], 'macs': ['hmac-sha2-256'],
            'compression': ['none']}
    base.update(lists)
    return base


def test_jsch_needs_a_common_mac_even_for_an_aead_cipher():
    """KeyExchange.guess (mwiede jsch-0.2.26) matches every list before it marks the MAC implicit."""
    server = _server(macs=['umac-128-etm@openssh.com'])
    jsch = predict(server, 'jsch-0.2.26')
    assert not jsch['compatible']
    assert [(f['category'], f['direction']) for f in jsch['failures']] == [('mac', 'c2s'), ('mac', 's2c')]
    assert jsch['failures'][0]['detected_by'] == 'client'
    assert 'algorithmName="mac.c2s"' in jsch['failures'][0]['message']
    # OpenSSH and libssh2 take the MAC from the AEAD cipher, PuTTY and WinSCP too.
    for name in ('openssh-9.6', 'libssh2-1.11', 'winscp-6.3'):
        client = dict(predict(server, name))
        assert client['compatible'], (name, client['failures'])


def test_jsch_gives_up_at_an_empty_entry_in_the_server_list():
    """Cerberus FTP Server sends lists such as "hmac-ripemd160,,hmac-md5"; JSch scans up to the empty entry."""
    jsch = {'software': {'product': 'JSch', 'version': '0.1.55'}, 'kex': ['diffie-hellman-group14-sha1'],
            'host_key': ['ssh-rsa'], 'ciphers': ['aes128-ctr'], 'macs': ['hmac-md5', 'hmac-sha1'],
            'compression': ['none']}
    server = {'software': {'product': 'Cerberus FTP Server', 'version': '12'}, 'kex': ['diffie-hellman-group14-sha1'],
              'host_key': ['ssh-rsa'], 'ciphers': ['aes128-ctr'], 'macs': ['hmac-ripemd160', 'hmac-sha1', 'hmac-md5'],
              'compression': ['none'],
              'empty_entries': {'mac_algorithms_client_to_server': 2, 'mac_algorithms_server_to_client': 2}}
    result = predict(server, jsch)
    # JSch looks for hmac-md5 first: the scan reaches the empty entry before it, and that fails the MAC.
    assert [f['category'] for f in result['failures']] == ['mac', 'mac']
    # With hmac-sha1 first, the match comes before the empty entry.
    assert predict(server, dict(jsch, macs=['hmac-sha1', 'hmac-md5']))['negotiated']['mac_c2s'] == 'hmac-sha1'
    # A generic client simply skips the empty entry.
    generic = dict(jsch, software={'product': 'SomeClient', 'version': '1'})
    assert predict(server, generic)['negotiated']['mac_c2s'] == 'hmac-md5'


def test_putty_message_names_the_direction_and_the_server_list():
    # 0.83: 0.80-0.82 word it 'Selected ... does not correspond to any supported algorithm' (their profiles).
    result = predict(_server(ciphers=['twofish256-ctr']), 'putty-0.83')
    assert result['failures'][0]['message'] == "Couldn't agree a client-to-server cipher (available: twofish256-ctr)"
    assert result['client_software'] == 'PuTTY'


def test_node_ssh2_checks_in_wire_order_with_its_own_words():
    # lib/protocol/kex.js (ssh2 1.17.0): C->S cipher before S->C, then the MACs; "Handshake failed: no matching ...".
    result = predict(_server(ciphers=['aes256-cbc'], macs=['hmac-md5']), 'node-ssh2-1.17.0')
    assert [(f['category'], f['direction']) for f in result['failures']][:2] == [('cipher', 'c2s'), ('cipher', 's2c')]
    assert result['failures'][0]['message'] == 'Handshake failed: no matching C->S cipher'
    assert result['client_software'] == 'Node ssh2'
    # An AEAD cipher brings its own MAC (CIPHER_INFO authLen > 0): no common MAC needed.
    gcm = predict(_server(ciphers=['aes256-gcm@openssh.com'], macs=['hmac-md5']), 'node-ssh2-1.17.0')
    assert gcm['compatible'] and gcm['negotiated']['cipher_c2s'] == 'aes256-gcm@openssh.com'
    # No ML-KEM or sntrup in 1.17.0: never post-quantum.
    assert not predict(_server(), 'node-ssh2-1.x')['post_quantum']


# --- partial proposals: what cannot be judged is reported, never guessed -------------------------------------

def partial(software=None, **lists):
    """A client knowing only ``lists`` (name-list keys); every other list is unknown."""
    value = dict(lists, partial=True)
    if software:
        value['software'] = software
    return value


def test_a_complete_proposal_has_nothing_unknown():
    result = predict(profile(), profile(OPENSSH))
    assert result['unknown'] == [] and result['compatible'] is True and not result['partial']


def test_unknown_host_keys_are_reported_not_guessed():
    client = profile(OPENSSH)
    client.pop('host_key')
    result = predict(profile(), client)
    assert result['unknown'] == ['host_key'] and result['partial']
    assert result['compatible'] is True and result['failures'] == []   # nothing known fails; cannot tell more
    assert result['negotiated']['host_key'] is None and result['negotiated']['kex'] == 'curve25519-sha256'


def test_unknown_categories_come_in_the_clients_check_order():
    hassh_like = partial(kex_algorithms=['curve25519-sha256'], encryption_algorithms_client_to_server=['aes256-ctr'],
                         mac_algorithms_client_to_server=['hmac-sha2-256'],
                         compression_algorithms_client_to_server=['none'])
    # OpenSSH checks kex, host key, then server-to-client first; AsyncSSH, as a client, the host key last.
    assert predict(profile(), dict(hassh_like, software=OPENSSH))['unknown'] == [
        'host_key', 'cipher', 'mac', 'compression']
    assert predict(profile(), dict(hassh_like, software={'product': 'AsyncSSH', 'version': '2.24.0'}))['unknown'] == [
        'cipher', 'mac', 'compression', 'host_key']


def test_a_real_failure_stays_false_beside_unknown_categories():
    client = partial(OPENSSH, kex_algorithms=['curve25519-sha256'], encryption_algorithms_client_to_server=['aes128-cbc'])
    result = predict(profile(), client)
    assert result['compatible'] is False
    assert [(f['category'], f['direction']) for f in result['failures']] == [('cipher', 'c2s')]
    assert result['unknown'] == ['host_key', 'cipher', 'mac', 'compression']   # s2c cipher, both MACs, ...


def test_the_mac_of_an_aead_cipher_is_not_unknown_where_the_implementation_ignores_it():
    client = partial(OPENSSH, kex_algorithms=['curve25519-sha256'], server_host_key_algorithms=['ssh-ed25519'],
                     encryption_algorithms_client_to_server=['chacha20-poly1305@openssh.com'],
                     encryption_algorithms_server_to_client=['chacha20-poly1305@openssh.com'],
                     compression_algorithms_client_to_server=['none'], compression_algorithms_server_to_client=['none'])
    server = profile(OPENSSH, ciphers=['chacha20-poly1305@openssh.com'])
    openssh = predict(server, client)
    assert openssh['unknown'] == [] and openssh['compatible'] is True
    # A paramiko server needs a common MAC even for an AEAD cipher: with the client's MACs unknown, it cannot tell.
    paramiko = predict(profile(PARAMIKO, ciphers=['chacha20-poly1305@openssh.com']), client)
    assert paramiko['unknown'] == ['mac'] and paramiko['compatible'] is True and paramiko['failures'] == []


def test_rsa_kex_is_known_when_the_host_keys_are_not():
    server = profile(kex=['rsa2048-sha256', 'diffie-hellman-group14-sha256'], host_key=['ssh-ed25519', 'ssh-rsa'])
    client = partial(kex_algorithms=['rsa2048-sha256', 'diffie-hellman-group14-sha256'],
                     encryption_algorithms_client_to_server=['aes256-ctr'])
    result = predict(server, client)
    assert result['negotiated']['kex'] == 'rsa2048-sha256' and result['unknown'][0] == 'host_key'


def test_a_partial_server_is_judged_the_same_way():
    server = partial(kex_algorithms=['curve25519-sha256'], server_host_key_algorithms=['ssh-ed25519'])
    result = predict(server, 'openssh-9.2')
    assert result['unknown'] == ['cipher', 'mac', 'compression'] and result['compatible'] is True
    assert result['filled_from'] is None   # only clients are filled from profiles


def test_sshd_unable_to_negotiate_lines_give_partial_clients(fixture_file, classic_server):
    """sshd logs only the list that failed ("no matching cipher found. Their offer: ..."): that category is judged
    (it fails again against the classic server), every other one is unknown."""
    cipher_line, kex_line = parse_kex_log(fixture_file('openssh-9.2-sshd-unable-to-negotiate.log'))
    cipher = predict(classic_server, cipher_line)
    assert cipher['compatible'] is False and {f['category'] for f in cipher['failures']} == {'cipher'}
    assert cipher['unknown'] == ['kex', 'host_key', 'mac', 'compression'] and cipher['filled_from'] is None
    kex = predict(classic_server, kex_line)
    assert [f['category'] for f in kex['failures']] == ['kex']
    assert kex['unknown'] == ['host_key', 'cipher', 'mac', 'compression']


# OpenSSH 10.x (openssh-portable V_10_0_P1 .. V_10_5_P1): the default lists changed, the choosing rules did not
# (kex.c kex_choose_conf/choose_* and match.c match_list are unchanged from V_9_9_P1); the client warns without a
# post-quantum kex from 10.1. Server defaults are data/server_profiles/*.yml, read directly here.

def server_profile(name):
    import os
    import yaml
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import DATA_DIR
    with open(os.path.join(DATA_DIR, 'server_profiles', name + '.yml')) as handle:
        document = yaml.safe_load(handle)
    if document.get('alias_of'):
        return server_profile(document['alias_of'])
    return document


FFDH_ONLY = ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256']


def test_sshd_10_0_no_longer_offers_finite_field_dh():
    # commit 0051381a8 (V_10_0_P1): KEX_SERVER_KEX loses diffie-hellman-group*; the client keeps them.
    client = profile(OPENSSH, kex=FFDH_ONLY, host_key=['rsa-sha2-512', 'ssh-ed25519'])
    assert predict(server_profile('debian-12'), client)['negotiated']['kex'] == 'diffie-hellman-group-exchange-sha256'
    for name in ('openssh-10.0', 'debian-13', 'openssh-10.x'):
        result = predict(server_profile(name), client)
        assert not result['compatible']
        assert [(f['category'], f['detected_by']) for f in result['failures']] == [('kex', 'both')]
        assert result['failures'][0]['message'].startswith('no matching key exchange method found. Their offer: '
                                                           'mlkem768x25519-sha256,')


@pytest.mark.parametrize('client,server,kex,cipher,warned', [
    ('openssh-10.0', 'openssh-10.0', 'mlkem768x25519-sha256', 'chacha20-poly1305@openssh.com', False),
    ('openssh-10.x', 'debian-12', 'sntrup761x25519-sha512', 'chacha20-poly1305@openssh.com', False),
    ('openssh-10.5', 'openssh-9.2', 'sntrup761x25519-sha512@openssh.com', 'chacha20-poly1305@openssh.com', False),
    ('openssh-10.1', 'openssh-8.8', 'curve25519-sha256', 'chacha20-poly1305@openssh.com', True),
    ('openssh-10.0', 'openssh-8.8', 'curve25519-sha256', 'chacha20-poly1305@openssh.com', False),
    ('openssh-10.5', 'openssh-7.4', 'curve25519-sha256', 'chacha20-poly1305@openssh.com', True),
])
def test_openssh_10_clients_against_sshd_defaults(client, server, kex, cipher, warned):
    result = predict(server_profile(server), client)
    assert result['compatible'] and result['negotiated']['kex'] == kex
    assert result['negotiated']['cipher_c2s'] == cipher
    assert result['post_quantum'] is (not warned and kex != 'curve25519-sha256')
    assert bool(result['warnings']) is warned


def test_openssh_10_prefers_aes_gcm_over_aes_ctr():
    # commit d75837b9f (V_10_0_P1): KEX_SERVER_ENCRYPT/KEX_CLIENT_ENCRYPT put AES-GCM before AES-CTR.
    server = dict(server_profile('openssh-10.0'))
    for key in ('encryption_algorithms_client_to_server', 'encryption_algorithms_server_to_client'):
        server[key] = [name for name in server[key] if name != 'chacha20-poly1305@openssh.com']
    assert predict(server, 'openssh-10.0')['negotiated']['cipher_c2s'] == 'aes128-gcm@openssh.com'
    assert predict(server, 'openssh-9.9')['negotiated']['cipher_c2s'] == 'aes128-ctr'


@pytest.mark.parametrize('value,warned', [(None, True), (True, True), ('yes', True), (False, False), ('no', False),
                                          ('no-pq-kex', False), ('NO-PQ-KEX', False)])
def test_warn_weak_crypto_turns_off_the_post_quantum_warning(value, warned):
    # readconf.c multistate_warnweakcrypto (V_10_1_P1 .. V_10_5_P1): yes/true on; no/false/no-pq-kex off.
    client = profile({'product': 'OpenSSH', 'version': '10.3p1'}, kex=['curve25519-sha256'], name='openssh-x')
    if value is not None:
        client['warn_weak_crypto'] = value
    assert bool(predict(profile(OPENSSH, kex=['curve25519-sha256']), client)['warnings']) is warned


def test_warn_weak_crypto_rejects_other_values():
    with pytest.raises(ProposalError, match='warn_weak_crypto'):
        normalize_proposal(profile(OPENSSH, warn_weak_crypto='sometimes'))


def test_openssh_10_dropped_dsa():
    # 10.0 builds without DSA (V_10_0_P1 configure.ac has no --enable-dsa-keys; a32d28d79 removed the code in
    # V_10_1_P1): nothing in a 10.x profile or its supported host keys is ssh-dss.
    server = server_profile('openssh-10.0')
    assert 'ssh-dss' not in server['supported']['host_key']
    result = predict(profile(OPENSSH, host_key=['ssh-dss']), 'openssh-10.0')
    assert [f['category'] for f in result['failures']] == ['host_key']


@pytest.mark.parametrize('client_version,banner,expected', [
    ('10.3p1', 'SSH-2.0-Sun_SSH_1.0.1', True),
    ('10.5p1', 'SSH-2.0-Sun_SSH_1.0', True),
    ('10.2p1', 'SSH-2.0-Sun_SSH_1.0.1', False),   # before commit dd49a87bf it worked around the server instead
    ('10.3p1', 'SSH-2.0-Sun_SSH_1.1', False),
    ('10.3p1', 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10', False),
])
def test_openssh_10_3_warns_about_servers_that_cannot_rekey(client_version, banner, expected):
    # sshconnect.c ssh_login (V_10_3_P1): compat.c SSH_BUG_NOREKEY ("Sun_SSH_1.0*") now only warns.
    server = profile(banner=banner, kex=['mlkem768x25519-sha256'])
    client = profile({'product': 'OpenSSH', 'version': client_version}, kex=['mlkem768x25519-sha256'], name='x')
    warnings = predict(server, client)['warnings']
    assert (warnings == ['Warning: this server does not support rekeying.', 'This session will eventually fail']) \
        is expected
    # Before the post-quantum warning when both apply.
    both = predict(profile(banner=banner), dict(client, kex=['curve25519-sha256']))['warnings']
    assert len(both) == (5 if expected else 3 if client_version >= '10.1' else 0)
