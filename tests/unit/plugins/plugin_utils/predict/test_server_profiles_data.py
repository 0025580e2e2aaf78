# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server-profile data (data/server_profiles/*.yml): named as their files, sourced, valid algorithm names, and
``supported`` covering what each profile offers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORIES, CATEGORY, LANGUAGE_KEYS, \
    NAME_LIST_KEYS, PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import DATA_DIR
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal, \
    validate_name

SERVER_PROFILE_DIR = os.path.join(DATA_DIR, 'server_profiles')
NAME = re.compile(r'^[a-z0-9][a-z0-9.+-]*$')
CAPTURE_KINDS = ('sshd', 'proftpd', 'dropbear')
# Profiles this data set must keep (captured here, or the newest release derived from source).
REQUIRED = ('proftpd-1.3.8', 'proftpd-1.3.9', 'dropbear-2022.83', 'dropbear-2026.94', 'azure-blob-sftp',
            'aws-transfer-transfersecuritypolicy-2020-06', 'aws-transfer-transfersecuritypolicy-2024-01',
            'aws-transfer-transfersecuritypolicy-2025-03')


def _files():
    try:
        return sorted(name for name in os.listdir(SERVER_PROFILE_DIR) if name.endswith('.yml'))
    except OSError:
        return []


def _load(file_name):
    with open(os.path.join(SERVER_PROFILE_DIR, file_name)) as handle:
        return yaml.safe_load(handle)


def _profiles():
    return [(name[:-4], _load(name)) for name in _files()]


def test_required_server_profiles_exist():
    assert set(REQUIRED) <= {name[:-4] for name in _files()}


@pytest.mark.parametrize('file_name', _files())
def test_name_is_the_file_name_and_there_is_a_source(file_name):
    profile = _load(file_name)
    assert isinstance(profile, dict)
    assert profile['name'] == file_name[:-4]
    assert NAME.match(profile['name']), 'lower case <product>-<version>[-variant]'
    if 'alias_of' in profile:
        assert os.path.exists(os.path.join(SERVER_PROFILE_DIR, profile['alias_of'] + '.yml')), profile['alias_of']
        return
    assert isinstance(profile.get('source'), str) and len(profile['source']) > 40
    assert profile.get('product') and profile.get('version')
    if 'banner' in profile:
        assert profile['banner'].startswith('SSH-2.0-')
    if 'captured_with' in profile:
        assert profile['captured_with'] in CAPTURE_KINDS
        assert 'banner' in profile, 'a capture records what the server sent'
    assert isinstance(profile.get('host_keys'), list) and profile['host_keys']


@pytest.mark.parametrize('name,profile', [item for item in _profiles() if 'alias_of' not in item[1]])
def test_lists_are_a_valid_proposal(name, profile):
    normalized = normalize_proposal(profile, role='server profile %s' % name)
    offer = normalized['offer']
    for key in ('kex_algorithms', 'server_host_key_algorithms') + NAME_LIST_KEYS[2:6]:
        assert offer[key], (name, key)
    for key in LANGUAGE_KEYS:
        assert offer[key] == [], (name, key)
    # A capture or a source derivation knows every list; only a vendor page may leave compression unstated.
    if 'captured_with' in profile or 'aws-transfer' not in name and 'azure' not in name:
        assert not normalized['partial'], name
    for key in NAME_LIST_KEYS:
        if key in profile:
            assert len(set(profile[key])) == len(profile[key]), (name, key, 'duplicates')


@pytest.mark.parametrize('name,profile', [item for item in _profiles() if 'alias_of' not in item[1]])
def test_supported_covers_the_offer(name, profile):
    supported = profile.get('supported')
    assert isinstance(supported, dict) and supported, name
    assert isinstance(profile.get('supported_source'), str) and len(profile['supported_source']) > 20
    assert set(supported) <= set(CATEGORIES), sorted(set(supported) - set(CATEGORIES))
    for category, names in supported.items():
        for algorithm in names:
            validate_name(algorithm, 'supported %s of %s' % (category, name))
        assert not set(names) & PSEUDO_ALGORITHMS, (name, category)
    for category in CATEGORIES:
        offered = {algorithm for key in CATEGORY[category].keys for algorithm in profile.get(key) or []
                   if algorithm not in PSEUDO_ALGORITHMS}
        if offered:
            assert category in supported, (name, category)
            missing = offered - set(supported[category])
            assert not missing, (name, category, sorted(missing))


