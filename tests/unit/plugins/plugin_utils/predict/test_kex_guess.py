# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guessed first key-exchange packets (RFC 4253 section 7, first_kex_packet_follows), post_quantum and the
client's warnings in negotiate results.

Each case pins one implementation's rule as its source states it (see the negotiation module docstring); the
dropbear -> AsyncSSH cases are proven against real handshakes in tests/live/test_kex_guess.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import POST_QUANTUM_KEX
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

DROPBEAR = {'product': 'dropbear', 'version': '2022.83'}
ASYNCSSH = {'product': 'AsyncSSH', 'version': '2.24.1'}
OPENSSH = {'product': 'OpenSSH', 'version': '9.2p1'}
PARAMIKO = {'product': 'paramiko', 'version': '5.1.0'}
PROFTPD = {'product': 'ProFTPD mod_sftp', 'version': '1.3.8'}
GUESS2 = 'kexguess2@matt.ucc.asn.au'


def proposal(software, kex, host_key=('ssh-ed25519',), **extra):
    return dict({'software': software, 'kex': list(kex), 'host_key': list(host_key), 'ciphers': ['aes256-ctr'],
                 'macs': ['hmac-sha2-256'], 'compression': ['none']}, **extra)


def dropbear(kex=('curve25519-sha256', 'ecdh-sha2-nistp256', GUESS2), host_key=('ssh-ed25519', 'ecdsa-sha2-nistp256')):
    return proposal(DROPBEAR, kex, host_key)


@pytest.mark.parametrize('server_kex,server_keys,works', [
    # AsyncSSH uses the guess (it chose curve25519-sha256, the client's first) and dropbear agrees (both firsts).
    (['curve25519-sha256', 'ecdh-sha2-nistp256'], ['ssh-ed25519'], True),
    # AsyncSSH uses the guess, dropbear judges it wrong (first kex differs) and sends KEXDH_INIT again.
    (['ecdh-sha2-nistp256', 'curve25519-sha256'], ['ssh-ed25519'], False),
    # ... or because the first host-key algorithms differ, which AsyncSSH does not look at.
    (['curve25519-sha256', 'ecdh-sha2-nistp256'], ['ecdsa-sha2-nistp256'], False),
    # The server lacks curve25519-sha256: both judge the guess wrong, AsyncSSH drops it, dropbear resends.
    (['ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256'], ['ssh-ed25519'], True),
])
def test_dropbear_client_against_asyncssh_server(server_kex, server_keys, works):
    result = predict(proposal(ASYNCSSH, server_kex, server_keys), dropbear())
    assert result['compatible'] is works
    if not works:
        failure = result['failures'][-1]
        assert failure['reason'] == 'kex_guess' and failure['category'] == 'kex'
        assert failure['detected_by'] == 'server' and 'Key exchange not in progress' in failure['message']
        # Every list agrees: what was negotiated is still reported.
        assert result['negotiated']['kex'] == 'curve25519-sha256'


@pytest.mark.parametrize('server_kex,server_keys', [
    (['curve25519-sha256', 'ecdh-sha2-nistp256'], ['ssh-ed25519']),
    (['ecdh-sha2-nistp256', 'curve25519-sha256'], ['ssh-ed25519']),
    (['curve25519-sha256'], ['ecdsa-sha2-nistp256']),
])
def test_openssh_server_judges_guesses_as_dropbear_does(server_kex, server_keys):
    assert predict(proposal(OPENSSH, server_kex, server_keys), dropbear())['compatible']


def test_dropbear_server_uses_kexguess2():
    # Both list kexguess2: the client's first names need only be on the server's lists.
    server = proposal(DROPBEAR, ['ecdh-sha2-nistp256', 'curve25519-sha256', GUESS2], ['ecdsa-sha2-nistp256',
                                                                                      'ssh-ed25519'])
    assert predict(server, dropbear())['compatible']


@pytest.mark.parametrize('server_kex,server_keys,works', [
    (['curve25519-sha256', 'ecdh-sha2-nistp256'], ['ssh-ed25519'], True),
    # ProFTPD compares only the kex names: it uses the guess, dropbear resends (the host keys differ).
    (['curve25519-sha256', 'ecdh-sha2-nistp256'], ['ecdsa-sha2-nistp256'], False),
    (['ecdh-sha2-nistp256', 'curve25519-sha256'], ['ecdsa-sha2-nistp256'], True),
])
def test_proftpd_server_compares_only_the_first_kex(server_kex, server_keys, works):
    assert predict(proposal(PROFTPD, server_kex, server_keys), dropbear())['compatible'] is works


