# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn pasted SSH diagnostics into proposals the negotiation engine accepts.

During an outage people have log lines, not packet captures. This reads the formats vendors print:

* Cerberus FTP Server's DEBUG screen log: ``Client Proposed: Kex: (...) Host Key: (...) C2S : (ciphers),
  (macs), (compression) S2C : ...`` and ``Server Proposed: ...`` (with its quirks: empty entries such as
  ``hmac-ripemd160,,hmac-md5``, `` : `` separators and ``(none)``);
* Cerberus FTP Server 9.0.6.1 and later, on a failed key exchange: ``No common C2S mac: [S: ...][C: ...]`` (the
  server's list, then the client's; the ``[C: ...]`` part may be on the next line);
* OpenSSH's ``Unable to negotiate with HOST port N: no matching cipher found. Their offer: ...`` (from the
  ssh client, "their" is the server; from sshd, it is the client), packet.c sshpkt_vfatal;
* OpenSSH's ``ssh -vv`` / ``sshd -ddd`` KEXINIT dumps (kex.c kex_prop2buf debug2 lines after
  ``local client KEXINIT proposal`` / ``peer server KEXINIT proposal``), with the peer's software from
  ``Remote protocol version 2.0, remote software version ...``;
* PuTTY's event log ``Couldn't agree a client-to-server cipher (available: ...)`` (ssh/transport2.c,
  kexlist_descr), where the list is the server's; PuTTY 0.80-0.82 (WinSCP 6.3) print it as ``Selected
  client-to-server cipher "..." does not correspond to any supported algorithm``, read the same way.

Each proposal comes back with ``role`` (client or server), ``source`` (which format), the name-lists it
gives (others missing, so the proposal is ``partial``), and ``empty_entries`` where a list had them.
Names are validated like any other proposal. Plain Python, no Ansible imports.

The OpenSSH patterns are the node-side log reader's (``module_utils/daemon_logs.py``, used by the
``negotiation_failures_info`` module), imported from there so that both read sshd's lines the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, LANGUAGE_KEYS, LIST_KEY, \
    NEGOTIATED_KEY, NEGOTIATED_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon_logs import OPENSSH_PROPOSAL_FIELD, \
    OPENSSH_PROPOSAL_FIELDS, OPENSSH_PROPOSAL_HEADER, OPENSSH_REMOTE_VERSION, match_openssh_unable
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import PuTTY
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, validate_name

MAX_LOG_BYTES = 4 * 1024 * 1024


def _alternatives(words):
    return '|'.join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# Cerberus prints the eight lists in RFC 4253's base order: kex, host key, then per direction cipher, MAC,
# compression. Each regex group is named after the slot's key in negotiate's result (kex, cipher_c2s ...).
_CERBERUS = re.compile(
    r'(?P<role>Client|Server) Proposed:\s*Kex:\s*\((?P<kex>[^)]*)\)\s*Host Key:\s*\((?P<host_key>[^)]*)\)\s*'
    + ''.join(r'%s\s*:\s*\((?P<cipher_%s>[^)]*)\),\s*\((?P<mac_%s>[^)]*)\),\s*\((?P<compression_%s>[^)]*)\)\s*'
              % (label, direction, direction, direction) for label, direction in (('C2S', 'c2s'), ('S2C', 's2c'))),
    re.I)
_CERBERUS_KEYS = tuple((NEGOTIATED_KEY[slot], key) for slot, key in LIST_KEY.items())

# Cerberus FTP Server 9.0.6.1 and later log why a key exchange failed and both lists, the server's first (vendor
# support article 115000016444, "I get the error message Key exchange failed; could not agree on key exchange
# parameters", example for v9.0.6.1):
#   No common C2S mac: [S: hmac-ripemd160@openssh.com,]
#   [C: hmac-sha2-256,hmac-sha1,hmac-sha1-96,hmac-md5,hmac-sha2-256-etm@openssh.com,...]
#   No common S2C mac: [S: ...]
#   Key exchange failed: Could not agree on key exchange parameters
# The vendor publishes only the MAC wording; lines naming another category are not read until an example of
# them can be cited (add its word here).
_CERBERUS_NO_COMMON_WORDS = {'mac': 'mac'}
_CERBERUS_NO_COMMON = re.compile(r'No common (?P<direction>C2S|S2C) (?P<what>%s):\s*\[S:(?P<server>[^\[\]]*)\]\s*'
                                 r'\[C:(?P<client>[^\[\]]*)\]' % _alternatives(_CERBERUS_NO_COMMON_WORDS))
# The article shows "[C: ...]" on the line after "[S: ...]": such a pair is read as one line.
_CERBERUS_SERVER_ONLY = re.compile(r'No common (?:C2S|S2C) \S+:\s*\[S:[^\[\]]*\]\s*$')
_CERBERUS_CLIENT_ONLY = re.compile(r'^\s*\[C:[^\[\]]*\]')

# PuTTY's event log (ssh/transport2.c), with the words the negotiation engine prints for PuTTY.
_PUTTY_WHAT = {words: LIST_KEY[slot] for slot, words in PuTTY.WORDS.items()}
_PUTTY = re.compile(r"Couldn't agree a (?P<what>%s) \(available: (?P<list>[^)]*)\)" % _alternatives(_PUTTY_WHAT))
# PuTTY 0.80-0.82 (and WinSCP 6.3, Debian 12's 0.78 build) word the same failure with the server's whole list as
# 'Selected %s "<list>" does not correspond to any supported algorithm' (ssh/transport2.c ssh2_scan_kexinits
# returned SKR_UNKNOWN_ID until 0.83, commit 7da34495).
_PUTTY_SELECTED = re.compile(r'Selected (?P<what>%s) "(?P<list>[^"]*)" does not correspond to any supported algorithm'
                             % _alternatives(_PUTTY_WHAT))


