# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The verify_offer filter: a live offer against a remediation plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.remediate import remediate
from ansible_collections.fleetcrypto.sftp.plugins.filter.verify_offer import FilterModule, verify_offer


CLIENTS = ['openssh-9.2', 'jsch-0.1.54-restricted-jce']


@pytest.fixture
def plan(fixture_file):
    return remediate(fixture_file('classic-server.yml'), 'intermediate', CLIENTS, fixture_file('openssh-9.2-supported.yml'))


def test_offer_equal_to_the_plan_passes_and_the_old_offer_does_not(plan, fixture_file):
    assert FilterModule().filters() == {'verify_offer': verify_offer}
    classic = fixture_file('classic-server.yml')
    live = dict(plan['target'], banner=classic['banner'], compression=['none'])
    live['host_key'] = list(reversed(live['host_key']))  # host keys are compared as a set
    assert verify_offer(live, plan, CLIENTS) == {'ok': True, 'mismatches': [], 'client_failures': {}}
    old = verify_offer(classic, plan, CLIENTS)
    assert old['ok'] is False
    assert {item['list'] for item in old['mismatches']} >= {'encryption_algorithms_client_to_server', 'kex_algorithms'}
    assert list(old['client_failures']) == ['jsch-0.1.54-restricted-jce']


def test_a_plan_without_target_is_a_filter_error(fixture_file):
    with pytest.raises(AnsibleFilterError, match=r'^verify_offer: '):
        verify_offer(fixture_file('classic-server.yml'), {}, CLIENTS)
