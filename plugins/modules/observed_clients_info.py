#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: observed_clients_info
short_description: Observe which SSH clients really connect, from their banners and KEXINITs on the wire
version_added: 1.0.0
description:
  - Watches the SSH/SFTP ports of the host it runs on and records, for every client connection, the client's
    identification line and its first C(SSH_MSG_KEXINIT), which every SSH-2 client sends in the clear before any
    key is agreed (RFC 4253 sections 4.2 and 7.1). Nothing after the KEXINIT is read or kept.
  - Returns one entry per distinct client (identification line and proposal) with its HASSH fingerprint, how
    often and from where it connected, and its proposal in the shape P(fleetcrypto.sftp.negotiate#filter) takes,
    so the clients nobody listed can be checked before a cipher list changes.
  - A live capture uses the kernel's packet filter through C(tcpdump) when it is installed (the tool operators
    already trust for this), else a raw C(AF_PACKET) socket with an equivalent in-kernel filter. Only packets
    towards O(ports) are captured, the interface is never put in promiscuous mode, and the capture ends after
    O(duration) seconds or O(max_connections) connections.
  - With O(pcap) it reads a pcap or pcapng file instead (for example one written by C(tcpdump -w) or Wireshark),
    which works on the controller too (C(delegate_to) V(localhost)) and needs no privilege.
  - Memory is bounded whatever the traffic; malformed, truncated or non-SSH input is counted per connection
    in RV(skipped) and RV(truncated), never an error of the task.
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
requirements:
  - Linux where a live capture runs; root or the C(CAP_NET_RAW) capability (use C(become)).
  - C(tcpdump) is used when installed and running as root; otherwise a raw packet socket.
extends_documentation_fragment:
  - fleetcrypto.sftp.attributes.READ_ONLY
options:
  ports:
    description:
      - The TCP ports of the SSH/SFTP services to observe (at most 32). Only client packets towards them are read.
    type: list
    elements: int
    default: [22]
  interface:
    description:
      - The network interface to capture on; V(any) captures on all of them (Linux). Ignored with O(pcap).
    type: str
    default: any
  duration:
    description:
      - Seconds to capture, above 0 and at most 3600. Required for a live capture; not allowed with O(pcap).
      - For more than a few minutes, run the task with C(async) so the connection to the host does not time out.
    type: float
  max_connections:
    description:
      - Stop as soon as this many client connections were accounted for (recorded, or skipped with a reason),
        before O(duration) runs out.
    type: int
  pcap:
    description:
      - Read this pcap or pcapng file instead of capturing (link types Ethernet, Linux cooked SLL and SLL2 as
        C(tcpdump -i any) writes, raw IP, BSD loopback). Mutually exclusive with O(duration).
    type: path
  anonymize_addresses:
    description:
      - Replace each client address by an HMAC-SHA256 of it under a random salt made for this run (C(anon-) and
        12 hex digits). The same address gets the same name within one run, and none can be traced back or
        compared across runs.
    type: bool
    default: false
notes:
  - The HASSH is computed exactly as its definition (github.com/salesforce/hassh) does, and as Wireshark's
    C(ssh.kex.hassh), Zeek's and Suricata's fields; RV(clients[].hassh_algorithms) is the string it hashes.
  - Connections that were already established when the capture started are not counted; a connection whose SYN
    was missed is followed from its identification line.
  - IPv6 packets with extension headers are read from files but not matched by the raw socket's filter.
seealso:
  - module: fleetcrypto.sftp.client_capture
  - name: HASSH, a profiling method for SSH clients and servers
    description: The definition of hassh and hasshAlgorithms.
    link: https://github.com/salesforce/hassh
  - name: RFC 4253, section 7.1 Algorithm Negotiation
    description: The SSH_MSG_KEXINIT message and its ten name-lists.
    link: https://www.rfc-editor.org/rfc/rfc4253#section-7.1
'''

EXAMPLES = r'''
- name: Which clients connect to the SFTP server during 10 minutes?
  fleetcrypto.sftp.observed_clients_info:
    ports: [22]
    duration: 600
  become: true
  async: 700
  poll: 10
  register: observed

