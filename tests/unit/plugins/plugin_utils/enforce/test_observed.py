# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Observed clients and logged failures: labels, partial proposals, predictions today and under a target, and the
lock-out check with observed-client exceptions (enforce/observed.py). The observed entries have the shapes
observed_clients_info and negotiation_failures_info return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce import observed as observed_module
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.observed import ObservedError, hassh_of, \
    lockout_check, normalize_observed_exceptions, observed_entries, observed_impact, observed_proposals
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.enforce.remediation import remediate
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict

TODAY = '2026-11-24'
JSCH_BANNER = 'SSH-2.0-JSCH-0.1.54'
OPENSSH_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'
# JSch 0.1.55 (restricted JCE) has no X25519 key exchange: the "modern" target has nothing else.
JSCH_KEX_FAILURE = ('Algorithm negotiation fail: algorithmName="kex" jschProposal="ecdh-sha2-nistp256,'
                    'ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-'
                    'sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1" serverProposal="')


def captured(profile, banner, connections=3, addresses=(('10.0.0.5', 3),), hassh=True):
    """An observed_clients_info entry for a client with ``profile``'s lists."""
    lists = load_profile(profile)
    proposal = {key: list(lists[key]) for key in NAME_LIST_KEYS}
    algorithms = ';'.join(','.join(proposal[key]) for key in (
        'kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
        'compression_algorithms_client_to_server'))
    entry = {'banner': banner, 'proposal': proposal, 'connections': connections,
             'first_seen': '2026-11-24T08:00:00Z', 'last_seen': '2026-11-24T09:00:00Z',
             'addresses': [{'address': address, 'count': count} for address, count in addresses]}
    if hassh:
        entry.update(hassh=hashlib.md5(algorithms.encode()).hexdigest(), hassh_algorithms=algorithms)
    return entry


def failure(category='cipher', client_list=('aes128-cbc', '3des-cbc'), address='192.0.2.7', count=4, **extra):
    """A negotiation_failures_info entry."""
    entry = {'address': address, 'category': category, 'direction': None,
             'client_list': list(client_list) if client_list is not None else None, 'server_list': None,
             'count': count, 'first_seen': '2026-11-24T07:00:00Z', 'last_seen': '2026-11-24T07:30:00Z',
             'daemon': 'openssh',
             'message': 'Unable to negotiate with %s port 50000: no matching %s found. Their offer: %s [preauth]'
             % (address, category, ','.join(client_list or ()))}
    entry.update(extra)
    return entry


@pytest.fixture
def jsch():
    return captured('jsch-0.1.54-restricted-jce', JSCH_BANNER)


@pytest.fixture
def modern_plan(probe_result, openssh_92_supported):
    """What the role would configure for 'modern' on an sshd 9.2 that must keep OpenSSH 9.2 working."""
    return remediate(probe_result(), 'modern', ['openssh-9.2'], openssh_92_supported, today=TODAY)


def test_captured_client_is_labelled_by_software_and_hassh(jsch):
    read = observed_entries([jsch])
    assert read['errors'] == [] and read['skipped'] == 0
    entry = read['entries'][0]
    assert entry['label'] == 'observed JSch_0.1.54 #' + jsch['hassh'][:8]
    assert (entry['source'], entry['banner'], entry['hassh']) == ('capture', JSCH_BANNER, jsch['hassh'])
    assert entry['software'] == {'product': 'JSch', 'version': '0.1.54'}  # read from the banner
    assert entry['partial'] is False and entry['connections'] == 3
    # Without a hassh from the module, the same value is computed (the HASSH definition).
    assert observed_entries([captured('jsch-0.1.54-restricted-jce', JSCH_BANNER, hassh=False)])['entries'][0][
        'hassh'] == jsch['hassh'] == hassh_of(jsch['proposal'])
    assert observed_entries([dict(jsch, hassh=jsch['hassh'].upper())])['entries'][0]['hassh'] == jsch['hassh']


