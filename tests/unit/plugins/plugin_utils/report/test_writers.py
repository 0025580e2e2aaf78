# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report writers (report/writers.py and templates/compliance.html.j2). The fleet and its report come from
conftest.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jinja2
import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report import writers
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import CSV_FIELDS, FORMATS, render, \
    to_html

CBC_SOURCE = 'OpenSSH 6.7 release notes; Fedora crypto-policies (cipher@SSH = -*-CBC)'
JSCH_C2S = ('Algorithm negotiation fail: algorithmName="cipher.c2s" jschProposal="aes128-ctr,aes128-cbc,3des-ctr,'
            '3des-cbc,blowfish-cbc" serverProposal="aes256-ctr,aes256-cbc"')
JSCH_FAILURE = JSCH_C2S + '; ' + JSCH_C2S.replace('cipher.c2s', 'cipher.s2c')
HOSTILE = '<script>alert(1)</script>"\'&</script><!--'
# the page's code, as templates/compliance.html.j2 has it
JS_LINES = ["document.querySelectorAll('td.cell, td.after').forEach(function (cell) {",
            "  cell.addEventListener('click', function () {",
            "    var box = document.getElementById('detail');",
            "    box.textContent = cell.getAttribute('data-host') + ' / ' + cell.getAttribute('data-client') + ': ' +",
            "      cell.getAttribute('title');",
            "    box.hidden = false;",
            "  });",
            "});"]


class _Page(HTMLParser):
    """The page as a browser's tokenizer sees it: tags with decoded attributes, and decoded text."""

    def __init__(self, text):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.tags, self.text, self.scripts = [], [], []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == 'script'

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_json_roundtrip(report):
    assert json.loads(render(report, 'json')) == report
    text = render(report, 'json')
    assert text.endswith('}\n') and text.startswith('{\n  "baseline": "intermediate",')  # indented, sorted keys


def test_csv_has_a_row_per_host_and_client_and_defuses_formulas(report, probe_result):
    text = render(report, 'csv')
    every_row = list(csv.DictReader(io.StringIO(text)))
    rows = [row for row in every_row if row['kind'] != 'check']
    assert len(rows) == 6
    # 1.2: a row per check of each reachable host after its client rows (a finding, or the check's status)
    checks = [(row['host'], row['check'], row['check_status'], row['rating']) for row in every_row
              if row['kind'] == 'check']
    assert [item[:3] for item in checks if item[0] == 'good'] == [
        ('good', 'terrapin', 'passed'), ('good', 'post_quantum', 'passed'), ('good', 'host_keys', 'not_run'),
        ('good', 'moduli', 'not_run'), ('good', 'throttling', 'not_run')]
    assert {item[0] for item in checks} == {'good', 'classic'}
    assert [row['reason'] for row in every_row if row['kind'] == 'check' and row['check'] == 'host_keys'][0].startswith(
        'host keys were not gathered')
    assert {(row['host'], row['client'], row['compatible']) for row in rows} >= {
        ('classic', 'jsch-0.1.54-restricted-jce', 'False'), ('gone', 'openssh-9.2', '')}
    assert text.split('\n', 1)[0] == ','.join(CSV_FIELDS) == (
        'host,address,port,status,baseline,baseline_passed,client,compatible,kex,host_key,cipher_c2s,cipher_s2c,'
        'mac_c2s,mac_s2c,failed_categories,messages,terrapin_exposed,kind,connections,target_compatible,'
        'target_messages,locked_out,proven_by,check,check_status,rating,subject,reason,fix,source,'
        'post_quantum,warnings,upgrade_target,upgrade_compatible,upgrade_messages,broken_by_upgrade')  # 1.3 at the end
    assert [(row['host'], row['client'], row['status'], row['baseline_passed'], row['compatible']) for row in rows] == [
        ('good', 'openssh-9.2', 'compliant', 'True', 'True'),
        ('good', 'jsch-0.1.54-restricted-jce', 'compliant', 'True', 'True'),
        ('classic', 'openssh-9.2', 'non_compliant', 'False', 'True'),
        ('classic', 'jsch-0.1.54-restricted-jce', 'non_compliant', 'False', 'False'),
        ('gone', 'openssh-9.2', 'unreachable', '', ''),
        ('gone', 'jsch-0.1.54-restricted-jce', 'unreachable', '', '')]
    assert text.split('\n')[1] == ('good,127.0.0.1,22,compliant,intermediate,True,openssh-9.2,True,'
                                   'sntrup761x25519-sha512,ssh-ed25519,chacha20-poly1305@openssh.com,'
                                   'chacha20-poly1305@openssh.com,,,,,False,required,,,,,prediction,,,,,,,,'
                                   'True,,,,,')
    assert rows[3] == {'host': 'classic', 'address': '127.0.0.1', 'port': '2222', 'status': 'non_compliant',
                       'baseline': 'intermediate', 'baseline_passed': 'False', 'client': 'jsch-0.1.54-restricted-jce',
                       'compatible': 'False', 'kex': 'ecdh-sha2-nistp256', 'host_key': 'ecdsa-sha2-nistp256',
                       'cipher_c2s': '', 'cipher_s2c': '', 'mac_c2s': 'hmac-sha2-256', 'mac_s2c': 'hmac-sha2-256',
                       'failed_categories': 'cipher', 'messages': JSCH_FAILURE, 'terrapin_exposed': 'False',
                       'kind': 'required', 'connections': '', 'target_compatible': '', 'target_messages': '',
                       'locked_out': '', 'proven_by': 'prediction', 'check': '', 'check_status': '', 'rating': '',
                       'subject': '', 'reason': '', 'fix': '', 'source': '', 'post_quantum': 'False', 'warnings': '',
                       'upgrade_target': '', 'upgrade_compatible': '', 'upgrade_messages': '',
                       'broken_by_upgrade': ''}
    assert rows[4] == dict.fromkeys(CSV_FIELDS, '') | {
        'host': 'gone', 'address': '127.0.0.1', 'port': '1', 'status': 'unreachable', 'baseline': 'intermediate',
        'client': 'openssh-9.2', 'messages': 'host unreachable', 'kind': 'required'}
    hostile = build_report({'=HYPERLINK("x")': probe_result()}, 'intermediate', ['openssh-9.2'])
    assert list(csv.DictReader(io.StringIO(render(hostile, 'csv'))))[0]['host'].startswith("'=")
    assert list(csv.DictReader(io.StringIO(render(hostile, 'csv'))))[0]['host'] == '\'=HYPERLINK("x")'


