# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PuTTY's saved-session lines and warning threshold (plugin_utils/predict/putty_settings.py and the engine's rule).

Real plink -batch handshakes prove the rule in tests/live/test_putty_warn.py; these tests pin its parts, each with
the PuTTY source it follows.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import PSEUDO_ALGORITHMS
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, predict, \
    putty_profile_names, with_putty_settings
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.putty_settings import apply_settings, \
    preference_order

OPENSSH = {'product': 'OpenSSH', 'version': '9.2p1'}
DEFAULTS_078 = {'Cipher': 'aes,chacha20,aesgcm,3des,WARN,des,blowfish,arcfour',
                'KEX': 'ntru-curve25519,ecdh,dh-gex-sha1,dh-group18-sha512,dh-group17-sha512,dh-group16-sha512,'
                       'dh-group15-sha512,dh-group14-sha1,rsa,WARN,dh-group1-sha1',
                'HostKey': 'ed448,ed25519,ecdsa,rsa,dsa,WARN'}


def server(kex='curve25519-sha256', host_key='ssh-ed25519', ciphers='aes256-ctr'):
    return {'software': OPENSSH, 'kex': kex, 'host_key': host_key, 'ciphers': ciphers, 'macs': ['hmac-sha2-256'],
            'compression': ['none']}


def session(**lines):
    return {'profile': 'putty-0.78', 'putty_settings': dict(DEFAULTS_078, **lines)}


PUTTY_RELEASES = ['putty-0.70', 'putty-0.76', 'putty-0.78', 'putty-0.80', 'putty-0.81', 'putty-0.82', 'putty-0.83',
                  'winscp-5.17', 'winscp-6.3', 'winscp-6.5', 'filezilla-3.63.0-debian12']


def test_putty_and_winscp_profiles_carry_their_releases_tokens():
    # The aliases (product lines) count too: they are the release they name.
    assert set(putty_profile_names()) == set(PUTTY_RELEASES) | {'putty-0.8x', 'winscp-6.x'}
    assert load_profile('putty-0.8x')['name'] == 'putty-0.83' and load_profile('winscp-6.x')['name'] == 'winscp-6.5'


@pytest.mark.parametrize('name', PUTTY_RELEASES)
def test_default_lines_make_exactly_the_captured_proposal(name):
    """Each profile's lists were captured on the wire; its default lines with its release's tokens must make them."""
    profile = load_profile(name)
    applied = apply_settings(profile['putty_settings'], profile['putty_tokens'])
    assert applied['lists']['kex'] == [n for n in profile['kex_algorithms'] if n not in PSEUDO_ALGORITHMS]
    assert applied['lists']['host_key'] == profile['server_host_key_algorithms']
    assert applied['lists']['cipher'] == profile['encryption_algorithms_client_to_server'] == \
        profile['encryption_algorithms_server_to_client']
    # Every release's defaults put group1 and the weak ciphers below the line, and no host key.
    assert applied['below_warn']['kex'] == ['diffie-hellman-group1-sha1']
    assert applied['below_warn']['host_key'] == []
    assert 'arcfour128' in applied['below_warn']['cipher'] and '3des-cbc' not in applied['below_warn']['cipher']


def test_blowfish_is_above_the_line_in_0_70_and_below_it_from_0_73():
    # settings.c ciphernames: 0.70 lists blowfish before WARN; 0.73 moved it after des.
    assert 'blowfish-cbc' not in load_profile('putty-0.70')['below_warn']['cipher']
    assert 'blowfish-cbc' in load_profile('putty-0.76')['below_warn']['cipher']


def test_left_out_tokens_are_placed_as_gprefs_from_str_does():
    tables = load_profile('putty-0.78')['putty_tokens']
    # dh-group1-sha1 ("after WARN") and rsa ("before WARN") wait for WARN, which is added at the end first.
    assert preference_order('ecdh', tables['KEX'], 'KEX') == (
        'ntru-curve25519,ecdh,dh-gex-sha1,dh-group16-sha512,dh-group17-sha512,dh-group18-sha512,dh-group15-sha512,'
        'dh-group14-sha1,rsa,WARN,dh-group1-sha1').split(',')
    assert preference_order('WARN', tables['KEX'], 'KEX') == (
        'ecdh,ntru-curve25519,rsa,WARN,dh-group1-sha1,dh-gex-sha1,dh-group16-sha512,dh-group17-sha512,'
        'dh-group18-sha512,dh-group15-sha512,dh-group14-sha1').split(',')
    # An empty line is the table's own order (settings.c: gprefs(sesskey, "Cipher", "\0", ...)).
    assert ','.join(preference_order('', tables['Cipher'], 'Cipher')) == DEFAULTS_078['Cipher']
    # Empty words and repeats are skipped.
    assert preference_order(',,WARN,aes,aes', tables['Cipher'], 'Cipher')[:2] == ['WARN', 'aes']


