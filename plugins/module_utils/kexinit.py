# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse what an SSH server sends before key exchange: its identification line and SSH_MSG_KEXINIT.

Plain Python, no Ansible imports: the gather module, the client-capture module, the benchmarks and the
unit tests all use this one parser.

The server speaks first in the clear (RFC 4253 section 4.2 and 7.1):

* zero or more "other lines" (pre-banner text, never starting with ``SSH-``),
* its identification line ``SSH-protoversion-softwareversion [SP comments] CR LF``,
* a binary packet whose payload is SSH_MSG_KEXINIT (message 20): a 16-byte cookie, ten name-lists,
  the ``first_kex_packet_follows`` boolean and a reserved uint32.

:class:`ServerHelloParser` is fed bytes as they arrive and either returns a :class:`ServerHello` or raises
:class:`ProbeError` with a stable ``reason`` code. Every size is bounded, so a hostile peer can make it
neither allocate without limit nor loop forever.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import struct

# The ten RFC 4253 section 7.1 name-lists, in wire order. These are the keys of the "proposal" shape that
# the gather module returns as ``offer`` and that client profiles share.
NAME_LIST_KEYS = (
    'kex_algorithms',
    'server_host_key_algorithms',
    'encryption_algorithms_client_to_server',
    'encryption_algorithms_server_to_client',
    'mac_algorithms_client_to_server',
    'mac_algorithms_server_to_client',
    'compression_algorithms_client_to_server',
    'compression_algorithms_server_to_client',
    'languages_client_to_server',
    'languages_server_to_client',
)

MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_KEXINIT = 20

# Bounds. OpenSSH's kex_exchange_identification() (kex.c) accepts at most 1024 lines before the banner
# (SSH_MAX_PRE_BANNER_LINES) and lines of at most 8192 bytes (SSH_MAX_BANNER_LEN); we use the same so that
# whatever OpenSSH clients accept, we accept too.
MAX_PRE_BANNER_LINES = 1024
MAX_LINE_BYTES = 8192
# OpenSSH refuses packets over 256 KiB (PACKET_MAX_SIZE in packet.c); RFC 4253 section 6.1 only requires
# 35000. A real KEXINIT is a few kilobytes.
MAX_PACKET_BYTES = 256 * 1024
# SSH_MSG_IGNORE / SSH_MSG_DEBUG are allowed at any time (RFC 4253 section 11); skip a bounded number.
MAX_SKIPPED_MESSAGES = 16

STRICT_KEX_SERVER = 'kex-strict-s-v00@openssh.com'
EXT_INFO_SERVER = 'ext-info-s'

# Lines OpenSSH's sshd writes, instead of its banner, when it turns a connection away because of its limits
# (openssh-portable sshd.c: "Exceeded MaxStartups" for MaxStartups / PerSourceMaxStartups, and "Not allowed
# at this time" for PerSourcePenalties since 9.8).
THROTTLE_LINES = ('Exceeded MaxStartups', 'Not allowed at this time')

# Characters allowed in an algorithm name on the wire: printable US-ASCII except comma (RFC 4251 section 5
# and 6). Anything else is refused here, so no control character or space from a hostile server can ever
# reach a configuration file later.
_NAME_CHARS = re.compile(rb'^[\x21-\x2b\x2d-\x7e]+$')

# Stable failure reasons. Documented in the module's RETURN; the report layers key on them.
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


class ProbeError(Exception):
    """A probe failed; ``reason`` is one of :data:`REASONS`, ``msg`` is for people."""

    def __init__(self, reason, msg, banner=None):
        super(ProbeError, self).__init__(msg)
        self.reason = reason
        self.msg = msg
        self.banner = banner


def _printable(data, limit=80):
    """Render untrusted bytes for an error message: bounded and free of control characters."""
    text = data[:limit].decode('ascii', 'backslashreplace')
    text = ''.join(ch if 0x20 <= ord(ch) < 0x7f else '\\x%02x' % ord(ch) for ch in text)
    return text + ('...' if len(data) > limit else '')


