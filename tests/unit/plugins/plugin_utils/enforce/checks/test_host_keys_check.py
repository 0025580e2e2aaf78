# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host_keys check and the role's host-key plan: ratings per baseline, sources, fixes, not_run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import host_keys as check
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.host_keys import (
    HostKeyPlanError,
    parse_listing,
    plan,
)

FP = 'SHA256:' + 'A' * 43


def settings(name):
    return load_baseline(name)['checks']['host_keys']


def rated(key, baseline):
    return [(item['rating'], item['reason']) for item in check.judge_key(key, settings(baseline))]


@pytest.mark.parametrize('baseline', ['modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'])
def test_rsa_1024_and_dsa_fail_everywhere(baseline):
    (rating, reason), = rated({'type': 'ssh-rsa', 'bits': 1024}, baseline)
    assert rating == 'fail' and '1024 bits' in reason
    assert rated({'type': 'ssh-dss', 'bits': 1024}, baseline)[0][0] == 'fail'
    assert rated({'type': 'ssh-ed25519', 'bits': 256}, baseline) == []
    assert rated({'type': 'ssh-rsa', 'bits': 4096}, baseline) == []


def test_rsa_sizes_per_baseline():
    assert rated({'type': 'ssh-rsa', 'bits': 2048}, 'modern')[0][0] == 'warn'
    assert rated({'type': 'ssh-rsa', 'bits': 2048}, 'bsi-tr-02102-4')[0][0] == 'warn'
    assert rated({'type': 'ssh-rsa', 'bits': 3000}, 'bsi-tr-02102-4')[0][0] == 'info'
    assert rated({'type': 'ssh-rsa', 'bits': 2048}, 'intermediate')[0][0] == 'info'
    assert rated({'type': 'ssh-rsa', 'bits': 2048}, 'fips-140-3')[0][0] == 'info'
    assert rated({'type': 'ssh-rsa', 'bits': 3072}, 'modern') == []
    # certificates are judged by the key they carry
    assert rated({'type': 'ssh-rsa-cert-v01@openssh.com', 'bits': 1024}, 'intermediate')[0][0] == 'fail'


def test_every_finding_has_source_and_exact_fix():
    found = check.judge_key({'type': 'ssh-rsa', 'bits': 1024, 'path': '/etc/ssh/k'}, settings('modern'))
    assert 'SP 800-131A' in found[0]['source']
    assert found[0]['fix'].startswith('generate a 3072-bit RSA host key: ssh-keygen -t rsa -b 3072 -N "" -f /etc/ssh/k')
    dsa = check.judge_key({'type': 'ssh-dss', 'bits': 1024}, settings('modern'))[0]
    assert dsa['fix'].startswith('remove "HostKey /etc/ssh/ssh_host_dsa_key"') and 'FIPS 186-5' in dsa['source']


def test_ecdsa_curves_and_unknown_types():
    custom = check.normalize({'rsa_min_bits': 4096, 'ecdsa_curves': ['nistp384'], 'source': 'policy X'},
                             'custom', 'baseline custom host_keys')
    assert custom['rsa_generate_bits'] == 4096
    assert [item['rating'] for item in check.judge_key({'type': 'ecdsa-sha2-nistp256', 'bits': 256}, custom)] == ['fail']
    assert check.judge_key({'type': 'ecdsa-sha2-nistp384', 'bits': 384}, custom) == []
    assert check.judge_key({'type': 'ssh-xmss@openssh.com', 'bits': None}, custom)[0]['rating'] == 'info'


@pytest.mark.parametrize('section, message', [
    ('x', 'must be a mapping'),
    ({'rsa_min_bits': 1024, 'source': 's'}, 'from 2048'),
    ({'rsa_min_bits': True, 'source': 's'}, 'integer'),
    ({'ecdsa_curves': ['secp256k1']}, 'ecdsa_curves'),
    ({'rsa_min_bits': 4096}, 'needs a source'),
    ({'rsa_bits': 4096}, 'unknown key'),
])
def test_bad_sections_are_refused(section, message):
    with pytest.raises(CheckError) as err:
        check.normalize(section, 'custom', 'baseline custom host_keys')
    assert message in str(err.value)


def test_generate_bits():
    assert [check.generate_bits(bits) for bits in (2048, 3000, 3072, 3073, 4096)] == [3072, 3072, 3072, 4096, 4096]


OFFER = {'kex_algorithms': ['curve25519-sha256'], 'server_host_key_algorithms': ['rsa-sha2-512', 'ssh-ed25519'],
         'encryption_algorithms_client_to_server': ['aes128-ctr'], 'encryption_algorithms_server_to_client': ['aes128-ctr'],
         'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com'],
         'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com'],
         'compression_algorithms_client_to_server': ['none'], 'compression_algorithms_server_to_client': ['none'],
         'languages_client_to_server': [], 'languages_server_to_client': [], 'first_kex_packet_follows': False}


def server(**extra):
    result = {'host': '127.0.0.1', 'port': 22, 'failed': False, 'banner': 'SSH-2.0-OpenSSH_9.2',
              'offer': dict(OFFER)}
    result.update(extra)
    return result


