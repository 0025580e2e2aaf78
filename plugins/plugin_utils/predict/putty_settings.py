# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PuTTY's saved-session preference lines (``Cipher``, ``KEX``, ``HostKey``) and the proposal they make.

PuTTY, and WinSCP and FileZilla, which embed its SSH code, keep three preference lists of *tokens* (``aes``,
``chacha20``, ``ecdh``, ``rsa`` ...) with one ``WARN`` token, "warn below here". Each token stands for one or more
SSH names. Every token is proposed, also those below ``WARN``, so the KEXINIT on the wire does not show where the
line is; but when the algorithm PuTTY picks came from below it, PuTTY asks the user, and in batch mode
(``plink``/``pscp``/``psftp -batch``, WinSCP scripting) abandons the connection. Read at PuTTY's release tags
0.70, 0.73, 0.76, 0.78, 0.80, 0.81 (mirror github.com/rhuijben/putty of git.tartarus.org/simon/putty.git):

* settings.c ``gprefs_from_str`` (``gprefs``): a saved line is read left to right; a token the release does not
  know is skipped and a repeated one ignored; then every token of the release's table (``ciphernames``,
  ``kexnames``, ``hknames``) that the line does not mention is added, in table order, at its default place:
  at the end or the start, or just before or after another token (``struct keyvalwhere`` ``vrel``/``where``),
  a token whose anchor is not placed yet waiting for a later pass. ``load_open_settings`` migrates one old
  KEX default: a line equal to 0.58-0.67's untouched default ``dh-gex-sha1,dh-group14-sha1,dh-group1-sha1,rsa,
  WARN`` is read as the release's default (and the BugDHGEx2 variant likewise).
* ssh/transport2.c ``ssh2_write_kexinit_lists`` (ssh.c ``do_ssh2_transport`` in 0.70): each token proposes its
  names in order (``ssh_kexes``/``ssh2_ciphers`` lists in the crypto sources, ``ssh2_hostkey_algs`` for host
  keys); every name after ``WARN`` gets ``warn = true`` (``WARN`` as the very last token marks nothing); the
  ``des`` token proposes only when ``SSH2DES`` is on (``CONF_ssh2_des_cbc``, off by default).
* ssh/transport2.c ``ssh2_scan_kexinits`` returns the ``warn`` flag of the chosen kex, host key and cipher of
  each direction; the transport then calls ``ssh2_transport_confirm_weak_crypto_primitive`` for the kex
  ("key-exchange algorithm"), host key ("host key type"), "client-to-server cipher" and "server-to-client
  cipher", in that order, and abandons at the first one refused.
* With PreferKnownHostKeys (default on) the first key exchange lists the host-key algorithms whose type PuTTY has
  stored for the server first (``have_ssh_host_key`` of each algorithm's ``cache_id``), keeping their WARN flags;
  when the host key so picked is below WARN and the server offers types above it that are not stored, the question
  is ``confirm_weak_cached_hostkey``'s ("The first host key type we have stored for this server is %s, which is
  below the configured warning threshold." and the better types).
* The sentence: console.c ``weakcrypto_msg_common_fmt`` (0.76-0.79; unix/uxcons.c ``askalg`` in 0.70-0.75)
  "The first %s supported by the server is\\n%s, which is below the configured warning threshold.\\n", and
  ssh/common.c ``confirm_weak_crypto_primitive`` (0.80, 0.81) "The first %s supported by the server is %s, which
  is below the configured warning threshold."; in batch mode (unix/console.c
  ``console_confirm_weak_crypto_primitive``) it is followed by "Connection abandoned." instead of the prompt
  "Continue with connection? (y/n)".

The token tables of each release live in its client profile (``putty_tokens``), with that release's (or WinSCP's)
default saved-session lines (``putty_settings``). Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PUTTY_SETTINGS, PUTTY_WARN_TOKEN, \
    validate_name
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

try:  # Python 3
    from urllib.parse import unquote
except ImportError:  # pragma: no cover - Python 2
    from urllib import unquote

# Boolean settings a pasted session may carry besides the three lists, with their defaults (settings.c gppb): SSH2DES
# turns the ``des`` token on; PreferKnownHostKeys lists the host-key types stored for the server first.
BOOLEAN_SETTINGS = {'SSH2DES': False, 'PreferKnownHostKeys': True}