def parse_banner(line):
    """Split an identification line into ``(protoversion, softwareversion, comments)``.

    ``line`` is text without the line ending. Raises :class:`ProbeError` when it is not an SSH-2 banner.
    """
    if not line.startswith('SSH-'):
        raise ProbeError('not_ssh', 'not an SSH identification line: %r' % line[:80])
    rest = line[4:]
    proto, sep, software = rest.partition('-')
    if not sep:
        raise ProbeError('protocol_error', 'identification line without software version: %r' % line[:80])
    if proto not in ('2.0', '1.99'):
        if proto.startswith('1.'):
            raise ProbeError('ssh1_only', 'server speaks only SSH protocol %s (SSH-1 is obsolete and insecure)'
                             % proto, banner=line)
        raise ProbeError('protocol_error', 'unsupported SSH protocol version %r' % proto[:20], banner=line)
    software, _sp, comments = software.partition(' ')
    return proto, software, comments


# Known products: (regex on softwareversion, product name). The first group, when present, is the version.
# The banners are those the products send by default (each project's source: OpenSSH version.h, ProFTPD
# mod_sftp.h SFTP_ID_DEFAULT_STRING, dropbear sysoptions.h LOCAL_IDENT, paramiko transport.py,
# asyncssh connection.py, PuTTY sshver, libssh2 libssh2.h, JSch Session.java, Go x/crypto/ssh).
_PRODUCTS = (
    (re.compile(r'^OpenSSH_for_Windows_([\w.]+)', re.I), 'OpenSSH for Windows'),
    (re.compile(r'^OpenSSH_([\w.]+)', re.I), 'OpenSSH'),
    (re.compile(r'^mod_sftp(?:/([\w.]+))?$', re.I), 'ProFTPD mod_sftp'),
    (re.compile(r'^dropbear(?:_([\w.]+))?$', re.I), 'dropbear'),
    (re.compile(r'^paramiko_([\w.]+)', re.I), 'paramiko'),
    (re.compile(r'^AsyncSSH_([\w.]+)', re.I), 'AsyncSSH'),
    (re.compile(r'^PuTTY_Release_([\w.]+)', re.I), 'PuTTY'),
    (re.compile(r'^PuTTY(?:_[\w.]+)?', re.I), 'PuTTY'),
    (re.compile(r'^WinSCP_release_([\w.]+)', re.I), 'WinSCP'),
    (re.compile(r'^libssh2_([\w.]+)', re.I), 'libssh2'),
    (re.compile(r'^libssh[_-]([\w.]+)', re.I), 'libssh'),
    (re.compile(r'^JSCH[-_]([\w.]+)', re.I), 'JSch'),
    (re.compile(r'^APACHE-SSHD-([\w.]+)', re.I), 'Apache MINA SSHD'),
    (re.compile(r'^Go$'), 'Go x/crypto/ssh'),
    (re.compile(r'^CerberusFTPServer_([\w.]+)', re.I), 'Cerberus FTP Server'),
    (re.compile(r'^Cerberus', re.I), 'Cerberus FTP Server'),
    (re.compile(r'^Cisco-([\w.]+)', re.I), 'Cisco'),
    (re.compile(r'^RomSShell_([\w.]+)', re.I), 'RomSShell'),
    (re.compile(r'^([\w.]+) sshlib', re.I), 'Bitvise sshlib'),
    (re.compile(r'^SSHD-CORE-([\w.]+)', re.I), 'Apache MINA SSHD'),
)
_GENERIC = re.compile(r'^([A-Za-z][A-Za-z0-9.+]*?)[_/-]v?(\d[\w.+~-]*)$')


def parse_software(banner):
    """Return ``{product, version, comments, protocol}`` for an identification line.

    Unknown software keeps its raw name as ``product``; ``version`` is ``None`` when none can be read.
    """
    proto, software, comments = parse_banner(banner)
    product, version = None, None
    for pattern, name in _PRODUCTS:
        match = pattern.match(software if name != 'Bitvise sshlib' else software + ' ' + comments)
        if match:
            product = name
            version = match.group(1) if match.groups() else None
            break
    if product is None:
        match = _GENERIC.match(software)
        if match:
            product, version = match.group(1), match.group(2)
        else:
            product = software
    return {'product': product, 'version': version, 'comments': comments or None, 'protocol': proto}


