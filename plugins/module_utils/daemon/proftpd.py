# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ProFTPD (mod_sftp) backend of ``daemon_info``.

``proftpd -V`` gives the version. mod_sftp cannot list what it supports, so names are checked by letting
``proftpd -t`` read a throw-away configuration: it prints ``fatal: SFTP...: unsupported ... algorithm: NAME`` for
the first name it does not support (checked with ProFTPD 1.3.8). And the file the baseline role writes into is
read for its ``SFTPEngine on`` context and for algorithm directives outside the role's block. The throttling
directives are read from the configuration files (:func:`throttling_settings`): ProFTPD has no ``-T`` that prints
its effective configuration.

Plain Python, no Ansible imports. Commands run through a ``run(argv) -> (rc, stdout, stderr)`` callable (the
module passes ``module.run_command``); a failure raises :class:`ProFTPDError`, which the module turns into
``fail_json``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import tempfile

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.common import DaemonError, read_text

# The mod_sftp directive that sets each governed category, in catalog.GOVERNED order; a category added to the
# catalog without a directive here fails at import, in the unit tests.
_DIRECTIVE = {'kex': 'SFTPKeyExchanges', 'host_key': 'SFTPHostKeys', 'ciphers': 'SFTPCiphers', 'macs': 'SFTPDigests'}
PROFTPD_DIRECTIVES = {category: _DIRECTIVE[category] for category in GOVERNED}
_BY_DIRECTIVE = {directive.lower(): directive for directive in PROFTPD_DIRECTIVES.values()}
# The markers of the block roles/baseline writes with blockinfile (marker "# {mark} fleetcrypto.sftp baseline").
MANAGED_BLOCK = ('# BEGIN fleetcrypto.sftp baseline', '# END fleetcrypto.sftp baseline')

_PROFTPD_VERSION = re.compile(r'(?:ProFTPD Version|Version:)\s+([0-9][0-9A-Za-z.]*)')
_PROFTPD_UNSUPPORTED = re.compile(r'(SFTP[A-Za-z]+): unsupported [a-z -]*algorithm: (\S+)')


class ProFTPDError(DaemonError):
    """A proftpd command failed or printed something unusable."""


def proftpd_version(text):
    match = _PROFTPD_VERSION.search(text or '')
    return match.group(1) if match else None


def proftpd_unsupported(text):
    """``[(directive, name)]`` for every name mod_sftp refused in ``proftpd -t`` output."""
    return _PROFTPD_UNSUPPORTED.findall(text or '')


def sftp_engine_on(text):
    """Whether a configuration text turns ``SFTPEngine on`` anywhere (how ``server_type: auto`` picks ProFTPD)."""
    return any(line.strip().lower().split()[:2] == ['sftpengine', 'on'] for line in (text or '').splitlines()
               if line.strip())


def sftp_layout(text, path=None, block=MANAGED_BLOCK):
    """Where a configuration text turns ``SFTPEngine on`` and sets algorithm directives outside ``block``.

    ``sftp_engine_lines``: the lines that say exactly ``SFTPEngine on`` (any case, comments ignored), the
    context the role's block is inserted after; ``single_sftp_engine``: there is exactly one;
    ``directives_outside_block``: ``[{'line', 'directive'}]`` for each SFTPKeyExchanges, SFTPHostKeys,
    SFTPCiphers or SFTPDigests outside the ``block`` markers (a block that never ends protects nothing).
    ``exists`` is false when ``text`` is None (the file could not be read).
    """
    engine_lines, outside, pending = [], [], []
    open_block = False
    for number, line in enumerate((text or '').splitlines(), 1):
        stripped = line.strip()
        if not open_block and stripped.startswith(block[0]):
            open_block, pending = True, []
            continue
        if open_block and stripped.startswith(block[1]):
            open_block, pending = False, []
            continue
        words = stripped.split()
        if not words or words[0].startswith('#'):
            continue
        keyword = words[0].lower()
        if keyword == 'sftpengine' and [word.lower() for word in words[1:]] == ['on']:
            engine_lines.append(number)
        elif keyword in _BY_DIRECTIVE:
            (pending if open_block else outside).append({'line': number, 'directive': _BY_DIRECTIVE[keyword]})
    outside = sorted(outside + pending, key=lambda found: found['line'])
    return {'path': path, 'exists': text is not None, 'sftp_engine_lines': engine_lines,
            'single_sftp_engine': len(engine_lines) == 1, 'directives_outside_block': outside}