def test_observed_client_locked_out_by_a_stricter_target(probe_result, jsch, modern_plan):
    result = observed_impact([jsch], probe_result(), modern_plan, today=TODAY)
    assert result['ok'] is False and result['checked'] == 1
    item = result['clients'][0]
    assert item['today']['compatible'] is True and item['today']['negotiated']['kex'] == 'ecdh-sha2-nistp256'
    assert item['target']['compatible'] is False
    assert item['target']['message'].startswith(JSCH_KEX_FAILURE)  # the client's own words
    assert [failure['category'] for failure in item['target']['failures']][:1] == ['kex']
    assert item['locked_out'] is True and item['accepted'] is False and item['exception'] is None
    assert result['locked_out'] == [item['label']] and result['failing_today'] == []
    assert item['addresses'] == [{'address': '10.0.0.5', 'count': 3}]
    message = result['message']
    assert message.startswith('the target would lock out 1 observed client that connects today: observed JSch_0.1.54 #')
    assert ('(SSH-2.0-JSCH-0.1.54; 3 connections from 10.0.0.5 (3); hassh %s): %s'
            % (jsch['hassh'], JSCH_KEX_FAILURE)) in message
    assert 'observed-client exception {hassh | banner | address, reason, expires}' in message
    # The same client under the intermediate baseline keeps working: nothing to refuse.
    plan = remediate(probe_result(), 'intermediate', ['openssh-9.2'], today=TODAY)
    assert observed_impact([jsch], probe_result(), plan, today=TODAY)['ok'] is True
    assert lockout_check(modern_plan, [jsch], None, probe_result(), TODAY)['locked_out'] == [item['label']]


@pytest.mark.parametrize('exception', [
    {'hassh': 'HASSH8'},                              # the label's eight digits (replaced below)
    {'hassh': 'HASSH32'},
    {'banner': 'SSH-2.0-JSCH-*'},
    {'banner': 'SSH-2.0-JSCH-0.1.5?'},
    {'address': '10.0.0.5'},
    {'address': '10.0.0.0/24'},
    {'banner': 'SSH-2.0-JSCH-*', 'address': '10.0.0.0/8'},
])
def test_exception_accepts_the_lock_out(probe_result, jsch, modern_plan, exception):
    exception = {key: (jsch['hassh'][:8] if value == 'HASSH8' else jsch['hassh'] if value == 'HASSH32' else value)
                 for key, value in exception.items()}
    exception.update(reason='ACME retires this gateway, ticket 77', expires='2027-01-31')
    result = observed_impact([jsch], probe_result(), modern_plan, [exception], TODAY)
    assert result['ok'] is True and result['locked_out'] == [] and result['message'] is None
    item = result['clients'][0]
    assert item['locked_out'] is False and item['accepted'] is True and result['accepted'] == [item['label']]
    assert item['exception'] == dict(exception, hassh=exception['hassh'].lower()) if 'hassh' in exception \
        else item['exception'] == exception


@pytest.mark.parametrize('exception', [
    {'hassh': '00000000'},
    {'banner': 'SSH-2.0-OpenSSH*'},
    {'banner': 'ssh-2.0-jsch-*'},                     # patterns are case-sensitive, as banners are
    {'address': '10.0.0.6'},
    {'address': '10.0.1.0/24'},
    {'banner': 'SSH-2.0-JSCH-*', 'address': '192.0.2.0/24'},  # both must match
])
def test_exception_that_does_not_match_leaves_the_lock_out(probe_result, jsch, modern_plan, exception):
    exception.update(reason='r', expires='2099-01-01')
    result = observed_impact([jsch], probe_result(), modern_plan, [exception], TODAY)
    assert result['ok'] is False and result['clients'][0]['exception'] is None


def test_address_exception_must_cover_every_address(probe_result, modern_plan):
    client = captured('jsch-0.1.54-restricted-jce', JSCH_BANNER, 5, (('10.0.0.5', 3), ('10.9.0.1', 2)))
    exception = {'address': '10.0.0.0/24', 'reason': 'one site only', 'expires': '2099-01-01'}
    result = observed_impact([client], probe_result(), modern_plan, [exception], TODAY)
    item = result['clients'][0]
    assert item['locked_out'] is True and item['partial_exception'] == exception
    assert 'exception for 10.0.0.0/24 covers only some of its addresses' in result['message']
    both = [exception, dict(exception, address='10.9.0.1')]
    assert observed_impact([client], probe_result(), modern_plan, both, TODAY)['ok'] is False  # one must cover all
    wide = dict(exception, address='10.0.0.0/8')
    assert observed_impact([client], probe_result(), modern_plan, [wide], TODAY)['ok'] is True
    # Connections beyond the listed (capped) addresses came from addresses nobody has seen: not covered.
    capped = dict(client, connections=50)
    assert observed_impact([capped], probe_result(), modern_plan, [wide], TODAY)['ok'] is False


