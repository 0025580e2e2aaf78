# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node-side reader of the daemons' negotiation failures (module_utils/daemon_logs.py): on log lines the
real sshd 9.2, ProFTPD 1.3.8 mod_sftp and dropbear 2022.83 of this machine wrote for real failing clients
(tests/unit/fixtures/negotiation_failures, README there), in every log format it reads, and on hostile lines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon_logs import (
    Collector, LogError, collect, journal_command, match_openssh_unable, parse_file_line, parse_journal_line,
    parse_since, read_file_tail, read_journal, sanitize, scan)

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'fixtures',
                        'negotiation_failures')


def fixture(name):
    return os.path.join(FIXTURES, name)


def text_of(name):
    """A fixture log as the daemon wrote it: sshd -E ends its lines with CR LF (log.c do_log), which the files keep
    as LF only (ansible-test's line-endings rule), so the CR is put back here."""
    with open(fixture(name)) as handle:
        text = handle.read()
    return text.replace('\n', '\r\n') if name.startswith('sshd-') else text


def lines_of(name):
    """The lines as a file reader in text mode yields them (universal newlines: no CR)."""
    with open(fixture(name)) as handle:
        return handle.read().split('\n')


def as_written(tmp_path, name):
    """A copy of a fixture log, with the line endings the daemon wrote, for the tests that read files."""
    path = tmp_path / name
    path.write_bytes(text_of(name).encode('utf-8'))
    return str(path)


def run(lines, cutoff=LONG_AGO, now=NOW, undated_ok=True, **options):
    """scan() over file lines; ``(failures by (daemon, address, category), totals)``."""
    collector = Collector(cutoff, **options)
    scan((parse_file_line(line, now) for line in lines if line), collector, 'test.log', undated_ok)
    failures, totals = collector.result()
    return {(f['daemon'], f['address'], f['category']): f for f in failures}, totals


def at_syslog(message, ident='sshd', pid=4242, when='Nov 25 14:05:01', host='sftp1'):
    return '%s %s %s[%d]: %s' % (when, host, ident, pid, message)


def journal_entry(message, comm='sshd', ident='sshd', pid=4242, when=NOW):
    entry = {'MESSAGE': message, '_PID': str(pid), 'SYSLOG_IDENTIFIER': ident,
             '__REALTIME_TIMESTAMP': str(int(when.timestamp() * 1e6)), '__CURSOR': 's=1'}
    if comm is not None:
        entry['_COMM'] = comm
    return json.dumps(entry)


UNABLE = 'Unable to negotiate with 192.0.2.7 port 50022: no matching cipher found. Their offer: aes128-ctr,aes128-cbc [preauth]'


# --- since ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('since, expected', [
    ('-1h', NOW - timedelta(hours=1)),
    ('-2d 12h', NOW - timedelta(days=2, hours=12)),
    ('-90min', NOW - timedelta(minutes=90)),
    ('90 min ago', NOW - timedelta(minutes=90)),
    ('-1w', NOW - timedelta(weeks=1)),
    ('now', NOW),
    ('@1764000000', datetime(2025, 11, 24, 16, 0, tzinfo=UTC)),
    ('2026-11-25T08:00:00Z', datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
    ('2026-11-25T08:00:00.5+01:00', datetime(2026, 11, 25, 7, 0, 0, 500000, tzinfo=UTC)),
    ('2026-11-25 08:00 UTC', datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
])
def test_since_as_journalctl_reads_it(since, expected):
    assert parse_since(since, NOW) == expected


def test_since_local_times_follow_the_node_time_zone():
    assert parse_since('2026-11-25 08:00:00', NOW) == datetime(2026, 11, 25, 8, 0).astimezone().astimezone(UTC)
    assert parse_since('2026-11-25', NOW) == datetime(2026, 11, 25).astimezone().astimezone(UTC)
    today = parse_since('today', NOW)
    assert parse_since('yesterday', NOW) == today - timedelta(days=1) and today <= NOW


