# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ProFTPD backend: parsing what proftpd prints, reading the file the role writes into, and the refusal
loop run against the real proftpd of this machine (skipped where it is not installed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.proftpd import (
    PROFTPD_DIRECTIVES, ProFTPDError, check_names, config_files, describe, proftpd_unsupported, proftpd_version,
    sftp_engine_on, sftp_layout, throttling_settings, version)


def test_versions():
    assert proftpd_version('Compile-time Settings:\n  Version: 1.3.8 (stable)\n') == '1.3.8'
    assert proftpd_version('ProFTPD Version 1.3.7a') == '1.3.7a'


def test_proftpd_refusals():
    text = "fatal: SFTPCiphers: unsupported cipher algorithm: chacha20-poly1305@openssh.com on line 6 of 'x'"
    assert proftpd_unsupported(text) == [('SFTPCiphers', 'chacha20-poly1305@openssh.com')]
    assert proftpd_unsupported("fatal: SFTPHostKeys: unsupported host key algorithm: bogus on line 7") == [
        ('SFTPHostKeys', 'bogus')]


def test_directive_table_follows_the_catalog():
    assert tuple(PROFTPD_DIRECTIVES) == GOVERNED


# The file the role writes into: Debian's /etc/proftpd/sftp.conf shape, with and without the role's block.
HEAD = '<IfModule mod_sftp.c>\n  SFTPEngine on\n  Port 2222\n  SFTPLog /var/log/proftpd/sftp.log\n' \
       '  SFTPHostKey /etc/ssh/ssh_host_rsa_key\n  SFTPHostKey /etc/ssh/ssh_host_ecdsa_key\n'
BLOCK = '# BEGIN fleetcrypto.sftp baseline\nSFTPKeyExchanges curve25519-sha256\nSFTPHostKeys rsa-sha2-512\n' \
        'SFTPCiphers aes256-gcm@openssh.com aes256-ctr\nSFTPDigests hmac-sha2-256\n# END fleetcrypto.sftp baseline\n'
TAIL = '  SFTPCompression delayed\n</IfModule>\n'


def _outside(*pairs):
    return [{'line': line, 'directive': directive} for line, directive in pairs]


@pytest.mark.parametrize('text, engine_lines, outside', [
    (HEAD + TAIL, [2], []),                                                           # one, nothing set yet
    (HEAD + BLOCK + TAIL, [2], []),                                                   # the role's block
    ('<IfModule mod_sftp.c>\n  SFTPEngine off\n</IfModule>\n', [], []),               # zero
    ('# SFTPEngine on\n#SFTPEngine on\n' + TAIL, [], []),                             # commented out
    (HEAD + TAIL + '<VirtualHost 10.0.0.1>\n  sftpengine ON\n</VirtualHost>\n', [2, 10], []),  # two, any case
    ('  SFTPEngine on extra\n  SFTPEngine "on"\n', [], []),                           # not exactly "SFTPEngine on"
    (HEAD + '  SFTPCiphers aes256-ctr aes256-cbc\n' + TAIL, [2], _outside((7, 'SFTPCiphers'))),
    (HEAD + BLOCK + '  sftpdigests hmac-sha1\n' + TAIL, [2], _outside((13, 'SFTPDigests'))),
    ('SFTPKeyExchanges diffie-hellman-group14-sha1\n' + HEAD + BLOCK + TAIL, [3], _outside((1, 'SFTPKeyExchanges'))),
    (HEAD + '# SFTPCiphers aes128-cbc\n' + TAIL, [2], []),                            # commented directive
    # SFTPHostKey (the key file) is not SFTPHostKeys (the algorithms).
    (HEAD.replace('SFTPHostKey ', 'SFTPHOSTKEY '), [2], []),
    # A block without its end marker protects nothing, as the role's regular expression did.
    (HEAD + BLOCK.replace('# END fleetcrypto.sftp baseline\n', '') + TAIL, [2], _outside(
        (8, 'SFTPKeyExchanges'), (9, 'SFTPHostKeys'), (10, 'SFTPCiphers'), (11, 'SFTPDigests'))),
    # Two blocks: each is the role's.
    (HEAD + BLOCK + BLOCK + TAIL, [2], []),
])
def test_sftp_layout(text, engine_lines, outside):
    layout = sftp_layout(text, '/etc/proftpd/sftp.conf')
    assert layout == {'path': '/etc/proftpd/sftp.conf', 'exists': True, 'sftp_engine_lines': engine_lines,
                      'single_sftp_engine': len(engine_lines) == 1, 'directives_outside_block': outside}


def test_sftp_layout_of_a_file_that_could_not_be_read():
    assert sftp_layout(None, '/nonexistent') == {'path': '/nonexistent', 'exists': False, 'sftp_engine_lines': [],
                                                 'single_sftp_engine': False, 'directives_outside_block': []}


@pytest.mark.parametrize('text, on', [
    (HEAD + TAIL, True), ('# SFTPEngine on\n', False), ('SFTPEngine off\n', False), ('', False), (None, False),
    ('Include /etc/proftpd/conf.d/\n', False),
])
def test_sftp_engine_on_picks_proftpd_in_auto_mode(text, on):
    assert sftp_engine_on(text) is on


# The commands, against the real binary. ``run`` is what module.run_command is to the module.

def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, errors='replace', stdin=subprocess.DEVNULL,
                          timeout=60, check=False)
    return proc.returncode, proc.stdout, proc.stderr


