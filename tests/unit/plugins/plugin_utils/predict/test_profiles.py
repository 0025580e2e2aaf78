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
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import as_proposal, fill_from_profile, \
    load_profile, predict, profile_names, profiles_for_software
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
    ({'product': 'Node ssh2', 'version': '1.17.0'}, 'node-ssh2-1.17.0'),
    ({'product': 'FileZilla', 'version': '3.63.0'}, 'filezilla-3.63.0'),
])
def test_profile_names(software, name):
    assert profile_name(software) == name


ISSUE_PROFILE_NAMES = (
    'openssh-7.4', 'openssh-8.0', 'openssh-8.4', 'openssh-8.8', 'openssh-9.2', 'openssh-9.6', 'openssh-9.9',
    'putty-0.70', 'putty-0.76', 'putty-0.78', 'putty-0.81', 'winscp-5.17', 'winscp-6.3',
    'jsch-0.1.54', 'jsch-0.1.55', 'jsch-0.1.54-restricted-jce', 'jsch-0.2.x',
    'libssh2-1.8', 'libssh2-1.10', 'libssh2-1.11', 'libssh-0.10',
    'paramiko-2.12', 'paramiko-3.4', 'paramiko-5.1', 'asyncssh-2.24', 'dropbear-2022.83',
    # Issue 12 (2026): current releases and product lines.
    'putty-0.82', 'putty-0.83', 'putty-0.8x', 'winscp-6.5', 'winscp-6.x', 'filezilla-3.63.0-debian12',
    'node-ssh2-1.17.0', 'node-ssh2-1.x', 'paramiko-5.x', 'asyncssh-2.x',
)


@pytest.mark.parametrize('name', ISSUE_PROFILE_NAMES)
def test_the_names_users_ask_for_exist(name):
    assert load_profile(name)['kex_algorithms']


def test_an_alias_is_the_release_it_names():
    alias = load_profile('jsch-0.2.x')
    assert alias['alias'] == 'jsch-0.2.x' and alias['name'] == 'jsch-0.2.26'
    assert alias['kex_algorithms'] == load_profile('jsch-0.2.26')['kex_algorithms']


# Release-line aliases of the profiles derived or captured from the newest tags (issue 12), and the release each
# names.
NEWEST_RELEASES = {
    'jsch-2.x': 'jsch-2.28.7', 'libssh-0.x': 'libssh-0.12', 'libssh2-1.x': 'libssh2-1.11',
    'dropbear-2026.x': 'dropbear-2026.94', 'golang-x-crypto-ssh-0.x': 'golang-x-crypto-ssh-0.55.0',
    'sshj-0.x': 'sshj-0.40.0', 'ssh.net-2024.x': 'ssh.net-2024.1.0', 'mina-sshd-2.x': 'mina-sshd-2.17',
}


@pytest.mark.parametrize('alias,release', sorted(NEWEST_RELEASES.items()))
def test_release_line_aliases_name_the_newest_release(alias, release):
    profile = load_profile(alias)
    assert profile['alias'] == alias and profile['name'] == release
    assert profile['kex_algorithms'] == load_profile(release)['kex_algorithms']


def test_the_derived_dropbear_client_guesses_its_post_quantum_kex():
    profile = load_profile('dropbear-2026.94')
    assert profile['first_kex_packet_follows'] is True
    assert profile['kex_algorithms'][0] == 'sntrup761x25519-sha512'
    assert 'kexguess2@matt.ucc.asn.au' in profile['kex_algorithms']
    # 2025+ dbclient leaves compression off (default_options.h DROPBEAR_CLI_COMPRESSION 0); 2022.83 offered zlib.
    assert profile['compression_algorithms_client_to_server'] == ['none']
    assert 'zlib' in load_profile('dropbear-2022.83')['compression_algorithms_client_to_server']


@pytest.mark.parametrize('software,expected', [
    ({'product': 'libssh', 'version': '0.11.4'}, ['libssh-0.11']),     # named by release line
    ({'product': 'JSch', 'version': '2.28.7'}, ['jsch-2.28.7']),       # the alias jsch-2.x counts once
    ({'product': 'sshj', 'version': '0.40.0'}, ['sshj-0.40.0']),
    ({'product': 'SSH.NET', 'version': None}, []),                      # its banner names no release
])
def test_new_products_are_found_by_their_software(software, expected):
    assert profiles_for_software(software) == expected


@pytest.mark.parametrize('name', profile_names())
def test_a_profile_banner_names_its_product(name):
    """The negotiation rules are picked from the banner when a proposal has no software: the banner of every
    profile must lead to the profile's own product."""
    profile = load_profile(name)
    assert parse_software(profile['banner'])['product'] == profile['software']['product']


# --- filling a partial client from the one profile its software names -----------------------------------------

