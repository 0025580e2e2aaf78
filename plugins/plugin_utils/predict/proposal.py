# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proposal shape shared by servers and clients, and its normalisation from what users hand in.

A proposal is what one side of SSH offers in its SSH_MSG_KEXINIT: the ten RFC 4253 name-lists, plus who
sent it (``banner`` and/or ``software``), because implementations negotiate differently. Users give
proposals in several forms; :func:`normalize_proposal` turns each into one canonical dict and refuses
anything that is not a valid algorithm name, so nothing malformed flows on into a configuration file.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils import catalog
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import LANGUAGE_KEYS, NAME_LIST_KEYS, \
    NEGOTIATED_LIST_KEYS, PUTTY_SETTINGS, SHORTHANDS, is_valid_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import PeerError


class ProposalError(ValueError):
    """A proposal handed in by a user or inventory is not usable; the message says where and why."""


def validate_name(name, where='algorithm name'):
    """Return ``name`` if it is a valid RFC 4251 section 6 algorithm name, else raise ProposalError."""
    return catalog.validate_name(name, where, ProposalError)


def _as_list(value, where):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(',') if value else []
    if not isinstance(value, (list, tuple)):
        raise ProposalError('%s must be a list of algorithm names or a comma-separated string' % where)
    names = list(value)
    # Fleet reports normalize thousands of proposals: check each name cheaply, and build the message (which names
    # the list) only for a name that fails.
    for name in names:
        if not is_valid_name(name):
            validate_name(name, 'in %s, the name' % where)
    return names


def _software(data):
    software = data.get('software')
    banner = data.get('banner')
    if software is not None and not isinstance(software, dict):
        raise ProposalError('software must be a dict with product and version')
    if software is None and banner:
        try:
            software = parse_software(banner)
        except PeerError:
            software = None
    if software:
        software = {'product': software.get('product'), 'version': software.get('version')}
    return software


# OpenSSH ssh_config WarnWeakCrypto values (readconf.c multistate_warnweakcrypto, V_10_1_P1 .. V_10_5_P1): "no-pq-kex"
# turns off the post-quantum warning like "no".
WARN_WEAK_CRYPTO = {'yes': True, 'true': True, 'no': False, 'false': False, 'no-pq-kex': False}