# The key type under which PuTTY stores a server's host key ("<cache_id>@<port>:<host>" in the registry's SshHostKeys
# and ~/.putty/sshhostkeys): each host-key algorithm's ``cache_id`` (crypto/rsa.c "rsa2" for all three RSA
# signature algorithms, crypto/dsa.c "dss", crypto/ecc-ssh.c the algorithm's own name; sshrsa.c, sshdss.c and
# sshecc.c in 0.70-0.76), the same in every release 0.70-0.81.
HOST_KEY_CACHE_ID = {
    'ssh-ed25519': 'ssh-ed25519', 'ssh-ed448': 'ssh-ed448', 'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521', 'ssh-dss': 'dss',
    'rsa-sha2-512': 'rsa2', 'rsa-sha2-256': 'rsa2', 'ssh-rsa': 'rsa2',
}

# "The first %s supported by the server is %s ..." -- the %s PuTTY passes per category (ssh/transport2.c).
ALGORITHM_TYPE = {
    ('kex', None): 'key-exchange algorithm',
    ('host_key', None): 'host key type',
    ('cipher', 'c2s'): 'client-to-server cipher',
    ('cipher', 's2c'): 'server-to-client cipher',
}
WARN_ORDER = (('kex', None), ('host_key', None), ('cipher', 'c2s'), ('cipher', 's2c'))


def weak_cached_host_key_message(name, better):
    """ssh/common.c ``confirm_weak_cached_hostkey`` (0.80, 0.81; console.c ``weakhk_msg_common_fmt`` before): the
    host key PuTTY picked because its type is stored is below the line, and the server has better ones not stored.
    Returns ``(first sentence, second sentence with the better types)``."""
    return ('The first host key type we have stored for this server is %s, which is below the configured warning '
            'threshold.' % name,
            'The server also provides the following types of host key above the threshold, which we do not have '
            'stored: %s' % ', '.join(better))


def warn_message(slot, name):
    """PuTTY's own sentence for a pick below the warning threshold (console text with its line break as a space)."""
    return ('The first %s supported by the server is %s, which is below the configured warning threshold.'
            % (ALGORITHM_TYPE[slot], name))


def filezilla_warn_message(slot, name):
    """FileZilla's fzsftp never asks: src/putty/unix/uxcons.c (and windows/wincons.c) ``console_confirm_weak_crypto_
    primitive`` of FileZilla 3.63.0 prints this and refuses, interactive or not."""
    return ('The first %s supported by the server is %s, which is no longer secure. Aborting connection.'
            % (ALGORITHM_TYPE[slot], name))


def terrapin_message(slot, what):
    """PuTTY's Terrapin question (ssh/common.c confirm_weak_crypto_primitive, WCR_TERRAPIN, 0.80 and 0.81)."""
    return ("The %s selected for this session is %s, which, with this server, is vulnerable to the 'Terrapin' "
            "attack CVE-2023-48795, potentially allowing an attacker to modify the encrypted session."
            % (ALGORITHM_TYPE[slot], what))


