# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential proof of the guessed-first-packet rule and of ``post_quantum``, with real software on 127.0.0.1.

* Real ``dbclient`` (dropbear 2022.83, which always sends a guessed KEXDH_INIT after its KEXINIT) against a real
  AsyncSSH server with random key-exchange lists and host keys, so that the guess is sometimes right for both,
  wrong for both, or used by AsyncSSH but judged wrong by dropbear ("Key exchange not in progress"). Both
  KEXINITs are read off the wire through the recording relay, the engine predicts from them alone, and the
  prediction must equal what happened: key exchange completed (dbclient reached authentication, AsyncSSH logged
  the kex it chose) or not, and for a guess failure AsyncSSH's own disconnect reason.
* Real ``dbclient`` against real sshd, ProFTPD mod_sftp, paramiko and dropbear servers whose first kex and host
  key are set so that each of their rules meets the guess both ways (ProFTPD uses a guess dropbear judges wrong
  when only the host keys differ; paramiko always uses it, and never has dropbear's first kex).
* Real OpenSSH 9.2 ``ssh`` against real ``sshd`` agreeing on sntrup761x25519-sha512@openssh.com: predicted
  ``post_quantum`` true, and false for curve25519-sha256.

Seeded: FLEETCRYPTO_DIFF_SEED (default 4253), FLEETCRYPTO_GUESS_TRIALS (default 16 server settings).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import logging
import os
import random
import shutil
import time

import pytest

from lab.clients import dbclient_reached_authentication, run_dbclient, run_openssh_client
from lab.peers import AsyncsshServer, ParamikoServer
from lab.relay import Relay
from lab.servers import ARTIFACTS, Dropbear, ProftpdSftp, Sshd, keygen

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict

SEED = int(os.environ.get('FLEETCRYPTO_DIFF_SEED', '4253'))
TRIALS = int(os.environ.get('FLEETCRYPTO_GUESS_TRIALS', '16'))

# Names both AsyncSSH 2.24.1 and dropbear 2022.83 implement (and one only AsyncSSH has), so that random lists
# put dropbear's first kex (curve25519-sha256) first, later, or nowhere.
KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
       'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512']
CIPHERS = ['aes128-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com']
MACS = ['hmac-sha2-256', 'hmac-sha1', 'hmac-sha2-512']

pytestmark = pytest.mark.skipif(shutil.which('dbclient') is None, reason='dbclient (dropbear-bin) is not installed')


@pytest.fixture(scope='module')
def summary():
    """Every real handshake checked here, written to tests/output/kex-guess-summary.json."""
    rows = []
    yield rows
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, 'kex-guess-summary.json'), 'w') as handle:
        json.dump({'seed': SEED, 'handshakes': len(rows), 'matched': sum(1 for row in rows if row['matched']),
                   'rows': rows}, handle, indent=2)


class _Collect(logging.Handler):
    def __init__(self):
        super(_Collect, self).__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def asyncssh_log():
    """AsyncSSH's own log (debug level 2 names the kex it chose), collected for the test, then restored."""
    import asyncssh  # pylint: disable=import-outside-toplevel
    logger = logging.getLogger('asyncssh')
    handler = _Collect()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    asyncssh.set_debug_level(2)
    try:
        yield handler
    finally:
        asyncssh.set_debug_level(1)
        logger.setLevel(level)
        logger.removeHandler(handler)


def dbclient_defaults(port, home):
    """dbclient with its defaults; the key exchange completed when it got as far as authentication."""
    text = run_dbclient(port, home=home, timeout=25)
    return {'ok': dbclient_reached_authentication(text), 'text': text[-400:]}


def _server_kex(lines):
    # connection.py _process_kexinit: logger.debug2('  Key exchange alg: %s', self._kex.algorithm) (bytes).
    for line in lines:
        if 'Key exchange alg:' in line:
            value = line.split('Key exchange alg:', 1)[1].strip()
            return value[2:-1] if value.startswith("b'") else value
    return None


