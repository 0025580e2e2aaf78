# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ssh-audit policies to baselines and back, checked against ssh-audit's own policy loader (ssh-audit 3.9.0)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

import pytest
from hypothesis import given, settings, strategies as st

from ssh_audit.builtin_policies import BUILTIN_POLICIES
from ssh_audit.policy import Policy

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import BaselineError, \
    baseline_names, evaluate, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.ssh_audit import SshAuditPolicyError, \
    baseline_from_policy, baseline_to_policy, builtin_policy, parse_policy
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

M_POLICY = 'ssh-audit-3.9.0-M-hardened-sshd-9.2.txt'
V92 = 'Hardened OpenSSH Server v9.2 (version 3)'
SERVER_POLICIES = sorted(name for name, entry in BUILTIN_POLICIES.items() if entry['server_policy'])
FIELDS = ('_name', '_version', '_banner', '_compressions', '_host_keys', '_optional_host_keys', '_kex', '_ciphers',
          '_macs', '_dh_modulus_sizes', '_server_policy', '_allow_algorithm_subset_and_reordering',
          '_allow_hostkey_subset_and_reordering', '_allow_larger_keys')


def loaded(text):
    """What ssh-audit itself reads from a policy file's text (its -P path for files)."""
    return ssh_audit_view(Policy(policy_data=text))


def ssh_audit_view(policy):
    state = vars(policy)
    view = {field: state[field] for field in FIELDS}
    view['_hostkey_sizes'] = {name: {key: value for key, value in entry.items() if key != 'raw_hostkey_bytes'}
                              for name, entry in (state['_hostkey_sizes'] or {}).items()}
    return view


def test_policy_written_by_ssh_audit_M_becomes_a_baseline(fixture_file):
    text = fixture_file(M_POLICY)
    baseline = baseline_from_policy(text)
    assert baseline['allowed'] == {
        'kex': ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256',
                'curve25519-sha256@libssh.org',
                'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512',
                'diffie-hellman-group-exchange-sha256'],  # the strict-kex marker is the daemon's, not a setting
        'host_key': ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'],
        'ciphers': ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr',
                    'aes128-gcm@openssh.com', 'aes128-ctr'],
        'macs': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'umac-128-etm@openssh.com']}
    assert baseline['host_keys']['rsa_min_bits'] == 4096 and baseline['host_keys']['reason'].endswith('4096 bits')
    assert baseline['moduli']['fail_below'] == 3072 and 'exactly' in baseline['moduli']['fail_source']
    assert baseline['name'] == 'ssh-audit-custom-policy-based-on-127.0.0.1-on-2026-12-04'
    assert baseline['version'] == '1'
    assert baseline['source'].startswith('ssh-audit policy file "Custom Policy (based on 127.0.0.1 on 2026/12/04)" '
                                         '(version 1)')
    normalized = load_baseline(baseline)
    assert normalized['allowed'] == baseline['allowed']
    # A server offering exactly the reference's lists passes the baseline's names check.
    offer = {'kex': baseline['allowed']['kex'] + ['kex-strict-s-v00@openssh.com'],
             'host_key': baseline['allowed']['host_key'], 'ciphers': baseline['allowed']['ciphers'],
             'macs': baseline['allowed']['macs']}
    assert not evaluate(offer, baseline)['violations']


def test_M_policy_round_trip_gives_ssh_audit_the_same_policy(fixture_file):
    text = fixture_file(M_POLICY)
    again = baseline_to_policy(baseline_from_policy(text))
    assert loaded(again) == loaded(text)
    assert 'kex-strict-s-v00@openssh.com' in again.split('key exchanges = ')[1].split('\n')[0]


@pytest.mark.parametrize('name', SERVER_POLICIES)
def test_every_builtin_server_policy_round_trips(name):
    baseline = baseline_from_policy(name)
    load_baseline(baseline)
    assert baseline['source'] == 'ssh-audit 3.9.0 ssh_audit/builtin_policies.py, built-in policy "%s"' % name
    assert baseline['tracks'] == [{'policy': 'ssh-audit policy "%s' % name.replace(' (version', '" (version'),
                                   'source': baseline['source']}]
    text = baseline_to_policy(baseline)
    assert loaded(text) == ssh_audit_view(Policy.load_builtin_policy(name))


