# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: compliance_report
short_description: Build the fleet compliance report from per-host probe results
version_added: 1.0.0
description:
  - For every host, evaluates its offer against the baseline (P(fleetcrypto.sftp.evaluate#filter)), predicts
    every required client (P(fleetcrypto.sftp.negotiate#filter)) and, for a failing host, computes the
    remediation (P(fleetcrypto.sftp.remediate#filter), capabilities taken from the current offer).
  - A host whose probe failed is C(unreachable), never compliant, and the report does not pass.
  - The model is versioned (C(schema_version)); C(docs/report-schema.md) in the collection describes it.
    Render it with P(fleetcrypto.sftp.report_render#filter).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - Either a dict of host name -> M(fleetcrypto.sftp.algorithms_info) result, or a list of
        C({name, result, baseline, clients, exceptions}) where the last three override the defaults per host.
    type: raw
    required: true
  baseline:
    description: The default baseline (name or dict).
    type: raw
    default: intermediate
  clients:
    description: The default required clients (profile names or proposals).
    type: list
    elements: raw
  exceptions:
    description: The default exceptions.
    type: list
    elements: dict
  today:
    description: The date exceptions are judged against (C(YYYY-MM-DD)); today by default.
    type: str
  generated_at:
    description: Timestamp to record (ISO 8601); now by default.
    type: str
  hostvars:
    description:
      - Ansible's C(hostvars). With the dict form of the input, each host's own C(baseline_policy),
        C(baseline_required_clients), C(baseline_exceptions) and C(baseline_observed_exceptions) (the variables of
        the role C(fleetcrypto.sftp.baseline)) override the defaults, so group_vars decide per server group.
    type: raw
  observed:
    description:
      - The clients each host really has, host name -> what C(playbooks/observe.yml) stored for it
        (C({host, clients, failures, capture, logs, ...}), from M(fleetcrypto.sftp.observed_clients_info) and
        M(fleetcrypto.sftp.negotiation_failures_info)).
      - Each observed client is predicted against the host's offer today and against the baseline's target lists
        (the remediation, capabilities taken from the current offer; see P(fleetcrypto.sftp.observed_impact#filter)),
        listed under the host's C(observed_clients), and counted in the summary. Hosts without an entry say so.
      - Omitted, the report says that no observations were loaded.
    type: dict
  observed_exceptions:
    description:
      - The default observed-client exceptions, C({hassh | banner | address, reason, expires}) (see
        P(fleetcrypto.sftp.observed_impact#filter)); a client they cover is reported as accepted, not locked out.
    type: list
    elements: dict
  upgrade_to:
    description:
      - A built-in server profile (see P(fleetcrypto.sftp.server_profile#lookup)), for example C(openssh-10.0). Each
        host's required clients are also predicted after the host moves to that release (see
        P(fleetcrypto.sftp.upgrade_impact#filter) for how its offer is predicted), in the host's C(upgrade).
      - With O(hostvars), a host's own C(fleetcrypto_upgrade_to) overrides it (an empty string means no upgrade for
        that host), and its C(fleetcrypto_upgrade_from) names the server profile it runs today (by default found
        from its banner, see P(fleetcrypto.sftp.upgrade_impact#filter)).
    type: str
'''

EXAMPLES = r'''
- name: What breaks when the fleet moves to OpenSSH 10.0?
  ansible.builtin.set_fact:
    report: >-
      {{ dict(ansible_play_hosts_all | zip(probe.results)) | fleetcrypto.sftp.compliance_report('intermediate',
         ['putty-0.78', 'jsch-0.1.55'], upgrade_to='openssh-10.0') }}

- name: One report for the whole group
  ansible.builtin.set_fact:
    report: "{{ dict(ansible_play_hosts_all | zip(probe.results)) | fleetcrypto.sftp.compliance_report('intermediate', ['openssh-7.4']) }}"

- name: With the clients observe.yml saw on each host
  ansible.builtin.set_fact:
    report: >-
      {{ dict(ansible_play_hosts_all | zip(probe.results)) | fleetcrypto.sftp.compliance_report('intermediate',
         ['openssh-7.4'], hostvars=hostvars, observed=stored_observations) }}
'''

RETURN = r'''
_value:
  description: The report model.
  type: dict
  contains:
    schema:
      description: C(fleetcrypto.sftp/compliance-report).
      type: str
    schema_version:
      description: The model's version, C(1.3).
      type: str
    clients:
      description: The required clients, the columns of the host x client matrix.
      type: list
      elements: str
    observed_clients:
      description: The labels of the observed clients, the matrix's further columns (first-seen order).
      type: list
      elements: str
    summary:
      description:
        - C(hosts), C(compliant), C(non_compliant), C(unreachable), C(baseline_failures), C(predictions),
          C(client_failures), C(terrapin_exposed), and C(passed) (no non-compliant and no unreachable host).
        - C(observed_hosts), C(observed_clients), C(observed_failing) (observed clients that cannot connect today)
          and C(observed_locked_out) (observed clients that connect today and the baseline's target would lock
          out, with no observed-client exception). Observed clients do not change C(passed).
        - C(connections_without_post_quantum) (host x required client connections that work but agree a key
          exchange that is not post-quantum), C(upgrade_hosts), C(broken_by_upgrade) (connections that work today and
          fail after the upgrade), C(fixed_by_upgrade), C(upgrade_daemon_failures) (hosts whose kept settings name
          an algorithm the target sshd no longer knows, so it would not start). The upgrade does not change
          C(passed).
      type: dict
    upgrade_targets:
      description: The server profiles the hosts were predicted under (O(upgrade_to), per host); empty without.
      type: list
      elements: str
    hosts:
      description:
        - One entry per host with its status, evaluation, per-client predictions (each with C(post_quantum) and the
          client's C(warnings)) and remediation, its C(observation) (whether one was stored, when and how) and its
          C(observed_clients).
        - C(upgrade) (null without O(upgrade_to)) has C(target), C(current) (the profile taken as today's release),
          C(assumptions) (per category C(release_defaults), C(explicit_kept) or C(unknown_current), with
          C(removed), C(added), C(daemon_error) and C(detail)), C(daemon_refuses_to_start), C(daemon_errors),
          C(clients) (C(client), C(compatible), C(failures), C(post_quantum), C(warnings), C(breaks), C(fixes)),
          C(breaks) and C(fixes) (client labels), and C(message) (why it was not predicted).
      type: list
      elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report


_HOST_SETTINGS = {'baseline': 'baseline_policy', 'clients': 'baseline_required_clients',
                  'exceptions': 'baseline_exceptions', 'observed_exceptions': 'baseline_observed_exceptions',
                  'upgrade_to': 'fleetcrypto_upgrade_to', 'upgrade_from': 'fleetcrypto_upgrade_from'}


def _per_host(names, hostvars):
    """Each host's own role variables, where its inventory sets them."""
    settings = {}
    for name in names:
        try:
            variables = hostvars[name]
        except KeyError:
            continue
        own = {}
        for key, variable in _HOST_SETTINGS.items():
            if variable in variables:
                own[key] = variables[variable]
        settings[name] = own
    return settings


def compliance_report(hosts, baseline='intermediate', clients=None, exceptions=None, today=None, generated_at=None,
                      hostvars=None, observed=None, observed_exceptions=None, upgrade_to=None):
    """Build the report model."""
    try:
        per_host = _per_host(list(hosts), hostvars) if hostvars is not None and isinstance(hosts, dict) else None
        return build_report(hosts, baseline, clients, exceptions, today, generated_at, per_host=per_host,
                            observed=observed, observed_exceptions=observed_exceptions, upgrade_to=upgrade_to)
    except ProposalError as exc:
        raise AnsibleFilterError('compliance_report: %s' % exc)


class FilterModule(object):
    """Compliance report filter of fleetcrypto.sftp."""

    def filters(self):
        return {'compliance_report': compliance_report}
