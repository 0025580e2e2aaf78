#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: daemon_info
short_description: Detect the SSH/SFTP daemon on the managed node, its version and the algorithms it supports
version_added: 1.0.0
description:
  - Finds out which daemon serves SSH/SFTP on the managed node (OpenSSH C(sshd) or ProFTPD with mod_sftp), its
    version, its effective algorithm settings and what it can support, so that a configuration change only ever
    names algorithms the daemon accepts.
  - "OpenSSH: version from C(sshd -V), effective settings from C(sshd -T), capabilities from C(ssh -Q) when the
    C(ssh) client on the node is the same OpenSSH release; otherwise each name in O(candidates) is tried with
    C(sshd -t -o Keyword=name). Also reports whether C(sshd_config) includes the drop-in directory before any
    algorithm setting or Match block, and which drop-ins set algorithm keywords."
  - "ProFTPD: version from C(proftpd -V); capabilities by letting C(proftpd -t) check O(candidates) in a
    throw-away configuration (mod_sftp refuses a name it does not support)."
  - Reads only; never changes the node.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  server_type:
    description:
      - V(auto) picks ProFTPD when its configuration turns C(SFTPEngine on), else OpenSSH when C(sshd) exists,
        else ProFTPD when it exists.
    type: str
    choices: [auto, openssh, proftpd]
    default: auto
  sshd_path:
    description: The sshd binary (searched in C(/usr/sbin) and C(PATH) when a bare name).
    type: str
    default: sshd
  ssh_path:
    description: The OpenSSH client used for C(ssh -Q).
    type: str
    default: ssh
  sshd_config:
    description: The main sshd configuration file.
    type: path
    default: /etc/ssh/sshd_config
  sshd_config_dir:
    description: The drop-in directory sshd_config includes.
    type: path
    default: /etc/ssh/sshd_config.d
  proftpd_path:
    description: The proftpd binary.
    type: str
    default: proftpd
  proftpd_config:
    description: The main ProFTPD configuration file.
    type: path
    default: /etc/proftpd/proftpd.conf
  candidates:
    description:
      - Algorithm names to check one by one, per category (C(kex), C(host_key), C(ciphers), C(macs)), when the
        daemon cannot list what it supports. Names that are not valid RFC 4251 names are reported as
        unsupported without running anything.
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: What does this node's SSH daemon support?
  fleetcrypto.sftp.daemon_info:
  register: daemon

- name: ProFTPD, checking the names a baseline and the partners need
  fleetcrypto.sftp.daemon_info:
    server_type: proftpd
    proftpd_config: /etc/proftpd/proftpd.conf
    candidates:
      ciphers: [aes256-gcm@openssh.com, aes128-ctr, aes256-ctr]
      macs: [hmac-sha2-256, hmac-sha2-512]
'''

RETURN = r'''
server_type:
  description: C(openssh) or C(proftpd).
  returned: always
  type: str
version:
  description: The daemon's version, for example C(9.2p1) or C(1.3.8).
  returned: always
  type: str
binary:
  description: The daemon binary used.
  returned: always
  type: str
config:
  description: The main configuration file.
  returned: always
  type: str
supported:
  description: Category -> supported algorithm names; a category is missing when it could not be determined.
  returned: always
  type: dict
supported_source:
  description: C(ssh -Q) or C(checked one by one).
  returned: always
  type: str
effective:
  description: OpenSSH only, the effective lists from C(sshd -T) (C(kex), C(host_key), C(ciphers), C(macs)).
  returned: when server_type is openssh
  type: dict
host_key_files:
  description: OpenSSH only, the C(HostKey) files in the effective configuration.
  returned: when server_type is openssh
  type: list
  elements: str
include:
  description:
    - OpenSSH only, C(include_line), C(first_setting_line), C(first_match_line) and C(include_first) (the
      drop-in directory is included before any algorithm setting and Match block of the main file).
  returned: when server_type is openssh
  type: dict
dropin_settings:
  description: OpenSSH only, the drop-in files that set algorithm keywords, with the keywords and lines.
  returned: when server_type is openssh
  type: list
  elements: dict
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.openssh import (
    CATEGORIES, OPENSSH_KEYWORDS, PROFTPD_DIRECTIVES, SSH_QUERIES, crypto_settings, effective_lists,
    include_order, openssh_version, parse_sshd_T, same_openssh_release, proftpd_unsupported, proftpd_version, ssh_query_list)
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError, validate_name

MAX_CANDIDATES = 256  # per category; bounds the number of daemon runs


def _find(module, name):
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/usr/local/sbin', '/sbin'])


def _read(path):
    try:
        with open(path, 'r', errors='replace') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _valid_candidates(module):
    candidates, invalid = {}, {}
    for category, names in (module.params['candidates'] or {}).items():
        if category not in CATEGORIES:
            module.fail_json(msg='candidates: unknown category %r (known: %s)' % (category, ', '.join(CATEGORIES)))
        if not isinstance(names, list) or len(names) > MAX_CANDIDATES:
            module.fail_json(msg='candidates.%s must be a list of at most %d names' % (category, MAX_CANDIDATES))
        good = []
        for name in names:
            try:
                good.append(validate_name(name))
            except ProposalError:
                invalid.setdefault(category, []).append(str(name)[:100])
        candidates[category] = list(dict.fromkeys(good))
    return candidates, invalid


