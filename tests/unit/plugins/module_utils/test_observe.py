# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the client observer: pcap/pcapng reading (real tcpdump captures and files built here from the
real handshakes they hold), every link type, IPv4 and IPv6, TCP reassembly, hostile input, HASSH, bounds, the raw
socket's BPF program, and property-based fuzzing of the reader."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import random
import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fleetcrypto.sftp.plugins.module_utils import observe
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import (
    CaptureFormatError,
    CaptureReader,
    ObserveError,
    bpf_program,
    check_options,
    hassh,
    observe_bytes,
    observe_live,
    observe_pcap,
    raw_name_lists,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import build_kexinit, build_packet
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'fixtures')
# Written at the same time by Debian's tcpdump on lo and on any (SLL and SLL2), and converted to pcapng by
# editcap (tests/unit/fixtures/README.md): OpenSSH 9.2 over IPv4, OpenSSH with two ciphers over IPv6, paramiko,
# and an HTTP request, all to one sshd port.
REAL = ['observe-lo-ethernet.pcap', 'observe-any-sll.pcap', 'observe-any-sll2.pcap', 'observe-lo-ethernet.pcapng']

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# -- building captures ------------------------------------------------------------------------------------------

def tcp_ip(src, dst, sport, dport, seq, flags, payload=b''):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq % (1 << 32), 0, 5 << 4, flags, 65535, 0, 0) + payload
    if ':' in src:
        return struct.pack('!IHBB', 6 << 28, len(tcp), 6, 64) + socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst) + tcp
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, socket.inet_aton(src),
                       socket.inet_aton(dst)) + tcp


def link(linktype, packet):
    """``packet`` (an IP packet) framed for ``linktype``."""
    v6 = packet[0] >> 4 == 6
    ethertype = 0x86DD if v6 else 0x0800
    if linktype == 1:
        return b'\x02' * 6 + b'\x04' * 6 + struct.pack('!H', ethertype) + packet
    if linktype == 113:
        return struct.pack('!HHH8sH', 0, 772, 6, b'\x00' * 8, ethertype) + packet
    if linktype == 276:
        return struct.pack('!HHIHBB8s', ethertype, 0, 1, 772, 0, 6, b'\x00' * 8) + packet
    if linktype in (101, 228, 229):
        return packet
    if linktype == 0:
        return struct.pack('<I', 30 if v6 else 2) + packet
    if linktype == 108:
        return struct.pack('>I', 24 if v6 else 2) + packet
    raise ValueError(linktype)


def pcap(frames, linktype=1, endian='<', nano=False):
    """A pcap file of ``frames`` (``(ts, bytes)`` or ``(ts, bytes, origlen)``)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(endian + 'IHHiIII', magic, 2, 4, 0, 0, 65535, linktype)]
    for item in frames:
        ts, data = item[0], item[1]
        origlen = item[2] if len(item) > 2 else len(data)
        sec = int(ts)
        frac = int(round((ts - sec) * (1e9 if nano else 1e6)))
        out.append(struct.pack(endian + 'IIII', sec, frac, len(data), origlen) + data)
    return b''.join(out)


def block(kind, body, endian='<'):
    body += b'\x00' * (-len(body) % 4)
    return struct.pack(endian + 'II', kind, len(body) + 12) + body + struct.pack(endian + 'I', len(body) + 12)


def pcapng(frames, linktype=1, endian='<', tsresol=None, simple=False):
    shb = block(0x0A0D0D0A, struct.pack(endian + 'IHHq', 0x1A2B3C4D, 1, 0, -1), endian)
    options = b''
    if tsresol is not None:
        options = struct.pack(endian + 'HHB3x', 9, 1, tsresol) + struct.pack(endian + 'HH', 0, 0)
    idb = block(1, struct.pack(endian + 'HHI', linktype, 0, 0) + options, endian)
    units = 10 ** 6 if tsresol is None else (2 ** (tsresol & 0x7F) if tsresol & 0x80 else 10 ** tsresol)
    out = [shb, idb]
    for ts, data in frames:
        if simple:
            out.append(block(3, struct.pack(endian + 'I', len(data)) + data, endian))
        else:
            stamp = int(round(ts * units))
            out.append(block(6, struct.pack(endian + 'IIIII', 0, stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data))
                             + data, endian))
    return b''.join(out)


def connection(stream, src='192.0.2.10', dst='192.0.2.1', sport=40000, dport=22, isn=1000, sizes=None, fin=True,
               syn=True):
    """The client-to-server IP packets of one connection carrying ``stream``, cut into ``sizes``."""
    packets = [tcp_ip(src, dst, sport, dport, isn, SYN)] if syn else []
    seq = isn + 1
    sizes = sizes or [len(stream)]
    position = 0
    for size in sizes:
        chunk = stream[position:position + size]
        if chunk:
            packets.append(tcp_ip(src, dst, sport, dport, seq, PSH | ACK, chunk))
        seq += len(chunk)
        position += size
    if fin:
        packets.append(tcp_ip(src, dst, sport, dport, seq, FIN | ACK))
    return packets


def capture(packets, linktype=1, start=1764079200.0, step=0.001):
    return pcap([(start + index * step, link(linktype, packet)) for index, packet in enumerate(packets)], linktype)


# -- real handshakes --------------------------------------------------------------------------------------------

def _read_frames(name):
    reader = CaptureReader()
    with open(os.path.join(FIXTURES, name), 'rb') as handle:
        frames = reader.feed(handle.read())
    reader.close()
    return frames


def _server_port(name):
    for frame in _read_frames(name):
        data = frame.data
        tcp = 14 + ((data[14] & 15) * 4 if data[14] >> 4 == 4 else 40)
        if data[tcp + 13] & (SYN | ACK) == SYN:
            return struct.unpack_from('!H', data, tcp + 2)[0]
    raise AssertionError('no SYN in %s' % name)


PORT = _server_port(REAL[0])


def _real_streams():
    """The client's bytes of each connection in the Ethernet fixture, reassembled here independently of the code
    under test: ``[(banner line, stream)]``."""
    streams, order = {}, []
    for frame in _read_frames(REAL[0]):
        data = frame.data
        v4 = data[14] >> 4 == 4
        tcp = 14 + ((data[14] & 15) * 4 if v4 else 40)
        end = 14 + (struct.unpack_from('!H', data, 16)[0] if v4 else 40 + struct.unpack_from('!H', data, 18)[0])
        sport, dport, seq = struct.unpack_from('!HHI', data, tcp)
        if dport != PORT:
            continue
        if data[tcp + 13] & SYN:
            streams[sport] = (seq, {})
            order.append(sport)
        elif data[tcp + (data[tcp + 12] >> 4) * 4:end]:
            streams[sport][1][(seq - streams[sport][0] - 1) % (1 << 32)] = data[tcp + (data[tcp + 12] >> 4) * 4:end]
    result = []
    for sport in order:
        data = b''
        for start, payload in sorted(streams[sport][1].items()):
            if start == len(data):
                data += payload
        result.append(data)
    return result


STREAMS = _real_streams()
SSH_STREAMS = [stream for stream in STREAMS if stream.startswith(b'SSH-')]
OPENSSH = SSH_STREAMS[0]


def hello_part(stream):
    """The identification line and the first binary packet (the KEXINIT) of a client's stream."""
    line = stream.index(b'\n') + 1
    return stream[:line + 4 + struct.unpack_from('!I', stream, line)[0]]


