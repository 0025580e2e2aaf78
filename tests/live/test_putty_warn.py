# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential proof of PuTTY's warning threshold and Terrapin question against real ``plink -batch`` handshakes.

Real servers get random offers: sshd (kex, host-key and cipher lists, with a DSA host key too and the legacy names
PuTTY keeps below its WARN line by default), and a paramiko server with and without strict kex (CBC ciphers with
encrypt-then-MAC MACs, which PuTTY questions without strict kex). Real plink (Debian 12's 0.78) loads a saved
session, written into a temporary HOME's ``~/.putty/sessions/``, whose ``Cipher``, ``KEX`` and ``HostKey`` lines are
random orders of random subsets of its tokens, WARN anywhere (PuTTY adds the tokens a line leaves out at their
default places). plink connects through a recording relay, and the prediction from the server's KEXINIT on the wire
and the session's lines (``negotiate`` with ``putty_settings``) must match what happened:

* the key exchange completes (sshd logs ``SSH2_MSG_NEWKEYS received``, or plink's event log initialises
  encryption): predicted compatible, with the kex, host key and ciphers sshd logged;
* plink abandons with "The first ... supported by the server is ..., which is below the configured warning
  threshold." or with its Terrapin sentence: predicted incompatible with exactly that sentence and reason
  ``below_warn_threshold`` or ``terrapin_warning``;
* plink cannot agree: predicted incompatible in that category, detected by the client, with exactly its message;
* the server hangs up (paramiko needs a common MAC even for AES-GCM): predicted a failure the server detects.

The client KEXINIT on the wire must also equal the lists the engine derives from the session lines, which proves
the token expansion and settings.c's insertion of left-out tokens. Bounded: FLEETCRYPTO_PUTTY_WARN_SERVERS (default
10) sshd servers and two thirds as many paramiko servers, 3 sessions each, 20 s per handshake at most; seeded by
FLEETCRYPTO_DIFF_SEED. The summary goes to tests/output/putty-warn-summary.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import shutil
import time

import pytest

from lab.clients import draw, key_fingerprints, sshd_connection_finished, sshd_view
from lab.putty import PLINK_AGREE, PLINK_AGREE_SLOT, PLINK_CACHED, PLINK_CLOSED, PLINK_INITIALISED, PLINK_TERRAPIN, \
    PLINK_WARN, derived_lists_problems, random_putty_settings, run_plink
from lab.relay import Relay
from lab.peers import ParamikoServer
from lab.servers import ARTIFACTS, Sshd, keygen

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
SERVERS = int(os.environ.get('FLEETCRYPTO_PUTTY_WARN_SERVERS', '10'))
PARAMIKO_SERVERS = max(1, SERVERS * 2 // 3)
SESSIONS_PER_SERVER = 3
PROFILE = 'putty-0.78'   # Debian 12's putty-tools, the plink installed here

# What Debian 12's sshd (OpenSSH 9.2p1) implements and PuTTY 0.78 proposes, legacy names included (ssh -Q).
SSHD = {
    'cipher': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc',
               'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', '3des-cbc'],
    'kex': ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org',
            'ecdh-sha2-nistp256', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256',
            'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group18-sha512', 'diffie-hellman-group16-sha512',
            'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
}
# Host-key types a temporary HOME has stored for the server (cache ids; the lab's keys are Ed25519, ECDSA P-256, RSA
# and, for sshd, DSA; Ed448 is one the servers do not have).
STORED_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa2', 'dss', 'ssh-ed448']

pytestmark = pytest.mark.skipif(shutil.which('plink') is None, reason='plink (putty-tools) is not installed')


def outcome_of(text, completed):
    if PLINK_WARN.search(text) or PLINK_CACHED.search(text):
        return 'abandoned below WARN'
    if PLINK_TERRAPIN.search(text):
        return 'abandoned for Terrapin'
    if PLINK_AGREE.search(text):
        return 'could not agree'
    if completed:
        return 'connected'
    return 'server hung up' if PLINK_CLOSED.search(text) else 'other'


