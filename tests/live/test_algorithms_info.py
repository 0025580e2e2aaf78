# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleetcrypto.sftp.algorithms_info against real servers on 127.0.0.1, run through ansible-playbook.

Servers: OpenSSH sshd in four configurations, ProFTPD mod_sftp, dropbear, a paramiko server, and the
hostile peer (one port per misbehaviour, see lab/peers.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import subprocess
import threading
import time

import pytest

from lab.peers import SCENARIOS, HostilePeer
from lab.servers import Sshd, hold_closed_port

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import probe, probe_many

from conftest import PROFTPD_SETTINGS, SSHD_CONFIGS, run_tasks

# Names a server may add to its kex list on its own (RFC 8308, OpenSSH strict kex, dropbear's kexguess2).
PSEUDO_KEX = {'ext-info-s', 'kex-strict-s-v00@openssh.com', 'kexguess2@matt.ucc.asn.au'}
HOSTILE_TIMEOUT = 2.0


# Algorithms each host-key type can sign with, in the order sshd lists them.
SIGNATURES_BY_KEY = {'ed25519': ['ssh-ed25519'], 'ecdsa': ['ecdsa-sha2-nistp256'],
                     'rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']}


def sshd_host_key_offer(key_types, allowed):
    """What sshd offers: it walks its HostKey files in order and appends every algorithm of each key that
    HostKeyAlgorithms permits (openssh-portable sshd.c, list_hostkey_types). So the HostKey order, not the
    HostKeyAlgorithms order, decides the server's preference."""
    return [alg for key in key_types for alg in SIGNATURES_BY_KEY[key] if alg in allowed]


def real_kex(offer):
    return [name for name in offer['kex_algorithms'] if name not in PSEUDO_KEX]


@pytest.fixture(scope='module')
def played(lab, tmp_path_factory):
    """One ansible-playbook run covering every server, single mode and batch mode."""
    tasks = []
    for name, server in lab.sshd.items():
        tasks.append(('sshd_' + name, {'host': '127.0.0.1', 'port': server.port}, None))
    tasks.append(('proftpd', {'host': '127.0.0.1', 'port': lab.proftpd.port}, None))
    tasks.append(('dropbear', {'host': '127.0.0.1', 'port': lab.dropbear.port, 'host_keys': True}, None))
    tasks.append(('paramiko', {'host': 'localhost', 'port': lab.paramiko.port, 'address_family': 'ipv4'}, None))
    tasks.append(('sshd_host_keys', {'host': '127.0.0.1', 'port': lab.sshd['modern'].port, 'host_keys': True}, None))
    closed = hold_closed_port()  # held through the run, so no server started meanwhile can take the port
    tasks.append(('refused', {'host': '127.0.0.1', 'port': closed.getsockname()[1], 'timeout': 3}, None))
    tasks.append(('http_single', {'host': '127.0.0.1', 'port': lab.hostile.ports['http'], 'timeout': 3}, None))
    batch = [{'host': '127.0.0.1', 'port': port} for port in lab.hostile.ports.values()]
    batch += [{'host': '127.0.0.1', 'port': server.port} for server in lab.sshd.values()]
    tasks.append(('batch', {'targets': batch, 'timeout': HOSTILE_TIMEOUT, 'concurrency': 16}, None))
    with closed:
        results, _stdout = run_tasks(str(tmp_path_factory.mktemp('play')), tasks)
    return results


@pytest.mark.parametrize('name', sorted(SSHD_CONFIGS))
def test_sshd_offer_is_exactly_the_configuration(played, lab, name):
    result = played['sshd_' + name]
    config = SSHD_CONFIGS[name]
    assert not result.get('failed'), result
    offer = result['offer']
    assert offer['encryption_algorithms_client_to_server'] == config['Ciphers']
    assert offer['encryption_algorithms_server_to_client'] == config['Ciphers']
    assert offer['mac_algorithms_client_to_server'] == config['MACs']
    assert offer['mac_algorithms_server_to_client'] == config['MACs']
    assert real_kex(offer) == config['KexAlgorithms']
    assert offer['server_host_key_algorithms'] == sshd_host_key_offer(lab.sshd[name].host_key_types,
                                                                      config['HostKeyAlgorithms'])
    compression = ['none'] if config.get('Compression') == 'no' else ['none', 'zlib@openssh.com']
    assert offer['compression_algorithms_client_to_server'] == compression
    assert offer['languages_client_to_server'] == [] and offer['first_kex_packet_follows'] is False
    assert set(offer) == set(NAME_LIST_KEYS) | {'first_kex_packet_follows'}
    assert result['software']['product'] == 'OpenSSH'
    assert result['strict_kex'] is True  # Debian 12's 9.2p1 carries the Terrapin fix
    assert result['changed'] is False