def parse_name_list(data, offset, key):
    """Read one RFC 4251 name-list at ``offset``; return ``(names, new_offset, empty_entries, first_empty)``.

    ``first_empty`` is how many names came before the first empty entry (None when there is none): OpenSSH's
    match_list() stops reading a list there, so the names after it are invisible to OpenSSH peers.
    """
    if offset + 4 > len(data):
        raise ProbeError('protocol_error', 'KEXINIT ends before the length of name-list %s' % key)
    (length,) = struct.unpack_from('>I', data, offset)
    offset += 4
    if length > len(data) - offset:
        raise ProbeError('protocol_error', 'KEXINIT name-list %s claims %d bytes but only %d remain in the packet'
                         % (key, length, len(data) - offset))
    raw = bytes(data[offset:offset + length])
    offset += length
    if not raw:
        return [], offset, 0, None
    names = []
    empty = 0
    first_empty = None
    for name in raw.split(b','):
        if not name:
            # RFC 4251 section 5 forbids empty names; some servers send them anyway (Cerberus FTP Server's
            # "hmac-ripemd160,,hmac-md5"). They can never match, so drop them, count them, and remember where
            # the first one was.
            empty += 1
            if first_empty is None:
                first_empty = len(names)
            continue
        if not _NAME_CHARS.match(name):
            bad = next(b for b in bytearray(name) if not (0x21 <= b <= 0x7e))
            raise ProbeError('protocol_error', 'KEXINIT name-list %s holds a name with byte 0x%02x, which is not '
                             'printable US-ASCII: %s' % (key, bad, _printable(name)))
        names.append(name.decode('ascii'))
    return names, offset, empty, first_empty


def parse_kexinit(payload):
    """Parse an SSH_MSG_KEXINIT payload (starting with the message byte).

    Returns ``(offer, warnings, empty_entries)``: ``offer`` has the ten name-list keys (lists in the sender's
    order) plus ``first_kex_packet_follows``; ``warnings`` are strings about tolerated deviations;
    ``empty_entries`` maps a name-list key to the number of names before its first empty entry.
    """
    if not payload or bytearray(payload[:1])[0] != MSG_KEXINIT:
        raise ProbeError('protocol_error', 'not an SSH_MSG_KEXINIT payload')
    if len(payload) < 17:
        raise ProbeError('protocol_error', 'KEXINIT too short for its 16-byte cookie (%d bytes)' % len(payload))
    offset = 17
    offer = {}
    warnings = []
    empty_entries = {}
    for key in NAME_LIST_KEYS:
        offer[key], offset, empty, first_empty = parse_name_list(payload, offset, key)
        if empty:
            empty_entries[key] = first_empty
            warnings.append('name-list %s contains %d empty entr%s (ignored)' % (key, empty, 'y' if empty == 1 else 'ies'))
    if offset + 5 > len(payload):
        raise ProbeError('protocol_error', 'KEXINIT ends before first_kex_packet_follows and the reserved field')
    offer['first_kex_packet_follows'] = bytearray(payload[offset:offset + 1])[0] != 0
    if len(payload) > offset + 5:
        warnings.append('KEXINIT has %d bytes after the reserved field (ignored)' % (len(payload) - offset - 5))
    return offer, warnings, empty_entries


def build_kexinit(offer, cookie=b'\x00' * 16):
    """Encode a proposal as an SSH_MSG_KEXINIT payload (the inverse of :func:`parse_kexinit`).

    Used by the hostile-peer test server and the benchmarks; lists may be given as lists or comma strings.
    """
    parts = [struct.pack('B', MSG_KEXINIT), cookie]
    for key in NAME_LIST_KEYS:
        value = offer.get(key) or []
        raw = (value if isinstance(value, str) else ','.join(value)).encode('ascii')
        parts.append(struct.pack('>I', len(raw)) + raw)
    parts.append(struct.pack('>BI', 1 if offer.get('first_kex_packet_follows') else 0, 0))
    return b''.join(parts)


def build_packet(payload, block=8):
    """Wrap a payload in an unencrypted RFC 4253 section 6 binary packet (zero padding, no MAC)."""
    padding = block - ((5 + len(payload)) % block)
    if padding < 4:
        padding += block
    return struct.pack('>IB', len(payload) + padding + 1, padding) + payload + b'\x00' * padding


