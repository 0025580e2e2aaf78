# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenSSH backend: parsing what sshd and ssh print about themselves, and its commands run against the real
sshd and ssh of this machine (skipped where they are not installed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED, key_family
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import (
    OPENSSH_KEYWORDS, SSH_QUERIES, OpenSSHError, checked_one_by_one, crypto_settings, describe, effective_lists,
    include_order, openssh_version, parse_sshd_T, same_openssh_release, ssh_same_build, sshd_version,
    throttling_settings)


def test_versions():
    assert openssh_version('OpenSSH_9.2, OpenSSL 3.0.19 27 Jan 2026') == '9.2'
    assert openssh_version('unknown option -- V\nOpenSSH_7.4p1, OpenSSL 1.0.2k-fips  26 Jan 2017\nusage: sshd') == '7.4p1'
    assert openssh_version('dropbear v2022.83') is None
    assert same_openssh_release('9.2', '9.2p1') and not same_openssh_release('9.2', '9.6p1')
    assert not same_openssh_release(None, '9.2p1')


def test_sshd_T_lists():
    text = ('port 22\nciphers aes256-ctr,aes128-ctr\nmacs hmac-sha2-256\nkexalgorithms curve25519-sha256\n'
            'hostkeyalgorithms ssh-ed25519\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\n')
    settings = parse_sshd_T(text)
    assert settings['hostkey'] == ['/etc/ssh/a', '/etc/ssh/b']
    assert effective_lists(settings) == {'kex': ['curve25519-sha256'], 'host_key': ['ssh-ed25519'],
                                         'ciphers': ['aes256-ctr', 'aes128-ctr'], 'macs': ['hmac-sha2-256']}


def test_ssh_G_output_reads_the_same_way_and_missing_lines_are_empty():
    text = 'user root\nciphers aes128-cbc\nmacs hmac-sha2-256,hmac-sha1\nhostname 127.0.0.1\n'
    assert effective_lists(parse_sshd_T(text)) == {'kex': [], 'host_key': [], 'ciphers': ['aes128-cbc'],
                                                   'macs': ['hmac-sha2-256', 'hmac-sha1']}


@pytest.mark.parametrize('config, first', [
    ('Include /etc/ssh/sshd_config.d/*.conf\nCiphers aes256-ctr\n', True),                       # Debian 12
    ('Ciphers aes256-ctr\nInclude /etc/ssh/sshd_config.d/*.conf\n', False),                      # too late
    ('# Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n', False),                               # commented out
    ('Port 22\nMatch User x\n  X11Forwarding no\nInclude /etc/ssh/sshd_config.d/*.conf\n', False),  # inside Match
    ('  include   /etc/ssh/sshd_config.d/*.conf\nMACs hmac-sha2-256\n', True),                   # case, spaces
    ('Include /etc/other/*.conf\n', False),
])
def test_include_order(config, first):
    assert include_order(config, '/etc/ssh/sshd_config.d')['include_first'] is first


def test_crypto_settings():
    found = crypto_settings('# Ciphers x\nPort 2\nCiphers a\nciphers b\nKexAlgorithms k\n')
    assert found == {'ciphers': 3, 'kexalgorithms': 5}


@pytest.mark.parametrize('algorithm, family', [
    ('rsa-sha2-512', 'rsa'), ('ssh-rsa-cert-v01@openssh.com', 'rsa'), ('ecdsa-sha2-nistp384', 'ecdsa-nistp384'),
    ('ssh-ed25519-cert-v01@openssh.com', 'ed25519'), ('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519'),
])
def test_key_family(algorithm, family):
    assert key_family(algorithm) == family


def test_keyword_tables_follow_the_catalog():
    assert tuple(OPENSSH_KEYWORDS) == GOVERNED
    assert tuple(SSH_QUERIES) == GOVERNED


# The commands, against the real binaries. ``run`` is what module.run_command is to the module.

def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, errors='replace', stdin=subprocess.DEVNULL,
                          timeout=60, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _which(name):
    return shutil.which(name, path=os.pathsep.join(['/usr/sbin', '/usr/local/sbin', '/sbin', os.environ.get('PATH', '')]))


SSHD = _which('sshd')
SSH = _which('ssh')
SSH_KEYGEN = _which('ssh-keygen')
DROPBEAR = _which('dropbear')
PRIVSEP_DIR = '/run/sshd'


def _why_no_sshd():
    if SSHD is None or SSH_KEYGEN is None:
        return 'OpenSSH sshd and ssh-keygen are not installed (looked in /usr/sbin, /usr/local/sbin, /sbin and PATH)'
    if os.geteuid() != 0 and not os.path.isdir(PRIVSEP_DIR):
        return 'sshd -T needs its privilege-separation directory %s, which only root can create' % PRIVSEP_DIR
    return None


WHY_NO_SSHD = _why_no_sshd()
requires_sshd = pytest.mark.skipif(WHY_NO_SSHD is not None, reason=WHY_NO_SSHD or '')


@pytest.fixture
def sshd_files(tmp_path):
    """A main sshd_config that includes its drop-in directory first, one drop-in that sets Ciphers, and an
    ed25519 host key, all under tmp_path."""
    if os.geteuid() == 0:
        os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)  # as the lab does: sshd -T and -t insist on it
    key = str(tmp_path / 'host_ed25519')
    subprocess.run([SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', '', '-C', 'fleetcrypto-test', '-f', key], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    dropin_dir = tmp_path / 'sshd_config.d'
    dropin_dir.mkdir()
    (dropin_dir / '50-ciphers.conf').write_text('# the first value read wins\nCiphers aes128-ctr\n')
    (dropin_dir / 'ignored.txt').write_text('Ciphers aes192-ctr\n')
    config = tmp_path / 'sshd_config'
    config.write_text('Include %s/*.conf\nHostKey %s\nPidFile none\nUsePAM no\n'
                      'KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256\nHostKeyAlgorithms ssh-ed25519\n'
                      'Ciphers aes256-ctr,aes256-gcm@openssh.com\nMACs hmac-sha2-256,hmac-sha2-512\n'
                      'Match User nobody\n  X11Forwarding no\n' % (dropin_dir, key))
    return str(config), str(dropin_dir), key


@requires_sshd
def test_real_sshd_effective_lists_include_order_and_dropins(sshd_files):
    config, dropin_dir, key = sshd_files
    result = describe(run, SSHD, config, dropin_dir, ssh=None, candidates={})
    assert result['server_type'] == 'openssh' and result['binary'] == SSHD and result['config'] == config
    assert result['version'] == openssh_version(''.join(run([SSHD, '-V'])[1:]))
    # The drop-in is read first, so its Ciphers win over the main file's.
    assert result['effective'] == {'kex': ['curve25519-sha256', 'ecdh-sha2-nistp256'], 'host_key': ['ssh-ed25519'],
                                   'ciphers': ['aes128-ctr'], 'macs': ['hmac-sha2-256', 'hmac-sha2-512']}
    assert result['host_key_files'] == [key]
    assert result['include'] == {'include_line': 1, 'first_setting_line': 5, 'first_match_line': 9,
                                 'include_first': True}
    assert result['dropin_settings'] == [{'file': os.path.join(dropin_dir, '50-ciphers.conf'),
                                          'settings': {'ciphers': 2}}]
    assert result['supported'] == {} and result['supported_source'] == 'checked one by one'


@requires_sshd
def test_real_sshd_checks_candidates_one_by_one(sshd_files):
    config, dropin_dir, _key = sshd_files
    candidates = {'ciphers': ['aes256-ctr', 'bogus-cipher', 'aes128-ctr'], 'macs': ['hmac-bogus', 'hmac-sha2-256'],
                  'kex': ['curve25519-sha256', 'bogus-kex@example.com'], 'host_key': ['ssh-ed25519', 'ssh-bogus']}
    assert checked_one_by_one(run, SSHD, config, candidates) == {
        'ciphers': ['aes256-ctr', 'aes128-ctr'], 'macs': ['hmac-sha2-256'], 'kex': ['curve25519-sha256'],
        'host_key': ['ssh-ed25519']}
    result = describe(run, SSHD, config, dropin_dir, ssh=None, candidates={'ciphers': ['bogus-cipher', 'aes256-ctr']})
    assert result['supported'] == {'ciphers': ['aes256-ctr']}
    assert result['supported_source'] == 'checked one by one'


@requires_sshd
@pytest.mark.skipif(SSH is None, reason='the OpenSSH client ssh is not installed')
def test_real_ssh_Q_when_the_client_is_the_same_release(sshd_files):
    config, dropin_dir, _key = sshd_files
    version = sshd_version(run, SSHD)
    if not ssh_same_build(run, SSH, version):
        pytest.skip('%s is another OpenSSH release than %s (%s)' % (SSH, SSHD, version))
    result = describe(run, SSHD, config, dropin_dir, ssh=SSH, candidates={'ciphers': ['bogus-cipher']})
    assert result['supported_source'] == 'ssh -Q'
    assert set(result['supported']) == set(GOVERNED)
    assert 'aes256-ctr' in result['supported']['ciphers'] and 'bogus-cipher' not in result['supported']['ciphers']
    assert 'ssh-ed25519' in result['supported']['host_key'] and 'hmac-sha2-256' in result['supported']['macs']
    # What sshd -t accepts one by one, ssh -Q of the same build lists.
    some = {'ciphers': result['supported']['ciphers'][:3], 'macs': result['supported']['macs'][:3]}
    assert checked_one_by_one(run, SSHD, config, some) == some


@requires_sshd
def test_real_sshd_refusing_its_configuration_is_an_error_with_the_version(sshd_files, tmp_path):
    config, dropin_dir, key = sshd_files
    broken = tmp_path / 'broken_config'
    broken.write_text('HostKey %s\nCiphers bogus-cipher\n' % key)
    with pytest.raises(OpenSSHError) as caught:
        describe(run, SSHD, str(broken), dropin_dir)
    assert caught.value.msg.startswith('%s -T -f %s failed (the current configuration is invalid?): ' % (SSHD, broken))
    assert 'bogus-cipher' in caught.value.msg
    assert caught.value.details == {'version': sshd_version(run, SSHD)}


@pytest.mark.skipif(DROPBEAR is None, reason='dropbear is not installed')
def test_a_binary_that_is_not_openssh_is_an_error():
    with pytest.raises(OpenSSHError) as caught:
        sshd_version(run, DROPBEAR)
    assert caught.value.msg.startswith('%s -V did not print an OpenSSH version: ' % DROPBEAR)
    assert 'Dropbear' in caught.value.msg and caught.value.details == {}


def test_no_ssh_client_means_no_ssh_Q():
    assert ssh_same_build(run, None, '9.2') is False


# Throttling settings from sshd -T.

def test_throttling_of_the_installed_9_2_defaults(fixture_file):
    """Real sshd -T output of Debian 12's 9.2: sshd's defaults, and no PerSourcePenalties (added in 9.8)."""
    found = throttling_settings(parse_sshd_T(fixture_file('openssh-9.2-sshd-T-defaults.txt')), '9.2')
    settings = found['settings']
    assert found['server_type'] == 'openssh' and found['source'] == 'sshd -T' and found['version'] == '9.2'
    assert settings['max_startups'] == {'keyword': 'MaxStartups', 'supported': True, 'value': '10:30:100',
                                        'since': None, 'error': None, 'start': 10, 'rate': 30, 'full': 100}
    assert settings['per_source_max_startups']['limit'] is None
    assert settings['per_source_max_startups']['value'] == 'none'
    assert (settings['per_source_net_block_size']['ipv4'], settings['per_source_net_block_size']['ipv6']) == (32, 128)
    assert settings['login_grace_time']['seconds'] == 120 and settings['max_auth_tries']['count'] == 6
    assert settings['per_source_penalties'] == {'keyword': 'PerSourcePenalties', 'supported': False, 'value': None,
                                                'since': '9.8', 'error': None}


def test_throttling_of_a_9_8_sshd_T():
    """The lines dump_config() in servconf.c prints at V_9_8_P1 (penalties on) and V_10_0_P1 (refuseconnection)."""
    text = ('maxstartups 5:20:50\npersourcemaxstartups 3\npersourcenetblocksize 24:56\n'
            'persourcepenalties crash:90 authfail:5 noauth:1 grace-exceeded:10 refuseconnection:10 max:600 min:15 '
            'max-sources4:65536 max-sources6:65536 overflow:permissive overflow6:permissive\n'
            'logingracetime 30\nmaxauthtries 3\n')
    settings = throttling_settings(parse_sshd_T(text))['settings']
    assert (settings['max_startups']['start'], settings['max_startups']['rate'], settings['max_startups']['full']) \
        == (5, 20, 50)
    assert settings['per_source_max_startups']['limit'] == 3
    penalties = settings['per_source_penalties']
    assert penalties['supported'] and penalties['enabled'] and penalties['error'] is None
    assert penalties['penalties']['crash'] == 90 and penalties['penalties']['overflow6'] == 'permissive'
    off = throttling_settings(parse_sshd_T('persourcepenalties no\n'))['settings']['per_source_penalties']
    assert off['supported'] and off['enabled'] is False and off['penalties'] == {}


def test_throttling_of_an_sshd_before_8_5_and_of_unexpected_values():
    settings = throttling_settings(parse_sshd_T('maxstartups 10:30:100\nlogingracetime 120\n'))['settings']
    assert not settings['per_source_max_startups']['supported'] and settings['per_source_max_startups']['since'] == '8.5'
    assert not settings['per_source_net_block_size']['supported']
    bad = throttling_settings(parse_sshd_T('maxstartups 10;rm -rf /\npersourcepenalties crash:$(x)\n'))['settings']
    assert bad['max_startups']['error'] and 'start' not in bad['max_startups']
    assert bad['per_source_penalties']['error'] and 'enabled' not in bad['per_source_penalties']


def test_describe_reports_throttling_of_the_real_sshd(tmp_path):
    sshd = shutil.which('sshd', path='/usr/sbin:/usr/local/sbin:' + os.environ.get('PATH', ''))
    if not sshd:
        pytest.skip('sshd is not installed')
    key = tmp_path / 'host_ed25519'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(key)], check=True)
    config = tmp_path / 'sshd_config'
    config.write_text('HostKey %s\nMaxStartups 4:50:8\nPerSourceMaxStartups 2\n' % key)

    def run(argv):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    result = describe(run, sshd, str(config), str(tmp_path / 'none.d'))
    settings = result['throttling']['settings']
    assert settings['max_startups']['value'] == '4:50:8' and settings['per_source_max_startups']['limit'] == 2
    assert result['throttling']['version'] == result['version']
