# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: client_profile
short_description: Built-in SSH client profiles (real clients' default proposals) by name
version_added: 1.0.0
description:
  - Returns the default SSH_MSG_KEXINIT proposal of a real client, in its exact order, as a proposal dict
    that P(fleetcrypto.sftp.negotiate#filter) accepts, with C(banner), C(software) and the C(source) it came
    from.
  - Names are C(<product>-<version>) in lower case, for example C(openssh-9.2), C(putty-0.78),
    C(jsch-0.1.54-restricted-jce). Give no term to list the available names.
  - Profiles of software installable on Debian 12 were captured on the wire from that software with
    M(fleetcrypto.sftp.client_capture); the test suite captures them again and compares.
  - PuTTY and WinSCP profiles also carry C(putty_settings), their release's default saved-session lines
    (C(Cipher), C(KEX), C(HostKey) with the C(WARN) line), C(putty_tokens), the release's tokens and the names
    each proposes, and C(below_warn), the names below the C(WARN) line per category; see
    P(fleetcrypto.sftp.negotiate#filter) for giving a client's own lines.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _terms:
    description: Profile names.
    type: list
    elements: str
    required: false
'''

EXAMPLES = r'''
- name: Can PuTTY 0.78 connect to the server probed before?
  ansible.builtin.debug:
    msg: "{{ sftp_probe | fleetcrypto.sftp.negotiate(lookup('fleetcrypto.sftp.client_profile', 'putty-0.78')) }}"

- name: Which profiles exist?
  ansible.builtin.debug:
    msg: "{{ query('fleetcrypto.sftp.client_profile') }}"
'''

RETURN = r'''
_raw:
  description: One proposal per name (or, with no term, the list of profile names).
  type: list
  elements: raw
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, profile_names
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import ProposalError


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            return profile_names()
        try:
            return [load_profile(term) for term in terms]
        except ProposalError as exc:
            raise AnsibleLookupError('client_profile: %s' % exc)
