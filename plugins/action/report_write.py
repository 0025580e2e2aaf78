# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for fleetcrypto.sftp.report_write: render and write report files on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import EXTENSIONS, FORMATS, render


class ActionModule(ActionBase):
    """Render each format and replace the file atomically when its content changes."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('report', 'report_var', 'dest', 'formats', 'basename'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        report = args.get('report')
        if args.get('report_var') is not None:
            if report is not None:
                raise AnsibleActionFail('give report or report_var, not both')
            # The variable's value as set_fact stored it: a fleet-sized report is not templated again.
            report = (task_vars or {}).get(args['report_var'])
        dest = args.get('dest')
        formats = args.get('formats', list(FORMATS))
        basename = args.get('basename', 'compliance')
        if isinstance(formats, str):
            formats = [item.strip() for item in formats.split(',') if item.strip()]
        if not isinstance(report, dict) or not report.get('schema'):
            raise AnsibleActionFail('report must be a compliance_report result')
        if not dest or not isinstance(dest, str):
            raise AnsibleActionFail('dest must be a directory path')
        unknown = [item for item in formats if item not in FORMATS]
        if unknown:
            raise AnsibleActionFail('unknown report formats %s (known: %s)' % (unknown, ', '.join(FORMATS)))
        if not isinstance(basename, str) or not basename or '/' in basename or basename.startswith('.'):
            raise AnsibleActionFail('basename must be a plain file name')
        dest = os.path.expanduser(dest)
        files, changed = {}, []
        for fmt in formats:
            path = os.path.join(dest, '%s.%s' % (basename, EXTENSIONS[fmt]))
            content = to_bytes(render(report, fmt))
            files[fmt] = path
            try:
                with open(path, 'rb') as handle:
                    if handle.read() == content:
                        continue
            except (IOError, OSError):
                pass
            changed.append(fmt)
            if self._task.check_mode:
                continue
            try:
                os.makedirs(dest, exist_ok=True)
                handle, temp = tempfile.mkstemp(prefix='.%s.' % basename, dir=dest)
                with os.fdopen(handle, 'wb') as out:
                    out.write(content)
                os.chmod(temp, 0o644)
                os.replace(temp, path)
            except (IOError, OSError) as exc:
                raise AnsibleActionFail('cannot write %s: %s' % (path, exc))
        result.update(changed=bool(changed), files=files, changed_formats=changed)
        return result
