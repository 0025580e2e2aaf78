# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe_targets filter: inventory hosts to algorithms_info targets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.probe_targets import FilterModule, probe_targets


def test_address_and_port_precedence():
    assert FilterModule().filters() == {'probe_targets': probe_targets}
    hostvars = {
        'sftp1': {'ansible_host': '192.0.2.10', 'ansible_port': 2200, 'fleetcrypto_sftp_port': '2222'},
        'sftp2': {'fleetcrypto_sftp_host': '192.0.2.11', 'ansible_host': '192.0.2.99', 'fleetcrypto_sftp_port': ''},
        'sftp3': {},
    }
    assert probe_targets(['sftp1', 'sftp2', 'sftp3', 'not-in-hostvars'], hostvars) == [
        {'host': '192.0.2.10', 'port': 2222},
        {'host': '192.0.2.11', 'port': 22},
        {'host': 'sftp3', 'port': 22},
        {'host': 'not-in-hostvars', 'port': 22},
    ]


@pytest.mark.parametrize('variables,message', [
    ({'ansible_port': 'ssh'}, 'invalid literal'),
    ({'ansible_port': 70000}, 'must be an integer from 1 to 65535'),
    ({'ansible_host': 'sftp1\nPermitRootLogin yes'}, 'invalid host'),
])
def test_bad_inventory_values_are_filter_errors(variables, message):
    with pytest.raises(AnsibleFilterError, match=r'^probe_targets: inventory host sftp1: .*%s' % message):
        probe_targets(['sftp1'], {'sftp1': variables})