def expected(stream):
    """What the client sent, read with the plain codec: banner and the ten lists."""
    line = stream.index(b'\n')
    banner = stream[:line].rstrip(b'\r').decode('ascii')
    length, padding = struct.unpack_from('!IB', stream, line + 1)
    payload = stream[line + 6:line + 5 + length - padding]
    lists = raw_name_lists(payload)
    return banner, {key: [name for name in value.split(',') if name] for key, value in zip(NAME_LIST_KEYS, lists)}


def only(result):
    assert len(result['clients']) == 1, result
    return result['clients'][0]


# -- the real captures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', REAL)
def test_real_tcpdump_captures_give_each_client_exactly_as_sent(name):
    result = observe_pcap(os.path.join(FIXTURES, name), [PORT])
    assert result['capture_method'] == 'pcap_file'
    assert result['capture_format'] == ('pcapng' if name.endswith('pcapng') else 'pcap')
    wanted = {}
    for stream in SSH_STREAMS:
        banner, proposal = expected(stream)
        wanted.setdefault((banner, tuple(tuple(proposal[key]) for key in NAME_LIST_KEYS)), 0)
        wanted[(banner, tuple(tuple(proposal[key]) for key in NAME_LIST_KEYS))] += 1
    got = {(client['banner'], tuple(tuple(client['proposal'][key]) for key in NAME_LIST_KEYS)): client['connections']
           for client in result['clients']}
    assert got == wanted
    assert result['clients_recorded'] == len(SSH_STREAMS) == 3
    assert result['connections_seen'] == len(STREAMS) == 4
    # The HTTP request on the SSH port is a skipped connection with the reader's own reason.
    assert result['skipped']['reasons'] == {'not_ssh': 1}
    assert 'HTTP' in result['skipped']['samples'][0]['msg']
    assert result['truncated']['total'] == 0
    addresses = sorted(entry['address'] for client in result['clients'] for entry in client['addresses'])
    assert addresses == ['127.0.0.1', '127.0.0.1', '::1']


def test_the_four_real_captures_agree():
    results = [observe_pcap(os.path.join(FIXTURES, name), [PORT]) for name in REAL]
    for result in results:
        for client in result['clients']:
            client.pop('first_seen'), client.pop('last_seen')
    assert all(result['clients'] == results[0]['clients'] for result in results)
    assert {tuple(result['link_types']) for result in results} == {
        ('Ethernet',), ('Linux cooked (SLL)',), ('Linux cooked v2 (SLL2)',)}


