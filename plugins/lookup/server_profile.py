# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: server_profile
short_description: Built-in SSH/SFTP server profiles (what real servers offer with their default settings) by name
version_added: 1.1.0
description:
  - Returns the default SSH_MSG_KEXINIT offer of a real server release, distribution or managed service, in its
    exact order, as a proposal dict that P(fleetcrypto.sftp.negotiate#filter) accepts as its server, with
    C(banner), C(software) and the C(source) it came from.
  - Names are C(<product>-<version>) in lower case (C(openssh-10.0), C(proftpd-1.3.8), C(dropbear-2022.83)),
    distributions (C(debian-12), C(rhel-9-default)) and services (C(aws-transfer-transfersecuritypolicy-2024-01),
    C(azure-blob-sftp)). Names ending in C(.x) (C(openssh-10.x)) are aliases for the newest known release of that
    line. Give no term to list the available names.
  - Profiles of servers installed on Debian 12 were captured on the wire from that software (C(captured_with));
    the test suite captures them again and compares. The others are derived from the release's source at its tag,
    or copied from the vendor's published list, as each profile's C(source) says.
  - Besides the offer, each profile gives C(host_keys), the host-key types the server is assumed to have (the
    offered host-key algorithms follow from them), and C(supported), every algorithm per category the release can
    be configured to offer, which is what P(fleetcrypto.sftp.upgrade_impact#filter) uses to tell what an explicit
    setting loses in an upgrade.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _terms:
    description: Server profile names.
    type: list
    elements: str
    required: false
'''

EXAMPLES = r'''
- name: Can the partner's client still connect once the server runs OpenSSH 10.0's defaults?
  ansible.builtin.debug:
    msg: "{{ lookup('fleetcrypto.sftp.server_profile', 'openssh-10.0')
             | fleetcrypto.sftp.negotiate(lookup('fleetcrypto.sftp.client_profile', 'jsch-0.1.55')) }}"

- name: Which server profiles exist?
  ansible.builtin.debug:
    msg: "{{ query('fleetcrypto.sftp.server_profile') }}"
'''

RETURN = r'''
_raw:
  description:
    - One server profile per name (or, with no term, the list of profile names).
    - Each has the ten name-lists of a KEXINIT (C(kex_algorithms) ... C(languages_server_to_client)), C(name),
      C(banner) (null when the service does not publish one), C(software) (C(product), C(version)), C(source),
      C(host_keys), C(supported) (per category C(kex), C(host_key), C(cipher), C(mac), C(compression), each a list, or
      null when unknown), C(supported_source), C(captured_with) and, when reached through an alias, C(alias).
  type: list
  elements: raw
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.server_profiles import load_server_profile, \
    server_profile_names


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            return server_profile_names()
        try:
            return [load_server_profile(term) for term in terms]
        except ProposalError as exc:
            raise AnsibleLookupError('server_profile: %s' % exc)
