# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Predict SSH algorithm negotiation between a server and a client, as the real implementations do it.

RFC 4253 section 7.1 says: for each category, the chosen algorithm is the first one on the client's list
that is also on the server's. Real implementations add rules of their own, and those rules decide whether a
connection works. Each side computes the choice independently from both KEXINITs, so a connection works
only when both sides succeed. The differences encoded here, each from the implementation's source:

* OpenSSH (kex.c kex_choose_conf, match.c match_list; identical in V_7_4_P1 and V_9_2_P1, and kex_choose_conf,
  choose_kex, choose_hostkeyalg, choose_enc, choose_mac, choose_comp, proposals_match and match_list are
  unchanged from V_9_9_P1 to V_10_5_P1; what 10.x changed is in the default lists, data/client_profiles and
  data/server_profiles, and the client's post-quantum warning below):
  checks kex, host key, then per direction cipher, MAC, compression; a client checks server-to-client first
  (mode 0 is MODE_IN); the MAC is not negotiated when the cipher is AEAD ("ignore mac for authenticated
  encryption", cipher_authlen != 0: chacha20-poly1305@openssh.com, aes*-gcm@openssh.com); match_list stops
  reading a list at its first empty entry and reads at most MAX_PROP = 40 names of the server's list. A
  client failure prints "Unable to negotiate with HOST port N: no matching cipher found. Their offer: ..."
  (packet.c sshpkt_vfatal, ssherr.c).
* paramiko (transport.py Transport._parse_kex_init, 5.1.0): requires a common MAC even for AEAD ciphers
  (aes*-gcm@openssh.com), checks kex, host key, both ciphers, both MACs, both compressions, and raises
  "Incompatible ssh peer (no acceptable kex algorithm)" / "... (no acceptable host key)" / "Incompatible ssh
  server (no acceptable ciphers|macs|compression)". It drops ext-info-* and kex-strict-* from the peer's list.
  As a server without a moduli file (the default unless the application calls load_server_moduli()),
  Transport._send_kex_init advertises diffie-hellman-group-exchange-* but removes them from the list it
  negotiates with, so it never agrees to them.
* AsyncSSH (connection.py SSHConnection._process_kexinit and _choose_alg, 2.x): skips the MAC when the
  cipher does not need one (encryption.py encryption_needs_mac: chacha20-poly1305, aes-gcm); a client checks
  kex, ciphers, MACs, compressions and the host key last (in the kex reply); a server checks the host key
  right after kex; "No matching <type> algorithm found, sent <ours> and received <theirs>".
* JSch (KeyExchange.guess; 0.1.55 = github.com/mwiede/jsch commit 635c0bcf, 0.2.x = tag jsch-0.2.26): checks the
  ten lists in wire order (kex, host key, cipher c2s, s2c, MAC c2s, s2c, compression c2s, s2c) and needs a
  common entry in each, the MAC too: 0.2.x only marks the MAC "<implicit>" after the guess, so an AEAD cipher
  without a common MAC still fails. For each of its own names it scans the server's list and gives up at the
  first empty entry there ("if (m == l) throw"), so an empty entry (Cerberus's "hmac-ripemd160,,hmac-md5")
  fails the category unless JSch's first name that the server lists comes before it. 0.1.x says "Algorithm
  negotiation fail"; 0.2.x JSchAlgoNegoFailException names the list and both proposals.
* PuTTY and WinSCP, which embeds PuTTY's SSH code (ssh/transport2.c ssh2_scan_kexinits, 0.81): kex and host
  key, then per direction cipher, MAC, compression (client-to-server first); a cipher with a required_mac
  (chacha20-poly1305, aes-gcm) takes its MAC without negotiating; "Couldn't agree a client-to-server cipher
  (available: ...)". When all lists agree, the kex, host key and each direction's cipher chosen are checked, in
  that order, against the client's WARN line (ssh2_scan_kexinits returns each chosen entry's ``warn`` flag, set
  by ssh2_write_kexinit_lists for everything after WARN; 0.70: ssh.c do_ssh2_transport): a pick below it is put
  to the user (ssh2_transport_confirm_weak_crypto_primitive), and in batch mode (plink/pscp/psftp -batch, WinSCP
  scripting) the connection is abandoned at the first one (unix/console.c console_confirm_weak_crypto_primitive:
  "Connection abandoned."). The WARN line comes from the client's ``below_warn`` (putty_settings.py). After those,
  0.80 and later (and Debian 12's 0.78 backport) ask again when the server does not do strict kex and a
  direction's cipher is ChaCha20-Poly1305 or CBC with an ETM MAC (terrapin_vulnerable), for clients whose
  profile says ``putty_terrapin_warning``. FileZilla's fzsftp (3.63.0, src/putty, a fork of PuTTY of about 0.76)
  scans as PuTTY does but never asks: unix/uxcons.c and windows/wincons.c console_confirm_weak_crypto_primitive
  print "The first %s supported by the server is %s, which is no longer secure. Aborting connection." and refuse.
  Which "could not agree" sentence a release prints is its profile's (``putty_no_agreement_message``: 0.80-0.82
  and WinSCP 6.3 say 'Selected %s "<the server's list>" does not correspond to any supported algorithm').
* Node's ssh2 (npm, lib/protocol/kex.js, 1.17.0): wire order, MAC skipped for AEAD ciphers, "Handshake failed: no
  matching C->S cipher" (class NodeSsh2).
* libssh2 (src/kex.c kex_agree_methods, 1.11.1): kex (with a host key that suits it), host key, both ciphers,
  both MACs (skipped for ciphers with their own MAC, _libssh2_mac_override), both compressions.
* Anything else: RFC 4253 section 7.1 with OpenSSH's PROTOCOL rule for the @openssh.com AEAD ciphers (no
  MAC needed), which is what every implementation that supports those ciphers follows.

Pseudo-algorithms (ext-info-c/s RFC 8308, kex-strict-c/s-v00@openssh.com, kexguess2@matt.ucc.asn.au) are
never negotiated.

Guessed first key-exchange packets (RFC 4253 section 7: ``first_kex_packet_follows``; the guess is the sender's
first kex and first host-key algorithm, "wrong" when either differs from the peer's first, and a wrong guess is
"silently ignored"). A handshake works only when the sender and the receiver judge the guess alike: if the
receiver uses the guessed packet but the sender thinks it wrong, the sender sends its key-exchange packet again
and the receiver, having finished, meets an unexpected packet; if the receiver drops it but the sender thinks it
right, both wait. Each side's rule, from source:

* dropbear (common-kex.c send_msg_kexinit, cli-session.c cli_send_kex_first_guess and cli_sessionloop,
  common-algo.c buf_match_algo, common-kex.c switch_keys; identical at DROPBEAR_2022.83 and DROPBEAR_2026.94): the
  client always guesses (sysoptions.h DROPBEAR_KEX_FIRST_FOLLOWS 1; the server never does): it sets
  first_kex_packet_follows and sends the KEXDH_INIT of its first kex right after its KEXINIT. Its guess is right
  (our_first_follows_matches) when, for kex and host key, the client's first name is also the server's first name,
  or, when both lists carry kexguess2@matt.ucc.asn.au, when the client's first name is on the server's list at all;
  otherwise it sends its KEXDH_INIT again once it has the server's KEXINIT. As a receiver it ignores the next
  packet (ses.ignorenext) by the same rule.
* OpenSSH (kex.c kex_input_kexinit, proposals_match, V_9_2_P1 .. V_10_5_P1): never guesses (kex_send_kexinit
  writes 0); skips the next packet (dispatch_skip_packets) unless the first kex and the first host-key names of
  both lists are equal: RFC 4253's rule.
* AsyncSSH (connection.py SSHConnection._process_kexinit, 2.24.1): never guesses; ignores the next kex packet
  (_ignore_first_kex) only when the kex it chose is not the peer's first kex name, whatever the host keys. When
  it used the guess and the client then sends its KEXDH_INIT again, the key exchange is over (send_newkeys sets
  _kex to None) and _recv_packet disconnects: "Key exchange not in progress".
* ProFTPD mod_sftp (contrib/mod_sftp/kex.c get_session_names and sftp_kex_handle, v1.3.8): uses the guess when
  the client's first kex name equals its own first, whatever the host keys; otherwise reads and drops it.
* paramiko (transport.py Transport._parse_kex_init, 5.1.0): reads first_kex_packet_follows and only logs it: the
  guessed packet is always handed to the chosen kex engine, and a second KEXDH_INIT is "Expecting packet from
  (21,), got 30" (MessageOrderError).
* PuTTY 0.78, libssh2, libssh 0.10, JSch, OpenSSH 9.2, paramiko and AsyncSSH clients send false (their wire
  KEXINITs, checked by tests/live/test_client_profiles.py); no server above guesses, so how they would receive a
  server's guess is not read from their source and is taken as RFC 4253's rule, like anything else's.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import (
    BASE_ORDER,
    CATEGORY,
    KEX_GUESS_DROPBEAR,
    LIST_KEY,
    NEGOTIATED_KEY,
    POST_QUANTUM_KEX,
    PSEUDO_ALGORITHMS,
    SLOTS,
    STRICT_KEX_CLIENT,
    STRICT_KEX_SERVER,
    WIRE_ORDER,
    is_aead_cipher,
    is_cbc_cipher,
    is_chacha20_poly1305,
    is_etm_mac,
    terrapin_pair,
)
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon_logs import OPENSSH_WORDS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.putty_settings import ALGORITHM_TYPE, \
    HOST_KEY_CACHE_ID, WARN_ORDER, filezilla_warn_message, terrapin_message, warn_message, weak_cached_host_key_message

_C2S = tuple(slot for slot in BASE_ORDER if slot[1] == 'c2s')
_S2C = tuple(slot for slot in BASE_ORDER if slot[1] == 's2c')
_KEX_HK = tuple(slot for slot in BASE_ORDER if slot[1] is None)


def _plain(category):
    return CATEGORY[category].words


class Implementation:
    """How one SSH implementation negotiates, as the role it plays (client or server)."""

    name = 'RFC 4253'
    aead_needs_common_mac = False
    stops_at_empty_entry = False
    # JSch: an empty entry in the peer's list ends the search for the name being looked up, with a failure.
    empty_entry_aborts = False
    max_server_names = None
    # Names this implementation advertises as a server but cannot agree to.
    server_advertised_not_negotiable = frozenset()
    # Guessed first kex packets: whether it sends one as a client when the proposal does not say, and how it
    # judges a guess, its own as a sender and the peer's as a receiver (see the module docstring):
    # 'rfc' (first kex and first host key equal), 'kexguess2' (dropbear), 'chosen_kex' (AsyncSSH),
    # 'first_kex' (ProFTPD), 'ignored' (paramiko: always uses the guessed packet).
    client_sends_guess = False
    guess_rule = 'rfc'

    def guess_is_right(self, role, client, server, chosen_kex, sender):
        """Whether this implementation (playing ``role``) takes the guess of ``sender`` ('client' or 'server')
        as right: as a receiver it then uses the guessed packet, as a sender it does not send it again."""
        client_kex, server_kex = client['offer']['kex_algorithms'], server['offer']['kex_algorithms']
        client_hk, server_hk = (client['offer']['server_host_key_algorithms'],
                                server['offer']['server_host_key_algorithms'])
        sender_kex = client_kex if sender == 'client' else server_kex
        mine_kex = client_kex if role == 'client' else server_kex
        rule = self.guess_rule
        if rule == 'ignored':
            return True
        if rule == 'chosen_kex':
            return bool(sender_kex) and chosen_kex == sender_kex[0]
        if rule == 'first_kex':
            return _first(sender_kex) is not None and _first(sender_kex) == _first(mine_kex)
        if rule == 'kexguess2' and KEX_GUESS_DROPBEAR in client_kex and KEX_GUESS_DROPBEAR in server_kex:
            # common-algo.c buf_match_algo with kexguess2: the client's first name (i == 0) is the match.
            return (_first(client_kex) in set(server_kex) - PSEUDO_ALGORITHMS
                    and _first(client_hk) in set(server_hk))
        # RFC 4253 section 7 / kex.c proposals_match / buf_match_algo without kexguess2 (i == 0 && j == 0).
        return (_first(client_kex) is not None and _first(client_kex) == _first(server_kex)
                and _first(client_hk) is not None and _first(client_hk) == _first(server_hk))

    def warnings(self, proposal, kex, server=None):
        """What this implementation prints as a client once ``kex`` is agreed with ``server``, line by line."""
        return []

    def repeated_kex_packet(self, guessed_kex, chosen_kex):
        """What this implementation, as the receiver that used a guessed packet, does with the key-exchange packet
        the sender then sends again (None: not known from its source)."""
        return None

    def check_order(self, role):
        """The order in which this implementation checks categories (which failure it reports first)."""
        return BASE_ORDER

    def message(self, role, category, direction, mine, theirs):
        return 'no common %s%s (client offers %s; server offers %s)' % (
            _plain(category), ' ' + direction if direction else '',
            ','.join(mine if role == 'client' else theirs) or '<none>',
            ','.join(theirs if role == 'client' else mine) or '<none>')


class OpenSSH(Implementation):
    name = 'OpenSSH'
    stops_at_empty_entry = True
    max_server_names = 40   # match.c MAX_PROP
    # kex.c kex_choose_conf: "no matching %s found. Their offer: %s" with these words per category (one table,
    # shared with the daemon-log reader).
    WORDS = {category: words for words, category in OPENSSH_WORDS.items()}

    def check_order(self, role):
        # kex.c: kex, host key, then mode 0 (MODE_IN) and mode 1 (MODE_OUT); for a client MODE_IN is s2c.
        return _KEX_HK + ((_S2C + _C2S) if role == 'client' else (_C2S + _S2C))

    def message(self, role, category, direction, mine, theirs):
        return 'no matching %s found. Their offer: %s' % (self.WORDS[category], ','.join(theirs))

    # sshconnect.c warn_nonpq_kex (V_10_1_P1 .. V_10_5_P1), three logit() lines.
    NON_PQ_WARNING = ('** WARNING: connection is not using a post-quantum key exchange algorithm.',
                      '** This session may be vulnerable to "store now, decrypt later" attacks.',
                      '** The server may need to be upgraded. See https://openssh.com/pq.html')

    # sshconnect.c ssh_login (V_10_3_P1 .. V_10_5_P1, commit dd49a87bf), right after the banner exchange.
    NO_REKEY_WARNING = ('Warning: this server does not support rekeying.', 'This session will eventually fail')
    # compat.c compat_banner: the first pattern of check[] that the server's identification (after "SSH-2.0-")
    # matches (match_pattern_list, case-sensitive) sets the flags; only "Sun_SSH_1.0*" carries SSH_BUG_NOREKEY and
    # no pattern before it matches such a banner.
    NO_REKEY_PATTERN = 'Sun_SSH_1.0*'

    def warnings(self, proposal, kex, server=None):
        """The lines ssh prints: from V_10_3_P1, sshconnect.c ssh_login prints NO_REKEY_WARNING (logit) after the
        banner exchange when compat.c set SSH_BUG_NOREKEY for the server's identification (before the key exchange,
        so also when it then fails; listed only for a working connection, like every warning here); then the
        post-quantum warning (:meth:`_pq_warnings`). Both are logit(): LogLevel QUIET (ssh -q) hides them."""
        lines = []
        version = _version_tuple((proposal.get('software') or {}).get('version'))
        if version >= (10, 3) and server is not None and fnmatch.fnmatchcase(_remote_version(server) or '',
                                                                             self.NO_REKEY_PATTERN):
            lines += list(self.NO_REKEY_WARNING)
        return lines + self._pq_warnings(proposal, kex, version)

    def _pq_warnings(self, proposal, kex, version):
        """sshconnect.c ssh_login (V_10_1_P1 .. V_10_5_P1) calls warn_nonpq_kex after the key exchange when
        KexAlgorithms was not set (readconf.c fill_default_options: options.kex_algorithms_set), WarnWeakCrypto is on
        (readconf.c multistate_warnweakcrypto: yes/true; no, false and no-pq-kex turn it off; default yes) and
        kex-names.c kex_is_pq_from_name is false for the agreed kex (kexalgs[] KEX_IS_PQ: the sntrup761x25519 pair,
        mlkem768x25519-sha256, and mlkem768nistp256-sha256 from V_10_5_P1). The lines are logit(), so LogLevel
        QUIET (ssh -q) hides them. Absent before V_10_1_P1 (commit 0e1b8aa27)."""
        if kex in POST_QUANTUM_KEX or proposal.get('kex_algorithms_set') or proposal.get('warn_weak_crypto') is False:
            return []
        if version < (10, 1):
            return []
        return list(self.NON_PQ_WARNING)


class Paramiko(Implementation):
    name = 'paramiko'
    aead_needs_common_mac = True
    guess_rule = 'ignored'   # transport.py _parse_kex_init: kex_follows is only logged

    def repeated_kex_packet(self, guessed_kex, chosen_kex):
        if _same_kex_method(guessed_kex, chosen_kex):
            # The guess completed the exchange; transport.py run(): the kex engine no longer expects packet 30.
            return 'Expecting packet from (21,), got 30'
        return ('the guessed %s packet is parsed as a %s one (an error such as "Unsupported elliptic curve point '
                'type")' % (guessed_kex, chosen_kex))
    server_advertised_not_negotiable = frozenset(('diffie-hellman-group-exchange-sha1',
                                                  'diffie-hellman-group-exchange-sha256'))

    def check_order(self, role):
        return WIRE_ORDER

    def message(self, role, category, direction, mine, theirs):
        return {
            'kex': 'Incompatible ssh peer (no acceptable kex algorithm)',
            'host_key': 'Incompatible ssh peer (no acceptable host key)',
            'cipher': 'Incompatible ssh server (no acceptable ciphers)',
            'mac': 'Incompatible ssh server (no acceptable macs)',
            'compression': 'Incompatible ssh server (no acceptable compression)',
        }[category]


class AsyncSSH(Implementation):
    name = 'AsyncSSH'
    guess_rule = 'chosen_kex'   # connection.py _process_kexinit: _ignore_first_kex

    def repeated_kex_packet(self, guessed_kex, chosen_kex):
        # connection.py send_newkeys sets _kex to None; _recv_packet then refuses kex packets.
        return 'Key exchange not in progress'

    def check_order(self, role):
        # A client checks the host key last (in the kex reply); a server in wire order.
        return (WIRE_ORDER[:1] + WIRE_ORDER[2:] + WIRE_ORDER[1:2]) if role == 'client' else WIRE_ORDER

    def message(self, role, category, direction, mine, theirs):
        if category == 'host_key' and role == 'server':
            return 'Unable to find compatible server host key'
        words = {'kex': 'key exchange', 'host_key': 'host key', 'cipher': 'encryption', 'mac': 'MAC',
                 'compression': 'compression'}
        return 'No matching %s algorithm found, sent %s and received %s' % (
            words[category], ','.join(mine) or '<None>', ','.join(theirs) or '<None>')


class JSch(Implementation):
    name = 'JSch'
    aead_needs_common_mac = True
    empty_entry_aborts = True
    # JSchAlgoNegoFailException's algorithmName: KeyExchange.java's PROPOSAL_* names.
    _LIST_NAMES = {slot: ('server_host_key' if slot[0] == 'host_key' else slot[0]) + ('.' + slot[1] if slot[1] else '')
                   for slot in SLOTS}

    def check_order(self, role):
        return WIRE_ORDER

    def message(self, role, category, direction, mine, theirs):
        client, server = (mine, theirs) if role == 'client' else (theirs, mine)
        return 'Algorithm negotiation fail: algorithmName="%s" jschProposal="%s" serverProposal="%s"' % (
            self._LIST_NAMES[(category, direction)], ','.join(client), ','.join(server))


class PuTTY(Implementation):
    """Checks in the base order (kex, host key, then client-to-server before server-to-client)."""
    name = 'PuTTY'
    # ssh/transport2.c kexlist_descr[]: "Couldn't agree a %s (available: %.*s)".
    WORDS = {
        ('kex', None): 'key exchange algorithm', ('host_key', None): 'host key algorithm',
        ('cipher', 'c2s'): 'client-to-server cipher', ('cipher', 's2c'): 'server-to-client cipher',
        ('mac', 'c2s'): 'client-to-server MAC', ('mac', 's2c'): 'server-to-client MAC',
        ('compression', 'c2s'): 'client-to-server compression method',
        ('compression', 's2c'): 'server-to-client compression method',
    }

    def message(self, role, category, direction, mine, theirs):
        return "Couldn't agree a %s (available: %s)" % (self.WORDS[(category, direction)], ','.join(theirs))


class Libssh2(Implementation):
    name = 'libssh2'

    def check_order(self, role):
        return WIRE_ORDER


class Dropbear(Implementation):
    """common-kex.c switch_keys checks kex, host key, then the ciphers, MACs and compressions in wire order."""
    name = 'dropbear'
    client_sends_guess = True   # sysoptions.h DROPBEAR_KEX_FIRST_FOLLOWS 1; cli-session.c cli_session_init
    guess_rule = 'kexguess2'

    def check_order(self, role):
        return WIRE_ORDER


class NodeSsh2(Implementation):
    """The npm package ssh2 (lib/protocol/kex.js handleKexInit, 1.17.0): kex, host key, cipher c2s, s2c, MAC c2s, s2c
    (skipped for a cipher whose CIPHER_INFO authLen > 0: the AES-GCM and chacha20-poly1305 ciphers), compression
    c2s, s2c, each the client's first name the server lists; a failure is "Handshake failed: no matching ...". It
    sends no guess; a received one is used only when the chosen kex is the sender's first
    (``clientList[i] !== remote.kex[0]`` sets _skipNextInboundPacket), whatever the host keys."""
    name = 'Node ssh2'
    guess_rule = 'chosen_kex'
    WORDS = {('kex', None): 'key exchange algorithm', ('host_key', None): 'host key format',
             ('cipher', 'c2s'): 'C->S cipher', ('cipher', 's2c'): 'S->C cipher',
             ('mac', 'c2s'): 'C->S MAC', ('mac', 's2c'): 'S->C MAC',
             ('compression', 'c2s'): 'C->S compression', ('compression', 's2c'): 'S->C compression'}

    def check_order(self, role):
        return WIRE_ORDER

    def message(self, role, category, direction, mine, theirs):
        return 'Handshake failed: no matching %s' % self.WORDS[(category, direction)]


class ProftpdSftp(Implementation):
    name = 'ProFTPD mod_sftp'
    guess_rule = 'first_kex'   # contrib/mod_sftp/kex.c get_session_names: only the kex names are compared


IMPLEMENTATIONS = {'OpenSSH': OpenSSH(), 'OpenSSH for Windows': OpenSSH(), 'paramiko': Paramiko(),
                   'AsyncSSH': AsyncSSH(), 'JSch': JSch(), 'PuTTY': PuTTY(), 'WinSCP': PuTTY(),
                   'FileZilla': PuTTY(), 'libssh2': Libssh2(),
                   'dropbear': Dropbear(), 'ProFTPD mod_sftp': ProftpdSftp(), 'Node ssh2': NodeSsh2()}
GENERIC = Implementation()


def implementation_for(software):
    """The negotiation rules for a ``{product, version}`` dict (generic RFC rules when unknown)."""
    if not software:
        return GENERIC
    return IMPLEMENTATIONS.get(software.get('product'), GENERIC)


def _version_tuple(version):
    """``'10.1p1'`` -> ``(10, 1)``; ``()`` when no version can be read."""
    numbers = []
    for part in (version or '').split('.')[:2]:
        digits = ''
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def _remote_version(proposal):
    """What OpenSSH's kex.c kex_exchange_identification reads after "SSH-x.y-" (``%[^\\n]``) from the peer's
    identification: the ``banner`` of the proposal; without one, the raw software name when it has no version
    (hello.parse_software keeps an unknown banner whole as ``product``); else None."""
    banner = proposal.get('banner')
    if banner and banner.startswith('SSH-') and banner.count('-') >= 2:
        return banner.split('-', 2)[2]
    software = proposal.get('software') or {}
    if software.get('product') and not software.get('version'):
        return software['product']
    return None


def _first(names):
    return names[0] if names else None


# Names of one method (the same packets): RFC 8731 section 3.1 and OpenSSH kex-names.c.
_SAME_METHOD = ({'curve25519-sha256', 'curve25519-sha256@libssh.org'},
                {'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com'})


def _same_kex_method(one, other):
    return one == other or any(one in names and other in names for names in _SAME_METHOD)


def _sends_guess(proposal, impl, role):
    follows = proposal.get('first_kex_packet_follows')
    if follows is None:
        return impl.client_sends_guess if role == 'client' else False
    return follows


def _guess_failure(client, server, client_impl, server_impl, chosen_kex):
    """The failure a guessed first key-exchange packet causes although every list agrees, or None."""
    for sender, sender_impl, receiver, receiver_impl in (('client', client_impl, 'server', server_impl),
                                                         ('server', server_impl, 'client', client_impl)):
        proposal = client if sender == 'client' else server
        if not _sends_guess(proposal, sender_impl, sender):
            continue
        guessed = _first(proposal['offer']['kex_algorithms'])
        right = sender_impl.guess_is_right(sender, client, server, chosen_kex, sender)
        used = receiver_impl.guess_is_right(receiver, client, server, chosen_kex, sender)
        if right == used:
            continue
        if used:
            words = receiver_impl.repeated_kex_packet(guessed, chosen_kex)
            message = ('%s (%s) %s: it used the guessed first key-exchange packet (%s; first_kex_packet_follows, '
                       'RFC 4253 section 7), which the %s (%s) judged wrong and sent again' % (
                           receiver, receiver_impl.name,
                           'fails: %s' % words if words else 'meets a second key-exchange packet',
                           guessed, sender, sender_impl.name))
        else:
            message = ('%s (%s) ignores the guessed first key-exchange packet (%s; first_kex_packet_follows, RFC 4253 '
                       'section 7) that the %s (%s) judged right: both wait until a timeout' % (
                           receiver, receiver_impl.name, guessed, sender, sender_impl.name))
        return {'category': 'kex', 'direction': None, 'client': list(client['offer']['kex_algorithms']),
                'server': list(server['offer']['kex_algorithms']), 'message': message,
                'detected_by': receiver if used else 'both', 'reason': 'kex_guess'}
    return None


def _view(proposal, key, impl, is_server_list, role):
    """A name-list as ``impl`` (playing ``role``) reads it: cut at the first empty entry, capped, and, for its
    own list as a server, without what it advertises but cannot agree to."""
    names = proposal['offer'][key]
    if names is None:
        return None
    if is_server_list and role == 'server' and impl.server_advertised_not_negotiable:
        names = [name for name in names if name not in impl.server_advertised_not_negotiable]
    if impl.stops_at_empty_entry:
        cut = proposal.get('empty_entries', {}).get(key)
        if cut is not None:
            names = names[:cut]
    if is_server_list and impl.max_server_names is not None:
        names = names[:impl.max_server_names]
    return names


def _choose(client_names, server_names):
    server_set = set(server_names)
    for name in client_names:
        if name in server_set and name not in PSEUDO_ALGORITHMS:
            return name
    return None


def _side_outcome(client, server, impl, role):
    """What one implementation computes: ``({(category, direction): name or None}, failing slots, unknown slots)``.

    A slot is *unknown* when a list it needs is not known (a partial proposal): it is neither chosen nor failed.
    The MAC of a direction is not unknown when the cipher this implementation agreed on is AEAD and it ignores the
    MAC for those. Known MAC lists without a common name fail even when the cipher is not known: the logs that
    carry MACs without ciphers (Cerberus's "No common C2S mac") record exactly that failure."""
    chosen = {}
    failed = []
    unknown = []
    lists = {}
    for slot, key in LIST_KEY.items():
        lists[slot] = (_view(client, key, impl, False, role), _view(server, key, impl, True, role))
    for slot in BASE_ORDER:
        category, direction = slot
        client_names, server_names = lists[slot]
        if category == 'mac':
            cipher = chosen.get(('cipher', direction))
            if cipher is not None and is_aead_cipher(cipher) and not impl.aead_needs_common_mac:
                chosen[slot] = None   # "ignore mac for authenticated encryption"
                continue
        if client_names is None or server_names is None:
            chosen[slot] = None   # unknown (a partial proposal): neither chosen nor failed
            unknown.append(slot)
            continue
        if impl.empty_entry_aborts:
            name = _choose_until_empty_entry(client_names, server_names,
                                             server.get('empty_entries', {}).get(LIST_KEY[slot]))
        else:
            # The kex too is the client's first name the server has, whatever the host keys: RSA key exchange
            # (RFC 4432) has the server sign with its host key like any other method, and PuTTY 0.78
            # (ssh/transport2.c ssh2_scan_kexinits) and AsyncSSH 2.24.1 (connection.py _process_kexinit) pick it
            # by name alone: plink agreed rsa2048-sha256 with an AsyncSSH server holding only an Ed25519 key
            # (tests/live/test_client_server_matrix.py), and rsa1024-sha1 with Debian 12's ProFTPD 1.3.8 holding
            # only an ECDSA key (its mod_sftp log: "Session key exchange: rsa1024-sha1").
            name = _choose(client_names, server_names)
        chosen[slot] = name
        if name is None:
            failed.append(slot)
    return chosen, failed, unknown


def _choose_until_empty_entry(client_names, server_names, empty_at):
    """JSch's search: for each of the client's names in turn, read the server's list up to its first empty entry;
    reaching that entry without a match fails the category (KeyExchange.guess throws). A single empty entry at the
    very end ("a,b,") is never read as one: the scan stops at the end of the list first."""
    if empty_at is None or empty_at >= len(server_names):
        return _choose(client_names, server_names)
    # The scan for the client's first name either finds it before the empty entry or throws there, so no
    # later name of the client is ever looked up.
    if client_names and client_names[0] in server_names[:empty_at]:
        return client_names[0]
    return None


def negotiate(server, client):
    """Predict the negotiation of ``client`` connecting to ``server``; see the ``negotiate`` filter docs.

    Both are proposals already passed through ``proposal.normalize_proposal`` (``profiles.as_proposal`` turns a
    profile name or a user's dict into one): the edges normalize each server and each client once, and fleet
    reports then predict every pair.

    A partial proposal (a list that is ``None``, not known) is judged as far as it goes: ``unknown`` names the
    categories, in the client's check order, that could not be judged on either side, and nothing is guessed for
    them. ``compatible`` stays a bool meaning "no judged category fails" (its consumers treat it as one), so a
    definite "connects" is ``compatible and not unknown``. Filling unknown lists from a known profile happens at
    the edge (``profiles.fill_from_profile``), never here."""
    client_impl = implementation_for(client['software'])
    server_impl = implementation_for(server['software'])
    client_chosen, client_failed, client_unknown = _side_outcome(client, server, client_impl, 'client')
    server_chosen, server_failed, server_unknown = _side_outcome(client, server, server_impl, 'server')

    failures = []
    failing_slots = set(client_failed) | set(server_failed)
    # Both sides ran their own choice; where both succeeded but chose differently (one side could not see a
    # name the other chose), the key exchange breaks too.
    disagreements = [slot for slot in LIST_KEY if slot not in failing_slots
                     and client_chosen.get(slot) != server_chosen.get(slot)
                     and client_chosen.get(slot) is not None and server_chosen.get(slot) is not None]
    failing_slots |= set(disagreements)

    client_order = client_impl.check_order('client')
    for slot in client_order:
        if slot not in failing_slots:
            continue
        category, direction = slot
        key = LIST_KEY[slot]
        client_list = client['offer'][key]
        server_list = server['offer'][key]
        if slot in disagreements:
            detected_by = 'disagreement'
            message = ('client (%s) would choose %s but server (%s) would choose %s for %s'
                       % (client_impl.name, client_chosen[slot], server_impl.name, server_chosen[slot],
                          NEGOTIATED_KEY[slot]))
        elif slot in client_failed:
            detected_by = 'both' if slot in server_failed else 'client'
            message = client_impl.message('client', category, direction, client_list, server_list)
            if client.get('no_agreement_message') and isinstance(client_impl, PuTTY):
                # A release that words "could not agree" its own way (0.80-0.82, Debian 12's 0.78; see their profiles).
                message = client['no_agreement_message'] % (PuTTY.WORDS[slot], ','.join(server_list))
        else:
            detected_by = 'server'
            message = 'server (%s) refuses: %s' % (
                server_impl.name, server_impl.message('server', category, direction, server_list, client_list))
        failures.append({'category': category, 'direction': direction, 'client': list(client_list),
                         'server': list(server_list), 'message': message, 'detected_by': detected_by,
                         'reason': 'disagreement' if slot in disagreements else 'no_common_algorithm'})

    client_kex = client['offer']['kex_algorithms'] or []
    server_kex = server['offer']['kex_algorithms'] or []
    strict = STRICT_KEX_CLIENT in client_kex and STRICT_KEX_SERVER in server_kex
    below_warn = _below_warn(client, server, client_chosen, client_failed)
    terrapin = [] if below_warn else _terrapin_questions(client, client_chosen, client_failed, strict)
    if below_warn:
        # Batch mode abandons at the first pick below the line; an interactive user is asked about each in turn.
        first = below_warn[0]
        slot = (first['category'], first['direction'])
        failures.append({
            'category': first['category'], 'direction': first['direction'],
            'client': list(client['offer'][LIST_KEY[slot]]), 'server': list(server['offer'][LIST_KEY[slot]]),
            'message': first['message'], 'detected_by': 'client', 'reason': 'below_warn_threshold',
            # What the server could offer so that PuTTY's pick is above the line (the client's names above it).
            'above_warn': [name for name in client['offer'][LIST_KEY[slot]]
                           if name not in client['below_warn'].get(first['category'], ())
                           and name not in PSEUDO_ALGORITHMS],
            'note': (weak_cached_host_key_message(first['algorithm'], first['not_stored_above_warn'])[1] + '. '
                     if first.get('not_stored_above_warn') else '') + _batch_note(
                client, 'it' if len(below_warn) == 1 else 'each of: ' + '; '.join(
                    '%s %s' % (NEGOTIATED_KEY[(item['category'], item['direction'])], item['algorithm'])
                    for item in below_warn), first),
        })
    elif terrapin:
        direction, what, message = terrapin[0]
        slot = ('cipher', direction)
        failures.append({
            'category': 'cipher', 'direction': direction,
            'client': list(client['offer'][LIST_KEY[slot]]), 'server': list(server['offer'][LIST_KEY[slot]]),
            'message': message, 'detected_by': 'client', 'reason': 'terrapin_warning',
            'note': _batch_note(client, 'it', {'category': 'cipher', 'direction': direction, 'algorithm': what}) + (
                '. It is asked because the server does not do strict key exchange (kex-strict-s-v00@openssh.com); a '
                'server that does, or that offers no %s, avoids it' % (
                    'chacha20-poly1305@openssh.com' if what == 'ChaCha20-Poly1305'
                    else 'encrypt-then-MAC MAC with a CBC cipher')),
        })

    chosen_kex = client_chosen.get(('kex', None))
    guess_lists = [proposal['offer'][key] for proposal in (client, server)
                   for key in ('kex_algorithms', 'server_host_key_algorithms')]
    if not failures and chosen_kex is not None and None not in guess_lists:
        # Every list agrees; a guessed first kex packet can still break the handshake.
        guess = _guess_failure(client, server, client_impl, server_impl, chosen_kex)
        if guess is not None:
            failures.append(guess)

    negotiated = {}
    for slot, name in NEGOTIATED_KEY.items():
        negotiated[name] = None if slot in failing_slots else client_chosen.get(slot)
    # What one side could not judge because a list is not known; a slot that the other side already fails on
    # (a paramiko server needing a MAC where an OpenSSH client might not) is a failure, not unknown.
    unknown = []
    if client_unknown or server_unknown:
        unknown_slots = (set(client_unknown) | set(server_unknown)) - failing_slots
        for category, _direction in client_order:
            if (category, _direction) in unknown_slots and category not in unknown:
                unknown.append(category)
    # Kept a plain bool for every consumer: "no category that could be judged fails". With ``unknown`` non-empty a
    # true value means only that nothing known fails: whether it connects cannot be told.
    compatible = not failures
    agreed_kex = negotiated[NEGOTIATED_KEY[('kex', None)]]
    post_quantum = bool(compatible and agreed_kex in POST_QUANTUM_KEX)
    return {
        'post_quantum': post_quantum,
        'warnings': client_impl.warnings(client, agreed_kex, server) if compatible and agreed_kex else [],
        'compatible': compatible,
        'negotiated': negotiated if any(value is not None for value in negotiated.values()) else None,
        'failures': failures,
        'strict_kex': strict,
        'terrapin_exposed': bool(compatible and not strict and _terrapin_pair(negotiated)),
        'client_software': client_impl.name,
        'server_software': server_impl.name,
        'partial': client['partial'] or server['partial'],
        'unknown': unknown,
        'below_warn_threshold': below_warn,
    }


def _below_warn(client, server, client_chosen, client_failed):
    """PuTTY's warning threshold: the client's picks (kex, host key, cipher c2s, cipher s2c, in the order PuTTY asks)
    that are below its WARN line, each ``{category, direction, algorithm, message}``. Only when PuTTY's own scan of
    both KEXINITs succeeded: a "Couldn't agree" ends the connection before any question."""
    below = client.get('below_warn')
    if not below or client_failed:
        return []
    picks = []
    for slot in WARN_ORDER:
        name = client_chosen.get(slot)
        if name is not None and name in below.get(slot[0], ()):
            filezilla = (client.get('software') or {}).get('product') == 'FileZilla'
            pick = {'category': slot[0], 'direction': slot[1], 'algorithm': name,
                    'message': (filezilla_warn_message if filezilla else warn_message)(slot, name)}
            if slot[0] == 'host_key':
                better = _better_host_keys(client, server, name)
                if better:
                    if (client.get('software') or {}).get('product') == 'WinSCP':
                        # WinSCP's confirm_weak_cached_hostkey returns SPR_OK (5.17.10: 1) without asking
                        # (source/core/PuttyIntf.cpp): the connection goes on.
                        continue
                    # Picked because its type is stored: PuTTY words the question differently (transport2.c).
                    pick['message'] = weak_cached_host_key_message(name, better)[0]
                    pick['not_stored_above_warn'] = better
            picks.append(pick)
    return picks


def _better_host_keys(client, server, chosen):
    """ssh/transport2.c: the host-key algorithms the server offers (in its order) that PuTTY knows, other than the
    one chosen, whose type PuTTY has not stored, and whose token is above WARN ("betteralgs")."""
    stored = client.get('stored_host_keys') or ()
    known = set(client['offer']['server_host_key_algorithms'] or ())
    below = set(client['below_warn'].get('host_key', ()))
    return [name for name in server['offer']['server_host_key_algorithms'] or ()
            if name in known and name != chosen and name not in below
            and HOST_KEY_CACHE_ID.get(name) not in stored]


def _batch_note(client, accept, first):
    """What happens to PuTTY's question in batch mode and interactively, in the words of the client's product."""
    if (client.get('software') or {}).get('product') == 'WinSCP':
        # source/core/SecureShell.cpp TSecureShell::AskAlg (WinSCP 5.17.10, 6.3.7): QueryUser(qaYes | qaNo); on No,
        # FatalError(ALG_NOT_VERIFIED "The %s %s was not verified!").
        return ('WinSCP asks whether to continue; scripting with batch abort (as the WinSCP .NET assembly runs it) '
                'answers No and fails with "The %s %s was not verified!"; an '
                'interactive user can accept %s' % (ALGORITHM_TYPE[(first['category'], first['direction'])],
                                                    first['algorithm'], accept))
    if (client.get('software') or {}).get('product') == 'FileZilla':
        # src/putty/unix/uxcons.c and windows/wincons.c console_confirm_weak_crypto_primitive (FileZilla 3.63.0).
        return 'FileZilla (its fzsftp) does not ask: it aborts the connection, interactive or not'
    return ('plink, pscp or psftp with -batch print this and "Connection abandoned."; an interactive user is asked '
            '"Continue with connection?" instead and can accept %s' % accept)


def _terrapin_questions(client, client_chosen, client_failed, strict):
    """PuTTY's Terrapin question (ssh/transport2.c terrapin_vulnerable, asked after the WARN questions, 0.80 and
    0.81; Debian 12's 0.78 carries the backport, putty 0.78-2+deb12u1 "Warn about Terrapin vulnerability for
    unpatched servers"): without strict kex, a direction whose cipher is ChaCha20-Poly1305, or a CBC cipher with an
    ETM MAC, is put to the user, client-to-server first. Returns ``[(direction, what PuTTY names, message)]``."""
    if not client.get('terrapin_warning') or client_failed or strict:
        return []
    questions = []
    for direction in ('c2s', 's2c'):
        cipher, mac = client_chosen.get(('cipher', direction)), client_chosen.get(('mac', direction))
        if not cipher:
            continue
        if is_chacha20_poly1305(cipher):
            what = 'ChaCha20-Poly1305'
        elif is_cbc_cipher(cipher) and mac and is_etm_mac(mac):
            what = 'a CBC-mode cipher in OpenSSH ETM mode'
        else:
            continue
        questions.append((direction, what, terrapin_message(('cipher', direction), what)))
    return questions


def _terrapin_pair(negotiated):
    """CVE-2023-48795 needs chacha20-poly1305, or a CBC cipher with an encrypt-then-MAC MAC, in a direction."""
    return terrapin_pair(negotiated['cipher_c2s'], negotiated['mac_c2s']) or \
        terrapin_pair(negotiated['cipher_s2c'], negotiated['mac_s2c'])
