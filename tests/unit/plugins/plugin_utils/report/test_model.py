# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compliance report model (report/model.py). The fleet and its report come from conftest.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import SCHEMA, SCHEMA_VERSION, \
    ReportError, build_report

CBC_REASON = 'CBC mode in SSH allows plaintext recovery'
JSCH_HASSH = '312582cf316cc624febf82f5e389cf92'  # as conftest.py's observed JSch
OBSERVED_JSCH = 'observed JSch_0.1.54 #312582cf'


def test_model_statuses_and_summary(report, clients):
    assert report['schema_version'] == SCHEMA_VERSION and report['clients'] == clients
    assert report['schema'] == SCHEMA and report['baseline'] == 'intermediate'
    assert report['generated_at'] == '2026-11-24T00:00:00+00:00'
    status = {host['name']: host['status'] for host in report['hosts']}
    assert status == {'good': 'compliant', 'classic': 'non_compliant', 'gone': 'unreachable'}
    assert [host['name'] for host in report['hosts']] == ['good', 'classic', 'gone']  # inventory order
    assert report['summary'] == {'hosts': 3, 'compliant': 1, 'non_compliant': 1, 'unreachable': 1,
                                 'baseline_failures': 1, 'predictions': 4, 'client_failures': 1,
                                 'terrapin_exposed': 0, 'passed': False, 'observed_hosts': 0, 'observed_clients': 0,
                                 'observed_failing': 0, 'observed_locked_out': 0,
                                 'handshake_proven': 0, 'checks_not_run': 2, 'terrapin_violations': 0,
                                 'without_post_quantum': 0, 'host_key_findings': 0, 'moduli_findings': 0,
                                 'throttling_findings': 0, 'connections_without_post_quantum': 1,
                                 'upgrade_hosts': 0, 'broken_by_upgrade': 0, 'fixed_by_upgrade': 0,
                                 'upgrade_daemon_failures': 0}
    assert report['observed_clients'] == []
    for host in report['hosts']:  # no observations given: every host says so
        assert host['observed_clients'] == [] and host['observation']['available'] is False
        assert host['observation']['message'] == ('no client observations were loaded for this report (run '
                                                  'playbooks/observe.yml first)')

    good = report['hosts'][0]
    assert good['evaluation']['passed'] is True and good['evaluation']['violations'] == []
    assert good['evaluation']['counts'] == {
        'fail': 0, 'warn': 0, 'excepted': 0, 'findings_fail': 0, 'findings_warn': 0, 'findings_info': 0,
        'checks_not_run': 3}
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
    assert classic['evaluation']['counts'] == {
        'fail': 1, 'warn': 0, 'excepted': 0, 'findings_fail': 0, 'findings_warn': 0, 'findings_info': 0,
        'checks_not_run': 3}
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
                                'terrapin_exposed': None, 'post_quantum': None, 'warnings': [], 'proven_by': None,
                                'proof': None} for name in clients]
    assert gone['checks'] is None


def test_unreachable_is_never_compliant(fleet, clients):
    only_gone = build_report({'gone': fleet['gone']}, 'intermediate', clients)
    assert only_gone['summary']['passed'] is False and only_gone['hosts'][0]['clients'][0]['compatible'] is None
    assert only_gone['summary'] == {'hosts': 1, 'compliant': 0, 'non_compliant': 0, 'unreachable': 1,
                                    'baseline_failures': 0, 'predictions': 0, 'client_failures': 0,
                                    'terrapin_exposed': 0, 'passed': False, 'observed_hosts': 0,
                                    'observed_clients': 0, 'observed_failing': 0, 'observed_locked_out': 0,
                                    'handshake_proven': 0, 'checks_not_run': 0, 'terrapin_violations': 0,
                                    'without_post_quantum': 0, 'host_key_findings': 0, 'moduli_findings': 0,
                                    'throttling_findings': 0, 'connections_without_post_quantum': 0,
                                    'upgrade_hosts': 0, 'broken_by_upgrade': 0, 'fixed_by_upgrade': 0,
                                    'upgrade_daemon_failures': 0}
    assert [item['compatible'] for item in only_gone['hosts'][0]['clients']] == [None, None]
    assert only_gone['clients'] == clients


