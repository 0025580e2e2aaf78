# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""handshake_info and the handshake_clients / handshake_proof filters against real daemons on 127.0.0.1.

Real sshd 9.2 (Debian's OpenSSH with its default algorithms) and dropbear 2022.83; the handshakes are paramiko's
own (the installed paramiko, 5.1 in the lab); the cross-checks are real OpenSSH clients.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import time

from conftest import ANSIBLE_BIN, ansible_env, run_playbook
from lab.clients import run_openssh_client
from lab.peers import HostilePeer
from lab.servers import Dropbear, ProftpdSftp, Sshd, hold_closed_port

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.handshake import handshake_host, handshake_many
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.handshake import handshake_clients, \
    handshake_proof
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A client that can only use SHA-1 RSA host-key signatures, which paramiko 5 no longer implements.
RSA_SHA1_ONLY = {'name': 'rsa-sha1-only', 'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256'], 'host_key': ['ssh-rsa'],
                 'ciphers': ['aes128-ctr'], 'macs': ['hmac-sha2-256'], 'compression': ['none']}


def test_module_proves_profiles_against_sshd_9_2_and_never_authenticates(tmp_path):
    """Through ansible-playbook: paramiko-5.1 and jsch-0.2.26 are proven by a handshake that negotiates exactly the
    predicted algorithms; openssh-9.2 and putty-0.81 would negotiate sntrup761x25519 / chacha20-poly1305, which
    paramiko cannot speak, so they stay predicted only (their substitute handshake is reported); the ssh-rsa-only
    client is not attempted. sshd's own debug log shows the clean disconnect after the service request and no
    authentication request at all."""
    clients = ['paramiko-5.1', 'jsch-0.2.26', 'openssh-9.2', 'putty-0.81', RSA_SHA1_ONLY]
    with Sshd({'LogLevel': 'DEBUG1'}) as server:
        live = probe('127.0.0.1', server.port, timeout=10, host_keys=True)
        results, _out = run_playbook(str(tmp_path), [
            {'name': 'hs', 'fleetcrypto.sftp.handshake_info': {
                'host': '127.0.0.1', 'port': server.port, 'timeout': 5,
                'clients': '{{ %r | fleetcrypto.sftp.handshake_clients }}' % (clients,)}},
            {'name': 'proof', 'ansible.builtin.set_fact': {
                'proof': '{{ r0 | fleetcrypto.sftp.handshake_proof(%r, %r) }}' % (live, clients)}},
        ])
        time.sleep(0.3)  # let sshd write its last lines
        log = server.log()
    hs = results['hs']
    assert not hs.get('failed'), hs
    assert hs['expected_from'] == 'probe'
    assert set(hs['expected_fingerprints']) == {key['fingerprint_sha256'] for key in live['host_keys']}
    by_name = {entry['name']: entry for entry in hs['clients']}
    for name in ('paramiko-5.1', 'jsch-0.2.26', 'openssh-9.2', 'putty-0.81'):
        assert by_name[name]['attempted'] and by_name[name]['proven'], by_name[name]
        assert by_name[name]['host_key']['expected'] is True
        assert by_name[name]['strict_kex'] is True  # both sides name kex-strict-*-v00@openssh.com
    assert not by_name['rsa-sha1-only']['attempted']
    assert 'ssh-rsa' in by_name['rsa-sha1-only']['reason']

    proof = results['proof']['ansible_facts']['proof']
    assert proof['ok'] and proof['ran']
    assert proof['proven'] == ['paramiko-5.1', 'jsch-0.2.26']
    verdicts = {verdict['name']: verdict for verdict in proof['clients']}
    for name in proof['proven']:
        assert verdicts[name]['proven_by'] == 'handshake' and not verdicts[name]['substitutions']
        expected = predict(live, name)['negotiated']
        assert verdicts[name]['negotiated']['host_key'] == expected['host_key']
        assert verdicts[name]['negotiated']['cipher_c2s'] == expected['cipher_c2s']
    predicted_only = {entry['name']: entry['reason'] for entry in proof['predicted_only']}
    assert set(predicted_only) == {'openssh-9.2', 'putty-0.81', 'rsa-sha1-only'}
    assert 'sntrup761x25519-sha512' in predicted_only['openssh-9.2']
    assert 'chacha20-poly1305@openssh.com' in predicted_only['openssh-9.2']
    assert verdicts['openssh-9.2']['handshake_completed'] is True
    assert verdicts['rsa-sha1-only']['handshake_completed'] is False

    # sshd's side: four clean disconnects by application (code 11, our reason) before authentication, and not a
    # single userauth request (auth2.c logs "userauth-request for user ..." at debug1 for every one).
    assert len(re.findall(r'Received disconnect from 127\.0\.0\.1 port \d+:11: fleetcrypto\.sftp handshake check '
                          r'done \[preauth\]', log)) == 4, log[-3000:]
    assert 'userauth-request' not in log and 'Accepted' not in log and 'Failed none' not in log