def load_tables(raw, where):
    """Validate a profile's ``putty_tokens``: ``{Cipher|KEX|HostKey: [{token, insert, names, [setting]}], ...}``.

    ``insert`` is where settings.c adds a token the saved line does not mention: ``end``, ``start``,
    ``before TOKEN`` or ``after TOKEN``. Optional ``forced_below_warn`` (``{Cipher: [tokens]}``): tokens the client
    always moves below WARN (:func:`force_below_warn`, FileZilla). Returns the same shape with tuples."""
    if not isinstance(raw, dict):
        raise ProposalError('%s putty_tokens must be a dict with %s' % (where, ', '.join(PUTTY_SETTINGS)))
    tables = {}
    for key in PUTTY_SETTINGS:
        entries = raw.get(key)
        if not isinstance(entries, list) or not entries:
            raise ProposalError('%s putty_tokens.%s must be a list of tokens' % (where, key))
        table = []
        tokens = set()
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get('token'), str):
                raise ProposalError('%s putty_tokens.%s entries need a token' % (where, key))
            token = entry['token']
            insert = str(entry.get('insert', 'end')).split()
            if insert[0] not in ('end', 'start', 'before', 'after') or \
                    (len(insert) != (2 if insert[0] in ('before', 'after') else 1)):
                raise ProposalError('%s putty_tokens.%s.%s insert must be end, start, before TOKEN or after TOKEN'
                                    % (where, key, token))
            names = tuple(validate_name(name, '%s putty_tokens.%s.%s name' % (where, key, token), ProposalError)
                          for name in entry.get('names') or ())
            if (token == PUTTY_WARN_TOKEN) != (not names):
                raise ProposalError('%s putty_tokens.%s: only %s has no names' % (where, key, PUTTY_WARN_TOKEN))
            setting = entry.get('setting')
            if setting is not None and setting not in BOOLEAN_SETTINGS:
                raise ProposalError('%s putty_tokens.%s.%s setting must be one of %s'
                                    % (where, key, token, ', '.join(BOOLEAN_SETTINGS)))
            table.append((token, tuple(insert), names, setting))
            tokens.add(token)
        for token, insert, _names, _setting in table:
            if len(insert) == 2 and insert[1] not in tokens:
                raise ProposalError('%s putty_tokens.%s.%s is placed relative to unknown token %s'
                                    % (where, key, token, insert[1]))
        if PUTTY_WARN_TOKEN not in tokens:
            raise ProposalError('%s putty_tokens.%s has no %s token' % (where, key, PUTTY_WARN_TOKEN))
        tables[key] = tuple(table)
    forced = raw.get('forced_below_warn') or {}
    if not isinstance(forced, dict) or not all(
            key in PUTTY_SETTINGS and isinstance(tokens, list)
            and all(token in [entry[0] for entry in tables[key]] for token in tokens) for key, tokens in forced.items()):
        raise ProposalError('%s putty_tokens.forced_below_warn must map %s to lists of their tokens'
                            % (where, ' or '.join(PUTTY_SETTINGS)))
    tables['forced_below_warn'] = {key: tuple(tokens) for key, tokens in forced.items()}
    migrations = raw.get('kex_migrations') or {}
    if not isinstance(migrations, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in migrations.items()):
        raise ProposalError('%s putty_tokens.kex_migrations must map old KEX lines to new ones' % where)
    tables['kex_migrations'] = dict(migrations)
    return tables


def _line(value, where):
    if isinstance(value, (list, tuple)):
        value = ','.join(str(item) for item in value)
    if not isinstance(value, str):
        raise ProposalError('%s must be a comma-separated string of PuTTY tokens' % where)
    if '%' in value:  # WinSCP.ini stores values percent-escaped (a comma as %2C)
        value = unquote(value)
    return value.strip()


def preference_order(value, table, where):
    """settings.c ``gprefs_from_str``: the full token order a saved line stands for (every token of the release
    once, ``WARN`` included). A token the release does not know is refused here (PuTTY would skip it silently,
    which hides a typo or a line meant for another release)."""
    known = [entry[0] for entry in table]
    order = []
    for word in value.split(','):
        if not word:
            continue   # "while (*p && *p == ',') p++": empty words are skipped
        if word not in known:
            raise ProposalError('%s: unknown token %r (this release knows %s)' % (where, word, ','.join(known)))
        if word not in order:
            order.append(word)
    while len(order) < len(table):
        for token, insert, _names, _setting in table:
            if token in order:
                continue
            if len(insert) == 2 and insert[1] not in order:
                continue   # "nope": its anchor is not placed yet
            if insert[0] == 'end':
                pos = len(order)
            elif insert[0] == 'start':
                pos = 0
            else:
                anchor = order.index(insert[1])
                pos = anchor if insert[0] == 'before' else anchor + 1
            order.insert(pos, token)
    return order


def force_below_warn(order, tokens):
    """FileZilla's fzsftp (3.63.0 src/putty/psftp.c main, "FZ: Re-order ciphers so that old and insecure algorithms
    are always below the warning level"): walking up from just above WARN, each of ``tokens`` found there is moved
    to just below WARN (the ones nearer WARN end up lower), whatever the saved line says."""
    if PUTTY_WARN_TOKEN not in order:
        return order
    order = list(order)
    warn = order.index(PUTTY_WARN_TOKEN)
    for index in range(warn - 1, -1, -1):
        if order[index] in tokens:
            token = order.pop(index)      # what followed it, WARN included, moves up by one
            order.insert(warn, token)     # just below WARN
            warn -= 1
    return order


