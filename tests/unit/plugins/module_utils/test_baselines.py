# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baselines, exceptions, evaluation, remediation and live verification (pure functions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import (
    BaselineError, baseline_names, evaluate, load_baseline, normalize_exceptions, rating_for, shared_ratings)
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, profile_names, predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import (
    candidate_names, remediate, verify_offer)

# What OpenSSH 9.2p1 (Debian 12) supports, from `ssh -Q kex|key-sig|cipher|mac` on the build the live tests use.
OPENSSH_92_SUPPORTED = {
    'kex': ('diffie-hellman-group1-sha1 diffie-hellman-group14-sha1 diffie-hellman-group14-sha256 '
            'diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 diffie-hellman-group-exchange-sha1 '
            'diffie-hellman-group-exchange-sha256 ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 '
            'curve25519-sha256 curve25519-sha256@libssh.org sntrup761x25519-sha512 '
            'sntrup761x25519-sha512@openssh.com').split(),
    'host_key': ('ssh-ed25519 ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256 '
                 'ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 ssh-dss ssh-rsa '
                 'ssh-rsa-cert-v01@openssh.com rsa-sha2-256 rsa-sha2-256-cert-v01@openssh.com rsa-sha2-512 '
                 'rsa-sha2-512-cert-v01@openssh.com').split(),
    'ciphers': ('3des-cbc aes128-cbc aes192-cbc aes256-cbc aes128-ctr aes192-ctr aes256-ctr aes128-gcm@openssh.com '
                'aes256-gcm@openssh.com chacha20-poly1305@openssh.com').split(),
    'macs': ('hmac-sha1 hmac-sha1-96 hmac-sha2-256 hmac-sha2-512 hmac-md5 hmac-md5-96 umac-64@openssh.com '
             'umac-128@openssh.com hmac-sha1-etm@openssh.com hmac-sha1-96-etm@openssh.com '
             'hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-md5-etm@openssh.com '
             'hmac-md5-96-etm@openssh.com umac-64-etm@openssh.com umac-128-etm@openssh.com').split(),
}

# An sshd 9.2 with Ed25519, ECDSA P-256 and RSA host keys, configured with the brief's classic failure.
CLASSIC_SERVER = {
    'banner': 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
    'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256', 'ext-info-s',
            'kex-strict-s-v00@openssh.com'],
    'host_key': ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
    'ciphers': ['aes256-ctr', 'aes256-cbc'],
    'macs': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha1'],
    'compression': ['none', 'zlib@openssh.com'],
}
TODAY = '2026-11-24'


def exception(client, algorithm, expires='2099-01-01'):
    return {'client': client, 'algorithm': algorithm, 'reason': 'ticket 1', 'expires': expires}


@pytest.mark.parametrize('name', baseline_names())
def test_builtin_baselines_are_complete_and_sourced(name):
    baseline = load_baseline(name)
    assert baseline['version'] and baseline['source']
    for category, names in baseline['allowed'].items():
        assert names, category
        for algorithm in names:
            assert baseline['sources'][algorithm] and baseline['sources'][algorithm] != baseline['source'], algorithm
            # Nothing a baseline allows is rated "fail" by the shared ratings.
            assert shared_ratings().get(algorithm, {}).get('rating') != 'fail', (name, algorithm)
        assert not set(names) & set(baseline['rejected']), category


def test_required_baselines_exist():
    assert {'modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'} <= set(baseline_names())
    assert load_baseline('modern')['allowed']['kex'][0] == 'mlkem768x25519-sha256'  # post-quantum first
    assert set(load_baseline('modern')['allowed']['ciphers']) <= set(load_baseline('intermediate')['allowed']['ciphers'])
    assert 'chacha20-poly1305@openssh.com' not in load_baseline('fips-140-3')['allowed']['ciphers']


def test_classic_server_violations_are_rated_with_sources():
    result = evaluate(CLASSIC_SERVER, 'intermediate')
    assert result['passed'] is False
    found = {item['algorithm']: item for item in result['violations']}
    assert set(found) == {'aes256-cbc', 'hmac-sha1'}
    assert found['aes256-cbc']['rating'] == 'fail' and 'OpenSSH 6.7' in found['aes256-cbc']['source']
    assert found['aes256-cbc']['lists'] == ['encryption_algorithms_client_to_server',
                                            'encryption_algorithms_server_to_client']
    assert found['hmac-sha1']['rating'] == 'warn'
    assert result['counts'] == {'fail': 1, 'warn': 1, 'excepted': 0}


