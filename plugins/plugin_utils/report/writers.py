# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writers for the compliance report model (``report.build_report``): JSON, a self-contained HTML page,
Markdown, CSV (one row per host x client) and JUnit XML (one test case per host x client and per host baseline
check). Each returns text; the playbooks write it to files. Everything from servers or inventory is escaped for
the format it lands in; the HTML page is a Jinja2 template (``templates/compliance.html.j2``) with autoescape.

Plain Python and Jinja2, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import csv
import io
import itertools
import json
import os
import xml.etree.ElementTree as ET

import jinja2
import markupsafe

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, NEGOTIATED_KEY

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


def pq_text(item):
    """A working connection's key exchange: ``PQ`` (a post-quantum hybrid) or ``not PQ``; '' otherwise (1.3)."""
    if not item.get('compatible') or item.get('post_quantum') is None:
        return ''
    return 'PQ' if item['post_quantum'] else 'not PQ'


def upgrade_targets_label(report):
    """The matrix's words for the after-upgrade columns: ``after upgrade to openssh-10.0`` (several targets: all
    named)."""
    targets = report.get('upgrade_targets') or []
    return 'after upgrade to %s' % ' / '.join(targets) if targets else ''


def upgrade_cells(host):
    """A host's after-upgrade verdict per client label (1.3): ``(kind, text, title)`` with kind ``breaks`` (works
    today, fails after), ``fixed`` (fails today, works after), ``ok``, ``fail`` (fails today and after) or
    ``unreachable``; empty without an upgrade."""
    upgrade = host.get('upgrade')
    if not upgrade:
        return {}
    cells = {}
    for item in upgrade['clients']:
        if item['compatible'] is None:
            cells[item['client']] = ('unreachable', 'n/a', upgrade.get('message') or 'not predicted')
            continue
        messages = '; '.join(failure['message'] for failure in item['failures'])
        title = 'after upgrade to %s: %s' % (upgrade['target'], 'connects (%s)' % pq_text(item)
                                             if item['compatible'] else 'cannot connect: ' + messages)
        if upgrade.get('daemon_refuses_to_start'):
            title += '; sshd would not start until its settings are edited: ' + '; '.join(upgrade['daemon_errors'])
        if item['breaks']:
            cells[item['client']] = ('breaks', 'BREAKS', title)
        elif item['fixes']:
            cells[item['client']] = ('fixed', 'fixed', title)
        elif item['compatible']:
            cells[item['client']] = ('ok', 'ok (%s)' % pq_text(item), title)
        else:
            cells[item['client']] = ('fail', 'FAILED', title)
    return cells


def upgrade_text(upgrade):
    """A host's upgrade assumptions in sentences."""
    parts = ['target %s, today taken as %s' % (upgrade['target'], upgrade['current'] or 'an unknown release')]
    if upgrade.get('message'):
        parts.append(upgrade['message'])
    for item in upgrade['assumptions']:
        parts.append('%s: %s (%s)' % (item['category'], item['assumption'], item['detail']))
    return '; '.join(parts)


def check_rows(host):
    """A host's checks beyond algorithm names, flattened for every format: ``(check, status, message,
    finding or None)``, one row per finding, and one row for a check without findings (passed, or not run and
    why). Empty for unreachable hosts."""
    rows = []
    evaluation = host.get('evaluation') or {}
    checks = evaluation.get('checks') or {}
    for name, check in checks.items():
        if check['findings']:
            rows.extend((name, check['status'], check['message'], item) for item in check['findings'])
        else:
            rows.append((name, check['status'], check['message'], None))
    return rows


def finding_text(item):
    """One finding in a sentence: rating, subject, reason, fix and source."""
    text = '%s %s: %s' % (item['rating'].upper(), item['subject'], item['reason'])
    if item.get('fix'):
        text += '. Fix: %s' % item['fix']
    return text + '. Source: %s' % item['source']


def _proof_text(item):
    proof = item.get('proof') or {}
    if item.get('proven_by') == 'handshake':
        return 'proven by a real handshake' if proof.get('proven') else 'handshake FAILED: %s' % proof.get('message')
    return 'predicted only' + (' (%s)' % proof['message'] if proof.get('message') else '')


