# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SSH daemons' own records of failed algorithm negotiations, read on the server host.

What each daemon writes when a client shares no algorithm with it (each pattern below cites its source):

* OpenSSH sshd, at its default ``LogLevel INFO``: ``Unable to negotiate with ADDR port N: no matching cipher
  found. Their offer: LIST [preauth]``; LIST is the client's list for that category, the server's own is only
  in the ``debug2`` KEXINIT dumps (``LogLevel DEBUG2`` or ``DEBUG3``), which are read when present.
* ProFTPD mod_sftp, to its ``SFTPLog``: ``no shared client-to-server encryption algorithm found (client sent
  'LIST', server sent 'LIST')``, with the client's address in the session's ``client (ADDR:PORT) connected``
  line (same process id).
* dropbear, to syslog or stderr (``-E``): ``Exit before auth from <ADDR:PORT>: No matching algo enc c->s``
  (no lists).

Sources are log files (bounded bytes read from the end) and the systemd journal (``journalctl -o json``,
bounded output). Every name is held to the catalog's rules; a failure line with control characters, an
invalid name, an address that is not an IP address or text where the daemon writes none is skipped and
counted under its reason, so nothing a hostile client or local user planted passes on; messages are
returned with every character outside printable ASCII escaped and bounded in length.

The OpenSSH sentence and KEXINIT dump are also read by the controller's ``kex_log`` parser, which imports
them from here (one implementation).

Plain Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import re
import stat
import subprocess
import tempfile
import threading
from collections import namedtuple
from datetime import datetime, timedelta, timezone

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS, CATEGORY, is_valid_name

DAEMONS = ('openssh', 'proftpd', 'dropbear')
DEFAULT_MAX_BYTES = 16 * 1024 * 1024     # per source: bytes read from the end of a file, or of journalctl's output
MAX_MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 500
MAX_MAX_ENTRIES = 10000
MAX_LINE_CHARS = 16384                   # a longer line is no daemon's record (sshd's are at most 1,023 characters)
MAX_MESSAGE_CHARS = 512                  # a returned message is cut here
MAX_NAMES = 512                          # names in one logged list
JOURNAL_TIMEOUT = 120                    # seconds journalctl may run
JOURNAL_IDENTIFIERS = ('sshd', 'sshd-session', 'proftpd', 'dropbear')
# Where journald keeps its files (volatile, persistent); journalctl prints nothing, with rc 0, when neither exists.
JOURNAL_DIRS = ('/run/log/journal', '/var/log/journal')
# The process names (the journal's trusted _COMM field) each daemon logs under; OpenSSH 9.8 moved the
# pre-authentication work to sshd-session.
DAEMON_COMMS = {'openssh': ('sshd', 'sshd-session'), 'proftpd': ('proftpd',), 'dropbear': ('dropbear',)}


class LogError(ValueError):
    """An argument the reader cannot work with (e.g. a ``since`` it cannot parse); the module fails with it."""


# --- escaping ----------------------------------------------------------------------------------------------

_CONTROL = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029]')


def has_control_characters(text):
    return bool(_CONTROL.search(text))


def sanitize(text, limit=MAX_MESSAGE_CHARS):
    """``text`` as printable ASCII: backslash, control and non-ASCII characters escaped (``\\x1b``,
    ``\\u2028``), cut after ``limit`` characters of the original."""
    out = []
    for char in text[:limit]:
        code = ord(char)
        if char == '\\':
            out.append('\\\\')
        elif 0x20 <= code < 0x7f:
            out.append(char)
        elif code < 0x100:
            out.append('\\x%02x' % code)
        elif code < 0x10000:
            out.append('\\u%04x' % code)
        else:
            out.append('\\U%08x' % code)
    if len(text) > limit:
        out.append('...[%d more characters]' % (len(text) - limit))
    return ''.join(out)


# --- OpenSSH -----------------------------------------------------------------------------------------------

# ssherr.c ssh_err() (OpenSSH 9.2p1; the same words since 6.x): the reason in "no matching %s found".
OPENSSH_WORDS = {'key exchange method': 'kex', 'host key type': 'host_key', 'cipher': 'cipher', 'MAC': 'mac',
                 'compression method': 'compression'}


def _alternatives(words):
    return '|'.join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# packet.c sshpkt_vfatal (OpenSSH 9.2p1): logdie("Unable to negotiate with %s: %s. Their offer: %s", remote_id,
# ssh_err(r), kex->failed_choice), at LogLevel INFO. remote_id is sshpkt_fmt_connection_id: "[preamble ]ADDR
# port N". failed_choice is the peer's list (kex.c kex_choose_conf), so in sshd's log the client's. Lines of
# the pre-authentication child end in " [preauth]" (monitor.c monitor_read_log). The ssh client prints the
# same sentence about the server.
OPENSSH_UNABLE = re.compile(r'Unable to negotiate with (?P<peer>[^\x00-\x1f]{1,300}?): no matching (?P<what>%s) found\. '
                            r'Their offer: (?P<offer>\S*)(?P<rest>.*)$' % _alternatives(OPENSSH_WORDS))