def test_expired_exception_counts_as_absent_and_is_reported(probe_result, jsch, modern_plan):
    expired = {'banner': 'SSH-2.0-JSCH-*', 'reason': 'was due', 'expires': '2026-11-23'}
    result = observed_impact([jsch], probe_result(), modern_plan, [expired], TODAY)
    assert result['ok'] is False and result['expired_exceptions'] == [expired]
    assert result['clients'][0]['expired_exception'] == expired
    assert '[its exception expired on 2026-11-23]' in result['message']
    same_day = dict(expired, expires=TODAY)  # valid through its last day, as algorithm exceptions are
    assert observed_impact([jsch], probe_result(), modern_plan, [same_day], TODAY)['ok'] is True


@pytest.mark.parametrize('value, message', [
    ('nope', 'must be a list'),
    (['x'], r'observed exceptions\[0\] must be a dict'),
    ([{'reason': 'r', 'expires': '2099-01-01'}], 'names no client'),
    ([{'hassh': 'abcdef12', 'expires': '2099-01-01'}], 'lacks reason'),
    ([{'hassh': 'abcdef12', 'reason': 'r'}], 'lacks expires'),
    ([{'hassh': 'abcdef12', 'reason': 'r', 'expires': '31.12.2099'}], 'must be a date written YYYY-MM-DD'),
    ([{'hassh': 'abc', 'reason': 'r', 'expires': '2099-01-01'}], 'first 8 or more'),
    ([{'hassh': 'zzzzzzzz', 'reason': 'r', 'expires': '2099-01-01'}], 'first 8 or more'),
    ([{'banner': 'SSH-2.0-\x1b[31m*', 'reason': 'r', 'expires': '2099-01-01'}], 'printable characters'),
    ([{'address': '10.0.0.0/33', 'reason': 'r', 'expires': '2099-01-01'}], 'is not a network'),
    ([{'client': 'jsch', 'hassh': 'abcdef12', 'reason': 'r', 'expires': '2099-01-01'}], 'unknown keys client'),
])
def test_observed_exceptions_are_validated(value, message):
    with pytest.raises(ObservedError, match=message):
        normalize_observed_exceptions(value, TODAY)


def test_exception_dates_are_dates_or_strings():
    import datetime
    active, expired = normalize_observed_exceptions([
        {'hassh': 'ABCDEF12', 'reason': 'r', 'expires': datetime.date(2099, 1, 1)},
        {'address': '192.0.2.1', 'reason': 'r', 'expires': '2001-01-01'}], TODAY)
    assert active == [{'hassh': 'abcdef12', 'reason': 'r', 'expires': '2099-01-01'}]
    assert expired == [{'address': '192.0.2.1', 'reason': 'r', 'expires': '2001-01-01'}]
    assert normalize_observed_exceptions(None) == ([], [])


def test_logged_failure_becomes_a_partial_client_of_its_category(probe_result, modern_plan):
    result = observed_impact({'clients': [], 'failures': [failure()]}, probe_result(), modern_plan, today=TODAY)
    item = result['clients'][0]
    tag = hashlib.md5(b'cipher:None:aes128-cbc,3des-cbc:').hexdigest()[:8]
    assert item['label'] == 'logged cipher failure #' + tag
    assert (item['source'], item['partial'], item['hassh'], item['banner']) == ('log', True, None, None)
    assert item['logged_category'] == 'cipher' and item['logged_message'].startswith('Unable to negotiate with 192.0.2.7')
    assert item['connections'] == 4 and item['addresses'] == [{'address': '192.0.2.7', 'count': 4}]
    # Only the logged category is judged; the others are unknown, not guessed.
    assert item['today']['compatible'] is False and item['today']['unknown'] == ['kex', 'host_key', 'mac', 'compression']
    assert [(entry['category'], entry['direction']) for entry in item['today']['failures']] == [
        ('cipher', 'c2s'), ('cipher', 's2c')]
    # It fails today already: the change does not lock it out.
    assert item['locked_out'] is False and result['ok'] is True and result['failing_today'] == [item['label']]