def test_warn_as_the_last_token_marks_nothing_and_everything_below_it_is_still_proposed():
    client = with_putty_settings(session(Cipher='WARN,arcfour,aes', HostKey='rsa,WARN'))
    assert client['below_warn']['cipher'][:2] == ['arcfour256', 'arcfour128']
    assert 'aes256-ctr' in client['below_warn']['cipher']
    assert client['encryption_algorithms_client_to_server'][:2] == ['arcfour256', 'arcfour128']
    # ed25519 and ed448 are added at the start (above the line), ecdsa and dsa at the end (below it).
    assert client['putty_settings']['HostKey'] == 'ed448,ed25519,rsa,WARN,ecdsa,dsa'
    assert client['below_warn']['host_key'] == ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
                                                'ssh-dss']
    assert with_putty_settings(session(HostKey='dsa,rsa,ecdsa,ed25519,ed448,WARN'))['below_warn']['host_key'] == []


def test_winscp_ini_escapes_kex_migration_and_ssh2des():
    escaped = with_putty_settings(session(Cipher='aes%2Cchacha20%2CWARN%2C3des'))
    # aesgcm goes right after chacha20 ("after chacha20"), the others at the end.
    assert escaped['putty_settings']['Cipher'] == 'aes,chacha20,aesgcm,WARN,3des,des,blowfish,arcfour'
    # load_open_settings: 0.58-0.67's untouched default is read as the release's default.
    old = with_putty_settings(session(KEX='dh-gex-sha1,dh-group14-sha1,dh-group1-sha1,rsa,WARN'))
    assert old['putty_settings']['KEX'] == DEFAULTS_078['KEX']
    # The des token proposes only with SSH2DES (CONF_ssh2_des_cbc).
    assert 'des-cbc' not in with_putty_settings(session())['encryption_algorithms_client_to_server']
    with_des = with_putty_settings(session(SSH2DES='1'))
    assert with_des['below_warn']['cipher'][:2] == ['des-cbc', 'des-cbc@ssh.com']


@pytest.mark.parametrize('settings, message', [
    (dict(DEFAULTS_078, Cipher='aes,chacha,WARN'), "unknown token 'chacha'"),
    (dict(DEFAULTS_078, KEX='mlkem-curve25519,ecdh'), "unknown token 'mlkem-curve25519'"),
    ({'Cipher': 'aes', 'KEX': 'ecdh'}, 'needs HostKey'),
    (dict(DEFAULTS_078, Compression=1), 'unsupported setting(s) Compression'),
    (dict(DEFAULTS_078, SSH2DES='yes'), 'SSH2DES must be 0 or 1'),
])
def test_settings_are_validated(settings, message):
    with pytest.raises(ProposalError, match=message.replace('(', r'\(').replace(')', r'\)')):
        predict(server(), {'profile': 'putty-0.78', 'putty_settings': settings})


def test_the_release_comes_from_profile_or_banner():
    by_banner = with_putty_settings({'banner': 'SSH-2.0-PuTTY_Release_0.81', 'putty_settings': DEFAULTS_078})
    assert by_banner['name'] == 'putty-0.81'
    with pytest.raises(ProposalError, match='needs profile'):
        with_putty_settings({'putty_settings': DEFAULTS_078})
    with pytest.raises(ProposalError, match='not a PuTTY release'):
        with_putty_settings({'profile': 'openssh-9.2', 'putty_settings': DEFAULTS_078})
    # A release's tokens only: 0.70 has no ntru-curve25519.
    with pytest.raises(ProposalError, match="unknown token 'ntru-curve25519'"):
        with_putty_settings({'profile': 'putty-0.70', 'putty_settings': DEFAULTS_078})


