# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The throttling check: baseline limits against the daemon's throttling settings (daemon_info), and the role's
plan and verification."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import parse_sshd_T, \
    throttling_settings
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.proftpd import throttling_settings as \
    proftpd_throttling
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate, load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks.throttling import (
    SECTION, merged, normalize, plan, run, verify)


@pytest.fixture
def sshd_9_2(fixture_file):
    """daemon_info's throttling for the real sshd -T output of Debian 12's 9.2 (defaults)."""
    return throttling_settings(parse_sshd_T(fixture_file('openssh-9.2-sshd-T-defaults.txt')), '9.2')


def sshd_98(penalties='crash:90 authfail:5 noauth:1 grace-exceeded:10 max:600 min:15 max-sources4:65536 '
                      'max-sources6:65536 overflow:permissive overflow6:permissive', per_source='none'):
    text = ('maxstartups 10:30:100\npersourcemaxstartups %s\npersourcenetblocksize 32:128\n'
            'persourcepenalties %s\nlogingracetime 120\nmaxauthtries 6\n' % (per_source, penalties))
    return throttling_settings(parse_sshd_T(text), '9.8p1')


def offer(kex=('curve25519-sha256',)):
    return {'offer': {'kex_algorithms': list(kex)}}


def test_section_name_and_normalization():
    assert SECTION == 'throttling'
    assert normalize(None, 'b', 'w') is None
    assert normalize({'max_startups': '10:30:60', 'per_source_max_startups': 3, 'per_source_net_block_size': '24:56',
                      'per_source_penalties': 'required', 'login_grace_time': '30', 'max_auth_tries': 4}, 'b', 'w') == {
        'max_startups': {'start': 10, 'rate': 30, 'full': 60}, 'per_source_max_startups': 3,
        'per_source_net_block_size': {'ipv4': 24, 'ipv6': 56}, 'per_source_penalties': 'required',
        'login_grace_time': 30, 'max_auth_tries': 4}
    # An integer N is "N:100:N": refuse every connection beyond N.
    assert normalize({'max_startups': 8}, 'b', 'w')['max_startups'] == {'start': 8, 'rate': 100, 'full': 8}


@pytest.mark.parametrize('section, message', [
    ('10:30:100', 'must be a mapping'),
    ({'max_startup': '10:30:100'}, 'unknown setting'),
    ({'max_startups': '30:30:10'}, 'sshd refuses'),           # start > full (servconf.c)
    ({'max_startups': '10:0:100'}, 'sshd refuses'),           # rate < 1
    ({'max_startups': '10:30:100\nPermitRootLogin yes'}, 'start:rate:full'),
    ({'per_source_max_startups': 0}, 'between 1'),
    ({'per_source_max_startups': True}, 'integer'),
    ({'per_source_max_startups': 'none'}, 'integer'),
    ({'per_source_net_block_size': '33:128'}, 'prefix lengths'),
    ({'per_source_net_block_size': '24'}, 'prefix lengths'),
    ({'per_source_penalties': 'yes'}, 'required'),
    ({'login_grace_time': '2m'}, 'integer'),
    ({'max_auth_tries': 10 ** 9}, 'between'),
])
def test_bad_sections_are_refused(section, message):
    with pytest.raises(CheckError, match=message):
        normalize(section, 'b', 'baseline b throttling')


def test_no_requirement_passes_without_facts():
    result = run(offer(), None, None)
    assert result['status'] == 'passed' and result['message'] == 'no throttling requirement in this baseline'


def test_without_daemon_facts_the_check_does_not_run():
    result = run(offer(), {'offer': {}}, {'max_startups': {'start': 10, 'rate': 30, 'full': 100}})
    assert result['status'] == 'not_run' and 'fleetcrypto_audit_daemon' in result['message']
    failed = run(offer(), {'daemon': {'failed': False, 'msg': 'sshd not found: /usr/sbin/sshd'}},
                 {'max_auth_tries': 3})
    assert failed['status'] == 'not_run' and 'could not be read on the node: sshd not found' in failed['message']


def test_sshd_9_2_defaults_under_modern(sshd_9_2):
    """modern: MaxStartups at most 10:30:100 passes; PerSourcePenalties is unknown to 9.2: info, not counted."""
    limits = load_baseline('modern')['checks']['throttling']
    result = run(offer(), {'daemon': {'throttling': sshd_9_2}}, limits)
    assert result['status'] == 'passed', result
    assert [(item['subject'], item['rating']) for item in result['findings']] == [('PerSourcePenalties', 'info')]
    assert 'not supported' in result['findings'][0]['reason'] and '9.8' in result['findings'][0]['reason']
    assert result['details']['values']['max_startups'] == '10:30:100'