def test_logged_failure_with_direction_and_banner_uses_the_clients_rules(probe_result):
    entry = failure(direction='c2s', client_banner=JSCH_BANNER, daemon='proftpd', server_list=['aes256-ctr'])
    item = observed_impact([entry], probe_result(['aes256-ctr']))['clients'][0]
    assert item['label'].startswith('logged JSch_0.1.54 cipher c2s failure #')
    assert item['software'] == {'product': 'JSch', 'version': '0.1.54'}
    assert item['today']['message'] == ('Algorithm negotiation fail: algorithmName="cipher.c2s" jschProposal='
                                        '"aes128-cbc,3des-cbc" serverProposal="aes256-ctr"')
    # Only the client-to-server cipher list is known: the other direction is as unknown as the other categories.
    assert item['today']['unknown'] == ['kex', 'host_key', 'cipher', 'mac', 'compression']
    assert [(entry['category'], entry['direction']) for entry in item['today']['failures']] == [('cipher', 'c2s')]
    assert item['target'] is None and item['locked_out'] is None


def test_logged_failure_of_a_known_release_is_filled_from_its_profile(probe_result):
    """sshd 9.2 logs the client's banner at LogLevel DEBUG1: an OpenSSH 9.2 client with its default ciphers is that
    release's profile, so its other lists are known too; a changed list is not (a crypto policy, not the defaults)."""
    ciphers = load_profile('openssh-9.2')['encryption_algorithms_client_to_server']
    entry = failure(client_list=ciphers, client_banner=OPENSSH_BANNER)
    item = observed_impact([entry], probe_result(['aes256-cbc']))['clients'][0]
    assert item['filled_from'] == {'profile': 'openssh-9.2', 'categories': ['kex', 'host_key', 'mac', 'compression']}
    assert item['partial'] is True and item['today']['unknown'] == []
    assert item['today']['message'] == 'no matching cipher found. Their offer: aes256-cbc'
    other = observed_impact([failure(client_list=['aes128-ctr'], client_banner=OPENSSH_BANNER)], probe_result())
    assert other['clients'][0]['filled_from'] is None and other['clients'][0]['today']['unknown']


def test_logged_failures_are_grouped_and_explained_by_captured_clients(probe_result):
    jsch_list = load_profile('jsch-0.1.54-restricted-jce')['encryption_algorithms_client_to_server']
    client = captured('jsch-0.1.54-restricted-jce', JSCH_BANNER)
    failures = [failure(), failure(address='192.0.2.8', count=1, first_seen='2026-11-24T06:00:00Z'),
                failure(client_list=jsch_list, address='10.0.0.5', count=2)]  # what the captured JSch sends
    read = observed_entries({'clients': {'clients': [client], 'capture_method': 'tcpdump'},
                             'failures': {'failures': failures, 'totals': {}}})
    assert [entry['source'] for entry in read['entries']] == ['capture', 'log']
    assert len(read['entries'][0]['logged_failures']) == 1  # explained by the captured client
    logged = read['entries'][1]
    assert logged['connections'] == 5 and logged['first_seen'] == '2026-11-24T06:00:00Z'
    assert logged['addresses'] == [{'address': '192.0.2.7', 'count': 4}, {'address': '192.0.2.8', 'count': 1}]
    # From another address, the same list is another client.
    other = observed_entries({'clients': [client], 'failures': [failure(client_list=jsch_list, address='10.1.1.1')]})
    assert [entry['source'] for entry in other['entries']] == ['capture', 'log']


def test_unreadable_items_are_errors_not_fatal(jsch):
    bad_name = captured('openssh-9.2', OPENSSH_BANNER)
    bad_name['proposal']['kex_algorithms'] = ['curve25519-sha256', 'evil\nname']
    items = [jsch, bad_name, {'proposal': 'x'}, failure(client_list=None, daemon='dropbear'),
             failure(category='sideband'), 'not-a-profile', dict(jsch, hassh='not hex')]
    read = observed_entries(items)
    assert [entry['label'][:8] for entry in read['entries']] == ['observed']
    assert [(error['source'], error['index']) for error in read['errors']] == [
        ('capture', 1), ('capture', 2), ('capture', 3), ('given', 0), ('log', 0), ('log', 1)]
    messages = [error['message'] for error in read['errors']]
    assert 'dropbear logged a cipher failure from 192.0.2.7 without the client\'s list' in messages[4]
    assert "category 'sideband' is not one of" in messages[5]
    assert all('\n' not in message for message in messages)


