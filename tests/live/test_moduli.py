# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Group-exchange moduli against real sshd 9.2 on 127.0.0.1: what the probe learns, how the baselines rate it
next to ssh-audit 3.9 (from PyPI) on the same server, and the role's baseline_moduli=filter with its check mode,
refusal and rollback.

The 2048-bit-only moduli file is Debian's /etc/ssh/moduli filtered with awk (never ``ssh-keygen -M generate``,
which takes hours).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

import pytest

from conftest import ANSIBLE_BIN
from lab.managed import ManagedSshd
from lab.servers import Sshd
from test_baseline_role import digest, dropin_path, play

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe, probe_many
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate

SYSTEM_MODULI = '/etc/ssh/moduli'
SSH_AUDIT = os.path.join(ANSIBLE_BIN, 'ssh-audit')

pytestmark = pytest.mark.skipif(not os.path.exists(SYSTEM_MODULI), reason='needs the distribution moduli file')


def write_moduli(path, keep):
    """Copy the system moduli lines whose size field (bits - 1) satisfies ``keep``; return the path."""
    with open(SYSTEM_MODULI) as source, open(str(path), 'w') as target:
        for line in source:
            fields = line.split()
            if len(fields) == 7 and not line.startswith('#') and keep(int(fields[4]) + 1):
                target.write(line)
    return str(path)


def sizes_of(result):
    return {item['name']: item.get('bits') for item in result['moduli']['methods'][0]['requests']}


def ssh_audit_gex_lines(port):
    out = subprocess.run([SSH_AUDIT, '-n', '-p', str(port), '127.0.0.1'], capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL, check=False).stdout
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if 'diffie-hellman-group-exchange-sha256' in line)
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.lstrip().startswith('`-'):
            break
        block.append(line)
    return '\n'.join(block)


def test_audit_learns_2048_bit_only_groups_and_rates_them_as_ssh_audit(tmp_path):
    only_2048 = write_moduli(tmp_path / 'moduli-2048', lambda bits: bits == 2048)
    with Sshd({'ModuliFile': only_2048}) as server:
        result = probe('127.0.0.1', server.port, timeout=10, moduli=True)
        batch = probe_many(server.targets, 4, timeout=10, moduli=True)
        audit = ssh_audit_gex_lines(server.port) if os.path.exists(SSH_AUDIT) else None
    assert not result['failed'] and 'moduli_error' not in result, result
    assert [item['kex'] for item in result['moduli']['methods']] == ['diffie-hellman-group-exchange-sha256']
    # OpenSSH refuses a request whose max is below its 2048-bit DH_GRP_MIN; every other one gets 2048 bits.
    assert sizes_of(result) == {'ssh_audit_small': None, 'exact_2048': 2048, 'ssh_audit_second_pass': 2048,
                                'openssh_client': 2048}
    assert result['moduli']['smallest'] == result['moduli']['largest'] == 2048
    assert sizes_of(batch[0]) == sizes_of(result)

    intermediate = evaluate(result, 'intermediate')['checks']['moduli']
    assert intermediate['status'] == 'failed'
    [warn] = intermediate['findings']
    assert warn['rating'] == 'warn' and '112 bits' in warn['reason'] and 'NIST SP 800-57' in warn['source']
    assert "awk '$5 >= 3071' /etc/ssh/moduli" in warn['fix'] and 'ModuliFile' in warn['fix']
    modern = evaluate(result, 'modern')['checks']['moduli']
    assert [item['rating'] for item in modern['findings']] == ['fail']
    if audit is not None:  # ssh-audit 3.9 on the same server says the same
        assert '(2048-bit)' in audit and '2048-bit modulus only provides 112-bits of symmetric strength' in audit, audit


def test_server_without_group_exchange_has_nothing_to_check(tmp_path):
    with Sshd({'KexAlgorithms': 'curve25519-sha256'}) as server:
        result = probe('127.0.0.1', server.port, timeout=10, moduli=True)
    assert result['moduli'] == {'methods': [], 'smallest': None, 'largest': None}
    check = evaluate(result, 'intermediate')['checks']['moduli']
    assert check['status'] == 'passed' and 'offers no Diffie-Hellman group exchange' in check['message']


class OverriddenSshd(ManagedSshd):
    """sshd started with ``-o ModuliFile=...``: a command-line option beats every file, as distribution units
    that pass options do."""

    def __init__(self, moduli_file, **kwargs):
        super(OverriddenSshd, self).__init__(**kwargs)
        self.moduli_file = moduli_file

    def launch_command(self):
        return super(OverriddenSshd, self).launch_command() + ['-o', 'ModuliFile=%s' % self.moduli_file]


