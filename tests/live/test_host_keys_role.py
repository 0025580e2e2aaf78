# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's host-key handling against a real, daemonized sshd on 127.0.0.1 with an RSA 1024 key + Ed25519.

check mode changes nothing; ``baseline_host_keys: report`` leaves the keys alone, reports the violation with its
fix and lists the HostKey lines in the baseline's order (the live offer follows it); ``regenerate`` replaces the
RSA key with one of the baseline's size, backs the old one up, reports the new fingerprint, and sshd serves it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import subprocess

import yaml

from conftest import run_role
from lab.managed import ManagedProftpd, ManagedSshd
from lab.servers import keygen

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEAK_KEYS = (('rsa', 1024), ('ed25519', None))


def digest(paths):
    out = {}
    for path in paths:
        with open(path, 'rb') as handle:
            out[path] = hashlib.sha256(handle.read()).hexdigest()
    return out


def fingerprint(path):
    return subprocess.run(['ssh-keygen', '-l', '-f', path], capture_output=True, text=True, check=True,
                          timeout=30).stdout.split()[:2]


def live_keys(server):
    result = probe('127.0.0.1', server.port, timeout=10, host_keys=True)
    assert not result['failed'], result
    return result


def test_report_check_mode_and_regenerate(tmp_path):
    with ManagedSshd(include='top', host_keys=WEAK_KEYS) as server:
        rsa, ed25519 = os.path.join(server.dir, 'host_rsa'), os.path.join(server.dir, 'host_ed25519')
        keys = [rsa, rsa + '.pub', ed25519, ed25519 + '.pub']
        old_rsa = fingerprint(rsa)
        assert old_rsa[0] == '1024'
        before = live_keys(server)
        assert before['offer']['server_host_key_algorithms'][0] == 'rsa-sha2-512'  # sshd_config lists RSA first
        role_vars = dict(server.role_vars(), baseline_policy='modern')

        # check mode, even with regenerate: nothing changes
        files = digest(keys + [server.config])
        code, out, _result = run_role(tmp_path / 'check', dict(role_vars, baseline_host_keys='regenerate'), '--check')
        assert code == 0, out[-5000:]
        assert digest(keys + [server.config]) == files
        assert not [name for name in os.listdir(server.dir) if '.fleetcrypto-' in name]

        # report: the keys stay, the violation is reported with its fix, HostKey lines follow the baseline order
        code, out, result = run_role(tmp_path / 'report', role_vars)
        assert code == 0, out[-5000:]
        assert digest(keys) == {path: files[path] for path in keys}
        hk = result['host_keys']
        assert hk['mode'] == 'report' and hk['regenerated'] == [] and hk['violations'] == 1, hk
        failing = [item for item in hk['findings'] if item['rating'] == 'fail']
        assert failing and failing[0]['subject'] == rsa and '1024 bits' in failing[0]['reason']
        assert 'ssh-keygen -t rsa -b 3072 -N "" -f %s' % rsa in failing[0]['fix']
        assert 'SP 800-131A' in failing[0]['source']
        assert hk['order'] == [ed25519, rsa]
        with open(server.config) as handle:
            main = handle.read()
        block = "# BEGIN fleetcrypto.sftp baseline: host keys in the baseline's order\nHostKey %s\nHostKey %s\n# END" \
            % (ed25519, rsa)
        assert main.startswith(block), main
        assert '\n# HostKey %s\n' % rsa in main and main.count('\nHostKey ') == 2, main
        after = live_keys(server)
        assert after['offer']['server_host_key_algorithms'] == ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']
        assert {key['fingerprint_sha256'] for key in after['host_keys']} == \
            {key['fingerprint_sha256'] for key in before['host_keys']}

        # regenerate: RSA replaced by 3072 bits, backup kept, new fingerprint reported and served
        code, out, result = run_role(tmp_path / 'regenerate', dict(role_vars, baseline_host_keys='regenerate'))
        assert code == 0, out[-5000:]
        regenerated = result['host_keys']['regenerated']
        assert len(regenerated) == 1, result['host_keys']
        new = regenerated[0]
        assert new['path'] == rsa and new['bits'] == 3072 and new['old_bits'] == 1024
        assert new['old_fingerprint_sha256'] == old_rsa[1]
        assert fingerprint(rsa) == ['3072', new['fingerprint_sha256']]
        assert new['public_key'].startswith('ssh-rsa AAAA')
        assert os.path.exists(new['backup']) and fingerprint(new['backup']) == old_rsa
        assert digest([ed25519])[ed25519] == files[ed25519]
        served = live_keys(server)
        rsa_keys = [key for key in served['host_keys'] if key.get('type') == 'ssh-rsa']
        assert rsa_keys and all(key['bits'] == 3072 and key['fingerprint_sha256'] == new['fingerprint_sha256']
                                for key in rsa_keys), served['host_keys']

        # and again: nothing left to regenerate, nothing changes
        code, out, result = run_role(tmp_path / 'again', dict(role_vars, baseline_host_keys='regenerate'))
        assert code == 0, out[-5000:]
        assert result['host_keys']['regenerated'] == [] and result['host_keys']['violations'] == 0
        assert result['changed'] is False, result


def test_proftpd_sftp_host_key_report_and_regenerate(tmp_path):
    """ProFTPD mod_sftp with a 2048-bit RSA key and a baseline asking for 3072: reported from its SFTPHostKey
    files, then (regenerate) replaced by a 3072-bit PEM key that mod_sftp serves after its restart."""
    with open(os.path.join(ROOT, 'data', 'baselines', 'intermediate.yml')) as handle:
        baseline = yaml.safe_load(handle)
    baseline.update(name='intermediate-rsa3072', host_keys={'rsa_min_bits': 3072, 'source': 'test: SP 800-57 Table 2'})
    server = ManagedProftpd()
    rsa = keygen(os.path.join(server.dir, 'host_rsa'), 'rsa', 2048, pem=True)
    with server:
        role_vars = dict(server.role_vars(), baseline_policy=baseline)
        code, out, result = run_role(tmp_path / 'report', role_vars)
        assert code == 0, out[-5000:]
        hk = result['host_keys']
        assert [item['rating'] for item in hk['findings'] if item['subject'] == rsa] == ['warn'], hk
        assert fingerprint(rsa)[0] == '2048' and hk['regenerated'] == []

        code, out, result = run_role(tmp_path / 'regenerate', dict(role_vars, baseline_host_keys='regenerate'))
        assert code == 0, out[-5000:]
        new, = result['host_keys']['regenerated']
        assert new['path'] == rsa and new['bits'] == 3072 and os.path.exists(new['backup'])
        with open(rsa) as handle:
            assert handle.readline().startswith('-----BEGIN RSA PRIVATE KEY-----')  # PEM, as mod_sftp reads
        served = live_keys(server)
        rsa_keys = [key for key in served['host_keys'] if key.get('type') == 'ssh-rsa']
        assert rsa_keys and rsa_keys[0]['bits'] == 3072 and rsa_keys[0]['fingerprint_sha256'] == new['fingerprint_sha256']
