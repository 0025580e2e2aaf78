# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: proposals_from_ids_logs
short_description: Turn Zeek ssh.log and Suricata eve.json SSH records into partial client proposals
version_added: 1.0.0
description:
  - Reads the SSH records network monitors already collect and returns one partial client proposal per distinct
    client (banner and HASSH algorithms), ready for P(fleetcrypto.sftp.negotiate#filter) and
    P(fleetcrypto.sftp.observed_impact#filter).
  - "Zeek C(ssh.log) with the hassh package (C(zkg install hassh)), in Zeek's TSV format (C(#fields) header) or as
    JSON lines: C(hasshAlgorithms), C(hassh), C(cshka) (the client's host-key algorithms), C(client),
    C(id.orig_h), C(ts)."
  - "Suricata C(eve.json) events with C(event_type: ssh) (hassh enabled with C(app-layer.protocols.ssh.hassh: yes)):
    C(ssh.client.proto_version), C(ssh.client.software_version), C(ssh.client.hassh.hash),
    C(ssh.client.hassh.string) (or Suricata 6's C(ssh.client.hassh) and C(ssh.client.hassh_string)), C(src_ip),
    C(timestamp). Suricata logs the software version without the banner's comments, so neither does the
    rebuilt C(banner)."
  - "A HASSH carries the client's key-exchange, client-to-server cipher, MAC and compression lists only. The
    server-to-client lists are B(not) assumed equal to them and the host-key list is not guessed (Zeek's C(cshka)
    gives it): they stay unknown, so P(fleetcrypto.sftp.negotiate#filter) reports them in its C(unknown) result,
    or fills them from the built-in profile of the client's release."
  - Every record is checked; a record whose hassh is not the MD5 of its algorithms string, whose algorithms
    string is not four C(;)-separated lists, with a name that is not a valid SSH algorithm name, a banner that is
    not a printable SSH-2 identification line, an address that is not an IP address or a time that is not a
    time, or a line that is not JSON, is skipped and counted by reason. Lines of other Suricata event types and
    other Zeek logs are ignored, so whole files can be passed.
  - Everything is bounded. At most 64 MiB of text and 1,000,000 lines are read (the result says when the input
    was truncated), lines of at most 65536 characters, at most 10,000 distinct proposals, and at most 1,000
    distinct addresses counted per proposal (the 10 most frequent are returned).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description:
      - The text of one or more logs (formats may be mixed, one record per line), or a list of lines, or a list
        of events already parsed (each line through the C(from_json) filter).
    type: raw
    required: true
seealso:
  - plugin: fleetcrypto.sftp.negotiate
    plugin_type: filter
  - name: HASSH
    description: The fingerprint both engines compute, and the Zeek package that logs it.
    link: https://github.com/salesforce/hassh
  - name: Suricata EVE JSON format, event type SSH
    description: The fields Suricata writes for SSH.
    link: https://docs.suricata.io/en/latest/output/eve/eve-json-format.html
'''

EXAMPLES = r'''
- name: Read the SSH clients Zeek saw
  ansible.builtin.slurp:
    src: /opt/zeek/logs/current/ssh.log
  register: zeek_ssh
  delegate_to: zeek-sensor

- name: Which of them can connect to the server, and what could not be judged?
  ansible.builtin.debug:
    msg: >-
      {{ item.banner }} ({{ item.connections }} connections, hassh {{ item.hassh }}):
      {{ 'connects' if result.compatible and not result.unknown else
         (result.failures | map(attribute='message') | join('; ')) or ('not judged: ' ~ result.unknown | join(', ')) }}
  loop: "{{ (zeek_ssh.content | b64decode | fleetcrypto.sftp.proposals_from_ids_logs).proposals }}"
  loop_control:
    label: "{{ item.banner }}"
  vars:
    result: "{{ sftp_probe | fleetcrypto.sftp.negotiate(item) }}"

- name: Suricata's eve.json works the same way, and skipped records are counted
  ansible.builtin.debug:
    msg: "{{ (lookup('ansible.builtin.file', 'eve.json') | fleetcrypto.sftp.proposals_from_ids_logs).skipped }}"
'''

RETURN = r'''
_value:
  description: The client proposals and what was read.
  type: dict
  contains:
    proposals:
      description:
        - One partial client proposal per distinct source, banner, HASSH algorithms string and host-key list, the
          most frequent first. The name-list keys are those of every proposal here (RFC 4253 section 7.1); the
          unknown ones are absent.
      type: list
      elements: dict
      contains:
        kex_algorithms:
          description: The client's key-exchange list, as sent (pseudo-algorithms such as C(ext-info-c) included).
          type: list
          elements: str
        encryption_algorithms_client_to_server:
          description: The client's client-to-server cipher list.
          type: list
          elements: str
        mac_algorithms_client_to_server:
          description: The client's client-to-server MAC list.
          type: list
          elements: str
        compression_algorithms_client_to_server:
          description: The client's client-to-server compression list.
          type: list
          elements: str
        server_host_key_algorithms:
          description: The client's host-key list; only from Zeek's hassh package (C(cshka)), absent otherwise.
          type: list
          elements: str
        empty_entries:
          description: Per name-list key, how many names came before its first empty entry; absent when none.
          type: dict
        banner:
          description: The client's identification line (Zeek's C(client); rebuilt from Suricata's fields); null
            when not logged.
          type: str
          sample: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
        software:
          description: C({product, version}) read from the banner; null without one.
          type: dict
        hassh:
          description: The HASSH (MD5 hex digest, lower case), checked against the algorithms string.
          type: str
        hassh_algorithms:
          description: The HASSH algorithms string the lists were read from.
          type: str
        connections:
          description: Records of this client.
          type: int
        addresses:
          description: The most frequent client addresses (at most 10), each C({address, count}).
          type: list
          elements: dict
        distinct_addresses:
          description: How many distinct addresses were counted (addresses beyond 1,000 count as one more).
          type: int
        first_seen:
          description: The earliest record's time, ISO 8601 in UTC; null when no record had one.
          type: str
        last_seen:
          description: The latest record's time, ISO 8601 in UTC.
          type: str
        source:
          description: C(zeek) or C(suricata).
          type: str
        partial:
          description: Always true; the server-to-client lists, and the host-key list without C(cshka), are unknown.
          type: bool
    lines:
      description: Lines (or list items) read.
      type: int
    records:
      description: SSH records found, kept or skipped.
      type: int
    ignored:
      description: Lines that are not SSH records (blank lines, Zeek header lines, other event types or logs).
      type: int
    skipped:
      description:
        - SSH records and lines skipped, per reason; C(bad_json), C(line_too_long), C(no_fields_header),
          C(field_count), C(unrecognized), C(no_hassh), C(malformed_hassh), C(hassh_mismatch), C(invalid_name),
          C(invalid_banner), C(invalid_address), C(invalid_timestamp), C(too_many_proposals).
      type: dict
      sample: {hassh_mismatch: 1, no_hassh: 12}
    errors:
      description: The first 20 skipped lines, each C({line, reason, message}); messages hold printable text only.
      type: list
      elements: dict
    truncated:
      description: The input was longer than the bounds; only its beginning was read.
      type: bool
    formats:
      description: The sources found, C(zeek) and/or C(suricata).
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.ids_logs import IdsLogError
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.ids_logs import \
    proposals_from_ids_logs as _read


def proposals_from_ids_logs(data):
    """Partial client proposals from Zeek ssh.log / Suricata eve.json records. Everything in the result comes from
    a log, so it is marked unsafe: Ansible never evaluates a template a hostile client put in its banner."""
    try:
        return wrap_var(_read(data))
    except IdsLogError as exc:
        raise AnsibleFilterError('proposals_from_ids_logs: %s' % exc)


class FilterModule(object):
    """IDS-log filters of fleetcrypto.sftp."""

    def filters(self):
        return {'proposals_from_ids_logs': proposals_from_ids_logs}
