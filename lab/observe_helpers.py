# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for observing clients in the lab: writing pcap files of TCP connections (benchmarks), extracting the
client's bytes of each connection from a real capture, running bounded bursts of real client handshakes, and
Debian's tcpdump writing a pcap beside a test."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import CaptureReader

LOOPBACK = '127.0.0.1'
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _checksum(data):
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_ip_packet(src, dst, sport, dport, seq, flags, payload=b'', ack=0, checksums=False):
    """An IPv4 or IPv6 packet (by the form of ``src``) carrying one TCP segment."""
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq % (1 << 32), ack % (1 << 32), 5 << 4, flags, 65535, 0, 0) + payload
    if ':' in src:
        header = struct.pack('!IHBB', 6 << 28, len(tcp), 6, 64) + socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst)
        return header + tcp
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    if checksums:
        header = header[:10] + struct.pack('!H', _checksum(header)) + header[12:]
    return header + tcp


def ethernet(ip_packet):
    ethertype = 0x86DD if ip_packet[0] >> 4 == 6 else 0x0800
    return b'\x00' * 12 + struct.pack('!H', ethertype) + ip_packet


def pcap_header(linktype=1, snaplen=65535):
    return struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(ts, frame):
    sec = int(ts)
    return struct.pack('<IIII', sec, int(round((ts - sec) * 1e6)) % 1000000, len(frame), len(frame)) + frame


def connection_packets(src, sport, dst, dport, isn, client_bytes, server_bytes=b'', segments=None, fin=True):
    """The packets of one connection as a pcap of ``tcp port dport`` holds them: handshake, the client's bytes in
    ``segments`` (sizes; default: its identification line, then the rest), the server's bytes, the client's FIN.
    Yields IP packets."""
    server_isn = (isn * 7 + 12345) % (1 << 32)
    yield tcp_ip_packet(src, dst, sport, dport, isn, SYN)
    yield tcp_ip_packet(dst, src, dport, sport, server_isn, SYN | ACK, ack=isn + 1)
    yield tcp_ip_packet(src, dst, sport, dport, isn + 1, ACK, ack=server_isn + 1)
    if segments is None:
        line = client_bytes.find(b'\n') + 1
        segments = [line, len(client_bytes) - line] if 0 < line < len(client_bytes) else [len(client_bytes)]
    seq = isn + 1
    position = 0
    if server_bytes:
        yield tcp_ip_packet(dst, src, dport, sport, server_isn + 1, PSH | ACK, server_bytes, ack=seq)
    for size in segments:
        chunk = client_bytes[position:position + size]
        yield tcp_ip_packet(src, dst, sport, dport, seq, PSH | ACK, chunk, ack=server_isn + 1 + len(server_bytes))
        seq += len(chunk)
        position += size
    if fin:
        yield tcp_ip_packet(src, dst, sport, dport, seq, FIN | ACK, ack=server_isn + 1 + len(server_bytes))


def client_streams(path, port):
    """The client-to-server bytes of each TCP connection to ``port`` in a real capture (Ethernet or raw IPv4/IPv6,
    as tcpdump -i lo writes), in order of the connections' first packets, reassembled by sequence number."""
    reader = CaptureReader()
    with open(path, 'rb') as handle:
        frames = reader.feed(handle.read())
    reader.close()
    streams = {}
    order = []
    for frame in frames:
        data = frame.data
        offset = 14 if frame.linktype == 1 else 0
        version = data[offset] >> 4
        if version == 4:
            ihl = (data[offset] & 15) * 4
            total = struct.unpack_from('!H', data, offset + 2)[0]
            tcp, end = offset + ihl, offset + total
            src = socket.inet_ntop(socket.AF_INET, data[offset + 12:offset + 16])
        else:
            tcp, end = offset + 40, offset + 40 + struct.unpack_from('!H', data, offset + 4)[0]
            src = socket.inet_ntop(socket.AF_INET6, data[offset + 8:offset + 24])
        sport, dport, seq = struct.unpack_from('!HHI', data, tcp)
        if dport != port:
            continue
        flags = data[tcp + 13]
        payload = data[tcp + (data[tcp + 12] >> 4) * 4:end]
        key = (src, sport)
        if flags & SYN:
            streams[key] = {'isn': seq, 'segments': {}}
            order.append(key)
        elif key in streams and payload:
            streams[key]['segments'][(seq - streams[key]['isn'] - 1) % (1 << 32)] = payload
    result = []
    for key in order:
        data = bytearray()
        for start, payload in sorted(streams[key]['segments'].items()):
            if start <= len(data):
                data[start:start + len(payload)] = payload
        result.append((key, bytes(data)))
    return result


