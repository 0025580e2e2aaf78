# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proposals_from_ids_logs filter: Zeek/Suricata records through Ansible, into negotiate."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:   # ansible-core before 2.19 trusts every template string
    def trust_as_template(text):
        return text

from ansible_collections.fleetcrypto.sftp.plugins.filter import proposals_from_ids_logs as plugin
from ansible_collections.fleetcrypto.sftp.plugins.filter.negotiate import negotiate
from ansible_collections.fleetcrypto.sftp.plugins.filter.proposals_from_ids_logs import FilterModule, \
    proposals_from_ids_logs
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile

KEYS = ('kex_algorithms', 'encryption_algorithms_client_to_server', 'mac_algorithms_client_to_server',
        'compression_algorithms_client_to_server')


def zeek_json(name, banner=None, address='192.0.2.10'):
    profile = load_profile(name)
    algorithms = ';'.join(','.join(profile[key]) for key in KEYS)
    return json.dumps({'ts': 1763978400.25, 'uid': 'CHhAvVGS1DHFjwGM9', 'id.orig_h': address, 'id.orig_p': 50022,
                       'id.resp_h': '192.0.2.1', 'id.resp_p': 22, 'client': banner or profile['banner'],
                       'server': 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', 'hasshVersion': '1.1',
                       'hassh': hashlib.md5(algorithms.encode('ascii')).hexdigest(), 'hasshAlgorithms': algorithms})


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'proposals_from_ids_logs': proposals_from_ids_logs}


def test_records_into_negotiate(classic_server):
    text = '\n'.join([zeek_json('openssh-9.2'), zeek_json('openssh-9.2', address='192.0.2.11'),
                      zeek_json('jsch-0.1.54-restricted-jce', address='198.51.100.7'), '{"ts": oops}'])
    result = proposals_from_ids_logs(text)
    assert result['skipped'] == {'bad_json': 1} and len(result['proposals']) == 2
    openssh, jsch = result['proposals']
    assert openssh['connections'] == 2 and openssh['hassh'] == '472b5de333ad665af5cbf10ff892c4df'
    ok = negotiate(classic_server, openssh)
    assert ok['compatible'] and ok['unknown'] == [] and ok['filled_from']['profile'] == 'openssh-9.2'
    unfilled = negotiate(classic_server, openssh, fill_from_profiles=False)
    assert unfilled['compatible'] and unfilled['unknown'] == ['host_key', 'cipher', 'mac', 'compression']
    failed = negotiate(classic_server, jsch)
    assert failed['compatible'] is False and failed['failures'][0]['message'].startswith(
        'Algorithm negotiation fail: algorithmName="cipher.c2s"')


def test_a_template_in_a_banner_is_never_evaluated():
    """The result is marked unsafe (wrap_var; ansible-core 2.19 and later trust no filter output as a template), so
    a client that puts a template in its banner cannot make Ansible evaluate it, however the result is used."""
    banner = 'SSH-2.0-{{ 6 * 7 }}'
    result = proposals_from_ids_logs(zeek_json('openssh-9.2', banner=banner))
    assert result['proposals'][0]['banner'] == banner
    templar = Templar(loader=DataLoader(), variables={'observed': result})
    for expression in ('{{ observed.proposals[0].banner }}', '{{ observed }}', '{{ observed | to_json }}'):
        rendered = templar.template(trust_as_template(expression))
        assert '42' not in str(rendered) and '6 * 7' in str(rendered)


@pytest.mark.parametrize('bad', [None, 42, {'proposals': []}])
def test_a_wrong_input_type_is_a_filter_error(bad):
    with pytest.raises(AnsibleFilterError, match='^proposals_from_ids_logs: the input must be the text'):
        proposals_from_ids_logs(bad)


def test_the_documentation_is_valid_yaml_and_names_every_result_key():
    documentation = yaml.safe_load(plugin.DOCUMENTATION)
    assert documentation['name'] == 'proposals_from_ids_logs'
    returned = yaml.safe_load(plugin.RETURN)['_value']['contains']
    result = proposals_from_ids_logs(zeek_json('openssh-9.2'))
    assert set(result) == set(returned)
    documented = set(returned['proposals']['contains'])
    assert set(result['proposals'][0]) - {'server_host_key_algorithms', 'empty_entries'} <= documented
    yaml.safe_load(plugin.EXAMPLES)
