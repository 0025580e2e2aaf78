# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The small fleet that test_model.py and test_writers.py share: a compliant host, a classic aes256-only host
that JSch cannot reach and a host that refused the probe; and what observe.yml stored for two of them (an
unlisted JSch seen on the compliant host, an old client in the classic host's log)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report

JSCH_HASSH = '312582cf316cc624febf82f5e389cf92'  # HASSH of JSch 0.1.55 on a restricted JCE (its KEXINIT's lists)
OBSERVED_JSCH = 'observed JSch_0.1.54 #312582cf'


def observed_client(profile='jsch-0.1.54-restricted-jce', banner='SSH-2.0-JSCH-0.1.54', hassh=JSCH_HASSH,
                    connections=12, addresses=(('198.51.100.7', 10), ('198.51.100.8', 2))):
    """An observed_clients_info entry."""
    lists = load_profile(profile)
    return {'banner': banner, 'proposal': {key: list(lists[key]) for key in NAME_LIST_KEYS}, 'hassh': hassh,
            'connections': connections, 'first_seen': '2026-11-23T10:00:00Z', 'last_seen': '2026-11-23T11:00:00Z',
            'addresses': [{'address': address, 'connections': count} for address, count in addresses]}


def _observations():
    return {
        'good': {'host': 'good', 'collected_at': '2026-11-23T11:00:00Z', 'seconds': 3600, 'ports': [22],
                 'capture': {'capture_method': 'tcpdump', 'connections_seen': 14, 'clients_recorded': 12,
                             'skipped': {'total': 2, 'reasons': {'closed': 2}}, 'truncated': {'total': 0, 'reasons': {}}},
                 'clients': [observed_client()],
                 'logs': {}, 'failures': []},
        'classic': {'host': 'classic', 'clients': [], 'capture': {'capture_method': 'tcpdump'},
                    'failures': [{'address': '203.0.113.9', 'category': 'cipher', 'direction': None,
                                  'client_list': ['aes128-cbc', '3des-cbc'], 'server_list': None, 'count': 3,
                                  'first_seen': '2026-11-22T08:00:00Z', 'last_seen': '2026-11-23T08:00:00Z',
                                  'daemon': 'openssh', 'message': 'Unable to negotiate with 203.0.113.9 port 50000: '
                                  'no matching cipher found. Their offer: aes128-cbc,3des-cbc [preauth]'}]},
    }


@pytest.fixture
def make_observed_client():
    """A factory of observed_clients_info entries (see observed_client)."""
    return observed_client


@pytest.fixture
def observations():
    return _observations()


@pytest.fixture(scope='module')
def observed_report(probe_result):
    """The fleet's report for the "modern" baseline with the stored observations: under modern's target the JSch
    on "good" would be locked out."""
    return build_report(_fleet(probe_result), 'modern', ['openssh-9.2'], today='2026-11-24',
                        generated_at='2026-11-24T00:00:00+00:00', observed=_observations())


def _fleet(probe_result):
    return {
        'good': probe_result(),
        'classic': probe_result(['aes256-ctr', 'aes256-cbc'], port=2222),
        'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'address': '127.0.0.1', 'port': 1},
    }


@pytest.fixture
def clients():
    return ['openssh-9.2', 'jsch-0.1.54-restricted-jce']


@pytest.fixture
def fleet(probe_result):
    return _fleet(probe_result)


@pytest.fixture(scope='module')
def report(probe_result):
    """The fleet's report, fixed in time; shared by a module's tests, which must not change it."""
    return build_report(_fleet(probe_result), 'intermediate', ['openssh-9.2', 'jsch-0.1.54-restricted-jce'],
                        today='2026-11-24', generated_at='2026-11-24T00:00:00+00:00')