@pytest.mark.parametrize('since', ['', 'last tuesday', '-1 fortnight', '-', '2026-13-01', '2026-11-25T08:00:00+25:00',
                                   '-1h; rm -rf /', '-99999999y', None, 5, 'x' * 100])
def test_since_refuses_what_journalctl_would_not_read(since):
    with pytest.raises(LogError, match='^since: '):
        parse_since(since, NOW)


# --- escaping ------------------------------------------------------------------------------------------------

def test_sanitize_escapes_everything_outside_printable_ascii():
    assert sanitize('a\x1b[31mb\nc\rd\x00e\\f\u2028g\x85h\U0001F600') == \
        'a\\x1b[31mb\\x0ac\\x0dd\\x00e\\\\f\\u2028g\\x85h\\U0001f600'
    assert sanitize('x' * 600) == 'x' * 512 + '...[88 more characters]'


# --- the OpenSSH sentence, shared with the controller's kex_log ---------------------------------------------

@pytest.mark.parametrize('line, address, port', [
    (UNABLE, '192.0.2.7', 50022),
    ('Unable to negotiate with ::1 port 22: no matching MAC found. Their offer: hmac-md5 [preauth]', '::1', 22),
    ('Unable to negotiate with fe80::1%eth0 port 22: no matching MAC found. Their offer: x', 'fe80::1%eth0', 22),
    ('Unable to negotiate with authenticating user bob 2001:db8::5 port 7: no matching MAC found. Their offer: x',
     '2001:db8::5', 7),
    ('ssh: Unable to negotiate with sftp.example.com: no matching MAC found. Their offer: x', None, None),
])
def test_match_openssh_unable(line, address, port):
    found = match_openssh_unable(line)
    assert (found.address, found.port) == (address, port)
    assert found.category == 'mac' or found.offer == 'aes128-ctr,aes128-cbc'


# --- real logs ---------------------------------------------------------------------------------------------

