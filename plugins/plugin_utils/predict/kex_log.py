# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn pasted SSH diagnostics into proposals the negotiation engine accepts.

During an outage people have log lines, not packet captures. This reads the formats vendors print:

* Cerberus FTP Server's DEBUG screen log: ``Client Proposed: Kex: (...) Host Key: (...) C2S : (ciphers),
  (macs), (compression) S2C : ...`` and ``Server Proposed: ...`` (with its quirks: empty entries such as
  ``hmac-ripemd160,,hmac-md5``, `` : `` separators and ``(none)``);
* OpenSSH's ``Unable to negotiate with HOST port N: no matching cipher found. Their offer: ...`` (from the
  ssh client, "their" is the server; from sshd, it is the client), packet.c sshpkt_vfatal;
* OpenSSH's ``ssh -vv`` / ``sshd -ddd`` KEXINIT dumps (kex.c kex_prop2buf debug2 lines after
  ``local client KEXINIT proposal`` / ``peer server KEXINIT proposal``), with the peer's software from
  ``Remote protocol version 2.0, remote software version ...``;
* PuTTY's event log ``Couldn't agree a client-to-server cipher (available: ...)`` (ssh/transport2.c,
  kexlist_descr), where the list is the server's.

Each proposal comes back with ``role`` (client or server), ``source`` (which format), the name-lists it
gives (others missing, so the proposal is ``partial``), and ``empty_entries`` where a list had them.
Names are validated like any other proposal. Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, LANGUAGE_KEYS, LIST_KEY, \
    NAME_LIST_KEYS, NEGOTIATED_KEY, NEGOTIATED_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import OpenSSH, PuTTY
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

# OpenSSH's sentence (kex.c kex_choose_conf), with the same words the negotiation engine prints for OpenSSH.
_OPENSSH_WORDS = {words: category for category, words in OpenSSH.WORDS.items()}
_OPENSSH_UNABLE = re.compile(r'Unable to negotiate with (?P<peer>\S+(?: port \d+)?): no matching '
                             r'(?P<what>%s) found\. Their offer: (?P<list>\S*)' % _alternatives(_OPENSSH_WORDS))

_OPENSSH_BLOCK = re.compile(r'(?P<who>local|peer) (?P<role>client|server) KEXINIT proposal')
# kex.c proposal_names[], the labels of the debug2 dump of each list (kex_prop2buf), in wire order.
_OPENSSH_FIELDS = dict(zip(('KEX algorithms', 'host key algorithms', 'ciphers ctos', 'ciphers stoc', 'MACs ctos',
                            'MACs stoc', 'compression ctos', 'compression stoc', 'languages ctos',
                            'languages stoc'), NAME_LIST_KEYS))
_OPENSSH_FIELD = re.compile(r'debug\d: (?P<field>%s): ?(?P<list>.*)$' % _alternatives(_OPENSSH_FIELDS))
_OPENSSH_REMOTE = re.compile(r'Remote protocol version [\d.]+, remote software version (?P<sw>.+)$')

# PuTTY's event log (ssh/transport2.c), with the words the negotiation engine prints for PuTTY.
_PUTTY_WHAT = {words: LIST_KEY[slot] for slot, words in PuTTY.WORDS.items()}
_PUTTY = re.compile(r"Couldn't agree a (?P<what>%s) \(available: (?P<list>[^)]*)\)" % _alternatives(_PUTTY_WHAT))


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


def _openssh_unable(line, number):
    match = _OPENSSH_UNABLE.search(line)
    if not match:
        return None
    # In sshd's log "their offer" is the client's (its lines end in "[preauth]", and in syslog start with
    # "sshd[pid]:"); the ssh client prints the same sentence about the server.
    role = 'client' if re.search(r'\bsshd\b|\[preauth\]', line) else 'server'
    names, first_empty = _names(match.group('list'), 'OpenSSH line %d' % number)
    lists = {key: list(names) for key in CATEGORY[_OPENSSH_WORDS[match.group('what')]].keys}
    empty = {key: first_empty for key in lists} if first_empty is not None else None
    return _proposal(role, 'openssh-unable-to-negotiate', lists, empty, None, number)


def _putty(line, number):
    match = _PUTTY.search(line)
    if not match:
        return None
    key = _PUTTY_WHAT[match.group('what')]
    names, first_empty = _names(match.group('list'), 'PuTTY line %d' % number)
    return _proposal('server', 'putty-event-log', {key: names},
                     {key: first_empty} if first_empty is not None else None, None, number)


def parse_kex_log(text):
    """Return the list of proposals found in ``text`` (in order of appearance)."""
    if not isinstance(text, str):
        raise ProposalError('parse_kex_log needs the log as a string')
    if len(text) > MAX_LOG_BYTES:
        raise ProposalError('log is larger than %d bytes; paste the lines around the failure' % MAX_LOG_BYTES)
    proposals = []
    block = None
    remote_software = None
    for number, line in enumerate(text.splitlines(), 1):
        remote = _OPENSSH_REMOTE.search(line)
        if remote:
            try:
                remote_software = parse_software('SSH-2.0-' + remote.group('sw').strip())
            except ValueError:
                remote_software = None
        header = _OPENSSH_BLOCK.search(line)
        if header:
            block = {'role': header.group('role'), 'who': header.group('who'), 'lists': {}, 'line': number}
            continue
        if block is not None:
            field = _OPENSSH_FIELD.search(line)
            if field:
                key = _OPENSSH_FIELDS[field.group('field')]
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
        for reader in (_cerberus, _openssh_unable, _putty):
            found = reader(line, number)
            if found is not None:
                proposals.append(found)
                break
    return proposals
