# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mapping of a client's proposal onto what paramiko speaks, and the handshake's input checks (no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import subprocess
import sys

import paramiko
import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils import handshake
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.handshake import HandshakeInputError, check_fingerprints, \
    client_offer, handshake_host, handshake_many, paramiko_capabilities, plan_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.handshake import handshake_clients

# paramiko 5.1.0 transport.py: the keys of Transport._kex_info, _key_info, _cipher_info, _mac_info, _compression_info.
PARAMIKO_5_1 = {
    'kex': ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512',
            'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'curve25519-sha256@libssh.org',
            'mlkem768x25519-sha256'],
    'key_types': ['rsa-sha2-256', 'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512',
                  'rsa-sha2-512-cert-v01@openssh.com', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
                  'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp521',
                  'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com'],
    'ciphers': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc',
                'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
    'digests': ['hmac-sha1', 'hmac-sha1-96', 'hmac-sha2-256', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512',
                'hmac-sha2-512-etm@openssh.com', 'hmac-md5', 'hmac-md5-96'],
    'compression': ['zlib@openssh.com', 'zlib', 'none'],
}


def offer_of(name):
    return client_offer(handshake_clients([name])[0])


def test_openssh_9_2_keeps_its_order_with_what_paramiko_speaks():
    plan = plan_proposal(offer_of('openssh-9.2'), PARAMIKO_5_1)
    assert plan['unspeakable'] is None
    options = plan['options']
    # sntrup761 is dropped; curve25519-sha256 becomes its older name (RFC 8731 section 1), which is not repeated.
    assert options['kex'] == ['curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
                              'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256',
                              'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha256']
    assert plan['aliases'] == {'curve25519-sha256': 'curve25519-sha256@libssh.org'}
    assert 'sntrup761x25519-sha512@openssh.com' in plan['dropped']['kex_algorithms']
    assert 'diffie-hellman-group18-sha512' in plan['dropped']['kex_algorithms']
    # ext-info-c is paramiko's own business; kex-strict-c becomes Transport(strict_kex=True).
    assert 'ext-info-c' not in plan['dropped']['kex_algorithms'] and plan['strict_kex'] is True
    # Certificates are appended by paramiko itself (Transport.preferred_keys); sk-* keys it cannot verify.
    assert options['key_types'] == ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384',
                                    'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256']
    assert 'sk-ssh-ed25519@openssh.com' in plan['dropped']['server_host_key_algorithms']
    assert 'ssh-ed25519-cert-v01@openssh.com' not in plan['dropped']['server_host_key_algorithms']
    assert options['ciphers'] == ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com',
                                  'aes256-gcm@openssh.com']
    assert plan['dropped']['encryption_algorithms_client_to_server'] == ['chacha20-poly1305@openssh.com']
    assert options['digests'][:2] == ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com']
    assert 'umac-64-etm@openssh.com' in plan['dropped']['mac_algorithms_client_to_server']
    assert options['compression'] == ['none', 'zlib@openssh.com', 'zlib']
    assert plan['notes'] == []


def test_client_without_strict_kex_does_not_get_it():
    plan = plan_proposal(offer_of('openssh-8.4'), PARAMIKO_5_1)
    assert plan['strict_kex'] is False


def test_a_category_paramiko_cannot_speak_at_all_is_the_reason():
    offer = client_offer({'name': 'x', 'kex': ['curve25519-sha256'], 'host_key': ['ssh-rsa', 'ssh-dss'],
                          'ciphers': ['chacha20-poly1305@openssh.com'], 'macs': ['hmac-sha2-256'],
                          'compression': ['none']})
    plan = plan_proposal(offer, PARAMIKO_5_1)
    assert plan['options'] == {}
    assert 'host-key algorithms (ssh-rsa, ssh-dss)' in plan['unspeakable']
    assert 'ciphers (chacha20-poly1305@openssh.com)' in plan['unspeakable']


def test_unknown_list_is_not_guessed():
    offer = client_offer({'name': 'x', 'kex': ['curve25519-sha256'], 'ciphers': ['aes128-ctr']})
    plan = plan_proposal(offer, PARAMIKO_5_1)
    assert "server_host_key_algorithms list is not known" in plan['unspeakable']


