# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prove with a real handshake that a server completes key exchange with a given client's proposal.

An offer (the server's KEXINIT) only says what a server *names*. Whether it can *do* it shows only in a key
exchange: dropbear 2022.83 with only an Ed25519 key loaded offers ``rsa-sha2-256`` and hangs up when a client
picks it. This module runs one paramiko client handshake per client proposal:

1. The proposal is mapped onto what paramiko can speak (:func:`plan_proposal`, pure, no paramiko needed):
   each list keeps the client's own order and only the names paramiko implements, so that paramiko, which as a
   client takes the first name of *its* list that the server also offers (paramiko 5.1.0 transport.py
   ``Transport._parse_kex_init``; RFC 4253 section 7.1), chooses what the client would choose wherever it can.
   The lists are installed through ``Transport.get_security_options()`` (``SecurityOptions``: "Changing the
   contents and/or order of these fields affects the underlying Transport", it refuses names not in the
   ``_*_info`` tables), not through ``disabled_algorithms``, which can only remove names and keeps paramiko's
   order. ``kex-strict-c-v00@openssh.com`` in the client's list becomes ``Transport(strict_kex=True)`` (3.4+).
2. The handshake: banner, KEXINIT, the key exchange with the server's signature over the exchange hash checked
   by paramiko (``Transport._verify_key``: "Signature verification (...) failed"), NEWKEYS, then the service
   request for ``ssh-userauth`` (RFC 4253 section 10) and its MSG_SERVICE_ACCEPT, and nothing more: no
   authentication request is ever sent. ``paramiko.ServiceRequestingTransport`` (3.2+) is the transport whose
   handler table records MSG_SERVICE_ACCEPT (``_service_userauth_accepted``); its own ``ensure_session`` sends
   the request but then waits in an unbounded ``while`` loop, so this module sends the same message itself and
   waits with a deadline. Then MSG_DISCONNECT (RFC 4253 section 11.1, SSH_DISCONNECT_BY_APPLICATION) and close.
3. The host key the server signed with must be one of the expected fingerprints: given by the caller, or learned
   just before from the same server by :mod:`.host_keys` (through :func:`.probe.probe` with ``host_keys``).

paramiko 5.1.0 cannot speak, among others, ``chacha20-poly1305@openssh.com``, ``sntrup761x25519-sha512``,
``ssh-rsa`` (SHA-1 signatures; not in ``Transport._key_info``), ``ssh-dss``, umac MACs, ``hmac-sha1-etm``; it
knows ``curve25519-sha256`` only by its pre-standard name ``curve25519-sha256@libssh.org``, which RFC 8731
section 1 says is the same method, so that alias is used in its place. A client none of whose names paramiko
speaks in some category is not attempted: its result says so (``proven_by: prediction``) with the reason.

paramiko is imported guarded: on a node without it every result says so (``error.category: missing_library``).
No Ansible imports; the module ``handshake_info`` adapts it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import logging
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from .catalog import NAME_LIST_KEYS, PSEUDO_ALGORITHMS, SHORTHANDS, STRICT_KEX_CLIENT, is_aead_cipher, \
    is_certificate, is_valid_name
from .host_keys import sha256_fingerprint
from .probe import probe, validate_target

try:
    import paramiko
    from paramiko.common import cMSG_DISCONNECT, cMSG_SERVICE_REQUEST
    from paramiko.message import Message
    if not hasattr(paramiko, 'ServiceRequestingTransport'):
        # ServiceRequestingTransport is new in 3.2, Transport(strict_kex=...) in 3.4 (paramiko changelog).
        raise ImportError('paramiko %s is too old: 3.4 or newer is needed' % paramiko.__version__)
    HAS_PARAMIKO = True
    PARAMIKO_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the node
    HAS_PARAMIKO = False
    PARAMIKO_IMPORT_ERROR = traceback.format_exc()

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
MAX_CLIENTS = 64
SSH_DISCONNECT_BY_APPLICATION = 11  # RFC 4253 section 11.1
CURVE25519_ALIAS = {'curve25519-sha256': 'curve25519-sha256@libssh.org'}  # RFC 8731 section 1

# paramiko keeps one list per category for both directions (Transport._send_kex_init adds preferred_ciphers,
# preferred_macs, preferred_compression twice), so the client-to-server list is the one that is mapped.
PARAMIKO_CATEGORIES = (
    # (paramiko SecurityOptions field, name-list key of the client's proposal, Transport table of known names)
    ('kex', 'kex_algorithms', '_kex_info'),
    ('key_types', 'server_host_key_algorithms', '_key_info'),
    ('ciphers', 'encryption_algorithms_client_to_server', '_cipher_info'),
    ('digests', 'mac_algorithms_client_to_server', '_mac_info'),
    ('compression', 'compression_algorithms_client_to_server', '_compression_info'),
)
_WORDS = {'kex': 'key exchange method', 'key_types': 'host-key algorithm', 'ciphers': 'cipher', 'digests': 'MAC',
          'compression': 'compression method'}
NEGOTIATED_NAMES = ('kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c', 'compression_c2s',
                    'compression_s2c')


class HandshakeInputError(ValueError):
    """A client proposal or option handed to the handshake is unusable; the message says where and why."""


def paramiko_capabilities():
    """``{SecurityOptions field: [names paramiko implements]}`` from the installed paramiko's ``Transport`` tables
    (the same tables ``SecurityOptions._set`` checks against), or None without paramiko."""
    if not HAS_PARAMIKO:
        return None
    return {field: list(getattr(paramiko.Transport, table)) for field, dummy, table in PARAMIKO_CATEGORIES}


def paramiko_version():
    return paramiko.__version__ if HAS_PARAMIKO else None


MISSING_PARAMIKO = 'the Python library paramiko (3.4 or newer) is not installed where this runs (pip install paramiko)'


def client_offer(client, where='client'):
    """The client's name-lists from a dict: ``offer`` (a normalized proposal or an algorithms_info-like result),
    the ten RFC 4253 keys, or the shorthands ``kex``, ``host_key``, ``ciphers``, ``macs``, ``compression``.
    Every name is checked (RFC 4251 section 6); a missing list is None."""
    if not isinstance(client, dict):
        raise HandshakeInputError('%s must be a dict with name and the proposal lists, got %s'
                                  % (where, type(client).__name__))
    source = client.get('offer') if isinstance(client.get('offer'), dict) else client
    offer = {}
    for key in NAME_LIST_KEYS:
        offer[key] = _names(source.get(key), '%s %s' % (where, key))
    for short, keys in SHORTHANDS.items():
        if short in source:
            names = _names(source[short], '%s %s' % (where, short))
            for key in keys:
                if offer[key] is None:
                    offer[key] = list(names)
    return offer


def _names(value, where):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(',') if value else []
    if not isinstance(value, (list, tuple)):
        raise HandshakeInputError('%s must be a list of algorithm names or a comma-separated string' % where)
    for name in value:
        if not isinstance(name, str) or not is_valid_name(name):
            raise HandshakeInputError('%s: %r is not a valid SSH algorithm name' % (where, name))
    return list(value)


def plan_proposal(offer, capabilities):
    """Map a client's name-lists onto what paramiko speaks.

    Returns ``{'options': {field: [names]}, 'strict_kex': bool, 'dropped': {list key: [names]}, 'aliases':
    {client name: paramiko name}, 'notes': [str], 'unspeakable': str or None}``. ``unspeakable`` is the reason
    why no handshake can stand in for this client (a category none of whose names paramiko speaks, or a list
    that is not known); ``options`` then is empty."""
    result = {'options': {}, 'strict_kex': False, 'dropped': {}, 'aliases': {}, 'notes': [], 'unspeakable': None}
    problems = []
    for field, key, dummy in PARAMIKO_CATEGORIES:
        names = offer.get(key)
        if names is None:
            problems.append('the client\'s %s list is not known' % key)
            continue
        known = set(capabilities.get(field, ()))
        chosen, dropped = [], []
        for name in names:
            if field == 'kex' and name in PSEUDO_ALGORITHMS:
                if name == STRICT_KEX_CLIENT:
                    result['strict_kex'] = True
                continue
            target = name
            if name not in known and CURVE25519_ALIAS.get(name) in known:
                target = CURVE25519_ALIAS[name]
                result['aliases'][name] = target
            if field == 'key_types' and is_certificate(name):
                # paramiko appends the certificate variant of every plain host-key type itself (Transport.preferred_keys)
                if name not in known:
                    dropped.append(name)
                continue
            if target in known:
                if target not in chosen:
                    chosen.append(target)
            else:
                dropped.append(name)
        if dropped:
            result['dropped'][key] = dropped
        if not chosen:
            problems.append('paramiko %s cannot speak any of the client\'s %ss (%s)'
                            % (paramiko_version() or '', _WORDS[field], ', '.join(names) or 'an empty list'))
        result['options'][field] = chosen
    for field, key in (('ciphers', 'encryption_algorithms_server_to_client'),
                       ('digests', 'mac_algorithms_server_to_client'),
                       ('compression', 'compression_algorithms_server_to_client')):
        c2s = offer.get(key.replace('server_to_client', 'client_to_server'))
        if offer.get(key) is not None and c2s is not None and offer[key] != c2s:
            result['notes'].append('paramiko proposes one %s list for both directions: the client\'s client-to-server '
                                   'list was used' % _WORDS[field])
    if problems:
        result['unspeakable'] = '; '.join(problems)
        result['options'] = {}
    return result


class _Messages(logging.Handler):
    """Keeps the last lines a transport logs (the server's disconnect reason, paramiko's exception text)."""

    def __init__(self):
        logging.Handler.__init__(self, logging.INFO)
        self.lines = []

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            return
        if not text.startswith('Traceback') and not text.startswith('  File '):
            self.lines = (self.lines + [text])[-6:]


_CHANNEL_LOCK = threading.Lock()
_FREE_CHANNELS = []
_CHANNEL_COUNTER = [0]


def _take_channel():
    """A logger name no running handshake uses; names are reused, so a long fleet run creates only as many loggers
    as handshakes ever ran at the same time (logging keeps every logger it made)."""
    with _CHANNEL_LOCK:
        if _FREE_CHANNELS:
            return _FREE_CHANNELS.pop()
        _CHANNEL_COUNTER[0] += 1
        return 'paramiko.transport.fleetcrypto.%d' % _CHANNEL_COUNTER[0]


def _give_channel(name):
    with _CHANNEL_LOCK:
        _FREE_CHANNELS.append(name)


class _KexName(logging.Filter):
    """Records the kex method paramiko agreed on from its log line "Kex: <name>" (Transport._parse_kex_init): the
    engine object that knows it is dropped at NEWKEYS."""

    def __init__(self):
        logging.Filter.__init__(self)
        self.name_seen = None

    def filter(self, record):
        if self.name_seen is None and isinstance(record.msg, str) and record.msg.startswith('Kex: '):
            self.name_seen = record.getMessage()[5:].strip()
        return True


def _negotiated(transport):
    cipher_c2s, cipher_s2c = transport.local_cipher or None, transport.remote_cipher or None
    return {
        'kex': None,  # the engine is gone after NEWKEYS; _Attempt records the name paramiko logs ("Kex: ...")
        'host_key': transport.host_key_type,
        'cipher_c2s': cipher_c2s,
        'cipher_s2c': cipher_s2c,
        'mac_c2s': None if cipher_c2s and is_aead_cipher(cipher_c2s) else transport.local_mac,
        'mac_s2c': None if cipher_s2c and is_aead_cipher(cipher_s2c) else transport.remote_mac,
        'compression_c2s': getattr(transport, 'local_compression', None),
        'compression_s2c': getattr(transport, 'remote_compression', None),
    }


def _failure_category(exc, lines):
    text = ' '.join(lines)
    if isinstance(exc, socket.timeout):
        return 'timeout'
    if isinstance(exc, EOFError):
        return 'closed'
    if HAS_PARAMIKO and isinstance(exc, paramiko.ssh_exception.IncompatiblePeer):
        return 'incompatible'
    if 'Signature verification' in str(exc):
        return 'signature'
    if str(exc).startswith('Error reading SSH protocol banner'):
        # paramiko's Transport._check_banner wraps the EOF or timeout of a server that hung up before (or
        # instead of) its identification line, as throttling does (sshd MaxStartups drops such connections)
        return 'no_banner'
    if 'Disconnect (code' in text:
        return 'disconnected'
    if isinstance(exc, (OSError, socket.error)):
        return 'connection'
    return 'protocol_error'


class _Attempt:
    """One paramiko client handshake; ``run`` never raises for network or peer problems."""

    def __init__(self, address, port, plan, expected, deadline, unverifiable=()):
        self.address = address
        self.port = port
        self.plan = plan
        self.expected = expected
        self.unverifiable = dict(unverifiable)  # host-key algorithm -> why the probe could not learn its key
        self.deadline = deadline
        self.kex_name = None

    def left(self):
        return self.deadline - time.monotonic()

    def run(self):
        messages = _Messages()
        kex_name = _KexName()
        channel = _take_channel()
        logger = logging.getLogger(channel)
        logger.addHandler(messages)
        logger.addFilter(kex_name)
        logger.setLevel(logging.DEBUG)  # the "Kex: <name>" line is DEBUG
        logger.propagate = False
        transport = None
        self.kex_name = kex_name
        try:
            if self.left() <= 0:
                raise socket.timeout('no time left before the handshake')
            sock = socket.create_connection((self.address, self.port), timeout=max(0.1, self.left()))
            transport = paramiko.ServiceRequestingTransport(sock, strict_kex=self.plan['strict_kex'])
            transport.set_log_channel(channel)
            # paramiko's own timers (banner wait, Packetizer handshake timer, which ends in an EOFError that looks like
            # a server hang-up) run a second longer than our deadline, so that silence is always reported as timeout.
            transport.banner_timeout = transport.handshake_timeout = max(0.1, self.left()) + 1
            options = transport.get_security_options()
            options.kex = self.plan['options']['kex']
            options.key_types = self.plan['options']['key_types']
            options.ciphers = self.plan['options']['ciphers']
            options.digests = self.plan['options']['digests']
            options.compression = self.plan['options']['compression']
            return self._handshake(transport, messages)
        except Exception as exc:  # pylint: disable=broad-except
            return self._failed(exc, messages.lines, transport)
        finally:
            finished = True
            if transport is not None:
                transport.close()
                # close() stops the reader without waiting for it; give its thread a bounded moment so that nothing
                # it still logs lands in the next handshake that takes this logger name.
                if transport.is_alive():
                    transport.join(1.0)
                finished = not transport.is_alive()
            logger.removeHandler(messages)
            logger.removeFilter(kex_name)
            if finished:
                _give_channel(channel)

    def _handshake(self, transport, messages):
        transport.start_client(timeout=max(0.1, self.left()))
        try:
            key = transport.get_remote_server_key()
        except paramiko.SSHException:
            raise socket.timeout('the key exchange did not finish in time')
        fingerprint = sha256_fingerprint(key.asbytes())
        negotiated = _negotiated(transport)
        negotiated['kex'] = self.kex_name.name_seen
        host_key = {'algorithm': transport.host_key_type, 'type': key.get_name(), 'fingerprint_sha256': fingerprint,
                    'expected': fingerprint in self.expected if self.expected else None}
        if self.expected and fingerprint not in self.expected and transport.host_key_type in self.unverifiable:
            # The probe could not learn this algorithm's key (the fetch failed), so there is nothing to check it
            # against: the handshake completed, but this is no proof of the key.
            self._disconnect(transport)
            host_key['expected'] = None
            result = _result(False, None, None, negotiated, host_key, transport)
            result.update(proven_by='prediction', error=None, reason='the handshake completed, but host key %s (%s) could not '
                          'be checked: the host-key probe could not fetch the server\'s %s key (%s)' % (
                              fingerprint, transport.host_key_type, transport.host_key_type,
                              self.unverifiable[transport.host_key_type]))
            return result
        if self.expected and fingerprint not in self.expected:
            self._disconnect(transport)
            return _result(False, 'host_key_mismatch', 'the server signed the key exchange with host key %s (%s), '
                           'which is not among the expected fingerprints %s' % (fingerprint, transport.host_key_type,
                                                                                ', '.join(self.expected)),
                           negotiated, host_key, transport)
        message = Message()
        message.add_byte(cMSG_SERVICE_REQUEST)
        message.add_string('ssh-userauth')
        transport._send_message(message)  # pylint: disable=protected-access
        while not transport._service_userauth_accepted:  # pylint: disable=protected-access
            if not transport.is_active():
                exc = transport.saved_exception
                return self._failed(exc or EOFError('the server closed the connection after the service request'),
                                    messages.lines, transport, negotiated, host_key, stage='service request')
            if self.left() <= 0:
                return _result(False, 'timeout', 'no MSG_SERVICE_ACCEPT for ssh-userauth in time', negotiated,
                               host_key, transport)
            time.sleep(0.02)
        self._disconnect(transport)
        return _result(True, None, None, negotiated, host_key, transport)

    @staticmethod
    def _disconnect(transport):
        try:
            message = Message()
            message.add_byte(cMSG_DISCONNECT)
            message.add_int(SSH_DISCONNECT_BY_APPLICATION)
            message.add_string('fleetcrypto.sftp handshake check done')
            message.add_string('')
            transport._send_message(message)  # pylint: disable=protected-access
        except Exception:  # pylint: disable=broad-except
            pass

    def _failed(self, exc, lines, transport, negotiated=None, host_key=None, stage=None):
        # saved_exception is what paramiko's reader thread stored when it stopped (paramiko 5.1.0 transport.py
        # Transport.run); the Transport method that returns it also clears it, which nothing here needs: the
        # transport is closed right after.
        if transport is not None and exc is not None and not isinstance(exc, socket.timeout):
            exc = transport.saved_exception or exc
        if transport is not None and exc is None:
            exc = transport.saved_exception
        if negotiated is None and transport is not None and transport.host_key_type:
            negotiated = _negotiated(transport)
            negotiated['kex'] = self.kex_name.name_seen
        category = _failure_category(exc, lines) if exc is not None else (
            'disconnected' if any('Disconnect (code' in line for line in lines) else 'protocol_error')
        detail = str(exc) if exc is not None and str(exc) else (exc.__class__.__name__ if exc is not None else '')
        disconnect = [line for line in lines if line.startswith('Disconnect (code')]
        if category == 'closed':
            where = 'during the key exchange' if not host_key else 'after the key exchange'
            detail = 'the server closed the connection %s%s' % (
                where, ' (after picking host-key algorithm %s: a server that offers a host-key algorithm it holds '
                       'no key for, such as dropbear 2022.83, does this)' % negotiated['host_key']
                if negotiated and negotiated.get('host_key') and not host_key else '')
        elif category == 'no_banner':
            detail = 'the server sent no identification line before it closed or stopped (%s)' % detail
        elif category == 'timeout':
            detail = 'no answer in time (%s)' % (detail or 'timeout')
        if disconnect:
            detail = '%s; server said: %s' % (detail, disconnect[-1]) if detail else disconnect[-1]
        if stage:
            detail = '%s (at the %s)' % (detail, stage)
        return _result(False, category, detail or 'negotiation failed', negotiated, host_key, transport)


def _result(proven, category, message, negotiated, host_key, transport):
    return {
        'attempted': True,
        'proven': proven,
        'proven_by': 'handshake',
        'reason': None if proven else message,
        'error': None if proven else {'category': category, 'message': message},
        'negotiated': negotiated,
        'host_key': host_key,
        'strict_kex': bool(transport.agreed_on_strict_kex) if transport is not None else None,
        'server_banner': transport.remote_version if transport is not None and transport.remote_version else None,
    }


def _not_attempted(reason, category='unspeakable'):
    return {'attempted': False, 'proven': False, 'proven_by': 'prediction', 'reason': reason,
            'error': {'category': category, 'message': reason} if category == 'missing_library' else None,
            'negotiated': None, 'host_key': None, 'strict_kex': None, 'server_banner': None}


def _dropped_text(dropped):
    return '; '.join('%s: %s' % (key, ', '.join(names)) for key, names in dropped.items())


def _client_name(client, index):
    name = client.get('name') if isinstance(client, dict) else None
    return name if isinstance(name, str) and name else 'client %d' % (index + 1)


def check_fingerprints(values, where='expected_fingerprints'):
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise HandshakeInputError('%s must be a list of SHA256:... fingerprints' % where)
    for value in values:
        if not isinstance(value, str) or not value.startswith('SHA256:') or len(value) > 60 or ' ' in value:
            raise HandshakeInputError('%s: %r is not an OpenSSH SHA256 fingerprint (SHA256:<base64>)' % (where, value))
    return list(values)


def check_timeout(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
        raise HandshakeInputError('timeout must be a number of seconds in (0, 300], got %r' % (timeout,))
    return float(timeout)


def handshake_host(host, port, clients, expected_fingerprints=None, timeout=DEFAULT_TIMEOUT):
    """Run one handshake per client proposal against ``host``:``port``, one after the other, within ``timeout``
    seconds each (and the host-key probe within ``timeout``).

    Returns ``{host, port, failed, msg?, paramiko_version, expected_from, clients: [{name, attempted, proven,
    proven_by, reason, error, negotiated, host_key, strict_kex, dropped, aliases, notes, elapsed_ms}]}``. Only
    bad input or a host whose address cannot be reached at all makes ``failed`` true; a client whose handshake
    fails is ``proven: false`` with ``error``."""
    result = {'host': host, 'port': port, 'failed': False, 'paramiko_version': paramiko_version(),
              'expected_from': None, 'expected_fingerprints': [], 'clients': []}
    try:
        validate_target(host, port)
        timeout = check_timeout(timeout)
        expected = check_fingerprints(expected_fingerprints)
        if not isinstance(clients, (list, tuple)) or not clients:
            raise HandshakeInputError('clients must be a non-empty list of client proposals')
        if len(clients) > MAX_CLIENTS:
            raise HandshakeInputError('at most %d clients per host' % MAX_CLIENTS)
        offers = [client_offer(client, 'clients[%d]' % index) for index, client in enumerate(clients)]
    except ValueError as exc:
        result.update(failed=True, reason='invalid_input', msg=str(exc))
        return result
    names = [_client_name(client, index) for index, client in enumerate(clients)]
    if not HAS_PARAMIKO:
        result['clients'] = [dict(_not_attempted(MISSING_PARAMIKO, 'missing_library'), name=name) for name in names]
        return result
    capabilities = paramiko_capabilities()
    plans = [plan_proposal(offer, capabilities) for offer in offers]
    address = host
    unverifiable = {}
    if expected:
        result['expected_from'] = 'option'
    elif any(plan['unspeakable'] is None for plan in plans):
        learned = probe(host, port, timeout=timeout, host_keys=True)
        if learned.get('failed'):
            result.update(failed=True, reason=learned.get('reason'), msg='cannot probe the server for its host keys: %s'
                          % learned.get('msg'))
            return result
        address = learned.get('address') or host
        expected = []
        for entry in learned.get('host_keys') or []:
            if entry.get('fingerprint_sha256') and entry['fingerprint_sha256'] not in expected:
                expected.append(entry['fingerprint_sha256'])
            elif entry.get('error'):
                unverifiable[entry.get('algorithm')] = entry['error']
        result['expected_from'] = 'probe'
    result['expected_fingerprints'] = expected
    for name, plan in zip(names, plans):
        started = time.monotonic()
        if plan['unspeakable']:
            entry = _not_attempted(plan['unspeakable'])
        else:
            entry = _Attempt(address, port, plan, expected, started + timeout, unverifiable).run()
            if (entry['error'] or {}).get('category') == 'incompatible' and plan['dropped']:
                # paramiko found nothing in common only because the names it cannot speak were taken out: the
                # real client might well connect with them, so this says nothing about the client.
                entry.update(_not_attempted('with only what paramiko speaks there is nothing in common (%s); the '
                                            'client\'s names paramiko cannot speak: %s'
                                            % (entry['error']['message'], _dropped_text(plan['dropped']))),
                             attempted=True)
        entry.update(name=name, dropped=plan['dropped'], aliases=plan['aliases'], notes=plan['notes'],
                     elapsed_ms=int((time.monotonic() - started) * 1000))
        result['clients'].append(entry)
    return result


def handshake_many(targets, clients=None, expected_fingerprints=None, timeout=DEFAULT_TIMEOUT,
                   concurrency=DEFAULT_CONCURRENCY, port=22):
    """:func:`handshake_host` for each target (``{host, port?, clients?, expected_fingerprints?}``), at most
    ``concurrency`` hosts at a time, results in the order of ``targets``; a bad target is a failed entry."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise HandshakeInputError('concurrency must be an integer from 1 to %d' % MAX_CONCURRENCY)
    if not isinstance(targets, (list, tuple)):
        raise HandshakeInputError('targets must be a list of dicts with host and optional port, clients, '
                                  'expected_fingerprints')

    def one(target):
        if not isinstance(target, dict):
            return {'host': None, 'port': None, 'failed': True, 'reason': 'invalid_input', 'clients': [],
                    'msg': 'invalid target %r: must be a dict with host' % (target,)}
        return handshake_host(target.get('host'), target.get('port', port),
                              target.get('clients', clients),
                              target.get('expected_fingerprints', expected_fingerprints), timeout)

    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(targets))) as pool:
        return list(pool.map(one, targets))
