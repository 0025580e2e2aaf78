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
import platform
import re
import socket
import subprocess
import sys

LOOPBACK = '127.0.0.1'

_SSH_KEX = re.compile(r'debug1: kex: algorithm: (\S+)')
_SSH_HOSTKEY = re.compile(r'debug1: kex: host key algorithm: (\S+)')
_SSH_DIR = re.compile(r'debug1: kex: (client->server|server->client) cipher: (\S+) MAC: (\S+) compression: (\S+)')
_SSH_FAIL = re.compile(r'Unable to negotiate with [^:]+: no matching (key exchange method|host key type|cipher|MAC|'
                       r'compression method) found')
_OPENSSH_WORDS = {'key exchange method': 'kex', 'host key type': 'host_key', 'cipher': 'cipher', 'MAC': 'mac',
                  'compression method': 'compression'}


def draw(rng, pool, low=1, high=5):
    """A random order of a random subset of ``pool`` (``low`` to ``high`` names): how the differential tests make
    algorithm settings."""
    return rng.sample(pool, rng.randint(low, min(high, len(pool))))


def _outcome():
    return {'ok': False, 'negotiated': {}, 'failure': None, 'reported_by': None, 'text': ''}


def _openssh_choices(log_text):
    """The algorithms OpenSSH's kex.c reports at debug level, on either side ("kex: algorithm: ...")."""
    negotiated = {}
    match = _SSH_KEX.search(log_text)
    if match and match.group(1) != '(no':
        negotiated['kex'] = match.group(1)
    match = _SSH_HOSTKEY.search(log_text)
    if match and match.group(1) != '(no':
        negotiated['host_key'] = match.group(1)
    for direction, cipher, mac, compression in _SSH_DIR.findall(log_text):
        suffix = 'c2s' if direction == 'client->server' else 's2c'
        negotiated['cipher_' + suffix] = cipher
        negotiated['mac_' + suffix] = None if mac == '<implicit>' else mac
        negotiated['compression_' + suffix] = compression
    return negotiated


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
    negotiated = outcome['negotiated'] = _openssh_choices(log)
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


_NODE_SSH2_FAIL = re.compile(r'^Handshake failed: no matching (key exchange algorithm|host key format|'
                             r'(C->S|S->C) (cipher|MAC|compression))$')


def run_node_ssh2_client(port, algorithms, timeout=40):
    """Node's ssh2 (lab/node/ssh2_probe.js) with ``algorithms`` (its connect() option: kex, serverHostKey, cipher,
    hmac, compress -> list); lib/protocol/kex.js names the list it could not agree on."""
    outcome = _outcome()
    result = run_node_ssh2(port, algorithms, timeout) or {'ok': False, 'error': 'no output', 'level': None}
    if result['ok']:
        outcome['ok'] = True
        outcome['negotiated'] = {key: value for key, value in result['negotiated'].items() if value is not None}
        return outcome
    outcome['text'] = result['error']
    match = _NODE_SSH2_FAIL.match(result['error'])
    if match:
        words, direction, what = match.groups()
        category = {'key exchange algorithm': 'kex', 'host key format': 'host_key'}.get(words) or \
            {'cipher': 'cipher', 'MAC': 'mac', 'compression': 'compression'}[what]
        outcome['failure'] = (category, {'C->S': 'c2s', 'S->C': 's2c'}.get(direction))
        outcome['reported_by'] = 'client'
    else:
        outcome['reported_by'] = 'server'
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


# --- clients with their default settings, for capturing profiles ---------------------------------------

JSCH_PROBE_JAVA = '''
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;

/** Connects to 127.0.0.1:port with JSch's defaults, or with the key=value settings given after the port
 *  (Session.setConfig, e.g. cipher.c2s=aes128-ctr), so its KEXINIT can be captured; prints JSch's error. */
public class JschProbe {
    public static void main(String[] args) throws Exception {
        Session session = new JSch().getSession("probe", "127.0.0.1", Integer.parseInt(args[0]));
        session.setConfig("StrictHostKeyChecking", "no");
        for (int i = 1; i < args.length; i++) {
            int at = args[i].indexOf('=');
            session.setConfig(args[i].substring(0, at), args[i].substring(at + 1));
        }
        try {
            session.connect(5000);
        } catch (JSchException e) {
            System.out.println(e.getMessage());
        }
        session.disconnect();
    }
}
'''
JSCH_JAR = '/usr/share/java/jsch.jar'


