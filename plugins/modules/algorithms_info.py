#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: algorithms_info
short_description: Read the algorithms an SSH or SFTP server offers, from its KEXINIT on the wire
version_added: 1.0.0
description:
  - Connects to an SSH server (OpenSSH, ProFTPD mod_sftp, dropbear, Cerberus FTP Server, and any other
    SSH-2 implementation), sends an identification line, and reads the server's identification line and
    its C(SSH_MSG_KEXINIT), which every SSH-2 server sends unencrypted before key exchange
    (RFC 4253 sections 4.2 and 7.1).
  - That message lists, in the server's order of preference, every key-exchange, host-key, cipher, MAC and
    compression algorithm the server will accept. It is the ground truth for "could not agree" failures,
    whatever the server's configuration files say.
  - One TCP connection per server, no credentials, no key exchange (unless O(host_keys=true)), nothing is
    changed. The connection is closed as soon as the KEXINIT has been read.
  - In batch mode (O(targets)) many servers are probed concurrently from one task with a single event
    loop; a failing server yields a failed entry in RV(results) and never aborts the others.
  - Runs wherever the task runs, usually on the controller (C(delegate_to) V(localhost)) or on the managed
    node itself to see the server from its own side.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
requirements:
  - Python 3.8 or newer where the module runs.
  - C(cryptography) (a dependency of ansible-core) for curve25519 and ECDH key exchanges when
    O(host_keys=true); without it only Diffie-Hellman methods are used.
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  host:
    description:
      - Name or IP address of the server to probe.
      - Required unless O(targets) is given; mutually exclusive with it.
    type: str
  port:
    description:
      - TCP port of the SSH service.
      - In batch mode, the port of every entry of O(targets) that names none.
    type: int
    default: 22
  timeout:
    description:
      - Seconds the whole probe of one server may take (resolution, connect, banner and KEXINIT; and the
        key exchanges when O(host_keys=true)). A server that is slower fails with RV(reason=timeout).
      - Above 0 and at most 3600.
    type: float
    default: 10
  client_banner:
    description:
      - The identification string sent to the server, either a full C(SSH-2.0-softwareversion [comments])
        line or only the softwareversion part, which is prefixed with C(SSH-2.0-).
      - Some servers adapt their offer to the client's software (OpenSSH applies compatibility flags), so
        sending a partner client's banner shows what that client is offered.
      - Must be printable US-ASCII (RFC 4253 section 4.2).
    type: str
    default: SSH-2.0-fleetcrypto_sftp
  address_family:
    description:
      - Which address family to use when O(host) is a name. V(any) tries every address the name resolves
        to, in resolver order, until one connects.
    type: str
    choices: [any, ipv4, ipv6]
    default: any
  host_keys:
    description:
      - When V(true), also start one key exchange per offered host-key algorithm, read the host key from
        the server's reply, and return each key's type, size and SHA256 fingerprint in RV(host_keys).
        The exchange stops there; no authentication is ever attempted.
      - The server's signature is not verified (it would prove nothing a man in the middle could not
        also prove for its own key), so legacy algorithms such as C(ssh-rsa) and C(ssh-dss) are reported
        too. Compare fingerprints with a trusted record.
      - All exchanges run concurrently and within O(timeout).
    type: bool
    default: false
  moduli:
    description:
      - When V(true) and the server offers C(diffie-hellman-group-exchange-sha256) or C(-sha1), also learn the
        Diffie-Hellman group sizes it really sends (RFC 4419 section 3): one connection per method and request,
        each stopping at the server's SSH_MSG_KEX_DH_GEX_GROUP, and return them in RV(moduli).
      - "The requests (min, n, max bits): V(ssh_audit_small) (512, 1024, 1536) and V(exact_2048) (2048, 2048, 2048)
        and V(ssh_audit_second_pass) (2048, 3072, 4096) as ssh-audit 3.9 sends them (ssh_audit/gextest.py), and
        V(openssh_client) (2048, 8192, 8192), what an OpenSSH client asks with a 256-bit cipher or SHA-2 MAC
        (kexgexc.c, dh.h DH_GRP_MIN/DH_GRP_MAX, dh.c dh_estimate)."
      - At most 2 of these connections run at once per server, all within O(timeout). A server that refuses,
        throttles or sends junk gets RV(moduli_error); the rest of the result stands.
    type: bool
    default: false
  targets:
    description:
      - Batch mode. A list of servers to probe concurrently; each result is an entry of RV(results), in the
        same order.
      - Mutually exclusive with O(host).
    type: list
    elements: dict
    suboptions:
      host:
        description: Name or IP address of the server.
        type: str
        required: true
      port:
        description: TCP port; defaults to O(port).
        type: int
  concurrency:
    description:
      - Batch mode. How many servers are probed at the same time, from 1 to 1024.
    type: int
    default: 64
