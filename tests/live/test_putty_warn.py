# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential proof of PuTTY's warning threshold against real ``plink -batch`` handshakes.

Real sshd servers get random kex, host-key and cipher offers (with a DSA host key too, and the legacy names PuTTY
keeps below its WARN line by default). Real plink (Debian's 0.78) loads a saved session, written into a temporary
HOME's ``~/.putty/sessions/``, whose ``Cipher``, ``KEX`` and ``HostKey`` lines are random orders of random subsets
of its tokens, WARN anywhere (PuTTY adds the tokens a line leaves out at their default places). plink connects
through a recording relay and ends in one of three ways, each compared with the prediction made from the server's
KEXINIT on the wire and the session's lines (``negotiate`` with ``putty_settings``):

* the key exchange completes (sshd logs ``SSH2_MSG_NEWKEYS received``): predicted compatible, with the kex, host key
  and ciphers sshd logged;
* plink abandons with "The first ... supported by the server is ..., which is below the configured warning
  threshold." (batch mode): predicted incompatible with that exact sentence and reason ``below_warn_threshold``;
* plink cannot agree ("Couldn't agree a ..."): predicted incompatible in that category.

The client KEXINIT on the wire must also equal the lists the engine derives from the session lines, which proves
the token expansion and settings.c's insertion of left-out tokens. Bounded: FLEETCRYPTO_PUTTY_WARN_SERVERS (default
10) servers, 3 sessions each, 20 s per handshake at most; seeded by FLEETCRYPTO_DIFF_SEED.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import re
import shutil
import subprocess
import time

import pytest

from lab.clients import key_fingerprints, sshd_connection_finished, sshd_view
from lab.relay import Relay
from lab.servers import ARTIFACTS, LOOPBACK, Sshd

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict, \
    with_putty_settings

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
SERVERS = int(os.environ.get('FLEETCRYPTO_PUTTY_WARN_SERVERS', '10'))
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
# Matched on the text with its whitespace collapsed: the console wraps PuTTY's sentence at its own width.
_WARN = re.compile(r'The first (.+?) supported by the server is (\S+), which is below the configured warning '
                   r'threshold\.')
_AGREE = re.compile(r"Couldn't agree a (key exchange algorithm|host key algorithm|client-to-server cipher|"
                    r"server-to-client cipher|client-to-server MAC|server-to-client MAC|"
                    r"client-to-server compression method|server-to-client compression method)")
_AGREE_SLOT = {'key exchange algorithm': ('kex', None), 'host key algorithm': ('host_key', None),
               'client-to-server cipher': ('cipher', 'c2s'), 'server-to-client cipher': ('cipher', 's2c'),
               'client-to-server MAC': ('mac', 'c2s'), 'server-to-client MAC': ('mac', 's2c'),
               'client-to-server compression method': ('compression', 'c2s'),
               'server-to-client compression method': ('compression', 's2c')}

pytestmark = pytest.mark.skipif(shutil.which('plink') is None, reason='plink (putty-tools) is not installed')


def draw(rng, pool, low, high):
    return rng.sample(pool, rng.randint(low, min(high, len(pool))))


