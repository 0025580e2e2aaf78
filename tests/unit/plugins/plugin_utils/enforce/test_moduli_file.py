# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filtering a moduli file: only lines sshd would use (dh.c parse_prime) and at least the baseline's size."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.host_keys import modp_prime
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.moduli_file import ModuliFileError, \
    baseline_min_bits, filter_moduli, parse_line

P2048 = modp_prime('diffie-hellman-group14-sha256')
P4096 = modp_prime('diffie-hellman-group16-sha512')


def line(prime, kind=2, tests=6, tries=100, size=None, generator='2'):
    return '20230101000000 %d %d %d %d %s %X' % (kind, tests, tries, prime.bit_length() - 1 if size is None
                                                 else size, generator, prime)


def test_parse_line_accepts_what_sshd_uses():
    assert parse_line(line(P2048)) == (2048, None)
    assert parse_line(line(P4096, generator='5')) == (4096, None)
    assert parse_line('# Time Type Tests Tries Size Generator Modulus') == (None, None)
    assert parse_line('   ') == (None, None)


@pytest.mark.parametrize('text,reason', [
    (line(P2048, kind=4), 'type'),
    (line(P2048, tests=1), 'tests'),
    (line(P2048, tests=0), 'tests'),
    (line(P2048, tests=7), 'tests'),
    (line(P2048, tries=0), 'tries'),
    (line(P2048, size=2048), 'size'),
    (line(P2048, size=4095), 'size'),
    (line(P2048, generator='1'), 'generator'),
    (line(P2048) + ' extra', 'format'),
    (line(P2048).replace(' ', '\t', 1), 'format'),
    ('20230101000000 2 6 100 2047 2 ZZZ', 'format'),
    ('ModuliFile /tmp/evil', 'format'),
])
def test_parse_line_skips_what_sshd_skips(text, reason):
    assert parse_line(text) == (None, reason)


def test_filter_keeps_large_groups_and_counts_the_rest():
    text = '\n'.join(['# header', line(P2048), line(P4096), line(P4096, kind=4), 'junk']) + '\n'
    result = filter_moduli(text, 3072, '/etc/ssh/moduli')
    assert result['kept'] == 1 and result['dropped'] == 1 and result['skipped'] == {'type': 1, 'format': 1}
    assert result['sizes'] == {4096: 1} and result['min_bits'] == 3072
    body = [item for item in result['content'].splitlines() if not item.startswith('#')]
    assert body == [line(P4096)]
    assert result['content'].startswith('# Groups of at least 3072 bits from /etc/ssh/moduli')
    # Deterministic, so the role's copy is idempotent.
    assert filter_moduli(text, 3072)['content'] == result['content']


def test_filter_refuses_an_empty_result():
    with pytest.raises(ModuliFileError) as info:
        filter_moduli(line(P2048) + '\n', 3072, '/tmp/m')
    assert 'no group of at least 3072 bits that sshd would use is left in /tmp/m (1 smaller, 0 unusable' \
        in str(info.value)


@pytest.mark.parametrize('value,bits,message', [
    (b'bytes', 3072, 'must be text'),
    ('x' * (8 * 1024 * 1024 + 1), 3072, 'larger than'),
    ('', 512, 'from 1024 to 16384'),
    ('', True, 'from 1024 to 16384'),
])
def test_filter_refuses_bad_input(value, bits, message):
    with pytest.raises(ModuliFileError) as info:
        filter_moduli(value, bits)
    assert message in str(info.value)


def test_baseline_min_bits():
    assert baseline_min_bits('intermediate') == 3072
    assert baseline_min_bits('modern') == 3072
    assert baseline_min_bits('fips-140-3') == 3072
    assert baseline_min_bits('bsi-tr-02102-4') == 3072
