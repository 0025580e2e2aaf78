# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrade impact against real software on 127.0.0.1: Debian 12's sshd with its defaults, the real ssh limited to
finite-field DH kex (its KEXINIT captured here) and the real ssh with its defaults.

* Today the prediction and the real handshake agree (both clients complete the key exchange).
* After moving to openssh-10.0 the prediction says the DH-only client breaks. No sshd 10.0 is installed here, so the
  predicted kex list is served by the installed sshd (every name of it 9.2 knows; 10.0's first name,
  mlkem768x25519-sha256, is new in 10.0): the real DH-only ssh fails on it as predicted, the default ssh does not.
* sshd refusing to start on a setting that names an algorithm the release does not know (servconf.c; the
  ``daemon_error`` of an ``explicit_kept`` assumption): predicted for a 10.0 server whose KexAlgorithms names
  mlkem768x25519-sha256 moving to Debian 12's 9.2, and the installed sshd -t says the same sentence.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.upgrade import predict_upgrade, \
    upgrade_impact
from lab.clients import DH_ONLY_KEX, default_openssh, openssh_dh_only
from lab.servers import Sshd, keygen

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from capture_client_profiles import capture_default  # noqa: E402  pylint: disable=wrong-import-position

SSHD = '/usr/sbin/sshd'
KEX_DONE = 'Permission denied'           # the key exchange completed; the client has no key to authenticate with
KEX_FAILED = 'no matching key exchange method found'


def _captured(tmp_path, launcher):
    record = capture_default('openssh', str(tmp_path), timeout=30, launcher=launcher)
    assert record is not None, 'the client was not captured'
    return record['profile']


def _real_ssh(port, tmp_path, dh_only):
    if dh_only:
        return openssh_dh_only(port, str(tmp_path))
    proc = subprocess.run(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                           '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5',
                           '-o', 'PubkeyAuthentication=no', '-p', str(port), 'probe@127.0.0.1', 'true'],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL, check=False)
    return proc.stdout + proc.stderr


def test_dh_only_client_breaks_after_openssh_10_as_the_real_handshakes_say(tmp_path):
    dh_only = dict(_captured(tmp_path, openssh_dh_only), name='dh-only', kex_algorithms_set=True)
    assert [name for name in dh_only['kex_algorithms'] if name not in PSEUDO_ALGORITHMS] == DH_ONLY_KEX.split(',')
    default = dict(_captured(tmp_path, default_openssh), name='ssh-defaults')
    with Sshd() as today:
        probed = probe('127.0.0.1', today.port, timeout=10)
        assert not probed.get('failed'), probed
        impact = upgrade_impact(probed, 'openssh-10.0', [dh_only, default])
        real_today = {'dh-only': _real_ssh(today.port, tmp_path, True),
                      'ssh-defaults': _real_ssh(today.port, tmp_path, False)}
    assert impact['current'] == 'debian-12', impact['candidates']
    assert {item['assumption'] for item in impact['assumptions']} == {'release_defaults'}
    assert impact['breaks'] == ['dh-only'] and impact['daemon_refuses_to_start'] is False
    for item in impact['clients']:
        assert item['today']['compatible'] and KEX_DONE in real_today[item['client']], real_today[item['client']]
    after = [item for item in impact['clients'] if item['client'] == 'dh-only'][0]['after']
    assert [failure['category'] for failure in after['failures']] == ['kex']

    predicted = [name for name in impact['offer']['kex_algorithms'] if name not in PSEUDO_ALGORITHMS]
    assert predicted[0] == 'mlkem768x25519-sha256' and not set(DH_ONLY_KEX.split(',')) & set(predicted)
    served = predicted[1:]   # what the installed 9.2 knows of 10.0's default kex
    with Sshd({'KexAlgorithms': ','.join(served)}) as upgraded:
        offered = probe('127.0.0.1', upgraded.port, timeout=10)['offer']['kex_algorithms']
        assert [name for name in offered if name not in PSEUDO_ALGORITHMS] == served
        real_dh = _real_ssh(upgraded.port, tmp_path, True)
        real_default = _real_ssh(upgraded.port, tmp_path, False)
    assert KEX_FAILED in real_dh, real_dh
    assert KEX_DONE in real_default, real_default
    assert [item['after']['compatible'] for item in impact['clients']] == [False, True]


def test_sshd_refuses_to_start_on_a_kept_name_it_does_not_know(tmp_path):
    ten = load_server_profile('openssh-10.0')
    server = {key: ten[key] for key in ten if key.endswith(('_client_to_server', '_server_to_client'))}
    explicit = ['mlkem768x25519-sha256', 'curve25519-sha256']
    server.update(kex_algorithms=explicit + ['ext-info-s', 'kex-strict-s-v00@openssh.com'],
                  server_host_key_algorithms=ten['server_host_key_algorithms'], banner=ten['banner'])
    result = predict_upgrade(server, 'debian-12')
    kex = [item for item in result['assumptions'] if item['category'] == 'kex'][0]
    assert result['current'] == 'openssh-10.0' and kex['assumption'] == 'explicit_kept'
    assert kex['removed'] == ['mlkem768x25519-sha256'] and result['daemon_refuses_to_start'] is True
    key = keygen(str(tmp_path / 'host_ed25519'), 'ed25519')
    proc = subprocess.run([SSHD, '-t', '-f', '/dev/null', '-h', key, '-o', 'KexAlgorithms=' + ','.join(explicit)],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode != 0
    said = [line for line in proc.stderr.splitlines() if 'Bad SSH2 KexAlgorithms' in line]
    assert said and said[0].split(': ', 1)[1] == kex['daemon_error'].split(': ', 1)[1], (proc.stderr, kex)
