# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throttling against real daemons on 127.0.0.1: daemon_info reports sshd's and ProFTPD's settings, the baseline
role writes the limits through its validate/verify path, sshd -T and the running sshd show them, and a bad value
is refused before any file changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import subprocess
import sys
import time

from conftest import ANSIBLE_BIN, ansible_env, run_playbook
from lab.managed import ManagedProftpd, ManagedSshd
from lab.servers import LOOPBACK, SSHD, Sshd
from test_baseline_role import digest, dropin_path, play

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import parse_sshd_T, \
    throttling_settings
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sshd_T(server):
    proc = subprocess.run([SSHD, '-T', '-f', server.config], capture_output=True, text=True, timeout=30, check=True)
    return throttling_settings(parse_sshd_T(proc.stdout))['settings']


def test_daemon_info_reports_throttling_of_sshd_and_proftpd(tmp_path):
    with ManagedSshd(main_settings=['MaxStartups 4:50:20', 'PerSourceMaxStartups 3', 'LoginGraceTime 30'],
                     include='top') as sshd, \
            ManagedProftpd(sftp_settings=['MaxConnectionsPerHost 4', 'TimeoutLogin 60']) as proftpd:
        sshd_vars, proftpd_vars = sshd.role_vars(), proftpd.role_vars()
        results, _out = run_playbook(str(tmp_path), [
            {'name': 'sshd', 'fleetcrypto.sftp.daemon_info': {
                'server_type': 'openssh', 'sshd_path': sshd_vars['baseline_sshd_path'], 'sshd_config': sshd.config,
                'sshd_config_dir': sshd.dropin_dir}},
            {'name': 'proftpd', 'fleetcrypto.sftp.daemon_info': {
                'server_type': 'proftpd', 'proftpd_path': proftpd_vars['baseline_proftpd_path'],
                'proftpd_config': proftpd.config, 'proftpd_sftp_config': proftpd.sftp_config}},
        ])
    settings = results['sshd']['throttling']['settings']
    assert results['sshd']['throttling']['source'] == 'sshd -T'
    assert (settings['max_startups']['start'], settings['max_startups']['rate'], settings['max_startups']['full']) \
        == (4, 50, 20)
    assert settings['per_source_max_startups']['limit'] == 3 and settings['login_grace_time']['seconds'] == 30
    assert settings['per_source_net_block_size']['value'] == '32:128'
    # Debian 12's sshd 9.2 does not know PerSourcePenalties (OpenSSH 9.8): said, not invented.
    assert settings['per_source_penalties']['supported'] is False and settings['per_source_penalties']['value'] is None
    ftp = results['proftpd']['throttling']
    assert ftp['files'] == [proftpd.config, proftpd.sftp_config]
    assert ftp['settings']['per_source_max_startups']['keyword'] == 'MaxConnectionsPerHost'
    assert ftp['settings']['per_source_max_startups']['limit'] == 4
    assert ftp['settings']['login_grace_time']['seconds'] == 60
    assert ftp['settings']['max_instances']['configured'] is False


def test_role_applies_throttling_and_sshd_enforces_it(tmp_path):
    """MaxStartups and PerSourceMaxStartups land in the drop-in, sshd -T shows them, and the reloaded sshd
    drops the third concurrent unauthenticated connection from 127.0.0.1 ("Exceeded MaxStartups")."""
    with ManagedSshd(include='top') as server:
        role_vars = dict(server.role_vars(), baseline_policy='modern', baseline_required_clients=['openssh-9.2'],
                         baseline_throttling={'max_startups': '5:40:20', 'per_source_max_startups': 2,
                                              'per_source_net_block_size': '24:64', 'login_grace_time': 30})
        code, out, _counts = play(tmp_path / 'apply', role_vars)
        assert code == 0, out[-5000:]
        with open(dropin_path(server)) as handle:
            dropin = handle.read()
        for line in ('MaxStartups 5:40:20', 'PerSourceMaxStartups 2', 'PerSourceNetBlockSize 24:64',
                     'LoginGraceTime 30'):
            assert line + '\n' in dropin, dropin
        assert 'PerSourcePenalties' not in dropin  # modern requires it, sshd 9.2 does not know it: skipped
        effective = sshd_T(server)
        assert effective['max_startups']['value'] == '5:40:20' and effective['per_source_max_startups']['limit'] == 2
        assert effective['per_source_net_block_size']['value'] == '24:64'

        # The running sshd: two held unauthenticated connections, the third is refused (3 connections, 10 s each).
        held = []
        try:
            for _attempt in range(2):
                sock = socket.create_connection((LOOPBACK, server.port), timeout=10)
                sock.settimeout(10)
                assert sock.recv(4) == b'SSH-'
                held.append(sock)
            result = probe(LOOPBACK, server.port, timeout=10)
            assert result['failed'] and result['reason'] == 'throttled', result
        finally:
            for sock in held:
                sock.close()

        code, out, counts = play(tmp_path / 'again', role_vars)
        assert code == 0 and counts['changed'] == 0, out[-5000:]


