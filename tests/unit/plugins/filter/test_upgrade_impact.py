# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upgrade_impact filter on the small server profiles of test_upgrade (a data directory of its own)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.upgrade_impact import FilterModule, upgrade_impact
from ansible_collections.fleetcrypto.sftp.tests.unit.plugins.plugin_utils.predict.test_upgrade import KEX_92, \
    PSEUDO, library, probe  # noqa: F401 pylint: disable=unused-import

DH_ONLY = {'name': 'dh-only', 'software': {'product': 'OpenSSH', 'version': '9.2p1'},
           'kex': ['diffie-hellman-group14-sha256'], 'host_key': ['rsa-sha2-256'], 'ciphers': ['aes128-ctr'],
           'macs': ['hmac-sha2-256'], 'compression': ['none']}
MODERN = dict(DH_ONLY, name='modern', kex=['mlkem768x25519-sha256', 'curve25519-sha256'])
OLD = dict(DH_ONLY, name='old-kex', kex=['diffie-hellman-group1-sha1'])


def test_registered():
    assert FilterModule().filters()['upgrade_impact'] is upgrade_impact


def test_breaks_and_post_quantum_after_upgrade():
    impact = upgrade_impact(probe(), 'openssh-10.0', clients=[DH_ONLY, MODERN])
    assert impact['breaks'] == ['dh-only'] and impact['fixes'] == []
    dh, modern = impact['clients']
    assert dh['today']['compatible'] and not dh['after']['compatible'] and dh['breaks']
    assert dh['after']['failures'][0]['category'] == 'kex'
    assert dh['after']['failures'][0]['reason'] == 'no_common_algorithm'
    assert not modern['today']['post_quantum'] and modern['after']['post_quantum']
    assert modern['after']['negotiated']['kex'] == 'mlkem768x25519-sha256'
    assert set(dh['today']) == {'compatible', 'negotiated', 'failures', 'unknown', 'post_quantum', 'warnings'}
    assert {item['assumption'] for item in impact['assumptions']} == {'release_defaults'}


def test_fixes_and_explicit_settings():
    server = probe(kex_algorithms=['diffie-hellman-group1-sha1'] + PSEUDO)
    impact = upgrade_impact(server, 'openssh-10.0', [OLD, DH_ONLY], current='debian-12')
    assert impact['breaks'] == ['old-kex'] and impact['daemon_refuses_to_start'] is True
    assert impact['current'] == 'debian-12' and not impact['current_detected']


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='upgrade_impact: .*upgrade target'):
        upgrade_impact(probe(), 'nope-1.0', [])
    with pytest.raises(AnsibleFilterError, match='clients must be a list'):
        upgrade_impact(probe(), 'openssh-10.0', 'openssh-9.2')


def test_a_client_the_target_lets_in():
    mlkem_only = dict(DH_ONLY, name='mlkem-only', kex=['mlkem768x25519-sha256'])
    impact = upgrade_impact(probe(), 'openssh-10.0', [MODERN, mlkem_only])
    assert impact['fixes'] == ['mlkem-only'] and impact['clients'][1]['fixes']
    assert impact['clients'][0]['client'] == 'modern' and not impact['clients'][0]['fixes']


def test_a_server_profile_name_as_the_server():
    impact = upgrade_impact('debian-12', 'openssh-10.0', [DH_ONLY])
    assert impact['current'] == 'debian-12' and impact['breaks'] == ['dh-only']