def test_proftpd_mod_sftp_offer_is_exactly_the_configuration(played):
    result = played['proftpd']
    assert not result.get('failed'), result
    offer = result['offer']
    assert result['banner'] == 'SSH-2.0-mod_sftp'
    assert result['software']['product'] == 'ProFTPD mod_sftp'
    assert offer['encryption_algorithms_client_to_server'] == PROFTPD_SETTINGS['SFTPCiphers']
    assert offer['mac_algorithms_server_to_client'] == PROFTPD_SETTINGS['SFTPDigests']
    assert real_kex(offer) == PROFTPD_SETTINGS['SFTPKeyExchanges']
    assert result['ext_info'] is True


def test_dropbear_offer_and_host_keys(played):
    result = played['dropbear']
    assert not result.get('failed'), result
    assert result['software'] == {'product': 'dropbear', 'version': result['software']['version'],
                                  'comments': None, 'protocol': '2.0'}
    assert 'kexguess2@matt.ucc.asn.au' in result['offer']['kex_algorithms']
    keys = {algorithm: key for key in result['host_keys'] for algorithm in key['algorithms']}
    assert keys['ssh-ed25519']['bits'] == 256 and keys['ssh-ed25519']['fingerprint_sha256'].startswith('SHA256:')
    # dropbear 2022.83 offers RSA signatures although the lab gives it only an Ed25519 key; the fetch for
    # that key must fail cleanly, for that key only, without spoiling the others (nor the offer).
    assert 'hold no key' in keys['rsa-sha2-256']['error']
    assert 'host_keys_error' not in result


def test_paramiko_server_by_name_and_family(played):
    result = played['paramiko']
    assert not result.get('failed'), result
    assert result['software']['product'] == 'paramiko'
    assert result['address'] == '127.0.0.1'


def test_host_key_fingerprints_equal_ssh_keygen(played, lab):
    server = lab.sshd['modern']
    entries = played['sshd_host_keys']['host_keys']
    keys = {algorithm: key for key in entries for algorithm in key['algorithms']}
    assert set(keys) == set(SSHD_CONFIGS['modern']['HostKeyAlgorithms'])
    # one key exchange per key: the RSA signature algorithms share one entry
    assert len(entries) == len({key['fingerprint_sha256'] for key in entries})
    offered_rsa = [name for name in played['sshd_host_keys']['offer']['server_host_key_algorithms']
                   if name.startswith('rsa-sha2-') or name == 'ssh-rsa']
    assert keys['rsa-sha2-512']['algorithms'] == offered_rsa
    assert keys['rsa-sha2-512']['signature_algorithm'] == keys['rsa-sha2-512']['algorithm']
    assert keys['ssh-ed25519']['kex'] == 'curve25519-sha256'
    for algorithm, key_file in (('ssh-ed25519', 'host_ed25519'), ('rsa-sha2-512', 'host_rsa')):
        out = subprocess.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', os.path.join(server.dir, key_file + '.pub')],
                             capture_output=True, text=True, check=True).stdout.split()
        assert keys[algorithm]['fingerprint_sha256'] == out[1]
        assert keys[algorithm]['bits'] == int(out[0])


def test_single_mode_failures_fail_the_task_with_a_reason(played):
    refused = played['refused']
    assert refused['failed'] is True and refused['reason'] == 'refused' and 'refused' in refused['msg']
    http = played['http_single']
    assert http['failed'] is True and http['reason'] == 'not_ssh' and 'HTTP' in http['msg']