def test_bad_throttling_value_is_refused_before_any_file_changes(tmp_path):
    with ManagedSshd(include='top') as server:
        files = digest(server.config, dropin_path(server))
        # Two of the refusals tests/unit/plugins/filter/test_throttling_plan.py covers, through the whole role.
        for index, bad in enumerate(({'max_startups': '10:30:100\nPermitRootLogin yes'}, {'maxstartups': 10})):
            role_vars = dict(server.role_vars(), baseline_policy='modern', baseline_required_clients=['openssh-9.2'],
                             baseline_throttling=bad)
            code, out, _counts = play(tmp_path / str(index), role_vars)
            assert code != 0 and 'throttling_plan: ' in out, out[-4000:]
            assert digest(server.config, dropin_path(server)) == files


def test_role_writes_proftpd_equivalents(tmp_path):
    with ManagedProftpd() as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate',
                         baseline_required_clients=['openssh-9.2'],
                         baseline_throttling={'per_source_max_startups': 4, 'login_grace_time': 60,
                                              'max_auth_tries': 3})
        code, out, _counts = play(tmp_path / 'apply', role_vars)
        assert code == 0, out[-5000:]
        with open(server.sftp_config) as handle:
            text = handle.read()
        block = text[text.index('# BEGIN fleetcrypto.sftp baseline'):text.index('# END fleetcrypto.sftp baseline')]
        for line in ('MaxConnectionsPerHost 4', 'TimeoutLogin 60', 'MaxLoginAttempts 3'):
            assert line in block.splitlines(), block
        assert 'MaxStartups' not in block  # intermediate's MaxStartups has no ProFTPD equivalent: skipped
        result = probe(LOOPBACK, server.port, timeout=10)
        assert not result['failed'], result


def test_audit_reads_throttling_on_the_nodes_when_asked(tmp_path):
    """audit.yml with fleetcrypto_audit_daemon=true runs daemon_info on each node: intermediate's MaxStartups limit
    (10:30:100) passes on sshd's default and fails on 10:30:200; fleetcrypto_audit_rate_test=true adds the measured
    connection rate; without them the check is reported as not run."""
    with ManagedSshd(include='top') as default, ManagedSshd(main_settings=['MaxStartups 10:30:200'],
                                                            include='top') as loose:
        hosts = {}
        for name, server in (('default', default), ('loose', loose)):
            hosts[name] = dict(server.role_vars(), fleetcrypto_sftp_host=LOOPBACK, fleetcrypto_sftp_port=server.port,
                               ansible_connection='local', ansible_python_interpreter=sys.executable)
        inventory = tmp_path / 'inventory.json'
        inventory.write_text(json.dumps({'all': {'children': {'sftp_servers': {
            'hosts': hosts, 'vars': {'baseline_policy': 'intermediate', 'fleetcrypto_timeout': 5}}}}}))
        reports = {}
        for label, extra in (('daemon', ['-e', 'fleetcrypto_audit_daemon=true']),
                             ('rate', ['-e', 'fleetcrypto_audit_daemon=true',
                                       '-e', 'fleetcrypto_audit_rate_test=true']),
                             ('plain', [])):
            out = tmp_path / label
            proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', str(inventory),
                                   os.path.join(ROOT, 'playbooks', 'audit.yml'),
                                   '-e', 'fleetcrypto_output_dir=%s' % out, '-e', 'fleetcrypto_report_formats=json']
                                  + extra,
                                  env=ansible_env(str(tmp_path)), capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL, check=False)
            assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
            with open(out / 'compliance.json') as handle:
                reports[label] = {host['name']: host for host in json.load(handle)['hosts']}
    daemon = reports['daemon']
    assert daemon['default']['evaluation']['checks']['throttling']['status'] == 'passed'
    loose_check = daemon['loose']['evaluation']['checks']['throttling']
    assert loose_check['status'] == 'failed' and daemon['loose']['status'] == 'non_compliant'
    assert [item['subject'] for item in loose_check['findings'] if item['rating'] == 'fail'] == ['MaxStartups']
    # sshd 9.2's default offer has finite-field DH and no per-source limit: the DHEat note, not counted.
    assert [(item['subject'], item['rating']) for item in daemon['loose']['evaluation']['findings']
            if item['check'] == 'throttling'] == [('MaxStartups', 'fail'), ('DHEat', 'info')]
    # Measured: on loopback far more than ssh-audit's 20 connections/s are answered, a warning as ssh-audit's.
    rated = reports['rate']['default']['evaluation']['checks']['throttling']
    assert rated['status'] == 'failed' and rated['details']['connection_rate'] > 20, rated
    assert [(item['subject'], item['rating']) for item in rated['findings']] == [('connection rate', 'warn')]
    for host in reports['plain'].values():  # the default audit does not touch the nodes
        assert host['evaluation']['checks']['throttling']['status'] == 'not_run'
        assert 'throttling' not in [item['check'] for item in host['evaluation']['findings']]


