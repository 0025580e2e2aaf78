# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: openssh_lists
short_description: The algorithm lists from C(sshd -T) or C(ssh -G) output
version_added: 1.0.0
description:
  - Reads the C(kexalgorithms), C(hostkeyalgorithms), C(ciphers) and C(macs) lines that C(sshd -T) (the effective
    server configuration) and C(ssh -G) (the effective client configuration for a host) print, and returns them
    as the lists C(kex), C(host_key), C(ciphers) and C(macs). A missing line gives an empty list.
  - The result is in the shorthand form client profiles accept, so C(ssh -G) output becomes a client proposal for
    P(fleetcrypto.sftp.negotiate#filter).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The command's standard output.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: What sshd really uses after the drop-ins
  ansible.builtin.command: sshd -T
  register: sshd_t
  changed_when: false

- name: Show it
  ansible.builtin.debug:
    msg: "{{ sshd_t.stdout | fleetcrypto.sftp.openssh_lists }}"
'''

RETURN = r'''
_value:
  description: C(kex), C(host_key), C(ciphers) and C(macs), each a list of names in order.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import effective_lists, parse_sshd_T


def openssh_lists(text):
    """The four algorithm lists from ``sshd -T`` or ``ssh -G`` output."""
    if not isinstance(text, str):
        raise AnsibleFilterError('openssh_lists: expects the text of sshd -T or ssh -G, got %s' % type(text).__name__)
    return effective_lists(parse_sshd_T(text))


class FilterModule(object):
    """OpenSSH configuration-dump filter of fleetcrypto.sftp."""

    def filters(self):
        return {'openssh_lists': openssh_lists}