def test_defaults_refuse_group1_in_batch_mode_with_putty_s_sentence():
    result = predict(server(kex='diffie-hellman-group1-sha1'), 'putty-0.78')
    assert not result['compatible']
    assert result['negotiated']['kex'] == 'diffie-hellman-group1-sha1'   # agreed, then refused
    (failure,) = result['failures']
    assert failure['category'] == 'kex' and failure['direction'] is None and failure['detected_by'] == 'client'
    assert failure['reason'] == 'below_warn_threshold'
    # ssh/transport2.c: "key-exchange algorithm"; console.c / ssh/common.c: the sentence.
    assert failure['message'] == ('The first key-exchange algorithm supported by the server is '
                                  'diffie-hellman-group1-sha1, which is below the configured warning threshold.')
    assert 'Connection abandoned.' in failure['note'] and 'interactive' in failure['note']
    assert failure['above_warn'][0] == 'sntrup761x25519-sha512@openssh.com'
    assert 'diffie-hellman-group1-sha1' not in failure['above_warn']
    assert result['below_warn_threshold'] == [{'category': 'kex', 'direction': None,
                                               'algorithm': 'diffie-hellman-group1-sha1',
                                               'message': failure['message']}]


def test_a_better_common_name_keeps_the_connection():
    result = predict(server(kex='curve25519-sha256,diffie-hellman-group1-sha1'), 'putty-0.78')
    assert result['compatible'] and result['below_warn_threshold'] == []
    assert result['negotiated']['kex'] == 'curve25519-sha256'


def test_batch_mode_stops_at_the_first_question_in_putty_s_order():
    # kex, host key, client-to-server cipher, server-to-client cipher (ssh/transport2.c).
    client = session(Cipher='aes,WARN,3des', HostKey='ed25519,WARN,rsa')
    result = predict(server(kex='diffie-hellman-group1-sha1', host_key='rsa-sha2-256', ciphers='3des-cbc'), client)
    assert [item['category'] for item in result['below_warn_threshold']] == ['kex', 'host_key', 'cipher', 'cipher']
    assert [item['direction'] for item in result['below_warn_threshold']][2:] == ['c2s', 's2c']
    (failure,) = result['failures']
    assert failure['category'] == 'kex'
    assert 'each of: kex diffie-hellman-group1-sha1; host_key rsa-sha2-256; cipher_c2s 3des-cbc' in failure['note']
    only_cipher = predict(server(ciphers='3des-cbc'), client)
    assert only_cipher['failures'][0]['message'] == (
        'The first client-to-server cipher supported by the server is 3des-cbc, which is below the configured '
        'warning threshold.')
    host_key = predict(server(host_key='rsa-sha2-256'), client)
    assert host_key['failures'][0]['message'].startswith('The first host key type supported by the server is '
                                                         'rsa-sha2-256,')


def test_no_question_when_putty_cannot_agree():
    # ssh2_scan_kexinits fails ("Couldn't agree") before any warning is considered.
    result = predict(server(kex='diffie-hellman-group1-sha1', ciphers='twofish-cbc'), 'putty-0.78')
    assert {f['reason'] for f in result['failures']} == {'no_common_algorithm'}
    assert result['below_warn_threshold'] == []


def test_other_failures_say_their_reason_and_other_clients_have_no_threshold():
    client = {'kex': 'curve25519-sha256', 'host_key': 'ssh-ed25519', 'ciphers': 'aes256-ctr', 'macs': 'hmac-sha2-256',
              'compression': 'none'}
    result = predict(server(ciphers='aes128-ctr'), client)
    assert {f['reason'] for f in result['failures']} == {'no_common_algorithm'}
    assert result['below_warn_threshold'] == []
    assert predict(server(kex='diffie-hellman-group1-sha1'), 'openssh-7.4')['below_warn_threshold'] == []


def test_winscp_profile_refuses_like_putty():
    result = predict(server(ciphers='arcfour128,blowfish-cbc'), 'winscp-6.3')
    assert result['failures'][0]['message'].startswith(
        'The first client-to-server cipher supported by the server is blowfish-cbc,')


