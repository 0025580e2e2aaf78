# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Name pools the differential tests draw random algorithm settings from.

Each pool is what that software implements here, so that a drawn setting is one the software accepts; pools mix
names both sides implement with names only one side has, so random draws produce every kind of outcome.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Sources: ssh -Q on Debian 12's OpenSSH 9.2p1; paramiko 5.1 Transport._preferred_*; AsyncSSH's get_*_algs().
OPENSSH = {
    'cipher': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com',
               'chacha20-poly1305@openssh.com', 'aes128-cbc', 'aes256-cbc', '3des-cbc'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com',
            'hmac-sha2-512-etm@openssh.com', 'umac-64-etm@openssh.com', 'umac-128@openssh.com', 'hmac-md5'],
    'kex': ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
            'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256',
            'sntrup761x25519-sha512@openssh.com', 'diffie-hellman-group14-sha1'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}
PARAMIKO = {
    'cipher': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes256-cbc', 'aes128-gcm@openssh.com',
               'aes256-gcm@openssh.com'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com',
            'hmac-sha1', 'hmac-md5'],
    'kex': ['curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
            'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'],
}
ASYNCSSH = {
    'cipher': ['aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com',
               'chacha20-poly1305@openssh.com', 'aes256-cbc'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com', 'umac-64-etm@openssh.com'],
    'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256',
            'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'],
    'compression': ['none', 'zlib@openssh.com'],
}

# Node's ssh2 1.17.0: lib/protocol/constants.js SUPPORTED_KEX, SUPPORTED_SERVER_HOST_KEY, SUPPORTED_CIPHER,
# SUPPORTED_MAC, SUPPORTED_COMPRESSION (a subset, with names only one side has). Without group exchange: ssh2 asks
# for a group as large as its cipher key needs (kex.js GEX_MAX_BITS 8192; 8192 bits for a 256-bit key), and Node's
# createDiffieHellman of sshd's 8192-bit group took about 30 s here, beyond ssh2's readyTimeout (20 s): a timeout
# the engine does not predict (and a suite bounded in time cannot wait for).
NODE_SSH2 = {
    'cipher': ['aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com',
               'chacha20-poly1305@openssh.com', 'aes128-cbc', 'aes256-cbc', '3des-cbc'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com',
            'hmac-sha2-512-etm@openssh.com', 'hmac-md5'],
    'kex': ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
            'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha1'],
    'host_key': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
    'compression': ['none', 'zlib@openssh.com', 'zlib'],
}

PROFTPD = {
    # ProFTPD 1.3.8 (Debian 12) refuses chacha20-poly1305@openssh.com in SFTPCiphers at start-up.
    'cipher': ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com',
               'aes256-cbc', '3des-cbc'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha2-256-etm@openssh.com',
            'hmac-sha2-512-etm@openssh.com', 'umac-64@openssh.com', 'hmac-md5'],
    'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'diffie-hellman-group14-sha256',
            'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha1'],
}

# dropbear's client as Debian 12 builds it (dropbear-bin 2022.83): "dbclient -c help" and "dbclient -m help" list
# these (no AES-GCM in this build).
DBCLIENT = {
    'cipher': ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'],
    'mac': ['hmac-sha1', 'hmac-sha2-256'],
}

# JSch 0.1.55 (Debian's libjsch-java): its default lists, captured on the wire (data/client_profiles/jsch-0.1.55.yml),
# for Session.setConfig's kex, server_host_key, cipher.c2s/s2c and mac.c2s/s2c. Names outside them (AES-GCM, ETM MACs,
# curve25519, rsa-sha2-*) are not in this jar: configured anyway, JSch fails in ways no KEXINIT shows
# (NullPointerException, "invalid signature"), which is not negotiation.
JSCH = {
    'kex': ['ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group14-sha1',
            'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
    'host_key': ['ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'],
    'cipher': ['aes128-ctr', 'aes128-cbc', '3des-cbc', 'aes192-ctr', 'aes256-ctr', 'aes256-cbc'],
    'mac': ['hmac-sha1', 'hmac-sha2-256', 'hmac-md5', 'hmac-sha1-96'],
}

# AsyncSSH 2.24 as a server, wider than the client pool above: post-quantum hybrids, Curve448 and RSA key exchange too
# (RFC 4432; of the clients only PuTTY proposes it). From get_kex_algs(), get_encryption_algs(), get_mac_algs().
ASYNCSSH_WIDE = {
    'kex': ['mlkem768x25519-sha256', 'mlkem768nistp256-sha256', 'curve25519-sha256', 'curve25519-sha256@libssh.org',
            'curve448-sha512', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
            'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256',
            'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'rsa2048-sha256'],
    'cipher': ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr',
               'aes192-ctr', 'aes128-ctr', 'aes256-cbc', 'aes128-cbc', '3des-cbc'],
    'mac': ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com',
            'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256',
            'hmac-sha2-512', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5'],
}
