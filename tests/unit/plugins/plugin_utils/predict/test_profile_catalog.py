# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/profiles.md, the page that lists every built-in profile as captured or derived with its source, is what the
data files make (scripts/profile_catalog.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.data import COLLECTION_ROOT
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import profile_names
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import server_profile_names

sys.path.insert(0, os.path.join(COLLECTION_ROOT, 'scripts'))

import profile_catalog  # noqa: E402  pylint: disable=wrong-import-position


def test_docs_profiles_page_is_up_to_date():
    assert profile_catalog.main(['--check']) == 0, 'run: python scripts/profile_catalog.py'


def test_every_profile_is_on_the_page():
    page = profile_catalog.render()
    for name in profile_names() + server_profile_names():
        assert '| `%s` |' % name in page
