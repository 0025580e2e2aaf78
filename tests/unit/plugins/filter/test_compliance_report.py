# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compliance_report filter: a fleet of real probe results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.compliance_report import FilterModule, compliance_report


@pytest.fixture
def fleet(probe_result):
    def result(ciphers):
        return probe_result(ciphers, banner='SSH-2.0-OpenSSH_9.2p1', address='192.0.2.10')
    return {
        'modern': result(['aes256-gcm@openssh.com', 'aes256-ctr']),
        'classic': result(['aes256-ctr', 'aes256-cbc']),
        'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'port': 22},
    }


def test_statuses_and_per_host_settings_from_hostvars(fleet):
    assert FilterModule().filters() == {'compliance_report': compliance_report}
    report = compliance_report(fleet, 'intermediate', ['openssh-9.2'], today='2026-11-24',
                               generated_at='2026-11-24T00:00:00+00:00')
    assert report['schema'] == 'fleetcrypto.sftp/compliance-report' and report['generated_at'].startswith('2026-11-24')
    assert {host['name']: host['status'] for host in report['hosts']} == {
        'modern': 'compliant', 'classic': 'non_compliant', 'gone': 'unreachable'}
    assert report['summary']['passed'] is False
    hostvars = {'classic': {'baseline_exceptions': [
        {'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'partner', 'expires': '2099-01-01'}]}}
    excepted = compliance_report(fleet, 'intermediate', ['openssh-9.2'], today='2026-11-24', hostvars=hostvars)
    assert {host['name']: host['status'] for host in excepted['hosts']}['classic'] == 'compliant'


def test_unknown_baseline_is_a_filter_error(fleet):
    with pytest.raises(AnsibleFilterError, match=r"^compliance_report: no built-in baseline 'nope'"):
        compliance_report(fleet, 'nope')
