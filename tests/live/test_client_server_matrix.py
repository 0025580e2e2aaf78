# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every real client with random settings against every real server with random settings, judged by the wire.

test_differential.py reads each outcome from what a program says (ssh -vv, sshd's log, an exception); here the
outcome is read off the relay's recording, which neither program can colour: the key exchange completed exactly when
both sides sent SSH_MSG_NEWKEYS (everything before it is unencrypted, RFC 4253 section 7.3). That lets clients whose
output says little join the matrix with their own settings:

* clients: OpenSSH ``ssh`` (random -o lists), dropbear's ``dbclient`` (random ``-c``/``-m``), libssh2 through curl
  (its defaults), JSch 0.1.55 (random ``Session.setConfig`` lists, each direction drawn on its own) and PuTTY's
  ``plink -batch`` (a random saved session: token order and WARN placement);
* servers: OpenSSH sshd, ProFTPD mod_sftp and AsyncSSH with random lists (AsyncSSH also with a random subset of host
  keys and post-quantum kex), dropbear with the keys a package install creates.

The engine predicts from the server's KEXINIT on the wire and the client's (PuTTY: its saved-session lines, the way
``negotiate`` takes ``putty_settings``); the prediction's ``compatible`` must equal the wire, and where the client names
what it could not agree on (ssh, dbclient, plink) or why it abandoned (plink's warning threshold and Terrapin
sentences), the prediction must name the same.

Bounded: FLEETCRYPTO_MATRIX_SERVERS (default 6) servers of each kind, one handshake per client each, 20 s per
handshake at most; seeded by FLEETCRYPTO_DIFF_SEED. The summary goes to tests/output/client-server-matrix.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import re
import shutil

import pytest

from lab.clients import JSCH_JAR, dbclient_reached_authentication, default_libssh2_curl, draw, dropbear_fingerprints, \
    key_fingerprints, run_dbclient, run_jsch, run_openssh_client
from lab.peers import AsyncsshServer
from lab.pools import ASYNCSSH_WIDE, DBCLIENT, JSCH, OPENSSH, PROFTPD
from lab.putty import PLINK_AGREE, PLINK_AGREE_SLOT, PLINK_CACHED, PLINK_TERRAPIN, PLINK_WARN, derived_lists_problems, \
    random_putty_settings, run_plink
from lab.relay import Relay
from lab.servers import ARTIFACTS, Dropbear, ProftpdSftp, Sshd, keygen

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
SERVERS = int(os.environ.get('FLEETCRYPTO_MATRIX_SERVERS', '6'))
PUTTY_PROFILE = 'putty-0.78'   # Debian 12's putty-tools, the plink installed here

# dropbear common-kex.c read_kex_algos (2022.83): dropbear_exit("No matching algo %s", erralgo).
_DBCLIENT_AGREE = re.compile(r'No matching algo (kex|hostkey|enc c->s|enc s->c|mac c->s|mac s->c|comp c->s|comp s->c)')
_DBCLIENT_SLOT = {'kex': ('kex', None), 'hostkey': ('host_key', None), 'enc c->s': ('cipher', 'c2s'),
                  'enc s->c': ('cipher', 's2c'), 'mac c->s': ('mac', 'c2s'), 'mac s->c': ('mac', 's2c'),
                  'comp c->s': ('compression', 'c2s'), 'comp s->c': ('compression', 's2c')}

pytestmark = pytest.mark.skipif(not all(shutil.which(tool) for tool in ('plink', 'dbclient', 'curl', 'javac', 'ssh'))
                                or not os.path.exists(JSCH_JAR),
                                reason='plink, dbclient, curl, ssh and JSch (javac, libjsch-java) are all needed')


class Attempt:
    """What one client run said: its output, the ``(category, direction)`` it says it could not agree on, and the
    sentence it abandoned with (PuTTY's warnings), where it says so."""

    def __init__(self, text, said=None, abandoned=None, client=None, authenticating=None):
        self.text = text
        self.said = said
        self.abandoned = abandoned
        self.client = client   # the client for the prediction when not its wire KEXINIT (PuTTY's session lines)
        # The client says it went on to authentication (None: its output does not say); what ends a connection
        # after NEWKEYS is encrypted, so only the client can tell.
        self.authenticating = authenticating


def _openssh(rng, port, context):
    options = {'Ciphers': ','.join(draw(rng, OPENSSH['cipher'])), 'MACs': ','.join(draw(rng, OPENSSH['mac'])),
               'KexAlgorithms': ','.join(draw(rng, OPENSSH['kex'])),
               'HostKeyAlgorithms': ','.join(draw(rng, OPENSSH['host_key']))}
    outcome = run_openssh_client(port, options)
    return Attempt(outcome['text'], outcome['failure'] if outcome['reported_by'] == 'client' else None), options


def _dbclient(rng, port, context):
    ciphers = draw(rng, DBCLIENT['cipher'], 1, 3) if rng.random() < 0.7 else None
    macs = draw(rng, DBCLIENT['mac'], 1, 2) if rng.random() < 0.7 else None
    text = run_dbclient(port, ciphers, macs)
    said = _DBCLIENT_AGREE.search(text)
    return Attempt(text, _DBCLIENT_SLOT[said.group(1)] if said else None,
                   authenticating=dbclient_reached_authentication(text)), {'-c': ciphers, '-m': macs}


def _libssh2(rng, port, context):
    default_libssh2_curl(port, context['workdir'])
    return Attempt(''), 'defaults'


def _jsch(rng, port, context):
    config = {}
    for key, pool in (('kex', 'kex'), ('server_host_key', 'host_key'), ('cipher.c2s', 'cipher'),
                      ('cipher.s2c', 'cipher'), ('mac.c2s', 'mac'), ('mac.s2c', 'mac')):
        if rng.random() < 0.35:
            config[key] = ','.join(draw(rng, JSCH[pool], 1, 4))
    return Attempt(run_jsch(port, context['workdir'], config)), config


def _plink(rng, port, context):
    settings = random_putty_settings(rng, PUTTY_PROFILE)
    context['sessions'] += 1
    text = run_plink(context['home'], 'matrix%d' % context['sessions'], settings, port, context['fingerprints'])
    said = PLINK_AGREE.search(text)
    abandoned = PLINK_WARN.search(text) or PLINK_CACHED.search(text) or PLINK_TERRAPIN.search(text)
    client = {'profile': PUTTY_PROFILE, 'putty_settings': settings, 'putty_stored_host_keys': []}
    return Attempt(text, PLINK_AGREE_SLOT[said.group(1) or said.group(2)] if said else None,
                   abandoned.group(0) if abandoned else None, client), settings


CLIENTS = (('openssh', _openssh), ('dbclient', _dbclient), ('libssh2', _libssh2), ('jsch', _jsch),
           ('plink', _plink))


def completed(wire, attempt):
    """The key exchange completed: both sides sent SSH_MSG_NEWKEYS and, where the client says, it went on to
    authentication.

    The second half matters for a guessed first kex packet (dbclient always sends one): a server that used the guess
    finishes its key exchange, sends NEWKEYS and only then meets the client's repeated KEXDH_INIT. What follows is
    encrypted, and whether the client's NEWKEYS leaves first is a race: AsyncSSH disconnects ("Key exchange not in
    progress"; dbclient: "exited: Disconnect received"), ProFTPD answers with something dbclient cannot decrypt
    ("exited: Integrity error (bad packet size ...)")."""
    return wire['client_newkeys'] and wire['server_newkeys'] and attempt.authenticating is not False


def compare(prediction, wire, attempt):
    """Differences between the prediction and the wire (and what the client said); empty when they agree."""
    done = completed(wire, attempt)
    failures = prediction['failures']
    if prediction['compatible'] != done:
        return ['predicted compatible=%s, the key exchange %s (wire %s, client said %r)' % (
            prediction['compatible'], 'completed' if done else 'did not complete', wire, attempt.text[-300:])]
    if done:
        return []
    if attempt.abandoned:
        if failures[-1]['message'] != attempt.abandoned:
            return ['the client abandoned with %r, predicted %r' % (attempt.abandoned, failures[-1]['message'])]
        return []
    if attempt.said:
        client_seen = [f for f in failures if f['detected_by'] in ('client', 'both')]
        category, direction = attempt.said
        if not client_seen or client_seen[0]['category'] != category or (
                direction and client_seen[0]['direction'] != direction):
            return ['the client could not agree %s/%s, predicted %s' % (
                category, direction, [(f['category'], f['direction'], f['detected_by']) for f in failures])]
    return []


class Matrix:
    """Every handshake checked, for the summary."""

    def __init__(self):
        self.rows = []

    def summary(self):
        pairs = {}
        for row in self.rows:
            pair = pairs.setdefault('%s -> %s' % (row['client'], row['server']),
                                    {'handshakes': 0, 'matched': 0, 'completed': 0})
            pair['handshakes'] += 1
            pair['matched'] += row['matched']
            pair['completed'] += row['completed']
        return {'seed': SEED, 'handshakes': len(self.rows), 'matched': sum(row['matched'] for row in self.rows),
                'completed': sum(row['completed'] for row in self.rows), 'pairs': pairs}


@pytest.fixture(scope='module')
def matrix():
    book = Matrix()
    yield book
    summary = book.summary()
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, 'client-server-matrix.json'), 'w') as handle:
        json.dump(dict(summary, rows=book.rows), handle, indent=2)


