# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's upgrade section and post-quantum columns (schema 1.3), on conftest.py's fleet with two server
profiles of its own: ``debian-12`` (the fleet's probe lists) and ``openssh-10.0`` (the same with sshd 10.0's
default kex, myproposal.h KEX_SERVER_KEX at V_10_0_P1)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.filter.compliance_report import compliance_report
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict import server_profiles
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import ReportError, build_report
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import render

KEX_100 = ['mlkem768x25519-sha256', 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com',
           'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
           'ecdh-sha2-nistp521', 'ext-info-s', 'kex-strict-s-v00@openssh.com']
DH_ONLY = {'name': 'dh-only', 'software': {'product': 'OpenSSH', 'version': '9.2p1'},
           'kex': ['diffie-hellman-group14-sha256'], 'host_key': ['rsa-sha2-256'], 'ciphers': ['aes256-ctr'],
           'macs': ['hmac-sha2-256'], 'compression': ['none']}
GEN = '2026-12-04T00:00:00+00:00'


@pytest.fixture
def profiles(tmp_path, monkeypatch, probe_result):
    root = tmp_path / 'data'
    (root / 'server_profiles').mkdir(parents=True)
    for kind in ('client_profiles', 'baselines'):
        os.symlink(os.path.join(data.DATA_DIR, kind), str(root / kind))
    offer = probe_result()['offer']
    supported = {'kex': [name for name in offer['kex_algorithms'] if 'strict' not in name and 'ext-info' not in name]
                 + KEX_100[:1],
                 'host_key': offer['server_host_key_algorithms'] + ['ssh-rsa'],
                 'cipher': offer['encryption_algorithms_client_to_server'] + ['aes256-cbc'],
                 'mac': offer['mac_algorithms_client_to_server'], 'compression': ['none', 'zlib@openssh.com']}
    base = dict(offer, product='OpenSSH', source='test', host_keys=['rsa', 'ecdsa', 'ed25519'], supported=supported)
    for name, content in (('debian-12', dict(base, version='9.2p1', banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7')),
                          ('openssh-10.0', dict(base, version='10.0p1', banner='SSH-2.0-OpenSSH_10.0',
                                                kex_algorithms=KEX_100))):
        (root / 'server_profiles' / (name + '.yml')).write_text(yaml.safe_dump(dict(content, name=name)))
    monkeypatch.setattr(data, 'DATA_DIR', str(root))
    monkeypatch.setattr(data, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_BY_RELEASE', {})


def fleet(probe_result):
    return {
        'good': probe_result(),
        'classic': probe_result(['aes256-ctr', 'aes256-cbc'], port=2222),
        'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'address': '127.0.0.1', 'port': 1},
    }


def test_upgrade_section_summary_and_pq_per_connection(profiles, probe_result):
    report = build_report(fleet(probe_result), 'intermediate', ['openssh-9.2', DH_ONLY], generated_at=GEN,
                          upgrade_to='openssh-10.0')
    assert report['schema_version'] == '1.3' and report['upgrade_targets'] == ['openssh-10.0']
    hosts = {host['name']: host for host in report['hosts']}
    good = hosts['good']['upgrade']
    assert good['target'] == 'openssh-10.0' and good['current'] == 'debian-12'
    assert {item['assumption'] for item in good['assumptions']} == {'release_defaults'}
    assert good['breaks'] == ['dh-only'] and good['daemon_refuses_to_start'] is False
    assert [(item['client'], item['compatible'], item['post_quantum'], item['breaks']) for item in good['clients']] \
        == [('openssh-9.2', True, True, False), ('dh-only', False, False, True)]
    assert good['clients'][1]['failures'][0]['category'] == 'kex'
    classic = {item['category']: item['assumption'] for item in hosts['classic']['upgrade']['assumptions']}
    assert classic['cipher'] == 'explicit_kept' and classic['kex'] == 'release_defaults'
    gone = hosts['gone']['upgrade']
    assert gone['message'].startswith('host unreachable') and gone['clients'][0]['compatible'] is None
    today = {item['client']: item for item in hosts['good']['clients']}
    assert today['openssh-9.2']['post_quantum'] is True and today['dh-only']['post_quantum'] is False
    assert today['dh-only']['compatible'] and today['dh-only']['warnings'] == []
    summary = report['summary']
    assert summary['broken_by_upgrade'] == 2 and summary['upgrade_hosts'] == 3 and summary['fixed_by_upgrade'] == 0
    assert summary['connections_without_post_quantum'] == 2 and summary['upgrade_daemon_failures'] == 0

    markdown = render(report, 'markdown').split('\n')
    assert ('| host | status | baseline | openssh-9.2 | openssh-9.2 (after upgrade to openssh-10.0) | dh-only | '
            'dh-only (after upgrade to openssh-10.0) |') in markdown
    assert '| good (127.0.0.1:22) | compliant | pass | ok (PQ) | ok (PQ) | ok (not PQ) | BREAKS |' in markdown
    assert '## Upgrade impact' in markdown and 'Today taken as **debian-12**.' in markdown
    rows = [row for row in csv.DictReader(io.StringIO(render(report, 'csv'))) if row['kind'] == 'required']
    assert [(row['host'], row['client'], row['post_quantum'], row['upgrade_compatible'], row['broken_by_upgrade'])
            for row in rows[:2]] == [('good', 'openssh-9.2', 'True', 'True', 'False'),
                                     ('good', 'dh-only', 'False', 'False', 'True')]
    page = render(report, 'html')
    assert '<th class="upgrade">dh-only<br><small>after upgrade to openssh-10.0</small></th>' in page
    assert '<td class="after upgrade-breaks" data-host="good" data-client="dh-only" title="after upgrade to ' \
           'openssh-10.0: cannot connect: ' in page
    assert '<div class="card" id="card-broken_by_upgrade"><b>2</b>connections broken by the upgrade</div>' in page
    assert '<h2>Upgrade impact</h2>' in page and 'class="upgrade-assumptions"' in page
    junit = ET.fromstring(render(report, 'junit'))
    broken = junit.find("testsuite[@name='good']/testcase[@name='client dh-only after upgrade to openssh-10.0']")
    assert broken.find('failure').get('type') == 'upgrade'


def test_per_host_target_from_hostvars_and_errors(profiles, probe_result):
    hostvars = {'good': {'fleetcrypto_upgrade_to': ''},
                'classic': {'fleetcrypto_upgrade_to': 'openssh-10.0', 'fleetcrypto_upgrade_from': 'openssh-10.0'},
                'gone': {}}
    report = compliance_report(fleet(probe_result), 'intermediate', [DH_ONLY], generated_at=GEN,
                               hostvars=hostvars)
    assert [host['upgrade'] and host['upgrade']['target'] for host in report['hosts']] == [None, 'openssh-10.0', None]
    assert report['summary']['upgrade_hosts'] == 1
    classic = report['hosts'][1]['upgrade']   # said to run 10.0 already: its kex differs, so it is a setting
    assert classic['current'] == 'openssh-10.0'
    assert [item['assumption'] for item in classic['assumptions']][:1] == ['explicit_kept']
    with pytest.raises(ReportError, match='host good: fleetcrypto_upgrade_to: .*nope-1.0'):
        build_report({'good': probe_result()}, 'intermediate', [DH_ONLY], upgrade_to='nope-1.0')
    without = build_report({'good': probe_result()}, 'intermediate', [DH_ONLY], generated_at=GEN)
    assert without['hosts'][0]['upgrade'] is None and without['upgrade_targets'] == []
    assert '## Upgrade impact' not in render(without, 'markdown')
    assert 'after upgrade' not in render(without, 'html')
