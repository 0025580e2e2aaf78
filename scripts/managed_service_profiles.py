# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write server profiles of managed SFTP services from the vendors' published documentation.

    python scripts/managed_service_profiles.py [/path/to/awsdocs/aws-transfer-user-guide.git]
        [--aws-current tests/unit/fixtures/aws-transfer-security-policies-2025.json]

* AWS Transfer Family: every security policy whose DescribeSecurityPolicy output the AWS Transfer Family User Guide
  prints (doc_source/security-policies.md of github.com/awsdocs/aws-transfer-user-guide at its last commit with
  content, AWS_COMMIT; the guide's source was archived in June 2023), with the host-key algorithms of
  doc_source/key-management.md "Supported algorithms for user and server keys" at the same commit (ssh-rsa "for our
  older security policies", all except TransferSecurityPolicy-2022-03).
* AWS Transfer Family policies published after the guide's source was archived (2023-05, 2024-01, the FIPS
  2023/2024/2025 ones, SshAuditCompliant-2025-02, 2025-03, AS2Restricted-2025-07, the Restricted 2018-11/2020-06
  variants) from the live page's 2025 revision, whose SSH lists are saved, transcribed, in
  tests/unit/fixtures/aws-transfer-security-policies-2025.json (its ``_source`` says from where). The lists are each
  section's DescribeSecurityPolicy JSON; the page's summary table is checked against them and its three
  disagreements (FIPS-2024-01/05 without diffie-hellman-group-exchange-sha256, 2025-03 and FIPS-2025-03 with
  diffie-hellman-group14-sha256) are written into the profiles' ``source`` (the JSON, the API's answer, is used).
  Not written, for want of a published list: TransferSecurityPolicy-Restricted-2024-06 (named by the API/SDK
  references, absent from the page) and the deprecated PQ-SSH-Experimental-2023-04 / PQ-SSH-FIPS-Experimental-2023-04.
* Azure Blob Storage SFTP: the "Supported algorithms" table of learn.microsoft.com's "SSH File Transfer Protocol
  (SFTP) support for Azure Blob Storage" (transcribed below from its source, MicrosoftDocs
  articles/storage/blobs/secure-file-transfer-protocol-support.md, ms.date 11/15/2024).

A managed service's ``supported`` is its offer. What the pages do not state is left out: the banner, the
compression lists (so the profiles are partial proposals), pseudo-algorithms (ext-info-s, strict kex) and the wire
order (the lists keep the page's order, which the client's preference decides over anyway, RFC 4253 section 7.1).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from c_source_tables import git_show  # noqa: E402  pylint: disable=wrong-import-position
from capture_server_profiles import write_server_profile  # noqa: E402  pylint: disable=wrong-import-position

AWS_COMMIT = '041abe51f7cb171111064393719d8f65ce93efed'
AWS_PAGE = 'https://docs.aws.amazon.com/transfer/latest/userguide/security-policies.html'
AWS_KEYS_PAGE = 'https://docs.aws.amazon.com/transfer/latest/userguide/key-management.html'
# The host key a server has: the page states no type for the key Transfer Family provides by default; the
# CreateServer HostKey parameter's first example generates an RSA 2048 key (doc_source/API_CreateServer.md).
AWS_HOST_KEYS = ['rsa']
AWS_CURRENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests', 'unit', 'fixtures',
                           'aws-transfer-security-policies-2025.json')
# The policies the archived guide already printed: written from the archive (their lists on the 2025 page are checked
# to be the same).
AWS_ARCHIVED = ('TransferSecurityPolicy-2018-11', 'TransferSecurityPolicy-2020-06', 'TransferSecurityPolicy-2022-03',
                'TransferSecurityPolicy-FIPS-2020-06')