def test_builtin_v92_policy_maps_sizes_and_optional_host_keys():
    baseline = baseline_from_policy(V92)
    assert baseline['allowed']['host_key'][:3] == ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']
    assert 'ssh-ed25519-cert-v01@openssh.com' in baseline['allowed']['host_key'][3:]
    assert baseline['host_keys']['rsa_min_bits'] == 4096
    assert baseline['moduli']['fail_below'] == 3072
    assert baseline['allowed']['macs'] == ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com',
                                           'umac-128-etm@openssh.com']
    assert builtin_policy(V92)['allow_algorithm_subset_and_reordering'] is False


def test_policy_without_group_exchange_has_no_moduli_section():
    baseline = baseline_from_policy('Hardened Debian 13 (version 1)')
    assert 'moduli' not in baseline  # the policy names a modulus size, but allows no group exchange
    assert baseline['allowed']['kex'] == ['mlkem768x25519-sha256', 'sntrup761x25519-sha512',
                                          'sntrup761x25519-sha512@openssh.com']


@pytest.mark.parametrize('name', baseline_names())
def test_builtin_baselines_become_policies_ssh_audit_loads(name):
    baseline = load_baseline(name)
    view = loaded(baseline_to_policy(name))
    assert view['_name'] == 'fleetcrypto.sftp baseline %s' % name and view['_version'] == baseline['version']
    assert view['_allow_algorithm_subset_and_reordering'] and view['_allow_larger_keys']
    assert view['_kex'] == baseline['allowed']['kex'] + ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    assert view['_host_keys'] == baseline['allowed']['host_key']
    assert view['_ciphers'] == baseline['allowed']['ciphers'] and view['_macs'] == baseline['allowed']['macs']
    exact = loaded(baseline_to_policy(name, exact=True, name='Exact', version='7'))
    assert not exact['_allow_algorithm_subset_and_reordering'] and not exact['_allow_larger_keys']
    assert exact['_kex'] == baseline['allowed']['kex'] and (exact['_name'], exact['_version']) == ('Exact', '7')


def test_sizes_from_check_sections():
    baseline = dict(load_baseline('intermediate'), host_keys={'rsa_min_bits': 3072, 'source': 'test'},
                    moduli={'fail_below': 2048, 'fail_source': 'test', 'warn_below': 3072, 'warn_source': 'test'})
    baseline['allowed'] = dict(baseline['allowed'])
    view = loaded(baseline_to_policy({key: baseline[key] for key in ('name', 'version', 'source', 'allowed',
                                                                     'host_keys', 'moduli')}))
    assert view['_hostkey_sizes']['rsa-sha2-512']['hostkey_size'] == 3072
    assert 'ssh-ed25519' not in view['_hostkey_sizes']
    assert view['_dh_modulus_sizes'] == {'diffie-hellman-group-exchange-sha256': 3072}


def test_exact_choice_overrides_the_original_matching():
    baseline = baseline_from_policy(V92)
    view = loaded(baseline_to_policy(baseline, exact=False))
    assert view['_allow_algorithm_subset_and_reordering'] and view['_allow_larger_keys']
    assert view['_kex'][-2:] == ['ext-info-s', 'kex-strict-s-v00@openssh.com']


def test_markers_the_daemon_appends():
    baseline = baseline_from_policy(V92)
    view = loaded(baseline_to_policy(baseline, markers=['kex-strict-s-v00@openssh.com']))
    assert view['_kex'] == builtin_policy(V92)['kex'] + ['kex-strict-s-v00@openssh.com']
    assert view['_allow_algorithm_subset_and_reordering'] is False
    assert loaded(baseline_to_policy('modern', exact=True, markers='ext-info-s, kex-strict-s-v00@openssh.com'))[
        '_kex'][-2:] == ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    assert loaded(baseline_to_policy('modern', markers=[]))['_kex'] == load_baseline('modern')['allowed']['kex']
    with pytest.raises(SshAuditPolicyError, match='not curve25519-sha256'):
        baseline_to_policy('modern', markers=['curve25519-sha256'])


