# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenSSH backend of ``daemon_info``: what sshd and ssh on a managed node say about themselves.

``sshd -V`` (or the usage text of older sshd, which also carries the version), ``sshd -T`` (the effective
configuration, keywords lower-cased; also read for the throttling settings, :func:`throttling_settings`),
``ssh -Q`` (what the same OpenSSH build supports), ``sshd -t -o Keyword=name`` (one name at a time, when
``ssh`` is another build), and the order of ``Include`` in ``sshd_config`` (sshd keeps the first value it reads
for these keywords, sshd_config(5), so a drop-in only wins when it is read before any other setting).

Plain Python, no Ansible imports. Commands run through a ``run(argv) -> (rc, stdout, stderr)`` callable (the
module passes ``module.run_command``); a failure raises :class:`OpenSSHError`, which the module turns into
``fail_json``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.common import DaemonError, read_text

# The sshd keyword that sets each governed category (sshd_config(5)), in catalog.GOVERNED order; a category
# added to the catalog without a keyword here fails at import, in the unit tests.
_KEYWORD = {'kex': 'KexAlgorithms', 'host_key': 'HostKeyAlgorithms', 'ciphers': 'Ciphers', 'macs': 'MACs'}
OPENSSH_KEYWORDS = {category: _KEYWORD[category] for category in GOVERNED}
# ssh -Q query per category (ssh(1): "key-sig" lists the signature algorithms usable as HostKeyAlgorithms).
_QUERY = {'kex': 'kex', 'host_key': 'key-sig', 'ciphers': 'cipher', 'macs': 'mac'}
SSH_QUERIES = {category: _QUERY[category] for category in GOVERNED}

_OPENSSH_VERSION = re.compile(r'OpenSSH_([0-9][0-9A-Za-z.]*)')
_CRYPTO_KEYWORDS = frozenset(keyword.lower() for keyword in OPENSSH_KEYWORDS.values())


class OpenSSHError(DaemonError):
    """A sshd or ssh command failed or printed something unusable."""


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


# Throttling: the settings that bound unauthenticated connections, as ``sshd -T`` prints them. sshd -T prints
# every keyword the running sshd knows, so a keyword missing from its output is one this sshd does not support
# (PerSourceMaxStartups and PerSourceNetBlockSize came with OpenSSH 8.5, servconf.c at V_8_5_P1;
# PerSourcePenalties with 9.8, servconf.c at V_9_8_P1). Formats from dump_config() in servconf.c (V_9_8_P1,
# V_10_0_P1): "maxstartups %d:%d:%d", "persourcemaxstartups none|%d", "persourcenetblocksize %d:%d",
# "persourcepenalties no" or "crash:%d authfail:%d ... overflow:%s overflow6:%s", "logingracetime %d",
# "maxauthtries %d".
THROTTLING_KEYWORDS = {
    'max_startups': ('MaxStartups', None),
    'per_source_max_startups': ('PerSourceMaxStartups', '8.5'),
    'per_source_net_block_size': ('PerSourceNetBlockSize', '8.5'),
    'per_source_penalties': ('PerSourcePenalties', '9.8'),
    'login_grace_time': ('LoginGraceTime', None),
    'max_auth_tries': ('MaxAuthTries', None),
}
_MAX_STARTUPS = re.compile(r'^([0-9]{1,9}):([0-9]{1,3}):([0-9]{1,9})$')
_NET_BLOCK = re.compile(r'^([0-9]{1,2}):([0-9]{1,3})$')
_INTEGER = re.compile(r'^[0-9]{1,9}$')
_PENALTY_ITEM = re.compile(r'^([a-z0-9-]{1,32}):([0-9]{1,9}(?:\.[0-9]{1,6})?|deny-all|permissive)$')


def _parse_throttling_value(name, value):
    """The structured fields of one throttling setting from its ``sshd -T`` value; raises ValueError when the
    value is not what dump_config() prints."""
    if name == 'max_startups':
        match = _MAX_STARTUPS.match(value)
        if not match:
            raise ValueError(value)
        return {'start': int(match.group(1)), 'rate': int(match.group(2)), 'full': int(match.group(3))}
    if name == 'per_source_max_startups':
        if value == 'none':
            return {'limit': None}
        if not _INTEGER.match(value):
            raise ValueError(value)
        return {'limit': int(value)}
    if name == 'per_source_net_block_size':
        match = _NET_BLOCK.match(value)
        if not match:
            raise ValueError(value)
        return {'ipv4': int(match.group(1)), 'ipv6': int(match.group(2))}
    if name == 'per_source_penalties':
        if value == 'no':
            return {'enabled': False, 'penalties': {}}
        penalties = {}
        for item in value.split():
            match = _PENALTY_ITEM.match(item)
            if not match:
                raise ValueError(value)
            raw = match.group(2)
            penalties[match.group(1)] = raw if raw in ('deny-all', 'permissive') else (
                float(raw) if '.' in raw else int(raw))
        return {'enabled': True, 'penalties': penalties}
    if not _INTEGER.match(value):  # login_grace_time (seconds), max_auth_tries
        raise ValueError(value)
    return {'seconds' if name == 'login_grace_time' else 'count': int(value)}


