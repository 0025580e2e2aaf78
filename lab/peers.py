# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-process SSH peers on 127.0.0.1: a hostile/misbehaving server and a real paramiko server.

The hostile server plays one named scenario per listening socket (see :data:`SCENARIOS`), each a way real
networks and broken or malicious servers deviate from RFC 4253, together with the probe outcome it must
produce (``expect``: the ``reason`` code, or ``None`` for a successful probe).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import struct
import threading

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import build_kexinit, build_packet

from .servers import LOOPBACK, Service, accept_until, loopback_listener

BANNER = b'SSH-2.0-HostilePeer_1.0\r\n'
OFFER = {
    'kex_algorithms': ['curve25519-sha256', 'diffie-hellman-group14-sha256', 'kex-strict-s-v00@openssh.com'],
    'server_host_key_algorithms': ['ssh-ed25519', 'rsa-sha2-256'],
    'encryption_algorithms_client_to_server': ['aes256-ctr', 'aes256-cbc'],
    'encryption_algorithms_server_to_client': ['aes256-ctr', 'aes256-cbc'],
    'mac_algorithms_client_to_server': ['hmac-sha2-256', 'hmac-sha1'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256', 'hmac-sha1'],
    'compression_algorithms_client_to_server': ['none'],
    'compression_algorithms_server_to_client': ['none'],
    'languages_client_to_server': [],
    'languages_server_to_client': [],
}
KEXINIT = build_packet(build_kexinit(OFFER, cookie=b'\x11' * 16))


def _raw_kexinit(lists, tail=b'\x00\x00\x00\x00\x00'):
    """KEXINIT from raw name-list byte strings (to build malformed ones)."""
    body = b'\x14' + b'\x22' * 16 + b''.join(struct.pack('>I', len(item)) + item for item in lists) + tail
    return build_packet(body)


def _recv_line(conn, limit=512):
    data = b''
    while not data.endswith(b'\n') and len(data) < limit:
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def _drip(conn, data, chunk=7):
    for start in range(0, len(data), chunk):
        conn.sendall(data[start:start + chunk])


def _endless(conn, piece, limit_bytes=4 * 1024 * 1024):
    """Send ``piece`` over and over until the client leaves (bounded so a test can never hang on it)."""
    sent = 0
    try:
        while sent < limit_bytes:
            conn.sendall(piece)
            sent += len(piece)
    except OSError:
        pass


def _hold(conn):
    """Keep the connection open, saying nothing, until the client leaves."""
    while conn.recv(4096):
        pass


def _reset(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))


_EMPTY_LISTS = [b''] * 10
_BAD_NAME = [b'curve25519-sha256', b'ssh-ed25519', b'aes256-ctr', b'aes256-ctr', b'hmac-sha2-256\xc3\xa9',
             b'hmac-sha2-256', b'none', b'none', b'', b'']
_NEWLINE_NAME = [b'curve25519-sha256', b'ssh-ed25519', b'aes128-ctr\nPermitRootLogin yes', b'aes256-ctr',
                 b'hmac-sha2-256', b'hmac-sha2-256', b'none', b'none', b'', b'']
_LONG = [b','.join(b'alg-%05d@example.com' % i for i in range(3000))] * 2 + [b'aes256-ctr'] * 2 + \
    [b'hmac-sha2-256'] * 2 + [b'none'] * 2 + [b'', b'']
_EMPTY_ENTRIES = [b'ecdh-sha2-nistp256', b'ssh-rsa', b'aes256-ctr,aes256-cbc', b'aes256-ctr,aes256-cbc',
                  b'hmac-sha1,hmac-ripemd160,,hmac-md5', b'hmac-sha1,hmac-ripemd160,,hmac-md5', b'none', b'none',
                  b'', b'']


def _overrun():
    # The first name-list claims 4000 bytes; the packet holds far fewer.
    body = b'\x14' + b'\x00' * 16 + struct.pack('>I', 4000) + b'curve25519-sha256'
    return build_packet(body)


def _disconnect():
    text = b'Too many connections from your address'
    return build_packet(b'\x01' + struct.pack('>I', 2) + struct.pack('>I', len(text)) + text + b'\x00\x00\x00\x00')


def _kexinit_after_client_line(conn):
    _recv_line(conn)
    conn.sendall(BANNER + KEXINIT)


