# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: observed_proposals
short_description: Turn observed clients and logged negotiation failures into labelled client proposals
version_added: 1.0.0
description:
  - "Reads what M(fleetcrypto.sftp.observed_clients_info) and M(fleetcrypto.sftp.negotiation_failures_info) return
    (or what C(playbooks/observe.yml) stores) and returns one client proposal per observed client, with C(name)
    set to its label (C(observed OpenSSH_9.2p1 #a1b2c3d4): software and the first eight hex digits of its HASSH)."
  - "A logged failure that no captured client explains becomes a partial proposal holding only the logged
    category (C(logged cipher failure #1a2b3c4d)); P(fleetcrypto.sftp.negotiate#filter) treats the other
    categories as unknown."
  - The proposals work wherever a client does, for example as C(baseline_required_clients) to keep every client
    a server really has working. Items that cannot be read are left out; P(fleetcrypto.sftp.observed_impact#filter)
    reports them.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - A stored observation C({clients, failures}) (each the list, or the module's whole result), or a list of
        captured clients, logged failures and client proposals.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Keep every client seen last week working
  ansible.builtin.include_role:
    name: fleetcrypto.sftp.baseline
  vars:
    baseline_required_clients: "{{ ['openssh-9.2'] + (stored_observation | fleetcrypto.sftp.observed_proposals) }}"
'''

RETURN = r'''
_value:
  description:
    - Client proposals with C(name), C(banner), C(software), C(partial) and the name-lists that are known (the ten
      RFC 4253 keys).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import \
    observed_proposals as _proposals
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def observed_proposals(observed):
    """Labelled client proposals for the observed clients."""
    try:
        return _proposals(observed)
    except ProposalError as exc:
        raise AnsibleFilterError('observed_proposals: %s' % exc)


class FilterModule(object):
    """Observed-client proposals filter of fleetcrypto.sftp."""

    def filters(self):
        return {'observed_proposals': observed_proposals}