- name: Name each observed client, its fingerprint and how often it came
  ansible.builtin.debug:
    msg: "{{ item.banner }} hassh={{ item.hassh }} x{{ item.connections }}"
  loop: "{{ observed.clients }}"

- name: Would every observed client still connect to the server as it is configured now?
  ansible.builtin.debug:
    msg: "{{ sftp_offer | fleetcrypto.sftp.negotiate(item.proposal) }}"
  loop: "{{ observed.clients }}"

- name: Read a capture a network team took (tcpdump -i any -w ssh.pcap 'tcp port 22'), on the controller
  fleetcrypto.sftp.observed_clients_info:
    pcap: /srv/captures/ssh.pcap
    anonymize_addresses: true
  delegate_to: localhost
  register: from_file

- name: Stop after the first 50 connections on the ProFTPD port
  fleetcrypto.sftp.observed_clients_info:
    ports: [2222]
    interface: eth0
    duration: 300
    max_connections: 50
  become: true
'''

RETURN = r'''
clients:
  description: One entry per distinct client (identification line and proposal), the most frequent first.
  returned: success
  type: list
  elements: dict
  contains:
    banner:
      description: The client's identification line.
      type: str
      sample: SSH-2.0-JSCH-0.1.54
    software:
      description: Product, version, comments and protocol parsed from the banner.
      type: dict
      sample: {product: JSch, version: 0.1.54, comments: null, protocol: '2.0'}
    profile_name:
      description: The name the profile library would give this software (C(openssh-9.2), C(jsch-0.1.54)).
      type: str
      sample: jsch-0.1.54
    proposal:
      description: The ten RFC 4253 name-lists of the client's KEXINIT in its order (the proposal shape the
        collection's filters take; empty entries dropped, see RV(clients[].empty_entries)).
      type: dict
    strict_kex:
      description: The client offers C(kex-strict-c-v00@openssh.com) (the Terrapin countermeasure).
      type: bool
    ext_info:
      description: The client offers C(ext-info-c) (RFC 8308).
      type: bool
    hassh:
      description: The HASSH fingerprint, the MD5 hex digest of RV(clients[].hassh_algorithms).
      type: str
      sample: 8a8ae540028bf433cd68356c1b9e8d5b
    hassh_algorithms:
      description: The client's kex, client-to-server cipher, MAC and compression name-lists as sent, joined
        with C(;).
      type: str
      sample: "curve25519-sha256,ext-info-c;aes128-ctr;hmac-sha2-256;none"
    connections:
      description: How many connections sent this identification line and proposal.
      type: int
      sample: 12
    first_seen:
      description: When the first of them completed its KEXINIT (ISO 8601, UTC, from the packet timestamps).
      type: str
      sample: '2026-11-25T14:03:17.512345Z'
    last_seen:
      description: When the last of them completed its KEXINIT (ISO 8601, UTC).
      type: str
      sample: '2026-11-25T14:09:45.000001Z'
    addresses:
      description: The most frequent client addresses (at most 10) with their connection counts; with
        O(anonymize_addresses), salted HMACs of them.
      type: list
      elements: dict
      sample: [{address: 192.0.2.15, connections: 10}, {address: 'anon-3f1c9a0b2d4e', connections: 2}]
    distinct_addresses:
      description: How many different addresses sent it (counted up to 1024 per client).
      type: int
      sample: 2
    connections_from_untracked_addresses:
      description: Connections from addresses beyond the 1024 counted per client.
      type: int
      returned: when there were any
    empty_entries:
      description: For each name-list with empty entries, how many names came before the first one.
      type: dict
      returned: when a list had empty entries
    protocol_warnings:
      description: Deviations from the RFC that were tolerated.
      type: list
      elements: str
      returned: when there were any
capture_method:
  description: How the packets were obtained, V(tcpdump), V(raw_socket) or V(pcap_file).
  returned: success
  type: str
  sample: tcpdump
ports:
  description: The ports observed.
  returned: success
  type: list
  elements: int
  sample: [22]