def test_batch_mode_reports_every_target_and_never_aborts(played, lab):
    result = played['batch']
    assert not result.get('failed'), 'one bad host must not fail the batch task'
    by_port = {item['port']: item for item in result['results']}
    assert len(result['results']) == len(lab.hostile.ports) + len(lab.sshd)
    for name, port in lab.hostile.ports.items():
        item = by_port[port]
        expected = SCENARIOS[name][1]
        assert item.get('reason') == expected, (name, item)
        assert item['failed'] is (expected is not None)
        assert item['elapsed_ms'] <= HOSTILE_TIMEOUT * 1000 + 1000, (name, item['elapsed_ms'])
        if expected:
            assert item['msg']
    for server in lab.sshd.values():
        assert by_port[server.port]['failed'] is False
    summary = result['summary']
    assert summary['total'] == len(result['results'])
    assert summary['failed'] == sum(1 for item in result['results'] if item['failed'])


def test_every_hostile_scenario_directly(lab):
    """The same scenarios through the function, to name the failing one precisely."""
    names = list(lab.hostile.ports)
    results = probe_many([{'host': '127.0.0.1', 'port': lab.hostile.ports[n]} for n in names],
                         timeout=HOSTILE_TIMEOUT)
    wrong = [(n, r.get('reason'), r.get('msg')) for n, r in zip(names, results) if r.get('reason') != SCENARIOS[n][1]]
    assert not wrong


def test_specific_hostile_details(lab):
    ports = lab.hostile.ports
    cerberus = probe('127.0.0.1', ports['empty_entries'], timeout=HOSTILE_TIMEOUT)
    assert cerberus['offer']['mac_algorithms_client_to_server'] == ['hmac-sha1', 'hmac-ripemd160', 'hmac-md5']
    assert cerberus['software']['product'] == 'Cerberus FTP Server' and cerberus['protocol_warnings']
    pre = probe('127.0.0.1', ports['pre_banner_lines'], timeout=HOSTILE_TIMEOUT)
    assert pre['pre_banner_lines'] == ['Welcome to the SFTP gateway', 'Authorised use only', '']
    long_lists = probe('127.0.0.1', ports['very_long_lists'], timeout=HOSTILE_TIMEOUT)
    assert len(long_lists['offer']['kex_algorithms']) == 3000
    empty = probe('127.0.0.1', ports['empty_lists'], timeout=HOSTILE_TIMEOUT)
    assert all(empty['offer'][key] == [] for key in NAME_LIST_KEYS)
    old = probe('127.0.0.1', ports['ssh_1_99'], timeout=HOSTILE_TIMEOUT)
    assert old['software']['protocol'] == '1.99'
    silent = probe('127.0.0.1', ports['banner_then_silent'], timeout=1.0)
    assert silent['reason'] == 'timeout' and silent['banner'] == 'SSH-2.0-HostilePeer_1.0'


def test_client_banner_is_sent_as_given(tmp_path):
    """A one-shot listener records the line the module sends."""
    seen = []
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    listener.settimeout(10)

    def serve():
        conn, _addr = listener.accept()
        with conn:
            conn.settimeout(10)
            seen.append(conn.recv(256))
    thread = threading.Thread(target=serve)
    thread.start()
    try:
        result = probe('127.0.0.1', listener.getsockname()[1], timeout=3, client_banner='JSCH-0.1.54')
    finally:
        thread.join(15)
        listener.close()
    assert seen == [b'SSH-2.0-JSCH-0.1.54\r\n']
    assert result['reason'] == 'closed'