def test_junit_counts(report):
    root = ET.fromstring(render(report, 'junit'))
    # 1.2: five check cases per reachable host; the three that need facts the fixture lacks are skipped
    assert root.get('tests') == '19' and root.get('failures') == '2' and root.get('errors') == '3'
    assert root.get('skipped') == '6'
    classic = root.find("testsuite[@name='classic']")
    assert classic.find("testcase[@name='client jsch-0.1.54-restricted-jce']/failure") is not None
    assert classic.find("testcase[@name='baseline intermediate']/failure") is not None
    assert root.get('name') == 'fleetcrypto.sftp compliance (intermediate)'
    assert [(suite.get('name'), suite.get('tests'), suite.get('failures'), suite.get('errors'))
            for suite in root.findall('testsuite')] == [('good', '8', '0', '0'), ('classic', '8', '2', '0'),
                                                        ('gone', '3', '0', '3')]
    assert [case.get('name') for case in classic.findall('testcase')] == [
        'baseline intermediate', 'check terrapin', 'check post_quantum', 'check host_keys', 'check moduli',
        'check throttling', 'client openssh-9.2', 'client jsch-0.1.54-restricted-jce']
    assert classic.find("testcase[@name='check terrapin']").find('*') is None
    skipped = classic.find("testcase[@name='check host_keys']/skipped")
    assert skipped.get('message').startswith('host keys were not gathered')
    baseline = classic.find("testcase[@name='baseline intermediate']/failure")
    assert (baseline.get('message'), baseline.get('type')) == ('1 algorithm(s) outside the baseline', 'baseline')
    assert baseline.text == 'FAIL aes256-cbc (ciphers): CBC mode in SSH allows plaintext recovery [%s]' % CBC_SOURCE
    jsch = classic.find("testcase[@name='client jsch-0.1.54-restricted-jce']/failure")
    assert (jsch.get('type'), jsch.get('message'), jsch.text) == ('negotiation', JSCH_FAILURE, JSCH_FAILURE)
    assert classic.find("testcase[@name='client openssh-9.2']").find('*') is None  # a pass has no child
    gone = root.find("testsuite[@name='gone']")
    error = gone.find("testcase[@name='baseline intermediate']/error")
    assert (error.get('message'), error.get('type'), error.text) == ('unreachable (refused)', 'refused',
                                                                     'connection refused')
    assert [case.find('error').get('message') for case in gone.findall('testcase')[1:]] == ['host unreachable'] * 2


def test_markdown_lists_hosts_and_reasons(report):
    text = render(report, 'markdown')
    assert '| classic (127.0.0.1:2222) | non-compliant |' in text
    assert 'client **jsch-0.1.54-restricted-jce** cannot connect' in text
    assert 'Unreachable (refused)' in text
    lines = text.split('\n')
    assert lines[2] == 'Baseline **intermediate**, generated 2026-11-24T00:00:00+00:00. **Not passed**.'
    for line in ('| 3 | 1 | 1 | 1 | 1 | 0 |',
                 '| host | status | baseline | openssh-9.2 | jsch-0.1.54-restricted-jce |',
                 '| good (127.0.0.1:22) | compliant | pass | ok (PQ) | ok (not PQ) |',   # 1.3: kex post-quantum
                 '| classic (127.0.0.1:2222) | non-compliant | 1 fail, 0 warn | ok (PQ) | FAIL |',
                 '| gone (127.0.0.1:1) | unreachable | n/a | n/a | n/a |',
                 '- baseline: `aes256-cbc` (ciphers) FAIL: CBC mode in SSH allows plaintext recovery. Source: '
                 + CBC_SOURCE,
                 '- client **jsch-0.1.54-restricted-jce** cannot connect: ' + JSCH_FAILURE,
                 '- remediation (conflicts, see below):',
                 '  - ciphers: `aes256-ctr`',
                 'Unreachable (refused): connection refused'):
        assert line in lines, line
    assert [line for line in lines if line.startswith('## ')] == [
        '## Checks beyond algorithm names', '## classic', '## gone', '## Observed clients']
    for line in ('| host | terrapin | post_quantum | host_keys | moduli | throttling |',
                 '| good | pass | pass | not run | not run | not run |',
                 '| gone | n/a | n/a | n/a | n/a | n/a |'):
        assert line in lines, line
    assert any(line.startswith('- check host_keys not run: host keys were not gathered') for line in lines)
    assert text.endswith('Unreachable (refused): connection refused\n\n## Observed clients\n\nNo client observations were '
                         'loaded (playbooks/observe.yml stores them).\n')