def _md(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def observed_state(item):
    """How one observed client fares, as a matrix cell says it: ``(kind, text)`` with kind one of ``unreachable``
    (today not known), ``accepted`` (fails today or under the target, and an observed-client exception covers it),
    ``fail`` (cannot connect today), ``lockout`` (connects today, the target would lock it out) and ``ok``."""
    today = item['today']
    if today is None:
        return 'unreachable', 'n/a'
    if item['accepted']:
        return 'accepted', 'accepted'
    if not today['compatible']:
        return 'fail', 'FAILED'
    if item['locked_out']:
        return 'lockout', 'target FAILS'
    return 'ok', 'agreed'


def _connections_text(item):
    where = ', '.join('%s (%d)' % (address['address'], address['count']) for address in item['addresses'])
    return '%d connection%s%s' % (item['connections'], '' if item['connections'] == 1 else 's',
                                  ' from ' + where if where else '')


def _verdict_text(value, when):
    if value is None:
        return '%s: not known' % when
    if value['compatible']:
        text = '%s: connects' % when
        if value.get('negotiated'):
            text += ' (' + _agreed(value) + ')'
    else:
        text = '%s: cannot connect: %s' % (when, '; '.join(failure['message'] for failure in value['failures']))
    if value.get('unknown'):
        text += ' [not judged: %s]' % ', '.join(value['unknown'])
    return text


def observed_title(host, item):
    """The whole story of one observed client on one host, for a cell's title and the CSV/JUnit messages."""
    if item['today'] is None and host['status'] == 'unreachable':
        parts = ['host unreachable (%s): %s' % (host['reason'], host['message'])]
    else:
        parts = [_verdict_text(item['today'], 'today'), _verdict_text(item['target'], 'under the baseline target')]
    if item['exception'] is not None:
        parts.append('accepted by exception: %s (expires %s)' % (item['exception']['reason'],
                                                                 item['exception']['expires']))
    elif item.get('expired_exception') is not None:
        parts.append('its exception expired on %s' % item['expired_exception']['expires'])
    parts.append(_connections_text(item))
    return '; '.join(parts)


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
             '| Terrapin rule | without post-quantum kex | host-key findings | moduli findings | throttling findings '
             '| checks not run | clients proven by handshake |',
             '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
             '| %(terrapin_violations)d | %(without_post_quantum)d | %(host_key_findings)d | %(moduli_findings)d | '
             '%(throttling_findings)d | %(checks_not_run)d | %(handshake_proven)d |' % summary, '']
    after = upgrade_targets_label(report)
    lines += ['| connections without post-quantum kex | hosts with an upgrade | broken by the upgrade | fixed by the '
              'upgrade | daemon would not start |',
              '| ---: | ---: | ---: | ---: | ---: |',
              '| %d | %d | %d | %d | %d |' % (summary['connections_without_post_quantum'], summary['upgrade_hosts'],
                                              summary['broken_by_upgrade'], summary['fixed_by_upgrade'],
                                              summary['upgrade_daemon_failures']), '']
    headers = []
    for name in report['clients']:
        headers.append(_md(name))
        if after:
            headers.append('%s (%s)' % (_md(name), _md(after)))
    columns = headers + ['%s (observed)' % _md(name) for name in report['observed_clients']]
    lines += ['| host | status | baseline | ' + ' | '.join(columns) + ' |',
              '| --- | --- | --- |' + ' --- |' * len(columns)]
    for host in report['hosts']:
        cells = {item['client']: item for item in host['clients']}
        upgraded = upgrade_cells(host)
        observed = {item['client']: item for item in host['observed_clients']}
        row = ['%s (%s:%s)' % (_md(host['name']), _md(host['address']), host['port']), host['status'].replace('_', '-')]
        if host['evaluation'] is None:
            row.append('n/a')
        else:
            counts = host['evaluation']['counts']
            row.append('pass' if host['evaluation']['passed'] else '%d fail, %d warn' % (counts['fail'], counts['warn']))
        for name in report['clients']:
            item = cells.get(name)
            row.append('' if item is None else ('n/a' if item['compatible'] is None else
                                                ('ok (%s)' % pq_text(item) if item['compatible'] else 'FAIL')))
            if after:
                row.append(upgrade_cells(host).get(name, ('', '', ''))[1] if upgraded else '')
        for name in report['observed_clients']:
            item = observed.get(name)
            row.append('' if item is None else observed_state(item)[1])
        lines.append('| ' + ' | '.join(row) + ' |')
    lines += _markdown_checks(report)
    lines += _markdown_upgrade(report)
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
        for check, status, message, item in check_rows(host):
            if item is not None:
                lines.append('- check %s: %s' % (check, _md(finding_text(item))))
            elif status == 'not_run':
                lines.append('- check %s not run: %s' % (check, _md(message)))
        for item in host['clients']:
            if not item['compatible']:
                lines.append('- client **%s** cannot connect: %s' % (_md(item['client']), _md(_failure_text(item))))
            elif item.get('proven_by') == 'handshake':
                lines.append('- client **%s**: %s' % (_md(item['client']), _md(_proof_text(item))))
        plan = host.get('remediation')
        if plan:
            lines.append('- remediation%s:' % ('' if plan['ok'] else ' (conflicts, see below)'))
            for category, names in plan['target'].items():
                lines.append('  - %s: `%s`' % (category, _md(','.join(names))))
            for conflict in plan['conflicts']:
                lines.append('  - conflict: %s' % _md(conflict['message']))
    lines += _markdown_observed(report)
    return '\n'.join(lines) + '\n'