def test_limits_exceeded_fail_with_source_and_fix(sshd_9_2):
    limits = normalize({'max_startups': '10:30:60', 'per_source_max_startups': 5, 'per_source_net_block_size': '24:56',
                        'login_grace_time': 60, 'max_auth_tries': 6}, 'b', 'w')
    result = run(offer(), {'daemon': {'throttling': sshd_9_2}}, limits)
    assert result['status'] == 'failed'
    failing = {item['subject']: item for item in result['findings'] if item['rating'] == 'fail'}
    assert sorted(failing) == ['LoginGraceTime', 'MaxStartups', 'PerSourceMaxStartups', 'PerSourceNetBlockSize']
    assert 'not limited' in failing['PerSourceMaxStartups']['reason']
    assert failing['MaxStartups']['fix'].startswith('MaxStartups 10:30:60')
    assert all(item['source'] for item in result['findings'])


def test_rate_is_a_minimum_and_start_full_maxima():
    server = sshd_98()
    assert run(offer(), {'daemon': {'throttling': server}},
               normalize({'max_startups': '10:50:100'}, 'b', 'w'))['status'] == 'failed'
    assert run(offer(), {'daemon': {'throttling': server}},
               normalize({'max_startups': '20:10:200'}, 'b', 'w'))['status'] == 'passed'


def test_penalties_required_on_9_8():
    limits = {'per_source_penalties': 'required'}
    assert run(offer(), {'daemon': {'throttling': sshd_98()}}, limits)['status'] == 'passed'
    result = run(offer(), {'daemon': {'throttling': sshd_98(penalties='no')}}, limits)
    assert result['status'] == 'failed' and result['findings'][0]['fix'].startswith('PerSourcePenalties yes')


def test_dheat_info_when_dh_is_offered_without_a_per_source_limit(sshd_9_2):
    facts = {'daemon': {'throttling': sshd_9_2}}
    limits = {'max_startups': {'start': 10, 'rate': 30, 'full': 100}}
    result = run(offer(['curve25519-sha256', 'diffie-hellman-group16-sha512']), facts, limits)
    dheat = [item for item in result['findings'] if item['subject'] == 'DHEat']
    assert result['status'] == 'passed' and dheat and dheat[0]['rating'] == 'info'
    assert 'CVE-2002-20001' in dheat[0]['source']
    assert not [item for item in run(offer(), facts, limits)['findings'] if item['subject'] == 'DHEat']
    limited = {'daemon': {'throttling': sshd_98(penalties='no', per_source='1')}}
    assert not [item for item in run(offer(['diffie-hellman-group16-sha512']), limited, limits)['findings']
                if item['subject'] == 'DHEat']


def test_proftpd_equivalents_and_unjudged_settings():
    files = [('/etc/proftpd/proftpd.conf', 'MaxConnectionsPerHost 3\nTimeoutLogin 600\n')]
    facts = {'daemon': {'throttling': proftpd_throttling(files, '1.3.8')}}
    limits = normalize({'max_startups': '10:30:100', 'per_source_max_startups': 5, 'login_grace_time': 120,
                        'max_auth_tries': 3}, 'b', 'w')
    result = run(offer(), facts, limits)
    by_subject = {item['subject']: item for item in result['findings']}
    assert by_subject['max_startups']['rating'] == 'info'          # no ProFTPD equivalent
    assert by_subject['TimeoutLogin']['rating'] == 'fail'          # 600 > 120
    assert 'MaxConnectionsPerHost' not in by_subject                # 3 <= 5
    assert 'MaxLoginAttempts' not in by_subject                     # documented default 3 <= 3
    assert result['details']['server_type'] == 'proftpd'


def test_evaluate_runs_the_check_through_the_baseline(sshd_9_2):
    server = {'offer': {'kex_algorithms': ['curve25519-sha256'], 'server_host_key_algorithms': ['ssh-ed25519'],
                        'encryption_algorithms_client_to_server': ['aes256-gcm@openssh.com'],
                        'encryption_algorithms_server_to_client': ['aes256-gcm@openssh.com'],
                        'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com'],
                        'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com'],
                        'compression_algorithms_client_to_server': ['none'],
                        'compression_algorithms_server_to_client': ['none'],
                        'languages_client_to_server': [], 'languages_server_to_client': []},
              'daemon': {'throttling': copy.deepcopy(sshd_9_2)}}
    server['daemon']['throttling']['settings']['max_startups'].update({'value': '10:30:200', 'full': 200})
    result = evaluate(server, 'intermediate')
    assert result['checks']['throttling']['status'] == 'failed'
    assert evaluate(server, 'fips-140-3')['checks']['throttling']['status'] == 'passed'


