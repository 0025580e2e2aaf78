# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bounded connection-rate measurement: how many SSH connections per second one source gets answered.

The measurement follows what ssh-audit 3.9 does in its standard audit (``dheat.py``, ``DHEat.dh_rate_test`` with
1.5 s, 38 connections and 3 concurrent sockets from ``ssh_audit.py``): open TCP connections from a few workers
until 38 were answered with an SSH identification line or the time is up, close each one at once (no key exchange
is started, so the server computes no Diffie-Hellman: the test does not itself load it), and divide the answered
connections by the elapsed time. Refused connections do not count but do not stop the run either: a server that
refuses a burst and then answers again (sshd's ``PerSourceMaxStartups``, whose slot frees as soon as a connection
closes) is measured over the whole time, as ssh-audit measures it.
ssh-audit warns above ``MAX_SAFE_RATE`` = 20 connections per second when the server offers DH (DHEat,
CVE-2002-20001). Connections answered ``Exceeded MaxStartups`` (sshd's refusal, sshd.c ``drop_connection``) are
counted as throttled.

Every run is bounded: at most ``connections`` answered connections (``MAX_CONNECTIONS``), ``max_attempts``
connections in all (``MAX_ATTEMPTS``), ``seconds`` (``MAX_SECONDS``) and ``concurrency`` workers
(``MAX_CONCURRENCY``), each socket operation bounded by ``timeout``.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import validate_target

MAX_CONNECTIONS = 200
MAX_ATTEMPTS = 2000
DEFAULT_MAX_ATTEMPTS = 1000
MAX_SECONDS = 10.0
MAX_CONCURRENCY = 16
# ssh-audit 3.9 ssh_audit.py: DHEat.dh_rate_test(out, aconf, kex, 1.5, 38, 3); dheat.py: MAX_SAFE_RATE = 20.0.
DEFAULT_CONNECTIONS = 38
DEFAULT_SECONDS = 1.5
DEFAULT_CONCURRENCY = 3
MAX_SAFE_RATE = 20.0
SOURCE = ('ssh-audit 3.9 dheat.py (DHEat.dh_rate_test, MAX_SAFE_RATE) and ssh_audit.py (1.5 s, 38 connections, '
          '3 sockets)')
_THROTTLED = b'Exceeded MaxStartups'


class RateError(ValueError):
    """Bad measurement parameters; the message says which."""


def check_limits(connections, seconds, concurrency, timeout, max_attempts=DEFAULT_MAX_ATTEMPTS):
    """The parameters, validated against the bounds; raises :class:`RateError`."""
    def number(value, name, kind, low, high):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind is int and not isinstance(value, int)):
            raise RateError('%s must be a number, got %r' % (name, value))
        if not low <= value <= high:
            raise RateError('%s must be between %s and %s, got %s' % (name, low, high, value))
        return kind(value)
    return (number(connections, 'connections', int, 1, MAX_CONNECTIONS),
            number(seconds, 'seconds', float, 0.1, MAX_SECONDS),
            number(concurrency, 'concurrency', int, 1, MAX_CONCURRENCY),
            number(timeout, 'timeout', float, 0.1, MAX_SECONDS),
            number(max_attempts, 'max_attempts', int, 1, MAX_ATTEMPTS))


def _one(address, timeout):
    """One connection: ``opened`` (an SSH identification line), ``throttled`` (sshd's "Exceeded MaxStartups") or
    ``refused`` (anything else: refused, reset, closed, timeout, not SSH)."""
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.settimeout(timeout)
            data = b''
            deadline = time.monotonic() + timeout
            while b'\n' not in data and len(data) < 512 and time.monotonic() < deadline:
                chunk = sock.recv(512 - len(data))
                if not chunk:
                    break
                data += chunk
    except (OSError, socket.timeout):
        return 'refused'
    for line in data.split(b'\n'):
        if line.startswith(b'SSH-'):
            return 'opened'
        if _THROTTLED in line:
            return 'throttled'
    return 'refused'


def measure(host, port, connections=DEFAULT_CONNECTIONS, seconds=DEFAULT_SECONDS, concurrency=DEFAULT_CONCURRENCY,
            timeout=5.0, max_attempts=DEFAULT_MAX_ATTEMPTS):
    """Measure; returns ``{host, port, attempted, opened, throttled, refused, elapsed_s, rate_per_second,
    max_safe_rate, exceeds_safe_rate, source}``. ``rate_per_second`` is opened connections per second."""
    try:
        validate_target(host, port)
    except ValueError as exc:
        raise RateError(str(exc))
    connections, seconds, concurrency, timeout, max_attempts = check_limits(connections, seconds, concurrency,
                                                                            timeout, max_attempts)
    address = (host, port)
    counts = {'attempted': 0, 'opened': 0, 'throttled': 0, 'refused': 0}
    pending = [0]  # connections under way: with the opened ones, never more than ``connections``
    lock = threading.Lock()
    started = time.monotonic()

    def worker():
        while True:
            with lock:
                if counts['opened'] + pending[0] >= connections or counts['attempted'] >= max_attempts \
                        or time.monotonic() - started >= seconds:
                    return
                counts['attempted'] += 1
                pending[0] += 1
            outcome = _one(address, timeout)
            with lock:
                counts[outcome] += 1
                pending[0] -= 1

    threads = [threading.Thread(target=worker) for _index in range(concurrency)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * timeout + 1.0)  # a connection: connect and read, each within timeout
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = round(counts['opened'] / elapsed, 1)
    return dict(counts, host=host, port=port, elapsed_s=round(elapsed, 3), rate_per_second=rate,
                max_safe_rate=MAX_SAFE_RATE, exceeds_safe_rate=rate > MAX_SAFE_RATE, source=SOURCE)
