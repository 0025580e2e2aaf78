# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as users get it: ``ansible-galaxy collection build`` of the files git knows, ``ansible-galaxy
collection install`` of that tarball, then the lookup and filters that read data/ files, run by ansible-playbook
with only the installed copy on the collections path (plugins/plugin_utils/data.py finds data/ from its own place)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import glob
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

from conftest import ANSIBLE_BIN, ansible_env, run_playbook

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Development trees galaxy.yml's build_ignore keeps out of the tarball.
NOT_SHIPPED = ('lab', 'tests', 'bench', 'scripts')
HTML_TEMPLATE = 'plugins/plugin_utils/report/templates/compliance.html.j2'

# The classic "could not agree" server: only aes256-ctr and aes256-cbc, as algorithms_info returns it.
SERVER = {
    'failed': False, 'address': '127.0.0.1', 'port': 22, 'banner': 'SSH-2.0-OpenSSH_9.2p1',
    'offer': {
        'kex_algorithms': ['curve25519-sha256', 'ecdh-sha2-nistp256', 'kex-strict-s-v00@openssh.com'],
        'server_host_key_algorithms': ['ssh-ed25519', 'ecdsa-sha2-nistp256'],
        'encryption_algorithms_client_to_server': ['aes256-ctr', 'aes256-cbc'],
        'encryption_algorithms_server_to_client': ['aes256-ctr', 'aes256-cbc'],
        'mac_algorithms_client_to_server': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
        'mac_algorithms_server_to_client': ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
        'compression_algorithms_client_to_server': ['none'],
        'compression_algorithms_server_to_client': ['none'],
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    },
}
CLIENTS = ['openssh-9.2', 'jsch-0.1.54-restricted-jce']
FORMATS = ('json', 'html', 'markdown', 'csv', 'junit')


def _source_files():
    """What a release is built from: the files git knows (tracked, or new and not ignored), as
    scripts/stage-collection.sh copies them; in such a staged copy (no .git of its own), every file."""
    if shutil.which('git'):
        top = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--show-toplevel'], capture_output=True, text=True,
                             check=False)
        if top.returncode == 0 and os.path.realpath(top.stdout.strip()) == os.path.realpath(ROOT):
            listed = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                                    capture_output=True, text=True, check=True).stdout.split('\0')
            # A file deleted in the work tree but not yet in git's index is not part of the build.
            return sorted(name for name in listed if name and os.path.isfile(os.path.join(ROOT, name)))
    found = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [name for name in dirs if name not in ('.git', '.venv', '__pycache__', '.pytest_cache')]
        found.extend(os.path.relpath(os.path.join(top, name), ROOT) for name in files if not name.endswith('.pyc'))
    return sorted(found)


def _galaxy(tmp_dir, install_dir, *args):
    proc = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-galaxy')] + list(args),
                          env=ansible_env(tmp_dir, install_dir), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """Build the collection from a copy of its source files and install the tarball (offline) into a
    collections path of its own; returns the source file list, the tarball's members and the paths."""
    tmp_dir = str(tmp_path_factory.mktemp('installed-collection'))
    source_dir = os.path.join(tmp_dir, 'source')
    files = _source_files()
    for name in files:
        target = os.path.join(source_dir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), target)
    build_dir = os.path.join(tmp_dir, 'build')
    install_dir = os.path.join(tmp_dir, 'collections')
    os.makedirs(install_dir)
    _galaxy(tmp_dir, install_dir, 'collection', 'build', '--output-path', build_dir, source_dir)
    tarballs = glob.glob(os.path.join(build_dir, 'fleetcrypto-sftp-*.tar.gz'))
    assert len(tarballs) == 1, os.listdir(build_dir)
    with tarfile.open(tarballs[0]) as tar:
        members = {member.name: member.isfile() for member in tar.getmembers()}
    _galaxy(tmp_dir, install_dir, 'collection', 'install', '--offline', '-p', install_dir, tarballs[0])
    return {'files': files, 'members': members, 'tmp_dir': tmp_dir, 'install_dir': install_dir,
            'root': os.path.join(install_dir, 'ansible_collections', 'fleetcrypto', 'sftp')}


