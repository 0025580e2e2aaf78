# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Terrapin rule (CVE-2023-48795) from the offer alone, under every built-in baseline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import STRICT_KEX_SERVER
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import baseline_names, evaluate, \
    load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError, terrapin
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal

MODERN_KEX = ['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'ext-info-s']


def server(ciphers, macs, strict=False, kex=None):
    kex = list(kex or MODERN_KEX) + ([STRICT_KEX_SERVER] if strict else [])
    return {'kex': kex, 'host_key': ['ssh-ed25519'], 'ciphers': ciphers, 'macs': macs}


def run(value, settings=None):
    return terrapin.run(normalize_proposal(value, 'server'), None, settings)


def test_chacha20_without_strict_kex_fails_with_the_exact_fix():
    result = run(server(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'], ['hmac-sha2-512-etm@openssh.com']))
    assert result['status'] == 'failed'
    [item] = result['findings']
    assert item['check'] == 'terrapin' and item['rating'] == 'fail'
    assert item['subject'] == 'chacha20-poly1305@openssh.com'
    assert 'CVE-2023-48795' in item['source'] and 'USENIX Security 2024' in item['source'] and 'OpenSSH 9.6' in item['source']
    assert 'strict kex' in item['fix'] and 'OpenSSH >= 9.6' in item['fix'] and 'chacha20-poly1305' in item['fix']
    assert result['details']['pairs'] == [['chacha20-poly1305@openssh.com', None]]


def test_strict_kex_clears_the_same_offer():
    result = run(server(['chacha20-poly1305@openssh.com', 'aes128-cbc'], ['hmac-sha2-256-etm@openssh.com'], strict=True))
    assert result['status'] == 'passed' and result['findings'] == []
    assert result['details']['strict_kex'] is True and result['details']['chacha20']


@pytest.mark.parametrize('cipher', ['aes128-cbc', 'camellia128-cbc', 'seed-cbc@ssh.com', 'aes256-cbc@openssh.org',
                                    'rijndael-cbc@lysator.liu.se'])
def test_any_cbc_with_any_etm_is_named_in_the_subject(cipher):
    result = run(server(['aes128-ctr', cipher], ['hmac-sha2-256', 'umac-64-etm@openssh.com']))
    [item] = result['findings']
    assert item['subject'] == 'CBC %s with EtM umac-64-etm@openssh.com' % cipher
    assert result['details']['pairs'] == [[cipher, 'umac-64-etm@openssh.com']]
    assert 'the CBC ciphers (%s) or the EtM MACs' % cipher in item['fix']


def test_cbc_without_etm_and_etm_without_cbc_are_not_exposed():
    assert run(server(['aes128-cbc', 'aes128-ctr'], ['hmac-sha2-256']))['status'] == 'passed'
    assert run(server(['aes128-ctr', 'aes256-gcm@openssh.com'], ['hmac-sha2-256-etm@openssh.com']))['status'] == 'passed'


def test_both_kinds_in_one_finding():
    result = run(server(['chacha20-poly1305@openssh.com', 'aes128-cbc', '3des-cbc'],
                        ['hmac-sha2-256-etm@openssh.com', 'hmac-sha1-etm@openssh.com']))
    [item] = result['findings']
    assert item['subject'] == ('chacha20-poly1305@openssh.com; CBC aes128-cbc, 3des-cbc with EtM '
                               'hmac-sha2-256-etm@openssh.com, hmac-sha1-etm@openssh.com')
    assert len(result['details']['pairs']) == 5


def test_one_direction_is_enough():
    value = {'kex_algorithms': ['curve25519-sha256'], 'server_host_key_algorithms': ['ssh-ed25519'],
             'encryption_algorithms_client_to_server': ['aes128-ctr'],
             'encryption_algorithms_server_to_client': ['aes128-ctr', 'chacha20-poly1305@openssh.com'],
             'mac_algorithms_client_to_server': ['hmac-sha2-256'], 'mac_algorithms_server_to_client': ['hmac-sha2-256'],
             'compression_algorithms_client_to_server': ['none'], 'compression_algorithms_server_to_client': ['none']}
    assert run(value)['status'] == 'failed'


def test_partial_offer_is_not_run():
    result = run({'kex': ['curve25519-sha256']})
    assert result['status'] == 'not_run' and 'partial' in result['message']


@pytest.mark.parametrize('name', baseline_names())
def test_every_builtin_baseline_makes_a_stripped_modern_offer_non_compliant(name):
    offer = server(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'], ['hmac-sha2-512-etm@openssh.com'])
    result = evaluate(offer, name)
    assert result['passed'] is False
    assert [item['rating'] for item in result['findings'] if item['check'] == 'terrapin'] == ['fail']
    assert result['checks']['terrapin']['status'] == 'failed'
    assert result['counts']['findings_fail'] >= 1


def test_a_custom_baseline_chooses_the_rating_and_the_default_is_fail():
    base = load_baseline('intermediate')
    custom = {'name': 'mine', 'allowed': {category: list(names) for category, names in base['allowed'].items()}}
    custom['allowed']['ciphers'].append('chacha20-poly1305@openssh.com')
    offer = server(['chacha20-poly1305@openssh.com'], ['hmac-sha2-256'])
    assert evaluate(offer, custom)['checks']['terrapin']['findings'][0]['rating'] == 'fail'
    relaxed = evaluate(offer, dict(custom, terrapin={'rating': 'info', 'source': 'accepted risk, ticket 7'}))
    assert relaxed['checks']['terrapin']['findings'][0]['rating'] == 'info'
    assert relaxed['checks']['terrapin']['findings'][0]['source'] == 'accepted risk, ticket 7'
    assert relaxed['checks']['terrapin']['status'] == 'passed'


@pytest.mark.parametrize('section, message', [
    ('fail', 'must be a dict'),
    ({'rating': 'critical'}, 'rating must be one of'),
    ({'rating': 'warn', 'colour': 'red'}, 'unknown keys'),
    ({'reason': ''}, 'non-empty string'),
])
def test_bad_sections_are_refused_by_name(section, message):
    with pytest.raises(CheckError, match=message):
        terrapin.normalize(section, 'mine', 'baseline mine terrapin')
    base = load_baseline('intermediate')
    with pytest.raises(CheckError, match=message):  # a ProposalError, as filters report bad input
        evaluate(server(['aes128-ctr'], ['hmac-sha2-256']), {'name': 'mine', 'allowed': base['allowed'], 'terrapin': section})
