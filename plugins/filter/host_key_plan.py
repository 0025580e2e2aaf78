# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: host_key_plan
short_description: Rate an OpenSSH daemon's host key files and plan their HostKey order and regeneration
version_added: 1.0.0
description:
  - Takes, per C(HostKey) file that C(sshd -T) names, the output of C(ssh-keygen -l -f <file>), rates each key with
    the baseline's C(host_keys) section (RSA size, DSA, ECDSA curve; the same rules as the audit's host-key check)
    and returns the order in which the role lists the files in its drop-in (the baseline's host-key order: sshd
    advertises host-key algorithms in C(HostKey) order, OpenSSH sshd.c C(list_hostkey_types)).
  - With O(mode=regenerate), also lists the keys to replace (RSA below the baseline's C(rsa_min_bits), ECDSA on a
    curve the baseline does not allow) with the exact C(ssh-keygen) command; DSA keys and certificates are never
    regenerated (their fix is removing the C(HostKey) line, or a new certificate from the CA).
  - Used by the role P(fleetcrypto.sftp.baseline#role); files that do not exist are skipped (as sshd does), and any
    other unreadable file leaves the order unmanaged (RV(_value.order_managed) false).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - A registered loop result of C(ssh-keygen -l -f) over the files (each result's C(item) is the path), or a
        list of dicts with C(path), C(rc), C(stdout), C(stderr).
    type: raw
    required: true
  baseline:
    description: A built-in baseline name or a baseline dict; its C(host_keys) section sets the sizes and curves.
    type: raw
    required: true
  host_key_target:
    description: The host-key algorithms the role configures, in order (the order the keys are listed in).
    type: list
    elements: str
    required: true
  mode:
    description: V(report) rates only; V(regenerate) also plans replacements.
    type: str
    default: report
    choices: [report, regenerate]
'''

EXAMPLES = r'''
- name: Plan the HostKey lines
  ansible.builtin.set_fact:
    hk_plan: "{{ listing | fleetcrypto.sftp.host_key_plan('modern', ['ssh-ed25519', 'rsa-sha2-512'], 'report') }}"
'''

RETURN = r'''
_value:
  description: The host-key plan.
  type: dict
  contains:
    files:
      description: Each readable key file, C(path), C(type), C(bits), C(fingerprint_sha256), C(certificate), C(family), C(findings).
      type: list
      elements: dict
    order:
      description: The files for the drop-in's C(HostKey) lines, in the baseline's order (empty when not managed).
      type: list
      elements: str
    order_managed:
      description: Whether the role lists the C(HostKey) lines (false when a file could not be read).
      type: bool
    message:
      description: What the plan does with the order, or why it leaves it alone.
      type: str
    findings:
      description: Every key's findings, C(check), C(subject), C(rating), C(reason), C(source), C(fix).
      type: list
      elements: dict
    violations:
      description: How many findings count against the server (C(fail) or C(warn)).
      type: int
    regenerate:
      description:
        - With O(mode=regenerate), the keys to replace, C(path), C(type), C(bits), C(old_bits),
          C(old_fingerprint_sha256) and C(argv) (the C(ssh-keygen) command writing C(<path>.fleetcrypto-new)).
      type: list
      elements: dict
    settings:
      description: The baseline's normalized C(host_keys) settings (C(rsa_min_bits), C(rsa_generate_bits), C(ecdsa_curves), C(source)).
      type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.host_keys import plan


def host_key_plan(listing, baseline, host_key_target, mode='report'):
    """Rate the daemon's host key files and plan their order and regeneration."""
    try:
        return plan(listing, baseline, host_key_target, mode)
    except ProposalError as exc:
        raise AnsibleFilterError('host_key_plan: %s' % exc)


class FilterModule(object):
    """Host-key plan filter of fleetcrypto.sftp."""

    def filters(self):
        return {'host_key_plan': host_key_plan}