# Throttling directives (ProFTPD 1.3.8 doc/modules/mod_core.html and mod_auth.html: syntax, default, context),
# under the names the throttling check shares with OpenSSH where the meaning is the same:
# MaxConnectionsPerHost limits *unauthenticated* clients per host, as sshd's PerSourceMaxStartups; TimeoutLogin
# bounds the time to authenticate, as LoginGraceTime; MaxLoginAttempts the attempts per connection, as
# MaxAuthTries. MaxInstances, MaxConnectionRate and MaxClientsPerHost have no sshd equivalent.
# name: (directive, documented default (None: no limit), parsed field)
PROFTPD_THROTTLING = {
    'max_instances': ('MaxInstances', None, 'count'),
    'max_connection_rate': ('MaxConnectionRate', None, 'count'),
    'max_clients_per_host': ('MaxClientsPerHost', None, 'limit'),
    'per_source_max_startups': ('MaxConnectionsPerHost', None, 'limit'),
    'login_grace_time': ('TimeoutLogin', '300', 'seconds'),
    'max_auth_tries': ('MaxLoginAttempts', '3', 'count'),
}
_THROTTLING_BY_DIRECTIVE = {spec[0].lower(): name for name, spec in PROFTPD_THROTTLING.items()}
MAX_CONFIG_FILES = 64  # Include fan-out bound for reading the configuration
_COUNT = re.compile(r'^[0-9]{1,9}$')


def _parse_throttling_value(name, words):
    """Parsed fields of one ProFTPD throttling directive's arguments; ValueError when unusable."""
    field = PROFTPD_THROTTLING[name][2]
    if not words:
        raise ValueError('no value')
    first = words[0].strip('"')
    if field == 'limit' and first.lower() == 'none':
        return {'limit': None}
    if not _COUNT.match(first):
        raise ValueError(first)
    parsed = {field: int(first)}
    if name == 'max_connection_rate':  # "MaxConnectionRate count [interval]", interval 1 s by default
        interval = words[1] if len(words) > 1 else '1'
        if not _COUNT.match(interval) or int(interval) < 1:
            raise ValueError(interval)
        parsed['interval'] = int(interval)
    return parsed


def config_files(path, limit=MAX_CONFIG_FILES):
    """``path`` and the files its ``Include`` lines name (a file, a directory's files or a glob), depth first in
    the order ProFTPD reads them; at most ``limit`` files, each once."""
    seen, order = set(), []

    def visit(current, depth):
        if current in seen or len(order) >= limit or depth > 8:
            return
        seen.add(current)
        text = read_text(current)
        order.append((current, text))
        for line in (text or '').splitlines():
            words = line.strip().split()
            if len(words) >= 2 and words[0].lower() == 'include':
                target = words[1].strip('"')
                if os.path.isdir(target):
                    found = sorted(os.path.join(target, name) for name in os.listdir(target))
                else:
                    found = sorted(glob.glob(target)) if any(char in target for char in '*?[') else [target]
                for item in found:
                    if os.path.isfile(item):
                        visit(item, depth + 1)
    visit(path, 0)
    return order