def test_html_is_self_contained_and_escapes_server_text(fleet, clients, probe_result):
    hostile = dict(fleet, evil=probe_result(banner='SSH-2.0-</script><img src=x onerror=alert(1)>'))
    page = render(build_report(hostile, 'intermediate', clients), 'html')
    assert '<img src=x' not in page and '</script><img' not in page
    assert not re.search(r'(src|href)=["\']?(https?:)?//', page)  # no external assets
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)['summary']['hosts'] == 4
    assert json.loads(data)['hosts'][3]['banner'] == 'SSH-2.0-</script><img src=x onerror=alert(1)>'
    assert 'SSH-2.0-\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e' in data
    assert page.count('<script') == 2 and page.count('</script>') == 2
    assert [tag for tag, attrs in _Page(page).tags if tag in ('img', 'link', 'iframe', 'object')] == []


def test_html_renders_hostile_text_as_text(probe_result):
    """A hostile host name, banner, algorithm name, client name and probe message stay text: escaped in HTML text
    and attributes, \\u-escaped in the data island, never a tag and never the end of a <script>."""
    hosts = {HOSTILE: probe_result(['aes256-ctr', HOSTILE], banner='SSH-2.0-' + HOSTILE),
             'down': {'failed': True, 'reason': HOSTILE, 'msg': HOSTILE, 'address': HOSTILE, 'port': 22}}
    clients = ['openssh-9.2', dict(load_profile('jsch-0.1.54-restricted-jce'), name=HOSTILE)]
    report = build_report(hosts, 'intermediate', clients)
    report['baseline'] = HOSTILE  # the page's title and heading (a baseline name is a file name: hostile too)
    page = to_html(report)
    escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;&lt;/script&gt;&lt;!--'
    assert '<script>alert' not in page and '<!--' not in page
    assert page.count('<script') == 2 and page.count('</script>') == 2  # the data island and the page's code
    for fragment in ('<title>SSH/SFTP compliance: %s</title>' % escaped,
                     '<th>%s</th>' % escaped,  # the client's column
                     '<tr data-host="%s"><th scope="row">%s<br><small>127.0.0.1:22</small></th>' % (escaped, escaped),
                     'data-host="%s" data-client="%s" title="Algorithm negotiation fail: ' % (escaped, escaped),
                     '<td><code>%s</code></td>' % escaped,  # the violation's algorithm
                     '<tr><td>down</td><td>%s</td><td>%s</td></tr>' % (escaped, escaped),
                     'title="host unreachable (%s): %s"' % (escaped, escaped)):
        assert fragment in page, fragment

    parsed = _Page(page)
    assert sorted({tag for tag, attrs in parsed.tags}) == [
        'b', 'body', 'br', 'code', 'div', 'h1', 'h2', 'h3', 'head', 'html', 'meta', 'p', 'script', 'small', 'span',
        'style', 'table', 'tbody', 'td', 'th', 'thead', 'title', 'tr']
    assert [attrs for tag, attrs in parsed.tags if tag == 'script'] == [
        {'type': 'application/json', 'id': 'report-data'}, {}]
    assert all(name in ('type', 'id', 'class', 'data-host', 'data-client', 'title', 'lang', 'charset', 'name',
                        'content', 'scope', 'role', 'hidden', 'data-check') for tag, attrs in parsed.tags
               for name in attrs)
    cells = [attrs for tag, attrs in parsed.tags if tag == 'td' and 'cell' in attrs.get('class', '')]
    assert [(attrs['data-host'], attrs['data-client']) for attrs in cells] == [
        (HOSTILE, 'openssh-9.2'), (HOSTILE, HOSTILE), ('down', 'openssh-9.2'), ('down', HOSTILE)]
    assert HOSTILE in cells[1]['title'] and cells[3]['title'] == 'host unreachable (%s): %s' % (HOSTILE, HOSTILE)
    text = ''.join(parsed.text)
    assert text.count(HOSTILE) >= 8  # title, heading, column, row, violation, unreachable reason and message ...
    data = json.loads(parsed.scripts[0])  # the whole island is one JSON text: nothing in it closed the element
    assert data['baseline'] == HOSTILE and data['clients'][1] == HOSTILE
    assert [host['name'] for host in data['hosts']] == [HOSTILE, 'down']
    assert data['hosts'][0]['banner'] == 'SSH-2.0-' + HOSTILE and data['hosts'][1]['message'] == HOSTILE
    assert '<' not in parsed.scripts[0] and '&' not in parsed.scripts[0]