# name -> (behaviour(conn), expected reason or None for success, description)
SCENARIOS = {
    'plain': (lambda c: c.sendall(BANNER + KEXINIT), None, 'a well-behaved server'),
    'pre_banner_lines': (lambda c: c.sendall(b'Welcome to the SFTP gateway\r\nAuthorised use only\r\n\r\n'
                                             + BANNER + KEXINIT), None, 'text lines before the banner'),
    'banner_without_cr': (lambda c: c.sendall(b'SSH-2.0-NoCR_0.1\n' + KEXINIT), None, 'banner ends in LF only'),
    'ssh_1_99': (lambda c: c.sendall(b'SSH-1.99-OpenSSH_3.9p1\r\n' + KEXINIT), None, 'SSH-1.99 compatibility banner'),
    'waits_for_client_banner': (_kexinit_after_client_line, None, 'speaks only after the client identification'),
    'slow_drip': (lambda c: _drip(c, BANNER + KEXINIT), None, 'sends a few bytes at a time'),
    'ignore_before_kexinit': (lambda c: c.sendall(BANNER + build_packet(b'\x02\x00\x00\x00\x03abc') + KEXINIT), None,
                              'SSH_MSG_IGNORE before the KEXINIT'),
    'empty_lists': (lambda c: c.sendall(BANNER + _raw_kexinit(_EMPTY_LISTS)), None, 'every name-list empty'),
    'very_long_lists': (lambda c: c.sendall(BANNER + _raw_kexinit(_LONG)), None, '3000 names in the kex list'),
    'empty_entries': (lambda c: c.sendall(b'SSH-2.0-CerberusFTPServer_12.0\r\n' + _raw_kexinit(_EMPTY_ENTRIES)), None,
                      'Cerberus-style empty list entries'),
    'silent': (_hold, 'timeout', 'accepts and never speaks'),
    'banner_then_silent': (lambda c: c.sendall(BANNER) or _hold(c), 'timeout', 'banner, then nothing'),
    'closes_at_once': (lambda c: None, 'closed', 'accepts and closes'),
    'closes_after_banner': (lambda c: c.sendall(BANNER), 'closed', 'banner, then close'),
    'resets': (_reset, 'reset', 'accepts and resets the connection'),
    'http': (lambda c: _recv_line(c) and c.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n'
                                                   b'Connection: close\r\n\r\n'), 'not_ssh', 'an HTTP server'),
    'tls': (lambda c: _recv_line(c) and c.sendall(b'\x15\x03\x03\x00\x02\x02\x46'), 'not_ssh',
            'a TLS server answering the banner with an alert'),
    'smtp': (lambda c: c.sendall(b'220 mail.example ESMTP ready\r\n') or _hold(c), 'not_ssh', 'an SMTP greeting'),
    'binary_noise': (lambda c: _recv_line(c) and c.sendall(os.urandom(64).replace(b'\n', b'x').replace(b'SSH-', b'x')),
                     'not_ssh', 'random bytes'),
    'endless_line': (lambda c: _endless(c, b'A' * 4096), 'not_ssh', 'a line that never ends'),
    'endless_pre_banner': (lambda c: _endless(c, b'hello\r\n' * 64), 'not_ssh', 'text lines forever'),
    'ssh1_only': (lambda c: c.sendall(b'SSH-1.5-OldServer_1.2.27\r\n'), 'ssh1_only', 'SSH protocol 1 only'),
    'bad_protocol_version': (lambda c: c.sendall(b'SSH-3.0-Future_1\r\n'), 'protocol_error', 'unknown protocol 3.0'),
    'truncated_packet': (lambda c: c.sendall(BANNER + KEXINIT[:40]), 'protocol_error', 'half a KEXINIT, then close'),
    'oversized_packet': (lambda c: c.sendall(BANNER + struct.pack('>IB', 0x7fffffff, 4) + b'\x14'), 'protocol_error',
                         'packet length 2 GiB'),
    'name_list_overrun': (lambda c: c.sendall(BANNER + _overrun()), 'protocol_error', 'name-list longer than packet'),
    'non_ascii_name': (lambda c: c.sendall(BANNER + _raw_kexinit(_BAD_NAME)), 'protocol_error',
                       'UTF-8 bytes in a MAC name'),
    'newline_in_name': (lambda c: c.sendall(BANNER + _raw_kexinit(_NEWLINE_NAME)), 'protocol_error',
                        'config injection attempt inside a cipher name'),
    'wrong_message_type': (lambda c: c.sendall(BANNER + build_packet(b'\x15')), 'protocol_error',
                           'NEWKEYS instead of KEXINIT'),
    'padding_too_long': (lambda c: c.sendall(BANNER + struct.pack('>IB', 12, 200) + b'\x14' * 11), 'protocol_error',
                         'padding longer than the packet'),
    'throttled': (lambda c: c.sendall(b'Exceeded MaxStartups\r\n'), 'throttled', "sshd's MaxStartups refusal"),
    'disconnect': (lambda c: c.sendall(BANNER + _disconnect()), 'disconnected', 'SSH_MSG_DISCONNECT before KEXINIT'),
}


