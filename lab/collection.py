# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.fleetcrypto.sftp`` importable from a plain checkout.

``ansible-test`` places the collection at ``.../ansible_collections/fleetcrypto/sftp`` itself; a plain
checkout (``/src/fleetcrypto-sftp``) gets a symlink tree in a temporary directory instead. Used by
tests/conftest.py, scripts/ and bench/::

    from lab.collection import importable
    importable()
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import os
import shutil
import sys
import tempfile

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collections_path():
    """A directory that holds ``ansible_collections/fleetcrypto/sftp`` pointing at this checkout."""
    parts = COLLECTION_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'fleetcrypto'] and parts[-1] == 'sftp':
        return os.sep.join(parts[:-3])
    base = tempfile.mkdtemp(prefix='fleetcrypto-collections-')
    atexit.register(shutil.rmtree, base, True)
    os.makedirs(os.path.join(base, 'ansible_collections', 'fleetcrypto'))
    os.symlink(COLLECTION_ROOT, os.path.join(base, 'ansible_collections', 'fleetcrypto', 'sftp'))
    return base


def importable():
    """Put the collections path on ``sys.path`` and in ``FLEETCRYPTO_COLLECTIONS_PATH`` (inherited by child
    processes, e.g. as ``ANSIBLE_COLLECTIONS_PATH``); return it. Idempotent."""
    path = os.environ.get('FLEETCRYPTO_COLLECTIONS_PATH') or collections_path()
    os.environ['FLEETCRYPTO_COLLECTIONS_PATH'] = path
    if path not in sys.path:
        sys.path.insert(0, path)
    return path