def test_pseudo_algorithms_are_never_violations():
    result = evaluate(dict(CLASSIC_SERVER, ciphers=['aes256-ctr'], macs=['hmac-sha2-256']), 'intermediate')
    assert result['passed'] is True and result['violations'] == []


def test_exceptions_cover_until_they_expire():
    exceptions = [exception('partner', 'aes256-cbc'), exception('partner', 'hmac-sha1', '2026-11-23')]
    active = evaluate(CLASSIC_SERVER, 'intermediate', exceptions, TODAY)
    assert [item['algorithm'] for item in active['excepted']] == ['aes256-cbc']
    assert [item['algorithm'] for item in active['violations']] == ['hmac-sha1']
    assert active['expired_exceptions'][0]['algorithm'] == 'hmac-sha1'
    # The expiry day itself still counts.
    assert normalize_exceptions([exception('p', 'x', TODAY)], TODAY)[0]


@pytest.mark.parametrize('bad, message', [
    ([{'client': 'p', 'algorithm': 'aes128-cbc', 'reason': 'r'}], 'lacks expires'),
    ([exception('p', 'aes128-cbc', '31.12.2026')], 'YYYY-MM-DD'),
    ([exception('p', 'aes128-cbc\nPermitRootLogin yes')], 'not a valid SSH algorithm name'),
    ('aes128-cbc', 'must be a list'),
])
def test_bad_exceptions_are_refused(bad, message):
    with pytest.raises(ProposalError, match=message):  # BaselineError is a ProposalError
        normalize_exceptions(bad, TODAY)


