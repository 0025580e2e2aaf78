# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Learn the Diffie-Hellman groups a group-exchange server really sends.

With ``diffie-hellman-group-exchange-sha256`` (or ``-sha1``) the server picks the prime (RFC 4419 section 3):
the client sends SSH_MSG_KEX_DH_GEX_REQUEST with the sizes it accepts (``min``, preferred ``n``, ``max``) and
the server answers SSH_MSG_KEX_DH_GEX_GROUP with ``p`` and ``g``. The names in a KEXINIT say nothing about
that size, so we ask: one connection per request, KEXINIT restricted to one group-exchange method, the request,
the bit length of ``p`` from the reply, and we hang up. No exponentiation, no shared secret, no NEWKEYS, no
authentication.

The requests (:data:`REQUESTS`) are those that decide what auditors and real clients see:

* ``(512, 1024, 1536)``: ssh-audit 3.9's first request (ssh_audit/gextest.py, ``GEXTest.run``); a server that
  answers it hands out groups below 2048 bits. OpenSSH refuses it (kexgexs.c: ``max < DH_GRP_MIN``).
* ``(2048, 2048, 2048)``: the 2048-bit step of ssh-audit's exact-size ladder. OpenSSH up to 9.9 answers a
  request whose ``max`` is below 3072 with its built-in 2048-bit group 14 when the moduli file has no group in
  range (dh.c ``dh_new_group_fallback``), whatever the moduli file holds.
* ``(2048, 3072, 4096)``: ssh-audit's second pass against OpenSSH up to 9.9, "the definitive result" there.
* ``(2048, 8192, 8192)``: what an OpenSSH client asks with its default chacha20-poly1305 or any 256-bit cipher
  or SHA-2 MAC key: ``min`` DH_GRP_MIN 2048 and ``max`` DH_GRP_MAX 8192 (dh.h), ``n`` = ``dh_estimate(dh_need *
  8)`` (kexgexc.c, dh.c; ``dh_need`` from kex.c ``kex_choose_conf``), 8192 for 256 bits of need.

Plain Python and asyncio, no Ansible imports. Every exchange is bounded by a timeout; the caller bounds how
many run at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import os

from .catalog import NAME_LIST_KEYS, NEGOTIATED_LIST_KEYS
from .host_keys import GEX_METHODS, _Session
from .wire import MSG_KEX_DH_GEX_REQUEST, MSG_KEXDH_REPLY, PeerError, Reader, build_kexinit, build_packet, \
    encode_uint32

MSG_KEX_DH_GEX_GROUP = MSG_KEXDH_REPLY  # RFC 4419 section 5: message 31

# (name, min, n, max); see the module docstring for where each comes from.
REQUESTS = (
    ('ssh_audit_small', 512, 1024, 1536),
    ('exact_2048', 2048, 2048, 2048),
    ('ssh_audit_second_pass', 2048, 3072, 4096),
    ('openssh_client', 2048, 8192, 8192),
)
# A prime longer than this is not a group any client would use (RFC 4419 section 3 caps requests at 8192 bits;
# OpenSSH's DH_GRP_MAX is 8192); twice that is reported as junk rather than as a size.
MAX_GROUP_BITS = 16384
# Exchanges against one server at the same time (OpenSSH starts dropping unauthenticated connections at
# MaxStartups 10:30:100).
EXCHANGES_PER_SERVER = 2


def parse_group(payload):
    """Read an SSH_MSG_KEX_DH_GEX_GROUP payload: ``(p, g)``. Raises :class:`PeerError` (``protocol_error``)
    for anything that is not a usable group: wrong message, truncated, negative, even or oversized ``p``, or
    ``g`` outside ``(1, p - 1)``. Primality is not tested (that is the server's moduli file's job; see
    ``ssh-keygen -M screen``)."""
    if not payload or bytearray(payload[:1])[0] != MSG_KEX_DH_GEX_GROUP:
        raise PeerError('protocol_error', 'expected SSH_MSG_KEX_DH_GEX_GROUP (31), got message %s'
                        % (bytearray(payload[:1])[0] if payload else 'none'))
    reader = Reader(payload, 'SSH_MSG_KEX_DH_GEX_GROUP', pos=1)
    prime = reader.mpint('p')
    generator = reader.mpint('g')
    if prime <= 3 or prime % 2 == 0:
        raise PeerError('protocol_error', 'the server sent a group whose p is not an odd number above 3')
    if prime.bit_length() > MAX_GROUP_BITS:
        raise PeerError('protocol_error', 'the server sent a %d-bit p, over the %d-bit limit'
                        % (prime.bit_length(), MAX_GROUP_BITS))
    if not 1 < generator < prime - 1:
        raise PeerError('protocol_error', 'the server sent a generator g outside 2 .. p-2')
    return prime, generator


