# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: handshake_proof
short_description: Say per client whether a real handshake or only the prediction shows that it connects
version_added: 1.1.0
description:
  - Sets each handshake of a M(fleetcrypto.sftp.handshake_info) result beside the
    P(fleetcrypto.sftp.negotiate#filter) prediction for the same client against the same live offer.
  - A client is RV(_value.proven) (C(proven_by=handshake)) when its handshake completed and negotiated exactly what
    the client would negotiate with this server (C(curve25519-sha256) and C(curve25519-sha256@libssh.org) count as one
    method, RFC 8731 section 1).
  - It is RV(_value.predicted_only) (C(proven_by=prediction)) when paramiko cannot stand in for it, because paramiko cannot
    speak what the client would negotiate (for example C(chacha20-poly1305@openssh.com) or C(sntrup761x25519-sha512)),
    or any name of one of its categories (a client whose only host-key algorithm is C(ssh-rsa)). A handshake that
    completed with paramiko's substitutes is reported in C(handshake_completed) and C(substitutions).
  - It is RV(_value.failed) when its handshake, with the client's own names as far as paramiko speaks them, failed;
    the server names something it cannot do, or does not answer. RV(_value.ok) is false then.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The single-mode M(fleetcrypto.sftp.handshake_info) result.
      - Null, a skipped task's result or a failed one (paramiko missing where the module ran) means no handshake
        ran; every client is then in RV(_value.predicted_only), with O(not_run_reason) or the result's C(msg).
    type: dict
    required: true
  server:
    description: The live M(fleetcrypto.sftp.algorithms_info) result for the same server (for the predictions). A
      failed probe or an empty value means no predictions (C(predicted) is null).
    type: dict
    required: true
  clients:
    description: The same clients (profile names or proposal dicts) that went through
      P(fleetcrypto.sftp.handshake_clients#filter).
    type: list
    elements: raw
    required: true
  not_run_reason:
    description: The reason given for every client when no handshake ran.
    type: str
'''

EXAMPLES = r'''
- name: Which clients are proven by a handshake, which only by prediction
  ansible.builtin.set_fact:
    proof: "{{ handshakes | fleetcrypto.sftp.handshake_proof(live_offer, ['openssh-9.2', 'jsch-0.2.26']) }}"
'''

RETURN = r'''
_value:
  description: The verdicts.
  type: dict
  contains:
    ok:
      description: No client's handshake failed.
      type: bool
    ran:
      description: Whether handshakes ran at all.
      type: bool
    proven:
      description: Names of the clients proven by a handshake.
      type: list
      elements: str
    predicted_only:
      description: The clients only the prediction speaks for, each with C(name) and C(reason).
      type: list
      elements: dict
    failed:
      description: The clients whose handshake failed, each with C(name), C(category) (as RV(fleetcrypto.sftp.handshake_info#module:clients[].error.category))
        and C(message).
      type: list
      elements: dict
    paramiko_version:
      description: The paramiko version that ran the handshakes.
      type: str
    clients:
      description: >-
        One verdict per client: C(name), C(proven), C(proven_by) (V(handshake) or V(prediction)), C(failed),
        C(reason), C(predicted_compatible), C(predicted) and C(negotiated) (the prediction's and the handshake's
        algorithms: C(kex), C(host_key), C(cipher_c2s) ...), C(substitutions) (C(slot), C(client), C(handshake)
        where they differ), C(handshake_completed), C(error), C(host_key), C(dropped), C(elapsed_ms).
      type: list
      elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.handshake import \
    handshake_proof as _handshake_proof
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def handshake_proof(result, server, clients, not_run_reason=None):
    """Handshake results beside the predictions."""
    try:
        return _handshake_proof(result, server, clients, not_run_reason)
    except (ProposalError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('handshake_proof: %s' % exc)


class FilterModule(object):
    """Handshake proof filter of fleetcrypto.sftp."""

    def filters(self):
        return {'handshake_proof': handshake_proof}
