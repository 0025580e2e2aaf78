# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of negotiate and compliance_report over a large synthetic fleet (no network).

Hosts cycle through the built-in client profiles used as server offers (varied lists; every host is
normalized separately, as in a real report); clients are 20 built-in profiles. Prints a Markdown table: wall
time and peak Python memory (tracemalloc) for the predictions alone, for the report model (also with every host's
upgrade impact) and for its five renderings.
  .venv/bin/python bench/report_bench.py [--hosts 10000] [--clients 20] [--upgrade-to openssh-10.0]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.catalog import NAME_LIST_KEYS  # noqa: E402
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.negotiation import negotiate  # noqa: E402
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.profiles import load_profile, profile_names  # noqa: E402
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.predict.proposal import normalize_proposal  # noqa: E402
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.model import build_report  # noqa: E402
from ansible_collections.fleetcrypto.sftp.plugins.plugin_utils.report.writers import FORMATS, render  # noqa: E402

SERVER_BANNERS = ['SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-OpenSSH_7.4', 'SSH-2.0-mod_sftp', 'SSH-2.0-dropbear_2022.83']


def fleet(count):
    offers = [load_profile(name) for name in profile_names()]
    hosts = {}
    for index in range(count):
        profile = offers[index % len(offers)]
        hosts['host%05d' % index] = {
            'failed': False, 'address': '10.%d.%d.%d' % (index >> 16 & 255, index >> 8 & 255, index & 255),
            'port': 22, 'banner': SERVER_BANNERS[index % len(SERVER_BANNERS)],
            'offer': {key: list(profile.get(key) or []) for key in NAME_LIST_KEYS}}
    return hosts


def measure(func):
    """Wall time of a plain run, then peak memory of a second run under tracemalloc (which slows Python down
    several times, so it never shares a run with the timing)."""
    started = time.perf_counter()
    value = func()
    wall = time.perf_counter() - started
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return value, wall, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=10000)
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--upgrade-to', default='openssh-10.0', help='server profile for the upgrade-impact row')
    args = parser.parse_args()
    if not 1 <= args.hosts <= 100000 or not 1 <= args.clients <= len(profile_names()):
        parser.error('--hosts 1..100000, --clients 1..%d' % len(profile_names()))
    hosts = fleet(args.hosts)
    clients = profile_names()[:args.clients]
    print('# report benchmark (%s, %d cores, Python %s): %d hosts x %d clients\n'
          % (time.strftime('%Y-%m-%d'), os.cpu_count(), sys.version.split()[0], args.hosts, len(clients)))

    def predictions_only():
        normalized = [normalize_proposal(load_profile(name)) for name in clients]
        count = 0
        for result in hosts.values():
            server = normalize_proposal(result)
            for client in normalized:
                negotiate(server, client)
                count += 1
        return count

    count, wall, peak = measure(predictions_only)
    rows = [('negotiate, every host x client (normalized once each)', count, wall, peak)]
    report, wall, peak = measure(lambda: build_report(hosts, 'intermediate', clients, remediation=False))
    rows.append(('compliance_report model, without remediation', report['summary']['predictions'], wall, peak))
    # fleetcrypto_upgrade_to: every host's offer after the move (its current release found from its banner among
    # the server profiles) and every client predicted again against it.
    report, wall, peak = measure(lambda: build_report(hosts, 'intermediate', clients, remediation=False,
                                                      upgrade_to=args.upgrade_to))
    rows.append(('compliance_report model, without remediation, upgrade_to %s' % args.upgrade_to,
                 report['summary']['predictions'], wall, peak))
    report, wall, peak = measure(lambda: build_report(hosts, 'intermediate', clients))
    rows.append(('compliance_report model, with remediation of failing hosts', report['summary']['predictions'],
                 wall, peak))
    for fmt in FORMATS:
        text, wall, peak = measure(lambda fmt=fmt: render(report, fmt))
        rows.append(('render %s (%.1f MiB of text)' % (fmt, len(text) / 1048576.0), report['summary']['predictions'],
                     wall, peak))
    print('| step | predictions | wall s | s per 10,000 predictions | peak MiB (tracemalloc) |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for name, count, wall, peak in rows:
        print('| %s | %d | %.2f | %.3f | %.1f |' % (name, count, wall, wall / count * 10000, peak / 1048576.0))


if __name__ == '__main__':
    main()