def test_hostile_banner_stays_one_line_in_labels_and_messages(probe_result, modern_plan):
    client = captured('jsch-0.1.54-restricted-jce', JSCH_BANNER)
    client['software'] = {'product': 'JSch\x1b[2J\n<script>', 'version': '0.1.54' + 'x' * 300}
    result = observed_impact([client], probe_result(), modern_plan, today=TODAY)
    label = result['clients'][0]['label']
    assert '\n' not in label and '\x1b' not in label and len(label) < 120
    assert label.startswith('observed JSch?[2J?<script>_0.1.54xxx')
    assert '\n' not in result['message']


def test_labels_are_unique_and_given_clients_keep_their_names(probe_result):
    one = captured('openssh-9.2', OPENSSH_BANNER)
    two = dict(one, banner='SSH-2.0-OpenSSH_9.2p1 Ubuntu-1', addresses=[])
    read = observed_entries([one, two, 'putty-0.78', {'name': 'acme-mft', 'kex': ['ecdh-sha2-nistp256'],
                                                      'ciphers': ['aes128-ctr']}])
    labels = [entry['label'] for entry in read['entries']]
    assert labels[0] == 'observed OpenSSH_9.2p1 #' + one['hassh'][:8] and labels[1] == labels[0] + ' (2)'
    assert labels[2:] == ['putty-0.78', 'acme-mft']
    assert [entry['source'] for entry in read['entries']] == ['capture', 'capture', 'given', 'given']
    assert read['entries'][3]['partial'] is True


def test_observed_proposals_work_as_clients(probe_result, jsch):
    proposals = observed_proposals({'clients': [jsch], 'failures': [failure()]})
    assert [proposal['name'] for proposal in proposals] == [
        'observed JSch_0.1.54 #' + jsch['hassh'][:8], 'logged cipher failure #'
        + hashlib.md5(b'cipher:None:aes128-cbc,3des-cbc:').hexdigest()[:8]]
    assert proposals[0]['banner'] == JSCH_BANNER and proposals[1]['partial'] is True
    assert 'kex_algorithms' not in proposals[1]
    assert predict(probe_result(), proposals[0])['compatible'] is True
    plan = remediate(probe_result(), 'intermediate', proposals[:1], today=TODAY)
    assert plan['ok'] is True and list(plan['predictions']) == [proposals[0]['name']]
    # A stored proposal read back keeps its label.
    assert observed_entries(proposals)['entries'][0]['label'] == proposals[0]['name']


def test_without_plan_or_server(probe_result, jsch, modern_plan):
    alone = observed_impact([jsch])
    assert alone['ok'] is True and alone['clients'][0]['today'] is None and alone['clients'][0]['target'] is None
    assert alone['clients'][0]['locked_out'] is None
    # A failed probe: today is not known, so a client failing under the target counts.
    gone = observed_impact([jsch], {'failed': True, 'reason': 'refused', 'msg': 'x'}, modern_plan, today=TODAY)
    assert gone['ok'] is False and gone['clients'][0]['today'] is None
    # A client that already fails today is not locked out by the change, and is reported as failing.
    classic = observed_impact([jsch], probe_result(['aes256-ctr']), modern_plan, today=TODAY)
    assert classic['ok'] is True and classic['failing_today'] == [classic['clients'][0]['label']]
    assert observed_impact([], probe_result(), modern_plan) == dict(
        observed_impact(None, probe_result(), modern_plan), checked=0)


@pytest.mark.parametrize('value, message', [
    ('x', 'observed clients must be a list'),
    ({'clients': 'x'}, 'clients must be a list'),
    ({'failures': 3}, 'failures must be a list'),
])
def test_bad_observed_input(value, message):
    with pytest.raises(ObservedError, match=message):
        observed_entries(value)


def test_bad_plan():
    with pytest.raises(ObservedError, match='plan must be a remediate result'):
        observed_impact([], None, {'target': {}})


def test_entries_are_bounded(monkeypatch, jsch):
    monkeypatch.setattr(observed_module, 'MAX_ENTRIES', 2)
    read = observed_entries({'clients': [jsch, jsch], 'failures': [failure(), failure()]})
    assert read['skipped'] == 2 and len(read['entries']) == 2
