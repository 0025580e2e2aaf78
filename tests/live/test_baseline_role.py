# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role fleetcrypto.sftp.baseline through ansible-playbook against real daemons on 127.0.0.1.

sshd and ProFTPD run daemonized from temp dirs, like a node's service; the role reaches them through its
service-command override (SIGHUP for reload, kill and start for restart), so its real handler path runs. Every
check that matters is made outside the role as well: file contents on disk, and a fresh probe of the daemon.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ANSIBLE_BIN, ansible_env
from lab.managed import ManagedProftpd, ManagedSshd
from lab.peers import HostilePeer

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe

CLASSIC_FAILURE = ['Ciphers aes256-ctr,aes256-cbc']  # the server half of the brief's "could not agree"
JSCH_EXCEPTIONS = [  # what the restricted-JCE JSch needs beyond "modern", each documented
    {'client': 'jsch-0.1.54-restricted-jce', 'algorithm': 'ecdh-sha2-nistp256', 'reason': 'partner ACME, ticket 42',
     'expires': '2099-12-31'},
    {'client': 'jsch-0.1.54-restricted-jce', 'algorithm': 'ssh-rsa', 'reason': 'partner ACME, ticket 42',
     'expires': '2099-12-31'},
    {'client': 'jsch-0.1.54-restricted-jce', 'algorithm': 'hmac-sha2-256', 'reason': 'partner ACME, ticket 42',
     'expires': '2099-12-31'},
    {'client': 'jsch-0.1.54-restricted-jce', 'algorithm': 'hmac-sha1', 'reason': 'expired on purpose',
     'expires': '2020-01-01'},
]


