# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ssh-audit policies as baselines, and baselines as ssh-audit policies.

ssh-audit (https://github.com/jtesta/ssh-audit) checks a server against a *policy*: a built-in one
(``ssh_audit/builtin_policies.py``) or a text file as ``ssh-audit -M`` writes it. The format, as ssh-audit 3.9.0
reads it (``ssh_audit/policy.py``, ``Policy.__init__``): one ``key = value`` per line, ``#`` comments, the keys
``name`` and ``banner`` (in double quotes), ``version``, the comma-separated lists ``compressions``, ``host keys``,
``optional host keys``, ``key exchanges``, ``ciphers`` and ``macs``, the JSON dicts ``host_key_sizes``
(``{algorithm: {hostkey_size, ca_key_type, ca_key_size}}``) and ``dh_modulus_sizes`` (``{gex algorithm: bits}``),
their older one-per-line forms ``hostkey_size_<alg>``, ``cakey_size_<alg>`` and ``dh_modulus_size_<alg>``, and the
flags ``client policy``, ``allow_algorithm_subset_and_reordering``, ``allow_hostkey_subset_and_reordering`` and
``allow_larger_keys``.

How ssh-audit judges a server against a policy (``Policy.evaluate``): without
``allow_algorithm_subset_and_reordering`` each list must equal the server's exactly, in order (the server's
pseudo-algorithms ``ext-info-s`` and ``kex-strict-s-v00@openssh.com`` included); with it, every algorithm the
server offers must be in the policy's list, and ``kex-strict-s-v00@openssh.com``, when the policy lists it, must be
offered. Host keys listed under ``optional host keys`` may be offered in addition. Key and modulus sizes must equal
the policy's, or be at least as large with ``allow_larger_keys``.

A fleetcrypto baseline says what a server may offer (``allowed`` lists in preference order, which the role
configures in that order) and, in its check sections, how large its keys and group-exchange primes must be. So a
policy maps to a baseline with its lists as the allowed lists (pseudo-algorithms dropped: the daemon adds them
itself), optional host keys after the required ones, ``host_keys.rsa_min_bits`` from the RSA host-key sizes and
``moduli.fail_below`` from the modulus sizes; what the baseline cannot express (exact matching, banner, compression,
CA key sizes, the marker list) travels in ``ssh_audit_policy`` so the way back gives ssh-audit the same policy.

Plain Python; the ``ssh_audit`` package is imported only to resolve built-in policy names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import EXT_INFO_SERVER, KEX_GUESS_DROPBEAR, \
    PSEUDO_ALGORITHMS, STRICT_KEX_SERVER
from ansible_collections.fleetcrypto.sftp.plugins.module_utils import catalog
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.baselines import BaselineError, \
    load_baseline

SOURCE = 'ssh-audit 3.9.0 ssh_audit/policy.py (Policy.__init__ reads the file, Policy.evaluate judges a server)'
MAX_TEXT = 256 * 1024           # a policy written by ssh-audit -M is about 3 KB
MAX_LINES = 2000
MAX_TEXT_VALUE = 512            # name, banner, version
MAX_LIST = 256                  # algorithms per list
MAX_BITS = 16384                # OpenSSH refuses RSA keys above 16384 bits (SSHBUF_MAX_BIGNUM, sshkey.c)
LISTS = (('compressions', 'compressions'), ('host keys', 'host_keys'), ('optional host keys', 'optional_host_keys'),
         ('key exchanges', 'kex'), ('ciphers', 'ciphers'), ('macs', 'macs'))
FLAGS = (('client policy', 'client_policy'),
         ('allow_algorithm_subset_and_reordering', 'allow_algorithm_subset_and_reordering'),
         ('allow_hostkey_subset_and_reordering', 'allow_hostkey_subset_and_reordering'),
         ('allow_larger_keys', 'allow_larger_keys'))
