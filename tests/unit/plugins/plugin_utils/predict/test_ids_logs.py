# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zeek ssh.log and Suricata eve.json records -> partial client proposals.

The records are built from real clients' KEXINITs (the built-in profiles captured on the wire, openssh-9.2 from
Debian 12's ssh, jsch-0.1.54-restricted-jce from JSch on a restricted JCE) exactly as the hassh Zeek package and
Suricata write them (field names: salesforce/hassh zeek/hassh.zeek, zeek/zeek doc/reference/logs/ssh.rst,
OISF/suricata rust/src/ssh/logger.rs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict import ids_logs
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.ids_logs import HASSH_KEYS, IdsLogError, \
    proposals_from_ids_logs
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal

OPENSSH = load_profile('openssh-9.2')
JSCH = load_profile('jsch-0.1.54-restricted-jce')
# The HASSH of Debian 12's OpenSSH 9.2p1 client (MD5 of its four lists, as in the profile captured on the wire).
OPENSSH_92_HASSH = '472b5de333ad665af5cbf10ff892c4df'

ZEEK_FIELDS = ('ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'version', 'auth_success',
               'auth_attempts', 'direction', 'client', 'server', 'cipher_alg', 'mac_alg', 'compression_alg', 'kex_alg',
               'host_key_alg', 'host_key', 'hasshVersion', 'hassh', 'hasshServer', 'cshka', 'hasshAlgorithms', 'sshka',
               'hasshServerAlgorithms')
SERVER_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'


def algorithms(profile):
    return ';'.join(','.join(profile[key]) for key in HASSH_KEYS)


def md5(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def zeek_values(profile, ts, address, banner=None, **changes):
    alg = algorithms(profile)
    values = {
        'ts': ts, 'uid': 'CHhAvVGS1DHFjwGM9', 'id.orig_h': address, 'id.orig_p': '50022', 'id.resp_h': '192.0.2.1',
        'id.resp_p': '22', 'version': '2', 'auth_success': '-', 'auth_attempts': '0', 'direction': '-',
        'client': banner or profile['banner'], 'server': SERVER_BANNER, 'cipher_alg': 'aes256-ctr',
        'mac_alg': 'hmac-sha2-256-etm@openssh.com', 'compression_alg': 'none', 'kex_alg': 'curve25519-sha256',
        'host_key_alg': 'ssh-ed25519', 'host_key': '3c:1f:9a:55:01:2e:77:d4:8b:0e:21:aa:c3:64:19:f0',
        'hasshVersion': '1.1', 'hassh': md5(alg), 'hasshServer': 'b12d2871a1189eff20364cf5333619ee',
        'cshka': ','.join(profile['server_host_key_algorithms']), 'hasshAlgorithms': alg,
        'sshka': 'rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519',
        'hasshServerAlgorithms': 'curve25519-sha256,ext-info-s,kex-strict-s-v00@openssh.com;aes256-ctr,aes256-cbc;'
                                 'hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha1;none,zlib@openssh.com',
    }
    values.update(changes)
    return values


def zeek_tsv(rows, path='ssh'):
    lines = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\t' + path,
             '#open\t2026-11-24-10-00-00', '#fields\t' + '\t'.join(ZEEK_FIELDS),
             '#types\t' + '\t'.join(['string'] * len(ZEEK_FIELDS))]
    lines += ['\t'.join(str(row[name]) for name in ZEEK_FIELDS) for row in rows]
    lines.append('#close\t2026-11-24-11-00-00')
    return '\n'.join(lines) + '\n'


def suricata_event(profile, timestamp, address, software_version=None, legacy=False, **changes):
    alg = algorithms(profile)
    client = {'proto_version': '2.0', 'software_version': software_version or profile['banner'].split('-', 2)[2]
              .split(' ')[0]}
    if legacy:   # Suricata 6
        client.update({'hassh': md5(alg), 'hassh_string': alg})
    else:
        client['hassh'] = {'hash': md5(alg), 'string': alg}
    event = {'timestamp': timestamp, 'flow_id': 1218402301930823, 'in_iface': 'eth0', 'event_type': 'ssh',
             'src_ip': address, 'src_port': 50022, 'dest_ip': '192.0.2.1', 'dest_port': 22, 'proto': 'TCP',
             'ssh': {'client': client, 'server': {'proto_version': '2.0', 'software_version': 'OpenSSH_9.2p1',
                                                  'hassh': {'hash': 'b12d2871a1189eff20364cf5333619ee',
                                                            'string': 'curve25519-sha256;aes256-ctr;hmac-sha1;none'}}}}
    event.update(changes)
    return event


def test_the_openssh_92_hassh_is_the_known_one():
    assert md5(algorithms(OPENSSH)) == OPENSSH_92_HASSH


def test_zeek_tsv_gives_one_partial_proposal_per_client():
    rows = [zeek_values(OPENSSH, '1763978400.250000', '192.0.2.10'),
            zeek_values(OPENSSH, '1763982000.500000', '192.0.2.11'),
            zeek_values(OPENSSH, '1763985600.000000', '192.0.2.10'),
            zeek_values(JSCH, '1763980000.000000', '198.51.100.7')]
    result = proposals_from_ids_logs(zeek_tsv(rows))
    assert result['records'] == 4 and result['skipped'] == {} and result['errors'] == []
    assert result['formats'] == ['zeek'] and result['truncated'] is False
    assert result['ignored'] == 9   # the header lines
    openssh, jsch = result['proposals']
    assert openssh['banner'] == OPENSSH['banner'] and openssh['software'] == {'product': 'OpenSSH', 'version': '9.2p1'}
    assert openssh['hassh'] == OPENSSH_92_HASSH and openssh['hassh_algorithms'] == algorithms(OPENSSH)
    for key in HASSH_KEYS + ('server_host_key_algorithms',):   # Zeek's hassh package logs the host keys (cshka)
        assert openssh[key] == OPENSSH[key]
    for key in ('encryption_algorithms_server_to_client', 'mac_algorithms_server_to_client',
                'compression_algorithms_server_to_client'):
        assert key not in openssh   # never assumed equal to the client-to-server lists
    assert openssh['connections'] == 3 and openssh['distinct_addresses'] == 2
    assert openssh['addresses'] == [{'address': '192.0.2.10', 'count': 2}, {'address': '192.0.2.11', 'count': 1}]
    assert openssh['first_seen'] == '2025-11-24T10:00:00.250000Z' and openssh['last_seen'] == '2025-11-24T12:00:00.000000Z'
    assert openssh['source'] == 'zeek' and openssh['partial'] is True
    assert jsch['banner'] == 'SSH-2.0-JSCH-0.1.54' and jsch['connections'] == 1
    assert jsch['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes128-cbc', '3des-ctr', '3des-cbc',
                                                              'blowfish-cbc']


def test_the_proposal_is_partial_for_the_engine():
    result = proposals_from_ids_logs(zeek_tsv([zeek_values(OPENSSH, '1763978400.25', '192.0.2.10')]))
    proposal = normalize_proposal(result['proposals'][0], 'client')
    assert proposal['partial'] and proposal['software']['product'] == 'OpenSSH'
    assert proposal['offer']['encryption_algorithms_server_to_client'] is None
    assert proposal['offer']['server_host_key_algorithms'] == OPENSSH['server_host_key_algorithms']


def test_zeek_json_lines_with_iso_times_and_nested_id():
    record = zeek_values(OPENSSH, '2026-11-24T10:00:00.123456Z', None)
    record.pop('id.orig_h')
    record['id'] = {'orig_h': '2001:db8::10', 'orig_p': 50022}
    record['_path'] = 'ssh'
    other = {'_path': 'conn', 'ts': 1763978400.0, 'uid': 'C2', 'id.orig_h': '192.0.2.99'}
    epoch = zeek_values(OPENSSH, 1763978400.5, '192.0.2.10')
    text = '\n'.join(json.dumps(item) for item in (record, other, epoch)) + '\n'
    result = proposals_from_ids_logs(text)
    assert result['records'] == 2 and result['ignored'] == 1 and not result['skipped']
    (proposal,) = result['proposals']
    assert proposal['connections'] == 2
    assert {item['address'] for item in proposal['addresses']} == {'2001:db8::10', '192.0.2.10'}
    assert proposal['first_seen'] == '2025-11-24T10:00:00.500000Z'
    assert proposal['last_seen'] == '2026-11-24T10:00:00.123456Z'


@pytest.mark.parametrize('legacy', [False, True])
def test_suricata_eve_ssh_events(legacy):
    events = [suricata_event(OPENSSH, '2026-11-24T11:00:00.123456+0100', '192.0.2.20', legacy=legacy),
              suricata_event(OPENSSH, '2026-11-24T12:30:00.000000+0100', '192.0.2.20', legacy=legacy),
              {'timestamp': '2026-11-24T11:00:00.000000+0100', 'event_type': 'flow', 'src_ip': '192.0.2.20'},
              {'timestamp': '2026-11-24T11:00:00.000000+0100', 'event_type': 'alert', 'alert': {'signature_id': 1}}]
    result = proposals_from_ids_logs('\n'.join(json.dumps(event) for event in events))
    assert result['formats'] == ['suricata'] and result['records'] == 2 and result['ignored'] == 2
    (proposal,) = result['proposals']
    # Suricata logs the software version up to the first space: the rebuilt banner has no comments.
    assert proposal['banner'] == 'SSH-2.0-OpenSSH_9.2p1' and proposal['source'] == 'suricata'
    assert proposal['hassh'] == OPENSSH_92_HASSH and 'server_host_key_algorithms' not in proposal
    assert proposal['first_seen'] == '2026-11-24T10:00:00.123456Z' and proposal['last_seen'] == '2026-11-24T11:30:00.000000Z'
    assert proposal['addresses'] == [{'address': '192.0.2.20', 'count': 2}]


def test_a_list_of_parsed_events_and_bytes_are_read_too():
    event = suricata_event(OPENSSH, '2026-11-24T11:00:00Z', '192.0.2.20')
    assert proposals_from_ids_logs([event, 'not json', 42])['skipped'] == {'no_fields_header': 1, 'unrecognized': 1}
    assert proposals_from_ids_logs(json.dumps(event).encode('utf-8'))['proposals'][0]['hassh'] == OPENSSH_92_HASSH


def test_zeek_and_suricata_records_of_one_client_stay_apart_by_source():
    text = zeek_tsv([zeek_values(OPENSSH, '1763978400', '192.0.2.10')]) + json.dumps(
        suricata_event(OPENSSH, '2026-11-24T11:00:00Z', '192.0.2.10', software_version='OpenSSH_9.2p1 Debian-2+deb12u10'))
    result = proposals_from_ids_logs(text)
    assert sorted(item['source'] for item in result['proposals']) == ['suricata', 'zeek']


def test_a_hassh_that_is_not_the_md5_of_its_string_is_skipped():
    wrong = zeek_values(OPENSSH, '1763978400', '192.0.2.10', hassh='0' * 32)
    tampered = zeek_values(OPENSSH, '1763978400', '192.0.2.10')
    tampered['hasshAlgorithms'] = tampered['hasshAlgorithms'].replace('aes128-ctr,', '')
    result = proposals_from_ids_logs(zeek_tsv([wrong, tampered, zeek_values(JSCH, '1763978400', '192.0.2.3')]))
    assert result['skipped'] == {'hassh_mismatch': 2} and len(result['proposals']) == 1
    assert result['errors'][0]['line'] == 9 and result['errors'][0]['reason'] == 'hassh_mismatch'
    assert 'is not the MD5' in result['errors'][0]['message']


def _with_algorithms(alg, **changes):
    return json.dumps(dict(zeek_values(OPENSSH, '1763978400', '192.0.2.10'), hasshAlgorithms=alg, hassh=md5(alg),
                           **changes))


@pytest.mark.parametrize('alg,reason', [
    ('curve25519-sha256;aes256-ctr;hmac-sha2-256', 'malformed_hassh'),            # three lists
    ('curve25519-sha256;aes256-ctr;hmac-sha2-256;none;', 'malformed_hassh'),      # five
    ('curve25519-sha256;aes 256-ctr;hmac-sha2-256;none', 'invalid_name'),         # a space
    ('curve25519-sha256;aes256-ctr@a@b;hmac-sha2-256;none', 'invalid_name'),      # two @
    ('curve25519-sha256;%s;hmac-sha2-256;none' % ('a' * 65), 'invalid_name'),     # longer than 64
    ('curve25519-sha256;aes256-ctr\nPermitRootLogin yes;hmac-sha2-256;none', 'invalid_name'),
    ('curve25519-sha256;aes256-ctr\u00e9;hmac-sha2-256;none', 'invalid_name'),
    ('', 'no_hassh'),
])
def test_malformed_algorithm_strings_are_skipped(alg, reason):
    result = proposals_from_ids_logs(_with_algorithms(alg))
    assert result['skipped'] == {reason: 1} and result['proposals'] == []


def test_empty_entries_are_dropped_and_remembered_as_on_the_wire():
    alg = 'curve25519-sha256;aes128-ctr,,aes256-ctr;hmac-sha2-256;none'
    (proposal,) = proposals_from_ids_logs(_with_algorithms(alg, cshka='ssh-ed25519,'))['proposals']
    assert proposal['encryption_algorithms_client_to_server'] == ['aes128-ctr', 'aes256-ctr']
    assert proposal['empty_entries'] == {'encryption_algorithms_client_to_server': 1, 'server_host_key_algorithms': 1}
    assert normalize_proposal(proposal)['empty_entries'] == proposal['empty_entries']


@pytest.mark.parametrize('changes,reason', [
    ({'client': 'SSH-2.0-OpenSSH_9.2p1\x1b[31m red'}, 'invalid_banner'),       # an ANSI escape
    ({'client': 'SSH-2.0-OpenSSH_9.2p1\r\nSSH-2.0-Evil'}, 'invalid_banner'),   # a second line
    ({'client': 'SSH-1.5-OldClient'}, 'invalid_banner'),
    ({'client': 'GET / HTTP/1.1'}, 'invalid_banner'),
    ({'client': 'SSH-2.0-' + 'A' * 300}, 'invalid_banner'),
    ({'client': 42}, 'invalid_banner'),
    ({'id.orig_h': '192.0.2.300'}, 'invalid_address'),
    ({'id.orig_h': "'; DROP TABLE hosts; --"}, 'invalid_address'),
    ({'ts': 'yesterday'}, 'invalid_timestamp'),
    ({'ts': float('nan')}, 'invalid_timestamp'),
    ({'ts': 1e300}, 'invalid_timestamp'),
    ({'ts': '2026-13-45T99:00:00Z'}, 'invalid_timestamp'),
    ({'ts': True}, 'invalid_timestamp'),
    ({'cshka': 'ssh-ed25519,ssh rsa'}, 'invalid_name'),
    ({'hassh': 'not-a-digest'}, 'malformed_hassh'),
    ({'hasshAlgorithms': ['a', 'b']}, 'malformed_hassh'),
])
def test_hostile_fields_skip_the_record_with_a_reason(changes, reason):
    record = dict(zeek_values(OPENSSH, '1763978400', '192.0.2.10'), **changes)
    result = proposals_from_ids_logs(json.dumps(record))
    assert result['skipped'] == {reason: 1} and result['proposals'] == []
    message = result['errors'][0]['message']
    assert all(0x20 <= ord(char) <= 0x7e for char in message) and len(message) < 400


def test_a_template_in_a_banner_is_kept_as_data():
    """A printable banner is what the client sent; it is returned verbatim (the filter marks it unsafe)."""
    banner = "SSH-2.0-{{ lookup('pipe', 'id') }}"
    (proposal,) = proposals_from_ids_logs(json.dumps(zeek_values(OPENSSH, '1763978400', '192.0.2.10',
                                                                 banner=banner)))['proposals']
    assert proposal['banner'] == banner


def test_zeek_escapes_are_decoded_then_checked():
    row = zeek_values(OPENSSH, '1763978400', '192.0.2.10', banner='SSH-2.0-OpenSSH_9.2p1\\x09tab')
    result = proposals_from_ids_logs(zeek_tsv([row]))
    assert result['skipped'] == {'invalid_banner': 1}
    ok = zeek_values(OPENSSH, '1763978400', '192.0.2.10', banner='SSH-2.0-OpenSSH_9.2p1\\x20Debian')
    assert proposals_from_ids_logs(zeek_tsv([ok]))['proposals'][0]['banner'] == 'SSH-2.0-OpenSSH_9.2p1 Debian'


@pytest.mark.parametrize('line,reason', [
    ('{"ts": 1763978400, "hassh": ', 'bad_json'),
    ('[' * 100000 + ']' * 100000, 'line_too_long'),
    ('{"a":' * 10000 + '1' + '}' * 10000, 'bad_json'),       # nesting deeper than the JSON parser recurses
    ('["event_type", "ssh"]', 'bad_json'),
    ('{"event_type": "ssh", "ssh": "nope"}', 'no_hassh'),
    ('{"something": "else"}', 'unrecognized'),
    ('plain text', 'no_fields_header'),
])
def test_bad_lines_are_counted_never_fatal(line, reason):
    result = proposals_from_ids_logs(line + '\n' + json.dumps(zeek_values(OPENSSH, '1763978400', '192.0.2.10')))
    assert result['skipped'] == {reason: 1} and len(result['proposals']) == 1


def test_a_json_array_line_is_bad_json():
    assert proposals_from_ids_logs('[1, 2]')['skipped'] == {'bad_json': 1}


def test_a_tsv_line_with_the_wrong_number_of_fields():
    text = zeek_tsv([zeek_values(OPENSSH, '1763978400', '192.0.2.10')]).replace('\t192.0.2.10\t', '\t192.0.2.10\t\t')
    assert proposals_from_ids_logs(text)['skipped'] == {'field_count': 1}


def test_other_zeek_logs_are_ignored():
    text = zeek_tsv([zeek_values(OPENSSH, '1763978400', '192.0.2.10')], path='conn')
    result = proposals_from_ids_logs(text)
    assert result['proposals'] == [] and result['skipped'] == {} and result['ignored'] == 10


def test_lines_split_on_lf_only():
    """A form feed or U+2028 inside a JSON string must not cut the record in two (str.splitlines would)."""
    record = zeek_values(OPENSSH, '1763978400', '192.0.2.10', banner='SSH-2.0-OpenSSH_9.2p1\x0c\u2028x')
    result = proposals_from_ids_logs(json.dumps(record, ensure_ascii=False) + '\r\n')
    assert result['lines'] == 1 and result['skipped'] == {'invalid_banner': 1}


def test_bounds(monkeypatch):
    monkeypatch.setattr(ids_logs, 'MAX_PROPOSALS', 2)
    monkeypatch.setattr(ids_logs, 'MAX_TRACKED_ADDRESSES', 3)
    monkeypatch.setattr(ids_logs, 'MAX_ADDRESSES', 2)
    monkeypatch.setattr(ids_logs, 'MAX_ERRORS', 1)
    lines = [json.dumps(zeek_values(OPENSSH, '1763978400', '192.0.2.%d' % index)) for index in range(1, 6)]
    for index in range(3):
        alg = 'curve25519-sha256;aes%d-ctr;hmac-sha2-256;none' % (128 + index)
        lines.append(_with_algorithms(alg))
    result = proposals_from_ids_logs('\n'.join(lines))
    assert result['skipped'] == {'too_many_proposals': 2} and len(result['errors']) == 1
    openssh = result['proposals'][0]
    assert openssh['connections'] == 5 and openssh['distinct_addresses'] == 4 and len(openssh['addresses']) == 2


def test_input_is_truncated_at_the_bound(monkeypatch):
    line = json.dumps(zeek_values(OPENSSH, '1763978400', '192.0.2.10'))
    monkeypatch.setattr(ids_logs, 'MAX_INPUT_CHARS', len(line) * 3 + 10)
    result = proposals_from_ids_logs('\n'.join([line] * 10))
    assert result['truncated'] and result['records'] == 3
    assert proposals_from_ids_logs(('\n'.join([line] * 10)).encode('ascii'))['records'] == 3
    monkeypatch.setattr(ids_logs, 'MAX_ITEMS', 2)
    assert proposals_from_ids_logs([line] * 5)['records'] == 2


@pytest.mark.parametrize('bad', [None, 42, {'proposals': []}])
def test_the_input_must_be_text_or_a_list(bad):
    with pytest.raises(IdsLogError):
        proposals_from_ids_logs(bad)


def test_empty_input():
    assert proposals_from_ids_logs('') == {'proposals': [], 'lines': 0, 'records': 0, 'ignored': 0, 'skipped': {},
                                           'errors': [], 'truncated': False, 'formats': []}


def test_negotiate_judges_what_the_record_knows_and_fills_the_rest_from_the_profile(classic_server):
    """The issue's example: a partner's JSch on a restricted JCE, seen by Suricata, against the classic server."""
    text = '\n'.join(json.dumps(event) for event in (
        suricata_event(JSCH, '2026-11-24T11:00:00Z', '198.51.100.7'),
        suricata_event(OPENSSH, '2026-11-24T11:00:00Z', '192.0.2.20')))
    jsch, openssh = sorted(proposals_from_ids_logs(text)['proposals'], key=lambda item: item['banner'])
    assert jsch['banner'] == 'SSH-2.0-JSCH-0.1.54'
    failed = predict(classic_server, jsch)
    # The cipher fails for real (the client-to-server list is known); JSch checks in wire order.
    assert failed['compatible'] is False and [(f['category'], f['direction']) for f in failed['failures']] == [
        ('cipher', 'c2s')]
    # JSch 0.1.54 names one profile, but its ciphers are not that profile's defaults: nothing is filled.
    assert failed['filled_from'] is None and failed['unknown'] == ['host_key', 'cipher', 'mac', 'compression']
    assert failed['negotiated']['host_key'] is None and failed['negotiated']['cipher_s2c'] is None
    filled = predict(classic_server, openssh)
    assert filled['filled_from'] == {'profile': 'openssh-9.2', 'categories': ['host_key', 'cipher', 'mac', 'compression']}
    assert filled['compatible'] is True and filled['unknown'] == []
    assert filled['negotiated'] == predict(classic_server, 'openssh-9.2')['negotiated']
    raw = predict(classic_server, openssh, fill_from_profiles=False)
    assert raw['compatible'] is True and raw['unknown'] == ['host_key', 'cipher', 'mac', 'compression']
    assert raw['negotiated']['cipher_c2s'] == 'aes256-ctr' and raw['negotiated']['cipher_s2c'] is None
