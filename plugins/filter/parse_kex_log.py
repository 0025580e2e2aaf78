# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: parse_kex_log
short_description: Turn pasted SSH key-exchange diagnostics into proposals for P(fleetcrypto.sftp.negotiate#filter)
version_added: 1.0.0
description:
  - Reads the lines vendors print when algorithm negotiation fails, and returns the proposals they reveal, so
    that a user in the middle of an outage can paste what they have and ask P(fleetcrypto.sftp.negotiate#filter)
    what breaks and why.
  - "Formats: Cerberus FTP Server's DEBUG lines C(Client Proposed: Kex: ...) and C(Server Proposed: Kex: ...) (each
    list in parentheses - Kex, Host Key, then C2S and S2C cipher, MAC and compression), including its empty entries
    such as C(hmac-ripemd160,,hmac-md5);
    the lines Cerberus FTP Server 9.0.6.1 and later log when a key exchange fails, C(No common C2S mac: [S: ...][C: ...])
    and C(No common S2C mac: ...) (the C([C: ...]) part may be on the next line), each giving a partial server
    and a partial client proposal of that one list (source C(cerberus-no-common));
    OpenSSH's C(Unable to negotiate with HOST port N: no matching cipher found. Their offer: ...) (from C(ssh) the
    list is the server's, from an C(sshd) log line the client's); the KEXINIT proposal blocks of C(ssh -vv) and
    C(sshd -ddd); PuTTY's event log C(Couldn't agree a client-to-server cipher), followed by the server's list as
    C(available: ...) in parentheses, or as PuTTY 0.80 to 0.82 (and WinSCP 6.3) print it, C(Selected
    client-to-server cipher) with the server's list in double quotes and C(does not correspond to any supported
    algorithm)."
  - Each proposal has C(role) (C(client) or C(server)), C(source), C(line), the name-lists the log gave, and
    C(partial=true) when it gave only some categories (the others are then unknown to
    P(fleetcrypto.sftp.negotiate#filter), neither agreed nor failed).
  - Every name is validated as an RFC 4251 algorithm name; a malformed log fails with the line number.
  - Cerberus' vendor documentation shows the C(No common) wording for MACs only; lines naming another category
    are not read (they give no proposal) until an example of their wording can be cited.
  - A Windows host's Cerberus log can be fetched with M(ansible.builtin.slurp) and passed through
    C(b64decode) to this filter; the node-side counterpart for OpenSSH, ProFTPD and dropbear logs is
    M(fleetcrypto.sftp.negotiation_failures_info).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The pasted log text.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: What does the Cerberus debug log say?
  vars:
    proposals: "{{ lookup('ansible.builtin.file', 'cerberus-kex-debug.log') | fleetcrypto.sftp.parse_kex_log }}"
    client: "{{ proposals | selectattr('role', 'equalto', 'client') | first }}"
    server: "{{ proposals | selectattr('role', 'equalto', 'server') | first }}"
  ansible.builtin.debug:
    msg: "{{ (server | fleetcrypto.sftp.negotiate(client)).failures | map(attribute='message') }}"

- name: Fetch a Windows host's Cerberus FTP Server log (the path is the one configured in Cerberus)
  ansible.builtin.slurp:
    src: "{{ cerberus_log_file }}"
  register: cerberus_log

- name: What do its "No common C2S mac ..." lines say?
  vars:
    proposals: "{{ cerberus_log.content | b64decode | fleetcrypto.sftp.parse_kex_log
                   | selectattr('source', 'equalto', 'cerberus-no-common') | list }}"
    client: "{{ proposals | selectattr('role', 'equalto', 'client') | first }}"
    server: "{{ proposals | selectattr('role', 'equalto', 'server') | first }}"
  ansible.builtin.debug:
    msg: "{{ (server | fleetcrypto.sftp.negotiate(client)).failures | map(attribute='message') }}"
'''

RETURN = r'''
_value:
  description: The proposals found, in order of appearance.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.kex_log import parse_kex_log as _parse_kex_log
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def parse_kex_log(text):
    """Return the proposals found in pasted SSH diagnostics."""
    try:
        return _parse_kex_log(text)
    except ProposalError as exc:
        raise AnsibleFilterError('parse_kex_log: %s' % exc)


class FilterModule(object):
    """Log-parsing filters of fleetcrypto.sftp."""

    def filters(self):
        return {'parse_kex_log': parse_kex_log}
