# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters baseline_from_ssh_audit and baseline_to_ssh_audit: thin adapters, errors as filter errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ssh_audit.policy import Policy

from ansible_collections.fleetcrypto.sftp.plugins.filter import baseline_from_ssh_audit as from_module
from ansible_collections.fleetcrypto.sftp.plugins.filter import baseline_to_ssh_audit as to_module


def test_filters_are_registered():
    assert from_module.FilterModule().filters() == {'baseline_from_ssh_audit': from_module.baseline_from_ssh_audit}
    assert to_module.FilterModule().filters() == {'baseline_to_ssh_audit': to_module.baseline_to_ssh_audit}


def test_policy_text_to_baseline_and_back(fixture_file):
    text = fixture_file('ssh-audit-3.9.0-M-hardened-sshd-9.2.txt')
    baseline = from_module.baseline_from_ssh_audit(text)
    assert baseline['allowed']['host_key'] == ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']
    again = to_module.baseline_to_ssh_audit(baseline)
    assert str(Policy(policy_data=again)) == str(Policy(policy_data=text))


def test_builtin_baseline_with_options():
    text = to_module.baseline_to_ssh_audit('modern', name='Fleet modern', version='2026.11', exact=True)
    policy = str(Policy(policy_data=text))
    assert 'Name: [Fleet modern]' in policy and 'Allow Algorithm Subset and/or Reordering: False' in policy


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='baseline_from_ssh_audit: .*unknown field'):
        from_module.baseline_from_ssh_audit('name = "x"\nversion = 1\nPermitRootLogin = yes')
    with pytest.raises(AnsibleFilterError, match='baseline_from_ssh_audit: .*near names'):
        from_module.baseline_from_ssh_audit('Hardened OpenSSH Server v9.2 (version 9)')
    with pytest.raises(AnsibleFilterError, match='baseline_to_ssh_audit: .*without "="'):
        to_module.baseline_to_ssh_audit('modern', name='a=b')
    with pytest.raises(AnsibleFilterError, match='baseline_to_ssh_audit: .*not a baseline name'):
        to_module.baseline_to_ssh_audit('../../etc/passwd')