def test_html_template_output_fragments(report):
    """The page's fixed structure, line by line, for the fixture's fleet."""
    page = to_html(report)
    lines = page.split('\n')
    assert lines[:4] == ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
                         '<meta name="viewport" content="width=device-width, initial-scale=1">',
                         '<title>SSH/SFTP compliance: intermediate</title>']
    assert page.endswith('</script></body></html>\n') and not page.endswith('\n\n')
    assert lines[4] == '<style>' and lines[5].startswith(':root {')
    expected = [
        '</style></head><body>',
        '<h1>SSH/SFTP compliance report</h1>',
        '<div class="meta">Baseline <b>intermediate</b> &middot; generated 2026-11-24T00:00:00+00:00 &middot; schema '
        'fleetcrypto.sftp/compliance-report 1.3</div>',
        '<span id="verdict" class="verdict fail">NOT PASSED</span>',
        '<div class="cards">',
        '<div class="card" id="card-hosts"><b>3</b>hosts</div>',
        '<div class="card" id="card-compliant"><b>1</b>compliant</div>',
        '<div class="card" id="card-non_compliant"><b>1</b>non-compliant</div>',
        '<div class="card" id="card-unreachable"><b>1</b>unreachable</div>',
        '<div class="card" id="card-client_failures"><b>1</b>client failures</div>',
        '<div class="card" id="card-terrapin_exposed"><b>0</b>Terrapin-exposed</div>',
        '<div class="card" id="card-terrapin_violations"><b>0</b>Terrapin rule violated</div>',
        '<div class="card" id="card-without_post_quantum"><b>0</b>without post-quantum kex</div>',
        '<div class="card" id="card-host_key_findings"><b>0</b>host-key findings</div>',
        '<div class="card" id="card-moduli_findings"><b>0</b>moduli findings</div>',
        '<div class="card" id="card-throttling_findings"><b>0</b>throttling findings</div>',
        '<div class="card" id="card-checks_not_run"><b>2</b>hosts with checks not run</div>',
        '<div class="card" id="card-handshake_proven"><b>0</b>clients proven by handshake</div>',
        '<div class="card" id="card-connections_without_post_quantum"><b>1</b>connections without post-quantum kex'
        '</div>',
        '</div>',
        '<h2>Who can connect</h2><p>Click a cell for the reason (also on hover).</p>',
        '<div id="detail" role="status" hidden></div><div class="matrix-wrap"><table id="matrix"><thead><tr>'
        '<th>host</th><th>status</th><th>baseline</th><th>Terrapin</th>',
        '<th>openssh-9.2</th>',
        '<th>jsch-0.1.54-restricted-jce</th>',
        '</tr></thead><tbody>',
        '<tr data-host="good"><th scope="row">good<br><small>127.0.0.1:22</small></th><td class="status-compliant">'
        'compliant</td><td>pass</td><td>no</td>',
        '<td class="cell ok" data-host="good" data-client="openssh-9.2" title="agreed: sntrup761x25519-sha512 / '
        'ssh-ed25519 / chacha20-poly1305@openssh.com / AEAD; predicted only; key exchange post-quantum">agreed<br>'
        '<small class="pq">PQ</small></td>',
        '<td class="cell ok" data-host="good" data-client="jsch-0.1.54-restricted-jce" title="agreed: '
        'ecdh-sha2-nistp256 / ecdsa-sha2-nistp256 / aes128-ctr / hmac-sha2-256; predicted only; key exchange NOT '
        'post-quantum">agreed<br><small class="pq">not PQ</small></td>',
        '</tr>',
        '<tr data-host="classic"><th scope="row">classic<br><small>127.0.0.1:2222</small></th>'
        '<td class="status-non_compliant">non-compliant</td><td>1 fail, 0 warn</td><td>no</td>',
        '<td class="cell ok" data-host="classic" data-client="openssh-9.2" title="agreed: sntrup761x25519-sha512 / '
        'ssh-ed25519 / aes256-ctr / hmac-sha2-256-etm@openssh.com; predicted only; key exchange post-quantum">'
        'agreed<br><small class="pq">PQ</small></td>',
        '<td class="cell fail" data-host="classic" data-client="jsch-0.1.54-restricted-jce" title="%s">FAILED</td>'
        % JSCH_FAILURE.replace('"', '&#34;'),
        '</tr>',
        '<tr data-host="gone"><th scope="row">gone<br><small>127.0.0.1:1</small></th><td class="status-unreachable">'
        'unreachable</td><td>n/a</td><td>n/a</td>',
        '<td class="cell unreachable" data-host="gone" data-client="openssh-9.2" title="host unreachable (refused): '
        'connection refused">n/a</td>',
        '<td class="cell unreachable" data-host="gone" data-client="jsch-0.1.54-restricted-jce" title="host '
        'unreachable (refused): connection refused">n/a</td>',
        '</tr>',
        '</tbody></table></div>',
        '<h2>Baseline violations</h2>',
        '<table id="violations"><thead><tr><th>host</th><th>category</th><th>algorithm</th><th>rating</th>'
        '<th>reason</th><th>source</th></tr></thead><tbody>',
        '<tr><td>classic</td><td>ciphers</td><td><code>aes256-cbc</code></td><td class="rating-fail">fail</td>'
        '<td>CBC mode in SSH allows plaintext recovery</td><td>%s</td></tr>' % CBC_SOURCE,
        '</tbody></table>',
        '<h2>Checks beyond algorithm names</h2>',
        '<p>Host keys, group-exchange moduli, the Terrapin rule, post-quantum key exchange and throttling, as'
        " the host's baseline rates them. FAIL counts against the host; noted findings are shown, not counted"
        '; not run says why.</p>',
        '<table id="checks"><thead><tr><th>host</th>',
        '<th>terrapin</th>',
        '<th>post_quantum</th>',
        '<th>host_keys</th>',
        '<th>moduli</th>',
        '<th>throttling</th>',
        '</tr></thead><tbody>',
        '<tr data-host="good"><th scope="row">good</th>',
        '<td class="check-pass" data-check="terrapin">pass</td>',
        '<td class="check-pass" data-check="post_quantum">pass</td>',
        '<td class="check-not-run" data-check="host_keys">not run</td>',
        '<td class="check-not-run" data-check="moduli">not run</td>',
        '<td class="check-not-run" data-check="throttling">not run</td>',
        '</tr>',
        '<tr data-host="classic"><th scope="row">classic</th>',
        '<td class="check-pass" data-check="terrapin">pass</td>',
        '<td class="check-pass" data-check="post_quantum">pass</td>',
        '<td class="check-not-run" data-check="host_keys">not run</td>',
        '<td class="check-not-run" data-check="moduli">not run</td>',
        '<td class="check-not-run" data-check="throttling">not run</td>',
        '</tr>',
        '</tbody></table>',
        '<table id="findings"><thead><tr><th>host</th><th>check</th><th>subject</th><th>rating</th><th>reason'
        '</th><th>fix</th><th>source</th></tr></thead><tbody>',
        '<tr data-host="good" class="not-run"><td>good</td><td>host_keys</td><td></td><td>not run</td><td>hos'
        't keys were not gathered: run algorithms_info with host_keys=true (the audit playbook does unless fl'
        'eetcrypto_host_keys=false)</td><td></td><td></td></tr>',
        '<tr data-host="good" class="not-run"><td>good</td><td>moduli</td><td></td><td>not run</td><td>the gr'
        'oup sizes were not gathered: probe with algorithms_info moduli: true (playbooks/audit.yml does unles'
        's fleetcrypto_moduli is false)</td><td></td><td></td></tr>',
        '<tr data-host="good" class="not-run"><td>good</td><td>throttling</td><td></td><td>not run</td><td>th'
        'e daemon&#39;s throttling settings were not gathered: they are read on the node (fleetcrypto.sftp.da'
        'emon_info; playbooks/audit.yml with fleetcrypto_audit_daemon=true)</td><td></td><td></td></tr>',
        '<tr data-host="classic" class="not-run"><td>classic</td><td>host_keys</td><td></td><td>not run</td><'
        'td>host keys were not gathered: run algorithms_info with host_keys=true (the audit playbook does unl'
        'ess fleetcrypto_host_keys=false)</td><td></td><td></td></tr>',
        '<tr data-host="classic" class="not-run"><td>classic</td><td>moduli</td><td></td><td>not run</td><td>'
        'the group sizes were not gathered: probe with algorithms_info moduli: true (playbooks/audit.yml does'
        ' unless fleetcrypto_moduli is false)</td><td></td><td></td></tr>',
        '<tr data-host="classic" class="not-run"><td>classic</td><td>throttling</td><td></td><td>not run</td>'
        '<td>the daemon&#39;s throttling settings were not gathered: they are read on the node (fleetcrypto.s'
        'ftp.daemon_info; playbooks/audit.yml with fleetcrypto_audit_daemon=true)</td><td></td><td></td></tr>',
        '</tbody></table>',
        '<h2>Unreachable hosts</h2>',
        '<table id="unreachable"><thead><tr><th>host</th><th>reason</th><th>message</th></tr></thead><tbody>',
        '<tr><td>gone</td><td>refused</td><td>connection refused</td></tr>',
        '</tbody></table>',
        '<h2>Remediation</h2>',
        '<h3>classic</h3><table class="remediation">',
        '<tr><th>kex</th><td><code>sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,'
        'curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,'
        'diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,'
        'diffie-hellman-group14-sha256</code></td></tr>',
        '<tr><th>host_key</th><td><code>ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256</code></td></tr>',
        '<tr><th>ciphers</th><td><code>aes256-ctr</code></td></tr>',
        '<tr><th>macs</th><td><code>hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256'
        '</code></td></tr>',
        '</table>',
    ]
    assert '\n'.join(expected) in page  # whole lines, in this order, nothing between them
    conflict = [line for line in lines if line.startswith('<p class="rating-fail">Conflict: ')]
    assert conflict == ['<p class="rating-fail">Conflict: client jsch-0.1.54-restricted-jce shares no ciphers with '
                        'what the server offers now, and what else the server supports is not known here (the role '
                        'asks the daemon; or pass supported) (Algorithm negotiation fail: algorithmName=&#34;cipher.c2s'
                        '&#34; jschProposal=&#34;aes128-ctr,aes128-cbc,3des-ctr,3des-cbc,blowfish-cbc&#34; '
                        'serverProposal=&#34;aes256-ctr&#34;)</p>']
    assert '\n'.join(expected[-5:] + conflict) in page
    observed = ['<h2>Observed clients</h2>',
                '<p id="observed-none">No client observations were loaded: only the required clients above were '
                'predicted. Run playbooks/observe.yml to see the clients each server really has.</p>']
    assert '\n'.join(conflict + observed) in page
    island = lines[lines.index(conflict[0]) + 3]
    assert island.startswith('<script type="application/json" id="report-data">{"baseline": "intermediate", ')
    assert island.endswith('</script>')
    assert json.loads(island[len('<script type="application/json" id="report-data">'):-len('</script>')]) == dict(
        report, hosts_omitted=0)
    assert lines[lines.index(island) + 1:] == ['<script>'] + JS_LINES + ['</script></body></html>', '']
    assert '<p>None.</p>' not in page and 'Nothing to remediate' not in page and 'id="omitted"' not in page