def test_check_mode_and_invalid_input(lab, tmp_path):
    port = lab.sshd['modern'].port
    tasks = [
        ('check', {'host': '127.0.0.1', 'port': port}, None),
        ('bad_banner', {'host': '127.0.0.1', 'port': port, 'client_banner': 'OpenSSH_9.6\nPermitRootLogin yes'}, None),
        ('bad_port', {'host': '127.0.0.1', 'port': 70000}, None),
        ('bad_concurrency', {'targets': [{'host': '127.0.0.1', 'port': port}], 'concurrency': 0}, None),
        ('both', {'host': '127.0.0.1', 'targets': [{'host': '127.0.0.1'}]}, None),
        ('ipv6_literal_for_ipv4', {'host': '127.0.0.1', 'port': port, 'address_family': 'ipv6'}, None),
        ('target_bad_port', {'targets': [{'host': '127.0.0.1', 'port': 0}]}, None),
        ('bad_host', {'host': '127.0.0.1\nPermitRootLogin yes', 'port': port}, None),
    ]
    results, _stdout = run_tasks(str(tmp_path), tasks, extra_args=['--check'])
    assert results['check']['changed'] is False and results['check']['offer']['encryption_algorithms_client_to_server']
    assert results['bad_banner']['failed'] and 'client_banner' in results['bad_banner']['msg']
    assert results['bad_port']['failed'] and '65535' in results['bad_port']['msg']
    assert results['bad_concurrency']['failed'] and 'concurrency' in results['bad_concurrency']['msg']
    assert results['both']['failed'] and 'mutually exclusive' in results['both']['msg']
    assert results['ipv6_literal_for_ipv4']['failed']
    assert results['ipv6_literal_for_ipv4']['reason'] == 'invalid_input'
    assert results['target_bad_port']['failed'] and 'targets[0]' in results['target_bad_port']['msg']
    assert results['bad_host']['failed'] and results['bad_host']['reason'] == 'invalid_input'
    assert 'invalid host' in results['bad_host']['msg']


def test_timeout_bounds_a_batch_of_silent_servers(lab):
    """Forty silent servers at concurrency 64 finish in about one timeout, not forty."""
    port = lab.hostile.ports['silent']
    started = time.monotonic()
    results = probe_many([{'host': '127.0.0.1', 'port': port}] * 40, timeout=1.0)
    wall = time.monotonic() - started
    assert all(r['reason'] == 'timeout' for r in results)
    assert wall < 10, wall  # a generous bound: sequential would be 40 s


def test_unresolvable_name_is_a_dns_error():
    # A label longer than 63 octets is refused by the resolver library itself, so no query leaves the machine.
    result = probe('x' * 64 + '.invalid', 22, timeout=3)
    assert result['reason'] in ('dns',), result


def test_ipv6_loopback_and_address_families():
    for _attempt in range(5):  # bounded: another server may hold the same port number on 127.0.0.1
        with HostilePeer(['plain'], address='::1') as peer:
            port = peer.ports['plain']
            blocker = hold_closed_port(port)
            if blocker is None:
                continue
            with blocker:
                result = probe('::1', port, timeout=3, address_family='ipv6')
                assert not result['failed'] and result['address'] == '::1', result
                wrong_family = probe('::1', port, timeout=3, address_family='ipv4')
                assert wrong_family['reason'] == 'invalid_input'
                # 'localhost' resolves to 127.0.0.1 here, where the port is held but nothing listens.
                refused = probe('localhost', port, timeout=3, address_family='ipv4')
                assert refused['reason'] == 'refused' and refused['address'] == '127.0.0.1', refused
            return
    pytest.fail('no port free on both ::1 and 127.0.0.1 in 5 attempts')


def test_host_keys_in_batch_mode(lab):
    """Many servers with host_keys at once, legacy ssh-rsa-only sshd included: every key is fetched."""
    targets = [server.target for server in lab.sshd.values()] + [{'host': '127.0.0.1', 'port': lab.proftpd.port}]
    results = probe_many(targets, concurrency=32, timeout=20, host_keys=True)
    for result in results:
        assert not result['failed'], result
        assert result['host_keys'], result
        for key in result['host_keys']:
            assert key['fingerprint_sha256'].startswith('SHA256:'), (result['port'], key)


def test_real_sshd_maxstartups_refusal_is_throttled():
    """sshd with MaxStartups 1: while one unauthenticated connection is open, the next one is turned away."""
    with Sshd({'MaxStartups': '1'}) as server:
        # The lab's readiness check was itself a startup until its sshd child exits: retry (bounded) until
        # the holder is the one connection sshd accepts.
        holder = None
        for dummy in range(50):
            holder = socket.create_connection(('127.0.0.1', server.port), timeout=5)
            if holder.recv(4) == b'SSH-':
                break
            holder.close()
            holder = None
            time.sleep(0.1)
        assert holder is not None, 'sshd never accepted the holding connection'
        try:
            result = probe('127.0.0.1', server.port, timeout=5)
        finally:
            holder.close()
    assert result['reason'] == 'throttled', result
    assert 'MaxStartups' in result['msg']
