# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an SSH peer says before key exchange: its identification line, the software it names, and its KEXINIT.

Either side speaks first in the clear (RFC 4253 sections 4.2 and 7.1):

* zero or more "other lines" (RFC 4253 allows them from servers; they never start with ``SSH-``),
* its identification line ``SSH-protoversion-softwareversion [SP comments] CR LF``,
* a binary packet whose payload is SSH_MSG_KEXINIT (message 20).

:class:`HelloParser` is fed bytes as they arrive and returns a :class:`Hello` once the KEXINIT is complete, or
raises :class:`~.wire.PeerError` with a stable ``reason``. The probe reads servers with it and the client capture
reads clients; packets are cut by the one codec in :mod:`.wire`. :func:`parse_software` names the product behind
an identification line. Every size is bounded, so a hostile peer can make it neither allocate without limit nor
loop forever.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from .catalog import EXT_INFO_CLIENT, EXT_INFO_SERVER, STRICT_KEX_CLIENT, STRICT_KEX_SERVER
from .wire import MAX_PACKET_BYTES, MSG_DISCONNECT, MSG_KEXINIT, PacketBuffer, PeerError, disconnect_text, \
    message_type, parse_kexinit, printable

# Bounds. OpenSSH's kex_exchange_identification() (kex.c) accepts at most 1024 lines before the banner
# (SSH_MAX_PRE_BANNER_LINES) and lines of at most 8192 bytes (SSH_MAX_BANNER_LEN); we use the same so that
# whatever OpenSSH clients accept, we accept too.
MAX_PRE_BANNER_LINES = 1024
MAX_LINE_BYTES = 8192

# Lines OpenSSH's sshd writes, instead of its banner, when it turns a connection away because of its limits
# (openssh-portable sshd.c: "Exceeded MaxStartups" for MaxStartups / PerSourceMaxStartups, and "Not allowed
# at this time" for PerSourcePenalties since 9.8).
THROTTLE_LINES = ('Exceeded MaxStartups', 'Not allowed at this time')


def parse_banner(line):
    """Split an identification line into ``(protoversion, softwareversion, comments)``.

    ``line`` is text without the line ending. Raises :class:`PeerError` when it is not an SSH-2 banner.
    """
    if not line.startswith('SSH-'):
        raise PeerError('not_ssh', 'not an SSH identification line: %r' % line[:80])
    rest = line[4:]
    proto, sep, software = rest.partition('-')
    if not sep:
        raise PeerError('protocol_error', 'identification line without software version: %r' % line[:80])
    if proto not in ('2.0', '1.99'):
        if proto.startswith('1.'):
            raise PeerError('ssh1_only', 'server speaks only SSH protocol %s (SSH-1 is obsolete and insecure)'
                            % proto, banner=line)
        raise PeerError('protocol_error', 'unsupported SSH protocol version %r' % proto[:20], banner=line)
    software, _sp, comments = software.partition(' ')
    return proto, software, comments


# Known products: (regex on softwareversion, product name). The first group, when present, is the version.
# The banners are those the products send by default (each project's source: OpenSSH version.h, ProFTPD
# mod_sftp.h SFTP_ID_DEFAULT_STRING, dropbear sysoptions.h LOCAL_IDENT, paramiko transport.py,
# asyncssh connection.py, PuTTY sshver, libssh2 libssh2.h, JSch Session.java, Go x/crypto/ssh, sshj DefaultConfig.java
# readVersionFromProperties, SSH.NET Session.cs ClientVersion, whose "0.0.1" is not the release, npm ssh2).
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
    (re.compile(r'^SSHJ_([\w.]+)', re.I), 'sshj'),
    (re.compile(r'^Renci\.SshNet\.', re.I), 'SSH.NET'),
    (re.compile(r'^ssh2js([\w.]+)$'), 'Node ssh2'),   # npm ssh2 lib/protocol/Protocol.js IDENT_RAW
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


def looks_like(data):
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


class Hello:
    """What one peer sent before key exchange. ``role`` is ``server`` or ``client``: it decides which
    pseudo-algorithms (``kex-strict-s``/``-c``, ``ext-info-s``/``-c``) announce strict kex and extension
    negotiation."""

    __slots__ = ('role', 'banner', 'pre_banner', 'offer', 'warnings', 'empty_entries', 'raw_kexinit')

    def __init__(self, role, banner, pre_banner, offer, warnings, empty_entries, raw_kexinit):
        self.role = role
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
        return (STRICT_KEX_SERVER if self.role == 'server' else STRICT_KEX_CLIENT) in self.offer['kex_algorithms']

    @property
    def ext_info(self):
        return (EXT_INFO_SERVER if self.role == 'server' else EXT_INFO_CLIENT) in self.offer['kex_algorithms']

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