def expand(order, table, flags):
    """ssh/transport2.c ``ssh2_write_kexinit_lists``: ``(names in proposal order, names below WARN)`` for one list
    in token order. ``ssh2_kexinit_addalg`` keeps a name's first place and takes its last ``warn`` flag."""
    by_token = {entry[0]: entry for entry in table}
    names = []
    warn = {}
    below = False
    for token in order:
        if token == PUTTY_WARN_TOKEN:
            below = True   # WARN as the last token marks nothing: nothing follows it
            continue
        _token, _insert, token_names, setting = by_token[token]
        if setting is not None and not flags.get(setting):
            continue
        for name in token_names:
            if name not in warn:
                names.append(name)
            warn[name] = below
    return names, [name for name in names if warn[name]]


def stored_host_keys(value, where):
    """Validate the key types PuTTY has stored for a server (``cache_id`` values: ``rsa2``, ``dss``,
    ``ssh-ed25519``, ``ssh-ed448``, ``ecdsa-sha2-nistp256`` ...); None means none."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [item for item in value.split(',') if item]
    known = sorted(set(HOST_KEY_CACHE_ID.values()))
    if not isinstance(value, (list, tuple)) or not all(item in known for item in value):
        raise ProposalError('%s must list stored host-key types from %s (as PuTTY names them in SshHostKeys, '
                            '"<type>@<port>:<host>")' % (where, ', '.join(known)))
    return list(value)


def apply_settings(settings, tables, where='putty_settings', stored=None):
    """The proposal lists a PuTTY release makes from saved-session ``settings`` (``{Cipher, KEX, HostKey}``, each
    a line as PuTTY and WinSCP.ini store it, a missing line meaning the release's default is not assumed: all three
    are required) with its ``tables`` (:func:`load_tables`), for a server whose host keys of the types ``stored``
    (:func:`stored_host_keys`) PuTTY has stored.

    ssh/transport2.c ``ssh2_write_kexinit_lists``, first key exchange: with PreferKnownHostKeys (the default) the
    host-key algorithms whose type is stored come first, in preference order, then all the others; the WARN flags
    stay those of their tokens.

    Returns ``{'settings': {KEY: full token line}, 'lists': {category: names}, 'below_warn': {category: names}}``
    with categories ``kex``, ``host_key``, ``cipher``."""
    if not isinstance(settings, dict):
        raise ProposalError('%s must be a dict with %s' % (where, ', '.join(PUTTY_SETTINGS)))
    unknown = sorted(set(settings) - set(PUTTY_SETTINGS) - set(BOOLEAN_SETTINGS))
    if unknown:
        raise ProposalError('%s: unsupported setting(s) %s (give %s, optionally %s)'
                            % (where, ', '.join(unknown), ', '.join(PUTTY_SETTINGS), ', '.join(BOOLEAN_SETTINGS)))
    flags = {}
    for key, default in BOOLEAN_SETTINGS.items():
        value = settings.get(key, default)
        if isinstance(value, str) and value.strip() in ('0', '1'):
            value = int(value)
        if value not in (0, 1, True, False):
            raise ProposalError('%s.%s must be 0 or 1' % (where, key))
        flags[key] = bool(value)
    result = {'settings': {}, 'lists': {}, 'below_warn': {}}
    for key, category in PUTTY_SETTINGS.items():
        if key not in settings:
            raise ProposalError('%s needs %s (the saved-session lines %s)' % (where, key, ', '.join(PUTTY_SETTINGS)))
        line = _line(settings[key], '%s.%s' % (where, key))
        if key == 'KEX':
            line = tables['kex_migrations'].get(line, line)
        order = preference_order(line, tables[key], '%s.%s' % (where, key))
        if tables.get('forced_below_warn', {}).get(key):
            order = force_below_warn(order, tables['forced_below_warn'][key])
        names, below = expand(order, tables[key], flags)
        if category == 'host_key' and stored and flags['PreferKnownHostKeys']:
            known = [name for name in names if HOST_KEY_CACHE_ID.get(name) in stored]
            names = known + [name for name in names if name not in known]
        result['settings'][key] = ','.join(order)
        result['lists'][category] = names
        result['below_warn'][category] = below
    return result
