# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one way controller code finds the collection's data files (``data/<kind>/<name>.yml``).

Client and server profiles and baselines are YAML files at the collection root, next to ``plugins/``. Ansible installs a
collection as a plain directory tree (``ansible-galaxy collection install``), so the root is found from this
file's own place, in a checkout, a staged copy and an installed collection alike; the live test
``test_installed_collection`` proves it against the tarball ``ansible-galaxy collection build`` makes. Each file
is read and parsed once per process.

Controller only (PyYAML); plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

# plugins/plugin_utils/data.py -> the collection root
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA_DIR = os.path.join(COLLECTION_ROOT, 'data')
# kind -> (what one entry is called, the plural) for messages
KINDS = {'client_profiles': ('client profile', 'profiles'), 'server_profiles': ('server profile', 'server profiles'),
         'baselines': ('baseline', 'baselines')}
_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._+-]{0,99}$')
_CACHE = {}


def data_dir(kind):
    if kind not in KINDS:
        raise ValueError('unknown data kind %r' % (kind,))
    return os.path.join(DATA_DIR, kind)


def names(kind):
    """The names of the ``kind`` files (without ``.yml``), sorted; files starting with ``_`` are shared parts,
    not entries, and are left out."""
    try:
        return sorted(name[:-4] for name in os.listdir(data_dir(kind)) if name.endswith('.yml')
                      and not name.startswith('_'))
    except OSError:
        return []


def path(kind, name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError('%r is not a data file name' % (name,))
    return os.path.join(data_dir(kind), name + '.yml')


def exists(kind, name):
    return os.path.isfile(path(kind, name))


def load(kind, name):
    """The parsed YAML of ``data/<kind>/<name>.yml`` (cached; callers must not change it)."""
    key = (kind, name)
    if key not in _CACHE:
        import yaml  # pylint: disable=import-outside-toplevel  # only the controller reads data files
        with open(path(kind, name)) as handle:
            _CACHE[key] = yaml.safe_load(handle)
    return _CACHE[key]


def load_entry(kind, name, error):
    """A built-in entry (a client profile, a baseline): the file must exist and be a mapping that repeats its
    ``name`` and gives a ``source``, else ``error`` (the caller's exception class) says which and why."""
    what, plural = KINDS[kind]
    if not exists(kind, name):
        raise error('no built-in %s %r; known %s: %s' % (what, name, plural, ', '.join(names(kind))))
    content = load(kind, name)
    if not isinstance(content, dict) or content.get('name') != name or not content.get('source'):
        raise error('%s file %s must be a mapping with name %r and a source' % (what, path(kind, name), name))
    return content