PLINK_MACS = ['hmac-sha2-256', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5', 'hmac-sha2-256-etm@openssh.com',
              'hmac-sha1-etm@openssh.com', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com']


def test_sshd_default_level_log():
    """sshd at LogLevel INFO with -E: the client's list per failure, no server list, no time on the lines."""
    failures, totals = run(lines_of('sshd-9.2-default.log') + lines_of('sshd-9.2-default-plink.log'))
    assert sorted((key, f['client_list'], f['count']) for key, f in failures.items()) == [
        (('openssh', '127.0.0.1', 'mac'), PLINK_MACS, 1),
        (('openssh', '127.0.0.2', 'cipher'), ['aes128-ctr'], 1),
        (('openssh', '127.0.0.2', 'kex'), ['diffie-hellman-group1-sha1', 'ext-info-c', 'kex-strict-c-v00@openssh.com'], 1),
        (('openssh', '127.0.0.3', 'cipher'), ['aes192-ctr'], 1),   # paramiko
        (('openssh', '127.0.0.3', 'host_key'), ['ssh-dss'], 1),
    ]
    for entry in failures.values():
        assert entry['server_list'] is None and entry['direction'] is None and entry['first_seen'] is None
        assert entry['client_banner'] is None and entry['message'].endswith(' [preauth]')
    assert failures[('openssh', '127.0.0.2', 'cipher')]['message'] == (
        'Unable to negotiate with 127.0.0.2 port 53117: no matching cipher found. Their offer: aes128-ctr [preauth]')
    assert totals['undated'] == 5 and totals['skipped'] == {} and totals['addresses'] == 3
    assert totals['by_category'] == {'mac': 1, 'cipher': 2, 'kex': 1, 'host_key': 1}


def test_sshd_debug1_logs_the_banner_but_not_its_lists():
    failures, _totals = run(lines_of('sshd-9.2-debug1.log'))
    entry, = failures.values()
    assert entry['client_banner'] == 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10' and entry['server_list'] is None


def test_sshd_debug2_logs_its_own_lists_too():
    failures, totals = run(lines_of('sshd-9.2-debug2.log'))
    cipher = failures[('openssh', '127.0.0.2', 'cipher')]
    assert (cipher['direction'], cipher['client_list'], cipher['server_list']) == (
        'c2s', ['aes128-ctr'], ['aes256-gcm@openssh.com'])
    kex = failures[('openssh', '127.0.0.3', 'kex')]
    assert kex['server_list'][:3] == ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256']
    assert kex['direction'] is None and kex['client_banner'].startswith('SSH-2.0-OpenSSH_9.2p1')
    assert totals['failures'] == 2 and totals['skipped'] == {}


def test_proftpd_sftp_log():
    failures, totals = run(lines_of('proftpd-1.3.8-sftp.log'))
    assert sorted((key, f['direction'], f['client_list'], f['server_list']) for key, f in failures.items()) == [
        (('proftpd', '127.0.0.2', 'cipher'), 'c2s', ['aes128-ctr'], ['aes256-ctr']),
        (('proftpd', '127.0.0.2', 'mac'), 'c2s', ['hmac-sha1'], ['hmac-sha2-512']),
        (('proftpd', '127.0.0.3', 'host_key'), None, ['ssh-ed25519'],
         ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']),
        (('proftpd', '127.0.0.3', 'kex'), None,
         ['diffie-hellman-group14-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com'],
         ['ecdh-sha2-nistp384', 'ext-info-s', 'kex-strict-s-v00@openssh.com']),
    ]
    cipher = failures[('proftpd', '127.0.0.2', 'cipher')]
    local = datetime(2026, 11, 25, 14, 12, 38).astimezone().astimezone(UTC)
    assert cipher['first_seen'] == cipher['last_seen'] == local.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert cipher['client_banner'] == 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10'
    assert cipher['message'].startswith('2026-11-25 14:12:38,922 mod_sftp/1.1.1[26883]: no shared client-to-server ')
    assert totals['failures'] == 4 and totals['skipped'] == {} and totals['undated'] == 0


def test_dropbear_log():
    failures, totals = run(lines_of('dropbear-2022.83.log'))
    assert sorted((key, f['direction']) for key, f in failures.items()) == [
        (('dropbear', '127.0.0.2', 'cipher'), 'c2s'), (('dropbear', '127.0.0.2', 'kex'), None),
        (('dropbear', '127.0.0.3', 'host_key'), None), (('dropbear', '127.0.0.3', 'mac'), 'c2s')]
    assert all(f['client_list'] is None and f['server_list'] is None for f in failures.values())
    assert failures[('dropbear', '127.0.0.2', 'cipher')]['last_seen'] == \
        datetime(2026, 11, 25, 14, 12, 40).astimezone().astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert totals['failures'] == 4 and totals['skipped'] == {}   # "Exited normally" is no failure


def test_collect_reads_the_real_logs_as_files(tmp_path):
    paths = [as_written(tmp_path, name) for name in ('sshd-9.2-default.log', 'proftpd-1.3.8-sftp.log', 'dropbear-2022.83.log')]
    result = collect(LONG_AGO, log_paths=paths, now=NOW)
    assert result['totals']['failures'] == 4 + 4 + 4 and result['totals']['entries'] == 12
    assert [source['error'] for source in result['sources']] == [None, None, None]
    assert all(f['sources'] == [paths[('openssh', 'proftpd', 'dropbear').index(f['daemon'])]] for f in result['failures'])
    # since cuts the dated lines; the undated sshd -E lines count while their file is newer than since
    result = collect(datetime(2026, 11, 25, 14, 12, 39, 500000).astimezone(), log_paths=paths, now=NOW)
    assert result['totals']['by_daemon'] == {'openssh': 4, 'proftpd': 2, 'dropbear': 4}   # ProFTPD: milliseconds


# --- hostile lines -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('line, reason', [
    # control characters and ANSI escapes: a raw one never comes from sshd (log.c strnvis escapes them)
    (UNABLE.replace('aes128-cbc', 'aes128-cbc\x1b[2J\x1b[31m'), 'control_characters'),
    (UNABLE.replace('aes128-ctr', 'aes\x00128-ctr'), 'control_characters'),
    (UNABLE + '\x0bUnable to negotiate with 10.0.0.1 port 1: no matching MAC found. Their offer: x', 'control_characters'),
    (UNABLE.replace(' [preauth]', '\u2028 [preauth]'), 'control_characters'),
    (UNABLE.replace('aes128-ctr', 'aes128-ctr\x85'), 'control_characters'),
    # what sshd makes of a client's control bytes (strnvis): a backslash, no algorithm name
    (UNABLE.replace('aes128-cbc', '\\033[31mred'), 'invalid_name'),
    # names the catalog refuses
    (UNABLE.replace('aes128-cbc', 'a' * 65), 'invalid_name'),
    (UNABLE.replace('aes128-cbc', 'x@y@z'), 'invalid_name'),
    # the client's list had a space: text after it where sshd writes none
    (UNABLE.replace(',aes128-cbc [preauth]', ' PermitRootLogin yes [preauth]'), 'unexpected_text'),
    (UNABLE.replace('192.0.2.7', '999.0.2.7'), 'invalid_address'),
    (UNABLE.replace('192.0.2.7', '$(reboot)'), 'invalid_address'),
    (UNABLE.replace('192.0.2.7', 'fe80::1%<script>'), 'invalid_address'),
    (UNABLE.replace('192.0.2.7', 'fe80::1%\u00e9th0'), 'invalid_address'),
    ('Unable to negotiate with 192.0.2.7 port 1: no matching cipher found.', 'malformed'),
    (UNABLE.replace('aes128-ctr,', 'x,' * 600), 'invalid_name'),   # more names than any daemon offers
    ('Unable to negotiate with 192.0.2.7 port 1: ' + 'x' * 20000, 'line_too_long'),
])
def test_hostile_failure_lines_are_skipped_and_counted(line, reason):
    failures, totals = run([line])
    assert failures == {} and totals['skipped'] == {reason: 1} and totals['failures'] == 0


