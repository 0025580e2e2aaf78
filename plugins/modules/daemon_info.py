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
  - "Both: the throttling settings that bound unauthenticated connections in RV(throttling). OpenSSH: C(MaxStartups),
    C(PerSourceMaxStartups), C(PerSourceNetBlockSize) (OpenSSH 8.5 and later), C(PerSourcePenalties) (9.8 and
    later), C(LoginGraceTime), C(MaxAuthTries) from C(sshd -T); a keyword C(sshd -T) does not print is one this
    sshd does not know (C(supported=false)), never a guessed value. ProFTPD: C(MaxInstances), C(MaxConnectionRate),
    C(MaxClientsPerHost), C(MaxConnectionsPerHost), C(TimeoutLogin), C(MaxLoginAttempts) as set in O(proftpd_config),
    the files it includes and O(proftpd_sftp_config), else ProFTPD's documented default."
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
  proftpd_sftp_config:
    description:
      - ProFTPD only, the file whose C(SFTPEngine on) context receives the algorithm settings (Debian
        C(/etc/proftpd/sftp.conf)), read for RV(sftp_config). Default O(proftpd_config).
    type: path
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
sftp_config:
  description:
    - ProFTPD only, what O(proftpd_sftp_config) holds around the block the C(fleetcrypto.sftp.baseline) role
      manages there (between C(# BEGIN fleetcrypto.sftp baseline) and C(# END fleetcrypto.sftp baseline)).
  returned: when server_type is proftpd
  type: dict
  contains:
    path:
      description: The file read.
      type: str
    exists:
      description: Whether the file exists and could be read.
      type: bool
    sftp_engine_lines:
      description: The lines (1-based) that say C(SFTPEngine on); comments do not count.
      type: list
      elements: int
    single_sftp_engine:
      description: Whether exactly one line says C(SFTPEngine on).
      type: bool
    directives_outside_block:
      description:
        - Each C(SFTPKeyExchanges), C(SFTPHostKeys), C(SFTPCiphers) or C(SFTPDigests) outside the managed block,
          as C(line) and C(directive); a block without its end marker counts as outside.
      type: list
      elements: dict
throttling:
  description:
    - The settings that bound unauthenticated connections (the DHEat denial of service, CVE-2002-20001, is
      mitigated by them), for the C(fleetcrypto.sftp.baseline) role and the baselines' C(throttling) check
      (C(playbooks/audit.yml) with C(fleetcrypto_audit_daemon=true)).
  returned: always
  type: dict
  contains:
    server_type:
      description: C(openssh) or C(proftpd).
      type: str
    version:
      description: The daemon's version.
      type: str
    source:
      description: C(sshd -T) or C(configuration files).
      type: str
    files:
      description: ProFTPD only, the configuration files read (the main file, its includes, the SFTP file).
      type: list
      elements: str
      returned: when server_type is proftpd
    settings:
      description:
        - Name -> entry. OpenSSH names C(max_startups), C(per_source_max_startups), C(per_source_net_block_size),
          C(per_source_penalties), C(login_grace_time), C(max_auth_tries); ProFTPD names C(max_instances),
          C(max_connection_rate), C(max_clients_per_host), C(per_source_max_startups) (C(MaxConnectionsPerHost),
          the unauthenticated clients per host), C(login_grace_time) (C(TimeoutLogin)), C(max_auth_tries)
          (C(MaxLoginAttempts)).
        - "Every entry has C(keyword) (the daemon's directive), C(supported) (false: this sshd does not know the
          keyword, C(value) is null), C(value) (as the daemon prints or the file sets it), C(error) (null, or why
          the value could not be read), for OpenSSH C(since) (the release that added the keyword, null for old
          ones), for ProFTPD C(configured), C(default) and C(locations) (C(file), C(line), C(value) of each
          setting)."
        - "And the parsed fields: C(max_startups): C(start), C(rate), C(full); C(per_source_max_startups),
          C(max_clients_per_host): C(limit) (null: no limit); C(per_source_net_block_size): C(ipv4), C(ipv6);
          C(per_source_penalties): C(enabled), C(penalties) (for example C(crash): 90, C(overflow): C(permissive));
          C(login_grace_time): C(seconds); C(max_auth_tries), C(max_instances): C(count);
          C(max_connection_rate): C(count), C(interval)."
      type: dict
      sample:
        max_startups: {keyword: MaxStartups, supported: true, value: "10:30:100", start: 10, rate: 30, full: 100,
                       since: null, error: null}
        per_source_penalties: {keyword: PerSourcePenalties, supported: false, value: null, since: "9.8",
                               error: null}
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import GOVERNED, InvalidName, validate_name
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon import openssh, proftpd
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.daemon.common import DaemonError, read_text

MAX_CANDIDATES = 256  # per category; bounds the number of daemon runs


def _find(module, name):
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/usr/local/sbin', '/sbin'])


def _valid_candidates(module):
    candidates, invalid = {}, {}
    for category, names in (module.params['candidates'] or {}).items():
        if category not in GOVERNED:
            module.fail_json(msg='candidates: unknown category %r (known: %s)' % (category, ', '.join(GOVERNED)))
        if not isinstance(names, list) or len(names) > MAX_CANDIDATES:
            module.fail_json(msg='candidates.%s must be a list of at most %d names' % (category, MAX_CANDIDATES))
        good = []
        for name in names:
            try:
                good.append(validate_name(name))
            except InvalidName:
                invalid.setdefault(category, []).append(str(name)[:100])
        candidates[category] = list(dict.fromkeys(good))
    return candidates, invalid


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
            proftpd_sftp_config=dict(type='path'),
            candidates=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    candidates, invalid = _valid_candidates(module)
    server_type = params['server_type']
    sshd = _find(module, params['sshd_path'])
    proftpd_bin = _find(module, params['proftpd_path'])
    if server_type == 'auto':
        if proftpd_bin and proftpd.sftp_engine_on(read_text(params['proftpd_config'])):
            server_type = 'proftpd'
        elif sshd:
            server_type = 'openssh'
        elif proftpd_bin:
            server_type = 'proftpd'
        else:
            module.fail_json(msg='no supported SSH/SFTP daemon found (looked for %s and %s). This module manages '
                                 'OpenSSH sshd and ProFTPD mod_sftp only; other servers must be configured by hand'
                             % (params['sshd_path'], params['proftpd_path']))
    try:
        if server_type == 'openssh':
            if not sshd:
                module.fail_json(msg='sshd not found: %s' % params['sshd_path'])
            result = openssh.describe(module.run_command, sshd, params['sshd_config'], params['sshd_config_dir'],
                                      ssh=_find(module, params['ssh_path']), candidates=candidates)
        else:
            if not proftpd_bin:
                module.fail_json(msg='proftpd not found: %s' % params['proftpd_path'])
            result = proftpd.describe(module.run_command, proftpd_bin, params['proftpd_config'], candidates=candidates,
                                      sftp_config=params['proftpd_sftp_config'])
    except DaemonError as error:
        module.fail_json(msg=error.msg, **error.details)
    result['invalid_candidates'] = invalid
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
