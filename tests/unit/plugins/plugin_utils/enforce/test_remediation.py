# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remediation, remediation candidates and live verification (pure functions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, profile_names, predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import (
    candidate_names, remediate, verify_offer)

TODAY = '2026-11-24'


def exception(client, algorithm, expires='2099-01-01'):
    return {'client': client, 'algorithm': algorithm, 'reason': 'ticket 1', 'expires': expires}


def test_remediation_of_the_classic_failure_needs_no_weakening(classic_server, openssh_92_supported):
    plan = remediate(classic_server, 'intermediate', ['jsch-0.1.54-restricted-jce', 'openssh-7.4', 'putty-0.78'],
                     openssh_92_supported, today=TODAY)
    assert plan['ok'], plan['conflicts']
    assert plan['additions'] == []
    assert plan['target']['ciphers'] == load_baseline('intermediate')['allowed']['ciphers']
    assert plan['predictions']['jsch-0.1.54-restricted-jce']['negotiated']['cipher_c2s'] == 'aes128-ctr'
    # Host keys: only the key types the server holds (no DSA, no certificates).
    assert 'ssh-dss' not in plan['target']['host_key'] and not any('cert' in name for name in plan['target']['host_key'])


def test_remediation_conflict_names_client_category_and_needed_algorithms(classic_server, openssh_92_supported):
    plan = remediate(classic_server, 'modern', ['jsch-0.1.54-restricted-jce'], openssh_92_supported,
                     [exception('jsch-0.1.54-restricted-jce', 'hmac-sha1', '2020-01-01')], TODAY)
    assert plan['ok'] is False
    by_category = {item['category']: item for item in plan['conflicts']}
    assert set(by_category) == {'kex', 'host_key', 'macs'}
    assert by_category['kex']['client'] == 'jsch-0.1.54-restricted-jce'
    assert by_category['kex']['needed'][0] == 'ecdh-sha2-nistp256'
    assert 'expired on 2020-01-01' in by_category['macs']['message']
    assert plan['target']['macs'] == load_baseline('modern')['allowed']['macs']  # nothing weakened silently


def test_remediation_adds_the_clients_most_preferred_excepted_algorithm_once(classic_server, openssh_92_supported):
    exceptions = [exception('jsch-0.1.54-restricted-jce', name) for name in
                  ('hmac-sha1', 'hmac-sha2-256', 'ssh-rsa', 'rsa-sha2-256', 'diffie-hellman-group14-sha1',
                   'ecdh-sha2-nistp256')]
    plan = remediate(classic_server, 'modern', ['jsch-0.1.54-restricted-jce', 'openssh-9.2'], openssh_92_supported,
                     exceptions, TODAY)
    assert plan['ok'], plan
    added = {(item['category'], item['algorithm']) for item in plan['additions']}
    # JSch's own order decides: ecdh-sha2-nistp256 before group14-sha1, ssh-rsa first, hmac-sha1 before sha2-256.
    assert added == {('kex', 'ecdh-sha2-nistp256'), ('host_key', 'ssh-rsa'), ('macs', 'hmac-sha1')}
    assert plan['target']['kex'][-1] == 'ecdh-sha2-nistp256'  # appended: the server's preference stays modern's
    assert plan['evaluation']['passed'] and len(plan['evaluation']['excepted']) == 3
    assert plan['predictions']['openssh-9.2']['negotiated']['kex'] != 'ecdh-sha2-nistp256'


def test_exception_for_another_client_does_not_apply(classic_server, openssh_92_supported):
    plan = remediate(classic_server, 'modern', ['jsch-0.1.54-restricted-jce'], openssh_92_supported,
                     [exception('someone-else', 'ecdh-sha2-nistp256')], TODAY)
    assert any(item['category'] == 'kex' for item in plan['conflicts'])


def test_server_without_any_allowed_algorithm_is_a_conflict(classic_server, openssh_92_supported):
    supported = dict(openssh_92_supported, ciphers=['aes256-cbc', '3des-cbc'])
    plan = remediate(classic_server, 'intermediate', [], supported, today=TODAY)
    assert plan['ok'] is False
    assert plan['conflicts'][0]['client'] is None and plan['conflicts'][0]['category'] == 'ciphers'


CLIENTS = [name for name in profile_names() if not name.startswith('golang')]