def test_different_directions_are_noted():
    offer = client_offer({'name': 'x', 'kex': ['ecdh-sha2-nistp256'], 'host_key': ['ssh-ed25519'],
                          'encryption_algorithms_client_to_server': ['aes128-ctr'],
                          'encryption_algorithms_server_to_client': ['aes256-ctr'],
                          'macs': ['hmac-sha2-256'], 'compression': ['none']})
    plan = plan_proposal(offer, PARAMIKO_5_1)
    assert plan['options']['ciphers'] == ['aes128-ctr']
    assert len(plan['notes']) == 1 and 'one cipher list for both directions' in plan['notes'][0]


def test_the_installed_paramiko_tables_are_read():
    capabilities = paramiko_capabilities()
    assert set(capabilities) == set(PARAMIKO_5_1)
    assert 'ssh-ed25519' in capabilities['key_types'] and 'ssh-rsa' not in capabilities['key_types']


@pytest.mark.parametrize('bad, message', [
    ('openssh-9.2', 'must be a dict'),
    ({'kex': 'curve25519-sha256,bad name'}, 'not a valid SSH algorithm name'),
    ({'kex': 42}, 'list of algorithm names'),
    ({'kex': ['x' * 80]}, 'not a valid SSH algorithm name'),
])
def test_client_lists_are_checked(bad, message):
    with pytest.raises(HandshakeInputError, match=message):
        client_offer(bad)


@pytest.mark.parametrize('bad', ['SHA256:abc def', 'MD5:aa:bb', 42, 'SHA256:' + 'A' * 80])
def test_fingerprints_are_checked(bad):
    with pytest.raises(HandshakeInputError):
        check_fingerprints([bad])


@pytest.mark.parametrize('kwargs, message', [
    (dict(host='127.0.0.1', port=22, clients=[]), 'non-empty list'),
    (dict(host='127.0.0.1', port=70000, clients=[{'kex': ['a']}]), 'port'),
    (dict(host='127.0.0.1', port=22, clients=[{'kex': ['a']}], timeout=0), 'timeout'),
    (dict(host='127.0.0.1', port=22, clients=[{'kex': ['a']}], expected_fingerprints='SHA256:x'), 'fingerprints'),
    (dict(host='bad host name!', port=22, clients=[{'kex': ['a']}]), 'host'),
])
def test_bad_input_is_a_failed_result_not_an_exception(kwargs, message):
    result = handshake_host(**kwargs)
    assert result['failed'] and result['reason'] == 'invalid_input' and message in result['msg']


def test_batch_options_are_checked():
    with pytest.raises(HandshakeInputError, match='concurrency'):
        handshake_many([], concurrency=0)
    with pytest.raises(HandshakeInputError, match='targets'):
        handshake_many('127.0.0.1')
    assert handshake_many([]) == []


def test_without_paramiko_every_client_says_so(monkeypatch):
    monkeypatch.setattr(handshake, 'HAS_PARAMIKO', False)
    result = handshake_host('127.0.0.1', 22, [{'name': 'a', 'kex': ['ecdh-sha2-nistp256']}])
    assert not result['failed']
    assert result['clients'][0]['error']['category'] == 'missing_library'
    assert result['clients'][0]['proven_by'] == 'prediction' and not result['clients'][0]['attempted']


def test_guarded_import_without_paramiko():
    """In a fresh interpreter where ``import paramiko`` fails, module_utils.handshake still imports."""
    code = ('import sys; sys.modules["paramiko"] = None\n'
            'from ansible_collections.fleetcrypto.sftp.plugins.module_utils import handshake as h\n'
            'assert not h.HAS_PARAMIKO and h.paramiko_capabilities() is None and h.paramiko_version() is None\n'
            'print("ok")\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=False)
    assert proc.stdout.strip() == 'ok', proc.stderr[-2000:]


@pytest.mark.parametrize('exc, lines, category', [
    (EOFError(), [], 'closed'),
    (socket.timeout('timed out'), [], 'timeout'),
    (paramiko.ssh_exception.IncompatiblePeer('Incompatible ssh peer (no acceptable host key)'), [], 'incompatible'),
    (paramiko.SSHException('Signature verification (rsa-sha2-512) failed.'), [], 'signature'),
    (paramiko.SSHException('Error reading SSH protocol banner[Errno 104] Connection reset by peer'), [], 'no_banner'),
    (paramiko.SSHException('Negotiation failed.'), ['Disconnect (code 2): bye'], 'disconnected'),
    (ConnectionRefusedError(111, 'Connection refused'), [], 'connection'),
    (paramiko.SSHException('Expecting packet from (31,), got 94'), [], 'protocol_error'),
])
def test_failure_categories(exc, lines, category):
    assert handshake._failure_category(exc, lines) == category  # pylint: disable=protected-access