def test_dropbear_guess_against_random_asyncssh_servers(tmp_path, asyncssh_log, summary):
    rng = random.Random(SEED + 12)
    keys = {kind: keygen(str(tmp_path / ('host_' + kind)), kind) for kind in ('ed25519', 'ecdsa')}
    home = str(tmp_path / 'home')
    os.makedirs(home)
    problems, rows = [], []
    for trial in range(TRIALS):
        # Trials cycle through the cases so that every seed covers them; the rest of each draw is random:
        # 0 - the server lacks dropbear's first kex (both judge the guess wrong), 1 - dropbear's first kex and host
        # key are the server's first (both judge it right), 2 - the server has curve25519-sha256 but not first, or
        # not with ssh-ed25519 first (AsyncSSH uses the guess, dropbear sends again), 3 - anything.
        case = trial % 4
        kex = [name for name in rng.sample(KEX, rng.randint(1, 4)) if name != 'curve25519-sha256' or case == 3]
        kinds = rng.sample(sorted(keys), rng.randint(1, 2))
        if case == 1:
            kex, kinds = ['curve25519-sha256'] + kex, ['ed25519'] + [kind for kind in kinds if kind != 'ed25519']
        elif case == 2:
            kex = kex + ['curve25519-sha256'] if kex and rng.random() < 0.7 else ['curve25519-sha256'] + kex
            if kex[0] == 'curve25519-sha256':
                kinds = ['ecdsa'] + [kind for kind in kinds if kind != 'ecdsa']
        kex = kex or ['ecdh-sha2-nistp256']
        held = [keys[kind] for kind in kinds]
        ciphers, macs = rng.sample(CIPHERS, rng.randint(1, 3)), rng.sample(MACS, rng.randint(1, 3))
        if case != 3:
            # Lists dbclient shares, so that only the guess decides.
            ciphers = ciphers + ['aes128-ctr'] if 'aes128-ctr' not in ciphers else ciphers
            macs = macs + ['hmac-sha2-256'] if 'hmac-sha2-256' not in macs else macs
        algorithms = {'kex_algs': kex, 'encryption_algs': ciphers, 'mac_algs': macs}
        del asyncssh_log.lines[:]
        with AsyncsshServer(held, algorithms) as server, Relay(server.port) as relay:
            outcome = dbclient_defaults(relay.port, home)
            recording = relay.finished_recording()
            time.sleep(0.2)   # AsyncSSH logs the disconnect from its own event loop
        client_hello, server_hello = recording.client_hello(), recording.server_hello()
        assert client_hello is not None and server_hello is not None, outcome['text']
        assert client_hello.offer['first_kex_packet_follows'] is True
        prediction = predict(server_hello.as_dict(), client_hello.as_dict())
        guess = [f for f in prediction['failures'] if f.get('reason') == 'kex_guess']
        lines = list(asyncssh_log.lines)
        trouble = []
        if prediction['compatible'] != outcome['ok']:
            trouble.append('predicted compatible=%s, really ok=%s (%s)' % (prediction['compatible'], outcome['ok'],
                                                                           outcome['text']))
        elif outcome['ok'] and prediction['negotiated']['kex'] != _server_kex(lines):
            trouble.append('kex: predicted %s, AsyncSSH chose %s' % (prediction['negotiated']['kex'],
                                                                     _server_kex(lines)))
        elif guess:
            said = [line for line in lines if 'Key exchange not in progress' in line]
            if 'Key exchange not in progress' not in guess[0]['message'] or not said:
                trouble.append('guess failure: predicted %r; AsyncSSH logged %s' % (guess[0]['message'],
                                                                                    lines[-5:]))
        rows.append((kex, server_hello.offer['server_host_key_algorithms'][:1], outcome['ok'], bool(guess)))
        summary.append({'client': 'dbclient', 'server': 'asyncssh', 'server_kex': kex, 'ok': outcome['ok'],
                        'kex_guess_failure': bool(guess), 'matched': not trouble})
        problems += ['trial %d server %s keys %s: %s' % (trial, algorithms, [os.path.basename(k) for k in held], t)
                     for t in trouble]
    print('\ndropbear -> AsyncSSH: %d real handshakes, %d matched; %d ok, %d guess failures'
          % (len(rows), len(rows) - len(problems), sum(1 for r in rows if r[2]), sum(1 for r in rows if r[3])))
    assert not problems, '\n'.join(problems)
    # The draw must cover the three cases: guess right for both, wrong for both, used by one side only.
    assert any(r[2] and r[0][0] == 'curve25519-sha256' for r in rows)
    assert any(r[2] and 'curve25519-sha256' not in r[0] for r in rows)
    assert any(r[3] for r in rows)


