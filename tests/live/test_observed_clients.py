# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""observed_clients_info against real clients on loopback.

Every installed real client (OpenSSH ssh, PuTTY plink, JSch, curl/libssh2, libssh, paramiko in three releases,
AsyncSSH, dropbear's dbclient) connects through the lab's recording relay to a real sshd while three captures run
at once: the module's core with tcpdump (on lo), the module's core with its raw socket (on any), and Debian's
tcpdump writing a pcap file. Each observed proposal must equal the client's KEXINIT as the relay recorded it from
the same connection (and the built-in profile of that software where the banner is the same); each HASSH must
equal tshark's ``ssh.kex.hassh`` of the same connection in the pcap Debian's tcpdump wrote. Then the module runs
through ansible-playbook: a live capture of real ssh connections (stopping early at max_connections), a pcap file
in check mode, and its option errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import threading
import time

import pytest
import yaml

from lab.clients import DEFAULT_CLIENTS, available_default_clients
from lab.observe_helpers import TcpdumpWriter, syn_port
from lab.relay import Relay
from lab.servers import Sshd

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import capabilities, hassh, observe_live, \
    observe_pcap, raw_name_lists
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import data_dir

from conftest import run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'observe-any-sll2.pcap')
TSHARK = shutil.which('tshark')
TCPDUMP = shutil.which('tcpdump', path=os.environ.get('PATH', '') + ':/usr/sbin:/usr/bin')
CAPTURE_SECONDS = 240  # upper bound of the live captures; they are stopped as soon as the clients are done

pytestmark = [
    pytest.mark.skipif(not capabilities()[1], reason='a live capture needs root or CAP_NET_RAW'),
    pytest.mark.skipif(TCPDUMP is None, reason='Debian\'s tcpdump is not installed (apt-get install tcpdump)'),
]


def key(banner, proposal):
    return banner, tuple(tuple(proposal[name]) for name in NAME_LIST_KEYS)


def stored_profiles():
    """Built-in profiles captured from installed software, by the lab client kind they were captured with."""
    found = {}
    directory = data_dir('client_profiles')
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name)) as handle:
            document = yaml.safe_load(handle)
        if document.get('captured_with'):
            found[document['captured_with']] = document
    return found


@pytest.fixture(scope='module')
def observed(tmp_path_factory):
    """All installed clients through the relay while the three captures run; everything is stopped at the end."""
    workdir = str(tmp_path_factory.mktemp('observe'))
    kinds = available_default_clients()
    assert kinds, 'no real SSH client is installed'
    runs = {'kinds': kinds, 'by_kind': {}, 'hellos': {'tcpdump': [], 'raw_socket': []}, 'results': {}, 'errors': {}}
    pcap_path = os.path.join(workdir, 'debian-tcpdump.pcap')
    with Sshd() as sshd, Relay(sshd.port) as relay:
        writer = TcpdumpWriter(pcap_path, [relay.port], 'lo').start()
        stop = threading.Event()
        ready = {method: threading.Event() for method in ('tcpdump', 'raw_socket')}

        def capture(method, interface):
            try:
                runs['results'][method] = observe_live(
                    [relay.port], interface, CAPTURE_SECONDS, method=method, on_ready=ready[method].set,
                    on_hello=runs['hellos'][method].append, stop=stop)
            except Exception as exc:  # pylint: disable=broad-except
                runs['errors'][method] = exc
                ready[method].set()

        threads = [threading.Thread(target=capture, args=('tcpdump', 'lo')),
                   threading.Thread(target=capture, args=('raw_socket', 'any'))]
        try:
            for thread in threads:
                thread.start()
            for event in ready.values():
                assert event.wait(30), 'a capture did not start within 30 s'
            assert not runs['errors'], runs['errors']
            for kind in kinds:
                before = len(relay.recordings)
                DEFAULT_CLIENTS[kind][0](relay.port, workdir)
                runs['by_kind'][kind] = relay.recordings[before:]
            for recording in relay.recordings:
                recording.done.wait(60)
            time.sleep(1.0)  # the last packets through the kernel's queues
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            runs['tcpdump_log'] = writer.stop()
        assert not any(thread.is_alive() for thread in threads), 'a capture did not stop'
        assert not runs['errors'], runs['errors']
    runs['pcap'] = pcap_path
    runs['relay_port'] = relay.port
    return runs


def relay_hellos(observed):
    hellos = {}
    for kind, recordings in observed['by_kind'].items():
        for recording in recordings:
            hello = recording.client_hello()
            assert hello is not None, '%s: the relay recorded no client KEXINIT' % kind
            hellos.setdefault(key(hello.banner, hello.offer), []).append(kind)
    return hellos


@pytest.mark.parametrize('method', ['tcpdump', 'raw_socket'])
def test_each_observed_proposal_equals_the_clients_real_kexinit(observed, method):
    result = observed['results'][method]
    assert result['capture_method'] == method
    wanted = {entry: len(kinds) for entry, kinds in relay_hellos(observed).items()}
    got = {key(client['banner'], client['proposal']): client['connections'] for client in result['clients']}
    assert got == wanted
    assert result['clients_recorded'] == sum(len(recordings) for recordings in observed['by_kind'].values())
    assert result['skipped']['total'] == 0, result['skipped']
    assert result['truncated']['total'] == 0, result['truncated']
    for client in result['clients']:
        assert client['addresses'] == [{'address': '127.0.0.1', 'connections': client['connections']}]


