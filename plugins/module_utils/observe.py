# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Observe the SSH clients that really connect: their identification lines and first KEXINITs, read off the wire.

A client sends its identification line and its SSH_MSG_KEXINIT in the clear before any key is agreed (RFC 4253
sections 4.2 and 7.1), so the server host can see exactly what each client proposes without taking part in the
connection. This module reads those bytes from packets:

* from a pcap or pcapng file (:func:`observe_pcap`), or from bytes (:func:`observe_bytes`);
* from a live capture (:func:`observe_live`): Debian's ``tcpdump`` where installed (the kernel's packet filter,
  no promiscuous mode, its pcap stream read as it comes), else a raw ``AF_PACKET`` socket with the same kind of
  in-kernel filter.

Packets go through one pipeline: :class:`CaptureReader` cuts pcap/pcapng records (link types Ethernet, BSD
loopback, raw IP, Linux cooked SLL and SLL2), :meth:`Observer.frame` decodes IPv4/IPv6 and TCP, reassembles each
connection's client-to-server bytes by sequence number (out-of-order and retransmitted segments alike) and feeds
them to :class:`~.hello.HelloParser` until the first KEXINIT; the connection is then forgotten, so nothing after
the KEXINIT is ever kept. Connections aggregate into one entry per distinct (banner, proposal) with its HASSH.

Every size is bounded (bytes per connection, connections tracked at once, distinct clients, addresses per
client, records in a capture), and malformed input of any kind is a counted, per-item reason, never an exception:
only input that is not a capture at all raises :class:`CaptureFormatError`.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import hashlib
import hmac
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from .capture import profile_name
from .catalog import NAME_LIST_KEYS
from .hello import HelloParser, parse_software
from .wire import PeerError, Reader, printable

DEFAULT_PORTS = (22,)
DEFAULT_INTERFACE = 'any'
MAX_DURATION = 3600
MAX_PORTS = 32
MAX_MAX_CONNECTIONS = 10000000

# Bounds of what is kept.
MAX_CONNECTION_BYTES = 64 * 1024      # client bytes before its KEXINIT (a real hello is 1-3 KiB)
MAX_PENDING_SEGMENTS = 64             # out-of-order segments held per connection
MAX_TRACKED_CONNECTIONS = 4096        # connections in progress at once; the oldest is evicted beyond
MAX_BUFFERED_BYTES = 32 * 1024 * 1024  # bytes held by all connections in progress together
MAX_FINISHED_REMEMBERED = 16384       # connections already done, so their later packets start nothing new
MAX_CLIENTS = 256                     # distinct (banner, proposal) entries
MAX_ADDRESSES_TRACKED = 1024          # distinct addresses counted per entry
TOP_ADDRESSES = 10                    # addresses returned per entry
MAX_SAMPLES = 20                      # examples of skipped connections returned
MAX_RECORD_BYTES = 256 * 1024         # one captured packet (tcpdump -s 65535; loopback GSO frames <= 64 KiB)
MAX_BLOCK_BYTES = 1024 * 1024         # one pcapng block
MAX_INTERFACES = 1024                 # pcapng interfaces per section
READ_CHUNK = 1024 * 1024
SNAPLEN = 65535

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
LINK_TYPES = {LINKTYPE_NULL: 'BSD loopback', LINKTYPE_ETHERNET: 'Ethernet', LINKTYPE_RAW: 'raw IP',
              LINKTYPE_LOOP: 'OpenBSD loopback', LINKTYPE_LINUX_SLL: 'Linux cooked (SLL)', LINKTYPE_IPV4: 'raw IPv4',
              LINKTYPE_IPV6: 'raw IPv6', LINKTYPE_LINUX_SLL2: 'Linux cooked v2 (SLL2)'}

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
_VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
# BSD AF_INET6 values as the BSD loopback header writes them (FreeBSD 28, OpenBSD/NetBSD 24, macOS 30).
_NULL_IPV6 = (24, 28, 30)
# Link type -> the bytes its header needs before the network layer can be found (raw IP: its first byte).
_LINK_HEADER_BYTES = {LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16, LINKTYPE_LINUX_SLL2: 20, LINKTYPE_NULL: 4,
                      LINKTYPE_LOOP: 4, LINKTYPE_RAW: 1, LINKTYPE_IPV4: 1, LINKTYPE_IPV6: 1, 12: 1, 14: 1}

_TCP_FIN, _TCP_SYN, _TCP_RST, _TCP_ACK = 0x01, 0x02, 0x04, 0x10
_SEQ_MOD = 1 << 32
_SEQ_HALF = 1 << 31

_REVERSE = -2  # a remembered four-tuple whose SYN-ACK went towards the port: its packets are a server's
_INTERFACE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')


class ObserveError(Exception):
    """Bad options, or a capture that cannot run (no privilege, no such interface); the message is for people."""


class CaptureFormatError(ObserveError):
    """The input is not a pcap or pcapng capture at all (its first bytes are no known magic number)."""


# -- options ---------------------------------------------------------------------------------------------------

def check_options(ports=DEFAULT_PORTS, interface=DEFAULT_INTERFACE, duration=None, max_connections=None, pcap=None):
    """Validate the options of an observation; return the ports as a sorted tuple. Raises :class:`ObserveError`.

    This module owns these checks; the observed_clients_info module's argument spec only converts types.
    """
    if isinstance(ports, (int, str)) or not ports:
        raise ObserveError('ports must be a non-empty list of TCP ports, got %r' % (ports,))
    ports = list(ports)
    if len(ports) > MAX_PORTS:
        raise ObserveError('at most %d ports can be observed at once, got %d' % (MAX_PORTS, len(ports)))
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ObserveError('invalid port %r: must be an integer from 1 to 65535' % (port,))
    if max_connections is not None and (isinstance(max_connections, bool) or not isinstance(max_connections, int)
                                        or not 1 <= max_connections <= MAX_MAX_CONNECTIONS):
        raise ObserveError('max_connections must be an integer from 1 to %d, got %r'
                           % (MAX_MAX_CONNECTIONS, max_connections))
    if pcap is not None:
        if duration is not None:
            raise ObserveError('duration applies to a live capture only; a pcap file is read to its end')
        if not isinstance(pcap, str) or not pcap:
            raise ObserveError('pcap must be the path of a pcap or pcapng file, got %r' % (pcap,))
    else:
        if duration is None:
            raise ObserveError('a live capture needs duration (seconds, above 0 and at most %d)' % MAX_DURATION)
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 < duration <= MAX_DURATION:
            raise ObserveError('duration must be a number of seconds above 0 and at most %d, got %r'
                               % (MAX_DURATION, duration))
        if not isinstance(interface, str) or not _INTERFACE.match(interface):
            raise ObserveError('invalid interface %r: a network interface name (at most 15 letters, digits or _.:@-) '
                               'or "any"' % (interface,))
    return tuple(sorted(set(ports)))


