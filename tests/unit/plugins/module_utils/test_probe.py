# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's failure classification against real sockets on 127.0.0.1 (no mocks), its input checks, and the
modules' documented defaults against the node-side constants.

Every server is a small asyncio server on a free port (port 0) of 127.0.0.1, started and stopped in the same
event loop as the probe; no name is ever resolved on the network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import contextlib
import errno
import socket
import struct

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.module_utils import capture
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import (
    DEFAULT_CLIENT_BANNER,
    DEFAULT_CONCURRENCY,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    REASONS,
    _connect_error,
    _HelloProtocol,
    _Progress,
    _timeout_error,
    probe,
    probe_async,
    probe_many,
    probe_many_async,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import (
    MSG_DISCONNECT,
    build_kexinit,
    build_packet,
    encode_string,
)
from ansible_collections.fleetcrypto.sftp.plugins.modules import algorithms_info, client_capture

BANNER = b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'
OFFER = {
    'kex_algorithms': ['curve25519-sha256', 'kex-strict-s-v00@openssh.com'],
    'server_host_key_algorithms': ['ssh-ed25519'],
    'encryption_algorithms_client_to_server': ['aes256-ctr'],
    'encryption_algorithms_server_to_client': ['aes256-ctr'],
    'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com'],
    'compression_algorithms_client_to_server': ['none'],
    'compression_algorithms_server_to_client': ['none'],
}
DISCONNECT = build_packet(struct.pack('>BI', MSG_DISCONNECT, 2) + encode_string(b'Too many connections')
                          + encode_string(b''))


def peer(reply, linger=False):
    """A server that reads the client's identification line, sends ``reply``, then closes (or, with ``linger``,
    waits for the client to hang up). The line is read first so that closing never resets the connection."""
    seen = []

    async def handle(reader, writer):
        try:
            seen.append(await reader.readline())
            if reply:
                writer.write(reply)
                await writer.drain()
            if linger:
                await reader.read()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
    handle.seen = seen
    return handle


