# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo lab: a small fleet of real SSH/SFTP servers on 127.0.0.1, audited, fixed and audited again.

1. Starts two OpenSSH sshd (one with Debian's defaults, one that offers only aes256-ctr and aes256-cbc: the
   brief's classic "could not agree" server), ProFTPD with mod_sftp, and a dropbear "appliance".
2. playbooks/observe.yml: every server captures the clients that connect during a short window, while a
   second partner's JSch (restricted JCE: 128-bit AES only, the real one from lab/clients.py) connects to
   sshd-main, where nobody listed it in baseline_required_clients; the results land in <output>/observed/.
3. playbooks/audit.yml: shows that the first partner's JSch cannot connect to the classic server, and why, every
   baseline violation, and the clients observed on each server: it names the unlisted JSch on sshd-main.
   Then (2b) the upgrade question for sshd-main as it runs today (Debian 12's sshd with its defaults): with
   ``fleetcrypto_upgrade_to: openssh-10.0`` and a partner's OpenSSH client limited to finite-field Diffie-Hellman
   (``KexAlgorithms diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256``; its KEXINIT captured here
   from the real ssh, which also connects to sshd-main for real) among the required clients, the report shows it
   connecting today and BROKEN after the upgrade, because sshd 10.0 dropped finite-field DH from its default key
   exchange (myproposal.h KEX_SERVER_KEX at V_10_0_P1).
4. playbooks/enforce.yml on the servers it can configure: the role applies the minimal safe fix (the
   intermediate baseline keeps the observed JSch working, so nothing is refused).
5. playbooks/enforce.yml with the stricter "modern" baseline on sshd-main: refused before anything changes,
   because it would lock out the observed JSch (JSch 0.1.55 has no X25519 key exchange); the lab checks that
   the configuration files did not change.
6. The operator accepts that on purpose: an observed-client exception (its HASSH, a reason, an expiry date) goes
   into sshd-main's inventory, and the same enforce proceeds.
7. playbooks/audit.yml again: green (the JSch is listed as accepted). Prints where the reports are and stops
   every server it started (also on failure or Ctrl-C).

Run through scripts/demo-lab.sh, which installs what it needs first. Exit code 0 only when the refusal and the
final audit happened as described. ``FLEETCRYPTO_OBSERVE_SECONDS`` sets the observation window (default 20).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.clients import DH_ONLY_KEX, default_jsch_restricted_jce  # noqa: E402  pylint: disable=wrong-import-position
from lab.clients import openssh_dh_only  # noqa: E402  pylint: disable=wrong-import-position
from capture_client_profiles import capture_default  # noqa: E402  pylint: disable=wrong-import-position
from lab.managed import ManagedProftpd, ManagedSshd  # noqa: E402  pylint: disable=wrong-import-position
from lab.servers import Dropbear  # noqa: E402  pylint: disable=wrong-import-position

PARTNER = 'jsch-0.1.54-restricted-jce'  # offers only aes128-ctr, aes128-cbc, 3des-ctr, 3des-cbc, blowfish-cbc
OBSERVED_ON = 'sshd-main'  # where a second partner's JSch connects without being listed
REFUSAL = 'would lock out observed clients of this server; nothing was changed'
UPGRADE_TO = 'openssh-10.0'  # a built-in server profile (data/server_profiles)
DH_ONLY_CLIENT = 'partner-openssh-dh-kex'  # the real ssh with KexAlgorithms finite-field DH only (lab.clients)


def inventory(servers, dropbear):
    """The demo fleet as an inventory: group vars say which clients each group must keep working."""
    # The lab runs as root on the controller itself: observe.yml's become is not needed (and sudo may be absent).
    common = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
              'fleetcrypto_sftp_host': '127.0.0.1', 'ansible_become': False}
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


def command(step, playbook, inventory_path, *extra):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory_path,
           os.path.join(ROOT, 'playbooks', playbook)] + list(extra)
    print('\ndemo-lab: %s\ndemo-lab: $ %s' % (step, ' '.join(cmd)), flush=True)
    return cmd


def run(step, playbook, inventory_path, env, *extra):
    return subprocess.call(command(step, playbook, inventory_path, *extra), env=env, stdin=subprocess.DEVNULL)


