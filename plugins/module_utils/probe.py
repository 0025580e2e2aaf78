# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read an SSH server's offer over the network: one TCP connection, no credentials, no key exchange.

Plain Python (asyncio), no Ansible imports. One event loop drives any number of probes, so batch mode
costs little more than the TCP connects themselves; a single probe is the same code with one target.
Every probe is bounded by its ``timeout`` (the whole probe, not each step) and reports failure as data
(``failed``, ``reason``, ``msg``) so that one bad host never aborts a fleet.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import errno
import ipaddress
import re
import socket
import time

from .host_keys import fetch_host_key_async
from .moduli import gather_moduli_async
from .hello import HelloParser
from .wire import PeerError

DEFAULT_CLIENT_BANNER = 'SSH-2.0-fleetcrypto_sftp'
DEFAULT_PORT = 22
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 64
MAX_CONCURRENCY = 1024
MAX_TIMEOUT = 3600
# Key exchanges run against one server at the same time with host_keys=true. OpenSSH starts dropping
# unauthenticated connections at 10 (MaxStartups 10:30:100), so stay well below that.
HOST_KEY_EXCHANGES_PER_SERVER = 3

# Stable failure reasons. Documented in the algorithms_info module's RETURN; the report layers key on them.
REASONS = (
    'dns',             # name did not resolve
    'refused',         # TCP connection refused (nothing listening)
    'unreachable',     # no route / network unreachable / other connect error
    'timeout',         # the whole probe did not finish within the timeout
    'reset',           # connection reset by the peer
    'closed',          # peer closed the connection before its KEXINIT arrived
    'not_ssh',         # the service does not speak SSH (HTTP, TLS, SMTP, binary noise ...)
    'ssh1_only',       # the server speaks only SSH protocol 1.x
    'protocol_error',  # it claims SSH-2.0 but sent something malformed
    'disconnected',    # the server sent SSH_MSG_DISCONNECT before its KEXINIT
    'throttled',       # an SSH server refused the connection because of its connection limits
    'invalid_input',   # the probe's own parameters were wrong
)

FAMILIES = {'any': socket.AF_UNSPEC, 'ipv4': socket.AF_INET, 'ipv6': socket.AF_INET6}

# RFC 4253 section 4.2: printable US-ASCII without spaces in the softwareversion, at most 255 characters
# including CR LF.
_BANNER = re.compile(r'^SSH-2\.0-[\x21-\x2c\x2e-\x7e][\x21-\x7e]*( [\x20-\x7e]*)?$')


def normalize_client_banner(value):
    """Return the identification line to send (without CR LF), or raise ``ValueError``.

    Accepts a full ``SSH-2.0-...`` line or just its softwareversion part (``OpenSSH_9.6`` is sent as
    ``SSH-2.0-OpenSSH_9.6``).
    """
    if value is None:
        return DEFAULT_CLIENT_BANNER
    if not isinstance(value, str):
        raise ValueError('client_banner must be a string')
    line = value if value.startswith('SSH-') else 'SSH-2.0-' + value
    if len(line) > 253 or not _BANNER.match(line):
        raise ValueError('client_banner %r is not a valid SSH-2.0 identification string (RFC 4253 section 4.2: '
                         '"SSH-2.0-softwareversion [comments]", printable US-ASCII, at most 253 characters)'
                         % (value[:300],))
    return line


def validate_port(port, where=None):
    """Raise ``ValueError`` unless ``port`` is an integer from 1 to 65535; ``where`` says whose port it is."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError('invalid port %r%s: must be an integer from 1 to 65535' % (port, ' for %s' % where if where else ''))


def validate_target(host, port):
    """Raise ``ValueError`` for a host or port that cannot be probed."""
    if not isinstance(host, str) or not host or len(host) > 255 or any(ch.isspace() or ord(ch) < 0x20 for ch in host):
        raise ValueError('invalid host %r' % (host,))
    validate_port(port, 'host %s' % host)


def validate_concurrency(concurrency):
    """Raise ``ValueError`` unless ``concurrency`` is an integer from 1 to MAX_CONCURRENCY."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError('concurrency must be an integer from 1 to %d, got %r' % (MAX_CONCURRENCY, concurrency))


def check_options(timeout=DEFAULT_TIMEOUT, client_banner=None, address_family='any'):
    """Validate the options every probe of a run shares; return the identification line to send.

    This module owns these checks (and :func:`validate_target`, :func:`validate_concurrency`): the
    algorithms_info module's argument_spec only converts types, so direct callers (the lab, the benchmarks)
    and the module get the same checks and messages. Raises ``ValueError``.
    """
    banner_line = normalize_client_banner(client_banner)
    if not isinstance(address_family, str) or address_family not in FAMILIES:
        raise ValueError('address_family must be one of %s, got %r' % (', '.join(sorted(FAMILIES)), address_family))
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError('timeout must be a number of seconds above 0 and at most %d, got %r' % (MAX_TIMEOUT, timeout))
    return banner_line


