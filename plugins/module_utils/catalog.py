# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SSH vocabulary of the whole collection, in one place.

Every other table (the probe's result keys, the negotiation engine's slots, the baselines' categories, the
daemons' keywords, the log parsers' field names, the report columns) is derived from what is defined here, so
adding a category, a pseudo-algorithm or a classification rule is one change in this file.

One dialect: a *category* is named in the singular (``kex``, ``host_key``, ``cipher``, ``mac``,
``compression``), as ``negotiate`` reports failures. Its *shorthand* is the word hand-written profiles and
baselines use for its lists (``kex``, ``host_key``, ``ciphers``, ``macs``, ``compression``); the two are
translated only through :data:`CATEGORY` / :data:`BY_SHORTHAND`.

Plain Python, no Ansible imports: runs on managed nodes (probe, capture, daemon backends) and on the
controller alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple
from functools import lru_cache

# The ten RFC 4253 section 7.1 name-lists, in wire order: the keys of the "proposal" shape that
# algorithms_info returns as ``offer`` and that client profiles share.
NAME_LIST_KEYS = (
    'kex_algorithms',
    'server_host_key_algorithms',
    'encryption_algorithms_client_to_server',
    'encryption_algorithms_server_to_client',
    'mac_algorithms_client_to_server',
    'mac_algorithms_server_to_client',
    'compression_algorithms_client_to_server',
    'compression_algorithms_server_to_client',
    'languages_client_to_server',
    'languages_server_to_client',
)
# The eight lists algorithms are negotiated from (the languages are not negotiated, RFC 4253 section 7.1).
NEGOTIATED_LIST_KEYS = NAME_LIST_KEYS[:8]
LANGUAGE_KEYS = NAME_LIST_KEYS[8:]
DIRECTIONS = ('c2s', 's2c')

Category = namedtuple('Category', 'name shorthand keys words governed')
Category.__doc__ = """One negotiated category.

``keys`` are its name-list keys (client-to-server first for the directional ones), ``words`` how people call it
in a sentence, ``governed`` whether baselines and the role configure it (compression is negotiated but not
governed)."""

CATEGORIES = ('kex', 'host_key', 'cipher', 'mac', 'compression')
CATEGORY = {
    'kex': Category('kex', 'kex', ('kex_algorithms',), 'key exchange algorithm', True),
    'host_key': Category('host_key', 'host_key', ('server_host_key_algorithms',), 'host key algorithm', True),
    'cipher': Category('cipher', 'ciphers', NAME_LIST_KEYS[2:4], 'cipher', True),
    'mac': Category('mac', 'macs', NAME_LIST_KEYS[4:6], 'MAC', True),
    'compression': Category('compression', 'compression', NAME_LIST_KEYS[6:8], 'compression algorithm', False),
}
BY_SHORTHAND = {category.shorthand: category for category in CATEGORY.values()}
# Shorthands accepted in hand-written client profiles; each applies to both directions.
SHORTHANDS = {category.shorthand: category.keys for category in CATEGORY.values()}
# The categories baselines govern, under the shorthand baselines and the role spell them with.
GOVERNED = tuple(category.shorthand for category in CATEGORY.values() if category.governed)
GOVERNED_KEYS = {shorthand: SHORTHANDS[shorthand] for shorthand in GOVERNED}


def is_directional(category):
    return len(CATEGORY[category].keys) == 2


def _slot_of(key):
    for category in CATEGORY.values():
        if key in category.keys:
            return category.name, (DIRECTIONS[category.keys.index(key)] if len(category.keys) == 2 else None)
    raise KeyError(key)


# A *slot* is one negotiated choice: ``(category, direction)``, direction None for kex and host key. SLOTS are
# in the order of their lists in SSH_MSG_KEXINIT, which several implementations check in.
SLOTS = WIRE_ORDER = tuple(_slot_of(key) for key in NEGOTIATED_LIST_KEYS)
# slot -> the name-list key it is negotiated from, and back
LIST_KEY = dict(zip(SLOTS, NEGOTIATED_LIST_KEYS))
SLOT_OF_KEY = dict(zip(NEGOTIATED_LIST_KEYS, SLOTS))
# slot -> its key in negotiate's ``negotiated`` result (kex, host_key, cipher_c2s ... compression_s2c)
NEGOTIATED_KEY = {(name, direction): name + ('_' + direction if direction else '') for name, direction in SLOTS}
# RFC 4253 section 7.1's order: kex, host key, then each direction's cipher, MAC and compression.
BASE_ORDER = tuple(slot for slot in SLOTS if slot[1] is None) + tuple(
    slot for direction in DIRECTIONS for slot in SLOTS if slot[1] == direction)

