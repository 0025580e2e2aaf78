# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: moduli_filter
short_description: Keep only the Diffie-Hellman groups of an OpenSSH moduli file that a baseline accepts
version_added: 1.0.0
description:
  - Filters the text of an OpenSSH moduli file (moduli(5), C(/etc/ssh/moduli)) down to the groups of at least the
    baseline's minimum size, as hardening guides do with C(awk '$5 >= 3071' /etc/ssh/moduli) (Mozilla OpenSSH
    guidelines, ssh-audit hardening guides); the size column is the bit length minus one.
  - Every line is checked as sshd reads it (openssh-portable dh.c C(parse_prime)) and lines sshd would skip are
    left out and counted, so the result holds only groups sshd uses.
  - Fails when no group would be left, since sshd would then use its built-in fallback groups for every request.
  - The role M(fleetcrypto.sftp.baseline) uses it for O(baseline_moduli=filter).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The text of the moduli file.
    type: str
    required: true
  baseline:
    description:
      - A built-in baseline name or a baseline dict; its C(moduli) section gives the minimum (C(warn_below), else
        C(fail_below); without a section, 2048 bits after RFC 8270).
    type: raw
    required: true
  min_bits:
    description: A minimum size in bits (1024 to 16384) that overrides the baseline's.
    type: int
  source:
    description: The file's path, named in the header and in messages.
    type: str
    default: /etc/ssh/moduli
'''

EXAMPLES = r'''
- name: Read the moduli file
  ansible.builtin.slurp:
    src: /etc/ssh/moduli
  register: moduli

- name: Write the groups the intermediate baseline accepts
  ansible.builtin.copy:
    content: "{{ (moduli.content | b64decode | fleetcrypto.sftp.moduli_filter('intermediate')).content }}"
    dest: /etc/ssh/moduli.fleetcrypto
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The filtered file and what was kept.
  type: dict
  contains:
    content:
      description: The new file, a comment header followed by the kept lines unchanged.
      type: str
    min_bits:
      description: The minimum group size applied, in bits.
      type: int
      sample: 3072
    kept:
      description: How many groups were kept.
      type: int
      sample: 363
    dropped:
      description: How many usable groups were smaller than O(min_bits).
      type: int
      sample: 60
    skipped:
      description:
        - Lines sshd would skip, per reason, C(format), C(type), C(tests), C(tries), C(size) or C(generator).
      type: dict
      sample: {}
    sizes:
      description: The kept groups per size in bits.
      type: dict
      sample: {3072: 76, 4096: 68, 6144: 73, 7680: 71, 8192: 75}
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.moduli_file import baseline_min_bits, \
    filter_moduli
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def moduli_filter(text, baseline, min_bits=None, source='/etc/ssh/moduli'):
    """Keep the groups of ``text`` that ``baseline`` (or ``min_bits``) accepts."""
    try:
        bits = baseline_min_bits(baseline) if min_bits is None else min_bits
        return filter_moduli(text, bits, source)
    except ProposalError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Moduli file filter of fleetcrypto.sftp."""

    def filters(self):
        return {'moduli_filter': moduli_filter}
