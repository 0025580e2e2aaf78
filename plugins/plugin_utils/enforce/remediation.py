# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remediation: the algorithm lists to configure on a server, from its capabilities, a baseline, the clients
that must keep working and documented exceptions.

The target is everything the baseline allows that the server supports, in the baseline's order. Every required
client is then negotiated against that target with the real implementations' rules (``negotiation``); where a
client fails a category, the smallest fix is one algorithm: the client's most preferred name that the server
supports and that the baseline or an active exception for that client allows. It is appended, so the server's
own preference stays the baseline's. When nothing allowed would work, the result carries a conflict naming the
client, the category and the algorithms that would be needed, and ``ok`` is false: never a silent weakening.

Terrapin (CVE-2023-48795): the daemon adds strict kex by itself (OpenSSH >= 9.6 and distributions' backports put
``kex-strict-s-v00@openssh.com`` into every KEXINIT, kex.c ``kex_proposal_populate_entries`` at V_9_6_P1), so the
target keeps the strict-kex marker the server offers now. When the server offers none and the baseline's
``terrapin`` rule counts (fail/warn), the plan leaves out chacha20-poly1305 and, when an EtM MAC stays in the target,
the CBC ciphers (ssh-audit 3.9's advice: "you may remove them while leaving the *-etm@openssh.com MACs in place"),
and never adds a name for a client that would reopen the hole; a client that needs one gets a conflict instead.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import CATEGORY, NEGOTIATED_LIST_KEYS, \
    PSEUDO_ALGORITHMS, STRICT_KEX_SERVER, is_cbc_cipher, is_certificate, is_chacha20_poly1305, is_etm_mac, key_family
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import COUNTED_RATINGS, finding, \
    run_checks
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import moduli as moduli_check
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import CATEGORIES, CATEGORY_KEYS, \
    BaselineError, category_lists, evaluate_normalized, load_baseline, normalize_exceptions
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import as_proposal
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import validate_name

# negotiate()'s failure categories -> the baseline category that fixes them (compression is not governed).
_FIX_CATEGORY = {name: category.shorthand for name, category in CATEGORY.items() if category.governed}
_MAX_ROUNDS = 8  # each round adds at least one name or stops; bounded anyway


def client_label(client, index):
    """How results name a required client: its profile name, a proposal's ``name``, else its position."""
    if isinstance(client, str):
        return client
    if isinstance(client, dict) and isinstance(client.get('name'), str) and client['name']:
        return client['name']
    return 'clients[%d]' % index


def _supported(supported, current):
    """The daemon's capability lists per baseline category. Without a capability list for a category, only what
    the server offers now is known to work, so that is used (the result says so)."""
    lists, assumed = {}, []
    if supported is not None and not isinstance(supported, dict):
        raise BaselineError('supported must be a dict of category -> list of algorithm names (%s)' % ', '.join(CATEGORIES))
    for category in CATEGORIES:
        names = (supported or {}).get(category)
        if names is None:
            names = current[category]
            assumed.append(category)
        if isinstance(names, str):
            names = names.split(',')
        if not isinstance(names, list):
            raise BaselineError('supported.%s must be a list of algorithm names' % category)
        lists[category] = [validate_name(name, 'supported.%s entry' % category) for name in names]
    # A daemon offers host-key algorithms only for keys it holds (sshd.c list_hostkey_types; mod_sftp keys.c),
    # so a supported signature algorithm counts only when the server offers one of the same key type now, and a
    # certificate algorithm only when it offers certificates of that type.
    offered = current['host_key']
    families = {key_family(name) for name in offered}
    cert_families = {key_family(name) for name in offered if is_certificate(name)}
    lists['host_key'] = [name for name in lists['host_key']
                         if key_family(name) in (cert_families if is_certificate(name) else families)]
    return lists, assumed


def target_proposal(target, current):
    """The normalized server proposal the target lists make, with the server's own software and pseudo-algorithms
    (``ext-info-s``, strict kex), which the daemon adds by itself. Every name in it is already validated (the
    baseline's, the capability lists' and the normalized offer's), so it is built in normalized form directly."""
    offer = dict(current['offer'])
    pseudo = [name for name in (offer.get('kex_algorithms') or ()) if name in PSEUDO_ALGORITHMS]
    for category, keys in CATEGORY_KEYS.items():
        for key in keys:
            offer[key] = list(target[category]) + (pseudo if key == 'kex_algorithms' else [])
    return {'offer': offer, 'software': current['software'], 'banner': current['banner'], 'name': None,
            'empty_entries': {}, 'partial': any(offer[key] is None for key in NEGOTIATED_LIST_KEYS)}


def labelled_clients(clients):
    """``[(label, normalized proposal)]`` for a list of client profile names or proposals: each client normalized
    once (which also fails early, by name, on a bad one)."""
    if clients is None:
        return []
    if not isinstance(clients, list):
        raise BaselineError('clients must be a list of client profile names or proposals')
    labels = [client_label(client, index) for index, client in enumerate(clients)]
    return [(label, as_proposal(client, 'client %s' % label)) for label, client in zip(labels, clients)]


def _allows(category, name, baseline, exceptions, label):
    """Whether ``name`` may be configured for ``label``: the baseline allows it, or an active exception does
    (returned, so the result can cite it)."""
    if name in baseline['allowed'][category]:
        return True, None
    for exception in exceptions:
        if exception['algorithm'] == name and exception['client'] in (label, '*') \
                and exception.get('category', category) == category:
            return True, exception
    return False, None


def remediate(server, baseline, clients, supported=None, exceptions=None, today=None, moduli_filtered=False):
    """Compute the lists to configure; see the ``remediate`` filter documentation for the result. ``server`` and
    ``clients`` are users' values (normalized here, once); :func:`remediate_normalized` takes normalized ones.
    When ``server`` is a whole ``algorithms_info`` result with ``moduli``, see :func:`remediate_normalized`."""
    facts = server if isinstance(server, dict) and isinstance(server.get('offer'), dict) else None
    return remediate_normalized(as_proposal(server, 'server', side='server'), baseline, labelled_clients(clients), supported,
                                exceptions, today, facts=facts, moduli_filtered=moduli_filtered)


def remediate_normalized(current, baseline, clients, supported=None, exceptions=None, today=None, facts=None,
                         moduli_filtered=False):
    """:func:`remediate` for a normalized server proposal and ``[(label, normalized client)]`` (fleet reports have
    both already).

    Group exchange is left out of the target where its primes fail the baseline's moduli rule (a client that needs
    it gets a conflict naming the group size): always on ProFTPD mod_sftp under a baseline that wants more than
    2048 bits (its fixed group 14, which no parameter file replaces), and where ``facts`` (the server's
    ``algorithms_info`` result) carries group sizes that fail (the fleet report's plan; the role does not probe the
    sizes of an OpenSSH server first, whose fix is a filtered moduli file). ``moduli_filtered`` says the moduli file
    is being filtered (the role's ``baseline_moduli: filter``), which fixes the sizes instead."""
    baseline = load_baseline(baseline)
    active, expired = normalize_exceptions(exceptions, today)
    capabilities, assumed = _supported(supported, category_lists(current['offer']))

    target = {category: [name for name in baseline['allowed'][category] if name in capabilities[category]]
              for category in CATEGORIES}
    guard = _terrapin_guard(current, baseline)
    removed = _close_terrapin(target) if guard else []
    weak_gex, weak_gex_findings = ([], []) if moduli_filtered else _weak_group_exchange(current, facts, baseline)
    if weak_gex:
        target['kex'] = [name for name in target['kex'] if name not in weak_gex]
    conflicts = []
    for category in CATEGORIES:
        if not target[category]:
            dropped = [item['algorithm'] for item in removed if item['category'] == category]
            conflicts.append({
                'client': None, 'category': category, 'needed': list(baseline['allowed'][category]),
                'message': 'the server supports none of the %s that baseline %s allows (%s)%s'
                           % (category, baseline['name'], ', '.join(baseline['allowed'][category]),
                              ' without Terrapin exposure: it offers no strict kex, so %s cannot be configured '
                              '(upgrade to OpenSSH >= 9.6)' % ', '.join(dropped) if dropped else '')})
    additions = []
    for _round in range(_MAX_ROUNDS):
        added = False
        server = target_proposal(target, current)
        for label, client in clients:
            prediction = negotiate(server, client)
            for failure in prediction['failures']:
                category = _FIX_CATEGORY.get(failure['category'])
                if category is None:
                    _add_conflict(conflicts, label, failure['category'], failure['client'],
                                  'the role does not configure %s; the client needs one of: %s'
                                  % (failure['category'], ', '.join(failure['client'])))
                    continue
                if any(name in target[category] for name in failure['client'] or ()):
                    continue  # fixed by an addition earlier in this round (the other direction)
                choice, reopening, reopening_gex = None, [], []
                for name in failure['client'] or ():
                    if name in PSEUDO_ALGORITHMS or name in target[category] or name not in capabilities[category]:
                        continue
                    allowed, exception = _allows(category, name, baseline, active, label)
                    if allowed and category == 'kex' and name in weak_gex:
                        reopening_gex.append(name)
                        continue
                    if allowed and guard and _opens_terrapin(category, name, target):
                        reopening.append(name)
                        continue
                    if allowed:
                        choice = (name, exception)
                        break
                if choice is None:
                    workable = [name for name in failure['client'] or ()
                                if name in capabilities[category] and name not in PSEUDO_ALGORITHMS]
                    message = _conflict_message(label, category, workable, baseline, expired, failure['message'],
                                                category in assumed)
                    if reopening_gex:
                        message = ('client %s needs %s for %s, and the server sends group-exchange primes the '
                                   'baseline rejects (%s); filter the moduli file (baseline_moduli: filter, '
                                   'OpenSSH 8.6 or later) or change the client'
                                   % (label, ', '.join(reopening_gex), category, '; '.join(
                                       item['subject'] for item in weak_gex_findings)))
                    if reopening:
                        message = ('client %s needs one of %s for %s, which would open the server to Terrapin '
                                   '(CVE-2023-48795) because it offers no strict kex; upgrade the server to OpenSSH '
                                   '>= 9.6 (strict kex) or change the client' % (label, ', '.join(reopening), category))
                    _add_conflict(conflicts, label, category, workable, message)
                    continue
                name, exception = choice
                target[category].append(name)
                additions.append({'client': label, 'category': category, 'algorithm': name,
                                  'allowed_by': 'exception' if exception else 'baseline',
                                  'exception': exception})
                added = True
                server = target_proposal(target, current)
        if not added:
            break

    final = target_proposal(target, current)
    predictions = {}
    for label, client in clients:
        result = negotiate(final, client)
        predictions[label] = {'compatible': result['compatible'], 'negotiated': result['negotiated'],
                              'failures': result['failures'], 'terrapin_exposed': result['terrapin_exposed']}
    evaluation = evaluate_normalized(final, baseline, active, today, with_checks=False)
    # The checks that judge an offer alone (terrapin, post_quantum) on the target; the others need gathered facts
    # and report not_run. Only Terrapin blocks the plan: the plan can always avoid it (or has a conflict), while
    # a daemon without any post-quantum kex cannot be given one by configuration.
    checked = run_checks(final, None, baseline)
    terrapin_check = checked['checks'].get('terrapin') or {'status': 'not_run'}
    ok = not conflicts and all(item['compatible'] for item in predictions.values()) and evaluation['passed'] \
        and terrapin_check['status'] != 'failed'
    return {
        'ok': ok,
        'baseline': baseline['name'],
        'baseline_version': baseline['version'],
        'target': target,
        'target_proposal': {key: final[key] for key in ('offer', 'software', 'banner')},
        'additions': additions,
        'conflicts': conflicts,
        'predictions': predictions,
        'evaluation': evaluation,
        'checks': checked['checks'],
        'findings': checked['findings'],
        'terrapin': {'strict_kex': STRICT_KEX_SERVER in (final['offer'].get('kex_algorithms') or ()),
                     'guarded': guard, 'removed': removed},
        'group_exchange_removed': [{'algorithm': name, 'findings': weak_gex_findings} for name in weak_gex],
        'expired_exceptions': expired,
        'capabilities_assumed_from_offer': assumed,
    }


# ProFTPD mod_sftp answers a group-exchange request it has no parameter group for with its fixed 2048-bit group 14
# (contrib/mod_sftp/kex.c get_dh_gex_group, v1.3.8; measured here with an SFTPDHParamFile of 3072-8192-bit groups
# only), so under a baseline that wants more than 2048 bits its group exchange is weak whatever it is configured with.
_FIXED_GROUP_BITS = {'ProFTPD mod_sftp': 2048}


def _weak_group_exchange(current, facts, baseline):
    """``(names, findings)``: the group-exchange methods the target must leave out, and why.

    From the sizes a probe learned (``facts['moduli']``): the methods whose groups fail or warn under the baseline's
    moduli check. From the daemon's fixed fallback group (ProFTPD mod_sftp): every group-exchange method, whether
    offered now or not, when that group is below the baseline's minimum; this keeps the plan the same once group
    exchange is gone from the offer (a second run learns no sizes). Nothing otherwise: the plan judges names."""
    settings = baseline['checks'].get('moduli') or dict(moduli_check.DEFAULT_SETTINGS)
    product = (current.get('software') or {}).get('product')
    fixed = _FIXED_GROUP_BITS.get(product)
    if fixed is not None and fixed < moduli_check.minimum_bits(settings):
        rating = 'fail' if fixed < settings['fail_below'] else 'warn'
        reason = ('%s answers a group-exchange request it has no group for with its fixed %d-bit group, below the %d '
                  'bits baseline %s wants' % (product, fixed, moduli_check.minimum_bits(settings), baseline['name']))
        source = 'ProFTPD 1.3.8 contrib/mod_sftp/kex.c get_dh_gex_group; %s' % (
            settings['fail_source'] if rating == 'fail' else settings['warn_source'])
        findings = [finding('moduli', '%s fixed %d-bit group' % (name, fixed), rating, reason, source,
                            'leave group exchange out of SFTPKeyExchanges')
                    for name in moduli_check.GEX_METHODS]
        return list(moduli_check.GEX_METHODS), findings
    if not isinstance(facts, dict) or not isinstance(facts.get('moduli'), dict):
        return [], []
    result = moduli_check.run(current, facts, settings)
    counted = [item for item in result['findings'] if item['rating'] in COUNTED_RATINGS]
    names = [name for name in moduli_check.GEX_METHODS
             if any(item['subject'].startswith(name + ' ') for item in counted)]
    return names, counted


def _terrapin_guard(current, baseline):
    """Whether the plan must keep Terrapin out: the server offers no strict kex now (the daemon adds the marker by
    itself when it has it, so the target will not have it either) and the baseline's terrapin rule counts."""
    settings = baseline['checks'].get('terrapin')
    if settings is None or settings['rating'] not in COUNTED_RATINGS:
        return False
    return STRICT_KEX_SERVER not in (current['offer'].get('kex_algorithms') or ())


def _close_terrapin(target):
    """Leave out what would expose the target to Terrapin without strict kex: chacha20-poly1305, and the CBC
    ciphers when an EtM MAC stays (the Terrapin paper, section 4). Returns what was left out, with why."""
    removed = []
    why = 'no strict kex offered by the server, so this would expose it to Terrapin (CVE-2023-48795)'
    for name in [name for name in target['ciphers'] if is_chacha20_poly1305(name)]:
        target['ciphers'].remove(name)
        removed.append({'category': 'ciphers', 'algorithm': name, 'reason': why})
    if any(is_etm_mac(name) for name in target['macs']):
        for name in [name for name in target['ciphers'] if is_cbc_cipher(name)]:
            target['ciphers'].remove(name)
            removed.append({'category': 'ciphers', 'algorithm': name, 'reason': why + ' (with the EtM MACs)'})
    return removed


def _opens_terrapin(category, name, target):
    """Whether adding ``name`` to the target would make a Terrapin-vulnerable pair (no strict kex assumed)."""
    if category == 'ciphers':
        return is_chacha20_poly1305(name) or (is_cbc_cipher(name) and any(is_etm_mac(mac) for mac in target['macs']))
    if category == 'macs':
        return is_etm_mac(name) and any(is_cbc_cipher(cipher) for cipher in target['ciphers'])
    return False


def _add_conflict(conflicts, label, category, needed, message):
    for conflict in conflicts:
        if conflict['client'] == label and conflict['category'] == category:
            return
    conflicts.append({'client': label, 'category': category, 'needed': list(needed), 'message': message})


def _conflict_message(label, category, workable, baseline, expired, negotiation_message, assumed=False):
    if not workable and assumed:
        return ('client %s shares no %s with what the server offers now, and what else the server supports is not '
                'known here (the role asks the daemon; or pass supported) (%s)' % (label, category,
                                                                                   negotiation_message))
    if not workable:
        return ('client %s cannot negotiate %s with this server at all: the server supports none of the client\'s '
                'algorithms (%s)' % (label, category, negotiation_message))
    lapsed = [item for item in expired if item['client'] in (label, '*') and item['algorithm'] in workable]
    text = ('client %s needs one of %s for %s, which baseline %s does not allow; add an exception for the client '
            '(client, algorithm, reason, expires) or change the client' % (label, ', '.join(workable), category,
                                                                           baseline['name']))
    if lapsed:
        text += '; the exception for %s expired on %s' % (lapsed[0]['algorithm'], lapsed[0]['expires'])
    return text


def candidate_names(baseline, clients=None, exceptions=None):
    """Every algorithm name a remediation could configure, per category: the baseline's, the required clients'
    and the exceptions'. The daemon is asked about exactly these when it cannot list what it supports."""
    baseline = load_baseline(baseline)
    names = {category: list(baseline['allowed'][category]) for category in CATEGORIES}
    for _label, proposal in labelled_clients(clients):
        for category, keys in CATEGORY_KEYS.items():
            for key in keys:
                for name in proposal['offer'].get(key) or ():
                    if name not in names[category] and name not in PSEUDO_ALGORITHMS:
                        names[category].append(name)
    active, expired = normalize_exceptions(exceptions)
    for exception in active + expired:
        for category in ([exception['category']] if exception.get('category') else CATEGORIES):
            if exception['algorithm'] not in names[category]:
                names[category].append(exception['algorithm'])
    return names


def verify_offer(live, plan, clients=None, ordered=True):
    """Compare a live probe of the server after the change with ``plan`` (a ``remediate`` result): the offered
    lists must equal the target (host keys as a set: sshd orders them by its HostKey files, sshd.c
    list_hostkey_types, not by HostKeyAlgorithms) and every client must negotiate. Returns
    ``{'ok', 'mismatches': [{category, list, expected, offered}], 'client_failures': {client: [messages]}}``.
    ``ordered=False`` compares every list as a set (servers configured with check boxes, like Cerberus)."""
    proposal = as_proposal(live, 'live offer')
    mismatches = []
    for category, keys in CATEGORY_KEYS.items():
        expected = list(plan['target'][category])
        for key in keys:
            offered = [name for name in proposal['offer'].get(key) or () if name not in PSEUDO_ALGORITHMS]
            same = sorted(offered) == sorted(expected) if category == 'host_key' or not ordered else offered == expected
            if not same:
                mismatches.append({'category': category, 'list': key, 'expected': expected, 'offered': offered})
    failures = {}
    for label, client in labelled_clients(clients):
        result = negotiate(proposal, client)
        if not result['compatible']:
            failures[label] = [failure['message'] for failure in result['failures']]
    return {'ok': not mismatches and not failures, 'mismatches': mismatches, 'client_failures': failures}