def test_evaluate_runs_the_check_on_gathered_keys():
    keys = [{'algorithms': ['rsa-sha2-512'], 'algorithm': 'rsa-sha2-512', 'type': 'ssh-rsa', 'key_type': 'ssh-rsa',
             'bits': 1024, 'fingerprint_sha256': FP, 'certificate': None},
            {'algorithms': ['ssh-ed25519'], 'algorithm': 'ssh-ed25519', 'type': 'ssh-ed25519', 'bits': 256,
             'fingerprint_sha256': FP, 'certificate': None}]
    result = evaluate(server(host_keys=keys), 'intermediate')
    checked = result['checks']['host_keys'] if 'checks' in result else None
    assert checked is not None, result.keys()
    assert checked['status'] == 'failed'
    assert [item['rating'] for item in checked['findings']] == ['fail']
    assert checked['findings'][0]['subject'] == 'ssh-rsa key (rsa-sha2-512)'


def test_not_run_when_not_gathered_or_failed():
    result = check.run(None, server(), settings('modern'))
    assert result['status'] == 'not_run' and 'host_keys=true' in result['message']
    assert check.run(None, None, settings('modern'))['status'] == 'not_run'
    result = check.run(None, server(host_keys=[{'algorithms': ['ssh-ed25519'], 'error': 'x', 'reason': 'throttled'}],
                                    host_keys_error='no host key could be fetched (throttled)'), settings('modern'))
    assert result['status'] == 'not_run' and 'throttled' in result['message']
    partial = check.run(None, server(host_keys=[
        {'algorithms': ['rsa-sha2-256'], 'error': 'server closed the connection'},
        {'algorithms': ['ssh-ed25519'], 'type': 'ssh-ed25519', 'bits': 256}]), settings('modern'))
    assert partial['status'] == 'passed' and partial['findings'][0]['rating'] == 'info'


def test_certificate_ca_key_is_judged():
    keys = [{'algorithms': ['ssh-ed25519-cert-v01@openssh.com'], 'type': 'ssh-ed25519-cert-v01@openssh.com',
             'bits': 256, 'certificate': {'ca_type': 'ssh-rsa', 'ca_bits': 1024}}]
    result = check.run(None, server(host_keys=keys), settings('modern'))
    assert result['status'] == 'failed' and 'its CA key' in result['findings'][0]['subject']


def test_parse_listing():
    assert parse_listing('1024 %s root@vm (RSA)\n' % FP) == {'type': 'ssh-rsa', 'bits': 1024,
                                                             'fingerprint_sha256': FP, 'certificate': False}
    assert parse_listing('384 %s a b (c) (ECDSA)' % FP)['type'] == 'ecdsa-sha2-nistp384'
    assert parse_listing('256 %s x (ED25519-CERT)' % FP)['certificate'] is True
    for bad in ('', 'junk', '1024 MD5:aa x (RSA)', '300 %s x (ECDSA)' % FP, '256 %s x (FOO)' % FP,
                '1024 %s x (RSA)\n2048 %s y (RSA)' % (FP, FP)):
        assert parse_listing(bad) is None, bad


def listing(*entries):
    return {'results': [{'item': path, 'rc': rc, 'stdout': out, 'stderr': err} for path, rc, out, err in entries]}


def test_plan_orders_rates_and_regenerates():
    files = listing(('/k/rsa', 0, '1024 %s c (RSA)' % FP, ''), ('/k/ed', 0, '256 %s c (ED25519)' % FP, ''),
                    ('/k/ecdsa', 1, '', 'ssh-keygen: /k/ecdsa: No such file or directory'),
                    ('/k/rsa', 0, '1024 %s c (RSA)' % FP, ''))
    result = plan(files, 'modern', ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'], 'report')
    assert result['order'] == ['/k/ed', '/k/rsa'] and result['order_managed']
    assert result['violations'] == 1 and result['regenerate'] == []
    result = plan(files, 'modern', ['ssh-ed25519', 'rsa-sha2-512'], 'regenerate')
    assert result['regenerate'] == [{'path': '/k/rsa', 'type': 'rsa', 'bits': 3072, 'old_bits': 1024,
                                     'old_fingerprint_sha256': FP,
                                     'argv': ['ssh-keygen', '-q', '-t', 'rsa', '-b', '3072', '-N', '', '-C', '',
                                              '-f', '/k/rsa.fleetcrypto-new']}]
    dsa = plan(listing(('/k/dsa', 0, '1024 %s c (DSA)' % FP, '')), 'modern', ['ssh-ed25519'], 'regenerate')
    assert dsa['regenerate'] == [] and dsa['violations'] == 1


def test_plan_leaves_order_alone_when_a_key_is_unreadable():
    files = listing(('/k/rsa', 0, '3072 %s c (RSA)' % FP, ''), ('/k/ed', 255, '', 'Permission denied'))
    result = plan(files, 'modern', ['ssh-ed25519'], 'report')
    assert not result['order_managed'] and result['order'] == [] and 'Permission denied' in result['message']


@pytest.mark.parametrize('path', ['relative', '/a b', '/a\nHostKey /evil', '/a/../b', '/a"b'])
def test_plan_never_writes_unsafe_paths(path):
    result = plan([{'path': path, 'rc': 0, 'stdout': '256 %s c (ED25519)' % FP, 'stderr': ''},
                   {'path': '/k/ed', 'rc': 0, 'stdout': '256 %s c (ED25519)' % FP, 'stderr': ''}],
                  'modern', ['ssh-ed25519'], 'report')
    assert not result['order_managed'] and result['order'] == [] and 'safe characters' in result['message']
    assert '\n' not in result['message']


@pytest.mark.parametrize('listing', [7, [7], [{'path': 7}]])
def test_plan_refuses_malformed_listing(listing):
    with pytest.raises(HostKeyPlanError):
        plan(listing, 'modern', [], 'report')


def test_plan_refuses_bad_mode():
    with pytest.raises(HostKeyPlanError):
        plan([], 'modern', [], 'replace')
