# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of the handshake proof: clients in, verdicts out.

The module ``handshake_info`` (core in ``module_utils/handshake.py``) runs on a node that may not have the
client-profile library, so :func:`handshake_clients` resolves profile names and proposal dicts into plain lists
first. Afterwards :func:`handshake_proof` sets each handshake beside the ``negotiate`` prediction for the same
client and the same live offer, and decides per client how it is known to work:

* ``proven_by: handshake``: the handshake negotiated exactly what the client would (RFC 8731 section 1's two
  names of curve25519 count as one), so the server proved it serves this client;
* ``proven_by: prediction``: paramiko cannot stand in for the client (it cannot speak a name the client would
  negotiate with this server, or a whole category of the client's), so only the prediction speaks for it; a
  handshake that completed with paramiko's substitutes is reported (``handshake_completed``) but proves less;
* ``failed``: a handshake with the client's own names, as far as paramiko speaks them, failed: the server offers
  something it cannot do (dropbear 2022.83 offering ``rsa-sha2-256`` with no RSA key), or does not answer.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS, is_aead_cipher
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.handshake import CURVE25519_ALIAS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import labelled_clients
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import as_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError

SLOTS = ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c', 'compression_c2s', 'compression_s2c')


def handshake_clients(clients):
    """``[{name, <ten name-list keys>, software}]`` for ``handshake_info``'s ``clients`` from profile names and
    proposal dicts (labelled as every other client list of the collection, ``remediation.client_label``)."""
    out = []
    for label, proposal in labelled_clients(clients):
        entry = {'name': label, 'software': proposal['software']}
        for key in NAME_LIST_KEYS:
            entry[key] = proposal['offer'][key]
        out.append(entry)
    return out


def _same(slot, predicted, actual):
    if predicted == actual:
        return True
    return slot == 'kex' and CURVE25519_ALIAS.get(predicted) == actual


def _substitutions(predicted, negotiated):
    if not predicted or not negotiated:
        return []
    subs = []
    for slot in SLOTS:
        want, got = predicted.get(slot), negotiated.get(slot)
        if slot.startswith('mac_'):
            cipher = negotiated.get('cipher_' + slot[4:])
            if want is None or (cipher and is_aead_cipher(cipher) and cipher == predicted.get('cipher_' + slot[4:])):
                # an AEAD cipher authenticates itself (OpenSSH PROTOCOL.chacha20poly1305, PROTOCOL 1.6): the MAC some
                # clients still negotiate (JSch) is never used, so it is no substitution
                continue
        if got is None and want is None:
            continue
        if not _same(slot, want, got):
            subs.append({'slot': slot, 'client': want, 'handshake': got})
    return subs


def _verdict(label, entry, prediction):
    predicted = prediction['negotiated'] if prediction else None
    verdict = {
        'name': label,
        'proven': False,
        'proven_by': 'prediction',
        'failed': False,
        'reason': None,
        'predicted_compatible': prediction['compatible'] if prediction else None,
        'predicted': predicted,
        'negotiated': entry.get('negotiated'),
        'substitutions': [],
        'handshake_completed': bool(entry.get('attempted') and entry.get('proven')),
        'error': entry.get('error'),
        'host_key': entry.get('host_key'),
        'dropped': entry.get('dropped') or {},
        'elapsed_ms': entry.get('elapsed_ms'),
    }
    subs = _substitutions(predicted, entry.get('negotiated'))
    verdict['substitutions'] = subs
    if not entry.get('attempted') or entry.get('proven_by') == 'prediction':
        verdict['reason'] = entry.get('reason') or 'no handshake was run for this client'
        return verdict
    if entry.get('proven'):
        if prediction and not prediction['compatible']:
            verdict.update(proven_by='handshake', proven=True, reason='the handshake completed although the '
                           'prediction says the client cannot connect: %s' % '; '.join(
                               failure['message'] for failure in prediction['failures']))
        elif subs:
            verdict['reason'] = ('paramiko cannot speak what the client would negotiate with this server (%s); a '
                                 'handshake with %s completed instead' % (
                                     ', '.join('%s %s' % (sub['slot'], sub['client']) for sub in subs),
                                     ', '.join(str(sub['handshake']) for sub in subs)))
        else:
            verdict.update(proven=True, proven_by='handshake')
        return verdict
    error = entry.get('error') or {}
    if error.get('category') == 'incompatible' and prediction and prediction['compatible']:
        # paramiko's own negotiation refused where the client's would not: it wants a common MAC even for an AEAD
        # cipher (paramiko 5.1.0 transport.py Transport._parse_kex_init), which OpenSSH, PuTTY and others skip.
        verdict['reason'] = ('paramiko\'s negotiation rules differ from the client\'s here (%s); the prediction says '
                             'the client connects' % error.get('message'))
        return verdict
    verdict.update(failed=True, proven_by='handshake', reason='%s: %s' % (error.get('category'), error.get('message')))
    if subs:
        verdict['reason'] += ' (with paramiko standing in for %s)' % ', '.join(
            '%s %s -> %s' % (sub['slot'], sub['client'], sub['handshake']) for sub in subs)
    return verdict


def handshake_proof(result, server, clients, not_run_reason=None):
    """Set a ``handshake_info`` result (single mode) beside the predictions for ``clients`` (the same list, names
    or proposals, that was passed through :func:`handshake_clients`) against ``server`` (the live
    ``algorithms_info`` result). Returns ``{ok, ran, clients: [verdict], proven: [names], predicted_only: [{name,
    reason}], failed: [{name, category, message}], paramiko_version}``.

    A result that is None, skipped or failed as a whole (paramiko missing on the node) means no handshake ran:
    every client is ``predicted_only``, with ``not_run_reason`` or the result's own message as the reason."""
    if result is not None and not isinstance(result, dict):
        raise ProposalError('the handshake result must be the dict handshake_info returns')
    ran = bool(result) and not result.get('failed') and not result.get('skipped') and 'clients' in result
    if ran:
        entries = {entry.get('name'): entry for entry in result.get('clients') or [] if isinstance(entry, dict)}
    else:
        reason = not_run_reason or (result or {}).get('msg') or 'no handshake was run'
        entries = {}
    server_proposal = as_proposal(server, 'server', side='server') if server and not server.get('failed') else None
    verdicts = []
    for label, proposal in labelled_clients(clients):
        prediction = negotiate(server_proposal, proposal) if server_proposal else None
        entry = entries.get(label)
        if entry is None:
            entry = {'attempted': False, 'reason': reason if not ran else 'the handshake result has no entry for '
                     'this client'}
        verdicts.append(_verdict(label, entry, prediction))
    return {
        'ok': not any(verdict['failed'] for verdict in verdicts),
        'ran': ran,
        'clients': verdicts,
        'proven': [verdict['name'] for verdict in verdicts if verdict['proven']],
        'predicted_only': [{'name': verdict['name'], 'reason': verdict['reason']}
                           for verdict in verdicts if verdict['proven_by'] == 'prediction'],
        'failed': [{'name': verdict['name'], 'category': (verdict['error'] or {}).get('category'),
                    'message': verdict['reason']} for verdict in verdicts if verdict['failed']],
        'paramiko_version': (result or {}).get('paramiko_version'),
    }
