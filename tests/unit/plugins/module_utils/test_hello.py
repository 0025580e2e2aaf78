# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the hello parser (banner, packets, KEXINIT): hand-made streams, a real capture, and property-based fuzzing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import os
import struct

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import (
    HelloParser,
    parse_banner,
    parse_software,
    parse_stream,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import REASONS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import (
    MAX_PACKET_BYTES,
    PeerError,
    build_kexinit,
    build_packet,
    parse_kexinit,
)

OFFER = {
    'kex_algorithms': ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'kex-strict-s-v00@openssh.com'],
    'server_host_key_algorithms': ['rsa-sha2-512', 'ssh-ed25519'],
    'encryption_algorithms_client_to_server': ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'],
    'encryption_algorithms_server_to_client': ['aes256-gcm@openssh.com'],
    'mac_algorithms_client_to_server': ['hmac-sha2-512-etm@openssh.com'],
    'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
    'compression_algorithms_client_to_server': ['none', 'zlib@openssh.com'],
    'compression_algorithms_server_to_client': ['none'],
    'languages_client_to_server': [],
    'languages_server_to_client': [],
    'first_kex_packet_follows': False,
}
BANNER = b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'

# A real stream, captured on the wire from Debian 12's sshd (OpenSSH 9.2p1 Debian-2+deb12u10) configured with
# "Ciphers aes256-ctr,aes128-gcm@openssh.com" and ed25519, RSA and ECDSA host keys: banner + KEXINIT packet.
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'fixtures')
REAL_CAPTURE = os.path.join(FIXTURES, 'openssh-9.2p1-debian12-aes256ctr-aes128gcm.hex')


def stream(offer=None, banner=BANNER, prefix=b''):
    return prefix + banner + build_packet(build_kexinit(offer or OFFER))


def test_round_trip_keeps_every_list_in_order():
    hello = parse_stream(stream())
    assert hello.offer == OFFER
    assert hello.banner == 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'
    assert hello.strict_kex is True
    assert hello.ext_info is False
    assert list(hello.offer)[:10] == list(NAME_LIST_KEYS)


def test_byte_by_byte_feeding_gives_the_same_result():
    data = stream()
    parser = HelloParser()
    results = [parser.feed(data[i:i + 1]) for i in range(len(data))]
    assert all(r is None for r in results[:-1])
    assert results[-1].offer == OFFER


def test_pre_banner_lines_and_lf_only_banner():
    hello = parse_stream(stream(banner=b'SSH-2.0-dropbear_2022.83\n', prefix=b'Hello\r\nthere\n'))
    assert hello.pre_banner == ['Hello', 'there']
    assert hello.software == {'product': 'dropbear', 'version': '2022.83', 'comments': None, 'protocol': '2.0'}


def test_ssh_1_99_is_ssh2():
    assert parse_banner('SSH-1.99-OpenSSH_3.9p1') == ('1.99', 'OpenSSH_3.9p1', '')


@pytest.mark.parametrize('line,reason', [
    ('SSH-1.5-Old_1', 'ssh1_only'),
    ('SSH-3.0-X', 'protocol_error'),
    ('SSH-2.0', 'protocol_error'),
    ('HTTP/1.1 200 OK', 'not_ssh'),
])
def test_bad_banners(line, reason):
    with pytest.raises(PeerError) as err:
        parse_banner(line)
    assert err.value.reason == reason


