# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The negotiate and parse_kex_log filters through ansible-playbook, on a live probe and on a vendor log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from conftest import run_playbook

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'unit', 'fixtures')

JSCH_RESTRICTED = {
    'kex': ['ecdh-sha2-nistp256', 'diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha256'],
    'host_key': ['ssh-rsa', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
    'ciphers': ['aes128-ctr', 'aes128-cbc', '3des-ctr', '3des-cbc', 'blowfish-cbc'],
    'macs': ['hmac-md5', 'hmac-sha1', 'hmac-sha2-256'],
    'compression': ['none'],
}


def test_negotiate_on_a_live_probe_and_parse_kex_log(lab, tmp_path):
    aes256_only = lab.sshd['cerberus_like'].port
    tasks = [
        {'name': 'probe', 'fleetcrypto.sftp.algorithms_info': {'host': '127.0.0.1', 'port': aes256_only}},
        {'name': 'predict', 'ansible.builtin.set_fact': {
            'prediction': "{{ r0 | fleetcrypto.sftp.negotiate(client) }}"}, 'vars': {'client': JSCH_RESTRICTED}},
        {'name': 'from_log', 'ansible.builtin.set_fact': {
            'proposals': "{{ lookup('ansible.builtin.file', log) | fleetcrypto.sftp.parse_kex_log }}"},
         'vars': {'log': os.path.join(FIXTURES, 'cerberus-kex-debug.log')}},
        {'name': 'log_prediction', 'ansible.builtin.set_fact': {
            'log_prediction': "{{ (proposals | selectattr('role', 'equalto', 'server') | first)"
                              " | fleetcrypto.sftp.negotiate(proposals | selectattr('role', 'equalto', 'client')"
                              " | first) }}"}},
        {'name': 'bad_name', 'ansible.builtin.set_fact': {
            'bad': "{{ r0 | fleetcrypto.sftp.negotiate({'ciphers': ['aes128-ctr\\nPermitRootLogin yes']}) }}"}},
    ]
    results, _stdout = run_playbook(str(tmp_path), tasks)
    prediction = results['predict']['ansible_facts']['prediction']
    assert prediction['compatible'] is False
    assert prediction['server_software'] == 'OpenSSH'
    assert [(f['category'], f['direction']) for f in prediction['failures']] == [('cipher', 'c2s'), ('cipher', 's2c')]
    assert prediction['failures'][0]['server'] == ['aes256-ctr', 'aes256-cbc']
    log_prediction = results['log_prediction']['ansible_facts']['log_prediction']
    assert [f['category'] for f in log_prediction['failures']] == ['cipher', 'cipher']
    assert results['bad_name']['failed'] and 'not a valid SSH algorithm name' in results['bad_name']['msg']