def check_cell(host, check):
    """A host's verdict for one check, as a table cell says it."""
    found = (host.get('checks') or {}).get(check)
    if found is None:
        return 'n/a'
    if found['status'] == 'not_run':
        return 'not run'
    if found['status'] == 'failed':
        return 'FAIL'
    return 'noted' if found['findings'] else 'pass'


def report_checks(report):
    """The checks that ran on any host of the report, in the order the evaluation lists them."""
    names = []
    for host in report['hosts']:
        for name in host.get('checks') or ():
            if name not in names:
                names.append(name)
    return names


def _markdown_checks(report):
    names = report_checks(report)
    if not names:
        return []
    lines = ['', '## Checks beyond algorithm names', '', '| host | ' + ' | '.join(names) + ' |',
             '| --- |' + ' --- |' * len(names)]
    for host in report['hosts']:
        lines.append('| %s | %s |' % (_md(host['name']), ' | '.join(check_cell(host, name) for name in names)))
    return lines


def _markdown_upgrade(report):
    hosts = [host for host in report['hosts'] if host.get('upgrade')]
    if not hosts:
        return []
    lines = ['', '## Upgrade impact', '', '%d connection(s) work today and fail after the upgrade; %d fail today and '
             'work after.' % (report['summary']['broken_by_upgrade'], report['summary']['fixed_by_upgrade'])]
    for host in hosts:
        upgrade = host['upgrade']
        lines += ['', '### %s: %s' % (_md(host['name']), _md(upgrade['target'])), '',
                  'Today taken as **%s**.' % _md(upgrade['current'] or 'an unknown release')]
        if upgrade.get('message'):
            lines.append(_md(upgrade['message']))
        if upgrade.get('daemon_refuses_to_start'):
            lines.append('**The daemon would not start** until its settings are edited: %s'
                         % _md('; '.join(upgrade['daemon_errors'])))
        for item in upgrade['assumptions']:
            lines.append('- %s: %s. %s' % (item['category'], item['assumption'], _md(item['detail'])))
        for item in upgrade['clients']:
            if item['breaks']:
                lines.append('- client **%s** BREAKS: %s' % (_md(item['client']), _md(
                    '; '.join(failure['message'] for failure in item['failures']))))
            elif item['fixes']:
                lines.append('- client **%s** can connect after the upgrade' % _md(item['client']))
    return lines


