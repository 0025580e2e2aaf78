# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet compliance report model: one dict built from per-host probe results, a baseline and the required
clients, which every writer (``report_writers``) renders. Its shape is versioned (``SCHEMA_VERSION``) and
described in ``docs/report-schema.md``.

Each server and each client is normalized once, then every pair is predicted with ``negotiation.negotiate``; remediation reuses both,
so a report over 10,000 hosts and 20 clients costs 200,000 predictions of about 30 microseconds each.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import STRICT_KEX_SERVER
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate_normalized, \
    load_baseline
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import impact_normalized, \
    normalize_observed_exceptions, observed_entries
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import client_label, \
    remediate_normalized, target_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import as_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, \
    normalize_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.upgrade import predict_upgrade

SCHEMA = 'fleetcrypto.sftp/compliance-report'
SCHEMA_VERSION = '1.3'
STATUSES = ('compliant', 'non_compliant', 'unreachable')
_EVALUATION_KEYS = ('passed', 'violations', 'excepted', 'expired_exceptions', 'findings', 'checks', 'counts')
# The checks beyond algorithm names whose failures (fail or warn findings) the summary counts per host (1.2);
# hosts without post-quantum key exchange are counted apart, also where the baseline only notes it.
_CHECK_COUNTS = (('terrapin', 'terrapin_violations'), ('host_keys', 'host_key_findings'),
                 ('moduli', 'moduli_findings'), ('throttling', 'throttling_findings'))
_NO_OBSERVATIONS = 'no client observations were loaded for this report (run playbooks/observe.yml first)'
_NOT_OBSERVED = 'no stored observation for this host (playbooks/observe.yml writes observed/<host>.json)'


class ReportError(ProposalError):
    """The input to a report is not usable; the message says which host and why."""


def _entries(hosts, per_host=None):
    """Accept ``{name: algorithms_info result}`` or ``[{name, result, baseline?, clients?, exceptions?}]``.
    ``per_host`` (name -> {baseline, clients, exceptions}) adds each host's own settings to the dict form."""
    if isinstance(hosts, dict):
        per_host = per_host or {}
        return [dict(per_host.get(name) or {}, name=name, result=result) for name, result in hosts.items()]
    if not isinstance(hosts, list):
        raise ReportError('hosts must be a dict of host -> algorithms_info result, or a list of '
                          '{name, result, baseline, clients, exceptions}')
    for index, entry in enumerate(hosts):
        if not isinstance(entry, dict) or not isinstance(entry.get('name'), str):
            raise ReportError('hosts[%d] must be a dict with a name and a result' % index)
    return hosts


def _client_key(client):
    return client if isinstance(client, str) else json.dumps(client, sort_keys=True, default=str)


class _Clients:
    """Normalizes each distinct client once for the whole report."""

    def __init__(self):
        self._cache = {}

    def get(self, client, index):
        key = _client_key(client)
        if key not in self._cache:
            label = client_label(client, index)
            self._cache[key] = (label, as_proposal(client, 'client %s' % label))
        return self._cache[key]


def _failure_summary(prediction):
    return [{'category': item['category'], 'direction': item['direction'], 'message': item['message']}
            for item in prediction['failures']]


def _upgrade_section(name, target, server, labelled, today_items, current=None):
    """``upgrade`` of a host (1.3): each required client after the host moves to the server profile ``target``
    (``predict.upgrade``: release defaults follow the target, explicit settings are kept minus what it no longer
    supports), beside today's verdict. None without a target; without a probe only the target is known."""
    if not target:
        return None
    section = {'target': target, 'current': None, 'assumptions': [], 'daemon_refuses_to_start': None,
               'daemon_errors': [], 'breaks': [], 'fixes': [], 'message': None}
    if server is None:
        section['message'] = 'host unreachable: the upgrade is not predicted'
        section['clients'] = [{'client': label, 'compatible': None, 'failures': [], 'post_quantum': None,
                               'warnings': [], 'breaks': False, 'fixes': False} for label, _client in labelled]
        return section
    try:
        upgraded = predict_upgrade(server, target, current or None)
        offer = normalize_proposal(upgraded['offer'], 'host %s after the upgrade' % name)
    except ProposalError as exc:
        raise ReportError('host %s: fleetcrypto_upgrade_to: %s' % (name, exc))
    section.update({key: upgraded[key] for key in ('target', 'current', 'assumptions', 'daemon_refuses_to_start',
                                                   'daemon_errors')})
    clients = []
    for (label, client), today in zip(labelled, today_items):
        prediction = negotiate(offer, client)
        item = {'client': label, 'compatible': prediction['compatible'], 'failures': _failure_summary(prediction),
                'post_quantum': prediction['post_quantum'], 'warnings': list(prediction['warnings'] or ()),
                'breaks': bool(today['compatible'] and not prediction['compatible']),
                'fixes': bool(prediction['compatible'] and not today['compatible'])}
        clients.append(item)
        if item['breaks']:
            section['breaks'].append(label)
        if item['fixes']:
            section['fixes'].append(label)
    section['clients'] = clients
    return section