# -- HASSH ------------------------------------------------------------------------------------------------------

def raw_name_lists(payload):
    """The ten name-lists of a KEXINIT payload exactly as sent (comma-joined strings, empty entries included)."""
    reader = Reader(payload, 'KEXINIT', pos=17)
    return [reader.string('name-list %s' % key).decode('ascii', 'replace') for key in NAME_LIST_KEYS]


def hassh(lists):
    """``(hassh, hassh_algorithms)`` of a client's ten raw name-lists.

    The HASSH definition (Salesforce, now Corelight: github.com/salesforce/hassh README.md, "Client
    Fingerprinting - the hassh", and its reference implementation python/hassh.py ``client_hassh``):
    hasshAlgorithms is the client's kex_algorithms, encryption_algorithms_client_to_server,
    mac_algorithms_client_to_server and compression_algorithms_client_to_server, each the comma-separated
    name-list as sent, joined with ``;``; hassh is the MD5 hex digest of that string. Wireshark's
    ``ssh.kex.hassh`` (packet-ssh.c) and Zeek's hassh package compute the same.
    """
    algorithms = ';'.join((lists[0], lists[2], lists[4], lists[6]))
    return hashlib.md5(algorithms.encode('utf-8')).hexdigest(), algorithms  # nosec: a fingerprint, not security


# -- reading pcap and pcapng ------------------------------------------------------------------------------------

_PCAP_MAGICS = {
    b'\xd4\xc3\xb2\xa1': ('<', 1e-6, 16), b'\xa1\xb2\xc3\xd4': ('>', 1e-6, 16),
    b'\x4d\x3c\xb2\xa1': ('<', 1e-9, 16), b'\xa1\xb2\x3c\x4d': ('>', 1e-9, 16),
    # Alexey Kuznetzov's modified pcap (tcpdump -y with old Red Hat patches): 8 more bytes per record.
    b'\x34\xcd\xb2\xa1': ('<', 1e-6, 24), b'\xa1\xb2\xcd\x34': ('>', 1e-6, 24),
}
_PCAPNG_SHB = b'\x0a\x0d\x0d\x0a'
_PCAPNG_BOM = 0x1A2B3C4D


class Frame:
    """One captured packet: ``ts`` (seconds since the epoch), ``linktype``, ``data`` (the captured bytes) and
    ``origlen`` (its length on the wire)."""

    __slots__ = ('ts', 'linktype', 'data', 'origlen')

    def __init__(self, ts, linktype, data, origlen):
        self.ts = ts
        self.linktype = linktype
        self.data = data
        self.origlen = origlen


