# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Learn a server's host key for one host-key algorithm from the first half of a key exchange.

The KEXINIT names host-key algorithms but not keys. The key itself (K_S) travels in the server's key-exchange
reply (RFC 4253 section 8, RFC 5656 section 4, RFC 8731, RFC 4419 section 3), unencrypted, right after our
own key-exchange message. So we send a KEXINIT that allows exactly one host-key algorithm, send an ephemeral
public value, read the reply and stop: no shared secret is computed, no NEWKEYS, no authentication.

We do not verify the server's signature: it would prove only that whoever answered holds the private half
of the key it presented, which a man in the middle can do for its own key too. Fingerprints are for
comparison with a trusted record (known_hosts, an inventory), not proof of identity by themselves. Not
verifying also means legacy algorithms that current libraries refuse (``ssh-rsa`` with SHA-1, ``ssh-dss``)
can still be inventoried.

Plain Python and asyncio, no Ansible imports; ``cryptography`` (a dependency of ansible-core) is used only
to make curve25519/ECDH ephemeral keys, and the Diffie-Hellman methods work without it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import base64
import hashlib
import os

from .catalog import NAME_LIST_KEYS, NEGOTIATED_LIST_KEYS, WIRE_NAME, key_family, is_certificate
from .hello import HelloParser
from .wire import (
    MSG_DISCONNECT,
    MSG_KEX_DH_GEX_INIT,
    MSG_KEX_DH_GEX_REPLY,
    MSG_KEX_DH_GEX_REQUEST,
    MSG_KEXDH_INIT,
    MSG_KEXDH_REPLY,
    PeerError,
    Reader,
    printable,
    build_kexinit,
    build_packet,
    disconnect_text,
    encode_mpint,
    encode_string,
    encode_uint32,
    message_type,
)

try:
    from cryptography.hazmat.primitives.asymmetric import ec, x25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_CRYPTOGRAPHY = False

# RFC 3526 section 1 / RFC 2409 section 6: the MODP primes are p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)
# with generator 2. Deriving them from that formula avoids transcribing thousands of hex digits; the unit
# tests check that each is a safe prime and equals paramiko's constants.
MODP_GROUPS = {
    # kex name: (bits n, k)
    'diffie-hellman-group1-sha1': (1024, 129093),        # Oakley group 2, RFC 2409 section 6.2
    'diffie-hellman-group14-sha1': (2048, 124476),       # RFC 3526 section 3
    'diffie-hellman-group14-sha256': (2048, 124476),     # RFC 8268
    'diffie-hellman-group16-sha512': (4096, 240904),     # RFC 3526 section 5, RFC 8268
    'diffie-hellman-group18-sha512': (8192, 4743158),    # RFC 3526 section 7, RFC 8268
}
GEX_METHODS = ('diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1')
ECDH_CURVES = {'ecdh-sha2-nistp256': 'SECP256R1', 'ecdh-sha2-nistp384': 'SECP384R1', 'ecdh-sha2-nistp521': 'SECP521R1'}
CURVE25519 = ('curve25519-sha256', 'curve25519-sha256@libssh.org')

# Cheapest first: the server takes the first method of our list that it also offers (RFC 4253 section 7.1).
_PREFERENCE = CURVE25519 + tuple(ECDH_CURVES) + (
    'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1') + GEX_METHODS + (
    'diffie-hellman-group16-sha512', 'diffie-hellman-group1-sha1', 'diffie-hellman-group18-sha512')

# What a GEX request asks for (RFC 4419 section 3): accept anything from 1024 bits so old servers answer too.
GEX_MIN, GEX_PREFERRED, GEX_MAX = 1024, 2048, 8192

_KEY_BITS = {'ssh-ed25519': 256, 'ssh-ed448': 456, 'sk-ssh-ed25519@openssh.com': 256,
             'nistp256': 256, 'nistp384': 384, 'nistp521': 521}
_CERT_SUFFIX = '-cert-v01@openssh.com'


def supported_kex():
    """Key-exchange methods this fetcher can start, in the order it proposes them."""
    return [name for name in _PREFERENCE if HAS_CRYPTOGRAPHY or name in MODP_GROUPS or name in GEX_METHODS]


_PI_CACHE = {}


