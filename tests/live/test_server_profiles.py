# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine's prediction from a server profile captured here (``captured_with: sshd``) must equal real
handshakes with the installed sshd (test_server_profiles_capture.py checks the profile itself against it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from lab.clients import run_openssh_client
from lab.servers import Sshd

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile, \
    server_profile_names


def _captured_sshd_profiles():
    return [name for name in server_profile_names() if load_server_profile(name)['captured_with'] == 'sshd'
            and load_server_profile(name)['name'] == name]


def _skip_other_release(stored, banner):
    if banner != stored['banner']:
        pytest.skip('installed sshd says %s, the profile is of %s' % (banner, stored['banner']))


# Real ssh clients (the installed OpenSSH, as its captured profile openssh-9.2) with these KexAlgorithms against
# the installed sshd with its defaults: what ssh -vv reports must be what the engine predicts from the profiles.
CLIENT_SETTINGS = [
    {},
    {'KexAlgorithms': 'diffie-hellman-group14-sha256,diffie-hellman-group-exchange-sha256'},
    {'KexAlgorithms': 'curve25519-sha256', 'Ciphers': 'aes256-gcm@openssh.com,aes128-ctr'},
    {'HostKeyAlgorithms': 'rsa-sha2-256', 'MACs': 'hmac-sha2-512'},
    {'KexAlgorithms': 'diffie-hellman-group1-sha1'},
]


SETTING_KEYS = {'KexAlgorithms': ['kex_algorithms'], 'HostKeyAlgorithms': ['server_host_key_algorithms'],
                'Ciphers': ['encryption_algorithms_client_to_server', 'encryption_algorithms_server_to_client'],
                'MACs': ['mac_algorithms_client_to_server', 'mac_algorithms_server_to_client']}


@pytest.mark.parametrize('name', _captured_sshd_profiles())
def test_real_handshakes_with_the_installed_sshd_match_predictions_from_its_profile(name):
    stored = load_server_profile(name)
    client_profile = load_profile('openssh-9.2')
    checked = 0
    with Sshd(host_key_types=tuple(stored['host_keys'])) as server:
        port = server.targets[0]['port']
        for settings in CLIENT_SETTINGS:
            client = dict(client_profile)
            client.pop('name', None)
            for keyword, keys in SETTING_KEYS.items():
                if keyword in settings:
                    names = settings[keyword].split(',')
                    if keyword == 'KexAlgorithms':   # kex.c kex_proposal_populate_entries appends these
                        names += ['ext-info-c', 'kex-strict-c-v00@openssh.com']
                    for key in keys:
                        client[key] = names
            predicted = predict(stored, client)
            real = run_openssh_client(port, settings)
            if real['failure'] is None and not real['ok']:
                continue   # neither a negotiation failure nor a finished key exchange: not a verdict to compare
            checked += 1
            assert predicted['compatible'] is real['ok'], (settings, predicted['failures'], real['text'])
            if real['ok']:
                assert {key: predicted['negotiated'][key] for key in real['negotiated']} == real['negotiated'], settings
            else:
                failure = predicted['failures'][0]
                assert (failure['category'], failure['direction']) == real['failure'], settings
    assert checked == len(CLIENT_SETTINGS)


def test_sshd_set_to_openssh_10_0_defaults_refuses_a_finite_field_dh_client():
    """The installed sshd given openssh-10.0's server lists (without mlkem768x25519-sha256, which 9.2 lacks):
    finite-field DH is gone (commit 0051381a8), so a client limited to it fails as predicted; the default client
    still connects, with the 10.0 cipher order (AES-GCM before AES-CTR) offered."""
    ten = load_server_profile('openssh-10.0')
    server = dict(ten, kex_algorithms=[name for name in ten['kex_algorithms'] if name != 'mlkem768x25519-sha256'])
    settings = {'KexAlgorithms': ','.join(name for name in server['kex_algorithms']
                                          if not name.startswith(('ext-info', 'kex-strict'))),
                'Ciphers': ','.join(server['encryption_algorithms_client_to_server']),
                'MACs': ','.join(server['mac_algorithms_client_to_server'])}
    client_profile = load_profile('openssh-9.2')
    ffdh = dict(client_profile, kex_algorithms=['diffie-hellman-group14-sha256', 'diffie-hellman-group-exchange-sha256',
                                                'ext-info-c', 'kex-strict-c-v00@openssh.com'])
    ffdh.pop('name')
    with Sshd(settings, host_key_types=tuple(ten['host_keys'])) as sshd:
        port = sshd.targets[0]['port']
        real_default = run_openssh_client(port, {})
        real_ffdh = run_openssh_client(port, {'KexAlgorithms': 'diffie-hellman-group14-sha256,'
                                                               'diffie-hellman-group-exchange-sha256'})
    predicted = predict(server, 'openssh-9.2')
    assert real_default['ok'] and predicted['compatible']
    assert {key: predicted['negotiated'][key] for key in real_default['negotiated']} == real_default['negotiated']
    predicted = predict(server, ffdh)
    assert real_ffdh['failure'] == ('kex', None) and not predicted['compatible']
    assert predicted['failures'][0]['category'] == 'kex'
