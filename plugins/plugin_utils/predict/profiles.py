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
resolves names. :func:`fill_from_profile` is the other edge: a partial client proposal (lists rebuilt from a log
line or an IDS record) whose software names exactly one built-in profile gets its unknown lists from it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import profile_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORIES, CATEGORY, NAME_LIST_KEYS, \
    NEGOTIATED_LIST_KEYS, PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import PeerError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profile_file import read_profile
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.putty_settings import apply_settings, \
    load_tables, stored_host_keys
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, normalize_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile

KIND = 'client_profiles'
_CACHE = {}
_BY_RELEASE = {}


def profile_names():
    """Names of the built-in profiles, sorted."""
    return data.names(KIND)


def load_profile(name):
    """Return the built-in client profile ``name`` as a proposal dict (ten lists, banner, software, name,
    source)."""
    if name not in _CACHE:
        profile = read_profile(KIND, name, 'client profile')
        content = profile.pop('content')
        if content.get('putty_tokens') is not None:
            # PuTTY/WinSCP: the release's tokens and default saved-session lines; the lists must be what those lines
            # make (the unit tests check it against each capture), and the names below WARN come from them.
            where = 'client profile %s' % profile['name']
            profile['putty_tokens'] = load_tables(content['putty_tokens'], where)
            applied = apply_settings(content.get('putty_settings'), profile['putty_tokens'],
                                     '%s putty_settings' % where)
            profile['putty_settings'] = applied['settings']
            profile['below_warn'] = applied['below_warn']
        if content.get('putty_terrapin_warning'):
            profile['terrapin_warning'] = True
        if content.get('putty_no_agreement_message'):
            profile['no_agreement_message'] = content['putty_no_agreement_message']
        _CACHE[name] = profile
    return dict(_CACHE[name])


def putty_profile_names():
    """The built-in profiles that carry PuTTY's token tables (PuTTY and the clients that embed it)."""
    return [name for name in profile_names() if load_profile(name).get('putty_tokens')]


def with_putty_settings(value):
    """A client given as PuTTY saved-session lines: ``{putty_settings: {Cipher, KEX, HostKey}, profile: NAME}``
    (or ``banner``/``software`` naming exactly one PuTTY/WinSCP profile, or the ``name`` of one, instead of
    ``profile``) becomes that
    profile with the kex, host-key and cipher lists those lines make in its release (everything is proposed, also
    what is below WARN) and their ``below_warn`` names. ``putty_stored_host_keys`` names the host-key types PuTTY
    has stored for the server (its SshHostKeys entries; PuTTY lists those first); without ``putty_settings`` the
    release's defaults apply. Other name-lists given in the dict replace the profile's."""
    where = 'client putty_settings'
    name = value.get('profile')
    if name is None and value.get('name') in putty_profile_names():
        name = value['name']   # a built-in profile as the client_profile lookup returns it
    if name is None:
        software = value.get('software')
        if software is None and isinstance(value.get('banner'), str):
            try:
                software = parse_software(value['banner'])
            except PeerError:
                software = None
        candidates = [candidate for candidate in profiles_for_software(software)
                      if load_profile(candidate).get('putty_tokens')]
        if len(candidates) != 1:
            raise ProposalError('%s needs profile: the PuTTY or WinSCP release whose tokens they use (one of %s)'
                                % (where, ', '.join(putty_profile_names())))
        name = candidates[0]
    base = load_profile(name)
    if not base.get('putty_tokens'):
        raise ProposalError('%s: profile %s is not a PuTTY release (one of %s)'
                            % (where, name, ', '.join(putty_profile_names())))
    stored = stored_host_keys(value.get('putty_stored_host_keys'), 'client putty_stored_host_keys')
    settings = value.get('putty_settings')
    applied = apply_settings(base['putty_settings'] if settings is None else settings, base['putty_tokens'], where,
                             stored)
    client = dict(base)
    pseudo = [entry for entry in base['kex_algorithms'] if entry in PSEUDO_ALGORITHMS]
    # ssh/transport2.c: ext-info-c and kex-strict-c-v00@openssh.com follow the configured kex methods.
    client['kex_algorithms'] = applied['lists']['kex'] + pseudo
    client['server_host_key_algorithms'] = list(applied['lists']['host_key'])
    for key in CATEGORY['cipher'].keys:
        client[key] = list(applied['lists']['cipher'])
    client['putty_settings'] = applied['settings']
    client['below_warn'] = applied['below_warn']
    client['stored_host_keys'] = stored
    for key in NAME_LIST_KEYS:
        if value.get(key) is not None:
            client[key] = value[key]
    for key in ('banner', 'software', 'name'):
        if value.get(key) is not None:
            client[key] = value[key]
    return client


