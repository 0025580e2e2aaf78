# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the log parser (plugin_utils/predict/kex_log.py) on real captured logs and vendor formats."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import LIST_KEY
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.kex_log import parse_kex_log
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import OpenSSH, PuTTY
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

OPENSSH = {'product': 'OpenSSH', 'version': '9.2p1'}
CLIENT = {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'], 'ciphers': ['aes128-ctr'],
          'macs': ['hmac-sha2-256'], 'compression': ['none']}


def test_openssh_client_debug_log_gives_both_full_proposals(fixture_file):
    proposals = parse_kex_log(fixture_file('openssh-9.2-client-no-matching-cipher.log'))
    blocks = [p for p in proposals if p['source'] == 'openssh-debug']
    assert [p['role'] for p in blocks] == ['client', 'server']
    client, server = blocks
    assert not client['partial'] and client['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes128-cbc']
    assert server['software'] == {'product': 'OpenSSH', 'version': '9.2p1'}
    unable = [p for p in proposals if p['source'] == 'openssh-unable-to-negotiate'][0]
    assert unable['role'] == 'server' and unable['partial']
    assert unable['encryption_algorithms_server_to_client'] == ['aes256-ctr', 'aes256-cbc']
    result = predict(server, dict(client, software=OPENSSH))
    assert result['failures'][0]['message'] == 'no matching cipher found. Their offer: aes256-ctr,aes256-cbc'


def test_sshd_log_lines_describe_the_client(fixture_file):
    proposals = parse_kex_log(fixture_file('openssh-9.2-sshd-unable-to-negotiate.log'))
    assert [p['role'] for p in proposals] == ['client', 'client']
    assert proposals[1]['kex_algorithms'] == ['diffie-hellman-group1-sha1', 'ext-info-c', 'kex-strict-c-v00@openssh.com']


def test_partial_proposal_from_a_log_line_leaves_other_categories_unknown():
    server = parse_kex_log('Unable to negotiate with 192.0.2.1 port 22: no matching cipher found. '
                           'Their offer: aes256-ctr,aes256-cbc')[0]
    result = predict(server, dict(CLIENT, software=OPENSSH))
    assert result['partial'] and not result['compatible']
    assert [f['category'] for f in result['failures']] == ['cipher', 'cipher']
    assert result['negotiated'] is None


def test_putty_event_log():
    line = "2026-11-24 10:00:01 Couldn't agree a client-to-server cipher (available: aes256-ctr,aes256-cbc)"
    proposal = parse_kex_log(line)[0]
    assert proposal['role'] == 'server' and proposal['source'] == 'putty-event-log'
    assert proposal['encryption_algorithms_client_to_server'] == ['aes256-ctr', 'aes256-cbc']


def test_log_with_a_malformed_name_names_the_line():
    with pytest.raises(ProposalError) as err:
        parse_kex_log('x\nServer Proposed: Kex: (a b) Host Key: (ssh-rsa) C2S : (c), (m), (none) S2C : (c), (m), (none)')
    assert 'line 2' in str(err.value)


@pytest.mark.parametrize('slot', sorted(PuTTY.WORDS, key=str))
def test_every_putty_message_the_engine_prints_is_read_back(slot):
    """The engine's PuTTY sentences and the log parser share one word table (ssh/transport2.c kexlist_descr)."""
    category, direction = slot
    line = PuTTY().message('client', category, direction, ['a'], ['x-1', 'x-2'])
    proposal = parse_kex_log(line)[0]
    assert proposal['role'] == 'server' and proposal['source'] == 'putty-event-log'
    assert [key for key, value in proposal.items() if value == ['x-1', 'x-2']] == [LIST_KEY[slot]]


@pytest.mark.parametrize('category', sorted(OpenSSH.WORDS))
def test_every_openssh_message_the_engine_prints_is_read_back(category):
    line = 'ssh: Unable to negotiate with 192.0.2.1 port 22: ' + OpenSSH().message('client', category, None, ['a'], ['x-1'])
    proposal = parse_kex_log(line)[0]
    assert proposal['role'] == 'server' and proposal['partial']
    assert sorted(key for key, value in proposal.items() if value == ['x-1']) == sorted(
        {'kex': ['kex_algorithms'], 'host_key': ['server_host_key_algorithms'],
         'cipher': ['encryption_algorithms_client_to_server', 'encryption_algorithms_server_to_client'],
         'mac': ['mac_algorithms_client_to_server', 'mac_algorithms_server_to_client'],
         'compression': ['compression_algorithms_client_to_server', 'compression_algorithms_server_to_client']}[category])