def random_line(rng, tokens):
    """A saved-session line as a user might have it: a random order of a random subset of the release's tokens,
    WARN usually among them (PuTTY places the ones left out itself)."""
    chosen = draw(rng, tokens, max(1, len(tokens) // 2), len(tokens))
    return ','.join(chosen)


def random_settings(rng):
    tables = load_profile(PROFILE)['putty_tokens']
    return {key: random_line(rng, [entry[0] for entry in tables[key]]) for key in ('Cipher', 'KEX', 'HostKey')}


def run_plink(home, session, settings, port, fingerprints, timeout=20):
    """plink -batch with a saved session (unix/storage.c: ~/.putty/sessions/<name>, one Key=Value per line)."""
    sessions = os.path.join(home, '.putty', 'sessions')
    os.makedirs(sessions, exist_ok=True)
    with open(os.path.join(sessions, session), 'w') as handle:
        handle.write(''.join('%s=%s\n' % item for item in sorted(settings.items())))
    pins = [arg for fingerprint in fingerprints for arg in ('-hostkey', fingerprint)]
    env = dict(os.environ, HOME=home)
    try:
        done = subprocess.run(['plink', '-batch', '-load', session, '-ssh', '-P', str(port)] + pins
                              + ['-l', 'probe', LOOPBACK, 'true'], capture_output=True, text=True, timeout=timeout,
                              env=env, stdin=subprocess.DEVNULL)
        text = done.stderr + done.stdout
    except subprocess.TimeoutExpired as exc:
        text = 'TIMEOUT %s' % (exc.stderr or '')
    return ' '.join(text.split())


def client_lists(offer):
    return {'kex': [name for name in offer['kex_algorithms'] if name not in PSEUDO_ALGORITHMS],
            'host_key': offer['server_host_key_algorithms'],
            'cipher': offer['encryption_algorithms_client_to_server']}


def compare(prediction, text, sshd_outcome):
    """Differences between the prediction and what plink and sshd say happened (empty when they agree)."""
    warned = _WARN.search(text)
    agreed_not = _AGREE.search(text)
    failures = prediction['failures']
    if warned:
        sentence = 'The first %s supported by the server is %s, which is below the configured warning threshold.' % (
            warned.group(1), warned.group(2))
        if prediction['compatible'] or failures[-1]['reason'] != 'below_warn_threshold':
            return ['plink abandoned (%s), predicted %s' % (sentence, [f['reason'] for f in failures] or 'ok')]
        if failures[-1]['message'] != sentence:
            return ['plink said %r, predicted %r' % (sentence, failures[-1]['message'])]
        return []
    if agreed_not:
        category, direction = _AGREE_SLOT[agreed_not.group(1)]
        client_seen = [f for f in failures if f['detected_by'] in ('client', 'both')]
        if not client_seen or (client_seen[0]['category'], client_seen[0]['direction']) != (category, direction):
            return ["plink couldn't agree %s/%s, predicted %s" % (
                category, direction, [(f['category'], f['direction'], f['detected_by']) for f in failures])]
        return []
    if sshd_outcome['ok']:
        if not prediction['compatible']:
            return ['the key exchange completed, predicted %s' % [f['message'] for f in failures]]
        problems = []
        for key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c'):
            if prediction['negotiated'][key] != sshd_outcome['negotiated'].get(key):
                problems.append('%s: predicted %s, sshd logged %s' % (key, prediction['negotiated'][key],
                                                                       sshd_outcome['negotiated'].get(key)))
        return problems
    return ['neither completed nor a known refusal: %s' % text[-400:]]


def test_plink_batch_warn_threshold_against_random_sshd(tmp_path):
    rng = random.Random(SEED + 12)
    home = str(tmp_path / 'home')
    rows = []
    problems = []
    for trial in range(SERVERS):
        server_settings = {'Ciphers': draw(rng, SSHD['cipher'], 1, 5),
                           'KexAlgorithms': draw(rng, SSHD['kex'], 1, 5),
                           'HostKeyAlgorithms': draw(rng, SSHD['host_key'], 1, 4),
                           'LogLevel': 'DEBUG1'}
        with Sshd(server_settings, host_key_types=('ed25519', 'ecdsa', 'rsa', 'dsa')) as server, \
                Relay(server.port) as relay:
            fingerprints = key_fingerprints(server.dir)
            for attempt in range(SESSIONS_PER_SERVER):
                settings = random_settings(rng)
                before = len(server.log())
                connections = len(relay.recordings)
                text = run_plink(home, 'warn%d-%d' % (trial, attempt), settings, relay.port, fingerprints)
                where = 'trial %d.%d sshd %s, session %s' % (trial, attempt, server_settings, settings)
                if len(relay.recordings) == connections:
                    problems.append('%s: plink did not connect: %s' % (where, text[-300:]))
                    continue
                recording = relay.recordings[-1]
                recording.done.wait(10)
                deadline = time.monotonic() + 10
                while not sshd_connection_finished(server.log()[before:]) and time.monotonic() < deadline:
                    time.sleep(0.02)  # sshd's child writes its log as the connection ends
                server_hello, client_hello = recording.server_hello(), recording.client_hello()
                assert server_hello is not None, '%s: no server KEXINIT (%s)' % (where, text[-300:])
                prediction = predict(server_hello.as_dict(), {'profile': PROFILE, 'putty_settings': settings})
                found = compare(prediction, text, sshd_view(server.log()[before:]))
                wire_checked = client_hello is not None
                if wire_checked:
                    # The engine's lists from the session lines are what plink really sent.
                    expected = client_lists(with_putty_settings({'profile': PROFILE, 'putty_settings': settings}))
                    actual = client_lists(client_hello.as_dict()['offer'])
                    if expected != actual:
                        found.append('client KEXINIT %s, derived from the session %s' % (actual, expected))
                outcome = ('abandoned' if _WARN.search(text) else 'could not agree' if _AGREE.search(text)
                           else 'connected' if prediction['compatible'] else 'other')
                rows.append({'trial': trial, 'server': server_settings, 'session': settings, 'outcome': outcome,
                             'below_warn_threshold': prediction['below_warn_threshold'], 'matched': not found,
                             'client_kexinit_checked': wire_checked, 'problems': found})
                problems.extend('%s: %s' % (where, problem) for problem in found)
    os.makedirs(ARTIFACTS, exist_ok=True)
    summary = {'seed': SEED, 'handshakes': len(rows), 'matched': sum(row['matched'] for row in rows),
               'outcomes': {}, 'client_kexinit_checked': sum(row['client_kexinit_checked'] for row in rows)}
    for row in rows:
        summary['outcomes'][row['outcome']] = summary['outcomes'].get(row['outcome'], 0) + 1
    with open(os.path.join(ARTIFACTS, 'putty-warn-summary.json'), 'w') as handle:
        json.dump(dict(summary, rows=rows), handle, indent=2)
    print('\nputty warn threshold: %d real plink -batch handshakes, %d matched the prediction, outcomes %s'
          % (summary['handshakes'], summary['matched'], summary['outcomes']))
    assert not problems, '\n'.join(problems[:20])
    assert summary['handshakes'] >= SERVERS * SESSIONS_PER_SERVER
    # The draw is rich enough to show both real behaviours.
    assert summary['outcomes'].get('abandoned') and summary['outcomes'].get('connected'), summary['outcomes']