def test_dropbear_offers_rsa_sha2_256_without_an_rsa_key_and_the_handshake_proves_it(tmp_path):
    """dropbear 2022.83 with only an Ed25519 key still offers rsa-sha2-256 (and ssh-rsa). mina-sshd-2.17 lists
    rsa-sha2-256 before ssh-ed25519, so it picks it: the prediction says compatible (host key rsa-sha2-256), the
    handshake, with rsa-sha2-256 as the client would choose, is cut off during the key exchange. A real OpenSSH
    client preferring rsa-sha2-256 fails the same way, and preferring ssh-ed25519 connects, so the failure is the
    server's and not paramiko's."""
    with Dropbear(key_types=('ed25519',)) as server:
        live = probe('127.0.0.1', server.port, timeout=10)
        assert 'rsa-sha2-256' in live['offer']['server_host_key_algorithms']
        prediction = predict(live, 'mina-sshd-2.17')
        assert prediction['compatible'] and prediction['negotiated']['host_key'] == 'rsa-sha2-256'

        clients = ['mina-sshd-2.17', 'paramiko-5.1']
        result = handshake_host('127.0.0.1', server.port, handshake_clients(clients), timeout=5)
        proof = handshake_proof(result, live, clients)

        real_rsa = run_openssh_client(server.port, {'HostKeyAlgorithms': 'rsa-sha2-256,ssh-ed25519'})
        real_ed25519 = run_openssh_client(server.port, {'HostKeyAlgorithms': 'ssh-ed25519,rsa-sha2-256'})
    assert not proof['ok']
    assert proof['proven'] == ['paramiko-5.1']
    assert [entry['name'] for entry in proof['failed']] == ['mina-sshd-2.17']
    failed = proof['clients'][0]
    assert failed['failed'] and failed['proven_by'] == 'handshake' and failed['error']['category'] == 'closed'
    assert failed['negotiated']['host_key'] == 'rsa-sha2-256' == failed['predicted']['host_key']
    assert 'rsa-sha2-256' in failed['reason']
    # The real client: a key exchange that never reaches NEWKEYS with rsa-sha2-256, one that does with ssh-ed25519.
    assert not real_rsa['ok'] and real_rsa['negotiated'].get('host_key') == 'rsa-sha2-256', real_rsa['text']
    assert real_ed25519['ok'], real_ed25519['text']


def test_batch_mode_and_bad_input_stay_per_host():
    """Batch mode: a good sshd, a wrong expected fingerprint, a closed port and a bad target each get their own
    entry; nothing aborts the others and every handshake is bounded by the timeout."""
    with Sshd() as server:
        started = time.monotonic()
        results = handshake_many([
            {'host': '127.0.0.1', 'port': server.port},
            {'host': '127.0.0.1', 'port': server.port, 'expected_fingerprints': ['SHA256:' + 'A' * 43]},
            {'host': '127.0.0.1', 'port': 1},
            'not a target',
            {'host': '127.0.0.1', 'port': server.port, 'clients': [{'name': 'bad', 'kex': ['no spaces allowed']}]},
        ], clients=handshake_clients(['paramiko-5.1']), timeout=5, concurrency=4)
        elapsed = time.monotonic() - started
    assert elapsed < 15
    good, mismatch, closed, invalid, bad_client = results
    assert not good['failed'] and good['clients'][0]['proven']
    assert mismatch['expected_from'] == 'option'
    assert mismatch['clients'][0]['error']['category'] == 'host_key_mismatch'
    assert not mismatch['clients'][0]['proven']
    assert closed['failed'] and closed['reason'] == 'refused', closed
    assert invalid['failed'] and invalid['reason'] == 'invalid_input'
    assert bad_client['failed'] and bad_client['reason'] == 'invalid_input' and 'no spaces allowed' in bad_client['msg']