_OPENSSH_PEER = re.compile(r'(?:^|\s)(?P<address>\S+) port (?P<port>\d{1,5})$')
# log.c do_log: syslog gets "%.500s" of the message; stderr and -E files at most MSGBUFSIZ - 3 characters.
OPENSSH_SYSLOG_LIMIT = 500
PREAUTH = ' [preauth]'

OpenSSHUnable = namedtuple('OpenSSHUnable', 'peer address port category offer rest')
OpenSSHUnable.__doc__ = """One ``Unable to negotiate`` sentence: ``peer`` as printed, ``address`` and ``port``
when it has the usual "ADDR port N" form, ``category`` (catalog name), ``offer`` (the peer's list, as printed) and
``rest`` (what follows the list on the line)."""


def match_openssh_unable(line):
    """The OpenSSH ``Unable to negotiate`` sentence in ``line``, or None (see :data:`OpenSSHUnable`)."""
    match = OPENSSH_UNABLE.search(line)
    if not match:
        return None
    peer = match.group('peer')
    found = _OPENSSH_PEER.search(peer)
    address, port = (found.group('address'), int(found.group('port'))) if found else (None, None)
    return OpenSSHUnable(peer, address, port, OPENSSH_WORDS[match.group('what')], match.group('offer'),
                         match.group('rest'))


# kex.c kex_choose_conf / kex_prop2buf (OpenSSH 9.2p1), debug2: "local server KEXINIT proposal" then one line per
# list, labelled with proposal_names[] in wire order.
OPENSSH_PROPOSAL_HEADER = re.compile(r'(?P<who>local|peer) (?P<role>client|server) KEXINIT proposal')
OPENSSH_PROPOSAL_FIELDS = dict(zip(('KEX algorithms', 'host key algorithms', 'ciphers ctos', 'ciphers stoc',
                                    'MACs ctos', 'MACs stoc', 'compression ctos', 'compression stoc',
                                    'languages ctos', 'languages stoc'), NAME_LIST_KEYS))
OPENSSH_PROPOSAL_FIELD = re.compile(r'debug\d: (?P<field>%s): ?(?P<list>.*?)(?: \[preauth\])?\r?$'
                                    % _alternatives(OPENSSH_PROPOSAL_FIELDS))
# sshd.c / kex.c kex_exchange_identification, debug1.
OPENSSH_REMOTE_VERSION = re.compile(r'Remote protocol version (?P<protocol>\d+\.\d+), remote software version (?P<sw>.+?)'
                                    r'(?: \[preauth\])?\r?$')


# --- ProFTPD mod_sftp --------------------------------------------------------------------------------------

# contrib/mod_sftp/kex.c get_session_names (ProFTPD 1.3.8), pr_log_writefile to the SFTPLog:
#   "no shared key exchange algorithm found (client sent '%s', server sent '%s')"
#   "no shared server hostkey algorithm found (client sent '%s', server sent '%s'"        <- no ")" in 1.3.8
#   "no shared client-to-server encryption algorithm found (client sent '%s', server sent '%s')"
#   "no shared server-to-client MAC algorithm found (client sent '%s', server sent '%s')"
#   "no shared client-to-server compression algorithm found (client sent '%s', server sent '%s'"  <- no ")"
# (languages are logged the same way but never fail the key exchange).
_PROFTPD_WHAT = {
    'key exchange': ('kex', None), 'server hostkey': ('host_key', None),
    'client-to-server encryption': ('cipher', 'c2s'), 'server-to-client encryption': ('cipher', 's2c'),
    'client-to-server MAC': ('mac', 'c2s'), 'server-to-client MAC': ('mac', 's2c'),
    'client-to-server compression': ('compression', 'c2s'), 'server-to-client compression': ('compression', 's2c'),
}
# Both lists are quoted and neither may contain a quote, and the sentence is anchored at both ends: a client
# cannot make its own list end early and forge the server's.
PROFTPD_NO_SHARED = re.compile(r"^no shared (?P<what>%s) algorithm found \(client sent '(?P<client>[^']*)', "
                               r"server sent '(?P<server>[^']*)'\)?$" % _alternatives(_PROFTPD_WHAT))
_PROFTPD_MARKER = 'algorithm found (client sent'
# contrib/mod_sftp/mod_sftp.c sftp_cmd_loop (1.3.8): "client (%s:%d) connected to server (%s:%d)[ [session ID %s]]"
PROFTPD_CONNECTED = re.compile(r'^client \((?P<address>[^()\s]+):(?P<port>\d{1,5})\) connected to server \(')
# mod_sftp.c sftp_get_client_version: "received client version '%s'"
PROFTPD_CLIENT_VERSION = re.compile(r"^received client version '(?P<banner>.*)'$")
# contrib/mod_sftp/disconnect.c sftp_disconnect_send: "disconnecting %s (%s)", the end of the session.
PROFTPD_DISCONNECTING = re.compile(r'^disconnecting (?P<address>[^()\s]+) \(')