class CaptureReader:
    """Incremental reader of a pcap or pcapng stream (a file read in chunks, or tcpdump's ``-w -`` output).

    :meth:`feed` takes bytes as they arrive and returns the complete :class:`Frame` objects; :meth:`close` says
    the input ended. Input that is no capture at all raises :class:`CaptureFormatError` (from the first bytes);
    anything wrong later ends the reading cleanly: :attr:`problem` is then ``(reason, message)`` with reason
    ``capture_truncated`` (the input stopped inside a header or record) or ``malformed_capture`` (a record or
    block header that cannot be right). :attr:`ignored` counts records that were skipped on their own
    (``unknown_interface``, ``malformed_record``).
    """

    def __init__(self):
        self._buf = bytearray()
        self._pos = 0
        self.format = None           # 'pcap' or 'pcapng'
        self.problem = None
        self.ignored = collections.Counter()
        self.link_types = set()
        # pcap
        self._endian = '<'
        self._tick = 1e-6
        self._record_header = 16
        self._linktype = None
        # pcapng: per interface (linktype, units per second, snaplen)
        self._interfaces = []

    def feed(self, data):
        if self.problem is not None:
            return []
        if data:
            if self._pos and self._pos >= len(self._buf) // 2:
                del self._buf[:self._pos]
                self._pos = 0
            self._buf += data
        frames = []
        if self.format is None and not self._start():
            return frames
        if self.format == 'pcap':
            self._pcap_records(frames)
        else:
            self._pcapng_blocks(frames)
        return frames

    def close(self):
        """The input ended; a partial header or record left over is ``capture_truncated``."""
        if self.problem is None:
            left = len(self._buf) - self._pos
            if self.format is None:
                if not left:
                    raise CaptureFormatError('not a pcap or pcapng file: it is empty')
                if left >= 4:
                    self._start()  # raises for a wrong magic number
                if self.format is None:
                    raise CaptureFormatError('the capture ends inside its file header (%d bytes)' % left)
                left = len(self._buf) - self._pos
            if left:
                self.problem = ('capture_truncated', 'the capture ends inside a %s (%d bytes left over)'
                                % ('record' if self.format == 'pcap' else 'block', left))
        del self._buf[:]
        self._pos = 0

    def _fail(self, reason, msg):
        self.problem = (reason, msg)
        del self._buf[:]
        self._pos = 0

    # pcap

    def _start(self):
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 4:
            return False
        magic = bytes(buf[pos:pos + 4])
        if magic == _PCAPNG_SHB:
            self.format = 'pcapng'
            return True
        if magic not in _PCAP_MAGICS:
            raise CaptureFormatError('not a pcap or pcapng file (it starts with %s)' % printable(bytes(buf[pos:pos + 16]), 16))
        if len(buf) - pos < 24:
            return False
        self._endian, self._tick, self._record_header = _PCAP_MAGICS[magic]
        network = struct.unpack_from(self._endian + 'I', buf, pos + 20)[0]
        self._linktype = network & 0xFFFF
        self.link_types.add(self._linktype)
        self._pos = pos + 24
        self.format = 'pcap'
        return True

    def _pcap_records(self, frames):
        buf = self._buf
        header = self._endian + 'IIII'
        size = self._record_header
        tick, linktype = self._tick, self._linktype
        pos = self._pos
        end = len(buf)
        while end - pos >= size:
            sec, frac, caplen, origlen = struct.unpack_from(header, buf, pos)
            if caplen > MAX_RECORD_BYTES:
                self._pos = pos
                self._fail('malformed_capture', 'a pcap record claims %d captured bytes (more than %d): the file is '
                           'damaged or not a capture; reading stopped there' % (caplen, MAX_RECORD_BYTES))
                return
            if end - pos - size < caplen:
                break
            start = pos + size
            frames.append(Frame(sec + frac * tick, linktype, bytes(buf[start:start + caplen]), max(origlen, caplen)))
            pos = start + caplen
        self._pos = pos

    # pcapng

    def _pcapng_blocks(self, frames):
        buf = self._buf
        while self.problem is None:
            pos = self._pos
            if len(buf) - pos < 12:
                return
            block_type = bytes(buf[pos:pos + 4])
            if block_type == _PCAPNG_SHB:
                bom = bytes(buf[pos + 8:pos + 12])
                if bom == b'\x4d\x3c\x2b\x1a':
                    self._endian = '<'
                elif bom == b'\x1a\x2b\x3c\x4d':
                    self._endian = '>'
                else:
                    self._fail('malformed_capture', 'a pcapng section header has no valid byte-order magic; '
                               'reading stopped there')
                    return
            endian = self._endian
            kind, length = struct.unpack_from(endian + 'II', buf, pos)
            if length < 12 or length % 4 or length > MAX_BLOCK_BYTES:
                self._fail('malformed_capture', 'a pcapng block claims a length of %d bytes (must be a multiple of 4 '
                           'from 12 to %d); reading stopped there' % (length, MAX_BLOCK_BYTES))
                return
            if len(buf) - pos < length:
                return
            trailer = struct.unpack_from(endian + 'I', buf, pos + length - 4)[0]
            if trailer != length:
                self._fail('malformed_capture', 'a pcapng block\'s two length fields differ (%d and %d); reading stopped '
                           'there' % (length, trailer))
                return
            body = bytes(buf[pos + 8:pos + length - 4])
            self._pos = pos + length
            if kind == 0x0A0D0D0A:
                self._interfaces = []
                if len(body) < 16:
                    self._fail('malformed_capture', 'a pcapng section header block is too short')
                    return
            elif kind == 1:
                self._interface(body, endian)
            elif kind in (6, 2, 3):
                frame = self._packet(kind, body, endian)
                if frame is not None:
                    frames.append(frame)
            # Other blocks (name resolution, statistics, custom, decryption secrets ...) carry no packet.

    def _interface(self, body, endian):
        if len(body) < 8 or len(self._interfaces) >= MAX_INTERFACES:
            self.ignored['malformed_record'] += 1
            self._interfaces.append((None, 10 ** 6, 0))  # keep the numbering of later interfaces
            return
        linktype, _reserved, snaplen = struct.unpack_from(endian + 'HHI', body, 0)
        units = 10 ** 6
        pos = 8
        while pos + 4 <= len(body):
            code, size = struct.unpack_from(endian + 'HH', body, pos)
            if code == 0:
                break
            value = body[pos + 4:pos + 4 + size]
            if code == 9 and size == 1 and len(value) == 1:  # if_tsresol
                resolution = bytearray(value)[0]
                exponent = resolution & 0x7F
                if exponent <= 30:
                    units = (2 ** exponent) if resolution & 0x80 else (10 ** min(exponent, 18))
            pos += 4 + size + (-size % 4)
        self.link_types.add(linktype)
        self._interfaces.append((linktype, units, snaplen))

    def _packet(self, kind, body, endian):
        if kind == 3:  # simple packet block: interface 0, no timestamp
            if len(body) < 4 or not self._interfaces:
                self.ignored['malformed_record' if len(body) < 4 else 'unknown_interface'] += 1
                return None
            origlen = struct.unpack_from(endian + 'I', body, 0)[0]
            linktype, _units, snaplen = self._interfaces[0]
            caplen = min(origlen, len(body) - 4, snaplen or MAX_RECORD_BYTES)
            return Frame(0.0, linktype, body[4:4 + caplen], origlen) if linktype is not None else None
        if kind == 6:
            if len(body) < 20:
                self.ignored['malformed_record'] += 1
                return None
            interface, high, low, caplen, origlen = struct.unpack_from(endian + 'IIIII', body, 0)
            start = 20
        else:  # obsolete packet block
            if len(body) < 20:
                self.ignored['malformed_record'] += 1
                return None
            interface, _drops, high, low, caplen, origlen = struct.unpack_from(endian + 'HHIIII', body, 0)
            start = 20
        if interface >= len(self._interfaces):
            self.ignored['unknown_interface'] += 1
            return None
        if caplen > len(body) - start:
            self.ignored['malformed_record'] += 1
            return None
        linktype, units, _snaplen = self._interfaces[interface]
        if linktype is None:
            self.ignored['unknown_interface'] += 1
            return None
        return Frame(((high << 32) | low) / units, linktype, body[start:start + caplen], max(origlen, caplen))


# -- observing --------------------------------------------------------------------------------------------------

