# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server-profile loader and the server_profile lookup, on a data directory of their own (the built-in files'
content is checked by test_server_profiles_data.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible.errors import AnsibleLookupError

from ansible_collections.fleetcrypto.sftp.plugins.lookup.server_profile import LookupModule
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict import server_profiles
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

LISTS = {
    'kex_algorithms': ['curve25519-sha256', 'diffie-hellman-group14-sha256', 'kex-strict-s-v00@openssh.com'],
    'server_host_key_algorithms': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519'],
    'encryption_algorithms_client_to_server': ['aes128-ctr', 'aes256-gcm@openssh.com'],
    'encryption_algorithms_server_to_client': ['aes128-ctr', 'aes256-gcm@openssh.com'],
    'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
    'compression_algorithms_client_to_server': ['none', 'zlib@openssh.com'],
    'compression_algorithms_server_to_client': ['none', 'zlib@openssh.com'],
    'languages_client_to_server': [],
    'languages_server_to_client': [],
}


def variant(profile, **changes):
    """A copy of ``profile`` with ``changes``."""
    changed = dict(profile)
    changed.update(changes)
    return changed


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A data directory with two releases, a distribution of one and an alias; returns a writer for more."""
    root = tmp_path / 'data'
    (root / 'server_profiles').mkdir(parents=True)

    def write(name, **content):
        (root / 'server_profiles' / (name + '.yml')).write_text(yaml.safe_dump(dict(name=name, **content)))

    release = dict(LISTS, product='OpenSSH', version='9.2p1', banner='SSH-2.0-OpenSSH_9.2', source='test release',
                   host_keys=['rsa', 'ed25519'],
                   supported={'kex': LISTS['kex_algorithms'][:2] + ['diffie-hellman-group1-sha1'],
                              'cipher': ['aes128-ctr', 'aes256-gcm@openssh.com', '3des-cbc']},
                   supported_source='test table')
    write('openssh-9.2', **release)
    write('debian-12', **variant(release, banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7', captured_with='sshd'))
    write('openssh-10.0', **variant(release, version='10.0p1', banner='SSH-2.0-OpenSSH_10.0',
                                    kex_algorithms=['mlkem768x25519-sha256', 'curve25519-sha256']))
    write('openssh-10.x', alias_of='openssh-10.0', source='product line alias')
    monkeypatch.setattr(data, 'DATA_DIR', str(root))
    monkeypatch.setattr(data, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_BY_RELEASE', {})
    return write, release


def test_names_and_a_profile_as_a_proposal(library):
    assert 'openssh-10.x' in server_profiles.server_profile_names()
    profile = server_profiles.load_server_profile('openssh-9.2')
    assert profile['kex_algorithms'] == LISTS['kex_algorithms']
    assert profile['software'] == {'product': 'OpenSSH', 'version': '9.2p1'}
    assert profile['host_keys'] == ['rsa', 'ed25519']
    assert profile['supported']['kex'][-1] == 'diffie-hellman-group1-sha1'
    assert profile['supported']['mac'] is None   # not given: unknown, not "nothing"
    assert profile['captured_with'] is None and profile['role'] == 'server'


def test_alias_resolves_to_the_release(library):
    profile = server_profiles.load_server_profile('openssh-10.x')
    assert profile['name'] == 'openssh-10.0' and profile['alias'] == 'openssh-10.x'
    assert profile['kex_algorithms'][0] == 'mlkem768x25519-sha256'


def test_callers_cannot_change_the_cached_profile(library):
    server_profiles.load_server_profile('openssh-9.2')['supported']['kex'] = None
    assert server_profiles.load_server_profile('openssh-9.2')['supported']['kex']


@pytest.mark.parametrize('name,message', [
    ('loop-a', 'alias loop'),
    ('bad-supported', 'not a valid SSH algorithm name'),
    ('bad-category', 'supported must map categories'),
    ('bad-host-keys', 'host_keys must be a list'),
    ('no-source', 'must be a mapping with name'),
    ('no-such-server-1.0', 'no built-in server profile'),
    ('../openssh-9.2', 'is not a server profile name'),
])
def test_bad_names_and_files_get_a_clear_error(library, name, message):
    write, release = library
    write('loop-a', alias_of='loop-b', source='loop')
    write('loop-b', alias_of='loop-a', source='loop')
    write('bad-supported', **variant(release, supported={'kex': ['has space']}))
    write('bad-category', **variant(release, supported={'ciphers': ['aes128-ctr']}))
    write('bad-host-keys', **variant(release, host_keys='rsa'))
    write('no-source', **dict(LISTS))
    with pytest.raises(ProposalError, match=message):
        server_profiles.load_server_profile(name)


def test_profiles_for_software_finds_release_and_distribution(library):
    assert server_profiles.server_profiles_for_software({'product': 'OpenSSH', 'version': '9.2p1'}) == [
        'debian-12', 'openssh-9.2']
    assert server_profiles.server_profiles_for_software({'product': 'OpenSSH', 'version': '7.4p1'}) == []
    assert server_profiles.server_profiles_for_software(None) == []


def test_offered_names_leave_pseudo_names_out(library):
    profile = server_profiles.load_server_profile('openssh-9.2')
    assert server_profiles.offered_names(profile, 'kex') == LISTS['kex_algorithms'][:2]
    assert server_profiles.offered_names(profile, 'cipher') == ['aes128-ctr', 'aes256-gcm@openssh.com']


def test_a_profile_is_a_server_negotiate_accepts(library):
    result = predict(server_profiles.load_server_profile('openssh-10.x'),
                     dict(LISTS, kex_algorithms=['diffie-hellman-group14-sha256']))
    assert result['compatible'] is False and result['failures'][0]['category'] == 'kex'


def test_lookup(library):
    lookup = LookupModule()
    assert lookup.run([]) == server_profiles.server_profile_names()
    assert lookup.run(['openssh-9.2', 'debian-12'])[1]['captured_with'] == 'sshd'
    with pytest.raises(AnsibleLookupError, match='server_profile: no built-in server profile'):
        lookup.run(['nope-1.0'])


def test_a_server_given_by_name_is_the_server_profile(library):
    """``'openssh-10.x' | negotiate(client)``: a string on the server side names a server profile, never a client
    profile of the same name."""
    result = predict('openssh-10.x', dict(LISTS, kex_algorithms=['mlkem768x25519-sha256']))
    assert result['compatible'] is True and result['negotiated']['kex'] == 'mlkem768x25519-sha256'
