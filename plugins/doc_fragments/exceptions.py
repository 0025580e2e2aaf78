# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The documented-exception options shared by the baseline filters."""

    DOCUMENTATION = r'''
options:
  exceptions:
    description:
      - Documented exceptions, each C({client, algorithm, reason, expires}) with C(expires) as C(YYYY-MM-DD) and
        C(client) a client name (or C(*) for any required client). An algorithm covered by an active exception
        is allowed; an expired exception counts as absent and is reported as expired.
    type: list
    elements: dict
  today:
    description: The date to judge expiry against (C(YYYY-MM-DD)); today by default.
    type: str
'''
