# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One reader for the profile files of both libraries (client profiles, server profiles): a profile is a KEXINIT
proposal in YAML with its software and ``source``, possibly an alias (``alias_of:``) of another. Controller only;
plain Python, no Ansible imports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, normalize_proposal

_NAME = re.compile(r'^[a-z0-9][a-z0-9.+_-]{0,99}$')


def read_profile(kind, name, what, _seen=()):
    """The built-in ``kind`` entry ``name`` (a client or server profile) as a proposal dict, following
    ``alias_of:``: the ten name-lists (each algorithm name validated), ``name``, ``banner``, ``source``,
    ``software`` ({product, version}), ``alias`` when reached through an alias, and the raw file content as
    ``content`` for the caller's own keys. Not cached; both libraries cache what they build from it."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ProposalError('%r is not a %s name (lower-case <product>-<version>)' % (name, what))
    content = data.load_entry(kind, name, ProposalError)
    if content.get('alias_of'):
        if content['alias_of'] in _seen or len(_seen) > 4:
            raise ProposalError('%s alias loop: %s' % (what, ' -> '.join(_seen + (name, content['alias_of']))))
        profile = read_profile(kind, content['alias_of'], what, _seen + (name,))
        profile['alias'] = name
        return profile
    normalize_proposal(content, '%s %s' % (what, name))  # validates every algorithm name
    profile = {key: list(content[key]) for key in NAME_LIST_KEYS if key in content}
    for key in ('name', 'banner', 'source', 'empty_entries', 'first_kex_packet_follows'):
        if key in content:
            profile[key] = content[key]
    profile['software'] = {'product': content.get('product'), 'version': content.get('version')}
    profile['content'] = content
    return profile