def _iso(ts):
    try:
        moment = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        moment = datetime.datetime.fromtimestamp(0, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class _Conn:
    """One client connection in progress: its client-to-server bytes up to the KEXINIT."""

    __slots__ = ('key', 'isn', 'next_seq', 'parser', 'fed', 'pending', 'pending_bytes', 'fin_seq', 'family', 'src')

    def __init__(self, key, isn, next_seq, family, src):
        self.key = key
        self.isn = isn
        self.next_seq = next_seq
        self.parser = HelloParser('client', max_packet_bytes=MAX_CONNECTION_BYTES)
        self.fed = 0
        self.pending = None
        self.pending_bytes = 0
        self.fin_seq = None
        self.family = family
        self.src = src


class _Client:
    """One distinct (banner, proposal)."""

    __slots__ = ('banner', 'hello', 'lists', 'connections', 'first', 'last', 'addresses', 'untracked')

    def __init__(self, banner, hello, lists):
        self.banner = banner
        self.hello = hello
        self.lists = lists
        self.connections = 0
        self.first = None
        self.last = None
        self.addresses = collections.Counter()
        self.untracked = 0

    def as_dict(self):
        hello = self.hello
        try:
            software = parse_software(self.banner)
        except PeerError:
            software = {'product': None, 'version': None, 'comments': None, 'protocol': None}
        digest, algorithms = hassh(self.lists)
        entry = {
            'banner': self.banner,
            'software': software,
            'profile_name': profile_name(software),
            'proposal': {key: list(hello.offer[key]) for key in NAME_LIST_KEYS},
            'strict_kex': hello.strict_kex,
            'ext_info': hello.ext_info,
            'hassh': digest,
            'hassh_algorithms': algorithms,
            'connections': self.connections,
            'first_seen': _iso(self.first),
            'last_seen': _iso(self.last),
            'addresses': [{'address': address, 'connections': count}
                          for address, count in sorted(self.addresses.items(), key=lambda item: (-item[1], item[0]))
                          [:TOP_ADDRESSES]],
            'distinct_addresses': len(self.addresses),
        }
        if self.untracked:
            entry['connections_from_untracked_addresses'] = self.untracked
        if hello.empty_entries:
            entry['empty_entries'] = dict(hello.empty_entries)
        if hello.warnings:
            entry['protocol_warnings'] = list(hello.warnings)
        return entry


class Observer:
    """Turns captured packets into observed clients.

    Call :meth:`frame` (a :class:`Frame`) or :meth:`ip_packet` (raw socket: IP packet and EtherType) for each
    packet, then :meth:`result`. Only packets whose TCP destination port is one of ``ports`` are looked at.
    ``done`` becomes true once ``max_connections`` connections were accounted for (recorded or skipped).
    ``on_hello(info)`` (tests, benchmarks) is called for each recorded connection with its address, port,
    timestamp and Hello.
    """

    def __init__(self, ports=DEFAULT_PORTS, anonymize_addresses=False, max_connections=None, on_hello=None):
        self.ports = frozenset(ports)
        self.max_connections = max_connections
        self.on_hello = on_hello
        self._salt = os.urandom(32) if anonymize_addresses else None
        self._conns = collections.OrderedDict()
        self._finished = collections.OrderedDict()
        self._buffered = 0
        self._clients = {}
        self.packets = 0
        self.connections_seen = 0
        self.recorded = 0
        self.accounted = 0
        self.skipped = collections.Counter()
        self.samples = []
        self.truncated = collections.Counter()
        self.ignored = collections.Counter()
        self.first_ts = None
        self.last_ts = None
        self.capture_problem = None

    @property
    def done(self):
        return self.max_connections is not None and self.accounted >= self.max_connections

    # link layer

    def frame(self, frame):
        """One captured packet of a pcap/pcapng link type."""
        self.packets += 1
        data = frame.data
        linktype = frame.linktype
        size = len(data)
        minimum = _LINK_HEADER_BYTES.get(linktype)
        if minimum is None:
            self.ignored['unsupported_link_type'] += 1
            return
        if size < minimum:
            self.ignored['malformed_packet'] += 1
            return
        if linktype == LINKTYPE_ETHERNET:
            ethertype = (data[12] << 8) | data[13]
            offset = 14
            tags = 0
            while ethertype in _VLAN_TYPES and tags < 2 and size >= offset + 4:
                ethertype = (data[offset + 2] << 8) | data[offset + 3]
                offset += 4
                tags += 1
        elif linktype == LINKTYPE_LINUX_SLL:
            ethertype = (data[14] << 8) | data[15]
            offset = 16
        elif linktype == LINKTYPE_LINUX_SLL2:
            ethertype = (data[0] << 8) | data[1]
            offset = 20
        elif linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
            # The family is in the byte order of the machine that captured (NULL) or big-endian (LOOP).
            family = struct.unpack_from('>I' if linktype == LINKTYPE_LOOP else '<I', data, 0)[0]
            if linktype == LINKTYPE_NULL and family > 0xFFFF:
                family = struct.unpack_from('>I', data, 0)[0]
            ethertype = ETHERTYPE_IPV4 if family == 2 else ETHERTYPE_IPV6 if family in _NULL_IPV6 else None
            offset = 4
        else:  # raw IP: the version nibble says which
            version = data[0] >> 4
            ethertype = ETHERTYPE_IPV4 if version == 4 else ETHERTYPE_IPV6 if version == 6 else None
            offset = 0
        self._ip(frame.ts, data, offset, ethertype, frame.origlen - size)

    def ip_packet(self, ts, data, ethertype):
        """One packet from the raw socket (SOCK_DGRAM: it starts at the IP header)."""
        self.packets += 1
        self._ip(ts, data, 0, ethertype, 0)

    # network and transport layers

    def _ip(self, ts, data, offset, ethertype, missing):
        size = len(data)
        if ethertype == ETHERTYPE_IPV4:
            if size - offset < 20 or data[offset] >> 4 != 4:
                self.ignored['malformed_packet'] += 1
                return
            ihl = (data[offset] & 0x0F) * 4
            if ihl < 20 or size - offset < ihl:
                self.ignored['malformed_packet'] += 1
                return
            if data[offset + 9] != 6:
                self.ignored['not_tcp'] += 1
                return
            total = (data[offset + 2] << 8) | data[offset + 3]
            if ((data[offset + 6] << 8) | data[offset + 7]) & 0x3FFF:
                self.ignored['ip_fragment'] += 1
                return
            if total == 0:  # TCP segmentation offload: the length is filled in by the NIC
                total = size - offset + missing
            elif total < ihl:
                self.ignored['malformed_packet'] += 1
                return
            family = socket.AF_INET
            src = bytes(data[offset + 12:offset + 16])
            dst = bytes(data[offset + 16:offset + 20])
            tcp = offset + ihl
            end = offset + total
        elif ethertype == ETHERTYPE_IPV6:
            if size - offset < 40 or data[offset] >> 4 != 6:
                self.ignored['malformed_packet'] += 1
                return
            payload_length = (data[offset + 4] << 8) | data[offset + 5]
            next_header = data[offset + 6]
            family = socket.AF_INET6
            src = bytes(data[offset + 8:offset + 24])
            dst = bytes(data[offset + 24:offset + 40])
            end = offset + 40 + payload_length if payload_length else size + missing
            tcp = offset + 40
            hops = 0
            while next_header != 6:
                if next_header in (0, 43, 60) and hops < 8 and size - tcp >= 8:
                    next_header, length = data[tcp], (data[tcp + 1] + 1) * 8
                elif next_header == 51 and hops < 8 and size - tcp >= 8:  # authentication header
                    next_header, length = data[tcp], (data[tcp + 1] + 2) * 4
                elif next_header == 44:
                    self.ignored['ip_fragment'] += 1
                    return
                elif next_header in (0, 43, 60, 51):
                    self.ignored['malformed_packet'] += 1
                    return
                else:
                    self.ignored['not_tcp'] += 1
                    return
                tcp += length
                hops += 1
            if tcp > end:
                self.ignored['malformed_packet'] += 1
                return
        else:
            self.ignored['not_ip'] += 1
            return
        if size - tcp < 20:
            self.ignored['malformed_packet'] += 1
            return
        dport = (data[tcp + 2] << 8) | data[tcp + 3]
        if dport not in self.ports:
            self.ignored['other_port'] += 1
            return
        header = (data[tcp + 12] >> 4) * 4
        if header < 20 or tcp + header > min(end, size):
            self.ignored['malformed_packet'] += 1
            return
        sport = (data[tcp] << 8) | data[tcp + 1]
        seq = struct.unpack_from('>I', data, tcp + 4)[0]
        flags = data[tcp + 13]
        cut = end > size
        if cut:
            self.truncated['snaplen'] += 1
            end = size
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts
        self._segment(ts, family, src, dst, sport, dport, seq, flags, bytes(data[tcp + header:end]), cut)

    # reassembly

    def _segment(self, ts, family, src, dst, sport, dport, seq, flags, payload, cut):
        key = (src, sport, dst, dport)
        conn = self._conns.get(key)
        if flags & _TCP_SYN:
            if flags & _TCP_ACK:
                # A SYN-ACK towards the port: here the port is a client's (this host connected out from it), so the
                # rest of this direction is a server's, never a client's hello.
                self.ignored['reverse_direction'] += 1
                self._remember(key, _REVERSE)
                return
            if conn is not None:
                if conn.isn == seq:
                    return  # retransmitted SYN
                self._end(conn, ts)  # the four-tuple was reused: the old connection ended unseen
            elif self._finished.get(key, -1) == seq:
                return
            self._finished.pop(key, None)
            conn = self._track(key, seq, (seq + 1) % _SEQ_MOD, family, src, ts)
            seq = (seq + 1) % _SEQ_MOD
            if not payload:
                return
        elif conn is None:
            # No SYN seen (the capture started while it was being sent, or it was lost): a stream that starts with
            # an identification line is followed from there; anything else is an established session.
            if key in self._finished or not payload.startswith(b'SSH-'):
                state = self._finished.get(key, None) if key in self._finished else False
                self.ignored['established_session' if state is False else 'reverse_direction' if state == _REVERSE
                             else 'after_kexinit'] += 1
                return
            conn = self._track(key, None, seq, family, src, ts)
        if payload and not self._data(conn, seq, payload, ts):
            return
        if flags & _TCP_RST:
            self._end(conn, ts, reset=True)
            return
        if flags & _TCP_FIN and not cut:
            conn.fin_seq = (seq + len(payload)) % _SEQ_MOD
        if conn.fin_seq is not None and conn.next_seq == conn.fin_seq:
            self._end(conn, ts)  # every byte before the FIN has arrived

    def _track(self, key, isn, next_seq, family, src, ts):
        while len(self._conns) >= MAX_TRACKED_CONNECTIONS:
            self._evict(ts)
        conn = _Conn(key, isn, next_seq, family, src)
        self._conns[key] = conn
        self.connections_seen += 1
        return conn

    def _evict(self, ts):
        oldest = next(iter(self._conns.values()))
        self._skip(oldest, 'evicted', 'more than %d connections were in progress at once, or they held more than %d '
                   'bytes together; the oldest was dropped' % (MAX_TRACKED_CONNECTIONS, MAX_BUFFERED_BYTES), ts)

    def _data(self, conn, seq, payload, ts):
        """Add a segment; False once the connection is finished."""
        offset = (seq - conn.next_seq) % _SEQ_MOD
        if offset >= _SEQ_HALF:  # starts before what we have: a retransmission, maybe with new bytes at its end
            overlap = (conn.next_seq - seq) % _SEQ_MOD
            if overlap >= len(payload):
                return True
            payload = payload[overlap:]
            offset = 0
        if offset:
            return self._hold(conn, seq, payload, offset, ts)
        if not self._feed(conn, payload, ts):
            return False
        while conn.pending:
            progress = False
            for start in list(conn.pending):
                offset = (start - conn.next_seq) % _SEQ_MOD
                if offset and offset < _SEQ_HALF:
                    continue
                segment = conn.pending.pop(start)
                conn.pending_bytes -= len(segment)
                self._buffered -= len(segment)
                overlap = (conn.next_seq - start) % _SEQ_MOD
                if overlap < len(segment):
                    if not self._feed(conn, segment[overlap:], ts):
                        return False
                progress = True
            if not progress:
                break
        return True

    def _hold(self, conn, seq, payload, offset, ts):
        if conn.pending is None:
            conn.pending = {}
        if seq in conn.pending and len(conn.pending[seq]) >= len(payload):
            return True
        if (len(conn.pending) >= MAX_PENDING_SEGMENTS or offset + len(payload) > MAX_CONNECTION_BYTES
                or conn.fed + conn.pending_bytes + len(payload) > MAX_CONNECTION_BYTES):
            self._skip(conn, 'gap', 'segments missing from the capture: more than %d out-of-order segments or %d '
                       'bytes waited for an earlier one' % (MAX_PENDING_SEGMENTS, MAX_CONNECTION_BYTES), ts)
            return False
        old = conn.pending.get(seq)
        if old is not None:
            conn.pending_bytes -= len(old)
            self._buffered -= len(old)
        conn.pending[seq] = payload
        conn.pending_bytes += len(payload)
        self._buffered += len(payload)
        self._check_budget(ts)
        return conn.key in self._conns

    def _check_budget(self, ts):
        while self._buffered > MAX_BUFFERED_BYTES and self._conns:
            self._evict(ts)

    def _feed(self, conn, data, ts):
        room = MAX_CONNECTION_BYTES - conn.fed
        over = len(data) > room
        if over:
            data = data[:room]
        conn.fed += len(data)
        conn.next_seq = (conn.next_seq + len(data)) % _SEQ_MOD
        self._buffered += len(data)
        try:
            hello = conn.parser.feed(data)
        except PeerError as exc:
            self._skip(conn, exc.reason, exc.msg, ts)
            return False
        if hello is not None:
            self._record(conn, hello, ts)
            return False
        if over:
            self._skip(conn, 'over_byte_cap', 'the client sent more than %d bytes without completing its KEXINIT'
                       % MAX_CONNECTION_BYTES, ts)
            return False
        self._check_budget(ts)
        return conn.key in self._conns

    def _end(self, conn, ts, reset=False):
        """The client closed (FIN) or reset the connection before its KEXINIT was complete."""
        if conn.pending:
            self._skip(conn, 'gap', 'the connection ended with segments missing from the capture', ts)
            return
        try:
            conn.parser.eof()
        except PeerError as exc:
            reason, msg = exc.reason, exc.msg
            if reset:
                msg = msg.replace('closed the connection', 'reset the connection')
            self._skip(conn, reason, msg, ts)

    def _remember(self, key, isn):
        self._finished[key] = isn
        self._finished.move_to_end(key)
        if len(self._finished) > MAX_FINISHED_REMEMBERED:
            self._finished.popitem(last=False)

    def _forget(self, conn):
        del self._conns[conn.key]
        self._buffered -= conn.fed + conn.pending_bytes
        self._remember(conn.key, conn.isn)
        self.accounted += 1

    def _address(self, conn):
        try:
            text = socket.inet_ntop(conn.family, conn.src)
        except (OSError, ValueError):
            text = conn.src.hex()
        if self._salt is not None:
            text = 'anon-' + hmac.new(self._salt, text.encode('ascii'), hashlib.sha256).hexdigest()[:12]
        return text

    def _skip(self, conn, reason, msg, ts):
        self._forget(conn)
        self.skipped[reason] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append({'reason': reason, 'msg': msg, 'address': self._address(conn), 'port': conn.key[3],
                                 'time': _iso(ts)})

    def _record(self, conn, hello, ts):
        self._forget(conn)
        payload = hello.raw_kexinit
        key = (hello.banner, payload[17:])
        client = self._clients.get(key)
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:
                self.skipped['max_clients'] += 1
                return
            try:
                lists = raw_name_lists(payload)
            except PeerError as exc:  # cannot happen after parse_kexinit accepted it; keep it a per-item error
                self.skipped[exc.reason] += 1
                return
            client = self._clients[key] = _Client(hello.banner, hello, lists)
        self.recorded += 1
        client.connections += 1
        if client.first is None or ts < client.first:
            client.first = ts
        if client.last is None or ts > client.last:
            client.last = ts
        address = self._address(conn)
        if address in client.addresses or len(client.addresses) < MAX_ADDRESSES_TRACKED:
            client.addresses[address] += 1
        else:
            client.untracked += 1
        if self.on_hello is not None:
            self.on_hello({'address': address, 'port': conn.key[1], 'server_port': conn.key[3], 'ts': ts,
                           'hello': hello})

    # result

    def result(self, capture_method):
        """Everything observed; connections still in progress count as skipped (``incomplete`` or ``gap``)."""
        for conn in list(self._conns.values()):
            if conn.pending or conn.fin_seq is not None:  # bytes before the client's FIN never arrived
                self._skip(conn, 'gap', 'segments missing from the capture', self.last_ts or 0.0)
            else:
                self._skip(conn, 'incomplete', 'the capture ended before the client\'s KEXINIT was complete (%d bytes '
                           'received)' % conn.fed, self.last_ts or 0.0)
        clients = sorted((client.as_dict() for client in self._clients.values()),
                         key=lambda entry: (-entry['connections'], entry['banner'], entry['hassh']))
        return {
            'clients': clients,
            'capture_method': capture_method,
            'ports': sorted(self.ports),
            'packets': self.packets,
            'connections_seen': self.connections_seen,
            'clients_recorded': self.recorded,
            'distinct_clients': len(clients),
            'skipped': {'total': sum(self.skipped.values()), 'reasons': dict(self.skipped), 'samples': list(self.samples)},
            'truncated': dict({'total': sum(self.truncated.values()), 'reasons': dict(self.truncated)},
                              **({'msg': self.capture_problem} if self.capture_problem else {})),
            'ignored_packets': dict(self.ignored),
            'first_packet': _iso(self.first_ts) if self.first_ts is not None else None,
            'last_packet': _iso(self.last_ts) if self.last_ts is not None else None,
            'stopped_early': self.done,
            'anonymized': self._salt is not None,
        }


# -- files ------------------------------------------------------------------------------------------------------

def _read_into(observer, reader, chunks):
    for chunk in chunks:
        for frame in reader.feed(chunk):
            observer.frame(frame)
            if observer.done:
                return True
        if reader.problem is not None:
            break
    reader.close()
    return False


def _finish_reader(observer, reader):
    if reader.problem is not None:
        observer.truncated[reader.problem[0]] += 1
        observer.capture_problem = reader.problem[1]
    for reason, count in reader.ignored.items():
        observer.ignored[reason] += count


def observe_stream(chunks, ports=DEFAULT_PORTS, anonymize_addresses=False, max_connections=None, on_hello=None,
                   capture_method='pcap_file'):
    """Observe the clients in a pcap/pcapng stream given as an iterable of byte chunks."""
    observer = Observer(ports, anonymize_addresses, max_connections, on_hello)
    reader = CaptureReader()
    _read_into(observer, reader, chunks)
    _finish_reader(observer, reader)
    result = observer.result(capture_method)
    result['link_types'] = sorted(LINK_TYPES.get(linktype, str(linktype)) for linktype in reader.link_types)
    result['capture_format'] = reader.format
    return result


def observe_bytes(data, ports=DEFAULT_PORTS, **options):
    """Observe the clients in a pcap/pcapng capture held in memory (tests, fuzzing)."""
    return observe_stream([data], ports, **options)


def observe_pcap(path, ports=DEFAULT_PORTS, anonymize_addresses=False, max_connections=None, on_hello=None):
    """Observe the clients in a pcap or pcapng file, read in chunks (any size, bounded memory)."""
    ports = check_options(ports, max_connections=max_connections, pcap=path)
    try:
        handle = open(path, 'rb')
    except (IOError, OSError) as exc:
        raise ObserveError('cannot read the capture file %s: %s' % (path, exc.strerror or exc))
    with handle:
        def chunks():
            while True:
                try:
                    chunk = handle.read(READ_CHUNK)
                except (IOError, OSError) as exc:
                    raise ObserveError('cannot read the capture file %s: %s' % (path, exc.strerror or exc))
                if not chunk:
                    return
                yield chunk
        try:
            result = observe_stream(chunks(), ports, anonymize_addresses, max_connections, on_hello)
        except CaptureFormatError as exc:
            raise CaptureFormatError('%s: %s' % (path, exc))
    result['pcap'] = path
    return result


# -- live capture -----------------------------------------------------------------------------------------------

CAP_NET_RAW = 13


def capabilities():
    """``(euid, has CAP_NET_RAW)`` of this process, from /proc/self/status (root without the file: assume yes)."""
    euid = os.geteuid()
    try:
        with open('/proc/self/status') as handle:
            for line in handle:
                if line.startswith('CapEff:'):
                    return euid, bool(int(line.split()[1], 16) >> CAP_NET_RAW & 1)
    except (IOError, OSError, ValueError, IndexError):
        pass
    return euid, euid == 0


def find_tcpdump():
    return shutil.which('tcpdump', path=os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/usr/bin', '/sbin',
                                                         '/usr/local/sbin']))


