# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one SSH vocabulary: derived tables and classification rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils import catalog


def test_slots_follow_the_kexinit_wire_order():
    assert [catalog.LIST_KEY[slot] for slot in catalog.SLOTS] == list(catalog.NAME_LIST_KEYS[:8])
    assert [catalog.NEGOTIATED_KEY[slot] for slot in catalog.SLOTS] == [
        'kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c', 'compression_c2s', 'compression_s2c']
    assert [catalog.NEGOTIATED_KEY[slot] for slot in catalog.BASE_ORDER] == [
        'kex', 'host_key', 'cipher_c2s', 'mac_c2s', 'compression_c2s', 'cipher_s2c', 'mac_s2c', 'compression_s2c']


def test_shorthands_and_governed_categories():
    assert catalog.SHORTHANDS['ciphers'] == ('encryption_algorithms_client_to_server',
                                             'encryption_algorithms_server_to_client')
    assert catalog.GOVERNED == ('kex', 'host_key', 'ciphers', 'macs')
    assert set(catalog.GOVERNED_KEYS) == set(catalog.GOVERNED)
    assert all(catalog.BY_SHORTHAND[short].shorthand == short for short in catalog.SHORTHANDS)


@pytest.mark.parametrize('name, aead, cbc', [
    ('chacha20-poly1305@openssh.com', True, False),
    ('aes128-gcm@openssh.com', True, False),
    ('aes256-gcm@openssh.com', True, False),
    ('aes128-gcm', False, False),              # RFC 5647: negotiates AEAD_AES_128_GCM as its MAC too
    ('aes256-ctr', False, False),
    ('aes128-cbc', False, True),
    ('3des-cbc', False, True),
    ('camellia128-cbc', False, True),
    ('seed-cbc@ssh.com', False, True),
    ('rijndael-cbc@lysator.liu.se', False, True),
    ('twofish256-cbc', False, True),
])
def test_cipher_classes_by_rule(name, aead, cbc):
    assert catalog.is_aead_cipher(name) is aead
    assert catalog.is_cbc_cipher(name) is cbc


@pytest.mark.parametrize('cipher, mac, exposed', [
    ('chacha20-poly1305@openssh.com', None, True),
    ('aes128-cbc', 'hmac-sha2-256-etm@openssh.com', True),
    ('camellia128-cbc', 'hmac-sha1-etm@openssh.com', True),
    ('seed-cbc@ssh.com', 'umac-64-etm@openssh.com', True),
    ('aes128-cbc', 'hmac-sha2-256', False),
    ('aes128-ctr', 'hmac-sha2-256-etm@openssh.com', False),
    ('aes256-gcm@openssh.com', None, False),
    (None, None, False),
])
def test_terrapin_pair(cipher, mac, exposed):
    assert catalog.terrapin_pair(cipher, mac) is exposed


@pytest.mark.parametrize('algorithm, family, certificate', [
    ('rsa-sha2-512', 'rsa', False), ('ssh-rsa', 'rsa', False), ('rsa-sha2-256-cert-v01@openssh.com', 'rsa', True),
    ('ecdsa-sha2-nistp384', 'ecdsa-nistp384', False), ('ssh-ed25519-cert-v01@openssh.com', 'ed25519', True),
    ('ssh-dss', 'dsa', False), ('ssh-ed448', 'ed448', False), ('x509v3-ecdsa-sha2-nistp256', 'x509-ecdsa-nistp256', False),
])
def test_key_family(algorithm, family, certificate):
    assert catalog.key_family(algorithm) == family
    assert catalog.is_certificate(algorithm) is certificate


@pytest.mark.parametrize('name', ['aes128-ctr', 'kex-strict-s-v00@openssh.com', 'x' * 64, 'a@b.c'])
def test_valid_names(name):
    assert catalog.validate_name(name) == name


@pytest.mark.parametrize('name', ['', 'a,b', 'a b', 'aes\nPermitRootLogin yes', 'x' * 65, 'a@b@c', 'é', 7, None])
def test_invalid_names_raise_the_requested_error(name):
    with pytest.raises(catalog.InvalidName):
        catalog.validate_name(name)

    class Custom(ValueError):
        pass
    with pytest.raises(Custom) as err:
        catalog.validate_name(name, 'in test', Custom)
    assert 'in test' in str(err.value)


def test_wire_names_are_printable_ascii_without_comma():
    assert catalog.WIRE_NAME.match(b'hmac-sha2-256')
    assert not catalog.WIRE_NAME.match(b'a,b') and not catalog.WIRE_NAME.match(b'a b') and not catalog.WIRE_NAME.match(b'\x7f')


@pytest.mark.parametrize('name', ['camellia128-cbc', 'camellia256-cbc@openssh.org', 'seed-cbc@ssh.com',
                                  'aes256-cbc@openssh.org', 'cast128-cbc', 'blowfish-cbc', 'des-cbc@ssh.com'])
def test_cbc_names_outside_any_fixed_list(name):
    assert catalog.is_cbc_cipher(name)
    assert catalog.terrapin_pair(name, 'hmac-sha2-512-etm@openssh.com')


@pytest.mark.parametrize('name', ['aes128-ctr', 'arcfour256', 'aes128-gcm', 'none', 'cbc-but-not@example.com'])
def test_not_cbc(name):
    assert not catalog.is_cbc_cipher(name)


def test_terrapin_offer_lists_every_vulnerable_pair_and_strict_kex_clears_them():
    ciphers = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'camellia128-cbc', 'seed-cbc@ssh.com']
    macs = ['hmac-sha2-256', 'umac-64-etm@openssh.com']
    open_ = catalog.terrapin_offer(ciphers, macs, ['curve25519-sha256', 'ext-info-s'])
    assert open_['strict_kex'] is False
    assert open_['pairs'] == [('chacha20-poly1305@openssh.com', None), ('camellia128-cbc', 'umac-64-etm@openssh.com'),
                              ('seed-cbc@ssh.com', 'umac-64-etm@openssh.com')]
    assert open_['etm'] == ['umac-64-etm@openssh.com']
    strict = catalog.terrapin_offer(ciphers, macs, ['curve25519-sha256', catalog.STRICT_KEX_SERVER])
    assert strict['strict_kex'] is True and strict['pairs'] == []
    assert catalog.terrapin_offer(['aes128-cbc'], ['hmac-sha2-256'])['pairs'] == []


def test_post_quantum_kex_vocabulary():
    for name in ('mlkem768x25519-sha256', 'mlkem768nistp256-sha256', 'mlkem1024nistp384-sha384',
                 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com'):
        assert catalog.is_post_quantum_kex(name)
    for name in ('curve25519-sha256', 'sntrup4591761x25519-sha512@tinyssh.org', 'ecdh-sha2-nistp256',
                 catalog.STRICT_KEX_SERVER):
        assert not catalog.is_post_quantum_kex(name)
    assert catalog.pq_kem('mlkem768x25519-sha256') == 'ml-kem'
    assert catalog.pq_kem('sntrup761x25519-sha512') == 'sntrup761'
    assert catalog.pq_kem('curve25519-sha256') is None