@pytest.mark.parametrize('banner,product,version,comments', [
    ('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', 'OpenSSH', '9.2p1', 'Debian-2+deb12u3'),
    ('SSH-2.0-OpenSSH_for_Windows_8.1', 'OpenSSH for Windows', '8.1', None),
    ('SSH-2.0-mod_sftp', 'ProFTPD mod_sftp', None, None),
    ('SSH-2.0-mod_sftp/1.1.1', 'ProFTPD mod_sftp', '1.1.1', None),
    ('SSH-2.0-dropbear_2022.83', 'dropbear', '2022.83', None),
    ('SSH-2.0-paramiko_3.4.0', 'paramiko', '3.4.0', None),
    ('SSH-2.0-AsyncSSH_2.14.2', 'AsyncSSH', '2.14.2', None),
    ('SSH-2.0-PuTTY_Release_0.78', 'PuTTY', '0.78', None),
    ('SSH-2.0-libssh2_1.10.0', 'libssh2', '1.10.0', None),
    ('SSH-2.0-libssh_0.10.4', 'libssh', '0.10.4', None),
    ('SSH-2.0-JSCH-0.1.54', 'JSch', '0.1.54', None),
    ('SSH-2.0-APACHE-SSHD-2.9.2', 'Apache MINA SSHD', '2.9.2', None),
    ('SSH-2.0-Go', 'Go x/crypto/ssh', None, None),
    ('SSH-2.0-ssh2js1.17.0', 'Node ssh2', '1.17.0', None),
    ('SSH-2.0-FileZilla_3.63.0', 'FileZilla', '3.63.0', None),
    ('SSH-2.0-CerberusFTPServer_12.0', 'Cerberus FTP Server', '12.0', None),
    ('SSH-2.0-WeirdServer/4.2', 'WeirdServer', '4.2', None),
    ('SSH-2.0-X', 'X', None, None),
])
def test_software(banner, product, version, comments):
    software = parse_software(banner)
    assert (software['product'], software['version'], software['comments']) == (product, version, comments)


def test_empty_entries_are_dropped_with_a_warning():
    raw = b'hmac-ripemd160,,hmac-md5'
    body = b'\x14' + b'\x00' * 16
    for key in NAME_LIST_KEYS:
        value = raw if key.startswith('mac') else b''
        body += struct.pack('>I', len(value)) + value
    body += b'\x00' + b'\x00' * 4
    offer, warnings, empty_entries = parse_kexinit(body)
    assert offer['mac_algorithms_client_to_server'] == ['hmac-ripemd160', 'hmac-md5']
    assert len(warnings) == 2
    assert empty_entries == {'mac_algorithms_client_to_server': 1, 'mac_algorithms_server_to_client': 1}


def _kexinit_with(first_list):
    body = b'\x14' + b'\x00' * 16 + struct.pack('>I', len(first_list)) + first_list
    body += struct.pack('>I', 0) * 9 + b'\x00' * 5
    return body


@pytest.mark.parametrize('name', [b'aes128-ctr\nPermitRootLogin yes', b'caf\xc3\xa9', b'a b', b'x\x00y', b'\x7f'])
def test_names_that_could_inject_are_refused(name):
    with pytest.raises(PeerError) as err:
        parse_kexinit(_kexinit_with(name))
    assert err.value.reason == 'protocol_error'


def test_name_list_overrun_is_reported_with_numbers():
    body = b'\x14' + b'\x00' * 16 + struct.pack('>I', 5000) + b'abc'
    with pytest.raises(PeerError) as err:
        parse_kexinit(body)
    assert '5000' in err.value.msg and 'kex_algorithms' in err.value.msg


def test_oversized_packet_fails_before_buffering_it():
    parser = HelloParser()
    with pytest.raises(PeerError) as err:
        parser.feed(BANNER + struct.pack('>IB', MAX_PACKET_BYTES + 1, 4))
    assert err.value.reason == 'protocol_error'
    assert err.value.banner.startswith('SSH-2.0-OpenSSH')


def test_ignore_and_debug_messages_are_skipped_but_bounded():
    ignore = build_packet(b'\x02\x00\x00\x00\x00')
    assert parse_stream(BANNER + ignore * 3 + build_packet(build_kexinit(OFFER))).offer == OFFER
    with pytest.raises(PeerError):
        parse_stream(BANNER + ignore * 100 + build_packet(build_kexinit(OFFER)))


def test_disconnect_message_is_reported():
    text = b'too many'
    packet = build_packet(b'\x01' + struct.pack('>II', 2, len(text)) + text + b'\x00' * 4)
    with pytest.raises(PeerError) as err:
        parse_stream(BANNER + packet)
    assert err.value.reason == 'disconnected' and 'too many' in err.value.msg