@pytest.mark.parametrize('kind', available_default_clients())
def test_every_installed_client_was_observed_and_matches_its_profile(observed, kind):
    recordings = observed['by_kind'][kind]
    assert recordings, '%s made no connection' % kind
    hello = recordings[0].client_hello()
    entry = [client for client in observed['results']['tcpdump']['clients']
             if key(client['banner'], client['proposal']) == key(hello.banner, hello.offer)]
    assert len(entry) == 1
    profile = stored_profiles().get(kind)
    if profile is None or profile['banner'] != hello.banner:
        pytest.skip('no built-in profile of the installed %s (%s) to compare with' % (kind, hello.banner))
    for name in NAME_LIST_KEYS:
        assert entry[0]['proposal'][name] == profile[name], (kind, name)


@pytest.mark.skipif(TSHARK is None, reason='Debian\'s tshark is not installed (apt-get install tshark)')
def test_hassh_equals_tsharks_for_every_connection(observed):
    proc = subprocess.run([TSHARK, '-n', '-r', observed['pcap'], '-d', 'tcp.port==%d,ssh' % observed['relay_port'],
                           '-Y', 'ssh.kex.hassh', '-T', 'fields', '-E', 'separator=/t', '-e', 'tcp.srcport',
                           '-e', 'ssh.kex.hassh', '-e', 'ssh.kex.hassh_algorithms'],
                          capture_output=True, text=True, timeout=120, check=True)
    tshark = {}
    for line in proc.stdout.splitlines():
        port, digest, algorithms = line.split('\t')
        tshark[int(port)] = (digest, algorithms)
    ours = {}
    for info in observed['hellos']['tcpdump']:
        ours[int(info['port'])] = hassh(raw_name_lists(info['hello'].raw_kexinit))
    assert len(ours) == sum(len(recordings) for recordings in observed['by_kind'].values())
    assert ours == tshark
    entries = {(client['hassh'], client['hassh_algorithms']) for client in observed['results']['raw_socket']['clients']}
    assert entries == set(tshark.values())


def test_debian_tcpdumps_file_gives_the_same_clients(observed):
    from_file = observe_pcap(observed['pcap'], [observed['relay_port']])
    live = observed['results']['tcpdump']
    strip = ('first_seen', 'last_seen')
    assert [{k: v for k, v in client.items() if k not in strip} for client in from_file['clients']] == \
        [{k: v for k, v in client.items() if k not in strip} for client in live['clients']]
    assert from_file['truncated']['total'] == 0


def test_the_module_through_ansible_playbook(tmp_path):
    stop = threading.Event()
    attempts = []
    with Sshd() as sshd:
        def connect():
            for dummy in range(120):  # bounded: at most 120 connections, 0.5 s apart
                if stop.is_set():
                    return
                attempts.append(subprocess.run(
                    ['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o',
                     'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'Ciphers=aes256-ctr,aes128-ctr',
                     '-p', str(sshd.port), 'probe@127.0.0.1', 'true'],
                    capture_output=True, timeout=20, stdin=subprocess.DEVNULL, check=False).returncode)
                stop.wait(0.5)

        clients = threading.Thread(target=connect)
        clients.start()
        fixture_port = syn_port(FIXTURE)
        tasks = [
            {'name': 'live', 'fleetcrypto.sftp.observed_clients_info': {
                'ports': [sshd.port], 'interface': 'lo', 'duration': 90, 'max_connections': 3}},
            {'name': 'file', 'fleetcrypto.sftp.observed_clients_info': {
                'pcap': FIXTURE, 'ports': [fixture_port], 'anonymize_addresses': True},
             'check_mode': True, 'delegate_to': 'localhost'},
            {'name': 'bad_port', 'fleetcrypto.sftp.observed_clients_info': {'ports': [70000], 'duration': 1}},
            {'name': 'no_duration', 'fleetcrypto.sftp.observed_clients_info': {'ports': [22]}},
            {'name': 'both', 'fleetcrypto.sftp.observed_clients_info': {'pcap': FIXTURE, 'duration': 5}},
            {'name': 'not_a_capture', 'fleetcrypto.sftp.observed_clients_info': {'pcap': os.path.abspath(__file__)}},
        ]
        try:
            results, _stdout = run_playbook(str(tmp_path), tasks, timeout=240)
        finally:
            stop.set()
            clients.join(60)
    live = results['live']
    assert not live.get('failed'), live
    assert live['capture_method'] == 'tcpdump' and live['changed'] is False
    assert live['stopped_early'] and live['clients_recorded'] + live['skipped']['total'] == 3
    client = live['clients'][0]
    assert client['software']['product'] == 'OpenSSH'
    assert client['proposal']['encryption_algorithms_client_to_server'] == ['aes256-ctr', 'aes128-ctr']
    assert client['hassh_algorithms'].split(';')[1] == 'aes256-ctr,aes128-ctr'
    assert len(attempts) >= 3
    from_file = results['file']
    assert not from_file.get('failed'), from_file
    assert from_file['clients_recorded'] == 3 and from_file['anonymized']
    assert all(entry['address'].startswith('anon-') for client in from_file['clients'] for entry in client['addresses'])
    assert from_file['link_types'] == ['Linux cooked v2 (SLL2)']
    assert results['bad_port']['failed'] and 'invalid port 70000' in results['bad_port']['msg']
    assert results['no_duration']['failed'] and 'needs duration' in results['no_duration']['msg']
    assert results['both']['failed'] and 'live capture only' in results['both']['msg']
    assert results['not_a_capture']['failed'] and 'not a pcap or pcapng file' in results['not_a_capture']['msg']
