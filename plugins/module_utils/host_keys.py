# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fetch a server's host key for one host-key algorithm by completing a key exchange with paramiko.

The KEXINIT alone names the host-key algorithms but not the keys. To learn a key's type, size and
fingerprint we must finish a key exchange in which the server signs with that key; paramiko does that,
and we stop right there: no authentication is ever attempted. Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import logging
import socket

try:
    import paramiko
    HAS_PARAMIKO = True
    PARAMIKO_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - depends on the environment
    paramiko = None
    HAS_PARAMIKO = False
    PARAMIKO_IMPORT_ERROR = _exc


def sha256_fingerprint(key_blob):
    """OpenSSH-style ``SHA256:<base64 without padding>`` fingerprint of a public-key blob."""
    digest = hashlib.sha256(key_blob).digest()
    return 'SHA256:' + base64.b64encode(digest).decode('ascii').rstrip('=')


def fetch_host_key(host, port, algorithm, timeout, client_banner=None):
    """Return ``{algorithm, type, bits, fingerprint_sha256, public_key}`` or ``{algorithm, error}``."""
    if not HAS_PARAMIKO:
        return {'algorithm': algorithm, 'error': 'paramiko is not installed: %s' % PARAMIKO_IMPORT_ERROR}
    logging.getLogger('paramiko').setLevel(logging.CRITICAL)
    sock = None
    transport = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(timeout)
        transport = paramiko.Transport(sock)
        if client_banner:
            transport.local_version = client_banner
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        try:
            # SecurityOptions refuses names paramiko does not implement.
            transport.get_security_options().key_types = [algorithm]
        except ValueError:
            return {'algorithm': algorithm, 'error': 'paramiko %s cannot verify host-key algorithm %s'
                    % (paramiko.__version__, algorithm)}
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        blob = key.asbytes()
        return {
            'algorithm': algorithm,
            'type': key.get_name(),
            'bits': key.get_bits(),
            'fingerprint_sha256': sha256_fingerprint(blob),
            'public_key': '%s %s' % (key.get_name(), base64.b64encode(blob).decode('ascii')),
        }
    except EOFError:
        return {'algorithm': algorithm, 'error': 'the server closed the connection during the key exchange for %s '
                '(it may offer the algorithm without holding a key of that type, or refuse every key exchange '
                'paramiko %s offers)' % (algorithm, paramiko.__version__)}
    except Exception as exc:  # paramiko raises many types; each becomes a per-algorithm error, never a crash
        text = str(exc) or exc.__class__.__name__
        return {'algorithm': algorithm, 'error': 'key exchange for %s failed: %s' % (algorithm, text[:300])}
    finally:
        if transport is not None:
            transport.close()
        elif sock is not None:
            sock.close()
