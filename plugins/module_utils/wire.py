# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one SSH wire codec: RFC 4251 section 5 data types, RFC 4253 section 6 unencrypted binary packets and the
SSH_MSG_KEXINIT payload (RFC 4253 section 7.1), read and written.

The probe, the client capture, the host-key reader, the lab's peers and the benchmarks all use these functions;
nothing else in the collection packs or unpacks SSH bytes. Reading is bounds-checked everywhere: a hostile peer
gets a :class:`PeerError` with ``reason`` ``protocol_error``, never an exception from deep inside ``struct``, an
unbounded allocation or an endless loop.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from .catalog import NAME_LIST_KEYS, WIRE_NAME

# Message numbers (RFC 4250 section 4.1.2, RFC 4419 section 5, RFC 5656 section 7.1).
MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_KEXINIT = 20
MSG_NEWKEYS = 21               # the last unencrypted message of each direction's key exchange
MSG_KEXDH_INIT = 30           # also SSH_MSG_KEX_ECDH_INIT
MSG_KEXDH_REPLY = 31          # also SSH_MSG_KEX_ECDH_REPLY and SSH_MSG_KEX_DH_GEX_GROUP
MSG_KEX_DH_GEX_INIT = 32
MSG_KEX_DH_GEX_REPLY = 33
MSG_KEX_DH_GEX_REQUEST = 34

# OpenSSH refuses packets over 256 KiB (PACKET_MAX_SIZE in packet.c); RFC 4253 section 6.1 only requires 35000.
# A real KEXINIT is a few kilobytes.
MAX_PACKET_BYTES = 256 * 1024
# SSH_MSG_IGNORE / SSH_MSG_DEBUG are allowed at any time (RFC 4253 section 11); skip a bounded number.
MAX_SKIPPED_MESSAGES = 16
_SKIPPABLE = (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED)


class PeerError(Exception):
    """What a peer sent (or did) makes it unusable; ``reason`` is a stable code, ``msg`` is for people, ``banner``
    the peer's identification line when it had sent one."""

    def __init__(self, reason, msg, banner=None):
        super(PeerError, self).__init__(msg)
        self.reason = reason
        self.msg = msg
        self.banner = banner


def printable(data, limit=80):
    """Render untrusted bytes for a message: bounded and free of control characters."""
    text = bytes(data[:limit]).decode('ascii', 'backslashreplace')
    text = ''.join(ch if 0x20 <= ord(ch) < 0x7f else '\\x%02x' % ord(ch) for ch in text)
    return text + ('...' if len(data) > limit else '')


# Writing.

def encode_uint32(value):
    return struct.pack('>I', value)


def encode_string(data):
    return struct.pack('>I', len(data)) + data