def test_role_filter_serves_only_baseline_groups(tmp_path):
    """A server whose moduli file has 2048-bit groups only: check mode writes nothing; the role writes the
    baseline's groups (>= 3072 bits) from a full moduli file to its own file, points ModuliFile at it, and the
    live server then sends >= 3072 bits to every request that allows it; the second run changes nothing."""
    only_2048 = write_moduli(tmp_path / 'moduli-2048', lambda bits: bits == 2048)
    full = write_moduli(tmp_path / 'moduli-full', lambda bits: True)
    target = str(tmp_path / 'moduli.fleetcrypto')
    with ManagedSshd(main_settings=['ModuliFile %s' % only_2048], include='top') as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_moduli='filter',
                         baseline_moduli_source=full, baseline_moduli_file=target)
        before = digest(server.config, dropin_path(server), target)
        assert sizes_of(probe('127.0.0.1', server.port, moduli=True))['openssh_client'] == 2048

        code, out, counts = play(tmp_path / 'check', role_vars, '--check', '--diff')
        assert code == 0 and counts['changed'] >= 1, out[-5000:]
        assert '+ModuliFile %s' % target in out, out[-4000:]
        assert digest(server.config, dropin_path(server), target) == before

        code, out, _counts = play(tmp_path / 'apply', role_vars)
        assert code == 0, out[-5000:]
        with open(target) as handle:
            lines = [line.split() for line in handle if not line.startswith('#')]
        assert lines and min(int(fields[4]) + 1 for fields in lines) == 3072
        with open(dropin_path(server)) as handle:
            assert 'ModuliFile %s\n' % target in handle.read()
        result = probe('127.0.0.1', server.port, moduli=True)
        sizes = sizes_of(result)
        assert sizes['ssh_audit_second_pass'] == 3072 and sizes['openssh_client'] >= 3072, sizes
        # A request for at most 2048 bits still gets OpenSSH 9.2's built-in group 14: info, as ssh-audit says.
        check = evaluate(result, 'intermediate')['checks']['moduli']
        assert check['status'] == 'passed' and [item['rating'] for item in check['findings']] == ['info'], check
        if os.path.exists(SSH_AUDIT):
            audit = ssh_audit_gex_lines(server.port)
            assert '(3072-bit)' in audit and '112-bits' not in audit, audit

        code, out, counts = play(tmp_path / 'again', role_vars)
        assert code == 0 and counts['changed'] == 0, out[-5000:]


def test_role_filter_refuses_an_empty_result_before_writing(tmp_path):
    only_2048 = write_moduli(tmp_path / 'moduli-2048', lambda bits: bits == 2048)
    target = str(tmp_path / 'moduli.fleetcrypto')
    with ManagedSshd(include='top') as server:
        before = digest(server.config, dropin_path(server), target)
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_moduli='filter',
                         baseline_moduli_source=only_2048, baseline_moduli_file=target)
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'no group of at least 3072 bits that sshd would use is left' in out, out[-4000:]
        assert digest(server.config, dropin_path(server), target) == before
        assert 'RUNNING HANDLER' not in out


def test_role_filter_rolls_back_when_the_live_server_still_sends_small_groups(tmp_path):
    """sshd -T (without the daemon's command line) accepts the new files, but the running daemon's -o
    ModuliFile wins: the live group-exchange check fails, the drop-in and the moduli file are undone and the
    daemon is restarted with its previous configuration."""
    only_2048 = write_moduli(tmp_path / 'moduli-2048', lambda bits: bits == 2048)
    full = write_moduli(tmp_path / 'moduli-full', lambda bits: True)
    target = str(tmp_path / 'moduli.fleetcrypto')
    with OverriddenSshd(only_2048, include='top') as server:
        before = digest(server.config, dropin_path(server), target)
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_moduli='filter',
                         baseline_moduli_source=full, baseline_moduli_file=target, baseline_verify_retries=3)
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'Live group exchange check failed' in out and 'previous configuration was restored' in out, \
            out[-5000:]
        assert digest(server.config, dropin_path(server), target) == before
        server.remember_pid()
        result = probe('127.0.0.1', server.port, moduli=True)
        assert not result['failed'] and sizes_of(result)['openssh_client'] == 2048
