# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host-key gathering and the host_keys check against real servers on 127.0.0.1.

A real sshd with an RSA 1024 key + Ed25519 fails the check under every baseline (as ssh-audit 3.9 fails it:
"using small 1024-bit modulus"); a peer that answers the key exchange with a hostile key blob and an sshd that
throttles the extra connections get a per-host error for the host-key check only, while the offer stands.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile
import threading

import pytest

from lab.servers import LOOPBACK, Service, Sshd, accept_until, keygen, loopback_listener

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import build_kexinit, build_packet, encode_string
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate

OFFER = {
    'kex_algorithms': ['curve25519-sha256'],
    'server_host_key_algorithms': ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'],
    'encryption_algorithms_client_to_server': ['aes256-ctr'], 'encryption_algorithms_server_to_client': ['aes256-ctr'],
    'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com'],
    'compression_algorithms_client_to_server': ['none'], 'compression_algorithms_server_to_client': ['none'],
    'languages_client_to_server': [], 'languages_server_to_client': [],
}


class HostileKeyServer(Service):
    """Sends a valid offer, then at once a key-exchange reply (SSH_MSG_KEX_ECDH_REPLY, RFC 5656 section 4) whose
    host key blob is ``blob``. With ``blob`` None it throttles instead: the first connection gets the offer, every
    later one sshd's "Exceeded MaxStartups" line and a close. Every connection is bounded: 5 s, then closed."""

    def __init__(self, blob):
        self.blob = blob
        self.port = None
        self.connections = 0
        self._stopping = threading.Event()
        self._sock = None

    def start(self):
        self._sock = loopback_listener()
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=accept_until, args=(self._sock, self._stopping, self._serve), daemon=True).start()
        return self

    def _serve(self, conn):
        self.connections += 1
        throttled = self.blob is None and self.connections > 1

        def run():
            try:
                conn.settimeout(5)
                if throttled:
                    conn.sendall(b'Exceeded MaxStartups\r\n')
                    return
                reply = b'' if self.blob is None else build_packet(b'\x1f' + encode_string(self.blob) + encode_string(b'\x09' * 32)
                                                                   + encode_string(encode_string(b'ssh-ed25519') + encode_string(b's' * 64)))
                conn.sendall(b'SSH-2.0-HostileKeys_1.0\r\n' + build_packet(build_kexinit(OFFER, b'\x33' * 16)) + reply)
                while conn.recv(4096):
                    pass
            except OSError:
                pass
            finally:
                conn.close()
        threading.Thread(target=run, daemon=True).start()

    def stop(self):
        self._stopping.set()
        if self._sock:
            self._sock.close()


@pytest.fixture(scope='module')
def weak_sshd():
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-weak-sshd-')
    try:
        keygen(os.path.join(workdir, 'host_rsa'), 'rsa', 1024)
        with Sshd(host_key_types=('rsa', 'ed25519'), workdir=workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_weak_rsa_key_is_gathered_once_and_fails_every_baseline(weak_sshd):
    result = probe(LOOPBACK, weak_sshd.port, timeout=10, host_keys=True)
    assert not result['failed'], result
    assert 'host_keys_error' not in result
    by_type = {key['type']: key for key in result['host_keys']}
    assert set(by_type) == {'ssh-rsa', 'ssh-ed25519'}  # one exchange per key, not per algorithm
    rsa = by_type['ssh-rsa']
    assert rsa['bits'] == 1024 and rsa['certificate'] is None and rsa['curve'] is None
    assert rsa['algorithms'] == ['rsa-sha2-512', 'rsa-sha2-256']
    for baseline in ('modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'):
        check = evaluate(result, baseline)['checks']['host_keys']
        assert check['status'] == 'failed', (baseline, check)
        fail = [item for item in check['findings'] if item['rating'] == 'fail']
        assert fail and '1024 bits' in fail[0]['reason'] and 'ssh-keygen -t rsa' in fail[0]['fix'], check


def test_without_gathering_the_check_does_not_run(weak_sshd):
    result = probe(LOOPBACK, weak_sshd.port, timeout=10)
    check = evaluate(result, 'modern')['checks']['host_keys']
    assert check['status'] == 'not_run' and 'host_keys=true' in check['message']


@pytest.mark.parametrize('blob, message', [
    (encode_string(b'ssh-ed25519') + encode_string(b'\x01' * 31), 'not 32 bytes'),
    (encode_string(b'ssh-ed25519\x1b[2J'), 'not a printable key type'),
    (encode_string(b'ecdsa-sha2-nistp256') + encode_string(b'nistp384') + encode_string(b'\x04' + b'\x01' * 64),
     'does not match'),
])
def test_hostile_key_blob_is_a_host_key_error_only(blob, message):
    with HostileKeyServer(blob) as peer:
        result = probe(LOOPBACK, peer.port, timeout=5, host_keys=True)
    assert not result['failed'], result
    assert result['offer']['server_host_key_algorithms'] == OFFER['server_host_key_algorithms']
    assert 'no host key could be fetched (protocol_error)' in result['host_keys_error']
    assert all(message in key['error'] for key in result['host_keys']), result['host_keys']
    assert all(0x20 <= ord(ch) < 0x7f for ch in result['host_keys_error'])
    verdict = evaluate(result, 'modern')
    assert verdict['checks']['host_keys']['status'] == 'not_run'
    assert 'protocol_error' in verdict['checks']['host_keys']['message']


def test_key_of_another_type_is_refused_for_that_algorithm_only():
    """A server answering every key exchange with one RSA key: the RSA algorithms get it, Ed25519 gets an error."""
    rsa = encode_string(b'ssh-rsa') + encode_string(b'\x01\x00\x01') + encode_string(b'\x00' + b'\xc3' * 256)
    with HostileKeyServer(rsa) as peer:
        result = probe(LOOPBACK, peer.port, timeout=5, host_keys=True)
    assert 'host_keys_error' not in result, result
    by_algorithm = {key['algorithm']: key for key in result['host_keys']}
    assert 'answered host-key algorithm ssh-ed25519 with a ssh-rsa key' in by_algorithm['ssh-ed25519']['error']
    assert by_algorithm['rsa-sha2-512']['bits'] == 2048


def test_throttling_server_is_a_host_key_error_only():
    """The first connection (the offer probe) is served; every later one is turned away as sshd does when
    MaxStartups is exceeded: the offer stands, the host-key check cannot run."""
    with HostileKeyServer(None) as peer:
        result = probe(LOOPBACK, peer.port, timeout=5, host_keys=True)
    assert not result['failed'] and result['offer']['kex_algorithms'] == OFFER['kex_algorithms'], result
    assert result['host_keys_error'].startswith('no host key could be fetched'), result
    assert evaluate(result, 'modern')['checks']['host_keys']['status'] == 'not_run'
