# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client-profile library's data and loader."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import profile_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, profile_names, predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

REQUIRED_CAPTURED = ('openssh-9.2', 'paramiko-5.1', 'asyncssh-2.24', 'dropbear-2022.83', 'putty-0.78',
                     'libssh2-1.10', 'jsch-0.1.54', 'jsch-0.1.54-restricted-jce')


def test_required_profiles_exist():
    assert set(REQUIRED_CAPTURED) <= set(profile_names())


@pytest.mark.parametrize('name', profile_names())
def test_every_profile_is_complete_sourced_and_valid(name):
    profile = load_profile(name)
    assert profile['name'] == name or profile['alias'] == name
    assert len(profile['source']) > 20
    assert profile['software']['product'] and profile['banner'].startswith('SSH-2.0-')
    for key in NAME_LIST_KEYS:
        assert isinstance(profile[key], list)
    for key in NAME_LIST_KEYS[:8]:
        assert profile[key], (name, key)


@pytest.mark.parametrize('bad', ['../openssh-9.2', 'OpenSSH-9.2', 'no-such-client-1.0', '', 42])
def test_bad_profile_names(bad):
    with pytest.raises(ProposalError):
        load_profile(bad)


def test_negotiate_accepts_profile_names_and_predicts_the_classic_failure():
    server = {'software': {'product': 'OpenSSH', 'version': '9.2p1'}, 'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256'],
              'host_key': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'], 'ciphers': ['aes256-ctr', 'aes256-cbc'],
              'macs': ['hmac-sha2-256', 'hmac-sha1'], 'compression': ['none']}
    restricted = predict(server, 'jsch-0.1.54-restricted-jce')
    assert not restricted['compatible']
    assert [f['category'] for f in restricted['failures']] == ['cipher', 'cipher']
    assert restricted['client_software'] == 'JSch'
    assert restricted['failures'][0]['message'].startswith('Algorithm negotiation fail: algorithmName="cipher.c2s"')
    # Without ssh-rsa on the server, JSch 0.1.54 (no rsa-sha2-*) fails on the host key as well.
    no_sha1_rsa = dict(server, host_key=['rsa-sha2-512', 'rsa-sha2-256'])
    assert [f['category'] for f in predict(no_sha1_rsa, 'jsch-0.1.54')['failures']] == ['host_key']
    full = predict(server, 'jsch-0.1.54')
    assert full['compatible'] and full['negotiated']['cipher_c2s'] == 'aes256-ctr'


@pytest.mark.parametrize('software,name', [
    ({'product': 'OpenSSH', 'version': '9.2p1'}, 'openssh-9.2'),
    ({'product': 'paramiko', 'version': '5.1.0'}, 'paramiko-5.1'),
    ({'product': 'PuTTY', 'version': '0.78'}, 'putty-0.78'),
    ({'product': 'JSch', 'version': '0.1.54'}, 'jsch-0.1.54'),
    ({'product': 'Go x/crypto/ssh', 'version': None}, 'go-x/crypto/ssh'),
])
def test_profile_names(software, name):
    assert profile_name(software) == name


ISSUE_PROFILE_NAMES = (
    'openssh-7.4', 'openssh-8.0', 'openssh-8.4', 'openssh-8.8', 'openssh-9.2', 'openssh-9.6', 'openssh-9.9',
    'putty-0.70', 'putty-0.76', 'putty-0.78', 'putty-0.81', 'winscp-5.17', 'winscp-6.3',
    'jsch-0.1.54', 'jsch-0.1.55', 'jsch-0.1.54-restricted-jce', 'jsch-0.2.x',
    'libssh2-1.8', 'libssh2-1.10', 'libssh2-1.11', 'libssh-0.10',
    'paramiko-2.12', 'paramiko-3.4', 'paramiko-5.1', 'asyncssh-2.24', 'dropbear-2022.83',
)


@pytest.mark.parametrize('name', ISSUE_PROFILE_NAMES)
def test_the_names_users_ask_for_exist(name):
    assert load_profile(name)['kex_algorithms']


def test_an_alias_is_the_release_it_names():
    alias = load_profile('jsch-0.2.x')
    assert alias['alias'] == 'jsch-0.2.x' and alias['name'] == 'jsch-0.2.26'
    assert alias['kex_algorithms'] == load_profile('jsch-0.2.26')['kex_algorithms']


@pytest.mark.parametrize('name', profile_names())
def test_a_profile_banner_names_its_product(name):
    """The negotiation rules are picked from the banner when a proposal has no software: the banner of every
    profile must lead to the profile's own product."""
    profile = load_profile(name)
    assert parse_software(profile['banner'])['product'] == profile['software']['product']