def bpf_filter_expression(ports):
    """The tcpdump filter: packets towards the observed ports only (the client's half of each connection)."""
    return ' or '.join('tcp dst port %d' % port for port in ports)


def _privilege_error(euid):
    return ObserveError('needs root or CAP_NET_RAW: a live capture opens a packet socket, and this process (uid %d) has '
                        'no CAP_NET_RAW in its effective capabilities; run the task with become: true, or grant the '
                        'capability (setcap cap_net_raw+ep on the interpreter), or read a capture file with pcap'
                        % euid)


def observe_live(ports=DEFAULT_PORTS, interface=DEFAULT_INTERFACE, duration=None, max_connections=None,
                 anonymize_addresses=False, method='auto', on_ready=None, on_hello=None, stop=None):
    """Capture on ``interface`` for at most ``duration`` seconds (or until ``max_connections`` connections were
    accounted for) and return the observed clients.

    ``method`` is ``auto`` (tcpdump when installed and running as root, else the raw socket), ``tcpdump`` or
    ``raw_socket``. ``on_ready()`` is called once packets are being captured (tests and benchmarks start their
    clients then); ``stop`` (an object with ``is_set()``, such as a ``threading.Event``) ends the capture early
    when set. Raises :class:`ObserveError` for bad options, a missing privilege or a capture that cannot start.
    """
    ports = check_options(ports, interface, duration, max_connections)
    if method not in ('auto', 'tcpdump', 'raw_socket'):
        raise ObserveError('method must be auto, tcpdump or raw_socket, got %r' % (method,))
    euid, net_raw = capabilities()
    if not net_raw:
        raise _privilege_error(euid)
    tcpdump = find_tcpdump() if method in ('auto', 'tcpdump') else None
    if method == 'tcpdump' and tcpdump is None:
        raise ObserveError('tcpdump is not installed (Debian/Ubuntu: apt-get install tcpdump)')
    if method == 'auto' and euid != 0:
        tcpdump = None  # CAP_NET_RAW without root is not passed on to a program we start
    observer = Observer(ports, anonymize_addresses, max_connections, on_hello)
    started = time.monotonic()
    deadline = started + duration
    if tcpdump:
        extra = _run_tcpdump(observer, tcpdump, interface, ports, deadline, on_ready, stop)
        method = 'tcpdump'
    else:
        extra = _run_raw_socket(observer, interface, ports, deadline, on_ready, stop)
        method = 'raw_socket'
    result = observer.result(method)
    result.update(extra)
    result['interface'] = interface
    result['duration'] = round(time.monotonic() - started, 3)
    return result