def test_real_openssh_client_equals_its_profile_and_hassh():
    result = observe_pcap(os.path.join(FIXTURES, REAL[0]), [PORT])
    openssh = [client for client in result['clients'] if client['software']['product'] == 'OpenSSH']
    default = [client for client in openssh if client['proposal']['encryption_algorithms_client_to_server'] != [
        'aes128-ctr', 'aes256-gcm@openssh.com']][0]
    profile = load_profile('openssh-9.2')
    assert default['profile_name'] == 'openssh-9.2'
    if default['banner'] == profile['banner']:
        for key in NAME_LIST_KEYS:
            assert default['proposal'][key] == profile[key], key
    proposal = default['proposal']
    algorithms = ';'.join(','.join(proposal[key]) for key in ('kex_algorithms', 'encryption_algorithms_client_to_server',
                                                              'mac_algorithms_client_to_server',
                                                              'compression_algorithms_client_to_server'))
    assert default['hassh_algorithms'] == algorithms
    assert default['hassh'] == hashlib.md5(algorithms.encode()).hexdigest()
    assert default['strict_kex'] and default['ext_info']
    v6 = [client for client in openssh if client is not default][0]
    assert v6['proposal']['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes256-gcm@openssh.com']
    assert v6['addresses'] == [{'address': '::1', 'connections': 1}]
    paramiko = [client for client in result['clients'] if client['software']['product'] == 'paramiko'][0]
    assert paramiko['first_seen'].endswith('Z') and paramiko['first_seen'] == paramiko['last_seen']


# -- HASSH ------------------------------------------------------------------------------------------------------

# The worked example of the HASSH definition (github.com/salesforce/hassh README, "Example 1: Client
# Fingerprinting"): Cyberduck 6.7.1's lists and its published hassh.
CYBERDUCK = {
    'kex_algorithms': 'curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp521,ecdh-sha2-'
                      'nistp384,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1,diffie-'
                      'hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group15-sha512,diffie-hellman-'
                      'group16-sha512,diffie-hellman-group17-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-'
                      'sha256@ssh.com,diffie-hellman-group15-sha256,diffie-hellman-group15-sha256@ssh.com,diffie-hellman-'
                      'group15-sha384@ssh.com,diffie-hellman-group16-sha256,diffie-hellman-group16-sha384@ssh.com,'
                      'diffie-hellman-group16-sha512@ssh.com,diffie-hellman-group18-sha512@ssh.com',
    'encryption_algorithms_client_to_server': 'aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,'
                                              'blowfish-cbc,blowfish-ctr,cast128-cbc,cast128-ctr,idea-cbc,idea-ctr,'
                                              'serpent128-cbc,serpent128-ctr,serpent192-cbc,serpent192-ctr,serpent256-'
                                              'cbc,serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-ctr,'
                                              'twofish192-cbc,twofish192-ctr,twofish256-cbc,twofish256-ctr,twofish-cbc,'
                                              'arcfour,arcfour128,arcfour256',
    'mac_algorithms_client_to_server': 'hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512',
    'compression_algorithms_client_to_server': 'zlib@openssh.com,zlib,none',
}
CYBERDUCK_HASSH = '8a8ae540028bf433cd68356c1b9e8d5b'


def cyberduck_stream():
    offer = {key: value.split(',') for key, value in CYBERDUCK.items()}
    offer.update({'server_host_key_algorithms': ['ssh-rsa'], 'encryption_algorithms_server_to_client': ['aes128-ctr'],
                  'mac_algorithms_server_to_client': ['hmac-sha1'], 'compression_algorithms_server_to_client': ['none']})
    return b'SSH-2.0-Cyberduck/6.7.1.28683 (Mac OS X/10.13.6) (x86_64)\r\n' + build_packet(build_kexinit(offer))


def test_hassh_of_the_definitions_worked_example():
    client = only(observe_bytes(capture(connection(cyberduck_stream()))))
    assert client['hassh'] == CYBERDUCK_HASSH
    assert client['hassh_algorithms'] == ';'.join(CYBERDUCK[key] for key in (
        'kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
        'compression_algorithms_client_to_server'))


def test_hassh_hashes_the_lists_as_sent_with_their_empty_entries():
    offer = {key: ['none'] for key in NAME_LIST_KEYS[:8]}
    offer['kex_algorithms'] = ['curve25519-sha256']
    payload = bytearray(build_kexinit(offer))
    stream = b'SSH-2.0-Odd_1.0\r\n' + build_packet(bytes(payload).replace(b'\x00\x00\x00\x11curve25519-sha256',
                                                                          b'\x00\x00\x00\x13curve25519-sha256,,'))
    client = only(observe_bytes(capture(connection(stream))))
    assert client['hassh_algorithms'] == 'curve25519-sha256,,;none;none;none'
    assert client['hassh'] == hashlib.md5(b'curve25519-sha256,,;none;none;none').hexdigest()
    assert client['proposal']['kex_algorithms'] == ['curve25519-sha256']
    assert client['empty_entries'] == {'kex_algorithms': 1}
    assert hassh(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '', '']) == (hashlib.md5(b'a;c;e;g').hexdigest(), 'a;c;e;g')