def test_html_renders_missing_values_as_empty_and_missing_cells(clients, probe_result):
    """A host never probed has no address or port (None prints as nothing); a host with its own client list has
    an empty cell under the other clients."""
    entries = [{'name': 'new', 'result': {}}, {'name': 'own', 'result': probe_result(), 'clients': ['openssh-9.2']}]
    page = to_html(build_report(entries, 'intermediate', clients))
    assert '<tr data-host="new"><th scope="row">new<br><small>:</small></th>' in page
    assert 'title="host unreachable (not probed): no probe result for this host">n/a</td>' in page
    own = page.split('<tr data-host="own">', 1)[1].split('</tr>', 1)[0]
    assert own.endswith('">agreed<br><small class="pq">PQ</small></td>\n<td></td>\n')
    assert '<p>None.</p>\n<h2>Checks beyond algorithm names</h2>' in page  # no violations
    assert '<tr><td>new</td><td>not probed</td><td>no probe result for this host</td></tr>' in page
    assert '<p>Nothing to remediate.</p>' in page


def test_html_template_environment_is_strict_and_built_once(report):
    template = writers._template()  # pylint: disable=protected-access
    assert writers._template() is template  # pylint: disable=protected-access
    environment = template.environment
    assert environment.autoescape is True and environment.undefined is jinja2.StrictUndefined
    broken = dict(report)
    del broken['generated_at']
    with pytest.raises(jinja2.UndefinedError, match='generated_at'):
        to_html(broken)


