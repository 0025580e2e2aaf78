# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The observed_impact filter, and the observed clients in compliance_report (hostvars' observed exceptions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.compliance_report import compliance_report
from ansible_collections.fleetcrypto.sftp.plugins.filter.observed_impact import FilterModule, observed_impact
from ansible_collections.fleetcrypto.sftp.plugins.filter.remediate import remediate
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile

TODAY = '2026-11-24'


@pytest.fixture
def stored():
    """What playbooks/observe.yml stores for a host where a restricted-JCE JSch connected."""
    profile = load_profile('jsch-0.1.54-restricted-jce')
    client = {'banner': 'SSH-2.0-JSCH-0.1.54', 'proposal': {key: profile[key] for key in NAME_LIST_KEYS},
              'hassh': '312582cf316cc624febf82f5e389cf92', 'connections': 2,
              'addresses': [{'address': '127.0.0.1', 'count': 2}]}
    return {'host': 'main', 'clients': [client], 'failures': [], 'capture': {'capture_method': 'tcpdump'}}


def test_filter_refuses_a_lock_out_and_accepts_an_exception(probe_result, openssh_92_supported, stored):
    assert FilterModule().filters() == {'observed_impact': observed_impact}
    plan = remediate(probe_result(), 'modern', ['openssh-9.2'], openssh_92_supported, None, TODAY)
    result = observed_impact(stored, probe_result(), plan, [], TODAY)
    assert result['ok'] is False and result['locked_out'] == ['observed JSch_0.1.54 #312582cf']
    assert 'Algorithm negotiation fail: algorithmName="kex"' in result['message']
    exception = {'hassh': '312582cf', 'reason': 'accepted, ticket 9', 'expires': '2099-01-01'}
    accepted = observed_impact(stored, probe_result(), plan, [exception], TODAY)
    assert accepted['ok'] is True and accepted['accepted'] == ['observed JSch_0.1.54 #312582cf']


@pytest.mark.parametrize('args, message', [
    (('x',), r'^observed_impact: observed clients must be a list'),
    (([], None, {'no': 'target'}), r'^observed_impact: plan must be a remediate result'),
    (([], None, None, [{'hassh': 'abcdef12'}]), r'^observed_impact: observed exceptions\[0\] lacks reason, expires'),
    (([], None, None, None, '24.11.2026'), r'^observed_impact: today must be a date written YYYY-MM-DD'),
])
def test_bad_input_is_a_filter_error(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        observed_impact(*args)


def test_compliance_report_takes_observed_clients_and_hostvars_exceptions(probe_result, stored):
    hosts = {'main': probe_result()}
    report = compliance_report(hosts, 'modern', ['openssh-9.2'], today=TODAY, observed={'main': stored})
    main = report['hosts'][0]
    assert report['observed_clients'] == ['observed JSch_0.1.54 #312582cf']
    assert main['observed_clients'][0]['locked_out'] is True and report['summary']['observed_locked_out'] == 1
    hostvars = {'main': {'baseline_observed_exceptions': [
        {'banner': 'SSH-2.0-JSCH-*', 'reason': 'retired', 'expires': '2099-01-01'}]}}
    accepted = compliance_report(hosts, 'modern', ['openssh-9.2'], today=TODAY, hostvars=hostvars,
                                 observed={'main': stored})
    assert accepted['hosts'][0]['observed_clients'][0]['accepted'] is True
    assert accepted['summary']['observed_locked_out'] == 0
    with pytest.raises(AnsibleFilterError, match=r'^compliance_report: observed must be a dict'):
        compliance_report(hosts, 'modern', [], observed=['main'])
