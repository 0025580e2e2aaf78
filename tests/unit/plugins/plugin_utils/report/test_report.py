# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compliance report model and its writers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import SCHEMA_VERSION, build_report
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import FORMATS, render, to_html

CLIENTS = ['openssh-9.2', 'jsch-0.1.54-restricted-jce']


def probe_result(ciphers=None, banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', port=22):
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    offer['kex_algorithms'] = offer['kex_algorithms'][:-2] + ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    offer['server_host_key_algorithms'] = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519']
    offer['mac_algorithms_client_to_server'] = offer['mac_algorithms_server_to_client'] = [
        'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256']
    if ciphers:
        offer['encryption_algorithms_client_to_server'] = offer['encryption_algorithms_server_to_client'] = ciphers
    return {'failed': False, 'address': '127.0.0.1', 'port': port, 'banner': banner,
            'software': {'product': 'OpenSSH', 'version': '9.2p1'}, 'offer': offer}


FLEET = {
    'good': probe_result(),
    'classic': probe_result(['aes256-ctr', 'aes256-cbc'], port=2222),
    'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'address': '127.0.0.1', 'port': 1},
}


@pytest.fixture(scope='module')
def report():
    return build_report(FLEET, 'intermediate', CLIENTS, today='2026-11-24', generated_at='2026-11-24T00:00:00+00:00')


def test_model_statuses_and_summary(report):
    assert report['schema_version'] == SCHEMA_VERSION and report['clients'] == CLIENTS
    status = {host['name']: host['status'] for host in report['hosts']}
    assert status == {'good': 'compliant', 'classic': 'non_compliant', 'gone': 'unreachable'}
    assert report['summary'] == {'hosts': 3, 'compliant': 1, 'non_compliant': 1, 'unreachable': 1,
                                 'baseline_failures': 1, 'predictions': 4, 'client_failures': 1,
                                 'terrapin_exposed': 0, 'passed': False}
    classic = report['hosts'][1]
    assert [item['algorithm'] for item in classic['evaluation']['violations']] == ['aes256-cbc']
    jsch = classic['clients'][1]
    assert jsch['compatible'] is False and 'Algorithm negotiation fail' in jsch['failures'][0]['message']
    assert classic['remediation']['target']['ciphers'] == ['aes256-ctr']  # capabilities from the offer only
    assert classic['remediation']['ok'] is False  # JSch needs aes128-ctr, which this offer does not show


def test_unreachable_is_never_compliant():
    only_gone = build_report({'gone': FLEET['gone']}, 'intermediate', CLIENTS)
    assert only_gone['summary']['passed'] is False and only_gone['hosts'][0]['clients'][0]['compatible'] is None


def test_per_host_settings_override_defaults():
    entries = [{'name': 'classic', 'result': FLEET['classic'], 'clients': ['openssh-9.2'],
                'exceptions': [{'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'r', 'expires': '2099-01-01'}]}]
    result = build_report(entries, 'intermediate', CLIENTS)
    assert result['hosts'][0]['status'] == 'compliant' and result['clients'] == ['openssh-9.2']


def test_json_roundtrip(report):
    assert json.loads(render(report, 'json')) == report


def test_csv_has_a_row_per_host_and_client_and_defuses_formulas(report):
    rows = list(csv.DictReader(io.StringIO(render(report, 'csv'))))
    assert len(rows) == 6
    assert {(row['host'], row['client'], row['compatible']) for row in rows} >= {
        ('classic', 'jsch-0.1.54-restricted-jce', 'False'), ('gone', 'openssh-9.2', '')}
    hostile = build_report({'=HYPERLINK("x")': FLEET['good']}, 'intermediate', ['openssh-9.2'])
    assert list(csv.DictReader(io.StringIO(render(hostile, 'csv'))))[0]['host'].startswith("'=")


def test_junit_counts(report):
    root = ET.fromstring(render(report, 'junit'))
    assert root.get('tests') == '9' and root.get('failures') == '2' and root.get('errors') == '3'
    classic = root.find("testsuite[@name='classic']")
    assert classic.find("testcase[@name='client jsch-0.1.54-restricted-jce']/failure") is not None
    assert classic.find("testcase[@name='baseline intermediate']/failure") is not None


def test_markdown_lists_hosts_and_reasons(report):
    text = render(report, 'markdown')
    assert '| classic (127.0.0.1:2222) | non-compliant |' in text
    assert 'client **jsch-0.1.54-restricted-jce** cannot connect' in text
    assert 'Unreachable (refused)' in text


def test_html_is_self_contained_and_escapes_server_text():
    hostile = dict(FLEET, evil=probe_result(banner='SSH-2.0-</script><img src=x onerror=alert(1)>'))
    page = render(build_report(hostile, 'intermediate', CLIENTS), 'html')
    assert '<img src=x' not in page and '</script><img' not in page
    assert not re.search(r'(src|href)=["\']?(https?:)?//', page)  # no external assets
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)['summary']['hosts'] == 4


@pytest.mark.parametrize('fmt', FORMATS)
def test_every_format_renders_an_empty_fleet(fmt):
    assert render(build_report({}, 'modern', []), fmt)


def test_unknown_format():
    with pytest.raises(ValueError, match='known: json'):
        render(build_report({}, 'modern', []), 'pdf')


def test_html_for_a_large_fleet_lists_failing_hosts_first():
    hosts = dict(('ok%02d' % index, FLEET['good']) for index in range(5))
    hosts.update(FLEET)
    report = build_report(hosts, 'intermediate', CLIENTS)
    page = to_html(report, max_hosts=3)
    rows = re.findall(r'<tr data-host="([^"]+)"', page)
    assert rows == ['classic', 'gone', 'ok00']
    assert '5 compliant hosts are not listed' in page
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    assert data['hosts_omitted'] == 5 and data['summary']['hosts'] == 8