# Pseudo-algorithms: names in kex_algorithms that signal a capability and are never negotiated.
EXT_INFO_CLIENT = 'ext-info-c'                          # RFC 8308 section 2.1
EXT_INFO_SERVER = 'ext-info-s'
STRICT_KEX_CLIENT = 'kex-strict-c-v00@openssh.com'      # OpenSSH PROTOCOL section 1.10 (Terrapin countermeasure)
STRICT_KEX_SERVER = 'kex-strict-s-v00@openssh.com'
KEX_GUESS_DROPBEAR = 'kexguess2@matt.ucc.asn.au'        # dropbear common-algo.c
PSEUDO_ALGORITHMS = frozenset((EXT_INFO_CLIENT, EXT_INFO_SERVER, STRICT_KEX_CLIENT, STRICT_KEX_SERVER,
                               KEX_GUESS_DROPBEAR))

# PuTTY's saved-session preference lines (settings.c "KEX", "HostKey", "Cipher"; the same keys in WinSCP.ini) and
# the category each orders; "WARN" is the "warn below here" token of every one (plugin_utils/predict/putty_settings).
PUTTY_SETTINGS = {'KEX': 'kex', 'HostKey': 'host_key', 'Cipher': 'cipher'}
PUTTY_WARN_TOKEN = 'WARN'

# Why a category fails in a ``negotiate`` result (its failures' ``reason``): no name in common (or a side reads
# its lists so that there is none), both sides choose differently, or PuTTY/WinSCP would ask the user and, in batch
# mode, abandon the connection: the client's pick is below its configured warning threshold, or (PuTTY 0.80+) the
# ciphers agreed are open to Terrapin because the server does not do strict kex.
FAILURE_REASONS = ('no_common_algorithm', 'disagreement', 'below_warn_threshold', 'terrapin_warning')


def _base(name):
    return name.split('@', 1)[0]


@lru_cache(maxsize=4096)  # called for every prediction of a fleet report; names repeat
def is_aead_cipher(name):
    """A cipher that authenticates by itself, so that no MAC is negotiated for it: OpenSSH's PROTOCOL.chacha20poly1305
    and PROTOCOL section 1.6 (AES-GCM), where cipher.c gives them a non-zero authlen. RFC 5647's plain
    ``aes128-gcm`` is not one: it negotiates ``AEAD_AES_128_GCM`` as its MAC too."""
    return name.startswith('chacha20-poly1305@') or (name.endswith('@openssh.com') and _base(name).endswith('-gcm'))


@lru_cache(maxsize=4096)  # called for every prediction of a fleet report; names repeat
def is_cbc_cipher(name):
    """Cipher-block chaining (RFC 4253 section 6.3 ``*-cbc``, and vendor names such as ``seed-cbc@ssh.com`` and
    ``rijndael-cbc@lysator.liu.se``), by name rather than from a fixed list."""
    return _base(name).endswith('-cbc')


@lru_cache(maxsize=4096)  # called for every prediction of a fleet report; names repeat
def is_etm_mac(name):
    """An encrypt-then-MAC MAC (OpenSSH PROTOCOL section 1.7: ``*-etm@openssh.com``)."""
    return name.endswith('-etm@openssh.com')


@lru_cache(maxsize=4096)  # called for every prediction of a fleet report; names repeat
def is_chacha20_poly1305(name):
    return name.startswith('chacha20-poly1305@')


def terrapin_pair(cipher, mac):
    """CVE-2023-48795 (Terrapin, Bäumer, Brinkmann, Schwenk 2023, section 4): chacha20-poly1305, or a CBC cipher
    with an encrypt-then-MAC MAC, without strict key exchange."""
    return bool(cipher) and (is_chacha20_poly1305(cipher) or (is_cbc_cipher(cipher) and bool(mac) and is_etm_mac(mac)))


def terrapin_offer(ciphers, macs, kex=()):
    """What makes an offer open to Terrapin (CVE-2023-48795) when the peer negotiates it: ``{'strict_kex': bool,
    'chacha20': [...], 'cbc': [...], 'etm': [...], 'pairs': [(cipher, mac or None)]}``. ``pairs`` is empty when
    ``kex`` carries either strict-kex marker (OpenSSH PROTOCOL section 1.10) or when nothing vulnerable is
    offered: chacha20-poly1305 alone is enough, CBC only together with an EtM MAC (Terrapin paper section 4)."""
    strict = STRICT_KEX_SERVER in kex or STRICT_KEX_CLIENT in kex
    chacha = [name for name in ciphers if is_chacha20_poly1305(name)]
    cbc = [name for name in ciphers if is_cbc_cipher(name)]
    etm = [name for name in macs if is_etm_mac(name)]
    pairs = [] if strict else [(name, None) for name in chacha] + [(c, m) for c in cbc for m in etm]
    return {'strict_kex': strict, 'chacha20': chacha, 'cbc': cbc, 'etm': etm, 'pairs': pairs}


