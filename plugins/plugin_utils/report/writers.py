# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writers for the compliance report model (``report.build_report``): JSON, a self-contained HTML page,
Markdown, CSV (one row per host x client) and JUnit XML (one test case per host x client and per host baseline
check). Each returns text; the playbooks write it to files. Everything from servers or inventory is escaped for
the format it lands in.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import html
import io
import json
import xml.etree.ElementTree as ET

FORMATS = ('json', 'html', 'markdown', 'csv', 'junit')
EXTENSIONS = {'json': 'json', 'html': 'html', 'markdown': 'md', 'csv': 'csv', 'junit': 'xml'}


def render(report, fmt):
    """The report in ``fmt`` (one of FORMATS)."""
    writers = {'json': to_json, 'html': to_html, 'markdown': to_markdown, 'csv': to_csv, 'junit': to_junit}
    if fmt not in writers:
        raise ValueError('unknown report format %r (known: %s)' % (fmt, ', '.join(FORMATS)))
    return writers[fmt](report)


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + '\n'


def _failure_text(item):
    if item['compatible'] is None:
        return 'host unreachable'
    return '; '.join(failure['message'] for failure in item['failures'])


def _agreed(item):
    negotiated = item.get('negotiated') or {}
    return '%s / %s / %s / %s' % (negotiated.get('kex'), negotiated.get('host_key'), negotiated.get('cipher_c2s'),
                                  negotiated.get('mac_c2s') or 'AEAD')


def _md(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def to_markdown(report):
    summary = report['summary']
    verdict = 'All hosts pass' if summary['passed'] else '**Not passed**'
    lines = ['# SSH/SFTP compliance report', '',
             'Baseline **%s**, generated %s. %s.' % (_md(report['baseline']), report['generated_at'], verdict),
             '',
             '| hosts | compliant | non-compliant | unreachable | client failures | Terrapin-exposed |',
             '| ---: | ---: | ---: | ---: | ---: | ---: |',
             '| %(hosts)d | %(compliant)d | %(non_compliant)d | %(unreachable)d | %(client_failures)d | '
             '%(terrapin_exposed)d |' % summary, '',
             '| host | status | baseline | ' + ' | '.join(_md(name) for name in report['clients']) + ' |',
             '| --- | --- | --- |' + ' --- |' * len(report['clients'])]
    for host in report['hosts']:
        cells = {item['client']: item for item in host['clients']}
        row = ['%s (%s:%s)' % (_md(host['name']), _md(host['address']), host['port']), host['status'].replace('_', '-')]
        if host['evaluation'] is None:
            row.append('n/a')
        else:
            counts = host['evaluation']['counts']
            row.append('pass' if host['evaluation']['passed'] else '%d fail, %d warn' % (counts['fail'], counts['warn']))
        for name in report['clients']:
            item = cells.get(name)
            row.append('' if item is None else ('n/a' if item['compatible'] is None else
                                                ('ok' if item['compatible'] else 'FAIL')))
        lines.append('| ' + ' | '.join(row) + ' |')
    for host in report['hosts']:
        if host['status'] == 'compliant':
            continue
        lines += ['', '## %s' % _md(host['name']), '']
        if host['status'] == 'unreachable':
            lines.append('Unreachable (%s): %s' % (_md(host['reason']), _md(host['message'])))
            continue
        for violation in host['evaluation']['violations']:
            lines.append('- baseline: `%s` (%s) %s: %s. Source: %s' % (
                _md(violation['algorithm']), violation['category'], violation['rating'].upper(),
                _md(violation['reason']), _md(violation['source'])))
        for item in host['clients']:
            if not item['compatible']:
                lines.append('- client **%s** cannot connect: %s' % (_md(item['client']), _md(_failure_text(item))))
        plan = host.get('remediation')
        if plan:
            lines.append('- remediation%s:' % ('' if plan['ok'] else ' (conflicts, see below)'))
            for category, names in plan['target'].items():
                lines.append('  - %s: `%s`' % (category, _md(','.join(names))))
            for conflict in plan['conflicts']:
                lines.append('  - conflict: %s' % _md(conflict['message']))
    return '\n'.join(lines) + '\n'


CSV_FIELDS = ('host', 'address', 'port', 'status', 'baseline', 'baseline_passed', 'client', 'compatible', 'kex',
              'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c', 'failed_categories', 'messages',
              'terrapin_exposed')


def _csv_safe(value):
    """Spreadsheets run cells starting with = + - @ as formulas; a server's banner must not."""
    text = '' if value is None else str(value)
    return "'" + text if text[:1] in ('=', '+', '-', '@', '\t', '\r') else text


def to_csv(report):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator='\n')
    writer.writeheader()
    for host in report['hosts']:
        passed = None if host['evaluation'] is None else host['evaluation']['passed']
        no_client = {'client': None, 'compatible': None, 'negotiated': None, 'failures': [], 'terrapin_exposed': None}
        for item in host['clients'] or [no_client]:
            negotiated = item.get('negotiated') or {}
            row = {'host': host['name'], 'address': host['address'], 'port': host['port'], 'status': host['status'],
                   'baseline': host['baseline'], 'baseline_passed': passed, 'client': item['client'],
                   'compatible': item['compatible'], 'failed_categories': ' '.join(
                       sorted({failure['category'] for failure in item['failures']})),
                   'messages': _failure_text(item) if not item['compatible'] else '',
                   'terrapin_exposed': item['terrapin_exposed']}
            for key in ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c'):
                row[key] = negotiated.get(key)
            writer.writerow({key: _csv_safe(value) for key, value in row.items()})
    return out.getvalue()