def test_a_line_split_by_a_vertical_tab_or_line_separator_stays_one_line(tmp_path):
    """str.splitlines would make two lines of these, the second a forged failure; the reader splits on LF only."""
    path = tmp_path / 'auth.log'
    forged = 'Unable to negotiate with 10.6.6.6 port 1: no matching MAC found. Their offer: evil [preauth]'
    path.write_bytes(('x\x0b%s\nx\x1c%s\nx\u2028%s\n' % (forged, forged, forged)).encode('utf-8'))
    result = collect(LONG_AGO, log_paths=[str(path)], now=NOW)
    assert result['failures'] == [] and result['totals']['skipped'] == {'control_characters': 3}


def test_forged_proftpd_server_list_is_refused():
    """A client cannot end its own quoted list early and supply the server's: both ends are anchored."""
    line = ("2026-11-25 14:05:01,123 mod_sftp/1.0.0[777]: no shared client-to-server encryption algorithm found "
            "(client sent 'aes128-ctr', server sent 'none', server sent 'aes256-ctr')")
    failures, totals = run([line])
    assert failures == {} and totals['skipped'] == {'malformed': 1}


def test_journal_lines_from_another_process_are_refused():
    """`logger -t sshd ...` sets SYSLOG_IDENTIFIER=sshd but the journal's trusted _COMM is logger."""
    records = [parse_journal_line(journal_entry(UNABLE, comm='logger'))[0],
               parse_journal_line(journal_entry(UNABLE.replace('192.0.2.7', '192.0.2.8'), comm=None))[0],
               parse_journal_line(journal_entry(UNABLE.replace('192.0.2.7', '192.0.2.9'), comm='sshd-session'))[0]]
    collector = Collector(LONG_AGO)
    scan(records, collector, 'journal')
    failures, totals = collector.result()
    assert sorted(f['address'] for f in failures) == ['192.0.2.8', '192.0.2.9']
    assert totals['skipped'] == {'not_from_daemon': 1}


