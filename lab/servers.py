# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop real SSH servers on 127.0.0.1 for tests, benchmarks and the demo lab.

Each server runs in the foreground as a child process in its own temporary directory, listens on
127.0.0.1 only, on a port chosen free at start, and is stopped by :meth:`stop` (or the context manager).
Readiness is detected by connecting and reading the identification line, never by sleeping.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SSHD = shutil.which('sshd', path='/usr/sbin:/usr/local/sbin:' + os.environ.get('PATH', '')) or '/usr/sbin/sshd'
PROFTPD = shutil.which('proftpd', path='/usr/sbin:/usr/local/sbin:' + os.environ.get('PATH', '')) or '/usr/sbin/proftpd'
DROPBEAR = shutil.which('dropbear', path='/usr/sbin:/usr/local/sbin:' + os.environ.get('PATH', '')) or '/usr/sbin/dropbear'
LOOPBACK = '127.0.0.1'
# Test artifacts (differential summary, report screenshot) outlive the staged copy the suite runs from:
# scripts/test-all.sh points FLEETCRYPTO_ARTIFACTS at the checkout's tests/output.
ARTIFACTS = os.environ.get('FLEETCRYPTO_ARTIFACTS') or os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'tests', 'output')


class ServerStartError(RuntimeError):
    """A lab server did not come up; the message carries its log."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def hold_closed_port(port=0):
    """Bind 127.0.0.1:``port`` (0: any free port) without listening and return the socket, or None when the
    port is taken. While the socket is open nothing else can listen there, and a SYN to it is answered with a
    reset, so a probe of it is deterministically 'refused' (``free_port`` alone can be reused by another
    server the tests start in the meantime)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        return None
    return sock


def wait_for_banner(port, timeout=15.0, process=None):
    """Wait until 127.0.0.1:port sends an SSH identification line; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                if sock.recv(4).startswith(b'SSH-'):
                    return True
        except OSError:
            pass
        time.sleep(delay)  # back-off between connection attempts while the daemon starts, not a fixed wait
        delay = min(delay * 2, 0.2)
    return False


def keygen(path, key_type='ed25519', bits=None, pem=False):
    """Create an unencrypted host key with ssh-keygen (once; reused if present)."""
    if not os.path.exists(path):
        cmd = ['ssh-keygen', '-q', '-t', key_type, '-N', '', '-f', path]
        if bits:
            cmd += ['-b', str(bits)]
        if pem:
            cmd += ['-m', 'PEM']
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    os.chmod(path, 0o600)
    return path


def loopback_listener(backlog=16):
    """A listening TCP socket on a free port of 127.0.0.1, with a short accept timeout so that
    :func:`accept_until` notices ``stop()`` quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    sock.listen(backlog)
    sock.settimeout(0.2)
    return sock


def accept_until(sock, stopping, on_connection):
    """Hand every connection accepted on ``sock`` to ``on_connection`` until ``stopping`` is set or the socket
    is closed (the lab's in-process peers and the relay all serve this way)."""
    while not stopping.is_set():
        try:
            conn, _addr = sock.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        on_connection(conn)