HASSH_KEYS = ('kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
              'compression_algorithms_client_to_server')


def hassh_view(name, **changes):
    """What a Zeek/Suricata HASSH record knows of a built-in profile: banner and the four client-to-server lists."""
    profile = load_profile(name)
    value = {key: list(profile[key]) for key in HASSH_KEYS}
    value.update(banner=profile['banner'], partial=True)
    value.update(changes)
    return value


@pytest.mark.parametrize('software,expected', [
    ({'product': 'OpenSSH', 'version': '9.2p1'}, ['openssh-9.2']),
    ({'product': 'OpenSSH', 'version': '9.2p2'}, ['openssh-9.2']),        # named by release line
    ({'product': 'JSch', 'version': '0.1.55'}, ['jsch-0.1.54-restricted-jce', 'jsch-0.1.55']),
    ({'product': 'JSch', 'version': '0.2.26'}, ['jsch-0.2.26']),          # the alias jsch-0.2.x counts once
    ({'product': 'FileZilla', 'version': '3.63.0'}, ['filezilla-3.63.0-debian12']),
    ({'product': 'Node ssh2', 'version': '1.17.0'}, ['node-ssh2-1.17.0']),
    ({'product': 'OpenSSH', 'version': '6.6.1p1'}, []),
    ({'product': 'SecureBlackbox', 'version': None}, []),
    (None, []),
])
def test_profiles_for_software(software, expected):
    assert profiles_for_software(software) == expected


def test_a_hassh_view_of_openssh_is_filled_from_its_profile():
    filled, filled_from = fill_from_profile(as_proposal(hassh_view('openssh-9.2'), 'client'))
    assert filled_from == {'profile': 'openssh-9.2', 'categories': ['host_key', 'cipher', 'mac', 'compression']}
    full = load_profile('openssh-9.2')
    for key in NAME_LIST_KEYS[:8]:
        assert filled['offer'][key] == full[key]
    assert filled['partial'] is True


def test_nothing_is_filled_when_a_known_list_is_not_the_profiles():
    """A client configured otherwise (or a distribution's crypto policy) does not run the release's defaults."""
    custom = hassh_view('openssh-9.2', encryption_algorithms_client_to_server=['aes256-ctr'])
    proposal = as_proposal(custom, 'client')
    assert fill_from_profile(proposal) == (proposal, None)


def test_nothing_is_filled_for_an_ambiguous_or_unknown_release_or_a_complete_proposal():
    ambiguous = as_proposal(hassh_view('jsch-0.1.55', banner='SSH-2.0-JSCH-0.1.55'), 'client')
    assert fill_from_profile(ambiguous)[1] is None       # jsch-0.1.55 and jsch-0.1.54-restricted-jce
    unknown = as_proposal(hassh_view('openssh-9.2', banner='SSH-2.0-SecureBlackbox'), 'client')
    assert fill_from_profile(unknown)[1] is None
    no_banner = as_proposal(hassh_view('openssh-9.2', banner=None), 'client')
    assert fill_from_profile(no_banner)[1] is None
    complete = as_proposal('openssh-9.2', 'client')
    assert fill_from_profile(complete) == (complete, None)


def test_software_fills_as_the_banner_does_and_known_lists_are_never_replaced():
    value = hassh_view('putty-0.78', banner=None, software={'product': 'PuTTY', 'version': '0.78'})
    value['server_host_key_algorithms'] = list(load_profile('putty-0.78')['server_host_key_algorithms'])
    filled, filled_from = fill_from_profile(as_proposal(value, 'client'))
    assert filled_from == {'profile': 'putty-0.78', 'categories': ['cipher', 'mac', 'compression']}
    assert filled['offer']['server_host_key_algorithms'] == value['server_host_key_algorithms']
    assert filled['offer']['encryption_algorithms_server_to_client'] == \
        load_profile('putty-0.78')['encryption_algorithms_server_to_client']


@pytest.mark.parametrize('name', profile_names())
def test_a_filled_hassh_view_predicts_what_the_full_profile_does(name, classic_server):
    """For every profile that its own software names alone, a HASSH record of it, filled, is the profile again."""
    profile = load_profile(name)
    if profiles_for_software(profile['software']) != [profile['name']]:
        pytest.skip('%s shares its release with another profile' % name)
    view = hassh_view(name, banner=None, software=profile['software'])
    filled = predict(classic_server, view)
    full = predict(classic_server, name)
    assert filled['filled_from']['profile'] == profile['name']
    assert filled['unknown'] == [] and full['unknown'] == []
    for key in ('compatible', 'negotiated', 'failures', 'terrapin_exposed', 'client_software'):
        assert filled[key] == full[key], key
    raw = predict(classic_server, view, fill_from_profiles=False)
    assert raw['filled_from'] is None and 'host_key' in raw['unknown']