EMPTY_FLEET = {
    'json': lambda text: json.loads(text)['hosts'] == [] and json.loads(text)['summary']['hosts'] == 0,
    'html': lambda text: ('<div class="card" id="card-hosts"><b>0</b>hosts</div>' in text
                          and 'id="observed-none"' in text and 'card-observed' not in text
                          and '<span id="verdict" class="verdict pass">PASSED</span>' in text
                          and text.count('<p>None.</p>') == 2 and '<p>Nothing to remediate.</p>' in text
                          and '<tr data-host' not in text),
    'markdown': lambda text: ('| 0 | 0 | 0 | 0 | 0 | 0 |' in text and '. All hosts pass.' in text
                              and 'No client observations were loaded' in text),
    'csv': lambda text: text == ','.join(CSV_FIELDS) + '\n',
    'junit': lambda text: ET.fromstring(text).attrib == {
        'name': 'fleetcrypto.sftp compliance (modern)', 'tests': '0', 'failures': '0', 'errors': '0'},
}


@pytest.mark.parametrize('fmt', FORMATS)
def test_every_format_renders_an_empty_fleet(fmt):
    assert render(build_report({}, 'modern', []), fmt)
    assert EMPTY_FLEET[fmt](render(build_report({}, 'modern', []), fmt))


def test_unknown_format():
    with pytest.raises(ValueError, match='known: json'):
        render(build_report({}, 'modern', []), 'pdf')
    with pytest.raises(ValueError, match=r"^unknown report format 'pdf' \(known: json, html, markdown, csv, junit\)$"):
        render(build_report({}, 'modern', []), 'pdf')


def test_html_for_a_large_fleet_lists_failing_hosts_first(fleet, clients):
    hosts = dict(('ok%02d' % index, fleet['good']) for index in range(5))
    hosts.update(fleet)
    report = build_report(hosts, 'intermediate', clients)
    page = to_html(report, max_hosts=3)
    matrix = page.split('<table id="matrix">', 1)[1].split('</table>', 1)[0]
    rows = re.findall(r'<tr data-host="([^"]+)"', matrix)
    assert rows == ['classic', 'gone', 'ok00']
    assert '5 compliant hosts are not listed' in page
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    assert data['hosts_omitted'] == 5 and data['summary']['hosts'] == 8
    assert [host['name'] for host in data['hosts']] == ['classic', 'gone', 'ok00']
    assert ('<p id="omitted">5 compliant hosts are not listed on this page; compliance.json, .csv and .xml have '
            'every host.</p>') in page
    assert '<div class="card" id="card-hosts"><b>8</b>hosts</div>' in page  # the summary counts every host
    whole = to_html(report).split('<table id="matrix">', 1)[1].split('</table>', 1)[0]
    assert re.findall(r'<tr data-host="([^"]+)"', whole) == [host['name'] for host in report['hosts']]
    assert 'id="omitted"' not in to_html(report, max_hosts=8)


