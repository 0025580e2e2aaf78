# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parse_kex_log filter on real vendor logs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.parse_kex_log import FilterModule, parse_kex_log


def test_cerberus_debug_log_gives_both_proposals(fixture_file):
    assert FilterModule().filters() == {'parse_kex_log': parse_kex_log}
    client, server = parse_kex_log(fixture_file('cerberus-kex-debug.log'))
    assert (client['role'], server['role']) == ('client', 'server') and not client['partial']
    assert client['encryption_algorithms_client_to_server'][0] == 'aes128-ctr'
    assert server['encryption_algorithms_client_to_server'] == ['aes256-ctr', 'aes256-cbc']
    assert server['empty_entries'] == {'mac_algorithms_client_to_server': 7, 'mac_algorithms_server_to_client': 7}


def test_sshd_unable_to_negotiate_lines_are_partial_client_proposals(fixture_file):
    proposals = parse_kex_log(fixture_file('openssh-9.2-sshd-unable-to-negotiate.log'))
    assert [item['role'] for item in proposals] == ['client', 'client'] and all(item['partial'] for item in proposals)
    assert proposals[0]['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes128-cbc']


def test_malformed_name_is_a_filter_error_with_the_line():
    text = 'Unable to negotiate with 192.0.2.1 port 22: no matching cipher found. Their offer: aes\x01,aes128-ctr'
    with pytest.raises(AnsibleFilterError, match=r'^parse_kex_log: in OpenSSH line 1, '):
        parse_kex_log(text)
