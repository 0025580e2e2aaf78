# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's handshake check (baseline_verify_handshake) through ansible-playbook against a daemonized sshd 9.2."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess
import time

import pytest

from conftest import run_role
from lab.managed import ManagedSshd
from lab.servers import keygen

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict

from test_baseline_role import digest, dropin_path


def offered_host_keys(server):
    result = probe('127.0.0.1', server.port, timeout=10)
    assert not result['failed'], result
    return result['offer']['server_host_key_algorithms']


def test_role_result_says_which_clients_a_handshake_proved(tmp_path):
    """After the reload: paramiko-5.1 is proven by a handshake; openssh-9.2, which would negotiate
    sntrup761x25519-sha512 and chacha20-poly1305 (paramiko speaks neither), only by prediction, with that reason."""
    with ManagedSshd(main_settings=['Ciphers aes256-ctr,aes256-cbc'], include='bottom') as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate',
                         baseline_required_clients=['paramiko-5.1', 'openssh-9.2'])
        code, out, result = run_role(tmp_path, role_vars)
    assert code == 0, out[-5000:]
    assert result['changed'] is True
    assert result['proven'] == ['paramiko-5.1'], result
    assert [entry['name'] for entry in result['predicted_only']] == ['openssh-9.2']
    assert 'sntrup761x25519-sha512' in result['predicted_only'][0]['reason']
    assert result['handshake']['ok'] and result['handshake']['paramiko_version']


def test_handshake_failure_after_reload_rolls_back(tmp_path):
    """The offer hides it, the handshake does not.

    sshd's RSA host key lives in an ssh-agent (``HostKeyAgent``, as with host keys kept on a token): only its
    public half is on disk. The agent runs but does not hold the key, as after a reboot before someone loads it.
    sshd starts, ``sshd -t`` passes, and sshd offers ssh-ed25519, rsa-sha2-512 and rsa-sha2-256; a client that
    picks an RSA algorithm is cut off in the key exchange (sshd logs "mm_answer_sign: agent sign: agent refused
    operation"), one that picks ssh-ed25519 connects. paramiko-5.1 prefers ssh-ed25519, so it works today.

    The ``fips-140-3`` baseline does not allow Ed25519 (FIPS 186-5 section 6 is its source for ECDSA only), so the
    role leaves rsa-sha2-512/rsa-sha2-256. After the reload the offer is exactly the target and ``negotiate``
    predicts paramiko-5.1 compatible with rsa-sha2-512: the live offer check passes. The handshake with
    paramiko-5.1's proposal picks rsa-sha2-512 and is cut off; the role restores the files, restarts sshd, and
    fails naming the client. Without the handshake check the role would have locked paramiko-5.1 out."""
    agent_dir = tmp_path / 'agent'
    agent_dir.mkdir()
    socket_path = str(agent_dir / 'agent.sock')
    rsa = keygen(str(agent_dir / 'host_rsa_in_agent'), 'rsa', 3072)
    os.remove(rsa)  # only host_rsa_in_agent.pub stays on disk
    agent = subprocess.Popen(['ssh-agent', '-D', '-a', socket_path], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(socket_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.exists(socket_path)
        settings = ['HostKey %s' % rsa, 'HostKeyAgent %s' % socket_path]
        with ManagedSshd(main_settings=settings, include='bottom', host_key_types=('ed25519',)) as server:
            assert offered_host_keys(server) == ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']
            before = probe('127.0.0.1', server.port, timeout=10)
            assert predict(before, 'paramiko-5.1')['negotiated']['host_key'] == 'ssh-ed25519'
            files = digest(server.config, dropin_path(server))
            # The HostKey order stays as it is: ordering would drop the Ed25519 key fips-140-3 does not allow and
            # leave sshd with the agent's key alone, which the offer probe already sees failing.
            role_vars = dict(server.role_vars(), baseline_policy='fips-140-3', baseline_verify_retries=5,
                             baseline_required_clients=['paramiko-5.1'], baseline_host_key_order=False)
            code, out, _result = run_role(tmp_path / 'run', role_vars)
            server.remember_pid()
            after = probe('127.0.0.1', server.port, timeout=10)
            files_after = digest(server.config, dropin_path(server))
        assert code != 0
        assert 'Handshake check failed' in out, out[-6000:]
        assert re.search(r'paramiko-5\.1: closed: .*rsa-sha2-512', out), out[-6000:]
        assert 'previous configuration was restored' in out, out[-6000:]
        assert 'Live check failed' not in out  # the offer was the target, and predicted fine
        assert files_after == files
        assert after['offer'] == before['offer']
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_node_without_paramiko_is_predicted_only_and_not_rolled_back(tmp_path):
    """The managed node's Python (Debian's /usr/bin/python3 here) has no paramiko: the role says so, keeps the
    change, and reports every required client as predicted only with that reason."""
    if subprocess.run(['/usr/bin/python3', '-c', 'import paramiko'], capture_output=True, timeout=60,
                      check=False).returncode == 0:
        pytest.skip('/usr/bin/python3 has paramiko (Debian package python3-paramiko): no node without it here')
    with ManagedSshd(main_settings=['Ciphers aes256-ctr,aes256-cbc'], include='bottom') as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_required_clients=['paramiko-5.1'],
                         ansible_python_interpreter='/usr/bin/python3')
        code, out, result = run_role(tmp_path, role_vars)
        files = digest(server.config, dropin_path(server))
    assert code == 0, out[-5000:]
    assert 'paramiko (3.4 or newer) is not installed' in out
    assert result['changed'] is True and files[dropin_path(server)] is not None
    assert result['proven'] == [] and result['handshake']['ran'] is False
    assert [entry['name'] for entry in result['predicted_only']] == ['paramiko-5.1']
    assert 'paramiko' in result['predicted_only'][0]['reason']
