# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cipher baselines, exceptions and the evaluation of a server's offer against them.

A baseline lists, per category (``kex``, ``host_key``, ``ciphers``, ``macs``), the allowed algorithms in
preference order, and rates what it rejects (``rejected:``, falling back to the shared ratings in
``data/baselines/_ratings.yml``, then to "not allowed by this baseline"). Built-in baselines live in
``data/baselines/<name>.yml``; users pass their own as a dict of the same shape. Exceptions let one named client
keep one algorithm outside the baseline until an expiry date; an expired exception counts as absent.

Plain Python with PyYAML (only for the built-in files); no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED, GOVERNED_KEYS, \
    PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import COUNTED_RATINGS, \
    check_sections, normalize_checks, run_checks
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, \
    normalize_proposal, validate_name

KIND = 'baselines'
RATINGS_FILE = '_ratings'

# Baseline category -> the offer lists it governs (ciphers and MACs in both directions), in the catalog's
# shorthand spelling; compression is negotiated but not governed.
CATEGORY_KEYS = GOVERNED_KEYS
CATEGORIES = GOVERNED
RATINGS = ('fail', 'warn')
_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]{0,63}$')
_CACHE = {}


class BaselineError(ProposalError):
    """A baseline or exception handed in by a user or inventory is not usable; the message says why."""


def baseline_names():
    """Names of the built-in baselines, sorted."""
    return data.names(KIND)


def shared_ratings():
    """The ratings every built-in baseline shares (algorithm -> rating, reason, source)."""
    if RATINGS_FILE not in _CACHE:
        _CACHE[RATINGS_FILE] = _ratings(data.load(KIND, RATINGS_FILE).get('ratings') or {}, 'shared ratings')
    return _CACHE[RATINGS_FILE]


def _ratings(value, where):
    if not isinstance(value, dict):
        raise BaselineError('%s must map algorithm names to {rating, reason, source}' % where)
    ratings = {}
    for name, entry in value.items():
        validate_name(name, 'in %s, the algorithm' % where)
        if not isinstance(entry, dict) or entry.get('rating') not in RATINGS or not entry.get('reason') \
                or not entry.get('source'):
            raise BaselineError('%s entry %r needs rating (%s), reason and source' % (where, name, '/'.join(RATINGS)))
        ratings[name] = {'rating': entry['rating'], 'reason': str(entry['reason']), 'source': str(entry['source'])}
    return ratings


def normalize_baseline(value, where='baseline'):
    """Validate a baseline dict and return ``{name, version, description, source, allowed: {category: [names]},
    sources: {name: source}, rejected: {name: rating}, checks: {check: settings}, tracks: [{policy, source}],
    differs_from_ssh_audit: {policy, source, points} or None}``. Every algorithm name is checked against RFC 4251
    section 6 before anything else uses it, so nothing malformed can reach a configuration file."""
    if not isinstance(value, dict):
        raise BaselineError('%s must be a built-in baseline name (%s) or a dict with allowed lists, got %s'
                            % (where, ', '.join(baseline_names()), type(value).__name__))
    name = value.get('name', 'custom')
    if not isinstance(name, str) or not name:
        raise BaselineError('%s name must be a non-empty string' % where)
    allowed_in = value.get('allowed')
    if not isinstance(allowed_in, dict) or not allowed_in:
        raise BaselineError('%s %r needs allowed: a dict with lists for %s' % (where, name, ', '.join(CATEGORIES)))
    unknown = sorted(set(allowed_in) - set(CATEGORIES))
    if unknown:
        raise BaselineError('%s %r has unknown categories %s (known: %s)' % (where, name, unknown, ', '.join(CATEGORIES)))
    allowed, sources = {}, {}
    given_sources = value.get('sources') if isinstance(value.get('sources'), dict) else {}
    for category in CATEGORIES:
        entries = allowed_in.get(category)
        if entries is None:
            raise BaselineError('%s %r allows nothing for %s; every category needs a list' % (where, name, category))
        if isinstance(entries, str):
            entries = entries.split(',')
        if not isinstance(entries, list) or not entries:
            raise BaselineError('%s %r allowed.%s must be a non-empty list' % (where, name, category))
        names = []
        for entry in entries:
            algorithm = entry.get('name') if isinstance(entry, dict) else entry
            validate_name(algorithm, 'in %s %r allowed.%s, the algorithm' % (where, name, category))
            if algorithm in PSEUDO_ALGORITHMS:
                raise BaselineError('%s %r allowed.%s lists %r, a pseudo-algorithm the daemon adds by itself'
                                    % (where, name, category, algorithm))
            if algorithm not in names:
                names.append(algorithm)
            # A normalized baseline keeps its per-entry sources apart, under ``sources``.
            source = entry.get('source') if isinstance(entry, dict) else given_sources.get(algorithm)
            sources[algorithm] = source or value.get('source') or 'baseline %s' % name
        allowed[category] = names
    normalized = {
        'name': name,
        'version': str(value.get('version', '')),
        'description': str(value.get('description', '')),
        'source': str(value.get('source') or 'user-defined baseline %s' % name),
        'allowed': allowed,
        'sources': sources,
        'rejected': _ratings(value.get('rejected') or {}, '%s %r rejected' % (where, name)),
        'checks': normalize_checks(value, name, where),
        'tracks': _tracks(value.get('tracks'), '%s %r tracks' % (where, name)),
        'differs_from_ssh_audit': _differences(value.get('differs_from_ssh_audit'),
                                               '%s %r differs_from_ssh_audit' % (where, name)),
    }
    # The checks' sections as given, so that a normalized baseline handed in again (a role variable set from
    # load_baseline, a filter's output) normalizes to the same checks instead of their defaults.
    for section in check_sections().values():
        if value.get(section) is not None:
            normalized[section] = value[section]
    return normalized