def hold_unauthenticated(port, attempts=50):
    """One connection that sshd answered with its banner, kept open (unauthenticated). The lab's readiness probe
    may still count as a startup for a moment, so a bounded number of attempts, 0.1 s apart."""
    for _attempt in range(attempts):
        sock = socket.create_connection((LOOPBACK, port), timeout=10)
        sock.settimeout(10)
        if sock.recv(4) == b'SSH-':
            return sock
        sock.close()
        time.sleep(0.1)
    raise AssertionError('sshd on port %d never answered with its banner' % port)


def test_connection_rate_info_against_real_sshd(tmp_path):
    """The bounded measurement through the module: sshd's defaults answer every connection; with MaxStartups 1 and
    one unauthenticated connection held, every measured connection is refused with "Exceeded MaxStartups"."""
    with Sshd() as default, Sshd({'MaxStartups': '1'}) as strict:
        held = hold_unauthenticated(strict.port)
        try:
            results, _out = run_playbook(str(tmp_path), [
                {'name': name, 'fleetcrypto.sftp.connection_rate_info': {
                    'host': LOOPBACK, 'port': server.port, 'connections': 12, 'seconds': 5, 'concurrency': 3,
                    'timeout': 5, 'max_attempts': 12}}
                for name, server in (('default', default), ('strict', strict))])
        finally:
            held.close()
    fast, throttled = results['default'], results['strict']
    assert fast['attempted'] == 12 and fast['opened'] == 12 and fast['rate_per_second'] > 0
    assert fast['elapsed_s'] < 5 + 2 * 5 + 1 and fast['max_safe_rate'] == 20.0
    assert throttled['attempted'] == 12 and throttled['throttled'] == 12 and throttled['opened'] == 0
    assert throttled['rate_per_second'] == 0 and throttled['exceeds_safe_rate'] is False


def test_setting_overridden_later_in_sshd_config_is_rolled_back(tmp_path):
    """sshd keeps the last MaxStartups it reads (servconf.c, unlike the algorithm keywords): one later in
    sshd_config than the Include wins over the role's drop-in. sshd -T shows it, so the role removes its drop-in
    and fails, without reloading sshd."""
    with ManagedSshd(main_settings=['MaxStartups 50:30:200'], include='top') as server:
        files = digest(server.config, dropin_path(server))
        pid = server.remember_pid()
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_required_clients=['openssh-9.2'])
        code, out, _counts = play(tmp_path / 'apply', role_vars)
        assert code != 0 and 'MaxStartups is 50:30:200 instead of 10:30:100' in out, out[-4000:]
        assert 'keeps the LAST value' in out
        assert 'The new settings were refused and the previous configuration is back in place' in out
        assert digest(server.config, dropin_path(server)) == files
        assert server.remember_pid() == pid
        assert not probe(LOOPBACK, server.port, timeout=10)['failed']
