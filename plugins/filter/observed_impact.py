# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: observed_impact
short_description: What the clients a server really has would make of its offer today and of a planned change
version_added: 1.0.0
description:
  - Takes the clients seen on a server (M(fleetcrypto.sftp.observed_clients_info), a capture of each client's
    banner and first SSH_MSG_KEXINIT) and the failures its daemon logged (M(fleetcrypto.sftp.negotiation_failures_info)),
    as the modules return them or as C(playbooks/observe.yml) stores them.
  - "Labels each captured client by its software and HASSH (C(observed OpenSSH_9.2p1 #a1b2c3d4)). A logged failure
    that no captured client explains becomes a partial client that knows only the logged category
    (C(logged cipher failure #1a2b3c4d)); the categories it cannot judge are listed as C(unknown), never guessed."
  - Negotiates every client (P(fleetcrypto.sftp.negotiate#filter), the real implementations' rules) against the
    server's offer today and against the target lists of a P(fleetcrypto.sftp.remediate#filter) plan, with the
    client software's own error message where it would fail.
  - Lists the clients the target would lock out, that is clients that negotiate today and would not under the
    target, unless an observed-client exception covers them. The role C(fleetcrypto.sftp.baseline) refuses such
    a target before changing anything.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The observed clients. Either a stored observation C({clients, failures}) (each the list, or the module's
        whole result), or a list whose items are captured clients (with C(proposal)), logged failures (with
        C(category) and C(client_list)) or any other client proposal (a profile name or dict; a dict's C(name)
        labels it).
    type: raw
    required: true
  server:
    description:
      - The server today, an M(fleetcrypto.sftp.algorithms_info) result or a proposal. Omitted or a failed probe,
        today's verdicts are null and every client failing under the target counts.
    type: raw
  plan:
    description: A P(fleetcrypto.sftp.remediate#filter) result; its C(target_proposal) is the target. Omitted, target verdicts are null.
    type: dict
  exceptions:
    description:
      - Observed-client exceptions that accept a lock-out on purpose, each C({hassh | banner | address, reason,
        expires}) with C(expires) as C(YYYY-MM-DD). C(hassh) is the client's HASSH or its first 8 or more hex
        digits; C(banner) an fnmatch pattern matched against the whole identification line (C(SSH-2.0-JSCH-*));
        C(address) an address or a network (C(10.1.0.0/16)), which covers a client only when it covers every
        address the client was seen from. Several of these in one exception must all match.
      - An expired exception counts as absent and is reported in RV(_value.expired_exceptions).
    type: list
    elements: dict
  today:
    description: The date to judge expiry against (C(YYYY-MM-DD)); today by default.
    type: str
'''

EXAMPLES = r'''
- name: Would the planned lists lock out a client we really have?
  ansible.builtin.assert:
    that: _impact.ok
    fail_msg: "{{ _impact.message }}"
  vars:
    _stored: "{{ lookup('ansible.builtin.file', 'reports/observed/' ~ inventory_hostname ~ '.json') | from_json }}"
    _impact: "{{ _stored | fleetcrypto.sftp.observed_impact(sftp_probe, plan, observed_exceptions) }}"

- name: Accept that the partner's old JSch loses access (documented, dated)
  ansible.builtin.set_fact:
    observed_exceptions:
      - {banner: "SSH-2.0-JSCH-0.1.54*", reason: "ACME decommissions it, ticket 77", expires: 2027-01-31}
'''

RETURN = r'''
_value:
  description: Each observed client's verdicts, and the lock-out summary.
  type: dict
  contains:
    ok:
      description: No observed client would be locked out by the target (or no target was given).
      type: bool
    message:
      description: A sentence naming every client the target would lock out, with its own error message; null when none.
      type: str
    checked:
      description: How many observed clients were predicted.
      type: int
    clients:
      description:
        - One entry per client, C(label), C(source) (C(capture), C(log) or C(given)), C(banner), C(software),
          C(hassh), C(connections), C(addresses) (the five most frequent C({address, count})), C(first_seen),
          C(last_seen), C(partial), C(logged_failures) (how many logged failures it explains), C(today) and
          C(target) (each C({compatible, message, failures, unknown, negotiated}) or null), C(locked_out),
          C(accepted) (an exception covers its failure, today or under the target), C(exception), C(expired_exception) and
          C(partial_exception) (an address exception that covers only some of its addresses); logged entries add
          C(logged_category), C(logged_message) and C(filled_from) (C({profile, categories}) when the logged banner
          names exactly one built-in profile that agrees with the logged list and filled the unknown lists).
      type: list
      elements: dict
    locked_out:
      description: Labels of the clients the target would lock out, with no exception.
      type: list
      elements: str
    accepted:
      description: Labels of the clients that fail today or under the target and that an active exception covers.
      type: list
      elements: str
    failing_today:
      description: Labels of the clients that cannot negotiate with the server today.
      type: list
      elements: str
    expired_exceptions:
      description: Exceptions past their expiry date; they were not used.
      type: list
      elements: dict
    errors:
      description: Observed items that could not be read, each C({source, index, message}); the others are still predicted.
      type: list
      elements: dict
    skipped:
      description: Items beyond the 10,000 read per call.
      type: int
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import observed_impact as _impact
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def observed_impact(observed, server=None, plan=None, exceptions=None, today=None):
    """Predict every observed client today and under ``plan``'s target; list the lock-outs."""
    try:
        return _impact(observed, server, plan, exceptions, today)
    except ProposalError as exc:
        raise AnsibleFilterError('observed_impact: %s' % exc)


class FilterModule(object):
    """Observed-client impact filter of fleetcrypto.sftp."""

    def filters(self):
        return {'observed_impact': observed_impact}
