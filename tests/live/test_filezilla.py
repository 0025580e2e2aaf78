# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential proof of FileZilla's rule (profile filezilla-3.63.0-debian12) against real fzsftp handshakes.

FileZilla's SFTP helper, Debian 12's fzsftp (FileZilla 3.63.0's fork of PuTTY's psftp), is driven through its stdin
protocol as FileZilla drives it (lab/clients.py default_fzsftp). On Unix it reads PuTTY's "Default Settings"
session (src/putty/unix/uxstore.c: ~/.putty/sessions/Default%20Settings), whose ``Cipher``, ``KEX`` and ``HostKey``
lines here are random orders of random subsets of its tokens, WARN anywhere. Real sshd servers get random offers
(legacy names included, so picks below the line happen). The prediction from the server's KEXINIT on the wire and
the session's lines (``negotiate`` with ``putty_settings``) must match what happened:

* fzsftp aborts with "The first ... supported by the server is ..., which is no longer secure. Aborting
  connection." (src/putty/unix/uxcons.c console_confirm_weak_crypto_primitive: never a question): predicted
  incompatible with exactly that sentence and reason ``below_warn_threshold``;
* fzsftp cannot agree ("Couldn't agree a ..."): predicted incompatible in that category, with exactly its message;
* the key exchange completes (sshd logs ``SSH2_MSG_NEWKEYS received`` once fzsftp's host-key question is answered):
  predicted compatible, with the kex, host key and ciphers sshd logged;
* sshd hangs up: predicted a failure the server detects.

The client KEXINIT on the wire must equal the lists the engine derives from the session lines. Bounded:
FLEETCRYPTO_FILEZILLA_SERVERS (default 8) sshd servers, 3 sessions each, 20 s per handshake at most; seeded by
FLEETCRYPTO_DIFF_SEED. The summary goes to tests/output/filezilla-summary.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import re
import select
import shutil
import subprocess
import time

import pytest

from lab.clients import draw, sshd_connection_finished, sshd_view
from lab.putty import PLINK_AGREE_SLOT, PLINK_CLOSED, PLINK_DIRECTIONS, derived_lists_problems, random_putty_settings
from lab.relay import Relay
from lab.servers import ARTIFACTS, LOOPBACK, Sshd

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
SERVERS = int(os.environ.get('FLEETCRYPTO_FILEZILLA_SERVERS', '8'))
SESSIONS_PER_SERVER = 3
PROFILE = 'filezilla-3.63.0-debian12'

# What Debian 12's sshd (OpenSSH 9.2p1) implements (ssh -Q), legacy names included; umac MACs FileZilla lacks.
SSHD = {
    'cipher': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc',
               'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', '3des-cbc'],
    'kex': ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org',
            'ecdh-sha2-nistp256', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256',
            'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha256',
            'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com',
            'umac-64-etm@openssh.com', 'umac-128@openssh.com'],
}
# fzsftp writes one event a line, its type a character ('0' + sftpEvent, src/engine/sftp/event.h): '2' Error,
# '9' AskHostkey (then host and port lines), '<' AskPassword, '@'/'A' quota requests (receive/send).
_WEAK = re.compile(r'The first (.+?) supported by the server is (\S+), which is no longer secure\. '
                   r'Aborting connection\.')
_AGREE = re.compile(r"Couldn't agree a %s \(available: [^)]*\)" % PLINK_DIRECTIONS)

pytestmark = pytest.mark.skipif(shutil.which('fzsftp') is None, reason='fzsftp (filezilla) is not installed')