def _names(text, where):
    """Split a comma list the way the vendor printed it; return ``(names, first_empty)``."""
    names = []
    first_empty = None
    raw = text.strip()
    if not raw:
        return [], None
    for item in raw.split(','):
        item = item.strip()
        if not item:
            if first_empty is None:
                first_empty = len(names)
            continue
        names.append(validate_name(item, 'in %s, the name' % where))
    return names, first_empty


def _proposal(role, source, lists, empty_entries=None, software=None, line=None):
    proposal = {'role': role, 'source': source,
                'partial': len([key for key in NEGOTIATED_LIST_KEYS if key in lists]) < len(NEGOTIATED_LIST_KEYS)}
    proposal.update(lists)
    for key in LANGUAGE_KEYS:
        proposal.setdefault(key, [])
    if empty_entries:
        proposal['empty_entries'] = empty_entries
    if software:
        proposal['software'] = software
    if line is not None:
        proposal['line'] = line
    return proposal


def _cerberus(line, number):
    match = _CERBERUS.search(line)
    if not match:
        return None
    lists, empty = {}, {}
    for group, key in _CERBERUS_KEYS:
        names, first_empty = _names(match.group(group), 'Cerberus %s line %d %s' % (match.group('role'), number, key))
        lists[key] = names
        if first_empty is not None:
            empty[key] = first_empty
    role = match.group('role').lower()
    software = {'product': 'Cerberus FTP Server', 'version': None} if role == 'server' else None
    return _proposal(role, 'cerberus', lists, empty, software, number)


def _cerberus_no_common(line, number):
    """Cerberus' "No common C2S mac: [S: ...][C: ...]": a partial server and a partial client proposal of that list."""
    match = _CERBERUS_NO_COMMON.search(line)
    if not match:
        return None
    key = LIST_KEY[(_CERBERUS_NO_COMMON_WORDS[match.group('what')], match.group('direction').lower())]
    proposals = []
    for role, group, letter in (('server', 'server', 'S'), ('client', 'client', 'C')):
        names, first_empty = _names(match.group(group), 'Cerberus line %d [%s:] %s' % (number, letter, key))
        software = {'product': 'Cerberus FTP Server', 'version': None} if role == 'server' else None
        proposals.append(_proposal(role, 'cerberus-no-common', {key: names},
                                   {key: first_empty} if first_empty is not None else None, software, number))
    return proposals


def _openssh_unable(line, number):
    found = match_openssh_unable(line)
    if found is None:
        return None
    # In sshd's log "their offer" is the client's (its lines end in "[preauth]", and in syslog start with
    # "sshd[pid]:"); the ssh client prints the same sentence about the server.
    role = 'client' if re.search(r'\bsshd\b|\[preauth\]', line) else 'server'
    names, first_empty = _names(found.offer, 'OpenSSH line %d' % number)
    lists = {key: list(names) for key in CATEGORY[found.category].keys}
    empty = {key: first_empty for key in lists} if first_empty is not None else None
    return _proposal(role, 'openssh-unable-to-negotiate', lists, empty, None, number)


def _putty(line, number):
    match = _PUTTY.search(line) or _PUTTY_SELECTED.search(line)
    if not match:
        return None
    key = _PUTTY_WHAT[match.group('what')]
    names, first_empty = _names(match.group('list'), 'PuTTY line %d' % number)
    return _proposal('server', 'putty-event-log', {key: names},
                     {key: first_empty} if first_empty is not None else None, None, number)


def _lines(text):
    """``(number, line)`` pairs; a Cerberus "No common ... [S: ...]" line and a next line that starts with
    "[C: ...]" are joined (numbered as the first)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if (index + 1 < len(lines) and _CERBERUS_SERVER_ONLY.search(line)
                and _CERBERUS_CLIENT_ONLY.match(lines[index + 1])):
            yield index + 1, line + lines[index + 1]
            index += 2
            continue
        yield index + 1, line
        index += 1


def parse_kex_log(text):
    """Return the list of proposals found in ``text`` (in order of appearance)."""
    if not isinstance(text, str):
        raise ProposalError('parse_kex_log needs the log as a string')
    if len(text) > MAX_LOG_BYTES:
        raise ProposalError('log is larger than %d bytes; paste the lines around the failure' % MAX_LOG_BYTES)
    proposals = []
    block = None
    remote_software = None
    for number, line in _lines(text):
        remote = OPENSSH_REMOTE_VERSION.search(line)
        if remote:
            try:
                remote_software = parse_software('SSH-2.0-' + remote.group('sw').strip())
            except ValueError:
                remote_software = None
        header = OPENSSH_PROPOSAL_HEADER.search(line)
        if header:
            block = {'role': header.group('role'), 'who': header.group('who'), 'lists': {}, 'line': number}
            continue
        if block is not None:
            field = OPENSSH_PROPOSAL_FIELD.search(line)
            if field:
                key = OPENSSH_PROPOSAL_FIELDS[field.group('field')]
                names, _first_empty = _names(field.group('list'), 'OpenSSH debug line %d %s' % (number, key))
                block['lists'][key] = names
                if key == 'languages_server_to_client':
                    software = remote_software if block['who'] == 'peer' else None
                    proposals.append(_proposal(block['role'], 'openssh-debug', block['lists'],
                                               None, software and {'product': software['product'],
                                                                   'version': software['version']},
                                               block['line']))
                    block = None
                continue
        no_common = _cerberus_no_common(line, number)
        if no_common is not None:
            proposals.extend(no_common)
            continue
        for reader in (_cerberus, _openssh_unable, _putty):
            found = reader(line, number)
            if found is not None:
                proposals.append(found)
                break
    return proposals