def test_ssh_client_lines_in_a_syslog_file_are_not_the_daemons():
    line = at_syslog(UNABLE.replace(' [preauth]', ''), ident='ssh')
    failures, totals = run([line])
    assert failures == {} and totals['skipped'] == {'not_from_daemon': 1}


def test_truncated_syslog_message_drops_the_cut_name():
    """syslog keeps 500 characters of an sshd message (log.c "%.500s"): the list and " [preauth]" are cut."""
    names = ['algorithm-%03d@example.com' % index for index in range(40)]
    message = ('Unable to negotiate with 192.0.2.7 port 50022: no matching key exchange method found. Their offer: '
               + ','.join(names) + ' [preauth]')[:500]
    failures, _totals = run([at_syslog(message)])
    entry = failures[('openssh', '192.0.2.7', 'kex')]
    assert entry['client_list_truncated'] is True
    assert entry['client_list'] == names[:len(entry['client_list'])] and len(entry['client_list']) < 40
    assert message.rsplit(',', maxsplit=1)[-1] not in entry['client_list']


# --- journal JSON --------------------------------------------------------------------------------------------

def test_journal_json_line():
    record, reason = parse_journal_line(journal_entry(UNABLE))
    assert reason is None and record.message == UNABLE and record.pid == 4242 and record.comm == 'sshd'
    assert record.timestamp == NOW and record.ident == 'sshd'


def test_journal_binary_message_is_decoded_then_refused_for_its_control_characters():
    """journalctl -o json prints a MESSAGE with control characters or invalid UTF-8 as an array of bytes."""
    raw = list((UNABLE.replace('aes128-cbc', 'x\nUnable to negotiate with 10.6.6.6 port 1: no matching MAC '
                                             'found. Their offer: evil')).encode('utf-8')) + [0xff]
    line = json.dumps({'MESSAGE': raw, '_PID': '1', '_COMM': 'sshd', '__REALTIME_TIMESTAMP': '1764079200000000'})
    record, reason = parse_journal_line(line)
    assert reason is None and '\n' in record.message and record.message.endswith('\ufffd')
    collector = Collector(LONG_AGO)
    scan([record], collector, 'journal')
    assert collector.result()[0] == [] and collector.skipped == {'control_characters': 1}


@pytest.mark.parametrize('line, reason', [
    ('{"MESSAGE": "x"', 'invalid_json'),
    ('[1, 2]', 'invalid_json'),
    ('{"MESSAGE": [1, 300]}', 'invalid_json'),
    ('{"MESSAGE": null, "_PID": "1"}', 'no_message'),
    ('{"_PID": "1"}', 'no_message'),
])
def test_journal_lines_that_are_not_entries(line, reason):
    assert parse_journal_line(line) == (None, reason)


def test_journal_entry_with_odd_fields_still_reads():
    record, _reason = parse_journal_line(json.dumps({'MESSAGE': 'x', '_PID': 'abc', '__REALTIME_TIMESTAMP': 'soon',
                                                     'SYSLOG_IDENTIFIER': ['a'], '_COMM': 5}))
    assert (record.pid, record.timestamp, record.ident, record.comm) == (None, None, None, None)


def test_no_journal_on_this_host_is_an_error_not_silence(tmp_path):
    result = collect(LONG_AGO, journal=True, journal_dirs=[str(tmp_path / 'run'), str(tmp_path / 'var')], now=NOW)
    assert result['sources'][0]['error'].startswith('no systemd journal on this host (none of ')
    assert result['failures'] == [] and result['totals']['failures'] == 0


