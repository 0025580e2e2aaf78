# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: baseline_to_ssh_audit
short_description: An ssh-audit policy file from a baseline
version_added: 1.0.0
description:
  - Writes the text of a policy file that L(ssh-audit,https://github.com/jtesta/ssh-audit) loads with
    C(ssh-audit -P FILE HOST), so auditors can check a server against a fleetcrypto baseline with their own tool.
  - By default the policy has C(allow_algorithm_subset_and_reordering = true) and C(allow_larger_keys = true), which
    is what a baseline means (the server may offer any of the allowed algorithms, in any order, and keys and
    group-exchange primes at least as large as the minimums). Its C(key exchanges) list then carries
    C(ext-info-s) and C(kex-strict-s-v00@openssh.com), which daemons add by themselves; ssh-audit requires the
    strict-kex marker whenever a policy lists it, so such a policy also demands the Terrapin countermeasure
    (OpenSSH 9.6 or a distribution backport).
  - With O(exact=true) the policy demands the baseline's lists in its order and the sizes exactly.
  - RSA host-key sizes come from the baseline's C(host_keys.rsa_min_bits), group-exchange modulus sizes from
    C(moduli.warn_below) or else C(moduli.fail_below) (the smallest group size without a finding).
  - A baseline made by P(fleetcrypto.sftp.baseline_from_ssh_audit#filter) gives back the policy it was made from
    (name, version, exactness, banner, compressions, markers, host-key and CA sizes) unless O(exact) asks for the
    other kind of matching.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: A built-in baseline name or a baseline dict, as for P(fleetcrypto.sftp.evaluate#filter).
    type: raw
    required: true
  name:
    description: The policy's name (shown by ssh-audit); default the original policy's or
      C(fleetcrypto.sftp baseline <name>). A single line without C(=) or backslashes.
    type: str
  version:
    description: The policy's version; default the original policy's or the baseline's version.
    type: str
  exact:
    description: Demand the lists in the baseline's order and the sizes exactly; default V(false), or the original
      policy's matching for a baseline made from an ssh-audit policy.
    type: bool
  markers:
    description:
      - The pseudo-algorithms the server appends to its key-exchange list by itself, which an exact policy must
        expect at the end of C(key exchanges). OpenSSH 9.6 and later append C(ext-info-s) and
        C(kex-strict-s-v00@openssh.com); Debian 12's OpenSSH 9.2p1 (with its Terrapin backport) appends
        C(kex-strict-s-v00@openssh.com) alone.
      - Default for an exact policy none (or the original policy's), for a subset policy C(ext-info-s) and
        C(kex-strict-s-v00@openssh.com).
    type: list
    elements: str
seealso:
  - plugin: fleetcrypto.sftp.baseline_from_ssh_audit
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Hand the auditors the modern baseline as an ssh-audit policy
  ansible.builtin.copy:
    content: "{{ 'modern' | fleetcrypto.sftp.baseline_to_ssh_audit }}"
    dest: /srv/audit/fleetcrypto-modern.txt
    mode: '0644'
  delegate_to: localhost

- name: ssh-audit's built-in policy for OpenSSH 9.2, for Debian 12's sshd that appends the strict-kex marker
  ansible.builtin.copy:
    content: >-
      {{ 'Hardened OpenSSH Server v9.2 (version 3)' | fleetcrypto.sftp.baseline_from_ssh_audit
         | fleetcrypto.sftp.baseline_to_ssh_audit(markers=['kex-strict-s-v00@openssh.com']) }}
    dest: /srv/audit/openssh-9.2-debian.txt
    mode: '0644'
  delegate_to: localhost

- name: Then, on the auditor's machine
  ansible.builtin.command: ssh-audit -P /srv/audit/fleetcrypto-modern.txt sftp.example.com
  changed_when: false
  delegate_to: localhost
'''

RETURN = r'''
_value:
  description: The policy file's text (C(key = value) lines ssh-audit 3.9 reads, with comments naming the baseline).
  type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.ssh_audit import baseline_to_policy
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def baseline_to_ssh_audit(baseline, name=None, version=None, exact=None, markers=None):
    """An ssh-audit policy file's text for ``baseline``."""
    try:
        return baseline_to_policy(baseline, name=name, version=version, exact=exact, markers=markers)
    except ProposalError as exc:
        raise AnsibleFilterError('baseline_to_ssh_audit: %s' % exc)


class FilterModule(object):
    """ssh-audit policy export filter of fleetcrypto.sftp."""

    def filters(self):
        return {'baseline_to_ssh_audit': baseline_to_ssh_audit}