def _host(entry, defaults, clients_cache, today, with_remediation):
    name = entry['name']
    result = entry.get('result') or {}
    baseline = entry.get('baseline') or defaults['baseline']
    upgrade_to = entry.get('upgrade_to') if entry.get('upgrade_to') is not None else defaults['upgrade_to']
    upgrade_from = entry.get('upgrade_from')  # the server profile it runs today, when its banner does not tell
    clients = entry.get('clients') if entry.get('clients') is not None else defaults['clients']
    exceptions = entry.get('exceptions') if entry.get('exceptions') is not None else defaults['exceptions']
    baseline_name = load_baseline(baseline)['name']
    labelled = [clients_cache.get(client, index) for index, client in enumerate(clients or [])]
    host = {'name': name, 'address': result.get('address') or result.get('host'), 'port': result.get('port'),
            'baseline': baseline_name, 'banner': result.get('banner'), 'software': result.get('software')}
    observation = _read_observation(name, entry.get('observed'), defaults['observed_given'],
                                    entry.get('observed_exceptions') if entry.get('observed_exceptions') is not None
                                    else defaults['observed_exceptions'], today)
    if not result or result.get('failed') or not isinstance(result.get('offer'), dict):
        _observed_section(host, observation, None, None)
        host.update({'status': 'unreachable', 'reason': result.get('reason') or 'not probed',
                     'message': result.get('msg') or 'no probe result for this host',
                     'evaluation': None, 'checks': None,
                     'clients': [{'client': label, 'compatible': None, 'negotiated': None, 'failures': [],
                                  'terrapin_exposed': None, 'post_quantum': None, 'warnings': [],
                                  'proven_by': None, 'proof': None}
                                 for label, _client in labelled],
                     'terrapin_exposed': None, 'strict_kex': None, 'remediation': None,
                     'upgrade': _upgrade_section(name, upgrade_to, None, labelled, [])})
        return host
    try:
        server = normalize_proposal(result, 'host %s' % name)
    except ProposalError as exc:
        raise ReportError(str(exc))
    evaluation = evaluate_normalized(server, baseline, exceptions, today, facts=result)
    predictions = []
    proofs = _proofs(result)
    for label, client in labelled:
        prediction = negotiate(server, client)
        item = {'client': label, 'compatible': prediction['compatible'], 'negotiated': prediction['negotiated'],
                'failures': _failure_summary(prediction), 'terrapin_exposed': prediction['terrapin_exposed'],
                # 1.3: the agreed kex is a post-quantum hybrid (None when nothing is agreed), what the client prints
                'post_quantum': prediction['post_quantum'],
                'warnings': list(prediction['warnings'] or ())}
        item.update(_proof_of(proofs.get(label), item))
        predictions.append(item)
    compliant = evaluation['passed'] and all(item['compatible'] for item in predictions)
    host.update({
        'status': 'compliant' if compliant else 'non_compliant',
        'reason': None, 'message': None,
        'evaluation': {key: evaluation[key] for key in _EVALUATION_KEYS},
        'checks': {name: {'status': check['status'], 'message': check['message'],
                          'findings': len(check['findings'])} for name, check in evaluation['checks'].items()},
        'clients': predictions,
        'terrapin_exposed': any(item['terrapin_exposed'] for item in predictions),
        'strict_kex': STRICT_KEX_SERVER in (server['offer']['kex_algorithms'] or ()),
        'remediation': None,
        'upgrade': _upgrade_section(name, upgrade_to, server, labelled, predictions, upgrade_from),
    })
    plan = None
    if (not compliant and with_remediation) or observation['entries']:
        plan = remediate_normalized(server, baseline, labelled, None, exceptions, today, facts=result)
    if not compliant and with_remediation:
        host['remediation'] = {'ok': plan['ok'], 'target': plan['target'], 'additions': plan['additions'],
                               'conflicts': plan['conflicts'],
                               'capabilities_assumed_from_offer': plan['capabilities_assumed_from_offer'],
                               'group_exchange_removed': [item['algorithm'] for item in plan['group_exchange_removed']]}
    _observed_section(host, observation, server, target_proposal(plan['target'], server) if plan else None)
    return host


def _without_post_quantum(check):
    """The host offers no post-quantum hybrid kex (the post_quantum check ran and found none)."""
    return bool(check) and check['status'] != 'not_run' and not (check.get('details') or {}).get('offered')


