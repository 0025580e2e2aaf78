# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The negotiate filter: a real server proposal against built-in client profiles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.negotiate import FilterModule, negotiate


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
