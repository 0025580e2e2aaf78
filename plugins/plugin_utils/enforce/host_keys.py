# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's host-key plan: which key files the daemon loads, how the baseline rates them, in which order the
drop-in lists them, and which ones ``baseline_host_keys: regenerate`` replaces.

Why the role lists ``HostKey`` lines at all: sshd advertises host-key algorithms in the order of its HostKey
files, not in HostKeyAlgorithms order (OpenSSH 9.2 sshd.c ``list_hostkey_types`` walks
``options.host_key_files`` and only filters each name through HostKeyAlgorithms in ``append_hostkey_type``).
HostKey is multi-valued and additive: every HostKey line of every file read is appended
(servconf.c ``case sHostKeyFile`` -> ``servconf_add_hostkey`` -> ``opt_array_append2``), sshd's defaults apply
only when no file names one (servconf.c ``fill_default_server_options``: ``num_host_key_files == 0``), and nothing
removes duplicates (sshd 9.2 then advertises each algorithm twice). So the role cannot override the main
config's HostKey lines from a drop-in: it lists every key once in its drop-in, in the baseline's order, and
comments the HostKey lines of sshd_config out (with a backup, restored on rollback).

Input is what the role read on the node: per HostKey file of ``sshd -T``, the output of ``ssh-keygen -l -f``.
Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import key_family
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import BaselineError, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import host_keys as check

MODES = ('report', 'regenerate')
# ssh-keygen -l: "<bits> <fingerprint> <comment> (<TYPE>)" (ssh-keygen.c fingerprint_one_key / sshkey_type).
_LISTING = re.compile(r'^(\d{1,5}) (SHA256:[A-Za-z0-9+/]{43}) .*\(([A-Z0-9-]{2,20})\)\s*$')
_KEYGEN_TYPES = {'RSA': 'ssh-rsa', 'DSA': 'ssh-dss', 'ED25519': 'ssh-ed25519',
                 'ED25519-SK': 'sk-ssh-ed25519@openssh.com', 'ECDSA-SK': 'sk-ecdsa-sha2-nistp256@openssh.com'}
# A HostKey path the role writes back into a drop-in: absolute, no whitespace, quotes, comment or control chars.
_SAFE_PATH = re.compile(r'^/[A-Za-z0-9._/@%+=:,-]{1,1023}$')


class HostKeyPlanError(BaselineError):
    """The host-key input cannot be used; the message says why."""


