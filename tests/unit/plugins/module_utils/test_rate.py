# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bounded connection-rate measurement: its limits, and its counting against real loopback listeners."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.rate import (
    MAX_CONNECTIONS, MAX_SAFE_RATE, RateError, check_limits, measure)


@pytest.mark.parametrize('kwargs, message', [
    ({'connections': 0}, 'connections'),
    ({'connections': MAX_CONNECTIONS + 1}, 'connections'),
    ({'connections': True}, 'connections'),
    ({'connections': 2.5}, 'connections'),
    ({'seconds': 11}, 'seconds'),
    ({'concurrency': 17}, 'concurrency'),
    ({'timeout': 0}, 'timeout'),
    ({'max_attempts': 2001}, 'max_attempts'),
])
def test_limits_are_enforced(kwargs, message):
    params = dict({'connections': 38, 'seconds': 1.5, 'concurrency': 3, 'timeout': 5}, **kwargs)
    with pytest.raises(RateError, match=message):
        check_limits(**params)


@pytest.mark.parametrize('host, port', [('', 22), ('127.0.0.1', 0), ('a b', 22), ('127.0.0.1', 'x')])
def test_bad_targets_are_refused(host, port):
    with pytest.raises(RateError):
        measure(host, port)


class _Listener:
    """A loopback TCP server answering each connection with ``reply`` (bounded: closes with the test)."""

    def __init__(self, reply, delay=0.0):
        self.reply = reply
        self.delay = delay
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve)

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                continue
            with conn:
                self.stop.wait(self.delay)
                conn.sendall(self.reply)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.mark.parametrize('reply, outcome', [
    (b'SSH-2.0-OpenSSH_9.2\r\n', 'opened'),
    (b'Exceeded MaxStartups\r\n', 'throttled'),
    (b'HTTP/1.1 400 Bad Request\r\n', 'refused'),
])
def test_counts_by_what_the_server_says(reply, outcome):
    with _Listener(reply) as listener:
        result = measure('127.0.0.1', listener.port, connections=6, seconds=5, concurrency=2, timeout=2,
                         max_attempts=9)
    # Answered connections stop the run at 6; refusals go on until max_attempts.
    attempts = 6 if outcome == 'opened' else 9
    assert result['attempted'] == attempts and result[outcome] == attempts
    assert result['elapsed_s'] < 5 + 2 * 2 + 1
    assert result['max_safe_rate'] == MAX_SAFE_RATE and 'ssh-audit 3.9' in result['source']
    assert result['exceeds_safe_rate'] == (result['rate_per_second'] > MAX_SAFE_RATE)


def test_time_bound_stops_before_the_connection_count():
    with _Listener(b'SSH-2.0-x\r\n', delay=0.05) as listener:  # one answer per 50 ms
        result = measure('127.0.0.1', listener.port, connections=MAX_CONNECTIONS, seconds=0.2, concurrency=1,
                         timeout=1)
    assert 1 <= result['attempted'] < MAX_CONNECTIONS and result['elapsed_s'] < 3


def test_nothing_listening_is_refused():
    holder = socket.socket()
    holder.bind(('127.0.0.1', 0))  # bound, not listening: connections are reset
    try:
        result = measure('127.0.0.1', holder.getsockname()[1], connections=3, seconds=2, concurrency=1, timeout=1,
                         max_attempts=3)
    finally:
        holder.close()
    assert result['refused'] == 3 and result['opened'] == 0 and result['rate_per_second'] == 0
