# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: verify_offer
short_description: Check a live SSH offer against a remediation plan
version_added: 1.0.0
description:
  - Compares what the server offers after a change (an M(fleetcrypto.sftp.algorithms_info) result) with the
    target of a P(fleetcrypto.sftp.remediate#filter) plan, list by list, and negotiates every required client
    against the live offer.
  - Key exchange, cipher and MAC lists must be equal in order (pseudo-algorithms aside); host-key algorithms are
    compared as a set, because sshd orders them by its C(HostKey) files, not by C(HostKeyAlgorithms).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The live probe result.
    type: dict
    required: true
  plan:
    description: The P(fleetcrypto.sftp.remediate#filter) result.
    type: dict
    required: true
  clients:
    description: Required clients, as built-in profile names or proposal dicts.
    type: list
    elements: raw
  ordered:
    description: Compare the order of the lists too (host keys are always compared as a set).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: The daemon now offers exactly the plan
  ansible.builtin.assert:
    that: (live | fleetcrypto.sftp.verify_offer(plan, ['putty-0.78'])).ok
'''

RETURN = r'''
_value:
  description: The comparison.
  type: dict
  contains:
    ok:
      description: Every list matches and every client negotiates.
      type: bool
    mismatches:
      description: Lists that differ, each with C(category), C(list), C(expected) and C(offered).
      type: list
      elements: dict
    client_failures:
      description: Client -> the messages the client software would print.
      type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import verify_offer as _verify_offer


def verify_offer(live, plan, clients=None, ordered=True):
    """Compare ``live`` with ``plan``."""
    try:
        return _verify_offer(live, plan, clients, ordered)
    except (ProposalError, KeyError, TypeError) as exc:
        raise AnsibleFilterError('verify_offer: %s' % exc)


class FilterModule(object):
    """Live verification filter of fleetcrypto.sftp."""

    def filters(self):
        return {'verify_offer': verify_offer}