def _pi_scaled(bits):
    """floor(pi * 2^bits), by Machin's formula in integer arithmetic (with guard bits)."""
    if bits not in _PI_CACHE:
        guard = 64
        one = 1 << (bits + guard)

        def arctan_inv(x):
            total, term, n, sign = 0, one // x, 1, 1
            while term:
                total += sign * (term // n)
                term //= x * x
                n += 2
                sign = -sign
            return total
        _PI_CACHE[bits] = (4 * (4 * arctan_inv(5) - arctan_inv(239))) >> guard
    return _PI_CACHE[bits]


def modp_prime(kex_name):
    """The RFC 3526 / RFC 2409 prime for a fixed-group Diffie-Hellman method."""
    n, k = MODP_GROUPS[kex_name]
    return (1 << n) - (1 << (n - 64)) - 1 + (1 << 64) * (_pi_scaled(n - 130) + k)


_CURVES = ('nistp256', 'nistp384', 'nistp521')
_CERT_TYPES = {1: 'user', 2: 'host'}
# RFC 4251 section 5: an mpint is signed; no real key has a public value of more than 16384 bits, and a blob can
# carry at most one packet (RFC 4253 section 6.1: 35000 bytes), so anything beyond that is hostile.
MAX_KEY_BITS = 16384
MAX_BLOB = 35000


def _key_type_name(reader, field):
    raw = reader.string(field)
    if not raw or len(raw) > 64 or not WIRE_NAME.match(raw):
        raise PeerError('protocol_error', '%s: %s is not a printable key type name: %s'
                        % (reader.what, field, printable(raw)))
    return raw.decode('ascii')


def _positive(reader, field):
    value = reader.mpint(field)
    if value <= 0 or value.bit_length() > MAX_KEY_BITS:
        raise PeerError('protocol_error', '%s: %s is not a positive integer of at most %d bits'
                        % (reader.what, field, MAX_KEY_BITS))
    return value


def _key_fields(reader, base):
    """Read the public-key fields of ``base`` (RFC 4253 section 6.6, RFC 5656 section 3.1, RFC 8709 section 4,
    OpenSSH PROTOCOL.u2f); return ``(bits, curve)``."""
    sk = base.startswith('sk-')
    plain = base[3:].split('@', 1)[0] if sk else base
    if plain == 'ssh-rsa':
        _positive(reader, 'the RSA exponent e')
        return _positive(reader, 'the RSA modulus n').bit_length(), None
    if plain == 'ssh-dss':
        bits = _positive(reader, 'the DSA prime p').bit_length()
        for field in ('q', 'g', 'y'):
            _positive(reader, 'the DSA value %s' % field)
        return bits, None
    if plain.startswith('ecdsa-sha2-'):
        curve = reader.text('the ECDSA curve name')
        if curve != plain[len('ecdsa-sha2-'):] or curve not in _CURVES:
            raise PeerError('protocol_error', '%s: curve %s does not match key type %s'
                            % (reader.what, printable(curve.encode('ascii', 'replace')), base))
        point = reader.string('the ECDSA public point')
        size = (_KEY_BITS[curve] + 7) // 8
        if len(point) != 1 + 2 * size or point[:1] != b'\x04':
            raise PeerError('protocol_error', '%s: the ECDSA point is not an uncompressed %s point' % (reader.what, curve))
        if sk:
            reader.string('the security key application')
        return _KEY_BITS[curve], curve
    if plain in ('ssh-ed25519', 'ssh-ed448'):
        size = 32 if plain == 'ssh-ed25519' else 57
        if len(reader.string('the EdDSA public key')) != size:
            raise PeerError('protocol_error', '%s: the %s public key is not %d bytes' % (reader.what, plain, size))
        if sk:
            reader.string('the security key application')
        return _KEY_BITS[plain], None
    return None, None  # a type this inventory does not know: listed, size unknown, the rest of the blob unread


def _uint64(reader, field):
    return (reader.uint32(field) << 32) | reader.uint32(field)


def inspect_key(blob):
    """Everything a public-key or certificate blob says about the key, checked field by field.

    Returns ``{type, key_type, bits, curve, certificate}``: ``type`` as sent (``ssh-rsa-cert-v01@openssh.com``),
    ``key_type`` without the certificate suffix, ``bits`` (None for an unknown type), ``curve`` for ECDSA, and
    ``certificate`` None or ``{cert_type, key_id, principals, valid_after, valid_before, ca_type, ca_bits,
    ca_curve, ca_fingerprint_sha256}`` (OpenSSH PROTOCOL.certkeys). Raises :class:`PeerError` (``protocol_error``)
    for a blob that is truncated, oversized, inconsistent (an ECDSA curve that is not the type's, a point or key of
    the wrong length) or has bytes after its last field.
    """
    if not isinstance(blob, (bytes, bytearray)) or not 0 < len(blob) <= MAX_BLOB:
        raise PeerError('protocol_error', 'host key blob is empty or larger than %d bytes' % MAX_BLOB)
    reader = Reader(bytes(blob), 'host key blob')
    key_type = _key_type_name(reader, 'the key type')
    cert = key_type.endswith(_CERT_SUFFIX)
    base = key_type[:-len(_CERT_SUFFIX)] if cert else key_type
    if cert:
        reader.string('the certificate nonce')
    bits, curve = _key_fields(reader, base)
    certificate = None
    if cert and bits is not None:
        _uint64(reader, 'the certificate serial')
        kind = reader.uint32('the certificate type')
        key_id = reader.string('the certificate key id')
        principals = []
        names = Reader(reader.string('the valid principals'), 'certificate principals')
        while names.remaining and len(principals) < 256:
            principals.append(printable(names.string('a principal'), 255))
        valid_after, valid_before = _uint64(reader, 'valid after'), _uint64(reader, 'valid before')
        for field in ('the critical options', 'the extensions', 'the reserved field'):
            reader.string(field)
        ca_blob = reader.string('the signature (CA) key')
        reader.string('the CA signature')
        if not ca_blob:
            raise PeerError('protocol_error', 'host key blob: the certificate has no CA key')
        ca = inspect_key(ca_blob)
        if ca['certificate'] is not None:
            raise PeerError('protocol_error', 'host key blob: the certificate is signed by another certificate')
        certificate = {'cert_type': _CERT_TYPES.get(kind, 'unknown (%d)' % kind), 'key_id': printable(key_id, 255),
                       'principals': principals, 'valid_after': valid_after, 'valid_before': valid_before,
                       'ca_type': ca['type'], 'ca_bits': ca['bits'], 'ca_curve': ca['curve'],
                       'ca_fingerprint_sha256': sha256_fingerprint(ca_blob)}
    if bits is not None and reader.remaining:
        raise PeerError('protocol_error', 'host key blob: %d unexpected bytes after the %s key' % (reader.remaining, key_type))
    return {'type': key_type, 'key_type': base, 'bits': bits, 'curve': curve, 'certificate': certificate}


def describe_key(blob):
    """Return ``(key_type, bits)`` for a public-key blob (see :func:`inspect_key`)."""
    info = inspect_key(blob)
    return info['type'], info['bits']


def sha256_fingerprint(key_blob):
    """OpenSSH-style ``SHA256:<base64 without padding>`` fingerprint of a public-key blob."""
    digest = hashlib.sha256(key_blob).digest()
    return 'SHA256:' + base64.b64encode(digest).decode('ascii').rstrip('=')


def _ephemeral(kex, group=None):
    """Our key-exchange message body for ``kex`` (the value itself; the private half is thrown away)."""
    if kex in CURVE25519:
        public = x25519.X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return encode_string(public)
    if kex in ECDH_CURVES:
        private = ec.generate_private_key(getattr(ec, ECDH_CURVES[kex])())
        return encode_string(private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    prime, generator = group
    exponent = int.from_bytes(os.urandom(32), 'big') | (1 << 255)
    return encode_mpint(pow(generator, exponent, prime))


class _Session:
    """One connection: our KEXINIT out, the server's hello in, then packets one at a time."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.parser = HelloParser('server')
        self.hello = None

    async def hello_and_kexinit(self):
        while self.hello is None:
            data = await self.reader.read(65536)
            if not data:
                self.parser.eof()
            self.hello = self.parser.feed(data)
        return self.hello

    async def payload(self, expected):
        while True:
            payload = self.parser.next_payload()
            if payload is not None:
                msg = message_type(payload)
                if msg == MSG_DISCONNECT:
                    raise PeerError('disconnected', 'server disconnected during the key exchange: %s'
                                    % disconnect_text(payload))
                if msg != expected:
                    raise PeerError('protocol_error', 'expected key-exchange message %d, got %d' % (expected, msg))
                return payload
            data = await self.reader.read(65536)
            if not data:
                raise PeerError('closed', 'server closed the connection during the key exchange (servers such as '
                                'dropbear 2022.83 offer host-key algorithms they hold no key for)')
            self.parser.push(data)


async def _exchange(address, port, algorithm, offer, banner_line, kex):
    reader, writer = await asyncio.open_connection(address, port)
    try:
        proposal = {key: offer[key] for key in NAME_LIST_KEYS}
        proposal['kex_algorithms'] = [kex]
        proposal['server_host_key_algorithms'] = [algorithm]
        writer.write((banner_line + '\r\n').encode('ascii') + build_packet(build_kexinit(proposal, os.urandom(16))))
        session = _Session(reader, writer)
        await session.hello_and_kexinit()
        group = None
        if kex in MODP_GROUPS:
            group = (modp_prime(kex), 2)
        elif kex in GEX_METHODS:
            writer.write(build_packet(bytes(bytearray([MSG_KEX_DH_GEX_REQUEST])) + encode_uint32(GEX_MIN)
                                      + encode_uint32(GEX_PREFERRED) + encode_uint32(GEX_MAX)))
            params = Reader(await session.payload(MSG_KEXDH_REPLY), 'DH group-exchange group', pos=1)
            group = (params.mpint(), params.mpint())
            if group[0] < 3 or group[0].bit_length() > GEX_MAX or not 1 < group[1] < group[0]:
                raise PeerError('protocol_error', 'server sent an unusable DH group-exchange group')
        init_msg = MSG_KEX_DH_GEX_INIT if kex in GEX_METHODS else MSG_KEXDH_INIT
        writer.write(build_packet(bytes(bytearray([init_msg])) + _ephemeral(kex, group)))
        reply = Reader(await session.payload(MSG_KEX_DH_GEX_REPLY if kex in GEX_METHODS else MSG_KEXDH_REPLY),
                       'key-exchange reply', pos=1)
        blob = reply.string()
        reply.string()  # the server's ephemeral value (Q_S or f)
        signature = Reader(reply.string(), 'signature')
        return blob, _key_type_name(signature, 'the signature algorithm')
    finally:
        writer.transport.abort()


async def fetch_host_key_async(address, port, algorithm, offer, timeout, banner_line):
    """Return ``{algorithm, type, bits, fingerprint_sha256, public_key, kex, signature_algorithm}`` or
    ``{algorithm, error}``; never raises for network or peer problems."""
    kex = next((name for name in supported_kex() if name in offer['kex_algorithms']), None)
    if kex is None:
        return {'algorithm': algorithm, 'error': 'no key exchange method in common: the server offers %s; this '
                'fetcher can start %s' % (','.join(offer['kex_algorithms']), ','.join(supported_kex()))}
    missing = [key for key in NEGOTIATED_LIST_KEYS[2:] if not offer[key]]
    if missing:
        return {'algorithm': algorithm, 'error': 'the server offers no %s, so no key exchange can start' % missing[0]}
    try:
        blob, signature_algorithm = await asyncio.wait_for(
            _exchange(address, port, algorithm, offer, banner_line, kex), timeout)
        info = inspect_key(blob)
        if key_family(info['type']) != key_family(algorithm) or is_certificate(info['type']) != is_certificate(algorithm):
            raise PeerError('protocol_error', 'the server answered host-key algorithm %s with a %s key'
                            % (algorithm, info['type']))
    except asyncio.TimeoutError:
        return {'algorithm': algorithm, 'kex': kex, 'reason': 'timeout',
                'error': 'no key-exchange reply within %g s' % timeout}
    except PeerError as exc:
        return {'algorithm': algorithm, 'kex': kex, 'reason': exc.reason, 'error': exc.msg}
    except (OSError, EOFError) as exc:
        reason = 'refused' if isinstance(exc, ConnectionRefusedError) else (
            'reset' if isinstance(exc, ConnectionResetError) else 'closed')
        return {'algorithm': algorithm, 'kex': kex, 'reason': reason,
                'error': 'connection failed during the key exchange: %s'
                % (exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__)}
    result = {
        'algorithm': algorithm,
        'fingerprint_sha256': sha256_fingerprint(blob),
        'public_key': '%s %s' % (info['type'], base64.b64encode(blob).decode('ascii')),
        'kex': kex,
        'signature_algorithm': signature_algorithm,
    }
    result.update(info)
    return result


def key_groups(algorithms):
    """Group offered host-key algorithms by the key behind them: one key per family, certificates apart
    (``rsa-sha2-512``, ``rsa-sha2-256`` and ``ssh-rsa`` are signature schemes of one RSA key, RFC 8332 section 3;
    sshd.c ``list_hostkey_types`` offers all three for each RSA key). Order of first appearance."""
    groups = []
    index = {}
    for name in algorithms:
        group = (key_family(name), is_certificate(name))
        if group not in index:
            index[group] = len(groups)
            groups.append([])
        groups[index[group]].append(name)
    return groups
