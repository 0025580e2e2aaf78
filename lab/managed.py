# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Daemons managed the way a real node runs them, for the role's integration tests.

Unlike the lab servers (kept in the foreground by the test), these daemonize themselves and are controlled
through their pid file, with the same reload (SIGHUP) and restart a service manager would send. The role gets
these commands through ``baseline_service_commands``, its override for nodes without systemd, so its real
handler path runs. ``stop()`` kills whatever pid the file names at the end, including a daemon the role
restarted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import signal
import subprocess
import tempfile
import time
import shutil

from lab.servers import LOOPBACK, PROFTPD, SSHD, ServerStartError, Service, free_port, keygen, wait_for_banner


def _read_pid(path):
    try:
        with open(path) as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


class _Daemonized(Service):
    """A daemon started in the background, known by its pid file."""

    start_command = None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='fleetcrypto-%s-' % self.name)
        self.pid_file = os.path.join(self.dir, '%s.pid' % self.name)
        self.port = None
        self.pids = set()

    def write_config(self):
        raise NotImplementedError

    def launch_command(self):
        raise NotImplementedError

    def start(self, attempts=3):
        last = ''
        for _attempt in range(attempts):
            self.port = free_port()
            self.write_config()
            proc = subprocess.run(self.launch_command(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=30, check=False)
            if proc.returncode == 0 and wait_for_banner(self.port, 15):
                self.remember_pid()
                return self
            last = proc.stdout + proc.stderr
            self.stop_process()
        raise ServerStartError('%s did not start on %s:%s: %s' % (self.name, LOOPBACK, self.port, last[-2000:]))

    def remember_pid(self):
        pid = _read_pid(self.pid_file)
        if pid:
            self.pids.add(pid)
        return pid

    @property
    def quoted_launch(self):
        return ' '.join(shlex.quote(part) for part in self.launch_command())

    @property
    def service_commands(self):
        """reload and restart for the role, as a service manager would do them; each bounded in time."""
        pid = 'pid=$(cat %s 2>/dev/null)' % shlex.quote(self.pid_file)
        wait_gone = 'for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done'
        return {
            'reload': '%s; kill -HUP "$pid"' % pid,
            'restart': '%s; [ -n "$pid" ] && kill "$pid"; %s; %s' % (pid, wait_gone, self.quoted_launch),
        }

    def stop_process(self):
        pid = self.remember_pid()
        for pid in sorted(self.pids):
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in self.pids):
            time.sleep(0.05)
        for pid in self.pids:
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.pids = set()

    def stop(self):
        self.stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def target(self):
        return {'host': LOOPBACK, 'port': self.port}


class ManagedSshd(_Daemonized):
    """sshd with a main configuration and a drop-in directory, like a distribution's, in a temp dir.

    ``main_settings`` go at the top of sshd_config; ``include`` says where ``Include <dir>/*.conf`` goes:
    ``'top'``, ``'bottom'`` or None (absent). ``host_keys`` lists the HostKey files of sshd_config as
    ``(key_type, bits)`` pairs, in order (bits None: ssh-keygen's default), e.g. ``(('rsa', 1024), ('ed25519', None))``.
    """

    name = 'sshd'
    DEFAULT_HOST_KEYS = (('ed25519', None), ('ecdsa', None), ('rsa', None))

    def __init__(self, main_settings=(), include='bottom', dropins=None, host_keys=DEFAULT_HOST_KEYS):
        super(ManagedSshd, self).__init__()
        self.host_keys = tuple(host_keys)
        self.main_settings = list(main_settings)
        self.include = include
        self.dropins = dict(dropins or {})
        self.config = os.path.join(self.dir, 'sshd_config')
        self.dropin_dir = os.path.join(self.dir, 'sshd_config.d')

    def write_config(self):
        os.makedirs(self.dropin_dir, exist_ok=True)
        include = ['Include %s/*.conf' % self.dropin_dir]
        lines = include if self.include == 'top' else []
        lines += list(self.main_settings)
        lines += ['Port %d' % self.port, 'ListenAddress %s' % LOOPBACK]
        for key_type, bits in self.host_keys:
            lines.append('HostKey %s' % keygen(os.path.join(self.dir, 'host_%s' % key_type), key_type, bits))
        lines += ['PidFile %s' % self.pid_file, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
                  'KbdInteractiveAuthentication no', 'AuthorizedKeysFile none', 'LogLevel ERROR']
        if self.include == 'bottom':
            lines += include
        with open(self.config, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        for name, text in self.dropins.items():
            with open(os.path.join(self.dropin_dir, name), 'w') as handle:
                handle.write(text)
        if os.geteuid() == 0:
            os.makedirs('/run/sshd', mode=0o755, exist_ok=True)

    def launch_command(self):
        # Without -D sshd daemonizes and writes PidFile; SIGHUP makes it re-execute itself and re-read the files.
        return [SSHD, '-f', self.config]

    def role_vars(self):
        return {'baseline_server_type': 'openssh', 'baseline_sshd_path': SSHD, 'baseline_sshd_config': self.config,
                'baseline_sshd_config_dir': self.dropin_dir, 'baseline_verify_port': self.port,
                'baseline_service_commands': self.service_commands}


class ManagedProftpd(_Daemonized):
    """ProFTPD with mod_sftp, its SFTP settings in their own file (as Debian's /etc/proftpd/sftp.conf)."""

    name = 'proftpd'

    def __init__(self, sftp_settings=()):
        super(ManagedProftpd, self).__init__()
        self.sftp_settings = list(sftp_settings)
        self.config = os.path.join(self.dir, 'proftpd.conf')
        self.sftp_config = os.path.join(self.dir, 'sftp.conf')

    def write_config(self):
        rsa = keygen(os.path.join(self.dir, 'host_rsa'), 'rsa', 3072, pem=True)
        ecdsa = keygen(os.path.join(self.dir, 'host_ecdsa'), 'ecdsa', 256, pem=True)
        lines = ['ServerName "fleetcrypto role lab"', 'ServerType standalone', 'DefaultServer on',
                 'Port %d' % self.port, 'DefaultAddress %s' % LOOPBACK, 'SocketBindTight on', 'UseIPv6 off',
                 'UseReverseDNS off', 'WtmpLog off', 'TransferLog none', 'PidFile %s' % self.pid_file,
                 'ScoreboardFile %s/proftpd.scoreboard' % self.dir, 'DelayTable none',
                 'SystemLog %s/system.log' % self.dir, 'ModulePath /usr/lib/proftpd', 'LoadModule mod_sftp.c']
        if os.geteuid() == 0:
            lines += ['User nobody', 'Group nogroup']
        lines.append('Include %s' % self.sftp_config)
        with open(self.config, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        sftp = ['<IfModule mod_sftp.c>', '  SFTPEngine on', '  SFTPLog %s/sftp.log' % self.dir,
                '  SFTPHostKey %s' % rsa, '  SFTPHostKey %s' % ecdsa]
        sftp += ['  ' + line for line in self.sftp_settings]
        sftp.append('</IfModule>')
        with open(self.sftp_config, 'w') as handle:
            handle.write('\n'.join(sftp) + '\n')

    def launch_command(self):
        return [PROFTPD, '-c', self.config]

    def role_vars(self):
        return {'baseline_server_type': 'proftpd', 'baseline_proftpd_path': PROFTPD,
                'baseline_proftpd_config': self.config, 'baseline_proftpd_sftp_config': self.sftp_config,
                'baseline_verify_port': self.port, 'baseline_service_action': 'restart',
                'baseline_service_commands': self.service_commands}