def syn_port(path):
    """The destination port of the first connection (SYN) in a capture (Ethernet or raw IP)."""
    reader = CaptureReader()
    with open(path, 'rb') as handle:
        frames = reader.feed(handle.read())
    for frame in frames:
        data = frame.data
        offset = 14 if frame.linktype == 1 else 0
        tcp = offset + ((data[offset] & 15) * 4 if data[offset] >> 4 == 4 else 40)
        if data[tcp + 13] & (SYN | ACK) == SYN:
            return struct.unpack_from('!H', data, tcp + 2)[0]
    return None


def hello_bytes(stream):
    """The leading part of a client's stream up to the end of its first binary packet after the identification
    line (its KEXINIT), or None."""
    line = stream.find(b'\n')
    if line < 0 or len(stream) < line + 5:
        return None
    length = struct.unpack_from('!I', stream, line + 1)[0]
    end = line + 1 + 4 + length
    return stream[:end] if end <= len(stream) else None


class TcpdumpWriter:
    """Debian's tcpdump writing ``path`` (``tcp port P`` for each port) while a test runs; stopped by :meth:`stop`
    (and by ``with``). ``interface`` lo by default."""

    def __init__(self, path, ports, interface='lo', extra=()):
        self.path = path
        self.cmd = [shutil.which('tcpdump') or '/usr/bin/tcpdump', '-i', interface, '-p', '-n', '-U', '-s', '0',
                    '--immediate-mode'] + list(extra) + ['-w', path, ' or '.join('tcp port %d' % port for port in ports)]
        self.proc = None
        handle, self.log = tempfile.mkstemp(prefix='fleetcrypto-tcpdump-', suffix='.log')
        os.close(handle)

    def start(self, timeout=10.0):
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log, 'rb') as log:
                if b'listening on' in log.read():
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.log, 'rb') as log:
            message = log.read().decode('utf-8', 'replace')
        self.stop()
        raise RuntimeError('tcpdump did not start: %s' % message)

    def stop(self):
        """Stop tcpdump (it writes out what it captured) and return its messages (the packet counts)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
        try:
            with open(self.log, 'rb') as log:
                message = log.read().decode('utf-8', 'replace')
            os.unlink(self.log)
        except OSError:
            message = ''
        return message

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def paramiko_handshake(port, timeout=20.0):
    """One real paramiko client connection through the key exchange (no authentication); True when the key
    exchange completed."""
    import paramiko  # pylint: disable=import-outside-toplevel
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return transport.is_active()
    except Exception:  # pylint: disable=broad-except
        return False
    finally:
        transport.close()


def openssh_handshake(port, timeout=20.0):
    """One real OpenSSH ``ssh -o BatchMode=yes`` connection (key exchange, then authentication fails)."""
    proc = subprocess.run(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                           '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
                           '-p', str(port), 'probe@' + LOOPBACK, 'true'],
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    return b'Permission denied' in proc.stderr


def handshake_burst(port, count, concurrency=8, kind='paramiko', timeout=600.0):
    """``count`` real client handshakes against 127.0.0.1:``port``, at most ``concurrency`` at a time, bounded by
    ``timeout`` overall. Returns ``(completed, wall seconds)``."""
    handshake = paramiko_handshake if kind == 'paramiko' else openssh_handshake
    started = time.monotonic()
    completed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(handshake, port) for dummy in range(count)]
        for future in concurrent.futures.as_completed(futures, timeout=timeout):
            try:
                completed += bool(future.result())
            except Exception:  # pylint: disable=broad-except
                pass
    return completed, time.monotonic() - started
