# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/audit.yml end to end against real servers on 127.0.0.1, and the HTML report in a real headless
Chromium (Debian's package, driven by playwright; the screenshot is kept in tests/output/)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ANSIBLE_BIN, ansible_env
from lab.peers import HostilePeer
from lab.servers import ARTIFACTS, Sshd, hold_closed_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = ARTIFACTS
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CLIENTS = ['openssh-9.2', 'jsch-0.1.54-restricted-jce']


def run_audit(tmp, inventory, out, *extra):
    """playbooks/audit.yml over ``inventory`` (a dict, written to ``tmp``) with its reports in ``out``."""
    inventory_path = tmp / 'inventory.json'
    inventory_path.write_text(json.dumps(inventory))
    return subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', str(inventory_path),
                           os.path.join(ROOT, 'playbooks', 'audit.yml'), '-c', 'local',
                           '-e', 'fleetcrypto_output_dir=%s' % out] + list(extra),
                          env=ansible_env(str(tmp)), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture(scope='module')
def audited(tmp_path_factory):
    """A small fleet: a modern sshd, the classic aes256-only sshd, a port nothing listens on and an HTTP server."""
    tmp = tmp_path_factory.mktemp('audit')
    closed = hold_closed_port()
    modern = Sshd({'Ciphers': 'aes256-gcm@openssh.com,aes128-ctr', 'MACs': 'hmac-sha2-256-etm@openssh.com,hmac-sha2-256'})
    classic = Sshd({'Ciphers': 'aes256-ctr,aes256-cbc'})
    peer = HostilePeer(['http'])
    with modern, classic, peer, closed:
        hosts = {
            'modern': modern.port, 'classic': classic.port, 'decommissioned': closed.getsockname()[1],
            'web-not-ssh': peer.ports['http'],
        }
        inventory = {'all': {'children': {'sftp_servers': {
            'hosts': {name: {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': port}
                      for name, port in hosts.items()},
            'vars': {'baseline_policy': 'intermediate', 'baseline_required_clients': CLIENTS,
                     'fleetcrypto_timeout': 5}}}}}
        out = tmp / 'reports'
        first = run_audit(tmp, inventory, out)
        gated = run_audit(tmp, inventory, out, '-e', 'fleetcrypto_fail_on_noncompliance=true',
                          '-e', 'fleetcrypto_report_formats=json,csv')
    return {'out': out, 'first': first, 'gated': gated}


def test_audit_writes_every_format_and_reports_the_fleet(audited):
    first = audited['first']
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    out = audited['out']
    assert sorted(os.listdir(out)) == ['compliance.csv', 'compliance.html', 'compliance.json', 'compliance.md',
                                       'compliance.xml']
    report = json.loads((out / 'compliance.json').read_text())
    status = {host['name']: host['status'] for host in report['hosts']}
    assert status == {'modern': 'compliant', 'classic': 'non_compliant', 'decommissioned': 'unreachable',
                      'web-not-ssh': 'unreachable'}
    reasons = {host['name']: host['reason'] for host in report['hosts'] if host['status'] == 'unreachable'}
    assert reasons == {'decommissioned': 'refused', 'web-not-ssh': 'not_ssh'}
    assert 'jsch-0.1.54-restricted-jce cannot connect: Algorithm negotiation fail' in first.stdout
    every_row = list(csv.DictReader((out / 'compliance.csv').open()))
    rows = [row for row in every_row if row['kind'] != 'check']
    assert len(rows) == 8
    assert {row['host'] for row in every_row if row['kind'] == 'check'} == {'modern', 'classic'}
    junit = ET.parse(str(out / 'compliance.xml')).getroot()
    assert junit.get('errors') == '6' and junit.get('failures') == '2'  # 2 unreachable x 3 cases; classic x 2
    assert '| classic (127.0.0.1:' in (out / 'compliance.md').read_text()


def test_audit_gates_ci_on_noncompliance(audited):
    gated = audited['gated']
    assert gated.returncode != 0
    assert 'Not every host is compliant and reachable' in gated.stdout


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason='Debian chromium is installed by scripts/bootstrap.sh')
def test_html_report_in_headless_chromium(audited):
    playwright = pytest.importorskip('playwright.sync_api')
    out = audited['out']
    report = json.loads((out / 'compliance.json').read_text())
    os.makedirs(OUTPUT, exist_ok=True)
    external = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        try:
            page = browser.new_page(viewport={'width': 1366, 'height': 900})  # a laptop screen
            page.route('**/*', lambda route: (external.append(route.request.url) or route.abort())
                       if not route.request.url.startswith('file://') else route.continue_())
            page.goto('file://%s' % (out / 'compliance.html'))
            assert page.inner_text('#verdict') == 'NOT PASSED'
            assert page.inner_text('#card-unreachable b') == '2'
            # The matrix equals the data: one row per host, one cell per client, coloured by the prediction.
            for host in report['hosts']:
                row = page.locator('#matrix tr[data-host="%s"]' % host['name'])
                assert row.count() == 1, host['name']
                for item in host['clients']:
                    cell = row.locator('td.cell[data-client="%s"]' % item['client'])
                    expected = 'unreachable' if item['compatible'] is None else ('ok' if item['compatible'] else 'fail')
                    assert expected in cell.get_attribute('class').split(), (host['name'], item['client'])
            failing = page.locator('tr[data-host="classic"] td.cell.fail')
            assert failing.count() == 1
            assert 'Algorithm negotiation fail' in failing.get_attribute('title')  # the reason on hover
            failing.click()
            assert page.locator('#detail').is_visible()
            assert 'classic / jsch-0.1.54-restricted-jce: Algorithm negotiation fail' in page.inner_text('#detail')
            assert page.locator('#violations td code', has_text='aes256-cbc').count() == 1
            page.screenshot(path=os.path.join(OUTPUT, 'compliance-report.png'), full_page=True)
            page.emulate_media(media='print')
            assert not page.locator('#detail').is_visible()  # the click-through box is not printed
            page.pdf(path=os.path.join(OUTPUT, 'compliance-report.pdf')) if hasattr(page, 'pdf') else None
        finally:
            browser.close()
    assert external == []
    assert os.path.getsize(os.path.join(OUTPUT, 'compliance-report.png')) > 10000
    sys.stdout.write('screenshot: %s\n' % os.path.join(OUTPUT, 'compliance-report.png'))


