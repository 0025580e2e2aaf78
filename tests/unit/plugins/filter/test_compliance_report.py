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
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile


def probe_result(ciphers):
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    offer['kex_algorithms'] = offer['kex_algorithms'][:-2] + ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    offer['server_host_key_algorithms'] = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519']
    offer['mac_algorithms_client_to_server'] = offer['mac_algorithms_server_to_client'] = [
        'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256']
    offer['encryption_algorithms_client_to_server'] = offer['encryption_algorithms_server_to_client'] = ciphers
    return {'failed': False, 'address': '192.0.2.10', 'port': 22, 'banner': 'SSH-2.0-OpenSSH_9.2p1', 'offer': offer}


FLEET = {
    'modern': probe_result(['aes256-gcm@openssh.com', 'aes256-ctr']),
    'classic': probe_result(['aes256-ctr', 'aes256-cbc']),
    'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'port': 22},
}


def test_statuses_and_per_host_settings_from_hostvars():
    assert FilterModule().filters() == {'compliance_report': compliance_report}
    report = compliance_report(FLEET, 'intermediate', ['openssh-9.2'], today='2026-11-24',
                               generated_at='2026-11-24T00:00:00+00:00')
    assert report['schema'] == 'fleetcrypto.sftp/compliance-report' and report['generated_at'].startswith('2026-11-24')
    assert {host['name']: host['status'] for host in report['hosts']} == {
        'modern': 'compliant', 'classic': 'non_compliant', 'gone': 'unreachable'}
    assert report['summary']['passed'] is False
    hostvars = {'classic': {'baseline_exceptions': [
        {'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'partner', 'expires': '2099-01-01'}]}}
    excepted = compliance_report(FLEET, 'intermediate', ['openssh-9.2'], today='2026-11-24', hostvars=hostvars)
    assert {host['name']: host['status'] for host in excepted['hosts']}['classic'] == 'compliant'


def test_unknown_baseline_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"^compliance_report: no built-in baseline 'nope'"):
        compliance_report(FLEET, 'nope')
