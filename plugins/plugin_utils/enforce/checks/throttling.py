# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``throttling`` check: how the daemon bounds unauthenticated connections.

Every unauthenticated connection costs the server a key exchange; finite-field Diffie-Hellman makes that cost
large enough for a denial of service from one client (DHEat, CVE-2002-20001; ssh-audit 3.9 ``dheat.py`` warns
when a server that offers DH accepts more than ``MAX_SAFE_RATE`` = 20 connections per second from one source).
sshd bounds them with ``MaxStartups`` (all sources), ``PerSourceMaxStartups`` / ``PerSourceNetBlockSize``
(per source network, OpenSSH 8.5) and ``PerSourcePenalties`` (OpenSSH 9.8; enabled by default, sshd_config(5)
at V_9_8_P1), and each connection's lifetime with ``LoginGraceTime`` and ``MaxAuthTries`` (sshd_config(5)).

A baseline's ``throttling`` section sets *limits* (all optional)::

    throttling:
      max_startups: "10:30:100"         # start:rate:full; the server's start and full at most these, its rate at
                                        #   least this (a higher drop probability is stricter); an integer N is N:100:N
      per_source_max_startups: 10       # at most this many unauthenticated connections per source network
      per_source_net_block_size: "32:128"  # IPv4:IPv6 prefix lengths at most these (shorter groups more addresses)
      per_source_penalties: required    # enabled where the sshd supports it (OpenSSH 9.8 and later)
      login_grace_time: 120             # seconds, at most
      max_auth_tries: 6                 # at most

A baseline without the section has no throttling requirement: the check passes and says so. The facts come from
``daemon_info`` on the node (``facts['daemon']['throttling']``; ``playbooks/audit.yml`` gathers them with
``fleetcrypto_audit_daemon=true``); without them the check does not run. A measured connection rate
(``connection_rate_info``, ``facts['connection_rate']``) above ssh-audit's 20 connections/s while finite-field DH
is offered is a ``warn`` (DHEat), as ssh-audit 3.9 warns; without a measurement, DH offered with no per-source
limit is an ``info`` note. A setting the running daemon does not
know (PerSourcePenalties on sshd 9.2) is reported as ``info``, never counted and never guessed.

The same section, merged with the role's ``baseline_throttling``, is what the ``baseline`` role writes
(:func:`plan`).

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import (
    CheckError, finding, judged, not_run)

SECTION = 'throttling'
CHECK = 'throttling'

SETTINGS = ('max_startups', 'per_source_max_startups', 'per_source_net_block_size', 'per_source_penalties',
            'login_grace_time', 'max_auth_tries')
MAX_INTEGER = 1000000

_SSHD_CONFIG_5 = 'sshd_config(5) (OpenSSH 9.8)'
SOURCES = {
    'max_startups': _SSHD_CONFIG_5 + ' MaxStartups; servconf.c at V_9_8_P1 (start <= full, 1 <= rate <= 100)',
    'per_source_max_startups': (_SSHD_CONFIG_5 + ' PerSourceMaxStartups (OpenSSH 8.5, servconf.c at V_8_5_P1); '
                                'ssh-audit 3.9 hardening_guides.py (PerSourceMaxStartups against DHEat)'),
    'per_source_net_block_size': _SSHD_CONFIG_5 + ' PerSourceNetBlockSize (OpenSSH 8.5, servconf.c at V_8_5_P1)',
    'per_source_penalties': 'sshd_config(5) at V_9_8_P1 PerSourcePenalties ("Penalties are enabled by default"); '
                            'servconf.c at V_9_8_P1 (keyword added)',
    'login_grace_time': _SSHD_CONFIG_5 + ' LoginGraceTime; ProFTPD 1.3.8 mod_auth TimeoutLogin',
    'max_auth_tries': _SSHD_CONFIG_5 + ' MaxAuthTries; ProFTPD 1.3.8 mod_auth MaxLoginAttempts',
}
DHEAT_SOURCE = ('CVE-2002-20001 (DHEat); ssh-audit 3.9 dheat.py (warns above 20 connections/s per source when '
                'DH key exchange is offered)')

