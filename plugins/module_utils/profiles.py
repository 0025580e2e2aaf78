# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built-in client-profile library: real clients' default proposals, one YAML file each.

Profiles live in ``data/client_profiles/<name>.yml`` at the collection root, named ``<product>-<version>``
in lower case. A file with ``alias_of:`` names a release line (``jsch-0.2.x``) and points at the profile of
one release in it. Each has a ``source:`` saying where its lists come from (a capture of the real software, or
the file and release in its source code). This module only reads them (on the controller); it is plain
Python with PyYAML, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from .kexinit import NAME_LIST_KEYS
from .proposal import ProposalError, normalize_proposal

PROFILE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data',
                                            'client_profiles'))
_NAME = re.compile(r'^[a-z0-9][a-z0-9.+_-]{0,99}$')
_CACHE = {}


def profile_names():
    """Names of the built-in profiles, sorted."""
    try:
        return sorted(name[:-4] for name in os.listdir(PROFILE_DIR) if name.endswith('.yml'))
    except OSError:
        return []


def load_profile(name, _seen=()):
    """Return the built-in profile ``name`` as a proposal dict (ten lists, banner, software, name, source)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ProposalError('%r is not a client profile name (lower-case <product>-<version>)' % (name,))
    if name not in _CACHE:
        path = os.path.join(PROFILE_DIR, name + '.yml')
        if not os.path.exists(path):
            raise ProposalError('no built-in client profile %r; known profiles: %s' % (name, ', '.join(profile_names())))
        # Imported here: only the controller reads profiles; modules never load this file's YAML.
        import yaml  # pylint: disable=import-outside-toplevel
        with open(path) as handle:
            data = yaml.safe_load(handle)
        if not isinstance(data, dict) or data.get('name') != name or not data.get('source'):
            raise ProposalError('client profile file %s must be a mapping with name %r and a source' % (path, name))
        if data.get('alias_of'):
            if data['alias_of'] in _seen or len(_seen) > 4:
                raise ProposalError('client profile alias loop: %s' % ' -> '.join(_seen + (name,)))
            profile = load_profile(data['alias_of'], _seen + (name,))
            profile['alias'] = name
            return profile
        normalize_proposal(data, 'client profile %s' % name)  # validates every algorithm name
        profile = {key: list(data[key]) for key in NAME_LIST_KEYS if key in data}
        for key in ('name', 'banner', 'source', 'empty_entries'):
            if key in data:
                profile[key] = data[key]
        profile['software'] = {'product': data.get('product'), 'version': data.get('version')}
        _CACHE[name] = profile
    return dict(_CACHE[name])


def resolve(value):
    """A proposal given as a profile name becomes that profile; anything else is returned unchanged."""
    return load_profile(value) if isinstance(value, str) else value
