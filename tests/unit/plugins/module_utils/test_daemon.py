# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing what sshd, ssh and proftpd print about themselves."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import key_family
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import (
    crypto_settings, effective_lists, include_order, openssh_version, parse_sshd_T, proftpd_unsupported,
    proftpd_version, same_openssh_release)


def test_versions():
    assert openssh_version('OpenSSH_9.2, OpenSSL 3.0.19 27 Jan 2026') == '9.2'
    assert openssh_version('unknown option -- V\nOpenSSH_7.4p1, OpenSSL 1.0.2k-fips  26 Jan 2017\nusage: sshd') == '7.4p1'
    assert openssh_version('dropbear v2022.83') is None
    assert same_openssh_release('9.2', '9.2p1') and not same_openssh_release('9.2', '9.6p1')
    assert not same_openssh_release(None, '9.2p1')
    assert proftpd_version('Compile-time Settings:\n  Version: 1.3.8 (stable)\n') == '1.3.8'
    assert proftpd_version('ProFTPD Version 1.3.7a') == '1.3.7a'


def test_sshd_T_lists():
    text = ('port 22\nciphers aes256-ctr,aes128-ctr\nmacs hmac-sha2-256\nkexalgorithms curve25519-sha256\n'
            'hostkeyalgorithms ssh-ed25519\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\n')
    settings = parse_sshd_T(text)
    assert settings['hostkey'] == ['/etc/ssh/a', '/etc/ssh/b']
    assert effective_lists(settings) == {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'],
                                         'ciphers': ['aes256-ctr', 'aes128-ctr'], 'macs': ['hmac-sha2-256']}


def test_ssh_G_output_reads_the_same_way_and_missing_lines_are_empty():
    text = 'user root\nciphers aes128-cbc\nmacs hmac-sha2-256,hmac-sha1\nhostname 127.0.0.1\n'
    assert effective_lists(parse_sshd_T(text)) == {'kex': [], 'host_key': [], 'ciphers': ['aes128-cbc'],
                                                   'macs': ['hmac-sha2-256', 'hmac-sha1']}


@pytest.mark.parametrize('config, first', [
    ('Include /etc/ssh/sshd_config.d/*.conf\nCiphers aes256-ctr\n', True),                       # Debian 12
    ('Ciphers aes256-ctr\nInclude /etc/ssh/sshd_config.d/*.conf\n', False),                      # too late
    ('# Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n', False),                               # commented out
    ('Port 22\nMatch User x\n  X11Forwarding no\nInclude /etc/ssh/sshd_config.d/*.conf\n', False),  # inside Match
    ('  include   /etc/ssh/sshd_config.d/*.conf\nMACs hmac-sha2-256\n', True),                   # case, spaces
    ('Include /etc/other/*.conf\n', False),
])
def test_include_order(config, first):
    assert include_order(config, '/etc/ssh/sshd_config.d')['include_first'] is first


def test_crypto_settings_and_proftpd_refusals():
    found = crypto_settings('# Ciphers x\nPort 2\nCiphers a\nciphers b\nKexAlgorithms k\n')
    assert found == {'ciphers': 3, 'kexalgorithms': 5}
    text = "fatal: SFTPCiphers: unsupported cipher algorithm: chacha20-poly1305@openssh.com on line 6 of 'x'"
    assert proftpd_unsupported(text) == [('SFTPCiphers', 'chacha20-poly1305@openssh.com')]
    assert proftpd_unsupported("fatal: SFTPHostKeys: unsupported host key algorithm: bogus on line 7") == [
        ('SFTPHostKeys', 'bogus')]


@pytest.mark.parametrize('algorithm, family', [
    ('rsa-sha2-512', 'rsa'), ('ssh-rsa-cert-v01@openssh.com', 'rsa'), ('ecdsa-sha2-nistp384', 'ecdsa-nistp384'),
    ('ssh-ed25519-cert-v01@openssh.com', 'ed25519'), ('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519'),
])
def test_key_family(algorithm, family):
    assert key_family(algorithm) == family