packets:
  description: Packets read (for a live capture, those the kernel's filter passed, towards O(ports)).
  returned: success
  type: int
  sample: 1834
connections_seen:
  description: Client connections that started during the capture (their SYN or their identification line seen).
  returned: success
  type: int
  sample: 130
clients_recorded:
  description: Connections whose identification line and KEXINIT were recorded (the sum of RV(clients[].connections)).
  returned: success
  type: int
  sample: 127
distinct_clients:
  description: The number of entries in RV(clients) (at most 256; further distinct clients are skipped as C(max_clients)).
  returned: success
  type: int
  sample: 4
skipped:
  description:
    - Connections that were not recorded, with the count per reason and up to 20 examples (reason, message, client
      address, server port, time).
    - Reasons are those of the KEXINIT reader (C(not_ssh), C(ssh1_only), C(protocol_error) for malformed or oversized
      packets and KEXINITs, C(disconnected), C(closed) when the client closed or reset the connection before its
      KEXINIT), and C(over_byte_cap) (more than 64 KiB before the KEXINIT, such as a client flooding lines),
      C(gap) (segments missing from the capture), C(evicted) (too many connections in progress at once),
      C(incomplete) (the capture ended first) and C(max_clients).
  returned: success
  type: dict
  sample: {total: 2, reasons: {not_ssh: 1, closed: 1}, samples: [{reason: not_ssh, address: 192.0.2.7, port: 22,
           time: '2026-11-25T14:03:18.000000Z', msg: "the service is an HTTP service, not SSH (it sent GET / HTTP/1.1)"}]}
truncated:
  description:
    - What the capture itself lost, per reason - C(capture_truncated) (the file ends inside a record),
      C(malformed_capture) (a damaged record header; reading stopped there, C(msg) says where), C(snaplen) (packets
      captured shorter than sent), C(kernel_drops) and C(interface_drops) (packets the kernel could not queue).
  returned: success
  type: dict
  sample: {total: 0, reasons: {}}
ignored_packets:
  description: Packets that were not part of a client hello, per reason (C(other_port), C(not_tcp), C(after_kexinit),
    C(established_session), C(ip_fragment), C(malformed_packet), C(unsupported_link_type) ...).
  returned: success
  type: dict
  sample: {after_kexinit: 1520, established_session: 40}
first_packet:
  description: Timestamp of the first packet towards O(ports) (ISO 8601, UTC), null when there was none.
  returned: success
  type: str
last_packet:
  description: Timestamp of the last packet towards O(ports) (ISO 8601, UTC), null when there was none.
  returned: success
  type: str
stopped_early:
  description: O(max_connections) was reached before the capture's end.
  returned: success
  type: bool
anonymized:
  description: Addresses are salted HMACs (O(anonymize_addresses)).
  returned: success
  type: bool
interface:
  description: The interface captured on.
  returned: live capture
  type: str
  sample: any
duration:
  description: Seconds the live capture ran.
  returned: live capture
  type: float
  sample: 600.02
link_type:
  description: The link type tcpdump reported.
  returned: live capture with tcpdump
  type: str
  sample: LINUX_SLL2
pcap:
  description: The file read.
  returned: with O(pcap)
  type: str
capture_format:
  description: C(pcap) or C(pcapng).
  returned: with O(pcap)
  type: str
link_types:
  description: The link types found in the file.
  returned: with O(pcap)
  type: list
  elements: str
  sample: [Linux cooked v2 (SLL2)]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import (
    DEFAULT_INTERFACE,
    DEFAULT_PORTS,
    ObserveError,
    check_options,
    observe_live,
    observe_pcap,
)

# Types and defaults only: module_utils.observe checks the values (ranges, the interface name, which options go
# together) and raises ObserveError.
ARGUMENT_SPEC = dict(
    ports=dict(type='list', elements='int', default=list(DEFAULT_PORTS)),
    interface=dict(type='str', default=DEFAULT_INTERFACE),
    duration=dict(type='float'),
    max_connections=dict(type='int'),
    pcap=dict(type='path'),
    anonymize_addresses=dict(type='bool', default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        check_options(params['ports'], params['interface'], params['duration'], params['max_connections'],
                      params['pcap'])
        if params['pcap'] is not None:
            result = observe_pcap(params['pcap'], params['ports'], params['anonymize_addresses'],
                                  params['max_connections'])
        else:
            result = observe_live(params['ports'], params['interface'], params['duration'], params['max_connections'],
                                  params['anonymize_addresses'])
    except ObserveError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