def to_junit(report):
    """JUnit XML as CI systems read it: a suite per host; unreachable hosts are errors, not passes."""
    root = ET.Element('testsuites', name='fleetcrypto.sftp compliance (%s)' % report['baseline'])
    total = failures = errors = 0
    for host in report['hosts']:
        suite = ET.SubElement(root, 'testsuite', name=host['name'])
        cases = []
        baseline_case = ET.Element('testcase', classname=host['name'], name='baseline %s' % host['baseline'])
        if host['status'] == 'unreachable':
            ET.SubElement(baseline_case, 'error', message='unreachable (%s)' % host['reason'],
                          type=host['reason'] or 'unreachable').text = host['message']
        elif not host['evaluation']['passed']:
            text = '\n'.join('%s %s (%s): %s [%s]' % (
                item['rating'].upper(), item['algorithm'], item['category'], item['reason'], item['source'])
                for item in host['evaluation']['violations'])
            ET.SubElement(baseline_case, 'failure', message='%d algorithm(s) outside the baseline'
                          % len(host['evaluation']['violations']), type='baseline').text = text
        cases.append(baseline_case)
        for item in host['clients']:
            case = ET.Element('testcase', classname=host['name'], name='client %s' % item['client'])
            if item['compatible'] is None:
                ET.SubElement(case, 'error', message='host unreachable', type=host['reason'] or 'unreachable')
            elif not item['compatible']:
                ET.SubElement(case, 'failure', message=_failure_text(item)[:1000], type='negotiation').text = \
                    _failure_text(item)
            cases.append(case)
        suite.extend(cases)
        suite_failures = sum(1 for case in cases if case.find('failure') is not None)
        suite_errors = sum(1 for case in cases if case.find('error') is not None)
        suite.set('tests', str(len(cases)))
        suite.set('failures', str(suite_failures))
        suite.set('errors', str(suite_errors))
        total += len(cases)
        failures += suite_failures
        errors += suite_errors
    root.set('tests', str(total))
    root.set('failures', str(failures))
    root.set('errors', str(errors))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