async def _request(address, port, kex, offer, banner_line, minimum, preferred, maximum):
    reader, writer = await asyncio.open_connection(address, port)
    try:
        proposal = {key: offer[key] for key in NAME_LIST_KEYS}
        proposal['kex_algorithms'] = [kex]
        writer.write((banner_line + '\r\n').encode('ascii') + build_packet(build_kexinit(proposal, os.urandom(16))))
        session = _Session(reader, writer)
        await session.hello_and_kexinit()
        writer.write(build_packet(bytes(bytearray([MSG_KEX_DH_GEX_REQUEST])) + encode_uint32(minimum)
                                  + encode_uint32(preferred) + encode_uint32(maximum)))
        return parse_group(await session.payload(MSG_KEX_DH_GEX_GROUP))
    finally:
        writer.transport.abort()


async def request_group_async(address, port, kex, offer, banner_line, request, timeout):
    """One request ``(name, min, n, max)``: ``{name, min, n, max, bits, in_range}`` or ``{..., error,
    reason}``; never raises for network or peer problems."""
    name, minimum, preferred, maximum = request
    entry = {'name': name, 'min': minimum, 'n': preferred, 'max': maximum}
    try:
        prime, dummy = await asyncio.wait_for(
            _request(address, port, kex, offer, banner_line, minimum, preferred, maximum), timeout)
    except asyncio.TimeoutError:
        entry.update(reason='timeout', error='no SSH_MSG_KEX_DH_GEX_GROUP within %g s' % timeout)
        return entry
    except PeerError as exc:
        if exc.reason == 'closed':
            entry.update(reason='closed', error='the server closed the connection instead of sending a group (OpenSSH '
                         'does so for a request whose max is below its 2048-bit DH_GRP_MIN: kexgexs.c)')
        else:
            entry.update(reason=exc.reason, error=exc.msg)
        return entry
    except (OSError, EOFError) as exc:
        entry.update(reason='refused' if isinstance(exc, ConnectionRefusedError) else 'closed',
                     error='connection failed during the group exchange: %s'
                     % (exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__))
        return entry
    bits = prime.bit_length()
    entry.update(bits=bits, in_range=minimum <= bits <= maximum)
    return entry


def summarize(kex, requests):
    """One method's entry of the ``moduli`` result from its request entries."""
    sizes = [item['bits'] for item in requests if 'bits' in item]
    return {'kex': kex, 'requests': requests, 'smallest': min(sizes) if sizes else None,
            'largest': max(sizes) if sizes else None}


def gex_methods(offer):
    """The group-exchange methods of an offer, in the server's order."""
    return [name for name in offer.get('kex_algorithms') or () if name in GEX_METHODS]


async def gather_moduli_async(address, port, offer, banner_line, timeout, requests=REQUESTS):
    """Ask every group-exchange method of ``offer`` for each of ``requests`` (one connection each, at most
    :data:`EXCHANGES_PER_SERVER` at a time, all within ``timeout``).

    Returns ``(moduli, error)``: ``moduli`` is ``{methods: [...], smallest, largest}`` (``methods`` empty when
    the server offers no group exchange), ``error`` a sentence when no request of any method got a group
    (the server refused, throttled or sent junk), else None.
    """
    methods = gex_methods(offer)
    if not methods:
        return {'methods': [], 'smallest': None, 'largest': None}, None
    missing = [key for key in NEGOTIATED_LIST_KEYS[2:] if not offer.get(key)]
    if missing:
        return None, 'the server offers no %s, so no key exchange can start' % missing[0]
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    gate = asyncio.Semaphore(EXCHANGES_PER_SERVER)

    async def one(kex, request):
        async with gate:
            remaining = deadline - loop.time()
            if remaining <= 0:
                name, minimum, preferred, maximum = request
                return {'name': name, 'min': minimum, 'n': preferred, 'max': maximum, 'reason': 'timeout',
                        'error': 'not sent: the %g s budget was spent' % timeout}
            return await request_group_async(address, port, kex, offer, banner_line, request, remaining)

    results = await asyncio.gather(*(one(kex, request) for kex in methods for request in requests))
    per_method = [summarize(kex, list(results[index * len(requests):(index + 1) * len(requests)]))
                  for index, kex in enumerate(methods)]
    sizes = [entry[key] for entry in per_method for key in ('smallest', 'largest') if entry[key] is not None]
    moduli = {'methods': per_method, 'smallest': min(sizes) if sizes else None,
              'largest': max(sizes) if sizes else None}
    if not sizes:
        errors = sorted(set(item['error'] for item in results))
        throttled = [item for item in results if item.get('reason') == 'throttled']
        return moduli, ('%s: no group-exchange request got a group (%s)'
                        % ('throttled' if throttled else 'refused', '; '.join(errors)[:500]))
    return moduli, None
