# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The throttling_plan filter: what the baseline role writes for throttling, and the check after sshd -T."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.throttling_plan import FilterModule, throttling_plan
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import parse_sshd_T, \
    throttling_settings


@pytest.fixture
def daemon(fixture_file):
    text = fixture_file('openssh-9.2-sshd-T-defaults.txt')
    return {'server_type': 'openssh', 'version': '9.2', 'throttling': throttling_settings(parse_sshd_T(text), '9.2'),
            'sshd_T': text}


def test_plan_and_verification(daemon):
    assert FilterModule().filters() == {'throttling_plan': throttling_plan}
    result = throttling_plan(daemon, 'modern', {'per_source_max_startups': 2})
    assert [(line['keyword'], line['value']) for line in result['lines']] == [
        ('MaxStartups', '10:30:100'), ('PerSourceMaxStartups', '2')]
    assert result['skipped'][0]['keyword'] == 'PerSourcePenalties' and result['mismatches'] == []
    # The defaults' sshd -T shows MaxStartups 10:30:100 but PerSourceMaxStartups none.
    checked = throttling_plan(daemon, 'modern', {'per_source_max_startups': 2}, daemon['sshd_T'])
    assert checked['mismatches'] == [{'keyword': 'PerSourceMaxStartups', 'expected': '2', 'effective': 'none'}]
    assert throttling_plan(daemon, 'fips-140-3') == {'lines': [], 'skipped': [], 'limits': None, 'mismatches': []}


@pytest.mark.parametrize('daemon_result, overrides, message', [
    ({'server_type': 'dropbear'}, None, 'daemon_info result'),
    ('openssh', None, 'daemon_info result'),
    ({'server_type': 'openssh'}, {'max_startups': '10:30:100\nPermitRootLogin yes'}, 'start:rate:full'),
    ({'server_type': 'openssh'}, {'bogus': 1}, 'unknown setting'),
    ({'server_type': 'openssh'}, 'max_startups=1', 'mapping'),
])
def test_bad_input_is_refused(daemon_result, overrides, message):
    with pytest.raises(AnsibleFilterError, match=message):
        throttling_plan(daemon_result, 'intermediate', overrides)