# -- link types, IP versions, file formats ----------------------------------------------------------------------

@pytest.mark.parametrize('linktype', [1, 113, 276, 101, 228, 0, 108])
@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
def test_every_link_type_and_ip_version(linktype, family):
    if linktype == 228 and family == 'ipv6':
        linktype = 229
    src, dst = ('2001:db8::10', '2001:db8::1') if family == 'ipv6' else ('198.51.100.7', '198.51.100.1')
    result = observe_bytes(capture(connection(OPENSSH, src, dst), linktype))
    client = only(result)
    assert (client['banner'], client['proposal']) == expected(OPENSSH)
    assert client['addresses'] == [{'address': src, 'connections': 1}]


@pytest.mark.parametrize('endian', ['<', '>'])
@pytest.mark.parametrize('nano', [False, True])
def test_pcap_byte_orders_and_nanosecond_timestamps(endian, nano):
    frames = [(1764079200.25 + index, link(1, packet)) for index, packet in enumerate(connection(OPENSSH))]
    client = only(observe_bytes(pcap(frames, 1, endian, nano)))
    assert client['first_seen'] == '2025-11-25T14:00:01.250000Z'


@pytest.mark.parametrize('endian', ['<', '>'])
@pytest.mark.parametrize('tsresol', [None, 9, 0x80 | 20])
def test_pcapng_byte_orders_and_timestamp_resolutions(endian, tsresol):
    frames = [(1764079200.5 + index, link(113, packet)) for index, packet in enumerate(connection(OPENSSH))]
    result = observe_bytes(pcapng(frames, 113, endian, tsresol))
    assert result['capture_format'] == 'pcapng'
    assert only(result)['first_seen'].startswith('2025-11-25T14:00:01.5')


def test_pcapng_simple_packet_blocks_sections_and_unknown_interfaces():
    frames = [(0.0, link(1, packet)) for packet in connection(OPENSSH)]
    data = pcapng(frames, 1, simple=True)
    # A second section, big-endian, whose packets name an interface it never described.
    second = block(0x0A0D0D0A, struct.pack('>IHHq', 0x1A2B3C4D, 1, 0, -1), '>') + \
        block(6, struct.pack('>IIIII', 3, 0, 0, 4, 4) + b'abcd', '>')
    result = observe_bytes(data + second)
    assert only(result)['connections'] == 1
    assert result['ignored_packets']['unknown_interface'] == 1


def test_ports_select_connections_and_other_traffic_is_ignored():
    packets = connection(OPENSSH, dport=22) + connection(OPENSSH, sport=40001, dport=2222) + \
        connection(OPENSSH, sport=40002, dport=8080)
    packets.append(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 0, 0, 64, 17, 0, b'\x01' * 4, b'\x02' * 4) + b'\x00' * 8)
    result = observe_bytes(capture(packets), [22, 2222])
    assert only(result)['connections'] == 2
    assert result['ignored_packets']['other_port'] == 3
    assert result['ignored_packets']['not_tcp'] == 1
    assert result['ports'] == [22, 2222]


# -- TCP reassembly ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('seed', range(12))
def test_reordered_duplicated_and_overlapping_segments(seed):
    rng = random.Random(seed)
    stream = hello_part(rng.choice(SSH_STREAMS))
    isn = rng.choice([1000, (1 << 32) - 700, (1 << 32) - 1])  # sequence numbers that wrap around
    segments = []
    position = 0
    while position < len(stream):
        size = rng.randint(1, 300)
        segments.append((position, stream[position:position + size]))
        position += size
    # Retransmissions with other boundaries, overlapping their neighbours, and plain duplicates.
    for dummy in range(rng.randint(1, 8)):
        start = rng.randrange(len(stream))
        segments.append((start, stream[start:start + rng.randint(1, 500)]))
    segments += rng.sample(segments, min(3, len(segments)))
    rng.shuffle(segments)
    src, dst = '203.0.113.5', '203.0.113.1'
    packets = [tcp_ip(src, dst, 50000, 22, isn, SYN)]
    packets += [tcp_ip(src, dst, 50000, 22, isn + 1 + start, PSH | ACK, data) for start, data in segments]
    packets += [tcp_ip(src, dst, 50000, 22, isn + 1 + len(stream), ACK, b'\x00' * 64)]  # encrypted from here on
    result = observe_bytes(capture(packets))
    assert (only(result)['banner'], only(result)['proposal']) == expected(stream)
    assert result['skipped']['total'] == 0


def test_nothing_after_the_kexinit_is_kept_or_counted_again():
    packets = connection(OPENSSH, fin=False)
    after = tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1001 + len(OPENSSH), PSH | ACK, b'\x17' * 1000)
    again = packets[1]  # the banner segment retransmitted after the KEXINIT
    result = observe_bytes(capture(packets + [after, again, packets[0]]))
    assert only(result)['connections'] == 1
    assert result['connections_seen'] == 1
    assert result['ignored_packets']['after_kexinit'] == 2


