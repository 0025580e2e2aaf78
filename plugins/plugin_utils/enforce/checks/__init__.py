# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks beyond algorithm names, where auditors look: host keys, group-exchange moduli, Terrapin,
post-quantum key exchange and connection throttling.

A baseline's algorithm lists say which *names* a server may offer. These checks judge what the names do not
show: the size and type of the keys behind the host-key algorithms, the primes a group-exchange server really
sends, whether the offer as a whole is open to Terrapin, whether the key exchange resists a quantum adversary,
and how the daemon throttles unauthenticated connections.

Each check is one module of this package with the same three members:

``SECTION``
    the top-level key of a baseline that configures it (``host_keys``, ``moduli``, ``terrapin``,
    ``post_quantum``, ``throttling``).
``normalize(section, baseline_name, where)``
    validates that section of a baseline (``None`` when the baseline does not have it) and returns the
    settings the check runs with; raises :class:`CheckError` with a sentence for people.
``run(proposal, facts, settings)``
    judges one server. ``proposal`` is the normalized offer (``normalize_proposal``); ``facts`` is the whole
    ``algorithms_info`` result and whatever else was gathered for the host (``host_keys``, ``moduli``,
    ``daemon``), or ``None`` where only an offer is known (remediation plans). Returns a check result (see
    :func:`check_result`).

A finding is ``{check, subject, rating, reason, source, fix}``: ``rating`` is ``fail`` or ``warn`` (both make
the server non-compliant, as algorithm violations do) or ``info`` (reported, not counted against it).

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

# Order of the checks in results and reports.
CHECKS = ('terrapin', 'post_quantum', 'host_keys', 'moduli', 'throttling')
FINDING_RATINGS = ('fail', 'warn', 'info')
COUNTED_RATINGS = ('fail', 'warn')
STATUSES = ('passed', 'failed', 'not_run')


class CheckError(ProposalError):
    """A baseline's check section is not usable; the message says why."""


def _module(name):
    return importlib.import_module('%s.%s' % (__name__, name))


def check_sections():
    """The baseline keys the checks read, by check name."""
    return dict((name, _module(name).SECTION) for name in CHECKS)


def finding(check, subject, rating, reason, source, fix=None):
    """One finding, validated: every finding carries its rating, a reason and a source."""
    if rating not in FINDING_RATINGS:
        raise ValueError('finding rating must be one of %s, got %r' % (', '.join(FINDING_RATINGS), rating))
    if not reason or not source:
        raise ValueError('finding %s/%s needs a reason and a source' % (check, subject))
    return {'check': check, 'subject': str(subject), 'rating': rating, 'reason': str(reason),
            'source': str(source), 'fix': fix}


def check_result(status, findings=(), message='', details=None):
    """A check's result: ``status`` ``passed`` (ran, nothing counted against the server), ``failed`` (ran, at
    least one fail/warn finding) or ``not_run`` (the data it needs was not gathered or could not be; the message
    says why, and the offer verdict still stands)."""
    if status not in STATUSES:
        raise ValueError('check status must be one of %s, got %r' % (', '.join(STATUSES), status))
    return {'status': status, 'findings': list(findings), 'message': str(message), 'details': details or {}}


def judged(findings, message='', details=None):
    """A check that ran: ``failed`` when a finding counts (fail or warn), else ``passed``."""
    counted = any(item['rating'] in COUNTED_RATINGS for item in findings)
    return check_result('failed' if counted else 'passed', findings, message, details)


def not_run(message, details=None):
    """A check whose data is missing; ``message`` says what is missing and how to gather it."""
    return check_result('not_run', (), message, details)


def normalize_checks(baseline_value, baseline_name, where='baseline'):
    """Each check's settings from a baseline dict (its section, or the check's default when it has none)."""
    settings = {}
    for name in CHECKS:
        module = _module(name)
        settings[name] = module.normalize(baseline_value.get(module.SECTION), baseline_name,
                                          '%s %r %s' % (where, baseline_name, module.SECTION))
    return settings


def run_checks(proposal, facts, baseline):
    """Run every available check of a normalized baseline on one server: ``{checks: {name: result},
    findings: [...]}`` with the findings of all checks in report order."""
    results, findings = {}, []
    for name in CHECKS:
        result = _module(name).run(proposal, facts, baseline['checks'].get(name))
        results[name] = result
        findings.extend(result['findings'])
    return {'checks': results, 'findings': findings}