def _markdown_observed(report):
    lines = ['', '## Observed clients', '']
    if not report['summary']['observed_hosts']:
        lines.append('No client observations were loaded (playbooks/observe.yml stores them).')
        return lines
    lines.append('%(observed_clients)d observed on %(observed_hosts)d host(s): %(observed_failing)d cannot connect '
                 'today, %(observed_locked_out)d would be locked out by the baseline target.' % report['summary'])
    for host in report['hosts']:
        observation = host['observation']
        lines += ['', '### %s' % _md(host['name']), '']
        if not observation['available'] or observation['message']:
            lines.append(_md(observation['message']))
        if not observation['available']:
            continue
        if not host['observed_clients']:
            lines.append('No client was observed.')
            continue
        lines += ['| client | banner | hassh | connections | today | under the target |',
                  '| --- | --- | --- | --- | --- | --- |']
        for item in host['observed_clients']:
            state, text = observed_state(item)
            today = 'n/a' if item['today'] is None else ('ok' if item['today']['compatible'] else
                                                         'FAIL: ' + item['today']['message'])
            target = 'n/a' if item['target'] is None else ('ok' if item['target']['compatible'] else
                                                           'FAIL: ' + item['target']['message'])
            if state in ('lockout', 'accepted'):
                target += ' **%s**' % ('LOCKED OUT' if state == 'lockout' else 'accepted: ' + item['exception']['reason'])
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                _md(item['client']), _md(item['banner'] or ''), _md(item['hassh'] or ''),
                _md(_connections_text(item)), _md(today), _md(target)))
    return lines


# The negotiated slots of the categories baselines govern (kex, host key, ciphers and MACs per direction), in
# KEXINIT order: compression is left out of the CSV.
CSV_NEGOTIATED = tuple(key for slot, key in NEGOTIATED_KEY.items() if CATEGORY[slot[0]].governed)
CSV_FIELDS = ('host', 'address', 'port', 'status', 'baseline', 'baseline_passed', 'client', 'compatible') \
    + CSV_NEGOTIATED + ('failed_categories', 'messages', 'terrapin_exposed') \
    + ('kind', 'connections', 'target_compatible', 'target_messages', 'locked_out') \
    + ('proven_by', 'check', 'check_status', 'rating', 'subject', 'reason', 'fix', 'source') \
    + ('post_quantum', 'warnings', 'upgrade_target', 'upgrade_compatible', 'upgrade_messages', 'broken_by_upgrade')
# schema 1.1, 1.2 and 1.3 each added columns at the end


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
        upgrade = host.get('upgrade') or {}
        after = {item['client']: item for item in upgrade.get('clients') or ()}
        for item in host['clients'] or [no_client]:
            negotiated = item.get('negotiated') or {}
            row = {'host': host['name'], 'address': host['address'], 'port': host['port'], 'status': host['status'],
                   'baseline': host['baseline'], 'baseline_passed': passed, 'client': item['client'],
                   'compatible': item['compatible'], 'failed_categories': ' '.join(
                       sorted({failure['category'] for failure in item['failures']})),
                   'messages': _failure_text(item) if not item['compatible'] else '',
                   'terrapin_exposed': item['terrapin_exposed'], 'kind': 'required' if item['client'] else None,
                   'proven_by': item.get('proven_by'), 'post_quantum': item.get('post_quantum'),
                   'warnings': ' '.join(item.get('warnings') or ())}
            if item['client'] in after:
                later = after[item['client']]
                row.update({'upgrade_target': upgrade['target'], 'upgrade_compatible': later['compatible'],
                            'upgrade_messages': '; '.join(failure['message'] for failure in later['failures']),
                            'broken_by_upgrade': later['breaks']})
            for key in CSV_NEGOTIATED:
                row[key] = negotiated.get(key)
            writer.writerow({key: _csv_safe(value) for key, value in row.items()})
        for check, status, message, item in check_rows(host):
            row = {'host': host['name'], 'address': host['address'], 'port': host['port'], 'status': host['status'],
                   'baseline': host['baseline'], 'baseline_passed': passed, 'kind': 'check', 'check': check,
                   'check_status': status, 'reason': message}
            if item is not None:
                row.update({key: item.get(key) for key in ('rating', 'subject', 'reason', 'fix', 'source')})
            writer.writerow({key: _csv_safe(value) for key, value in row.items()})
        for item in host['observed_clients']:
            today, target = item['today'] or {}, item['target'] or {}
            negotiated = today.get('negotiated') or {}
            row = {'host': host['name'], 'address': host['address'], 'port': host['port'], 'status': host['status'],
                   'baseline': host['baseline'], 'baseline_passed': passed, 'client': item['client'],
                   'compatible': today.get('compatible'), 'failed_categories': ' '.join(
                       sorted({failure['category'] for failure in today.get('failures') or ()})),
                   'messages': '; '.join(failure['message'] for failure in today.get('failures') or ()),
                   'terrapin_exposed': None, 'kind': 'observed', 'connections': item['connections'],
                   'target_compatible': target.get('compatible'),
                   'target_messages': '; '.join(failure['message'] for failure in target.get('failures') or ()),
                   'locked_out': item['locked_out']}
            for key in CSV_NEGOTIATED:
                row[key] = negotiated.get(key)
            writer.writerow({key: _csv_safe(value) for key, value in row.items()})
    return out.getvalue()


