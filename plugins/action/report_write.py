# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for fleetcrypto.sftp.report_write: render and write report files on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import EXTENSIONS, FORMATS, render

# The options documented in plugins/modules/report_write.py.
ARGUMENT_SPEC = dict(
    report=dict(type='dict'),
    report_var=dict(type='str'),
    dest=dict(type='path', required=True),
    formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
    basename=dict(type='str', default='compliance'),
)
MUTUALLY_EXCLUSIVE = [('report', 'report_var')]
REQUIRED_ONE_OF = [('report', 'report_var')]


def _read(path):
    """The file's bytes, or None when it cannot be read (missing, a directory ...)."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _previous_generated_at(path):
    """``generated_at`` of the report JSON at ``path``, or None."""
    data = _read(path)
    if data is None:
        return None
    try:
        previous = json.loads(data)
    except ValueError:
        return None
    stamp = previous.get('generated_at') if isinstance(previous, dict) else None
    return stamp if isinstance(stamp, str) else None


def _render(report, fmt):
    try:
        return to_bytes(render(report, fmt))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleActionFail('report must be a compliance_report result: cannot render it as %s (%s: %s)'
                                % (fmt, exc.__class__.__name__, exc))


class ActionModule(ActionBase):
    """Render each format and replace the file atomically when its content changes (the timestamp aside)."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                                  required_one_of=REQUIRED_ONE_OF)
        report = args['report']
        if args['report_var'] is not None:
            # The variable's value as set_fact stored it: a fleet-sized report is not templated again.
            report = (task_vars or {}).get(args['report_var'])
        if not isinstance(report, dict) or not report.get('schema'):
            raise AnsibleActionFail('report must be a compliance_report result%s'
                                    % (' (variable %s is not one)' % args['report_var'] if args['report_var'] else ''))
        dest, basename = args['dest'], args['basename']
        formats = list(dict.fromkeys(args['formats']))  # each once, in the order given
        if not dest:
            raise AnsibleActionFail('dest must be a directory path')
        if not basename or '/' in basename or basename.startswith('.') or '\0' in basename:
            raise AnsibleActionFail('basename must be a plain file name')
        files = {fmt: os.path.join(dest, '%s.%s' % (basename, EXTENSIONS[fmt])) for fmt in formats}

        # generated_at changes on every run. When the files differ from the new report only in that timestamp
        # (the report rendered with the timestamp of the existing JSON file equals every file), they are current.
        stamp = _previous_generated_at(os.path.join(dest, '%s.%s' % (basename, EXTENSIONS['json'])))
        if stamp is not None and 'generated_at' in report and stamp != report['generated_at']:
            earlier = dict(report, generated_at=stamp)
            if all(_read(path) == _render(earlier, fmt) for fmt, path in files.items()):
                result.update(changed=False, files=files, changed_formats=[])
                return result

        changed = []
        for fmt in formats:
            path = files[fmt]
            content = _render(report, fmt)
            if _read(path) == content:
                continue
            changed.append(fmt)
            if self._task.check_mode:
                continue
            try:
                os.makedirs(dest, exist_ok=True)
                handle, temp = tempfile.mkstemp(prefix='.%s.' % basename, dir=dest)
                try:
                    with os.fdopen(handle, 'wb') as out:
                        out.write(content)
                    os.chmod(temp, 0o644)
                    os.replace(temp, path)
                except BaseException:
                    if os.path.exists(temp):
                        os.unlink(temp)
                    raise
            except (IOError, OSError) as exc:
                raise AnsibleActionFail('cannot write %s: %s' % (path, exc))
        result.update(changed=bool(changed), files=files, changed_formats=changed)
        return result