def test_audit_playbook_stores_each_hosts_handshake_verdicts(tmp_path):
    """playbooks/audit.yml with fleetcrypto_prove_handshake=true: one batch of handshakes from the controller; each
    host's facts get ``handshake``. The dropbear that offers rsa-sha2-256 without the key fails mina-sshd-2.17's
    handshake; the sshd proves it; the closed port has no handshake, only the reason."""
    closed = hold_closed_port()
    with Sshd() as sshd, Dropbear(key_types=('ed25519',)) as dropbear:
        with closed:
            hosts = {'sshd': sshd.port, 'dropbear': dropbear.port, 'gone': closed.getsockname()[1]}
            inventory = {'all': {'children': {'sftp_servers': {
                'hosts': {name: {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': port}
                          for name, port in hosts.items()},
                'vars': {'baseline_required_clients': ['mina-sshd-2.17', 'paramiko-5.1'], 'fleetcrypto_timeout': 5}}}}}
            (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
            saved = tmp_path / 'handshakes.json'
            (tmp_path / 'site.yml').write_text(json.dumps([
                {'ansible.builtin.import_playbook': os.path.join(ROOT, 'playbooks', 'audit.yml')},
                {'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'ansible.builtin.copy': {
                    'dest': str(saved), 'content': "{{ dict(groups['sftp_servers'] | zip(groups['sftp_servers'] "
                                                   "| map('extract', hostvars, 'handshake'))) | to_json }}"}}]},
            ]))
            proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', str(tmp_path / 'inventory.json'),
                                   str(tmp_path / 'site.yml'), '-c', 'local', '-e', 'fleetcrypto_prove_handshake=true',
                                   '-e', 'fleetcrypto_output_dir=%s' % (tmp_path / 'reports')],
                                  env=ansible_env(str(tmp_path)), capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    handshakes = json.loads(saved.read_text())
    assert handshakes['sshd']['ok'] and 'paramiko-5.1' in handshakes['sshd']['proven']
    assert not handshakes['dropbear']['ok']
    assert [entry['name'] for entry in handshakes['dropbear']['failed']] == ['mina-sshd-2.17']
    assert handshakes['dropbear']['proven'] == ['paramiko-5.1']
    assert not handshakes['gone']['ran'] and handshakes['gone']['ok']
    assert {entry['reason'] for entry in handshakes['gone']['predicted_only']} == {'the server could not be probed'}
    # The report marks each prediction with how it is known, and the handshake outranks the offer on dropbear.
    report = json.loads((tmp_path / 'reports' / 'compliance.json').read_text())
    clients = {(host['name'], item['client']): item for host in report['hosts'] for item in host['clients']}
    mina = clients[('dropbear', 'mina-sshd-2.17')]
    assert mina['proven_by'] == 'handshake' and mina['compatible'] is False and mina['proof']['failed'] is True
    assert mina['failures'][-1]['category'] == 'handshake'
    assert clients[('sshd', 'paramiko-5.1')]['proven_by'] == 'handshake'
    assert clients[('sshd', 'paramiko-5.1')]['compatible'] is True
    assert clients[('gone', 'paramiko-5.1')]['proven_by'] is None
    assert report['summary']['handshake_proven'] >= 3


def test_proftpd_mod_sftp_is_proven_where_paramiko_can_stand_in():
    """ProFTPD 1.3.8 mod_sftp: paramiko-5.1 and jsch-0.2.26 are proven; putty-0.81 would negotiate curve448-sha512
    and jsch-0.1.54 ssh-rsa, which paramiko cannot speak: predicted only, each with that name in the reason."""
    clients = ['paramiko-5.1', 'jsch-0.2.26', 'putty-0.81', 'jsch-0.1.54']
    with ProftpdSftp() as server:
        live = probe('127.0.0.1', server.port, timeout=10)
        result = handshake_host('127.0.0.1', server.port, handshake_clients(clients), timeout=5)
    proof = handshake_proof(result, live, clients)
    assert proof['ok'] and proof['proven'] == ['paramiko-5.1', 'jsch-0.2.26']
    reasons = {entry['name']: entry['reason'] for entry in proof['predicted_only']}
    assert 'curve448-sha512' in reasons['putty-0.81'] and 'ssh-rsa' in reasons['jsch-0.1.54']
    assert all(verdict['host_key']['expected'] for verdict in proof['clients'])


def test_hostile_peers_get_a_bounded_categorized_failure():
    """Peers that never speak, speak only a banner, hang up, send HTTP or a DISCONNECT: each handshake ends within its
    timeout with an error category, and nothing is proven. Fingerprints are given so no host-key probe runs first."""
    fingerprint = ['SHA256:' + 'A' * 43]
    clients = handshake_clients(['paramiko-5.1'])
    with HostilePeer(['silent', 'banner_then_silent', 'closes_at_once', 'http', 'disconnect', 'plain']) as peer:
        started = time.monotonic()
        results = handshake_many([{'host': '127.0.0.1', 'port': port} for port in peer.ports.values()],
                                 clients=clients, expected_fingerprints=fingerprint, timeout=2, concurrency=6)
        elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed
    categories = {name: result['clients'][0]['error']['category'] for name, result in zip(peer.ports, results)}
    for name, result in zip(peer.ports, results):
        assert not result['failed'] and not result['clients'][0]['proven'], (name, result)
    # Silence is our deadline (timeout); a hang-up before the identification line is paramiko's "Error reading SSH
    # protocol banner" (no_banner).
    assert categories == {'silent': 'timeout', 'banner_then_silent': 'timeout', 'closes_at_once': 'no_banner',
                          'http': 'no_banner', 'disconnect': 'disconnected', 'plain': 'timeout'}, categories