def _junit_observed(host, item):
    """An observed client's test case: an error when the host is unreachable, a failure when it cannot connect
    today or the target would lock it out, skipped when an observed-client exception accepts that."""
    label = item['client']
    name = label if label.startswith(('observed ', 'logged ')) else 'observed %s' % label
    case = ET.Element('testcase', classname=host['name'], name=name)
    state, _text = observed_state(item)
    title = observed_title(host, item)
    if state == 'unreachable':
        ET.SubElement(case, 'error', message='host unreachable', type=host['reason'] or 'unreachable')
    elif state == 'accepted':
        ET.SubElement(case, 'skipped', message='accepted: %s (expires %s)' % (
            item['exception']['reason'], item['exception']['expires']))
    elif state == 'fail':
        ET.SubElement(case, 'failure', message=item['today']['message'][:1000], type='negotiation').text = title
    elif state == 'lockout':
        ET.SubElement(case, 'failure', message=('the baseline target would lock it out: %s'
                                                % item['target']['message'])[:1000], type='lockout').text = title
    return case


def _junit_checks(host):
    """One test case per check beyond algorithm names: a failure when a fail/warn finding counts against the
    host, skipped (with the reason) when the check could not run, passed otherwise (info findings in the output)."""
    cases = []
    for name, check in ((host.get('evaluation') or {}).get('checks') or {}).items():
        case = ET.Element('testcase', classname=host['name'], name='check %s' % name)
        text = '\n'.join(finding_text(item) for item in check['findings'])
        if check['status'] == 'failed':
            counted = [item for item in check['findings'] if item['rating'] != 'info']
            ET.SubElement(case, 'failure', message=('%d finding(s): %s' % (len(counted), '; '.join(
                item['subject'] for item in counted)))[:1000], type='check').text = text
        elif check['status'] == 'not_run':
            ET.SubElement(case, 'skipped', message=check['message'][:1000] or 'not run')
        elif text:
            ET.SubElement(case, 'system-out').text = text
        cases.append(case)
    return cases


def to_junit(report):
    """JUnit XML as CI systems read it: a suite per host; unreachable hosts are errors, not passes."""
    root = ET.Element('testsuites', name='fleetcrypto.sftp compliance (%s)' % report['baseline'])
    total = failures = errors = skipped = 0
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
        cases.extend(_junit_checks(host))
        for item in host['clients']:
            case = ET.Element('testcase', classname=host['name'], name='client %s' % item['client'])
            if item['compatible'] is None:
                ET.SubElement(case, 'error', message='host unreachable', type=host['reason'] or 'unreachable')
            elif not item['compatible']:
                ET.SubElement(case, 'failure', message=_failure_text(item)[:1000], type='negotiation').text = \
                    _failure_text(item)
            cases.append(case)
        for item in (host.get('upgrade') or {}).get('clients') or ():
            case = ET.Element('testcase', classname=host['name'], name='client %s after upgrade to %s'
                              % (item['client'], host['upgrade']['target']))
            if item['compatible'] is None:
                ET.SubElement(case, 'skipped', message=host['upgrade']['message'] or 'not predicted')
            elif item['breaks']:
                text = '; '.join(failure['message'] for failure in item['failures'])
                ET.SubElement(case, 'failure', message=('broken by the upgrade: %s' % text)[:1000],
                              type='upgrade').text = upgrade_text(host['upgrade'])
            elif not item['compatible']:
                ET.SubElement(case, 'skipped', message='cannot connect today either')
            cases.append(case)
        for item in host['observed_clients']:
            cases.append(_junit_observed(host, item))
        suite.extend(cases)
        suite_failures = sum(1 for case in cases if case.find('failure') is not None)
        suite_errors = sum(1 for case in cases if case.find('error') is not None)
        suite_skipped = sum(1 for case in cases if case.find('skipped') is not None)
        suite.set('tests', str(len(cases)))
        suite.set('failures', str(suite_failures))
        suite.set('errors', str(suite_errors))
        if suite_skipped:
            suite.set('skipped', str(suite_skipped))
        total += len(cases)
        failures += suite_failures
        errors += suite_errors
        skipped += suite_skipped
    root.set('tests', str(total))
    root.set('failures', str(failures))
    root.set('errors', str(errors))
    if skipped:
        root.set('skipped', str(skipped))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


