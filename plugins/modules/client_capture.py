#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: client_capture
short_description: Capture what real SSH clients propose, as ready-to-use client profiles
version_added: 1.0.0
description:
  - Listens on an address and port, waits (bounded by O(timeout)) for up to O(count) SSH clients to connect,
    and records each client's identification line and SSH_MSG_KEXINIT, which every SSH-2 client sends in the
    clear right after connecting (RFC 4253 sections 4.2 and 7.1).
  - Returns each as a client profile that P(fleetcrypto.sftp.negotiate#filter) accepts, so an operator can
    capture a partner's real client (point it at this listener once) instead of guessing its algorithms.
  - Never completes a key exchange and never asks for credentials; each connection is closed as soon as
    the client's KEXINIT has been read. Connections that are not SSH clients are reported in RV(errors).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
attributes:
  check_mode:
    support: full
    description: The module changes nothing; it listens the same way in check mode.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  listen_address:
    description:
      - Address to listen on. The default accepts only clients on the same machine; listen on another
        interface only where the partner's client can reach it and nobody else should.
    type: str
    default: 127.0.0.1
  port:
    description:
      - TCP port to listen on, from 1 to 65535. V(0) listens on any free port; RV(port) tells which.
    type: int
    default: 2222
  count:
    description: How many clients to record before returning (1 to 100).
    type: int
    default: 1
  timeout:
    description: Seconds to wait in all (at most 86400); the module returns what it has when they run out.
    type: float
    default: 60
  per_client_timeout:
    description: Seconds one connection may take to deliver its identification line and KEXINIT (at most 3600).
    type: float
    default: 10
  server_banner:
    description:
      - The identification line the listener sends. Some clients adapt their proposal to the server's
        software (OpenSSH's compatibility flags), so use the banner of the server the client normally meets.
    type: str
    default: SSH-2.0-OpenSSH_9.9
  fail_on_timeout:
    description: Fail when fewer than O(count) clients were recorded before O(timeout).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Wait up to 5 minutes for the partner to run their transfer job against port 2222 of this host
  fleetcrypto.sftp.client_capture:
    listen_address: 0.0.0.0
    port: 2222
    timeout: 300
  register: partner

- name: Will the partner's client work with our SFTP server?
  ansible.builtin.debug:
    msg: "{{ sftp_probe | fleetcrypto.sftp.negotiate(partner.clients[0].profile) }}"
'''

RETURN = r'''
clients:
  description: One entry per recorded client, in order of arrival.
  returned: always
  type: list
  elements: dict
  contains:
    peer:
      description: The client's address and port.
      type: str
      sample: 127.0.0.1:51234
    banner:
      description: The client's identification line.
      type: str
      sample: SSH-2.0-JSCH-0.1.54
    software:
      description: Product, version, comments and protocol parsed from the banner.
      type: dict
    offer:
      description: The client's KEXINIT name-lists (the proposal shape), in its order.
      type: dict
    strict_kex:
      description: The client offers C(kex-strict-c-v00@openssh.com).
      type: bool
    ext_info:
      description: The client offers C(ext-info-c).
      type: bool
    profile:
      description: The same as a client profile (C(name), C(banner), C(software), C(source) and the ten lists).
      type: dict
errors:
  description: Connections that did not deliver a client KEXINIT, with a reason and message.
  returned: always
  type: list
  elements: dict
  sample: [{peer: "127.0.0.1:40000", reason: not_ssh, msg: "the service is an HTTP service, not SSH"}]
timed_out:
  description: The timeout ran out before O(count) clients were recorded.
  returned: always
  type: bool
port:
  description: The port that was listened on.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import (
    DEFAULT_ADDRESS,
    DEFAULT_COUNT,
    DEFAULT_PER_CLIENT_TIMEOUT,
    DEFAULT_PORT,
    DEFAULT_SERVER_BANNER,
    DEFAULT_TIMEOUT,
    capture_clients,
)

# Types and defaults only: module_utils.capture checks the values (ranges, the banner) and raises ValueError.
ARGUMENT_SPEC = dict(
    listen_address=dict(type='str', default=DEFAULT_ADDRESS),
    port=dict(type='int', default=DEFAULT_PORT),
    count=dict(type='int', default=DEFAULT_COUNT),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    per_client_timeout=dict(type='float', default=DEFAULT_PER_CLIENT_TIMEOUT),
    server_banner=dict(type='str', default=DEFAULT_SERVER_BANNER),
    fail_on_timeout=dict(type='bool', default=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        result = capture_clients(address=params['listen_address'], port=params['port'], count=params['count'],
                                 timeout=params['timeout'], per_client_timeout=params['per_client_timeout'],
                                 server_banner=params['server_banner'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='cannot listen on %s port %d: %s' % (params['listen_address'], params['port'],
                                                                  exc.strerror or exc))
    if result['timed_out'] and params['fail_on_timeout']:
        module.fail_json(msg='only %d of %d clients connected within %g s'
                         % (len(result['clients']), params['count'], params['timeout']), **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