def parse_listing(text):
    """``ssh-keygen -l`` output -> ``{type, bits, fingerprint_sha256}``, or None when it is not one key line."""
    lines = [line for line in (text or '').splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    match = _LISTING.match(lines[0])
    if not match:
        return None
    bits, fingerprint, label = int(match.group(1)), match.group(2), match.group(3)
    cert = label.endswith('-CERT')
    label = label[:-len('-CERT')] if cert else label
    if label == 'ECDSA':
        if bits not in (256, 384, 521):
            return None
        key_type = 'ecdsa-sha2-nistp%d' % bits
    elif label in _KEYGEN_TYPES:
        key_type = _KEYGEN_TYPES[label]
    else:
        return None
    return {'type': key_type, 'bits': bits, 'fingerprint_sha256': fingerprint, 'certificate': cert}


def _files(listing):
    """Accept a registered loop result (``{results: [...]}``) or a list of ``{path|item, rc, stdout, stderr}``."""
    if isinstance(listing, dict):
        listing = listing.get('results')
    if not isinstance(listing, list):
        raise HostKeyPlanError('host key listing must be a list of {path, rc, stdout, stderr} or a registered loop '
                               'result, got %s' % type(listing).__name__)
    files = []
    for entry in listing:
        if not isinstance(entry, dict):
            raise HostKeyPlanError('host key listing entry must be a dict, got %r' % (entry,))
        path = entry.get('path', entry.get('item'))
        if not isinstance(path, str) or not _SAFE_PATH.match(path) or '/../' in path + '/':
            raise HostKeyPlanError('host key path %r is not an absolute path of safe characters; the role will not '
                                   'write it into a HostKey line' % (path,))
        files.append((path, entry.get('rc'), entry.get('stdout') or '', entry.get('stderr') or ''))
    return files


def plan(listing, baseline, host_key_target, mode='report'):
    """The host-key plan for one OpenSSH daemon.

    ``listing``: per HostKey file sshd loads (``sshd -T`` order), ``ssh-keygen -l -f`` output. ``baseline``: a
    baseline name or dict. ``host_key_target``: the host-key algorithms the role's plan targets (their order is the
    order the keys are listed in). ``mode``: ``report`` or ``regenerate``.

    Returns ``{files, order, order_managed, message, findings, violations, regenerate, settings}``: ``files`` the
    readable keys (path, type, bits, fingerprint, findings), ``order`` the paths for the drop-in's HostKey lines
    (empty when ``order_managed`` is false, with ``message`` saying why), ``regenerate`` the keys to replace
    (``regenerate`` mode only) with the exact ``ssh-keygen`` argv.
    """
    if mode not in MODES:
        raise HostKeyPlanError('baseline_host_keys must be one of %s, got %r' % (', '.join(MODES), mode))
    settings = load_baseline(baseline)['checks']['host_keys']
    if not isinstance(host_key_target, list) or not all(isinstance(name, str) for name in host_key_target):
        raise HostKeyPlanError('host_key_target must be a list of host-key algorithm names')
    families = []
    for name in host_key_target:
        if key_family(name) not in families:
            families.append(key_family(name))
    keys, seen, problems = [], set(), []
    for path, rc, stdout, stderr in _files(listing):
        if path in seen:
            continue
        seen.add(path)
        if rc != 0:
            # sshd -T names its default key files even when they do not exist; sshd skips those too.
            if 'No such file' not in stderr and 'No such file' not in stdout:
                problems.append('%s could not be read (%s)' % (path, (stderr or stdout).strip()[:200] or 'rc %s' % rc))
            continue
        parsed = parse_listing(stdout)
        if parsed is None:
            problems.append('%s: ssh-keygen -l printed %r, not one key' % (path, stdout.strip()[:200]))
            continue
        parsed['path'] = path
        parsed['family'] = key_family(parsed['type'])
        parsed['findings'] = check.judge_key(parsed, settings, path)
        keys.append(parsed)
    findings = [item for key in keys for item in key['findings']]
    order_managed = bool(keys) and not problems
    if problems:
        message = 'HostKey order left as it is: %s' % '; '.join(problems)
    elif not keys:
        message = 'HostKey order left as it is: sshd loads no readable host key'
    else:
        message = 'HostKey lines in the baseline order: %s' % ', '.join(
            '%s (%s)' % (key['path'], key['type']) for key in keys)
    rank = {family: index for index, family in enumerate(families)}
    ordered = sorted(keys, key=lambda key: rank.get(key['family'], len(rank)))
    regenerate = []
    if mode == 'regenerate':
        for key in keys:
            kind = check.kind(key['type'])
            counted = [item for item in key['findings'] if item['rating'] in ('fail', 'warn')]
            if not counted or key['certificate'] or key['type'].startswith('sk-'):
                continue
            if kind == 'rsa':
                bits, argv_type = settings['rsa_generate_bits'], 'rsa'
            elif kind == 'ecdsa' and settings['ecdsa_curves']:
                bits, argv_type = check.CURVE_BITS[settings['ecdsa_curves'][0]], 'ecdsa'
            else:
                continue  # DSA: its fix is removing the HostKey line, not a new DSA key
            regenerate.append({'path': key['path'], 'type': argv_type, 'bits': bits, 'old_bits': key['bits'],
                               'old_fingerprint_sha256': key['fingerprint_sha256'],
                               'argv': ['ssh-keygen', '-q', '-t', argv_type, '-b', str(bits), '-N', '', '-C', '',
                                        '-f', key['path'] + '.fleetcrypto-new']})
    return {'files': keys, 'order': [key['path'] for key in ordered] if order_managed else [],
            'order_managed': order_managed, 'message': message, 'findings': findings,
            'violations': len([item for item in findings if item['rating'] in ('fail', 'warn')]),
            'regenerate': regenerate, 'settings': settings}