# The keyword each setting is written as, per daemon (None: no equivalent). ProFTPD 1.3.8 mod_auth:
# MaxConnectionsPerHost limits unauthenticated clients per host, TimeoutLogin the time to log in,
# MaxLoginAttempts the attempts per connection; all valid in server config, <VirtualHost> and <Global>.
KEYWORDS = {
    'openssh': {'max_startups': 'MaxStartups', 'per_source_max_startups': 'PerSourceMaxStartups',
                'per_source_net_block_size': 'PerSourceNetBlockSize', 'per_source_penalties': 'PerSourcePenalties',
                'login_grace_time': 'LoginGraceTime', 'max_auth_tries': 'MaxAuthTries'},
    'proftpd': {'max_startups': None, 'per_source_max_startups': 'MaxConnectionsPerHost',
                'per_source_net_block_size': None, 'per_source_penalties': None,
                'login_grace_time': 'TimeoutLogin', 'max_auth_tries': 'MaxLoginAttempts'},
}

_TRIPLE = re.compile(r'^([0-9]{1,7}):([0-9]{1,3}):([0-9]{1,7})$')
_PAIR = re.compile(r'^([0-9]{1,2}):([0-9]{1,3})$')


def _integer(value, where, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit() and len(value) <= 7:
            value = int(value)
        else:
            raise CheckError('%s must be an integer, got %r' % (where, str(value)[:60]))
    if value < minimum or value > MAX_INTEGER:
        raise CheckError('%s must be between %d and %d, got %d' % (where, minimum, MAX_INTEGER, value))
    return value


def _max_startups(value, where):
    if isinstance(value, int) and not isinstance(value, bool):
        count = _integer(value, where)
        return {'start': count, 'rate': 100, 'full': count}
    match = _TRIPLE.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise CheckError('%s must be "start:rate:full" (for example "10:30:100") or an integer, got %r'
                         % (where, str(value)[:60]))
    start, rate, full = (int(part) for part in match.groups())
    # servconf.c (V_9_8_P1) refuses start > full, rate outside 1..100 and non-positive values.
    if start < 1 or full < 1 or start > full or not 1 <= rate <= 100:
        raise CheckError('%s: sshd refuses %r (it needs 1 <= start <= full and 1 <= rate <= 100)' % (where, value))
    return {'start': start, 'rate': rate, 'full': full}


def _net_block(value, where):
    match = _PAIR.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) > 32 or int(match.group(2)) > 128:
        raise CheckError('%s must be "ipv4:ipv6" prefix lengths (0-32:0-128, for example "32:128"), got %r'
                         % (where, str(value)[:60]))
    return {'ipv4': int(match.group(1)), 'ipv6': int(match.group(2))}


