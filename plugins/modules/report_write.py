#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: report_write
short_description: Write a compliance report to files on the controller
version_added: 1.0.0
description:
  - Renders a P(fleetcrypto.sftp.compliance_report#filter) report in each requested format (see
    P(fleetcrypto.sftp.report_render#filter)) and writes C(<basename>.json), C(.html), C(.md), C(.csv) and
    C(.xml) into O(dest), on the controller.
  - An action plugin, so a fleet-sized report is written in one step without a module round trip per file.
    Each file is replaced atomically, and only when its content changes.
  - The report's C(generated_at) timestamp is new on every run, so it alone does not count as a change. When
    C(<basename>.json) exists in O(dest) and holds a C(generated_at), the new report is first rendered with that
    earlier timestamp; if every requested file then equals the file in O(dest) byte for byte, nothing is written,
    the task reports no change, and the files keep their content (with the earlier timestamp) and modification
    time. Otherwise every requested file whose content differs from the new report, with its new timestamp, is
    replaced, so the files written together always carry the same timestamp. Without C(<basename>.json) (for
    example when O(formats) leaves out V(json) and no earlier run wrote it) the files are compared with the new
    report as they are, and a new timestamp rewrites every format that shows it (V(json), V(html), V(markdown)).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; RV(changed_formats) says which files would change.
  diff_mode:
    support: none
    description: Reports are large; no diff is shown.
  action:
    support: full
    description: Runs on the controller as an action plugin.
options:
  report:
    description:
      - The report model, a P(fleetcrypto.sftp.compliance_report#filter) result.
      - Exactly one of O(report) and O(report_var) is required.
    type: dict
  report_var:
    description:
      - The name of a variable holding the report model (for example one set with M(ansible.builtin.set_fact)).
        Its value is used as stored, which saves templating a fleet-sized report a second time.
    type: str
  dest:
    description: Directory on the controller; created if missing. C(~) and environment variables are expanded.
    type: path
    required: true
  formats:
    description: Formats to write.
    type: list
    elements: str
    choices: [json, html, markdown, csv, junit]
    default: [json, html, markdown, csv, junit]
  basename:
    description: File name without extension; a plain name (no C(/)), not starting with a dot.
    type: str
    default: compliance
'''

EXAMPLES = r'''
- name: Write every format
  fleetcrypto.sftp.report_write:
    report: "{{ fleetcrypto_report }}"
    dest: reports/
  run_once: true

- name: The same for a report of thousands of hosts, without templating it again
  fleetcrypto.sftp.report_write:
    report_var: fleetcrypto_report
    dest: reports/
  run_once: true
'''

RETURN = r'''
files:
  description: Format -> path of its file, for every requested format, whether it was written or was already current.
  returned: always
  type: dict
  sample: {json: reports/compliance.json, html: reports/compliance.html}
changed_formats:
  description: The formats whose files were written (in check mode, would be written), in the order of O(formats).
  returned: always
  type: list
  elements: str
  sample: [json, html]
'''
