# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: probe_targets
short_description: Turn inventory hosts into the O(fleetcrypto.sftp.algorithms_info#module:targets) list
version_added: 1.0.0
description:
  - Maps inventory host names to C({host, port}) dicts for one batched, concurrent probe of the whole
    inventory from the controller.
  - The address is the first of the host's C(fleetcrypto_sftp_host), C(ansible_host), or its inventory name.
  - The port is the first of the host's C(fleetcrypto_sftp_port), C(ansible_port), or 22. Set
    C(fleetcrypto_sftp_port) where the SFTP service listens elsewhere than the SSH daemon Ansible manages
    the host through (for example ProFTPD mod_sftp on 2222).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: Inventory host names, for example C(ansible_play_hosts_all) or C(groups['sftp_servers']).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Probe every host of the play from the controller in one task
  fleetcrypto.sftp.algorithms_info:
    targets: "{{ ansible_play_hosts_all | fleetcrypto.sftp.probe_targets(hostvars) }}"
  delegate_to: localhost
  run_once: true
  register: fleet
'''

RETURN = r'''
_value:
  description: One C({host, port}) dict per input host, in the same order.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import validate_target


def _first(variables, names, default):
    for name in names:
        value = variables.get(name)
        if value not in (None, ''):
            return value
    return default


def probe_targets(hosts, hostvars):
    """Return ``[{'host': ..., 'port': ...}]`` for inventory ``hosts``."""
    targets = []
    for name in hosts:
        variables = hostvars[name] if name in hostvars else {}
        host = str(_first(variables, ('fleetcrypto_sftp_host', 'ansible_host'), name))
        port = _first(variables, ('fleetcrypto_sftp_port', 'ansible_port'), 22)
        try:
            port = int(port)
            validate_target(host, port)
        except (TypeError, ValueError) as exc:
            raise AnsibleFilterError('probe_targets: inventory host %s: %s' % (name, exc))
        targets.append({'host': host, 'port': port})
    return targets


class FilterModule(object):
    """Filters of fleetcrypto.sftp."""

    def filters(self):
        return {'probe_targets': probe_targets}
