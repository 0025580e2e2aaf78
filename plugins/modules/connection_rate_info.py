#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: connection_rate_info
short_description: Measure how many SSH connections per second one source gets answered (DHEat exposure)
version_added: 1.0.0
description:
  - Opens TCP connections to an SSH server from a few concurrent workers until O(connections) were answered with
    an SSH identification line or O(seconds) are up, counts those answered, those refused with sshd's
    C(Exceeded MaxStartups) and the others (refused, reset, closed, silent, not SSH), and closes each at once. No
    key exchange is started, so the server computes no Diffie-Hellman for it.
  - This is the connection-rate part of ssh-audit 3.9's DHEat test (C(dheat.py); its standard audit uses
    1.5 s, 38 connections and 3 concurrent sockets, the defaults here), which warns above 20 connections per
    second when the server offers Diffie-Hellman key exchange (CVE-2002-20001). The C(throttling) check of the
    baselines rates a measured rate the same way when the result is passed to it as C(connection_rate).
  - Bounded in every dimension (O(connections), O(max_attempts), O(seconds), O(concurrency), O(timeout)). It still opens many
    connections in a short time; run it only against servers you are responsible for, and expect the server's
    own throttling (C(MaxStartups), C(PerSourcePenalties)) to answer part of them.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  host:
    description: The server's name or address.
    type: str
    required: true
  port:
    description: The server's port.
    type: int
    default: 22
  connections:
    description: Stop after this many answered connections (1 to 200).
    type: int
    default: 38
  max_attempts:
    description: At most this many connections in all, answered or not (1 to 2000).
    type: int
    default: 1000
  seconds:
    description: At most this long, in seconds (0.1 to 10); no new connection is started after it.
    type: float
    default: 1.5
  concurrency:
    description: Concurrent connections (1 to 16).
    type: int
    default: 3
  timeout:
    description: Bound of each connect and of each read of the identification line, in seconds (0.1 to 10).
    type: float
    default: 5.0
'''

EXAMPLES = r'''
- name: Is this server answering more than 20 connections per second from one source?
  fleetcrypto.sftp.connection_rate_info:
    host: sftp.example.com
  delegate_to: localhost
  register: rate

- name: Judge it with the baseline's throttling check
  ansible.builtin.debug:
    msg: "{{ probe | combine({'connection_rate': rate}) | fleetcrypto.sftp.evaluate('modern') }}"
'''

RETURN = r'''
host:
  description: The host measured.
  returned: always
  type: str
port:
  description: The port measured.
  returned: always
  type: int
attempted:
  description: Connections started.
  returned: always
  type: int
opened:
  description: Connections answered with an SSH identification line.
  returned: always
  type: int
throttled:
  description: Connections answered C(Exceeded MaxStartups) (sshd's refusal under MaxStartups/PerSourceMaxStartups).
  returned: always
  type: int
refused:
  description: Connections refused, reset, closed, timed out or answered with something else.
  returned: always
  type: int
elapsed_s:
  description: Seconds the measurement took.
  returned: always
  type: float
rate_per_second:
  description: Opened connections per second.
  returned: always
  type: float
max_safe_rate:
  description: ssh-audit 3.9's threshold, 20 connections per second.
  returned: always
  type: float
exceeds_safe_rate:
  description: Whether RV(rate_per_second) is above RV(max_safe_rate).
  returned: always
  type: bool
source:
  description: Where the method and the threshold come from.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.rate import RateError, measure


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type='str', required=True),
            port=dict(type='int', default=22),
            connections=dict(type='int', default=38),
            max_attempts=dict(type='int', default=1000),
            seconds=dict(type='float', default=1.5),
            concurrency=dict(type='int', default=3),
            timeout=dict(type='float', default=5.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = measure(params['host'], params['port'], params['connections'], params['seconds'],
                         params['concurrency'], params['timeout'], params['max_attempts'])
    except RateError as exc:
        module.fail_json(msg='connection_rate_info: %s' % exc)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
