# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The moduli_filter filter: the baseline's minimum, an explicit one, and errors as AnsibleFilterError."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.filter.moduli_filter import FilterModule, moduli_filter
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.host_keys import modp_prime


def line(kex):
    prime = modp_prime(kex)
    return '20230101000000 2 6 100 %d 2 %X' % (prime.bit_length() - 1, prime)


TEXT = '\n'.join([line('diffie-hellman-group14-sha256'), line('diffie-hellman-group16-sha512')]) + '\n'


def test_baseline_minimum_and_override():
    assert FilterModule().filters() == {'moduli_filter': moduli_filter}
    result = moduli_filter(TEXT, 'intermediate')
    assert (result['min_bits'], result['kept'], result['dropped'], result['sizes']) == (3072, 1, 1, {4096: 1})
    assert moduli_filter(TEXT, 'intermediate', min_bits=2048)['kept'] == 2
    assert 'from /srv/moduli' in moduli_filter(TEXT, 'modern', source='/srv/moduli')['content']


@pytest.mark.parametrize('text,baseline,kwargs,message', [
    (line('diffie-hellman-group14-sha256'), 'intermediate', {}, 'no group of at least 3072 bits'),
    (TEXT, 'no-such-baseline', {}, 'no-such-baseline'),
    (TEXT, 'intermediate', {'min_bits': 100}, 'from 1024 to 16384'),
    (None, 'intermediate', {}, 'must be text'),
])
def test_errors_are_filter_errors(text, baseline, kwargs, message):
    with pytest.raises(AnsibleFilterError) as info:
        moduli_filter(text, baseline, **kwargs)
    assert message in str(info.value)