def test_journal_command():
    cutoff = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    command = journal_command(cutoff)
    assert command[:6] == ['journalctl', '--output=json', '--no-pager', '--quiet', '--reverse',
                           '--since=@%d' % cutoff.timestamp()]
    assert command[-4:] == ['SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=proftpd',
                            'SYSLOG_IDENTIFIER=dropbear']
    assert journal_command(cutoff, units=['ssh.service'])[-1] == '--unit=ssh.service'


def _fake_journalctl(tmp_path, body):
    """A stand-in journalctl: a Python script (this interpreter) that prints ``body``'s output."""
    script = tmp_path / 'journalctl'
    script.write_text('#!%s\nimport sys, time\n%s\n' % (sys.executable, body))
    script.chmod(0o755)
    return str(script)


def test_read_journal_keeps_the_newest_and_returns_them_oldest_first(tmp_path):
    entries = [journal_entry(UNABLE.replace('192.0.2.7', '192.0.2.%d' % index), pid=index,
                             when=NOW - timedelta(minutes=index)) for index in range(1, 4)]
    journalctl = _fake_journalctl(tmp_path, 'sys.stdout.write(%r)' % ''.join(line + '\n' for line in entries))
    lines, status = read_journal([journalctl], 10 ** 6)
    assert lines == entries[::-1] and status['error'] is None and not status['truncated']
    # bounded: the output is cut, the entry cut in the middle dropped; the newest kept
    lines, status = read_journal([journalctl], len(entries[0]) + 10)
    assert lines == entries[:1] and status['truncated'] and status['bytes_read'] == len(entries[0]) + 10


def test_read_journal_errors(tmp_path):
    failing = _fake_journalctl(tmp_path, 'sys.stderr.write("No journal files were found.\\x1b[0m\\n"); sys.exit(1)')
    lines, status = read_journal([failing], 1000)
    assert lines == [] and status['error'] == 'journalctl failed (rc=1): No journal files were found.\\x1b[0m'
    lines, status = read_journal([str(tmp_path / 'missing')], 1000)
    assert lines == [] and status['error'].startswith('cannot run ') and 'No such file' in status['error']
    slow = _fake_journalctl(tmp_path, 'time.sleep(30)')
    lines, status = read_journal([slow], 1000, timeout=0.5)
    assert lines == [] and status['error'] == 'journalctl did not finish within 0.5 seconds' and status['truncated']


def test_collect_from_the_journal(tmp_path):
    entries = [journal_entry(UNABLE, pid=1, when=NOW - timedelta(minutes=5)),
               journal_entry(UNABLE, pid=2, when=NOW - timedelta(minutes=3)),
               journal_entry(UNABLE, pid=3, when=NOW - timedelta(hours=3)),
               'not json']
    journalctl = _fake_journalctl(tmp_path, 'sys.stdout.write(%r)' % ''.join(line + '\n' for line in entries[::-1]))
    result = collect(NOW - timedelta(hours=1), journal=True, journalctl=journalctl, now=NOW, journal_dirs=[str(tmp_path)])
    entry, = result['failures']
    assert (entry['count'], entry['first_seen'], entry['last_seen']) == (2, '2026-11-25T14:25:00Z', '2026-11-25T14:27:00Z')
    assert entry['sources'] == ['journal'] and entry['client_list'] == ['aes128-ctr', 'aes128-cbc']
    assert result['totals']['outside_since'] == 1 and result['totals']['skipped'] == {'invalid_json': 1}
    assert result['sources'] == [{'source': 'journal', 'kind': 'journal', 'bytes_read': sum(len(e) + 1 for e in entries),
                                  'lines': 4, 'truncated': False, 'error': None}]


# --- files ---------------------------------------------------------------------------------------------------