@contextlib.asynccontextmanager
async def serving(handler):
    server = await asyncio.start_server(handler, '127.0.0.1', 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def probe_peer(reply, linger=False, **options):
    handler = peer(reply, linger)

    async def main():
        async with serving(handler) as port:
            return await probe_async('127.0.0.1', port, **dict({'timeout': 5}, **options))
    return asyncio.run(main()), handler.seen


def test_success_returns_the_offer_and_sends_our_banner():
    result, seen = probe_peer(BANNER + build_packet(build_kexinit(OFFER)), client_banner='JSCH-0.1.54')
    assert seen == [b'SSH-2.0-JSCH-0.1.54\r\n']
    assert result['failed'] is False and result['address'] == '127.0.0.1'
    assert result['banner'] == BANNER.decode().strip() and result['software']['product'] == 'OpenSSH'
    assert {key: result['offer'][key] for key in OFFER} == OFFER and result['strict_kex'] is True
    assert set(NAME_LIST_KEYS) <= set(result['offer'])


@pytest.mark.parametrize('reply,linger,reason,message', [
    (b'HTTP/1.1 200 OK\r\n', False, 'not_ssh', 'the service is an HTTP service, not SSH'),
    (b'', False, 'closed', 'the server closed the connection without sending anything'),
    (BANNER, False, 'closed', 'after its identification line, before its KEXINIT'),
    (b'Exceeded MaxStartups\r\n', False, 'throttled', '"Exceeded MaxStartups"'),
    (BANNER + DISCONNECT, True, 'disconnected', 'server disconnected before key exchange: code 2: Too many connections'),
    (b'SSH-1.5-OpenSSH_3.0\r\n', True, 'ssh1_only', 'server speaks only SSH protocol 1.5'),
    (BANNER + build_packet(b'\x63' + b'\x00' * 8), True, 'protocol_error', 'expected SSH_MSG_KEXINIT (20)'),
    (b'SSH-2.0\r\n', True, 'protocol_error', 'identification line without software version'),
])
def test_peer_failures_are_classified(reply, linger, reason, message):
    result, seen = probe_peer(reply, linger)
    assert seen == [('%s\r\n' % DEFAULT_CLIENT_BANNER).encode()]
    assert result['failed'] is True and result['reason'] == reason, result
    assert message in result['msg'] and result['address'] == '127.0.0.1' and result['elapsed_ms'] >= 0
    if reason in ('disconnected', 'protocol_error') and reply.startswith(BANNER):
        assert result['banner'] == BANNER.decode().strip()


def test_refused_on_a_port_bound_but_not_listening():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(('127.0.0.1', 0))
        port = held.getsockname()[1]
        result = probe('127.0.0.1', port, timeout=5)
    assert result['reason'] == 'refused', result
    assert result['msg'] == 'connection refused by 127.0.0.1 port %d: nothing listens there' % port


@pytest.mark.parametrize('reply,message', [
    (b'', 'connected to 127.0.0.1 port %d but received no SSH identification line within 0.3 s'),
    (BANNER, 'received the identification line of 127.0.0.1 port %d but no complete KEXINIT within 0.3 s'),
])
def test_a_silent_server_times_out(reply, message):
    handler = peer(reply, linger=True)

    async def main():
        async with serving(handler) as port:
            return port, await probe_async('127.0.0.1', port, timeout=0.3)
    port, result = asyncio.run(main())
    assert result['reason'] == 'timeout' and result['msg'] == message % port, result
    assert 300 <= result['elapsed_ms'] < 3000


@pytest.mark.parametrize('host,port,options,message', [
    ('127.0.0.1', 0, {}, 'invalid port 0 for host 127.0.0.1: must be an integer from 1 to 65535'),
    ('127.0.0.1', 70000, {}, 'invalid port 70000 for host 127.0.0.1'),
    ('127.0.0.1', '22', {}, "invalid port '22'"),
    ('127.0.0.1', True, {}, 'invalid port True'),
    ('', 22, {}, "invalid host ''"),
    (None, 22, {}, 'invalid host None'),
    ('127.0.0.1\nPermitRootLogin yes', 22, {}, 'invalid host'),
    ('127.0.0.1', 22, {'client_banner': 'OpenSSH_9.6\nPermitRootLogin yes'}, 'client_banner'),
    ('127.0.0.1', 22, {'client_banner': 'SSH-1.5-old'}, 'not a valid SSH-2.0 identification string'),
    ('127.0.0.1', 22, {'timeout': 0}, 'timeout must be a number of seconds above 0 and at most 3600, got 0'),
    ('127.0.0.1', 22, {'timeout': 3601}, 'at most 3600'),
    ('127.0.0.1', 22, {'timeout': '5'}, "got '5'"),
    ('127.0.0.1', 22, {'address_family': 'ipx'}, 'address_family must be one of any, ipv4, ipv6'),
    ('127.0.0.1', 22, {'address_family': 'ipv6'}, 'not of the requested address family'),
])
def test_invalid_input_is_reported_not_raised(host, port, options, message):
    result = probe(host, port, **options)
    assert result['failed'] is True and result['reason'] == 'invalid_input', result
    assert message in result['msg'] and 'address' not in result


@pytest.mark.parametrize('host', ['bad..name', 'x' * 64 + '.invalid'])
def test_an_invalid_name_fails_in_the_resolver_library(host):
    # The IDNA codec refuses empty and over-long labels before any query leaves the machine.
    result = probe(host, 22, timeout=3)
    assert result['reason'] == 'dns' and result['msg'].startswith('cannot resolve %s: not a valid host name' % host)


def test_batch_keeps_order_and_one_bad_host_does_not_abort():
    good, http, silent = peer(BANNER + build_packet(build_kexinit(OFFER))), peer(b'HTTP/1.1 200 OK\r\n'), peer(b'', True)

    async def main():
        async with serving(good) as good_port, serving(http) as http_port, serving(silent) as silent_port:
            targets = [{'host': '127.0.0.1', 'port': http_port}, {'host': 'bad host'}, {'host': '127.0.0.1'},
                       {'host': '127.0.0.1', 'port': silent_port}, {'host': '127.0.0.1', 'port': 0}, 'not a dict',
                       {'host': '127.0.0.1', 'port': good_port}]
            return good_port, await probe_many_async(targets, concurrency=2, port=good_port, timeout=0.5)
    good_port, results = asyncio.run(main())
    assert [item.get('reason') for item in results] == [
        'not_ssh', 'invalid_input', None, 'timeout', 'invalid_input', 'invalid_input', None]
    assert results[2]['port'] == good_port and results[2]['offer']['kex_algorithms'] == OFFER['kex_algorithms']
    assert results[4]['msg'].startswith('invalid port 0 for host 127.0.0.1')  # port 0 is not "the default port"
    assert "invalid target 'not a dict'" in results[5]['msg']
    assert all(item['reason'] in REASONS for item in results if item['failed'])


@pytest.mark.parametrize('concurrency,options,message', [
    (0, {}, 'concurrency must be an integer from 1 to 1024, got 0'),
    (True, {}, 'concurrency must be an integer from 1 to 1024, got True'),
    (8, {'port': 70000}, 'invalid port 70000: must be an integer from 1 to 65535'),
    (8, {'timeout': -1}, 'timeout must be a number of seconds above 0'),
    (8, {'client_banner': 'a b\r\n'}, 'client_banner'),
])
def test_bad_shared_batch_options_raise(concurrency, options, message):
    with pytest.raises(ValueError, match='^' + message.replace('(', r'\(')):
        probe_many([{'host': '127.0.0.1', 'port': 1}], concurrency, **options)


def test_connect_error_messages():
    refused = _connect_error(ConnectionRefusedError(errno.ECONNREFUSED, 'Connection refused'), 'sftp', 22, '192.0.2.1')
    assert (refused.reason, refused.msg) == ('refused', 'connection refused by sftp (192.0.2.1) port 22: nothing listens there')
    reset = _connect_error(ConnectionResetError(errno.ECONNRESET, 'reset'), '192.0.2.1', 2222, '192.0.2.1')
    assert (reset.reason, reset.msg) == ('reset', 'connection to 192.0.2.1 port 2222 was reset by the server')
    unreachable = _connect_error(OSError(errno.EHOSTUNREACH, 'No route to host'), 'sftp', 22, None)
    assert (unreachable.reason, unreachable.msg) == ('unreachable', 'cannot reach sftp port 22: No route to host')
    other = _connect_error(OSError(errno.EACCES, 'Permission denied'), 'sftp', 22, 'sftp')
    assert (other.reason, other.msg) == ('unreachable', 'cannot connect to sftp port 22: Permission denied')


def test_timeout_error_says_what_it_waited_for():
    progress = _Progress()
    assert _timeout_error(progress, 2, 'sftp', 22).msg == 'resolving sftp took longer than 2 s'
    progress.stage = 'connecting'
    assert _timeout_error(progress, 2.5, 'sftp', 22).msg == 'no TCP connection to sftp port 22 within 2.5 s'
    progress.stage = 'reading'
    progress.protocol = _HelloProtocol(b'', None)
    error = _timeout_error(progress, 2, 'sftp', 22)
    assert error.msg == 'connected to sftp port 22 but received no SSH identification line within 2 s'
    assert error.banner is None
    progress.protocol.parser.feed(BANNER)
    error = _timeout_error(progress, 2, 'sftp', 22)
    assert error.reason == 'timeout' and error.banner == BANNER.decode().strip()
    assert error.msg == 'received the identification line of sftp port 22 but no complete KEXINIT within 2 s'


def documented_defaults(module):
    return {name: spec.get('default') for name, spec in yaml.safe_load(module.DOCUMENTATION)['options'].items()}


def test_module_defaults_are_the_node_side_constants():
    documented = documented_defaults(algorithms_info)
    assert documented == {name: spec.get('default') for name, spec in algorithms_info.ARGUMENT_SPEC.items()}
    assert (documented['client_banner'], documented['port'], documented['timeout'], documented['concurrency']) == (
        DEFAULT_CLIENT_BANNER, DEFAULT_PORT, DEFAULT_TIMEOUT, DEFAULT_CONCURRENCY)
    assert sorted(algorithms_info.ARGUMENT_SPEC['address_family']['choices']) == sorted(
        yaml.safe_load(algorithms_info.DOCUMENTATION)['options']['address_family']['choices'])
    documented = documented_defaults(client_capture)
    assert documented == {name: spec.get('default') for name, spec in client_capture.ARGUMENT_SPEC.items()}
    assert (documented['listen_address'], documented['port'], documented['count'], documented['timeout'],
            documented['per_client_timeout'], documented['server_banner']) == (
        capture.DEFAULT_ADDRESS, capture.DEFAULT_PORT, capture.DEFAULT_COUNT, capture.DEFAULT_TIMEOUT,
        capture.DEFAULT_PER_CLIENT_TIMEOUT, capture.DEFAULT_SERVER_BANNER)


@pytest.mark.parametrize('options,message', [
    ({'port': 70000}, 'invalid port 70000: must be an integer from 1 to 65535, or 0 for any free port'),
    ({'count': 0}, 'count must be an integer from 1 to 100, got 0'),
    ({'timeout': 0}, 'timeout must be a number of seconds above 0 and at most 86400, got 0'),
    ({'per_client_timeout': 3601}, 'per_client_timeout must be a number of seconds above 0 and at most 3600'),
    ({'server_banner': 'SSH-2.0-x\r\ny'}, 'server_banner'),
])
def test_capture_options_are_checked_before_listening(options, message):
    with pytest.raises(ValueError) as info:
        capture.capture_clients(**dict({'port': 0, 'timeout': 1}, **options))
    assert str(info.value).startswith(message)