def encode_mpint(value):
    """RFC 4251 section 5 mpint of a non-negative integer."""
    if value == 0:
        return struct.pack('>I', 0)
    raw = value.to_bytes((value.bit_length() + 7) // 8, 'big')
    if bytearray(raw[:1])[0] & 0x80:
        raw = b'\x00' + raw  # keep the sign bit clear: the value is positive
    return encode_string(raw)


def encode_name_list(names):
    """A name-list from a list of names or an already comma-joined string."""
    return encode_string((names if isinstance(names, str) else ','.join(names)).encode('ascii'))


def build_kexinit(offer, cookie=b'\x00' * 16):
    """Encode a proposal as an SSH_MSG_KEXINIT payload (the inverse of :func:`parse_kexinit`)."""
    return b''.join([struct.pack('B', MSG_KEXINIT), cookie]
                    + [encode_name_list(offer.get(key) or []) for key in NAME_LIST_KEYS]
                    + [struct.pack('>BI', 1 if offer.get('first_kex_packet_follows') else 0, 0)])


def build_packet(payload, block=8):
    """Wrap a payload in an unencrypted RFC 4253 section 6 binary packet (zero padding, no MAC)."""
    padding = block - ((5 + len(payload)) % block)
    if padding < 4:
        padding += block
    return struct.pack('>IB', len(payload) + padding + 1, padding) + payload + b'\x00' * padding


# Reading.

class Reader:
    """Bounds-checked reader of SSH data types from one payload; ``what`` names it in error messages."""

    def __init__(self, data, what, pos=0):
        self.data = data
        self.pos = pos
        self.what = what

    def _need(self, count, field):
        if self.pos + count > len(self.data):
            raise PeerError('protocol_error', '%s ends before %s' % (self.what, field))

    def byte(self, field='a byte'):
        self._need(1, field)
        self.pos += 1
        return bytearray(self.data[self.pos - 1:self.pos])[0]

    def boolean(self, field='a boolean'):
        return self.byte(field) != 0

    def uint32(self, field='a uint32'):
        self._need(4, field)
        (value,) = struct.unpack_from('>I', self.data, self.pos)
        self.pos += 4
        return value

    def string(self, field='a string'):
        length = self.uint32('the length of %s' % field)
        if length > len(self.data) - self.pos:
            raise PeerError('protocol_error', '%s: %s claims %d bytes but only %d remain'
                            % (self.what, field, length, len(self.data) - self.pos))
        self.pos += length
        return bytes(self.data[self.pos - length:self.pos])

    def text(self, field='a string'):
        return self.string(field).decode('ascii', 'replace')

    def mpint(self, field='an mpint'):
        return int.from_bytes(self.string(field), 'big', signed=True)

    def name_list(self, field='a name-list'):
        """Return ``(names, empty_entries, first_empty)``.

        Empty entries are forbidden by RFC 4251 section 5, yet some servers send them (Cerberus FTP Server's
        ``hmac-ripemd160,,hmac-md5``); they can never match, so they are dropped and counted, and ``first_empty``
        says how many names came before the first one (None when there is none): OpenSSH's match_list() stops
        reading a list there. A name with a byte outside printable US-ASCII, or a comma, is refused.
        """
        raw = self.string(field)
        if not raw:
            return [], 0, None
        names, empty, first_empty = [], 0, None
        for name in raw.split(b','):
            if not name:
                empty += 1
                if first_empty is None:
                    first_empty = len(names)
                continue
            if not WIRE_NAME.match(name):
                bad = next(b for b in bytearray(name) if not 0x21 <= b <= 0x7e)
                raise PeerError('protocol_error', '%s %s holds a name with byte 0x%02x, which is not printable '
                                'US-ASCII: %s' % (self.what, field, bad, printable(name)))
            names.append(name.decode('ascii'))
        return names, empty, first_empty

    @property
    def remaining(self):
        return len(self.data) - self.pos


def message_type(payload):
    return bytearray(payload[:1])[0] if payload else None


def parse_kexinit(payload):
    """Parse an SSH_MSG_KEXINIT payload (starting with the message byte).

    Returns ``(offer, warnings, empty_entries)``: ``offer`` has the ten name-list keys (lists in the sender's
    order) plus ``first_kex_packet_follows``; ``warnings`` are strings about tolerated deviations;
    ``empty_entries`` maps a name-list key to the number of names before its first empty entry.
    """
    if message_type(payload) != MSG_KEXINIT:
        raise PeerError('protocol_error', 'not an SSH_MSG_KEXINIT payload')
    if len(payload) < 17:
        raise PeerError('protocol_error', 'KEXINIT too short for its 16-byte cookie (%d bytes)' % len(payload))
    reader = Reader(payload, 'KEXINIT', pos=17)
    offer, warnings, empty_entries = {}, [], {}
    for key in NAME_LIST_KEYS:
        offer[key], empty, first_empty = reader.name_list('name-list %s' % key)
        if empty:
            empty_entries[key] = first_empty
            warnings.append('name-list %s contains %d empty entr%s (ignored)' % (key, empty, 'y' if empty == 1 else 'ies'))
    if reader.remaining < 5:
        raise PeerError('protocol_error', 'KEXINIT ends before first_kex_packet_follows and the reserved field')
    offer['first_kex_packet_follows'] = reader.boolean()
    if reader.remaining > 4:
        warnings.append('KEXINIT has %d bytes after the reserved field (ignored)' % (reader.remaining - 4))
    return offer, warnings, empty_entries


def disconnect_text(payload):
    """Describe an SSH_MSG_DISCONNECT payload: reason code and the (bounded, sanitized) description."""
    if len(payload) < 9:
        return 'malformed SSH_MSG_DISCONNECT'
    code, length = struct.unpack_from('>II', payload, 1)
    return 'code %d: %s' % (code, printable(payload[9:9 + min(length, 200)], 200))


class PacketBuffer:
    """Bytes received after the identification line, cut into unencrypted binary packets (RFC 4253 section 6).

    :meth:`push` adds what arrived; :meth:`next_payload` returns the next whole payload or None. SSH_MSG_IGNORE,
    SSH_MSG_DEBUG and SSH_MSG_UNIMPLEMENTED are skipped (a bounded number of them). ``banner`` is attached to
    errors so that callers can say who misbehaved.
    """

    def __init__(self, max_packet_bytes=MAX_PACKET_BYTES):
        self.buffer = bytearray()
        self._max_packet = max_packet_bytes
        self._skipped = 0
        self.banner = None

    def push(self, data):
        self.buffer += data

    def next_payload(self):
        while True:
            if len(self.buffer) < 5:
                return None
            length, padding = struct.unpack_from('>IB', self.buffer, 0)
            if length > self._max_packet:
                raise PeerError('protocol_error', 'packet claims %d bytes, over the %d-byte cap'
                                % (length, self._max_packet), banner=self.banner)
            if length < padding + 2:
                raise PeerError('protocol_error', 'malformed packet: length %d with padding %d leaves no payload'
                                % (length, padding), banner=self.banner)
            if len(self.buffer) < 4 + length:
                return None
            payload = bytes(self.buffer[5:4 + length - padding])
            del self.buffer[:4 + length]
            if message_type(payload) in _SKIPPABLE and self._skipped < MAX_SKIPPED_MESSAGES:
                self._skipped += 1
                continue
            return payload