def _proofs(result):
    """The handshake verdicts gathered for a host (``handshake_proof``, stored by audit.yml as ``handshake``), by
    client label."""
    gathered = result.get('handshake')
    if not isinstance(gathered, dict) or not isinstance(gathered.get('clients'), list):
        return {}
    return {item['name']: item for item in gathered['clients']
            if isinstance(item, dict) and isinstance(item.get('name'), str)}


def _proof_of(verdict, prediction):
    """How a client's verdict is known (1.2): ``proven_by`` ``handshake`` (a real handshake completed with what the
    client would negotiate, or failed although the offer agrees: ``compatible`` then follows the handshake and the
    failure is listed), or ``prediction`` (no handshake, or the handshake library cannot speak what this client
    would negotiate; ``proof.message`` says why)."""
    if not verdict:
        return {'proven_by': 'prediction', 'proof': None}
    error = verdict.get('error') if isinstance(verdict.get('error'), dict) else {}
    proof = {'proven': bool(verdict.get('proven')), 'failed': bool(verdict.get('failed')),
             'message': str(error.get('message') or verdict.get('reason') or '')}
    proven_by = 'handshake' if proof['proven'] or proof['failed'] else 'prediction'
    if proof['failed'] and prediction['compatible']:
        # The offer promised a connection the server did not complete: the handshake outranks the prediction.
        prediction['compatible'] = False
        prediction['failures'] = prediction['failures'] + [{
            'category': 'handshake', 'direction': None,
            'message': 'a real handshake failed although the offer agrees: %s' % (proof['message'] or 'no reason')}]
    return {'proven_by': proven_by, 'proof': proof}


def _read_observation(name, stored, given, exceptions, today):
    """A host's stored observation (observe.yml's file) read into entries; problems become the message."""
    observation = {'available': False, 'message': _NO_OBSERVATIONS if not given else _NOT_OBSERVED,
                   'entries': [], 'errors': [], 'skipped': 0, 'active': [], 'expired': []}
    if stored is None:
        return observation
    if not isinstance(stored, dict):
        observation['message'] = 'the stored observation is not a dict'
        return observation
    if stored.get('host') is not None and stored.get('host') != name:
        observation['message'] = 'the stored observation belongs to another host (%s)' % _short(stored.get('host'))
        return observation
    try:
        read = observed_entries(stored)
        observation['active'], observation['expired'] = normalize_observed_exceptions(exceptions, today)
    except ProposalError as exc:
        raise ReportError('host %s: %s' % (name, exc))
    capture = stored.get('capture') if isinstance(stored.get('capture'), dict) else {}
    logs = stored.get('logs') if isinstance(stored.get('logs'), dict) else {}
    problems = []
    if capture.get('failed'):
        problems.append('capture failed: %s' % _short(capture.get('msg'), 300))
    if logs.get('failed'):
        problems.append('reading the logs failed: %s' % _short(logs.get('msg'), 300))
    observation.update({
        'available': True, 'message': '; '.join(problems) or None, 'entries': read['entries'],
        'errors': read['errors'], 'skipped': read['skipped'],
        'collected_at': _short(stored.get('collected_at'), 40) or None,
        'seconds': stored.get('seconds') if isinstance(stored.get('seconds'), int) else None,
        'ports': [port for port in stored.get('ports') or () if isinstance(port, int)][:16]
        if isinstance(stored.get('ports'), list) else [],
        'capture_method': _short(capture.get('capture_method'), 40) or None,
        'connections_seen': _number(capture.get('connections_seen')),
        'capture_skipped': _number(capture.get('skipped')),
        'truncated': _number(capture.get('truncated')),
    })
    return observation


def _number(value):
    """A count from the module's result: a number, or the ``total`` of its ``{total, reasons}`` dicts."""
    if isinstance(value, dict):
        value = value.get('total')
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _short(value, limit=100):
    return '' if value is None else str(value)[:limit]


_OBSERVATION_KEYS = ('available', 'message', 'collected_at', 'seconds', 'ports', 'capture_method',
                     'connections_seen', 'capture_skipped', 'truncated', 'errors', 'skipped')


def _observed_section(host, observation, server, target):
    """``observation`` and ``observed_clients`` of a host: each observed client today and under the target."""
    impact = impact_normalized(observation['entries'], server, target, observation['active'], observation['expired'])
    clients = []
    for item in impact['clients']:
        item = dict(item)
        item['client'] = item.pop('label')
        if item['target'] is not None:  # what the target would agree on is the remediation's business
            item['target'] = {name: value for name, value in item['target'].items() if name != 'negotiated'}
        clients.append(item)
    section = {key: observation.get(key) for key in _OBSERVATION_KEYS}
    section['errors'] = section['errors'] or []
    section['skipped'] = section['skipped'] or 0
    section['ports'] = section['ports'] or []
    section.update({'clients': len(clients), 'locked_out': len(impact['locked_out']),
                    'accepted': len(impact['accepted']), 'failing_today': len(impact['failing_today']),
                    'expired_exceptions': impact['expired_exceptions']})
    host['observation'] = section
    host['observed_clients'] = clients