def _stopped(stop):
    return stop is not None and stop.is_set()


def _run_tcpdump(observer, tcpdump, interface, ports, deadline, on_ready, stop):
    """Run ``tcpdump -w -`` and read its pcap stream as it comes; tcpdump is stopped and reaped in every case."""
    cmd = [tcpdump, '-i', interface, '-p', '-n', '-U', '--immediate-mode', '-B', '4096', '-s', str(SNAPLEN),
           '-w', '-', bpf_filter_expression(ports)]
    reader = CaptureReader()
    errors = tempfile.TemporaryFile()
    proc = None
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, bufsize=0)
        stdout = proc.stdout.fileno()
        os.set_blocking(stdout, False)
        ready = False
        ready_by = time.monotonic() + 10.0
        eof = False
        while True:
            now = time.monotonic()
            if not ready:
                text = _stderr_text(errors)
                if 'listening on' in text:
                    ready = True
                    if on_ready is not None:
                        on_ready()
                elif proc.poll() is not None or now > ready_by:
                    raise ObserveError('tcpdump did not start capturing on %s: %s' % (
                        interface, printable(' '.join(text.split()).encode('utf-8', 'replace'), 400) or 'no message'))
            if eof or now >= deadline or observer.done or _stopped(stop):
                break
            readable, _w, _x = select.select([stdout], [], [], min(0.1 if not ready else 0.25, max(0.0, deadline - now)))
            if readable:
                eof = _drain(stdout, reader, observer)
        _stop(proc)
        # What tcpdump had written before it stopped is read too (bounded: it has exited).
        if not observer.done:
            end = time.monotonic() + 5.0
            while not eof and time.monotonic() < end:
                readable, _w, _x = select.select([stdout], [], [], 0.2)
                if readable:
                    eof = _drain(stdout, reader, observer)
        if not observer.done:
            try:
                reader.close()
            except CaptureFormatError:
                pass
        _finish_reader(observer, reader)
        text = _stderr_text(errors)
        extra = {}
        match = re.search(r'(\d+) packets? dropped by kernel', text)
        if match and int(match.group(1)):
            observer.truncated['kernel_drops'] += int(match.group(1))
        match = re.search(r'(\d+) packets? dropped by interface', text)
        if match and int(match.group(1)):
            observer.truncated['interface_drops'] += int(match.group(1))
        match = re.search(r'link-type (\S+)', text)
        if match:
            extra['link_type'] = match.group(1)
        return extra
    except CaptureFormatError as exc:
        raise ObserveError('tcpdump wrote no pcap stream: %s' % exc)
    except OSError as exc:
        raise ObserveError('cannot run tcpdump: %s' % (exc.strerror or exc))
    finally:
        if proc is not None:
            _stop(proc, quick=True)
            proc.stdout.close()
        errors.close()