def run_for_text(cmd, timeout, env=None):
    """Run a client to its end, bounded by ``timeout`` seconds; what it printed (stderr, then stdout), or ``TIMEOUT``
    and what it had printed on stderr by then."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                              check=False)
        return done.stderr + done.stdout
    except subprocess.TimeoutExpired as exc:
        return 'TIMEOUT %s' % (exc.stderr or '')


def _quiet(cmd, timeout=20):
    subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def default_openssh(port, workdir):
    _quiet(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
            '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-p', str(port), 'probe@' + LOOPBACK, 'true'])


# Finite-field Diffie-Hellman only: what sshd 10.0 no longer offers by default (myproposal.h KEX_SERVER_KEX at
# V_10_0_P1); both are in 9.2's defaults. The upgrade-impact demo and its live test run the real client with it.
DH_ONLY_KEX = 'diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256'


def openssh_dh_only(port, workdir, kex=DH_ONLY_KEX, timeout=20):
    """The real OpenSSH client with ``KexAlgorithms`` set to finite-field DH only, against 127.0.0.1:``port`` (never
    authenticating: no key, BatchMode); returns its output (``Permission denied`` once the key exchange worked,
    ``no matching key exchange method found`` when it did not)."""
    proc = subprocess.run(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                           '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'KexAlgorithms=' + kex,
                           '-o', 'PubkeyAuthentication=no', '-p', str(port), 'probe@' + LOOPBACK, 'true'],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    return proc.stdout + proc.stderr


def paramiko_handshake(port, source=None, disabled_algorithms=None, timeout=5):
    """Start a paramiko client's key exchange with 127.0.0.1:``port`` (from ``source`` when given) and hang up,
    whatever the outcome: enough for the server (and any capture) to see its KEXINIT."""
    import paramiko  # pylint: disable=import-outside-toplevel
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    transport = paramiko.Transport(sock, disabled_algorithms=disabled_algorithms)
    try:
        transport.start_client(timeout=timeout)
    except Exception:  # pylint: disable=broad-except
        pass
    finally:
        transport.close()


def default_paramiko(port, workdir):
    paramiko_handshake(port)


# scripts/bootstrap.sh installs them beside the virtual environment the tests run in (.venv/legacy); the
# tests may run from a staged copy of the collection, so the interpreter's prefix finds them, not this path.
LEGACY_DIR = os.path.join(sys.prefix, 'legacy')
_LEGACY_PARAMIKO_CLIENT = (
    'import socket, sys, paramiko\n'
    'transport = paramiko.Transport(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5))\n'
    'try:\n    transport.start_client(timeout=5)\nexcept Exception:\n    pass\nfinally:\n    transport.close()\n')


def legacy_paramiko(release):
    """A ``DEFAULT_CLIENTS`` entry for an older paramiko installed by scripts/bootstrap.sh in
    .venv/legacy/paramiko-<release>, run in a child process with that directory first on its path (it brings
    its own cryptography)."""
    def launch(port, workdir):
        env = dict(os.environ, PYTHONPATH=os.path.join(LEGACY_DIR, 'paramiko-' + release))
        subprocess.run([sys.executable, '-c', _LEGACY_PARAMIKO_CLIENT, LOOPBACK, str(port)], env=env,
                       capture_output=True, timeout=30, stdin=subprocess.DEVNULL, check=False)

    def described():
        return 'PyPI paramiko %s with cryptography %s (lab/legacy/paramiko-%s.txt)' % (
            _legacy_version(release, 'paramiko'), _legacy_version(release, 'cryptography'), release)
    return launch, described


def _legacy_version(release, package):
    directory = os.path.join(LEGACY_DIR, 'paramiko-' + release)
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    for name in names:
        if name.lower().startswith(package + '-') and name.endswith('.dist-info'):
            return name[len(package) + 1:-len('.dist-info')]
    return None


def default_asyncssh(port, workdir):
    import asyncssh  # pylint: disable=import-outside-toplevel

    async def attempt():
        try:
            await asyncio.wait_for(asyncssh.connect(LOOPBACK, port, known_hosts=None, username='probe',
                                                    client_keys=None, agent_path=None, config=None), 10)
        except (OSError, asyncssh.Error, asyncio.TimeoutError):
            pass
    asyncio.run(attempt())


def default_dropbear(port, workdir):
    run_dbclient(port)


def default_putty(port, workdir, accept_fingerprints=()):
    """plink with its defaults; ``-batch`` refuses unknown host keys before NEWKEYS, so the lab's key
    fingerprints are given with ``-hostkey`` (as an operator pins keys)."""
    pins = [arg for fingerprint in accept_fingerprints for arg in ('-hostkey', fingerprint)]
    _quiet(['plink', '-batch', '-ssh'] + pins + ['-P', str(port), 'probe@' + LOOPBACK, 'true'])


def default_fzsftp(port, workdir):
    """FileZilla's SFTP helper (Debian's fzsftp, FileZilla's fork of PuTTY's psftp) driven as FileZilla drives it,
    through its stdin protocol (FileZilla 3.63.0 src/engine/sftp/connect.cpp, src/putty/psftp.c, fzsftp.c): it
    greets with "fzSftp started, protocol_version=11", takes ``open "user@host" port``, and before it sends anything
    asks for its transfer quota per direction (``@``/``A`` lines, fzsftp.c RequestQuota), which ``-0-``/``-1-``
    answer as unlimited (ProcessQuotaCmd). It abandons the connection at the first question (host key, weak
    algorithm) nobody answers; stdin is closed when it has not finished within the time allowed."""
    proc = subprocess.Popen(['fzsftp'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=workdir, env=dict(os.environ, HOME=workdir))
    try:
        proc.stdin.write(('open "probe@%s" %d\n-0-\n-1-\n' % (LOOPBACK, port)).encode('ascii'))
        proc.stdin.flush()
        proc.wait(10)
    except (subprocess.TimeoutExpired, OSError):
        proc.kill()
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()


# Node's ssh2 (npm), pinned by lab/node/package-lock.json. scripts/bootstrap.sh runs ``npm ci`` for it in
# .venv/node (found through the interpreter's prefix, as LEGACY_DIR is: the tests may run from a staged copy);
# an ``npm ci`` in lab/node of the checkout serves too. lab/node/ssh2_probe.js is the client.
NODE_SSH2_PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'node', 'ssh2_probe.js')


def node_modules_dir():
    """The node_modules holding the pinned ssh2, or None."""
    for base in (os.environ.get('FLEETCRYPTO_NODE_DIR'), os.path.join(sys.prefix, 'node'),
                 os.path.join(os.path.dirname(NODE_SSH2_PROBE))):
        if base and os.path.exists(os.path.join(base, 'node_modules', 'ssh2', 'package.json')):
            return os.path.join(base, 'node_modules')
    return None


def run_node_ssh2(port, algorithms=None, timeout=40):
    """lab/node/ssh2_probe.js against 127.0.0.1:``port``: ``{'ok', 'negotiated'}`` or ``{'ok': False, 'error',
    'level'}`` (ssh2's own message), or None when it printed nothing."""
    import json  # pylint: disable=import-outside-toplevel
    argv = ['node', NODE_SSH2_PROBE, LOOPBACK, str(port)]
    if algorithms:
        argv.append(json.dumps(algorithms))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
                          env=dict(os.environ, NODE_PATH=node_modules_dir() or ''))
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def node_ssh2_version():
    modules = node_modules_dir()
    if modules is None:
        return None
    import json  # pylint: disable=import-outside-toplevel
    with open(os.path.join(modules, 'ssh2', 'package.json')) as handle:
        return json.load(handle)['version']