PROFTPD = shutil.which('proftpd', path=os.pathsep.join(['/usr/sbin', '/usr/local/sbin', '/sbin', os.environ.get('PATH', '')]))
requires_proftpd = pytest.mark.skipif(PROFTPD is None, reason='ProFTPD is not installed (looked in /usr/sbin, '
                                                              '/usr/local/sbin, /sbin and PATH)')


@requires_proftpd
def test_real_proftpd_version():
    found = version(run, PROFTPD)
    assert found and found[0].isdigit() and found in ''.join(run([PROFTPD, '-V'])[1:])


@requires_proftpd
@pytest.mark.parametrize('category, names, accepted', [
    ('ciphers', ['aes256-ctr', 'bogus-cipher', 'aes128-ctr', 'bogus-two'], ['aes256-ctr', 'aes128-ctr']),
    ('macs', ['hmac-bogus', 'hmac-sha2-256'], ['hmac-sha2-256']),
    ('kex', ['curve25519-sha256', 'bogus-kex@example.com'], ['curve25519-sha256']),
    ('host_key', ['bogus-hostkey', 'rsa-sha2-256'], ['rsa-sha2-256']),
    ('ciphers', ['bogus-one', 'bogus-two'], []),
    ('ciphers', ['aes256-ctr'], ['aes256-ctr']),
])
def test_real_proftpd_refusal_loop_keeps_supported_names(category, names, accepted):
    remaining, refused = check_names(run, PROFTPD, PROFTPD_DIRECTIVES[category], names)
    assert remaining == accepted
    assert refused == [name for name in names if name not in accepted]


@requires_proftpd
def test_real_proftpd_describe(tmp_path):
    main = tmp_path / 'proftpd.conf'
    sftp = tmp_path / 'sftp.conf'
    main.write_text('ServerName "test"\nInclude %s\n' % sftp)
    sftp.write_text(HEAD + '  SFTPCiphers aes256-ctr\n' + TAIL)
    result = describe(run, PROFTPD, str(main), {'ciphers': ['bogus-cipher', 'aes256-ctr'], 'macs': []}, str(sftp))
    throttling = result.pop('throttling')
    assert throttling['files'] == [str(main), str(sftp)] and throttling['version'] == result['version']
    assert throttling['settings']['login_grace_time']['value'] == '300'  # not configured: the documented default
    assert result == {
        'server_type': 'proftpd', 'version': version(run, PROFTPD), 'binary': PROFTPD, 'config': str(main),
        'supported': {'ciphers': ['aes256-ctr'], 'macs': []}, 'supported_source': 'checked one by one',
        'sftp_config': {'path': str(sftp), 'exists': True, 'sftp_engine_lines': [2], 'single_sftp_engine': True,
                        'directives_outside_block': _outside((7, 'SFTPCiphers'))}}
    # Without a separate file the main one is read.
    assert describe(run, PROFTPD, str(main))['sftp_config'] == {
        'path': str(main), 'exists': True, 'sftp_engine_lines': [], 'single_sftp_engine': False,
        'directives_outside_block': []}