def test_0_83_adds_ml_kem_tokens_and_0_82_the_iana_ntru_name():
    # settings.c kexnames (0.83): mlkem-curve25519 after ntru-curve25519, mlkem-nist after mlkem-curve25519;
    # crypto/kex-hybrid.c: the ntru token proposes the IANA name first (as crypto/ntru.c hybrid_list does in 0.82).
    new = load_profile('putty-0.83')
    assert new['kex_algorithms'][:5] == ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com',
                                         'mlkem768x25519-sha256', 'mlkem1024nistp384-sha384',
                                         'mlkem768nistp256-sha256']
    assert load_profile('putty-0.82')['kex_algorithms'][:3] == [
        'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'curve448-sha512']
    # A saved 0.81 line lacks the new tokens: they are added after ntru-curve25519 wherever the user put it.
    older = with_putty_settings({'profile': 'putty-0.83', 'putty_settings': dict(DEFAULTS_078, KEX=(
        'ecdh,dh-gex-sha1,dh-group18-sha512,dh-group17-sha512,dh-group16-sha512,dh-group15-sha512,dh-group14-sha1,'
        'rsa,WARN,dh-group1-sha1,ntru-curve25519'))})
    assert older['putty_settings']['KEX'].endswith('WARN,dh-group1-sha1,ntru-curve25519,mlkem-curve25519,mlkem-nist')
    assert 'mlkem768x25519-sha256' in older['below_warn']['kex']
    # The same token line in a release without ML-KEM is refused (the token is not that release's).
    with pytest.raises(ProposalError, match="unknown token 'mlkem-curve25519'"):
        with_putty_settings({'profile': 'putty-0.82', 'putty_settings': new['putty_settings']})
    # WinSCP 6.5 embeds 0.83 and its own defaults are the same lines.
    winscp = load_profile('winscp-6.5')
    assert winscp['putty_settings'] == new['putty_settings']
    assert winscp['kex_algorithms'] == new['kex_algorithms']
    result = predict(server(kex='mlkem768nistp256-sha256,curve25519-sha256'), 'winscp-6.5')
    assert result['negotiated']['kex'] == 'mlkem768nistp256-sha256' and result['post_quantum']


def test_filezilla_aborts_below_the_line_with_its_own_sentence_and_never_asks():
    result = predict(server(kex='diffie-hellman-group1-sha1'), 'filezilla-3.63.0-debian12')
    (failure,) = result['failures']
    assert failure['reason'] == 'below_warn_threshold'
    assert failure['message'] == ('The first key-exchange algorithm supported by the server is '
                                  'diffie-hellman-group1-sha1, which is no longer secure. Aborting connection.')
    assert 'does not ask' in failure['note']
    # No Terrapin question in its PuTTY fork: chacha20 without strict kex connects (and is exposed).
    chacha = predict(dict(server(ciphers='chacha20-poly1305@openssh.com')), 'filezilla-3.63.0-debian12')
    assert chacha['compatible'] and chacha['negotiated']['cipher_c2s'] == 'chacha20-poly1305@openssh.com'
    # AES-GCM is inside its aes token, above chacha20.
    assert predict(server(ciphers='chacha20-poly1305@openssh.com,aes128-gcm@openssh.com'),
                   'filezilla-3.63.0-debian12')['negotiated']['cipher_c2s'] == 'aes128-gcm@openssh.com'


@pytest.mark.parametrize('line, proposed', [
    # Saved lines and the cipher order fzsftp really proposed (tests/live/test_filezilla.py, seed 4253).
    ('aes,arcfour,chacha20,WARN,blowfish,des', ['aes', 'chacha20', 'arcfour', 'blowfish', '3des']),
    ('arcfour,aes,3des,chacha20,des', ['aes', '3des', 'chacha20', 'arcfour', 'blowfish']),
    ('3des,aes,chacha20,arcfour,blowfish,WARN,des', ['3des', 'aes', 'chacha20', 'blowfish', 'arcfour']),
    ('arcfour,aes,blowfish', ['aes', 'chacha20', 'blowfish', '3des', 'arcfour']),
])
def test_filezilla_moves_arcfour_and_des_below_the_line(line, proposed):
    """src/putty/psftp.c main (FileZilla 3.63.0): arcfour and des above WARN are moved just below it."""
    client = with_putty_settings({'profile': 'filezilla-3.63.0-debian12', 'putty_settings': {
        'Cipher': line, 'KEX': 'ecdh,WARN', 'HostKey': 'ed25519,WARN'}})
    first_names = {'aes': 'aes256-gcm@openssh.com', 'chacha20': 'chacha20-poly1305@openssh.com', '3des': '3des-ctr',
                   'blowfish': 'blowfish-ctr', 'arcfour': 'arcfour256'}
    names = client['encryption_algorithms_client_to_server']
    assert [token for token in proposed if first_names[token] in names] == proposed
    assert sorted(proposed, key=lambda token: names.index(first_names[token])) == proposed
    assert 'arcfour256' in client['below_warn']['cipher']


def test_the_filter_example_winscp_ini_lines():
    client = {'profile': 'winscp-6.3', 'putty_settings': {
        'Cipher': 'aes%2Cchacha20%2Caesgcm%2CWARN%2C3des%2Cdes%2Cblowfish%2Carcfour',
        'KEX': 'ntru-curve25519,ecdh,dh-gex-sha1,dh-group18-sha512,dh-group17-sha512,dh-group16-sha512,'
               'dh-group15-sha512,WARN,dh-group14-sha1,rsa,dh-group1-sha1',
        'HostKey': 'ed448,ed25519,ecdsa,rsa,WARN,dsa'}}
    result = predict(server(kex='diffie-hellman-group14-sha256,diffie-hellman-group1-sha1'), client)
    (failure,) = result['failures']
    assert failure['message'].startswith('The first key-exchange algorithm supported by the server is '
                                         'diffie-hellman-group14-sha256,')
    assert result['client_software'] == 'PuTTY'
    assert predict(server(ciphers='3des-cbc'), client)['failures'][0]['category'] == 'cipher'


def terrapin_server(strict=False, **lists):
    proposal = server(**lists)
    if strict:
        proposal['kex'] = [proposal['kex'], 'kex-strict-s-v00@openssh.com']
    return proposal


def test_terrapin_question_without_strict_kex():
    # ssh/transport2.c terrapin_vulnerable: CBC with an ETM MAC (0.80, 0.81; Debian 12's 0.78 backport).
    cbc_etm = dict(ciphers='aes256-cbc')
    proposal = terrapin_server(**cbc_etm)
    proposal['macs'] = ['hmac-sha2-256-etm@openssh.com']
    result = predict(proposal, 'putty-0.78')
    (failure,) = result['failures']
    assert failure['reason'] == 'terrapin_warning' and failure['category'] == 'cipher'
    assert failure['direction'] == 'c2s'
    assert failure['message'] == (
        "The client-to-server cipher selected for this session is a CBC-mode cipher in OpenSSH ETM mode, which, with "
        "this server, is vulnerable to the 'Terrapin' attack CVE-2023-48795, potentially allowing an attacker to "
        "modify the encrypted session.")
    assert not result['terrapin_exposed']   # the batch connection does not happen
    chacha = predict(terrapin_server(ciphers='chacha20-poly1305@openssh.com'), 'putty-0.81')
    assert 'is ChaCha20-Poly1305, which' in chacha['failures'][0]['message']
    # WinSCP words the batch failure itself (TSecureShell::AskAlg, ALG_NOT_VERIFIED).
    winscp = predict(terrapin_server(ciphers='chacha20-poly1305@openssh.com'), 'winscp-6.3')
    assert 'The client-to-server cipher ChaCha20-Poly1305 was not verified!' in winscp['failures'][0]['note']


def test_no_terrapin_question_with_strict_kex_for_old_releases_or_after_a_warn_question():
    assert predict(terrapin_server(True, ciphers='chacha20-poly1305@openssh.com'), 'putty-0.81')['compatible']
    # 0.76 has no Terrapin question (it came with 0.80).
    old = predict(terrapin_server(ciphers='chacha20-poly1305@openssh.com'), 'putty-0.76')
    assert old['compatible'] and old['terrapin_exposed']
    # The WARN questions come first; batch mode never gets to the Terrapin one.
    result = predict(terrapin_server(kex='diffie-hellman-group1-sha1', ciphers='chacha20-poly1305@openssh.com'),
                     'putty-0.81')
    assert [f['reason'] for f in result['failures']] == ['below_warn_threshold']


def test_debian_0_78_words_could_not_agree_its_own_way():
    result = predict(server(ciphers='twofish256-ctr,foo-cbc'), 'putty-0.78')
    assert result['failures'][0]['message'] == (
        'Selected client-to-server cipher "twofish256-ctr,foo-cbc" does not correspond to any supported algorithm')
    assert result['failures'][0]['reason'] == 'no_common_algorithm'
    # Upstream too from 0.80 to 0.82 (ssh/transport2.c ssh2_scan_kexinits returned SKR_UNKNOWN_ID), fixed in 0.83
    # (commit 7da34495); seen on the wire from plink 0.82 and 0.83 built from their tags.
    for name in ('putty-0.80', 'putty-0.81', 'putty-0.82', 'winscp-6.3'):
        assert predict(server(ciphers='twofish256-ctr'), name)['failures'][0]['message'] == (
            'Selected client-to-server cipher "twofish256-ctr" does not correspond to any supported algorithm'), name
    for name in ('putty-0.76', 'putty-0.83', 'winscp-6.5', 'filezilla-3.63.0-debian12'):
        assert predict(server(ciphers='twofish256-ctr'), name)['failures'][0]['message'] == (
            "Couldn't agree a client-to-server cipher (available: twofish256-ctr)"), name


def test_a_built_in_profile_as_the_lookup_returns_it_keeps_its_threshold():
    profile = load_profile('winscp-5.17')
    result = predict(server(kex='diffie-hellman-group1-sha1'), profile)
    assert result['failures'][0]['reason'] == 'below_warn_threshold'
    assert 'The key-exchange algorithm diffie-hellman-group1-sha1 was not verified!' in result['failures'][0]['note']


def test_stored_host_key_types_come_first_and_reword_the_question():
    # ssh2_write_kexinit_lists: with PreferKnownHostKeys the stored types (cache_id "rsa2" for all RSA) come first.
    client = {'profile': 'putty-0.78', 'putty_settings': dict(DEFAULTS_078, HostKey='ed25519,ecdsa,WARN,rsa,dsa,ed448'),
              'putty_stored_host_keys': ['rsa2']}
    proposal = with_putty_settings(client)
    assert proposal['server_host_key_algorithms'][:4] == ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']
    result = predict(server(host_key='ssh-ed25519,rsa-sha2-512'), client)
    (failure,) = result['failures']
    assert failure['message'] == ('The first host key type we have stored for this server is rsa-sha2-512, which is '
                                  'below the configured warning threshold.')
    assert result['below_warn_threshold'][0]['not_stored_above_warn'] == ['ssh-ed25519']
    assert failure['note'].startswith('The server also provides the following types of host key above the threshold, '
                                      'which we do not have stored: ssh-ed25519. ')
    # PreferKnownHostKeys=0 keeps the preference order: ssh-ed25519 is picked, nothing is asked.
    no_prefer = dict(client, putty_settings=dict(client['putty_settings'], PreferKnownHostKeys='0'))
    assert predict(server(host_key='ssh-ed25519,rsa-sha2-512'), no_prefer)['compatible']
    # Stored types alone (defaults otherwise): ecdsa first, still above the line.
    only_stored = with_putty_settings({'profile': 'putty-0.81', 'putty_stored_host_keys': 'ecdsa-sha2-nistp256'})
    assert only_stored['server_host_key_algorithms'][0] == 'ecdsa-sha2-nistp256'
    with pytest.raises(ProposalError, match='stored host-key types from'):
        with_putty_settings({'profile': 'putty-0.81', 'putty_stored_host_keys': ['ssh-rsa']})


def test_winscp_does_not_ask_about_a_stored_host_key_type():
    # WinSCP's confirm_weak_cached_hostkey returns SPR_OK (source/core/PuttyIntf.cpp, 6.3.7).
    client = {'profile': 'winscp-6.3', 'putty_settings': dict(DEFAULTS_078, HostKey='ed25519,ecdsa,WARN,rsa,dsa,ed448'),
              'putty_stored_host_keys': ['rsa2']}
    result = predict(server(host_key='ssh-ed25519,rsa-sha2-512'), client)
    assert result['compatible'] and result['negotiated']['host_key'] == 'rsa-sha2-512'
    assert result['below_warn_threshold'] == []