def _looks_like(data):
    """Name a well-known non-SSH protocol from its first bytes, for a helpful ``not_ssh`` message."""
    head = bytes(data[:8])
    if head[:1] in (b'\x15', b'\x16') and head[1:2] == b'\x03':
        return 'a TLS service'
    upper = head.upper()
    if upper.startswith(b'HTTP/') or upper.startswith(b'<'):
        return 'an HTTP service'
    if re.match(rb'^(220|421)[ -]', head):
        return 'an FTP or SMTP service'
    if head.startswith(b'+OK') or head.startswith(b'* OK'):
        return 'a POP3 or IMAP service'
    return None


class ServerHello:
    """What a server sent before key exchange."""

    __slots__ = ('banner', 'pre_banner', 'offer', 'warnings', 'empty_entries', 'raw_kexinit')

    def __init__(self, banner, pre_banner, offer, warnings, empty_entries, raw_kexinit):
        self.banner = banner
        self.pre_banner = pre_banner
        self.offer = offer
        self.warnings = warnings
        self.empty_entries = empty_entries
        self.raw_kexinit = raw_kexinit

    @property
    def software(self):
        return parse_software(self.banner)

    @property
    def strict_kex(self):
        return STRICT_KEX_SERVER in self.offer['kex_algorithms']

    @property
    def ext_info(self):
        return EXT_INFO_SERVER in self.offer['kex_algorithms']

    def as_dict(self):
        result = {
            'banner': self.banner,
            'software': self.software,
            'offer': self.offer,
            'strict_kex': self.strict_kex,
            'ext_info': self.ext_info,
            'pre_banner_lines': list(self.pre_banner),
            'protocol_warnings': list(self.warnings),
        }
        if self.empty_entries:
            result['empty_entries'] = dict(self.empty_entries)
        return result