def throttling_settings(files, version=None):
    """The throttling directives set in ``files`` (``[(path, text)]``, :func:`config_files`).

    Returns ``{'server_type': 'proftpd', 'version', 'source': 'configuration files', 'files', 'settings':
    {name: entry}}``; each entry is ``{'keyword', 'supported': True, 'configured', 'value', 'default',
    'locations', 'error'}`` plus the parsed field (``count``, ``limit`` (None for ``none``), ``seconds``;
    MaxConnectionRate also ``interval``). A directive set once is read; one set in several places (virtual
    hosts, ``<Global>``) is reported with every location, ``error`` saying so and no parsed value, rather than
    guessing which one applies. Not configured: the documented default (None: no limit).
    """
    found = {}
    for path, text in files:
        for number, line in enumerate((text or '').splitlines(), 1):
            words = line.strip().split()
            if words and words[0].lower() in _THROTTLING_BY_DIRECTIVE:
                found.setdefault(_THROTTLING_BY_DIRECTIVE[words[0].lower()], []).append(
                    {'file': path, 'line': number, 'value': ' '.join(words[1:])[:100]})
    entries = {}
    for name, (directive, default, field) in PROFTPD_THROTTLING.items():
        locations = found.get(name, [])
        entry = {'keyword': directive, 'supported': True, 'configured': bool(locations), 'value': None,
                 'default': default, 'locations': locations, 'error': None}
        if len(locations) > 1:
            entry['error'] = '%s is set %d times; which one applies depends on the context' % (
                directive, len(locations))
        else:
            raw = locations[0]['value'] if locations else default
            entry['value'] = raw
            if raw is None:
                entry[field] = None
                if name == 'max_connection_rate':
                    entry['interval'] = None
            else:
                try:
                    entry.update(_parse_throttling_value(name, raw.split()))
                except ValueError:
                    entry['error'] = 'unexpected %s value' % directive
        entries[name] = entry
    return {'server_type': 'proftpd', 'version': version, 'source': 'configuration files',
            'files': [path for path, _text in files], 'settings': entries}


# The commands.

def version(run, binary):
    rc, out, err = run([binary, '-V'])
    found = proftpd_version(out + err)
    if found is None:
        raise ProFTPDError('%s -V did not print a ProFTPD version: %s' % (binary, (out + err)[:300]))
    return found


def check_names(run, binary, directive, names):
    """Names mod_sftp accepts for ``directive``: run ``proftpd -t`` on a throw-away configuration, drop each name
    it refuses (it stops at the first), and repeat; at most len(names) + 1 runs. ``SFTPEngine on`` comes first:
    ProFTPD 1.3.8 prints a stack trace for these directives without it. Returns ``(accepted, refused)``."""
    remaining = list(names)
    refused = []
    for _attempt in range(len(names) + 1):
        if not remaining:
            break
        handle, path = tempfile.mkstemp(prefix='fleetcrypto-proftpd-', suffix='.conf')
        try:
            with os.fdopen(handle, 'w') as conf:
                conf.write('<IfModule !mod_sftp.c>\n  LoadModule mod_sftp.c\n</IfModule>\n'
                           '<IfModule mod_sftp.c>\n  SFTPEngine on\n  %s %s\n</IfModule>\n' % (directive, ' '.join(remaining)))
            rc, out, err = run([binary, '-t', '-c', path])
        finally:
            os.unlink(path)
        bad = [name for found_directive, name in proftpd_unsupported(out + err) if found_directive == directive]
        if not bad:
            if rc != 0 or 'fatal:' in (out + err):
                raise ProFTPDError('%s -t could not check %s: %s' % (binary, directive, (out + err).strip()[:1000]))
            return remaining, refused
        for name in bad:
            if name in remaining:
                remaining.remove(name)
                refused.append(name)
    return remaining, refused


def describe(run, binary, config, candidates=None, sftp_config=None):
    """Everything ``daemon_info`` returns for ProFTPD; ``sftp_config`` is the file the role writes into (default
    ``config``)."""
    found = version(run, binary)
    supported = {}
    for category, names in (candidates or {}).items():
        supported[category] = check_names(run, binary, PROFTPD_DIRECTIVES[category], names)[0]
    sftp_config = sftp_config or config
    files = config_files(config)
    if sftp_config not in [path for path, _text in files]:
        files.append((sftp_config, read_text(sftp_config)))
    return {'server_type': 'proftpd', 'version': found, 'binary': binary, 'config': config,
            'supported': supported, 'supported_source': 'checked one by one',
            'sftp_config': sftp_layout(read_text(sftp_config), sftp_config),
            'throttling': throttling_settings(files, found)}
