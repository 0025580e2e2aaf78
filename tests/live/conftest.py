# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for live tests: real servers on 127.0.0.1 and a runner for ansible-playbook."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

# The loopback lab (lab/ at the collection root); tests/conftest.py puts the root on sys.path already.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from lab.servers import Dropbear, ProftpdSftp, Sshd  # noqa: E402  pylint: disable=wrong-import-position
from lab.peers import HostilePeer, ParamikoServer  # noqa: E402  pylint: disable=wrong-import-position

ANSIBLE_BIN = os.path.dirname(sys.executable)


def ansible_env(tmp_dir, collections_path=None):
    """Environment for ansible-* commands; ``collections_path`` replaces the checkout's collections path
    (and then Ansible looks nowhere else: not on sys.path either)."""
    env = dict(os.environ)
    if collections_path:
        env['ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'] = 'false'
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path or os.environ['FLEETCRYPTO_COLLECTIONS_PATH'],
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_HOME': os.path.join(tmp_dir, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(tmp_dir, 'ansible-tmp'),
    })
    return env


def run_tasks(tmp_dir, tasks, extra_args=(), timeout=300):
    """Run ``tasks`` (a list of ``(key, module_args, task_options)``) of algorithms_info in one playbook."""
    return run_playbook(tmp_dir, [dict({'name': key, 'fleetcrypto.sftp.algorithms_info': args}, **(options or {}))
                                  for key, args, options in tasks], extra_args, timeout)


def run_role(tmp_path, role_vars, *extra):
    """Run the role ``fleetcrypto.sftp.baseline`` on localhost (local connection) with ``role_vars`` and
    ``extra`` ansible-playbook arguments (``--check``); return (returncode, output, ``baseline_result`` or None when
    the role did not get that far)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    result_file = tmp_path / 'baseline_result.json'
    playbook = tmp_path / 'site.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'gather_facts': False,
        'roles': [{'role': 'fleetcrypto.sftp.baseline', 'vars': role_vars}],
        'post_tasks': [{'name': 'Keep the result', 'check_mode': False, 'delegate_to': 'localhost',
                        'ansible.builtin.copy': {'content': '{{ baseline_result | to_json }}',
                                                 'dest': str(result_file), 'mode': '0600'}}]}]))
    proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           str(playbook)] + list(extra), env=ansible_env(str(tmp_path)), capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    result = json.loads(result_file.read_text()) if result_file.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, result


def run_playbook(tmp_dir, tasks, extra_args=(), timeout=300, collections_path=None):
    """Run ``tasks`` (task dicts, each with a unique ``name``) in one ansible-playbook call on localhost.

    Each task's registered result is returned under its name. Tasks never abort the play
    (``ignore_errors``), so a test can look at failures as data.
    """
    plays = []
    names = []
    for index, task in enumerate(tasks):
        task = dict(task, register='r%d' % index, ignore_errors=True)
        plays.append(task)
        names.append("'%s': r%d" % (task['name'], index))
    out = os.path.join(tmp_dir, 'results.json')
    plays.append({'name': 'save results', 'check_mode': False,
                  'ansible.builtin.copy': {'content': '{{ {%s} | to_json }}' % ', '.join(names), 'dest': out}})
    playbook = os.path.join(tmp_dir, 'playbook.yml')
    with open(playbook, 'w') as handle:
        json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': plays}], handle)
    proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           playbook] + list(extra_args),
                          env=ansible_env(tmp_dir, collections_path), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with open(out) as handle:
        return json.load(handle), proc.stdout


# Each sshd configuration states every list it sets, in a deliberately non-default order, so that the
# test can assert the module returns exactly those lists in exactly that order.
SSHD_CONFIGS = {
    'modern': {
        'Ciphers': ['aes256-ctr', 'aes128-ctr'],
        'MACs': ['hmac-sha2-512', 'hmac-sha2-256'],
        'KexAlgorithms': ['curve25519-sha256', 'diffie-hellman-group14-sha256'],
        'HostKeyAlgorithms': ['ssh-ed25519', 'rsa-sha2-512'],
    },
    'aead_pq': {
        'Ciphers': ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'],
        'MACs': ['hmac-sha2-256-etm@openssh.com'],
        'KexAlgorithms': ['sntrup761x25519-sha512@openssh.com', 'ecdh-sha2-nistp384'],
        'HostKeyAlgorithms': ['ecdsa-sha2-nistp256', 'rsa-sha2-256'],
    },
    'legacy': {
        'Ciphers': ['aes256-cbc', 'aes128-cbc', '3des-cbc'],
        'MACs': ['hmac-sha1', 'hmac-md5'],
        'KexAlgorithms': ['diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'],
        'HostKeyAlgorithms': ['ssh-rsa'],
    },
    'cerberus_like': {
        'Ciphers': ['aes256-ctr', 'aes256-cbc'],
        'MACs': ['hmac-sha1', 'hmac-sha2-256', 'hmac-sha2-512'],
        'KexAlgorithms': ['ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'diffie-hellman-group-exchange-sha256'],
        'HostKeyAlgorithms': ['rsa-sha2-256', 'ssh-ed25519', 'ecdsa-sha2-nistp256'],
        'Compression': 'no',
    },
}

PROFTPD_SETTINGS = {
    'SFTPCiphers': ['aes256-ctr', 'aes128-ctr', 'aes256-cbc'],
    'SFTPDigests': ['hmac-sha2-512', 'hmac-sha2-256', 'hmac-sha1'],
    'SFTPKeyExchanges': ['ecdh-sha2-nistp384', 'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha256'],
}


class Lab:
    """Every server the live tests use, started once per test session and stopped at its end."""

    def __init__(self):
        self.sshd = {}
        self.proftpd = None
        self.dropbear = None
        self.paramiko = None
        self.hostile = None
        self._all = []

    def start(self):
        try:
            for name, settings in SSHD_CONFIGS.items():
                self.sshd[name] = self._track(Sshd(settings).start())
            self.proftpd = self._track(ProftpdSftp(PROFTPD_SETTINGS).start())
            self.dropbear = self._track(Dropbear(key_types=('ed25519',)).start())
            self.paramiko = self._track(ParamikoServer().start())
            self.hostile = self._track(HostilePeer().start())
        except Exception:
            self.stop()
            raise
        return self

    def _track(self, server):
        self._all.append(server)
        return server

    def stop(self):
        for server in reversed(self._all):
            server.stop()
        self._all = []


@pytest.fixture(scope='session')
def lab():
    running = Lab().start()
    try:
        yield running
    finally:
        running.stop()
