# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built-in client-profile library: real clients' default proposals, one YAML file each.

Profiles live in ``data/client_profiles/<name>.yml`` at the collection root (found through
``plugin_utils.data``), named ``<product>-<version>`` in lower case. A file with ``alias_of:`` names a release
line (``jsch-0.2.x``) and points at the profile of one release in it. Each has a ``source:`` saying where its
lists come from (a capture of the real software, or the file and release in its source code). This module only
reads them (on the controller); it is plain Python with PyYAML, no Ansible imports.

:func:`as_proposal` is the edge where users' values (profile names, probe results, hand-written profiles) become
normalized proposals, and :func:`predict` the ``negotiate`` filter: the engine in ``negotiation`` itself never
resolves names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, normalize_proposal

KIND = 'client_profiles'
_NAME = re.compile(r'^[a-z0-9][a-z0-9.+_-]{0,99}$')
_CACHE = {}


def profile_names():
    """Names of the built-in profiles, sorted."""
    return data.names(KIND)


def load_profile(name, _seen=()):
    """Return the built-in profile ``name`` as a proposal dict (ten lists, banner, software, name, source)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ProposalError('%r is not a client profile name (lower-case <product>-<version>)' % (name,))
    if name not in _CACHE:
        content = data.load_entry(KIND, name, ProposalError)
        if content.get('alias_of'):
            if content['alias_of'] in _seen or len(_seen) > 4:
                raise ProposalError('client profile alias loop: %s' % ' -> '.join(_seen + (name,)))
            profile = load_profile(content['alias_of'], _seen + (name,))
            profile['alias'] = name
            return profile
        normalize_proposal(content, 'client profile %s' % name)  # validates every algorithm name
        profile = {key: list(content[key]) for key in NAME_LIST_KEYS if key in content}
        for key in ('name', 'banner', 'source', 'empty_entries'):
            if key in content:
                profile[key] = content[key]
        profile['software'] = {'product': content.get('product'), 'version': content.get('version')}
        _CACHE[name] = profile
    return dict(_CACHE[name])


def resolve(value):
    """A proposal given as a profile name becomes that profile; anything else is returned unchanged."""
    return load_profile(value) if isinstance(value, str) else value


def as_proposal(value, role='proposal'):
    """The edge where users' values enter the prediction engines: a profile name, an ``algorithms_info`` result, a
    proposal or a hand-written profile becomes one normalized proposal (``proposal.normalize_proposal``)."""
    return normalize_proposal(resolve(value), role)


def predict(server, client):
    """``negotiation.negotiate`` for users' values: each side a profile name or a proposal in any accepted form,
    normalized here once. The ``negotiate`` filter is this function."""
    return negotiate(as_proposal(server, 'server'), as_proposal(client, 'client'))
