# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: handshake_clients
short_description: Resolve client profiles and proposals into the plain lists handshake_info takes
version_added: 1.1.0
description:
  - M(fleetcrypto.sftp.handshake_info) may run on a managed node, where the built-in client profiles are not at
    hand. This filter runs on the controller and turns each client (a built-in profile name, an
    M(fleetcrypto.sftp.algorithms_info)-like result, a proposal or a hand-written profile) into a dict with
    C(name), C(software) and the ten RFC 4253 name-list keys.
  - Every algorithm name is checked; a bad client fails the filter, naming it.
  - Names are the same labels as elsewhere in the collection (a profile's name, a proposal's C(name), or
    C(clients[N])), so P(fleetcrypto.sftp.handshake_proof#filter) can match the handshakes with the predictions.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: The clients, as built-in profile names or proposal dicts.
    type: list
    elements: raw
    required: true
'''

EXAMPLES = r'''
- name: Prove the required clients against the server
  fleetcrypto.sftp.handshake_info:
    host: 127.0.0.1
    port: 2222
    clients: "{{ ['openssh-9.2', 'jsch-0.2.26'] | fleetcrypto.sftp.handshake_clients }}"
'''

RETURN = r'''
_value:
  description: One dict per client, in order, with C(name), C(software) (C(product), C(version) or null) and the ten
    name-list keys (C(kex_algorithms) ... C(languages_server_to_client); a list that is not known is null).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.handshake import \
    handshake_clients as _handshake_clients
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def handshake_clients(clients):
    """Client names and proposals -> plain lists for handshake_info."""
    try:
        return _handshake_clients(clients)
    except ProposalError as exc:
        raise AnsibleFilterError('handshake_clients: %s' % exc)


class FilterModule(object):
    """Handshake client filter of fleetcrypto.sftp."""

    def filters(self):
        return {'handshake_clients': handshake_clients}
