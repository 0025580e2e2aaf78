# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report_render filter: every format of a real report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.compliance_report import compliance_report
from ansible_collections.fleetcrypto.sftp.plugins.filter.report_render import FilterModule, report_render
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile


@pytest.fixture(scope='module')
def report():
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    hosts = {'sftp1': {'failed': False, 'address': '192.0.2.10', 'port': 22, 'banner': 'SSH-2.0-OpenSSH_9.2p1',
                       'offer': offer},
             'sftp2': {'failed': True, 'reason': 'timeout', 'msg': 'no TCP connection', 'port': 22}}
    return compliance_report(hosts, 'intermediate', ['openssh-9.2', 'putty-0.78'], generated_at='2026-11-24T00:00:00+00:00')


def test_every_format(report):
    assert FilterModule().filters() == {'report_render': report_render}
    assert json.loads(report_render(report, 'json')) == report
    page = report_render(report, 'html')
    assert page.lstrip().lower().startswith('<!doctype html') and 'sftp2' in page and '2026-11-24T00:00:00+00:00' in page
    assert '| sftp1 (192.0.2.10:22) |' in report_render(report, 'markdown')
    rows = list(csv.DictReader(io.StringIO(report_render(report, 'csv'))))
    assert [(row['host'], row['client']) for row in rows if row['kind'] != 'check'] == [
        ('sftp1', 'openssh-9.2'), ('sftp1', 'putty-0.78'), ('sftp2', 'openssh-9.2'), ('sftp2', 'putty-0.78')]
    # one row per check of the reachable host (a finding, or the check's status), none for the unreachable one
    checks = [(row['host'], row['check'], row['check_status']) for row in rows if row['kind'] == 'check']
    assert {check for _host, check, _status in checks} == {'terrapin', 'post_quantum', 'host_keys', 'moduli',
                                                           'throttling'}
    assert {host for host, _check, _status in checks} == {'sftp1'}
    assert ('sftp1', 'host_keys', 'not_run') in checks
    junit = ET.fromstring(report_render(report, 'junit').split('\n', 1)[1])
    assert [suite.get('name') for suite in junit] == ['sftp1', 'sftp2']


def test_unknown_format_is_a_filter_error(report):
    with pytest.raises(AnsibleFilterError, match=r"^report_render: unknown report format 'pdf'"):
        report_render(report, 'pdf')
