# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Post-quantum key exchange as a rated check, judged from the offer alone.

Is a post-quantum hybrid key exchange offered (the names in ``catalog.POST_QUANTUM_KEX``), which ones, which of
them this baseline accepts, and is one of them the server's first choice? A session whose key exchange is not
post-quantum can be recorded now and decrypted once a quantum computer breaks its (EC)DH: OpenSSH 10.0 made
``mlkem768x25519-sha256`` the default (release notes; myproposal.h at V_10_0_P1), OpenSSH 10.1's client warns
"** WARNING: connection is not using a post-quantum key exchange algorithm." (sshconnect.c ``warn_nonpq_kex`` at
V_10_1_P1), and ssh-audit 3.9 warns on every other kex "does not provide protection against post-quantum attacks"
(ssh_audit/ssh2_kexdb.py ``WARN_NOT_PQ_SAFE``).

The server's order does not decide which kex a client gets: RFC 4253 section 7.1 takes the client's first
algorithm the server also supports. "First" is reported because baselines (and ssh-audit policies) compare order.

Baseline section::

    post_quantum:
      missing:                 # no accepted post-quantum kex offered (absent: rating info, with the sources above)
        rating: warn           # fail | warn | info
        reason: ...
        source: ...
      not_first:               # optional: an accepted PQ kex is offered but another kex is the server's first
        rating: info
        reason: ...
        source: ...
      accepted: [...]          # optional: the PQ methods that count (default: every name in POST_QUANTUM_KEX)
      accepted_source: ...     # why only those (required with accepted)

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import POST_QUANTUM_KEX, PSEUDO_ALGORITHMS, \
    is_valid_name, pq_kem
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import FINDING_RATINGS, CheckError, \
    finding, judged, not_run

SECTION = 'post_quantum'
# OpenSSH's own order of its post-quantum methods (myproposal.h KEX_SERVER_KEX at V_10_0_P1 .. V_10_5_P1), then the
# other ML-KEM hybrids of RFC 10042: the order the fix names them in.
PREFERENCE = ('mlkem768x25519-sha256', 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com',
              'mlkem768nistp256-sha256', 'mlkem1024nistp384-sha384')
DEFAULT_SOURCE = ('OpenSSH 10.0 release notes (mlkem768x25519-sha256 the default kex; myproposal.h at V_10_0_P1); '
                  'OpenSSH 10.1 sshconnect.c warn_nonpq_kex ("** WARNING: connection is not using a post-quantum key '
                  'exchange algorithm."); ssh-audit 3.9 ssh_audit/ssh2_kexdb.py WARN_NOT_PQ_SAFE ("does not provide '
                  'protection against post-quantum attacks")')
DEFAULT_MISSING = {
    'rating': 'info',
    'reason': 'no post-quantum hybrid key exchange offered: sessions can be recorded now and decrypted later '
              '("store now, decrypt later") once a quantum computer breaks the classical key exchange',
    'source': DEFAULT_SOURCE,
}
# Where each method is available, for the fix (openssh-portable kex.h/myproposal.h at the tags named).
AVAILABLE = {
    'mlkem768x25519-sha256': 'OpenSSH >= 9.9, the default from 10.0',
    'sntrup761x25519-sha512': 'OpenSSH >= 9.9',
    'sntrup761x25519-sha512@openssh.com': 'OpenSSH >= 8.5, first in the defaults from 9.0',
    'mlkem768nistp256-sha256': 'OpenSSH >= 10.5, not enabled by default',
    'mlkem1024nistp384-sha384': 'RFC 10042; not in OpenSSH 10.5',
}
_KEYS = ('missing', 'not_first', 'accepted', 'accepted_source')
_RULE_KEYS = ('rating', 'reason', 'source')


