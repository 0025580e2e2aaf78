# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the SSH daemons on a managed node say about themselves, parsed.

OpenSSH: ``sshd -V`` (or the usage text of older sshd, which also carries the version), ``sshd -T`` (the
effective configuration, keywords lower-cased), ``ssh -Q`` (what the same OpenSSH build supports), and the order
of ``Include`` in ``sshd_config`` (sshd keeps the first value it reads for these keywords, sshd_config(5), so a
drop-in only wins when it is read before any other setting). ProFTPD: ``proftpd -V`` and the ``fatal:
SFTP...: unsupported ... algorithm: NAME`` lines of ``proftpd -t``, which mod_sftp prints for a name it does not
support (checked with ProFTPD 1.3.8).

Plain Python, no Ansible imports: the ``daemon_info`` module runs the commands and hands the text here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# The baseline categories (baselines.CATEGORIES; not imported, so that modules on managed nodes carry only this
# file) and the sshd keyword that sets each.
OPENSSH_KEYWORDS = {'kex': 'KexAlgorithms', 'host_key': 'HostKeyAlgorithms', 'ciphers': 'Ciphers', 'macs': 'MACs'}
CATEGORIES = tuple(OPENSSH_KEYWORDS)
PROFTPD_DIRECTIVES = {'kex': 'SFTPKeyExchanges', 'host_key': 'SFTPHostKeys', 'ciphers': 'SFTPCiphers',
                      'macs': 'SFTPDigests'}
# ssh -Q query per category (ssh(1): "key-sig" lists the signature algorithms usable as HostKeyAlgorithms).
SSH_QUERIES = {'kex': 'kex', 'host_key': 'key-sig', 'ciphers': 'cipher', 'macs': 'mac'}

_OPENSSH_VERSION = re.compile(r'OpenSSH_([0-9][0-9A-Za-z.]*)')
_PROFTPD_VERSION = re.compile(r'(?:ProFTPD Version|Version:)\s+([0-9][0-9A-Za-z.]*)')
_PROFTPD_UNSUPPORTED = re.compile(r'(SFTP[A-Za-z]+): unsupported [a-z -]*algorithm: (\S+)')
_CRYPTO_KEYWORDS = frozenset(keyword.lower() for keyword in OPENSSH_KEYWORDS.values())


def openssh_version(text):
    """``9.2p1`` from ``OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL ...`` (None when absent)."""
    match = _OPENSSH_VERSION.search(text or '')
    return match.group(1) if match else None


def same_openssh_release(first, second):
    """``sshd -V`` prints ``OpenSSH_9.2`` where ``ssh -V`` prints ``OpenSSH_9.2p1 Debian-2``: compare the release
    numbers only."""
    def release(version):
        match = re.match(r'[0-9]+\.[0-9]+', version or '')
        return match.group(0) if match else None
    return release(first) is not None and release(first) == release(second)


def proftpd_version(text):
    match = _PROFTPD_VERSION.search(text or '')
    return match.group(1) if match else None


def parse_sshd_T(text):
    """``sshd -T`` output -> ``{keyword: [value, ...]}`` (keywords that repeat, like ``hostkey``, keep all).
    ``ssh -G`` prints the same lower-case ``keyword value`` lines and is read the same way."""
    settings = {}
    for line in (text or '').splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            settings.setdefault(parts[0].lower(), []).append(parts[1])
    return settings


def effective_lists(settings):
    """The four algorithm lists from parsed ``sshd -T`` output."""
    lists = {}
    for category, keyword in OPENSSH_KEYWORDS.items():
        values = settings.get(keyword.lower())
        lists[category] = values[0].split(',') if values else []
    return lists


def ssh_query_list(text):
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


def proftpd_unsupported(text):
    """``[(directive, name)]`` for every name mod_sftp refused in ``proftpd -t`` output."""
    return _PROFTPD_UNSUPPORTED.findall(text or '')


def _directive_lines(text):
    for number, line in enumerate((text or '').splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        parts = stripped.split(None, 1)
        yield number, parts[0].lower(), (parts[1] if len(parts) > 1 else '')


def include_order(config_text, dropin_dir):
    """Where ``sshd_config`` includes ``dropin_dir`` relative to its own algorithm settings and Match blocks.

    Returns ``{'include_line', 'first_setting_line', 'first_match_line', 'include_first'}``; ``include_first``
    is true when an ``Include`` of the drop-in directory is read before any algorithm keyword and any Match
    block, which is what makes a drop-in's values win (sshd_config(5): for each keyword, the first obtained
    value is used).
    """
    dropin_dir = dropin_dir.rstrip('/')
    include_line = first_setting = first_match = None
    for number, keyword, value in _directive_lines(config_text):
        if keyword == 'include' and include_line is None:
            if any(path.rstrip('/').startswith(dropin_dir + '/') or path.rstrip('/') == dropin_dir
                   or path.startswith(dropin_dir + '/*') for path in value.split()):
                include_line = number
        elif keyword in _CRYPTO_KEYWORDS and first_setting is None:
            first_setting = number
        elif keyword == 'match' and first_match is None:
            first_match = number
    earliest_other = min([line for line in (first_setting, first_match) if line is not None] or [None]) \
        if (first_setting or first_match) else None
    include_first = include_line is not None and (earliest_other is None or include_line < earliest_other)
    return {'include_line': include_line, 'first_setting_line': first_setting, 'first_match_line': first_match,
            'include_first': include_first}


def crypto_settings(config_text):
    """Algorithm keywords set in one sshd configuration file: ``{keyword: line_number}``."""
    found = {}
    for number, keyword, _value in _directive_lines(config_text):
        if keyword in _CRYPTO_KEYWORDS and keyword not in found:
            found[keyword] = number
    return found