def run_fzsftp(home, settings, port, timeout=20):
    """fzsftp with ``settings`` as PuTTY's Default Settings; answers its quota requests as unlimited and its host-key
    question with "y" (accept), and stops at the password prompt, an error or ``timeout``. Returns its output.

    A quota request is one character without a line end (fzprintf.c fznotify, fzsftp.c RequestQuota), so other
    events may follow it on the same line; the first requests are answered before they are asked (ReadQuotas reads
    the next line), later ones when the output stops at one."""
    sessions = os.path.join(home, '.putty', 'sessions')
    os.makedirs(sessions, exist_ok=True)
    with open(os.path.join(sessions, 'Default%20Settings'), 'w') as handle:
        handle.write(''.join('%s=%s\n' % item for item in sorted(settings.items())))
    proc = subprocess.Popen(['fzsftp'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=home, env=dict(os.environ, HOME=home))
    lines = []
    buffered = b''
    deadline = time.monotonic() + timeout

    def send(text):
        proc.stdin.write(text.encode('ascii'))
        proc.stdin.flush()
    try:
        send('open "probe@%s" %d\n-0-\n-1-\n' % (LOOPBACK, port))
        finished = False
        while not finished and time.monotonic() < deadline:
            ready, _w, _x = select.select([proc.stdout], [], [], 0.3)
            if not ready:
                if proc.poll() is not None:
                    break
                if buffered[-1:] in (b'@', b'A'):
                    send('-0-\n' if buffered[-1:] == b'@' else '-1-\n')
                    buffered = buffered[:-1]
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buffered += chunk
            while b'\n' in buffered:
                line, buffered = buffered.split(b'\n', 1)
                text = line.decode('utf-8', 'replace').lstrip('@A')
                lines.append(text)
                if text[:1] == '9':
                    send('y\n')   # AskHostkey: accept (uxcons.c console_confirm_ssh_host_key)
                if text[:1] in ('2', '<'):
                    finished = True   # an error, or the key exchange is over and it asks for a password
    except (OSError, ValueError):
        pass
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()
    return ' '.join(' '.join(lines + [buffered.decode('utf-8', 'replace')]).split())


def outcome_of(text, completed):
    if _WEAK.search(text):
        return 'aborted below WARN'
    if _AGREE.search(text):
        return 'could not agree'
    if completed:
        return 'connected'
    return 'server hung up' if PLINK_CLOSED.search(text) else 'other'


def compare(prediction, text, completed, negotiated):
    """Differences between the prediction and what fzsftp and sshd say happened (empty when they agree)."""
    failures = prediction['failures']
    weak = _WEAK.search(text)
    if weak:
        if prediction['compatible'] or failures[-1]['reason'] != 'below_warn_threshold':
            return ['fzsftp aborted (%s), predicted %s' % (weak.group(0), [f['reason'] for f in failures] or 'ok')]
        if failures[-1]['message'] != weak.group(0):
            return ['fzsftp said %r, predicted %r' % (weak.group(0), failures[-1]['message'])]
        # sshd logs what it chose from both KEXINITs before fzsftp hangs up.
        return ['%s: predicted %s, sshd logged %s' % (key, prediction['negotiated'][key], value)
                for key, value in sorted(negotiated.items())
                if key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c') and prediction['negotiated'][key] != value]
    agreed_not = _AGREE.search(text)
    if agreed_not:
        slot = PLINK_AGREE_SLOT[agreed_not.group(1)]
        client_seen = [f for f in failures if f['detected_by'] in ('client', 'both')]
        if not client_seen or (client_seen[0]['category'], client_seen[0]['direction']) != slot:
            return ["fzsftp couldn't agree %s/%s, predicted %s" % (
                slot + ([(f['category'], f['direction'], f['detected_by']) for f in failures],))]
        if client_seen[0]['message'] != agreed_not.group(0):
            return ['fzsftp said %r, predicted %r' % (agreed_not.group(0), client_seen[0]['message'])]
        return []
    if completed:
        if not prediction['compatible']:
            return ['the key exchange completed, predicted %s' % [f['message'] for f in failures]]
        return ['%s: predicted %s, sshd logged %s' % (key, prediction['negotiated'][key], value)
                for key, value in sorted(negotiated.items())
                if key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c')
                and prediction['negotiated'][key] != value
                and not (key.startswith('mac_') and value is None)]
    if PLINK_CLOSED.search(text):
        if not [f for f in failures if f['detected_by'] in ('server', 'both', 'disagreement')]:
            return ['the server hung up, predicted %s' % ([f['message'] for f in failures] or 'ok')]
        return []
    return ['neither completed nor a known refusal: %s' % text[-400:]]


def test_fzsftp_against_random_sshd(tmp_path):
    rng = random.Random(SEED + 21)
    rows = []
    problems = []
    for trial in range(SERVERS):
        server_settings = {'Ciphers': draw(rng, SSHD['cipher'], 1, 4), 'KexAlgorithms': draw(rng, SSHD['kex'], 1, 4),
                           'HostKeyAlgorithms': draw(rng, SSHD['host_key'], 1, 3),
                           'MACs': draw(rng, SSHD['mac'], 1, 4), 'LogLevel': 'DEBUG1'}
        if trial == 0:
            # Always one server whose only kex is below FileZilla's default line,
            server_settings.update(KexAlgorithms=['diffie-hellman-group1-sha1'])
        elif trial == 1:
            # and one with no MAC FileZilla has (and a cipher that needs one).
            server_settings.update(Ciphers=['aes128-ctr', 'aes256-cbc'], MACs=['umac-64-etm@openssh.com'])
        with Sshd(server_settings, host_key_types=('ed25519', 'ecdsa', 'rsa', 'dsa')) as server, \
                Relay(server.port) as relay:
            for attempt in range(SESSIONS_PER_SERVER):
                settings = dict(load_profile(PROFILE)['putty_settings']) if attempt == 0 else random_putty_settings(rng, PROFILE)
                home = str(tmp_path / ('home-%d-%d' % (trial, attempt)))
                before = len(server.log())
                connections = len(relay.recordings)
                text = run_fzsftp(home, settings, relay.port)
                where = 'trial %d.%d sshd %s, Default Settings %s' % (trial, attempt, server_settings, settings)
                recording = relay.finished_recording(connections)
                if recording is None:
                    problems.append('%s: fzsftp did not connect: %s' % (where, text[-300:]))
                    continue
                deadline = time.monotonic() + 10
                while not sshd_connection_finished(server.log()[before:]) and time.monotonic() < deadline:
                    time.sleep(0.02)  # sshd's child writes its log as the connection ends
                view = sshd_view(server.log()[before:])
                server_hello, client_hello = recording.server_hello(), recording.client_hello()
                assert server_hello is not None, '%s: no server KEXINIT (%s)' % (where, text[-300:])
                client = {'profile': PROFILE, 'putty_settings': settings}
                prediction = predict(server_hello.as_dict(), client)
                found = (compare(prediction, text, view['ok'], view['negotiated'])
                         + derived_lists_problems(client, client_hello))
                rows.append({'where': where, 'outcome': outcome_of(text, view['ok']), 'matched': not found,
                             'client_kexinit_checked': client_hello is not None, 'problems': found})
                problems += ['%s: %s' % (where, problem) for problem in found]
    outcomes = {}
    for row in rows:
        outcomes[row['outcome']] = outcomes.get(row['outcome'], 0) + 1
    summary = {'seed': SEED, 'handshakes': len(rows), 'matched': sum(row['matched'] for row in rows),
               'client_kexinit_checked': sum(row['client_kexinit_checked'] for row in rows), 'outcomes': outcomes}
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, 'filezilla-summary.json'), 'w') as handle:
        json.dump(dict(summary, rows=rows), handle, indent=2)
    print('\nfilezilla: %d real fzsftp handshakes, %d matched the prediction, outcomes %s'
          % (summary['handshakes'], summary['matched'], outcomes))
    assert not problems, '\n'.join(problems[:20])
    assert {'aborted below WARN', 'connected', 'could not agree'} <= set(outcomes), outcomes
