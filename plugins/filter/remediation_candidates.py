# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: remediation_candidates
short_description: Every algorithm name a remediation could configure, per category
version_added: 1.0.0
description:
  - The union of the baseline's allowed algorithms, the required clients' algorithms and the exceptions'
    algorithms, per category (C(kex), C(host_key), C(ciphers), C(macs)), every name validated against RFC 4251
    section 6.
  - Used to ask a daemon that cannot list what it supports (ProFTPD, or sshd without a matching C(ssh -Q))
    about exactly these names, with M(fleetcrypto.sftp.daemon_info)'s O(fleetcrypto.sftp.daemon_info#module:candidates).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: A built-in baseline name or a baseline dict; see P(fleetcrypto.sftp.evaluate#filter).
    type: raw
    required: true
  clients:
    description: Required clients, as built-in profile names or proposal dicts.
    type: list
    elements: raw
  exceptions:
    description: Documented exceptions; see P(fleetcrypto.sftp.evaluate#filter).
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: Ask ProFTPD about the names the plan could use
  fleetcrypto.sftp.daemon_info:
    server_type: proftpd
    candidates: "{{ 'intermediate' | fleetcrypto.sftp.remediation_candidates(['jsch-0.1.55']) }}"
'''

RETURN = r'''
_value:
  description: Category -> list of algorithm names.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import candidate_names


def remediation_candidates(baseline, clients=None, exceptions=None):
    """Names to ask the daemon about."""
    try:
        return candidate_names(baseline, clients, exceptions)
    except ProposalError as exc:
        raise AnsibleFilterError('remediation_candidates: %s' % exc)


class FilterModule(object):
    """Remediation candidate filter of fleetcrypto.sftp."""

    def filters(self):
        return {'remediation_candidates': remediation_candidates}
