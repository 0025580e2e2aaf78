# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""handshake_clients and handshake_proof: handshakes set beside the predictions (no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.handshake import handshake_clients, \
    handshake_proof
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

# dropbear 2022.83's offer with only an Ed25519 key (as the lab's Dropbear(key_types=('ed25519',)) sends it)
DROPBEAR = {
    'banner': 'SSH-2.0-dropbear_2022.83',
    'kex_algorithms': ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp521', 'ecdh-sha2-nistp384',
                       'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1',
                       'kexguess2@matt.ucc.asn.au', 'kex-strict-s-v00@openssh.com'],
    'server_host_key_algorithms': ['ssh-ed25519', 'rsa-sha2-256', 'ssh-rsa'],
    'ciphers': ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'],
    'macs': ['hmac-sha1', 'hmac-sha2-256'],
    'compression': ['zlib@openssh.com', 'none'],
}


def entry(name, negotiated=None, proven=True, error=None, attempted=True, proven_by='handshake', reason=None):
    return {'name': name, 'attempted': attempted, 'proven': proven, 'proven_by': proven_by, 'reason': reason,
            'error': error, 'negotiated': negotiated, 'host_key': None, 'dropped': {}, 'elapsed_ms': 5}


def as_negotiated(prediction, **changes):
    negotiated = dict(prediction['negotiated'])
    negotiated.update(changes)
    return negotiated


def test_clients_become_plain_lists_with_the_collections_labels():
    clients = handshake_clients(['paramiko-5.1', {'name': 'mine', 'kex': 'curve25519-sha256', 'host_key': 'ssh-ed25519',
                                                  'ciphers': 'aes128-ctr', 'macs': 'hmac-sha2-256'}, {'kex': ['x']}])
    assert [client['name'] for client in clients] == ['paramiko-5.1', 'mine', 'clients[2]']
    assert set(NAME_LIST_KEYS) <= set(clients[0])
    assert clients[1]['encryption_algorithms_server_to_client'] == ['aes128-ctr']
    assert clients[2]['server_host_key_algorithms'] is None
    with pytest.raises(ProposalError, match='not-a-profile'):
        handshake_clients(['not-a-profile'])


def test_exact_handshake_is_proof_and_an_alias_counts_as_the_same_method():
    prediction = predict(DROPBEAR, 'paramiko-5.1')
    negotiated = as_negotiated(prediction)
    assert negotiated['kex'] == 'curve25519-sha256@libssh.org'
    result = {'clients': [entry('paramiko-5.1', negotiated)], 'paramiko_version': '5.1.0'}
    proof = handshake_proof(result, DROPBEAR, ['paramiko-5.1'])
    assert proof['ok'] and proof['ran'] and proof['proven'] == ['paramiko-5.1'] and proof['predicted_only'] == []

    client = {'name': 'rfc-name', 'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'], 'ciphers': ['aes128-ctr'],
              'macs': ['hmac-sha2-256'], 'compression': ['none']}
    prediction = predict(DROPBEAR, client)
    assert prediction['negotiated']['kex'] == 'curve25519-sha256'
    negotiated = as_negotiated(prediction, kex='curve25519-sha256@libssh.org')  # what paramiko proposes (RFC 8731)
    proof = handshake_proof({'clients': [entry('rfc-name', negotiated)]}, DROPBEAR, [client])
    assert proof['proven'] == ['rfc-name']


def test_substitute_handshake_is_not_proof():
    prediction = predict(DROPBEAR, 'openssh-9.2')
    assert prediction['negotiated']['cipher_c2s'] == 'chacha20-poly1305@openssh.com'
    negotiated = as_negotiated(prediction, cipher_c2s='aes128-ctr', cipher_s2c='aes128-ctr', mac_c2s='hmac-sha2-256',
                               mac_s2c='hmac-sha2-256')
    proof = handshake_proof({'clients': [entry('openssh-9.2', negotiated)]}, DROPBEAR, ['openssh-9.2'])
    assert proof['ok'] and proof['proven'] == []
    verdict = proof['clients'][0]
    assert verdict['proven_by'] == 'prediction' and verdict['handshake_completed']
    assert {sub['slot'] for sub in verdict['substitutions']} == {'cipher_c2s', 'cipher_s2c'}
    assert 'chacha20-poly1305@openssh.com' in proof['predicted_only'][0]['reason']


def test_the_dropbear_failure_is_a_failure():
    prediction = predict(DROPBEAR, 'mina-sshd-2.17')
    assert prediction['compatible'] and prediction['negotiated']['host_key'] == 'rsa-sha2-256'
    negotiated = as_negotiated(prediction, cipher_c2s='aes128-ctr', cipher_s2c='aes128-ctr')
    error = {'category': 'closed', 'message': 'the server closed the connection during the key exchange'}
    proof = handshake_proof({'clients': [entry('mina-sshd-2.17', negotiated, proven=False, error=error)]}, DROPBEAR,
                            ['mina-sshd-2.17'])
    assert not proof['ok']
    assert proof['failed'] == [{'name': 'mina-sshd-2.17', 'category': 'closed', 'message': proof['clients'][0]['reason']}]
    assert 'paramiko standing in for cipher_c2s' in proof['clients'][0]['reason']


def test_paramikos_own_refusal_where_the_client_would_connect_is_not_a_failure():
    error = {'category': 'incompatible', 'message': 'Incompatible ssh server (no acceptable macs)'}
    proof = handshake_proof({'clients': [entry('openssh-9.2', {}, proven=False, error=error)]}, DROPBEAR,
                            ['openssh-9.2'])
    assert proof['ok'] and proof['failed'] == []
    assert 'negotiation rules differ' in proof['predicted_only'][0]['reason']


def test_not_attempted_and_not_run():
    result = {'clients': [entry('x', attempted=False, proven=False, proven_by='prediction',
                                reason='paramiko cannot speak any of the client\'s host-key algorithms (ssh-rsa)')]}
    client = {'name': 'x', 'kex': ['curve25519-sha256'], 'host_key': ['ssh-rsa'], 'ciphers': ['aes128-ctr'],
              'macs': ['hmac-sha2-256'], 'compression': ['none']}
    proof = handshake_proof(result, DROPBEAR, [client])
    assert proof['predicted_only'] == [{'name': 'x', 'reason': result['clients'][0]['reason']}]

    missing = {'failed': False, 'reason': 'missing_library', 'msg': 'Failed to import the required Python library'}
    proof = handshake_proof(missing, DROPBEAR, ['paramiko-5.1'])
    assert not proof['ran'] and proof['ok']
    assert proof['predicted_only'] == [{'name': 'paramiko-5.1', 'reason': missing['msg']}]
    proof = handshake_proof(None, DROPBEAR, ['paramiko-5.1'], 'the handshake check is off')
    assert proof['predicted_only'][0]['reason'] == 'the handshake check is off'
    with pytest.raises(ProposalError):
        handshake_proof('text', DROPBEAR, ['paramiko-5.1'])