def test_a_connection_whose_syn_was_missed_is_followed_from_its_identification_line():
    established = tcp_ip('192.0.2.20', '192.0.2.1', 41000, 22, 5000, PSH | ACK, b'\x8f\x01' * 50)
    result = observe_bytes(capture([established] + connection(OPENSSH, syn=False)))
    assert only(result)['connections'] == 1
    assert result['ignored_packets']['established_session'] == 1


def test_a_connection_this_host_makes_from_an_observed_port_is_not_a_client():
    # This host connected out from port 2222 to a server on 22: the server's SYN-ACK and hello go to port 2222.
    server, here = '192.0.2.50', '192.0.2.1'
    packets = [tcp_ip(here, server, 2222, 22, 500, SYN), tcp_ip(server, here, 22, 2222, 9000, SYN | ACK),
               tcp_ip(server, here, 22, 2222, 9001, PSH | ACK, hello_part(OPENSSH))]
    result = observe_bytes(capture(packets + connection(OPENSSH, dport=2222)), [2222])
    assert only(result)['connections'] == 1 and result['connections_seen'] == 1
    assert result['ignored_packets']['reverse_direction'] == 2


def test_port_reuse_with_a_new_syn_is_a_new_connection():
    packets = connection(OPENSSH, fin=False) + connection(OPENSSH, isn=900000)
    assert only(observe_bytes(capture(packets)))['connections'] == 2


def test_gap_in_the_capture_is_a_skipped_connection():
    packets = connection(OPENSSH, sizes=[20, 30, len(OPENSSH)])
    del packets[2]  # the second segment never made it into the capture
    result = _clean(capture(packets))
    assert result['clients'] == [] and result['skipped']['reasons'] == {'gap': 1}


def test_snaplen_cut_packets_are_reported_and_do_not_corrupt_the_stream():
    packets = connection(OPENSSH)
    frames = [(1.0 + index, link(1, packet)) for index, packet in enumerate(packets)]
    ts, frame = frames[1]
    frames[1] = (ts, frame[:100], len(frame))
    result = observe_bytes(pcap(frames))
    assert result['truncated']['reasons'] == {'snaplen': 1}
    assert result['clients'] == [] and result['skipped']['reasons'] == {'gap': 1}


def test_connection_closed_or_reset_before_the_kexinit():
    banner = OPENSSH[:OPENSSH.index(b'\n') + 1]
    reset = connection(banner, sport=40001, fin=False) + [tcp_ip('192.0.2.10', '192.0.2.1', 40001, 22,
                                                                 1001 + len(banner), RST)]
    result = observe_bytes(capture(connection(banner) + reset + connection(b'', sport=40002)))
    assert result['skipped']['reasons'] == {'closed': 3}
    assert any('reset' in sample['msg'] for sample in result['skipped']['samples'])


def test_capture_ending_first_is_incomplete():
    result = observe_bytes(capture(connection(OPENSSH[:200], fin=False)))
    assert result['skipped']['reasons'] == {'incomplete': 1}


# -- hostile and broken input -----------------------------------------------------------------------------------

TLS_HELLO = b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + b'\x11' * 60


@pytest.mark.parametrize('stream,reason', [
    (b'GET / HTTP/1.1\r\nHost: sftp\r\n\r\n', 'not_ssh'),
    (TLS_HELLO, 'not_ssh'),
    (b'SSH-1.5-OldClient\r\n', 'ssh1_only'),
    (b'SSH-2.0-x\r\n' + struct.pack('!IB', 10 * 1024 * 1024, 4) + b'\x14' * 100, 'protocol_error'),
    (b'SSH-2.0-x\r\n' + build_packet(b'\x14' + b'\x00' * 16 + b'\x00\x00\xff\xffabc'), 'protocol_error'),
    (b'SSH-2.0-x\r\n' + build_packet(b'\x1e' + b'\x00' * 40), 'protocol_error'),
    (b'SSH-2.0-x\r\n' + build_packet(b'\x01\x00\x00\x00\x02\x00\x00\x00\x03bye'), 'disconnected'),
    (b'SSH-2.0-x\r\n' + build_packet(b'\x14' + b'\x00' * 16 + b'\x00\x00\x00\x03a\x01b' + b'\x00' * 45),
     'protocol_error'),
])
def test_non_ssh_and_malformed_clients_are_per_connection_reasons(stream, reason):
    result = observe_bytes(capture(connection(stream) + connection(OPENSSH, sport=40001)))
    assert only(result)['connections'] == 1
    assert result['skipped']['reasons'] == {reason: 1}
    sample = result['skipped']['samples'][0]
    assert sample['reason'] == reason and sample['address'] == '192.0.2.10' and sample['port'] == 22
    assert all(0x20 <= ord(char) < 0x7f for char in sample['msg'])