def test_read_file_tail_reads_only_the_end(tmp_path):
    path = tmp_path / 'auth.log'
    path.write_text(''.join('line %04d\n' % index for index in range(1000)))   # 10 bytes a line
    lines, status = read_file_tail(str(path), 95)
    assert lines == ['line %04d' % index for index in range(991, 1000)]   # the partial first line dropped
    assert status['truncated'] and status['bytes_read'] == 95 and status['error'] is None


@pytest.mark.parametrize('make, error', [
    (lambda tmp: str(tmp / 'missing.log'), 'cannot read: No such file or directory'),
    (str, 'not a regular file'),
    (lambda tmp: (os.mkfifo(str(tmp / 'fifo')), str(tmp / 'fifo'))[1], 'not a regular file'),
    (lambda tmp: '/dev/zero', 'not a regular file'),
    (lambda tmp: ((tmp / 'auth.log.2.gz').write_bytes(b'\x1f\x8b\x08\x00'), str(tmp / 'auth.log.2.gz'))[1],
     'compressed (gzip); give the uncompressed log'),
])
def test_unreadable_sources_are_an_error_of_their_own(tmp_path, make, error):
    good = tmp_path / 'good.log'
    good.write_text(UNABLE + '\n')
    result = collect(LONG_AGO, log_paths=[make(tmp_path), str(good)], now=NOW)
    assert [source['error'] for source in result['sources']] == [error, None]
    assert result['totals']['failures'] == 1


def test_undated_lines_of_a_file_older_than_since_are_left_out(tmp_path):
    path = tmp_path / 'sshd.log'
    path.write_text(UNABLE + '\n')
    os.utime(str(path), (NOW.timestamp() - 7200, NOW.timestamp() - 7200))
    assert collect(NOW - timedelta(hours=1), log_paths=[str(path)], now=NOW)['totals']['outside_since'] == 1
    result = collect(NOW - timedelta(hours=3), log_paths=[str(path)], now=NOW)
    assert result['totals']['undated'] == 1 and result['failures'][0]['first_seen'] is None


def test_max_entries_and_ordering():
    lines = [at_syslog(UNABLE.replace('192.0.2.7', '192.0.2.%d' % (index % 5)), pid=index,
                       when='Nov 25 14:%02d:00' % index) for index in range(12)]
    failures, totals = run(lines, max_entries=2)
    assert totals['entries'] == 2 and totals['entries_omitted'] == 3 and totals['failures'] == 12
    assert sorted(f['count'] for f in failures.values()) == [3, 3]
    # the most frequent, and among equals the most recent, first: 192.0.2.1 (14:11) then 192.0.2.0 (14:10)
    assert list(failures) == [('openssh', '192.0.2.1', 'cipher'), ('openssh', '192.0.2.0', 'cipher')]


def test_daemons_filter():
    failures, totals = run([UNABLE], daemons=['proftpd'])
    assert failures == {} and totals['failures'] == 0


# --- other log formats ---------------------------------------------------------------------------------------

def test_rfc3339_syslog_and_dropbear_syslog_and_ipv6():
    lines = [
        '2026-11-25T14:05:01.123456+01:00 sftp1 sshd[77]: ' + UNABLE.replace('192.0.2.7', '2001:db8::7'),
        'Nov 25 14:06:02 sftp1 dropbear[78]: Exit before auth from <2001:db8::8:40022>: No matching algo kex',
        'Nov  5 09:00:00 sftp1 dropbear[79]: Early exit from <192.0.2.9:1>: No matching algo comp s->c',
    ]
    failures, totals = run(lines)
    openssh = failures[('openssh', '2001:db8::7', 'cipher')]
    assert openssh['first_seen'] == '2026-11-25T13:05:01Z'
    dropbear = failures[('dropbear', '2001:db8::8', 'kex')]
    assert dropbear['client_list'] is None and dropbear['direction'] is None
    assert failures[('dropbear', '192.0.2.9', 'compression')]['direction'] == 's2c'
    assert totals['failures'] == 3 and totals['undated'] == 0