class Service:
    """``with`` support for everything the lab starts: ``start()`` on entry, ``stop()`` on exit."""

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Server(Service):
    """Common life cycle: write config, start the process, wait for the banner, stop."""

    name = 'server'

    def __init__(self, workdir=None):
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix='fleetcrypto-%s-' % self.name)
        self.port = None
        self.process = None
        self.log_path = os.path.join(self.dir, '%s.log' % self.name)

    def command(self):
        raise NotImplementedError

    def prepare(self):
        """Write keys and configuration for ``self.port``."""

    def start(self, attempts=3, timeout=20.0):
        last = ''
        for dummy in range(attempts):
            self.port = free_port()
            self.prepare()
            with open(self.log_path, 'ab') as log:
                self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                                stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
            if wait_for_banner(self.port, timeout, self.process):
                return self
            last = self.log()
            self._kill()
            if 'in use' not in last:
                break
        raise ServerStartError('%s did not start on 127.0.0.1:%s:\n%s' % (self.name, self.port, last[-3000:]))

    def log(self):
        try:
            with open(self.log_path, 'r', errors='replace') as handle:
                return handle.read()
        except OSError:
            return ''

    def _kill(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None

    def stop(self):
        self._kill()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def target(self):
        return {'host': LOOPBACK, 'port': self.port}


class Sshd(_Server):
    """OpenSSH sshd with the given ``settings`` (keyword -> value, e.g. ``Ciphers='aes256-ctr'``).

    ``ports`` > 1 makes one sshd listen on several ports (for benchmarks of many endpoints).
    """

    name = 'sshd'

    def __init__(self, settings=None, host_key_types=('ed25519', 'ecdsa', 'rsa'), extra_ports=0, workdir=None):
        super(Sshd, self).__init__(workdir)
        self.settings = dict(settings or {})
        self.host_key_types = host_key_types
        self.extra_ports = extra_ports
        self.ports = []
        self.config_path = os.path.join(self.dir, 'sshd_config')

    def prepare(self):
        self.ports = [self.port] + [free_port() for dummy in range(self.extra_ports)]
        # sshd keeps the first value it reads for most keywords, so the caller's settings come first and the
        # lab's defaults after them only fill in what the caller left unset.
        lines = ['%s %s' % (key, ','.join(value) if isinstance(value, (list, tuple)) else value)
                 for key, value in self.settings.items()]
        lines += ['ListenAddress %s:%d' % (LOOPBACK, port) for port in self.ports]
        for key_type in self.host_key_types:
            lines.append('HostKey %s' % keygen(os.path.join(self.dir, 'host_%s' % key_type), key_type))
        lines += ['PidFile none', 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
                  'KbdInteractiveAuthentication no', 'AuthorizedKeysFile none', 'LogLevel ERROR',
                  'Subsystem sftp internal-sftp']
        with open(self.config_path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        # sshd insists on its privilege-separation directory when started as root.
        if os.geteuid() == 0:
            os.makedirs('/run/sshd', mode=0o755, exist_ok=True)

    def command(self):
        return [SSHD, '-D', '-e', '-f', self.config_path]

    @property
    def targets(self):
        return [{'host': LOOPBACK, 'port': port} for port in self.ports]


class ProftpdSftp(_Server):
    """ProFTPD with mod_sftp; ``settings`` are mod_sftp directives such as ``SFTPCiphers``."""

    name = 'proftpd'

    def __init__(self, settings=None, workdir=None):
        super(ProftpdSftp, self).__init__(workdir)
        self.settings = dict(settings or {})
        self.config_path = os.path.join(self.dir, 'proftpd.conf')

    def prepare(self):
        # mod_sftp reads PEM RSA/EC keys and OpenSSH-format Ed25519 keys (ProFTPD 1.3.8 mod_sftp docs).
        rsa = keygen(os.path.join(self.dir, 'host_rsa'), 'rsa', 3072, pem=True)
        ecdsa = keygen(os.path.join(self.dir, 'host_ecdsa'), 'ecdsa', 256, pem=True)
        root = os.geteuid() == 0
        lines = [
            'ServerName "fleetcrypto lab"',
            'ServerType standalone',
            'DefaultServer on',
            'Port %d' % self.port,
            'DefaultAddress %s' % LOOPBACK,
            'SocketBindTight on',
            'UseIPv6 off',
            'UseReverseDNS off',
            'WtmpLog off',
            'TransferLog none',
            'PidFile %s/proftpd.pid' % self.dir,
            'ScoreboardFile %s/proftpd.scoreboard' % self.dir,
            'DelayTable none',
            'SystemLog %s/system.log' % self.dir,
            'ModulePath /usr/lib/proftpd',
            'LoadModule mod_sftp.c',
        ]
        if root:
            lines += ['User nobody', 'Group nogroup']
        lines += [
            '<IfModule mod_sftp.c>',
            '  SFTPEngine on',
            '  SFTPLog %s/sftp.log' % self.dir,
            '  SFTPHostKey %s' % rsa,
            '  SFTPHostKey %s' % ecdsa,
        ]
        for key, value in self.settings.items():
            lines.append('  %s %s' % (key, ' '.join(value) if isinstance(value, (list, tuple)) else value))
        lines.append('</IfModule>')
        with open(self.config_path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')

    def command(self):
        return [PROFTPD, '--nodaemon', '--config', self.config_path]


class Dropbear(_Server):
    """dropbear sshd (its algorithms are fixed at build time) with the host keys a package install creates.

    ``key_types`` can be narrowed: dropbear 2022.83 still offers rsa-sha2-256/ssh-rsa without an RSA key, and
    hangs up when a client picks one (the lab keeps that case for the host-key tests).
    """

    name = 'dropbear'

    def __init__(self, key_types=('ed25519', 'ecdsa', 'rsa'), workdir=None):
        super(Dropbear, self).__init__(workdir)
        self.key_types = key_types
        self.keys = []

    def prepare(self):
        self.keys = []
        for key_type in self.key_types:
            path = os.path.join(self.dir, 'host_%s.dropbear' % key_type)
            if not os.path.exists(path):
                subprocess.run(['dropbearkey', '-t', key_type, '-f', path], check=True,
                               stdin=subprocess.DEVNULL, capture_output=True)
            self.keys.append(path)

    def command(self):
        keys = [arg for path in self.keys for arg in ('-r', path)]
        return [DROPBEAR, '-F', '-E', '-s', '-p', '%s:%d' % (LOOPBACK, self.port)] + keys + [
            '-P', os.path.join(self.dir, 'dropbear.pid')]