OBSERVED_JSCH = 'observed JSch_0.1.54 #312582cf'  # conftest.py's observed JSch


def _logged_label(report):
    return report['hosts'][1]['observed_clients'][0]['client']


def test_csv_has_a_row_per_observed_client(observed_report):
    rows = list(csv.DictReader(io.StringIO(render(observed_report, 'csv'))))
    observed = [row for row in rows if row['kind'] == 'observed']
    assert [(row['host'], row['client']) for row in observed] == [
        ('good', OBSERVED_JSCH), ('classic', _logged_label(observed_report))]
    jsch = observed[0]
    assert (jsch['compatible'], jsch['target_compatible'], jsch['locked_out'], jsch['connections']) == (
        'True', 'False', 'True', '12')
    assert jsch['cipher_c2s'] == 'aes128-ctr' and jsch['messages'] == ''
    assert jsch['target_messages'].startswith('Algorithm negotiation fail: algorithmName="kex"')
    logged = observed[1]
    assert (logged['compatible'], logged['failed_categories'], logged['locked_out']) == ('False', 'cipher', 'False')
    assert [row['kind'] for row in rows].count('required') == 3


def test_junit_has_a_case_per_observed_client(observed_report, fleet, observations):
    root = ET.fromstring(render(observed_report, 'junit'))
    good = root.find("testsuite[@name='good']")
    case = good.find("testcase[@name='%s']" % OBSERVED_JSCH)
    failure = case.find('failure')
    assert failure.get('type') == 'lockout'
    assert failure.get('message').startswith('the baseline target would lock it out: Algorithm negotiation fail')
    assert failure.text.startswith('today: connects (ecdh-sha2-nistp256 / ecdsa-sha2-nistp256 / aes128-ctr / '
                                   'hmac-sha2-256); under the baseline target: cannot connect: Algorithm')
    assert failure.text.endswith('; 12 connections from 198.51.100.7 (10), 198.51.100.8 (2)')
    logged = root.find("testsuite[@name='classic']/testcase[@name='%s']/failure" % _logged_label(observed_report))
    assert logged.get('type') == 'negotiation' and 'not judged: kex, host_key, mac, compression' in logged.text
    accepted = build_report({'good': fleet['good']}, 'modern', ['openssh-9.2'], today='2026-11-24',
                            observed=observations, observed_exceptions=[
                                {'hassh': '312582cf', 'reason': 'retired, ticket 3', 'expires': '2099-01-01'}])
    root = ET.fromstring(render(accepted, 'junit'))
    skipped = root.find("testsuite/testcase[@name='%s']/skipped" % OBSERVED_JSCH)
    assert skipped.get('message') == 'accepted: retired, ticket 3 (expires 2099-01-01)'
    # with the three checks whose facts the fixture lacks (host keys, moduli, throttling), skipped too
    assert root.get('skipped') == '4' and root.find('testsuite').get('skipped') == '4'


def test_markdown_shows_observed_columns_and_section(observed_report):
    text = render(observed_report, 'markdown')
    lines = text.split('\n')
    logged = _logged_label(observed_report)
    assert ('| host | status | baseline | openssh-9.2 | %s (observed) | %s (observed) |' % (OBSERVED_JSCH, logged)
            in lines)
    assert '| good (127.0.0.1:22) | non-compliant | 0 fail, 9 warn | ok (PQ) | target FAILS |  |' in lines
    assert '| classic (127.0.0.1:2222) | non-compliant | 1 fail, 9 warn | ok (PQ) |  | FAILED |' in lines
    assert '2 observed on 2 host(s): 1 cannot connect today, 1 would be locked out by the baseline target.' in lines
    row = [line for line in lines if line.startswith('| %s | SSH-2.0-JSCH-0.1.54 |' % OBSERVED_JSCH)][0]
    assert '| 12 connections from 198.51.100.7 (10), 198.51.100.8 (2) | ok | FAIL: Algorithm negotiation fail' in row
    assert row.endswith(' **LOCKED OUT** |')
    assert 'no stored observation for this host (playbooks/observe.yml writes observed/<host>.json)' in lines


