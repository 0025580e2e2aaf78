# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host keys: the type and size of the keys behind the offered host-key algorithms.

A baseline's ``host_key`` list says which signature *algorithms* a server may offer; ``rsa-sha2-512`` is as
happy with a 1024-bit key as with a 4096-bit one. This check judges the keys themselves, as gathered by
``algorithms_info`` with ``host_keys: true`` (one key exchange per distinct key) or read from the key files by the
role. The rules, each with its source:

* RSA below 2048 bits fails under every baseline: NIST SP 800-131A Rev. 2 section 3 (Table 2) disallows RSA
  signature generation with len(n) < 2048; ssh-audit 3.9 (hostkeytest.py) fails such keys too.
* RSA below the baseline's ``rsa_min_bits`` is a warning (2048 bits give 112-bit security, 3072 bits 128-bit:
  NIST SP 800-57 Part 1 Rev. 5 Table 2). Where a baseline accepts 2048 bits, an ``info`` finding says that
  112-bit security is acceptable only through 2030 (SP 800-57 Part 1 Rev. 5 Table 4) and that ssh-audit warns.
* DSA fails everywhere: ``ssh-dss`` is 1024-bit DSA with SHA-1 (RFC 4253 section 6.6); FIPS 186-5 no longer
  approves DSA for signature generation; OpenSSH 9.8 builds without DSA by default (configure.ac
  ``--enable-dsa-keys [no]``) and OpenSSH 10.0 removed it (openssh-portable commit 6c9872faa).
* ECDSA keys on a curve the baseline's ``ecdsa_curves`` does not list fail.
* Certificates are judged by the key they carry and by their CA key, with the same rules.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.checks import (
    CheckError,
    finding,
    judged,
    not_run,
)

SECTION = 'host_keys'
CHECK = 'host_keys'

RSA_FLOOR_BITS = 2048
RSA_FLOOR_SOURCE = ('NIST SP 800-131A Rev. 2 section 3, Table 2 (RSA signature generation with len(n) < 2048 '
                    'disallowed); ssh-audit 3.9 hostkeytest.py (fails keys under 2048 bits)')
STRENGTH_SOURCE = 'NIST SP 800-57 Part 1 Rev. 5 Table 2 (RSA 2048 = 112-bit, 3072 = 128-bit security)'
DSA_SOURCE = ('RFC 4253 section 6.6 (ssh-dss: DSA with SHA-1); FIPS 186-5 (DSA no longer approved for signature '
              'generation); OpenSSH 9.8 configure.ac --enable-dsa-keys [no]; openssh-portable commit 6c9872faa '
              '(OpenSSH 10.0 removed DSA)')
CURVE_SOURCE = 'RFC 5656 section 10.1 (nistp256, nistp384, nistp521); FIPS 186-5 section 6; NIST SP 800-186'
KNOWN_CURVES = ('nistp256', 'nistp384', 'nistp521')
CURVE_BITS = {'nistp256': 256, 'nistp384': 384, 'nistp521': 521}
DEFAULT_KEY_FILES = {'rsa': '/etc/ssh/ssh_host_rsa_key', 'ecdsa': '/etc/ssh/ssh_host_ecdsa_key',
                     'ed25519': '/etc/ssh/ssh_host_ed25519_key', 'dsa': '/etc/ssh/ssh_host_dsa_key'}
_CERT_SUFFIX = '-cert-v01@openssh.com'
_SK_PREFIX = 'sk-'