def test_per_host_settings_override_defaults(fleet, clients):
    entries = [{'name': 'classic', 'result': fleet['classic'], 'clients': ['openssh-9.2'],
                'exceptions': [{'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'r', 'expires': '2099-01-01'}]}]
    result = build_report(entries, 'intermediate', clients)
    assert result['hosts'][0]['status'] == 'compliant' and result['clients'] == ['openssh-9.2']
    evaluation = result['hosts'][0]['evaluation']
    # host keys, moduli and the daemon's throttling were not gathered for this host: those checks say so
    assert evaluation['violations'] == [] and evaluation['counts'] == {
        'fail': 0, 'warn': 0, 'excepted': 1, 'findings_fail': 0, 'findings_warn': 0, 'findings_info': 0,
        'checks_not_run': 3}
    assert sorted(name for name, check in evaluation['checks'].items() if check['status'] == 'not_run') == [
        'host_keys', 'moduli', 'throttling']
    assert [item['algorithm'] for item in evaluation['excepted']] == ['aes256-cbc']
    assert evaluation['excepted'][0]['exceptions'] == entries[0]['exceptions']
    assert [item['client'] for item in result['hosts'][0]['clients']] == ['openssh-9.2']
    assert result['summary']['predictions'] == 1 and result['summary']['passed'] is True


def test_observed_clients_per_host_and_in_the_summary(observed_report):
    report = observed_report
    assert report['schema_version'] == '1.3' and report['clients'] == ['openssh-9.2']
    logged = report['hosts'][1]['observed_clients'][0]['client']
    assert logged.startswith('logged cipher failure #')
    assert report['observed_clients'] == [OBSERVED_JSCH, logged]
    assert report['summary']['observed_hosts'] == 2 and report['summary']['observed_clients'] == 2
    assert report['summary']['observed_failing'] == 1 and report['summary']['observed_locked_out'] == 1
    assert report['summary']['passed'] is False and report['summary']['non_compliant'] == 2  # unchanged meaning

    good = report['hosts'][0]
    assert good['status'] == 'non_compliant'  # modern: the fixture's ECDSA host key and group14 are warnings
    assert good['observation'] == {
        'available': True, 'message': None, 'collected_at': '2026-11-23T11:00:00Z', 'seconds': 3600, 'ports': [22],
        'capture_method': 'tcpdump', 'connections_seen': 14, 'capture_skipped': 2, 'truncated': 0, 'errors': [],
        'skipped': 0, 'clients': 1, 'locked_out': 1,
        'accepted': 0, 'failing_today': 0, 'expired_exceptions': []}
    jsch = good['observed_clients'][0]
    assert (jsch['client'], jsch['source'], jsch['banner'], jsch['hassh']) == (
        OBSERVED_JSCH, 'capture', 'SSH-2.0-JSCH-0.1.54', JSCH_HASSH)
    assert jsch['connections'] == 12 and jsch['addresses'][0] == {'address': '198.51.100.7', 'count': 10}
    assert jsch['today']['compatible'] is True and jsch['today']['negotiated']['cipher_c2s'] == 'aes128-ctr'
    assert jsch['target']['compatible'] is False and 'negotiated' not in jsch['target']
    assert jsch['target']['message'].startswith('Algorithm negotiation fail: algorithmName="kex"')
    assert jsch['locked_out'] is True and jsch['accepted'] is False

    classic = report['hosts'][1]['observed_clients'][0]
    assert classic['source'] == 'log' and classic['partial'] is True and classic['connections'] == 3
    assert classic['today']['compatible'] is False and classic['locked_out'] is False
    assert classic['today']['unknown'] == ['kex', 'host_key', 'mac', 'compression']
    assert classic['logged_message'].endswith('Their offer: aes128-cbc,3des-cbc [preauth]')

    gone = report['hosts'][2]
    assert gone['observation']['available'] is False and gone['observed_clients'] == []
    assert gone['observation']['message'] == ('no stored observation for this host (playbooks/observe.yml writes '
                                              'observed/<host>.json)')


def test_observed_exceptions_and_unreachable_hosts(fleet, observations):
    entries = [{'name': 'good', 'result': fleet['good'], 'observed_exceptions': [
        {'banner': 'SSH-2.0-JSCH-*', 'reason': 'retired, ticket 3', 'expires': '2099-01-01'}]},
        {'name': 'gone', 'result': fleet['gone'], 'observed': dict(observations['good'], host='gone')}]
    report = build_report(entries, 'modern', ['openssh-9.2'], today='2026-11-24', observed=observations)
    jsch = report['hosts'][0]['observed_clients'][0]
    assert jsch['accepted'] is True and jsch['locked_out'] is False and jsch['exception']['reason'] == 'retired, ticket 3'
    assert report['summary']['observed_locked_out'] == 0 and report['hosts'][0]['observation']['accepted'] == 1
    gone = report['hosts'][1]['observed_clients'][0]
    assert gone['today'] is None and gone['target'] is None and gone['locked_out'] is None
    assert report['summary']['observed_clients'] == 2 and report['summary']['observed_failing'] == 0


def test_observation_problems_are_reported_not_fatal(fleet, observations):
    stored = dict(observations['good'], capture={'failed': True, 'msg': 'tcpdump: permission denied'},
                  logs={'failed': True, 'msg': 'journalctl failed'},
                  clients=observations['good']['clients'] + [{'proposal': {'kex_algorithms': ['bad name']}}])
    report = build_report({'good': fleet['good'], 'other': fleet['good']}, 'modern', [],
                          observed={'good': stored, 'other': stored})
    observation = report['hosts'][0]['observation']
    assert observation['message'] == ('capture failed: tcpdump: permission denied; reading the logs failed: '
                                      'journalctl failed')
    assert observation['available'] is True and len(observation['errors']) == 1 and observation['clients'] == 1
    other = report['hosts'][1]['observation']
    assert other['available'] is False and other['message'] == 'the stored observation belongs to another host (good)'
    with pytest.raises(ReportError, match=r'^host good: observed exceptions\[0\] lacks reason'):
        build_report({'good': fleet['good']}, 'modern', [], observed={'good': stored},
                     observed_exceptions=[{'hassh': 'abcdef12'}])
    with pytest.raises(ReportError, match='observed must be a dict'):
        build_report({'good': fleet['good']}, 'modern', [], observed=[stored])
