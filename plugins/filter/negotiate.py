# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: negotiate
short_description: Predict whether an SSH client can connect to a server, what they agree on, and why not
version_added: 1.0.0
description:
  - Intersects a server's proposal with a client's exactly as the real implementations negotiate
    (RFC 4253 section 7.1 plus the rules of OpenSSH, paramiko, AsyncSSH, JSch, PuTTY/WinSCP and libssh2, read
    from each implementation's source and proven against real handshakes; the implementation is found from each
    side's banner or software; any other software gets the RFC rules), and returns whether they can connect, the
    algorithms they agree on, and every failing category with the message the client software would print.
  - Rules encoded beyond the RFC include OpenSSH, PuTTY, AsyncSSH and libssh2 ignoring the MAC for AEAD ciphers
    while paramiko and JSch still require a common one, each implementation's order of checking the
    categories (which failure it reports), OpenSSH reading a list only up to its first empty entry and at most
    40 names of the server's list, JSch giving up at an empty entry of the server's list, and a paramiko server
    never agreeing to the group-exchange methods it advertises without a moduli file. Pseudo-algorithms
    (C(ext-info-c), C(kex-strict-*), C(kexguess2@matt.ucc.asn.au)) are never negotiated.
  - Both sides run the negotiation independently; a category where they would choose differently is a
    failure too.
  - Guessed first key-exchange packets (RFC 4253 section 7, C(first_kex_packet_follows); dropbear's client always
    sends one) are judged by each side's own rule, read from its source (OpenSSH and dropbear as RFC 4253 says,
    dropbear with C(kexguess2@matt.ucc.asn.au) more leniently, AsyncSSH only by the kex it chose, ProFTPD mod_sftp
    only by the first kex names, paramiko always using it). When the two sides judge a guess differently the
    handshake breaks although every list agrees; that is a C(kex) failure with RV(_value.failures[].reason)
    C(kex_guess).
  - PuTTY's warning threshold (PuTTY, and WinSCP and FileZilla, which embed it). PuTTY's cipher, kex and host-key
    preference lists have a C(WARN) line; names below it are still proposed, so the KEXINIT does not show it. When
    the key exchange, host key or a direction's cipher PuTTY would pick is below the line, C(plink), C(pscp) and
    C(psftp) with C(-batch), and WinSCP scripting, abandon the connection with PuTTY's sentence (an interactive
    user is asked instead); the prediction is then not compatible, with a failure whose C(reason) is
    C(below_warn_threshold). FileZilla (its C(fzsftp)) never asks, it aborts with its own sentence ("..., which is
    no longer secure. Aborting connection."), and always moves C(arcfour) and C(des) below the line. The built-in
    PuTTY, WinSCP and FileZilla profiles carry their release's default lines; give a client's own saved-session
    lines as C(putty_settings) (see the O(client) option).
  - After those questions PuTTY 0.80 and later (and Debian 12's 0.78, which carries the backport; WinSCP 6.3) ask
    once more when the server does not do strict key exchange and a direction's cipher is ChaCha20-Poly1305, or
    CBC with an encrypt-then-MAC MAC (the Terrapin attack, CVE-2023-48795); in batch mode that too abandons the
    connection, a failure whose C(reason) is C(terrapin_warning).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The server's proposal. The whole per-host result of M(fleetcrypto.sftp.algorithms_info) is accepted
        (its C(banner) tells the server software), as is a dict with the ten RFC 4253 name-list keys and
        optional C(banner) or C(software), or the name of a built-in server profile (a server release's default
        offer, see P(fleetcrypto.sftp.server_profile#lookup)), for example C('openssh-10.0').
    type: raw
    required: true
  client:
    description:
      - The client's proposal, in the same forms, or the name of a built-in client profile (see
        P(fleetcrypto.sftp.client_profile#lookup)), or a hand-written profile with the shorthands C(kex),
        C(host_key), C(ciphers), C(macs), C(compression) (applied to both directions), with optional
        C(banner) or C(software) (C({product, version})) to select the implementation's rules.
      - C(first_kex_packet_follows) (in C(offer) or beside the lists, as M(fleetcrypto.sftp.algorithms_info) and
        the client capture return it) says the client sends a guessed first key-exchange packet; when it is not
        given, dropbear clients are taken to send one (their build default) and others not.
      - A PuTTY, WinSCP or FileZilla client with its own settings is a dict with C(putty_settings), the
        saved-session lines C(Cipher), C(KEX) and C(HostKey) exactly as PuTTY stores them (C(~/.putty/sessions/),
        the registry) or as C(WinSCP.ini) does (percent-escaped, C(%2C) for a comma), for example
        C(Cipher) set to C(aes,chacha20,aesgcm,3des,WARN,des,blowfish,arcfour), optionally C(SSH2DES) and
        C(PreferKnownHostKeys) (C(0)/C(1)), and C(profile), the built-in PuTTY or WinSCP profile of its release
        (for example C(putty-0.78), C(winscp-6.3); or a C(banner)/C(software) naming exactly one). The kex,
        host-key and cipher lists are derived from those lines with that release's tokens, as PuTTY does (tokens
        left out are added at their default places; everything, also what is below C(WARN), is proposed); the
        other lists are the profile's. A token the release does not know is an error (PuTTY itself would skip it
        silently).
      - C(putty_stored_host_keys) (with or without C(putty_settings)) lists the host-key types PuTTY has stored for
        the server, as its C(SshHostKeys) entries name them (C(rsa2), C(dss), C(ssh-ed25519), C(ssh-ed448),
        C(ecdsa-sha2-nistp256), ...); with C(PreferKnownHostKeys) (default C(1), also a setting) PuTTY proposes
        those first, which can change the host key it picks.
      - Lists may be YAML lists or comma-separated strings. Missing language lists mean empty; a missing
        name-list (a partial proposal, for example from a log line or a Zeek or Suricata record, see
        P(fleetcrypto.sftp.proposals_from_ids_logs#filter)) is not known, so its category is neither agreed nor
        failed but listed in RV(_value.unknown).
    type: raw
    required: true
  fill_from_profiles:
    description:
      - When the client is a partial proposal whose C(banner) or C(software) names exactly one built-in client
        profile (the same product and release line, as profiles are named, for example C(openssh-9.2) for
        C(SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3)), take its unknown lists from that profile, and say so in
        RV(_value.filled_from).
      - Nothing is filled when the software matches no profile or several, or when a list the client does know
        differs from the profile's (the client does not run that release's defaults). Known lists are never
        replaced.
      - Set to V(false) to judge only what was observed.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Does the partner's scripted WinSCP transfer (its WinSCP.ini lines) still run against the new server?
  ansible.builtin.debug:
    msg: "{{ sftp_probe | fleetcrypto.sftp.negotiate(partner_winscp) }}"
  vars:
    partner_winscp:
      profile: winscp-6.3
      putty_settings:
        Cipher: aes%2Cchacha20%2Caesgcm%2CWARN%2C3des%2Cdes%2Cblowfish%2Carcfour
        KEX: >-
          ntru-curve25519,ecdh,dh-gex-sha1,dh-group18-sha512,dh-group17-sha512,dh-group16-sha512,dh-group15-sha512,WARN,dh-group14-sha1,rsa,dh-group1-sha1
        HostKey: ed448,ed25519,ecdsa,rsa,WARN,dsa

- name: Can the partner's old JSch client still connect?
  ansible.builtin.debug:
    msg: "{{ sftp_probe | fleetcrypto.sftp.negotiate(partner_client) }}"
  vars:
    partner_client:
      software: {product: JSch, version: 0.1.54}
      kex: [ecdh-sha2-nistp256, diffie-hellman-group14-sha1, diffie-hellman-group1-sha1]
      host_key: [ssh-rsa, ecdsa-sha2-nistp256]
      ciphers: [aes128-ctr, aes128-cbc, 3des-ctr, 3des-cbc, blowfish-cbc]
      macs: [hmac-md5, hmac-sha1, hmac-sha2-256]
      compression: [none]

- name: Which observed clients (Zeek ssh.log) would fail? Host keys are unknown unless a profile fills them
  ansible.builtin.debug:
    msg: "{{ item.banner }}: {{ result.failures | map(attribute='message') }}; not judged: {{ result.unknown }}"
  loop: "{{ (lookup('ansible.builtin.file', 'ssh.log') | fleetcrypto.sftp.proposals_from_ids_logs).proposals }}"
  vars:
    result: "{{ sftp_probe | fleetcrypto.sftp.negotiate(item, fill_from_profiles=false) }}"

- name: Fail the play when a required client would break
  ansible.builtin.assert:
    that: (sftp_probe | fleetcrypto.sftp.negotiate(item)).compatible
    fail_msg: "{{ (sftp_probe | fleetcrypto.sftp.negotiate(item)).failures | map(attribute='message') | join('; ') }}"
  loop: "{{ required_clients }}"
'''

RETURN = r'''
_value:
  description: The prediction.
  type: dict
  contains:
    compatible:
      description:
        - No category that could be judged fails. With RV(_value.unknown) empty, the client can complete the key
          exchange with the server; with categories in RV(_value.unknown), whether it can cannot be told (only
          that nothing known fails); false is always a real failure.
      type: bool
    unknown:
      description:
        - The categories (C(kex), C(host_key), C(cipher), C(mac), C(compression)), in the order the client
          software checks them, that could not be judged because a name-list was not known on either side (a
          partial proposal), in either direction. Nothing is guessed for them; their RV(_value.negotiated) keys
          are null.
        - A MAC is not unknown when the cipher agreed in its direction is AEAD and the implementation then ignores
          the MAC (OpenSSH, PuTTY, AsyncSSH, libssh2); paramiko and JSch still need one.
        - Empty for complete proposals.
      type: list
      elements: str
      sample: [host_key, cipher, mac, compression]
    filled_from:
      description:
        - Set when the client's unknown lists were taken from a built-in profile (see the O(fill_from_profiles)
          option); null otherwise.
      type: dict
      contains:
        profile:
          description: The built-in profile the lists came from.
          type: str
          sample: openssh-9.2
        categories:
          description: The categories that had a list filled from it.
          type: list
          elements: str
          sample: [host_key, cipher, mac, compression]
    negotiated:
      description:
        - The agreed algorithms (C(kex), C(host_key), C(cipher_c2s), C(cipher_s2c), C(mac_c2s), C(mac_s2c),
          C(compression_c2s), C(compression_s2c)); a key is null where nothing was agreed or the category is in
          RV(_value.unknown), and the MAC is null when the cipher is AEAD (its integrity is built in). Null when
          nothing at all was agreed.
        - With a C(below_warn_threshold) or C(terrapin_warning) failure the algorithms are still those PuTTY agreed
          on (and then questioned).
      type: dict
    failures:
      description: Every failing category, in the order the client software checks them.
      type: list
      elements: dict
      contains:
        category:
          description: C(kex), C(host_key), C(cipher), C(mac) or C(compression).
          type: str
        direction:
          description: C(c2s) or C(s2c) for cipher, MAC and compression; null otherwise.
          type: str
        client:
          description: The client's list for that category.
          type: list
          elements: str
        server:
          description: The server's list for that category.
          type: list
          elements: str
        message:
          description: >-
            What the client software prints, for example OpenSSH's
            C(no matching cipher found. Their offer: aes256-ctr,aes256-cbc).
          type: str
        detected_by:
          description: C(client), C(server), C(both), or C(disagreement) when both succeed but choose differently.
          type: str
        reason:
          description:
            - Why the category fails. C(no_common_algorithm) (no name in common, as the side that detects it reads
              the lists), C(disagreement) (both sides choose, differently), or C(below_warn_threshold) (the
              algorithm PuTTY or WinSCP would pick is below the client's C(WARN) line; in batch mode, C(plink),
              C(pscp), C(psftp) C(-batch) or WinSCP scripting, the connection is abandoned; only the first such
              pick, in PuTTY's order kex, host key, client-to-server cipher, server-to-client cipher, is a failure,
              RV(_value.below_warn_threshold) lists them all), or C(terrapin_warning) (PuTTY 0.80 and later,
              Debian 12's 0.78, WinSCP 6.3; the server does not do strict key exchange and the cipher agreed in
              that direction is ChaCha20-Poly1305, or CBC with an encrypt-then-MAC MAC; batch mode abandons too), or
              C(kex_guess) (every list agrees, but the client and the server judge the client's guessed first
              key-exchange packet differently, RFC 4253 section 7, C(first_kex_packet_follows), for example a
              dropbear client and an AsyncSSH server that lists dropbear's first kex but not first, where AsyncSSH
              disconnects with C(Key exchange not in progress); RV(_value.negotiated) still shows what the lists
              agree on).
          type: str
          choices: [no_common_algorithm, disagreement, below_warn_threshold, terrapin_warning, kex_guess]
        note:
          description:
            - For C(below_warn_threshold) and C(terrapin_warning) only. What batch mode does (C(plink), C(pscp),
              C(psftp) C(-batch) print the message and C(Connection abandoned.); WinSCP scripting with batch abort
              fails with C(The <type> <algorithm> was not verified!)) and that an interactive user is asked
              C(Continue with connection?) instead and can accept (each pick in turn).
          type: str
        above_warn:
          description:
            - For C(below_warn_threshold) only. The client's names of that category above its C(WARN) line, in its
              order (PuTTY proposes them all before those below it); the server offering any one of them keeps
              batch transfers working.
          type: list
          elements: str
    below_warn_threshold:
      description:
        - Every pick of a PuTTY or WinSCP client that is below its C(WARN) line, in the order PuTTY asks about them
          (kex, host key, client-to-server cipher, server-to-client cipher), each with C(category), C(direction),
          C(algorithm) and PuTTY's C(message), for example C(The first key-exchange algorithm supported by the
          server is diffie-hellman-group1-sha1, which is below the configured warning threshold.)
        - Empty when the client has no threshold (other software), when nothing picked is below it, and when the
          key exchange fails anyway (PuTTY asks only after both KEXINITs agree).
        - PuTTY lists the host-key types it has stored for the server first (PreferKnownHostKeys); give them as
          C(putty_stored_host_keys) with the client (see the O(client) option), otherwise none are assumed. When
          the host key picked is below the line because its type is stored while the server offers better types
          that are not, PuTTY words the question C(The first host key type we have stored for this server is ...),
          and the item has C(not_stored_above_warn), those better types. WinSCP does not ask in that case (its
          C(confirm_weak_cached_hostkey) accepts), so it is not listed for WinSCP clients.
      type: list
      elements: dict
    strict_kex:
      description: Both sides do strict key exchange (the Terrapin countermeasure, CVE-2023-48795).
      type: bool
    post_quantum:
      description:
        - The connection works and the agreed key exchange is a post-quantum hybrid (C(mlkem768x25519-sha256),
          C(mlkem768nistp256-sha256), C(mlkem1024nistp384-sha384), C(sntrup761x25519-sha512),
          C(sntrup761x25519-sha512@openssh.com)), protecting against "store now, decrypt later". False when
          nothing is agreed.
      type: bool
    warnings:
      description:
        - The lines the client software prints about the agreed algorithms, in order; empty when it prints none or
          the connection fails.
        - >-
          OpenSSH 10.1 and later (sshconnect.c warn_nonpq_kex) print three lines starting with
          C(** WARNING: connection is not using a post-quantum key exchange algorithm.) when the agreed kex is not
          post-quantum, unless the user set C(KexAlgorithms) (a client proposal may say so with
          C(kex_algorithms_set=true); a captured client whose kex list differs from its release's built-in profile
          counts as set) or turned C(WarnWeakCrypto) off (a client proposal may carry C(warn_weak_crypto=false), or
          the ssh_config value C(no) or C(no-pq-kex)). OpenSSH prints them at LogLevel INFO, so C(ssh -q) hides
          them.
        - >-
          OpenSSH 10.3 and later (sshconnect.c ssh_login, compat.c SSH_BUG_NOREKEY) first print
          C(Warning: this server does not support rekeying.) and C(This session will eventually fail) when the
          server identifies as C(Sun_SSH_1.0*) (its C(banner)): they no longer work around its missing rekeying.
      type: list
      elements: str
      sample: ['** WARNING: connection is not using a post-quantum key exchange algorithm.',
               '** This session may be vulnerable to "store now, decrypt later" attacks.',
               '** The server may need to be upgraded. See https://openssh.com/pq.html']
    terrapin_exposed:
      description:
        - They would negotiate chacha20-poly1305 or a CBC cipher with an EtM MAC without strict kex.
        - Judged on what is agreed; a direction whose cipher or MAC is in RV(_value.unknown) does not count.
      type: bool
    client_software:
      description: >-
        Whose negotiation rules were applied for the client (C(OpenSSH), C(paramiko), C(AsyncSSH), C(dropbear),
        C(ProFTPD mod_sftp), or C(RFC 4253)).
      type: str
    server_software:
      description: Whose negotiation rules were applied for the server.
      type: str
    partial:
      description:
        - A proposal lacked some name-lists (for example one rebuilt from a log line), also when they were then
          filled from a profile.
      type: bool
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


def negotiate(server, client, fill_from_profiles=True):
    """Predict the negotiation of ``client`` connecting to ``server``."""
    try:
        fill_from_profiles = boolean(fill_from_profiles, strict=True)
    except TypeError:
        raise AnsibleFilterError('negotiate: fill_from_profiles must be a boolean, got %r' % (fill_from_profiles,))
    try:
        return predict(server, client, fill_from_profiles=fill_from_profiles)
    except ProposalError as exc:
        raise AnsibleFilterError('negotiate: %s' % exc)


class FilterModule(object):
    """Negotiation filters of fleetcrypto.sftp."""

    def filters(self):
        return {'negotiate': negotiate}
