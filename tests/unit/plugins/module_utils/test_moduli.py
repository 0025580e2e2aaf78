# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The group-exchange prober: SSH_MSG_KEX_DH_GEX_GROUP parsing, and the whole request against small asyncio
servers on 127.0.0.1 that answer well, with junk, or not at all."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import struct
import time

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.host_keys import modp_prime
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.moduli import (
    EXCHANGES_PER_SERVER,
    MAX_GROUP_BITS,
    REQUESTS,
    gather_moduli_async,
    parse_group,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import (
    PeerError,
    build_kexinit,
    build_packet,
    encode_mpint,
    encode_string,
)

GROUP14 = modp_prime('diffie-hellman-group14-sha256')      # 2048 bits, RFC 3526 section 3
GROUP16 = modp_prime('diffie-hellman-group16-sha512')      # 4096 bits, RFC 3526 section 5
OFFER = {
    'kex_algorithms': ['curve25519-sha256', 'diffie-hellman-group-exchange-sha256',
                       'diffie-hellman-group-exchange-sha1'],
    'server_host_key_algorithms': ['ssh-ed25519'],
    'encryption_algorithms_client_to_server': ['aes128-ctr'],
    'encryption_algorithms_server_to_client': ['aes128-ctr'],
    'mac_algorithms_client_to_server': ['hmac-sha2-256'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256'],
    'compression_algorithms_client_to_server': ['none'],
    'compression_algorithms_server_to_client': ['none'],
    'languages_client_to_server': [],
    'languages_server_to_client': [],
}
BANNER_LINE = 'SSH-2.0-fleetcrypto_test'


def group_payload(prime, generator=2, msg=31):
    return bytes(bytearray([msg])) + encode_mpint(prime) + encode_mpint(generator)


def test_parse_group_reads_p_and_g():
    assert parse_group(group_payload(GROUP14)) == (GROUP14, 2)
    assert parse_group(group_payload(GROUP16, 5))[0].bit_length() == 4096


@pytest.mark.parametrize('payload,message', [
    (b'', 'got message none'),
    (group_payload(GROUP14, msg=33), 'got message 33'),
    (group_payload(GROUP14)[:3], 'ends before the length of p'),
    (group_payload(GROUP14)[:40], 'claims 257 bytes'),
    (b'\x1f' + struct.pack('>I', 1000) + b'\x01' * 10, 'claims 1000 bytes'),
    (group_payload((1 << 20000) + 1), 'over the %d-bit limit' % MAX_GROUP_BITS),
    (group_payload(GROUP14 + 1), 'not an odd number'),
    (b'\x1f' + encode_string(b'\x80' + b'\x00' * 255) + encode_mpint(2), 'not an odd number'),  # negative p
    (group_payload(GROUP14, 1), 'generator'),
    (group_payload(GROUP14, GROUP14 - 1), 'generator'),
])
def test_parse_group_refuses_junk(payload, message):
    with pytest.raises(PeerError) as info:
        parse_group(payload)
    assert info.value.reason == 'protocol_error' and message in info.value.msg


class FakeGexServer:
    """Answers every connection with a banner and a KEXINIT, reads the client's packets until its GEX request
    (message 34), then does what ``reply(min, n, max)`` returns: bytes to send, None to close, or ``'hold'`` to
    wait until the client hangs up; ``(bytes, 'close')`` sends and closes. With ``greeting``, sends only that and closes. ``peak`` is the most requests
    waiting for their reply at once (each reply is held back 50 ms)."""

    def __init__(self, reply, greeting=None):
        self.reply = reply
        self.greeting = greeting
        self.requests = []
        self.pending = self.peak = 0

    async def _drain_until_eof(self, reader):
        try:
            while await asyncio.wait_for(reader.read(4096), 10):
                pass
        except (asyncio.TimeoutError, ConnectionError):
            pass

    async def handle(self, reader, writer):
        try:
            if self.greeting is not None:
                writer.write(self.greeting)
                writer.write_eof()  # FIN, then read: closing with unread data would send a reset
                await self._drain_until_eof(reader)
                return
            writer.write(b'SSH-2.0-FakeGex_1.0\r\n' + build_packet(build_kexinit(OFFER)))
            await reader.readline()
            while True:
                length, padding = struct.unpack('>IB', await reader.readexactly(5))
                payload = (await reader.readexactly(length - 1))[:length - 1 - padding]
                if payload[:1] == b'\x22':
                    break
            request = struct.unpack('>III', payload[1:13])
            self.requests.append(request)
            answer = self.reply(*request)
            if answer == 'hold':
                await self._drain_until_eof(reader)
                return
            if answer is None:
                writer.write_eof()
                await self._drain_until_eof(reader)
                return
            then_close = isinstance(answer, tuple)
            answer = answer[0] if then_close else answer
            self.pending += 1
            self.peak = max(self.peak, self.pending)
            await asyncio.sleep(0.05)
            self.pending -= 1
            writer.write(answer)
            if then_close:
                writer.write_eof()
            await writer.drain()
            await self._drain_until_eof(reader)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def run_against(reply, greeting=None, timeout=5.0, offer=None):
    server = FakeGexServer(reply, greeting)
    offer = OFFER if offer is None else offer

    async def main():
        listener = await asyncio.start_server(server.handle, '127.0.0.1', 0)
        port = listener.sockets[0].getsockname()[1]
        try:
            return await gather_moduli_async('127.0.0.1', port, offer, BANNER_LINE, timeout)
        finally:
            listener.close()
            await listener.wait_closed()
    moduli, error = asyncio.run(main())
    return moduli, error, server


def test_each_method_and_request_once_with_bounded_concurrency():
    def reply(minimum, preferred, maximum):
        return build_packet(group_payload(GROUP16 if maximum >= 4096 else GROUP14))
    moduli, error, server = run_against(reply)
    assert error is None
    assert [item['kex'] for item in moduli['methods']] == ['diffie-hellman-group-exchange-sha256',
                                                           'diffie-hellman-group-exchange-sha1']
    assert sorted(server.requests) == sorted([request[1:] for request in REQUESTS] * 2)
    assert server.peak == EXCHANGES_PER_SERVER
    first = moduli['methods'][0]['requests']
    assert [(item['name'], item['bits'], item['in_range']) for item in first] == [
        ('ssh_audit_small', 2048, False), ('exact_2048', 2048, True), ('ssh_audit_second_pass', 4096, True),
        ('openssh_client', 4096, True)]
    assert (moduli['smallest'], moduli['largest']) == (2048, 4096)


def test_refusing_small_requests_is_per_request():
    moduli, error, _server = run_against(lambda lo, n, hi: None if hi < 2048 else build_packet(group_payload(GROUP14)))
    assert error is None
    small = moduli['methods'][0]['requests'][0]
    assert small['reason'] == 'closed' and 'bits' not in small and 'DH_GRP_MIN' in small['error']
    assert moduli['smallest'] == 2048


@pytest.mark.parametrize('reply,reason,text', [
    (lambda lo, n, hi: build_packet(group_payload(1 << 20000 | 1)), 'protocol_error', 'over the 16384-bit limit'),
    (lambda lo, n, hi: build_packet(group_payload(GROUP14, msg=33)), 'protocol_error', 'got 33'),
    (lambda lo, n, hi: (build_packet(group_payload(GROUP14))[:30], 'close'), 'closed', 'closed the connection'),
    (lambda lo, n, hi: build_packet(b'\x01' + struct.pack('>I', 11) + encode_string(b'go away') + encode_string(b'')),
     'disconnected', 'go away'),
    (lambda lo, n, hi: None, 'closed', 'closed the connection'),
])
def test_hostile_group_replies_give_moduli_error_not_an_exception(reply, reason, text):
    moduli, error, _server = run_against(reply)
    assert moduli['smallest'] is None and error.startswith('refused: no group-exchange request got a group')
    for method in moduli['methods']:
        for item in method['requests']:
            assert item['reason'] == reason and text in item['error'], item


def test_silent_server_is_bounded_by_the_timeout():
    offer = dict(OFFER, kex_algorithms=['diffie-hellman-group-exchange-sha256'])
    started = time.monotonic()
    moduli, error, _server = run_against(lambda lo, n, hi: 'hold', timeout=0.5, offer=offer)
    assert time.monotonic() - started < 5
    assert moduli['smallest'] is None and error.startswith('refused:')
    reasons = set(item['reason'] for item in moduli['methods'][0]['requests'])
    assert reasons == {'timeout'}, moduli


def test_throttled_server_is_named():
    moduli, error, _server = run_against(None, greeting=b'Exceeded MaxStartups\r\n')
    assert error.startswith('throttled:'), error


def test_no_group_exchange_offered_means_no_connection():
    offer = dict(OFFER, kex_algorithms=['curve25519-sha256'])
    moduli, error = asyncio.run(gather_moduli_async('127.0.0.1', 9, offer, BANNER_LINE, 1.0))
    assert moduli == {'methods': [], 'smallest': None, 'largest': None} and error is None
