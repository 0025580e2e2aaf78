# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: report_render
short_description: Render a compliance report as JSON, HTML, Markdown, CSV or JUnit XML
version_added: 1.0.0
description:
  - V(json) is the model itself (versioned, see C(docs/report-schema.md)).
  - V(html) is one self-contained page (no external assets) with the fleet summary, a host x client matrix
    (reason on hover or click), baseline violations with ratings and sources, Terrapin exposure, unreachable
    hosts and the remediation of each failing host; it prints. For fleets of more than 1,000 hosts the page
    lists 1,000, non-compliant and unreachable ones first, and says how many compliant hosts it leaves to the
    other formats.
  - V(markdown) is for tickets and pull requests, V(csv) has one row per host x client, V(junit) one test case
    per host x client and per host baseline check (unreachable hosts are errors).
author:
  - fleetcrypto.sftp contributors (@fleetcrypto)
options:
  _input:
    description: A P(fleetcrypto.sftp.compliance_report#filter) result.
    type: dict
    required: true
  format:
    description: The output format.
    type: str
    choices: [json, html, markdown, csv, junit]
    required: true
'''

EXAMPLES = r'''
- name: Write the HTML page
  ansible.builtin.copy:
    content: "{{ report | fleetcrypto.sftp.report_render('html') }}"
    dest: reports/compliance.html
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The rendered text.
  type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import render


def report_render(report, fmt):
    """Render ``report`` as ``fmt``."""
    try:
        return render(report, fmt)
    except (ValueError, KeyError, TypeError) as exc:
        raise AnsibleFilterError('report_render: %s' % exc)


class FilterModule(object):
    """Report writers of fleetcrypto.sftp."""

    def filters(self):
        return {'report_render': report_render}
