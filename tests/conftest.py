# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.fleetcrypto.sftp`` (lab/collection.py) and the loopback lab (``lab``) importable
when pytest runs from a plain checkout or from the staged copy scripts/test-all.sh makes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

COLLECTIONS_PATH = importable()
