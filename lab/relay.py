# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A recording TCP relay on 127.0.0.1: clients connect to it, it connects to the real server, copies bytes
both ways and keeps the first bytes of each direction, so a test can read both KEXINITs off the wire.

With ``rewrite_server_kexinit`` it also rewrites the server's first SSH_MSG_KEXINIT on its way to the client (an
active man-in-the-middle, as in the Terrapin paper): a real sshd 9.2 then looks like a server without strict kex,
for example. Only the unencrypted KEXINIT changes; a client that completes the key exchange will find the server's
signature does not match (the server hashed its own KEXINIT), which is what a probe or an audit never reaches."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct
import threading
import time

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import STRICT_KEX_SERVER
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import HelloParser
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import MAX_PACKET_BYTES, MSG_DISCONNECT, \
    MSG_KEXINIT, MSG_NEWKEYS, PeerError, build_kexinit, build_packet, disconnect_text, message_type, parse_kexinit

from .servers import LOOPBACK, Service, accept_until, loopback_listener

RECORD_BYTES = 256 * 1024
MAX_HELLO_BYTES = 64 * 1024  # the rewriting relay gives up (and passes bytes through) after this much


def strip_strict_kex(offer):
    """A ``rewrite_server_kexinit`` function: the server's offer without kex-strict-s-v00@openssh.com."""
    return dict(offer, kex_algorithms=[name for name in offer['kex_algorithms'] if name != STRICT_KEX_SERVER])


def rewrite_first_kexinit(data, rewrite):
    """``(rewritten bytes, done)`` for the bytes a server sent so far: once they hold the identification line and
    the first whole binary packet, that packet's KEXINIT is re-encoded with ``rewrite(offer)`` (same cookie, zero
    padding) and ``done`` is true; before that ``(None, False)``."""
    end = data.find(b'\n', data.find(b'SSH-'))
    if end < 0 or len(data) < end + 1 + 5:
        return None, False
    start = end + 1
    length, padding = struct.unpack_from('>IB', data, start)
    if length > MAX_PACKET_BYTES or length < padding + 2:
        return bytes(data), True  # not ours to judge: pass it on untouched
    if len(data) < start + 4 + length:
        return None, False
    payload = bytes(data[start + 5:start + 4 + length - padding])
    if not payload or payload[0] != MSG_KEXINIT:
        return bytes(data), True
    offer, _warnings, _empty = parse_kexinit(payload)
    packet = build_packet(build_kexinit(rewrite(offer), cookie=payload[1:17]))
    return bytes(data[:start]) + packet + bytes(data[start + 4 + length:]), True


class Recording:
    """Bytes seen in one relayed connection."""

    def __init__(self):
        self.from_client = bytearray()
        self.from_server = bytearray()
        self.done = threading.Event()

    @staticmethod
    def _hello(data):
        parser = HelloParser()
        try:
            return parser.feed(bytes(data))
        except PeerError:
            return None

    def client_hello(self):
        """The client's identification line and KEXINIT (same wire format as a server's)."""
        return self._hello(self.from_client)

    def server_hello(self):
        return self._hello(self.from_server)

    def key_exchange(self):
        """What the wire says about the first key exchange, without trusting either program's output:
        ``{'client_newkeys': bool, 'server_newkeys': bool, 'client_disconnect': text or None,
        'server_disconnect': text or None}``. Everything up to a side's SSH_MSG_NEWKEYS travels unencrypted
        (RFC 4253 section 7.3), so its packets can be cut and read; the key exchange completed when both sides
        sent NEWKEYS, and a side that gave up first may have said why in an SSH_MSG_DISCONNECT."""
        found = {}
        for side, data in (('client', self.from_client), ('server', self.from_server)):
            found[side + '_newkeys'], found[side + '_disconnect'] = _until_newkeys(data, side)
        return found


def _until_newkeys(data, role):
    """``(sent NEWKEYS, disconnect text)`` for one direction of a recorded connection."""
    parser = HelloParser(role)
    try:
        if parser.feed(bytes(data)) is None:
            return False, None
        while True:
            payload = parser.next_payload()
            if payload is None:
                return False, None
            if message_type(payload) == MSG_NEWKEYS:
                return True, None
            if message_type(payload) == MSG_DISCONNECT:
                return False, disconnect_text(payload)
    except PeerError as exc:
        return False, exc.msg if exc.reason == 'disconnected' else None


def _shutdown(*socks):
    """End both directions of each socket, ignoring one that is already gone."""
    for sock in socks:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Relay(Service):
    """Relay to ``upstream_port``; ``recordings`` holds one :class:`Recording` per accepted connection."""

    def __init__(self, upstream_port, rewrite_server_kexinit=None):
        self.upstream_port = upstream_port
        self.rewrite_server_kexinit = rewrite_server_kexinit
        self.recordings = []
        self._sock = None
        self._threads = []
        self._stopping = threading.Event()
        self._conns = []
        self._lock = threading.Lock()
        self.port = None

    def start(self):
        self._sock = loopback_listener()
        self.port = self._sock.getsockname()[1]
        thread = threading.Thread(target=accept_until, args=(self._sock, self._stopping, self._relay), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _relay(self, client):
        try:
            server = socket.create_connection((LOOPBACK, self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        recording = Recording()
        with self._lock:
            self.recordings.append(recording)
            self._conns += [client, server]
        from_server = self._pump if self.rewrite_server_kexinit is None else self._pump_rewriting
        pumps = [threading.Thread(target=self._pump, args=(client, server, recording.from_client), daemon=True),
                 threading.Thread(target=from_server, args=(server, client, recording.from_server), daemon=True)]
        for pump in pumps:
            pump.start()
        threading.Thread(target=self._finish, args=(pumps, recording), daemon=True).start()

    @staticmethod
    def _finish(pumps, recording):
        for pump in pumps:
            pump.join(60)
        recording.done.set()

    @staticmethod
    def _pump(source, sink, record):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if len(record) < RECORD_BYTES:
                    record += data[:RECORD_BYTES - len(record)]
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shutdown(sink, source)

    def _pump_rewriting(self, source, sink, record):
        """The server-to-client pump that rewrites the first KEXINIT (``record`` keeps what the client got)."""
        pending = bytearray()
        try:
            while len(pending) < MAX_HELLO_BYTES:
                data = source.recv(65536)
                if not data:
                    break
                pending += data
                try:
                    out, done = rewrite_first_kexinit(pending, self.rewrite_server_kexinit)
                except PeerError:
                    out, done = bytes(pending), True
                if done:
                    record += out[:RECORD_BYTES]
                    sink.sendall(out)
                    pending = None
                    break
            if pending:
                sink.sendall(bytes(pending))
        except OSError:
            pass
        if pending is None:
            self._pump(source, sink, record)
        else:
            _shutdown(sink, source)

    def finished_recording(self, after=0, timeout=10):
        """The newest connection's :class:`Recording` once the relay has accepted more than ``after`` connections
        (its accept thread registers them asynchronously) and that one has ended, each wait bounded by ``timeout``
        seconds; None when no new connection came."""
        deadline = time.monotonic() + timeout
        while len(self.recordings) <= after and time.monotonic() < deadline:
            time.sleep(0.02)
        if len(self.recordings) <= after:
            return None
        recording = self.recordings[-1]
        recording.done.wait(timeout)
        return recording

    def stop(self):
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.close()
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(2)
