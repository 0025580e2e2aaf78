# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The post-quantum key exchange check, from the offer alone, with each built-in baseline's rating."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import POST_QUANTUM_KEX, STRICT_KEX_SERVER
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError, post_quantum
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal


def server(kex):
    return {'kex': list(kex) + ['ext-info-s', STRICT_KEX_SERVER], 'host_key': ['ssh-ed25519'],
            'ciphers': ['aes256-gcm@openssh.com'], 'macs': ['hmac-sha2-512-etm@openssh.com']}


def run(kex, baseline='modern'):
    return post_quantum.run(normalize_proposal(server(kex), 'server'), None,
                            load_baseline(baseline)['checks']['post_quantum'])


def test_offered_hybrids_are_named_with_their_kem():
    result = run(['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256'])
    assert result['status'] == 'passed' and result['findings'] == []
    assert result['details']['offered'] == ['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com']
    assert result['details']['kem'] == {'mlkem768x25519-sha256': 'ml-kem', 'sntrup761x25519-sha512@openssh.com': 'sntrup761'}
    assert result['details']['first'] == 'mlkem768x25519-sha256' and result['details']['pq_first'] is True


@pytest.mark.parametrize('baseline, rating, counted', [
    ('modern', 'fail', True), ('intermediate', 'info', False), ('fips-140-3', 'info', False),
    ('bsi-tr-02102-4', 'info', False)])
def test_no_post_quantum_kex_is_rated_per_baseline(baseline, rating, counted):
    result = run(['curve25519-sha256', 'ecdh-sha2-nistp256'], baseline)
    [item] = result['findings']
    assert item['check'] == 'post_quantum' and item['rating'] == rating
    assert item['subject'] == 'no post-quantum kex offered'
    assert item['source'] and item['fix'].startswith('offer ')
    assert (result['status'] == 'failed') is counted


def test_sources_quote_openssh_and_ssh_audit():
    source = load_baseline('modern')['checks']['post_quantum']['missing']['source']
    assert 'connection is not using a post-quantum key exchange algorithm' in source
    assert 'WARN_NOT_PQ_SAFE' in source and 'does not provide protection against post-quantum attacks' in source
    assert 'OpenSSH 10.0' in source


def test_fips_counts_only_ml_kem_with_nist_curves():
    result = run(['sntrup761x25519-sha512@openssh.com', 'mlkem768x25519-sha256', 'ecdh-sha2-nistp256'], 'fips-140-3')
    [item] = result['findings']
    assert item['rating'] == 'info' and 'no accepted post-quantum kex' in item['subject']
    assert 'FIPS 203' in item['reason'] or 'FIPS 203' in item['source']
    assert run(['mlkem768nistp256-sha256', 'ecdh-sha2-nistp256'], 'fips-140-3')['findings'] == []


def test_not_first_is_reported_where_the_baseline_asks():
    result = run(['curve25519-sha256', 'mlkem768x25519-sha256'])
    [item] = result['findings']
    assert item['rating'] == 'info' and item['subject'].startswith('curve25519-sha256 first')
    assert result['status'] == 'passed' and result['details']['pq_first'] is False
    assert run(['curve25519-sha256', 'mlkem768x25519-sha256'], 'intermediate')['findings'] == []


def test_withdrawn_and_draft_methods_do_not_count():
    result = run(['sntrup4591761x25519-sha512@tinyssh.org', 'curve25519-sha256'])
    assert result['details']['offered'] == [] and result['findings'][0]['rating'] == 'fail'


def test_default_without_a_section_is_info():
    settings = post_quantum.normalize(None, 'mine', 'baseline mine post_quantum')
    assert settings['missing']['rating'] == 'info' and set(settings['accepted']) == POST_QUANTUM_KEX
    assert settings['not_first'] is None


def test_partial_offer_is_not_run():
    result = post_quantum.run(normalize_proposal({'ciphers': ['aes128-ctr']}, 'server'), None, None)
    assert result['status'] == 'not_run'


def test_evaluate_counts_the_finding():
    result = evaluate(server(['curve25519-sha256']), 'modern')
    assert result['passed'] is False and result['counts']['findings_fail'] == 1
    assert result['checks']['post_quantum']['status'] == 'failed'


@pytest.mark.parametrize('section, message', [
    ([], 'must be a dict'),
    ({'missing': {'rating': 'severe', 'reason': 'x', 'source': 'y'}}, 'rating must be one of'),
    ({'missing': {'rating': 'warn', 'reason': ''}}, 'non-empty reason'),
    ({'accepted': ['curve25519-sha256'], 'accepted_source': 'x'}, 'not a post-quantum hybrid kex'),
    ({'accepted': ['mlkem768x25519-sha256']}, 'accepted_source'),
    ({'accepted': 'mlkem768x25519-sha256', 'accepted_source': 'x'}, 'non-empty list'),
    ({'extra': 1}, 'unknown keys'),
])
def test_bad_sections_are_refused_by_name(section, message):
    with pytest.raises(CheckError, match=message):
        post_quantum.normalize(section, 'mine', 'baseline mine post_quantum')