# Post-quantum hybrid key exchange: a post-quantum KEM combined with a classical (EC)DH, so the session key resists
# "store now, decrypt later" unless both are broken. The names OpenSSH marks KEX_IS_PQ in kex-names.c (V_10_1_P1:
# the sntrup761 pair and mlkem768x25519; V_10_5_P1 adds mlkem768nistp256), plus mlkem1024nistp384-sha384, the
# third method of RFC 10042 (draft-ietf-sshm-mlkem-hybrid-kex), which ssh-audit 3.9's ssh2_kexdb.py also lists as a
# hybrid PQ kex. The withdrawn sntrup4591761x25519-sha512@tinyssh.org (OpenSSH 8.0-8.4)
# and the openquantumsafe.org/amazon.com Kyber round-3 drafts are not counted (ssh2_kexdb.py: withdrawn,
# experimental). ML-KEM is NIST FIPS 203; Streamlined NTRU Prime is not a NIST-selected algorithm.
PQ_KEX_MLKEM = frozenset(('mlkem768x25519-sha256', 'mlkem768nistp256-sha256', 'mlkem1024nistp384-sha384'))
PQ_KEX_SNTRUP = frozenset(('sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com'))
POST_QUANTUM_KEX = PQ_KEX_MLKEM | PQ_KEX_SNTRUP


def is_post_quantum_kex(name):
    """A post-quantum hybrid key exchange method (see :data:`POST_QUANTUM_KEX`)."""
    return name in POST_QUANTUM_KEX


def pq_kem(name):
    """The post-quantum half of a hybrid kex: ``ml-kem`` (NIST FIPS 203), ``sntrup761``, or None."""
    if name in PQ_KEX_MLKEM:
        return 'ml-kem'
    if name in PQ_KEX_SNTRUP:
        return 'sntrup761'
    return None


# Host-key algorithms: which kind of key signs, so a server is only configured with signature algorithms for keys
# it holds (sshd.c list_hostkey_types; mod_sftp keys.c).
_CERT = re.compile(r'-cert-v0[01]$')


def key_family(algorithm):
    """``rsa``, ``dsa``, ``ed25519``, ``ed448``, ``ecdsa-nistp256`` ... for a host-key algorithm (certificates of a
    type map to the same family; :func:`is_certificate` tells them apart)."""
    name = _CERT.sub('', _base(algorithm))
    if name in ('ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'):
        return 'rsa'
    if name.startswith('ecdsa-sha2-'):
        return 'ecdsa-' + name[len('ecdsa-sha2-'):]
    if name.startswith('x509v3-ecdsa-sha2-'):
        return 'x509-ecdsa-' + name[len('x509v3-ecdsa-sha2-'):]
    if name == 'ssh-ed25519':
        return 'ed25519'
    if name == 'ssh-ed448':
        return 'ed448'
    if name == 'ssh-dss':
        return 'dsa'
    return name


def is_certificate(algorithm):
    return '-cert-v0' in algorithm


# Names. On the wire (RFC 4251 sections 5 and 6) a name is printable US-ASCII without comma; the probe refuses
# anything else so that no control character or space from a hostile server can ever reach a configuration
# file. What users, inventories and profiles hand in is held to all of RFC 4251 section 6: at most 64
# characters and at most one '@' followed by a domain. Case matters.
WIRE_NAME = re.compile(rb'^[\x21-\x2b\x2d-\x7e]+$')
MAX_NAME_LENGTH = 64
_ALGORITHM_NAME = re.compile(r'^[\x21-\x2b\x2d-\x3f\x41-\x7e]{1,64}(@[\x21-\x2b\x2d-\x3f\x41-\x7e]+)?$')


class InvalidName(ValueError):
    """A name handed in is not a valid SSH algorithm name; the message says where and why."""


def is_valid_name(name):
    return isinstance(name, str) and len(name) <= MAX_NAME_LENGTH and bool(_ALGORITHM_NAME.match(name))


def validate_name(name, where='algorithm name', error=InvalidName):
    """Return ``name`` if it is a valid RFC 4251 section 6 algorithm name, else raise ``error``."""
    if not isinstance(name, str):
        raise error('%s must be a string, got %r' % (where, name))
    if not is_valid_name(name):
        raise error('%s %r is not a valid SSH algorithm name (RFC 4251 section 6: printable US-ASCII without '
                    'spaces or commas, at most %d characters, at most one "@")' % (where, name[:100], MAX_NAME_LENGTH))
    return name