def build_report(hosts, baseline='intermediate', clients=None, exceptions=None, today=None, generated_at=None,
                 remediation=True, per_host=None, observed=None, observed_exceptions=None, upgrade_to=None):
    """The report model; see docs/report-schema.md. Per-host ``baseline``, ``clients``, ``exceptions``,
    ``observed_exceptions`` and ``upgrade_to`` (a server profile name: predict each client after the host moves to
    that release) in list entries override the arguments; an entry's ``upgrade_from`` names the server profile it
    runs today (otherwise found from its banner). ``observed`` maps host names to what
    playbooks/observe.yml stored (``{clients, failures, ...}``); None means no observations were loaded."""
    load_baseline(baseline)  # a bad default baseline fails once, by name, before any host
    if observed is not None and not isinstance(observed, dict):
        raise ReportError('observed must be a dict of host -> stored observation {clients, failures}')
    defaults = {'baseline': baseline, 'clients': clients or [], 'exceptions': exceptions or [],
                'observed_given': observed is not None, 'observed_exceptions': observed_exceptions or [],
                'upgrade_to': upgrade_to or None}
    if upgrade_to is not None and not isinstance(upgrade_to, str):
        raise ReportError('upgrade_to must be a server profile name, got %r' % (upgrade_to,))
    clients_cache = _Clients()
    entries = [dict(entry) for entry in _entries(hosts, per_host)]
    for entry in entries:
        if 'observed' not in entry and observed is not None:
            entry['observed'] = observed.get(entry['name'])
    rows = [_host(entry, defaults, clients_cache, today, remediation) for entry in entries]
    client_names = []
    for row in rows:
        for item in row['clients']:
            if item['client'] not in client_names:
                client_names.append(item['client'])
    observed_names = []
    for row in rows:
        for item in row['observed_clients']:
            if item['client'] not in observed_names:
                observed_names.append(item['client'])
    predictions = [item for row in rows for item in row['clients'] if item['compatible'] is not None]
    summary = {
        'hosts': len(rows),
        'compliant': sum(1 for row in rows if row['status'] == 'compliant'),
        'non_compliant': sum(1 for row in rows if row['status'] == 'non_compliant'),
        'unreachable': sum(1 for row in rows if row['status'] == 'unreachable'),
        'baseline_failures': sum(1 for row in rows if row['evaluation'] and not row['evaluation']['passed']),
        'predictions': len(predictions),
        'client_failures': sum(1 for item in predictions if not item['compatible']),
        'terrapin_exposed': sum(1 for row in rows if row['terrapin_exposed']),
        'observed_hosts': sum(1 for row in rows if row['observation']['available']),
        'observed_clients': sum(row['observation']['clients'] for row in rows),
        'observed_failing': sum(row['observation']['failing_today'] for row in rows),
        'observed_locked_out': sum(row['observation']['locked_out'] for row in rows),
        'handshake_proven': sum(1 for item in predictions if item['proven_by'] == 'handshake'),
        'checks_not_run': sum(1 for row in rows if row['checks']
                              and any(check['status'] == 'not_run' for check in row['checks'].values())),
    }
    for check, key in _CHECK_COUNTS:
        summary[key] = sum(1 for row in rows if (row['checks'] or {}).get(check, {}).get('status') == 'failed')
    summary['without_post_quantum'] = sum(1 for row in rows if row['evaluation'] and _without_post_quantum(
        row['evaluation']['checks'].get('post_quantum')))
    # 1.3: connections that work but agree a kex that is not post-quantum; the upgrade's counts
    summary['connections_without_post_quantum'] = sum(1 for item in predictions
                                                      if item['compatible'] and not item['post_quantum'])
    upgraded = [row['upgrade'] for row in rows if row['upgrade'] is not None]
    summary['upgrade_hosts'] = len(upgraded)
    summary['broken_by_upgrade'] = sum(len(section['breaks']) for section in upgraded)
    summary['fixed_by_upgrade'] = sum(len(section['fixes']) for section in upgraded)
    summary['upgrade_daemon_failures'] = sum(1 for section in upgraded if section['daemon_refuses_to_start'])
    summary['passed'] = summary['non_compliant'] == 0 and summary['unreachable'] == 0
    when = generated_at or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return {
        'schema': SCHEMA,
        'schema_version': SCHEMA_VERSION,
        'generated_at': when,
        'baseline': load_baseline(baseline)['name'],
        'clients': client_names,
        'observed_clients': observed_names,
        'upgrade_targets': sorted({section['target'] for section in upgraded}),
        'summary': summary,
        'hosts': rows,
    }