def openssh(module, sshd, candidates):
    config = module.params['sshd_config']
    dropin_dir = module.params['sshd_config_dir']
    rc, out, err = module.run_command([sshd, '-V'])
    version = openssh_version(out + err)
    if version is None:
        module.fail_json(msg='%s -V did not print an OpenSSH version: %s' % (sshd, (out + err)[:300]))
    rc, out, err = module.run_command([sshd, '-T', '-f', config])
    if rc != 0:
        module.fail_json(msg='%s -T -f %s failed (the current configuration is invalid?): %s'
                         % (sshd, config, err.strip()[:1000]), version=version)
    settings = parse_sshd_T(out)
    result = {'server_type': 'openssh', 'version': version, 'binary': sshd, 'config': config,
              'effective': effective_lists(settings), 'host_key_files': settings.get('hostkey', [])}

    supported, source = {}, 'ssh -Q'
    ssh = _find(module, module.params['ssh_path'])
    same_build = False
    if ssh:
        rc, out, err = module.run_command([ssh, '-V'])
        same_build = same_openssh_release(openssh_version(out + err), version)
    if same_build:
        for category, query in SSH_QUERIES.items():
            rc, out, err = module.run_command([ssh, '-Q', query])
            if rc == 0:
                supported[category] = ssh_query_list(out)
    else:
        source = 'checked one by one'
        for category, names in candidates.items():
            keyword = OPENSSH_KEYWORDS[category]
            supported[category] = [name for name in names
                                   if module.run_command([sshd, '-t', '-f', config, '-o', '%s=%s' % (keyword, name)])[0] == 0]
    result['supported'] = supported
    result['supported_source'] = source

    main_text = _read(config) or ''
    result['include'] = include_order(main_text, dropin_dir)
    dropins = []
    if os.path.isdir(dropin_dir):
        for name in sorted(os.listdir(dropin_dir)):
            path = os.path.join(dropin_dir, name)
            if name.endswith('.conf') and os.path.isfile(path):
                found = crypto_settings(_read(path) or '')
                if found:
                    dropins.append({'file': path, 'settings': found})
    result['dropin_settings'] = dropins
    return result


def _proftpd_check(module, proftpd, directive, names):
    """Names mod_sftp accepts for ``directive``: run ``proftpd -t`` on a throw-away configuration, drop each name
    it refuses (it stops at the first), and repeat; at most len(names) + 1 runs. ``SFTPEngine on`` comes first:
    ProFTPD 1.3.8 prints a stack trace for these directives without it."""
    remaining = list(names)
    refused = []
    for _attempt in range(len(names) + 1):
        if not remaining:
            break
        handle, path = tempfile.mkstemp(prefix='fleetcrypto-proftpd-', suffix='.conf')
        try:
            with os.fdopen(handle, 'w') as conf:
                conf.write('<IfModule !mod_sftp.c>\n  LoadModule mod_sftp.c\n</IfModule>\n'
                           '<IfModule mod_sftp.c>\n  SFTPEngine on\n  %s %s\n</IfModule>\n' % (directive, ' '.join(remaining)))
            rc, out, err = module.run_command([proftpd, '-t', '-c', path])
        finally:
            os.unlink(path)
        bad = [name for found_directive, name in proftpd_unsupported(out + err) if found_directive == directive]
        if not bad:
            if rc != 0 or 'fatal:' in (out + err):
                module.fail_json(msg='%s -t could not check %s: %s' % (proftpd, directive, (out + err).strip()[:1000]))
            return remaining, refused
        for name in bad:
            if name in remaining:
                remaining.remove(name)
                refused.append(name)
    return remaining, refused


def proftpd(module, binary, candidates):
    config = module.params['proftpd_config']
    rc, out, err = module.run_command([binary, '-V'])
    version = proftpd_version(out + err)
    if version is None:
        module.fail_json(msg='%s -V did not print a ProFTPD version: %s' % (binary, (out + err)[:300]))
    supported = {}
    for category, names in candidates.items():
        supported[category] = _proftpd_check(module, binary, PROFTPD_DIRECTIVES[category], names)[0]
    return {'server_type': 'proftpd', 'version': version, 'binary': binary, 'config': config,
            'supported': supported, 'supported_source': 'checked one by one'}


def _sftp_engine_on(path):
    text = _read(path) or ''
    return any(line.strip().lower().split()[:2] == ['sftpengine', 'on'] for line in text.splitlines() if line.strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server_type=dict(type='str', default='auto', choices=['auto', 'openssh', 'proftpd']),
            sshd_path=dict(type='str', default='sshd'),
            ssh_path=dict(type='str', default='ssh'),
            sshd_config=dict(type='path', default='/etc/ssh/sshd_config'),
            sshd_config_dir=dict(type='path', default='/etc/ssh/sshd_config.d'),
            proftpd_path=dict(type='str', default='proftpd'),
            proftpd_config=dict(type='path', default='/etc/proftpd/proftpd.conf'),
            candidates=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    candidates, invalid = _valid_candidates(module)
    server_type = module.params['server_type']
    sshd = _find(module, module.params['sshd_path'])
    proftpd_bin = _find(module, module.params['proftpd_path'])
    if server_type == 'auto':
        if proftpd_bin and _sftp_engine_on(module.params['proftpd_config']):
            server_type = 'proftpd'
        elif sshd:
            server_type = 'openssh'
        elif proftpd_bin:
            server_type = 'proftpd'
        else:
            module.fail_json(msg='no supported SSH/SFTP daemon found (looked for %s and %s). This module manages '
                                 'OpenSSH sshd and ProFTPD mod_sftp only; other servers must be configured by hand'
                             % (module.params['sshd_path'], module.params['proftpd_path']))
    if server_type == 'openssh':
        if not sshd:
            module.fail_json(msg='sshd not found: %s' % module.params['sshd_path'])
        result = openssh(module, sshd, candidates)
    else:
        if not proftpd_bin:
            module.fail_json(msg='proftpd not found: %s' % module.params['proftpd_path'])
        result = proftpd(module, proftpd_bin, candidates)
    result['invalid_candidates'] = invalid
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