@pytest.mark.parametrize('baseline', ['modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'])
def test_every_plan_negotiates_and_passes_or_names_its_conflicts(baseline, classic_server, openssh_92_supported):
    """For each baseline and each built-in client: a plan is either ok, verified by negotiate and evaluate, or
    names conflicts; granting the first needed algorithm as an exception for each conflict then makes it ok."""
    for client in CLIENTS:
        plan = remediate(classic_server, baseline, [client], openssh_92_supported, today=TODAY)
        if not plan['ok']:
            assert plan['conflicts'] and all(item['client'] in (client, None) for item in plan['conflicts'])
            exceptions = [exception(client, item['needed'][0]) for item in plan['conflicts'] if item['needed']]
            plan = remediate(classic_server, baseline, [client], openssh_92_supported, exceptions, TODAY)
            if not plan['ok']:
                # Only a client the server cannot serve at all (nothing in common) may still fail.
                assert any(not item['needed'] for item in plan['conflicts']), (client, plan['conflicts'])
                continue
        final = plan['target_proposal']
        assert predict(final, client)['compatible'], (baseline, client)
        assert plan['evaluation']['passed'], (baseline, client)


def test_candidates_cover_baseline_clients_and_exceptions():
    names = candidate_names('modern', ['jsch-0.1.54-restricted-jce'], [exception('x', 'hmac-ripemd160')])
    assert names['ciphers'][:1] == ['chacha20-poly1305@openssh.com']
    assert 'aes128-cbc' in names['ciphers'] and 'hmac-ripemd160' in names['macs']
    assert 'ext-info-c' not in names['kex']


def test_verify_offer_compares_order_and_host_keys_as_a_set(classic_server, openssh_92_supported):
    plan = remediate(classic_server, 'intermediate', ['openssh-9.2'], openssh_92_supported, today=TODAY)
    live = dict(plan['target_proposal'])
    live['offer'] = dict(live['offer'], server_host_key_algorithms=list(reversed(plan['target']['host_key'])))
    assert verify_offer(live, plan, ['openssh-9.2'])['ok']
    live['offer'] = dict(live['offer'], encryption_algorithms_server_to_client=list(reversed(plan['target']['ciphers'])))
    result = verify_offer(live, plan, ['openssh-9.2'])
    assert not result['ok'] and result['mismatches'][0]['list'] == 'encryption_algorithms_server_to_client'
    live['offer'] = dict(live['offer'], encryption_algorithms_client_to_server=['aes256-cbc'])
    assert 'jsch-0.1.54-restricted-jce' in verify_offer(live, plan, ['jsch-0.1.54-restricted-jce'])['client_failures']


def test_profiles_used_here_exist():
    for name in ('jsch-0.1.54-restricted-jce', 'openssh-7.4', 'putty-0.78', 'openssh-9.2'):
        load_profile(name)


def test_example_inventory_settings_are_valid(classic_server, openssh_92_supported):
    """examples/inventory: the custom baseline, partner profile and exceptions pass the same validation."""
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', '..', 'examples', 'inventory',
                        'group_vars')
    with open(os.path.join(root, 'partner_gateways.yml')) as handle:
        partners = yaml.safe_load(handle)
    with open(os.path.join(root, 'internal.yml')) as handle:
        internal = yaml.safe_load(handle)
    plan = remediate(classic_server, 'intermediate', partners['baseline_required_clients'], openssh_92_supported,
                     partners['baseline_exceptions'], TODAY)
    assert plan['ok'], plan['conflicts']
    assert {item['algorithm'] for item in plan['additions']} == {'ssh-rsa'}
    assert load_baseline(internal['baseline_policy'])['name'] == 'corp-2026'


def _without_strict_kex(server):
    return dict(server, kex=[name for name in server['kex'] if name != 'kex-strict-s-v00@openssh.com'])


@pytest.mark.parametrize('baseline', ['modern', 'intermediate'])
def test_plan_keeps_chacha20_where_the_daemon_adds_strict_kex(classic_server, openssh_92_supported, baseline):
    plan = remediate(classic_server, baseline, ['openssh-9.2'], openssh_92_supported, today=TODAY)
    assert plan['ok'] and plan['target']['ciphers'][0] == 'chacha20-poly1305@openssh.com'
    assert plan['terrapin'] == {'strict_kex': True, 'guarded': False, 'removed': []}
    assert plan['checks']['terrapin']['status'] == 'passed'


