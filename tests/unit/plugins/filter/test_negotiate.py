# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The negotiate filter: a real server proposal against built-in client profiles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter import negotiate as plugin
from ansible_collections.fleetcrypto.sftp.plugins.filter.negotiate import FilterModule, negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile


def test_openssh_connects_and_jsch_restricted_fails_on_the_cipher(classic_server):
    assert FilterModule().filters() == {'negotiate': negotiate}
    ok = negotiate(classic_server, 'openssh-9.2')
    assert ok['compatible'] and ok['negotiated']['cipher_c2s'] == 'aes256-ctr' and ok['strict_kex']
    assert ok['client_software'] == 'OpenSSH' and ok['server_software'] == 'OpenSSH'
    failed = negotiate(classic_server, 'jsch-0.1.54-restricted-jce')
    assert failed['compatible'] is False
    assert [(item['category'], item['direction']) for item in failed['failures']] == [('cipher', 'c2s'), ('cipher', 's2c')]
    assert 'Algorithm negotiation fail' in failed['failures'][0]['message']


def test_unknown_profile_is_a_filter_error(classic_server):
    with pytest.raises(AnsibleFilterError, match=r"^negotiate: no built-in client profile 'no-such-client'"):
        negotiate(classic_server, 'no-such-client')


def test_partial_clients_report_unknown_and_the_profile_that_filled_them(classic_server):
    profile = load_profile('openssh-9.2')
    client = {key: profile[key] for key in ('kex_algorithms', 'encryption_algorithms_client_to_server',
                                            'mac_algorithms_client_to_server', 'compression_algorithms_client_to_server')}
    client['banner'] = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'
    filled = negotiate(classic_server, client)
    assert filled['filled_from'] == {'profile': 'openssh-9.2', 'categories': ['host_key', 'cipher', 'mac', 'compression']}
    assert filled['unknown'] == [] and filled['compatible'] is True and filled['partial'] is True
    for off in (False, 'no'):
        raw = negotiate(classic_server, client, fill_from_profiles=off)
        assert raw['filled_from'] is None and raw['unknown'] == ['host_key', 'cipher', 'mac', 'compression']
    # Complete clients: nothing unknown, nothing filled; the two-argument form is unchanged.
    full = negotiate(classic_server, 'openssh-9.2')
    assert full['unknown'] == [] and full['filled_from'] is None


def test_fill_from_profiles_must_be_a_boolean(classic_server):
    with pytest.raises(AnsibleFilterError, match='fill_from_profiles must be a boolean'):
        negotiate(classic_server, 'openssh-9.2', fill_from_profiles='perhaps')


def test_the_documentation_names_every_result_key(classic_server):
    returned = yaml.safe_load(plugin.RETURN)['_value']['contains']
    assert set(negotiate(classic_server, 'openssh-9.2')) == set(returned)
    assert 'fill_from_profiles' in yaml.safe_load(plugin.DOCUMENTATION)['options']
