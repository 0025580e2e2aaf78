# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo lab: a small fleet of real SSH/SFTP servers on 127.0.0.1, audited, fixed and audited again.

1. Starts two OpenSSH sshd (one with Debian's defaults, one that offers only aes256-ctr and aes256-cbc: the
   brief's classic "could not agree" server), ProFTPD with mod_sftp, and a dropbear "appliance".
2. playbooks/audit.yml: shows that the partner's JSch (restricted JCE: 128-bit AES only) cannot connect to the
   classic server, and why, plus every baseline violation; writes the reports.
3. playbooks/enforce.yml on the servers it can configure: the role applies the minimal safe fix.
4. playbooks/audit.yml again: green. Prints where the reports are and stops every server it started (also on
   failure or Ctrl-C).

Run through scripts/demo-lab.sh, which installs what it needs first. Exit code 0 only when the final audit
passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.managed import ManagedProftpd, ManagedSshd  # noqa: E402  pylint: disable=wrong-import-position
from lab.servers import Dropbear  # noqa: E402  pylint: disable=wrong-import-position

PARTNER = 'jsch-0.1.54-restricted-jce'  # offers only aes128-ctr, aes128-cbc, 3des-ctr, 3des-cbc, blowfish-cbc


def inventory(servers, dropbear):
    """The demo fleet as an inventory: group vars say which clients each group must keep working."""
    common = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
              'fleetcrypto_sftp_host': '127.0.0.1'}
    managed = {}
    for name, server in servers.items():
        managed[name] = dict(common, fleetcrypto_sftp_port=server.port, **server.role_vars())
    managed['sshd-partner-gateway']['baseline_required_clients'] = ['openssh-9.2', 'putty-0.78', PARTNER]
    appliances = {'dropbear-appliance': dict(common, fleetcrypto_sftp_port=dropbear.port)}
    return {'all': {'children': {'sftp_servers': {'children': {
        'managed': {'hosts': managed, 'vars': {'baseline_policy': 'intermediate',
                                               'baseline_required_clients': ['openssh-9.2', 'putty-0.78']}},
        # dropbear's algorithms are fixed when it is built: its owner documents what it must keep, until when.
        'appliances': {'hosts': appliances, 'vars': {
            'baseline_policy': 'intermediate', 'baseline_required_clients': ['openssh-9.2'],
            'baseline_exceptions': [
                {'client': '*', 'algorithm': name, 'reason': 'dropbear 2022.83 firmware, vendor ticket 1234',
                 'expires': '2027-06-30'}
                for name in ('diffie-hellman-group14-sha1', 'ssh-rsa', 'hmac-sha1')]}},
    }}}}}


def run(step, playbook, inventory_path, env, *extra):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory_path,
           os.path.join(ROOT, 'playbooks', playbook)] + list(extra)
    print('\ndemo-lab: %s\ndemo-lab: $ %s' % (step, ' '.join(cmd)), flush=True)
    return subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL)


def main():
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-demo-')
    output = os.environ.get('FLEETCRYPTO_OUTPUT_DIR') or os.path.join(ROOT, 'lab-output')
    servers = {}
    dropbear = None
    try:
        servers['sshd-main'] = ManagedSshd(include='top').start()
        servers['sshd-partner-gateway'] = ManagedSshd(main_settings=['Ciphers aes256-ctr,aes256-cbc'],
                                                      include='bottom').start()
        servers['proftpd-sftp'] = ManagedProftpd().start()
        dropbear = Dropbear().start()
        for name, server in sorted(servers.items()):
            print('demo-lab: started %-22s on 127.0.0.1:%d' % (name, server.port))
        print('demo-lab: started %-22s on 127.0.0.1:%d' % ('dropbear-appliance', dropbear.port))
        inventory_path = os.path.join(workdir, 'inventory.json')
        with open(inventory_path, 'w') as handle:
            json.dump(inventory(servers, dropbear), handle, indent=1)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ['FLEETCRYPTO_COLLECTIONS_PATH'],
                   ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_HOME=os.path.join(workdir, 'ansible-home'))
        before = os.path.join(output, 'before')
        after = os.path.join(output, 'after')
        run('1/3 audit: who cannot connect, and why', 'audit.yml', inventory_path, env,
            '-e', 'fleetcrypto_output_dir=%s' % before)
        rc = run('2/3 enforce the baseline on the servers the role can configure (canary first)', 'enforce.yml',
                 inventory_path, env, '-e', 'fleetcrypto_hosts=managed', '-e', 'fleetcrypto_output_dir=%s' % after)
        if rc != 0:
            print('demo-lab: enforce failed (exit %d)' % rc)
            return rc
        rc = run('3/3 audit again', 'audit.yml', inventory_path, env, '-e', 'fleetcrypto_output_dir=%s' % after,
                 '-e', 'fleetcrypto_fail_on_noncompliance=true')
        print('\ndemo-lab: reports before the fix: %s/compliance.{html,json,md,csv,xml}' % before)
        print('demo-lab: reports after the fix:  %s/compliance.{html,json,md,csv,xml}' % after)
        print('demo-lab: %s' % ('the fleet is compliant and every required client connects' if rc == 0
                                else 'the final audit did not pass (exit %d)' % rc))
        return rc
    finally:
        for server in list(servers.values()) + ([dropbear] if dropbear else []):
            server.stop()
        print('demo-lab: stopped %d servers' % (len(servers) + (1 if dropbear else 0)))


if __name__ == '__main__':
    sys.exit(main())
