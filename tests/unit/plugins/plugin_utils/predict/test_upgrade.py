# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrade impact on a data directory of its own: small server profiles shaped like OpenSSH 9.2 (and Debian 12's
build of it) and 10.0 (myproposal.h KEX_SERVER_KEX at V_9_2_P1 / V_10_0_P1, shortened)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils import data
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict import server_profiles
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.upgrade import UpgradeError, predict_upgrade

PSEUDO = ['ext-info-s', 'kex-strict-s-v00@openssh.com']
KEX_92 = ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'ecdh-sha2-nistp256',
          'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256']
KEX_100 = ['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'ecdh-sha2-nistp256']
HOST_KEYS = ('rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519')
CIPHERS = ('chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-gcm@openssh.com')
MACS = ('umac-64-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256')


def lists(kex, host_keys=HOST_KEYS, ciphers=CIPHERS, macs=MACS, compression=('none', 'zlib@openssh.com')):
    return {
        'kex_algorithms': list(kex) + PSEUDO,
        'server_host_key_algorithms': list(host_keys),
        'encryption_algorithms_client_to_server': list(ciphers),
        'encryption_algorithms_server_to_client': list(ciphers),
        'mac_algorithms_client_to_server': list(macs),
        'mac_algorithms_server_to_client': list(macs),
        'compression_algorithms_client_to_server': list(compression),
        'compression_algorithms_server_to_client': list(compression),
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    }


SUPPORTED_92 = {'kex': KEX_92 + ['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1'],
                'host_key': list(HOST_KEYS) + ['ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp384'],
                'cipher': list(CIPHERS) + ['aes128-cbc', '3des-cbc'], 'mac': list(MACS) + ['hmac-sha1', 'hmac-md5'],
                'compression': ['none', 'zlib@openssh.com']}
SUPPORTED_100 = {'kex': KEX_100 + ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256',
                                   'diffie-hellman-group14-sha1'],
                 'host_key': list(HOST_KEYS) + ['ssh-rsa', 'ecdsa-sha2-nistp384'],
                 'cipher': list(CIPHERS) + ['aes128-cbc', '3des-cbc'], 'mac': list(MACS) + ['hmac-sha1', 'hmac-md5'],
                 'compression': ['none', 'zlib@openssh.com']}