def _round(matrix, rng, server_kind, port, where, context):
    """Each client once, with its own random settings, through a fresh recording relay to ``port``."""
    problems = []
    with Relay(port) as relay:
        for client_name, run in CLIENTS:
            connections = len(relay.recordings)
            attempt, settings = run(rng, relay.port, context)
            label = '%s %s -> %s (client %s)' % (where, client_name, server_kind, settings)
            recording = relay.finished_recording(connections)
            if recording is None:
                problems.append('%s: did not connect: %s' % (label, attempt.text[-300:]))
                continue
            server_hello, client_hello = recording.server_hello(), recording.client_hello()
            if server_hello is None or (client_hello is None and attempt.client is None):
                problems.append('%s: no KEXINIT on the wire (%s)' % (label, attempt.text[-300:]))
                continue
            prediction = predict(server_hello.as_dict(), attempt.client or client_hello.as_dict())
            wire = recording.key_exchange()
            found = compare(prediction, wire, attempt)
            if attempt.client is not None:
                found += derived_lists_problems(attempt.client, client_hello)
            matrix.rows.append({'client': client_name, 'server': server_kind, 'where': where,
                                'client_settings': settings, 'completed': completed(wire, attempt),
                                'wire': wire, 'client_said': attempt.text[-300:], 'matched': not found,
                                'predicted_failures': [(f['category'], f['direction'], f['detected_by'])
                                                       for f in prediction['failures']],
                                'problems': found})
            problems += ['%s: %s' % (label, problem) for problem in found]
    return problems