_CSS = '''
:root { --ok: #1b7f3b; --fail: #b3261e; --warn: #a15c00; --grey: #6b6b6b; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.meta { color: var(--grey); margin-bottom: 1rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .6rem 1rem; min-width: 8rem; }
.card b { display: block; font-size: 1.5rem; }
.verdict { display: inline-block; padding: .2rem .6rem; border-radius: 4px; color: #fff; font-weight: 600; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--fail); }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f6; position: sticky; top: 0; }
td.cell { text-align: center; font-weight: 600; cursor: pointer; min-width: 4.5rem; }
td.ok { background: #e3f4e8; color: var(--ok); } td.fail { background: #fbe4e2; color: var(--fail); }
td.unreachable { background: #eee; color: var(--grey); }
.status-compliant { color: var(--ok); font-weight: 600; } .status-non_compliant { color: var(--fail); font-weight: 600; }
.status-unreachable { color: var(--grey); font-weight: 600; }
.rating-fail { color: var(--fail); font-weight: 600; } .rating-warn { color: var(--warn); font-weight: 600; }
#detail { border-left: 4px solid var(--fail); background: #fff8f7; padding: .5rem 1rem; margin: .5rem 0; }
#detail[hidden] { display: none; }
code { font-size: 12px; word-break: break-all; }
.matrix-wrap { overflow-x: auto; }
@media print { body { margin: 0; } th { position: static; } td.cell { cursor: auto; } #detail { display: none; }
  .matrix-wrap { overflow: visible; } h2 { page-break-after: avoid; } table { page-break-inside: auto; } }
'''

_JS = '''
document.querySelectorAll('td.cell').forEach(function (cell) {
  cell.addEventListener('click', function () {
    var box = document.getElementById('detail');
    box.textContent = cell.getAttribute('data-host') + ' / ' + cell.getAttribute('data-client') + ': ' +
      cell.getAttribute('title');
    box.hidden = false;
  });
});
'''


def _e(value):
    return html.escape('' if value is None else str(value), quote=True)


# A browser stays usable up to a few thousand table rows; beyond that the page lists the hosts that need
# attention first and says how many compliant ones it leaves to the other formats.
HTML_MAX_HOSTS = 1000


def _page_hosts(report, limit):
    hosts = report['hosts']
    if len(hosts) <= limit:
        return hosts, 0
    ranked = sorted(hosts, key=lambda host: host['status'] == 'compliant')  # stable: failing first, in order
    return ranked[:limit], len(hosts) - limit