@pytest.mark.skipif(shutil.which('sshd') is None or shutil.which('ssh') is None, reason='OpenSSH is not installed')
@pytest.mark.parametrize('kex,post_quantum', [
    ('sntrup761x25519-sha512@openssh.com', True),
    ('curve25519-sha256', False),
])
def test_post_quantum_kex_between_real_openssh_peers(kex, post_quantum, summary):
    settings = {'KexAlgorithms': ['curve25519-sha256', 'sntrup761x25519-sha512@openssh.com'], 'LogLevel': 'INFO'}
    with Sshd(settings) as server, Relay(server.port) as relay:
        outcome = run_openssh_client(relay.port, {'KexAlgorithms': kex})
        recording = relay.finished_recording()
    assert outcome['ok'] and outcome['negotiated']['kex'] == kex, outcome['text']
    prediction = predict(recording.server_hello().as_dict(), recording.client_hello().as_dict())
    summary.append({'client': 'ssh', 'server': 'sshd', 'kex': kex, 'ok': outcome['ok'],
                    'post_quantum': prediction['post_quantum'],
                    'matched': prediction['compatible'] and prediction['negotiated']['kex'] == kex
                    and prediction['post_quantum'] is post_quantum})
    assert prediction['compatible'] and prediction['negotiated']['kex'] == kex
    assert prediction['post_quantum'] is post_quantum
    # OpenSSH 9.2 prints no post-quantum warning (sshconnect.c warn_nonpq_kex arrived in V_10_1_P1).
    assert prediction['warnings'] == [] and 'post-quantum' not in outcome['text']


def _other_servers(tmp_path):
    """(label, service, expected software) for dbclient against the lab's other servers, each chosen so that the
    rules of OpenSSH, ProFTPD mod_sftp, paramiko and dropbear itself meet dropbear's guess in every way they can."""
    key = keygen(str(tmp_path / 'host_ed25519'), 'ed25519')
    return [
        ('sshd, curve25519 first', lambda: Sshd({'KexAlgorithms': ['curve25519-sha256', 'ecdh-sha2-nistp256'],
                                                 'HostKeyAlgorithms': ['ssh-ed25519']})),
        ('sshd, curve25519 second', lambda: Sshd({'KexAlgorithms': ['ecdh-sha2-nistp256', 'curve25519-sha256']})),
        ('sshd, host key differs', lambda: Sshd({'KexAlgorithms': ['curve25519-sha256'],
                                                 'HostKeyAlgorithms': ['ecdsa-sha2-nistp256']})),
        ('proftpd, curve25519 first', lambda: ProftpdSftp({'SFTPKeyExchanges': ['curve25519-sha256',
                                                                                'ecdh-sha2-nistp256']})),
        ('proftpd, curve25519 second', lambda: ProftpdSftp({'SFTPKeyExchanges': ['ecdh-sha2-nistp256',
                                                                                 'curve25519-sha256']})),
        ('paramiko, curve25519@libssh.org', lambda: ParamikoServer([key], {'kex': ('curve25519-sha256@libssh.org',
                                                                                   'ecdh-sha2-nistp256')})),
        ('paramiko, no curve25519', lambda: ParamikoServer([key], {'kex': ('ecdh-sha2-nistp256',)})),
        ('dropbear defaults', Dropbear),
    ]


def test_dropbear_guess_against_the_other_servers(tmp_path, summary):
    home = str(tmp_path / 'home')
    os.makedirs(home)
    problems, checked, outcomes = [], 0, []
    for label, make in _other_servers(tmp_path):
        server = make()
        with server, Relay(server.port) as relay:
            outcome = dbclient_defaults(relay.port, home)
            recording = relay.finished_recording()
        prediction = predict(recording.server_hello().as_dict(), recording.client_hello().as_dict())
        checked += 1
        if prediction['compatible'] != outcome['ok']:
            problems.append('%s: predicted compatible=%s (%s), really ok=%s (%s)' % (
                label, prediction['compatible'], [f['message'] for f in prediction['failures']], outcome['ok'],
                outcome['text']))
        elif isinstance(server, ParamikoServer) and 'Expecting packet' in str(prediction['failures']):
            if not any('Expecting packet from (21,), got 30' in error for error in server.errors):
                problems.append('%s: paramiko said %s' % (label, server.errors))
        outcomes.append(outcome['ok'])
        summary.append({'client': 'dbclient', 'server': label, 'ok': outcome['ok'],
                        'matched': not any(problem.startswith(label + ':') for problem in problems)})
    print('\ndropbear -> sshd/ProFTPD/paramiko/dropbear: %d real handshakes, %d matched'
          % (checked, checked - len(problems)))
    assert not problems, '\n'.join(problems)
    assert outcomes.count(False) == 3, outcomes   # proftpd curve25519 first and both paramiko servers
