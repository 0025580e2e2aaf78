# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A recording TCP relay on 127.0.0.1: clients connect to it, it connects to the real server, copies bytes
both ways and keeps the first bytes of each direction, so a test can read both KEXINITs off the wire."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import HelloParser
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import PeerError

from .servers import LOOPBACK, Service, accept_until, loopback_listener

RECORD_BYTES = 256 * 1024


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


class Relay(Service):
    """Relay to ``upstream_port``; ``recordings`` holds one :class:`Recording` per accepted connection."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
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
        pumps = [threading.Thread(target=self._pump, args=(client, server, recording.from_client), daemon=True),
                 threading.Thread(target=self._pump, args=(server, client, recording.from_server), daemon=True)]
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
            for sock in (sink, source):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

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
