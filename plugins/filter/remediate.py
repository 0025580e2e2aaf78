# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: remediate
short_description: Compute the SSH algorithm lists a server should be configured with
version_added: 1.0.0
description:
  - Starts from everything the baseline allows that the server supports, in the baseline's order.
  - Negotiates every required client against that target with the real implementations' rules (see
    P(fleetcrypto.sftp.negotiate#filter)). Where a client fails a category, adds the smallest fix, one
    algorithm, the client's most preferred one that the server supports and that the baseline, or an active
    exception naming that client, allows. Additions are appended, so the server's preference stays the baseline's.
  - When no allowed algorithm would work, returns a conflict that names the client, the category and the
    algorithms that would be needed, and RV(_value.ok) is false. It never weakens silently.
  - The final lists are checked again with P(fleetcrypto.sftp.negotiate#filter) for every client and with
    P(fleetcrypto.sftp.evaluate#filter) (with the exceptions); both results are returned.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
extends_documentation_fragment:
  - fleetcrypto.sftp.exceptions
options:
  _input:
    description:
      - The server's current proposal (an M(fleetcrypto.sftp.algorithms_info) result or a proposal dict). Its
        software decides the server-side negotiation rules, and its lists are the capabilities of any category
        that O(supported) leaves out.
      - An M(fleetcrypto.sftp.algorithms_info) result with C(moduli) (O(fleetcrypto.sftp.algorithms_info#module:moduli=true))
        lets the plan see the group sizes; when they fail the baseline's C(moduli) rule, group exchange is left out
        of the target (see RV(_value.group_exchange_removed)), unless O(moduli_filtered). ProFTPD mod_sftp's group
        exchange is left out under a baseline that wants more than 2048 bits in any case (its fixed 2048-bit group
        14 answers what its parameter file cannot).
    type: dict
    required: true
  baseline:
    description: A built-in baseline name or a baseline dict; see P(fleetcrypto.sftp.evaluate#filter).
    type: raw
    required: true
  clients:
    description: Required clients, as built-in profile names or proposal dicts (a dict's C(name) labels it).
    type: list
    elements: raw
    required: true
  supported:
    description:
      - What the daemon can do, per category (C(kex), C(host_key), C(ciphers), C(macs)), for example from
        C(ssh -Q) or the role's daemon detection. For host keys, list only algorithms of keys the server has.
      - A category left out falls back to the server's current offer (listed in
        RV(_value.capabilities_assumed_from_offer)).
    type: dict
  moduli_filtered:
    description:
      - The server's moduli file is being filtered to the baseline's minimum (the role's C(baseline_moduli=filter)),
        so group exchange stays in the target even where the sizes learned now are too small.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Lists for this server that keep a partner's old JSch working
  ansible.builtin.set_fact:
    plan: "{{ sftp_probe | fleetcrypto.sftp.remediate('intermediate', ['jsch-0.1.54-restricted-jce', 'openssh-7.4']) }}"

- name: Stop on a conflict, naming what is missing
  ansible.builtin.fail:
    msg: "{{ plan.conflicts | map(attribute='message') | join('; ') }}"
  when: not plan.ok
'''

RETURN = r'''
_value:
  description: The remediation plan.
  type: dict
  contains:
    ok:
      description:
        - No conflict, every client negotiates with the target, the target passes the baseline's names, and the
          target is not open to Terrapin (the C(terrapin) check of RV(_value.checks) did not fail).
      type: bool
    target:
      description: The lists to configure, C(kex), C(host_key), C(ciphers), C(macs), in order.
      type: dict
    additions:
      description:
        - Algorithms added beyond the baseline's order for a client, each with C(client), C(category),
          C(algorithm), C(allowed_by) (C(baseline) or C(exception)) and the C(exception) used.
      type: list
      elements: dict
    conflicts:
      description:
        - Why the plan cannot satisfy everyone, each with C(client) (null when the server itself lacks every
          allowed algorithm of a category), C(category), C(needed) (the algorithms that would work) and C(message).
      type: list
      elements: dict
    predictions:
      description: Client name -> C(compatible), C(negotiated), C(failures), C(terrapin_exposed) against the target.
      type: dict
    evaluation:
      description: P(fleetcrypto.sftp.evaluate#filter) of the target, with the exceptions.
      type: dict
    checks:
      description:
        - The baseline's checks beyond names judged on the target offer (check name -> C(status), C(findings),
          C(message), C(details)). C(terrapin) and C(post_quantum) judge the offer alone; checks that need gathered
          facts (host keys, moduli, throttling) are C(not_run) here. Only a failed C(terrapin) check makes
          RV(_value.ok) false; a missing post-quantum kex is reported, since configuration cannot add one the
          daemon lacks.
      type: dict
    findings:
      description: The findings of RV(_value.checks), each C(check), C(subject), C(rating), C(reason), C(source), C(fix).
      type: list
      elements: dict
    group_exchange_removed:
      description:
        - The group-exchange methods the plan left out because the server sends primes the baseline's C(moduli) rule
          rejects, each with C(algorithm) and the C(findings) of the moduli check. Empty when the group sizes are not
          known (the input has no C(moduli)) or O(moduli_filtered).
      type: list
      elements: dict
    terrapin:
      description:
        - How the plan keeps Terrapin (CVE-2023-48795) out. C(strict_kex) whether the target offers
          kex-strict-s-v00@openssh.com (kept from the current offer, since the daemon adds it by itself),
          C(guarded) whether the plan had to avoid the vulnerable modes (no strict kex and the baseline's
          terrapin rule rates fail or warn), C(removed) what the plan left out of the baseline's lists for it,
          each with C(category), C(algorithm) and C(reason).
      type: dict
    expired_exceptions:
      description: Exceptions past their expiry date; they were not used.
      type: list
      elements: dict
    capabilities_assumed_from_offer:
      description: Categories whose capabilities were taken from the current offer because O(supported) lacked them.
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import remediate as _remediate


def remediate(server, baseline, clients, supported=None, exceptions=None, today=None, moduli_filtered=False):
    """Compute the algorithm lists to configure on ``server``."""
    try:
        return _remediate(server, baseline, clients, supported, exceptions, today, bool(moduli_filtered))
    except ProposalError as exc:
        raise AnsibleFilterError('remediate: %s' % exc)


class FilterModule(object):
    """Remediation filter of fleetcrypto.sftp."""

    def filters(self):
        return {'remediate': remediate}