# A browser stays usable up to a few thousand table rows; beyond that the page lists the hosts that need
# attention first and says how many compliant ones it leaves to the other formats.
HTML_MAX_HOSTS = 1000

_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')
_CARDS = (('hosts', 'hosts'), ('compliant', 'compliant'), ('non_compliant', 'non-compliant'),
          ('unreachable', 'unreachable'), ('client_failures', 'client failures'),
          ('terrapin_exposed', 'Terrapin-exposed'))
_CHECK_CARDS = (('terrapin_violations', 'Terrapin rule violated'), ('without_post_quantum', 'without post-quantum kex'),
                ('host_key_findings', 'host-key findings'), ('moduli_findings', 'moduli findings'),
                ('throttling_findings', 'throttling findings'), ('checks_not_run', 'hosts with checks not run'),
                ('handshake_proven', 'clients proven by handshake'),
                ('connections_without_post_quantum', 'connections without post-quantum kex'))
_UPGRADE_CARDS = (('broken_by_upgrade', 'connections broken by the upgrade'),
                  ('upgrade_daemon_failures', 'daemons that would not start after the upgrade'))
_OBSERVED_CARDS = (('observed_clients', 'observed clients'), ('observed_locked_out', 'locked out by the target'))
_Row = collections.namedtuple('_Row', 'name address port status status_label baseline terrapin cells observed')
_Cell = collections.namedtuple('_Cell', 'client css title text')
_Cell.__new__.__defaults__ = (None,)
# Each escaped value is a markupsafe.Markup, which the cyclic garbage collector tracks. Joining a 1,000-host
# page's ~200,000 of them at once (as Template.render does) runs the collector ~300 times, twice over the whole
# heap of a large audit, and doubles the time; joining the stream in small chunks frees them as it goes.
_JOIN_CHUNK = 256
_html_template = None


def _script_json(value):
    """JSON for ``<script type="application/json">``: with < > & as \\u escapes, no ``</script>`` or ``<!--`` in
    a server's banner can end the element, and the text parses as the same JSON. This is the one value the page
    does not autoescape (HTML entities are not decoded inside <script>, so escaping would corrupt the JSON);
    Markup tells Jinja2 it is already safe for this context."""
    text = json.dumps(value, sort_keys=True).replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
    return markupsafe.Markup(text)


def _template():
    """The page template, loaded and compiled once per process. Autoescape escapes every value for HTML text and
    attributes; StrictUndefined turns a misspelt name into an error; None renders as '' as it always has."""
    global _html_template  # pylint: disable=global-statement
    if _html_template is None:
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                         keep_trailing_newline=True, auto_reload=False,
                                         finalize=lambda value: '' if value is None else value)
        environment.filters['script_json'] = _script_json
        _html_template = environment.get_template('compliance.html.j2')
    return _html_template


def _page_hosts(report, limit):
    hosts = report['hosts']
    if len(hosts) <= limit:
        return hosts, 0
    ranked = sorted(hosts, key=lambda host: host['status'] == 'compliant')  # stable: failing first, in order
    return ranked[:limit], len(hosts) - limit