AZURE_PAGE = 'https://learn.microsoft.com/azure/storage/blobs/secure-file-transfer-protocol-support#supported-algorithms'
AZURE_SOURCE = ('MicrosoftDocs/azure-docs articles/storage/blobs/secure-file-transfer-protocol-support.md, ms.date '
                '11/15/2024 (read from the copy at github.com/specialized806/azure-docs commit '
                '0f778e5c6d4282a78a153a1a5adaace9b465afc7)')
# "Supported algorithms" table, rows Host key, Key exchange, Ciphers/encryption, Integrity/MAC, in the page's order.
AZURE = {
    'server_host_key_algorithms': ['rsa-sha2-256', 'rsa-sha2-512', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384'],
    'kex_algorithms': ['ecdh-sha2-nistp384', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256',
                       'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256'],
    'encryption': ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
    'mac': ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
}
# The host keys the service has: the key types of the page's host-key row (RSA, ECDSA P-256/P-384); the page it links
# to for the keys themselves (secure-file-transfer-protocol-host-keys.md) was not read here.
AZURE_HOST_KEYS = ['rsa', 'ecdsa']


def lists(kex, host_key, ciphers, macs):
    return {
        'kex_algorithms': list(kex),
        'server_host_key_algorithms': list(host_key),
        'encryption_algorithms_client_to_server': list(ciphers),
        'encryption_algorithms_server_to_client': list(ciphers),
        'mac_algorithms_client_to_server': list(macs),
        'mac_algorithms_server_to_client': list(macs),
        'languages_client_to_server': [],
        'languages_server_to_client': [],
    }


def supported_of(kex, host_key, ciphers, macs):
    return {'kex': list(kex), 'host_key': list(host_key), 'cipher': list(ciphers), 'mac': list(macs)}


def aws_host_key_algorithms(git_dir):
    """{'rsa': [...], 'ecdsa': [...], 'ed25519': [...]} and the note on ssh-rsa, from key-management.md."""
    text = git_show(git_dir, AWS_COMMIT, 'doc_source/key-management.md')
    section = text.split('<a name="key-algorithms"></a>', 1)[1].split('\n## ', 1)[0]
    found = {}
    current = None
    for line in section.splitlines():
        head = re.match(r'^\+ For (ED25519|RSA|ECDSA):\s*(?:`([^`]+)`)?', line)
        if head:
            current = head.group(1).lower()
            found[current] = [head.group(2)] if head.group(2) else []
            continue
        item = re.match(r'^\s+\+ `([^`]+)`', line)
        if item and current:
            found[current].append(item.group(1))
    if not re.search(r'support `ssh-rsa` with SHA1 for our older security policies \\\(all policies except for '
                     r'\[TransferSecurityPolicy\\-2022\\-03\]', section):
        raise LookupError('key-management.md: the ssh-rsa note is not where this script expects it')
    return found


def aws_policies(git_dir):
    text = git_show(git_dir, AWS_COMMIT, 'doc_source/security-policies.md')
    for block in re.findall(r'```\n(\{.*?\})\n```', text, re.S):
        yield json.loads(block)['SecurityPolicy']


def aws_documents(git_dir):
    keys = aws_host_key_algorithms(git_dir)
    for policy in aws_policies(git_dir):
        name = policy['SecurityPolicyName']
        host_key = [alg for key in AWS_HOST_KEYS for alg in keys[key]]
        every_host_key = [alg for key in ('ed25519', 'rsa', 'ecdsa') for alg in keys[key]]
        if name != 'TransferSecurityPolicy-2022-03':
            host_key.append('ssh-rsa')
            every_host_key.insert(every_host_key.index('rsa-sha2-512') + 1, 'ssh-rsa')
        document = {
            'name': 'aws-transfer-%s' % name.lower(),
            'product': 'AWS Transfer Family',
            'version': name,
            'source': '%s (AWS Transfer Family User Guide, "%s" section%s: the policy\'s DescribeSecurityPolicy output '
                      'SshKexs, SshCiphers, SshMacs), read from the guide\'s source github.com/awsdocs/'
                      'aws-transfer-user-guide commit %s, doc_source/security-policies.md; host-key algorithms of an '
                      '%s host key (assumed: the guide states no type for the host key Transfer Family provides; '
                      'its CreateServer HostKey example is RSA 2048) from %s ("Supported algorithms for user and '
                      'server keys", same commit: ssh-rsa '
                      'for every policy but TransferSecurityPolicy-2022-03). Not stated there, so left out: banner, '
                      'compression, ext-info/strict-kex pseudo-algorithms, wire order. Written by '
                      'scripts/managed_service_profiles.py.' % (
                          AWS_PAGE, name, ', a FIPS policy ("Fips": true)' if policy.get('Fips') else '', AWS_COMMIT,
                          '/'.join(key.upper() for key in AWS_HOST_KEYS), AWS_KEYS_PAGE),
            'host_keys': list(AWS_HOST_KEYS),
        }
        document.update(lists(policy['SshKexs'], host_key, policy['SshCiphers'], policy['SshMacs']))
        document['supported'] = supported_of(policy['SshKexs'], every_host_key, policy['SshCiphers'],
                                             policy['SshMacs'])
        document['supported_source'] = ('Managed service: what the policy offers (%s), with every host-key '
                                        'algorithm the service supports for the key types it accepts (%s).'
                                        % (AWS_PAGE, AWS_KEYS_PAGE))
        yield document


def aws_current_policies(path):
    """{name: {'Fips', 'SshCiphers', 'SshKexs', 'SshMacs', 'derived_from'?, 'table_differs'?}} from the saved page."""
    with open(path) as handle:
        page = json.load(handle)
    policies = {}
    for name, policy in page['policies'].items():
        policy = dict(policy)
        listed = set(policy['SshCiphers'] + policy['SshKexs'] + policy['SshMacs'])
        marked = set(page['table'][name])
        if listed != marked:
            policy['table_differs'] = (sorted(listed - marked), sorted(marked - listed))
        policies[name] = policy
    for name, parent in page['same_as'].items():
        policies[name] = dict(policies[parent], derived_from=(parent, 'identical except ssh-rsa host keys'))
    for name, parent in page['restricted'].items():
        policy = dict(policies[parent], derived_from=(parent, 'identical except without chacha20-poly1305@openssh.com'))
        policy['SshCiphers'] = [cipher for cipher in policy['SshCiphers'] if cipher != 'chacha20-poly1305@openssh.com']
        policy.pop('table_differs', None)
        policies[name] = policy
    return page, policies


def aws_current_documents(path):
    page, policies = aws_current_policies(path)
    rsa = [alg for alg in page['host_key_algorithms'] if alg.startswith('rsa-')]
    for name in sorted(policies):
        if name in AWS_ARCHIVED:
            continue
        policy = policies[name]
        ssh_rsa = name in page['ssh_rsa']
        host_key = rsa + (['ssh-rsa'] if ssh_rsa else [])
        every_host_key = list(page['host_key_algorithms'])
        if ssh_rsa:
            every_host_key.insert(every_host_key.index('rsa-sha2-512') + 1, 'ssh-rsa')
        notes = []
        if 'derived_from' in policy:
            notes.append('the page prints no list for this policy but says it is the same as %s, %s'
                         % policy['derived_from'])
        if 'table_differs' in policy:
            sides = tuple(', '.join(side) or 'nothing' for side in policy['table_differs'])
            notes.append('the summary table of the page disagrees with this JSON (only in the JSON: %s; only in the '
                         'table: %s); the JSON is used' % sides)
        document = {
            'name': 'aws-transfer-%s' % name.lower(),
            'product': 'AWS Transfer Family',
            'version': name,
            'source': 'AWS Transfer Family User Guide, %s, its 2025 revision (the section "%s"%s: the DescribeSecurityPolicy output of the policy, SshKexs, '
                      'SshCiphers, SshMacs, in the order of the page%s), transcribed into '
                      'tests/unit/fixtures/aws-transfer-security-policies-2025.json (its _source names the copies '
                      'read); host-key algorithms of an %s host key (assumed, as for the older policies: the page '
                      'states no type for the host key Transfer Family provides) from the "Cryptographic algorithms" '
                      'list of the page%s. Not stated there, so left out: banner, compression, ext-info/strict-kex '
                      'pseudo-algorithms, wire order. Written by scripts/managed_service_profiles.py.' % (
                          AWS_PAGE, policy.get('derived_from', (name,))[0],
                          ', a FIPS policy ("Fips": true)' if policy.get('Fips') else '',
                          ''.join('; ' + note for note in notes),
                          '/'.join(key.upper() for key in AWS_HOST_KEYS),
                          ', with ssh-rsa, which the page says this policy allows' if ssh_rsa else
                          ' (no ssh-rsa: the page does not list this policy among those allowing it)'),
            'host_keys': list(AWS_HOST_KEYS),
        }
        document.update(lists(policy['SshKexs'], host_key, policy['SshCiphers'], policy['SshMacs']))
        document['supported'] = supported_of(policy['SshKexs'], every_host_key, policy['SshCiphers'],
                                             policy['SshMacs'])
        document['supported_source'] = ('Managed service: what the policy offers (%s, 2025 revision), with every '
                                        'host-key algorithm that page says the service supports for this policy.'
                                        % AWS_PAGE)
        yield document


def check_archived_against_current(git_dir, path):
    """The 2025 page prints the archived policies' lists unchanged; raise if not."""
    _page, current = aws_current_policies(path)
    for policy in aws_policies(git_dir):
        name = policy['SecurityPolicyName']
        for key in ('SshCiphers', 'SshKexs', 'SshMacs'):
            if policy[key] != current[name][key]:
                raise LookupError('%s %s: the archived guide and the 2025 page differ' % (name, key))


def azure_document():
    document = {
        'name': 'azure-blob-sftp',
        'product': 'Azure Blob Storage SFTP',
        'version': '2024-11-15',
        'source': '%s ("Supported algorithms" table: Host key, Key exchange, Ciphers/encryption, Integrity/MAC, in '
                  'the page\'s order), source %s. Host keys assumed: RSA and ECDSA, the key types of the table\'s '
                  'host-key row. Not stated there, so left out: banner, compression, '
                  'ext-info/strict-kex pseudo-algorithms, wire order. Written by scripts/managed_service_profiles.py.'
                  % (AZURE_PAGE, AZURE_SOURCE),
        'host_keys': list(AZURE_HOST_KEYS),
    }
    document.update(lists(AZURE['kex_algorithms'], AZURE['server_host_key_algorithms'], AZURE['encryption'],
                          AZURE['mac']))
    document['supported'] = supported_of(AZURE['kex_algorithms'], AZURE['server_host_key_algorithms'],
                                         AZURE['encryption'], AZURE['mac'])
    document['supported_source'] = 'Managed service: supported is the offer (the page named in source).'
    return document


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('aws_guide_git_dir', nargs='?',
                        help='a clone of github.com/awsdocs/aws-transfer-user-guide (omitted: the archived policies '
                             'are not rewritten)')
    parser.add_argument('--aws-current', default=AWS_CURRENT,
                        help='the saved SSH lists of the 2025 security-policies page (default: %(default)s)')
    args = parser.parse_args()
    documents = []
    if args.aws_guide_git_dir:
        check_archived_against_current(args.aws_guide_git_dir, args.aws_current)
        documents.extend(aws_documents(args.aws_guide_git_dir))
    documents.extend(aws_current_documents(args.aws_current))
    documents.append(azure_document())
    for document in documents:
        path = write_server_profile(document)
        print('%s -> %s' % (document['version'], os.path.basename(path)))


if __name__ == '__main__':
    main()
