# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the log parser (plugin_utils/predict/kex_log.py) on real captured logs and vendor formats."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import LIST_KEY
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon_logs import OPENSSH_WORDS
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


def test_putty_0_80_to_0_82_wording_is_read_as_the_server_list():
    # Seen on the wire from plink 0.82 built from its tag (FATAL ERROR line of plink -batch).
    line = ('FATAL ERROR: Selected client-to-server MAC "umac-64-etm@openssh.com,umac-128@openssh.com" does not '
            'correspond to any supported algorithm')
    proposal = parse_kex_log(line)[0]
    assert proposal['role'] == 'server' and proposal['source'] == 'putty-event-log'
    assert proposal['mac_algorithms_client_to_server'] == ['umac-64-etm@openssh.com', 'umac-128@openssh.com']
    # And the engine's sentence for such a release reads back the same way.
    server = {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'], 'ciphers': ['twofish256-ctr'],
              'macs': ['hmac-sha2-256'], 'compression': ['none']}
    message = predict(server, 'putty-0.82')['failures'][0]['message']
    assert parse_kex_log(message)[0]['encryption_algorithms_client_to_server'] == ['twofish256-ctr']


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


# --- Cerberus FTP Server 9.0.6.1+ "No common ..." lines (vendor support article 115000016444) ---------------

PUTTY_MACS = ['hmac-sha2-256', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5', 'hmac-sha2-256-etm@openssh.com',
              'hmac-sha1-etm@openssh.com', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com']


def test_cerberus_no_common_lines_give_a_partial_server_and_client_proposal_each(fixture_file):
    """The vendor's example: "[C: ...]" on the line after "[S: ...]", a trailing comma in the server's list."""
    proposals = parse_kex_log(fixture_file('negotiation_failures/cerberus-9.0.6.1-no-common-mac.log'))
    assert [(p['role'], p['source'], p['line']) for p in proposals] == [
        ('server', 'cerberus-no-common', 1), ('client', 'cerberus-no-common', 1),
        ('server', 'cerberus-no-common', 3), ('client', 'cerberus-no-common', 3)]
    c2s_server, c2s_client, s2c_server, s2c_client = proposals
    assert c2s_server['mac_algorithms_client_to_server'] == ['hmac-ripemd160@openssh.com']
    assert c2s_server['empty_entries'] == {'mac_algorithms_client_to_server': 1}
    assert c2s_server['software'] == {'product': 'Cerberus FTP Server', 'version': None}
    assert c2s_client['mac_algorithms_client_to_server'] == PUTTY_MACS and 'empty_entries' not in c2s_client
    assert s2c_server['mac_algorithms_server_to_client'] == ['hmac-ripemd160@openssh.com']
    assert s2c_client['mac_algorithms_server_to_client'] == PUTTY_MACS
    for proposal in proposals:
        assert proposal['partial'] and 'kex_algorithms' not in proposal
        assert proposal['languages_client_to_server'] == [] and proposal['languages_server_to_client'] == []


def test_cerberus_no_common_lines_predict_the_mac_failure(fixture_file):
    proposals = parse_kex_log(fixture_file('negotiation_failures/cerberus-9.0.6.1-no-common-mac.log'))
    server = dict(proposals[0], mac_algorithms_server_to_client=proposals[2]['mac_algorithms_server_to_client'])
    client = dict(proposals[1], mac_algorithms_server_to_client=proposals[3]['mac_algorithms_server_to_client'])
    result = predict(server, dict(client, software={'product': 'PuTTY', 'version': '0.78'}))
    assert result['partial'] and not result['compatible']
    assert sorted((f['category'], f['direction']) for f in result['failures']) == [('mac', 'c2s'), ('mac', 's2c')]
    assert result['failures'][0]['server'] == ['hmac-ripemd160@openssh.com']


@pytest.mark.parametrize('line, key', [
    ('No common C2S mac: [S:hmac-sha2-256,hmac-sha1][C:hmac-md5]', 'mac_algorithms_client_to_server'),
    ('2026-11-25 10:00:01 [42] No common S2C mac: [S: hmac-sha2-256,hmac-sha1] [C: hmac-md5]',
     'mac_algorithms_server_to_client'),
])
def test_cerberus_no_common_on_one_line(line, key):
    server, client = parse_kex_log(line)
    assert (server['role'], server[key]) == ('server', ['hmac-sha2-256', 'hmac-sha1'])
    assert (client['role'], client[key]) == ('client', ['hmac-md5'])


def test_cerberus_no_common_of_an_undocumented_category_is_not_guessed():
    """Only the MAC wording is published; another word gives no proposal rather than a guessed mapping."""
    assert parse_kex_log('No common C2S cipher: [S: aes256-ctr][C: aes128-ctr]') == []
    assert parse_kex_log('No common C2S mac: [S: hmac-sha1]\nsomething else [C: hmac-md5]') == []


def test_cerberus_no_common_with_a_malformed_name_names_the_line():
    with pytest.raises(ProposalError) as err:
        parse_kex_log('x\ny\nNo common C2S mac: [S: hmac-sha1]\n[C: hmac-md5,bell\x07 PermitRootLogin yes]')
    assert 'Cerberus line 3 [C:]' in str(err.value)


def test_openssh_words_are_the_engines():
    """The node-side reader's word table (ssherr.c) is the one the negotiation engine prints OpenSSH's
    message with."""
    assert OPENSSH_WORDS == {words: category for category, words in OpenSSH.WORDS.items()}


def test_sshd_debug2_dump_with_preauth_suffix():
    """sshd's privilege-separated child logs through the monitor, which appends " [preauth]" to each line."""
    labels = ['KEX algorithms', 'host key algorithms', 'ciphers ctos', 'ciphers stoc', 'MACs ctos', 'MACs stoc',
              'compression ctos', 'compression stoc', 'languages ctos', 'languages stoc']
    values = ['curve25519-sha256', 'ssh-ed25519', 'aes256-gcm@openssh.com', 'aes256-gcm@openssh.com',
              'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none', '', '']
    text = 'debug2: local server KEXINIT proposal [preauth]\n' + ''.join(
        'debug2: %s: %s [preauth]\r\n' % (label, value) for label, value in zip(labels, values))
    proposal = parse_kex_log(text)[0]
    assert proposal['role'] == 'server' and not proposal['partial']
    assert proposal['encryption_algorithms_client_to_server'] == ['aes256-gcm@openssh.com']
    assert proposal['languages_server_to_client'] == []