@pytest.mark.parametrize('baseline', ['modern', 'intermediate'])
def test_plan_without_strict_kex_leaves_chacha20_out(classic_server, openssh_92_supported, baseline):
    plan = remediate(_without_strict_kex(classic_server), baseline, ['openssh-9.2', 'putty-0.78'],
                     openssh_92_supported, today=TODAY)
    assert plan['ok'], plan['conflicts']
    assert 'chacha20-poly1305@openssh.com' not in plan['target']['ciphers']
    assert plan['target']['ciphers'] == [name for name in load_baseline(baseline)['allowed']['ciphers']
                                         if name != 'chacha20-poly1305@openssh.com']
    assert plan['terrapin']['guarded'] and plan['terrapin']['strict_kex'] is False
    assert [item['algorithm'] for item in plan['terrapin']['removed']] == ['chacha20-poly1305@openssh.com']
    assert plan['checks']['terrapin']['status'] == 'passed'
    assert not any(item['terrapin_exposed'] for item in plan['predictions'].values())


def test_plan_without_strict_kex_never_adds_a_terrapin_pair_for_a_client(classic_server, openssh_92_supported):
    client = {'name': 'chacha-only', 'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'],
              'ciphers': ['chacha20-poly1305@openssh.com'], 'macs': ['hmac-sha2-256-etm@openssh.com'],
              'compression': ['none']}
    plan = remediate(_without_strict_kex(classic_server), 'modern', [client], openssh_92_supported, today=TODAY)
    assert plan['ok'] is False
    [conflict] = plan['conflicts']
    assert conflict['client'] == 'chacha-only' and conflict['category'] == 'ciphers'
    assert 'Terrapin' in conflict['message'] and 'OpenSSH >= 9.6' in conflict['message']
    assert 'chacha20-poly1305@openssh.com' not in plan['target']['ciphers']


def test_plan_drops_cbc_when_etm_macs_stay_and_strict_kex_is_missing(classic_server, openssh_92_supported):
    base = load_baseline('intermediate')
    custom = {'name': 'legacy-cbc', 'source': 'test',
              'allowed': dict(base['allowed'], ciphers=['aes256-ctr', 'aes256-cbc'])}
    plan = remediate(_without_strict_kex(classic_server), custom, [], openssh_92_supported, today=TODAY)
    assert plan['target']['ciphers'] == ['aes256-ctr']
    assert plan['terrapin']['removed'][0]['algorithm'] == 'aes256-cbc'
    assert 'EtM' in plan['terrapin']['removed'][0]['reason']
    # With only MAC-then-encrypt MACs, CBC is no Terrapin pair and stays.
    custom['allowed'] = dict(custom['allowed'], macs=['hmac-sha2-256', 'hmac-sha2-512'])
    plan = remediate(_without_strict_kex(classic_server), custom, [], openssh_92_supported, today=TODAY)
    assert plan['target']['ciphers'] == ['aes256-ctr', 'aes256-cbc'] and plan['terrapin']['removed'] == []


def test_a_baseline_that_rates_terrapin_info_is_not_guarded(classic_server, openssh_92_supported):
    base = load_baseline('modern')
    custom = {'name': 'accepting', 'source': 'test', 'allowed': base['allowed'],
              'terrapin': {'rating': 'info', 'source': 'accepted risk, ticket 9'}}
    plan = remediate(_without_strict_kex(classic_server), custom, [], openssh_92_supported, today=TODAY)
    assert plan['ok'] and plan['target']['ciphers'][0] == 'chacha20-poly1305@openssh.com'
    assert plan['terrapin']['guarded'] is False
    assert plan['checks']['terrapin']['findings'][0]['rating'] == 'info'


def test_plan_reports_post_quantum_without_blocking(classic_server, openssh_92_supported):
    supported = dict(openssh_92_supported, kex=[name for name in openssh_92_supported['kex'] if 'sntrup' not in name
                                                and 'mlkem' not in name])
    plan = remediate(classic_server, 'modern', [], supported, today=TODAY)
    assert plan['ok']  # the role cannot configure a post-quantum kex the daemon lacks; the audit reports it
    assert plan['checks']['post_quantum']['status'] == 'failed'
    assert plan['findings'][0]['check'] == 'post_quantum'


