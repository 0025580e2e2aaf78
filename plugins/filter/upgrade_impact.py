# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: upgrade_impact
short_description: Predict which clients break (or start working) when an SSH/SFTP server moves to another release
version_added: 1.1.0
description:
  - Predicts the server's offer after it moves to a release described by a built-in server profile (see
    P(fleetcrypto.sftp.server_profile#lookup)), then predicts every client against the offer today and after the
    upgrade (P(fleetcrypto.sftp.negotiate#filter)).
  - The offer after the upgrade is predicted per category (kex, host key, cipher, MAC, compression). When today's
    list is the default of the release the server runs now (its profile, given as O(current) or found from the
    server's banner), the server takes the target release's default; for host-key algorithms, those of the target
    for the key types the server has today, in the server's key order (sshd lists its host keys in HostKey order).
    When today's list differs (set in the configuration), the setting is kept minus what the target release no
    longer supports. OpenSSH's sshd refuses to start when its configuration names an algorithm the release does
    not know (C(Bad SSH2 KexAlgorithms), C(Bad SSH2 cipher spec), C(Bad SSH2 mac spec), C(Bad key types)); that is
    reported in RV(_value.daemon_refuses_to_start), and the offer predicted is the one after removing those names.
  - Each category's assumption is listed in RV(_value.assumptions).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The server today, the per-host result of M(fleetcrypto.sftp.algorithms_info) (its C(banner) tells the
        release it runs) or a proposal with the ten RFC 4253 name-lists and C(banner) or C(software).
      - Or the name of a built-in server profile (for example C(debian-12)), that release as it ships.
    type: raw
    required: true
  target:
    description: The built-in server profile of the release the server moves to, for example C(openssh-10.0).
    type: str
    required: true
  clients:
    description:
      - The clients to judge, in the forms P(fleetcrypto.sftp.negotiate#filter) takes (client profile names,
        proposals, hand-written profiles with a C(name)).
    type: list
    elements: raw
    default: []
  current:
    description:
      - The built-in server profile of the release the server runs today. By default it is found from the server's
        software among the profiles of the same product and release line, the one whose lists match today's offer
        best (for C(SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3), C(debian-12) when its lists match, else
        C(openssh-9.2)). Without one, every category is C(unknown_current).
    type: str
'''

EXAMPLES = r'''
- name: What breaks when this server moves to OpenSSH 10.0?
  ansible.builtin.debug:
    msg: "{{ impact.breaks }} break; {{ impact.assumptions | map(attribute='detail') }}"
  vars:
    impact: "{{ sftp_probe | fleetcrypto.sftp.upgrade_impact('openssh-10.0', clients=['putty-0.78', 'jsch-0.1.55']) }}"

- name: Fail before the upgrade when a required client would break
  ansible.builtin.assert:
    that: not impact.breaks and not impact.daemon_refuses_to_start
    fail_msg: >-
      {% for item in impact.clients if item.breaks %}{{ item.client }}: {{ item.after.failures
      | map(attribute='message') | join('; ') }}. {% endfor %}{{ impact.daemon_errors | join(' ') }}
  vars:
    impact: "{{ sftp_probe | fleetcrypto.sftp.upgrade_impact('openssh-10.0', required_clients, current='debian-12') }}"
'''

RETURN = r'''
_value:
  description: The prediction.
  type: dict
  contains:
    target:
      description: The target profile's name (its alias when reached through one).
      type: str
      sample: openssh-10.0
    target_source:
      description: Where the target profile's lists come from.
      type: str
    current:
      description: The profile taken as the release the server runs today; null when none is known.
      type: str
      sample: debian-12
    current_detected:
      description: RV(_value.current) was found from the server's software (not given).
      type: bool
    candidates:
      description: The profiles of the server's product and release line, best match first.
      type: list
      elements: str
    offer:
      description:
        - The predicted offer after the upgrade, a proposal P(fleetcrypto.sftp.negotiate#filter) takes (the ten
          name-lists, C(banner) and C(software) of the target, C(name)).
      type: dict
    assumptions:
      description: One item per category (C(kex), C(host_key), C(cipher), C(mac), C(compression)).
      type: list
      elements: dict
      contains:
        category:
          description: The category.
          type: str
        assumption:
          description:
            - C(release_defaults) (today's list is the current release's default, the target's default follows),
              C(explicit_kept) (today's list is a setting, kept minus what the target does not support) or
              C(unknown_current) (no profile of today's release, or the list was not probed; today's list is
              assumed kept).
          type: str
          choices: [release_defaults, explicit_kept, unknown_current]
        removed:
          description: Names offered today and not after the upgrade.
          type: list
          elements: str
        added:
          description: Names the target's defaults add (for C(release_defaults)).
          type: list
          elements: str
        daemon_error:
          description:
            - For an OpenSSH target whose kept setting names an algorithm it no longer knows, the fatal error sshd
              prints when it reads the configuration (C(sshd_config line N) stands for the setting's place);
              null otherwise.
          type: str
        detail:
          description: The assumption in a sentence.
          type: str
    daemon_refuses_to_start:
      description:
        - True when a kept setting names an algorithm the target OpenSSH release does not know, so sshd would not
          start after the upgrade until the setting is edited; null when that depends on whether the configuration
          names it (RV(_value.current) unknown); false otherwise.
      type: bool
    daemon_errors:
      description: The RV(_value.assumptions[].daemon_error) messages.
      type: list
      elements: str
    clients:
      description: Each client today and after the upgrade.
      type: list
      elements: dict
      contains:
        client:
          description: The client's label (a profile name, a proposal's C(name), else C(clients[N])).
          type: str
        today:
          description: >-
            The P(fleetcrypto.sftp.negotiate#filter) result against today's offer, reduced to C(compatible),
            C(negotiated), C(failures) (each with C(category), C(direction), C(message), C(reason)), C(unknown),
            C(post_quantum) and C(warnings).
          type: dict
        after:
          description: The same against the offer after the upgrade.
          type: dict
        breaks:
          description: The client connects today and not after the upgrade.
          type: bool
        fixes:
          description: The client cannot connect today and can after the upgrade.
          type: bool
    breaks:
      description: The labels of the clients the upgrade breaks.
      type: list
      elements: str
    fixes:
      description: The labels of the clients the upgrade lets connect.
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.upgrade import upgrade_impact as _impact


def upgrade_impact(server, target, clients=None, current=None):
    """Predict the clients that break when ``server`` moves to the release ``target``."""
    try:
        return _impact(server, target, clients or [], current)
    except ProposalError as exc:
        raise AnsibleFilterError('upgrade_impact: %s' % exc)


class FilterModule(object):
    """Upgrade-impact filter of fleetcrypto.sftp."""

    def filters(self):
        return {'upgrade_impact': upgrade_impact}
