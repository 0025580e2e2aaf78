# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data shared by the unit tests, from ``tests/unit/fixtures`` (each file says where it comes from)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')


def _read(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return yaml.safe_load(handle) if name.endswith('.yml') else handle.read()


@pytest.fixture
def fixture_file():
    """``fixture_file(name)``: a file of tests/unit/fixtures, parsed when it is YAML, else its text."""
    return _read


@pytest.fixture
def classic_server():
    """An sshd 9.2 proposal with the brief's classic failure (Ciphers aes256-ctr,aes256-cbc); a fresh copy each
    time, so a test may change it."""
    return copy.deepcopy(_read('classic-server.yml'))


@pytest.fixture
def openssh_92_supported():
    """What OpenSSH 9.2p1 supports per baseline category (``ssh -Q``)."""
    return copy.deepcopy(_read('openssh-9.2-supported.yml'))


def _probe_result(ciphers=None, banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', port=22, address='127.0.0.1'):
    profile = load_profile('openssh-9.2')
    offer = {key: list(profile[key]) for key in NAME_LIST_KEYS}
    offer['kex_algorithms'] = offer['kex_algorithms'][:-2] + ['ext-info-s', 'kex-strict-s-v00@openssh.com']
    offer['server_host_key_algorithms'] = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519']
    offer['mac_algorithms_client_to_server'] = offer['mac_algorithms_server_to_client'] = [
        'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256']
    if ciphers:
        offer['encryption_algorithms_client_to_server'] = offer['encryption_algorithms_server_to_client'] = ciphers
    return {'failed': False, 'address': address, 'port': port, 'banner': banner,
            'software': {'product': 'OpenSSH', 'version': '9.2p1'}, 'offer': offer}


@pytest.fixture(scope='session')
def probe_result():
    """A factory: ``probe_result(ciphers=None, banner=..., port=22, address='127.0.0.1')`` is an algorithms_info
    result of an sshd 9.2 with strict kex, Ed25519/ECDSA/RSA host keys and EtM MACs (and ``ciphers`` when given)."""
    return _probe_result