def _server_with_gex(bits, software=None):
    """A server offering group exchange, and the group sizes it sent (as algorithms_info's moduli option returns
    them): every request answered with at most ``bits``. OpenSSH 9.2 unless ``software`` is given."""
    offer = {'kex_algorithms': ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group-exchange-sha256',
                                'diffie-hellman-group16-sha512', 'kex-strict-s-v00@openssh.com'],
             'server_host_key_algorithms': ['rsa-sha2-512', 'rsa-sha2-256'],
             'encryption_algorithms_client_to_server': ['aes256-ctr', 'aes128-ctr'],
             'encryption_algorithms_server_to_client': ['aes256-ctr', 'aes128-ctr'],
             'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
             'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
             'compression_algorithms_client_to_server': ['none'], 'compression_algorithms_server_to_client': ['none']}
    requests = [{'name': 'openssh_client', 'min': 2048, 'n': 8192, 'max': 8192, 'bits': bits, 'in_range': True},
                {'name': 'ssh_audit_second_pass', 'min': 2048, 'n': 3072, 'max': 4096, 'bits': bits,
                 'in_range': True}]
    software = software or {'product': 'OpenSSH', 'version': '9.2p1'}
    return {'banner': 'SSH-2.0-%s_%s' % (software['product'].split()[-1], software['version']), 'software': software,
            'offer': offer, 'moduli': {'methods': [{'kex': 'diffie-hellman-group-exchange-sha256',
                                                    'requests': requests, 'smallest': bits, 'largest': bits}],
                                       'smallest': bits, 'largest': bits}}


def test_group_exchange_with_rejected_primes_is_left_out():
    """A server whose group exchange sends 2048-bit primes under a baseline that wants 3072 (intermediate warns):
    the plan leaves group exchange out, says why, and the rest still serves the clients; with the moduli file being
    filtered, or without learned sizes, or with large enough primes, it stays."""
    server = _server_with_gex(2048)
    plan = remediate(server, 'intermediate', ['openssh-9.2'])
    assert 'diffie-hellman-group-exchange-sha256' not in plan['target']['kex'] and plan['ok']
    assert [item['algorithm'] for item in plan['group_exchange_removed']] == ['diffie-hellman-group-exchange-sha256']
    assert plan['group_exchange_removed'][0]['findings'][0]['rating'] == 'warn'
    kept = remediate(server, 'intermediate', ['openssh-9.2'], moduli_filtered=True)
    assert 'diffie-hellman-group-exchange-sha256' in kept['target']['kex'] and kept['group_exchange_removed'] == []
    names_only = remediate(server['offer'], 'intermediate', ['openssh-9.2'])
    assert 'diffie-hellman-group-exchange-sha256' in names_only['target']['kex']
    large = remediate(_server_with_gex(4096), 'intermediate', ['openssh-9.2'])
    assert 'diffie-hellman-group-exchange-sha256' in large['target']['kex']


def test_proftpd_group_exchange_is_left_out_where_its_fixed_group_is_too_small():
    """mod_sftp's fixed 2048-bit group 14 answers what its parameter file cannot, so under intermediate (3072) its
    group exchange is left out also when the offer no longer shows it (a second run is the same plan); under a
    baseline content with 2048 bits it stays."""
    proftpd = {'product': 'ProFTPD mod_sftp', 'version': None}
    server = _server_with_gex(4096, proftpd)
    first = remediate(server, 'intermediate', ['openssh-9.2'], {'kex': server['offer']['kex_algorithms'][:4]})
    assert 'diffie-hellman-group-exchange-sha256' not in first['target']['kex'] and first['ok']
    assert 'fixed 2048-bit group' in first['group_exchange_removed'][0]['findings'][0]['reason']
    again = dict(server, offer=dict(server['offer'], kex_algorithms=first['target']['kex']))
    del again['moduli']
    second = remediate(again, 'intermediate', ['openssh-9.2'], {'kex': server['offer']['kex_algorithms'][:4]})
    assert second['target'] == first['target']
    content = dict(load_baseline('intermediate'), name='content-with-2048', moduli={
        'fail_below': 2048, 'fail_source': 'RFC 8270 section 4'})
    assert 'diffie-hellman-group-exchange-sha256' in remediate(server, content, ['openssh-9.2'])['target']['kex']


def test_a_client_that_needs_group_exchange_gets_a_conflict_naming_the_group_size():
    server = _server_with_gex(2048)
    gex_only = {'name': 'gex-only', 'kex': ['diffie-hellman-group-exchange-sha256'], 'host_key': ['rsa-sha2-256'],
                'ciphers': ['aes128-ctr'], 'macs': ['hmac-sha2-256'], 'compression': ['none']}
    plan = remediate(server, 'intermediate', [gex_only])
    assert not plan['ok']
    assert [(item['client'], item['category']) for item in plan['conflicts']] == [('gex-only', 'kex')]
    assert 'diffie-hellman-group-exchange-sha256 2048-bit group' in plan['conflicts'][0]['message']
    assert 'baseline_moduli: filter' in plan['conflicts'][0]['message']