def test_html_shows_observed_clients_beside_required_ones(observed_report):
    page = to_html(observed_report)
    logged = _logged_label(observed_report)
    assert ('<th>openssh-9.2</th>\n<th class="observed">%s<br><small>observed</small></th>\n<th class="observed">%s'
            '<br><small>observed</small></th>\n</tr></thead><tbody>' % (OBSERVED_JSCH, logged)) in page
    good = page.split('<tr data-host="good">', 1)[1].split('</tr>', 1)[0]
    assert ('<td class="cell lockout observed" data-host="good" data-client="%s" title="today: connects ('
            % OBSERVED_JSCH) in good
    assert good.endswith('>target FAILS</td>\n<td class="observed"></td>\n')
    classic = page.split('<tr data-host="classic">', 1)[1].split('</tr>', 1)[0]
    assert '<td class="cell fail observed" data-host="classic" data-client="%s" title="today: cannot' % logged in classic
    assert '<div class="card" id="card-observed_locked_out"><b>1</b>locked out by the target</div>' in page
    assert '<div class="card" id="card-observed_clients"><b>2</b>observed clients</div>' in page
    assert '<h2>Observed clients</h2>' in page and 'id="observed-none"' not in page
    assert '<table class="observed-clients" data-host="good">' in page
    assert '<td class="lockout">target FAILS</td></tr>' in page
    assert '<p id="observed-missing">No stored observation: gone.</p>' in page
    parsed = _Page(page)
    cells = [attrs for tag, attrs in parsed.tags if tag == 'td' and 'observed' in attrs.get('class', '').split()
             and 'cell' in attrs.get('class', '').split()]
    assert [(attrs['data-host'], attrs['data-client'], attrs['class']) for attrs in cells] == [
        ('good', OBSERVED_JSCH, 'cell lockout observed'), ('classic', logged, 'cell fail observed')]
    data = json.loads(parsed.scripts[0])
    assert data['observed_clients'] == [OBSERVED_JSCH, logged] and data['schema_version'] == '1.3'


def test_observed_hostile_text_stays_text(probe_result, make_observed_client):
    """A client's banner, software, address and a log message are the client's words: escaped everywhere."""
    client = make_observed_client(banner='SSH-2.0-' + HOSTILE, addresses=((HOSTILE, 3),))
    client['software'] = {'product': HOSTILE, 'version': '1'}
    failure = {'address': HOSTILE, 'category': 'kex', 'client_list': ['diffie-hellman-group1-sha1'], 'count': 1,
               'message': HOSTILE, 'daemon': 'openssh', 'client_banner': 'SSH-2.0-' + HOSTILE}
    stored = {'host': 'h', 'clients': [client], 'failures': [failure],
              'capture': {'failed': True, 'msg': HOSTILE}, 'collected_at': HOSTILE}
    report = build_report({'h': probe_result()}, 'modern', ['openssh-9.2'], observed={'h': stored})
    page = to_html(report)
    assert '<script>alert' not in page and '<!--' not in page
    assert page.count('<script') == 2 and page.count('</script>') == 2
    parsed = _Page(page)
    assert sorted({tag for tag, attrs in parsed.tags}) == [
        'b', 'body', 'br', 'code', 'div', 'h1', 'h2', 'h3', 'head', 'html', 'meta', 'p', 'script', 'small', 'span',
        'style', 'table', 'tbody', 'td', 'th', 'thead', 'title', 'tr']
    text = ''.join(parsed.text)
    assert 'SSH-2.0-' + HOSTILE in text and 'capture failed: ' + HOSTILE in text
    assert json.loads(parsed.scripts[0])['hosts'][0]['observed_clients'][0]['banner'] == 'SSH-2.0-' + HOSTILE
    markdown = render(report, 'markdown')
    assert '\n' + HOSTILE not in markdown and '|' not in HOSTILE
    rows = list(csv.DictReader(io.StringIO(render(report, 'csv'))))
    assert len([row for row in rows if row['kind'] == 'observed']) == 2
    ET.fromstring(render(report, 'junit'))  # well-formed


def test_hostile_observed_clients_render_as_text(probe_result, make_observed_client):
    """A client's banner and a daemon's logged line are whatever a stranger on the network sent: printable, but
    never markup, a Markdown cell break or a spreadsheet formula in any report."""
    banner = 'SSH-2.0-</script><img_src=x_onerror=alert(1)>|=cmd()'
    observed = {'good': {'clients': [make_observed_client(banner=banner, addresses=(('=1+1', 1),))],
                         'failures': [{'address': '203.0.113.9', 'category': 'cipher', 'direction': None,
                                       'client_list': ['aes128-cbc'], 'server_list': None, 'count': 1,
                                       'first_seen': None, 'last_seen': None, 'daemon': 'openssh',
                                       'message': 'Unable to negotiate <b>x</b> | y'}]}}
    report = build_report({'good': probe_result()}, 'modern', ['openssh-9.2'], today='2026-11-24',
                          generated_at='2026-11-24T00:00:00+00:00', observed=observed)
    page = render(report, 'html')
    assert page.count('<script') == 2 and page.count('</script>') == 2
    assert '<img' not in page and '<b>x</b>' not in page
    assert '&lt;/script&gt;&lt;img_src=x_onerror=alert(1)&gt;' in page
    markdown = render(report, 'markdown')
    assert banner not in markdown and '\\|=cmd()' in markdown
    for row in csv.DictReader(io.StringIO(render(report, 'csv'))):
        assert all(not value.startswith(('=', '+', '-', '@')) for value in row.values() if value)
