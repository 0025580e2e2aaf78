# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's main command, end to end: audit shows the classic failure, enforce fixes it, the audit passes,
and every server the lab started is gone afterwards."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    first, rest = out.split('demo-lab: 2/3', 1)
    assert 'NOT PASSED' in first
    assert 'jsch-0.1.54-restricted-jce cannot connect: Algorithm negotiation fail' in first
    assert 'serverProposal=' in first and 'aes256-ctr,aes256-cbc' in first
    assert 'RUNNING HANDLER [fleetcrypto.sftp.baseline : Fleetcrypto baseline apply]' in rest
    assert rest.rstrip().endswith('stopped 4 servers')
    assert 'the fleet is compliant and every required client connects' in rest
    for phase in ('before', 'after'):
        assert sorted(os.listdir(str(tmp_path / phase))) == [
            'compliance.csv', 'compliance.html', 'compliance.json', 'compliance.md', 'compliance.xml']
    ports = [int(port) for port in re.findall(r'demo-lab: started \S+ +on 127\.0\.0\.1:(\d+)', out)]
    assert len(ports) == 4
    for port in ports:  # nothing the lab started is left answering
        assert probe('127.0.0.1', port, timeout=3)['reason'] in ('refused', 'closed', 'reset'), port
