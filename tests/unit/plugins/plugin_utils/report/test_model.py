# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compliance report model (report/model.py). The fleet and its report come from conftest.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import SCHEMA, SCHEMA_VERSION, \
    build_report

CBC_REASON = 'CBC mode in SSH allows plaintext recovery'


def test_model_statuses_and_summary(report, clients):
    assert report['schema_version'] == SCHEMA_VERSION and report['clients'] == clients
    assert report['schema'] == SCHEMA and report['baseline'] == 'intermediate'
    assert report['generated_at'] == '2026-11-24T00:00:00+00:00'
    status = {host['name']: host['status'] for host in report['hosts']}
    assert status == {'good': 'compliant', 'classic': 'non_compliant', 'gone': 'unreachable'}
    assert [host['name'] for host in report['hosts']] == ['good', 'classic', 'gone']  # inventory order
    assert report['summary'] == {'hosts': 3, 'compliant': 1, 'non_compliant': 1, 'unreachable': 1,
                                 'baseline_failures': 1, 'predictions': 4, 'client_failures': 1,
                                 'terrapin_exposed': 0, 'passed': False}

    good = report['hosts'][0]
    assert good['evaluation']['passed'] is True and good['evaluation']['violations'] == []
    assert good['evaluation']['counts'] == {'fail': 0, 'warn': 0, 'excepted': 0}
    assert [(item['client'], item['compatible']) for item in good['clients']] == [(name, True) for name in clients]
    assert good['clients'][0]['negotiated']['cipher_c2s'] == 'chacha20-poly1305@openssh.com'
    assert good['clients'][1]['negotiated']['kex'] == 'ecdh-sha2-nistp256'
    assert good['strict_kex'] is True and good['terrapin_exposed'] is False and good['remediation'] is None
    assert (good['address'], good['port'], good['banner']) == (
        '127.0.0.1', 22, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3')

    classic = report['hosts'][1]
    assert [item['algorithm'] for item in classic['evaluation']['violations']] == ['aes256-cbc']
    violation = classic['evaluation']['violations'][0]
    assert (violation['category'], violation['rating'], violation['reason']) == ('ciphers', 'fail', CBC_REASON)
    assert violation['lists'] == ['encryption_algorithms_client_to_server', 'encryption_algorithms_server_to_client']
    assert classic['evaluation']['counts'] == {'fail': 1, 'warn': 0, 'excepted': 0}
    assert classic['clients'][0]['compatible'] is True
    assert classic['clients'][0]['negotiated']['cipher_c2s'] == 'aes256-ctr'
    jsch = classic['clients'][1]
    assert jsch['compatible'] is False and 'Algorithm negotiation fail' in jsch['failures'][0]['message']
    assert [(item['category'], item['direction']) for item in jsch['failures']] == [
        ('cipher', 'c2s'), ('cipher', 's2c')]
    assert jsch['failures'][0]['message'] == (
        'Algorithm negotiation fail: algorithmName="cipher.c2s" jschProposal="aes128-ctr,aes128-cbc,3des-ctr,'
        '3des-cbc,blowfish-cbc" serverProposal="aes256-ctr,aes256-cbc"')
    assert jsch['negotiated']['cipher_c2s'] is None and jsch['negotiated']['kex'] == 'ecdh-sha2-nistp256'
    assert classic['remediation']['target']['ciphers'] == ['aes256-ctr']  # capabilities from the offer only
    assert classic['remediation']['ok'] is False  # JSch needs aes128-ctr, which this offer does not show
    assert [(item['client'], item['category']) for item in classic['remediation']['conflicts']] == [
        ('jsch-0.1.54-restricted-jce', 'ciphers')]
    assert classic['remediation']['additions'] == []
    assert classic['remediation']['capabilities_assumed_from_offer'] == ['kex', 'host_key', 'ciphers', 'macs']

    gone = report['hosts'][2]
    assert (gone['reason'], gone['message'], gone['address'], gone['port']) == (
        'refused', 'connection refused', '127.0.0.1', 1)
    assert gone['evaluation'] is None and gone['remediation'] is None and gone['terrapin_exposed'] is None
    assert gone['clients'] == [{'client': name, 'compatible': None, 'negotiated': None, 'failures': [],
                                'terrapin_exposed': None} for name in clients]


def test_unreachable_is_never_compliant(fleet, clients):
    only_gone = build_report({'gone': fleet['gone']}, 'intermediate', clients)
    assert only_gone['summary']['passed'] is False and only_gone['hosts'][0]['clients'][0]['compatible'] is None
    assert only_gone['summary'] == {'hosts': 1, 'compliant': 0, 'non_compliant': 0, 'unreachable': 1,
                                    'baseline_failures': 0, 'predictions': 0, 'client_failures': 0,
                                    'terrapin_exposed': 0, 'passed': False}
    assert [item['compatible'] for item in only_gone['hosts'][0]['clients']] == [None, None]
    assert only_gone['clients'] == clients


def test_per_host_settings_override_defaults(fleet, clients):
    entries = [{'name': 'classic', 'result': fleet['classic'], 'clients': ['openssh-9.2'],
                'exceptions': [{'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'r', 'expires': '2099-01-01'}]}]
    result = build_report(entries, 'intermediate', clients)
    assert result['hosts'][0]['status'] == 'compliant' and result['clients'] == ['openssh-9.2']
    evaluation = result['hosts'][0]['evaluation']
    assert evaluation['violations'] == [] and evaluation['counts'] == {'fail': 0, 'warn': 0, 'excepted': 1}
    assert [item['algorithm'] for item in evaluation['excepted']] == ['aes256-cbc']
    assert evaluation['excepted'][0]['exceptions'] == entries[0]['exceptions']
    assert [item['client'] for item in result['hosts'][0]['clients']] == ['openssh-9.2']
    assert result['summary']['predictions'] == 1 and result['summary']['passed'] is True