# --- dropbear ----------------------------------------------------------------------------------------------

# common-kex.c read_kex_algos (dropbear 2022.83): dropbear_exit("No matching algo %s", erralgo), erralgo one of
# these; svr-session.c svr_dropbear_exit prefixes "Exit before auth from <%s>: " (addrstring "HOST:PORT",
# numeric), "Early exit from <%s>: " before the session is set up or "Exit (%s) from <%s>: " after
# authentication (a later key exchange), and logs it with dropbear_log(LOG_INFO).
_DROPBEAR_WHAT = {'kex': ('kex', None), 'hostkey': ('host_key', None), 'enc c->s': ('cipher', 'c2s'),
                  'enc s->c': ('cipher', 's2c'), 'mac c->s': ('mac', 'c2s'), 'mac s->c': ('mac', 's2c'),
                  'comp c->s': ('compression', 'c2s'), 'comp s->c': ('compression', 's2c')}
DROPBEAR_NO_MATCHING = re.compile(r'^(?:Early exit|Exit before auth|Exit \([^()]{0,64}\)) from <(?P<peer>[^<>\s]+)>: '
                                  r'No matching algo (?P<what>%s)$' % _alternatives(_DROPBEAR_WHAT))
_DROPBEAR_MARKER = 'No matching algo'

_FAILURE_MARKERS = ('Unable to negotiate with', _PROFTPD_MARKER, _DROPBEAR_MARKER)
_CONTEXT_MARKERS = ('KEXINIT proposal', 'debug2: ', 'remote software version', 'connected to server',
                    'received client version', 'disconnecting ')


# --- time --------------------------------------------------------------------------------------------------

# systemd.time(7) time spans, as journalctl --since reads them (a month is 30.44 days, a year 365.25 days).
_SPAN_UNITS = {}
for _names, _seconds in ((('us', 'usec'), 1e-6), (('ms', 'msec'), 1e-3),
                         (('s', 'sec', 'second', 'seconds'), 1), (('m', 'min', 'minute', 'minutes'), 60),
                         (('h', 'hr', 'hour', 'hours'), 3600), (('d', 'day', 'days'), 86400),
                         (('w', 'week', 'weeks'), 7 * 86400), (('M', 'month', 'months'), 2630016),
                         (('y', 'year', 'years'), 31557600)):
    for _name in _names:
        _SPAN_UNITS[_name] = _seconds
_SPAN_PART = re.compile(r'(\d+(?:\.\d+)?)\s*(%s)(?![A-Za-z])\s*' % _alternatives(_SPAN_UNITS))
_ABSOLUTE = re.compile(r'^(?P<date>\d{4}-\d\d-\d\d)(?:[T ](?P<h>\d\d):(?P<mi>\d\d)(?::(?P<s>\d\d)(?:\.(?P<f>\d{1,9}))?)?)?'
                       r'\s*(?P<tz>Z|UTC|[+-]\d\d:?\d\d)?$')