def compare(prediction, text, completed, negotiated=None):
    """Differences between the prediction and what plink (and sshd, ``negotiated``) say happened (empty when they
    agree). ``completed``: the key exchange finished (sshd logged NEWKEYS, or plink's event log initialised
    encryption)."""
    warned = PLINK_WARN.search(text) or PLINK_CACHED.search(text) or PLINK_TERRAPIN.search(text)
    agreed_not = PLINK_AGREE.search(text)
    failures = prediction['failures']
    if warned:
        sentence = warned.group(0)
        reason = 'terrapin_warning' if warned.re is PLINK_TERRAPIN else 'below_warn_threshold'
        if prediction['compatible'] or failures[-1]['reason'] != reason:
            return ['plink abandoned (%s), predicted %s' % (sentence, [f['reason'] for f in failures] or 'ok')]
        if failures[-1]['message'] != sentence:
            return ['plink said %r, predicted %r' % (sentence, failures[-1]['message'])]
        # sshd logs what it chose from both KEXINITs before plink hangs up: the same choices, questioned by plink.
        for key, value in sorted((negotiated or {}).items()):
            if key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c') and prediction['negotiated'][key] != value:
                return ['%s: predicted %s, sshd logged %s' % (key, prediction['negotiated'][key], value)]
        if warned.re is PLINK_CACHED:
            # "The server also provides the following types of host key above the threshold, which we do not have
            # stored:" and one type a line.
            better = prediction['below_warn_threshold'][0]['not_stored_above_warn']
            expected = 'which we do not have stored: %s Connection abandoned.' % ' '.join(better)
            if expected not in text:
                return ['plink listed other better host keys than %s: %s' % (better, text[-300:])]
        return []
    if agreed_not:
        category, direction = PLINK_AGREE_SLOT[agreed_not.group(1) or agreed_not.group(2)]
        client_seen = [f for f in failures if f['detected_by'] in ('client', 'both')]
        if not client_seen or (client_seen[0]['category'], client_seen[0]['direction']) != (category, direction):
            return ["plink couldn't agree %s/%s, predicted %s" % (
                category, direction, [(f['category'], f['direction'], f['detected_by']) for f in failures])]
        if client_seen[0]['message'] not in text:
            return ['plink said %r, predicted %r' % (agreed_not.group(0), client_seen[0]['message'])]
        return []
    if completed:
        if not prediction['compatible']:
            return ['the key exchange completed, predicted %s' % [f['message'] for f in failures]]
        problems = []
        for key, value in sorted((negotiated or {}).items()):
            if key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c') and prediction['negotiated'][key] != value:
                problems.append('%s: predicted %s, sshd logged %s' % (key, prediction['negotiated'][key], value))
        return problems
    if PLINK_CLOSED.search(text):
        if not [f for f in failures if f['detected_by'] in ('server', 'both', 'disagreement')]:
            return ['the server hung up, predicted %s' % ([f['message'] for f in failures] or 'ok')]
        return []
    return ['neither completed nor a known refusal: %s' % text[-400:]]


class Book:
    """Every plink handshake checked, for the summary (tests/output/putty-warn-summary.json)."""

    def __init__(self):
        self.rows = []

    def summary(self):
        outcomes = {}
        for row in self.rows:
            key = '%s: %s' % (row['server_kind'], row['outcome'])
            outcomes[key] = outcomes.get(key, 0) + 1
        return {'seed': SEED, 'handshakes': len(self.rows), 'matched': sum(row['matched'] for row in self.rows),
                'client_kexinit_checked': sum(row['client_kexinit_checked'] for row in self.rows),
                'outcomes': outcomes}


@pytest.fixture(scope='module')
def book():
    ledger = Book()
    yield ledger
    os.makedirs(ARTIFACTS, exist_ok=True)
    summary = ledger.summary()
    with open(os.path.join(ARTIFACTS, 'putty-warn-summary.json'), 'w') as handle:
        json.dump(dict(summary, rows=ledger.rows), handle, indent=2)
    print('\nputty warn threshold: %d real plink -batch handshakes, %d matched the prediction, outcomes %s'
          % (summary['handshakes'], summary['matched'], summary['outcomes']))


def _handshake(book, rng, server_kind, home, name, relay, fingerprints, where, view_of, settings=None, stored=None):
    """One plink -batch connection with a random saved session and random stored host-key types (or the given
    ``settings`` and ``stored``); returns the problems found."""
    if settings is None:
        stored = draw(rng, STORED_TYPES, 0, 3)
        settings = random_putty_settings(rng, PROFILE)
        if rng.random() < 0.2:
            settings['PreferKnownHostKeys'] = '0'
    stored = stored or []
    connections = len(relay.recordings)
    text = run_plink(home, name, settings, relay.port, fingerprints, stored)
    where = '%s, session %s, stored host keys %s' % (where, settings, stored)
    recording = relay.finished_recording(connections)
    if recording is None:
        return ['%s: plink did not connect: %s' % (where, text[-300:])]
    completed, negotiated = view_of(text)
    server_hello, client_hello = recording.server_hello(), recording.client_hello()
    assert server_hello is not None, '%s: no server KEXINIT (%s)' % (where, text[-300:])
    client = {'profile': PROFILE, 'putty_settings': settings, 'putty_stored_host_keys': stored}
    prediction = predict(server_hello.as_dict(), client)
    # The engine's lists from the session lines are what plink really sent.
    found = compare(prediction, text, completed, negotiated) + derived_lists_problems(client, client_hello)
    book.rows.append({'server_kind': server_kind, 'where': where, 'session': settings, 'stored': stored,
                      'outcome': outcome_of(text, completed), 'failures': prediction['failures'],
                      'matched': not found, 'client_kexinit_checked': client_hello is not None, 'problems': found})
    return ['%s: %s' % (where, problem) for problem in found]