def test_old_size_directives_are_read():
    text = '\n'.join(['name = "old"', 'version = 2', 'host keys = rsa-sha2-512, ssh-ed25519',
                      'key exchanges = curve25519-sha256, diffie-hellman-group-exchange-sha256',
                      'ciphers = aes128-ctr', 'macs = hmac-sha2-256-etm@openssh.com',
                      'hostkey_size_rsa-sha2-512 = 3072', 'hostkey_size_rsa-sha2-512-cert-v01@openssh.com = 3072',
                      'cakey_size_rsa-sha2-512-cert-v01@openssh.com = 4096',
                      'dh_modulus_size_diffie-hellman-group-exchange-sha256 = 4096'])
    policy = parse_policy(text)
    assert policy['host_key_sizes'] == {
        'rsa-sha2-512': {'hostkey_size': 3072},
        'rsa-sha2-512-cert-v01@openssh.com': {'hostkey_size': 3072, 'ca_key_type': 'ssh-rsa', 'ca_key_size': 4096}}
    assert policy['dh_modulus_sizes'] == {'diffie-hellman-group-exchange-sha256': 4096}
    with pytest.raises(SshAuditPolicyError, match='without hostkey_size_'):
        parse_policy(text.replace('hostkey_size_rsa-sha2-512-cert-v01@openssh.com = 3072', ''))
    baseline = baseline_from_policy(text)
    assert baseline['host_keys']['rsa_min_bits'] == 3072 and baseline['moduli']['fail_below'] == 4096


GOOD = ['name = "p"', 'version = 1', 'host keys = ssh-ed25519', 'key exchanges = curve25519-sha256',
        'ciphers = aes128-ctr', 'macs = hmac-sha2-256-etm@openssh.com']


def with_lines(*lines, drop=()):
    return '\n'.join([line for line in GOOD if not line.startswith(drop)] + list(lines))


@pytest.mark.parametrize('text, message', [
    (with_lines('colour = blue'), "unknown field 'colour'"),
    (with_lines('ciphers = aes128-ctr = x'), 'is not "key = value"'),
    (with_lines('banner = SSH-2.0-x'), 'must be in double quotes'),
    (with_lines('host_key_sizes = {"ssh-ed25519": '), 'host_key_sizes is not valid JSON'),
    (with_lines('host_key_sizes = {"rsa-sha2-512": {"hostkey_size": 0}}'), 'from 1 to 16384'),
    (with_lines('host_key_sizes = {"rsa-sha2-512": {"hostkey_size": true}}'), 'whole number of bits'),
    (with_lines('host_key_sizes = {"rsa-sha2-512": {"hostkey_size": 4096, "evil": 1}}'), 'must be a dict with'),
    (with_lines('host_key_sizes = ["rsa-sha2-512"]'), 'must map host-key algorithms'),
    (with_lines('host_key_sizes = {"rsa sha2": {"hostkey_size": 4096}}'), 'not a valid SSH algorithm name'),
    (with_lines('host_key_sizes = []', 'hostkey_size_ssh-rsa = 1024'), 'contradicts an earlier line'),
    (with_lines('dh_modulus_sizes = {"diffie-hellman-group-exchange-sha256": {}}'), 'whole number of bits'),
    (with_lines('dh_modulus_sizes = {"diffie-hellman-group-exchange-sha256": 99999}'), 'from 1 to 16384'),
    (with_lines('dh_modulus_size_diffie-hellman-group-exchange-sha256 = lots'), 'must be a number of bits'),
    (with_lines('macs = hmac-sha2-256\x1b[31m', drop='macs'), 'control characters'),
    (with_lines('ciphers = aes128-ctr\u00e9', drop='ciphers'), 'not a valid SSH algorithm name'),
    (with_lines('ciphers = aes128-ctr,, aes256-ctr', drop='ciphers'), 'not a valid SSH algorithm name'),
    (with_lines('ciphers = aes128-ctr, aes128-ctr', drop='ciphers'), 'twice'),
    (with_lines('allow_larger_keys = maybe'), 'must be true or false'),
    (with_lines(drop='name'), 'has no name field'),
    (with_lines(drop='version'), 'has no version field'),
    (with_lines('name = ""', drop='name'), 'empty name'),
    (with_lines(drop='ciphers'), "does not constrain ciphers"),
    (with_lines('key exchanges = kex-strict-s-v00@openssh.com, ext-info-s', drop='key exchanges'),
     'allows no real algorithm for kex'),
    (with_lines('client policy = true'), 'a baseline is for servers'),
    ('x = ' + 'a' * 300000, 'at most 262144'),
    ('name = "x"' + '\n' * 5000, 'at most 2000'),
])
def test_hostile_or_broken_policy_text_is_refused_clearly(text, message):
    with pytest.raises(SshAuditPolicyError) as caught:
        baseline_from_policy(text)
    assert message in str(caught.value), str(caught.value)
    assert isinstance(caught.value, BaselineError) and isinstance(caught.value, ProposalError)