class _HelloProtocol(asyncio.Protocol):
    """Feeds received bytes to the parser and resolves ``done`` with a Hello or a PeerError."""

    def __init__(self, banner_line, done):
        self._banner = banner_line
        self.done = done
        self.parser = HelloParser('server')
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        # Send our identification at once, as OpenSSH does: some servers wait for the client's line first.
        transport.write(self._banner)

    def data_received(self, data):
        if self.done.done():
            return
        try:
            hello = self.parser.feed(data)
        except PeerError as exc:
            self.done.set_result(exc)
            return
        if hello is not None:
            self.done.set_result(hello)

    def eof_received(self):
        if not self.done.done():
            try:
                self.parser.eof()
            except PeerError as exc:
                self.done.set_result(exc)
        return False

    def connection_lost(self, exc):
        if self.done.done():
            return
        reset = isinstance(exc, ConnectionResetError) or getattr(exc, 'errno', None) == errno.ECONNRESET
        # A reset after non-SSH bytes is a foreign service hanging up: let the parser say what it was.
        if reset and not (self.parser.banner is None and self.parser.received):
            self.done.set_result(PeerError('reset', 'connection reset by the server%s'
                                           % (' after its identification line' if self.parser.banner else ''),
                                           banner=self.parser.banner))
            return
        try:
            self.parser.eof()
        except PeerError as err:
            self.done.set_result(err)


def _connect_error(exc, host, port, address):
    where = '%s port %d' % (host, port) if address in (None, host) else '%s (%s) port %d' % (host, address, port)
    if isinstance(exc, ConnectionRefusedError):
        return PeerError('refused', 'connection refused by %s: nothing listens there' % where)
    if isinstance(exc, ConnectionResetError):
        return PeerError('reset', 'connection to %s was reset by the server' % where)
    code = getattr(exc, 'errno', None)
    text = getattr(exc, 'strerror', None) or str(exc) or exc.__class__.__name__
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return PeerError('unreachable', 'cannot reach %s: %s' % (where, text))
    return PeerError('unreachable', 'cannot connect to %s: %s' % (where, text))


async def _resolve(loop, host, port, family):
    """Return a list of (family, sockaddr). IP literals skip the resolver (and its thread pool)."""
    try:
        addr = ipaddress.ip_address(host.strip('[]'))
    except ValueError:
        addr = None
    if addr is not None:
        fam = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
        if family not in (socket.AF_UNSPEC, fam):
            raise PeerError('invalid_input', 'address %s is not of the requested address family' % host)
        return [(fam, (str(addr), port))]
    try:
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PeerError('dns', 'cannot resolve %s: %s' % (host, exc.strerror or exc))
    except UnicodeError as exc:
        # Python's IDNA codec refuses empty or over-long labels before any query is sent.
        raise PeerError('dns', 'cannot resolve %s: not a valid host name (%s)' % (host, exc))
    if not infos:
        raise PeerError('dns', 'cannot resolve %s: no addresses' % host)
    return [(info[0], info[4]) for info in infos]


class _Progress:
    """Where a probe is, so that a timeout can say what it was waiting for."""

    __slots__ = ('stage', 'protocol', 'address')

    def __init__(self):
        self.stage = 'resolving'
        self.protocol = None
        self.address = None


async def _read_hello(loop, host, port, family, banner_line, progress):
    addresses = await _resolve(loop, host, port, family)
    last_error = None
    for fam, sockaddr in addresses:
        progress.stage = 'connecting'
        progress.address = sockaddr[0]
        done = loop.create_future()
        protocol = _HelloProtocol(banner_line, done)
        try:
            transport, dummy = await loop.create_connection(lambda: protocol, host=sockaddr[0], port=sockaddr[1],
                                                            family=fam)
        except OSError as exc:
            last_error = _connect_error(exc, host, port, sockaddr[0])
            continue
        progress.stage = 'reading'
        progress.protocol = protocol
        try:
            outcome = await done
        finally:
            transport.abort()
        if isinstance(outcome, PeerError):
            raise outcome
        return outcome, sockaddr[0]
    raise last_error


def _timeout_error(progress, timeout, host, port):
    if progress.stage == 'resolving':
        return PeerError('timeout', 'resolving %s took longer than %g s' % (host, timeout))
    if progress.stage == 'connecting':
        return PeerError('timeout', 'no TCP connection to %s port %d within %g s' % (host, port, timeout))
    parser = progress.protocol.parser if progress.protocol else None
    if parser is None or parser.banner is None:
        return PeerError('timeout', 'connected to %s port %d but received no SSH identification line within %g s'
                         % (host, port, timeout))
    return PeerError('timeout', 'received the identification line of %s port %d but no complete KEXINIT within %g s'
                     % (host, port, timeout), banner=parser.banner)


