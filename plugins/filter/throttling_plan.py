# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: throttling_plan
short_description: The throttling lines a baseline asks for on one daemon, and whether sshd -T shows them
version_added: 1.0.0
description:
  - Reads the baseline's C(throttling) limits (C(max_startups), C(per_source_max_startups),
    C(per_source_net_block_size), C(per_source_penalties), C(login_grace_time), C(max_auth_tries)), puts
    O(overrides) on top (validated the same way, a null value removes a limit) and returns the directives to write
    for the daemon M(fleetcrypto.sftp.daemon_info) described, only keywords that daemon supports.
  - With O(effective) (the output of C(sshd -T) after the change) it also returns the written settings that the
    effective configuration does not show.
  - Used by the C(fleetcrypto.sftp.baseline) role; a bad value fails the filter before any file changes.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The result of M(fleetcrypto.sftp.daemon_info) (C(server_type) and C(throttling) are read).
    type: dict
    required: true
  baseline:
    description: A built-in baseline name or a baseline dict; see P(fleetcrypto.sftp.evaluate#filter).
    type: raw
    required: true
  overrides:
    description: Limits that replace the baseline's (the role's C(baseline_throttling)).
    type: dict
  effective:
    description: C(sshd -T) output read after the change (OpenSSH only).
    type: str
'''

EXAMPLES = r'''
- name: What the role writes
  ansible.builtin.set_fact:
    throttling: "{{ daemon | fleetcrypto.sftp.throttling_plan('modern', {'max_startups': '10:30:60'}) }}"
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    limits:
      description: The normalized limits (null when neither the baseline nor the overrides set any).
      type: dict
    lines:
      description: C(setting), C(keyword) and C(value) of each directive to write.
      type: list
      elements: dict
    skipped:
      description: C(setting), C(keyword) and C(reason) of each limit not written (no such keyword on this daemon).
      type: list
      elements: dict
    mismatches:
      description: With O(effective), C(keyword), C(expected) and C(effective) of each line it does not show.
      type: list
      elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import parse_sshd_T, \
    throttling_settings
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import throttling
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def throttling_plan(daemon, baseline, overrides=None, effective=None):
    """The role's throttling lines for one daemon."""
    if not isinstance(daemon, dict) or daemon.get('server_type') not in throttling.KEYWORDS:
        raise AnsibleFilterError('throttling_plan: the input must be a daemon_info result (openssh or proftpd)')
    try:
        loaded = load_baseline(baseline)
        limits = throttling.merged(loaded['checks'].get('throttling'), overrides, loaded['name'])
    except ProposalError as exc:
        raise AnsibleFilterError('throttling_plan: %s' % exc)
    result = throttling.plan(limits, daemon['server_type'], daemon.get('throttling'))
    result['limits'] = limits
    result['mismatches'] = []
    if effective is not None:
        result['mismatches'] = throttling.verify(result['lines'], throttling_settings(parse_sshd_T(effective)))
    return result


class FilterModule(object):
    """Throttling plan filter of fleetcrypto.sftp."""

    def filters(self):
        return {'throttling_plan': throttling_plan}