def normalize_proposal(value, role='proposal'):
    """Return ``{'offer': {ten lists or None}, 'software': {...} or None, 'banner': str or None,
    'name': str or None, 'partial': bool, 'empty_entries': {key: count}, 'first_kex_packet_follows': bool or None,
    'kex_algorithms_set': bool or None, 'warn_weak_crypto': bool or None, 'below_warn': {category: names} or None,
    'terrapin_warning': bool, 'no_agreement_message': str or None, 'stored_host_keys': [types] or None}``.

    Accepted forms: an ``algorithms_info`` result (with ``offer``), a dict with the ten name-list keys,
    or a hand-written profile with the shorthands ``kex``, ``host_key``, ``ciphers``, ``macs``,
    ``compression``. Missing language lists mean empty. A list that is missing entirely is ``None`` (not
    known) and ``partial`` is true: that happens for proposals rebuilt from log lines. PuTTY and WinSCP clients
    (their profiles, see ``putty_settings``) carry ``below_warn``, per category (``kex``, ``host_key``, ``cipher``)
    what is below the client's WARN line, ``terrapin_warning`` (the release asks about Terrapin without strict kex)
    ``no_agreement_message`` (a build's own wording of "could not agree", with the list's description and the
    server's names) and ``stored_host_keys`` (the host-key types PuTTY has stored for the server).
    """
    if not isinstance(value, dict):
        raise ProposalError('%s must be a dict (an algorithms_info result, a proposal or a client profile), got %s'
                            % (role, type(value).__name__))
    if value.get('failed'):
        raise ProposalError('%s is a failed probe (%s): %s' % (role, value.get('reason'), value.get('msg')))
    source = value.get('offer') if isinstance(value.get('offer'), dict) else value
    offer = {}
    for key in NAME_LIST_KEYS:
        offer[key] = _as_list(source.get(key), '%s %s' % (role, key))
    for short, keys in SHORTHANDS.items():
        if short in source:
            lists = _as_list(source[short], '%s %s' % (role, short))
            for key in keys:
                if offer[key] is None:
                    offer[key] = list(lists)
    for key in LANGUAGE_KEYS:
        if offer[key] is None:
            offer[key] = []
    known = [key for key in NEGOTIATED_LIST_KEYS if offer[key] is not None]
    if not known:
        raise ProposalError('%s names no algorithms: give the ten RFC 4253 name-lists (as algorithms_info returns '
                            'them in offer) or the shorthands kex, host_key, ciphers, macs, compression' % role)
    banner = value.get('banner') if isinstance(value.get('banner'), str) else None
    empty_entries = value.get('empty_entries') or {}
    if not isinstance(empty_entries, dict) or not all(
            key in NAME_LIST_KEYS and isinstance(cut, int) and cut >= 0 for key, cut in empty_entries.items()):
        raise ProposalError('%s empty_entries must map name-list keys to counts' % role)
    follows = source.get('first_kex_packet_follows', value.get('first_kex_packet_follows'))
    if follows is not None and not isinstance(follows, bool):
        raise ProposalError('%s first_kex_packet_follows must be a boolean' % role)
    kex_set = value.get('kex_algorithms_set')
    if kex_set is not None and not isinstance(kex_set, bool):
        raise ProposalError('%s kex_algorithms_set must be a boolean' % role)
    warn_weak = value.get('warn_weak_crypto')
    if isinstance(warn_weak, str) and warn_weak.lower() in WARN_WEAK_CRYPTO:
        warn_weak = WARN_WEAK_CRYPTO[warn_weak.lower()]
    if warn_weak is not None and not isinstance(warn_weak, bool):
        raise ProposalError('%s warn_weak_crypto must be a boolean or one of %s (OpenSSH WarnWeakCrypto)'
                            % (role, ', '.join(sorted(WARN_WEAK_CRYPTO))))
    below_warn = value.get('below_warn')
    if below_warn is not None:
        # PuTTY/WinSCP: the names below the WARN line of each category (plugin_utils/predict/putty_settings).
        if not isinstance(below_warn, dict) or not set(below_warn) <= set(PUTTY_SETTINGS.values()):
            raise ProposalError('%s below_warn must map %s to lists of names'
                                % (role, ', '.join(PUTTY_SETTINGS.values())))
        below_warn = {category: _as_list(names, '%s below_warn %s' % (role, category)) or []
                      for category, names in below_warn.items()}
    no_agreement = value.get('no_agreement_message')
    if no_agreement is not None and (not isinstance(no_agreement, str) or no_agreement.count('%s') != 2
                                     or no_agreement.count('%') != 2):
        raise ProposalError('%s no_agreement_message must be a sentence with two %%s (the list, the server\'s names)'
                            % role)
    stored = value.get('stored_host_keys')
    if stored is not None and (not isinstance(stored, (list, tuple)) or not all(isinstance(x, str) for x in stored)):
        raise ProposalError('%s stored_host_keys must be a list of host-key types' % role)
    return {
        'stored_host_keys': list(stored) if stored is not None else None,
        'below_warn': below_warn,
        'no_agreement_message': no_agreement,
        'terrapin_warning': bool(value.get('terrapin_warning')),
        'empty_entries': dict(empty_entries),
        # RFC 4253 section 7.1: the sender's guessed key-exchange packet follows its KEXINIT; None when not known.
        'first_kex_packet_follows': follows,
        # The client's kex list was set by its user (OpenSSH KexAlgorithms), not its release's default; None when
        # not known.
        'kex_algorithms_set': kex_set,
        # OpenSSH >= 10.1 ssh_config WarnWeakCrypto (default yes); None when not known.
        'warn_weak_crypto': warn_weak,
        'offer': offer,
        'software': _software(value),
        'banner': banner,
        'name': value.get('name') if isinstance(value.get('name'), str) else None,
        'partial': len(known) < len(NEGOTIATED_LIST_KEYS) or bool(value.get('partial')),
    }