def _rule(value, where, default=None):
    if value is None:
        return dict(default) if default else None
    if not isinstance(value, dict):
        raise CheckError('%s must be a dict with rating (%s), reason and source' % (where, '/'.join(FINDING_RATINGS)))
    unknown = sorted(set(value) - set(_RULE_KEYS))
    if unknown:
        raise CheckError('%s has unknown keys %s (known: %s)' % (where, unknown, ', '.join(_RULE_KEYS)))
    rule = dict(default or {})
    rule.update(value)
    if rule.get('rating') not in FINDING_RATINGS:
        raise CheckError('%s rating must be one of %s, got %r' % (where, ', '.join(FINDING_RATINGS), rule.get('rating')))
    for key in ('reason', 'source'):
        if not isinstance(rule.get(key), str) or not rule[key].strip():
            raise CheckError('%s needs a non-empty %s' % (where, key))
    return {key: rule[key] for key in _RULE_KEYS}


def normalize(section, baseline_name, where):
    """``{missing, not_first, accepted, accepted_source}`` from the baseline's ``post_quantum:`` section."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise CheckError('%s must be a dict (keys: %s)' % (where, ', '.join(_KEYS)))
    unknown = sorted(set(section) - set(_KEYS))
    if unknown:
        raise CheckError('%s has unknown keys %s (known: %s)' % (where, unknown, ', '.join(_KEYS)))
    accepted = section.get('accepted')
    if accepted is None:
        accepted = [name for name in PREFERENCE if name in POST_QUANTUM_KEX]
        accepted_source = 'every post-quantum hybrid kex (catalog.POST_QUANTUM_KEX)'
    else:
        if not isinstance(accepted, list) or not accepted:
            raise CheckError('%s accepted must be a non-empty list of post-quantum kex names' % where)
        for name in accepted:
            if not is_valid_name(name) or name not in POST_QUANTUM_KEX:
                raise CheckError('%s accepted lists %r, which is not a post-quantum hybrid kex (known: %s)'
                                 % (where, str(name)[:100], ', '.join(sorted(POST_QUANTUM_KEX))))
        accepted_source = section.get('accepted_source')
        if not isinstance(accepted_source, str) or not accepted_source.strip():
            raise CheckError('%s accepted needs accepted_source: why only these methods count' % where)
    return {'missing': _rule(section.get('missing'), '%s missing' % where, DEFAULT_MISSING),
            'not_first': _rule(section.get('not_first'), '%s not_first' % where),
            'accepted': list(accepted), 'accepted_source': accepted_source}


def run(proposal, facts, settings):
    """Judge one server's offer; ``facts`` are not needed."""
    settings = settings or normalize(None, 'custom', SECTION)
    kex = proposal['offer'].get('kex_algorithms')
    if kex is None:
        return not_run('the offer\'s key exchange list is not known (a partial proposal); probe the server with '
                       'algorithms_info')
    methods = [name for name in kex if name not in PSEUDO_ALGORITHMS]
    offered = [name for name in methods if name in POST_QUANTUM_KEX]
    counted = [name for name in offered if name in settings['accepted']]
    first = methods[0] if methods else None
    details = {'offered': offered, 'accepted_offered': counted, 'first': first,
               'pq_first': bool(first and first in counted), 'kem': {name: pq_kem(name) for name in offered},
               'accepted': list(settings['accepted'])}
    fix = 'offer %s first in the kex list' % ' or '.join(
        '%s (%s)' % (name, AVAILABLE[name]) if name in AVAILABLE else name for name in settings['accepted'][:2])
    if not counted:
        rule = settings['missing']
        if offered:
            subject = 'no accepted post-quantum kex (offered: %s; accepted: %s)' % (
                ', '.join(offered), ', '.join(settings['accepted']))
            reason = '%s; %s' % (rule['reason'], settings['accepted_source'])
        else:
            subject = 'no post-quantum kex offered'
            reason = rule['reason']
        item = finding(SECTION, subject, rule['rating'], reason, rule['source'], fix)
        return judged([item], subject, details)
    if settings['not_first'] and first not in counted:
        rule = settings['not_first']
        subject = '%s first, before the post-quantum %s' % (first, ', '.join(counted))
        item = finding(SECTION, subject, rule['rating'], rule['reason'], rule['source'],
                       'put %s first in the kex list' % counted[0])
        return judged([item], 'post-quantum kex offered (%s), not first' % ', '.join(counted), details)
    return judged([], 'post-quantum kex offered: %s' % ', '.join(counted), details)
