# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Server profiles captured here (``captured_with: proftpd|dropbear``) must equal what the installed server sends:
each is started on 127.0.0.1 as scripts/capture_server_profiles.py starts it, probed once, and stopped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import DATA_DIR

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from capture_server_profiles import KINDS, as_document, capture, installed  # noqa: E402  pylint: disable=wrong-import-position

SERVER_PROFILE_DIR = os.path.join(DATA_DIR, 'server_profiles')


def _captured_profiles():
    found = []
    for file_name in sorted(os.listdir(SERVER_PROFILE_DIR)) if os.path.isdir(SERVER_PROFILE_DIR) else []:
        with open(os.path.join(SERVER_PROFILE_DIR, file_name)) as handle:
            data = yaml.safe_load(handle)
        if data.get('captured_with') in KINDS:
            found.append((data['name'], data['captured_with']))
    return found


def test_the_installable_servers_have_captured_profiles():
    kinds = {kind for dummy, kind in _captured_profiles()}
    assert {'proftpd', 'dropbear'} <= kinds


@pytest.mark.parametrize('name,kind', _captured_profiles())
def test_server_profile_equals_what_the_installed_server_sends(name, kind, tmp_path):
    if kind not in installed():
        pytest.skip('%s is not installed here' % kind)
    with open(os.path.join(SERVER_PROFILE_DIR, name + '.yml')) as handle:
        stored = yaml.safe_load(handle)
    document = as_document(kind, capture(kind, str(tmp_path), timeout=20.0))
    if document['name'] != stored['name']:
        pytest.skip('installed %s is %s, the profile is of %s' % (kind, document['name'], stored['name']))
    assert document['banner'] == stored['banner']
    assert document['host_keys'] == stored['host_keys']
    for key in NAME_LIST_KEYS:
        assert document[key] == stored[key], (name, key)