@pytest.fixture()
def context(tmp_path):
    return {'workdir': str(tmp_path), 'home': str(tmp_path / 'home'), 'sessions': 0, 'fingerprints': []}


def test_clients_against_random_sshd(matrix, context):
    rng = random.Random(SEED + 21)
    problems = []
    for trial in range(SERVERS):
        settings = {'Ciphers': draw(rng, OPENSSH['cipher'], 2, 6), 'MACs': draw(rng, OPENSSH['mac'], 2, 6),
                    'KexAlgorithms': draw(rng, OPENSSH['kex'], 2, 6),
                    'HostKeyAlgorithms': draw(rng, OPENSSH['host_key'], 1, 4)}
        with Sshd(settings) as server:
            context['fingerprints'] = key_fingerprints(server.dir)
            problems += _round(matrix, rng, 'sshd', server.port, 'trial %d sshd %s' % (trial, settings), context)
    assert not problems, '\n'.join(problems[:20])


def test_clients_against_random_proftpd(matrix, context):
    rng = random.Random(SEED + 22)
    problems = []
    for trial in range(SERVERS):
        settings = {'SFTPCiphers': draw(rng, PROFTPD['cipher'], 2, 6), 'SFTPDigests': draw(rng, PROFTPD['mac'], 2, 5),
                    'SFTPKeyExchanges': draw(rng, PROFTPD['kex'], 2, 5)}
        with ProftpdSftp(settings) as server:
            context['fingerprints'] = key_fingerprints(server.dir)
            problems += _round(matrix, rng, 'proftpd', server.port, 'trial %d proftpd %s' % (trial, settings),
                               context)
    assert not problems, '\n'.join(problems[:20])


def test_clients_against_random_asyncssh(matrix, context, tmp_path):
    rng = random.Random(SEED + 23)
    key_dir = tmp_path / 'keys'
    key_dir.mkdir()
    keys = [keygen(str(key_dir / ('host_' + kind)), kind) for kind in ('ed25519', 'ecdsa', 'rsa')]
    context['fingerprints'] = key_fingerprints(str(key_dir))
    problems = []
    for trial in range(SERVERS):
        algorithms = {'kex_algs': draw(rng, ASYNCSSH_WIDE['kex'], 2, 6),
                      'encryption_algs': draw(rng, ASYNCSSH_WIDE['cipher'], 2, 6),
                      'mac_algs': draw(rng, ASYNCSSH_WIDE['mac'], 2, 6)}
        held = draw(rng, keys, 1, 3)   # an AsyncSSH server offers the algorithms of the keys it holds
        if trial == 0:
            # Always once: RSA key exchange (which only plink proposes) with nothing but an Ed25519 host key.
            algorithms['kex_algs'], held = ['rsa2048-sha256'], keys[:1]
        with AsyncsshServer(held, algorithms) as server:
            where = 'trial %d asyncssh %s keys %s' % (trial, algorithms, [os.path.basename(key) for key in held])
            problems += _round(matrix, rng, 'asyncssh', server.port, where, context)
    assert not problems, '\n'.join(problems[:20])


def test_clients_against_dropbear(matrix, context):
    rng = random.Random(SEED + 24)
    problems = []
    with Dropbear() as server:
        context['fingerprints'] = dropbear_fingerprints(server.keys)
        for trial in range(SERVERS):
            problems += _round(matrix, rng, 'dropbear', server.port, 'trial %d dropbear defaults' % trial, context)
    assert not problems, '\n'.join(problems[:20])


def test_matrix_summary(matrix, capsys):
    summary = matrix.summary()
    with capsys.disabled():
        print('\nclient/server matrix: %d real handshakes judged by the wire, %d matched the prediction, %d completed'
              % (summary['handshakes'], summary['matched'], summary['completed']))
        for name, pair in sorted(summary['pairs'].items()):
            print('  %-22s %3d handshakes, %3d completed, %3d matched' % (
                name, pair['handshakes'], pair['completed'], pair['matched']))
    assert summary['handshakes'] >= 4 * len(CLIENTS) * SERVERS
    assert summary['matched'] == summary['handshakes']
    assert 0 < summary['completed'] < summary['handshakes']