@requires_proftpd
def test_real_proftpd_that_cannot_check_is_an_error():
    # A directive mod_sftp does not know: proftpd -t fails without naming an unsupported algorithm.
    with pytest.raises(ProFTPDError) as caught:
        check_names(run, PROFTPD, 'SFTPBogusDirective', ['aes256-ctr'])
    assert caught.value.msg.startswith('%s -t could not check SFTPBogusDirective: ' % PROFTPD)
    assert caught.value.details == {}


def test_a_binary_that_is_not_proftpd_is_an_error():
    true = shutil.which('true')
    with pytest.raises(ProFTPDError) as caught:
        version(run, true)
    assert caught.value.msg == '%s -V did not print a ProFTPD version: ' % true


# Throttling directives read from the configuration files.

def test_throttling_from_included_files(tmp_path):
    conf_d = tmp_path / 'conf.d'
    conf_d.mkdir()
    (conf_d / 'limits.conf').write_text('MaxConnectionRate 20 2\nMaxClientsPerHost none\n')
    sftp = tmp_path / 'sftp.conf'
    sftp.write_text('<IfModule mod_sftp.c>\n  SFTPEngine on\n  MaxConnectionsPerHost 3 "Sorry"\n</IfModule>\n')
    main = tmp_path / 'proftpd.conf'
    main.write_text('ServerType standalone\nMaxInstances 30\n# TimeoutLogin 10\nInclude %s/\nInclude %s\n'
                    'Include %s/*.missing\n' % (conf_d, sftp, tmp_path))
    files = config_files(str(main))
    assert [path for path, _text in files] == [str(main), str(conf_d / 'limits.conf'), str(sftp)]
    found = throttling_settings(files, '1.3.8')
    settings = found['settings']
    assert found['server_type'] == 'proftpd' and found['source'] == 'configuration files'
    assert settings['max_instances']['count'] == 30 and settings['max_instances']['configured']
    assert (settings['max_connection_rate']['count'], settings['max_connection_rate']['interval']) == (20, 2)
    assert settings['max_clients_per_host']['limit'] is None and settings['max_clients_per_host']['configured']
    assert settings['per_source_max_startups']['keyword'] == 'MaxConnectionsPerHost'
    assert settings['per_source_max_startups']['limit'] == 3
    assert settings['per_source_max_startups']['locations'] == [{'file': str(sftp), 'line': 3, 'value': '3 "Sorry"'}]
    # Not configured: ProFTPD 1.3.8's documented defaults (TimeoutLogin 300, MaxLoginAttempts 3).
    assert settings['login_grace_time']['seconds'] == 300 and not settings['login_grace_time']['configured']
    assert settings['max_auth_tries']['count'] == 3


def test_throttling_set_twice_or_malformed_is_not_guessed(tmp_path):
    main = tmp_path / 'proftpd.conf'
    main.write_text('TimeoutLogin 60\n<VirtualHost 127.0.0.2>\n  TimeoutLogin 30\n</VirtualHost>\nMaxInstances lots\n'
                    'Include %s\n' % main)  # an Include loop is read once
    settings = throttling_settings(config_files(str(main)))['settings']
    assert settings['login_grace_time']['error'] and 'seconds' not in settings['login_grace_time']
    assert len(settings['login_grace_time']['locations']) == 2
    assert settings['max_instances']['error'] and 'count' not in settings['max_instances']
    unconfigured = throttling_settings([(str(main), None)])['settings']
    assert unconfigured['max_instances']['count'] is None and unconfigured['max_connection_rate']['interval'] is None
