# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The YAML layout of data/client_profiles/*.yml, shared by the scripts that write profiles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml


class IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as yamllint (and ansible-lint) expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super(IndentedDumper, self).increase_indent(flow, False)


def dump_profile(document, stream):
    """Write ``document`` to ``stream`` as a profile file: document start marker, keys in their given order."""
    stream.write('---\n')
    yaml.dump(document, stream, Dumper=IndentedDumper, sort_keys=False, width=120)