def _text(value, where):
    if not isinstance(value, str) or not value.strip():
        raise BaselineError('%s must be a non-empty string' % where)
    return value.strip()


def _tracks(value, where):
    """Documentation: which external policies a baseline follows, each ``{policy, source}`` (optional)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BaselineError('%s must be a list of {policy, source}' % where)
    tracked = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) - {'policy', 'source', 'note'}:
            raise BaselineError('%s[%d] must be a dict with policy, source and optionally note' % (where, index))
        item = {'policy': _text(entry.get('policy'), '%s[%d].policy' % (where, index)),
                'source': _text(entry.get('source'), '%s[%d].source' % (where, index))}
        if entry.get('note') is not None:
            item['note'] = _text(entry['note'], '%s[%d].note' % (where, index))
        tracked.append(item)
    return tracked


def _differences(value, where):
    """Documentation: where a baseline deliberately differs from an ssh-audit policy, point by point:
    ``{policy, source, points: [{subject, ssh_audit, ours, source}]}`` (optional)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {'policy', 'source', 'points'}:
        raise BaselineError('%s must be a dict with policy, source and points' % where)
    points = value.get('points')
    if not isinstance(points, list) or not points:
        raise BaselineError('%s points must be a non-empty list of {subject, ssh_audit, ours, source}' % where)
    keys = ('subject', 'ssh_audit', 'ours', 'source')
    checked = []
    for index, point in enumerate(points):
        if not isinstance(point, dict) or set(point) - set(keys):
            raise BaselineError('%s points[%d] must be a dict with %s' % (where, index, ', '.join(keys)))
        checked.append({key: _text(point.get(key), '%s points[%d].%s' % (where, index, key)) for key in keys})
    return {'policy': _text(value.get('policy'), '%s policy' % where),
            'source': _text(value.get('source'), '%s source' % where), 'points': checked}


def load_baseline(value):
    """A built-in baseline by name, or a user's baseline dict, validated (see :func:`normalize_baseline`)."""
    if isinstance(value, str):
        if not _NAME.match(value) or value.startswith('_'):
            raise BaselineError('%r is not a baseline name' % (value[:100],))
        if value not in _CACHE:
            _CACHE[value] = normalize_baseline(data.load_entry(KIND, value, BaselineError), 'built-in baseline')
        return _CACHE[value]
    return normalize_baseline(value)


def _as_date(value, where):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.datetime.strptime(value, '%Y-%m-%d').date()
        except ValueError:
            pass
    raise BaselineError('%s must be a date written YYYY-MM-DD, got %r' % (where, value))