def test_proftpd_lines_without_a_closing_parenthesis_and_address_from_the_disconnect():
    """mod_sftp 1.3.8 leaves the ")" off the host-key and compression sentences (kex.c); when the session's
    "connected" line is not in the bytes read, the "disconnecting ADDR" line of the same process gives it."""
    lines = [
        "2026-11-25 14:05:01,001 mod_sftp/1.0.0[900]: no shared client-to-server compression algorithm found "
        "(client sent 'zlib@openssh.com', server sent 'none'",
        '2026-11-25 14:05:01,002 mod_sftp/1.0.0[900]: disconnecting 192.0.2.20 (Key exchange failed)',
        "2026-11-25 14:05:02,001 mod_sftp/1.0.0[901]: no shared server hostkey algorithm found "
        "(client sent 'ssh-ed25519', server sent 'rsa-sha2-512,rsa-sha2-256'",
    ]
    failures, _totals = run(lines)
    compression = failures[('proftpd', '192.0.2.20', 'compression')]
    assert (compression['direction'], compression['client_list'], compression['server_list']) == (
        'c2s', ['zlib@openssh.com'], ['none'])
    host_key = failures[('proftpd', None, 'host_key')]   # its session never said where it came from
    assert host_key['server_list'] == ['rsa-sha2-512', 'rsa-sha2-256']


def test_syslog_time_without_a_year_is_the_latest_not_ahead_of_now():
    failures, _totals = run([at_syslog(UNABLE, when='Dec 31 23:59:00')])
    assert failures[('openssh', '192.0.2.7', 'cipher')]['last_seen'].startswith('2025-12-31T') or \
        failures[('openssh', '192.0.2.7', 'cipher')]['last_seen'].startswith('2026-01-01T')
    old, recent = ((NOW - delta).astimezone().strftime('%b %d %H:%M:%S') for delta in (timedelta(hours=3),
                                                                                       timedelta(minutes=1)))
    failures, totals = run([at_syslog(UNABLE, when=old), at_syslog(UNABLE, pid=2, when=recent)],
                           cutoff=NOW - timedelta(hours=1))
    assert totals['failures'] == 1 and totals['outside_since'] == 1
    assert failures[('openssh', '192.0.2.7', 'cipher')]['last_seen'] == '2026-11-25T14:29:00Z'


# --- fuzzing: never a crash, never unescaped text ------------------------------------------------------------

_REAL_LINES = [line for name in ('sshd-9.2-default.log', 'sshd-9.2-debug2.log', 'proftpd-1.3.8-sftp.log',
                                 'dropbear-2022.83.log') for line in lines_of(name) if line]
_PRINTABLE = ''.join(chr(code) for code in range(0x20, 0x7f))


def _assert_clean(value):
    if isinstance(value, dict):
        for item in value.values():
            _assert_clean(item)
    elif isinstance(value, list):
        for item in value:
            _assert_clean(item)
    elif isinstance(value, str):
        assert all(char in _PRINTABLE for char in value), value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_REAL_LINES), st.integers(0, 400), st.text(max_size=30)), max_size=8))
def test_mutated_real_lines_never_crash_and_never_pass_unescaped_text(edits):
    """Real failure lines with random text spliced in anywhere: whatever is returned is printable ASCII."""
    lines = [line[:cut] + text + line[cut:] for line, cut, text in edits]
    failures, totals = run(lines)
    _assert_clean(list(failures.values()))
    assert totals['failures'] == sum(entry['count'] for entry in failures.values())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_journal_output_never_crashes(data):
    lines = data.decode('utf-8', 'replace').split('\n')
    collector = Collector(LONG_AGO)
    scan([record if record is not None else (None, reason)
          for record, reason in (parse_journal_line(line) for line in lines)], collector, 'journal')
    _assert_clean(collector.result()[0])
