# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's main command, end to end: an observation window in which a partner's unlisted JSch connects, the
audit shows the classic failure and names the observed JSch, enforce fixes the fleet, a stricter baseline is
refused until an observed-client exception accepts the JSch's lock-out, the audit passes, and every server the lab
started is gone afterwards."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_lab_audit_enforce_audit(tmp_path):
    env = dict(os.environ, FLEETCRYPTO_OUTPUT_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'demo_lab.py')], env=env,
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    # The lab's story is on stdout; stderr may carry Python warnings of the tools it runs (a fresh virtual environment
    # compiles their sources once), which say nothing about the lab.
    out = proc.stdout
    observing, rest = out.split('demo-lab: 2/6', 1)
    first, rest = rest.split('demo-lab: 3/6', 1)
    first, upgrading = first.split('demo-lab: 2b/6', 1)
    enforced, rest = rest.split('demo-lab: 4/6', 1)
    refused, rest = rest.split('demo-lab: 5/6', 1)
    accepted, final = rest.split('demo-lab: 6/6', 1)

    # 1: the partner's real JSch connected during the observation, and sshd-main's capture recorded it.
    connected = re.search(r"the partner's JSch connected (\d+) times during the observation", observing)
    assert connected and int(connected.group(1)) >= 1, observing[-3000:]
    assert sorted(os.listdir(str(tmp_path / 'observed'))) == [
        'dropbear-appliance.json', 'proftpd-sftp.json', 'sshd-main.json', 'sshd-partner-gateway.json']
    stored = json.loads((tmp_path / 'observed' / 'sshd-main.json').read_text())
    assert stored['host'] == 'sshd-main' and stored['capture'].get('failed') is not True, stored.get('capture')
    jsch = [client for client in stored['clients'] if client['banner'] == 'SSH-2.0-JSCH-0.1.54']
    assert len(jsch) == 1 and jsch[0]['connections'] >= 1, stored['clients']
    label = 'observed JSch_0.1.54 #' + jsch[0]['hassh'][:8]
    assert jsch[0]['addresses'][0]['address'] == '127.0.0.1'

    # 2: the audit shows the classic failure and names the unlisted JSch on sshd-main.
    assert 'NOT PASSED' in first
    assert 'jsch-0.1.54-restricted-jce cannot connect: Algorithm negotiation fail' in first
    assert 'serverProposal=' in first and 'aes256-ctr,aes256-cbc' in first
    assert 'sshd-main: %s (SSH-2.0-JSCH-0.1.54, ' % label in first
    before = json.loads((tmp_path / 'before' / 'compliance.json').read_text())
    assert before['schema_version'] == '1.3' and label in before['observed_clients']
    main = [host for host in before['hosts'] if host['name'] == 'sshd-main'][0]
    assert main['observation']['available'] is True
    assert [item['today']['compatible'] for item in main['observed_clients'] if item['client'] == label] == [True]

    # 2b: the real ssh limited to finite-field DH kex connects to sshd-main (Debian 12's defaults) today; the audit
    # with fleetcrypto_upgrade_to: openssh-10.0 says it breaks after the upgrade (10.0's default kex has no DH).
    assert "ssh -o KexAlgorithms=diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256 to sshd-main " \
           "today: key exchange completed" in first, first[-2000:]
    assert 'sshd-main -> openssh-10.0 (today taken as debian-12): BREAKS partner-openssh-dh-kex' in upgrading
    upgraded = json.loads((tmp_path / 'upgrade' / 'compliance.json').read_text())
    assert [host['name'] for host in upgraded['hosts']] == ['sshd-main'] and upgraded['upgrade_targets'] == [
        'openssh-10.0']
    assert upgraded['summary']['broken_by_upgrade'] == 1 and upgraded['summary']['upgrade_hosts'] == 1
    section = upgraded['hosts'][0]['upgrade']
    assert section['current'] == 'debian-12' and section['breaks'] == ['partner-openssh-dh-kex']
    kex = [item for item in section['assumptions'] if item['category'] == 'kex'][0]
    assert kex['assumption'] == 'release_defaults' and 'diffie-hellman-group14-sha256' in kex['removed']
    partner = [item for item in upgraded['hosts'][0]['clients'] if item['client'] == 'partner-openssh-dh-kex'][0]
    assert partner['compatible'] and partner['post_quantum'] is False
    assert 'partner-openssh-dh-kex (after upgrade to openssh-10.0) |' in (tmp_path / 'upgrade' / 'compliance.md') \
        .read_text()

    # 3: the intermediate baseline keeps the JSch working: the fleet is fixed through the handler.
    assert 'RUNNING HANDLER [fleetcrypto.sftp.baseline : Fleetcrypto baseline apply]' in enforced
    assert 'would lock out observed clients' not in enforced
    assert '1 observed client(s) checked against the target: 0 would be locked out' in enforced

    # 4: "modern" would lock the JSch out (no X25519 in JSch 0.1.55): refused, nothing changed, in its own words.
    assert 'would lock out observed clients of this server; nothing was changed' in refused
    assert label in refused and 'Algorithm negotiation fail: algorithmName=' in refused
    assert "refused, and sshd-main's configuration files are unchanged" in refused

    # 5: with the observed-client exception (its HASSH, a reason, an expiry) the same enforce proceeds.
    assert 'baseline_observed_exceptions: [{hassh: %s' % jsch[0]['hassh'] in refused + accepted
    assert 'RUNNING HANDLER [fleetcrypto.sftp.baseline : Fleetcrypto baseline apply]' in accepted
    assert '0 would be locked out, 1 accepted by an observed-client exception' in accepted

    # 6: green; the JSch is reported as accepted, not as a lock-out.
    assert final.rstrip().endswith('stopped 4 servers')
    assert 'the fleet is compliant and every required client connects' in final
    after = json.loads((tmp_path / 'after' / 'compliance.json').read_text())
    assert after['summary']['passed'] is True and after['summary']['observed_locked_out'] == 0
    main = [host for host in after['hosts'] if host['name'] == 'sshd-main'][0]
    assert [item['accepted'] for item in main['observed_clients'] if item['client'] == label] == [True]
    for phase in ('before', 'after', 'upgrade'):
        assert sorted(os.listdir(str(tmp_path / phase))) == [
            'compliance.csv', 'compliance.html', 'compliance.json', 'compliance.md', 'compliance.xml']
    ports = [int(port) for port in re.findall(r'demo-lab: started \S+ +on 127\.0\.0\.1:(\d+)', out)]
    assert len(ports) == 4
    for port in ports:  # nothing the lab started is left answering
        assert probe('127.0.0.1', port, timeout=3)['reason'] in ('refused', 'closed', 'reset'), port
