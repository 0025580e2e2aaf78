# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Terrapin (CVE-2023-48795) as a baseline rule, judged from the offer alone.

Bäumer, Brinkmann and Schwenk, "Terrapin Attack: Breaking SSH Channel Integrity By Sequence Number
Manipulation" (USENIX Security 2024), section 4: without strict key exchange, a man-in-the-middle can delete
messages at the start of the secure channel when the connection uses chacha20-poly1305@openssh.com, or a CBC
cipher with an encrypt-then-MAC MAC. The countermeasure is strict key exchange (OpenSSH PROTOCOL section 1.10,
``kex-strict-s-v00@openssh.com`` in the server's kex list; OpenSSH 9.6 release notes), or not offering the
vulnerable modes. A server that offers either mode without strict kex violates the baseline: any client without
strict kex that prefers the mode is exposed, and the server cannot tell. Which required clients really are exposed
stays in the predictions (``negotiate``'s ``terrapin_exposed``).

CBC and EtM are classified by rule (``catalog.is_cbc_cipher``, ``catalog.is_etm_mac``), so vendor names such as
``camellia128-cbc`` or ``seed-cbc@ssh.com`` count like ``aes128-cbc``, as in ssh-audit 3.9's ssh_audit.py
(``_get_cbc_ciphers_enabled``).

Baseline section (all keys optional; absent, the rule applies with rating ``fail``)::

    terrapin:
      rating: fail          # fail | warn | info
      reason: ...           # replaces the default sentence
      source: ...           # replaces the default citation

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, terrapin_offer
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import FINDING_RATINGS, CheckError, \
    finding, judged, not_run

SECTION = 'terrapin'
DEFAULT_RATING = 'fail'
DEFAULT_SOURCE = ('CVE-2023-48795; Baeumer, Brinkmann, Schwenk, "Terrapin Attack: Breaking SSH Channel Integrity By '
                  'Sequence Number Manipulation", USENIX Security 2024, section 4; OpenSSH 9.6 release notes (strict '
                  'key exchange); OpenSSH PROTOCOL section 1.10')
DEFAULT_REASON = ('without strict key exchange (kex-strict-s-v00@openssh.com), a man-in-the-middle can delete messages '
                  'at the start of the secure channel (Terrapin prefix truncation, e.g. the extension negotiation that '
                  'carries server-sig-algs) of every client that negotiates one of these modes without strict kex')
_KEYS = ('rating', 'reason', 'source')


def normalize(section, baseline_name, where):
    """``{rating, reason, source}`` from the baseline's ``terrapin:`` section (``None``: the defaults)."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise CheckError('%s must be a dict with rating (%s), and optionally reason and source'
                         % (where, '/'.join(FINDING_RATINGS)))
    unknown = sorted(set(section) - set(_KEYS))
    if unknown:
        raise CheckError('%s has unknown keys %s (known: %s)' % (where, unknown, ', '.join(_KEYS)))
    rating = section.get('rating', DEFAULT_RATING)
    if rating not in FINDING_RATINGS:
        raise CheckError('%s rating must be one of %s, got %r' % (where, ', '.join(FINDING_RATINGS), rating))
    settings = {'rating': rating, 'reason': DEFAULT_REASON, 'source': DEFAULT_SOURCE}
    for key in ('reason', 'source'):
        if key in section:
            if not isinstance(section[key], str) or not section[key].strip():
                raise CheckError('%s %s must be a non-empty string' % (where, key))
            settings[key] = section[key].strip()
    return settings


def _merged(offer, category):
    names = []
    for key in CATEGORY[category].keys:
        for name in offer.get(key) or ():
            if name not in names:
                names.append(name)
    return names


def exposure(proposal):
    """What in a normalized server proposal is open to Terrapin (see ``catalog.terrapin_offer``), both directions
    merged; ``None`` when the offer's kex, cipher or MAC lists are not known (partial proposals)."""
    offer = proposal['offer']
    needed = CATEGORY['kex'].keys + CATEGORY['cipher'].keys + CATEGORY['mac'].keys
    if any(offer.get(key) is None for key in needed):
        return None
    return terrapin_offer(_merged(offer, 'cipher'), _merged(offer, 'mac'), offer.get('kex_algorithms') or ())


def describe(info):
    """The vulnerable pairs in one line, as findings and conflict messages name them."""
    parts = list(info['chacha20'])
    if info['cbc'] and info['etm']:
        parts.append('CBC %s with EtM %s' % (', '.join(info['cbc']), ', '.join(info['etm'])))
    return '; '.join(parts)


def fix_for(info):
    """The exact fix for an exposed offer."""
    remove = []
    if info['chacha20']:
        remove.append('chacha20-poly1305 (%s)' % ', '.join(info['chacha20']))
    if info['cbc'] and info['etm']:
        remove.append('the CBC ciphers (%s) or the EtM MACs (%s)' % (', '.join(info['cbc']), ', '.join(info['etm'])))
    return ('offer strict kex (OpenSSH >= 9.6 adds kex-strict-s-v00@openssh.com by itself, as do other servers '
            'and distribution packages with their Terrapin fix: upgrade) or remove %s' % ' and '.join(remove))


def run(proposal, facts, settings):
    """Judge one server's offer; ``facts`` are not needed (the offer says everything)."""
    settings = settings or normalize(None, 'custom', SECTION)
    info = exposure(proposal)
    if info is None:
        return not_run('the offer\'s key exchange, cipher or MAC lists are not known (a partial proposal), so '
                       'Terrapin exposure cannot be judged; probe the server with algorithms_info')
    details = {'strict_kex': info['strict_kex'], 'chacha20': info['chacha20'], 'cbc': info['cbc'],
               'etm': info['etm'], 'pairs': [[cipher, mac] for cipher, mac in info['pairs']]}
    if info['strict_kex']:
        return judged([], 'strict key exchange offered (kex-strict-s-v00@openssh.com): not exposed to Terrapin',
                      details)
    if not info['pairs']:
        return judged([], 'no strict key exchange, but neither chacha20-poly1305 nor a CBC cipher with an EtM MAC '
                          'is offered: not exposed to Terrapin', details)
    subject = describe(info)
    item = finding(SECTION, subject, settings['rating'], '%s (%s offered without strict kex)'
                   % (settings['reason'], subject), settings['source'], fix_for(info))
    return judged([item], 'Terrapin-exposed offer without strict key exchange: %s' % subject, details)