def _elapsed_ms(started):
    return round((time.monotonic() - started) * 1000.0, 3)


def _failure(host, port, error, started, address=None):
    result = {'host': host, 'port': port, 'failed': True, 'reason': error.reason, 'msg': error.msg,
              'elapsed_ms': _elapsed_ms(started)}
    if address:
        result['address'] = address
    if error.banner:
        result['banner'] = error.banner
    return result


async def probe_async(host, port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, client_banner=None, address_family='any',
                      host_keys=False, moduli=False):
    """Probe one server; always returns a result dict, never raises for network or peer problems.

    With ``host_keys``, also start one key exchange per offered host-key algorithm (concurrently, within
    the same ``timeout``) to learn each key; see :mod:`.host_keys`. With ``moduli``, also ask each offered
    group-exchange method for its groups (``moduli``, or ``moduli_error`` when none came back; the offer
    result stands either way); see :mod:`.moduli`.
    """
    started = time.monotonic()
    try:
        validate_target(host, port)
        banner_line = check_options(timeout, client_banner, address_family)
    except ValueError as exc:
        return _failure(host, port, PeerError('invalid_input', str(exc)), started)
    loop = asyncio.get_running_loop() if hasattr(asyncio, 'get_running_loop') else asyncio.get_event_loop()
    progress = _Progress()
    wire_banner = (banner_line + '\r\n').encode('ascii')
    try:
        hello, address = await asyncio.wait_for(
            _read_hello(loop, host, port, FAMILIES[address_family], wire_banner, progress), timeout)
    except asyncio.TimeoutError:
        return _failure(host, port, _timeout_error(progress, timeout, host, port), started, progress.address)
    except PeerError as exc:
        return _failure(host, port, exc, started, progress.address)
    result = {'host': host, 'port': port, 'address': address, 'failed': False}
    result.update(hello.as_dict())
    result['elapsed_ms'] = _elapsed_ms(started)
    if host_keys:
        gate = asyncio.Semaphore(HOST_KEY_EXCHANGES_PER_SERVER)

        async def fetch(algorithm):
            async with gate:
                return await fetch_host_key_async(address, port, algorithm, hello.offer,
                                                  max(0.1, timeout - (time.monotonic() - started)), banner_line)
        result['host_keys'] = list(await asyncio.gather(*(
            fetch(algorithm) for algorithm in hello.offer['server_host_key_algorithms'])))
        result['elapsed_ms'] = _elapsed_ms(started)
    if moduli:
        found, error = await gather_moduli_async(address, port, hello.offer, banner_line,
                                                 max(0.1, timeout - (time.monotonic() - started)))
        if found is not None:
            result['moduli'] = found
        if error:
            result['moduli_error'] = error
        result['elapsed_ms'] = _elapsed_ms(started)
    return result


async def probe_many_async(targets, concurrency=DEFAULT_CONCURRENCY, **options):
    """Probe ``targets`` (dicts with ``host`` and optional ``port``) at most ``concurrency`` at a time.

    Results come back in the order of ``targets``. A bad target (not a dict, a bad host or port) is a failed
    entry with ``reason`` ``invalid_input``, like any other failure; bad shared options (``concurrency``,
    ``port``, ``timeout``, ``client_banner``, ``address_family``) concern every target and raise ``ValueError``.
    """
    validate_concurrency(concurrency)
    default_port = options.pop('port', DEFAULT_PORT)
    validate_port(default_port)
    check_options(options.get('timeout', DEFAULT_TIMEOUT), options.get('client_banner'),
                  options.get('address_family', 'any'))
    gate = asyncio.Semaphore(concurrency)

    async def one(target):
        if not isinstance(target, dict):
            return _failure(None, None, PeerError('invalid_input', 'invalid target %r: must be a dict with host and '
                                                  'optional port' % (target,)), time.monotonic())
        port = target.get('port')
        async with gate:
            return await probe_async(target.get('host'), default_port if port is None else port, **options)

    return await asyncio.gather(*(one(t) for t in targets))


def _run(coro):
    if hasattr(asyncio, 'run'):
        return asyncio.run(coro)
    loop = asyncio.new_event_loop()  # pragma: no cover - Python < 3.7
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def probe(host, port=DEFAULT_PORT, **options):
    """Synchronous :func:`probe_async`."""
    return _run(probe_async(host, port, **options))


def probe_many(targets, concurrency=DEFAULT_CONCURRENCY, **options):
    """Synchronous :func:`probe_many_async`."""
    return _run(probe_many_async(targets, concurrency, **options))