MAX_SPAN = 200 * 31557600
_MONTHS = {name: number for number, name in enumerate(
    ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'), 1)}


def _span(text):
    total, position = 0.0, 0
    while position < len(text):
        match = _SPAN_PART.match(text, position)
        if not match:
            return None
        total += float(match.group(1)) * _SPAN_UNITS[match.group(2)]
        position = match.end()
    return total if position and total <= MAX_SPAN else None


def _local(naive):
    """A naive local wall-clock time as an aware UTC datetime (the node's time zone, as the daemons log)."""
    return naive.astimezone().astimezone(timezone.utc)


def parse_since(since, now=None):
    """The cutoff ``since`` names, as an aware UTC datetime.

    As ``journalctl --since`` reads it (systemd.time(7)): ``-1h``, ``-2d 12h``, ``90min ago``, ``now``,
    ``today``, ``yesterday``, ``@EPOCH``, ``YYYY-MM-DD[ HH:MM[:SS[.frac]]]`` in the node's local time, or ISO 8601
    with ``T`` and a zone (``Z``, ``UTC``, ``+01:00``). Raises :class:`LogError` otherwise.
    """
    now = now or datetime.now(timezone.utc)
    text = since.strip() if isinstance(since, str) else ''
    if not text or len(text) > 64:
        raise LogError('since: give a time as journalctl accepts it (e.g. -1h, "2026-11-25 08:00:00" or '
                       '2026-11-25T08:00:00Z), got %r' % (since if not isinstance(since, str) else since[:64]))
    seconds = None
    if text.startswith('-'):
        seconds = _span(text[1:].strip())
    elif text.endswith(' ago'):
        seconds = _span(text[:-4].strip())
    if seconds is not None:
        return now - timedelta(seconds=seconds)
    if text == 'now':
        return now
    if text in ('today', 'yesterday'):
        midnight = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - timedelta(days=1 if text == 'yesterday' else 0)).astimezone(timezone.utc)
    if re.match(r'^@\d{1,12}(\.\d+)?$', text):
        return datetime.fromtimestamp(float(text[1:]), timezone.utc)
    match = _ABSOLUTE.match(text)
    if match:
        try:
            naive = datetime.strptime(match.group('date'), '%Y-%m-%d').replace(
                hour=int(match.group('h') or 0), minute=int(match.group('mi') or 0), second=int(match.group('s') or 0),
                microsecond=int((match.group('f') or '0')[:6].ljust(6, '0')))
        except ValueError:
            naive = None
        if naive is not None:
            zone = match.group('tz')
            if zone is None:
                return _local(naive)
            if zone in ('Z', 'UTC'):
                return naive.replace(tzinfo=timezone.utc)
            sign = -1 if zone[0] == '-' else 1
            digits = zone[1:].replace(':', '')
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if offset < timedelta(hours=24):
                return naive.replace(tzinfo=timezone(sign * offset)).astimezone(timezone.utc)
    raise LogError('since: %r is not a time journalctl accepts (e.g. -1h, -2d, "2026-11-25 08:00:00", '
                   '2026-11-25T08:00:00Z, @1764000000, today)' % text)


def iso(moment):
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def _without_year(month, day, clock, now):
    """A syslog/dropbear timestamp has no year: the latest one not more than a day ahead of ``now``."""
    try:
        hour, minute, second = (int(part) for part in clock.split(':'))
        for year in (now.astimezone().year, now.astimezone().year - 1):
            try:
                moment = _local(datetime(year, _MONTHS[month], int(day), hour, minute, second))
            except ValueError:   # 29 February of a year without it
                continue
            if moment <= now + timedelta(days=1):
                return moment
    except (KeyError, ValueError):
        pass
    return None


# --- line prefixes -----------------------------------------------------------------------------------------

Record = namedtuple('Record', 'line message timestamp ident pid comm dated')
Record.__doc__ = """One log record: the whole ``line`` (for the returned message), the daemon's ``message``, its
``timestamp`` (aware UTC) or None, the syslog identifier, process id and trusted process name where known,
and ``dated`` (whether the line format carries a time at all)."""

_MONTH = r'(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
# RFC 3164 / rsyslog RSYSLOG_TraditionalFileFormat (Debian 12's default): "Nov 25 13:51:06 host sshd[123]: msg"
_SYSLOG_BSD = re.compile(r'^%s +(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d) (?P<host>\S+) (?P<ident>[^\s\[\]:]+)'
                         r'(?:\[(?P<pid>\d{1,10})\])?: (?P<msg>.*)$' % _MONTH)
# rsyslog RSYSLOG_FileFormat (RFC 3339): "2026-11-25T13:51:06.123456+00:00 host sshd[123]: msg"
_SYSLOG_ISO = re.compile(r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (?P<host>\S+) '
                         r'(?P<ident>[^\s\[\]:]+)(?:\[(?P<pid>\d{1,10})\])?: (?P<msg>.*)$')
# ProFTPD src/log.c pr_log_vwritefile (1.3.8), the SFTPLog: "2026-11-25 13:51:06,123 mod_sftp/1.0.0[123]: msg"
_PROFTPD_LOG = re.compile(r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(?P<ms>\d{3}) (?P<ident>[^\s\[\]]+)\[(?P<pid>\d{1,10})\]: '
                          r'(?P<msg>.*)$')
# dropbear svr-session.c svr_dropbear_log (2022.83) to stderr (-E): "[123] Nov 25 13:51:06 msg"
_DROPBEAR_LOG = re.compile(r'^\[(?P<pid>\d{1,10})\] %s (?P<day>[ \d]?\d) (?P<clock>\d\d:\d\d:\d\d) (?P<msg>.*)$' % _MONTH)


def parse_file_line(line, now):
    """A :data:`Record` for one line of a log file. Lines of a format without a time (``sshd -E``) are
    undated."""
    match = _PROFTPD_LOG.match(line)
    if match:
        try:
            moment = _local(datetime.strptime(match.group('ts'), '%Y-%m-%d %H:%M:%S').replace(
                microsecond=int(match.group('ms')) * 1000))
        except ValueError:
            moment = None
        return Record(line, match.group('msg'), moment, match.group('ident'), int(match.group('pid')), None, True)
    match = _SYSLOG_BSD.match(line)
    if match:
        return Record(line, match.group('msg'), _without_year(match.group('mon'), match.group('day'),
                                                              match.group('clock'), now),
                      match.group('ident'), int(match.group('pid')) if match.group('pid') else None, None, True)
    match = _SYSLOG_ISO.match(line)
    if match:
        try:
            moment = parse_since(match.group('ts'))
        except LogError:
            moment = None
        return Record(line, match.group('msg'), moment, match.group('ident'),
                      int(match.group('pid')) if match.group('pid') else None, None, True)
    match = _DROPBEAR_LOG.match(line)
    if match:
        return Record(line, match.group('msg'), _without_year(match.group('mon'), match.group('day').strip(),
                                                              match.group('clock'), now),
                      None, int(match.group('pid')), None, True)
    return Record(line, line, None, None, None, None, False)


def parse_journal_line(line):
    """A :data:`Record` for one line of ``journalctl -o json``, or ``(None, reason)`` when it is not one.

    journalctl prints a field that is not valid UTF-8 or holds control characters as an array of byte values;
    such a message is decoded (and then refused for its control characters by :func:`scan`).
    """
    try:
        entry = json.loads(line)
    except ValueError:
        return None, 'invalid_json'
    if not isinstance(entry, dict):
        return None, 'invalid_json'
    message = entry.get('MESSAGE')
    if isinstance(message, list):
        if len(message) > MAX_LINE_CHARS * 4 or not all(isinstance(byte, int) and 0 <= byte < 256 for byte in message):
            return None, 'invalid_json'
        message = bytes(message).decode('utf-8', 'replace')
    if not isinstance(message, str):
        return None, 'no_message'
    moment = None
    try:
        moment = datetime.fromtimestamp(int(entry.get('__REALTIME_TIMESTAMP')) / 1e6, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    pid = entry.get('_PID')
    try:
        pid = int(pid) if pid is not None else None
    except (TypeError, ValueError):
        pid = None
    ident = entry.get('SYSLOG_IDENTIFIER')
    comm = entry.get('_COMM')
    return Record(message, message, moment, ident if isinstance(ident, str) else None, pid,
                  comm if isinstance(comm, str) else None, True), None


# --- reading -----------------------------------------------------------------------------------------------

def _split(text):
    """Lines split on LF only: str.splitlines would also split on VT, FF, FS, NEL, U+2028 ... which a hostile
    line could use to look like several (they stay in the line, and are refused as control characters)."""
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return [line[:-1] if line.endswith('\r') else line for line in lines]


def read_file_tail(path, max_bytes):
    """``(lines, status)``: the last ``max_bytes`` of a log file (a partial first line dropped) and
    ``{'source', 'kind', 'bytes_read', 'lines', 'truncated', 'mtime', 'error'}``; a file that cannot be read is
    an ``error``, never an exception."""
    status = {'source': path, 'kind': 'file', 'bytes_read': 0, 'lines': 0, 'truncated': False, 'mtime': None,
              'error': None}
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            status['error'] = 'not a regular file'
            return [], status
        with open(path, 'rb') as handle:
            start = max(0, info.st_size - max_bytes)
            handle.seek(start)
            data = handle.read(max_bytes)
    except (IOError, OSError) as exc:
        status['error'] = 'cannot read: %s' % sanitize(exc.strerror or str(exc), 200)
        return [], status
    status['mtime'] = info.st_mtime
    status['bytes_read'] = len(data)
    if data[:2] == b'\x1f\x8b':
        status['error'] = 'compressed (gzip); give the uncompressed log'
        return [], status
    if start > 0:
        status['truncated'] = True
        cut = data.find(b'\n')
        data = data[cut + 1:] if cut >= 0 else b''
    lines = _split(data.decode('utf-8', 'replace'))
    status['lines'] = len(lines)
    return lines, status


def journal_command(cutoff, identifiers=JOURNAL_IDENTIFIERS, units=(), journalctl='journalctl'):
    """The journalctl command: JSON, newest first (so a bounded read keeps the newest), since ``cutoff``."""
    command = [journalctl, '--output=json', '--no-pager', '--quiet', '--reverse',
               '--since=@%d' % int(cutoff.timestamp()),
               '--output-fields=MESSAGE,_PID,_COMM,SYSLOG_IDENTIFIER']
    if units:
        command += ['--unit=%s' % unit for unit in units]
    else:
        command += ['SYSLOG_IDENTIFIER=%s' % ident for ident in identifiers]
    return command


def read_journal(command, max_bytes, timeout=JOURNAL_TIMEOUT, popen=subprocess.Popen):
    """``(lines, status)`` from ``command`` (see :func:`journal_command`), at most ``max_bytes`` of its output,
    in chronological order."""
    status = {'source': 'journal', 'kind': 'journal', 'bytes_read': 0, 'lines': 0, 'truncated': False,
              'mtime': None, 'error': None}
    chunks, size = [], 0
    with tempfile.TemporaryFile() as errors:
        try:
            process = popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        except (IOError, OSError) as exc:
            status['error'] = 'cannot run %s: %s' % (sanitize(command[0], 200), sanitize(exc.strerror or str(exc), 200))
            return [], status
        expired = []

        def expire():
            expired.append(True)
            process.kill()

        watchdog = threading.Timer(timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            while True:
                chunk = process.stdout.read1(65536) if hasattr(process.stdout, 'read1') else process.stdout.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size >= max_bytes:
                    status['truncated'] = True
                    break
        finally:
            if process.poll() is None and status['truncated']:
                process.kill()
            process.stdout.close()
            returncode = process.wait()
            watchdog.cancel()
        if expired:
            status['truncated'] = True
            status['error'] = 'journalctl did not finish within %g seconds' % timeout
        errors.seek(0)
        stderr = errors.read(2000).decode('utf-8', 'replace').strip()
    data = b''.join(chunks)[:max_bytes]
    status['bytes_read'] = len(data)
    if not status['truncated'] and returncode != 0 and not status['error']:
        status['error'] = 'journalctl failed (rc=%d): %s' % (returncode, sanitize(stderr, 300))
        return [], status
    lines = _split(data.decode('utf-8', 'replace'))
    if status['truncated'] and lines and not data.endswith(b'\n'):
        lines.pop()   # cut in the middle of an entry
    lines.reverse()
    status['lines'] = len(lines)
    return lines, status


# --- recognising failures ----------------------------------------------------------------------------------

_ZONE = re.compile(r'^[A-Za-z0-9_.-]{1,32}$')   # an IPv6 zone (interface name or number)


def _address(text):
    """A valid IP address (IPv6 in brackets or with a zone allowed) as printed, else None."""
    if not text or len(text) > 64:
        return None
    plain = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    address, _percent, zone = plain.partition('%')
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    if zone and not _ZONE.match(zone):
        return None
    return plain


def _host_port(text):
    host, sep, port = text.rpartition(':')
    return _address(host) if sep and port.isdigit() else None


def _names(text):
    """The names of a logged comma list (empty entries dropped), or None when one is not a valid name. A
    backslash means sshd escaped a byte that is not printable ASCII (log.c strnvis): no algorithm name."""
    names = [name for name in text.split(',') if name]
    if len(names) > MAX_NAMES or not all(is_valid_name(name) and '\\' not in name for name in names):
        return None
    return names


class _Context:
    """What one daemon process (or one file without process ids) logged before its failure line."""

    __slots__ = ('address', 'banner', 'block', 'proposals', 'pending')

    def __init__(self):
        self.address = None
        self.banner = None
        self.block = None
        self.proposals = {}
        self.pending = []


class Collector:
    """Failures grouped per (daemon, client address, category), with counts of what was skipped and why."""

    def __init__(self, cutoff, daemons=DAEMONS, max_entries=DEFAULT_MAX_ENTRIES):
        self.cutoff = cutoff
        self.daemons = frozenset(daemons)
        self.max_entries = max_entries
        self.entries = {}
        self.skipped = {}
        self.failures = 0
        self.undated = 0
        self.outside_since = 0

    def skip(self, reason):
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, failure, record, source, undated_ok):
        """Count one failure (a dict with daemon, address, category, direction, client_list, server_list,
        client_list_truncated, client_banner)."""
        if failure['daemon'] not in self.daemons:
            return
        if record.timestamp is None:
            if record.dated or not undated_ok:
                self.outside_since += 1   # a time we could not read, or an undated file last written before since
                return
            self.undated += 1
        elif record.timestamp < self.cutoff:
            self.outside_since += 1
            return
        self.failures += 1
        key = (failure['daemon'], failure['address'], failure['category'])
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = {
                'daemon': failure['daemon'], 'address': failure['address'], 'category': failure['category'],
                'count': 0, 'first_seen': None, 'last_seen': None, 'client_list': None, 'server_list': None,
                'direction': None, 'client_list_truncated': False, 'client_banner': None, 'message': None,
                'sources': [], '_lists': set(), '_first': None, '_last': None}
        entry['count'] += 1
        moment = record.timestamp
        if moment is not None:
            if entry['_first'] is None or moment < entry['_first']:
                entry['_first'] = moment
            if entry['_last'] is None or moment >= entry['_last']:
                entry['_last'] = moment
        latest = moment is None or entry['_last'] is None or moment >= entry['_last']
        if latest or entry['message'] is None:
            entry['message'] = sanitize(record.line)
            if failure['client_list'] is not None:
                entry['client_list'] = failure['client_list']
                entry['client_list_truncated'] = failure['client_list_truncated']
            if failure['server_list'] is not None:
                entry['server_list'] = failure['server_list']
            if failure['direction'] is not None:
                entry['direction'] = failure['direction']
            if failure['client_banner'] is not None:
                entry['client_banner'] = failure['client_banner']
        if failure['client_list'] is not None and len(entry['_lists']) < 100:
            entry['_lists'].add(tuple(failure['client_list']))
        if source not in entry['sources'] and len(entry['sources']) < 20:
            entry['sources'].append(source)

    def result(self):
        """``(entries, totals)``: entries most frequent first (then most recent), at most ``max_entries``."""
        entries = sorted(self.entries.values(), key=lambda entry: (
            -entry['count'], -(entry['_last'].timestamp() if entry['_last'] else 0), entry['daemon'],
            entry['address'] or '', entry['category']))
        out = []
        for entry in entries[:self.max_entries]:
            entry = dict(entry)
            entry['first_seen'] = iso(entry.pop('_first'))
            entry['last_seen'] = iso(entry.pop('_last'))
            entry['distinct_client_lists'] = len(entry.pop('_lists'))
            out.append(entry)
        by_daemon, by_category = {}, {}
        for entry in self.entries.values():
            by_daemon[entry['daemon']] = by_daemon.get(entry['daemon'], 0) + entry['count']
            by_category[entry['category']] = by_category.get(entry['category'], 0) + entry['count']
        totals = {
            'failures': self.failures,
            'entries': len(out),
            'entries_omitted': max(0, len(self.entries) - self.max_entries),
            'addresses': len(set(entry['address'] for entry in self.entries.values())),
            'by_daemon': by_daemon,
            'by_category': by_category,
            'skipped': dict(self.skipped),
            'undated': self.undated,
            'outside_since': self.outside_since,
        }
        return out, totals


def _trusted(record, daemon, collector):
    """The line comes from ``daemon``: its trusted process name (journal) or its syslog identifier says so, or
    the line has neither (a daemon's own log file)."""
    if record.comm is not None:
        ok = record.comm in DAEMON_COMMS[daemon]
    elif record.ident is not None:
        ident = record.ident.lower()
        ok = {'openssh': ident.startswith('sshd'), 'proftpd': ident.startswith(('mod_sftp/', 'proftpd')),
              'dropbear': ident.startswith('dropbear')}[daemon]
    else:
        ok = True
    if not ok:
        collector.skip('not_from_daemon')
    return ok


def _openssh_lists_for(context, found, names):
    """The direction of a directional failure and the server's list, from sshd's debug2 KEXINIT dumps."""
    keys = CATEGORY[found.category].keys
    local = context.proposals.get('local') if context else None
    peer = context.proposals.get('peer') if context else None
    if len(keys) == 1:
        return None, (local or {}).get(keys[0])
    direction = None
    if peer:
        for index, key in enumerate(keys):
            if peer.get(key) == names:
                direction = ('c2s', 's2c')[index]
                break
    server = None
    if local:
        if direction is not None:
            server = local.get(keys[('c2s', 's2c').index(direction)])
        elif local.get(keys[0]) == local.get(keys[1]):
            server = local.get(keys[0])
    return direction, server


def _openssh(record, context, collector):
    found = match_openssh_unable(record.message)
    if found is None:
        collector.skip('malformed')
        return None
    if not _trusted(record, 'openssh', collector):
        return None
    rest = found.rest.rstrip('\r')
    if rest not in ('', PREAUTH):
        collector.skip('unexpected_text')   # text after the list: the list had a space, or the line was forged
        return None
    address = _address(found.address)
    if address is None:
        collector.skip('invalid_address')
        return None
    names = _names(found.offer)
    if names is None:
        collector.skip('invalid_name')
        return None
    # syslog keeps 500 characters of a message (log.c do_log "%.500s"), stderr/-E 1,021: a long list loses its
    # end and " [preauth]" with it, and its last name may be cut.
    truncated = not rest and len(record.message) >= OPENSSH_SYSLOG_LIMIT
    if truncated:
        names = names[:-1]
    direction, server = _openssh_lists_for(context, found, names)
    return {'daemon': 'openssh', 'address': address, 'category': found.category, 'direction': direction,
            'client_list': names, 'server_list': server, 'client_list_truncated': truncated,
            'client_banner': context.banner if context else None}


def _openssh_context(record, context):
    header = OPENSSH_PROPOSAL_HEADER.search(record.message)
    if header:
        context.block = {'who': header.group('who'), 'lists': {}}
        return
    if context.block is not None:
        field = OPENSSH_PROPOSAL_FIELD.search(record.message)
        if field:
            key = OPENSSH_PROPOSAL_FIELDS[field.group('field')]
            names = _names(field.group('list'))
            if names is None:
                context.block = None
                return
            context.block['lists'][key] = names
            if key == NAME_LIST_KEYS[-1]:
                context.proposals[context.block['who']] = context.block['lists']
                context.block = None
            return
    remote = OPENSSH_REMOTE_VERSION.search(record.message)
    if remote:
        context.banner = sanitize('SSH-%s-%s' % (remote.group('protocol'), remote.group('sw')), 256)


def _proftpd(record, context, collector):
    match = PROFTPD_NO_SHARED.match(record.message)
    if match is None:
        collector.skip('malformed')
        return None
    if not _trusted(record, 'proftpd', collector):
        return None
    client, server = _names(match.group('client')), _names(match.group('server'))
    if client is None or server is None:
        collector.skip('invalid_name')
        return None
    category, direction = _PROFTPD_WHAT[match.group('what')]
    return {'daemon': 'proftpd', 'address': context.address if context else None, 'category': category,
            'direction': direction, 'client_list': client, 'server_list': server, 'client_list_truncated': False,
            'client_banner': context.banner if context else None}


def _proftpd_context(record, context):
    match = PROFTPD_CONNECTED.match(record.message)
    if match:
        context.address = _address(match.group('address'))
        return
    match = PROFTPD_CLIENT_VERSION.match(record.message)
    if match:
        context.banner = sanitize(match.group('banner'), 256)


def _dropbear(record, collector):
    match = DROPBEAR_NO_MATCHING.match(record.message)
    if match is None:
        collector.skip('malformed')
        return None
    if not _trusted(record, 'dropbear', collector):
        return None
    address = _host_port(match.group('peer'))
    if address is None:
        collector.skip('invalid_address')
        return None
    category, direction = _DROPBEAR_WHAT[match.group('what')]
    return {'daemon': 'dropbear', 'address': address, 'category': category, 'direction': direction,
            'client_list': None, 'server_list': None, 'client_list_truncated': False, 'client_banner': None}


def scan(records, collector, source, undated_ok=True):
    """Feed ``records`` (:data:`Record` or ``(None, reason)`` pairs, in chronological order) of one source to
    ``collector``. ``undated_ok``: count failures from lines without a time (false when the file was last
    written before the cutoff)."""
    contexts = {}

    def context_of(record):
        key = record.pid
        if key not in contexts:
            if len(contexts) > 4096:   # bounded: forget the oldest processes
                for old in list(contexts)[:1024]:
                    contexts.pop(old)
            contexts[key] = _Context()
        return contexts[key]

    for item in records:
        if isinstance(item, tuple) and item[0] is None:
            collector.skip(item[1])
            continue
        record = item
        message = record.message
        failure_line = any(marker in message for marker in _FAILURE_MARKERS)
        if not failure_line and not any(marker in message for marker in _CONTEXT_MARKERS):
            continue
        if len(record.line) > MAX_LINE_CHARS:
            if failure_line:
                collector.skip('line_too_long')
            continue
        if has_control_characters(record.line):
            if failure_line:
                collector.skip('control_characters')
            continue
        context = context_of(record)
        failure = None
        if 'Unable to negotiate with' in message:
            failure = _openssh(record, context, collector)
            # sshd's connection ends here: what it dumped before must not describe the next one (in a -E
            # file all connections share one context).
            context.banner, context.block, context.proposals = None, None, {}
        elif _PROFTPD_MARKER in message:
            failure = _proftpd(record, context, collector)
            if failure is not None and failure['address'] is None:
                context.pending.append((failure, record))
                continue
        elif _DROPBEAR_MARKER in message:
            failure = _dropbear(record, collector)
        else:
            if 'disconnecting ' in message and record.pid is not None:
                match = PROFTPD_DISCONNECTING.match(message)
                if match:
                    address = _address(match.group('address'))
                    for pending, pending_record in context.pending:
                        pending['address'] = address
                        collector.add(pending, pending_record, source, undated_ok)
                    contexts.pop(record.pid, None)   # the session ended; its pid may be reused
                    continue
            _openssh_context(record, context)
            _proftpd_context(record, context)
            continue
        if failure is not None:
            collector.add(failure, record, source, undated_ok)
    for context in contexts.values():
        for pending, pending_record in context.pending:
            collector.add(pending, pending_record, source, undated_ok)


def collect(cutoff, log_paths=(), journal=None, daemons=DAEMONS, max_bytes=DEFAULT_MAX_BYTES,
            max_entries=DEFAULT_MAX_ENTRIES, now=None, journal_identifiers=JOURNAL_IDENTIFIERS, journal_units=(),
            journalctl='journalctl', popen=subprocess.Popen, journal_dirs=JOURNAL_DIRS):
    """Read the sources and return ``{'failures', 'totals', 'sources'}`` (see the module's RETURN)."""
    now = now or datetime.now(timezone.utc)
    collector = Collector(cutoff, daemons, max_entries)
    statuses = []
    for path in log_paths:
        lines, status = read_file_tail(path, max_bytes)
        undated_ok = status['mtime'] is not None and status['mtime'] >= cutoff.timestamp()
        scan((parse_file_line(line, now) for line in lines), collector, path, undated_ok)
        statuses.append(status)
    if journal and not any(os.path.isdir(directory) for directory in journal_dirs):
        statuses.append({'source': 'journal', 'kind': 'journal', 'bytes_read': 0, 'lines': 0, 'truncated': False,
                         'error': 'no systemd journal on this host (none of %s); read the log files with log_paths'
                                  % ', '.join(journal_dirs)})
    elif journal:
        command = journal_command(cutoff, journal_identifiers, journal_units, journalctl)
        lines, status = read_journal(command, max_bytes, popen=popen)
        records = (parse_journal_line(line) for line in lines)
        scan((record if record is not None else (None, reason) for record, reason in records), collector, 'journal')
        statuses.append(status)
    for status in statuses:
        status.pop('mtime', None)
    failures, totals = collector.result()
    return {'failures': failures, 'totals': totals, 'sources': statuses}
