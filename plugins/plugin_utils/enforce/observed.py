# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Impact before every change: the clients a server really has, and what a change would do to them.

Two records of real clients come in, both gathered on the server host:

* ``observed_clients_info`` (a capture on the wire): one entry per distinct (banner, proposal) with ``banner``,
  ``software``, the ten-list ``proposal``, ``hassh``, ``hassh_algorithms``, ``connections``, ``first_seen``,
  ``last_seen`` and ``addresses`` (``[{address, count}]``, the most frequent);
* ``negotiation_failures_info`` (the daemons' logs): per client address and category ``{address, category,
  client_list, server_list, count, first_seen, last_seen, daemon, message}``.

Each captured client becomes a labelled client proposal (``observed OpenSSH_9.2p1 #a1b2c3d4``: product and
version from its software, then the first eight hex digits of its HASSH). A logged failure that no captured
client explains becomes a *partial* proposal that knows only the logged category (``logged cipher failure
#1a2b3c4d``); the categories it cannot judge are reported as ``unknown``, never guessed. Where the daemon logged
the client's banner and it names exactly one built-in profile whose lists agree with the logged one, the profile
fills the rest (``profiles.fill_from_profile``; ``filled_from`` says so). Every client is then
negotiated (``negotiation.negotiate``) against the server's offer today and against a remediation plan's target
(``remediation.target_proposal``), with the client software's own message when it would fail.

The lock-out check refuses a target that a client which connects today could not negotiate, unless an
observed-client exception covers it: ``{hassh | banner | address, reason, expires}``. ``hassh`` is the client's
HASSH or a prefix of at least 8 hex digits, ``banner`` an fnmatch pattern matched against the whole
identification line (``SSH-2.0-JSCH-*``), ``address`` one address or a network (``10.1.0.0/16``); when an
exception gives several of these, all must match. An address exception covers a client only when it covers
every address the client was seen from. Expired exceptions count as absent and are reported, as the
algorithm exceptions of ``baselines.normalize_exceptions`` are (whose date handling this module reuses).

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import hashlib
import ipaddress
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, NEGOTIATED_LIST_KEYS, \
    PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import BaselineError, _as_date
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import client_label
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import as_proposal

try:  # the profile library fills a partial client's unknown lists from the one profile its software names
    from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import fill_from_profile
except ImportError:  # pragma: no cover - older profile library
    def fill_from_profile(proposal):
        return proposal, None
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, \
    normalize_proposal

SOURCES = ('capture', 'log', 'given')
TOP_ADDRESSES = 5          # addresses kept per client in results (the module keeps its own, larger cap)
MAX_LABEL_PART = 48        # characters of product/version in a label
MAX_ENTRIES = 10000        # observed entries read per host; the rest are counted as skipped
_HEX = re.compile(r'^[0-9a-f]{8,32}$')
_HASSH_KEYS = ('kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
               'compression_algorithms_client_to_server')
_UNPRINTABLE = re.compile(r'[^\x20-\x7e]+')
# How logs and people name a category -> negotiate()'s category.
_CATEGORY_NAMES = {
    'kex': 'kex', 'key exchange': 'kex', 'key exchange method': 'kex', 'key exchange algorithm': 'kex',
    'host_key': 'host_key', 'host key': 'host_key', 'host key type': 'host_key', 'host key algorithm': 'host_key',
    'hostkey': 'host_key',
    'cipher': 'cipher', 'ciphers': 'cipher', 'encryption': 'cipher',
    'mac': 'mac', 'macs': 'mac', 'digest': 'mac', 'digests': 'mac',
    'compression': 'compression', 'compression method': 'compression', 'compression algorithm': 'compression',
}


class ObservedError(BaselineError):
    """Observed clients or observed-client exceptions handed in are not usable; the message says why."""


# --- reading what the modules stored ----------------------------------------------------------------------

def _text(value, limit=200):
    """A short one-line text for labels and messages: printable ASCII, bounded."""
    text = _UNPRINTABLE.sub('?', str(value)).strip() if value is not None else ''
    return text[:limit]


def _list_of(value, key):
    """``value`` as a list of entries: a list, or a module result that holds one under ``key``."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get(key)
        if value is None:
            return []
    if not isinstance(value, list):
        raise ObservedError('%s must be a list (or a module result with a %s list)' % (key, key))
    return value


def short_hash(text):
    """The first eight hex digits of an MD5 digest, as HASSH values are usually quoted."""
    return hashlib.md5(text.encode('utf-8')).hexdigest()[:8]  # nosec - a fingerprint, as HASSH itself


def hassh_of(proposal):
    """HASSH (Salesforce/Corelight) of a client proposal: MD5 of ``kex;ciphers c2s;MACs c2s;compression c2s``.
    None when one of those lists is unknown (a partial proposal)."""
    lists = [proposal.get(key) for key in _HASSH_KEYS]
    if any(names is None for names in lists):
        return None
    algorithms = ';'.join(','.join(names) for names in lists)
    return hashlib.md5(algorithms.encode('utf-8')).hexdigest()  # nosec - the HASSH definition


def _software_text(software, banner):
    software = software if isinstance(software, dict) else {}
    product, version = software.get('product'), software.get('version')
    if not product and isinstance(banner, str) and banner.startswith('SSH-'):
        product = banner.split('-', 2)[-1].split(' ', 1)[0]
        version = None
    if not product:
        return 'unknown-software'
    text = _text(product, MAX_LABEL_PART).replace(' ', '_')
    if version:
        text += '_' + _text(version, MAX_LABEL_PART)
    return text[:MAX_LABEL_PART * 2] or 'unknown-software'


def _addresses(value):
    """``[{address, count}]``, most frequent first (``count`` or ``connections`` in the input)."""
    result = []
    for item in value or ():
        if isinstance(item, dict) and item.get('address') is not None:
            # observed_clients_info says connections, negotiation_failures_info count
            result.append({'address': _text(item['address'], 100),
                           'count': _count(item.get('count', item.get('connections')))})
        elif isinstance(item, str):
            result.append({'address': _text(item, 100), 'count': 1})
    merged = {}
    for item in result:
        merged[item['address']] = merged.get(item['address'], 0) + item['count']
    return sorted(({'address': key, 'count': count} for key, count in merged.items()),
                  key=lambda item: (-item['count'], item['address']))


def _count(value, default=1):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _category(value):
    if not isinstance(value, str):
        return None
    return _CATEGORY_NAMES.get(value.strip().lower())


def _names(value):
    if isinstance(value, str):
        value = value.split(',') if value else []
    if not isinstance(value, (list, tuple)):
        return None
    return [name for name in value if isinstance(name, str)]


def _entry(source, label_base, proposal, raw, index):
    return {
        'label': label_base, 'source': source, 'index': index,
        'banner': proposal['banner'], 'software': proposal['software'],
        'hassh': raw.get('hassh') if isinstance(raw.get('hassh'), str) else None,
        'connections': _count(raw.get('connections', raw.get('count'))),
        'addresses': _addresses(raw.get('addresses')),
        'first_seen': raw.get('first_seen'), 'last_seen': raw.get('last_seen'),
        'partial': proposal['partial'],
        'proposal': proposal,
        'logged_failures': [],
    }


def _captured(raw, index):
    proposal_in = raw.get('proposal')
    if not isinstance(proposal_in, dict):
        raise ProposalError('has no proposal')
    banner = raw.get('banner') if isinstance(raw.get('banner'), str) else None
    value = dict(proposal_in, banner=banner)
    if isinstance(raw.get('software'), dict):
        value['software'] = raw['software']
    if isinstance(raw.get('empty_entries'), dict):  # where the client's lists had empty entries (the module says)
        value['empty_entries'] = raw['empty_entries']
    proposal = normalize_proposal(value, 'observed client')
    if not isinstance(raw.get('hassh'), str) or not raw.get('hassh'):
        raw = dict(raw, hassh=hassh_of(proposal['offer']))
    elif not _HEX.match(raw['hassh'].lower()):
        raise ProposalError('hassh %r is not an MD5 hex digest' % _text(raw['hassh'], 40))
    else:
        raw = dict(raw, hassh=raw['hassh'].lower())
    tag = '#' + raw['hassh'][:8] if raw['hassh'] else '#' + short_hash(repr(sorted(proposal['offer'].items())))
    return _entry('capture', 'observed %s %s' % (_software_text(proposal['software'], banner), tag), proposal, raw,
                  index)


def _given(raw, index):
    """Any other client proposal (a profile name, a Zeek/Suricata-derived partial proposal, a hand-written one):
    labelled by its profile name or ``name``, else like a captured client."""
    named = isinstance(raw, str) or (isinstance(raw, dict) and isinstance(raw.get('name'), str) and raw['name'])
    proposal = as_proposal(raw, 'observed client %s' % _text(client_label(raw, index), 60))
    details = raw if isinstance(raw, dict) else {}
    hassh = details.get('hassh') if isinstance(details.get('hassh'), str) and _HEX.match(details['hassh'].lower()) \
        else hassh_of(proposal['offer'])
    tag = (hassh or short_hash(repr(sorted(proposal['offer'].items()))))[:8]
    label = _text(client_label(raw, index), 100) if named else 'observed %s #%s' % (
        _software_text(proposal['software'], proposal['banner']), tag)
    entry = _entry('given', label, proposal, details, index)
    entry['hassh'] = hassh.lower() if hassh else None
    return entry


def _logged(raw):
    """(category, direction or None, client names) of a logged failure."""
    category = _category(raw.get('category'))
    if category is None:
        raise ProposalError('category %r is not one of kex, host_key, cipher, mac, compression'
                            % _text(raw.get('category'), 40))
    direction = raw.get('direction') if raw.get('direction') in ('c2s', 's2c') \
        and len(CATEGORY[category].keys) == 2 else None
    names = _names(raw.get('client_list'))
    if not names:
        raise ProposalError('%s logged a %s failure%s without the client\'s list, so it cannot be predicted'
                            % (_text(raw.get('daemon'), 20) or 'the daemon', category,
                               ' from %s' % _text(raw.get('address'), 60) if raw.get('address') else ''))
    return category, direction, names


def _list_keys(category, direction):
    keys = CATEGORY[category].keys
    if direction is None or len(keys) == 1:
        return keys
    return (keys[0],) if direction == 'c2s' else (keys[1],)


def _same_names(one, other):
    if one is None or other is None:
        return False
    return {name for name in one if name not in PSEUDO_ALGORITHMS} == \
        {name for name in other if name not in PSEUDO_ALGORITHMS}


def _explains(entry, keys, names, address):
    """A captured client explains a logged failure when it was seen from that address and sends that list."""
    if address is not None and entry['addresses'] and address not in {item['address'] for item in entry['addresses']}:
        return False
    return any(_same_names(entry['proposal']['offer'][key], names) for key in keys)


def _unique_labels(entries):
    seen = {}
    for entry in entries:
        label = entry['label']
        if label in seen:
            seen[label] += 1
            entry['label'] = '%s (%d)' % (label, seen[label])
        else:
            seen[label] = 1
    return entries


def observed_entries(observed=None, failures=None):
    """Read what ``observed_clients_info`` and ``negotiation_failures_info`` returned (or what observe.yml stored)
    into labelled, normalized client entries; unreadable items are listed in ``errors``, never fatal.

    ``observed`` is a list of items or a dict ``{clients, failures}`` (a stored observation; ``clients`` and
    ``failures`` may be the modules' whole results). Items may be captured clients (with ``proposal``), logged
    failures (with ``category`` and ``client_list``) or any other client proposal (a profile name or dict).
    Returns ``{'entries': [...], 'errors': [{source, index, message}], 'skipped': n}``."""
    items_clients, items_failures, items_given = [], [], []
    if isinstance(observed, dict) and ('clients' in observed or 'failures' in observed):
        items_clients = _list_of(observed.get('clients'), 'clients')
        failures = _list_of(observed.get('failures'), 'failures') + _list_of(failures, 'failures')
    elif observed is not None:
        if not isinstance(observed, list):
            raise ObservedError('observed clients must be a list of observed_clients_info clients, '
                                'negotiation_failures_info failures or client proposals, or a stored observation '
                                '{clients, failures}')
        for item in observed:
            if isinstance(item, dict) and 'proposal' in item:
                items_clients.append(item)
            elif isinstance(item, dict) and 'client_list' in item and 'category' in item:
                items_failures.append(item)
            else:
                items_given.append(item)
        failures = items_failures + _list_of(failures, 'failures')
    else:
        failures = _list_of(failures, 'failures')
    entries, errors = [], []
    total = len(items_clients) + len(items_given) + len(failures)
    skipped = max(0, total - MAX_ENTRIES)
    if skipped:
        items_clients = items_clients[:MAX_ENTRIES]
        items_given = items_given[:MAX_ENTRIES - len(items_clients)]
        failures = failures[:MAX_ENTRIES - len(items_clients) - len(items_given)]
    for source, items, read in (('capture', items_clients, _captured), ('given', items_given, _given)):
        for index, raw in enumerate(items):
            try:
                if source == 'capture' and not isinstance(raw, dict):
                    raise ProposalError('is not a dict')
                entries.append(read(raw, index))
            except ProposalError as exc:
                errors.append({'source': source, 'index': index, 'message': _text(exc, 300)})
    groups = {}
    for index, raw in enumerate(failures):
        try:
            if not isinstance(raw, dict):
                raise ProposalError('is not a dict')
            category, direction, names = _logged(raw)
            keys = _list_keys(category, direction)
            address = _text(raw['address'], 100) if raw.get('address') is not None else None
            banner = raw.get('client_banner') if isinstance(raw.get('client_banner'), str) \
                and raw['client_banner'].startswith('SSH-') else None
            explained = [entry for entry in entries if entry['source'] != 'log'
                         and _explains(entry, keys, names, address)]
            record = {'address': address, 'category': category, 'direction': direction,
                      'count': _count(raw.get('count')), 'daemon': _text(raw.get('daemon'), 40) or None,
                      'message': _text(raw.get('message'), 512) or None,
                      'first_seen': raw.get('first_seen'), 'last_seen': raw.get('last_seen')}
            if explained:
                explained[0]['logged_failures'].append(record)
                continue
            key = (category, direction, tuple(names), banner)
            if key not in groups:
                lists = {list_key: list(names) for list_key in keys}
                proposal = normalize_proposal(dict(lists, partial=True, banner=_text(banner, 255) or None),
                                              'logged client')
                proposal, filled_from = fill_from_profile(proposal) if banner else (proposal, None)
                tag = short_hash('%s:%s:%s:%s' % (category, direction, ','.join(names), banner or ''))
                what = category + (' ' + direction if direction else '')
                software = ' ' + _software_text(proposal['software'], banner) if banner else ''
                entry = _entry('log', 'logged%s %s failure #%s' % (software, what, tag), proposal,
                               {'connections': 0}, index)
                entry['hassh'] = None
                entry['logged_category'] = category
                entry['filled_from'] = filled_from
                groups[key] = entry
                entries.append(entry)
            entry = groups[key]
            entry['logged_failures'].append(record)
            entry['connections'] += record['count']
            if address is not None:
                entry['addresses'] = _addresses(entry['addresses'] + [{'address': address, 'count': record['count']}])
            entry['first_seen'] = _earliest(entry['first_seen'], record['first_seen'])
            entry['last_seen'] = _latest(entry['last_seen'], record['last_seen'])
        except ProposalError as exc:
            errors.append({'source': 'log', 'index': index, 'message': _text(exc, 300)})
    return {'entries': _unique_labels(entries), 'errors': errors, 'skipped': skipped}


def _earliest(one, other):
    values = [value for value in (one, other) if value is not None]
    return min(values, key=str) if values else None


def _latest(one, other):
    values = [value for value in (one, other) if value is not None]
    return max(values, key=str) if values else None


def observed_proposals(observed=None, failures=None):
    """The observed clients as client proposals (``name`` is the label), usable wherever a client is: in
    ``negotiate``, or as required clients of ``remediate`` and the role."""
    proposals = []
    for entry in observed_entries(observed, failures)['entries']:
        offer = entry['proposal']['offer']
        proposal = {key: list(offer[key]) for key in offer if offer[key] is not None}
        proposal.update({'name': entry['label'], 'banner': entry['banner'], 'software': entry['software'],
                         'partial': entry['partial']})
        proposals.append(proposal)
    return proposals


# --- predictions ---------------------------------------------------------------------------------------------

def _unknown(result, client):
    if isinstance(result.get('unknown'), list):
        return list(result['unknown'])
    unknown = []
    for key in NEGOTIATED_LIST_KEYS:
        if client['offer'][key] is None:
            for name, category in CATEGORY.items():
                if key in category.keys and name not in unknown:
                    unknown.append(name)
    return unknown


def verdict(server, client):
    """``negotiate`` reduced to what a report and a refusal need: ``{compatible, message, failures: [{category,
    direction, message}], unknown: [categories not judged], negotiated}``; None without a server."""
    if server is None:
        return None
    result = negotiate(server, client)
    failures = [{'category': item['category'], 'direction': item['direction'], 'message': item['message']}
                for item in result['failures']]
    return {'compatible': result['compatible'], 'message': failures[0]['message'] if failures else None,
            'failures': failures, 'unknown': _unknown(result, client), 'negotiated': result['negotiated']}


# --- observed-client exceptions -------------------------------------------------------------------------------

def _address_matcher(value, where):
    if not isinstance(value, str) or not value or len(value) > 100:
        raise ObservedError('%s address must be an address or a network (10.0.0.0/8)' % where)
    if '/' in value:
        try:
            return ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ObservedError('%s address %r is not a network' % (where, _text(value, 100)))
    return value


def _date(value, where):
    """baselines' date handling (YYYY-MM-DD, or a date), with this module's error."""
    try:
        return _as_date(value, where)
    except ObservedError:
        raise
    except BaselineError as exc:
        raise ObservedError(str(exc))


def normalize_observed_exceptions(value, today=None):
    """Validate observed-client exceptions (a list of ``{hassh | banner | address, reason, expires}``) and split
    them into ``(active, expired)`` as ``baselines.normalize_exceptions`` does for algorithm exceptions."""
    today = _date(today, 'today') if today is not None else datetime.date.today()
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise ObservedError('observed-client exceptions must be a list of {hassh | banner | address, reason, '
                            'expires}')
    active, expired = [], []
    for index, entry in enumerate(value):
        where = 'observed exceptions[%d]' % index
        if not isinstance(entry, dict):
            raise ObservedError('%s must be a dict with hassh, banner or address, and reason and expires' % where)
        if not any(entry.get(key) for key in ('hassh', 'banner', 'address')):
            raise ObservedError('%s names no client: give hassh, banner (a pattern) or address' % where)
        missing = [key for key in ('reason', 'expires') if not entry.get(key)]
        if missing:
            raise ObservedError('%s lacks %s: every exception names the client, a reason and an expiry date'
                                % (where, ', '.join(missing)))
        unknown = sorted(set(entry) - {'hassh', 'banner', 'address', 'reason', 'expires'})
        if unknown:
            raise ObservedError('%s has unknown keys %s (known: hassh, banner, address, reason, expires)'
                                % (where, ', '.join(_text(key, 40) for key in unknown)))
        exception = {'reason': str(entry['reason']), 'expires': _date(entry['expires'], '%s expires' % where)
                     .isoformat()}
        if entry.get('hassh'):
            if not isinstance(entry['hassh'], str) or not _HEX.match(entry['hassh'].lower()):
                raise ObservedError('%s hassh must be a HASSH (32 hex digits) or its first 8 or more' % where)
            exception['hassh'] = entry['hassh'].lower()
        if entry.get('banner'):
            if not isinstance(entry['banner'], str) or len(entry['banner']) > 255 or \
                    re.search(r'[\x00-\x1f\x7f]', entry['banner']):
                raise ObservedError('%s banner must be a pattern of printable characters (fnmatch: * ? [...])' % where)
            exception['banner'] = entry['banner']
        if entry.get('address'):
            _address_matcher(entry['address'], where)
            exception['address'] = entry['address']
        (active if exception['expires'] >= today.isoformat() else expired).append(exception)
    return active, expired


def _address_covered(address, pattern):
    matcher = _address_matcher(pattern, 'exception')
    if isinstance(matcher, str):
        return address == matcher
    try:
        return ipaddress.ip_address(address) in matcher
    except ValueError:
        return False


def _matches(exception, entry):
    """Whether ``exception`` covers the whole of ``entry``; (covered, partly) where partly means its address
    matched some but not all of the client's addresses."""
    if 'hassh' in exception and not (entry['hassh'] or '').startswith(exception['hassh']):
        return False, False
    if 'banner' in exception and not (entry['banner'] is not None
                                      and fnmatch.fnmatchcase(entry['banner'], exception['banner'])):
        return False, False
    if 'address' in exception:
        covered = [item for item in entry['addresses'] if _address_covered(item['address'], exception['address'])]
        if not covered:
            return False, False
        listed = sum(item['count'] for item in entry['addresses'])
        if len(covered) < len(entry['addresses']) or listed < entry['connections']:
            return False, True
    return True, False


def _public(entry):
    """An entry as results show it (without the normalized proposal)."""
    result = {key: entry[key] for key in ('label', 'source', 'banner', 'software', 'hassh', 'connections',
                                          'first_seen', 'last_seen', 'partial')}
    result['addresses'] = entry['addresses'][:TOP_ADDRESSES]
    result['logged_failures'] = len(entry['logged_failures'])
    if entry.get('logged_category'):
        result['logged_category'] = entry['logged_category']
        result['filled_from'] = entry.get('filled_from')
        result['logged_message'] = next((item['message'] for item in entry['logged_failures'] if item['message']),
                                        None)
    return result


def impact_normalized(entries, server, target, active, expired):
    """Each entry predicted against ``server`` (today; None when unknown) and ``target`` (None without a plan),
    with the exception that covers a failure. ``locked_out`` are the clients that connect today (or whose today is
    not known) and would not under the target, with no exception; ``accepted`` those an exception covers."""
    clients = []
    for entry in entries:
        today_verdict = verdict(server, entry['proposal'])
        target_verdict = verdict(target, entry['proposal'])
        item = _public(entry)
        item.update({'today': today_verdict, 'target': target_verdict, 'exception': None, 'expired_exception': None,
                     'partial_exception': None})
        fails_target = target_verdict is not None and not target_verdict['compatible']
        fails_today = today_verdict is not None and not today_verdict['compatible']
        if fails_target or fails_today:
            for exception in active:
                covered, partly = _matches(exception, entry)
                if covered:
                    item['exception'] = exception
                    break
                if partly and item['partial_exception'] is None:
                    item['partial_exception'] = exception
            if item['exception'] is None:
                item['expired_exception'] = next((exception for exception in expired
                                                  if _matches(exception, entry)[0]), None)
        # Locked out by the change: negotiates today (or today is not known) and would not under the target.
        item['locked_out'] = None if target_verdict is None else bool(
            fails_target and not fails_today and item['exception'] is None)
        item['accepted'] = item['exception'] is not None
        clients.append(item)
    locked = [item for item in clients if item['locked_out']]
    return {
        'ok': not locked,
        'checked': len(clients),
        'clients': clients,
        'locked_out': [item['label'] for item in locked],
        'accepted': [item['label'] for item in clients if item['accepted']],
        'failing_today': [item['label'] for item in clients if item['today'] and not item['today']['compatible']],
        'expired_exceptions': expired,
        'message': lockout_message(locked),
    }


def _describe(item):
    where = ', '.join('%s (%d)' % (address['address'], address['count']) for address in item['addresses'][:3])
    parts = [item['banner'] or 'banner not known', '%d connection%s' % (item['connections'],
                                                                        '' if item['connections'] == 1 else 's')]
    if where:
        parts[-1] += ' from ' + where
    if item['hassh']:
        parts.append('hassh ' + item['hassh'])
    text = '%s (%s): %s' % (item['label'], '; '.join(parts), item['target']['message'])
    if item['expired_exception']:
        text += ' [its exception expired on %s]' % item['expired_exception']['expires']
    if item['partial_exception']:
        text += ' [exception for %s covers only some of its addresses]' % item['partial_exception']['address']
    return text


def lockout_message(locked):
    """One sentence naming every client the target would lock out, with its own error message."""
    if not locked:
        return None
    return ('the target would lock out %d observed client%s that connect%s today: %s. Keep them working (add them '
            'to the required clients, or a dated exception to the baseline), or accept it on purpose with an '
            'observed-client exception {hassh | banner | address, reason, expires}'
            % (len(locked), '' if len(locked) == 1 else 's', 's' if len(locked) == 1 else '',
               '; '.join(_describe(item) for item in locked)))


def _server(value, role):
    if value is None:
        return None
    if isinstance(value, dict) and (value.get('failed') or not isinstance(value.get('offer', value), dict)):
        return None
    return as_proposal(value, role)


def _target(plan):
    if plan is None:
        return None
    if not isinstance(plan, dict) or not isinstance(plan.get('target_proposal'), dict):
        raise ObservedError('plan must be a remediate result (with target_proposal)')
    return normalize_proposal(plan['target_proposal'], 'target')


def observed_impact(observed, server=None, plan=None, exceptions=None, today=None, failures=None):
    """See the ``observed_impact`` filter: every observed client predicted today (``server``, an algorithms_info
    result) and under ``plan``'s target (a ``remediate`` result), and the clients the target would lock out.
    Adds ``errors`` (observed items that could not be read) to :func:`impact_normalized`'s result."""
    read = observed_entries(observed, failures)
    active, expired = normalize_observed_exceptions(exceptions, today)
    result = impact_normalized(read['entries'], _server(server, 'server'), _target(plan), active, expired)
    result['errors'] = read['errors']
    result['skipped'] = read['skipped']
    return result


def lockout_check(plan, observed, exceptions=None, server=None, today=None):
    """The role's preflight question: which observed clients would ``plan``'s target lock out, not excepted.
    With ``server`` (today's probe), clients that already fail today are not counted as locked out by the change."""
    return observed_impact(observed, server, plan, exceptions, today)
