# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report_write action plugin, run for real by ansible-playbook on localhost."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
FILES = ['compliance.csv', 'compliance.html', 'compliance.json', 'compliance.md', 'compliance.xml']
FIRST, SECOND = '2026-11-24T09:00:00+00:00', '2026-11-25T09:00:00+00:00'


def make_report(generated_at, ciphers=('aes256-ctr', 'aes128-ctr')):
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    offer['encryption_algorithms_client_to_server'] = offer['encryption_algorithms_server_to_client'] = list(ciphers)
    result = {'failed': False, 'address': '127.0.0.1', 'port': 22, 'banner': 'SSH-2.0-OpenSSH_9.2p1', 'offer': offer}
    return build_report({'sftp1': result}, 'intermediate', ['openssh-9.2'], today='2026-11-24',
                        generated_at=generated_at)


def play(tmp_path, report, tasks, check=False):
    """Run ``tasks`` (name -> report_write arguments) in one playbook; return name -> registered result."""
    steps = [{'name': name, 'fleetcrypto.sftp.report_write': args, 'register': 'r%d' % index, 'ignore_errors': True}
             for index, (name, args) in enumerate(tasks)]
    results = os.path.join(str(tmp_path), 'results.json')
    steps.append({'name': 'save', 'check_mode': False, 'ansible.builtin.copy': {'dest': results, 'content': '{{ {%s} | to_json }}' % ', '.join(
        "'%s': r%d" % (name, index) for index, (name, dummy) in enumerate(tasks))}})
    with open(os.path.join(str(tmp_path), 'vars.json'), 'w') as handle:
        json.dump({'fleet_report': report}, handle)
    playbook = os.path.join(str(tmp_path), 'playbook.yml')
    with open(playbook, 'w') as handle:
        json.dump([{'hosts': 'localhost', 'gather_facts': False, 'vars_files': ['vars.json'], 'tasks': steps}], handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ['FLEETCRYPTO_COLLECTIONS_PATH'],
               ANSIBLE_HOME=os.path.join(str(tmp_path), 'ansible-home'), ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_RETRY_FILES_ENABLED='false')
    proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', playbook] + (['--check'] if check else []),
                          env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with open(results) as handle:
        return json.load(handle)


def snapshot(dest):
    """File name -> (mtime_ns, content) of every file in ``dest``."""
    state = {}
    for name in sorted(os.listdir(dest)):
        with open(os.path.join(dest, name), 'rb') as handle:
            state[name] = (os.stat(os.path.join(dest, name)).st_mtime_ns, handle.read())
    return state


def test_writes_every_format_then_a_new_timestamp_alone_changes_nothing(tmp_path):
    dest = str(tmp_path / 'reports')
    first = play(tmp_path, make_report(FIRST), [('write', {'report_var': 'fleet_report', 'dest': dest})])['write']
    assert first['changed'] is True and not first.get('failed'), first
    assert sorted(os.listdir(dest)) == FILES
    assert first['changed_formats'] == ['json', 'html', 'markdown', 'csv', 'junit']
    assert first['files']['markdown'] == os.path.join(dest, 'compliance.md')
    with open(os.path.join(dest, 'compliance.json')) as handle:
        assert json.load(handle) == make_report(FIRST)
    # Back-date the files, so that a rewrite within the same clock tick would still show.
    for name in FILES:
        os.utime(os.path.join(dest, name), ns=(10 ** 18, 10 ** 18))
    before = snapshot(dest)

    again = play(tmp_path, make_report(SECOND), [('same', {'report': '{{ fleet_report }}', 'dest': dest})])['same']
    assert again['changed'] is False and again['changed_formats'] == [], again
    assert snapshot(dest) == before  # nothing written: content (with the first timestamp) and mtimes kept

    # Anything else that differs writes the new report, with its new timestamp, to every file that changed.
    changed = play(tmp_path, make_report(SECOND, ciphers=('aes256-ctr',)), [('new', {
        'report_var': 'fleet_report', 'dest': dest})])['new']
    assert changed['changed'] is True and 'json' in changed['changed_formats'], changed
    with open(os.path.join(dest, 'compliance.json')) as handle:
        assert json.load(handle)['generated_at'] == SECOND
    with open(os.path.join(dest, 'compliance.md')) as handle:
        assert SECOND in handle.read()


def test_check_mode_writes_nothing(tmp_path):
    dest = str(tmp_path / 'reports')
    result = play(tmp_path, make_report(FIRST), [
        ('check', {'report_var': 'fleet_report', 'dest': dest, 'formats': ['json', 'csv'], 'basename': 'fleet'})],
        check=True)['check']
    assert result['changed'] is True and result['changed_formats'] == ['json', 'csv'], result
    assert result['files'] == {'json': os.path.join(dest, 'fleet.json'), 'csv': os.path.join(dest, 'fleet.csv')}
    assert not os.path.exists(dest)


BAD_ARGUMENTS = {
    'unknown_format': ({'formats': ['json', 'pdf']}, 'value of formats must be one or more of: json, html, markdown'),
    'both': ({'report_var': 'fleet_report'}, 'mutually exclusive: report|report_var'),
    'neither': ({'report': None}, 'one of the following is required: report, report_var'),
    'no_dest': ({'dest': None}, 'missing required arguments: dest'),
    'basename_path': ({'basename': 'sub/compliance'}, 'basename must be a plain file name'),
    'basename_hidden': ({'basename': '.hidden'}, 'basename must be a plain file name'),
    'not_a_report': ({'report': {'hosts': []}}, 'report must be a compliance_report result'),
    'undefined_var': ({'report': None, 'report_var': 'no_such_var'}, 'report must be a compliance_report result'),
    'unknown_option': ({'colour': 'red'}, 'Unsupported parameters'),
}


def test_bad_arguments_fail_clearly(tmp_path):
    tasks = []
    for name, (changes, dummy) in sorted(BAD_ARGUMENTS.items()):
        args = {'report': '{{ fleet_report }}', 'dest': str(tmp_path / 'reports')}
        args.update(changes)
        tasks.append((name, {key: value for key, value in args.items() if value is not None}))
    results = play(tmp_path, make_report(FIRST), tasks)
    for name, (dummy, message) in BAD_ARGUMENTS.items():
        assert results[name].get('failed') and message in results[name]['msg'], (name, results[name])
    assert not os.path.exists(str(tmp_path / 'reports'))
