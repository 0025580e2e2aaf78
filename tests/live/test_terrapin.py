# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Terrapin (CVE-2023-48795) as a baseline rule, against a real sshd 9.2 whose strict-kex marker a relay strips.

Debian's sshd 9.2 offers kex-strict-s-v00@openssh.com (its Terrapin fix). A relay on 127.0.0.1 rewrites the
server's first KEXINIT on the way to the client, removing only that marker, as an active man-in-the-middle or an
unpatched server would present itself. The audit path (algorithms_info, then the evaluate, negotiate and remediate
filters through ansible-playbook) must call the stripped offer non-compliant under every built-in baseline, with a
Terrapin finding; the same sshd without the relay passes the rule. ssh-audit (PyPI), where installed, judges the
same two endpoints, and the test checks it agrees that the stripped offer is open to Terrapin.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import run_playbook
from lab.relay import Relay, strip_strict_kex
from lab.servers import Sshd

BASELINES = ('modern', 'intermediate', 'fips-140-3', 'bsi-tr-02102-4')
# modern's lists as sshd 9.2 supports them (the role's target on it), chacha20-poly1305 first.
MODERN_ON_92 = {
    'KexAlgorithms': 'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org',
    'HostKeyAlgorithms': 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    'Ciphers': 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,'
               'aes128-ctr',
    'MACs': 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
}
CBC_ETM = dict(MODERN_ON_92, Ciphers='aes128-cbc,aes128-ctr', MACs='hmac-sha2-256-etm@openssh.com,hmac-sha2-256')
SSH_AUDIT = shutil.which('ssh-audit', path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
_ANSI = re.compile(r'\x1b\[[0-9;]*m')


def audit_tasks(ports):
    """One playbook for every case: a probe of each endpoint, then the filters on each stripped probe."""
    tasks, index = [], {}
    for case, (direct_port, relay_port) in sorted(ports.items()):
        for kind, port in (('direct', direct_port), ('stripped', relay_port)):
            index[case, kind] = len(tasks)
            tasks.append({'name': '%s_%s' % (case, kind),
                          'fleetcrypto.sftp.algorithms_info': {'host': '127.0.0.1', 'port': port}})
    for case in sorted(ports):
        direct, relayed = 'r%d' % index[case, 'direct'], 'r%d' % index[case, 'stripped']
        # One task for the eight evaluations of a case (every task of a playbook costs time).
        tasks.append({'name': case + '_evaluate', 'ansible.builtin.set_fact': {'evaluations': (
            "{%% set out = {} %%}{%% for name in baselines %%}{%% set _ = out.update({"
            "'direct_' ~ name: %s | fleetcrypto.sftp.evaluate(name), "
            "'stripped_' ~ name: %s | fleetcrypto.sftp.evaluate(name)}) %%}{%% endfor %%}{{ out }}" % (direct, relayed))},
            'vars': {'baselines': list(BASELINES)}})
        tasks.append({'name': case + '_predict', 'ansible.builtin.set_fact': {
            'prediction': "{{ %s | fleetcrypto.sftp.negotiate('openssh-8.4') }}" % relayed}})
        tasks.append({'name': case + '_plan', 'ansible.builtin.set_fact': {
            'plan': "{{ %s | fleetcrypto.sftp.remediate('modern', ['openssh-9.2']) }}" % relayed}})
    return tasks


def ssh_audit(port):
    """ssh-audit's exit code (0 good, 2 warning, 3 failure) and its lines about Terrapin."""
    proc = subprocess.run([SSH_AUDIT, '-p', str(port), '127.0.0.1'], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)
    lines = [_ANSI.sub('', line).strip() for line in proc.stdout.splitlines()]
    return proc.returncode, [line for line in lines if 'Terrapin attack (CVE-2023-48795), allowing' in line]


@pytest.fixture(scope='module')
def stripped(tmp_path_factory):
    """Per case, (sshd port, relay port): a real sshd 9.2 and a relay in front of it that strips strict kex; the
    audit playbook's results for all of them (one ansible-playbook run)."""
    services, ports = [], {}
    try:
        for case, settings in (('chacha20', MODERN_ON_92), ('cbc_etm', CBC_ETM)):
            sshd = Sshd(settings, host_key_types=('ed25519', 'rsa')).start()
            services.append(sshd)
            relay = Relay(sshd.port, rewrite_server_kexinit=strip_strict_kex).start()
            services.append(relay)
            ports[case] = (sshd.port, relay.port)
        results, _stdout = run_playbook(str(tmp_path_factory.mktemp('terrapin')), audit_tasks(ports))
        yield ports, results
    finally:
        for service in reversed(services):
            service.stop()


@pytest.mark.parametrize('case', ['chacha20', 'cbc_etm'])
def test_stripped_strict_kex_is_a_terrapin_violation_under_every_baseline(stripped, case):
    ports, results = stripped
    direct_port, relay_port = ports[case]
    direct, relayed = results[case + '_direct'], results[case + '_stripped']
    assert direct['strict_kex'] is True and relayed['strict_kex'] is False
    assert relayed['offer']['encryption_algorithms_client_to_server'] == \
        direct['offer']['encryption_algorithms_client_to_server']  # only the marker differs
    subject = ('chacha20-poly1305@openssh.com' if case == 'chacha20'
               else 'CBC aes128-cbc with EtM hmac-sha2-256-etm@openssh.com')
    evaluations = results[case + '_evaluate']['ansible_facts']['evaluations']
    for baseline in BASELINES:
        before, after = evaluations['direct_' + baseline], evaluations['stripped_' + baseline]
        assert before['checks']['terrapin']['status'] == 'passed', baseline
        assert after['passed'] is False, baseline
        [finding] = [item for item in after['findings'] if item['check'] == 'terrapin']
        assert finding['rating'] == 'fail' and finding['subject'] == subject, baseline
        assert 'CVE-2023-48795' in finding['source'] and 'strict kex' in finding['fix']
        assert after['counts']['findings_fail'] >= 1
    # Per-client exposure stays in the predictions: OpenSSH 8.4 (no strict kex, chacha20-poly1305 first) negotiates
    # the pair in the first case; it has no CBC cipher, so not in the second.
    prediction = results[case + '_predict']['ansible_facts']['prediction']
    assert prediction['strict_kex'] is False
    assert prediction['terrapin_exposed'] is (case == 'chacha20')
    # The plan for this offer keeps Terrapin out rather than configure it.
    plan = results[case + '_plan']['ansible_facts']['plan']
    assert plan['terrapin']['guarded'] is True
    assert not [name for name in plan['target']['ciphers'] if name.startswith('chacha20') or name.endswith('-cbc')]
    assert plan['checks']['terrapin']['status'] == 'passed'

    if SSH_AUDIT is None:
        pytest.skip('ssh-audit is not installed (tests/requirements.txt); fleetcrypto verdicts checked above')
    rc_direct, terrapin_direct = ssh_audit(direct_port)
    rc_stripped, terrapin_stripped = ssh_audit(relay_port)
    assert terrapin_direct == []
    # One line per vulnerable algorithm: chacha20-poly1305@openssh.com; or aes128-cbc and hmac-sha2-256-etm@openssh.com.
    assert len(terrapin_stripped) == (1 if case == 'chacha20' else 2), terrapin_stripped
    assert rc_stripped in (2, 3)  # ssh-audit's WARNING (2) or FAILURE (3), never GOOD (0)
