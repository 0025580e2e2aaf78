# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wire codec: RFC 4251 data types, packets and KEXINIT (streams are in test_hello.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import (
    MAX_SKIPPED_MESSAGES, MSG_IGNORE, MSG_KEXINIT, PacketBuffer, PeerError, Reader, build_packet, encode_mpint,
    encode_name_list, encode_string, encode_uint32, printable)


@given(st.integers(min_value=0, max_value=1 << 4096))
def test_mpint_round_trip(value):
    assert Reader(encode_mpint(value), 'test').mpint() == value


def test_rfc4251_mpint_examples():
    assert encode_mpint(0) == b'\x00\x00\x00\x00'
    assert encode_mpint(0x80) == b'\x00\x00\x00\x02\x00\x80'
    assert encode_mpint(0x9a378f9b2e332a7) == b'\x00\x00\x00\x08\x09\xa3\x78\xf9\xb2\xe3\x32\xa7'


def test_reader_reads_each_type_and_refuses_overruns():
    data = b'\x01' + encode_uint32(7) + encode_string(b'abc') + encode_name_list(['x', 'y'])
    reader = Reader(data, 'sample')
    assert (reader.boolean(), reader.uint32(), reader.string(), reader.name_list()) == (True, 7, b'abc', (['x', 'y'], 0, None))
    assert reader.remaining == 0
    with pytest.raises(PeerError) as err:
        reader.byte('the flag')
    assert err.value.reason == 'protocol_error' and 'sample ends before the flag' in err.value.msg
    with pytest.raises(PeerError) as err:
        Reader(encode_uint32(100) + b'abc', 'blob').string('the key')
    assert 'claims 100 bytes but only 3 remain' in err.value.msg


def test_name_list_counts_empty_entries_and_refuses_unsafe_names():
    assert Reader(encode_string(b'a,,b,'), 'kexinit').name_list() == (['a', 'b'], 2, 1)
    assert Reader(encode_string(b''), 'kexinit').name_list() == ([], 0, None)
    for bad in (b'aes\nx', b'a b', b'\xff'):
        with pytest.raises(PeerError):
            Reader(encode_string(bad), 'kexinit').name_list()


def test_packets_are_cut_and_ignore_messages_skipped_with_a_bound():
    buffer = PacketBuffer()
    ignore = build_packet(bytes([MSG_IGNORE]) + encode_string(b'x'))
    buffer.push(ignore * 2 + build_packet(bytes([MSG_KEXINIT]) + b'rest')[:-3])
    assert buffer.next_payload() is None            # the KEXINIT packet is incomplete
    buffer.push(b'\x00' * 3)
    assert buffer.next_payload() == bytes([MSG_KEXINIT]) + b'rest'
    flood = PacketBuffer()
    flood.push(ignore * (MAX_SKIPPED_MESSAGES + 1))
    assert flood.next_payload()[:1] == bytes([MSG_IGNORE])   # past the bound, an IGNORE is handed up


def test_printable_is_bounded_and_without_control_characters():
    assert printable(b'ok\x1b[31m\xff', 80) == 'ok\\x1b[31m\\xff'
    assert printable(b'a' * 100, 10) == 'a' * 10 + '...'
