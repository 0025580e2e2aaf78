# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client proposals from records other engines already collect: Zeek ``ssh.log`` and Suricata ``eve.json``.

Both engines fingerprint each SSH client's SSH_MSG_KEXINIT with HASSH (Salesforce, now Corelight;
github.com/salesforce/hassh README.md "Client Fingerprinting - the hassh"): ``hasshAlgorithms`` is the client's
``kex_algorithms``, ``encryption_algorithms_client_to_server``, ``mac_algorithms_client_to_server`` and
``compression_algorithms_client_to_server`` name-lists as sent, joined with ``;``, and ``hassh`` its MD5 hex digest.
Those four lists are all a record carries of the proposal, so every proposal built here is *partial*:

* the server-to-client cipher, MAC and compression lists are left unknown (None). They are not assumed equal to
  the client-to-server ones: most clients send the same lists both ways, but nothing in the record says so, and
  ``negotiate`` reports what it cannot judge (``unknown``) or fills it from the built-in profile of the client's
  release (``profiles.fill_from_profile``) instead of guessing;
* the host-key list is unknown, except from Zeek's hassh package, which also logs the client's
  ``server_host_key_algorithms`` as ``cshka`` (salesforce/hassh zeek/hassh.zeek ``get_hassh``: "cshka =
  join_string_vec(capabilities$server_host_key_algorithms, ...)").

Fields read, per source:

* Zeek ``ssh.log`` with the hassh package (zkg ``hassh``; salesforce/hassh zeek/hassh.zeek adds ``hasshVersion``,
  ``hassh``, ``hasshServer``, ``cshka``, ``hasshAlgorithms``, ``sshka``, ``hasshServerAlgorithms`` to
  ``SSH::Info``; zeek/zeek doc/reference/logs/ssh.rst shows them beside ``ts``, ``uid``, ``id.orig_h``,
  ``client``, ``server``): ``hasshAlgorithms``, ``hassh``, ``cshka``, ``client`` (the client's whole
  identification line), ``id.orig_h``, ``ts``. Both of Zeek's formats: the ASCII TSV writer (``#separator``,
  ``#fields`` header lines, ``-`` for unset fields, ``\\xHH`` escapes, ``ts`` in epoch seconds) and JSON lines
  (``"id.orig_h"`` flat or ``id: {orig_h}`` nested; ``ts`` in epoch seconds or ISO 8601).
* Suricata ``eve.json`` events with ``event_type: ssh`` (OISF/suricata rust/src/ssh/logger.rs ``log_ssh``:
  ``ssh.client.proto_version``, ``ssh.client.software_version``, ``ssh.client.hassh.hash`` and
  ``ssh.client.hassh.string``; Suricata 6 wrote ``ssh.client.hassh`` and ``ssh.client.hassh_string`` instead),
  ``src_ip`` (the flow's client: src/output-json-ssh.c logs with ``LOG_DIR_FLOW``) and ``timestamp``. Suricata's
  ``software_version`` stops at the first space (rust/src/ssh/parser.rs ``ssh_parse_banner``), so the banner
  rebuilt from it, ``SSH-<proto_version>-<software_version>``, has no comments. Suricata computes hassh only with
  ``app-layer.protocols.ssh.hassh: yes``.

Every record is checked before it counts: the hassh digest must be the MD5 of the algorithms string, the string
must have exactly four ``;``-separated lists, every name must be a valid algorithm name (``catalog``), the banner
an SSH-2 identification line of printable ASCII, the address an IP address and the time a time. A record that
fails is skipped and counted by reason, never fatal; the input, its lines, the distinct proposals and the
addresses kept per proposal are all bounded.

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import ipaddress
import json
import math
import re

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import is_valid_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.hello import parse_software
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.wire import PeerError

SOURCES = ('zeek', 'suricata')
# The HASSH lists, in the order of the hasshAlgorithms string.
HASSH_KEYS = ('kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
              'compression_algorithms_client_to_server')
HOST_KEY_KEY = 'server_host_key_algorithms'

MAX_INPUT_CHARS = 64 * 1024 * 1024     # of log text read; the rest is reported as truncated
MAX_ITEMS = 1000000                    # lines (or events, when a list is given) read
MAX_LINE_CHARS = 65536                 # a longer line is skipped (line_too_long)
MAX_ALGORITHMS_CHARS = 16384           # a hasshAlgorithms / cshka string
MAX_BANNER_CHARS = 253                 # RFC 4253 section 4.2: 255 with CR LF
MAX_PROPOSALS = 10000                  # distinct proposals kept; later new ones are skipped (too_many_proposals)
MAX_TRACKED_ADDRESSES = 1000           # distinct addresses counted per proposal
MAX_ADDRESSES = 10                     # addresses returned per proposal, the most frequent first
MAX_ERRORS = 20                        # examples of skipped lines returned
MAX_EPOCH = 253402300799               # 9999-12-31T23:59:59Z

REASONS = {
    'bad_json': 'not a JSON object',
    'line_too_long': 'longer than %d characters' % MAX_LINE_CHARS,
    'no_fields_header': 'a Zeek TSV line before any #fields header',
    'field_count': 'a Zeek TSV line whose number of fields differs from its #fields header',
    'unrecognized': 'neither a Zeek ssh.log record nor a Suricata eve.json event',
    'no_hassh': 'an SSH record without the client\'s HASSH algorithms (hassh package / app-layer.protocols.ssh.hassh '
                'not enabled, or no client KEXINIT seen)',
    'malformed_hassh': 'the HASSH algorithms string is not four ;-separated name-lists, or the hassh is not an MD5 '
                       'hex digest',
    'hassh_mismatch': 'the hassh is not the MD5 of the HASSH algorithms string',
    'invalid_name': 'a name that is not a valid SSH algorithm name',
    'invalid_banner': 'the client identification line is not a printable SSH-2 banner',
    'invalid_address': 'the client address is not an IP address',
    'invalid_timestamp': 'the time is neither epoch seconds nor ISO 8601',
    'too_many_proposals': 'more than %d distinct client proposals' % MAX_PROPOSALS,
}

_HEX32 = re.compile(r'^[0-9a-fA-F]{32}$')
_PRINTABLE = re.compile(r'^[\x20-\x7e]*$')
_UNPRINTABLE = re.compile(r'[^\x20-\x7e]+')
_ZEEK_ESCAPE = re.compile(r'\\x([0-9a-fA-F]{2})')
_ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?'
                  r'(Z|[+-]\d{2}:?\d{2})?$')
_NUMBER = re.compile(r'^\d{1,12}(\.\d{1,9})?$')


class IdsLogError(ValueError):
    """The input as a whole is not usable (wrong type); single bad records are skipped, not raised."""


class _Skip(Exception):
    def __init__(self, reason, detail=''):
        super(_Skip, self).__init__(reason)
        self.reason = reason
        self.detail = detail


def _text(value, limit=120):
    """Printable, bounded text of something read from a log, for messages."""
    return _UNPRINTABLE.sub('?', str(value))[:limit]


def _string(value, reason):
    """A field's string value; None for unset (JSON null, missing, Zeek ``-``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Skip(reason, 'a field that should be text is a JSON %s' % type(value).__name__)
    return value


def _names(text, where):
    """``(names, first_empty)`` of one comma-separated name-list. Empty entries are dropped and the first one's
    position kept, as the wire codec does (``wire.Reader.name_list``), because OpenSSH stops reading there."""
    if text == '':
        return [], None
    names, first_empty = [], None
    for name in text.split(','):
        if not name:
            if first_empty is None:
                first_empty = len(names)
            continue
        if not is_valid_name(name):
            raise _Skip('invalid_name', '%s holds %r' % (where, _text(name, 80)))
        names.append(name)
    return names, first_empty


def hassh_lists(algorithms, digest=None):
    """Split and check a HASSH algorithms string; return ``({key: names}, {key: first_empty}, hassh)``.

    ``digest``, when given, must be its MD5 hex digest. Raises ``_Skip``."""
    if not isinstance(algorithms, str) or not algorithms:
        raise _Skip('no_hassh')
    if len(algorithms) > MAX_ALGORITHMS_CHARS:
        raise _Skip('malformed_hassh', 'the algorithms string has %d characters' % len(algorithms))
    if not _PRINTABLE.match(algorithms):
        raise _Skip('invalid_name', 'the algorithms string holds control or non-ASCII characters')
    # The HASSH definition: MD5 of the string exactly as logged (hassh.zeek md5_hash(hasshAlgorithms); Suricata's
    # generate_hassh: Md5 of hassh_string).
    computed = hashlib.md5(algorithms.encode('ascii')).hexdigest()  # nosec - a fingerprint, as HASSH defines it
    if digest is not None:
        if not isinstance(digest, str) or not _HEX32.match(digest):
            raise _Skip('malformed_hassh', 'hassh %r is not an MD5 hex digest' % _text(digest, 40))
        if digest.lower() != computed:
            raise _Skip('hassh_mismatch', 'hassh %s, but the MD5 of the algorithms is %s' % (digest.lower(), computed))
    parts = algorithms.split(';')
    if len(parts) != len(HASSH_KEYS):
        raise _Skip('malformed_hassh', 'the algorithms string has %d ;-separated lists, not %d'
                    % (len(parts), len(HASSH_KEYS)))
    lists, empty_entries = {}, {}
    for key, part in zip(HASSH_KEYS, parts):
        lists[key], first_empty = _names(part, key)
        if first_empty is not None:
            empty_entries[key] = first_empty
    return lists, empty_entries, computed


def _banner(value):
    if value is None or value == '':
        return None, None
    if len(value) > MAX_BANNER_CHARS or not _PRINTABLE.match(value):
        raise _Skip('invalid_banner', 'banner %r' % _text(value, 80))
    try:
        software = parse_software(value)
    except PeerError as exc:
        raise _Skip('invalid_banner', _text(exc, 120))
    return value, {'product': software['product'], 'version': software['version']}


def _address(value):
    if value is None or value == '':
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise _Skip('invalid_address', 'address %r' % _text(value, 64))
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise _Skip('invalid_address', 'address %r' % _text(value, 64))


def _timestamp(value):
    """A datetime (UTC) from epoch seconds (number or text) or ISO 8601; None when not given."""
    if value is None or value == '':
        return None
    if isinstance(value, bool):
        raise _Skip('invalid_timestamp', 'time %r' % _text(value, 40))
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value)):
        seconds = float(value)
        if math.isnan(seconds) or not 0 <= seconds <= MAX_EPOCH:
            raise _Skip('invalid_timestamp', 'time %r' % _text(value, 40))
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    match = _ISO.match(value) if isinstance(value, str) and len(value) <= 40 else None
    if not match:
        raise _Skip('invalid_timestamp', 'time %r' % _text(value, 40))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                   int((fraction or '0')[:6].ljust(6, '0')), tzinfo=datetime.timezone.utc)
        if zone and zone != 'Z':
            sign = -1 if zone[0] == '-' else 1
            digits = zone[1:].replace(':', '')
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if offset > datetime.timedelta(hours=14):
                raise ValueError('offset')
            moment -= sign * offset
    except (ValueError, OverflowError):
        raise _Skip('invalid_timestamp', 'time %r' % _text(value, 40))
    return moment


def _iso(moment):
    """As ``observed_clients_info`` writes times (module_utils/observe.py ``_iso``)."""
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ') if moment is not None else None


# --- the two sources ----------------------------------------------------------------------------------------

def _zeek_record(fields):
    """(banner, algorithms, hassh, host keys, address, time) of a Zeek ssh.log record (a dict of its fields)."""
    address = fields.get('id.orig_h')
    if address is None and isinstance(fields.get('id'), dict):
        address = fields['id'].get('orig_h')
    return (_string(fields.get('client'), 'invalid_banner'), _string(fields.get('hasshAlgorithms'), 'malformed_hassh'),
            _string(fields.get('hassh'), 'malformed_hassh'), _string(fields.get('cshka'), 'invalid_name'), address,
            fields.get('ts'))


def _suricata_record(event):
    ssh = event.get('ssh')
    client = ssh.get('client') if isinstance(ssh, dict) else None
    if not isinstance(client, dict):
        raise _Skip('no_hassh', 'no ssh.client in the event')
    hassh = client.get('hassh')
    if isinstance(hassh, dict):          # Suricata 7 and later: ssh.client.hassh.{hash,string}
        digest, algorithms = hassh.get('hash'), hassh.get('string')
    else:                                # Suricata 6: ssh.client.hassh and ssh.client.hassh_string
        digest, algorithms = hassh, client.get('hassh_string')
    proto = _string(client.get('proto_version'), 'invalid_banner')
    software = _string(client.get('software_version'), 'invalid_banner')
    banner = 'SSH-%s-%s' % (proto, software) if proto and software else None
    return (banner, _string(algorithms, 'malformed_hassh'), _string(digest, 'malformed_hassh'), None,
            event.get('src_ip'), event.get('timestamp'))


def _json_kind(record):
    """``zeek``, ``suricata``, or None (an event to ignore: another Suricata event type or another Zeek log)."""
    if 'event_type' in record:
        return 'suricata' if record.get('event_type') == 'ssh' else None
    if '_path' in record and record.get('_path') != 'ssh':
        return None
    if any(key in record for key in ('hasshAlgorithms', 'hassh', 'cshka', 'client', 'id.orig_h', 'uid')):
        return 'zeek'
    raise _Skip('unrecognized')


# --- reading ---------------------------------------------------------------------------------------------------

class _Proposal:
    __slots__ = ('source', 'banner', 'software', 'lists', 'empty_entries', 'hassh', 'algorithms', 'host_keys',
                 'connections', 'addresses', 'other_addresses', 'first', 'last')

    def __init__(self, source, banner, software, lists, empty_entries, hassh, algorithms, host_keys):
        self.source, self.banner, self.software = source, banner, software
        self.lists, self.empty_entries, self.hassh, self.algorithms = lists, empty_entries, hassh, algorithms
        self.host_keys = host_keys
        self.connections = 0
        self.addresses = {}
        self.other_addresses = 0
        self.first = self.last = None

    def add(self, address, moment):
        self.connections += 1
        if address is not None:
            if address in self.addresses or len(self.addresses) < MAX_TRACKED_ADDRESSES:
                self.addresses[address] = self.addresses.get(address, 0) + 1
            else:
                self.other_addresses += 1
        if moment is not None:
            self.first = moment if self.first is None or moment < self.first else self.first
            self.last = moment if self.last is None or moment > self.last else self.last

    def as_dict(self):
        proposal = {key: list(names) for key, names in self.lists.items()}
        if self.host_keys is not None:
            proposal[HOST_KEY_KEY] = list(self.host_keys[0])
        empty_entries = dict(self.empty_entries)
        if self.host_keys is not None and self.host_keys[1] is not None:
            empty_entries[HOST_KEY_KEY] = self.host_keys[1]
        if empty_entries:
            proposal['empty_entries'] = empty_entries
        ranked = sorted(self.addresses.items(), key=lambda item: (-item[1], item[0]))
        proposal.update({
            'banner': self.banner,
            'software': dict(self.software) if self.software else None,
            'hassh': self.hassh,
            'hassh_algorithms': self.algorithms,
            'connections': self.connections,
            'addresses': [{'address': address, 'count': count} for address, count in ranked[:MAX_ADDRESSES]],
            'distinct_addresses': len(self.addresses) + (1 if self.other_addresses else 0),
            'first_seen': _iso(self.first),
            'last_seen': _iso(self.last),
            'source': self.source,
            'partial': True,
        })
        return proposal


class _Reader:
    def __init__(self):
        self.proposals = {}
        self.lines = 0
        self.records = 0
        self.ignored = 0
        self.skipped = {}
        self.errors = []
        self.formats = set()
        # Zeek TSV state, set by its header lines
        self.separator = '\t'
        self.fields = None
        self.unset = '-'
        self.empty = '(empty)'
        self.path = None

    def skip(self, number, reason, detail=''):
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if len(self.errors) < MAX_ERRORS:
            message = REASONS[reason] + (': ' + _text(detail, 200) if detail else '')
            self.errors.append({'line': number, 'reason': reason, 'message': message})

    def line(self, number, line):
        self.lines += 1
        if len(line) > MAX_LINE_CHARS:
            self.skip(number, 'line_too_long', '%d characters' % len(line))
            return
        line = line[:-1] if line.endswith('\r') else line
        if not line.strip():
            self.ignored += 1
            return
        if line.startswith('#'):
            self.header(line)
            self.ignored += 1
            return
        try:
            if line.lstrip().startswith(('{', '[')):
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise _Skip('bad_json', _text(exc, 80))
                self.event(record)
            else:
                self.tsv(line)
        except _Skip as skip:
            self.skip(number, skip.reason, skip.detail)

    def item(self, number, value):
        """One element of a list input: a line of text, or an event already parsed (a dict)."""
        if isinstance(value, dict):
            self.lines += 1
            try:
                self.event(value)
            except _Skip as skip:
                self.skip(number, skip.reason, skip.detail)
        elif isinstance(value, str):
            self.line(number, value.rstrip('\n'))
        else:
            self.lines += 1
            self.skip(number, 'unrecognized', 'a list item of type %s' % type(value).__name__)

    # Zeek's ASCII writer: "#separator \x09" first, then "#<name><sep><value>" lines.
    def header(self, line):
        if line.startswith('#separator '):
            separator = _ZEEK_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), line[len('#separator '):])
            self.separator = separator if len(separator) == 1 else '\t'
            return
        name, _sep, value = line[1:].partition(self.separator)
        if name == 'fields':
            self.fields = value.split(self.separator)
        elif name == 'path':
            self.path = value
        elif name == 'unset_field':
            self.unset = value
        elif name == 'empty_field':
            self.empty = value

    def tsv(self, line):
        if self.fields is None:
            raise _Skip('no_fields_header')
        if self.path is not None and self.path != 'ssh':
            self.ignored += 1
            return
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise _Skip('field_count', '%d fields, the header names %d' % (len(values), len(self.fields)))
        record = {}
        for name, value in zip(self.fields, values):
            if value == self.unset:
                record[name] = None
            elif value == self.empty:
                record[name] = ''
            else:
                record[name] = _ZEEK_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
        self.record('zeek', _zeek_record(record))

    def event(self, record):
        if not isinstance(record, dict):
            raise _Skip('bad_json', 'a JSON %s, not an object' % type(record).__name__)
        kind = _json_kind(record)
        if kind is None:
            self.ignored += 1
            return
        self.record(kind, _zeek_record(record) if kind == 'zeek' else _suricata_record(record))

    def record(self, source, values):
        self.formats.add(source)
        self.records += 1
        banner, algorithms, digest, host_keys, address, moment = values
        lists, empty_entries, hassh = hassh_lists(algorithms, digest)
        banner, software = _banner(banner)
        host_key_list = None
        if host_keys:
            if len(host_keys) > MAX_ALGORITHMS_CHARS or not _PRINTABLE.match(host_keys):
                raise _Skip('invalid_name', 'cshka holds control or non-ASCII characters or is too long')
            host_key_list = _names(host_keys, 'cshka')
        address = _address(address)
        moment = _timestamp(moment)
        key = (source, banner, algorithms, host_keys or None)
        entry = self.proposals.get(key)
        if entry is None:
            if len(self.proposals) >= MAX_PROPOSALS:
                raise _Skip('too_many_proposals')
            entry = self.proposals[key] = _Proposal(source, banner, software, lists, empty_entries, hassh, algorithms,
                                                    host_key_list)
        entry.add(address, moment)

    def result(self, truncated):
        proposals = sorted((entry.as_dict() for entry in self.proposals.values()),
                           key=lambda item: (-item['connections'], item['banner'] or '', item['hassh'],
                                             item['source']))
        return {
            'proposals': proposals,
            'lines': self.lines,
            'records': self.records,
            'ignored': self.ignored,
            'skipped': dict(sorted(self.skipped.items())),
            'errors': self.errors,
            'truncated': truncated,
            'formats': sorted(self.formats),
        }


def _lines(text):
    """``(number, line)`` split on LF only: Zeek and Suricata write one record per LF-terminated line, and other
    line breaks (a stray form feed or U+2028 in a field) must not cut a record in two."""
    start, number = 0, 0
    while start < len(text):
        end = text.find('\n', start)
        if end < 0:
            end = len(text)
        number += 1
        yield number, text[start:end]
        start = end + 1


def proposals_from_ids_logs(data):
    """Client proposals from Zeek ``ssh.log`` (TSV or JSON lines, with the hassh package) and Suricata ``eve.json``
    text; see the ``proposals_from_ids_logs`` filter for the result.

    ``data`` is the text of one or more logs (formats may be mixed, one record per line), its bytes, or a list of
    lines or of events already parsed (dicts)."""
    reader = _Reader()
    truncated = False
    if isinstance(data, bytes):
        if len(data) > MAX_INPUT_CHARS:
            cut = data.rfind(b'\n', 0, MAX_INPUT_CHARS)
            data = data[:cut if cut > 0 else MAX_INPUT_CHARS]
            truncated = True
        data = data.decode('utf-8', 'replace')
    if isinstance(data, str):
        if len(data) > MAX_INPUT_CHARS:
            cut = data.rfind('\n', 0, MAX_INPUT_CHARS)
            data = data[:cut if cut > 0 else MAX_INPUT_CHARS]
            truncated = True
        for number, line in _lines(data):
            if number > MAX_ITEMS:
                truncated = True
                break
            reader.line(number, line)
    elif isinstance(data, (list, tuple)):
        for number, item in enumerate(data, 1):
            if number > MAX_ITEMS:
                truncated = True
                break
            reader.item(number, item)
    else:
        raise IdsLogError('the input must be the text of a Zeek ssh.log or a Suricata eve.json (or a list of its lines '
                          'or events), got %s' % type(data).__name__)
    return reader.result(truncated)
