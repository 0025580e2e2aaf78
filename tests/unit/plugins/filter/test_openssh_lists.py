# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The openssh_lists filter on sshd -T / ssh -G text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.openssh_lists import FilterModule, openssh_lists

SSHD_T = '''port 22
kexalgorithms curve25519-sha256,diffie-hellman-group14-sha256
hostkeyalgorithms ssh-ed25519,rsa-sha2-512
ciphers aes256-ctr,aes128-ctr
permitrootlogin no
'''


def test_lists_from_sshd_t_and_a_missing_line():
    assert FilterModule().filters() == {'openssh_lists': openssh_lists}
    assert openssh_lists(SSHD_T) == {'kex': ['curve25519-sha256', 'diffie-hellman-group14-sha256'],
                                     'host_key': ['ssh-ed25519', 'rsa-sha2-512'],
                                     'ciphers': ['aes256-ctr', 'aes128-ctr'], 'macs': []}


def test_non_text_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r'^openssh_lists: expects the text of sshd -T or ssh -G, got dict'):
        openssh_lists({'ciphers': 'aes256-ctr'})