def play(tmp_path, role_vars, *extra, inventory=None):
    """Run the role once (on localhost through the local connection, or on the ``inventory`` file's host
    ``target``); return (returncode, stdout, recap counts)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    playbook = tmp_path / 'site.yml'
    playbook.write_text(json.dumps([{'hosts': 'target' if inventory else 'localhost', 'gather_facts': False,
                                     'roles': [{'role': 'fleetcrypto.sftp.baseline', 'vars': role_vars}]}]))
    where = ['-i', str(inventory)] if inventory else ['-i', 'localhost,', '-c', 'local']
    proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook')] + where + [str(playbook)] + list(extra),
                          env=ansible_env(str(tmp_path)), capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    recap = re.search(r'(?:localhost|target)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)',
                      proc.stdout)
    counts = dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, recap.groups()))) if recap else {}
    return proc.returncode, proc.stdout + proc.stderr, counts


def digest(*paths):
    result = {}
    for path in paths:
        if os.path.exists(path):
            with open(path, 'rb') as handle:
                result[path] = hashlib.sha256(handle.read()).hexdigest()
        else:
            result[path] = None
    return result


def live_lists(server):
    result = probe('127.0.0.1', server.port, timeout=10)
    assert not result['failed'], result
    offer = result['offer']
    return result, {
        'kex': [name for name in offer['kex_algorithms'] if name not in PSEUDO_ALGORITHMS],
        'host_key': offer['server_host_key_algorithms'],
        'ciphers': offer['encryption_algorithms_client_to_server'],
        'macs': offer['mac_algorithms_client_to_server'],
    }


def dropin_path(server):
    return os.path.join(server.dropin_dir, '00-fleetcrypto-sftp.conf')


def test_sshd_check_mode_apply_idempotent_and_live(tmp_path):
    """Classic failure server: check mode changes nothing, the first run fixes it through the handler, the second
    run changes nothing and does not reload, and a fresh probe shows exactly the target."""
    with ManagedSshd(main_settings=CLASSIC_FAILURE, include='bottom') as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate',
                         baseline_required_clients=['openssh-9.2', 'jsch-0.1.55', 'putty-0.78'])
        before_files = digest(server.config, dropin_path(server))
        _result, before_offer = live_lists(server)
        pid = server.remember_pid()

        code, out, counts = play(tmp_path / 'check', role_vars, '--check', '--diff')
        assert code == 0, out[-5000:]
        assert counts['changed'] >= 1, out[-3000:]
        assert '+KexAlgorithms ' in out and 'Include %s/*.conf' % server.dropin_dir in out, out[-5000:]
        # The handler is notified in check mode too, but its command is skipped: same process, same files.
        assert server.remember_pid() == pid
        assert digest(server.config, dropin_path(server)) == before_files
        assert live_lists(server)[1] == before_offer

        code, out, counts = play(tmp_path / 'apply', role_vars)
        assert code == 0, out[-5000:]
        assert 'RUNNING HANDLER [fleetcrypto.sftp.baseline : Fleetcrypto baseline apply]' in out
        with open(server.config) as handle:
            main = handle.read()
        # the role's blocks come first: the host keys in the baseline's order, then the Include (before any setting)
        lines = main.splitlines()
        include = lines.index('Include %s/*.conf' % server.dropin_dir)
        assert lines[include - 1].startswith('# BEGIN fleetcrypto.sftp baseline: drop-ins first'), main
        assert all(line.startswith(('#', 'HostKey ')) for line in lines[:include]), main
        with open(dropin_path(server)) as handle:
            dropin = handle.read()
        result, after = live_lists(server)
        assert 'Ciphers %s' % ','.join(after['ciphers']) in dropin
        assert after['ciphers'] == ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com',
                                    'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr']
        assert 'aes256-cbc' not in after['ciphers'] and 'hmac-sha1' not in after['macs']
        for client in ('openssh-9.2', 'jsch-0.1.55', 'putty-0.78'):
            assert predict(result, client)['compatible'], client
        backups = [name for name in os.listdir(server.dir) if name.startswith('sshd_config.') and name.endswith('~')]
        assert backups, os.listdir(server.dir)

        pid = server.remember_pid()
        code, out, counts = play(tmp_path / 'again', role_vars)
        assert code == 0, out[-5000:]
        assert counts['changed'] == 0, out[-5000:]
        assert 'RUNNING HANDLER' not in out
        assert server.remember_pid() == pid and live_lists(server)[1] == after


def test_required_legacy_client_forces_minimal_documented_additions(tmp_path):
    """A restricted-JCE JSch against "modern": exactly its most preferred algorithm per failing category is
    added, each through its exception; the expired exception is not used."""
    with ManagedSshd(include='top') as server:
        role_vars = dict(server.role_vars(), baseline_policy='modern',
                         baseline_required_clients=['openssh-9.2', 'jsch-0.1.54-restricted-jce'],
                         baseline_exceptions=JSCH_EXCEPTIONS)
        code, out, _counts = play(tmp_path, role_vars)
        assert code == 0, out[-5000:]
        result, after = live_lists(server)
        assert after['kex'][-1] == 'ecdh-sha2-nistp256' and 'ecdh-sha2-nistp384' not in after['kex']
        assert after['macs'][-1] == 'hmac-sha2-256' and 'hmac-sha1' not in after['macs']
        assert 'ssh-rsa' in after['host_key']
        assert after['ciphers'][:1] == ['chacha20-poly1305@openssh.com']  # modern order kept, nothing added
        prediction = predict(result, 'jsch-0.1.54-restricted-jce')
        assert prediction['compatible'], prediction
        assert prediction['negotiated']['cipher_c2s'] == 'aes128-ctr'
        with open(dropin_path(server)) as handle:
            dropin = handle.read()
        assert '# added for client jsch-0.1.54-restricted-jce: ecdh-sha2-nistp256 (exception, expires 2099-12-31)' \
            in dropin


def test_conflict_fails_before_writing(tmp_path):
    with ManagedSshd(main_settings=CLASSIC_FAILURE, include='bottom') as server:
        files = digest(server.config, dropin_path(server))
        role_vars = dict(server.role_vars(), baseline_policy='modern',
                         baseline_required_clients=['jsch-0.1.54-restricted-jce'],
                         baseline_exceptions=JSCH_EXCEPTIONS[3:])  # only the expired one
        code, out, counts = play(tmp_path, role_vars)
        assert code != 0 and counts['failed'] == 1
        assert 'client jsch-0.1.54-restricted-jce needs one of ecdh-sha2-nistp256' in out, out[-4000:]
        assert 'does not allow' in out
        assert digest(server.config, dropin_path(server)) == files
        assert 'RUNNING HANDLER' not in out


def test_invalid_algorithm_name_is_rejected_and_nothing_written(tmp_path):
    with ManagedSshd(include='top') as server:
        files = digest(server.config, dropin_path(server))
        hostile = {'name': 'hostile', 'source': 'test',
                   'allowed': {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'],
                               'ciphers': ['aes128-ctr\nPermitRootLogin yes'], 'macs': ['hmac-sha2-256']}}
        code, out, _counts = play(tmp_path, dict(server.role_vars(), baseline_policy=hostile))
        assert code != 0
        assert 'is not a valid SSH algorithm name' in out, out[-4000:]
        assert digest(server.config, dropin_path(server)) == files


def test_earlier_dropin_that_would_win_is_named_before_writing(tmp_path):
    with ManagedSshd(include='top', dropins={'00-aaa-legacy.conf': 'Ciphers aes256-cbc\n'}) as server:
        files = digest(server.config, dropin_path(server))
        code, out, _counts = play(tmp_path, dict(server.role_vars(), baseline_policy='intermediate'))
        assert code != 0
        assert '00-aaa-legacy.conf sets ciphers' in out, out[-4000:]
        assert digest(server.config, dropin_path(server)) == files


def test_control_connection_is_protected(tmp_path):
    with ManagedSshd(include='top') as server:
        files = digest(server.config, dropin_path(server))
        role_vars = dict(server.role_vars(), baseline_policy='modern',
                         baseline_control_client='jsch-0.1.54-restricted-jce')
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'would cut off the Ansible control connection' in out, out[-4000:]
        assert digest(server.config, dropin_path(server)) == files


def test_daemon_that_does_not_come_back_is_rolled_back_and_answers(tmp_path):
    """The reload leaves the daemon dead (as sshd dies on SIGHUP with a configuration it refuses): the live
    check fails, the role restores the previous files, restarts, and the daemon answers with its old offer."""
    with ManagedSshd(main_settings=CLASSIC_FAILURE, include='bottom') as server:
        files = digest(server.config, dropin_path(server))
        _result, before = live_lists(server)
        commands = dict(server.service_commands)
        commands['reload'] = 'kill $(cat %s)' % server.pid_file
        role_vars = dict(server.role_vars(), baseline_policy='intermediate', baseline_verify_retries=3,
                         baseline_service_commands=commands)
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'previous configuration was restored' in out, out[-5000:]
        assert digest(server.config, dropin_path(server)) == files
        server.remember_pid()
        assert live_lists(server)[1] == before


def test_proftpd_apply_idempotent_and_live(tmp_path):
    with ManagedProftpd(sftp_settings=['SFTPCiphers aes256-ctr aes256-cbc']) as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate')
        files = digest(server.config, server.sftp_config)
        # The file sets SFTPCiphers itself: the role names it instead of guessing which one ProFTPD keeps.
        code, out, _counts = play(tmp_path / 'conflicting', role_vars)
        assert code != 0 and 'outside the block this role manages' in out, out[-4000:]
        assert digest(server.config, server.sftp_config) == files

    with ManagedProftpd() as server:
        role_vars = dict(server.role_vars(), baseline_policy='intermediate',
                         baseline_required_clients=['openssh-9.2', 'jsch-0.1.54-restricted-jce'])
        files = digest(server.config, server.sftp_config)
        code, out, counts = play(tmp_path / 'check', role_vars, '--check', '--diff')
        assert code == 0 and counts['changed'] >= 1, out[-5000:]
        assert '+SFTPCiphers ' in out, out[-4000:]
        assert digest(server.config, server.sftp_config) == files
        code, out, _counts = play(tmp_path / 'apply', role_vars)
        assert code == 0, out[-5000:]
        assert 'RUNNING HANDLER' in out
        result, after = live_lists(server)
        assert 'chacha20-poly1305@openssh.com' not in after['ciphers']  # mod_sftp refuses it; never configured
        assert after['ciphers'][0] == 'aes256-gcm@openssh.com'
        with open(server.sftp_config) as handle:
            text = handle.read()
        assert 'SFTPCiphers %s' % ' '.join(after['ciphers']) in text
        for client in ('openssh-9.2', 'jsch-0.1.54-restricted-jce'):
            assert predict(result, client)['compatible'], client
        pid = server.remember_pid()
        code, out, counts = play(tmp_path / 'again', role_vars)
        assert code == 0 and counts['changed'] == 0, out[-5000:]
        assert server.remember_pid() == pid


@pytest.mark.parametrize('baseline', ['modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4'])
def test_every_builtin_baseline_applies_to_sshd(tmp_path, baseline):
    with ManagedSshd(include='top') as server:
        code, out, _counts = play(tmp_path, dict(server.role_vars(), baseline_policy=baseline))
        assert code == 0, out[-5000:]
        _result, after = live_lists(server)
        assert after['ciphers'] and after['kex']


def test_cerberus_is_reported_with_exact_settings_not_configured(tmp_path):
    """A server the role cannot configure (recognised by its Cerberus banner): the role computes the lists and
    fails with the settings to enable in the Advanced Security dialog and the service restart, touching nothing."""
    with HostilePeer(['empty_entries']) as peer:
        role_vars = {
            'baseline_verify_port': peer.ports['empty_entries'], 'baseline_policy': 'intermediate',
            'baseline_required_clients': ['jsch-0.1.54-restricted-jce'],
            # What the Advanced Security dialog offers on this (simulated) server.
            'baseline_supported': {'kex': ['ecdh-sha2-nistp256', 'diffie-hellman-group14-sha1'],
                                   'host_key': ['ssh-rsa', 'rsa-sha2-256'],
                                   'ciphers': ['aes128-ctr', 'aes256-ctr', 'aes256-cbc'],
                                   'macs': ['hmac-sha2-256', 'hmac-sha1', 'hmac-md5']},
            'baseline_exceptions': [{'client': 'jsch-0.1.54-restricted-jce', 'algorithm': 'ssh-rsa',
                                     'reason': 'partner ACME', 'expires': '2099-12-31'}],
        }
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'Cerberus FTP Server 12.0 cannot be configured by this role' in out, out[-4000:]
        assert 'Advanced Security dialog' in out and 'restart the Cerberus FTP Server Windows service' in out
        assert 'Ciphers: aes256-ctr, aes128-ctr. MACs: hmac-sha2-256.' in out, out[-3000:]
        assert 'Host key: rsa-sha2-256, ssh-rsa.' in out, out[-3000:]
        assert 'Detect the daemon' not in out


@pytest.mark.skipif(os.geteuid() != 0, reason='sshd logs in only the user it runs as; CI runs as root')
def test_role_over_real_ssh_protects_its_own_connection(tmp_path):
    """Ansible connects with ssh to the very sshd the role configures. With the connection limited to
    aes128-cbc (which intermediate removes) the role refuses before writing; with the client's defaults it
    applies, reloads sshd under its own connection and verifies."""
    key = tmp_path / 'id_ed25519'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(key)], check=True,
                   stdin=subprocess.DEVNULL)
    authorized = tmp_path / 'authorized_keys'
    authorized.write_text((tmp_path / 'id_ed25519.pub').read_text())
    settings = ['Ciphers aes128-cbc,aes256-ctr', 'AuthorizedKeysFile %s' % authorized, 'PubkeyAuthentication yes',
                'PermitRootLogin prohibit-password']
    with ManagedSshd(main_settings=settings, include='top') as server:
        files = digest(server.config, dropin_path(server))

        def inventory(ciphers):
            path = tmp_path / ('inventory-%s.ini' % (ciphers or 'default'))
            args = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' + (
                ' -o Ciphers=%s' % ciphers if ciphers else '')
            path.write_text("target ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=%d ansible_user=root "
                            "ansible_ssh_private_key_file=%s ansible_python_interpreter=%s "
                            "ansible_ssh_common_args='%s'\n" % (server.port, key, sys.executable, args))
            return path

        role_vars = dict(server.role_vars(), baseline_policy='intermediate')
        code, out, _counts = play(tmp_path / 'cbc', role_vars, inventory=inventory('aes128-cbc'))
        assert code != 0
        assert 'would cut off the Ansible control connection' in out, out[-4000:]
        assert 'no matching cipher found' in out, out[-4000:]
        assert digest(server.config, dropin_path(server)) == files

        code, out, counts = play(tmp_path / 'defaults', role_vars, inventory=inventory(None))
        assert code == 0, out[-5000:]
        assert 'RUNNING HANDLER' in out and counts['unreachable'] == 0
        assert 'aes128-cbc' not in live_lists(server)[1]['ciphers']


def test_settings_sshd_would_not_use_are_undone_before_any_reload(tmp_path):
    """sshd's own view of the merged configuration (sshd -T) disagrees with the target, here because the drop-in
    name does not match the Include glob: the role restores sshd_config, removes its file, never reloads, and the
    daemon keeps answering with its old offer."""
    with ManagedSshd(main_settings=CLASSIC_FAILURE, include='bottom') as server:
        files = digest(server.config)
        _result, before = live_lists(server)
        role_vars = dict(server.role_vars(), baseline_policy='intermediate',
                         baseline_sshd_dropin_name='00-fleetcrypto-sftp.conf.disabled')
        code, out, _counts = play(tmp_path, role_vars)
        assert code != 0
        assert 'sshd -T reports' in out and 'previous configuration is back in place' in out, out[-4000:]
        assert 'RUNNING HANDLER' not in out
        assert digest(server.config) == files
        assert os.listdir(server.dropin_dir) == []
        assert live_lists(server)[1] == before


def test_observed_client_lock_out_is_refused_until_an_exception_accepts_it(tmp_path):
    """An observed client (the shape observed_clients_info returns: the restricted-JCE JSch's real lists) and a
    logged failure (negotiation_failures_info's shape): "modern" would lock the JSch out, so the role fails before
    writing anything and names it with JSch's own message; an observed-client exception lets the same run apply,
    and the logged client, which fails today already, never blocks."""
    from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import hassh_of
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
    profile = load_profile('jsch-0.1.54-restricted-jce')
    proposal = {key: profile[key] for key in NAME_LIST_KEYS}
    jsch = {'banner': 'SSH-2.0-JSCH-0.1.54', 'proposal': proposal, 'hassh': hassh_of(proposal), 'connections': 7,
            'addresses': [{'address': '127.0.0.1', 'connections': 7}]}
    logged = {'address': '192.0.2.9', 'category': 'kex', 'client_list': ['diffie-hellman-group1-sha1'],
              'count': 2, 'daemon': 'openssh', 'message': 'Unable to negotiate with 192.0.2.9 port 4: no matching key '
                                                          'exchange method found.'}
    with ManagedSshd(include='top') as server:
        files = digest(server.config, dropin_path(server))
        role_vars = dict(server.role_vars(), baseline_policy='modern', baseline_required_clients=['openssh-9.2'],
                         baseline_observed_clients=[jsch, logged])
        code, out, counts = play(tmp_path / 'refused', role_vars)
        assert code != 0 and counts['failed'] == 1, out[-4000:]
        assert 'would lock out observed clients of this server; nothing was changed' in out, out[-4000:]
        assert 'observed JSch_0.1.54 #%s' % jsch['hassh'][:8] in out
        assert 'Algorithm negotiation fail: algorithmName=\\"kex\\"' in out  # JSch's own words (JSON-escaped)
        assert 'logged kex failure' not in out.split('would lock out observed clients', 1)[1].split('\n', 1)[0]
        assert digest(server.config, dropin_path(server)) == files and 'RUNNING HANDLER' not in out

        role_vars['baseline_observed_exceptions'] = [
            {'hassh': jsch['hassh'][:8], 'reason': 'partner retires it, ticket 4711', 'expires': '2099-12-31'},
            {'banner': 'SSH-2.0-JSCH-*', 'reason': 'expired on purpose', 'expires': '2020-01-01'}]
        code, out, counts = play(tmp_path / 'accepted', role_vars)
        assert code == 0, out[-5000:]
        assert '0 would be locked out, 1 accepted by an observed-client exception, 1 cannot connect today' in out
        assert 'Expired observed-client exceptions (ignored): expired on purpose' in out
        assert 'RUNNING HANDLER [fleetcrypto.sftp.baseline : Fleetcrypto baseline apply]' in out
        assert not predict(live_lists(server)[0], 'jsch-0.1.54-restricted-jce')['compatible']  # locked out, as accepted