def _node_ssh2_described():
    """The release and what decides its default cipher order (lib/protocol/constants.js): whether the optional
    native binding (lib/protocol/crypto/build/Release/sshcrypto.node) was built by its install script, and what
    the optional cpu-features module says of the CPU."""
    modules = node_modules_dir()
    binding = bool(modules) and os.path.exists(os.path.join(modules, 'ssh2', 'lib', 'protocol', 'crypto', 'build',
                                                            'Release', 'sshcrypto.node'))
    cpu = bool(modules) and os.path.isdir(os.path.join(modules, 'cpu-features', 'build', 'Release'))
    with open('/proc/cpuinfo') as handle:
        aes = ' aes ' in handle.read().replace('\n', ' ')
    return ('npm ssh2 %s (lab/node/package-lock.json, installed by npm ci with its install scripts: native binding %s, '
            'cpu-features %s; lib/protocol/constants.js puts chacha20-poly1305@openssh.com 5th, after aes192-ctr, with '
            'the binding on x86, first with the binding when cpu-features reports no AES, last otherwise) on '
            'Node.js %s, x86-64 CPU %s AES-NI,' % (
                node_ssh2_version(), 'built' if binding else 'not built', 'built' if cpu else 'not built',
                subprocess.run(['node', '--version'], capture_output=True, text=True, check=False).stdout.strip(),
                'with' if aes else 'without'))


