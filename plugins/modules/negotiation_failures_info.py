#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: negotiation_failures_info
short_description: Which clients failed to agree on algorithms with this node's SSH/SFTP daemon, from its own logs
version_added: 1.0.0
description:
  - Reads the records the SSH daemons on the managed node write when a client shares no key-exchange, host-key,
    cipher, MAC or compression algorithm with them, within O(since), and returns one entry per daemon, client
    address and category, with the client's list and, where the daemon logs it, the server's.
  - "OpenSSH C(sshd), at its default C(LogLevel INFO): C(Unable to negotiate with ADDR port N: no matching cipher
    found. Their offer: LIST [preauth]) (packet.c C(sshpkt_vfatal)); the list is the client's. sshd logs its own list
    only at C(LogLevel DEBUG2) or C(DEBUG3) (the C(local server KEXINIT proposal) dump), which is then read too."
  - "ProFTPD mod_sftp, in its C(SFTPLog) file (not in syslog): C(no shared client-to-server encryption algorithm
    found), then in parentheses C(client sent 'LIST', server sent 'LIST') (contrib/mod_sftp/kex.c), with the
    client's address from the session's C(connected to server) line (same process id) and its identification from
    C(received client version)."
  - "dropbear, in syslog or its C(-E) standard error: C(Exit before auth from <ADDR:PORT>: No matching algo enc c->s)
    (common-kex.c, svr-session.c); dropbear logs no lists."
  - Sources are the systemd journal (C(journalctl -o json), by default when O(log_paths) is empty) and log files
    (syslog files such as C(/var/log/auth.log) in the traditional or RFC 3339 format, C(sshd -E) files, ProFTPD's
    C(SFTPLog), dropbear's C(-E) output). Each is read up to O(max_bytes), newest records first kept; a file that
    is missing, unreadable, not a regular file or compressed is reported as that source's C(error), never a
    failure of the task.
  - "Everything in a log can have been written by someone else: a failure line with control characters or ANSI
    escapes, a name that is not a valid RFC 4251 algorithm name, an address that is not an IP address, text after
    the list where the daemon writes none, or (journal) a process other than the daemon is skipped and counted
    under its reason in RV(totals.skipped). Returned messages have every character outside printable ASCII
    escaped and are cut at 512 characters."
  - Reads only; never changes the node. Reading the logs usually needs root (C(become)).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  since:
    description:
      - The start of the window, as C(journalctl --since) accepts it (systemd.time(7)) - a span back from now such
        as V(-1h), V(-2d 12h) or V(90min ago); V(today), V(yesterday), V(now); V(@EPOCH_SECONDS); or a time
        V(2026-11-25 08:00:00) (the node's local time) or V(2026-11-25T08:00:00Z) (ISO 8601 with a zone).
      - The journal is queried from this time. File lines are kept when their own time is not older (syslog lines
        carry no year; the latest year not ahead of now is assumed). C(sshd -E) lines carry no time at all - they
        are counted (RV(totals.undated)) when the file was modified since then, and their entries have no
        RV(failures[].first_seen).
    type: str
    default: '-24h'
  log_paths:
    description:
      - Log files to read (for example C(/var/log/auth.log), sshd's C(-E) file, ProFTPD's C(SFTPLog), dropbear's
        C(-E) output). Rotated, compressed files are not read.
    type: list
    elements: path
    default: []
  journal:
    description:
      - Read the systemd journal. Default V(true) when O(log_paths) is empty, else V(false).
    type: bool
  journal_identifiers:
    description: The C(SYSLOG_IDENTIFIER) values the journal is queried for (when O(journal_units) is empty).
    type: list
    elements: str
    default: [sshd, sshd-session, proftpd, dropbear]
  journal_units:
    description:
      - Query the journal for these units (C(journalctl -u)) instead of O(journal_identifiers), for example
        V([ssh.service]).
    type: list
    elements: str
    default: []
  journalctl_path:
    description: The journalctl binary (searched in C(PATH), C(/usr/bin) and C(/bin) when a bare name).
    type: str
    default: journalctl
  daemons:
    description: Report failures of these daemons only.
    type: list
    elements: str
    choices: [openssh, proftpd, dropbear]
    default: [openssh, proftpd, dropbear]
  max_bytes:
    description:
      - The most bytes read per source - from the end of each file, or of C(journalctl)'s output (newest first) -
        so that the oldest records are the ones left out. Between 1 and 1073741824.
    type: int
    default: 16777216
  max_entries:
    description: The most entries returned in RV(failures), most frequent first (between 1 and 10000).
    type: int
    default: 500
notes:
  - ProFTPD writes its key-exchange failures to its C(SFTPLog) only, so give that file in O(log_paths).
  - The journal query is bounded in time (120 seconds) and size (O(max_bytes)); a source cut short has
    C(truncated=true).
seealso:
  - plugin: fleetcrypto.sftp.parse_kex_log
    plugin_type: filter
    description: The same OpenSSH lines, and Cerberus FTP Server's, read on the controller into proposals.
  - plugin: fleetcrypto.sftp.negotiate
    plugin_type: filter
    description: Predict a client against a server from (partial) proposals.
'''

EXAMPLES = r'''
- name: Which clients failed to negotiate with sshd in the last day? (journal)
  fleetcrypto.sftp.negotiation_failures_info:
    since: '-1d'
  become: true
  register: failed

- name: List them
  ansible.builtin.debug:
    msg: "{{ item.address }} ({{ item.count }}x, last {{ item.last_seen }}): no common {{ item.category }}, the client
          offered {{ item.client_list | join(',') }}"
  loop: "{{ failed.failures | selectattr('client_list') }}"
  loop_control:
    label: "{{ item.daemon }} {{ item.address }} {{ item.category }}"

- name: A host with classic syslog files and ProFTPD mod_sftp, since a fixed time
  fleetcrypto.sftp.negotiation_failures_info:
    since: '2026-11-25T08:00:00Z'
    log_paths:
      - /var/log/auth.log
      - /var/log/proftpd/sftp.log
  become: true
  register: failed
'''

RETURN = r'''
failures:
  description: One entry per daemon, client address and category, most frequent first.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The client's IP address; null for a ProFTPD session whose address was not logged.
      type: str
      sample: 192.0.2.10
    category:
      description: C(kex), C(host_key), C(cipher), C(mac) or C(compression) (the catalog's category names).
      type: str
      sample: cipher
    direction:
      description:
        - C(c2s) or C(s2c) where the daemon says (ProFTPD, dropbear; OpenSSH when its debug2 dumps are logged),
          else null.
      type: str
    daemon:
      description: C(openssh), C(proftpd) or C(dropbear).
      type: str
    client_list:
      description:
        - The client's list for that category in the latest failure (names validated, empty entries dropped);
          null for dropbear, which does not log it.
      type: list
      elements: str
      sample: [aes128-ctr, aes128-cbc]
    client_list_truncated:
      description:
        - The daemon cut its line (syslog keeps 500 characters of an sshd message), so the end of the list is
          missing; the possibly cut last name is left out.
      type: bool
    server_list:
      description: The server's list where logged (ProFTPD; OpenSSH at LogLevel DEBUG2 or DEBUG3), else null.
      type: list
      elements: str
    count:
      description: How many failures of this client address and category were found.
      type: int
    first_seen:
      description: The earliest failure's time (ISO 8601, UTC); null when its lines carry no time (C(sshd -E)).
      type: str
      sample: '2026-11-25T08:14:03Z'
    last_seen:
      description: The latest failure's time (ISO 8601, UTC), or null.
      type: str
    message:
      description: The daemon's latest line, escaped (see the description) and at most 512 characters.
      type: str
    client_banner:
      description:
        - The client's identification line (C(SSH-2.0-...)) where logged (ProFTPD; OpenSSH at LogLevel DEBUG1 and
          above), escaped.
      type: str
    distinct_client_lists:
      description: How many different client lists were seen in these failures (clients behind one address).
      type: int
    sources:
      description: The files (or C(journal)) the failures were found in.
      type: list
      elements: str
totals:
  description: Counts over all sources.
  returned: always
  type: dict
  contains:
    failures:
      description: Failure records counted (within O(since)).
      type: int
    entries:
      description: Entries returned in RV(failures).
      type: int
    entries_omitted:
      description: Entries left out because of O(max_entries).
      type: int
    addresses:
      description: Distinct client addresses.
      type: int
    by_daemon:
      description: Failure records per daemon.
      type: dict
    by_category:
      description: Failure records per category.
      type: dict
    skipped:
      description:
        - Failure-like lines skipped, per reason - C(control_characters), C(line_too_long), C(invalid_name),
          C(invalid_address), C(unexpected_text), C(malformed), C(not_from_daemon), C(invalid_json), C(no_message).
      type: dict
    undated:
      description: Failures counted from lines without a time (C(sshd -E) files modified since O(since)).
      type: int
    outside_since:
      description: Failures left out because they are older than O(since) (or undated in a file older than it).
      type: int
sources:
  description: What was read, one entry per file and one for the journal.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: The file's path, or C(journal).
      type: str
    kind:
      description: C(file) or C(journal).
      type: str
    bytes_read:
      description: Bytes read.
      type: int
    lines:
      description: Lines read.
      type: int
    truncated:
      description: The source was larger than O(max_bytes) (or the journal query timed out); older records were left out.
      type: bool
    error:
      description: Why the source could not be read (missing, permission denied, not a regular file, compressed,
        no systemd journal on the host, journalctl failed or timed out), or null.
      type: str
since:
  description: The start of the window that was used (ISO 8601, UTC).
  returned: always
  type: str
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon_logs import DAEMONS, DEFAULT_MAX_BYTES, \
    DEFAULT_MAX_ENTRIES, JOURNAL_IDENTIFIERS, MAX_MAX_BYTES, MAX_MAX_ENTRIES, LogError, collect, iso, parse_since

# A journal identifier or unit name: no option, no match expression, nothing a shell would read.
_JOURNAL_NAME = re.compile(r'^[A-Za-z0-9@_.:][A-Za-z0-9@_.:-]{0,127}$')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            since=dict(type='str', default='-24h'),
            log_paths=dict(type='list', elements='path', default=[]),
            journal=dict(type='bool'),
            journal_identifiers=dict(type='list', elements='str', default=list(JOURNAL_IDENTIFIERS)),
            journal_units=dict(type='list', elements='str', default=[]),
            journalctl_path=dict(type='str', default='journalctl'),
            daemons=dict(type='list', elements='str', choices=list(DAEMONS), default=list(DAEMONS)),
            max_bytes=dict(type='int', default=DEFAULT_MAX_BYTES),
            max_entries=dict(type='int', default=DEFAULT_MAX_ENTRIES),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        cutoff = parse_since(params['since'])
    except LogError as error:
        module.fail_json(msg=str(error))
    if not 1 <= params['max_bytes'] <= MAX_MAX_BYTES:
        module.fail_json(msg='max_bytes must be between 1 and %d' % MAX_MAX_BYTES)
    if not 1 <= params['max_entries'] <= MAX_MAX_ENTRIES:
        module.fail_json(msg='max_entries must be between 1 and %d' % MAX_MAX_ENTRIES)
    for option in ('journal_identifiers', 'journal_units'):
        for name in params[option]:
            if not _JOURNAL_NAME.match(name):
                module.fail_json(msg='%s: %r is not a journal identifier or unit name' % (option, name[:100]))
    journal = params['journal'] if params['journal'] is not None else not params['log_paths']
    journalctl = params['journalctl_path']
    if journal and not os.path.isabs(journalctl):
        journalctl = module.get_bin_path(journalctl, opt_dirs=['/usr/bin', '/bin']) or journalctl
    result = collect(cutoff, log_paths=params['log_paths'], journal=journal, daemons=params['daemons'],
                     max_bytes=params['max_bytes'], max_entries=params['max_entries'],
                     journal_identifiers=params['journal_identifiers'], journal_units=params['journal_units'],
                     journalctl=journalctl)
    module.exit_json(changed=False, since=iso(cutoff), **result)


if __name__ == '__main__':
    main()