def resolve(value, side='client'):
    """A proposal given as a profile name becomes that profile (a client profile, or a server profile when
    ``side`` is ``'server'``), PuTTY saved-session lines the proposal they make (:func:`with_putty_settings`);
    anything else is returned unchanged."""
    if isinstance(value, str):
        return load_server_profile(value) if side == 'server' else load_profile(value)
    if isinstance(value, dict) and (value.get('putty_settings') is not None
                                    or value.get('putty_stored_host_keys') is not None):
        return with_putty_settings(value)
    return value


def as_proposal(value, role='proposal', side='client'):
    """The edge where users' values enter the prediction engines: a profile name (of a client, or of a server when
    ``side`` is ``'server'``), an ``algorithms_info`` result, a proposal or a hand-written profile becomes one
    normalized proposal (``proposal.normalize_proposal``); ``role`` names it in error messages."""
    return normalize_proposal(resolve(value, side), role)


def profiles_for_software(software):
    """The built-in profiles (their own names, aliases resolved, sorted) of the same product and release line as
    ``software`` (``{product, version}``), by ``capture.profile_name``: ``OpenSSH 9.2p1`` -> ``['openssh-9.2']``,
    ``JSch 0.1.54`` -> ``['jsch-0.1.54', 'jsch-0.1.54-restricted-jce']``."""
    if not software or not software.get('product') or not software.get('version'):
        return []
    if not _BY_RELEASE:
        index = {}
        for name in profile_names():
            profile = load_profile(name)
            index.setdefault(profile_name(profile['software']), set()).add(profile['name'])
        _BY_RELEASE.update(index)
    return sorted(_BY_RELEASE.get(profile_name(software), ()))


def fill_from_profile(proposal):
    """Fill the unknown lists of a normalized partial client proposal from the one built-in profile its software
    names; return ``(proposal, filled_from)``.

    ``filled_from`` is ``{'profile': NAME, 'categories': [...]}`` (the categories that had an unknown list, in
    catalog order) when lists were filled, else None and the proposal is returned unchanged. Nothing is filled
    when the software matches no profile or several (JSch 0.1.54 is both ``jsch-0.1.54`` and
    ``jsch-0.1.54-restricted-jce``), nor when a list the proposal does know differs from that profile's: the
    client then does not run that release's defaults (its own configuration, or a distribution's crypto policy),
    so the profile's other lists would be a guess. Known lists are never replaced. The filled proposal keeps
    ``partial`` true."""
    offer = proposal['offer']
    missing = [key for key in NEGOTIATED_LIST_KEYS if offer[key] is None]
    if not missing:
        return proposal, None
    candidates = profiles_for_software(proposal['software'])
    if len(candidates) != 1:
        return proposal, None
    profile = load_profile(candidates[0])
    if any(offer[key] is not None and offer[key] != profile[key] for key in NEGOTIATED_LIST_KEYS):
        return proposal, None
    filled = dict(proposal, offer=dict(offer))
    for key in missing:
        filled['offer'][key] = list(profile[key])
    empty_entries = dict(proposal.get('empty_entries') or {})
    for key, cut in (profile.get('empty_entries') or {}).items():
        if key in missing:
            empty_entries[key] = cut
    filled['empty_entries'] = empty_entries
    categories = [name for name in CATEGORIES if any(key in missing for key in CATEGORY[name].keys)]
    return filled, {'profile': profile['name'], 'categories': categories}


def _mark_kex_algorithms_set(client):
    """A client that is not itself a built-in profile, whose software names exactly one built-in profile and whose
    kex list differs from that profile's, had its kex list set by its user (OpenSSH: KexAlgorithms, which turns
    off the post-quantum warning of sshconnect.c ssh_login). Unchanged when the proposal says so itself or when
    nothing can be told."""
    kex = client['offer']['kex_algorithms']
    if client.get('kex_algorithms_set') is not None or kex is None or client.get('name'):
        return client
    candidates = profiles_for_software(client['software'])
    if len(candidates) != 1 or load_profile(candidates[0])['kex_algorithms'] == kex:
        return client
    return dict(client, kex_algorithms_set=True)


def predict(server, client, fill_from_profiles=True):
    """``negotiation.negotiate`` for users' values: each side a profile name or a proposal in any accepted form,
    normalized here once. The ``negotiate`` filter is this function.

    With ``fill_from_profiles`` (the default), a partial client proposal gets its unknown lists from the one
    built-in profile of its software (:func:`fill_from_profile`); the result's ``filled_from`` says so (None when
    nothing was filled)."""
    server = as_proposal(server, 'server', side='server')
    client = as_proposal(client, 'client')
    filled_from = None
    if fill_from_profiles:
        client, filled_from = fill_from_profile(client)
    client = _mark_kex_algorithms_set(client)
    result = negotiate(server, client)
    result['filled_from'] = filled_from
    return result
