# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The observed_proposals filter: observed clients as labelled client proposals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.negotiate import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.filter.observed_proposals import FilterModule, observed_proposals
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile


def test_captured_and_logged_clients_become_proposals(probe_result):
    assert FilterModule().filters() == {'observed_proposals': observed_proposals}
    profile = load_profile('putty-0.78')
    stored = {'clients': [{'banner': 'SSH-2.0-PuTTY_Release_0.78', 'connections': 1,
                           'proposal': {key: profile[key] for key in NAME_LIST_KEYS}}],
              'failures': [{'address': '192.0.2.1', 'category': 'kex', 'client_list': ['diffie-hellman-group1-sha1'],
                            'count': 1}]}
    proposals = observed_proposals(stored)
    assert proposals[0]['name'].startswith('observed PuTTY_0.78 #') and len(proposals[0]['name']) == 29
    assert proposals[1]['name'].startswith('logged kex failure #') and proposals[1]['partial'] is True
    assert negotiate(probe_result(), proposals[0])['compatible'] is True
    partial = negotiate(probe_result(), proposals[1])
    assert partial['compatible'] is False and partial['failures'][0]['category'] == 'kex'


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='^observed_proposals: observed clients must be a list'):
        observed_proposals('nope')