def test_derived_releases_follow_the_captured_one():
    """What the source derivations say changed between dropbear releases, as the releases' CHANGES say."""
    old = _load('dropbear-2022.83.yml')
    new = _load('dropbear-2025.87.yml')
    # 2025.87 CHANGES: SHA-1 disabled by default, sntrup761 and mlkem768 post-quantum kex, no server decompression.
    assert 'hmac-sha1' in old['mac_algorithms_client_to_server']
    assert 'hmac-sha1' not in new['mac_algorithms_client_to_server']
    assert 'ssh-rsa' not in new['server_host_key_algorithms']
    assert new['kex_algorithms'][:3] == ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com',
                                         'mlkem768x25519-sha256']
    assert new['compression_algorithms_client_to_server'] == ['none']


AWS_2025_PAGE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures',
                             'aws-transfer-security-policies-2025.json')


def test_aws_2025_page_prints_the_archived_policies_unchanged():
    """The saved 2025 page's lists for the four policies written from the archived guide equal those profiles."""
    import json
    with open(AWS_2025_PAGE) as handle:
        page = json.load(handle)
    for policy in ('2018-11', '2020-06', '2022-03', 'FIPS-2020-06'):
        profile = _load('aws-transfer-transfersecuritypolicy-%s.yml' % policy.lower())
        listed = page['policies']['TransferSecurityPolicy-' + policy]
        assert profile['kex_algorithms'] == listed['SshKexs'], policy
        assert profile['encryption_algorithms_client_to_server'] == listed['SshCiphers'], policy
        assert profile['mac_algorithms_client_to_server'] == listed['SshMacs'], policy
        # ssh-rsa: the archived key-management page and the 2025 page agree on which of these allow it.
        assert ('ssh-rsa' in profile['server_host_key_algorithms']) == ('TransferSecurityPolicy-' + policy in
                                                                        page['ssh_rsa']), policy


def test_aws_newer_policies_as_the_page_says():
    default = _load('aws-transfer-transfersecuritypolicy-2024-01.yml')
    assert default['server_host_key_algorithms'] == ['rsa-sha2-256', 'rsa-sha2-512']
    assert 'ecdh-sha2-nistp256' in default['kex_algorithms']
    assert default['mac_algorithms_client_to_server'] == ['hmac-sha2-256-etm@openssh.com',
                                                          'hmac-sha2-512-etm@openssh.com']
    pq = _load('aws-transfer-transfersecuritypolicy-2025-03.yml')
    assert pq['kex_algorithms'][:3] == ['mlkem768x25519-sha256', 'mlkem768nistp256-sha256', 'mlkem1024nistp384-sha384']
    fips_01 = _load('aws-transfer-transfersecuritypolicy-fips-2024-01.yml')
    fips_05 = _load('aws-transfer-transfersecuritypolicy-fips-2024-05.yml')
    # "The only difference between these two security policies is that ... FIPS-2024-01 supports ssh-rsa".
    assert fips_01['server_host_key_algorithms'] == fips_05['server_host_key_algorithms'] + ['ssh-rsa']
    for key in NAME_LIST_KEYS:
        if key != 'server_host_key_algorithms':
            assert fips_01.get(key) == fips_05.get(key), key
    restricted = _load('aws-transfer-transfersecuritypolicy-restricted-2018-11.yml')
    parent = _load('aws-transfer-transfersecuritypolicy-2018-11.yml')
    assert restricted['encryption_algorithms_client_to_server'] == [
        cipher for cipher in parent['encryption_algorithms_client_to_server'] if cipher != 'chacha20-poly1305@openssh.com']
    assert restricted['kex_algorithms'] == parent['kex_algorithms']
