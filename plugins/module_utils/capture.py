# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture what SSH clients propose: listen, let clients connect, record each one's banner and KEXINIT.

Like ssh-audit's client mode. A client sends its identification line and its SSH_MSG_KEXINIT in the clear
(RFC 4253 sections 4.2 and 7.1) right after connecting, whatever the server offers, so recording them needs
no key exchange. We send a server identification line and a KEXINIT of our own (some clients wait for the
server's line first), read the client's, and close the connection: no key exchange is ever completed, no
credentials are ever asked for.

Plain Python (asyncio), no Ansible imports. Every wait is bounded: by ``timeout`` overall and by
``per_client_timeout`` for each connection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import os
import time

from .catalog import NAME_LIST_KEYS, SHORTHANDS
from .hello import HelloParser
from .probe import normalize_client_banner
from .wire import PeerError, build_kexinit, build_packet

DEFAULT_SERVER_BANNER = 'SSH-2.0-OpenSSH_9.9'
DEFAULT_ADDRESS = '127.0.0.1'
DEFAULT_PORT = 2222
DEFAULT_COUNT = 1
DEFAULT_TIMEOUT = 60.0
DEFAULT_PER_CLIENT_TIMEOUT = 10.0
MAX_CLIENTS = 100
MAX_TIMEOUT = 86400
MAX_PER_CLIENT_TIMEOUT = 3600

# What the capture server offers: a broad list, so that no client hangs up before sending its own KEXINIT
# because nothing matches. It is never used for a key exchange.
SERVER_OFFER = {
    'kex_algorithms': ['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256',
                       'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
                       'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512',
                       'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1',
                       'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
    'server_host_key_algorithms': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
                                   'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
    'encryption_algorithms_client_to_server': [
        'chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr',
        'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-ctr', '3des-cbc', 'blowfish-cbc'],
    'mac_algorithms_client_to_server': [
        'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'umac-128-etm@openssh.com',
        'hmac-sha2-256', 'hmac-sha2-512', 'umac-128@openssh.com', 'umac-64@openssh.com', 'hmac-sha1', 'hmac-sha1-96',
        'hmac-md5'],
    'compression_algorithms_client_to_server': ['none', 'zlib@openssh.com', 'zlib'],
}
# The same lists in the other direction.
for _c2s, _s2c in (SHORTHANDS[short] for short in ('ciphers', 'macs', 'compression')):
    SERVER_OFFER[_s2c] = SERVER_OFFER[_c2s]


# Products whose profiles are named by release line (major.minor): their default proposals change between
# release lines, not in patch releases (OpenSSH's portable "p1", paramiko/AsyncSSH/libssh2 bug-fix releases).
_NAMED_BY_RELEASE_LINE = ('OpenSSH', 'paramiko', 'AsyncSSH', 'libssh2', 'libssh')


def profile_name(software):
    """``<product>-<version>`` in lower case, as the profile library names profiles (``openssh-9.2``)."""
    product = software.get('product') or 'unknown'
    version = software.get('version')
    if not version:
        return product.lower().replace(' ', '-')
    if product in _NAMED_BY_RELEASE_LINE:
        version = '.'.join(version.split('p')[0].split('.')[:2])
    return '%s-%s' % (product.lower().replace(' ', '-'), version.lower())


def _as_profile(hello, peer):
    software = hello.software
    record = {
        'peer': '%s:%d' % (peer[0], peer[1]) if peer else None,
        'banner': hello.banner,
        'software': software,
        'offer': hello.offer,
        'strict_kex': hello.strict_kex,
        'ext_info': hello.ext_info,
        'protocol_warnings': list(hello.warnings),
    }
    profile = {'name': profile_name(software), 'banner': hello.banner,
               'software': {'product': software['product'], 'version': software['version']},
               'source': 'captured on the wire by fleetcrypto.sftp.client_capture'}
    profile.update({key: list(hello.offer[key]) for key in NAME_LIST_KEYS})
    if hello.empty_entries:
        profile['empty_entries'] = dict(hello.empty_entries)
    record['profile'] = profile
    return record


async def _read_client(reader, writer, greeting, per_client_timeout):
    parser = HelloParser('client')
    writer.write(greeting)

    async def read():
        while True:
            data = await reader.read(65536)
            if not data:
                parser.eof()
            hello = parser.feed(data)
            if hello is not None:
                return hello
    return await asyncio.wait_for(read(), per_client_timeout)


def _check_seconds(name, value, maximum):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= maximum:
        raise ValueError('%s must be a number of seconds above 0 and at most %d, got %r' % (name, maximum, value))


def check_options(port=DEFAULT_PORT, count=DEFAULT_COUNT, timeout=DEFAULT_TIMEOUT,
                  per_client_timeout=DEFAULT_PER_CLIENT_TIMEOUT, server_banner=DEFAULT_SERVER_BANNER):
    """Validate the listener's options; return the identification line to send. Raises ``ValueError``.

    This module owns these checks: the client_capture module's argument_spec only converts types, so direct
    callers (the scripts, the lab) and the module get the same checks and messages.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError('invalid port %r: must be an integer from 1 to 65535, or 0 for any free port' % (port,))
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CLIENTS:
        raise ValueError('count must be an integer from 1 to %d, got %r' % (MAX_CLIENTS, count))
    _check_seconds('timeout', timeout, MAX_TIMEOUT)
    _check_seconds('per_client_timeout', per_client_timeout, MAX_PER_CLIENT_TIMEOUT)
    try:
        return normalize_client_banner(server_banner)
    except ValueError:
        raise ValueError('server_banner %r is not a valid SSH-2.0 identification string (RFC 4253 section 4.2)'
                         % (server_banner,))


async def capture_clients_async(address=DEFAULT_ADDRESS, port=DEFAULT_PORT, count=DEFAULT_COUNT, timeout=DEFAULT_TIMEOUT,
                                per_client_timeout=DEFAULT_PER_CLIENT_TIMEOUT, server_banner=DEFAULT_SERVER_BANNER,
                                on_listening=None):
    """Listen on ``address``:``port`` until ``count`` clients were recorded or ``timeout`` passed.

    Returns ``{'clients': [...], 'errors': [...], 'port': bound port, 'timed_out': bool}``. Each client has
    ``peer``, ``banner``, ``software``, ``offer``, ``strict_kex``, ``ext_info`` and a ready-to-use
    ``profile``. Connections that are not SSH clients are listed in ``errors`` and do not count. Port 0
    listens on any free port (``on_listening`` is called with it). Bad options raise ``ValueError``
    (see :func:`check_options`).
    """
    banner = check_options(port, count, timeout, per_client_timeout, server_banner)
    greeting = (banner + '\r\n').encode('ascii') + build_packet(build_kexinit(SERVER_OFFER, os.urandom(16)))
    clients, errors = [], []
    enough = asyncio.Event()

    async def handle(reader, writer):
        peer = writer.get_extra_info('peername')
        started = time.monotonic()
        try:
            if enough.is_set():
                return
            hello = await _read_client(reader, writer, greeting, per_client_timeout)
            if not enough.is_set():
                clients.append(_as_profile(hello, peer))
                if len(clients) >= count:
                    enough.set()
        except PeerError as exc:
            errors.append({'peer': '%s:%d' % peer[:2] if peer else None, 'reason': exc.reason, 'msg': exc.msg})
        except asyncio.TimeoutError:
            errors.append({'peer': '%s:%d' % peer[:2] if peer else None, 'reason': 'timeout',
                           'msg': 'no complete client KEXINIT within %g s' % (time.monotonic() - started)})
        except OSError as exc:
            errors.append({'peer': '%s:%d' % peer[:2] if peer else None, 'reason': 'reset', 'msg': str(exc)})
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(handle, address, port, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    if on_listening is not None:
        on_listening(bound)
    try:
        await asyncio.wait_for(enough.wait(), timeout)
        timed_out = False
    except asyncio.TimeoutError:
        timed_out = True
    finally:
        server.close()
        await server.wait_closed()
    return {'clients': clients[:count], 'errors': errors, 'port': bound, 'timed_out': timed_out}


def capture_clients(**options):
    """Synchronous :func:`capture_clients_async`."""
    return asyncio.run(capture_clients_async(**options))
