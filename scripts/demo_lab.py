# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo lab: start a small fleet of real SSH/SFTP servers on 127.0.0.1, gather their offers with
playbooks/gather.yml, print them, and stop every server again (also on Ctrl-C or failure).

Run through scripts/demo-lab.sh, which installs what it needs first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

# conftest makes ansible_collections.fleetcrypto.sftp importable from a plain checkout.
import conftest  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
from lab.servers import Dropbear, ProftpdSftp, Sshd  # noqa: E402  pylint: disable=wrong-import-position

# The classic "could not agree" server: only aes256-ctr and aes256-cbc, as in the Cerberus FTP Server case
# of shared/reference/cerberus-kex-debug.log.
FLEET = (
    ('openssh-modern', lambda: Sshd({'Ciphers': 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr',
                                     'KexAlgorithms': 'sntrup761x25519-sha512@openssh.com,curve25519-sha256'})),
    ('openssh-aes256-only', lambda: Sshd({'Ciphers': 'aes256-ctr,aes256-cbc',
                                          'MACs': 'hmac-sha1,hmac-sha2-256,hmac-sha2-512'})),
    ('proftpd-mod-sftp', lambda: ProftpdSftp({'SFTPCiphers': 'aes256-ctr aes192-ctr aes128-ctr'})),
    ('dropbear', Dropbear),
)


def main():
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-demo-')
    output = os.environ.get('FLEETCRYPTO_OUTPUT_DIR') or os.path.join(ROOT, 'lab-output')
    os.makedirs(output, exist_ok=True)
    servers = []
    try:
        hosts = {}
        for name, factory in FLEET:
            server = factory().start()
            servers.append(server)
            hosts[name] = {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': server.port}
            print('demo-lab: started %-20s on 127.0.0.1:%d' % (name, server.port))
        # One endpoint nothing listens on: unreachable servers are reported, never hidden.
        hosts['decommissioned'] = {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': 1}
        inventory = os.path.join(workdir, 'inventory.json')
        with open(inventory, 'w') as handle:
            json.dump({'all': {'children': {'sftp_servers': {'hosts': hosts}}}}, handle)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ['FLEETCRYPTO_COLLECTIONS_PATH'],
                   ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory,
               os.path.join(ROOT, 'playbooks', 'gather.yml'), '-e', 'fleetcrypto_output_dir=%s' % output]
        print('demo-lab: running', ' '.join(cmd))
        rc = subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL)
        if rc == 0:
            print('demo-lab: offers written to %s' % os.path.join(output, 'offers.json'))
        return rc
    finally:
        for server in servers:
            server.stop()
        print('demo-lab: stopped %d servers' % len(servers))


if __name__ == '__main__':
    sys.exit(main())