@pytest.fixture(scope='module')
def audited_observed(tmp_path_factory):
    """audit.yml with what observe.yml stored (the shapes observed_clients_info and negotiation_failures_info
    return): an unlisted restricted-JCE JSch seen on one sshd, a logged failure on it, and a second sshd with no
    stored observation. Baseline "modern" would lock the JSch out."""
    from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import hassh_of
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
    tmp = tmp_path_factory.mktemp('audit-observed')
    profile = load_profile('jsch-0.1.54-restricted-jce')
    proposal = {key: profile[key] for key in NAME_LIST_KEYS}
    stored = {'schema': 'fleetcrypto.sftp/observation', 'schema_version': '1.0', 'host': 'observed-sshd',
              'collected_at': '2026-11-25T10:00:00Z', 'seconds': 60, 'ports': [22],
              'capture': {'capture_method': 'raw_socket', 'connections_seen': 3, 'skipped': {'total': 0},
                          'truncated': {'total': 0}},
              'clients': [{'banner': 'SSH-2.0-JSCH-0.1.54', 'software': {'product': 'JSch', 'version': '0.1.54'},
                           'proposal': proposal, 'hassh': hassh_of(proposal), 'connections': 3,
                           'first_seen': '2026-11-25T09:59:01Z', 'last_seen': '2026-11-25T09:59:40Z',
                           'addresses': [{'address': '127.0.0.1', 'connections': 3}]}],
              'logs': {'since': '2026-11-18T10:00:00Z'},
              'failures': [{'address': '192.0.2.9', 'category': 'cipher', 'direction': None, 'daemon': 'openssh',
                            'client_list': ['aes128-cbc', '3des-cbc'], 'server_list': None, 'count': 2,
                            'first_seen': '2026-11-24T08:00:00Z', 'last_seen': '2026-11-24T08:05:00Z',
                            'message': 'Unable to negotiate with 192.0.2.9 port 4: no matching cipher found. Their '
                                       'offer: aes128-cbc,3des-cbc [preauth]'}]}
    out = tmp / 'reports'
    (out / 'observed').mkdir(parents=True)
    (out / 'observed' / 'observed-sshd.json').write_text(json.dumps(stored))
    with Sshd() as observed_sshd, Sshd() as other:
        inventory = {'all': {'children': {'sftp_servers': {
            'hosts': {'observed-sshd': {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': observed_sshd.port},
                      'not-observed': {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': other.port}},
            'vars': {'baseline_policy': 'modern', 'baseline_required_clients': ['openssh-9.2'],
                     'fleetcrypto_timeout': 5}}}}}
        run = run_audit(tmp, inventory, out)
    return {'out': out, 'run': run, 'label': 'observed JSch_0.1.54 #' + stored['clients'][0]['hassh'][:8]}


def test_audit_loads_stored_observations_and_names_the_clients(audited_observed):
    run, out, label = audited_observed['run'], audited_observed['out'], audited_observed['label']
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert 'observed-sshd: %s (SSH-2.0-JSCH-0.1.54, 3 connection(s)) connects today, LOCKED OUT under the target: ' \
           'Algorithm negotiation fail' % label in run.stdout
    assert 'Observed clients: 2 on 1 host(s), 1 cannot connect today, 1 would be locked out by the baseline target.' \
        in run.stdout
    report = json.loads((out / 'compliance.json').read_text())
    assert report['schema_version'] == '1.3' and report['observed_clients'][0] == label
    assert report['summary']['observed_locked_out'] == 1 and report['summary']['observed_hosts'] == 1
    hosts = {host['name']: host for host in report['hosts']}
    assert hosts['not-observed']['observation']['message'].startswith('no stored observation for this host')
    assert hosts['observed-sshd']['observation']['capture_method'] == 'raw_socket'
    rows = [row for row in csv.DictReader((out / 'compliance.csv').open()) if row['kind'] == 'observed']
    assert [(row['host'], row['locked_out']) for row in rows] == [('observed-sshd', 'True'), ('observed-sshd', 'False')]
    junit = ET.parse(str(out / 'compliance.xml')).getroot()
    assert junit.find(".//testcase[@name='%s']/failure" % label).get('type') == 'lockout'


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason='Debian chromium is installed by scripts/bootstrap.sh')
def test_observed_clients_in_headless_chromium(audited_observed):
    playwright = pytest.importorskip('playwright.sync_api')
    out, label = audited_observed['out'], audited_observed['label']
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        try:
            page = browser.new_page(viewport={'width': 1366, 'height': 900})
            page.goto('file://%s' % (out / 'compliance.html'))
            assert page.inner_text('#card-observed_locked_out b') == '1'
            assert page.locator('th.observed').count() == 2
            cell = page.locator('tr[data-host="observed-sshd"] td.cell.observed[data-client="%s"]' % label)
            assert cell.count() == 1 and 'lockout' in cell.get_attribute('class').split()
            assert cell.inner_text() == 'target FAILS'
            cell.click()
            assert 'under the baseline target: cannot connect: Algorithm negotiation fail' in page.inner_text('#detail')
            table = page.locator('table.observed-clients[data-host="observed-sshd"]')
            assert table.locator('tr[data-client="%s"] td.lockout' % label).count() == 1
            assert 'not-observed' in page.inner_text('#observed-missing')
            page.screenshot(path=os.path.join(OUTPUT, 'compliance-report-observed.png'), full_page=True)
        finally:
            browser.close()


@pytest.fixture(scope='module')
def audited_checks(tmp_path_factory):
    """audit.yml (defaults: host keys and group sizes gathered) over an sshd whose RSA host key has 1024 bits and
    one with Debian's defaults, under ``intermediate``."""
    from lab.servers import keygen
    tmp = tmp_path_factory.mktemp('audit-checks')
    workdir = tmp / 'weak-sshd'
    workdir.mkdir()
    keygen(str(workdir / 'host_rsa'), 'rsa', 1024)
    with Sshd(host_key_types=('rsa', 'ed25519'), workdir=str(workdir)) as weak, Sshd() as default:
        inventory = {'all': {'children': {'sftp_servers': {
            'hosts': {'weak-key': {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': weak.port},
                      'debian-defaults': {'fleetcrypto_sftp_host': '127.0.0.1', 'fleetcrypto_sftp_port': default.port}},
            'vars': {'baseline_policy': 'intermediate', 'baseline_required_clients': ['openssh-9.2'],
                     'fleetcrypto_timeout': 10}}}}}
        out = tmp / 'reports'
        run = run_audit(tmp, inventory, out)
    return {'out': out, 'run': run}


def test_checks_beyond_names_in_every_format(audited_checks):
    """The weak key fails the host-key check in the verdict and in all five formats; Debian's defaults pass it."""
    run = audited_checks['run']
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # the failing host's line names the finding
    assert 'weak-key: non_compliant; baseline failed' in run.stdout and 'host_keys fail: ssh-rsa key' in run.stdout
    out = audited_checks['out']
    report = json.loads((out / 'compliance.json').read_text())
    hosts = {host['name']: host for host in report['hosts']}
    weak, default = hosts['weak-key'], hosts['debian-defaults']
    assert weak['status'] == 'non_compliant'
    assert weak['checks']['host_keys']['status'] == 'failed' and default['checks']['host_keys']['status'] == 'passed'
    assert default['checks']['moduli']['status'] == 'passed'  # Debian's moduli: range requests get >= 3072 bits
    assert {name: check['status'] for name, check in default['checks'].items()} == {
        'terrapin': 'passed', 'post_quantum': 'passed', 'host_keys': 'passed', 'moduli': 'passed',
        'throttling': 'not_run'}
    assert report['summary']['host_key_findings'] == 1 and report['summary']['checks_not_run'] == 2
    assert report['summary']['moduli_findings'] == 0  # the info note on OpenSSH's fallback group does not count
    finding = [item for item in weak['evaluation']['findings'] if item['check'] == 'host_keys'][0]
    assert finding['rating'] == 'fail' and '1024' in finding['reason'] and 'ssh-keygen -t rsa' in finding['fix']
    rows = [row for row in csv.DictReader((out / 'compliance.csv').open()) if row['kind'] == 'check'
            and row['check'] == 'host_keys' and row['host'] == 'weak-key']
    assert rows and rows[0]['rating'] == 'fail' and rows[0]['fix'] == finding['fix']
    junit = ET.parse(str(out / 'compliance.xml')).getroot()
    failure = junit.find("testsuite[@name='weak-key']/testcase[@name='check host_keys']/failure")
    assert failure is not None and 'ssh-rsa key' in failure.get('message') and '1024' in failure.text
    skipped = junit.find("testsuite[@name='weak-key']/testcase[@name='check throttling']/skipped")
    assert skipped is not None and 'fleetcrypto_audit_daemon' in skipped.get('message')
    markdown = (out / 'compliance.md').read_text()
    assert '| weak-key | pass | pass | FAIL | noted | not run |' in markdown
    assert '- check host_keys: FAIL ssh-rsa key (rsa-sha2-512, rsa-sha2-256): ' in markdown


def test_checks_in_headless_chromium(audited_checks):
    playwright = pytest.importorskip('playwright.sync_api')
    out = audited_checks['out']
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        try:
            page = browser.new_page(viewport={'width': 1366, 'height': 900})
            page.goto('file://%s' % (out / 'compliance.html'))
            assert page.inner_text('#card-host_key_findings b') == '1'
            cell = page.locator('#checks tr[data-host="weak-key"] td[data-check="host_keys"]')
            assert cell.inner_text() == 'FAIL' and cell.is_visible()
            assert page.locator('#checks tr[data-host="debian-defaults"] td[data-check="host_keys"]').inner_text() == 'pass'
            finding = page.locator('#findings tr[data-host="weak-key"]', has_text='host_keys').first
            assert 'ssh-keygen -t rsa' in finding.inner_text()
            page.locator('#checks').screenshot(path=os.path.join(OUTPUT, 'compliance-report-checks.png'))
        finally:
            browser.close()