def throttling_settings(settings, version=None):
    """The throttling settings from parsed ``sshd -T`` output (:func:`parse_sshd_T`).

    Returns ``{'server_type': 'openssh', 'version', 'source': 'sshd -T', 'settings': {name: entry}}`` where each
    entry is ``{'keyword', 'supported', 'value', 'since', 'error'}`` plus the parsed fields (``max_startups``:
    ``start``, ``rate``, ``full``; ``per_source_max_startups``: ``limit``, None for ``none``;
    ``per_source_net_block_size``: ``ipv4``, ``ipv6``; ``per_source_penalties``: ``enabled``, ``penalties``;
    ``login_grace_time``: ``seconds``; ``max_auth_tries``: ``count``). ``supported`` is false, with ``value``
    None, when sshd -T does not print the keyword: this sshd does not know it (nothing is assumed). A value that is
    not what sshd prints is kept (first 100 characters) with ``error`` set and no parsed fields.
    """
    entries = {}
    for name, (keyword, since) in THROTTLING_KEYWORDS.items():
        values = settings.get(keyword.lower())
        entry = {'keyword': keyword, 'supported': bool(values), 'value': None, 'since': since, 'error': None}
        if values:
            value = values[0].strip()
            entry['value'] = value[:100]
            try:
                entry.update(_parse_throttling_value(name, value))
            except ValueError:
                entry['error'] = 'sshd -T printed an unexpected %s value' % keyword
        entries[name] = entry
    return {'server_type': 'openssh', 'version': version, 'source': 'sshd -T', 'settings': entries}


# The commands.

def sshd_version(run, sshd):
    rc, out, err = run([sshd, '-V'])
    version = openssh_version(out + err)
    if version is None:
        raise OpenSSHError('%s -V did not print an OpenSSH version: %s' % (sshd, (out + err)[:300]))
    return version


def effective_settings(run, sshd, config, version=None):
    """``sshd -T -f config``, parsed; ``version`` is only reported with the failure."""
    rc, out, err = run([sshd, '-T', '-f', config])
    if rc != 0:
        raise OpenSSHError('%s -T -f %s failed (the current configuration is invalid?): %s'
                           % (sshd, config, err.strip()[:1000]), version=version)
    return parse_sshd_T(out)


def ssh_same_build(run, ssh, version):
    """Whether the ``ssh`` client is the same OpenSSH release as sshd (``version``), so ``ssh -Q`` speaks for it."""
    if not ssh:
        return False
    rc, out, err = run([ssh, '-V'])
    return same_openssh_release(openssh_version(out + err), version)


def queried(run, ssh):
    """``ssh -Q`` per category; a category whose query fails is left out."""
    supported = {}
    for category, query in SSH_QUERIES.items():
        rc, out, err = run([ssh, '-Q', query])
        if rc == 0:
            supported[category] = ssh_query_list(out)
    return supported


def checked_one_by_one(run, sshd, config, candidates):
    """The names of ``candidates`` (``{category: [name, ...]}``, already valid names) that ``sshd -t -f config
    -o Keyword=name`` accepts, one run per name."""
    supported = {}
    for category, names in candidates.items():
        keyword = OPENSSH_KEYWORDS[category]
        supported[category] = [name for name in names
                               if run([sshd, '-t', '-f', config, '-o', '%s=%s' % (keyword, name)])[0] == 0]
    return supported


def dropin_settings(dropin_dir):
    """The ``*.conf`` drop-ins that set algorithm keywords, in the order sshd reads them."""
    dropins = []
    if os.path.isdir(dropin_dir):
        for name in sorted(os.listdir(dropin_dir)):
            path = os.path.join(dropin_dir, name)
            if name.endswith('.conf') and os.path.isfile(path):
                found = crypto_settings(read_text(path) or '')
                if found:
                    dropins.append({'file': path, 'settings': found})
    return dropins


def describe(run, sshd, config, dropin_dir, ssh=None, candidates=None):
    """Everything ``daemon_info`` returns for OpenSSH.

    ``ssh`` is the client binary (None when there is none); when it is the same release as sshd its ``ssh -Q``
    lists are used, otherwise each name of ``candidates`` is checked with ``sshd -t``.
    """
    version = sshd_version(run, sshd)
    settings = effective_settings(run, sshd, config, version)
    result = {'server_type': 'openssh', 'version': version, 'binary': sshd, 'config': config,
              'effective': effective_lists(settings), 'host_key_files': settings.get('hostkey', []),
              'throttling': throttling_settings(settings, version)}
    if ssh_same_build(run, ssh, version):
        result['supported'], result['supported_source'] = queried(run, ssh), 'ssh -Q'
    else:
        result['supported'] = checked_one_by_one(run, sshd, config, candidates or {})
        result['supported_source'] = 'checked one by one'
    result['include'] = include_order(read_text(config) or '', dropin_dir)
    result['dropin_settings'] = dropin_settings(dropin_dir)
    return result