def _node_ssh2_as_profiled():
    """ssh2 as its profile was captured: native binding and cpu-features built, on an x86-64 CPU with AES-NI (its
    default cipher order depends on all three; elsewhere the re-capture would compare another order)."""
    modules = node_modules_dir()
    if not modules or platform.machine() not in ('x86_64', 'AMD64'):
        return False
    try:
        with open('/proc/cpuinfo') as handle:
            aes = ' aes ' in handle.read().replace('\n', ' ')
    except OSError:
        return False
    return aes and os.path.exists(os.path.join(modules, 'ssh2', 'lib', 'protocol', 'crypto', 'build', 'Release',
                                               'sshcrypto.node')) \
        and os.path.isdir(os.path.join(modules, 'cpu-features', 'build', 'Release'))


def default_node_ssh2(port, workdir):
    run_node_ssh2(port)


def key_fingerprints(directory):
    """SHA256 fingerprints of the ``*.pub`` host keys in ``directory`` (ssh-keygen -l)."""
    found = []
    for name in sorted(os.listdir(directory)):
        if name.endswith('.pub'):
            out = subprocess.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', os.path.join(directory, name)],
                                 capture_output=True, text=True, check=True).stdout.split()
            found.append(out[1])
    return found


def dropbear_fingerprints(key_paths):
    """SHA256 fingerprints of dropbear host keys (``dropbearkey -y`` prints the OpenSSH public key line, which
    ssh-keygen -l reads from stdin)."""
    found = []
    for path in key_paths:
        shown = subprocess.run(['dropbearkey', '-y', '-f', path], capture_output=True, text=True, check=True).stdout
        line = next(text for text in shown.splitlines() if text.startswith(('ssh-', 'ecdsa-')))
        out = subprocess.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', '-'], input=line + '\n', capture_output=True,
                             text=True, check=True).stdout.split()
        found.append(out[1])
    return found


def default_libssh2_curl(port, workdir):
    _quiet(['curl', '--silent', '--max-time', '10', '--insecure', '--user', 'probe:',
            'sftp://%s:%d/' % (LOOPBACK, port)])


def run_jsch(port, workdir, config=None, java_options=(), timeout=60):
    """The JSch probe against 127.0.0.1:``port`` with ``config`` (Session.setConfig key -> value, e.g.
    ``{'kex': 'ecdh-sha2-nistp256'}``); compiled into ``workdir`` at first use. Returns what JSch printed."""
    classes = os.path.join(workdir, 'jsch-probe')
    if not os.path.exists(os.path.join(classes, 'JschProbe.class')):
        os.makedirs(classes, exist_ok=True)
        source = os.path.join(classes, 'JschProbe.java')
        with open(source, 'w') as handle:
            handle.write(JSCH_PROBE_JAVA)
        subprocess.run(['javac', '-cp', JSCH_JAR, '-d', classes, source], check=True, capture_output=True, timeout=120)
    pairs = ['%s=%s' % item for item in sorted((config or {}).items())]
    return run_for_text(['java'] + list(java_options) + ['-cp', classes + os.pathsep + JSCH_JAR, 'JschProbe',
                                                         str(port)] + pairs, timeout)


