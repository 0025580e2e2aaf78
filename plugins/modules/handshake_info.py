#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: handshake_info
short_description: Prove with a real SSH handshake that a server serves a client's proposal
version_added: 1.1.0
description:
  - An offer (the server's C(SSH_MSG_KEXINIT)) only names algorithms. This module completes a real key exchange
    with each given client proposal, with paramiko as the client, to prove that the server can do what it names.
  - Each client's lists are restricted to the names paramiko implements, in the client's own order, so paramiko
    chooses what the client would choose wherever it can (a client takes the first name of its own list that the
    server offers, RFC 4253 section 7.1). C(curve25519-sha256) is proposed by its older name
    C(curve25519-sha256@libssh.org), the same method (RFC 8731 section 1).
  - The handshake goes through the key exchange, the server's signature over the exchange hash (checked by
    paramiko), C(SSH_MSG_NEWKEYS) and the service request for C(ssh-userauth) (RFC 4253 section 10). No
    authentication request is ever sent. The connection then ends with C(SSH_MSG_DISCONNECT).
  - The host key the server signed with must be one of O(expected_fingerprints); without them the module first
    learns the server's host keys (as M(fleetcrypto.sftp.algorithms_info) with O(fleetcrypto.sftp.algorithms_info#module:host_keys=true)
    does) and accepts those.
  - A client none of whose names paramiko speaks in some category (for example a client whose only host-key
    algorithm is C(ssh-rsa), which paramiko 5 no longer implements) is not attempted; its entry says
    RV(clients[].proven_by=prediction) and why. Compare the negotiated algorithms with the P(fleetcrypto.sftp.negotiate#filter)
    prediction with P(fleetcrypto.sftp.handshake_proof#filter).
  - Profile names are resolved on the controller. Pass clients through P(fleetcrypto.sftp.handshake_clients#filter)
    (built-in profile names and proposal dicts to plain lists).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
requirements:
  - paramiko 3.4 or newer where the module runs (C(ServiceRequestingTransport), C(strict_kex)); without it every
    client entry reports RV(clients[].error.category=missing_library).
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  host:
    description:
      - Name or IP address of the server. Required unless O(targets) is given; mutually exclusive with it.
    type: str
  port:
    description:
      - TCP port of the SSH service; in batch mode, the port of every target that names none.
    type: int
    default: 22
  clients:
    description:
      - The client proposals, each a dict with C(name) and the lists as P(fleetcrypto.sftp.handshake_clients#filter)
        returns them (the ten RFC 4253 name-list keys, an C(offer) dict with them, or the shorthands C(kex),
        C(host_key), C(ciphers), C(macs), C(compression)).
      - In batch mode, the clients of every target that names none.
    type: list
    elements: dict
  expected_fingerprints:
    description:
      - OpenSSH SHA256 fingerprints (C(SHA256:...)) the server may sign with. Empty means learn them from the
        server first.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds each handshake may take (connect, banner, key exchange, service request), and the host-key
        probe. Above 0 and at most 300.
    type: float
    default: 10
  targets:
    description:
      - Batch mode. Servers to check, each an entry of RV(results) in the same order. Mutually exclusive with O(host).
    type: list
    elements: dict
    suboptions:
      host:
        description: Name or IP address of the server.
        type: str
        required: true
      port:
        description: TCP port; defaults to O(port).
        type: int
      clients:
        description: Client proposals for this server; defaults to O(clients).
        type: list
        elements: dict
      expected_fingerprints:
        description: Fingerprints for this server; defaults to O(expected_fingerprints).
        type: list
        elements: str
  concurrency:
    description:
      - Batch mode. How many servers are checked at the same time, from 1 to 64. The clients of one server are
        tried one after the other.
    type: int
    default: 8
notes:
  - Nothing is changed on the server. Each handshake is one TCP connection, bounded by O(timeout).
  - Only the client-to-server cipher, MAC and compression lists are used, as paramiko proposes one list for both
    directions (RV(clients[].notes) says so when a client's lists differ).
seealso:
  - name: RFC 4253, sections 7 to 10
    description: Key exchange, NEWKEYS and the service request.
    link: https://www.rfc-editor.org/rfc/rfc4253#section-7
  - module: fleetcrypto.sftp.algorithms_info
'''

EXAMPLES = r'''
- name: Prove that the partner's clients complete a handshake with the SFTP server
  fleetcrypto.sftp.handshake_info:
    host: sftp.example.com
    clients: "{{ ['jsch-0.2.26', 'putty-0.81'] | fleetcrypto.sftp.handshake_clients }}"
    timeout: 5
  delegate_to: localhost
  register: proof

- name: Every client that paramiko can stand in for completed its handshake
  ansible.builtin.assert:
    that: proof.clients | selectattr('attempted') | rejectattr('proven') | list | length == 0

- name: The whole fleet from one task
  fleetcrypto.sftp.handshake_info:
    targets: "{{ groups['sftp'] | map('extract', hostvars, 'ansible_host') | map('community.general.dict_kv', 'host') }}"
    clients: "{{ ['openssh-9.2'] | fleetcrypto.sftp.handshake_clients }}"
  delegate_to: localhost
  run_once: true
  register: fleet_proof
'''

RETURN = r'''
host:
  description: The server checked (single mode).
  returned: single mode
  type: str
port:
  description: Its port (single mode).
  returned: single mode
  type: int
paramiko_version:
  description: The paramiko version that ran the handshakes, or null when it is missing.
  returned: always
  type: str
expected_from:
  description: Where the accepted fingerprints came from, V(option) or V(probe) (null when no client was attempted).
  returned: single mode
  type: str
expected_fingerprints:
  description: The accepted host-key fingerprints.
  returned: single mode
  type: list
  elements: str
clients:
  description: One entry per client, in the order of O(clients).
  returned: single mode
  type: list
  elements: dict
  contains:
    name:
      description: The client's C(name) (or C(client N) when it has none).
      type: str
    attempted:
      description: Whether a handshake was started for it.
      type: bool
    proven:
      description: The handshake went through NEWKEYS and the service request with an expected host key.
      type: bool
    proven_by:
      description: V(handshake) when a handshake decided (it completed, or it failed on its own), V(prediction) when
        paramiko cannot stand in for this client and only the prediction speaks for it.
      type: str
    reason:
      description: Why the client is not proven (the failure, or why no handshake stands in for it); null when proven.
      type: str
    error:
      description: RV(clients[].error.category) and RV(clients[].error.message); null when proven, not attempted, or
        when the handshake completed but the probe could not learn the key it used to check it (then
        RV(clients[].proven_by=prediction) with the reason).
      type: dict
      contains:
        category:
          description: V(closed), V(no_banner), V(disconnected), V(incompatible), V(signature), V(host_key_mismatch),
            V(timeout), V(connection), V(protocol_error) or V(missing_library).
          type: str
        message:
          description: What went wrong.
          type: str
    negotiated:
      description: What the handshake negotiated, C(kex), C(host_key), C(cipher_c2s), C(cipher_s2c), C(mac_c2s),
        C(mac_s2c) (null for an AEAD cipher), C(compression_c2s), C(compression_s2c); as far as it got.
      type: dict
    host_key:
      description: C(algorithm), C(type), C(fingerprint_sha256) and C(expected) of the key the server signed with.
      type: dict
    strict_kex:
      description: Whether strict key exchange (C(kex-strict-*-v00@openssh.com)) was agreed.
      type: bool
    server_banner:
      description: The server's identification line.
      type: str
    dropped:
      description: Name-list key -> the client's names paramiko cannot speak (left out of the handshake).
      type: dict
    aliases:
      description: Client name -> the name paramiko proposed instead (C(curve25519-sha256)).
      type: dict
    notes:
      description: Where the handshake's proposal differs from the client's in other ways.
      type: list
      elements: str
    elapsed_ms:
      description: Milliseconds the handshake took.
      type: int
results:
  description: Batch mode, one entry per target, each with the single-mode keys (and C(failed), C(reason), C(msg)
    for a target that could not be checked at all).
  returned: batch mode
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.handshake import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    HAS_PARAMIKO,
    PARAMIKO_IMPORT_ERROR,
    HandshakeInputError,
    handshake_host,
    handshake_many,
    paramiko_version,
)

ARGUMENT_SPEC = dict(
    host=dict(type='str'),
    port=dict(type='int', default=22),
    clients=dict(type='list', elements='dict'),
    expected_fingerprints=dict(type='list', elements='str', default=[]),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    targets=dict(type='list', elements='dict', options=dict(
        host=dict(type='str', required=True),
        port=dict(type='int'),
        clients=dict(type='list', elements='dict'),
        expected_fingerprints=dict(type='list', elements='str'),
    )),
    concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[('host', 'targets')],
        required_one_of=[('host', 'targets')],
        supports_check_mode=True,
    )
    if not HAS_PARAMIKO:
        module.fail_json(msg=missing_required_lib('paramiko>=3.4'), exception=PARAMIKO_IMPORT_ERROR,
                         reason='missing_library')
    params = module.params
    if params['targets'] is not None:
        targets = [dict((key, value) for key, value in target.items() if value is not None)
                   for target in params['targets']]
        try:
            results = handshake_many(targets, params['clients'], params['expected_fingerprints'], params['timeout'],
                                     params['concurrency'], params['port'])
        except HandshakeInputError as exc:
            module.fail_json(msg=str(exc), reason='invalid_input')
        module.exit_json(changed=False, results=results, paramiko_version=paramiko_version())
    result = handshake_host(params['host'], params['port'], params['clients'], params['expected_fingerprints'],
                            params['timeout'])
    if result.pop('failed'):
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
