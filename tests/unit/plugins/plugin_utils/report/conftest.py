# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The small fleet that test_model.py and test_writers.py share: a compliant host, a classic aes256-only host
that JSch cannot reach and a host that refused the probe."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report


def _probe_result(ciphers=None, banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', port=22):
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    offer['kex_algorithms'] = offer['kex_algorithms'][:-2] + ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    offer['server_host_key_algorithms'] = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519']
    offer['mac_algorithms_client_to_server'] = offer['mac_algorithms_server_to_client'] = [
        'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256']
    if ciphers:
        offer['encryption_algorithms_client_to_server'] = offer['encryption_algorithms_server_to_client'] = ciphers
    return {'failed': False, 'address': '127.0.0.1', 'port': port, 'banner': banner,
            'software': {'product': 'OpenSSH', 'version': '9.2p1'}, 'offer': offer}


_FLEET = {
    'good': _probe_result(),
    'classic': _probe_result(['aes256-ctr', 'aes256-cbc'], port=2222),
    'gone': {'failed': True, 'reason': 'refused', 'msg': 'connection refused', 'address': '127.0.0.1', 'port': 1},
}


@pytest.fixture
def clients():
    return ['openssh-9.2', 'jsch-0.1.54-restricted-jce']


@pytest.fixture
def probe_result():
    """A factory: ``probe_result(ciphers=None, banner=..., port=22)`` is an algorithms_info result."""
    return _probe_result


@pytest.fixture
def fleet():
    return copy.deepcopy(_FLEET)


@pytest.fixture(scope='module')
def report():
    """The fleet's report, fixed in time; shared by a module's tests, which must not change it."""
    return build_report(copy.deepcopy(_FLEET), 'intermediate', ['openssh-9.2', 'jsch-0.1.54-restricted-jce'],
                        today='2026-11-24', generated_at='2026-11-24T00:00:00+00:00')