@pytest.mark.parametrize('server_kex,works,words', [
    (['curve25519-sha256'], True, None),
    (['curve25519-sha256@libssh.org'], False, 'Expecting packet from (21,), got 30'),
    (['ecdh-sha2-nistp256'], False, 'parsed as a ecdh-sha2-nistp256 one'),
])
def test_paramiko_server_always_uses_the_guess(server_kex, works, words):
    client = dropbear(kex=('curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', GUESS2))
    result = predict(proposal(PARAMIKO, server_kex), client)
    assert result['compatible'] is works
    if words:
        assert words in result['failures'][0]['message']


def test_no_guess_no_guess_failure():
    # Only dropbear's client guesses by default; an explicit first_kex_packet_follows overrides.
    server = proposal(ASYNCSSH, ['ecdh-sha2-nistp256', 'curve25519-sha256'])
    assert predict(server, proposal(OPENSSH, ['curve25519-sha256', 'ecdh-sha2-nistp256']))['compatible']
    assert predict(server, dict(dropbear(), first_kex_packet_follows=False))['compatible']
    guessing = dict(proposal(OPENSSH, ['curve25519-sha256', 'ecdh-sha2-nistp256']), first_kex_packet_follows=True)
    assert not predict(server, guessing)['compatible']


def test_flag_from_an_algorithms_info_offer_and_the_profile():
    assert predict(proposal(ASYNCSSH, ['ecdh-sha2-nistp256', 'curve25519-sha256']), 'dropbear-2022.83')[
        'failures'][0]['reason'] == 'kex_guess'
    with pytest.raises(ProposalError):
        predict(proposal(ASYNCSSH, ['curve25519-sha256']), dict(dropbear(), first_kex_packet_follows='yes'))


def test_a_list_failure_is_reported_instead_of_a_guess():
    result = predict(proposal(ASYNCSSH, ['ecdh-sha2-nistp256', 'curve25519-sha256'], ciphers=['aes128-ctr']),
                     dropbear())
    # list failures carry their own reason (no common name), never kex_guess
    assert [f.get('reason') for f in result['failures']] == ['no_common_algorithm', 'no_common_algorithm']


@pytest.mark.parametrize('kex,pq', [
    ('sntrup761x25519-sha512@openssh.com', True), ('sntrup761x25519-sha512', True), ('mlkem768x25519-sha256', True),
    ('curve25519-sha256', False), ('ecdh-sha2-nistp256', False),
])
def test_post_quantum(kex, pq):
    result = predict(proposal(OPENSSH, [kex]), proposal(OPENSSH, [kex]))
    assert result['post_quantum'] is pq and kex in POST_QUANTUM_KEX if pq else not result['post_quantum']
    assert result['warnings'] == []


def test_post_quantum_is_false_without_agreement():
    result = predict(proposal(OPENSSH, ['sntrup761x25519-sha512@openssh.com']),
                     proposal(OPENSSH, ['curve25519-sha256']))
    assert not result['compatible'] and result['post_quantum'] is False and result['warnings'] == []


@pytest.mark.parametrize('version,kex,warned', [
    ('10.1p1', 'curve25519-sha256', True),
    ('10.5p1', 'ecdh-sha2-nistp256', True),
    ('10.0p2', 'curve25519-sha256', False),
    ('9.9p1', 'curve25519-sha256', False),
    ('10.1p1', 'mlkem768x25519-sha256', False),
])
def test_openssh_10_1_warns_without_post_quantum_kex(version, kex, warned):
    client = proposal({'product': 'OpenSSH', 'version': version}, [kex], name='openssh-x')
    result = predict(proposal(OPENSSH, [kex]), client)
    assert bool(result['warnings']) is warned
    if warned:
        assert result['warnings'][0] == '** WARNING: connection is not using a post-quantum key exchange algorithm.'
        assert len(result['warnings']) == 3


def test_no_warning_when_the_user_set_kex_algorithms():
    client = proposal({'product': 'OpenSSH', 'version': '10.2p1'}, ['curve25519-sha256'], kex_algorithms_set=True)
    assert predict(proposal(OPENSSH, ['curve25519-sha256']), client)['warnings'] == []


def test_a_captured_client_with_another_kex_list_than_its_release_set_it():
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import (  # noqa: E501
        _mark_kex_algorithms_set, as_proposal, load_profile)
    default = dict(load_profile('openssh-9.2'))
    default.pop('name')
    assert _mark_kex_algorithms_set(as_proposal(default))['kex_algorithms_set'] is None
    changed = dict(default, kex_algorithms=['curve25519-sha256'])
    assert _mark_kex_algorithms_set(as_proposal(changed))['kex_algorithms_set'] is True
    # A built-in profile is its release's defaults.
    assert _mark_kex_algorithms_set(as_proposal('openssh-9.2'))['kex_algorithms_set'] is None