PREFIXES = ('hostkey_size_', 'cakey_size_', 'dh_modulus_size_')
KEYS = ('name', 'version', 'banner', 'host_key_sizes', 'dh_modulus_sizes') + tuple(key for key, dummy in LISTS) + \
    tuple(key for key, dummy in FLAGS)
SERVER_MARKERS = (EXT_INFO_SERVER, STRICT_KEX_SERVER, KEX_GUESS_DROPBEAR)
GEX = ('diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1')
RSA_HOST_KEYS = ('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'rsa-sha2-512-cert-v01@openssh.com',
                 'rsa-sha2-256-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_SLUG = re.compile(r'[^a-z0-9.]+')
_BUILTIN_SOURCE = 'ssh-audit %s ssh_audit/builtin_policies.py, built-in policy "%s"'


class SshAuditPolicyError(BaselineError):
    """An ssh-audit policy (or a baseline to turn into one) is not usable; the message says why."""


def validate_name(name, where):
    """RFC 4251 section 6, as everywhere in the collection (catalog.validate_name), raising this module's error."""
    return catalog.validate_name(name, where, SshAuditPolicyError)


def _text(value, where):
    if not isinstance(value, str):
        raise SshAuditPolicyError('%s must be a string, got %s' % (where, type(value).__name__))
    if len(value) > MAX_TEXT_VALUE or _CONTROL.search(value):
        raise SshAuditPolicyError('%s must be at most %d printable characters, got %r'
                                  % (where, MAX_TEXT_VALUE, value[:80]))
    return value


def _names(value, where):
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise SshAuditPolicyError('%s must be a list of at most %d algorithm names' % (where, MAX_LIST))
    names = []
    for name in value:
        validate_name(name, 'in %s, the algorithm' % where)
        if name in names:
            raise SshAuditPolicyError('%s lists %r twice' % (where, name))
        names.append(name)
    return names


def _bits(value, where, low=1):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_BITS:
        raise SshAuditPolicyError('%s must be a whole number of bits from %d to %d, got %r'
                                  % (where, low, MAX_BITS, value))
    return value


def _host_key_sizes(value, where):
    if not isinstance(value, dict) or len(value) > MAX_LIST:
        raise SshAuditPolicyError('%s must map host-key algorithms to {hostkey_size, ca_key_type, ca_key_size}'
                                  % where)
    sizes = {}
    for algorithm, entry in value.items():
        validate_name(algorithm, 'in %s, the host-key algorithm' % where)
        inner = '%s %s' % (where, algorithm)
        if not isinstance(entry, dict) or set(entry) - {'hostkey_size', 'ca_key_type', 'ca_key_size',
                                                        'raw_hostkey_bytes'}:
            raise SshAuditPolicyError('%s must be a dict with hostkey_size and optionally ca_key_type, ca_key_size'
                                      % inner)
        size = {'hostkey_size': _bits(entry.get('hostkey_size'), '%s hostkey_size' % inner)}
        ca_type, ca_size = entry.get('ca_key_type') or '', entry.get('ca_key_size') or 0
        if ca_type or ca_size:
            size['ca_key_type'] = validate_name(ca_type, '%s ca_key_type' % inner)
            size['ca_key_size'] = _bits(ca_size, '%s ca_key_size' % inner)
        sizes[algorithm] = size
    return sizes


def _modulus_sizes(value, where):
    if not isinstance(value, dict) or len(value) > MAX_LIST:
        raise SshAuditPolicyError('%s must map group-exchange algorithms to modulus sizes in bits' % where)
    return {validate_name(algorithm, 'in %s, the algorithm' % where): _bits(bits, '%s %s' % (where, algorithm))
            for algorithm, bits in value.items()}


def _policy(fields, where):
    """The policy's fields, each validated: the shape :func:`parse_policy` and :func:`builtin_policy` return."""
    policy = {'name': _text(fields.get('name'), '%s name' % where),
              'version': _text(str(fields.get('version')), '%s version' % where) if fields.get('version') is not None
              else None,
              'banner': _text(fields['banner'], '%s banner' % where) if fields.get('banner') is not None else None}
    if not policy['name']:
        raise SshAuditPolicyError('%s has an empty name' % where)
    if policy['version'] is None:
        raise SshAuditPolicyError('%s has no version field (ssh-audit requires one)' % where)
    for key, field in LISTS:
        value = fields.get(field)
        policy[field] = _names(value, '%s %r' % (where, key)) if value is not None else None
    policy['host_key_sizes'] = _host_key_sizes(fields['host_key_sizes'], '%s host_key_sizes' % where) \
        if fields.get('host_key_sizes') is not None else None
    policy['dh_modulus_sizes'] = _modulus_sizes(fields['dh_modulus_sizes'], '%s dh_modulus_sizes' % where) \
        if fields.get('dh_modulus_sizes') is not None else None
    for dummy, field in FLAGS:
        policy[field] = bool(fields.get(field, False))
    # ssh-audit: allowing algorithm subsets and reordering allows it for host keys too (Policy.__init__).
    policy['allow_hostkey_subset_and_reordering'] = policy['allow_hostkey_subset_and_reordering'] or \
        policy['allow_algorithm_subset_and_reordering']
    return policy


def _quoted(key, value, number):
    if len(value) < 2:
        return ''
    if value[0] != '"' or value[-1] != '"':
        raise SshAuditPolicyError('line %d: the value of %s must be in double quotes (as ssh-audit requires)'
                                  % (number, key))
    return value[1:-1].replace('\\"', '"').replace('\\n', '\n')


def _json(key, value, number):
    try:
        return json.loads(value)
    except ValueError as exc:
        raise SshAuditPolicyError('line %d: %s is not valid JSON: %s' % (number, key, exc))


def parse_policy(text, where='ssh-audit policy'):
    """Read the text of an ssh-audit policy file (as ``ssh-audit -M`` writes it) into a dict: ``name``,
    ``version``, ``banner``, the lists ``compressions``, ``host_keys``, ``optional_host_keys``, ``kex``,
    ``ciphers``, ``macs`` (None where the policy does not constrain them), ``host_key_sizes``,
    ``dh_modulus_sizes`` and the four flags. Anything ssh-audit would refuse, and any algorithm name that is
    not valid by RFC 4251 section 6, raises :class:`SshAuditPolicyError` naming the line."""
    if not isinstance(text, str):
        raise SshAuditPolicyError('%s must be the text of a policy file, got %s' % (where, type(text).__name__))
    if len(text) > MAX_TEXT:
        raise SshAuditPolicyError('%s is %d characters long; a policy file is at most %d'
                                  % (where, len(text), MAX_TEXT))
    lines = text.split('\n')
    if len(lines) > MAX_LINES:
        raise SshAuditPolicyError('%s has %d lines; a policy file has at most %d' % (where, len(lines), MAX_LINES))
    fields = {}
    list_fields, flag_fields = dict(LISTS), dict(FLAGS)
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.count('=') != 1:
            raise SshAuditPolicyError('line %d of %s is not "key = value": %r' % (number, where, line[:100]))
        key, value = (part.strip() for part in line.split('='))
        if key not in KEYS and not key.startswith(PREFIXES):
            raise SshAuditPolicyError('line %d of %s has an unknown field %r (ssh-audit knows %s and %s*)'
                                      % (number, where, key[:60], ', '.join(KEYS), '*, '.join(PREFIXES)))
        if _CONTROL.search(value):
            raise SshAuditPolicyError('line %d of %s has control characters in %s' % (number, where, key))
        if key in ('name', 'banner'):
            fields[key] = _quoted(key, value, number)
        elif key == 'version':
            fields[key] = value
        elif key in list_fields:
            fields[list_fields[key]] = [name.strip() for name in value.split(',')]
        elif key in flag_fields:
            if value.lower() not in ('true', 'false'):
                raise SshAuditPolicyError('line %d of %s: %s must be true or false, got %r'
                                          % (number, where, key, value[:40]))
            fields[flag_fields[key]] = value.lower() == 'true'
        elif key in ('host_key_sizes', 'dh_modulus_sizes'):
            fields[key] = _json(key, value, number)
        else:
            prefix = [item for item in PREFIXES if key.startswith(item)][0]
            algorithm = validate_name(key[len(prefix):], 'line %d of %s, the algorithm in %s' % (number, where, key))
            try:
                bits = int(value)
            except ValueError:
                raise SshAuditPolicyError('line %d of %s: %s must be a number of bits, got %r'
                                          % (number, where, key, value[:40]))
            target = fields.setdefault('dh_modulus_sizes' if prefix == 'dh_modulus_size_' else 'host_key_sizes', {})
            if not isinstance(target, dict) or not isinstance(target.get(algorithm, {}), dict):
                raise SshAuditPolicyError('line %d of %s: %s contradicts an earlier line' % (number, where, key))
            if prefix == 'dh_modulus_size_':
                target[algorithm] = bits
            else:
                entry = target.setdefault(algorithm, {})
                if prefix == 'hostkey_size_':
                    entry['hostkey_size'] = bits
                else:
                    # ssh-audit's old format names the CA's type only through the host-key algorithm.
                    entry['ca_key_size'] = bits
                    entry['ca_key_type'] = 'ssh-rsa' if algorithm in RSA_HOST_KEYS else 'ssh-ed25519'
    sizes = fields.get('host_key_sizes')
    for algorithm, entry in (sizes.items() if isinstance(sizes, dict) else ()):
        if isinstance(entry, dict) and 'ca_key_size' in entry and 'hostkey_size' not in entry:
            raise SshAuditPolicyError('%s sets cakey_size_%s without hostkey_size_%s' % (where, algorithm, algorithm))
    if 'name' not in fields:
        raise SshAuditPolicyError('%s has no name field (ssh-audit requires one)' % where)
    if fields.get('client_policy'):
        raise SshAuditPolicyError('%s is a client policy ("client policy = true"); a baseline is for servers' % where)
    return _policy(fields, where)


def _ssh_audit_builtins():
    try:
        from ssh_audit.builtin_policies import BUILTIN_POLICIES  # pylint: disable=import-outside-toplevel
        from ssh_audit.globals import VERSION  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise SshAuditPolicyError('built-in ssh-audit policy names are resolved through the ssh-audit package, '
                                  'which is not installed for the controller\'s Python (pip install ssh-audit); '
                                  'or pass the text of a policy file instead (ssh-audit -M writes one)')
    return BUILTIN_POLICIES, str(VERSION).lstrip('v')


def builtin_policy(name):
    """One of ssh-audit's built-in policies by its full name (as ``ssh-audit -L`` lists it, with
    ``(version N)``), in the shape of :func:`parse_policy`, plus ``source``."""
    policies, version = _ssh_audit_builtins()
    if not isinstance(name, str) or name not in policies:
        shown = name[:120] if isinstance(name, str) else repr(name)
        near = [item for item in policies if item.startswith(shown + ' (version ')]
        near += [item for item in difflib.get_close_matches(shown, list(policies), n=5, cutoff=0.5) if item not in near]
        raise SshAuditPolicyError('%r is not a built-in policy of ssh-audit %s%s' % (
            shown, version, ('; near names: %s' % '; '.join('"%s"' % item for item in near)) if near else
            ' (ssh-audit -L lists them; a built-in name ends in "(version N)")'))
    entry = policies[name]
    if not entry.get('server_policy', True):
        raise SshAuditPolicyError('"%s" is a client policy; a baseline is for servers' % name)
    fields = {'name': name[:name.rfind(' (')] if ' (version ' in name else name, 'version': entry.get('version'),
              'banner': entry.get('banner'), 'compressions': entry.get('compressions'),
              'host_keys': entry.get('host_keys'), 'optional_host_keys': entry.get('optional_host_keys'),
              'kex': entry.get('kex'), 'ciphers': entry.get('ciphers'), 'macs': entry.get('macs'),
              'host_key_sizes': entry.get('hostkey_sizes'), 'dh_modulus_sizes': entry.get('dh_modulus_sizes'),
              'allow_hostkey_subset_and_reordering': entry.get('allow_hostkey_subset_and_reordering', False)}
    policy = _policy(fields, 'built-in ssh-audit policy "%s"' % name)
    policy['source'] = _BUILTIN_SOURCE % (version, name)
    return policy


def load_policy(value):
    """A policy from its text (anything with a ``=``: a policy file always has ``name = ...``) or a built-in
    policy name."""
    if not isinstance(value, str):
        raise SshAuditPolicyError('an ssh-audit policy is the text of a policy file or the name of a built-in '
                                  'policy, got %s' % type(value).__name__)
    if '=' in value or '\n' in value.strip() or not value.strip():
        policy = parse_policy(value)
        policy['source'] = 'ssh-audit policy file "%s" (version %s), read as %s' % (
            policy['name'], policy['version'], SOURCE)
        return policy
    return builtin_policy(value.strip())


def _slug(text):
    return _SLUG.sub('-', text.lower()).strip('-.')[:60] or 'policy'


def _required_list(policy, field, key):
    if not policy[field]:
        raise SshAuditPolicyError('ssh-audit policy "%s" does not constrain %s (no %r line); a baseline needs an '
                                  'allowed list for it' % (policy['name'], key, key))
    return [name for name in policy[field] if name not in PSEUDO_ALGORITHMS]


def baseline_from_policy(value):
    """A baseline dict (the shape of ``data/baselines/*.yml``, accepted by ``normalize_baseline``) from an
    ssh-audit policy: its text or a built-in policy name. See the module docstring for the mapping."""
    policy = load_policy(value)
    source = policy['source']
    host_key = _required_list(policy, 'host_keys', 'host keys')
    host_key += [name for name in policy['optional_host_keys'] or () if name not in host_key]
    allowed = {'kex': _required_list(policy, 'kex', 'key exchanges'), 'host_key': host_key,
               'ciphers': _required_list(policy, 'ciphers', 'ciphers'), 'macs': _required_list(policy, 'macs', 'macs')}
    for category, names in allowed.items():
        if not names:
            raise SshAuditPolicyError('ssh-audit policy "%s" allows no real algorithm for %s'
                                      % (policy['name'], category))
    exact = not policy['allow_larger_keys']
    baseline = {
        'name': 'ssh-audit-%s' % _slug(policy['name']),
        'version': policy['version'],
        'description': 'ssh-audit policy "%s" (version %s)' % (policy['name'], policy['version']),
        'source': source,
        # The documentation key baselines use to say which external policy they follow.
        'tracks': [{'policy': 'ssh-audit policy "%s" (version %s)' % (policy['name'], policy['version']),
                    'source': source}],
        'allowed': allowed,
        'ssh_audit_policy': {
            'name': policy['name'], 'version': policy['version'], 'banner': policy['banner'],
            'compressions': policy['compressions'], 'kex': policy['kex'],
            'host_keys': policy['host_keys'], 'optional_host_keys': policy['optional_host_keys'],
            'host_key_sizes': policy['host_key_sizes'], 'dh_modulus_sizes': policy['dh_modulus_sizes'],
            'allow_algorithm_subset_and_reordering': policy['allow_algorithm_subset_and_reordering'],
            'allow_hostkey_subset_and_reordering': policy['allow_hostkey_subset_and_reordering'],
            'allow_larger_keys': policy['allow_larger_keys'],
        },
    }
    rsa = sorted(set(entry['hostkey_size'] for name, entry in (policy['host_key_sizes'] or {}).items()
                     if name in RSA_HOST_KEYS))
    if rsa:
        # The host_keys check's section (checks/host_keys.py): RSA keys below rsa_min_bits violate the baseline,
        # and the role's baseline_host_keys=regenerate makes keys of that size.
        baseline['host_keys'] = {
            'rsa_min_bits': rsa[-1],
            'reason': 'the ssh-audit policy demands RSA host keys of %d bits%s' % (rsa[-1], '' if exact else
                                                                                   ' or more'),
            'source': '%s: host_key_sizes' % source}
    moduli = sorted(bits for name, bits in (policy['dh_modulus_sizes'] or {}).items() if name in GEX)
    if moduli and any(name in GEX for name in allowed['kex']):
        # The moduli check's section (checks/moduli.py): ssh-audit fails a policy whose server sends a smaller
        # group than dh_modulus_sizes names (Policy.evaluate), so smaller groups fail the baseline.
        baseline['moduli'] = {
            'fail_below': moduli[-1],
            'fail_source': '%s: dh_modulus_sizes (%d bits%s)' % (source, moduli[-1], ', exactly' if exact else
                                                                 ' or more')}
    # The baseline must be usable as it stands: the same validation the role and evaluate apply.
    load_baseline(baseline)
    return baseline


def _line(key, names):
    return '%s = %s' % (key, ', '.join(names))


def _quote(text):
    return '"%s"' % text.replace('"', '\\"').replace('\n', '\\n')


def _section(value, key):
    section = value.get(key)
    return section if isinstance(section, dict) else {}


def baseline_to_policy(value, name=None, version=None, exact=None, markers=None):
    """The text of an ssh-audit policy file for a baseline (built-in name or dict). By default the policy allows
    subsets and reordering, as a baseline does (the server may offer fewer of the allowed algorithms, in any
    order) and keys larger than the minimums; ``exact=True`` demands the baseline's lists in its order and the
    sizes exactly. A baseline made from an ssh-audit policy gives that policy back (its exactness, banner,
    compressions, markers and sizes), unless ``exact`` says otherwise. ``markers`` replaces the pseudo-algorithms
    the policy expects at the end of the server's kex list (the daemon appends them itself: OpenSSH 9.6 and later
    ``ext-info-s,kex-strict-s-v00@openssh.com``, Debian 12's 9.2p1 ``kex-strict-s-v00@openssh.com`` alone)."""
    baseline = load_baseline(value)
    raw = value if isinstance(value, dict) else {}
    original = _section(raw, 'ssh_audit_policy')
    if exact is None:
        exact = not original.get('allow_algorithm_subset_and_reordering', True) if original else False
    if not isinstance(exact, bool):
        raise SshAuditPolicyError('exact must be true or false')
    if markers is not None:
        if isinstance(markers, str):
            markers = [item.strip() for item in markers.split(',') if item.strip()]
        markers = _names(markers, 'markers')
        stray = [item for item in markers if item not in SERVER_MARKERS]
        if stray:
            raise SshAuditPolicyError('markers are the pseudo-algorithms a server appends to its kex list (%s), not %s'
                                      % (', '.join(SERVER_MARKERS), ', '.join(stray)))
    name = _text(name if name is not None else original.get('name') or 'fleetcrypto.sftp baseline %s'
                 % baseline['name'], 'policy name')
    version = _text(str(version if version is not None else original.get('version') or baseline['version'] or '1'),
                    'policy version')
    # ssh-audit splits each line at "=" and unescapes \" and \n in the name (Policy.__init__).
    if not name or '=' in name or '\\' in name or not version or '=' in version or '\\' in version:
        raise SshAuditPolicyError('policy name and version must be non-empty, without "=" or backslashes')
    allowed = baseline['allowed']
    # The policy the baseline was made from, if it was and the same matching is asked for: give it back.
    same = bool(original) and exact == (not original.get('allow_algorithm_subset_and_reordering'))
    kex = list(allowed['kex'])
    kept = same and bool(original.get('kex')) and \
        [item for item in original['kex'] if item not in PSEUDO_ALGORITHMS] == kex
    if kept:
        kex = _names(original['kex'], 'ssh_audit_policy kex')
    if markers is not None:
        kex = [item for item in kex if item not in PSEUDO_ALGORITHMS] + markers
    elif not kept and not exact:
        # The daemon adds these itself (RFC 8308 section 2.1; OpenSSH PROTOCOL section 1.10). A subset policy must
        # list them, and ssh-audit then also requires the strict-kex marker: the Terrapin countermeasure.
        kex += [EXT_INFO_SERVER, STRICT_KEX_SERVER]
    host_keys, optional = list(allowed['host_key']), None
    if same and original.get('host_keys') and set(original['host_keys']) <= set(host_keys):
        host_keys = _names(original['host_keys'], 'ssh_audit_policy host_keys')
        optional = [item for item in allowed['host_key'] if item not in host_keys] or None
    sizes = original.get('host_key_sizes') if same else None
    sizes = _host_key_sizes(sizes, 'ssh_audit_policy host_key_sizes') if sizes else {}
    # The check sections as the checks normalized them (built-in baselines and dicts alike), else as written.
    checks = baseline.get('checks') or {}
    rsa_min = (checks.get('host_keys') or _section(raw, 'host_keys')).get('rsa_min_bits')
    if rsa_min is not None:
        _bits(rsa_min, 'host_keys.rsa_min_bits', 1024)
        for algorithm in allowed['host_key']:
            if algorithm in RSA_HOST_KEYS and algorithm not in sizes:
                sizes[algorithm] = {'hostkey_size': rsa_min}
    moduli = original.get('dh_modulus_sizes') if same else None
    moduli = _modulus_sizes(moduli, 'ssh_audit_policy dh_modulus_sizes') if moduli else {}
    moduli_settings = checks.get('moduli') or _section(raw, 'moduli')
    # The smallest group without a finding (checks/moduli.py minimum_bits): warn_below, else fail_below.
    min_bits = moduli_settings.get('warn_below') or moduli_settings.get('fail_below')
    if min_bits is not None:
        _bits(min_bits, 'moduli.fail_below/warn_below', 1024)
        for algorithm in GEX:
            if algorithm in allowed['kex'] and algorithm not in moduli:
                moduli[algorithm] = min_bits
    larger = bool(original.get('allow_larger_keys')) if same else not exact
    hostkey_subset = bool(original.get('allow_hostkey_subset_and_reordering')) if same else not exact
    lines = [
        '#',
        '# ssh-audit policy written by fleetcrypto.sftp (baseline_to_ssh_audit) from baseline %s%s'
        % (baseline['name'], (' version %s' % baseline['version']) if baseline['version'] else ''),
        '# Baseline source: %s' % baseline['source'].replace('\n', ' '),
        '# Run: ssh-audit -P <this file> HOST',
        '#',
        'name = %s' % _quote(name),
        'version = %s' % version,
        'allow_algorithm_subset_and_reordering = %s' % str(not exact).lower(),
        'allow_hostkey_subset_and_reordering = %s' % str(hostkey_subset or not exact).lower(),
        'allow_larger_keys = %s' % str(larger).lower(),
    ]
    if same and original.get('banner') is not None:
        lines.append('banner = %s' % _quote(_text(original['banner'], 'ssh_audit_policy banner')))
    if same and original.get('compressions'):
        lines.append(_line('compressions', _names(original['compressions'], 'ssh_audit_policy compressions')))
    if sizes or (same and original.get('host_key_sizes') is not None):
        lines.append('host_key_sizes = %s' % json.dumps(sizes))
    if moduli or (same and original.get('dh_modulus_sizes') is not None):
        lines.append('dh_modulus_sizes = %s' % json.dumps(moduli))
    lines.append(_line('host keys', host_keys))
    if optional:
        lines.append(_line('optional host keys', optional))
    lines += [_line('key exchanges', kex), _line('ciphers', allowed['ciphers']), _line('macs', allowed['macs'])]
    return '\n'.join(lines) + '\n'