notes:
  - The offer is what the server sends to a client with O(client_banner). It can differ from C(sshd -T)
    when the daemon adapts to the client (for example OpenSSH's compatibility flags for old clients).
  - Empty entries in a server's name-list (Cerberus FTP Server sends C(hmac-ripemd160,,hmac-md5)) are
    dropped and reported in RV(protocol_warnings) (and shown as warnings in single mode).
  - Names in the offer are checked to be printable US-ASCII without spaces; a server that sends anything
    else is reported as RV(reason=protocol_error), so nothing unsafe can flow from a probe into a
    configuration file.
seealso:
  - name: RFC 4253, section 7.1 Algorithm Negotiation
    description: The SSH_MSG_KEXINIT message and its ten name-lists.
    link: https://www.rfc-editor.org/rfc/rfc4253#section-7.1
'''

EXAMPLES = r'''
- name: Read what the SFTP server offers, from the controller
  fleetcrypto.sftp.algorithms_info:
    host: sftp.example.com
    port: 22
  delegate_to: localhost
  register: sftp_offer

- name: Show its ciphers
  ansible.builtin.debug:
    msg: "{{ sftp_offer.offer.encryption_algorithms_client_to_server }}"

- name: Include the host keys and their fingerprints
  fleetcrypto.sftp.algorithms_info:
    host: sftp.example.com
    host_keys: true
  delegate_to: localhost
  register: sftp_keys

- name: Learn the Diffie-Hellman group sizes a group-exchange server sends
  fleetcrypto.sftp.algorithms_info:
    host: sftp.example.com
    moduli: true
  delegate_to: localhost
  register: sftp_moduli

- name: Probe the whole fleet from one task, 128 servers at a time
  fleetcrypto.sftp.algorithms_info:
    targets: >-
      [{% for name in groups['sftp_servers'] %}
      {"host": "{{ hostvars[name].ansible_host | default(name) }}",
       "port": {{ hostvars[name].ansible_port | default(22) }}},
      {% endfor %}]
    concurrency: 128
    timeout: 5
  delegate_to: localhost
  run_once: true
  register: fleet

- name: Simpler batch form with an explicit list
  fleetcrypto.sftp.algorithms_info:
    targets:
      - host: 192.0.2.10
      - host: 192.0.2.11
        port: 2222
  delegate_to: localhost
  run_once: true
  register: fleet

- name: List the servers that could not be probed, with the reason
  ansible.builtin.debug:
    msg: "{{ item.host }}:{{ item.port }} {{ item.reason }}: {{ item.msg }}"
  loop: "{{ fleet.results | selectattr('failed') }}"

- name: Look at the server the way a partner's old JSch client does
  fleetcrypto.sftp.algorithms_info:
    host: sftp.example.com
    client_banner: SSH-2.0-JSCH-0.1.54
  delegate_to: localhost
'''

RETURN = r'''
host:
  description: The host probed (single mode).
  returned: always in single mode
  type: str
  sample: sftp.example.com
port:
  description: The port probed (single mode).
  returned: always in single mode
  type: int
  sample: 22
address:
  description: The IP address connected to.
  returned: when a connection was made
  type: str
  sample: 192.0.2.10
banner:
  description: The server's identification line, without CR LF.
  returned: when the server sent one
  type: str
  sample: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
software:
  description: The identification line split into product, version and comments.
  returned: success
  type: dict
  contains:
    product:
      description: Product name (OpenSSH, ProFTPD mod_sftp, dropbear, paramiko, AsyncSSH, Cerberus FTP Server ...), or the raw software name when unknown.
      type: str
      sample: OpenSSH
    version:
      description: Version from the banner, or null when the banner carries none (ProFTPD's default C(mod_sftp)).
      type: str
      sample: 9.2p1
    comments:
      description: The comments part of the identification line, if any.
      type: str
      sample: Debian-2+deb12u3
    protocol:
      description: Protocol version, C(2.0) or C(1.99).
      type: str
      sample: '2.0'
offer:
  description:
    - The server's proposal from its SSH_MSG_KEXINIT, with the ten RFC 4253 name-lists as lists of strings in
      the server's order, plus C(first_kex_packet_follows).
    - This is the proposal shape that the collection's filters and client profiles share.
  returned: success
  type: dict
  contains:
    kex_algorithms:
      description: Key-exchange algorithms, including pseudo-algorithms such as C(ext-info-s) and C(kex-strict-s-v00@openssh.com).
      type: list
      elements: str
      sample: [curve25519-sha256, ecdh-sha2-nistp256, kex-strict-s-v00@openssh.com]
    server_host_key_algorithms:
      description: Host-key (signature) algorithms.
      type: list
      elements: str
      sample: [rsa-sha2-512, rsa-sha2-256, ssh-ed25519]
    encryption_algorithms_client_to_server:
      description: Ciphers for client-to-server traffic.
      type: list
      elements: str
      sample: [aes256-ctr, aes256-cbc]
    encryption_algorithms_server_to_client:
      description: Ciphers for server-to-client traffic.
      type: list
      elements: str
      sample: [aes256-ctr, aes256-cbc]
    mac_algorithms_client_to_server:
      description: MACs for client-to-server traffic.
      type: list
      elements: str
      sample: [hmac-sha2-256-etm@openssh.com, hmac-sha2-256]
    mac_algorithms_server_to_client:
      description: MACs for server-to-client traffic.
      type: list
      elements: str
      sample: [hmac-sha2-256-etm@openssh.com, hmac-sha2-256]
    compression_algorithms_client_to_server:
      description: Compression for client-to-server traffic.
      type: list
      elements: str
      sample: [none, zlib@openssh.com]
    compression_algorithms_server_to_client:
      description: Compression for server-to-client traffic.
      type: list
      elements: str
      sample: [none, zlib@openssh.com]
    languages_client_to_server:
      description: Language tags (almost always empty).
      type: list
      elements: str
      sample: []
    languages_server_to_client:
      description: Language tags (almost always empty).
      type: list
      elements: str
      sample: []
    first_kex_packet_follows:
      description: Whether the server sends a guessed key-exchange packet right after its KEXINIT.
      type: bool
      sample: false
strict_kex:
  description: The server offers strict key exchange (C(kex-strict-s-v00@openssh.com)), the Terrapin (CVE-2023-48795) countermeasure.
  returned: success
  type: bool
  sample: true
ext_info:
  description: The server offers RFC 8308 extension negotiation (C(ext-info-s)).
  returned: success
  type: bool
  sample: false
pre_banner_lines:
  description: Text lines the server sent before its identification line (RFC 4253 section 4.2), at most 1024.
  returned: success
  type: list
  elements: str
  sample: []
protocol_warnings:
  description: Deviations from the RFC that were tolerated, such as empty entries in a name-list.
  returned: success
  type: list
  elements: str
  sample: ["name-list mac_algorithms_client_to_server contains 1 empty entry (ignored)"]
empty_entries:
  description:
    - For each name-list that contained empty entries, how many names came before the first one.
      OpenSSH stops reading a list at an empty entry, so the names after it are invisible to OpenSSH peers;
      the negotiation filters use this.
  returned: success, when a list had empty entries
  type: dict
  sample: {mac_algorithms_client_to_server: 7}
host_keys:
  description: One entry per offered host-key algorithm, when O(host_keys=true).
  returned: success and O(host_keys=true)
  type: list
  elements: dict
  contains:
    algorithm:
      description: The host-key algorithm the key exchange was restricted to.
      type: str
      sample: rsa-sha2-512
    type:
      description: The key type.
      type: str
      sample: ssh-rsa
    bits:
      description: Key size in bits.
      type: int
      sample: 3072
    fingerprint_sha256:
      description: OpenSSH-style SHA256 fingerprint, as C(ssh-keygen -l) prints it.
      type: str
      sample: SHA256:mUBePudMR4V2m+CeIrY/zU5n/X8ZR4gjwC2Z8LgUEms
    public_key:
      description: The public key in C(authorized_keys) / C(known_hosts) form (type and base64 blob).
      type: str
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJXLnslFvKdNT60kDQKfxO1NQgDDe16PTW/9qAJqAwC+
    kex:
      description: The key-exchange method used to obtain the key.
      type: str
      sample: curve25519-sha256
    signature_algorithm:
      description: The algorithm named in the server's signature (shows what it really signed with).
      type: str
      sample: rsa-sha2-512
    error:
      description: Why the key could not be fetched for this algorithm (instead of the other keys).
      type: str
      sample: "no key-exchange reply within 10 s"
moduli:
  description:
    - The group sizes a group-exchange server sent, when O(moduli=true). RV(moduli.methods) is empty when the
      server offers no group exchange.
  returned: success and O(moduli=true), unless every request failed (then RV(moduli_error))
  type: dict
  contains:
    methods:
      description: One entry per offered group-exchange method, in the server's order.
      type: list
      elements: dict
      contains:
        kex:
          description: The method, C(diffie-hellman-group-exchange-sha256) or C(diffie-hellman-group-exchange-sha1).
          type: str
        requests:
          description:
            - One entry per request, with C(name), the C(min), C(n) and C(max) sizes asked for (bits) and either
              C(bits) (the bit length of the p received) and C(in_range) (whether it lies within min..max), or
              C(error) and C(reason) (OpenSSH refuses requests whose max is below 2048, for one).
          type: list
          elements: dict
          sample:
            - {name: exact_2048, min: 2048, n: 2048, max: 2048, bits: 2048, in_range: true}
            - {name: ssh_audit_small, min: 512, n: 1024, max: 1536, reason: closed,
               error: "server closed the connection during the key exchange"}
        smallest:
          description: The smallest group received for this method, or null.
          type: int
        largest:
          description: The largest group received for this method, or null.
          type: int
    smallest:
      description: The smallest group received over all methods, or null.
      type: int
      sample: 2048
    largest:
      description: The largest group received over all methods, or null.
      type: int
      sample: 8192
moduli_error:
  description:
    - Why no group sizes could be learned (the server refused or throttled the extra connections, or sent junk).
      Only that check is affected; the offer result stands.
  returned: when O(moduli=true) and no request got a group
  type: str
  sample: "refused: no group-exchange request got a group (server closed the connection during the key exchange)"
elapsed_ms:
  description: Milliseconds the probe took.
  returned: always
  type: float
  sample: 3.2
reason:
  description:
    - Why the probe failed, one of C(dns), C(refused), C(unreachable), C(timeout), C(reset), C(closed),
      C(not_ssh), C(ssh1_only), C(protocol_error), C(disconnected), C(throttled), C(invalid_input).
    - C(throttled) means an SSH server turned the connection away because of its connection limits
      (OpenSSH C(Exceeded MaxStartups)); lower O(concurrency) or retry later.
  returned: failure
  type: str
  sample: not_ssh
msg:
  description: What went wrong, for people.
  returned: failure
  type: str
  sample: "the service is an HTTP service, not SSH (it sent HTTP/1.1 400 Bad Request)"
results:
  description:
    - Batch mode. One dict per entry of O(targets), in the same order, each with C(host), C(port), C(failed)
      and the keys described above (RV(offer), RV(banner) ... on success; RV(reason), RV(msg) on failure).
  returned: batch mode
  type: list
  elements: dict
  sample:
    - host: 127.0.0.1
      port: 2222
      failed: true
      reason: refused
      msg: "connection refused by 127.0.0.1 port 2222: nothing listens there"
      elapsed_ms: 0.4
summary:
  description: Batch mode. Counts of probed, succeeded and failed targets, and the failures per reason.
  returned: batch mode
  type: dict
  sample: {total: 3, ok: 2, failed: 1, reasons: {refused: 1}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import (
    DEFAULT_CLIENT_BANNER,
    DEFAULT_CONCURRENCY,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    FAMILIES,
    probe,
    probe_many,
    validate_port,
)

# Types, choices and defaults only: the ranges and every other check of a value belong to module_utils.probe,
# which reports a bad host of a batch as that host's invalid_input entry and raises ValueError for bad shared
# options.
ARGUMENT_SPEC = dict(
    host=dict(type='str'),
    port=dict(type='int', default=DEFAULT_PORT),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    client_banner=dict(type='str', default=DEFAULT_CLIENT_BANNER),
    address_family=dict(type='str', default='any', choices=sorted(FAMILIES)),
    host_keys=dict(type='bool', default=False),
    moduli=dict(type='bool', default=False),
    targets=dict(type='list', elements='dict', options=dict(
        host=dict(type='str', required=True),
        port=dict(type='int'),
    )),
    concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
)


def _summary(results):
    reasons = {}
    for item in results:
        if item['failed']:
            reasons[item['reason']] = reasons.get(item['reason'], 0) + 1
    failed = sum(reasons.values())
    return {'total': len(results), 'ok': len(results) - failed, 'failed': failed, 'reasons': reasons}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[('host', 'targets')],
        required_one_of=[('host', 'targets')],
        supports_check_mode=True,
    )
    params = module.params
    options = dict(timeout=params['timeout'], client_banner=params['client_banner'],
                   address_family=params['address_family'], host_keys=params['host_keys'],
                   moduli=params['moduli'])
    if params['targets'] is not None:
        try:
            # A port out of range in the task's own targets list is the task author's mistake: the task
            # fails naming the entry (a bad host name is reported per host by the probe instead).
            for index, target in enumerate(params['targets']):
                if target['port'] is not None:
                    validate_port(target['port'], 'targets[%d] (%s)' % (index, target['host']))
            results = probe_many(params['targets'], params['concurrency'], port=params['port'], **options)
        except ValueError as exc:
            module.fail_json(msg=str(exc), reason='invalid_input')
        module.exit_json(changed=False, results=results, summary=_summary(results))

    result = probe(params['host'], params['port'], **options)
    if result.pop('failed'):
        module.fail_json(**result)
    for warning in result.get('protocol_warnings') or ():
        module.warn(warning)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