def test_plink_batch_against_random_sshd(book, tmp_path):
    """sshd (LogLevel DEBUG1) says whether the key exchange finished and what it chose."""
    rng = random.Random(SEED + 12)
    home = str(tmp_path / 'home')
    problems = []
    for trial in range(SERVERS):
        server_settings = {'Ciphers': draw(rng, SSHD['cipher'], 1, 5),
                           'KexAlgorithms': draw(rng, SSHD['kex'], 1, 5),
                           'HostKeyAlgorithms': draw(rng, SSHD['host_key'], 1, 4),
                           'LogLevel': 'DEBUG1'}
        if trial == 0:
            # Always one stored host-key type below the line while a better one is not stored.
            server_settings.update(Ciphers=['aes256-ctr'], KexAlgorithms=['curve25519-sha256'],
                                   HostKeyAlgorithms=['ssh-ed25519', 'rsa-sha2-512'])
        with Sshd(server_settings, host_key_types=('ed25519', 'ecdsa', 'rsa', 'dsa')) as server, \
                Relay(server.port) as relay:
            fingerprints = key_fingerprints(server.dir)
            for attempt in range(SESSIONS_PER_SERVER):
                before = len(server.log())

                def view_of(_text, before=before):
                    deadline = time.monotonic() + 10
                    while not sshd_connection_finished(server.log()[before:]) and time.monotonic() < deadline:
                        time.sleep(0.02)  # sshd's child writes its log as the connection ends
                    view = sshd_view(server.log()[before:])
                    return view['ok'], view['negotiated']
                forced = {}
                if trial == 0 and attempt == 0:
                    forced = {'settings': dict(load_profile(PROFILE)['putty_settings'],
                                               HostKey='ed25519,ecdsa,WARN,rsa,dsa,ed448'), 'stored': ['rsa2']}
                problems += _handshake(book, rng, 'sshd', home, 'sshd%d-%d' % (trial, attempt), relay, fingerprints,
                                       'trial %d.%d sshd %s' % (trial, attempt, server_settings), view_of, **forced)
    assert not problems, '\n'.join(problems[:20])
    outcomes = {row['outcome'] for row in book.rows if row['server_kind'] == 'sshd'}
    assert {'abandoned below WARN', 'connected'} <= outcomes, outcomes
    assert any('we have stored' in failure['message'] for row in book.rows for failure in row['failures'])


PARAMIKO = {
    'cipher': ['aes256-cbc', 'aes128-cbc', 'aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com'],
    'mac': ['hmac-sha2-256', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
    'kex': ['curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'diffie-hellman-group16-sha512',
            'diffie-hellman-group14-sha256'],
}


def test_plink_batch_against_random_paramiko_server_with_and_without_strict_kex(book, tmp_path):
    """A paramiko server may run without strict kex (Transport(strict_kex=False)): PuTTY then asks about CBC with an
    ETM MAC (Terrapin). plink's event log (-v) says whether the key exchange finished."""
    rng = random.Random(SEED + 13)
    home = str(tmp_path / 'home')
    key_dir = tmp_path / 'keys'
    key_dir.mkdir()
    keys = [keygen(str(key_dir / ('host_' + kind)), kind) for kind in ('ed25519', 'ecdsa', 'rsa')]
    fingerprints = key_fingerprints(str(key_dir))
    problems = []
    for trial in range(PARAMIKO_SERVERS):
        etm_only = rng.random() < 0.6
        preferences = {'ciphers': draw(rng, PARAMIKO['cipher'], 1, 3),
                       'digests': draw(rng, PARAMIKO['mac'][2:] if etm_only else PARAMIKO['mac'], 1, 3),
                       'kex': draw(rng, PARAMIKO['kex'], 1, 3)}
        strict = rng.random() < 0.3
        held = draw(rng, keys, 1, 3)
        if trial == 0:
            # Always one server open to Terrapin with what PuTTY's defaults pick: CBC with an ETM MAC, no strict kex.
            preferences.update(ciphers=['aes256-cbc'], digests=['hmac-sha2-256-etm@openssh.com'])
            strict = False
        with ParamikoServer(held, preferences, strict_kex=strict) as server, Relay(server.port) as relay:
            for attempt in range(SESSIONS_PER_SERVER):
                def view_of(text):
                    return bool(PLINK_INITIALISED.search(text)), None
                defaults = load_profile(PROFILE)['putty_settings'] if trial == 0 and attempt == 0 else None
                problems += _handshake(book, rng, 'paramiko', home, 'paramiko%d-%d' % (trial, attempt), relay,
                                       fingerprints, 'trial %d.%d paramiko %s strict_kex=%s keys %s' % (
                                           trial, attempt, preferences, strict,
                                           [os.path.basename(key) for key in held]), view_of, defaults)
    assert not problems, '\n'.join(problems[:20])
    outcomes = {row['outcome'] for row in book.rows if row['server_kind'] == 'paramiko'}
    assert 'abandoned for Terrapin' in outcomes and 'connected' in outcomes, outcomes