def _bits(value, where, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= 16384:
        raise CheckError('%s must be an integer from %d to 16384, got %r' % (where, minimum, value))
    return value


def normalize(section, baseline_name, where):
    """Validate a baseline's ``host_keys`` section: ``{rsa_min_bits, ecdsa_curves, source}``.

    Without a section the universal floor applies: RSA of 2048 bits, the three RFC 5656 curves."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise CheckError('%s must be a mapping with rsa_min_bits, ecdsa_curves and source' % where)
    unknown = sorted(set(section) - {'rsa_min_bits', 'ecdsa_curves', 'source', 'reason'})
    if unknown:
        raise CheckError('%s: unknown key(s) %s (allowed: rsa_min_bits, ecdsa_curves, reason, source)'
                         % (where, ', '.join(map(str, unknown))))
    rsa_min = _bits(section.get('rsa_min_bits', RSA_FLOOR_BITS), '%s rsa_min_bits' % where, RSA_FLOOR_BITS)
    curves = section.get('ecdsa_curves', list(KNOWN_CURVES))
    if not isinstance(curves, list) or any(curve not in KNOWN_CURVES for curve in curves):
        raise CheckError('%s ecdsa_curves must be a list of %s, got %r' % (where, ', '.join(KNOWN_CURVES), curves))
    source = section.get('source', RSA_FLOOR_SOURCE if rsa_min == RSA_FLOOR_BITS else '')
    if not isinstance(source, str) or not source.strip():
        raise CheckError('%s needs a source: the standard or policy its rsa_min_bits (%d) comes from'
                         % (where, rsa_min))
    reason = section.get('reason', '')
    if not isinstance(reason, str):
        raise CheckError('%s reason must be a string' % where)
    return {'baseline': baseline_name, 'rsa_min_bits': rsa_min, 'ecdsa_curves': list(curves), 'source': source,
            'reason': reason, 'rsa_generate_bits': generate_bits(rsa_min)}


def generate_bits(rsa_min_bits):
    """The RSA size to generate for a minimum: the next multiple of 1024 (BSI's 3000 bits -> 3072), and never
    below 3072 (128-bit security, NIST SP 800-57 Part 1 Rev. 5 Table 2), so a new key outlasts 2030."""
    return max(3072, -(-rsa_min_bits // 1024) * 1024)


def base_type(key_type):
    """``ssh-rsa`` for ``ssh-rsa-cert-v01@openssh.com``; key types pass unchanged."""
    return key_type[:-len(_CERT_SUFFIX)] if key_type.endswith(_CERT_SUFFIX) else key_type


def kind(key_type):
    """``rsa``, ``dsa``, ``ecdsa``, ``ed25519``, ``ed448`` or ``other`` for an SSH key type (security-key and
    certificate variants map to their base)."""
    base = base_type(key_type)
    if base.startswith(_SK_PREFIX):
        base = base[len(_SK_PREFIX):]
    if base == 'ssh-rsa':
        return 'rsa'
    if base == 'ssh-dss':
        return 'dsa'
    if base.startswith('ecdsa-sha2-'):
        return 'ecdsa'
    if base.startswith('ssh-ed25519'):
        return 'ed25519'
    if base == 'ssh-ed448':
        return 'ed448'
    return 'other'


def curve_of(key_type):
    """``nistp256`` for ``ecdsa-sha2-nistp256`` (and its certificate and security-key forms), else None."""
    base = base_type(key_type)
    if base.startswith(_SK_PREFIX):
        base = base[len(_SK_PREFIX):]
    if base.startswith('ecdsa-sha2-'):
        return base[len('ecdsa-sha2-'):].split('@', 1)[0]
    return None


def fix_for(key, settings, problem):
    """The exact command or edit that fixes a key ``problem`` (``rsa_size``, ``dsa``, ``curve``)."""
    path = key.get('path') or DEFAULT_KEY_FILES.get(kind(key.get('type', '')), '/etc/ssh/ssh_host_KEY')
    if problem == 'rsa_size':
        bits = settings['rsa_generate_bits']
        return ('generate a %d-bit RSA host key: ssh-keygen -t rsa -b %d -N "" -f %s (back up the old one; '
                'role fleetcrypto.sftp.baseline does it with baseline_host_keys=regenerate) and publish its new '
                'fingerprint to every client\'s known_hosts' % (bits, bits, path))
    if problem == 'dsa':
        return ('remove "HostKey %s" from sshd_config (and ssh-dss from HostKeyAlgorithms); clients keep the '
                'server\'s other host keys' % path)
    return ('generate an ECDSA host key on an allowed curve: ssh-keygen -t ecdsa -b %d -N "" -f %s, or remove '
            '"HostKey %s"' % (CURVE_BITS[settings['ecdsa_curves'][0]] if settings['ecdsa_curves'] else 384,
                              path, path))


def judge_key(key, settings, subject=None):
    """Findings for one key ``{type, bits, path?, certificate?}``; ``subject`` names it in the findings."""
    key_type = key.get('type') or ''
    subject = subject or key.get('path') or key_type
    bits = key.get('bits')
    found = []
    what = kind(key_type)
    if what == 'rsa':
        if not isinstance(bits, int) or bits <= 0:
            found.append(finding(CHECK, subject, 'info', 'RSA key of unknown size: not rated', RSA_FLOOR_SOURCE))
        elif bits < RSA_FLOOR_BITS:
            found.append(finding(CHECK, subject, 'fail', 'RSA host key of %d bits: below the 2048 bits every '
                                 'baseline requires' % bits, RSA_FLOOR_SOURCE, fix_for(key, settings, 'rsa_size')))
        elif bits < settings['rsa_min_bits']:
            found.append(finding(CHECK, subject, 'warn', 'RSA host key of %d bits: baseline %s wants at least %d%s'
                                 % (bits, settings['baseline'], settings['rsa_min_bits'],
                                    ' (%s)' % settings['reason'] if settings['reason'] else ''),
                                 '%s; %s' % (settings['source'], STRENGTH_SOURCE), fix_for(key, settings, 'rsa_size')))
        elif bits < 3072:
            found.append(finding(CHECK, subject, 'info', 'RSA host key of %d bits: 112-bit security, acceptable '
                                 'through 2030; ssh-audit 3.9 warns below 3072 bits' % bits,
                                 'NIST SP 800-57 Part 1 Rev. 5 Tables 2 and 4; ssh-audit 3.9 hostkeytest.py'))
    elif what == 'dsa':
        found.append(finding(CHECK, subject, 'fail', 'DSA host key%s: SHA-1 signatures, no longer approved, removed '
                             'from OpenSSH' % (' of %d bits' % bits if isinstance(bits, int) else ''), DSA_SOURCE,
                             fix_for(key, settings, 'dsa')))
    elif what == 'ecdsa':
        curve = curve_of(key_type)
        if curve not in settings['ecdsa_curves']:
            found.append(finding(CHECK, subject, 'fail', 'ECDSA host key on curve %s: baseline %s allows %s'
                                 % (curve, settings['baseline'], ', '.join(settings['ecdsa_curves']) or 'none'),
                                 '%s; %s' % (CURVE_SOURCE, settings['source']), fix_for(key, settings, 'curve')))
    elif what == 'other':
        found.append(finding(CHECK, subject, 'info', 'host key type %s is not rated by this check' % key_type,
                             'fleetcrypto.sftp host_keys check (rates RSA, DSA, ECDSA, Ed25519, Ed448)'))
    return found


def _entry_subject(entry):
    algorithms = entry.get('algorithms') or [entry.get('algorithm')]
    return '%s key (%s)' % (entry.get('type') or entry.get('family') or '?', ', '.join(a for a in algorithms if a))


def run(proposal, facts, settings):
    """Judge the host keys ``algorithms_info`` gathered (``facts['host_keys']``)."""
    if not isinstance(facts, dict) or 'host_keys' not in facts and 'host_keys_error' not in facts:
        return not_run('host keys were not gathered: run algorithms_info with host_keys=true (the audit playbook '
                       'does unless fleetcrypto_host_keys=false)')
    if facts.get('host_keys_error'):
        return not_run('host keys could not be gathered: %s' % facts['host_keys_error'])
    entries = facts.get('host_keys')
    if not isinstance(entries, list):
        return not_run('host keys could not be gathered: malformed host_keys result')
    findings, judged_keys, errors = [], 0, []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        subject = _entry_subject(entry)
        if entry.get('error'):
            errors.append('%s: %s' % (subject, entry['error']))
            findings.append(finding(CHECK, subject, 'info', 'key not gathered: %s' % entry['error'],
                                    'fleetcrypto.sftp algorithms_info host_keys'))
            continue
        judged_keys += 1
        findings.extend(judge_key(entry, settings, subject))
        cert = entry.get('certificate')
        if isinstance(cert, dict) and cert.get('ca_type'):
            findings.extend(judge_key({'type': cert['ca_type'], 'bits': cert.get('ca_bits')}, settings,
                                      '%s, its CA key' % subject))
    if not judged_keys:
        return not_run('no host key could be gathered: %s' % '; '.join(errors or ['the server offers none']))
    return judged(findings, details={'keys': judged_keys, 'errors': len(errors),
                                     'rsa_min_bits': settings['rsa_min_bits'],
                                     'ecdsa_curves': settings['ecdsa_curves']})
