# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: evaluate
short_description: Check a server's SSH offer against a cipher baseline
version_added: 1.0.0
description:
  - Lists every algorithm the server offers (key exchange, host key, ciphers and MACs in both directions) that
    the baseline does not allow, each with its rating (V(fail) or V(warn)), the reason and the source of that
    rating, and says whether the server passes.
  - Built-in baselines are V(modern), V(intermediate), V(fips-140-3) and V(bsi-tr-02102-4); their files in the
    collection's C(data/baselines/) give a source for every allowed algorithm and every rating.
  - Pseudo-algorithms (C(ext-info-s), C(kex-strict-s-v00@openssh.com), C(kexguess2@matt.ucc.asn.au)) are
    never violations.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
extends_documentation_fragment:
  - fleetcrypto.sftp.exceptions
options:
  _input:
    description:
      - The server's proposal, as for P(fleetcrypto.sftp.negotiate#filter); the whole per-host result of
        M(fleetcrypto.sftp.algorithms_info) is accepted.
    type: dict
    required: true
  baseline:
    description:
      - A built-in baseline name, or a baseline dict of the same shape as the built-in files, C(name),
        C(allowed) (a dict with the lists C(kex), C(host_key), C(ciphers) and C(macs), in preference order;
        entries are names or C({name, source})), and optionally C(version), C(source) and C(rejected)
        (algorithm -> C({rating, reason, source})).
      - Optional sections configure the checks beyond names, for example C(terrapin) (C({rating, reason, source}),
        rating V(fail) when absent) and C(post_quantum) (C(missing) and C(not_first) as C({rating, reason, source}),
        C(accepted) post-quantum kex names with C(accepted_source); V(info) when absent). The built-in files show
        each section with its sources.
      - Optional documentation keys, validated as well, C(tracks) (a list of C({policy, source, note})) and
        C(differs_from_ssh_audit) (C({policy, source, points}), each point C({subject, ssh_audit, ours, source})).
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Fail when a server offers anything the intermediate baseline rejects
  ansible.builtin.assert:
    that: check.passed
    fail_msg: "{{ check.violations | map(attribute='algorithm') | join(', ') }}"
  vars:
    check: "{{ sftp_probe | fleetcrypto.sftp.evaluate('intermediate') }}"
'''

RETURN = r'''
_value:
  description: The evaluation.
  type: dict
  contains:
    passed:
      description: No offered algorithm violates the baseline (excepted ones do not count) and no finding of the checks rates fail or warn.
      type: bool
    baseline:
      description: The baseline's name.
      type: str
    baseline_version:
      description: The baseline's version.
      type: str
    violations:
      description: One entry per offered algorithm the baseline does not allow.
      type: list
      elements: dict
      contains:
        category:
          description: C(kex), C(host_key), C(ciphers) or C(macs).
          type: str
        algorithm:
          description: The algorithm name.
          type: str
        rating:
          description: C(fail) (broken or deprecated by the cited standard) or C(warn) (weaker than wanted).
          type: str
        reason:
          description: Why it is rejected.
          type: str
        source:
          description: Where the rating comes from (RFC, NIST or BSI document, release notes).
          type: str
        lists:
          description: The offer's name-lists the algorithm appears in.
          type: list
          elements: str
    excepted:
      description: Violations covered by an active exception, with the C(exceptions) that cover them.
      type: list
      elements: dict
    expired_exceptions:
      description: Exceptions past their expiry date, which count as absent.
      type: list
      elements: dict
    findings:
      description:
        - What the checks beyond algorithm names found (host keys, group-exchange moduli, the Terrapin rule,
          post-quantum key exchange, throttling), in check order. A C(fail) or C(warn) finding makes the server
          fail the baseline as a violation does; C(info) findings are reported only.
        - Checks that need data besides the offer (host keys, moduli, daemon settings) judge what the input carries, so
          pass the whole M(fleetcrypto.sftp.algorithms_info) result, not only its C(offer).
        - C(terrapin) fails a server that offers chacha20-poly1305 or any CBC cipher together with any EtM MAC
          without strict kex (CVE-2023-48795); C(post_quantum) rates a server that offers no post-quantum hybrid
          kex the baseline accepts.
      type: list
      elements: dict
      contains:
        check:
          description: C(terrapin), C(post_quantum), C(host_keys), C(moduli) or C(throttling).
          type: str
        subject:
          description: What the finding is about (a key, a group size, an algorithm pair, a setting).
          type: str
        rating:
          description: C(fail), C(warn) or C(info).
          type: str
        reason:
          description: Why.
          type: str
        source:
          description: Where the rule comes from.
          type: str
        fix:
          description: The exact change that resolves it, when there is one.
          type: str
    checks:
      description:
        - Per check, C(status) (C(passed), C(failed) or C(not_run)), C(message) (for C(not_run), what is missing),
          its C(findings) and check-specific C(details) (for C(terrapin) C(strict_kex), C(chacha20), C(cbc), C(etm),
          C(pairs); for C(post_quantum) C(offered), C(accepted_offered), C(first), C(pq_first), C(kem), C(accepted)).
      type: dict
    counts:
      description:
        - Numbers of C(fail) and C(warn) violations and of C(excepted) algorithms; C(findings_fail), C(findings_warn),
          C(findings_info) and C(checks_not_run) for the checks beyond names.
      type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import evaluate as _evaluate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def evaluate(server, baseline, exceptions=None, today=None):
    """Check ``server``'s offer against ``baseline``."""
    try:
        return _evaluate(server, baseline, exceptions, today)
    except ProposalError as exc:
        raise AnsibleFilterError('evaluate: %s' % exc)


class FilterModule(object):
    """Baseline evaluation filter of fleetcrypto.sftp."""

    def filters(self):
        return {'evaluate': evaluate}