def _stderr_text(errors):
    errors.seek(0)
    return errors.read(65536).decode('utf-8', 'replace')


def _drain(fd, reader, observer):
    """Read what is available; True at end of file."""
    for dummy in range(64):
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        for frame in reader.feed(chunk):
            if observer.done:
                return False
            observer.frame(frame)
        if reader.problem is not None:
            return True
    return False


def _stop(proc, quick=False):
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGINT if not quick else signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.wait(0.5 if quick else 5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)


# Raw socket: classic BPF (linux/filter.h) run by the kernel on each packet before it is queued to us.
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ARPHRD_LOOPBACK = 772
_SKF_AD_PROTOCOL = 0xFFFFF000  # SKF_AD_OFF + SKF_AD_PROTOCOL: the packet's EtherType


def bpf_program(ports):
    """A classic BPF program for a SOCK_DGRAM packet socket (offset 0 is the IP header): accept unfragmented
    IPv4 and IPv6 (no extension headers) TCP packets towards one of ``ports``. Returns ``[(code, jt, jf, k)]``."""
    ld_h, ld_b, ldx_msh, ld_h_ind = 0x28, 0x30, 0xb1, 0x48
    jeq, jset, ret = 0x15, 0x45, 0x06
    body = []  # (code, true label or None, false label or None, k); labels resolved below

    def port_tests():
        for index, port in enumerate(ports):
            body.append((jeq, 'accept', None if index < len(ports) - 1 else 'drop', port))

    body.append((ld_h, None, None, _SKF_AD_PROTOCOL))
    body.append((jeq, 'ipv4', None, ETHERTYPE_IPV4))
    body.append((jeq, 'ipv6', 'drop', ETHERTYPE_IPV6))
    labels = {'ipv4': len(body)}
    body += [(ld_b, None, None, 9), (jeq, None, 'drop', 6), (ld_h, None, None, 6), (jset, 'drop', None, 0x1FFF),
             (ldx_msh, None, None, 0), (ld_h_ind, None, None, 2)]
    port_tests()
    labels['ipv6'] = len(body)
    body += [(ld_b, None, None, 6), (jeq, None, 'drop', 6), (ld_h, None, None, 42)]
    port_tests()
    labels['accept'] = len(body)
    body.append((ret, None, None, MAX_RECORD_BYTES))
    labels['drop'] = len(body)
    body.append((ret, None, None, 0))
    program = []
    for index, (code, true, false, k) in enumerate(body):
        jt = labels[true] - index - 1 if true else 0
        jf = labels[false] - index - 1 if false else 0
        program.append((code, jt, jf, k))
    return program