def test_tarball_ships_plugins_and_data_but_no_development_trees(installed):
    members = installed['members']
    shipped = [name for name in installed['files'] if name.split('/')[0] in ('plugins', 'data')]
    assert [name for name in shipped if not members.get(name)] == []
    for pattern in ('data/client_profiles/*.yml', 'data/baselines/*.yml'):
        assert any(name for name in members if fnmatch.fnmatch(name, pattern)), pattern
    for name in ('plugins/plugin_utils/data.py', 'data/baselines/intermediate.yml', 'data/client_profiles/openssh-9.2.yml',
                 'MANIFEST.json', 'FILES.json'):
        assert members.get(name), name
    assert [name for name in members if name.split('/')[0] in NOT_SHIPPED] == []
    # Installed as built: every plugin and data file is in place.
    assert [name for name in shipped if not os.path.isfile(os.path.join(installed['root'], name))] == []


def test_installed_collection_reads_its_data_files(installed, tmp_path):
    listing = json.loads(_galaxy(str(tmp_path), installed['install_dir'], 'collection', 'list', 'fleetcrypto.sftp',
                                 '--format', 'json'))
    # The installed copy is the only one Ansible can see.
    assert list(listing) == [os.path.join(installed['install_dir'], 'ansible_collections')], listing
    tasks = [
        {'name': 'inputs', 'ansible.builtin.set_fact': {'server': SERVER, 'clients': CLIENTS}},
        {'name': 'profile', 'ansible.builtin.set_fact': {
            'profile': "{{ lookup('fleetcrypto.sftp.client_profile', 'openssh-9.2') }}",
            'names': "{{ query('fleetcrypto.sftp.client_profile') }}"}},
        {'name': 'negotiate', 'ansible.builtin.set_fact': {
            'openssh': "{{ server | fleetcrypto.sftp.negotiate('openssh-9.2') }}",
            'jsch': "{{ server | fleetcrypto.sftp.negotiate('jsch-0.1.54-restricted-jce') }}"}},
        {'name': 'evaluate', 'ansible.builtin.set_fact': {
            'evaluation': "{{ server | fleetcrypto.sftp.evaluate('intermediate') }}"}},
        {'name': 'report', 'ansible.builtin.set_fact': {
            'report': "{{ {'classic': server} | fleetcrypto.sftp.compliance_report('intermediate', clients,"
                      " today='2026-01-01', generated_at='2026-01-01T00:00:00+00:00') }}"}},
        {'name': 'render', 'ansible.builtin.set_fact': {
            fmt: "{{ report | fleetcrypto.sftp.report_render('%s') }}" % fmt for fmt in FORMATS}},
    ]
    results, _stdout = run_playbook(str(tmp_path), tasks, collections_path=installed['install_dir'])
    for name in ('inputs', 'profile', 'negotiate', 'evaluate', 'report', 'render'):
        assert not results[name].get('failed'), results[name]
    data = os.path.join(installed['root'], 'data')

    facts = results['profile']['ansible_facts']
    with open(os.path.join(data, 'client_profiles', 'openssh-9.2.yml')) as handle:
        stored = yaml.safe_load(handle)
    assert facts['profile']['name'] == 'openssh-9.2'
    for key in NAME_LIST_KEYS:
        assert facts['profile'][key] == stored[key], key
    assert facts['names'] == sorted(name[:-4] for name in os.listdir(os.path.join(data, 'client_profiles'))
                                    if name.endswith('.yml') and not name.startswith('_'))

    facts = results['negotiate']['ansible_facts']
    assert facts['openssh']['compatible'] is True
    assert facts['openssh']['negotiated']['cipher_c2s'] == 'aes256-ctr'
    assert facts['jsch']['compatible'] is False
    assert [(f['category'], f['direction']) for f in facts['jsch']['failures']] == [('cipher', 'c2s'), ('cipher', 's2c')]

    evaluation = results['evaluate']['ansible_facts']['evaluation']
    assert evaluation['baseline'] == 'intermediate' and evaluation['passed'] is False
    assert [(v['algorithm'], v['rating']) for v in evaluation['violations']] == [('aes256-cbc', 'fail')]

    report = results['report']['ansible_facts']['report']
    assert report['summary']['non_compliant'] == 1 and report['summary']['client_failures'] == 1
    assert report['clients'] == CLIENTS

    rendered = results['render']['ansible_facts']
    as_json = rendered['json'] if isinstance(rendered['json'], dict) else json.loads(rendered['json'])
    assert as_json['schema_version'] == report['schema_version']
    assert as_json['hosts'][0]['name'] == 'classic'
    for fmt in ('html', 'markdown', 'csv', 'junit'):
        assert 'jsch-0.1.54-restricted-jce' in rendered[fmt], fmt
    assert '<html' in rendered['html'].lower()
    if HTML_TEMPLATE in installed['files']:
        assert os.path.isfile(os.path.join(installed['root'], HTML_TEMPLATE))