GOOD = {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'], 'ciphers': ['aes128-ctr'], 'macs': ['hmac-sha2-256']}


@pytest.mark.parametrize('change, message', [
    ({'ciphers': ['aes128-ctr\nPermitRootLogin yes']}, 'not a valid SSH algorithm name'),
    ({'ciphers': ['aes128-ctr,aes256-ctr ']}, 'not a valid SSH algorithm name'),
    ({'kex': ['kex-strict-s-v00@openssh.com']}, 'pseudo-algorithm'),
    ({'macs': []}, 'non-empty list'),
    ({'compression': ['none']}, 'unknown categories'),
])
def test_user_baselines_are_validated(change, message):
    allowed = dict(GOOD, **change)
    with pytest.raises(ProposalError, match=message):
        load_baseline({'name': 'mine', 'allowed': allowed})


def test_unknown_builtin_and_rating_fallback():
    with pytest.raises(BaselineError, match='known baselines'):
        load_baseline('strictest')
    mine = load_baseline({'name': 'mine', 'source': 'our policy 7', 'allowed': GOOD})
    assert rating_for('aes256-ctr', mine) == {'rating': 'fail', 'reason': 'not allowed by baseline mine',
                                              'source': 'our policy 7'}
    assert rating_for('arcfour', mine)['source'].startswith('RFC 8758')


def test_remediation_of_the_classic_failure_needs_no_weakening():
    plan = remediate(CLASSIC_SERVER, 'intermediate', ['jsch-0.1.54-restricted-jce', 'openssh-7.4', 'putty-0.78'],
                     OPENSSH_92_SUPPORTED, today=TODAY)
    assert plan['ok'], plan['conflicts']
    assert plan['additions'] == []
    assert plan['target']['ciphers'] == load_baseline('intermediate')['allowed']['ciphers']
    assert plan['predictions']['jsch-0.1.54-restricted-jce']['negotiated']['cipher_c2s'] == 'aes128-ctr'
    # Host keys: only the key types the server holds (no DSA, no certificates).
    assert 'ssh-dss' not in plan['target']['host_key'] and not any('cert' in name for name in plan['target']['host_key'])


def test_remediation_conflict_names_client_category_and_needed_algorithms():
    plan = remediate(CLASSIC_SERVER, 'modern', ['jsch-0.1.54-restricted-jce'], OPENSSH_92_SUPPORTED,
                     [exception('jsch-0.1.54-restricted-jce', 'hmac-sha1', '2020-01-01')], TODAY)
    assert plan['ok'] is False
    by_category = {item['category']: item for item in plan['conflicts']}
    assert set(by_category) == {'kex', 'host_key', 'macs'}
    assert by_category['kex']['client'] == 'jsch-0.1.54-restricted-jce'
    assert by_category['kex']['needed'][0] == 'ecdh-sha2-nistp256'
    assert 'expired on 2020-01-01' in by_category['macs']['message']
    assert plan['target']['macs'] == load_baseline('modern')['allowed']['macs']  # nothing weakened silently


def test_remediation_adds_the_clients_most_preferred_excepted_algorithm_once():
    exceptions = [exception('jsch-0.1.54-restricted-jce', name) for name in
                  ('hmac-sha1', 'hmac-sha2-256', 'ssh-rsa', 'rsa-sha2-256', 'diffie-hellman-group14-sha1',
                   'ecdh-sha2-nistp256')]
    plan = remediate(CLASSIC_SERVER, 'modern', ['jsch-0.1.54-restricted-jce', 'openssh-9.2'], OPENSSH_92_SUPPORTED,
                     exceptions, TODAY)
    assert plan['ok'], plan
    added = {(item['category'], item['algorithm']) for item in plan['additions']}
    # JSch's own order decides: ecdh-sha2-nistp256 before group14-sha1, ssh-rsa first, hmac-sha1 before sha2-256.
    assert added == {('kex', 'ecdh-sha2-nistp256'), ('host_key', 'ssh-rsa'), ('macs', 'hmac-sha1')}
    assert plan['target']['kex'][-1] == 'ecdh-sha2-nistp256'  # appended: the server's preference stays modern's
    assert plan['evaluation']['passed'] and len(plan['evaluation']['excepted']) == 3
    assert plan['predictions']['openssh-9.2']['negotiated']['kex'] != 'ecdh-sha2-nistp256'


def test_exception_for_another_client_does_not_apply():
    plan = remediate(CLASSIC_SERVER, 'modern', ['jsch-0.1.54-restricted-jce'], OPENSSH_92_SUPPORTED,
                     [exception('someone-else', 'ecdh-sha2-nistp256')], TODAY)
    assert any(item['category'] == 'kex' for item in plan['conflicts'])


def test_server_without_any_allowed_algorithm_is_a_conflict():
    supported = dict(OPENSSH_92_SUPPORTED, ciphers=['aes256-cbc', '3des-cbc'])
    plan = remediate(CLASSIC_SERVER, 'intermediate', [], supported, today=TODAY)
    assert plan['ok'] is False
    assert plan['conflicts'][0]['client'] is None and plan['conflicts'][0]['category'] == 'ciphers'


CLIENTS = [name for name in profile_names() if not name.startswith('golang')]


@pytest.mark.parametrize('baseline', ['modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'])
def test_every_plan_negotiates_and_passes_or_names_its_conflicts(baseline):
    """For each baseline and each built-in client: a plan is either ok, verified by negotiate and evaluate, or
    names conflicts; granting the first needed algorithm as an exception for each conflict then makes it ok."""
    for client in CLIENTS:
        plan = remediate(CLASSIC_SERVER, baseline, [client], OPENSSH_92_SUPPORTED, today=TODAY)
        if not plan['ok']:
            assert plan['conflicts'] and all(item['client'] in (client, None) for item in plan['conflicts'])
            exceptions = [exception(client, item['needed'][0]) for item in plan['conflicts'] if item['needed']]
            plan = remediate(CLASSIC_SERVER, baseline, [client], OPENSSH_92_SUPPORTED, exceptions, TODAY)
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


def test_verify_offer_compares_order_and_host_keys_as_a_set():
    plan = remediate(CLASSIC_SERVER, 'intermediate', ['openssh-9.2'], OPENSSH_92_SUPPORTED, today=TODAY)
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


def test_example_inventory_settings_are_valid():
    """examples/inventory: the custom baseline, partner profile and exceptions pass the same validation."""
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'examples', 'inventory',
                        'group_vars')
    with open(os.path.join(root, 'partner_gateways.yml')) as handle:
        partners = yaml.safe_load(handle)
    with open(os.path.join(root, 'internal.yml')) as handle:
        internal = yaml.safe_load(handle)
    plan = remediate(CLASSIC_SERVER, 'intermediate', partners['baseline_required_clients'], OPENSSH_92_SUPPORTED,
                     partners['baseline_exceptions'], TODAY)
    assert plan['ok'], plan['conflicts']
    assert {item['algorithm'] for item in plan['additions']} == {'ssh-rsa'}
    assert load_baseline(internal['baseline_policy'])['name'] == 'corp-2026'