@pytest.mark.parametrize('data,reason', [
    (b'', 'closed'),
    (BANNER, 'closed'),
    (BANNER + b'\x00\x00', 'protocol_error'),
    (b'SSH-2.0-Trunc', 'protocol_error'),
    (b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'not_ssh'),
    (b'HTTP/1.0 400 Bad request\r\n\r\n', 'not_ssh'),
    (b'hello\n' * 1100, 'not_ssh'),
    (b'A' * 9000, 'not_ssh'),
    (b'\x00\x01\x02garbage\n', 'not_ssh'),
])
def test_incomplete_or_foreign_streams(data, reason):
    with pytest.raises(PeerError) as err:
        parse_stream(data)
    assert err.value.reason == reason


def _real_capture():
    with open(REAL_CAPTURE) as handle:
        return binascii.unhexlify(handle.read().strip())


def test_real_openssh_capture():
    hello = parse_stream(_real_capture())
    assert hello.software['product'] == 'OpenSSH' and hello.software['version'] == '9.2p1'
    assert hello.offer['encryption_algorithms_client_to_server'] == ['aes256-ctr', 'aes128-gcm@openssh.com']
    assert hello.offer['server_host_key_algorithms'] == ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256',
                                                         'ecdsa-sha2-nistp256']
    assert hello.offer['kex_algorithms'][0] == 'sntrup761x25519-sha512'
    assert hello.strict_kex and not hello.ext_info
    assert hello.offer['compression_algorithms_client_to_server'] == ['none', 'zlib@openssh.com']


def test_real_capture_cut_anywhere_waits_then_fails_cleanly():
    data = _real_capture()
    for cut in range(0, len(data), 37):
        parser = HelloParser()
        assert parser.feed(data[:cut]) is None
        with pytest.raises(PeerError) as err:
            parser.eof()
        assert err.value.reason in ('closed', 'protocol_error')


# --- property-based tests ---------------------------------------------------------------------------

NAME = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e, blacklist_characters=','),
               min_size=1, max_size=64)
OFFERS = st.fixed_dictionaries({key: st.lists(NAME, max_size=20) for key in NAME_LIST_KEYS}).map(
    lambda d: dict(d, first_kex_packet_follows=False))


def _outcome(data):
    """Parse ``data``; the only allowed outcomes are a Hello or a PeerError with a known reason."""
    try:
        return parse_stream(data)
    except PeerError as exc:
        assert exc.reason in REASONS
        assert isinstance(exc.msg, str) and exc.msg
        return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OFFERS, st.booleans())
def test_any_valid_offer_round_trips(offer, follows):
    offer['first_kex_packet_follows'] = follows
    assert parse_stream(stream(offer)).offer == offer


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_yield_an_offer_or_a_clean_error(data):
    _outcome(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_after_a_banner_yield_an_offer_or_a_clean_error(data):
    _outcome(BANNER + data)


@settings(max_examples=300, deadline=None)
@given(OFFERS, st.data())
def test_mutated_real_packets_yield_an_offer_or_a_clean_error(offer, data):
    packet = bytearray(stream(offer))
    for dummy in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(packet) - 1))
        packet[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(packet)))
    result = _outcome(bytes(packet[:cut]))
    if not isinstance(result, PeerError):
        for key in NAME_LIST_KEYS:
            assert all(name and ',' not in name and name.isprintable() and ' ' not in name for name in result.offer[key])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=40))
def test_chunking_never_changes_the_outcome(tail, cuts):
    data = BANNER + build_packet(build_kexinit(OFFER))[:30] + tail
    whole = _outcome(data)
    parser = HelloParser()
    pos = 0
    chunked = None
    try:
        for size in cuts + [len(data)]:
            chunked = parser.feed(data[pos:pos + size])
            pos += size
            if chunked is not None or pos >= len(data):
                break
        if chunked is None:
            parser.eof()
    except PeerError as exc:
        chunked = exc
    if isinstance(whole, PeerError):
        assert isinstance(chunked, PeerError) and chunked.reason == whole.reason
    else:
        assert chunked.offer == whole.offer
