# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Group-exchange moduli: rate the Diffie-Hellman groups a server really sends (``algorithms_info``
``moduli: true``, see ``module_utils/moduli.py``) against a baseline's ``moduli`` section::

    moduli:
      fail_below: 2048
      fail_source: RFC 8270 section 4 ...
      warn_below: 3072            # optional
      warn_source: NIST SP 800-57 Part 1 Rev. 5 table 2 ...

Which size is rated. Per method, the smallest group received, except that for OpenSSH up to 9.9 a 2048-bit
answer to a request whose ``max`` is below 3072 bits is left out when a larger request was answered: those servers
answer such a request with the built-in 2048-bit group 14 when the moduli file holds no group in range
(openssh-portable dh.c ``dh_new_group_fallback``), which no configuration can change. ssh-audit 3.9 does the
same (ssh_audit/gextest.py: the second pass with 2048/3072/4096 is "the definitive result" for OpenSSH <= 9.9);
the fallback is then reported as ``info``.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import CheckError, finding, judged, \
    not_run

SECTION = 'moduli'
CHECK = 'moduli'
GEX_METHODS = ('diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1')

# Used when a baseline has no moduli section: RFC 8270 raised the minimum group-exchange modulus to 2048 bits.
DEFAULT_SETTINGS = {
    'fail_below': 2048,
    'fail_source': 'RFC 8270 section 4 (minimum DH group-exchange modulus 2048 bits)',
    'warn_below': None,
    'warn_source': None,
}
MIN_THRESHOLD, MAX_THRESHOLD = 1024, 16384
# OpenSSH's built-in fallback (dh.c dh_new_group_fallback): group 14 for a request whose max is below 3072.
FALLBACK_MAX = 3072
FALLBACK_BITS = 2048
FALLBACK_SOURCE = ('openssh-portable dh.c dh_new_group_fallback (V_9_2_P1); ssh-audit 3.9 ssh_audit/gextest.py '
                   '(OpenSSH <= 9.9 fallback, second pass 2048/3072/4096)')
FIX_SOURCE = ('moduli(5) and openssh-portable dh.c parse_prime (the size field is the bit length minus 1); '
              'Mozilla OpenSSH guidelines and ssh-audit hardening guides (awk \'$5 >= 3071\')')


def _threshold(section, key, where):
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise CheckError('%s.%s must be a number of bits from %d to %d, got %r'
                         % (where, key, MIN_THRESHOLD, MAX_THRESHOLD, value))
    return value


def normalize(section, baseline_name, where):
    """Validate a baseline's ``moduli`` section; ``None`` gives the RFC 8270 minimum."""
    if section is None:
        return dict(DEFAULT_SETTINGS)
    if not isinstance(section, dict):
        raise CheckError('%s must be a dict with fail_below/fail_source and optional warn_below/warn_source, '
                         'got %s' % (where, type(section).__name__))
    unknown = sorted(set(section) - set(DEFAULT_SETTINGS))
    if unknown:
        raise CheckError('%s has unknown keys %s (known: %s)' % (where, ', '.join(map(str, unknown)),
                                                                 ', '.join(sorted(DEFAULT_SETTINGS))))
    settings = {}
    for level in ('fail', 'warn'):
        bits = _threshold(section, level + '_below', where)
        source = section.get(level + '_source')
        if bits is not None and (not isinstance(source, str) or not source.strip()):
            raise CheckError('%s.%s_source must say where the %s_below threshold comes from' % (where, level, level))
        settings[level + '_below'] = bits
        settings[level + '_source'] = source.strip() if bits is not None else None
    if settings['fail_below'] is None:
        settings['fail_below'], settings['fail_source'] = DEFAULT_SETTINGS['fail_below'], DEFAULT_SETTINGS['fail_source']
    if settings['warn_below'] is not None and settings['warn_below'] <= settings['fail_below']:
        raise CheckError('%s.warn_below (%d) must be above fail_below (%d)'
                         % (where, settings['warn_below'], settings['fail_below']))
    return settings


def minimum_bits(settings):
    """The smallest group size a baseline accepts without a finding (what the role's filter keeps)."""
    return settings['warn_below'] or settings['fail_below']


def moduli_size_field(bits):
    """The moduli(5) size column for groups of ``bits`` bits: OpenSSH lists the bit length minus one."""
    return bits - 1


def _openssh_with_fallback(software):
    """True for OpenSSH up to 9.9 (the versions with the compiled-in group-exchange fallback)."""
    if not isinstance(software, dict) or software.get('product') not in ('OpenSSH', 'OpenSSH for Windows'):
        return False
    match = re.match(r'^(\d+)\.(\d+)', str(software.get('version') or ''))
    return bool(match) and (int(match.group(1)), int(match.group(2))) <= (9, 9)


