# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The small fleet that test_model.py and test_writers.py share: a compliant host, a classic aes256-only host
that JSch cannot reach and a host that refused the probe."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report


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