def default_jsch(port, workdir, java_options=()):
    run_jsch(port, workdir, java_options=java_options)


def run_dbclient(port, ciphers=None, macs=None, home=None, timeout=20):
    """dropbear's client with ``-c``/``-m`` lists (None: its defaults), accepting any host key (``-y -y``) and never
    authenticating (no keys, no password on a closed stdin), with ``home`` as HOME when given; returns its output."""
    cmd = ['dbclient', '-y', '-y', '-p', str(port)]
    if ciphers:
        cmd += ['-c', ','.join(ciphers)]
    if macs:
        cmd += ['-m', ','.join(macs)]
    return run_for_text(cmd + ['probe@' + LOOPBACK, 'true'], timeout, dict(os.environ, HOME=home) if home else None)


def dbclient_reached_authentication(text):
    """dbclient's output says its key exchange completed: past it, dbclient tries public keys (it has none) and
    passwords (asking on its closed stdin until the server has had enough). What ends a connection after NEWKEYS is
    encrypted, so only the client can tell (a guessed kex packet the server used and dbclient sent again fails
    there: AsyncSSH "Key exchange not in progress", dbclient "exited: Disconnect received")."""
    return 'No auth methods could be used' in text or "'s password:" in text


LIBSSH_PROBE_C = r'''
/* Connects with libssh's default algorithm preferences; the key exchange is all the lab needs. */
#include <libssh/libssh.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    ssh_session session = ssh_new();
    long timeout = 10;
    unsigned int port = (unsigned int) atoi(argv[2]);
    int strict = SSH_LOG_NOLOG;
    if (session == NULL) return 2;
    ssh_options_set(session, SSH_OPTIONS_HOST, argv[1]);
    ssh_options_set(session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session, SSH_OPTIONS_USER, "probe");
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
    ssh_options_set(session, SSH_OPTIONS_LOG_VERBOSITY, &strict);
    /* No ~/.ssh/config: the library's defaults, not the machine's. */
    ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &(int){0});
    int rc = ssh_connect(session);
    ssh_disconnect(session);
    ssh_free(session);
    return rc == SSH_OK ? 0 : 1;
}
'''


def default_libssh(port, workdir):
    """A C program against Debian's libssh (0.10) with the library's defaults, compiled at first use."""
    binary = os.path.join(workdir, 'libssh-probe')
    if not os.path.exists(binary):
        source = binary + '.c'
        with open(source, 'w') as handle:
            handle.write(LIBSSH_PROBE_C)
        subprocess.run(['cc', '-o', binary, source, '-lssh'], check=True, capture_output=True, timeout=120)
    _quiet([binary, LOOPBACK, str(port)])


def default_jsch_restricted_jce(port, workdir):
    """JSch on a JVM limited to 128-bit AES (the old export-strength JCE policy, still selectable through the
    crypto.policy security property): JSch's Session.checkCiphers drops the ciphers the JVM cannot run."""
    policy = os.path.join(workdir, 'limited-crypto.security')
    with open(policy, 'w') as handle:
        handle.write('crypto.policy=limited\n')
    default_jsch(port, workdir, ['-Djava.security.properties=' + policy])


def _pip_version(name):
    try:
        from importlib.metadata import version  # pylint: disable=import-outside-toplevel
        return version(name)
    except Exception:  # pylint: disable=broad-except
        return None


