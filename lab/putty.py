# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PuTTY (plink) and its FileZilla fork driven with saved-session settings, for the differential tests.

A PuTTY user changes algorithms through the ``Cipher``, ``KEX`` and ``HostKey`` lines of a saved session (the
order of tokens, with ``WARN`` somewhere); PuTTY adds the tokens a line leaves out at their default places
(settings.c gprefs). The engine predicts from those lines (``negotiate`` with ``putty_settings``), so the tests draw
random lines here and run real plink with them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, with_putty_settings

from .clients import LOOPBACK, draw, run_for_text

SETTING_KEYS = ('Cipher', 'KEX', 'HostKey')

# What plink says, matched on its output with whitespace collapsed (run_plink): the console wraps PuTTY's sentences at
# its own width.
PLINK_WARN = re.compile(r'The first (.+?) supported by the server is (\S+), which is below the configured warning '
                        r'threshold\.')
# The server refused after the KEXINITs (paramiko as a server needs a common MAC even for AES-GCM).
PLINK_CLOSED = re.compile(r'(Remote side|Server) unexpectedly closed network connection')
# plink -v: "Initialised AES-256 SDCTR (AES-NI accelerated) outbound encryption" once NEWKEYS is sent.
PLINK_INITIALISED = re.compile(r'Initialised .+? outbound encryption')
PLINK_CACHED = re.compile(r'The first host key type we have stored for this server is (\S+), which is below the '
                          r'configured warning threshold\.')
PLINK_TERRAPIN = re.compile(r"The (client-to-server cipher|server-to-client cipher) selected for this session is "
                            r"(.+?), which, with this server, is vulnerable to the 'Terrapin' attack CVE-2023-48795, "
                            r"potentially allowing an attacker to modify the encrypted session\.")
# "Couldn't agree a %s (available: ...)" (ssh/transport2.c); Debian 12's 0.78-2+deb12u2 build words the same failure
# 'Selected %s "<the server's list>" does not correspond to any supported algorithm' (its backport of the 0.80
# scan_kexinits refactor prints the SKR_UNKNOWN_ID text for SKR_NO_AGREEMENT; seen on the wire).
PLINK_DIRECTIONS = (r"(key exchange algorithm|host key algorithm|client-to-server cipher|server-to-client cipher|"
                    r"client-to-server MAC|server-to-client MAC|client-to-server compression method|"
                    r"server-to-client compression method)")
PLINK_AGREE = re.compile(r"Couldn't agree a %s|Selected %s \"[^\"]*\" does not correspond to any supported "
                         r"algorithm" % (PLINK_DIRECTIONS, PLINK_DIRECTIONS))
PLINK_AGREE_SLOT = {'key exchange algorithm': ('kex', None), 'host key algorithm': ('host_key', None),
                    'client-to-server cipher': ('cipher', 'c2s'), 'server-to-client cipher': ('cipher', 's2c'),
                    'client-to-server MAC': ('mac', 'c2s'), 'server-to-client MAC': ('mac', 's2c'),
                    'client-to-server compression method': ('compression', 'c2s'),
                    'server-to-client compression method': ('compression', 's2c')}


def random_putty_settings(rng, profile):
    """Saved-session lines as a user might have them: for each of ``Cipher``, ``KEX`` and ``HostKey`` a random
    order of a random subset (at least half) of the release's tokens from ``profile``'s ``putty_tokens``."""
    tables = load_profile(profile)['putty_tokens']
    settings = {}
    for key in SETTING_KEYS:
        tokens = [entry[0] for entry in tables[key]]
        settings[key] = ','.join(draw(rng, tokens, max(1, len(tokens) // 2), len(tokens)))
    return settings


def _putty_client_lists(offer):
    """The lists a PuTTY session's settings decide, from a client KEXINIT offer (kex without pseudo-algorithms),
    to compare the wire with the engine's derivation."""
    return {'kex': [name for name in offer['kex_algorithms'] if name not in PSEUDO_ALGORITHMS],
            'host_key': offer['server_host_key_algorithms'],
            'cipher': offer['encryption_algorithms_client_to_server']}


def derived_lists_problems(client, client_hello):
    """``[]`` when the lists the engine derives from a PuTTY client's session lines (``client`` as ``negotiate``
    takes it, with ``putty_settings``) are those of the KEXINIT it really sent (``client_hello``; None when it hung up
    before sending one: nothing to compare), else the one problem."""
    if client_hello is None:
        return []
    derived = _putty_client_lists(with_putty_settings(client))
    sent = _putty_client_lists(client_hello.as_dict()['offer'])
    return [] if derived == sent else ['client KEXINIT %s, derived from the session %s' % (sent, derived)]


def run_plink(home, session, settings, port, fingerprints, stored=(), timeout=20):
    """``plink -batch -v`` with a saved session and the host-key types ``stored`` for the server; returns its output
    with whitespace collapsed (the console wraps PuTTY's sentences at its own width).

    The session is ``home``/.putty/sessions/``session`` (unix/storage.c: one Key=Value per line); stored host keys
    go to ~/.putty/sshhostkeys as "<type>@<port>:<host> <key>" (PuTTY's have_ssh_host_key only asks whether an
    entry exists); the keys themselves are verified against ``fingerprints`` given with ``-hostkey``, as an
    operator pins them, since ``-batch`` refuses an unknown key before NEWKEYS."""
    sessions = os.path.join(home, '.putty', 'sessions')
    os.makedirs(sessions, exist_ok=True)
    with open(os.path.join(home, '.putty', 'sshhostkeys'), 'w') as handle:
        handle.write(''.join('%s@%d:%s 0x1\n' % (kind, port, LOOPBACK) for kind in stored))
    with open(os.path.join(sessions, session), 'w') as handle:
        handle.write(''.join('%s=%s\n' % item for item in sorted(settings.items())))
    pins = [arg for fingerprint in fingerprints for arg in ('-hostkey', fingerprint)]
    text = run_for_text(['plink', '-batch', '-v', '-load', session, '-ssh', '-P', str(port)] + pins
                        + ['-l', 'probe', LOOPBACK, 'true'], timeout, dict(os.environ, HOME=home))
    return ' '.join(text.split())