def _matrix_row(host, clients, observed_clients=(), after=False):
    """One matrix row as plain text; the template escapes it. Observed clients' cells follow the required ones';
    with ``after`` each required client's after-upgrade cell (css ``upgrade-<kind>``, see upgrade_cells) follows
    its cell."""
    cells = {item['client']: item for item in host['clients']}
    evaluation = host['evaluation']
    baseline_cell = 'n/a' if evaluation is None else ('pass' if evaluation['passed'] else '%d fail, %d warn' % (
        evaluation['counts']['fail'], evaluation['counts']['warn']))
    terrapin = 'n/a' if host['terrapin_exposed'] is None else ('exposed' if host['terrapin_exposed'] else 'no')
    row = []
    for name in clients:
        item = cells.get(name)
        if item is None:
            row.append(None)
        elif item['compatible'] is None:
            row.append(_Cell(name, 'unreachable', 'host unreachable (%s): %s' % (host['reason'], host['message'])))
        elif item['compatible']:
            title = 'agreed: %s; %s' % (_agreed(item), _proof_text(item))
            if item.get('post_quantum') is not None:
                title += '; key exchange %s' % ('post-quantum' if item['post_quantum'] else 'NOT post-quantum')
            if item.get('warnings'):
                title += '; the client warns: %s' % ' '.join(item['warnings'])
            row.append(_Cell(name, 'ok', title, pq_text(item)))
        else:
            row.append(_Cell(name, 'fail', _failure_text(item)))
        if after:
            found = upgrade_cells(host).get(name)
            row.append(_Cell(name, 'upgrade-' + found[0], found[2], found[1]) if found
                       else _Cell(name, 'upgrade-none', '', ''))
    observed = {item['client']: item for item in host['observed_clients']}
    observed_row = []
    for name in observed_clients:
        item = observed.get(name)
        observed_row.append(None if item is None else _Cell(name, observed_state(item)[0], observed_title(host, item)))
    return _Row(host['name'], host['address'], host['port'], host['status'], host['status'].replace('_', '-'),
                baseline_cell, terrapin, row, observed_row)


def _observed_rows(hosts):
    """Per host with an observation: (host, [(item, state, state text, connections text, today, target)])."""
    sections = []
    for host in hosts:
        if not host['observation']['available']:
            continue
        rows = []
        for item in host['observed_clients']:
            state, text = observed_state(item)
            today = 'n/a' if item['today'] is None else (
                'connects' if item['today']['compatible'] else item['today']['message'])
            target = 'n/a' if item['target'] is None else (
                'connects' if item['target']['compatible'] else item['target']['message'])
            rows.append((item, state, text, _connections_text(item), today, target))
        sections.append((host, rows))
    return sections


def to_html(report, max_hosts=HTML_MAX_HOSTS):
    """A single page with no external assets: summary, host x client matrix (reason on hover or click; observed
    clients after the required ones), baseline violations with ratings and sources, Terrapin exposure, unreachable
    hosts, remediation, and the observed clients per host.
    Fleets larger than ``max_hosts`` show that many hosts, non-compliant and unreachable ones first.
    Rendered from ``templates/compliance.html.j2``."""
    hosts, omitted = _page_hosts(report, max_hosts)
    observed_any = report['summary']['observed_hosts'] > 0
    after = upgrade_targets_label(report)
    headers = []
    for name in report['clients']:
        headers.append((name, None))
        if after:
            headers.append((name, after))
    parts = _template().generate(
        report=report, summary=report['summary'], client_headers=headers,
        upgrades=[host for host in hosts if host.get('upgrade')],
        cards=_CARDS + tuple(card for card in _CHECK_CARDS if card[0] in report['summary'])
        + (_UPGRADE_CARDS if report['summary'].get('upgrade_hosts') else ())
        + (_OBSERVED_CARDS if observed_any else ()),
        check_names=report_checks(dict(report, hosts=hosts)),
        check_table=[(host, [(name, check_cell(host, name)) for name in report_checks(dict(report, hosts=hosts))],
                      check_rows(host)) for host in hosts if host.get('checks')],
        omitted=omitted, rows=(_matrix_row(host, report['clients'], report['observed_clients'], bool(after))
                               for host in hosts),
        observed_sections=_observed_rows(hosts) if observed_any else [],
        not_observed=[host for host in hosts if not host['observation']['available']] if observed_any else [],
        violations=[host for host in hosts if host['evaluation'] and host['evaluation']['violations']],
        unreachable=[host for host in report['hosts'] if host['status'] == 'unreachable'],
        plans=[host for host in hosts if host.get('remediation')],
        data=dict(report, hosts=hosts, hosts_omitted=omitted))
    chunks = []
    while True:
        chunk = list(itertools.islice(parts, _JOIN_CHUNK))
        if not chunk:
            return ''.join(chunks)
        chunks.append(''.join(chunk))
