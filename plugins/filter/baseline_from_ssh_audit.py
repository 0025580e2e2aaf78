# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: baseline_from_ssh_audit
short_description: A baseline from an ssh-audit policy file or built-in policy
version_added: 1.0.0
description:
  - Turns an L(ssh-audit,https://github.com/jtesta/ssh-audit) policy into a baseline dict that
    O(fleetcrypto.sftp.baseline#role:main:baseline_policy), P(fleetcrypto.sftp.evaluate#filter) and
    P(fleetcrypto.sftp.remediate#filter) accept.
  - The input is either the text of a policy file, as C(ssh-audit -M FILE HOST) writes it (read it with
    C(lookup('ansible.builtin.file', ...))), or the full name of one of ssh-audit's built-in policies as
    C(ssh-audit -L) lists it, for example "Hardened OpenSSH Server v9.2 (version 3)". Built-in names are resolved
    through the C(ssh_audit) Python package on the controller (C(pip install ssh-audit)); without it, or for an
    unknown name, the filter fails with a message that names the near matches.
  - The allowed lists are the policy's C(key exchanges), C(host keys) followed by its C(optional host keys),
    C(ciphers) and C(macs), in the policy's order (the role configures them in that order).
    Pseudo-algorithms (C(ext-info-s), C(kex-strict-s-v00@openssh.com)) are dropped, since the daemon adds them
    itself. A policy without one of these four lists is refused, since a baseline needs all of them.
  - RSA host-key sizes (C(host_key_sizes), or the older C(hostkey_size_*) lines) become the baseline's
    C(host_keys.rsa_min_bits); group-exchange modulus sizes (C(dh_modulus_sizes), C(dh_modulus_size_*)) become
    C(moduli.fail_below), which the role's C(baseline_host_keys=regenerate) and C(baseline_moduli=filter) use.
  - What a baseline does not express (exact order matching, C(allow_larger_keys), banner, compressions, CA key
    sizes, the markers in the kex list) is kept under C(ssh_audit_policy), so
    P(fleetcrypto.sftp.baseline_to_ssh_audit#filter) gives ssh-audit the same policy back.
  - Every algorithm name is checked against RFC 4251 section 6; a line ssh-audit would not accept, an unknown
    field, invalid JSON, a size outside 1..16384 bits or text over 256 KiB fails with a message naming the line.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The text of an ssh-audit policy file (anything containing C(=)), or the full name of an ssh-audit built-in
        server policy.
    type: str
    required: true
seealso:
  - plugin: fleetcrypto.sftp.baseline_to_ssh_audit
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Enforce ssh-audit's hardening policy for OpenSSH 9.2
  ansible.builtin.include_role:
    name: fleetcrypto.sftp.baseline
  vars:
    baseline_policy: "{{ 'Hardened OpenSSH Server v9.2 (version 3)' | fleetcrypto.sftp.baseline_from_ssh_audit }}"
    baseline_host_keys: regenerate   # the policy demands 4096-bit RSA host keys
    baseline_moduli: filter          # and 3072-bit group-exchange primes

- name: A reference server's configuration (ssh-audit -M reference.txt ref.example.com) as the fleet's baseline
  ansible.builtin.set_fact:
    reference_baseline: "{{ lookup('ansible.builtin.file', 'reference.txt') | fleetcrypto.sftp.baseline_from_ssh_audit }}"

- name: Audit against it
  ansible.builtin.debug:
    msg: "{{ sftp_probe | fleetcrypto.sftp.evaluate(reference_baseline) }}"
'''

RETURN = r'''
_value:
  description: A baseline dict of the same shape as the built-in files in C(data/baselines/).
  type: dict
  contains:
    name:
      description: C(ssh-audit-) and the policy's name in lower case, e.g. C(ssh-audit-hardened-openssh-server-v9.2).
      type: str
    version:
      description: The policy's version.
      type: str
    description:
      description: The policy's name and version.
      type: str
    source:
      description: Where the policy comes from (the ssh-audit release and built-in name, or the policy file's name).
      type: str
    tracks:
      description: One C({policy, source}) naming the ssh-audit policy the baseline follows.
      type: list
      elements: dict
    allowed:
      description: C(kex), C(host_key), C(ciphers) and C(macs), each the policy's list in its order.
      type: dict
    host_keys:
      description: C(rsa_min_bits) (the largest RSA size the policy names), C(reason) and C(source).
      type: dict
      returned: when the policy sets RSA host-key sizes
    moduli:
      description: C(fail_below) (the policy's group-exchange modulus size) and C(fail_source).
      type: dict
      returned: when the policy sets modulus sizes and allows group exchange
    ssh_audit_policy:
      description: The policy's own settings for the way back, C(name), C(version), C(banner), C(compressions),
        C(kex) (with markers), C(host_keys), C(optional_host_keys), C(host_key_sizes), C(dh_modulus_sizes) and the
        flags C(allow_algorithm_subset_and_reordering), C(allow_hostkey_subset_and_reordering), C(allow_larger_keys).
      type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.ssh_audit import baseline_from_policy
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def baseline_from_ssh_audit(policy):
    """A baseline dict from an ssh-audit policy's text or built-in name."""
    try:
        return baseline_from_policy(policy)
    except ProposalError as exc:
        raise AnsibleFilterError('baseline_from_ssh_audit: %s' % exc)


class FilterModule(object):
    """ssh-audit policy import filter of fleetcrypto.sftp."""

    def filters(self):
        return {'baseline_from_ssh_audit': baseline_from_ssh_audit}
