# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential proof of the negotiation engine against real handshakes.

Real servers (OpenSSH sshd, a paramiko server) get random algorithm settings; real clients (OpenSSH ssh,
paramiko, AsyncSSH, and Node's ssh2 where lab/node is installed) connect with random settings through a recording
relay. Both KEXINITs are read off the
wire, the engine predicts from them alone, and the prediction must equal what really happened: success and
every algorithm the client reports, or the failing category the software reported.

Seeded for reproducibility: FLEETCRYPTO_DIFF_SEED (default 4253) and FLEETCRYPTO_DIFF_TRIALS (default 24 server
settings per server kind) change the run. A JSON summary is written to tests/output/differential-summary.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import time

import pytest

from lab.clients import (
    DEFAULT_CLIENTS,
    available_default_clients,
    node_modules_dir,
    default_putty,
    draw,
    key_fingerprints,
    run_asyncssh_client,
    run_node_ssh2_client,
    run_openssh_client,
    run_paramiko_client,
    sshd_connection_finished,
    sshd_negotiation_failure,
    sshd_view,
)
from lab.peers import AsyncsshServer, ParamikoServer
from lab.pools import ASYNCSSH, NODE_SSH2, OPENSSH, PARAMIKO, PROFTPD
from lab.relay import Relay
from lab.servers import ARTIFACTS, Dropbear, ProftpdSftp, Sshd, keygen

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS, is_aead_cipher
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import implementation_for

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
TRIALS = int(os.environ.get('FLEETCRYPTO_DIFF_TRIALS', '24'))
OUTPUT = ARTIFACTS


def openssh_client_options(rng):
    return {'Ciphers': ','.join(draw(rng, OPENSSH['cipher'])), 'MACs': ','.join(draw(rng, OPENSSH['mac'])),
            'KexAlgorithms': ','.join(draw(rng, OPENSSH['kex'])),
            'HostKeyAlgorithms': ','.join(draw(rng, OPENSSH['host_key'])),
            'Compression': rng.choice(['yes', 'no'])}


def paramiko_client_preferences(rng):
    return {'ciphers': draw(rng, PARAMIKO['cipher']), 'digests': draw(rng, PARAMIKO['mac']),
            'kex': draw(rng, PARAMIKO['kex']), 'key_types': draw(rng, PARAMIKO['host_key'])}


def asyncssh_client_algorithms(rng):
    return {'encryption_algs': draw(rng, ASYNCSSH['cipher']), 'mac_algs': draw(rng, ASYNCSSH['mac']),
            'kex_algs': draw(rng, ASYNCSSH['kex']), 'server_host_key_algs': draw(rng, ASYNCSSH['host_key']),
            'compression_algs': draw(rng, ASYNCSSH['compression'], 1, 2)}


# Its own random stream, so that adding it leaves the other clients' draws (and the seeded trials) as they were.
_NODE_RNG = random.Random(SEED + 9)


def node_ssh2_client_algorithms(_rng):
    rng = _NODE_RNG
    return {'cipher': draw(rng, NODE_SSH2['cipher']), 'hmac': draw(rng, NODE_SSH2['mac']),
            'kex': draw(rng, NODE_SSH2['kex']), 'serverHostKey': draw(rng, NODE_SSH2['host_key']),
            'compress': draw(rng, NODE_SSH2['compression'], 1, 2)}


CLIENTS = (
    ('openssh', openssh_client_options, run_openssh_client),
    ('paramiko', paramiko_client_preferences, run_paramiko_client),
    ('asyncssh', asyncssh_client_algorithms, run_asyncssh_client),
) + ((('node-ssh2', node_ssh2_client_algorithms, run_node_ssh2_client),) if node_modules_dir() else ())


class Ledger:
    """Every handshake checked, for the summary."""

    def __init__(self):
        self.rows = []

    def add(self, **row):
        self.rows.append(row)

    def summary(self):
        by = {}
        for row in self.rows:
            key = '%s -> %s' % (row['client'], row['server'])
            entry = by.setdefault(key, {'handshakes': 0, 'matched': 0, 'succeeded': 0, 'failed_by_category': {}})
            entry['handshakes'] += 1
            entry['matched'] += row['matched']
            if row['ok']:
                entry['succeeded'] += 1
            else:
                cat = row['category'] or 'not reported by the client'
                entry['failed_by_category'][cat] = entry['failed_by_category'].get(cat, 0) + 1
        return {'seed': SEED, 'handshakes': len(self.rows), 'matched': sum(r['matched'] for r in self.rows),
                'client_kexinit_from_profile': sum(1 for r in self.rows if r['client_kexinit_from'] == 'profile'),
                'pairs': by}


@pytest.fixture(scope='module')
def ledger():
    book = Ledger()
    yield book
    os.makedirs(OUTPUT, exist_ok=True)
    with open(os.path.join(OUTPUT, 'differential-summary.json'), 'w') as handle:
        json.dump(dict(book.summary(), mismatches=[r for r in book.rows if not r['matched']]), handle, indent=2)


def compare(prediction, outcome):
    """Return a list of differences between prediction and reality (empty when they agree)."""
    problems = []
    if prediction['compatible'] != outcome['ok']:
        problems.append('predicted compatible=%s, really ok=%s (%s)'
                        % (prediction['compatible'], outcome['ok'], outcome['text'][-300:]))
        return problems
    if outcome['ok']:
        negotiated = prediction['negotiated']
        for key, value in outcome['negotiated'].items():
            if key.startswith('mac_') and is_aead_cipher(negotiated['cipher_' + key[4:]] or ''):
                continue  # the MAC is unused with an AEAD cipher; implementations name it differently (or not)
            if negotiated.get(key) != value:
                problems.append('%s: predicted %s, really %s' % (key, negotiated.get(key), value))
        return problems
    client_seen = [f for f in prediction['failures'] if f['detected_by'] in ('client', 'both')]
    if outcome['reported_by'] == 'client':
        category, direction = outcome['failure']
        if not client_seen:
            problems.append('client reported %s but the prediction has it detected only by the server' % category)
        elif client_seen[0]['category'] != category or (direction and client_seen[0]['direction'] != direction):
            problems.append('client reported %s/%s first, predicted %s/%s' % (
                category, direction, client_seen[0]['category'], client_seen[0]['direction']))
    elif outcome['reported_by'] == 'client-unspecified':
        # Only the server's log was read: the client hung up without sshd detecting anything.
        if not [f for f in prediction['failures'] if f['detected_by'] in ('client', 'both', 'disagreement')]:
            problems.append('the client hung up, but the prediction says the client detects nothing: %s'
                            % [(f['category'], f['detected_by']) for f in prediction['failures']])
    elif not [f for f in prediction['failures'] if f['detected_by'] in ('server', 'both', 'disagreement')]:
        # The server hung up first. That is right only if the server detects a failure too; when both sides
        # detect one, which of them speaks first is a race (AsyncSSH processes KEXINIT asynchronously).
        problems.append('server hung up, but the prediction says only the client detects %s'
                        % [f['category'] for f in prediction['failures']])
    return problems


def _check(ledger, client_name, server_name, relay, outcome, server_failure=None, fallback_client=None):
    recording = relay.finished_recording()
    assert recording is not None, '%s -> %s: no connection reached the relay (%s)' % (
        client_name, server_name, outcome['text'][-300:])
    client_hello, server_hello = recording.client_hello(), recording.server_hello()
    client_proposal = client_hello.as_dict() if client_hello is not None else None
    if client_proposal is None and fallback_client is not None and recording.from_client.startswith(b'SSH-'):
        # PuTTY aborts as soon as the server's KEXINIT leaves nothing to agree on, before its own queued
        # KEXINIT is flushed; its default proposal is then its built-in profile (proven equal to its wire
        # KEXINIT by test_client_profiles.py).
        client_proposal = dict(fallback_client, used_profile=True)
    assert client_proposal is not None and server_hello is not None, (
        '%s -> %s: no KEXINIT captured (client sent %r..., server sent %r...; %s)'
        % (client_name, server_name, bytes(recording.from_client[:120]), bytes(recording.from_server[:120]),
           outcome['text'][-300:]))
    prediction = predict(server_hello.as_dict(), client_proposal)
    problems = compare(prediction, outcome)
    if not outcome['ok'] and outcome['reported_by'] == 'server' and server_failure:
        # What the server logs first follows the server's own check order (sshd: kex, host key, c2s, s2c).
        order = implementation_for(parse_software(server_hello.banner)).check_order('server')
        server_seen = sorted(((f['category'], f['direction']) for f in prediction['failures']
                              if f['detected_by'] in ('server', 'both')), key=order.index)
        server_seen = [category for category, _direction in server_seen]
        if server_failure not in server_seen[:1]:
            problems.append('server logged %s, predicted %s' % (server_failure, server_seen))
    ledger.add(client=client_name, server=server_name, ok=outcome['ok'], matched=not problems,
               category=(outcome['failure'] or (None,))[0] or (
                   'server: %s' % outcome['server_failure'] if outcome.get('server_failure') else
                   'client hung up' if outcome['reported_by'] == 'client-unspecified' else None), problems=problems,
               client_offer={key: client_proposal.get('offer', client_proposal).get(key) for key in NAME_LIST_KEYS},
               server_offer=server_hello.offer, outcome=outcome['negotiated'],
               client_kexinit_from='profile' if client_hello is None else 'wire')
    return problems


def test_random_sshd_against_real_clients(ledger):
    rng = random.Random(SEED)
    problems = []
    for trial in range(TRIALS):
        settings = {'Ciphers': draw(rng, OPENSSH['cipher'], 2, 7), 'MACs': draw(rng, OPENSSH['mac'], 2, 7),
                    'KexAlgorithms': draw(rng, OPENSSH['kex'], 2, 7),
                    'HostKeyAlgorithms': draw(rng, OPENSSH['host_key'], 1, 4),
                    'Compression': rng.choice(['yes', 'no']), 'LogLevel': 'INFO'}
        with Sshd(settings) as server, Relay(server.port) as relay:
            for client_name, make_settings, run in CLIENTS:
                before = server.log()
                outcome = run(relay.port, make_settings(rng))
                logged = None
                if not outcome['ok'] and outcome['reported_by'] == 'server':
                    # sshd writes its log line as it exits the connection: poll for it, bounded.
                    deadline = time.monotonic() + 5
                    logged = sshd_negotiation_failure(server.log()[len(before):])
                    while logged is None and time.monotonic() < deadline:
                        time.sleep(0.02)
                        logged = sshd_negotiation_failure(server.log()[len(before):])
                for problem in _check(ledger, client_name, 'openssh', relay, outcome, logged):
                    problems.append('trial %d %s->sshd %s: %s' % (trial, client_name, settings, problem))
    assert not problems, '\n'.join(problems[:20])


DEFAULT_KINDS = [kind for kind in ('putty', 'dropbear', 'jsch', 'jsch-restricted-jce', 'libssh2', 'libssh',
                                   'paramiko-2.12', 'paramiko-3.4')
                 if kind in available_default_clients()]
PROFILE_OF_KIND = {'putty': 'putty-0.78', 'dropbear': 'dropbear-2022.83', 'jsch': 'jsch-0.1.55',
                   'jsch-restricted-jce': 'jsch-0.1.54-restricted-jce', 'libssh2': 'libssh2-1.10',
                   'libssh': 'libssh-0.10', 'paramiko-2.12': 'paramiko-2.12', 'paramiko-3.4': 'paramiko-3.4'}


def test_random_sshd_against_clients_with_default_settings(ledger, tmp_path):
    """PuTTY, dropbear, JSch, libssh2, libssh and older paramiko releases with their defaults; sshd (LogLevel
    DEBUG1) says what happened."""
    if not DEFAULT_KINDS:
        pytest.skip('none of plink, dbclient, JSch, curl/libssh2 is installed')
    rng = random.Random(SEED + 2)
    problems = []
    for trial in range(max(1, TRIALS // 2)):
        settings = {'Ciphers': draw(rng, OPENSSH['cipher'], 1, 5), 'MACs': draw(rng, OPENSSH['mac'], 1, 5),
                    'KexAlgorithms': draw(rng, OPENSSH['kex'], 1, 5),
                    'HostKeyAlgorithms': draw(rng, OPENSSH['host_key'], 1, 4),
                    'Compression': rng.choice(['yes', 'no']), 'LogLevel': 'DEBUG1'}
        with Sshd(settings) as server, Relay(server.port) as relay:
            for kind in DEFAULT_KINDS:
                before = len(server.log())
                connections = len(relay.recordings)
                if kind == 'putty':
                    default_putty(relay.port, str(tmp_path), key_fingerprints(server.dir))
                else:
                    DEFAULT_CLIENTS[kind][0](relay.port, str(tmp_path))
                if len(relay.recordings) == connections:
                    problems.append('trial %d: %s did not connect' % (trial, kind))
                    continue
                deadline = time.monotonic() + 10
                while not sshd_connection_finished(server.log()[before:]) and time.monotonic() < deadline:
                    time.sleep(0.02)  # sshd's child writes its log as the connection ends
                outcome = sshd_view(server.log()[before:])
                if outcome['reported_by'] == 'client':
                    outcome['reported_by'] = 'client-unspecified'
                for problem in _check(ledger, kind, 'openssh', relay, outcome, outcome.get('server_failure'),
                                      load_profile(PROFILE_OF_KIND[kind])):
                    problems.append('trial %d %s->sshd %s: %s' % (trial, kind, settings, problem))
    assert not problems, '\n'.join(problems[:20])


def test_random_paramiko_server_against_real_clients(ledger, tmp_path):
    rng = random.Random(SEED + 1)
    keys = [keygen(str(tmp_path / ('host_' + kind)), kind) for kind in ('ed25519', 'ecdsa', 'rsa')]
    problems = []
    for trial in range(max(1, TRIALS // 2)):
        preferences = {'ciphers': draw(rng, PARAMIKO['cipher'], 2, 6), 'digests': draw(rng, PARAMIKO['mac'], 2, 5),
                       'kex': draw(rng, PARAMIKO['kex'], 2, 5), 'key_types': draw(rng, PARAMIKO['host_key'], 1, 4)}
        with ParamikoServer(keys, preferences) as server, Relay(server.port) as relay:
            for client_name, make_settings, run in CLIENTS:
                outcome = run(relay.port, make_settings(rng))
                for problem in _check(ledger, client_name, 'paramiko', relay, outcome):
                    problems.append('trial %d %s->paramiko %s: %s' % (trial, client_name, preferences, problem))
    assert not problems, '\n'.join(problems[:20])


ASYNCSSH_SERVER = {'cipher': ASYNCSSH['cipher'], 'mac': ASYNCSSH['mac'], 'kex': ASYNCSSH['kex']}


def _client_trials(ledger, rng, server_name, port_factory, trials, label):
    problems = []
    for trial in range(trials):
        with port_factory(trial) as (server_port, description):
            with Relay(server_port) as relay:
                for client_name, make_settings, run in CLIENTS:
                    outcome = run(relay.port, make_settings(rng))
                    for problem in _check(ledger, client_name, server_name, relay, outcome):
                        problems.append('trial %d %s->%s %s: %s' % (trial, client_name, label, description, problem))
    return problems


class _Started:
    """``with`` wrapper yielding (port, description) for a started lab service."""

    def __init__(self, service, description):
        self.service = service
        self.description = description

    def __enter__(self):
        self.service.start()
        return self.service.port, self.description

    def __exit__(self, *exc):
        self.service.stop()


def test_random_proftpd_mod_sftp_against_real_clients(ledger):
    rng = random.Random(SEED + 3)

    def proftpd(trial):
        settings = {'SFTPCiphers': draw(rng, PROFTPD['cipher'], 2, 6), 'SFTPDigests': draw(rng, PROFTPD['mac'], 2, 5),
                    'SFTPKeyExchanges': draw(rng, PROFTPD['kex'], 2, 5)}
        return _Started(ProftpdSftp(settings), settings)
    problems = _client_trials(ledger, rng, 'proftpd', proftpd, max(1, TRIALS // 3), 'proftpd')
    assert not problems, '\n'.join(problems[:20])


def test_dropbear_server_against_real_clients(ledger):
    rng = random.Random(SEED + 4)
    problems = _client_trials(ledger, rng, 'dropbear', lambda trial: _Started(Dropbear(), 'defaults'),
                              max(1, TRIALS // 3), 'dropbear')
    assert not problems, '\n'.join(problems[:20])


def test_random_asyncssh_server_against_real_clients(ledger, tmp_path):
    rng = random.Random(SEED + 5)
    keys = [keygen(str(tmp_path / ('host_' + kind)), kind) for kind in ('ed25519', 'ecdsa', 'rsa')]

    def asyncssh_server(trial):
        algorithms = {'encryption_algs': draw(rng, ASYNCSSH_SERVER['cipher'], 2, 5),
                      'mac_algs': draw(rng, ASYNCSSH_SERVER['mac'], 2, 4),
                      'kex_algs': draw(rng, ASYNCSSH_SERVER['kex'], 2, 4)}
        # An AsyncSSH server offers the algorithms of the keys it holds: vary the keys.
        held = draw(rng, keys, 1, 3)
        return _Started(AsyncsshServer(held, algorithms), dict(algorithms, keys=[os.path.basename(k) for k in held]))
    problems = _client_trials(ledger, rng, 'asyncssh', asyncssh_server, max(1, TRIALS // 3), 'asyncssh')
    assert not problems, '\n'.join(problems[:20])


def test_summary_covers_every_outcome(ledger, capsys):
    summary = ledger.summary()
    categories = set()
    for pair in summary['pairs'].values():
        categories |= set(pair['failed_by_category'])
    with capsys.disabled():
        print('\ndifferential: %d real handshakes, %d matched the prediction'
              % (summary['handshakes'], summary['matched']))
        for name, pair in sorted(summary['pairs'].items()):
            print('  %-22s %3d handshakes, %3d ok, failures %s' % (name, pair['handshakes'], pair['succeeded'],
                                                                   pair['failed_by_category']))
    assert summary['handshakes'] >= 3 * TRIALS
    assert summary['matched'] == summary['handshakes']
    assert any(pair['succeeded'] for pair in summary['pairs'].values())
    assert {'kex', 'host_key', 'cipher', 'mac'} <= categories, categories
