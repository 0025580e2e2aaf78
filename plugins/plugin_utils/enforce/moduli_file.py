# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter an OpenSSH moduli file (moduli(5)) down to the groups a baseline accepts.

This is what hardening guides do with ``awk '$5 >= 3071' /etc/ssh/moduli`` (Mozilla's OpenSSH guidelines,
ssh-audit's hardening guides), with two differences: every line is checked the way sshd reads it
(openssh-portable dh.c ``parse_prime`` at V_9_2_P1: type 2 "safe", tests without the composite flag and not
untested, a non-zero trial count, the size field one less than the prime's bit length, a generator above 1), so
what we write is only what sshd would use; and the result is refused when no group is left, because sshd
would then fall back to its built-in groups (dh.c ``dh_new_group_fallback``) for every request.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks.moduli import MAX_THRESHOLD, \
    MIN_THRESHOLD, minimum_bits

# moduli(5): timestamp type tests tries size generator modulus, separated by single spaces as sshd splits them.
_LINE = re.compile(r'^(\d{14}) (\d+) (\d+) (\d+) (\d+) ([0-9A-Fa-f]+) ([0-9A-Fa-f]+)$')
MODULI_TYPE_SAFE = 2           # dh.h
MODULI_TESTS_COMPOSITE = 0x01  # dh.h
# Bound the work on a hostile or mistaken file: the Debian file is about 0.6 MB with some 420 groups.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_LINE_CHARS = 16 * 1024


class ModuliFileError(CheckError):
    """The moduli file cannot be filtered into a usable one; the message says why."""


def parse_line(line):
    """``(bits, None)`` for a moduli(5) line sshd would use; ``(None, reason)`` for one it would skip, where
    ``reason`` is ``format`` (not seven fields, or too long), ``type`` (not a safe prime), ``tests`` (untested
    or composite), ``tries`` (no trials), ``size`` (the size field does not match the prime) or ``generator``;
    ``(None, None)`` for comments and blank lines."""
    text = line.strip()
    if not text or text.startswith('#'):
        return None, None
    if len(text) > MAX_LINE_CHARS:
        return None, 'format'
    match = _LINE.match(text)
    if not match:
        return None, 'format'
    kind, tests, tries, size = (int(match.group(index)) for index in (2, 3, 4, 5))
    generator, modulus = int(match.group(6), 16), int(match.group(7), 16)
    if kind != MODULI_TYPE_SAFE:
        return None, 'type'
    if tests > 0x1f or tests & MODULI_TESTS_COMPOSITE or not tests & ~MODULI_TESTS_COMPOSITE:
        return None, 'tests'
    if tries == 0:
        return None, 'tries'
    if not 0 < size <= 64 * 1024 or modulus.bit_length() != size + 1:
        return None, 'size'
    if generator <= 1:
        return None, 'generator'
    return size + 1, None


def filter_moduli(text, min_bits, source='/etc/ssh/moduli'):
    """Keep the groups of at least ``min_bits`` bits that sshd would use.

    Returns ``{content, min_bits, kept, dropped, skipped, sizes}``: ``content`` is the new file (a comment
    header, then the kept lines unchanged), ``dropped`` the usable groups below ``min_bits``, ``skipped`` the
    lines sshd would skip (``{reason: count}``), ``sizes`` the kept groups per bit size. Raises
    :class:`ModuliFileError` when nothing would be left."""
    if not isinstance(text, str):
        raise ModuliFileError('the moduli file must be text, got %s' % type(text).__name__)
    if len(text) > MAX_FILE_BYTES:
        raise ModuliFileError('the moduli file %s is larger than %d bytes' % (source, MAX_FILE_BYTES))
    if isinstance(min_bits, bool) or not isinstance(min_bits, int) or not MIN_THRESHOLD <= min_bits <= MAX_THRESHOLD:
        raise ModuliFileError('the minimum group size must be a number of bits from %d to %d, got %r'
                              % (MIN_THRESHOLD, MAX_THRESHOLD, min_bits))
    kept, dropped, skipped, sizes = [], 0, {}, {}
    for line in text.splitlines():
        bits, reason = parse_line(line)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        if bits is None:
            continue
        if bits < min_bits:
            dropped += 1
            continue
        kept.append(line.strip())
        sizes[bits] = sizes.get(bits, 0) + 1
    if not kept:
        raise ModuliFileError('no group of at least %d bits that sshd would use is left in %s (%d smaller, %d '
                              'unusable lines): sshd would fall back to its built-in groups, so nothing was '
                              'written' % (min_bits, source, dropped, sum(skipped.values())))
    header = ('# Groups of at least %d bits from %s, kept by fleetcrypto.sftp (baseline_moduli: filter).\n'
              '# The size column is the bit length minus one (moduli(5)).\n' % (min_bits, source))
    return {'content': header + '\n'.join(kept) + '\n', 'min_bits': min_bits, 'kept': len(kept),
            'dropped': dropped, 'skipped': skipped, 'sizes': dict(sorted(sizes.items()))}


def baseline_min_bits(baseline):
    """The smallest group size ``baseline`` (name or dict) accepts without a moduli finding."""
    return minimum_bits(load_baseline(baseline)['checks']['moduli'])