def run_captured(step, playbook, inventory_path, env, *extra):
    """Like run, and returns the output too (printed as it is, after the run)."""
    proc = subprocess.run(command(step, playbook, inventory_path, *extra), env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    print(proc.stdout, end='', flush=True)
    return proc.returncode, proc.stdout


def observe_while_partner_connects(inventory_path, env, observed_dir, port, workdir, seconds):
    """observe.yml in the background while the partner's real JSch connects to ``port`` every few seconds, until
    the playbook ends; returns (exit code, connection attempts)."""
    proc = subprocess.Popen(command('1/6 observe the clients every server really has (%d s), while a partner\'s '
                                    'unlisted JSch connects to %s' % (seconds, OBSERVED_ON), 'observe.yml',
                                    inventory_path, '-e', 'fleetcrypto_observed_dir=%s' % observed_dir,
                                    '-e', 'fleetcrypto_observe_seconds=%d' % seconds),
                            env=env, stdin=subprocess.DEVNULL)
    attempts = []
    stop = threading.Event()

    def partner():
        while not stop.wait(3):
            default_jsch_restricted_jce(port, workdir)  # bounded: JSch's own 5 s timeout, 60 s at most
            attempts.append(1)
    thread = threading.Thread(target=partner, daemon=True)
    thread.start()
    try:
        rc = proc.wait(timeout=seconds + 600)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    finally:
        stop.set()
        thread.join(90)
    print('demo-lab: the partner\'s JSch connected %d times during the observation' % len(attempts), flush=True)
    return rc, len(attempts)


def observed_hassh(observed_dir, host, banner_prefix):
    """The HASSH observe.yml stored for the client whose banner starts with ``banner_prefix`` (what an operator
    copies from the report or the refusal)."""
    with open(os.path.join(observed_dir, '%s.json' % host)) as handle:
        stored = json.load(handle)
    for client in stored.get('clients') or ():
        if (client.get('banner') or '').startswith(banner_prefix):
            return client['hassh']
    return None


def dh_only_client(port, workdir):
    """The partner's OpenSSH client with finite-field DH kex only: its KEXINIT captured from the real ssh (a
    proposal the audit takes as a required client), and whether it really completes the key exchange with the
    server on ``port`` today (its output)."""
    record = capture_default('openssh', workdir, timeout=30, launcher=openssh_dh_only)
    if record is None:
        return None, ''
    client = dict(record['profile'], name=DH_ONLY_CLIENT, kex_algorithms_set=True,
                  source='captured here from the real ssh with KexAlgorithms %s' % DH_ONLY_KEX)
    return client, openssh_dh_only(port, workdir)


def digest(*paths):
    result = []
    for path in paths:
        with open(path, 'rb') as handle:
            result.append(hashlib.sha256(handle.read()).hexdigest())
    return result


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
        observed_dir = os.path.join(output, 'observed')
        observed = ['-e', 'fleetcrypto_observed_dir=%s' % observed_dir]
        seconds = int(os.environ.get('FLEETCRYPTO_OBSERVE_SECONDS') or 20)
        rc, attempts = observe_while_partner_connects(inventory_path, env, observed_dir,
                                                      servers[OBSERVED_ON].port, workdir, seconds)
        if rc != 0 or not attempts:
            print('demo-lab: the observation failed (exit %d, %d partner connections)' % (rc, attempts))
            return rc or 1
        hassh = observed_hassh(observed_dir, OBSERVED_ON, 'SSH-2.0-JSCH-')
        if not hassh:
            print('demo-lab: the partner\'s JSch was not observed on %s' % OBSERVED_ON)
            return 1
        run('2/6 audit: who cannot connect, and why; and who really connects', 'audit.yml', inventory_path, env,
            '-e', 'fleetcrypto_output_dir=%s' % before, *observed)
        upgrade = os.path.join(output, 'upgrade')
        partner, today = dh_only_client(servers[OBSERVED_ON].port, workdir)
        if partner is None:
            print('demo-lab: the DH-only OpenSSH client could not be captured')
            return 1
        print('\ndemo-lab: the partner\'s ssh -o KexAlgorithms=%s to %s today: %s' % (
            DH_ONLY_KEX, OBSERVED_ON, 'key exchange completed (then "Permission denied": it has no key)'
            if 'Permission denied' in today else 'FAILED: ' + today.strip()[-300:]), flush=True)
        run('2b/6 audit: what breaks when %s (Debian 12\'s sshd defaults) moves to %s? A partner\'s %s must keep '
            'working' % (OBSERVED_ON, UPGRADE_TO, DH_ONLY_CLIENT), 'audit.yml', inventory_path, env,
            '-e', 'fleetcrypto_hosts=%s' % OBSERVED_ON, '-e', 'fleetcrypto_output_dir=%s' % upgrade,
            '-e', 'fleetcrypto_upgrade_to=%s' % UPGRADE_TO,
            '-e', json.dumps({'baseline_required_clients': ['openssh-9.2', 'putty-0.78', partner]}), *observed)
        rc = run('3/6 enforce the baseline on the servers the role can configure (canary first)', 'enforce.yml',
                 inventory_path, env, '-e', 'fleetcrypto_hosts=managed', '-e', 'fleetcrypto_output_dir=%s' % after,
                 *observed)
        if rc != 0:
            print('demo-lab: enforce failed (exit %d)' % rc)
            return rc
        main_files = [servers[OBSERVED_ON].config] + [
            os.path.join(servers[OBSERVED_ON].dropin_dir, name) for name in sorted(os.listdir(
                servers[OBSERVED_ON].dropin_dir))]
        unchanged = digest(*main_files)
        stricter = ['-e', 'fleetcrypto_hosts=%s' % OBSERVED_ON, '-e', 'baseline_policy=modern',
                    '-e', 'fleetcrypto_output_dir=%s' % after] + observed
        rc, out = run_captured('4/6 enforce the stricter "modern" baseline on %s: it would lock out the observed '
                               'JSch' % OBSERVED_ON, 'enforce.yml', inventory_path, env, *stricter)
        if rc == 0 or REFUSAL not in out or digest(*main_files) != unchanged:
            print('demo-lab: the stricter baseline was not refused as it should have been (exit %d)' % rc)
            return 1
        print('demo-lab: refused, and %s\'s configuration files are unchanged' % OBSERVED_ON)
        # The operator decides the JSch may lose access (its owner retires it) and says so in the inventory.
        fleet = inventory(servers, dropbear)
        fleet['all']['children']['sftp_servers']['children']['managed']['hosts'][OBSERVED_ON][
            'baseline_observed_exceptions'] = [{'hassh': hassh, 'reason': 'partner retires this JSch gateway, '
                                                'ticket 4711', 'expires': '2099-12-31'}]
        with open(inventory_path, 'w') as handle:
            json.dump(fleet, handle, indent=1)
        print('\ndemo-lab: accepted on purpose in the inventory of %s: baseline_observed_exceptions: '
              '[{hassh: %s, reason: ..., expires: 2099-12-31}]' % (OBSERVED_ON, hassh), flush=True)
        rc = run('5/6 enforce "modern" on %s again, with the exception' % OBSERVED_ON, 'enforce.yml', inventory_path,
                 env, *stricter)
        if rc != 0:
            print('demo-lab: enforce with the exception failed (exit %d)' % rc)
            return rc
        rc = run('6/6 audit again', 'audit.yml', inventory_path, env, '-e', 'fleetcrypto_output_dir=%s' % after,
                 '-e', 'fleetcrypto_fail_on_noncompliance=true', *observed)
        print('\ndemo-lab: reports before the fix: %s/compliance.{html,json,md,csv,xml}' % before)
        print('demo-lab: reports after the fix:  %s/compliance.{html,json,md,csv,xml}' % after)
        print('demo-lab: upgrade to %s:   %s/compliance.{html,json,md,csv,xml}' % (UPGRADE_TO, upgrade))
        print('demo-lab: observed clients:       %s/<host>.json' % observed_dir)
        print('demo-lab: %s' % ('the fleet is compliant and every required client connects' if rc == 0
                                else 'the final audit did not pass (exit %d)' % rc))
        return rc
    finally:
        for server in list(servers.values()) + ([dropbear] if dropbear else []):
            server.stop()
        print('demo-lab: stopped %d servers' % (len(servers) + (1 if dropbear else 0)))


if __name__ == '__main__':
    sys.exit(main())