def _deb_version(name):
    proc = subprocess.run(['dpkg-query', '-W', '-f=${Version}', name], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


# kind -> (launcher, how the installed software is named in a profile's source)
DEFAULT_CLIENTS = {
    'openssh': (default_openssh, lambda: 'Debian package openssh-client %s' % _deb_version('openssh-client')),
    'paramiko': (default_paramiko, lambda: 'PyPI paramiko %s' % _pip_version('paramiko')),
    'paramiko-2.12': legacy_paramiko('2.12'),
    'paramiko-3.4': legacy_paramiko('3.4'),
    'asyncssh': (default_asyncssh, lambda: 'PyPI asyncssh %s' % _pip_version('asyncssh')),
    'dropbear': (default_dropbear, lambda: 'Debian package dropbear-bin %s (dbclient)' % _deb_version('dropbear-bin')),
    'putty': (default_putty, lambda: 'Debian package putty-tools %s (plink)' % _deb_version('putty-tools')),
    'node-ssh2': (default_node_ssh2, _node_ssh2_described),
    'fzsftp': (default_fzsftp, lambda: 'Debian package filezilla %s (fzsftp, FileZilla\'s fork of PuTTY\'s psftp, '
               'driven through its stdin protocol as FileZilla drives it)' % _deb_version('filezilla')),
    'libssh2': (default_libssh2_curl, lambda: 'Debian package libssh2-1 %s, through curl %s (libcurl sets no '
                'algorithm preferences without known_hosts)' % (_deb_version('libssh2-1'), _deb_version('curl'))),
    'libssh': (default_libssh, lambda: 'Debian package libssh-4 %s (libssh-dev; a C client with the library defaults '
               'and no ssh_config)' % _deb_version('libssh-4')),
    'jsch': (default_jsch, lambda: 'Debian package libjsch-java %s (upstream JSch 0.1.55, which still calls itself '
             '0.1.54: JSch.VERSION was not raised)' % _deb_version('libjsch-java')),
    'jsch-restricted-jce': (default_jsch_restricted_jce, lambda: 'Debian package libjsch-java %s (JSch 0.1.55) on '
                            'OpenJDK %s with crypto.policy=limited (restricted-strength JCE: 128-bit AES at most)'
                            % (_deb_version('libjsch-java'), _deb_version('openjdk-17-jre-headless'))),
}


def available_default_clients():
    """Kinds whose software is installed here."""
    needs = {'openssh': 'ssh', 'dropbear': 'dbclient', 'putty': 'plink', 'libssh2': 'curl', 'fzsftp': 'fzsftp'}
    found = []
    for kind in DEFAULT_CLIENTS:
        if kind in needs and not any(os.access(os.path.join(d, needs[kind]), os.X_OK)
                                     for d in os.environ.get('PATH', '').split(os.pathsep)):
            continue
        if kind.startswith('jsch') and not (os.path.exists(JSCH_JAR) and any(
                os.access(os.path.join(d, 'javac'), os.X_OK) for d in os.environ.get('PATH', '').split(os.pathsep))):
            continue
        if kind in ('paramiko', 'asyncssh') and _pip_version(kind) is None:
            continue
        if kind == 'node-ssh2' and not (node_modules_dir() and _node_ssh2_as_profiled() and any(
                os.access(os.path.join(d, 'node'), os.X_OK) for d in os.environ.get('PATH', '').split(os.pathsep))):
            continue
        if kind == 'libssh' and not os.path.exists('/usr/include/libssh/libssh.h'):
            continue
        if kind.startswith('paramiko-') and _legacy_version(kind.split('-', 1)[1], 'paramiko') is None:
            continue
        found.append(kind)
    return found


def sshd_view(log_text):
    """What sshd (LogLevel DEBUG1) says happened in one connection: an outcome dict as the clients give.

    Used for clients whose own output says little: sshd logs the algorithms it chose and whether the key
    exchange finished, or which category it could not agree on. When the client hung up by itself after
    the KEXINITs, the failure was detected by the client (category unknown from here).
    """
    outcome = _outcome()
    outcome['negotiated'] = _openssh_choices(log_text)
    failed = _SSH_FAIL.search(log_text)
    if 'SSH2_MSG_NEWKEYS received' in log_text:
        outcome['ok'] = True
    elif failed:
        outcome['reported_by'] = 'server'
        outcome['server_failure'] = _OPENSSH_WORDS[failed.group(1)]
    else:
        outcome['reported_by'] = 'client'
    return outcome


def sshd_connection_finished(log_text):
    """sshd has logged the end of the (single) connection in ``log_text``."""
    return any(marker in log_text for marker in ('Connection closed by', 'Disconnected from', 'Connection reset by',
                                                 'Unable to negotiate', 'SSH2_MSG_NEWKEYS received'))
