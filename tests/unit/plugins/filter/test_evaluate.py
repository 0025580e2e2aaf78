# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evaluate filter: a real server proposal against the built-in baselines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.evaluate import FilterModule, evaluate


def test_cbc_and_sha1_fail_the_intermediate_baseline(classic_server):
    assert FilterModule().filters() == {'evaluate': evaluate}
    result = evaluate(classic_server, 'intermediate')
    assert result['passed'] is False and result['baseline'] == 'intermediate'
    violations = {item['algorithm']: item for item in result['violations']}
    assert {'aes256-cbc', 'hmac-sha1'} <= set(violations)
    assert 'kex-strict-s-v00@openssh.com' not in violations and 'ext-info-s' not in violations
    assert all(item['source'] and item['rating'] in ('fail', 'warn') for item in result['violations'])


def test_an_exception_covers_a_violation(classic_server):
    exceptions = [{'client': '*', 'algorithm': 'aes256-cbc', 'reason': 'partner', 'expires': '2099-01-01'},
                  {'client': '*', 'algorithm': 'hmac-sha1', 'reason': 'partner', 'expires': '2099-01-01'}]
    result = evaluate(classic_server, 'intermediate', exceptions, today='2026-11-24')
    assert {item['algorithm'] for item in result['excepted']} >= {'aes256-cbc', 'hmac-sha1'}


def test_unknown_baseline_is_a_filter_error(classic_server):
    with pytest.raises(AnsibleFilterError, match=r"^evaluate: no built-in baseline 'no-such-baseline'"):
        evaluate(classic_server, 'no-such-baseline')