def test_plan_writes_only_what_the_daemon_knows(sshd_9_2):
    limits = merged(load_baseline('modern')['checks']['throttling'], {'per_source_max_startups': 4}, 'modern')
    written = plan(limits, 'openssh', sshd_9_2)
    assert written['lines'] == [
        {'setting': 'max_startups', 'keyword': 'MaxStartups', 'value': '10:30:100'},
        {'setting': 'per_source_max_startups', 'keyword': 'PerSourceMaxStartups', 'value': '4'}]
    assert [item['keyword'] for item in written['skipped']] == ['PerSourcePenalties']
    assert plan(limits, 'openssh', sshd_98())['lines'][-1] == {
        'setting': 'per_source_penalties', 'keyword': 'PerSourcePenalties', 'value': 'yes'}
    proftpd = plan(merged(None, {'per_source_max_startups': 4, 'login_grace_time': 60, 'max_startups': 9}, 'b'),
                   'proftpd', None)
    assert proftpd['lines'] == [
        {'setting': 'per_source_max_startups', 'keyword': 'MaxConnectionsPerHost', 'value': '4'},
        {'setting': 'login_grace_time', 'keyword': 'TimeoutLogin', 'value': '60'}]
    assert [item['setting'] for item in proftpd['skipped']] == ['max_startups']


def test_merged_overrides_and_removal():
    base = load_baseline('modern')['checks']['throttling']
    assert merged(base, {'per_source_penalties': None}, 'modern') == {
        'max_startups': {'start': 10, 'rate': 30, 'full': 100}}
    assert merged(None, {}, 'fips-140-3') is None
    assert merged(None, None, 'fips-140-3') is None
    with pytest.raises(CheckError, match='baseline_throttling.max_startups'):
        merged(base, {'max_startups': '1:2'}, 'modern')
    with pytest.raises(CheckError, match='mapping'):
        merged(base, ['max_startups'], 'modern')


def test_verify_against_sshd_T_after_the_change(sshd_9_2):
    lines = [{'setting': 'max_startups', 'keyword': 'MaxStartups', 'value': '10:30:100'},
             {'setting': 'per_source_max_startups', 'keyword': 'PerSourceMaxStartups', 'value': '4'}]
    assert verify(lines, sshd_9_2) == [{'keyword': 'PerSourceMaxStartups', 'expected': '4', 'effective': 'none'}]
    penalties = [{'setting': 'per_source_penalties', 'keyword': 'PerSourcePenalties', 'value': 'yes'}]
    assert verify(penalties, sshd_98()) == []
    assert verify(penalties, sshd_98(penalties='no'))[0]['effective'] == 'no'


def test_measured_connection_rate_is_rated_as_ssh_audit_does(sshd_9_2):
    limits = {'max_startups': {'start': 10, 'rate': 30, 'full': 100}}
    dh = offer(['curve25519-sha256', 'diffie-hellman-group-exchange-sha256'])
    fast = {'rate_per_second': 180.5, 'max_safe_rate': 20.0}
    result = run(dh, {'daemon': {'throttling': sshd_9_2}, 'connection_rate': fast}, limits)
    rated = [item for item in result['findings'] if item['subject'] == 'connection rate']
    assert result['status'] == 'failed' and rated[0]['rating'] == 'warn' and '180.5' in rated[0]['reason']
    assert not [item for item in result['findings'] if item['subject'] == 'DHEat']  # the measurement replaces it
    assert result['details']['connection_rate'] == 180.5
    # Without DH offered, or at a throttled rate, nothing to say; without daemon facts the rate alone is judged.
    assert run(offer(), {'daemon': {'throttling': sshd_9_2}, 'connection_rate': fast}, limits)['status'] == 'passed'
    slow = run(dh, {'connection_rate': {'rate_per_second': 4.0, 'max_safe_rate': 20.0}}, limits)
    assert slow['status'] == 'passed' and 'measured connection rate only' in slow['message']
    assert run(dh, {'connection_rate': fast}, limits)['status'] == 'failed'
    broken = run(dh, {'connection_rate': {'rate_per_second': 'fast'}}, limits)
    assert broken['status'] == 'passed' and broken['findings'][0]['rating'] == 'info'
    assert run(dh, {'connection_rate': fast}, None)['status'] == 'passed'  # no requirement: not judged