class HelloParser:
    """Incremental parser of one peer's byte stream up to and including its KEXINIT.

    ``role`` is the peer's (``server`` for the probe, ``client`` for the capture); messages name the peer by it. Call :meth:`feed` with each chunk
    received; it returns ``None`` while more bytes are needed, a :class:`Hello` once the KEXINIT is complete, or
    raises :class:`~.wire.PeerError`. Call :meth:`eof` when the peer closed the connection: it raises the error
    that explains what was missing. After the hello, :attr:`packets` goes on cutting the peer's packets.
    """

    def __init__(self, role='server', max_packet_bytes=MAX_PACKET_BYTES):
        self.role = role
        self._lines = bytearray()
        self.packets = PacketBuffer(max_packet_bytes)
        self.banner = None
        self.pre_banner = []
        self.received = False

    def push(self, data):
        """Add received bytes without interpreting them (see :meth:`next_payload`)."""
        if data:
            self.received = True
            if self.banner is None:
                self._lines += data
            else:
                self.packets.push(data)

    def next_payload(self):
        """The next complete packet payload after the identification line, or None (see PacketBuffer)."""
        return self.packets.next_payload()

    def feed(self, data):
        self.push(data)
        if self.banner is None and not self._read_lines():
            return None
        payload = self.packets.next_payload()
        if payload is None:
            return None
        msg = message_type(payload)
        if msg == MSG_KEXINIT:
            try:
                offer, warnings, empty_entries = parse_kexinit(payload)
            except PeerError as exc:
                exc.banner = self.banner
                raise
            return Hello(self.role, self.banner, self.pre_banner, offer, warnings, empty_entries, payload)
        if msg == MSG_DISCONNECT:
            raise PeerError('disconnected', '%s disconnected before key exchange: %s'
                            % (self.role, disconnect_text(payload)), banner=self.banner)
        raise PeerError('protocol_error', 'expected SSH_MSG_KEXINIT (20) as the first message, got message %d'
                        % msg, banner=self.banner)

    def _read_lines(self):
        """Consume text lines until the identification line; True once it has been read (what follows it then
        goes to the packet buffer)."""
        buf = self._lines
        while True:
            end = buf.find(b'\n')
            if end < 0:
                if len(buf) > MAX_LINE_BYTES:
                    self._fail_line(bytes(buf), 'no line ending within %d bytes' % MAX_LINE_BYTES)
                # A TLS or other binary service often sends no newline at all: say so early.
                if len(buf) >= 8 and not buf.startswith(b'SSH-'):
                    kind = looks_like(buf)
                    if kind and not self.pre_banner:
                        raise PeerError('not_ssh', 'the service is %s, not SSH (it sent %s)'
                                        % (kind, printable(bytes(buf), 40)))
                return False
            if end > MAX_LINE_BYTES:
                self._fail_line(bytes(buf[:end]), 'line longer than %d bytes' % MAX_LINE_BYTES)
            raw = bytes(buf[:end])
            del buf[:end + 1]
            if raw.endswith(b'\r'):
                raw = raw[:-1]
            if raw.startswith(b'SSH-'):
                line = raw.decode('ascii', 'replace')
                # parse_banner raises for SSH-1 and malformed identification lines.
                parse_banner(line)
                self.banner = self.packets.banner = line
                self.packets.push(bytes(buf))
                del buf[:]
                return True
            if not self.pre_banner:
                kind = looks_like(raw)
                if kind:
                    raise PeerError('not_ssh', 'the service is %s, not SSH (it sent %s)' % (kind, printable(raw)))
            if len(self.pre_banner) >= MAX_PRE_BANNER_LINES:
                raise PeerError('not_ssh', 'no SSH identification line within %d lines' % MAX_PRE_BANNER_LINES)
            if any(b < 0x09 or 0x0d < b < 0x20 for b in bytearray(raw)):
                raise PeerError('not_ssh', 'the service sent binary data, not an SSH identification line: %s'
                                % printable(raw, 40))
            self.pre_banner.append(raw.decode('utf-8', 'replace'))

    def _fail_line(self, raw, why):
        kind = looks_like(raw)
        raise PeerError('not_ssh', 'not an SSH service: %s%s; it sent %s'
                        % (why, ' (looks like %s)' % kind if kind else '', printable(raw, 40)))

    def eof(self):
        """The peer closed the connection; raise the error that describes what was missing."""
        if not self.received:
            raise PeerError('closed', 'the %s closed the connection without sending anything' % self.role)
        if self.banner is None:
            throttle = next((line for line in self.pre_banner if line.strip() in THROTTLE_LINES), None)
            if throttle:
                raise PeerError('throttled', 'the SSH server turned the connection away because of its connection '
                                'limits ("%s": OpenSSH MaxStartups, PerSourceMaxStartups or PerSourcePenalties); '
                                'retry later or with lower concurrency' % throttle.strip())
            if self._lines.startswith(b'SSH-'):
                raise PeerError('protocol_error', 'connection closed in the middle of the identification line',
                                banner=printable(bytes(self._lines)))
            first = self.pre_banner[0].encode('utf-8') if self.pre_banner else b''
            kind = looks_like(self._lines) or (looks_like(first) if first else None)
            raise PeerError('not_ssh', 'the service closed the connection without an SSH identification line%s; it '
                            'sent %s' % (' (looks like %s)' % kind if kind else '', printable(bytes(self._lines) or first, 60)))
        if self.packets.buffer:
            raise PeerError('protocol_error', 'connection closed in the middle of a packet (%d bytes received of it)'
                            % len(self.packets.buffer), banner=self.banner)
        raise PeerError('closed', 'the %s closed the connection after its identification line, before its KEXINIT'
                        % self.role, banner=self.banner)


def parse_stream(data, role='server'):
    """Parse a complete captured stream of one peer at once (tests, fuzzing, saved captures)."""
    parser = HelloParser(role)
    hello = parser.feed(data)
    if hello is None:
        parser.eof()
    return hello