def normalize_exceptions(value, today=None):
    """Validate ``exceptions`` (a list of ``{client, algorithm, reason, expires}``) and split them into
    ``(active, expired)``. ``client`` names the client profile (or ``'*'`` for any required client)."""
    today = _as_date(today, 'today') if today is not None else datetime.date.today()
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise BaselineError('exceptions must be a list of {client, algorithm, reason, expires}')
    active, expired = [], []
    for index, entry in enumerate(value):
        where = 'exceptions[%d]' % index
        if not isinstance(entry, dict):
            raise BaselineError('%s must be a dict with client, algorithm, reason and expires' % where)
        missing = [key for key in ('client', 'algorithm', 'reason', 'expires') if not entry.get(key)]
        if missing:
            raise BaselineError('%s lacks %s: every exception names the client, the algorithm, a reason and an '
                                'expiry date' % (where, ', '.join(missing)))
        if not isinstance(entry['client'], str):
            raise BaselineError('%s client must be a client profile name' % where)
        exception = {
            'client': entry['client'],
            'algorithm': validate_name(entry['algorithm'], '%s algorithm' % where),
            'reason': str(entry['reason']),
            'expires': _as_date(entry['expires'], '%s expires' % where).isoformat(),
        }
        if entry.get('category') is not None:
            if entry['category'] not in CATEGORIES:
                raise BaselineError('%s category must be one of %s' % (where, ', '.join(CATEGORIES)))
            exception['category'] = entry['category']
        (active if exception['expires'] >= today.isoformat() else expired).append(exception)
    return active, expired


def rating_for(algorithm, baseline):
    """Why ``baseline`` rejects ``algorithm``: its own rating, the shared one, or plain "not allowed"."""
    if algorithm in baseline['rejected']:
        return dict(baseline['rejected'][algorithm])
    shared = shared_ratings()
    if algorithm in shared:
        return dict(shared[algorithm])
    return {'rating': 'fail', 'reason': 'not allowed by baseline %s' % baseline['name'], 'source': baseline['source']}


def category_lists(offer):
    """The offer's names per baseline category, both directions merged in order, pseudo-algorithms dropped."""
    lists = {}
    for category, keys in CATEGORY_KEYS.items():
        names = []
        for key in keys:
            for name in offer.get(key) or ():
                if name not in names and name not in PSEUDO_ALGORITHMS:
                    names.append(name)
        lists[category] = names
    return lists


def evaluate(server, baseline, exceptions=None, today=None):
    """Which algorithms ``server`` offers that ``baseline`` does not allow, each with its rating, reason and
    source; an algorithm covered by an active exception is reported under ``excepted`` and does not fail.
    When ``server`` is a whole ``algorithms_info`` result, the checks beyond names (``checks``) judge what it
    gathered besides the offer (host keys, moduli, daemon settings)."""
    facts = server if isinstance(server, dict) and isinstance(server.get('offer'), dict) else None
    return evaluate_normalized(normalize_proposal(server, 'server'), baseline, exceptions, today, facts=facts)


def evaluate_normalized(proposal, baseline, exceptions=None, today=None, facts=None, with_checks=True):
    """:func:`evaluate` for a proposal already passed through ``normalize_proposal`` (reports and remediation
    have normalized the server for their predictions already). ``facts`` is what was gathered about the server
    besides its offer (see :mod:`.checks`); ``with_checks=False`` judges the names only."""
    baseline = load_baseline(baseline)
    active, expired = normalize_exceptions(exceptions, today)
    violations, excepted = [], []
    offered = category_lists(proposal['offer'])
    for category in CATEGORIES:
        for algorithm in offered[category]:
            if algorithm in baseline['allowed'][category]:
                continue
            directions = [key for key in CATEGORY_KEYS[category] if algorithm in (proposal['offer'].get(key) or ())]
            finding = dict(rating_for(algorithm, baseline), category=category, algorithm=algorithm,
                           lists=directions)
            covering = [item for item in active if item['algorithm'] == algorithm
                        and item.get('category', category) == category]
            if covering:
                finding['exceptions'] = covering
                excepted.append(finding)
            else:
                violations.append(finding)
    checked = run_checks(proposal, facts, baseline) if with_checks else {'checks': {}, 'findings': []}
    findings = checked['findings']
    counted = [item for item in findings if item['rating'] in COUNTED_RATINGS]
    return {
        'passed': not violations and not counted,
        'baseline': baseline['name'],
        'baseline_version': baseline['version'],
        'violations': violations,
        'excepted': excepted,
        'expired_exceptions': expired,
        'findings': findings,
        'checks': checked['checks'],
        'counts': {'fail': sum(1 for item in violations if item['rating'] == 'fail'),
                   'warn': sum(1 for item in violations if item['rating'] == 'warn'),
                   'excepted': len(excepted),
                   'findings_fail': sum(1 for item in findings if item['rating'] == 'fail'),
                   'findings_warn': sum(1 for item in findings if item['rating'] == 'warn'),
                   'findings_info': sum(1 for item in findings if item['rating'] == 'info'),
                   'checks_not_run': sum(1 for item in checked['checks'].values() if item['status'] == 'not_run')},
    }
