# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediate filter: the lists a real server should get for a baseline and required clients."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.remediate import FilterModule, remediate


def test_target_keeps_the_restricted_jsch_client_working(fixture_file):
    assert FilterModule().filters() == {'remediate': remediate}
    clients = ['openssh-9.2', 'jsch-0.1.54-restricted-jce']
    plan = remediate(fixture_file('classic-server.yml'), 'intermediate', clients, fixture_file('openssh-9.2-supported.yml'))
    assert plan['ok'] is True and plan['conflicts'] == []
    assert 'aes128-ctr' in plan['target']['ciphers'] and 'aes256-cbc' not in plan['target']['ciphers']
    assert all(plan['predictions'][name]['compatible'] for name in clients)
    assert plan['evaluation']['passed'] is True


def test_unknown_baseline_is_a_filter_error(fixture_file):
    with pytest.raises(AnsibleFilterError, match=r"^remediate: no built-in baseline 'nope'"):
        remediate(fixture_file('classic-server.yml'), 'nope', ['openssh-9.2'])
