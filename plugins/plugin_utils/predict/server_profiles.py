# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built-in server-profile library: what real SSH/SFTP servers offer out of the box, one YAML file each.

A server profile (``data/server_profiles/<name>.yml``) is the SSH_MSG_KEXINIT a server release or variant sends
with its default configuration: OpenSSH sshd releases (``openssh-10.0``), distributions whose packages or crypto
policies change those defaults (``debian-12``, ``rhel-9-default``), other daemons (``proftpd-1.3.8``,
``dropbear-2022.83``) and managed services whose lists are published (AWS Transfer Family security policies, Azure
Blob Storage SFTP). Each file says where its lists come from (``source:``: a capture of the installed software, or
the file, function and tag of its source, or the vendor's page) and carries what the upgrade-impact prediction
needs beside the offer:

* ``host_keys``: the host-key types the server is assumed to have (its default key set); the offered host-key
  algorithms follow from them, so a server with other keys offers a different host-key list;
* ``supported``: per category (``kex``, ``host_key``, ``cipher``, ``mac``, ``compression``) every algorithm the
  release can be configured to offer, not only its defaults (``supported_source`` cites where from). An explicit
  setting that names an algorithm outside it is what a release upgrade breaks.

Profiles are proposals in the same form as client profiles (``profile_file.read_profile`` reads both, aliases with
``alias_of:`` included), so ``negotiate`` takes one as its server. Controller only; plain Python with PyYAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import profile_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORIES, CATEGORY, PSEUDO_ALGORITHMS, \
    validate_name
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profile_file import read_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

KIND = 'server_profiles'
WHAT = 'server profile'
_CACHE = {}
_BY_RELEASE = {}


def server_profile_names():
    """Names of the built-in server profiles (aliases included), sorted."""
    return data.names(KIND)


def _supported(value, where):
    """``supported:`` as ``{category: [names]}`` for every category, each name validated; a category the file
    does not give is None (unknown), never an empty list by accident."""
    if value is None:
        return {category: None for category in CATEGORIES}
    if not isinstance(value, dict) or set(value) - set(CATEGORIES):
        raise ProposalError('%s supported must map categories (%s) to lists of algorithm names'
                            % (where, ', '.join(CATEGORIES)))
    result = {}
    for category in CATEGORIES:
        names = value.get(category)
        if names is None:
            result[category] = None
            continue
        if not isinstance(names, list):
            raise ProposalError('%s supported.%s must be a list of algorithm names' % (where, category))
        result[category] = [validate_name(name, '%s supported.%s' % (where, category), ProposalError)
                            for name in names]
    return result


def load_server_profile(name):
    """The built-in server profile ``name`` as a proposal dict: the ten lists, ``name``, ``banner`` (None when the
    service does not publish one), ``software``, ``source``, ``host_keys`` (list or None), ``supported`` (per
    category, None where unknown), ``supported_source``, ``captured_with`` and ``alias`` when reached through an
    alias."""
    if name not in _CACHE:
        profile = read_profile(KIND, name, WHAT)
        content = profile.pop('content')
        where = '%s %s' % (WHAT, profile['name'])
        profile['role'] = 'server'
        profile.setdefault('banner', None)
        host_keys = content.get('host_keys')
        if host_keys is not None and (not isinstance(host_keys, list)
                                      or not all(isinstance(key, str) and key for key in host_keys)):
            raise ProposalError('%s host_keys must be a list of key types' % where)
        profile['host_keys'] = list(host_keys) if host_keys is not None else None
        profile['supported'] = _supported(content.get('supported'), where)
        profile['supported_source'] = content.get('supported_source')
        profile['captured_with'] = content.get('captured_with')
        _CACHE[name] = profile
    profile = dict(_CACHE[name])
    profile['supported'] = dict(profile['supported'])
    return profile


def offered_names(profile, category):
    """The algorithm names (pseudo names such as ``kex-strict-s-v00@openssh.com`` left out) a profile offers in
    ``category``, both directions together, in first-seen order."""
    seen = []
    for key in CATEGORY[category].keys:
        for entry in profile.get(key) or ():
            if entry not in PSEUDO_ALGORITHMS and entry not in seen:
                seen.append(entry)
    return seen


def server_profiles_for_software(software):
    """The built-in server profiles (own names, aliases resolved, sorted) of the same product and release line as
    ``software`` (``{product, version}``, as ``algorithms_info`` returns it): ``OpenSSH 9.2p1`` ->
    ``['debian-12', 'openssh-9.2']``. Several can match (a release and the distributions that ship it); the caller
    tells them apart by their lists."""
    if not software or not software.get('product') or not software.get('version'):
        return []
    if not _BY_RELEASE:
        index = {}
        for name in server_profile_names():
            profile = load_server_profile(name)
            if profile['software'].get('product') and profile['software'].get('version'):
                index.setdefault(profile_name(profile['software']), set()).add(profile['name'])
        _BY_RELEASE.update(index)
    return sorted(_BY_RELEASE.get(profile_name(software), ()))
