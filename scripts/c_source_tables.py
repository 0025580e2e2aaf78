# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read algorithm tables out of C source at a release tag, as a given build configuration compiles them.

Shared by the scripts that derive profiles from source (ProFTPD mod_sftp, dropbear): a table is cut out of the
file (from ``NAME[] = {`` to its closing ``};``) and run through the C preprocessor with the build's macros, so
``#if`` blocks are decided the way the compiler decides them. ``preprocess`` can also run a whole translation unit
with the include directories of a configured source tree (``include_dirs``, system macros kept), as the project's
Makefile compiles it; the scripts never run the software.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess
import tempfile


def git_show(git_dir, tag, path):
    return subprocess.run(['git', '-C', git_dir, 'show', '%s:%s' % (tag, path)], capture_output=True, text=True,
                          check=True).stdout


def extract_tag(git_dir, tag, directory):
    """Write the tree of ``tag`` (``git archive``) into ``directory``, for a script that runs the release's own
    configure step before reading its tables."""
    archive = subprocess.run(['git', '-C', git_dir, 'archive', tag], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', directory], input=archive, check=True)


def git_exists(git_dir, tag, path):
    return subprocess.run(['git', '-C', git_dir, 'cat-file', '-e', '%s:%s' % (tag, path)], capture_output=True,
                          check=False).returncode == 0


def table_text(source, name):
    """The text of the C array ``name`` (from its ``name[] = {`` line to the first ``};`` at a line start)."""
    match = re.search(r'^[^\n;]*\b%s\s*\[\s*\]\s*=\s*\{(.*?)^\s*\};' % re.escape(name), source, re.S | re.M)
    if not match:
        raise LookupError('table %s[] not found' % name)
    return match.group(1)


def preprocess(text, defines=(), prelude='', include_dirs=None):
    """``text`` through ``cpp -P`` with ``defines`` (``NAME`` or ``NAME=VALUE``) and a ``prelude`` of #defines.

    Without ``include_dirs`` the text stands alone (``-undef``: no system macros). With them (``-I`` each, in order)
    it is compiled as a file of that tree: its #includes are followed and the compiler's own macros are kept."""
    work = tempfile.mkdtemp(prefix='fleetcrypto-cpp-')
    path = os.path.join(work, 'table.c')
    with open(path, 'w') as handle:
        handle.write(prelude + '\n' + text + '\n')
    options = ['-undef'] if include_dirs is None else ['-I' + item for item in include_dirs]
    try:
        return subprocess.run(['cpp', '-P'] + options + ['-D' + item for item in defines] + [path],
                              capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
        os.rmdir(work)


def struct_rows(text):
    """``[[field, ...], ...]`` of the ``{ ... }`` rows of a preprocessed struct table (fields stripped, strings
    unquoted); the terminating ``{NULL, ...}`` row (``{((void *)0), ...}`` after system headers) is left out."""
    rows = []
    for body in re.findall(r'\{([^{}]*)\}', text):
        fields = [field.strip() for field in body.split(',')]
        if not fields or re.match(r'^(NULL|\(\(void \*\)0\))$', fields[0]):
            continue
        rows.append([field[1:-1] if field.startswith('"') and field.endswith('"') else field for field in fields])
    return rows


def c_string(text):
    """The value of adjacent C string literals (``"SSH-2.0-dropbear" "_" "2026.94"``) as one string."""
    return ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', text))


def string_items(text):
    """The string literals of a preprocessed ``const char *NAME[]`` table, in order."""
    return re.findall(r'"([^"]+)"', text)


def macro_values(header_text, names, defines=(), prelude=''):
    """Evaluate the object-like macros ``names`` after ``header_text`` (e.g. default_options.h + sysoptions.h):
    ``{name: value string}``; a macro that is not defined is left out."""
    probe = '\n'.join('#ifdef %s\nfleetcrypto_%d=%s\n#endif' % (name, index, name) for index, name in enumerate(names))
    out = preprocess(header_text + '\n' + probe, defines, prelude)
    values = {}
    for line in out.splitlines():
        label, sep, rest = line.partition('=')
        if sep and label.startswith('fleetcrypto_'):
            values[names[int(label[len('fleetcrypto_'):])]] = rest.strip()
    return values