def normalize(section, baseline_name, where):
    """The limits of a baseline's ``throttling`` section; None when it has none (no requirement)."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise CheckError('%s must be a mapping of %s' % (where, ', '.join(SETTINGS)))
    unknown = sorted(str(key) for key in section if key not in SETTINGS)
    if unknown:
        raise CheckError('%s: unknown setting(s) %s (known: %s)' % (where, ', '.join(unknown), ', '.join(SETTINGS)))
    limits = {}
    for key, value in section.items():
        if value is None:
            continue
        here = '%s.%s' % (where, key)
        if key == 'max_startups':
            limits[key] = _max_startups(value, here)
        elif key == 'per_source_net_block_size':
            limits[key] = _net_block(value, here)
        elif key == 'per_source_penalties':
            if value != 'required':
                raise CheckError('%s must be "required" (or left out), got %r' % (here, str(value)[:60]))
            limits[key] = 'required'
        else:
            limits[key] = _integer(value, here)
    return limits


def merged(limits, overrides, baseline_name, where='baseline_throttling'):
    """A baseline's normalized limits with the role's overrides on top (validated the same way; a null
    override removes that limit). None when neither sets anything."""
    if overrides is not None and not isinstance(overrides, dict):
        raise CheckError('%s must be a mapping, got %s' % (where, type(overrides).__name__))
    overrides = overrides or {}
    added = normalize({key: value for key, value in overrides.items() if value is not None}, baseline_name, where)
    combined = dict(limits or {})
    for key in overrides:
        combined.pop(key, None)
    combined.update(added)
    return combined if (limits is not None or added) else None


def render(key, limit):
    """The value a setting is written as (and ``sshd -T`` prints it)."""
    if key == 'max_startups':
        return '%(start)d:%(rate)d:%(full)d' % limit
    if key == 'per_source_net_block_size':
        return '%(ipv4)d:%(ipv6)d' % limit
    if key == 'per_source_penalties':
        return 'yes'
    return str(limit)


def _fix(server_type, key, limit):
    keyword = KEYWORDS.get(server_type, {}).get(key)
    return '%s %s (the fleetcrypto.sftp.baseline role writes the baseline\'s throttling)' % (
        keyword, render(key, limit)) if keyword else None


def _judge(key, limit, entry, server_type):
    """The finding for one setting, or None when the server is within the limit."""
    keyword = entry.get('keyword') or key
    source = SOURCES[key]
    if not entry.get('supported'):
        return finding(CHECK, keyword, 'info', '%s is not supported by this %s (added in %s); not judged'
                       % (keyword, server_type, entry.get('since') or 'a later release'), source)
    if entry.get('error'):
        return finding(CHECK, keyword, 'info', '%s could not be read: %s; not judged' % (keyword, entry['error']),
                       source)
    value = entry.get('value')
    fix = _fix(server_type, key, limit)
    if key == 'max_startups':
        if (entry['start'] > limit['start'] or entry['full'] > limit['full'] or entry['rate'] < limit['rate']):
            return finding(CHECK, keyword, 'fail', 'MaxStartups %s allows more unauthenticated connections than %s '
                           '(start and full at most, rate at least)' % (value, render(key, limit)), source, fix)
        return None
    if key == 'per_source_net_block_size':
        if entry['ipv4'] > limit['ipv4'] or entry['ipv6'] > limit['ipv6']:
            return finding(CHECK, keyword, 'fail', 'PerSourceNetBlockSize %s groups fewer addresses per source '
                           'than %s' % (value, render(key, limit)), source, fix)
        return None
    if key == 'per_source_penalties':
        if not entry.get('enabled'):
            return finding(CHECK, keyword, 'fail', 'PerSourcePenalties is off; the baseline requires it',
                           source, fix)
        return None
    field = {'per_source_max_startups': 'limit', 'login_grace_time': 'seconds', 'max_auth_tries': 'count'}[key]
    current = entry.get(field)
    # LoginGraceTime 0 means no limit (sshd_config(5)); ProFTPD's "none" is parsed as None.
    unlimited = current is None or (key == 'login_grace_time' and current == 0)
    if unlimited or current > limit:
        return finding(CHECK, keyword, 'fail', '%s is %s, the baseline allows at most %d'
                       % (keyword, 'not limited' if unlimited else current, limit), source, fix)
    return None


def _dheat(proposal, throttling):
    """Info: finite-field DH is offered and nothing limits a single source (the DHEat conditions)."""
    kex = (proposal or {}).get('offer', {}).get('kex_algorithms') or ()
    dh = [name for name in kex if name.startswith('diffie-hellman-')]
    settings = throttling.get('settings') or {}
    per_source = settings.get('per_source_max_startups') or {}
    penalties = settings.get('per_source_penalties') or {}
    limited = per_source.get('limit') is not None or penalties.get('enabled')
    if not dh or limited:
        return None
    return finding(CHECK, 'DHEat', 'info', 'finite-field DH key exchange is offered (%s) and no per-source limit '
                   'is set (PerSourceMaxStartups/PerSourcePenalties or MaxConnectionsPerHost): one client can '
                   'make the server compute many DH exchanges' % ', '.join(dh[:3]), DHEAT_SOURCE)


def _rate(proposal, measured):
    """A measured connection rate (``connection_rate_info``, in ``facts['connection_rate']``) rated as ssh-audit 3.9
    does: above 20 connections/s from one source while finite-field DH is offered is a warning (DHEat)."""
    if not isinstance(measured, dict):
        return None
    rate, limit = measured.get('rate_per_second'), measured.get('max_safe_rate', 20.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or isinstance(limit, bool) or \
            not isinstance(limit, (int, float)):
        return finding(CHECK, 'connection rate', 'info', 'the connection-rate measurement is not usable; not judged',
                       DHEAT_SOURCE)
    kex = (proposal or {}).get('offer', {}).get('kex_algorithms') or ()
    dh = [name for name in kex if name.startswith('diffie-hellman-')]
    if not dh or rate <= limit:
        return None
    return finding(CHECK, 'connection rate', 'warn', '%.1f connections/s from one source were answered (more than '
                   '%.1f) while finite-field DH key exchange is offered (%s): exposed to DHEat'
                   % (rate, limit, ', '.join(dh[:3])), DHEAT_SOURCE,
                   'limit connections per source: PerSourceMaxStartups/PerSourcePenalties (OpenSSH), a firewall '
                   'rate limit, or stop offering finite-field DH')


def run(proposal, facts, settings):
    if settings is None:
        return judged([], 'no throttling requirement in this baseline')
    facts = facts if isinstance(facts, dict) else {}
    rated = _rate(proposal, facts.get('connection_rate'))
    daemon = facts.get('daemon')
    throttling = daemon.get('throttling') if isinstance(daemon, dict) else None
    if not isinstance(throttling, dict) or not isinstance(throttling.get('settings'), dict):
        if isinstance(daemon, dict) and daemon.get('msg'):  # daemon_info ran on the node and could not read it
            missing = 'the daemon\'s throttling settings could not be read on the node: %s' % str(daemon['msg'])[:300]
        else:
            missing = ('the daemon\'s throttling settings were not gathered: they are read on the node '
                       '(fleetcrypto.sftp.daemon_info; playbooks/audit.yml with fleetcrypto_audit_daemon=true)')
        if 'connection_rate' in facts:
            return judged([rated] if rated else [], missing + '; judged on the measured connection rate only')
        return not_run(missing)
    server_type = throttling.get('server_type') or 'openssh'
    findings = []
    for key in SETTINGS:
        if key not in settings:
            continue
        entry = throttling['settings'].get(key)
        if entry is None:
            findings.append(finding(CHECK, key, 'info', '%s has no equivalent that %s reports; not judged'
                                    % (key, server_type), SOURCES[key]))
            continue
        found = _judge(key, settings[key], entry, server_type)
        if found:
            findings.append(found)
    dheat = rated or _dheat(proposal, throttling)
    if dheat:
        findings.append(dheat)
    details = {'server_type': server_type, 'version': throttling.get('version'),
               'values': {key: entry.get('value') for key, entry in throttling['settings'].items()
                          if isinstance(entry, dict)}}
    if isinstance(facts.get('connection_rate'), dict):
        details['connection_rate'] = facts['connection_rate'].get('rate_per_second')
    return judged(findings, '%d throttling limit(s) checked' % len(settings), details)


def plan(limits, server_type, throttling=None):
    """What the role writes for ``limits`` (:func:`merged`) on this daemon.

    ``throttling`` is ``daemon_info``'s ``throttling`` (which keywords this daemon knows). Returns
    ``{'lines': [{'setting', 'keyword', 'value'}], 'skipped': [{'setting', 'keyword', 'reason'}]}``: only
    keywords the daemon supports are written, and every value is one :func:`normalize` produced (no free text).
    """
    lines, skipped = [], []
    known = ((throttling or {}).get('settings') or {}) if isinstance(throttling, dict) else {}
    for key in SETTINGS:
        if not limits or key not in limits:
            continue
        keyword = KEYWORDS.get(server_type, {}).get(key)
        if keyword is None:
            skipped.append({'setting': key, 'keyword': None, 'reason': '%s has no %s equivalent' % (key, server_type)})
            continue
        entry = known.get(key)
        if server_type == 'openssh' and entry is not None and not entry.get('supported'):
            skipped.append({'setting': key, 'keyword': keyword, 'reason': 'this sshd does not know %s (OpenSSH %s '
                            'and later)' % (keyword, entry.get('since'))})
            continue
        lines.append({'setting': key, 'keyword': keyword, 'value': render(key, limits[key])})
    return {'lines': lines, 'skipped': skipped}


def verify(lines, throttling):
    """The written lines that the daemon's effective settings (``throttling`` from ``sshd -T`` after the
    change) do not show: ``[{'keyword', 'expected', 'effective'}]``."""
    settings = (throttling or {}).get('settings') or {}
    mismatches = []
    for line in lines:
        entry = settings.get(line['setting']) or {}
        effective = entry.get('value')
        if line['setting'] == 'per_source_penalties':
            good = bool(entry.get('enabled'))
        else:
            good = effective == line['value']
        if not good:
            mismatches.append({'keyword': line['keyword'], 'expected': line['value'], 'effective': effective})
    return mismatches