class HostilePeer(Service):
    """One listening socket per scenario, all served by threads; ``stop()`` closes everything."""

    def __init__(self, scenarios=None, address=LOOPBACK):
        self.names = list(scenarios or SCENARIOS)
        self.address = address
        self.ports = {}
        self._sockets = []
        self._threads = []
        self._stopping = threading.Event()
        self._conns = set()
        self._lock = threading.Lock()

    def start(self):
        for name in self.names:
            sock = socket.socket(socket.AF_INET6 if ':' in self.address else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.address, 0))
            sock.listen(64)
            sock.settimeout(0.2)
            self._sockets.append(sock)
            self.ports[name] = sock.getsockname()[1]
            thread = threading.Thread(target=accept_until, args=(sock, self._stopping, self._server_for(name)),
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _server_for(self, name):
        behaviour, expect = SCENARIOS[name][:2]
        return lambda conn: threading.Thread(target=self._serve, args=(conn, behaviour, expect), daemon=True).start()

    def _serve(self, conn, behaviour, expect):
        with self._lock:
            self._conns.add(conn)
        try:
            conn.settimeout(30)
            behaviour(conn)
            if expect is None:
                # A well-formed server keeps the connection open for the key exchange.
                _hold(conn)
            elif behaviour is not _reset:
                # Close gracefully (FIN, then drain): closing with the client's banner unread would make the
                # kernel send a reset, and the client would see 'reset' instead of the scenario's outcome.
                conn.shutdown(socket.SHUT_WR)
                conn.settimeout(5)
                _hold(conn)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self._stopping.set()
        for sock in self._sockets:
            sock.close()
        with self._lock:
            for conn in list(self._conns):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(2)


class ParamikoServer(Service):
    """A real paramiko SSH server (``Transport.start_server``) that completes key exchange, then hangs up.

    ``preferences`` sets its SecurityOptions (field -> ordered tuple); ``key_paths`` are OpenSSH private key
    files (Ed25519, ECDSA, RSA) it serves; ``errors`` collects the negotiation errors paramiko raised.
    ``strict_kex=False`` makes it a server without the Terrapin countermeasure (``Transport(strict_kex=...)``).
    """

    def __init__(self, key_paths=(), preferences=None, strict_kex=True):
        self.port = None
        self.strict_kex = strict_kex
        self.preferences = dict(preferences or {})
        self.errors = []
        self._sock = None
        self._thread = None
        self._stopping = threading.Event()
        self._key_paths = key_paths
        self._keys = []
        self._paramiko = None

    def start(self):
        import paramiko  # pylint: disable=import-outside-toplevel
        self._paramiko = paramiko
        for path in self._key_paths:
            self._keys.append(paramiko.PKey.from_path(path))
        if not self._keys:
            self._keys.append(paramiko.ECDSAKey.generate())
        self._sock = loopback_listener()
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=accept_until, args=(self._sock, self._stopping, self._serve_in_thread),
                                        daemon=True)
        self._thread.start()
        return self

    def _serve_in_thread(self, conn):
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        transport = self._paramiko.Transport(conn, strict_kex=self.strict_kex)
        for key in self._keys:
            transport.add_server_key(key)
        try:
            options = transport.get_security_options()
            for field, value in self.preferences.items():
                setattr(options, field, tuple(value))
            transport.start_server(server=self._paramiko.ServerInterface())
            transport.accept(2)
        except Exception as exc:  # pylint: disable=broad-except
            self.errors.append(str(exc))
        finally:
            transport.close()

    def stop(self):
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)


class AsyncsshServer(Service):
    """A real AsyncSSH server on 127.0.0.1 with the given algorithm lists (connect() keyword -> list), run in
    its own thread and event loop; it completes key exchange and then refuses every authentication."""

    def __init__(self, key_paths, algorithms):
        self.key_paths = list(key_paths)
        self.algorithms = dict(algorithms)
        self.port = None
        self._loop = None
        self._thread = None
        self._server = None
        self._ready = threading.Event()
        self._error = None

    def _run(self):
        import asyncio  # pylint: disable=import-outside-toplevel
        import asyncssh  # pylint: disable=import-outside-toplevel
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)

        async def listen():
            return await asyncssh.listen(LOOPBACK, 0, server_host_keys=self.key_paths, config=None,
                                         **self.algorithms)
        try:
            self._server = self._loop.run_until_complete(listen())
            self.port = self._server.sockets[0].getsockname()[1]
        except Exception as exc:  # pylint: disable=broad-except
            self._error = exc
        self._ready.set()
        if self._error is None:
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError('AsyncSSH server did not start: %s' % self._error)
        return self

    def stop(self):
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