def _attach_filter(sock, ports):
    import ctypes  # pylint: disable=import-outside-toplevel
    program = bpf_program(ports)
    raw = b''.join(struct.pack('HBBI', code, jt, jf, k) for code, jt, jf, k in program)
    buffer = ctypes.create_string_buffer(raw)
    fprog = struct.pack('HP', len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buffer


def _run_raw_socket(observer, interface, ports, deadline, on_ready, stop):
    """Capture with an AF_PACKET socket (cooked: the kernel strips the link header), filtered in the kernel."""
    if not hasattr(socket, 'AF_PACKET'):
        raise ObserveError('raw packet sockets (AF_PACKET) are Linux-only; install tcpdump or read a pcap file')
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL) if interface == 'any' else 0)
    except PermissionError as exc:
        raise _privilege_error(os.geteuid()) from exc
    except OSError as exc:
        raise ObserveError('cannot open a packet socket: %s' % (exc.strerror or exc))
    try:
        keep = _attach_filter(sock, ports)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 * 1024 * 1024)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        if interface != 'any':
            try:
                sock.bind((interface, ETH_P_ALL))
            except OSError as exc:
                raise ObserveError('cannot capture on interface %s: %s' % (interface, exc.strerror or exc))
        sock.setblocking(False)
        # Packets queued before the filter was attached (interface any) are dropped, as libpcap does.
        for dummy in range(100000):
            try:
                sock.recv(1)
            except (BlockingIOError, InterruptedError):
                break
        if on_ready is not None:
            on_ready()
        buffer = bytearray(MAX_RECORD_BYTES)
        view = memoryview(buffer)
        while not observer.done and not _stopped(stop):
            now = time.monotonic()
            if now >= deadline:
                break
            readable, _w, _x = select.select([sock], [], [], min(0.25, deadline - now))
            if not readable:
                continue
            for dummy in range(256):
                try:
                    size, address = sock.recvfrom_into(buffer)
                except (BlockingIOError, InterruptedError):
                    break
                if address[2] == PACKET_OUTGOING and address[3] == ARPHRD_LOOPBACK:
                    continue  # loopback packets are seen twice, outgoing and incoming; libpcap keeps one too
                observer.ip_packet(time.time(), view[:size], address[1])
                if observer.done:
                    break
        extra = {}
        try:
            _received, drops = struct.unpack('II', sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            if drops:
                observer.truncated['kernel_drops'] += drops
        except OSError:
            pass
        del keep
        return extra
    finally:
        sock.close()