def test_client_policy_name_and_unknown_names():
    with pytest.raises(SshAuditPolicyError, match='is a client policy'):
        baseline_from_policy('Hardened Debian Client 12 (version 2)')
    with pytest.raises(SshAuditPolicyError) as caught:
        baseline_from_policy('Hardened OpenSSH Server v9.2')
    assert 'near names: "Hardened OpenSSH Server v9.2 (version 3)"' in str(caught.value)
    with pytest.raises(SshAuditPolicyError, match='ssh-audit -L lists them'):
        baseline_from_policy('no such thing')
    with pytest.raises(SshAuditPolicyError, match='text of a policy file or the name'):
        baseline_from_policy({'name': 'x'})
    for text in ('', '  \n ', '# only a comment\n# and another'):
        with pytest.raises(SshAuditPolicyError, match='has no name field'):
            baseline_from_policy(text)


def test_missing_ssh_audit_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ssh_audit.builtin_policies', None)
    with pytest.raises(SshAuditPolicyError, match='ssh-audit package, which is not installed'):
        baseline_from_policy(V92)
    # Policy text needs no package.
    assert baseline_from_policy(with_lines())['allowed']['ciphers'] == ['aes128-ctr']


@pytest.mark.parametrize('kwargs, message', [
    ({'name': 'a = b'}, 'without "=" or backslashes'),
    ({'name': 'a\\nb'}, 'without "=" or backslashes'),
    ({'name': 'two\nlines'}, 'printable'),
    ({'version': ''}, 'non-empty'),
    ({'exact': 'yes'}, 'exact must be true or false'),
])
def test_policy_writer_refuses_what_ssh_audit_could_not_read(kwargs, message):
    with pytest.raises(SshAuditPolicyError) as caught:
        baseline_to_policy('modern', **kwargs)
    assert message in str(caught.value)


def test_policy_writer_validates_the_baseline():
    hostile = {'name': 'h', 'allowed': {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'],
                                        'ciphers': ['aes128-ctr\nmacs = none'], 'macs': ['hmac-sha2-256']}}
    with pytest.raises(ProposalError, match='not a valid SSH algorithm name'):
        baseline_to_policy(hostile)
    with pytest.raises(ProposalError, match='rsa_min_bits'):
        baseline_to_policy(dict(hostile, allowed=dict(hostile['allowed'], ciphers=['aes128-ctr']),
                                host_keys={'rsa_min_bits': 'big'}))


LINE_KEYS = st.sampled_from(['name', 'version', 'banner', 'host keys', 'optional host keys', 'key exchanges',
                             'ciphers', 'macs', 'compressions', 'host_key_sizes', 'dh_modulus_sizes',
                             'allow_larger_keys', 'hostkey_size_rsa-sha2-512', 'cakey_size_ssh-rsa',
                             'dh_modulus_size_diffie-hellman-group-exchange-sha256', 'client policy'])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LINE_KEYS, st.text(max_size=40)), max_size=12))
def test_any_policy_text_gives_a_baseline_or_a_clear_error(lines):
    text = '\n'.join('%s = %s' % pair for pair in lines)
    try:
        baseline = baseline_from_policy(text)
    except ProposalError as exc:
        assert str(exc)
        return
    load_baseline(baseline)
    for names in baseline['allowed'].values():
        assert names


@pytest.mark.parametrize('metadata, message', [
    ({'banner': 'SSH-2.0-x"\nmacs = none'}, 'printable'),
    ({'compressions': ['none\nmacs = none']}, 'not a valid SSH algorithm name'),
    ({'host_key_sizes': {'rsa-sha2-512': {'hostkey_size': '4096\nmacs = none'}}}, 'whole number of bits'),
    ({'version': '1\nmacs = none'}, 'printable'),
])
def test_hostile_round_trip_metadata_never_reaches_the_policy_file(metadata, message):
    baseline = baseline_from_policy(with_lines())
    baseline['ssh_audit_policy'].update(metadata)
    with pytest.raises(ProposalError) as caught:
        baseline_to_policy(baseline)
    assert message in str(caught.value), str(caught.value)


def test_round_trip_metadata_that_no_longer_matches_the_lists_is_not_used():
    baseline = baseline_from_policy(with_lines())
    baseline['ssh_audit_policy']['kex'] = ['curve25519-sha256', 'kex-strict-s-v00@openssh.com\nmacs = none']
    text = baseline_to_policy(baseline)
    assert 'macs = none' not in text and loaded(text)['_kex'] == ['curve25519-sha256']


def test_quotes_in_names_survive_the_way_to_ssh_audit():
    view = loaded(baseline_to_policy('intermediate', name='ACME "SFTP" policy', version='2026-12'))
    assert view['_name'] == 'ACME "SFTP" policy' and view['_version'] == '2026-12'
