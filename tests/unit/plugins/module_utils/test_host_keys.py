# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the host-key helpers: derived MODP primes, wire encodings, key descriptions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import subprocess

import random

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.host_keys import (
    MODP_GROUPS,
    describe_key,
    inspect_key,
    key_groups,
    modp_prime,
    sha256_fingerprint,
    supported_kex,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import PeerError, encode_mpint, encode_string, encode_uint32

# RFC 4251 section 5 gives these mpint examples.
RFC4251_MPINTS = [
    (0, '00000000'),
    (0x9a378f9b2e332a7, '0000000809a378f9b2e332a7'),
    (0x80, '000000020080'),
]


def _probably_prime(n, rounds=8):
    """Miller-Rabin with fixed-seed random bases (deterministic test)."""
    if n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    rng = random.Random(4253)
    for dummy in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for dummy2 in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@pytest.mark.parametrize('value,expected', RFC4251_MPINTS)
def test_mpint_matches_rfc4251_examples(value, expected):
    assert encode_mpint(value).hex() == expected


@pytest.mark.parametrize('kex', sorted(set(MODP_GROUPS) - {'diffie-hellman-group18-sha512'}))
def test_derived_modp_primes_are_safe_primes(kex):
    prime = modp_prime(kex)
    assert prime.bit_length() == MODP_GROUPS[kex][0]
    assert prime % 2**64 == 2**64 - 1  # the formula makes the low 64 bits all ones
    assert _probably_prime(prime, 4) and _probably_prime((prime - 1) // 2, 4)


def test_derived_primes_equal_paramikos_constants():
    pytest.importorskip('paramiko')
    from paramiko.kex_group14 import KexGroup14SHA256
    from paramiko.kex_group16 import KexGroup16SHA512
    assert modp_prime('diffie-hellman-group14-sha256') == KexGroup14SHA256.P
    assert modp_prime('diffie-hellman-group16-sha512') == KexGroup16SHA512.P
    # group14-sha1 is the same RFC 3526 group as group14-sha256, and paramiko uses generator 2 as we do.
    assert modp_prime('diffie-hellman-group14-sha1') == KexGroup14SHA256.P
    assert KexGroup14SHA256.G == KexGroup16SHA512.G == 2
    assert KexGroup14SHA256.name == 'diffie-hellman-group14-sha256' and KexGroup16SHA512.name == 'diffie-hellman-group16-sha512'


def test_group18_prime_has_the_rfc_shape():
    prime = modp_prime('diffie-hellman-group18-sha512')
    assert prime.bit_length() == 8192 and prime >> 8128 == 2**64 - 1 and prime % 2**64 == 2**64 - 1
    assert pow(2, prime - 1, prime) == 1  # Fermat test; the full safe-prime check is too slow for a unit test


def test_supported_kex_prefers_cheap_methods():
    methods = supported_kex()
    assert methods[0] == 'curve25519-sha256'
    assert methods.index('diffie-hellman-group14-sha256') < methods.index('diffie-hellman-group18-sha512')


def test_supported_kex_is_exactly_the_methods_the_fetcher_implements():
    pytest.importorskip('cryptography')
    assert supported_kex() == [
        'curve25519-sha256', 'curve25519-sha256@libssh.org',
        'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
        'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1',
        'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1',
        'diffie-hellman-group16-sha512', 'diffie-hellman-group1-sha1', 'diffie-hellman-group18-sha512',
    ]
    # Every fixed-group method has its prime; no method is listed twice.
    assert set(MODP_GROUPS) <= set(supported_kex()) and len(set(supported_kex())) == len(supported_kex())


ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIJXLnslFvKdNT60kDQKfxO1NQgDDe16PTW/9qAJqAwC+'


def test_describe_and_fingerprint_ed25519():
    blob = base64.b64decode(ED25519)
    assert describe_key(blob) == ('ssh-ed25519', 256)
    # ssh-keygen -l printed this fingerprint for the same key.
    assert sha256_fingerprint(blob) == 'SHA256:mUBePudMR4V2m+CeIrY/zU5n/X8ZR4gjwC2Z8LgUEms'


def test_describe_rsa_dss_ecdsa_and_certificates():
    rsa = encode_string(b'ssh-rsa') + encode_mpint(65537) + encode_mpint((1 << 3071) + 12345)
    assert describe_key(rsa) == ('ssh-rsa', 3072)
    dss = encode_string(b'ssh-dss') + encode_mpint((1 << 1023) + 1) + encode_mpint(3) * 3
    assert describe_key(dss) == ('ssh-dss', 1024)
    ecdsa = encode_string(b'ecdsa-sha2-nistp384') + encode_string(b'nistp384') + encode_string(b'\x04' + b'\x01' * 96)
    assert describe_key(ecdsa) == ('ecdsa-sha2-nistp384', 384)
    cert = certificate(b'ssh-rsa-cert-v01@openssh.com', encode_mpint(65537) + encode_mpint((1 << 4095) + 1),
                       base64.b64decode(ED25519))
    assert describe_key(cert) == ('ssh-rsa-cert-v01@openssh.com', 4096)
    assert describe_key(encode_string(b'x-unknown@example.com')) == ('x-unknown@example.com', None)


def uint64(value):
    return encode_uint32(value >> 32) + encode_uint32(value & 0xffffffff)


def certificate(key_type, key_fields, ca_blob, cert_type=2, trailer=b''):
    """An OpenSSH certificate blob (PROTOCOL.certkeys) around ``key_fields``, signed (in form only) by ``ca_blob``."""
    return (encode_string(key_type) + encode_string(b'n' * 32) + key_fields + uint64(7) + encode_uint32(cert_type)
            + encode_string(b'host-1') + encode_string(encode_string(b'sftp.example.com')) + uint64(0)
            + uint64(0xffffffffffffffff) + encode_string(b'') + encode_string(b'') + encode_string(b'')
            + encode_string(ca_blob) + encode_string(encode_string(b'ssh-ed25519') + encode_string(b's' * 64))
            + trailer)


RSA_1024 = encode_string(b'ssh-rsa') + encode_mpint(65537) + encode_mpint((1 << 1023) + 12345)
P256 = encode_string(b'ecdsa-sha2-nistp256') + encode_string(b'nistp256') + encode_string(b'\x04' + b'\x01' * 64)


def test_inspect_plain_keys_with_curve():
    assert inspect_key(P256) == {'type': 'ecdsa-sha2-nistp256', 'key_type': 'ecdsa-sha2-nistp256', 'bits': 256,
                                 'curve': 'nistp256', 'certificate': None}
    assert inspect_key(RSA_1024)['bits'] == 1024
    sk = (encode_string(b'sk-ssh-ed25519@openssh.com') + encode_string(b'k' * 32) + encode_string(b'ssh:'))
    assert inspect_key(sk)['bits'] == 256


def test_inspect_certificate_reads_embedded_key_and_ca():
    cert = certificate(b'ecdsa-sha2-nistp256-cert-v01@openssh.com', encode_string(b'nistp256')
                       + encode_string(b'\x04' + b'\x02' * 64), RSA_1024)
    info = inspect_key(cert)
    assert info['key_type'] == 'ecdsa-sha2-nistp256' and info['curve'] == 'nistp256' and info['bits'] == 256
    assert info['certificate']['cert_type'] == 'host' and info['certificate']['principals'] == ['sftp.example.com']
    assert info['certificate']['ca_type'] == 'ssh-rsa' and info['certificate']['ca_bits'] == 1024
    assert info['certificate']['ca_fingerprint_sha256'] == sha256_fingerprint(RSA_1024)


def test_inspect_real_certificate_from_ssh_keygen(tmp_path):
    for name, args in (('ca', ['-t', 'ed25519']), ('host', ['-t', 'rsa', '-b', '2048'])):
        subprocess.run(['ssh-keygen', '-q', '-N', '', '-f', str(tmp_path / name)] + args, check=True, timeout=60)
    subprocess.run(['ssh-keygen', '-q', '-s', str(tmp_path / 'ca'), '-I', 'host-1', '-h', '-n', 'sftp.example.com',
                    str(tmp_path / 'host.pub')], check=True, timeout=60, capture_output=True)
    blob = base64.b64decode((tmp_path / 'host-cert.pub').read_text().split()[1])
    info = inspect_key(blob)
    assert info['type'] == 'ssh-rsa-cert-v01@openssh.com' and info['bits'] == 2048
    assert info['certificate']['ca_type'] == 'ssh-ed25519' and info['certificate']['key_id'] == 'host-1'


HOSTILE_BLOBS = [
    (b'', 'empty'),
    (b'\x00' * 40000, 'larger than'),
    (encode_string(b'ssh-rsa') + encode_mpint(65537), 'ends before'),
    (encode_string(b'ssh-rsa') + encode_mpint(65537) + encode_string(b'\xff' * 16), 'not a positive'),
    (encode_string(b'ssh-rsa') + encode_mpint(65537) + encode_mpint(1 << 20000), 'at most 16384'),
    (encode_string(b'ssh-rsa') + encode_mpint(3) + encode_mpint((1 << 2047) + 1) + b'junk', 'unexpected bytes'),
    (encode_string(b'ssh-rsa\x1b[31m'), 'not a printable key type'),
    (encode_string(b'ecdsa-sha2-nistp256') + encode_string(b'nistp521') + encode_string(b'\x04' + b'\x01' * 64),
     'does not match'),
    (encode_string(b'ecdsa-sha2-nistp256') + encode_string(b'nistp256') + encode_string(b'\x04' + b'\x01' * 10),
     'not an uncompressed'),
    (encode_string(b'ssh-ed25519') + encode_string(b'\x01' * 31), 'not 32 bytes'),
    (encode_string(b'ssh-rsa') + encode_mpint(65537) + encode_uint32(0x7fffffff), 'claims'),
    (certificate(b'ssh-ed25519-cert-v01@openssh.com', encode_string(b'k' * 32), b''), 'no CA key'),
    (certificate(b'ssh-ed25519-cert-v01@openssh.com', encode_string(b'k' * 32),
                 certificate(b'ssh-ed25519-cert-v01@openssh.com', encode_string(b'k' * 32), RSA_1024)),
     'signed by another certificate'),
    (certificate(b'ssh-ed25519-cert-v01@openssh.com', encode_string(b'k' * 32), RSA_1024, trailer=b'x'),
     'unexpected bytes'),
    (certificate(b'ssh-ed25519-cert-v01@openssh.com', encode_string(b'k' * 32), RSA_1024)[:-20], 'claims'),
]


@pytest.mark.parametrize('blob, message', HOSTILE_BLOBS)
def test_hostile_blobs_are_refused_with_a_reason(blob, message):
    with pytest.raises(PeerError) as err:
        inspect_key(blob)
    assert err.value.reason == 'protocol_error' and message in err.value.msg, err.value.msg
    assert all(0x20 <= ord(ch) < 0x7f for ch in err.value.msg)


def test_random_bytes_never_crash_the_parser():
    rng = random.Random(10)
    for dummy in range(2000):
        blob = encode_string(rng.choice([b'ssh-rsa', b'ssh-dss', b'ecdsa-sha2-nistp384', b'ssh-ed25519',
                                         b'ssh-rsa-cert-v01@openssh.com'])) + os.urandom(rng.randrange(0, 300))
        try:
            inspect_key(blob)
        except PeerError as exc:
            assert exc.reason == 'protocol_error'


def test_key_groups_one_exchange_per_key():
    offered = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519', 'ssh-rsa', 'rsa-sha2-512-cert-v01@openssh.com',
               'ssh-rsa-cert-v01@openssh.com', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384']
    assert key_groups(offered) == [['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'], ['ssh-ed25519'],
                                   ['rsa-sha2-512-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com'],
                                   ['ecdsa-sha2-nistp256'], ['ecdsa-sha2-nistp384']]