def test_a_client_flooding_lines_is_cut_at_the_byte_cap():
    flood = (b'X' * 98 + b'\r\n') * 2000
    result = observe_bytes(capture(connection(flood, sizes=[1400] * (len(flood) // 1400 + 1))))
    assert result['skipped']['reasons'] == {'over_byte_cap': 1}


def test_a_huge_but_valid_kexinit_is_refused_at_the_packet_cap():
    offer = {key: ['none'] for key in NAME_LIST_KEYS[:8]}
    offer['kex_algorithms'] = ['kex-%05d@example.com' % index for index in range(4000)]
    stream = b'SSH-2.0-Huge_1\r\n' + build_packet(build_kexinit(offer))
    assert len(stream) > observe.MAX_CONNECTION_BYTES
    result = observe_bytes(capture(connection(stream, sizes=[1400] * (len(stream) // 1400 + 1))))
    assert result['skipped']['reasons'] == {'protocol_error': 1}
    assert 'cap' in result['skipped']['samples'][0]['msg']


def test_a_large_kexinit_under_the_cap_is_recorded():
    offer = {key: ['none'] for key in NAME_LIST_KEYS[:8]}
    offer['kex_algorithms'] = ['kex-%05d@example.com' % index for index in range(1500)]
    stream = b'SSH-2.0-Large_1\r\n' + build_packet(build_kexinit(offer))
    client = only(observe_bytes(capture(connection(stream, sizes=[1400] * (len(stream) // 1400 + 1)))))
    assert len(client['proposal']['kex_algorithms']) == 1500


def test_too_many_out_of_order_segments_is_a_gap():
    packets = [tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1000, SYN)]
    packets += [tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1001 + 2 * index + 1, ACK, b'x') for index in range(100)]
    result = observe_bytes(capture(packets))
    assert result['skipped']['reasons'] == {'gap': 1}


@pytest.mark.parametrize('cut', [0, 3, 10, 23])
def test_files_cut_inside_the_file_header_are_a_clean_error(cut):
    data = capture(connection(OPENSSH))
    with pytest.raises(CaptureFormatError):
        observe_bytes(data[:cut])


def test_files_cut_anywhere_after_the_header_give_a_result():
    data = capture(connection(OPENSSH) + connection(OPENSSH, sport=40001))
    for cut in range(24, len(data)):
        result = _clean(data[:cut])
        assert result['clients_recorded'] <= 2
        assert result['truncated']['total'] <= 1
    assert observe_bytes(data[:-1])['truncated']['reasons'] == {'capture_truncated': 1}
    pcapng_data = pcapng([(1.0, link(1, packet)) for packet in connection(OPENSSH)])
    for cut in range(4, len(pcapng_data)):
        _clean(pcapng_data[:cut])


def test_damaged_record_headers_stop_the_reading_cleanly():
    data = bytearray(capture(connection(OPENSSH) + connection(OPENSSH, sport=40001)))
    first = struct.unpack_from('<I', data, 24 + 8)[0]
    struct.pack_into('<I', data, 24 + 16 + first + 8, 0x7FFFFFFF)  # the second record claims 2 GiB
    result = observe_bytes(bytes(data))
    assert result['truncated']['reasons'] == {'malformed_capture': 1}
    assert 'claims' in result['truncated']['msg']
    shb = bytearray(pcapng([(1.0, link(1, packet)) for packet in connection(OPENSSH)]))
    struct.pack_into('<I', shb, 28 + 4, 13)  # the interface block's length is not a multiple of 4
    assert observe_bytes(bytes(shb))['truncated']['reasons'] == {'malformed_capture': 1}


@pytest.mark.parametrize('data', [b'', b'hello world, no capture', b'\x0a\x0d\x0d', b'\x00' * 100])
def test_input_that_is_no_capture_is_a_clean_error(data):
    with pytest.raises(CaptureFormatError):
        observe_bytes(data)


def test_malformed_frames_are_counted_not_raised():
    frames = [(1.0, b''), (2.0, b'\x00' * 13), (3.0, b'\x00' * 12 + b'\x08\x00' + b'\x45'), (4.0, b'\x00' * 12 + b'\x86\xdd')]
    v4 = bytearray(tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1, SYN))
    v4[0] = 0x41  # IHL below 5
    frames.append((5.0, link(1, bytes(v4))))
    fragment = bytearray(tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1, SYN))
    fragment[6:8] = b'\x20\x00'
    frames.append((6.0, link(1, bytes(fragment))))
    result = observe_bytes(pcap(frames))
    assert result['ignored_packets'] == {'malformed_packet': 5, 'ip_fragment': 1}
    assert result['packets'] == 6 and result['clients'] == []


def test_unsupported_link_type_is_counted():
    result = observe_bytes(pcap([(1.0, b'\x00' * 60)], linktype=147))
    assert result['ignored_packets'] == {'unsupported_link_type': 1}


# -- bounds -----------------------------------------------------------------------------------------------------

def test_too_many_connections_in_progress_evicts_the_oldest(monkeypatch):
    monkeypatch.setattr(observe, 'MAX_TRACKED_CONNECTIONS', 4)
    packets = [tcp_ip('192.0.2.10', '192.0.2.1', 40000 + index, 22, 100, SYN) for index in range(10)]
    packets += connection(OPENSSH, sport=50000)
    result = observe_bytes(capture(packets))
    assert only(result)['connections'] == 1
    assert result['skipped']['reasons'] == {'evicted': 7, 'incomplete': 3}


def test_buffered_bytes_budget_evicts(monkeypatch):
    monkeypatch.setattr(observe, 'MAX_BUFFERED_BYTES', 3000)
    half = hello_part(OPENSSH)[:1000]
    packets = []
    for index in range(5):
        packets += connection(half, sport=41000 + index, fin=False)
    result = observe_bytes(capture(packets))
    assert result['skipped']['reasons']['evicted'] >= 2


def test_distinct_clients_are_capped(monkeypatch):
    monkeypatch.setattr(observe, 'MAX_CLIENTS', 2)
    packets = []
    for index in range(4):
        stream = OPENSSH.replace(b'OpenSSH_', ('Other%d_' % index).encode(), 1)
        packets += connection(stream, sport=40000 + index)
    result = observe_bytes(capture(packets))
    assert result['distinct_clients'] == 2 and result['clients_recorded'] == 2
    assert result['skipped']['reasons'] == {'max_clients': 2}


def test_addresses_most_frequent_first_capped_and_counted(monkeypatch):
    monkeypatch.setattr(observe, 'MAX_ADDRESSES_TRACKED', 12)
    packets = []
    port = 40000
    for index in range(15):
        for dummy in range(15 - index):
            port += 1
            packets += connection(OPENSSH, src='10.0.0.%d' % (index + 1), sport=port)
    client = only(observe_bytes(capture(packets)))
    assert client['connections'] == sum(range(1, 16))
    assert len(client['addresses']) == observe.TOP_ADDRESSES
    assert client['addresses'][0] == {'address': '10.0.0.1', 'connections': 15}
    assert [entry['connections'] for entry in client['addresses']] == list(range(15, 5, -1))
    assert client['distinct_addresses'] == 12
    assert client['connections_from_untracked_addresses'] == 3 + 2 + 1


def test_anonymized_addresses_are_salted_per_run():
    packets = connection(OPENSSH) + connection(OPENSSH, sport=40001) + connection(OPENSSH, src='192.0.2.99', sport=40002)
    first = observe_bytes(capture(packets), anonymize_addresses=True)
    second = observe_bytes(capture(packets), anonymize_addresses=True)
    names = [entry['address'] for entry in only(first)['addresses']]
    assert all(name.startswith('anon-') and len(name) == 17 for name in names)
    assert only(first)['addresses'][0]['connections'] == 2
    assert set(names).isdisjoint(entry['address'] for entry in only(second)['addresses'])
    assert '192.0.2' not in repr(first)
    assert first['anonymized']


def test_max_connections_stops_early():
    packets = []
    for index in range(10):
        packets += connection(OPENSSH, sport=40000 + index)
    result = observe_bytes(capture(packets), max_connections=3)
    assert result['stopped_early'] and result['clients_recorded'] == 3


def test_first_and_last_seen_are_iso_utc_from_packet_times():
    packets = connection(OPENSSH) + connection(OPENSSH, sport=40001)
    client = only(observe_bytes(capture(packets, start=1764079200.0, step=10.0)))
    assert client['first_seen'] == '2025-11-25T14:00:10.000000Z'  # each completed with its second packet
    assert client['last_seen'] == '2025-11-25T14:00:40.000000Z'


# -- options, privileges, the raw socket's filter ---------------------------------------------------------------

@pytest.mark.parametrize('options,message', [
    (dict(ports=[], duration=1), 'non-empty'),
    (dict(ports=[0], duration=1), 'invalid port'),
    (dict(ports=[True], duration=1), 'invalid port'),
    (dict(ports=list(range(1, 40)), duration=1), 'at most 32'),
    (dict(ports=[22]), 'needs duration'),
    (dict(ports=[22], duration=0), 'above 0'),
    (dict(ports=[22], duration=3601), 'at most 3600'),
    (dict(ports=[22], duration=5, interface='eth0; rm -rf /'), 'invalid interface'),
    (dict(ports=[22], duration=5, max_connections=0), 'max_connections'),
    (dict(ports=[22], duration=5, pcap='/tmp/x.pcap'), 'live capture only'),
])
def test_options_are_checked(options, message):
    with pytest.raises(ObserveError, match=message):
        check_options(**options)


def test_options_normalize_ports():
    assert check_options([2222, 22, 22], duration=1) == (22, 2222)
    assert check_options([22], pcap='/x') == (22,)


def test_live_capture_without_privilege_says_what_it_needs(monkeypatch):
    monkeypatch.setattr(observe, 'capabilities', lambda: (1000, False))
    with pytest.raises(ObserveError, match='needs root or CAP_NET_RAW'):
        observe_live([22], 'lo', 1)


def test_pcap_file_errors(tmp_path):
    with pytest.raises(ObserveError, match='cannot read'):
        observe_pcap(str(tmp_path / 'missing.pcap'))
    path = tmp_path / 'text.pcap'
    path.write_bytes(b'not a capture at all')
    with pytest.raises(CaptureFormatError, match='text.pcap: not a pcap'):
        observe_pcap(str(path))


def run_bpf(program, packet, ethertype):
    """A classic BPF interpreter for the instructions bpf_program uses (linux/filter.h semantics)."""
    acc = index = 0
    pc = 0
    for dummy in range(len(program) + 1):
        code, jt, jf, k = program[pc]
        pc += 1
        if code == 0x28:
            acc = ethertype if k == 0xFFFFF000 else (struct.unpack_from('!H', packet, k)[0] if k + 2 <= len(packet) else None)
        elif code == 0x30:
            acc = packet[k] if k < len(packet) else None
        elif code == 0xb1:
            index = (packet[k] & 0x0F) * 4
        elif code == 0x48:
            acc = struct.unpack_from('!H', packet, index + k)[0] if index + k + 2 <= len(packet) else None
        elif code == 0x15:
            pc += jt if acc == k else jf
        elif code == 0x45:
            pc += jt if acc & k else jf
        elif code == 0x06:
            return k
        else:
            raise AssertionError(code)
        if acc is None:
            return 0  # the kernel drops a packet when a load runs past its end
    raise AssertionError('no return')


def test_raw_socket_filter_program_accepts_exactly_tcp_to_the_ports():
    program = bpf_program((22, 2222))
    assert all(0 <= jt < 256 and 0 <= jf < 256 for _code, jt, jf, _k in program)
    syn4 = tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1, SYN)
    syn6 = tcp_ip('2001:db8::2', '2001:db8::1', 40000, 2222, 1, SYN)
    assert run_bpf(program, syn4, 0x0800) > 0
    assert run_bpf(program, syn6, 0x86DD) > 0
    assert run_bpf(program, tcp_ip('192.0.2.1', '192.0.2.10', 22, 40000, 1, SYN | ACK), 0x0800) == 0
    assert run_bpf(program, tcp_ip('192.0.2.10', '192.0.2.1', 40000, 2223, 1, SYN), 0x0800) == 0
    assert run_bpf(program, syn4, 0x0806) == 0
    udp = bytearray(syn4)
    udp[9] = 17
    assert run_bpf(program, bytes(udp), 0x0800) == 0
    fragment = bytearray(syn4)
    fragment[6:8] = b'\x00\x10'
    assert run_bpf(program, bytes(fragment), 0x0800) == 0
    options = bytearray(syn4)
    options[0] = 0x46  # IPv4 options: the TCP header starts 4 bytes later
    options = bytes(options[:20]) + b'\x01\x01\x01\x00' + bytes(options[20:])
    assert run_bpf(program, options, 0x0800) > 0


# -- fuzzing ----------------------------------------------------------------------------------------------------

def _clean(data, ports=(22,)):
    """Any input gives a consistent result or CaptureFormatError (None here), nothing else."""
    try:
        result = observe_bytes(data, ports)
    except CaptureFormatError:
        return None
    # Every connection that started is accounted for exactly once: recorded or skipped with a reason.
    assert result['clients_recorded'] + result['skipped']['total'] == result['connections_seen']
    assert result['clients_recorded'] == sum(client['connections'] for client in result['clients'])
    assert result['skipped']['total'] == sum(result['skipped']['reasons'].values())
    assert len(result['skipped']['samples']) <= observe.MAX_SAMPLES
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_any_bytes_give_a_result_or_a_clean_error(data):
    _clean(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([pcap([]), pcap([], 276, '>', True), pcapng([]), pcapng([], 113, '>', 9)]), st.binary(max_size=2000))
def test_fuzz_any_records_after_a_valid_file_header(header, tail):
    _clean(header + tail)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([0, 1, 101, 108, 113, 228, 229, 276]), st.lists(st.binary(max_size=300), max_size=20))
def test_fuzz_random_frames_of_every_link_type(linktype, frames):
    _clean(pcap([(float(index), frame) for index, frame in enumerate(frames)], linktype))
    _clean(pcapng([(float(index), frame) for index, frame in enumerate(frames)], linktype))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255), st.binary(max_size=400)), max_size=30),
       st.sampled_from(SSH_STREAMS))
def test_fuzz_random_segments_in_real_connections(segments, stream):
    packets = connection(hello_part(stream), fin=False)
    for offset, flags, payload in segments:
        packets.insert(offset % (len(packets) + 1), tcp_ip('192.0.2.10', '192.0.2.1', 40000, 22, 1001 + offset, flags,
                                                           payload))
    result = _clean(capture(packets))
    assert result is not None and result['clients_recorded'] <= len(packets)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=3000), st.integers(0, 5000))
def test_fuzz_flipped_bytes_in_a_real_capture(noise, position):
    with open(os.path.join(FIXTURES, REAL[0 if position % 2 else 3]), 'rb') as handle:
        data = bytearray(handle.read())
    position = 24 + position * 7 % (len(data) - 24)
    data[position:position + len(noise)] = noise
    _clean(bytes(data), [PORT])
