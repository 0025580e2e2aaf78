# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Built-in profiles of installed software must equal what that software really sends; and client_capture
runs through ansible-playbook against a real client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest
import yaml

from lab.clients import available_default_clients
from lab.servers import free_port

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import data_dir
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile

PROFILE_DIR = data_dir('client_profiles')

from conftest import run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from capture_client_profiles import capture_default  # noqa: E402  pylint: disable=wrong-import-position


def _captured_profiles():
    found = []
    for name in sorted(os.listdir(PROFILE_DIR)):
        with open(os.path.join(PROFILE_DIR, name)) as handle:
            data = yaml.safe_load(handle)
        if data.get('captured_with'):
            found.append((data['name'], data['captured_with']))
    return found


@pytest.mark.parametrize('name,kind', _captured_profiles())
def test_profile_equals_what_the_installed_software_sends(name, kind, tmp_path):
    if kind not in available_default_clients():
        pytest.skip('%s is not installed here' % kind)
    stored = load_profile(name)
    record = capture_default(kind, str(tmp_path))
    assert record is not None, 'the %s client sent no KEXINIT' % kind
    if record['banner'] != stored['banner']:
        pytest.skip('installed %s says %s, the profile is of %s' % (kind, record['banner'], stored['banner']))
    for key in NAME_LIST_KEYS:
        assert record['offer'][key] == stored[key], (name, key)
    # The guessed first key-exchange packet (dropbear's client always sends one) is part of the profile too.
    assert record['offer']['first_kex_packet_follows'] is stored.get('first_kex_packet_follows', False), name


def test_client_capture_module_records_a_real_ssh_client(tmp_path):
    port = free_port()
    tasks = [
        {'name': 'listen', 'fleetcrypto.sftp.client_capture': {'port': port, 'count': 1, 'timeout': 60},
         'async': 90, 'poll': 0},
        {'name': 'client', 'ansible.builtin.command': {'argv': [
            'ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o',
            'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'ConnectionAttempts=10',
            '-o', 'Ciphers=aes128-ctr,aes256-gcm@openssh.com', '-p', str(port), 'probe@127.0.0.1', 'true']},
         'retries': 20, 'delay': 1, 'until': "'Connection refused' not in r1.stderr"},
        {'name': 'wait', 'ansible.builtin.async_status': {'jid': '{{ r0.ansible_job_id }}'},
         'retries': 60, 'delay': 1, 'until': 'r2.finished'},
        {'name': 'bad_port', 'fleetcrypto.sftp.client_capture': {'port': 70000}},
    ]
    results, _stdout = run_playbook(str(tmp_path), tasks)
    captured = results['wait']
    assert not captured.get('failed'), captured
    client = captured['clients'][0]
    assert client['software']['product'] == 'OpenSSH'
    assert client['offer']['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes256-gcm@openssh.com']
    assert client['strict_kex'] and client['ext_info']
    assert client['profile']['name'] == 'openssh-9.2'
    assert results['bad_port']['failed'] and '65535' in results['bad_port']['msg']