def rated_size(method, software):
    """``(bits, request, fallback)`` for one method's entry of ``moduli``: the size rated, the request that got
    it, and the answer left out as OpenSSH's fallback (or None)."""
    answered = [item for item in method.get('requests') or () if isinstance(item.get('bits'), int)]
    if not answered:
        return None, None, None
    fallback = None
    if _openssh_with_fallback(software):
        larger = [item for item in answered if item['max'] >= FALLBACK_MAX]
        small = [item for item in answered if item['max'] < FALLBACK_MAX and item['bits'] == FALLBACK_BITS]
        if larger and small:
            fallback = small[0]
            answered = [item for item in answered if item not in small]
    request = min(answered, key=lambda item: item['bits'])
    return request['bits'], request, fallback


def _fix(product, keep_bits):
    if product == 'ProFTPD mod_sftp':
        return ('Leave diffie-hellman-group-exchange-sha256/-sha1 out of SFTPKeyExchanges. A SFTPDHParamFile with '
                'only groups of at least %d bits is not enough: mod_sftp answers any request it has no group for '
                'with its fixed 2048-bit group 14 (ProFTPD 1.3.8 contrib/mod_sftp/kex.c get_dh_gex_group).'
                % keep_bits)
    return ("Keep only groups of at least {bits} bits in the moduli file sshd reads: awk '$5 >= {field}' "
            "/etc/ssh/moduli > /etc/ssh/moduli.fleetcrypto and set ModuliFile /etc/ssh/moduli.fleetcrypto "
            "(OpenSSH 8.6 and later; older ones: replace /etc/ssh/moduli after a backup), check with sshd -t and "
            "reload sshd; or apply the fleetcrypto.sftp.baseline role with baseline_moduli: filter."
            .format(bits=keep_bits, field=moduli_size_field(keep_bits)))


def run(proposal, facts, settings):
    settings = settings or dict(DEFAULT_SETTINGS)
    offered = [name for name in (proposal['offer'].get('kex_algorithms') or ()) if name in GEX_METHODS]
    if not offered:
        return judged([], 'the server offers no Diffie-Hellman group exchange: no moduli to check')
    if not isinstance(facts, dict) or ('moduli' not in facts and 'moduli_error' not in facts):
        return not_run('the group sizes were not gathered: probe with algorithms_info moduli: true '
                       '(playbooks/audit.yml does unless fleetcrypto_moduli is false)')
    if facts.get('moduli_error'):
        return not_run('the group sizes could not be learned: %s' % facts['moduli_error'])
    moduli = facts.get('moduli')
    if not isinstance(moduli, dict) or not isinstance(moduli.get('methods'), list):
        return not_run('the gathered moduli facts are not an algorithms_info moduli result')
    software = proposal.get('software') or facts.get('software')
    product = software.get('product') if isinstance(software, dict) else None
    keep_bits = minimum_bits(settings)
    findings, sizes = [], {}
    for method in moduli['methods']:
        if not isinstance(method, dict) or method.get('kex') not in offered:
            continue
        bits, request, fallback = rated_size(method, software)
        sizes[method['kex']] = bits
        if bits is None:
            continue
        asked = '%s request %d/%d/%d' % (request.get('name'), request['min'], request['n'], request['max'])
        if bits < settings['fail_below']:
            findings.append(finding(CHECK, '%s %d-bit group' % (method['kex'], bits), 'fail',
                                    'the server sends a %d-bit group (%s), below the %d-bit minimum'
                                    % (bits, asked, settings['fail_below']),
                                    settings['fail_source'], _fix(product, keep_bits)))
        elif settings['warn_below'] and bits < settings['warn_below']:
            findings.append(finding(CHECK, '%s %d-bit group' % (method['kex'], bits), 'warn',
                                    'the server sends a %d-bit group (%s); %d-bit groups give only 112 bits of '
                                    'security, below the %d bits this baseline wants'
                                    % (bits, asked, bits, settings['warn_below']) if bits >= 2048 else
                                    'the server sends a %d-bit group (%s), below %d bits'
                                    % (bits, asked, settings['warn_below']),
                                    settings['warn_source'], _fix(product, keep_bits)))
        if fallback is not None and fallback['bits'] < bits:
            findings.append(finding(CHECK, '%s fallback group' % method['kex'], 'info',
                                    'a request whose max is below %d bits got a %d-bit group (request %s '
                                    '%d/%d/%d): OpenSSH up to 9.9 answers such requests with its built-in 2048-bit '
                                    'group 14 when the moduli file has none in range, so only clients that ask '
                                    'for no more get it, and no configuration changes that'
                                    % (FALLBACK_MAX, fallback['bits'], fallback.get('name'), fallback['min'],
                                       fallback['n'], fallback['max']), FALLBACK_SOURCE))
    if not sizes:
        return not_run('the offered group-exchange methods (%s) were not probed' % ', '.join(offered))
    rated = [value for value in sizes.values() if value is not None]
    if not rated:
        return not_run('no group-exchange request got a group', {'sizes': sizes})
    return judged(findings, 'group exchange sends groups of at least %d bits' % min(rated),
                  {'sizes': sizes, 'rated_bits': min(rated), 'keep_bits': keep_bits})
