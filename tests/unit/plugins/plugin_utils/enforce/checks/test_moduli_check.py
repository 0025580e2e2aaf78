# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The moduli check: which size is rated, per-baseline ratings with sources and fixes, not_run and the baselines'
sections."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks.moduli import normalize, run
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal

GEX = 'diffie-hellman-group-exchange-sha256'
BASELINES = ('intermediate', 'modern', 'fips-140-3', 'bsi-tr-02102-4')


def server(sizes, product='OpenSSH', version='9.2p1', kex=(GEX, 'curve25519-sha256')):
    """An algorithms_info result whose GEX requests got ``sizes`` (name -> bits or None)."""
    spec = {'ssh_audit_small': (512, 1024, 1536), 'exact_2048': (2048, 2048, 2048),
            'ssh_audit_second_pass': (2048, 3072, 4096), 'openssh_client': (2048, 8192, 8192)}
    requests = []
    for name, bits in sizes.items():
        low, pref, high = spec[name]
        entry = {'name': name, 'min': low, 'n': pref, 'max': high}
        entry.update({'bits': bits, 'in_range': low <= bits <= high} if bits else
                     {'reason': 'closed', 'error': 'the server closed the connection'})
        requests.append(entry)
    got = [bits for bits in sizes.values() if bits]
    offer = {key: ['x'] for key in ('server_host_key_algorithms', 'encryption_algorithms_client_to_server',
                                    'encryption_algorithms_server_to_client', 'mac_algorithms_client_to_server',
                                    'mac_algorithms_server_to_client', 'compression_algorithms_client_to_server',
                                    'compression_algorithms_server_to_client')}
    offer['kex_algorithms'] = list(kex)
    return {'failed': False, 'offer': offer, 'banner': 'SSH-2.0-x',
            'software': {'product': product, 'version': version},
            'moduli': {'methods': [{'kex': GEX, 'requests': requests, 'smallest': min(got, default=None),
                                    'largest': max(got, default=None)}],
                       'smallest': min(got, default=None), 'largest': max(got, default=None)}}


def check(result, baseline):
    return evaluate(result, baseline)['checks']['moduli']


ONLY_2048 = {'ssh_audit_small': None, 'exact_2048': 2048, 'ssh_audit_second_pass': 2048, 'openssh_client': 2048}
FILTERED = {'ssh_audit_small': None, 'exact_2048': 2048, 'ssh_audit_second_pass': 3072, 'openssh_client': 8192}
LEGACY = {'ssh_audit_small': 1024, 'exact_2048': 2048, 'ssh_audit_second_pass': 2048, 'openssh_client': 4096}


def test_2048_only_warns_in_intermediate_and_fips_and_fails_in_modern_and_bsi():
    expected = {'intermediate': 'warn', 'fips-140-3': 'warn', 'modern': 'fail', 'bsi-tr-02102-4': 'fail'}
    for baseline in BASELINES:
        result = check(server(ONLY_2048), baseline)
        assert result['status'] == 'failed', baseline
        [item] = result['findings']
        assert item['rating'] == expected[baseline] and item['source'], (baseline, item)
        assert "awk '$5 >= 3071' /etc/ssh/moduli" in item['fix'] and 'baseline_moduli: filter' in item['fix']
        assert result['details']['rated_bits'] == 2048


def test_openssh_fallback_answer_is_info_like_ssh_audit():
    result = check(server(FILTERED), 'intermediate')
    assert result['status'] == 'passed' and result['details']['rated_bits'] == 3072
    [info] = result['findings']
    assert info['rating'] == 'info' and 'group 14' in info['reason'] and 'dh_new_group_fallback' in info['source']


def test_fallback_exclusion_is_only_for_openssh_up_to_9_9():
    for product, version in (('OpenSSH', '10.0p2'), ('ProFTPD mod_sftp', None), ('dropbear', '2022.83')):
        result = check(server(FILTERED, product, version), 'intermediate')
        assert result['details']['rated_bits'] == 2048 and result['findings'][0]['rating'] == 'warn'


def test_legacy_1024_bit_group_fails_everywhere():
    for baseline in BASELINES:
        result = check(server(LEGACY), baseline)
        assert result['findings'][0]['rating'] == 'fail' and '1024-bit group' in result['findings'][0]['subject']


def test_proftpd_fix_names_its_directive():
    result = check(server(ONLY_2048, 'ProFTPD mod_sftp', None), 'intermediate')
    assert 'SFTPDHParamFile' in result['findings'][0]['fix']


def test_not_run_when_not_gathered_or_failed_and_passed_without_gex():
    result = server(ONLY_2048)
    plain = {key: value for key, value in result.items() if key != 'moduli'}
    assert check(plain, 'intermediate')['status'] == 'not_run'
    assert 'moduli: true' in check(plain, 'intermediate')['message']
    refused = dict(plain, moduli_error='throttled: no group-exchange request got a group')
    assert check(refused, 'intermediate')['status'] == 'not_run'
    assert 'throttled' in check(refused, 'intermediate')['message']
    nothing = server({'ssh_audit_small': None, 'exact_2048': None})
    assert check(nothing, 'intermediate')['status'] == 'not_run'
    no_gex = server(ONLY_2048, kex=('curve25519-sha256',))
    assert check(no_gex, 'intermediate')['status'] == 'passed'
    # A remediation plan has no facts at all.
    assert run(normalize_proposal(result), None, None)['status'] == 'not_run'
    # The offer verdict still stands: only the check is not_run.
    assert evaluate(refused, 'intermediate')['counts']['checks_not_run'] >= 1


def test_every_builtin_baseline_has_a_sourced_moduli_section():
    for baseline in BASELINES:
        settings = load_baseline(baseline)['checks']['moduli']
        assert settings['fail_below'] >= 2048 and settings['fail_source']
        assert settings['warn_below'] is None or settings['warn_source']


@pytest.mark.parametrize('section,message', [
    ('3072', 'must be a dict'),
    ({'fail_below': 512, 'fail_source': 'x'}, 'from 1024 to 16384'),
    ({'fail_below': True, 'fail_source': 'x'}, 'number of bits'),
    ({'fail_below': 2048}, 'fail_source must say'),
    ({'fail_below': 3072, 'fail_source': 'x', 'warn_below': 2048, 'warn_source': 'y'}, 'must be above'),
    ({'fail_below': 2048, 'fail_source': 'x', 'min_bits': 3}, 'unknown keys min_bits'),
])
def test_bad_sections_are_refused_with_a_sentence(section, message):
    with pytest.raises(CheckError) as info:
        normalize(section, 'custom', 'baseline custom moduli')
    assert message in str(info.value)


def test_user_baseline_without_section_gets_rfc_8270_minimum():
    custom = copy.deepcopy({'name': 'custom', 'allowed': {'kex': [GEX], 'host_key': ['ssh-ed25519'],
                                                          'ciphers': ['aes128-ctr'], 'macs': ['hmac-sha2-256']}})
    settings = load_baseline(custom)['checks']['moduli']
    assert settings['fail_below'] == 2048 and 'RFC 8270' in settings['fail_source']
    assert check(server(ONLY_2048), custom)['status'] == 'passed'
    assert check(server(LEGACY), custom)['status'] == 'failed'