def to_html(report, max_hosts=HTML_MAX_HOSTS):
    """A single page with no external assets: summary, host x client matrix (reason on hover or click),
    baseline violations with ratings and sources, Terrapin exposure, unreachable hosts, remediation.
    Fleets larger than ``max_hosts`` show that many hosts, non-compliant and unreachable ones first."""
    summary = report['summary']
    hosts, omitted = _page_hosts(report, max_hosts)
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>SSH/SFTP compliance: %s</title>' % _e(report['baseline']), '<style>%s</style></head><body>' % _CSS,
           '<h1>SSH/SFTP compliance report</h1>',
           '<div class="meta">Baseline <b>%s</b> &middot; generated %s &middot; schema %s %s</div>' % (
               _e(report['baseline']), _e(report['generated_at']), _e(report['schema']), _e(report['schema_version'])),
           '<span id="verdict" class="verdict %s">%s</span>' % (
               'pass' if summary['passed'] else 'fail', 'PASSED' if summary['passed'] else 'NOT PASSED'),
           '<div class="cards">']
    for key, label in (('hosts', 'hosts'), ('compliant', 'compliant'), ('non_compliant', 'non-compliant'),
                       ('unreachable', 'unreachable'), ('client_failures', 'client failures'),
                       ('terrapin_exposed', 'Terrapin-exposed')):
        out.append('<div class="card" id="card-%s"><b>%d</b>%s</div>' % (key, summary[key], label))
    out.append('</div>')

    out.append('<h2>Who can connect</h2><p>Click a cell for the reason (also on hover).</p>')
    if omitted:
        out.append('<p id="omitted">%d compliant hosts are not listed on this page; compliance.json, .csv and .xml '
                   'have every host.</p>' % omitted)
    out.append('<div id="detail" role="status" hidden></div><div class="matrix-wrap"><table id="matrix"><thead><tr>'
               '<th>host</th><th>status</th><th>baseline</th><th>Terrapin</th>')
    out.extend('<th>%s</th>' % _e(name) for name in report['clients'])
    out.append('</tr></thead><tbody>')
    for host in hosts:
        cells = {item['client']: item for item in host['clients']}
        evaluation = host['evaluation']
        baseline_cell = 'n/a' if evaluation is None else ('pass' if evaluation['passed'] else '%d fail, %d warn' % (
            evaluation['counts']['fail'], evaluation['counts']['warn']))
        terrapin = 'n/a' if host['terrapin_exposed'] is None else ('exposed' if host['terrapin_exposed'] else 'no')
        out.append('<tr data-host="%s"><th scope="row">%s<br><small>%s:%s</small></th><td class="status-%s">%s</td>'
                   '<td>%s</td><td>%s</td>' % (
                       _e(host['name']), _e(host['name']), _e(host['address']), _e(host['port']), _e(host['status']),
                       _e(host['status'].replace('_', '-')), _e(baseline_cell), terrapin))
        for name in report['clients']:
            item = cells.get(name)
            if item is None:
                out.append('<td></td>')
                continue
            if item['compatible'] is None:
                css, text, title = 'unreachable', 'n/a', 'host unreachable (%s): %s' % (host['reason'], host['message'])
            elif item['compatible']:
                css, text, title = 'ok', 'agreed', 'agreed: ' + _agreed(item)
            else:
                css, text, title = 'fail', 'FAILED', _failure_text(item)
            out.append('<td class="cell %s" data-host="%s" data-client="%s" title="%s">%s</td>' % (
                css, _e(host['name']), _e(name), _e(title), text))
        out.append('</tr>')
    out.append('</tbody></table></div>')

    out.append('<h2>Baseline violations</h2>')
    violations = [(host, item) for host in hosts if host['evaluation']
                  for item in host['evaluation']['violations']]
    if violations:
        out.append('<table id="violations"><thead><tr><th>host</th><th>category</th><th>algorithm</th><th>rating</th>'
                   '<th>reason</th><th>source</th></tr></thead><tbody>')
        for host, item in violations:
            out.append('<tr><td>%s</td><td>%s</td><td><code>%s</code></td><td class="rating-%s">%s</td><td>%s</td>'
                       '<td>%s</td></tr>' % (_e(host['name']), _e(item['category']), _e(item['algorithm']),
                                             _e(item['rating']), _e(item['rating']), _e(item['reason']),
                                             _e(item['source'])))
        out.append('</tbody></table>')
    else:
        out.append('<p>None.</p>')

    unreachable = [host for host in report['hosts'] if host['status'] == 'unreachable']
    out.append('<h2>Unreachable hosts</h2>')
    if unreachable:
        out.append('<table id="unreachable"><thead><tr><th>host</th><th>reason</th><th>message</th></tr></thead><tbody>')
        out.extend('<tr><td>%s</td><td>%s</td><td>%s</td></tr>' % (
            _e(host['name']), _e(host['reason']), _e(host['message'])) for host in unreachable)
        out.append('</tbody></table>')
    else:
        out.append('<p>None.</p>')

    out.append('<h2>Remediation</h2>')
    plans = [host for host in hosts if host.get('remediation')]
    if not plans:
        out.append('<p>Nothing to remediate.</p>')
    for host in plans:
        plan = host['remediation']
        out.append('<h3>%s</h3><table class="remediation">' % _e(host['name']))
        for category, names in plan['target'].items():
            out.append('<tr><th>%s</th><td><code>%s</code></td></tr>' % (_e(category), _e(','.join(names))))
        out.append('</table>')
        for addition in plan['additions']:
            out.append('<p>Added for %s: <code>%s</code> (%s)</p>' % (_e(addition['client']), _e(addition['algorithm']),
                                                                      _e(addition['allowed_by'])))
        for conflict in plan['conflicts']:
            out.append('<p class="rating-fail">Conflict: %s</p>' % _e(conflict['message']))
    data = json.dumps(dict(report, hosts=hosts, hosts_omitted=omitted), sort_keys=True).replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
    out.append('<script type="application/json" id="report-data">%s</script>' % data)
    out.append('<script>%s</script></body></html>' % _JS)
    return '\n'.join(out) + '\n'
