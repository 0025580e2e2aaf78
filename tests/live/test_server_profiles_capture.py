# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Server profiles captured here (``captured_with: sshd|proftpd|dropbear``) must equal what the installed server sends:
each is started on 127.0.0.1 as scripts/capture_server_profiles.py starts it, probed once, and stopped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile, \
    server_profile_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

from capture_server_profiles import KINDS, as_document, capture, installed  # noqa: E402  pylint: disable=wrong-import-position


def _captured_profiles():
    profiles = [load_server_profile(name) for name in server_profile_names()]
    return [(profile['name'], profile['captured_with']) for profile in profiles
            if profile['captured_with'] in KINDS and not profile.get('alias')]


def test_the_installable_servers_have_captured_profiles():
    kinds = {kind for dummy, kind in _captured_profiles()}
    assert {'sshd', 'proftpd', 'dropbear'} <= kinds


@pytest.mark.parametrize('name,kind', _captured_profiles())
def test_server_profile_equals_what_the_installed_server_sends(name, kind, tmp_path):
    if kind not in installed():
        pytest.skip('%s is not installed here' % kind)
    stored = load_server_profile(name)
    document = as_document(kind, capture(kind, str(tmp_path), timeout=20.0))
    if document['name'] != stored['name']:
        pytest.skip('installed %s is %s, the profile is of %s' % (kind, document['name'], stored['name']))
    assert document['banner'] == stored['banner']
    assert document['host_keys'] == stored['host_keys']
    for key in NAME_LIST_KEYS:
        assert document[key] == stored[key], (name, key)
    if kind == 'sshd':
        # `ssh -Q` of the same build: what the release can be configured to offer.
        assert document['supported'] == stored['supported'], name
