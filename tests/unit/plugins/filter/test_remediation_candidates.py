# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediation_candidates filter: names to ask a daemon about."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.remediation_candidates import (
    FilterModule,
    remediation_candidates,
)


def test_union_of_baseline_and_client_names():
    assert FilterModule().filters() == {'remediation_candidates': remediation_candidates}
    baseline_only = remediation_candidates('intermediate')
    with_client = remediation_candidates('intermediate', ['jsch-0.1.54-restricted-jce'])
    assert sorted(with_client) == ['ciphers', 'host_key', 'kex', 'macs']
    for category, names in baseline_only.items():
        assert set(names) <= set(with_client[category])
    assert 'blowfish-cbc' in with_client['ciphers'] and 'blowfish-cbc' not in baseline_only['ciphers']
    assert 'aes256-gcm@openssh.com' in baseline_only['ciphers']


def test_unknown_baseline_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"^remediation_candidates: no built-in baseline 'nope'"):
        remediation_candidates('nope')
