# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real SSH clients driven against 127.0.0.1, each reporting what really happened in the key exchange.

An outcome is a dict: ``ok`` (the key exchange completed), ``negotiated`` (what the client reports it chose;
a key is absent where the client does not say), ``failure`` (``(category, direction)`` the client reported,
or None), ``reported_by`` (``client``, or ``server`` when the client only saw the server hang up) and
``text`` (the client's own words, for failure messages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import logging
import os
import re
import socket
import subprocess

LOOPBACK = '127.0.0.1'

_SSH_KEX = re.compile(r'debug1: kex: algorithm: (\S+)')
_SSH_HOSTKEY = re.compile(r'debug1: kex: host key algorithm: (\S+)')
_SSH_DIR = re.compile(r'debug1: kex: (client->server|server->client) cipher: (\S+) MAC: (\S+) compression: (\S+)')
_SSH_FAIL = re.compile(r'Unable to negotiate with [^:]+: no matching (key exchange method|host key type|cipher|MAC|'
                       r'compression method) found')
_OPENSSH_WORDS = {'key exchange method': 'kex', 'host key type': 'host_key', 'cipher': 'cipher', 'MAC': 'mac',
                  'compression method': 'compression'}


def _outcome():
    return {'ok': False, 'negotiated': {}, 'failure': None, 'reported_by': None, 'text': ''}


def run_openssh_client(port, options, timeout=15):
    """``ssh -vv`` with ``options`` (ssh_config keyword -> comma list); parses its debug output."""
    cmd = ['ssh', '-vv', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
           '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'ConnectionAttempts=1',
           '-o', 'PreferredAuthentications=none', '-p', str(port)]
    for key, value in options.items():
        cmd += ['-o', '%s=%s' % (key, value)]
    cmd += ['probe@' + LOOPBACK, 'true']
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    log = proc.stderr
    outcome = _outcome()
    outcome['text'] = log[-2000:]
    negotiated = outcome['negotiated']
    match = _SSH_KEX.search(log)
    if match and match.group(1) != '(no':
        negotiated['kex'] = match.group(1)
    match = _SSH_HOSTKEY.search(log)
    if match and match.group(1) != '(no':
        negotiated['host_key'] = match.group(1)
    for direction, cipher, mac, compression in _SSH_DIR.findall(log):
        suffix = 'c2s' if direction == 'client->server' else 's2c'
        negotiated['cipher_' + suffix] = cipher
        negotiated['mac_' + suffix] = None if mac == '<implicit>' else mac
        negotiated['compression_' + suffix] = compression
    failed = _SSH_FAIL.search(log)
    if failed:
        category = _OPENSSH_WORDS[failed.group(1)]
        direction = None
        if category in ('cipher', 'mac', 'compression'):
            # The client checks server->client first; a printed server->client line means c2s failed.
            direction = 'c2s' if 'cipher_s2c' in negotiated else 's2c'
        outcome['failure'] = (category, direction)
        outcome['reported_by'] = 'client'
        outcome['text'] = log[failed.start():].splitlines()[0]
    elif 'SSH2_MSG_NEWKEYS received' in log:
        outcome['ok'] = True
    else:
        outcome['reported_by'] = 'server'
    return outcome


class _LogCapture(logging.Handler):
    def __init__(self):
        super(_LogCapture, self).__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


_PARAMIKO_AGREED = re.compile(r'^(Kex|HostKey|Cipher|MAC|Compression): (?:local=(\S+), remote=(\S+)|(\S+))$')
_PARAMIKO_FAIL = {'kex algorithm': 'kex', 'host key': 'host_key', 'ciphers': 'cipher', 'macs': 'mac',
                  'compression': 'compression'}


def run_paramiko_client(port, preferences, timeout=15):
    """paramiko Transport as a client with ``preferences`` (SecurityOptions field -> ordered tuple)."""
    import paramiko  # pylint: disable=import-outside-toplevel
    capture = _LogCapture()
    logger = logging.getLogger('paramiko.transport')
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    outcome = _outcome()
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        for field, value in preferences.items():
            setattr(options, field, tuple(value))
        transport.start_client(timeout=timeout)
        outcome['ok'] = True
    except Exception as exc:  # pylint: disable=broad-except
        outcome['text'] = str(exc)
        match = re.search(r'no acceptable (kex algorithm|host key|ciphers|macs|compression)', str(exc))
        if match:
            outcome['failure'] = (_PARAMIKO_FAIL[match.group(1)], None)
            outcome['reported_by'] = 'client'
        else:
            outcome['reported_by'] = 'server'
    finally:
        transport.close()
        logger.removeHandler(capture)
    names = {'Kex': ('kex',), 'HostKey': ('host_key',), 'Cipher': ('cipher_c2s', 'cipher_s2c'),
             'MAC': ('mac_c2s', 'mac_s2c'), 'Compression': ('compression_c2s', 'compression_s2c')}
    for line in capture.lines:
        match = _PARAMIKO_AGREED.match(line)
        if match:
            which, local, remote, both = match.groups()
            values = (both,) if both else (local, remote)
            keys = names[which]
            for index, key in enumerate(keys):
                outcome['negotiated'][key] = values[min(index, len(values) - 1)]
    return outcome


def run_asyncssh_client(port, algorithms, timeout=15):
    """AsyncSSH client with ``algorithms`` (connect() keyword such as encryption_algs -> list)."""
    import asyncssh  # pylint: disable=import-outside-toplevel
    outcome = _outcome()
    holder = {}

    class Recorder(asyncssh.SSHClient):
        def connection_made(self, conn):
            holder['conn'] = conn

    async def attempt():
        try:
            conn = await asyncio.wait_for(asyncssh.connect(
                LOOPBACK, port, known_hosts=None, username='probe', client_keys=None, password=None,
                agent_path=None, preferred_auth='none', client_factory=Recorder, config=None, **algorithms), timeout)
            conn.close()
            outcome['ok'] = True
        except asyncssh.PermissionDenied:
            outcome['ok'] = True  # the key exchange completed; only authentication failed, as intended
        except asyncssh.KeyExchangeFailed as exc:
            outcome['text'] = str(exc)
            match = re.match(r'No matching (key exchange|encryption|MAC|compression|host key) algorithm', str(exc))
            category = {'key exchange': 'kex', 'encryption': 'cipher', 'MAC': 'mac', 'compression': 'compression',
                        'host key': 'host_key'}[match.group(1)] if match else 'host_key'
            outcome['failure'] = (category, None)
            outcome['reported_by'] = 'client'
        except (OSError, asyncssh.Error, asyncio.TimeoutError) as exc:
            outcome['text'] = str(exc)
            outcome['reported_by'] = 'server'

    asyncio.run(attempt())
    conn = holder.get('conn')
    if conn is not None and outcome['ok']:
        kex = getattr(conn, '_kex', None)
        if kex is not None:
            outcome['negotiated']['kex'] = kex.algorithm.decode('ascii')
        for ours, theirs in (('cipher_c2s', 'send_cipher'), ('cipher_s2c', 'recv_cipher'),
                             ('mac_c2s', 'send_mac'), ('mac_s2c', 'recv_mac'),
                             ('compression_c2s', 'send_compression'), ('compression_s2c', 'recv_compression')):
            value = conn.get_extra_info(theirs)
            if value is not None:
                outcome['negotiated'][ours] = value
    return outcome


def sshd_negotiation_failure(log_text):
    """The category sshd logged for its last failed negotiation (LogLevel INFO), or None."""
    matches = _SSH_FAIL.findall(log_text)
    return _OPENSSH_WORDS[matches[-1]] if matches else None


def openssh_supported():
    """What this machine's OpenSSH implements (``ssh -Q``), per category."""
    def query(what):
        return subprocess.run(['ssh', '-Q', what], capture_output=True, text=True, check=True).stdout.split()
    return {'cipher': query('cipher'), 'mac': query('mac'), 'kex': query('kex')}


ENVIRONMENT_OK = os.path.exists('/usr/bin/ssh')
