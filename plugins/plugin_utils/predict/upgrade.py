# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrade impact: what a probed server will offer after it moves to another release (a built-in server profile).

A server's offer is the release's compiled-in defaults unless its configuration names the lists, so the prediction
is made per category (kex, host key, cipher, MAC, compression), from the server's offer today and the profile of
the release it runs now (``current``: given, or found from its banner among the profiles of the same product and
release line, the one whose lists match best, a distribution's before the upstream release when both match):

* **release_defaults** -- today's list is the current release's default: the server takes the target release's
  default. OpenSSH: sshd starts from the compiled-in lists and only replaces them with what sshd_config sets
  (servconf.c assemble_algorithms -> kex_assemble_names(&o->kex_algorithms, KEX_SERVER_KEX, all) with a NULL
  setting gives the defaults, myproposal.h KEX_SERVER_*; V_7_4_P1 .. V_10_5_P1). Host-key algorithms depend on the
  keys the server holds: sshd lists, per host key in the order of its HostKey files, the algorithms of that key
  that HostKeyAlgorithms allows (sshd.c / sshd-auth.c list_hostkey_types; RSA adds rsa-sha2-512 and rsa-sha2-256).
  So today's host-key list is compared with the current release's algorithms for the key types the server has
  today, and after the upgrade it gets the target's algorithms for those same key types, in today's key order
  (a key type the target does not offer at all is listed in ``removed``). A key type the current release's profile
  has no algorithm for (ssh-dss on OpenSSH >= 7.0, which supports it but offers it only when HostKeyAlgorithms
  names it) makes today's list count as set.
* **explicit_kept** -- today's list differs from the default (sshd_config sets KexAlgorithms, Ciphers, MACs,
  HostKeyAlgorithms, Compression): the setting survives the upgrade, so the server keeps today's list minus what the
  target release no longer supports (its profile's ``supported``), listed in ``removed``. For OpenSSH that is not
  a silent drop: sshd validates a full list (and a ``+``/``^`` list) when it reads its configuration and refuses to
  start on a name it does not know (servconf.c process_server_config_line, V_7_4_P1 .. V_10_5_P1: ``fatal("%s line
  %d: Bad SSH2 KexAlgorithms '%s'.")`` after kex_names_valid, ``Bad SSH2 cipher spec`` after ciphers_valid, ``Bad
  SSH2 mac spec`` after mac_valid, ``Bad key types`` after sshkey_names_valid2; a ``-`` list is not validated).
  The item then carries ``daemon_error`` and the result ``daemon_refuses_to_start``: the upgrade stops the daemon
  until the names are removed; the predicted offer is the one after that edit. Compression is a yes/no/delayed
  setting with no algorithm names, so it has no such error. For other products that rule was not read from their
  source; the item says so.
* **unknown_current** -- no profile of the release the server runs today (or the list was not probed): whether it
  runs defaults cannot be told, so today's list is kept minus what the target does not support, as for explicit
  settings, and the item says that this is an assumption.

Pseudo-algorithms (``ext-info-s``, ``kex-strict-s-v00@openssh.com``) are not settings: they follow the target
(sshd appends them to whatever kex list it uses, kex.c kex_proposal_populate_entries).

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.capture import profile_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORIES, CATEGORY, NAME_LIST_KEYS, \
    PSEUDO_ALGORITHMS, is_certificate, key_family
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import client_label
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, \
    normalize_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile, \
    server_profiles_for_software

ASSUMPTIONS = ('release_defaults', 'explicit_kept', 'unknown_current')
# sshd's fatal error when sshd_config names an algorithm the release does not know (servconf.c
# process_server_config_line, the same wording V_7_4_P1 .. V_10_5_P1), and the setting it comes from.
OPENSSH_FATAL = {
    'kex': ('KexAlgorithms', "Bad SSH2 KexAlgorithms '%s'."),
    'cipher': ('Ciphers', "Bad SSH2 cipher spec '%s'."),
    'mac': ('MACs', "Bad SSH2 mac spec '%s'."),
    'host_key': ('HostKeyAlgorithms', "Bad key types '%s'."),
}
OPENSSH_SETTING = dict((category, setting) for category, (setting, _message) in OPENSSH_FATAL.items())
OPENSSH_SETTING['compression'] = 'Compression'


class UpgradeError(ProposalError):
    """The upgrade cannot be predicted (unknown profile, unusable server); the message says why."""


def _load(name, what):
    if isinstance(name, dict):
        profile = dict(name)
        profile.setdefault('name', 'given')
        profile.setdefault('supported', {})
        if not profile.get('software'):
            profile['software'] = {'product': profile.get('product'), 'version': profile.get('version')}
        return profile
    if not isinstance(name, str) or not name:
        raise UpgradeError('%s must be a server profile name, got %r' % (what, name))
    try:
        return load_server_profile(name)
    except ProposalError as exc:
        raise UpgradeError('%s: %s' % (what, exc))


def _real(names):
    return [name for name in names or () if name not in PSEUDO_ALGORITHMS]


def _pseudo(names):
    return [name for name in names or () if name in PSEUDO_ALGORITHMS]


def _group(algorithm):
    return key_family(algorithm), is_certificate(algorithm)


def _groups(names):
    """The host-key types (family, certificate or not) in the order a list first names them: sshd's host-key
    order."""
    seen = []
    for name in _real(names):
        if _group(name) not in seen:
            seen.append(_group(name))
    return seen


def _supported(profile, category):
    supported = (profile.get('supported') or {}).get(category)
    return list(supported) if supported is not None else None


def _host_key_names(profile, group, from_supported=False):
    """The algorithms a release offers for one host-key type by default: those of its profile's list (the key
    types its profile assumes). With ``from_supported``, for a type the profile has no key of, the type's names in
    ``supported`` (an assumption: a profile does not say which of them the release's HostKeyAlgorithms default
    allows, e.g. OpenSSH >= 7.0 supports ssh-dss but does not offer it by default)."""
    names = [name for name in _real(profile.get('server_host_key_algorithms')) if _group(name) == group]
    if names or not from_supported:
        return names, False
    supported = _supported(profile, 'host_key') or []
    return [name for name in supported if _group(name) == group], True


def _host_keys_default(profile, groups, from_supported=False):
    """``(names, assumed)``; names is None when a key type has no algorithm in the profile (and not
    ``from_supported``): whether the release offers it by default is not known."""
    names, assumed = [], False
    for group in groups:
        found, from_list = _host_key_names(profile, group, from_supported)
        if not found and not from_supported:
            return None, False
        assumed = assumed or (from_list and bool(found))
        names.extend(name for name in found if name not in names)
    return names, assumed


def _category_lists(proposal, category):
    return [proposal.get(key) for key in CATEGORY[category].keys]


def _matches_default(today, current, category):
    if category == 'host_key':
        names = _real(today[0])
        expected, _assumed = _host_keys_default(current, _groups(names))
        return names == expected
    lists = _category_lists(current, category)
    return all(_real(mine) == _real(theirs) for mine, theirs in zip(today, lists))


def _product(profile):
    return ((profile.get('software') or {}).get('product') or '')


def _vendor(banner):
    """The distributor word of an identification line's comment (``Debian`` in ``SSH-2.0-OpenSSH_9.2p1
    Debian-2+deb12u3``), '' for none: builds of one vendor share it across package revisions."""
    if not isinstance(banner, str) or ' ' not in banner.strip():
        return ''
    return banner.strip().split(' ', 1)[1].split('-', 1)[0].split(' ', 1)[0].lower()


def _score(server, profile):
    return sum(1 for category in CATEGORIES
               if None not in _category_lists(server, category)
               and _matches_default(_category_lists(server, category), profile, category))


def detect_current(server, candidates=None):
    """The built-in server profile the probed ``server`` (a normalized proposal) runs, or None: among the profiles
    of its product and release line (``server_profiles_for_software``), the one with the most categories equal to
    today's offer; on a tie the one whose banner names the same distributor (``Debian`` in ``OpenSSH_9.2p1
    Debian-2+deb12u3``; none for an upstream build), then the upstream release. Returns ``(profile or None, names
    ranked)``."""
    if candidates is None:
        candidates = server_profiles_for_software(server.get('software'))
    if not candidates:
        return None, []
    upstream = profile_name(server['software']) if server.get('software') else None
    ranked = []
    for name in candidates:
        profile = load_server_profile(name) if isinstance(name, str) else name
        ranked.append((_score(server['offer'], profile),
                       _vendor(profile.get('banner')) == _vendor(server.get('banner')),
                       profile.get('name') == upstream, profile))
    ranked.sort(key=lambda item: item[:3], reverse=True)
    return ranked[0][3], [item[3]['name'] for item in ranked]


def _sentence(names):
    return ', '.join(names) if names else 'nothing'


def _explicit(category, today_lists, target, keys, assumption, current_name):
    supported = _supported(target, category)
    lists, removed = {}, []
    for key, names in zip(keys, today_lists):
        kept = []
        for name in _real(names):
            if supported is None or name in supported:
                kept.append(name)
            elif name not in removed:
                removed.append(name)
        if key == 'kex_algorithms':
            kept += _pseudo(target.get('kex_algorithms'))
        lists[key] = kept
    item = {'category': category, 'assumption': assumption, 'removed': removed, 'added': [], 'daemon_error': None}
    target_name = target['name']
    if assumption == 'explicit_kept':
        why = ('today\'s %s list differs from %s\'s default, so it is taken as set in the configuration and kept'
               % (CATEGORY[category].words, current_name))
    else:
        why = ('the release the server runs today has no built-in profile (or the list was not probed), so whether '
               'it runs its defaults is unknown: today\'s %s list is assumed kept' % CATEGORY[category].words)
    if supported is None:
        item['detail'] = '%s; %s\'s supported %s algorithms are not known, so nothing was removed.' % (
            why, target_name, CATEGORY[category].words)
        return lists, item
    if not removed:
        item['detail'] = '%s; %s supports all of it.' % (why, target_name)
        return lists, item
    item['detail'] = '%s minus what %s no longer supports: %s.' % (why, target_name, _sentence(removed))
    if category in OPENSSH_FATAL and _product(target) == 'OpenSSH':
        setting, message = OPENSSH_FATAL[category]
        item['daemon_error'] = 'sshd_config line N: ' + message % ','.join(_real(today_lists[0]))
        item['detail'] += (
            ' If sshd_config names %s in %s, sshd %s refuses to start (%s): the upgrade stops the daemon until the '
            'setting is edited; the predicted offer is the one after removing %s.'
            % ('it' if len(removed) == 1 else 'them', setting, target.get('software', {}).get('version') or
               target_name, item['daemon_error'], 'it' if len(removed) == 1 else 'them'))
    elif category in OPENSSH_FATAL:
        item['detail'] += (' Whether %s starts with a setting that names %s was not read from its source.'
                           % (_product(target) or target_name, 'it' if len(removed) == 1 else 'them'))
    return lists, item


def _defaults(category, today_lists, target, keys, current_name):
    target_name = target['name']
    item = {'category': category, 'assumption': 'release_defaults', 'daemon_error': None}
    if category == 'host_key':
        groups = _groups(today_lists[0])
        names, assumed = _host_keys_default(target, groups, from_supported=True)
        lists = {keys[0]: names}
        gone = [group for group in groups if not _host_key_names(target, group, True)[0]]
        item['removed'] = [name for name in _real(today_lists[0]) if name not in names]
        item['added'] = [name for name in names if name not in _real(today_lists[0])]
        item['detail'] = ('today\'s host-key algorithms are %s\'s defaults for the server\'s host keys (%s), so after '
                          'the upgrade the server offers %s\'s algorithms for the same keys'
                          % (current_name, ', '.join(family + (' certificate' if cert else '')
                                                     for family, cert in groups) or 'none', target_name))
        if assumed:
            item['detail'] += ' (for a key type its profile has no key of, taken from its supported list)'
        if gone:
            item['detail'] += ('; %s offers nothing for the %s key(s), which no longer serve'
                               % (target_name, ', '.join(family for family, _cert in gone)))
        item['detail'] += '.'
        return lists, item
    lists = {key: list(target.get(key) or []) for key in keys}
    before = [name for names in today_lists for name in _real(names)]
    after = [name for key in keys for name in _real(lists[key])]
    item['removed'] = [name for name in dict.fromkeys(before) if name not in after]
    item['added'] = [name for name in dict.fromkeys(after) if name not in before]
    item['detail'] = ('today\'s %s list is %s\'s default, so after the upgrade the server offers %s\'s default%s.'
                      % (CATEGORY[category].words, current_name, target_name,
                         '' if not item['removed'] else ' (without %s)' % _sentence(item['removed'])))
    return lists, item


def predict_upgrade(server, target, current=None):
    """What ``server`` (an ``algorithms_info`` result, a proposal or a server profile name) offers after moving to
    the server profile ``target`` (a name), its current release being the profile ``current`` (a name; None:
    detected from its software). Returns ``{offer, target, target_source, current, current_detected, candidates,
    assumptions, daemon_refuses_to_start, daemon_errors}``; ``offer`` is a proposal ``negotiate`` takes (the ten
    lists, the target's banner and software)."""
    if isinstance(server, str):
        server = _load(server, 'server')   # a server profile: that release as it ships
    try:
        normalized = normalize_proposal(server, 'server')
    except ProposalError as exc:
        raise UpgradeError(str(exc))
    target_profile = _load(target, 'upgrade target')
    detected = current is None
    candidates = []
    if current is None:
        current_profile, candidates = detect_current(normalized)
    else:
        current_profile = _load(current, 'current release')
        candidates = [current_profile['name']]
    current_name = current_profile['name'] if current_profile else None
    today = normalized['offer']
    offer = {key: None for key in NAME_LIST_KEYS}
    offer['languages_client_to_server'] = list(target_profile.get('languages_client_to_server') or [])
    offer['languages_server_to_client'] = list(target_profile.get('languages_server_to_client') or [])
    assumptions = []
    for category in CATEGORIES:
        keys = CATEGORY[category].keys
        today_lists = [today.get(key) for key in keys]
        if None in today_lists:
            assumptions.append({'category': category, 'assumption': 'unknown_current', 'removed': [], 'added': [],
                                'daemon_error': None,
                                'detail': 'today\'s %s list was not probed, so it is not predicted.'
                                          % CATEGORY[category].words})
            continue
        if current_profile is not None and _matches_default(today_lists, current_profile, category):
            lists, item = _defaults(category, today_lists, target_profile, keys, current_name)
        else:
            lists, item = _explicit(category, today_lists, target_profile, keys,
                                    'explicit_kept' if current_profile is not None else 'unknown_current',
                                    current_name)
        offer.update(lists)
        assumptions.append(item)
    errors = [item['daemon_error'] for item in assumptions if item['daemon_error']]
    refuses = any(item['daemon_error'] for item in assumptions if item['assumption'] == 'explicit_kept')
    if not refuses and errors:
        refuses = None   # unknown_current: only if the configuration names them
    software = target_profile.get('software') or {}
    offer.update({'banner': target_profile.get('banner'),
                  'software': {'product': software.get('product'), 'version': software.get('version')}
                  if software.get('product') else None,
                  'name': target_profile['name']})
    return {
        'offer': offer,
        'target': target_profile.get('alias') or target_profile['name'],
        'target_source': target_profile.get('source'),
        'current': current_name,
        'current_detected': detected and current_name is not None,
        'candidates': candidates,
        'assumptions': assumptions,
        'daemon_refuses_to_start': refuses,
        'daemon_errors': errors,
    }


VERDICT_KEYS = ('compatible', 'negotiated', 'failures', 'unknown', 'post_quantum', 'warnings')


def verdict(prediction):
    """The part of a ``negotiate`` result an upgrade comparison shows."""
    return {key: prediction.get(key) for key in VERDICT_KEYS}


def upgrade_impact(server, target, clients, current=None):
    """Each client (profile names, proposals; labelled as the report labels them) against ``server`` today and
    after it moves to ``target``: ``predict_upgrade``'s result plus ``clients`` ([{client, today, after, breaks,
    fixes}]), ``breaks`` (labels that connect today and not after) and ``fixes`` (the reverse)."""
    if clients is None:
        clients = []
    if not isinstance(clients, (list, tuple)):
        raise UpgradeError('clients must be a list of client profile names or proposals')
    result = predict_upgrade(server, target, current)
    items, breaks, fixes = [], [], []
    for index, client in enumerate(clients):
        label = client_label(client, index)
        today = verdict(predict(server, client))
        after = verdict(predict(result['offer'], client))
        item = {'client': label, 'today': today, 'after': after,
                'breaks': bool(today['compatible'] and not after['compatible']),
                'fixes': bool(after['compatible'] and not today['compatible'])}
        items.append(item)
        if item['breaks']:
            breaks.append(label)
        if item['fixes']:
            fixes.append(label)
    result.update({'clients': items, 'breaks': breaks, 'fixes': fixes})
    return result
