# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baselines, exceptions and evaluation (pure functions); remediation has test_remediation.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import (
    BaselineError, baseline_names, evaluate, load_baseline, normalize_exceptions, rating_for, shared_ratings)
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

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


def test_classic_server_violations_are_rated_with_sources(classic_server):
    result = evaluate(classic_server, 'intermediate')
    assert result['passed'] is False
    found = {item['algorithm']: item for item in result['violations']}
    assert set(found) == {'aes256-cbc', 'hmac-sha1'}
    assert found['aes256-cbc']['rating'] == 'fail' and 'OpenSSH 6.7' in found['aes256-cbc']['source']
    assert found['aes256-cbc']['lists'] == ['encryption_algorithms_client_to_server',
                                            'encryption_algorithms_server_to_client']
    assert found['hmac-sha1']['rating'] == 'warn'
    # the checks beyond names (host keys ...) have no facts here: they do not run, and say so
    not_run = len([check for check in result['checks'].values() if check['status'] == 'not_run'])
    assert result['checks']['host_keys']['status'] == 'not_run'
    assert result['counts'] == {'fail': 1, 'warn': 1, 'excepted': 0, 'findings_fail': 0, 'findings_warn': 0, 'findings_info': 1, 'checks_not_run': not_run}


def test_pseudo_algorithms_are_never_violations(classic_server):
    kex = ['sntrup761x25519-sha512@openssh.com'] + classic_server['kex']  # post-quantum, so the checks pass too
    result = evaluate(dict(classic_server, kex=kex, ciphers=['aes256-ctr'], macs=['hmac-sha2-256']), 'intermediate')
    assert result['passed'] is True and result['violations'] == []


def test_exceptions_cover_until_they_expire(classic_server):
    exceptions = [exception('partner', 'aes256-cbc'), exception('partner', 'hmac-sha1', '2026-11-23')]
    active = evaluate(classic_server, 'intermediate', exceptions, TODAY)
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


@pytest.mark.parametrize('name', baseline_names())
def test_builtin_baselines_say_what_they_track_and_where_they_differ_from_ssh_audit(name):
    baseline = load_baseline(name)
    assert baseline['tracks'] and all(item['policy'] and item['source'] for item in baseline['tracks'])
    differs = baseline['differs_from_ssh_audit']
    assert differs['policy'].startswith('Hardened OpenSSH Server v') and 'builtin_policies.py' in differs['source']
    assert all(point['source'] and point['ours'] and point['ssh_audit'] for point in differs['points'])
    assert baseline['checks']['terrapin']['rating'] == 'fail'
    try:
        from ssh_audit.builtin_policies import BUILTIN_POLICIES  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    assert differs['policy'] in BUILTIN_POLICIES  # the policy compared with exists in the installed ssh-audit


def test_modern_follows_the_openssh_10_server_defaults():
    modern = load_baseline('modern')
    # openssh-portable myproposal.h KEX_SERVER_KEX at V_10_0_P1 .. V_10_5_P1, without the NIST-curve ECDH
    assert modern['allowed']['kex'] == ['mlkem768x25519-sha256', 'sntrup761x25519-sha512',
                                        'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256',
                                        'curve25519-sha256@libssh.org']
    assert not [name for name in modern['allowed']['kex'] if name.startswith('diffie-hellman')]
    assert '0051381a8c33' in modern['rejected']['diffie-hellman-group16-sha512']['source']


@pytest.mark.parametrize('key, value, message', [
    ('tracks', 'OpenSSH', 'must be a list'),
    ('tracks', [{'policy': 'x'}], 'source must be a non-empty string'),
    ('tracks', [{'policy': 'x', 'source': 'y', 'url': 'z'}], 'policy, source and optionally note'),
    ('differs_from_ssh_audit', {'policy': 'x', 'source': 'y'}, 'points must be a non-empty list'),
    ('differs_from_ssh_audit', {'policy': 'x', 'source': 'y', 'points': [{'subject': 'kex'}]}, 'ssh_audit must be'),
    ('differs_from_ssh_audit', ['x'], 'must be a dict'),
])
def test_documentation_keys_are_validated(key, value, message):
    base = load_baseline('intermediate')
    with pytest.raises(ProposalError, match=message):
        load_baseline({'name': 'mine', 'allowed': base['allowed'], key: value})


@pytest.mark.parametrize('name', ['modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'])
def test_a_normalized_baseline_normalizes_to_itself(name):
    """A baseline already normalized (a role variable set from a filter's output) keeps its checks' settings."""
    once = load_baseline(name)
    assert load_baseline(once) == once