@pytest.fixture(autouse=True)
def library(tmp_path, monkeypatch):
    root = tmp_path / 'data'
    (root / 'server_profiles').mkdir(parents=True)

    def write(name, **content):
        (root / 'server_profiles' / (name + '.yml')).write_text(yaml.safe_dump(dict(name=name, **content)))

    write('openssh-9.2', product='OpenSSH', version='9.2p1', banner='SSH-2.0-OpenSSH_9.2', source='test',
          host_keys=['rsa', 'ecdsa', 'ed25519'], supported=SUPPORTED_92, **lists(KEX_92))
    write('debian-12', product='OpenSSH', version='9.2p1', banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7',
          source='test', host_keys=['rsa', 'ecdsa', 'ed25519'], supported=SUPPORTED_92, **lists(KEX_92))
    write('openssh-10.0', product='OpenSSH', version='10.0p1', banner='SSH-2.0-OpenSSH_10.0', source='test',
          host_keys=['rsa', 'ecdsa', 'ed25519'], supported=SUPPORTED_100, **lists(KEX_100))
    write('proftpd-1.3.8', product='ProFTPD', version='1.3.8', source='test', host_keys=['rsa'],
          supported={'kex': ['curve25519-sha256', 'diffie-hellman-group14-sha256']},
          **lists(['curve25519-sha256'], host_keys=['rsa-sha2-256']))
    monkeypatch.setattr(data, 'DATA_DIR', str(root))
    monkeypatch.setattr(data, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_CACHE', {})
    monkeypatch.setattr(server_profiles, '_BY_RELEASE', {})
    return write


def probe(banner='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', **overrides):
    offer = lists(KEX_92)
    offer.update(overrides)
    return {'host': '192.0.2.1', 'port': 22, 'banner': banner, 'offer': offer}


def by_category(result):
    return {item['category']: item for item in result['assumptions']}


def test_defaults_today_take_the_target_defaults_and_debian_is_detected():
    result = predict_upgrade(probe(), 'openssh-10.0')
    assert result['current'] == 'debian-12' and result['current_detected']
    assert result['target'] == 'openssh-10.0' and result['daemon_refuses_to_start'] is False
    items = by_category(result)
    assert {item['assumption'] for item in items.values()} == {'release_defaults'}
    assert result['offer']['kex_algorithms'] == KEX_100 + PSEUDO
    assert items['kex']['removed'] == ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256']
    assert items['kex']['added'] == ['mlkem768x25519-sha256']
    assert result['offer']['banner'] == 'SSH-2.0-OpenSSH_10.0'
    assert result['offer']['software'] == {'product': 'OpenSSH', 'version': '10.0p1'}


def test_upstream_banner_detects_the_upstream_release():
    result = predict_upgrade(probe(banner='SSH-2.0-OpenSSH_9.2'), 'openssh-10.0')
    assert result['current'] == 'openssh-9.2'
    assert result['candidates'] == ['openssh-9.2', 'debian-12']


def test_explicit_list_is_kept_minus_what_the_target_dropped_and_sshd_would_refuse_to_start():
    explicit = ['curve25519-sha256', 'diffie-hellman-group1-sha1']
    result = predict_upgrade(probe(kex_algorithms=explicit + PSEUDO), 'openssh-10.0')
    item = by_category(result)['kex']
    assert item['assumption'] == 'explicit_kept' and item['removed'] == ['diffie-hellman-group1-sha1']
    assert result['offer']['kex_algorithms'] == ['curve25519-sha256'] + PSEUDO
    assert result['daemon_refuses_to_start'] is True
    assert item['daemon_error'] == ("sshd_config line N: Bad SSH2 KexAlgorithms "
                                    "'curve25519-sha256,diffie-hellman-group1-sha1'.")
    assert 'refuses to start' in item['detail']
    # the other categories still follow the defaults
    assert by_category(result)['cipher']['assumption'] == 'release_defaults'


def test_explicit_list_the_target_supports_is_kept_whole():
    explicit = ['diffie-hellman-group14-sha256', 'curve25519-sha256']
    result = predict_upgrade(probe(kex_algorithms=explicit), 'openssh-10.0')
    assert result['offer']['kex_algorithms'] == explicit + PSEUDO   # pseudo names follow the target
    assert by_category(result)['kex']['removed'] == [] and result['daemon_refuses_to_start'] is False


def test_host_keys_follow_the_server_keys_in_its_key_order():
    # an ed25519-only server running defaults
    result = predict_upgrade(probe(server_host_key_algorithms=['ssh-ed25519']), 'openssh-10.0')
    item = by_category(result)['host_key']
    assert item['assumption'] == 'release_defaults'
    assert result['offer']['server_host_key_algorithms'] == ['ssh-ed25519']
    # key order ed25519 then RSA (HostKey files in that order): kept
    result = predict_upgrade(probe(server_host_key_algorithms=['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']),
                             'openssh-10.0')
    assert by_category(result)['host_key']['assumption'] == 'release_defaults'
    assert result['offer']['server_host_key_algorithms'] == ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']


def test_host_key_setting_naming_a_removed_type_breaks_the_daemon():
    result = predict_upgrade(probe(server_host_key_algorithms=['ssh-ed25519', 'ssh-rsa', 'ssh-dss']),
                             'openssh-10.0')
    item = by_category(result)['host_key']
    assert item['assumption'] == 'explicit_kept' and item['removed'] == ['ssh-dss']
    assert "Bad key types" in item['daemon_error']
    assert result['offer']['server_host_key_algorithms'] == ['ssh-ed25519', 'ssh-rsa']


def test_unknown_current_release_keeps_lists_and_says_so():
    result = predict_upgrade(probe(banner='SSH-2.0-OpenSSH_8.4p1', kex_algorithms=['diffie-hellman-group1-sha1',
                                                                                   'curve25519-sha256']),
                             'openssh-10.0')
    assert result['current'] is None and result['candidates'] == []
    assert {item['assumption'] for item in result['assumptions']} == {'unknown_current'}
    assert result['offer']['kex_algorithms'] == ['curve25519-sha256'] + PSEUDO
    assert result['daemon_refuses_to_start'] is None and result['daemon_errors']


def test_given_current_and_unknown_supported_category():
    result = predict_upgrade(probe(mac_algorithms_client_to_server=['hmac-md5'],
                                   mac_algorithms_server_to_client=['hmac-md5']), 'proftpd-1.3.8',
                             current='openssh-9.2')
    mac = by_category(result)['mac']
    assert mac['assumption'] == 'explicit_kept' and mac['removed'] == []
    assert 'not known' in mac['detail'] and mac['daemon_error'] is None
    assert result['offer']['mac_algorithms_client_to_server'] == ['hmac-md5']
    assert result['offer']['software']['product'] == 'ProFTPD' and result['offer']['banner'] is None


def test_the_offer_is_a_proposal_negotiate_takes():
    client = {'name': 'dh-only', 'software': {'product': 'OpenSSH', 'version': '9.2p1'},
              'kex': ['diffie-hellman-group14-sha256'], 'host_key': ['rsa-sha2-256'], 'ciphers': ['aes128-ctr'],
              'macs': ['hmac-sha2-256'], 'compression': ['none']}
    today = predict(probe(), client)
    after = predict(predict_upgrade(probe(), 'openssh-10.0')['offer'], client)
    assert today['compatible'] and not after['compatible']
    assert after['failures'][0]['category'] == 'kex'


def test_errors():
    with pytest.raises(UpgradeError, match='upgrade target'):
        predict_upgrade(probe(), 'no-such-release')
    with pytest.raises(UpgradeError):
        predict_upgrade({'failed': True, 'reason': 'timeout', 'msg': 'x'}, 'openssh-10.0')