class ServerHelloParser:
    """Incremental parser of a server's byte stream up to and including its KEXINIT.

    Call :meth:`feed` with each chunk received; it returns ``None`` while more bytes are needed, a
    :class:`ServerHello` once the KEXINIT is complete, or raises :class:`ProbeError`. Call :meth:`eof` when
    the peer closed the connection: it raises the error that explains what was missing.
    """

    def __init__(self, max_packet_bytes=MAX_PACKET_BYTES):
        self._buf = bytearray()
        self._max_packet = max_packet_bytes
        self.banner = None
        self.pre_banner = []
        self._pre_banner_bytes = 0
        self._skipped = 0
        self.received = False

    def push(self, data):
        """Add received bytes without interpreting them (see :meth:`next_payload`)."""
        if data:
            self.received = True
            self._buf += data

    def feed(self, data):
        self.push(data)
        if self.banner is None:
            if not self._read_lines():
                return None
        while True:
            payload = self.next_payload()
            if payload is None:
                return None
            msg = bytearray(payload[:1])[0]
            if msg == MSG_KEXINIT:
                offer, warnings, empty_entries = self._parse_kexinit(payload)
                return ServerHello(self.banner, self.pre_banner, offer, warnings, empty_entries, payload)
            if msg == MSG_DISCONNECT:
                raise ProbeError('disconnected', 'server disconnected before key exchange: %s'
                                 % disconnect_text(payload), banner=self.banner)
            raise ProbeError('protocol_error', 'expected SSH_MSG_KEXINIT (20) as the first message, got message %d'
                             % msg, banner=self.banner)

    def _read_lines(self):
        """Consume text lines until the identification line; True once it has been read."""
        while True:
            end = self._buf.find(b'\n')
            if end < 0:
                if len(self._buf) > MAX_LINE_BYTES:
                    self._fail_line(bytes(self._buf), 'no line ending within %d bytes' % MAX_LINE_BYTES)
                # A TLS or other binary service often sends no newline at all: say so early.
                if len(self._buf) >= 8 and not self._buf.startswith(b'SSH-'):
                    kind = _looks_like(self._buf)
                    if kind and not self.pre_banner:
                        raise ProbeError('not_ssh', 'the service is %s, not SSH (it sent %s)'
                                         % (kind, _printable(bytes(self._buf), 40)))
                return False
            if end > MAX_LINE_BYTES:
                self._fail_line(bytes(self._buf[:end]), 'line longer than %d bytes' % MAX_LINE_BYTES)
            raw = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if raw.endswith(b'\r'):
                raw = raw[:-1]
            if raw.startswith(b'SSH-'):
                line = raw.decode('ascii', 'replace')
                # parse_banner raises for SSH-1 and malformed identification lines.
                parse_banner(line)
                self.banner = line
                return True
            if not self.pre_banner:
                kind = _looks_like(raw)
                if kind:
                    raise ProbeError('not_ssh', 'the service is %s, not SSH (it sent %s)' % (kind, _printable(raw)))
            if len(self.pre_banner) >= MAX_PRE_BANNER_LINES:
                raise ProbeError('not_ssh', 'no SSH identification line within %d lines' % MAX_PRE_BANNER_LINES)
            if any(b < 0x09 or 0x0d < b < 0x20 for b in bytearray(raw)):
                raise ProbeError('not_ssh', 'the service sent binary data, not an SSH identification line: %s'
                                 % _printable(raw, 40))
            self.pre_banner.append(raw.decode('utf-8', 'replace'))

    def _fail_line(self, raw, why):
        kind = _looks_like(raw)
        raise ProbeError('not_ssh', 'not an SSH service: %s%s; it sent %s'
                         % (why, ' (looks like %s)' % kind if kind else '', _printable(raw, 40)))

    def next_payload(self):
        """The next complete unencrypted packet's payload after the identification line, or None.

        SSH_MSG_IGNORE, SSH_MSG_DEBUG and SSH_MSG_UNIMPLEMENTED are skipped (a bounded number of them).
        """
        while True:
            if len(self._buf) < 5:
                return None
            length, padding = struct.unpack_from('>IB', self._buf, 0)
            if length > self._max_packet:
                raise ProbeError('protocol_error', 'packet claims %d bytes, over the %d-byte cap'
                                 % (length, self._max_packet), banner=self.banner)
            if length < padding + 2:
                raise ProbeError('protocol_error', 'malformed packet: length %d with padding %d leaves no payload'
                                 % (length, padding), banner=self.banner)
            if len(self._buf) < 4 + length:
                return None
            payload = bytes(self._buf[5:4 + length - padding])
            del self._buf[:4 + length]
            if bytearray(payload[:1])[0] in (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED) \
                    and self._skipped < MAX_SKIPPED_MESSAGES:
                self._skipped += 1
                continue
            return payload

    def _parse_kexinit(self, payload):
        try:
            return parse_kexinit(payload)
        except ProbeError as exc:
            exc.banner = self.banner
            raise

    def eof(self):
        """The peer closed the connection; raise the error that describes what was missing."""
        if not self.received:
            raise ProbeError('closed', 'the server closed the connection without sending anything')
        if self.banner is None:
            throttle = next((line for line in self.pre_banner if line.strip() in THROTTLE_LINES), None)
            if throttle:
                raise ProbeError('throttled', 'the SSH server turned the connection away because of its connection '
                                 'limits ("%s": OpenSSH MaxStartups, PerSourceMaxStartups or PerSourcePenalties); '
                                 'retry later or with lower concurrency' % throttle.strip())
            if self._buf.startswith(b'SSH-'):
                raise ProbeError('protocol_error', 'connection closed in the middle of the identification line',
                                 banner=_printable(bytes(self._buf)))
            kind = _looks_like(self._buf) or (_looks_like(self.pre_banner[0].encode('utf-8')) if self.pre_banner else None)
            text = bytes(self._buf) or (self.pre_banner[0].encode('utf-8') if self.pre_banner else b'')
            raise ProbeError('not_ssh', 'the service closed the connection without an SSH identification line%s; it sent %s'
                             % (' (looks like %s)' % kind if kind else '', _printable(text, 60)))
        if self._buf:
            raise ProbeError('protocol_error', 'connection closed in the middle of a packet (%d bytes received of it)'
                             % len(self._buf), banner=self.banner)
        raise ProbeError('closed', 'the server closed the connection after its identification line, before its KEXINIT',
                         banner=self.banner)


def disconnect_text(payload):
    """Describe an SSH_MSG_DISCONNECT payload: reason code and the (bounded, sanitized) description."""
    if len(payload) < 9:
        return 'malformed SSH_MSG_DISCONNECT'
    code, length = struct.unpack_from('>II', payload, 1)
    text = _printable(payload[9:9 + min(length, 200)], 200)
    return 'code %d: %s' % (code, text)


def parse_server_stream(data):
    """Parse a complete captured server stream at once (tests, fuzzing, saved captures)."""
    parser = ServerHelloParser()
    hello = parser.feed(data)
    if hello is None:
        parser.eof()
    return hello
