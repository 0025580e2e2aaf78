# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the gather probe against a bare KEXINIT reader, ssh-audit and nmap's ssh2-enum-algos.

Everything runs against real sshd instances this script starts on 127.0.0.1 and stops at the end; every
loop is bounded. Run through ``bench/run.sh`` (installs nmap and ssh-audit first). Prints a Markdown
report; the figures in bench/README.md are its output.

Parts:
  single  one local sshd; N sequential probes by each tool; wall time per probe and connections per probe
          (counted from sshd's own log).
  batch   many sshd instances x ports (default 32 x 16 = 512 endpoints); the whole list probed by the
          module's batch function, by the bare reader at the same concurrency, by ansible-playbook with
          the module, by ``ssh-audit -T`` and by nmap.
  host_keys  the same endpoints with Debian's three host keys (Ed25519, ECDSA P-256, RSA 3072): probe_many and
          playbooks/audit.yml with and without gathering every host key (one key exchange per key).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import asyncio
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()  # ansible_collections.fleetcrypto.sftp from this checkout

from lab.servers import Sshd, keygen  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetcrypto.sftp.plugins.module_utils.probe import (  # noqa: E402  pylint: disable=wrong-import-position
    probe,
    probe_many,
)

BIN = os.path.dirname(sys.executable)
# Unauthenticated connections sshd accepts at once before it starts dropping (MaxStartups); the default
# 10:30:100 would make any concurrent prober lose connections, which measures nothing useful.
BENCH_SSHD = {'MaxStartups': '1000:30:2000', 'LogLevel': 'ERROR'}
# sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS in openssh-portable sshd.c).
MAX_SSHD_PORTS = 16


async def bare_read(host, port):
    """The floor: TCP connect, send a banner, read the server's line and its first packet. No parsing."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b'SSH-2.0-bare\r\n')
        while not (await reader.readline()).startswith(b'SSH-'):
            pass
        length = struct.unpack('>I', await reader.readexactly(4))[0]
        await reader.readexactly(length)
    finally:
        writer.transport.abort()


async def bare_many(targets, concurrency, timeout):
    gate = asyncio.Semaphore(concurrency)

    async def one(target):
        async with gate:
            try:
                await asyncio.wait_for(bare_read(target['host'], target['port']), timeout)
                return True
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                return False
    return await asyncio.gather(*(one(t) for t in targets))


def timed(func, *args, **kwargs):
    started = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - started, value


def run(cmd, timeout=900, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False,
                          stdin=subprocess.DEVNULL)


def collection_env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ['FLEETCRYPTO_COLLECTIONS_PATH'],
                ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1')


def ssh_audit():
    return shutil.which('ssh-audit', path=BIN + ':' + os.environ.get('PATH', ''))


def bench_single(rounds):
    """Sequential probes of one sshd by each tool; sshd's VERBOSE log counts the connections."""
    rows = []
    with Sshd(dict(BENCH_SSHD, LogLevel='VERBOSE')) as server:
        port = server.port

        def connections():
            return server.log().count('Connection from 127.0.0.1')

        def measure(name, func, count):
            before = connections()
            started = time.perf_counter()
            for dummy in range(count):
                func()
            wall = time.perf_counter() - started
            deadline = time.monotonic() + 5
            while connections() - before < count and time.monotonic() < deadline:
                time.sleep(0.05)  # sshd writes its log line asynchronously; bounded wait for the count
            rows.append((name, count, wall / count * 1000.0, (connections() - before) / float(count)))

        one_target = [{'host': '127.0.0.1', 'port': port}]
        measure('bare connect+banner+KEXINIT read', lambda: asyncio.run(bare_many(one_target, 1, 10)), rounds)
        measure('algorithms_info probe (module_utils)', lambda: probe('127.0.0.1', port, timeout=10), rounds)
        ansible = os.path.join(BIN, 'ansible')
        measure('algorithms_info via `ansible localhost -m`',
                lambda: run([ansible, 'localhost', '-m', 'fleetcrypto.sftp.algorithms_info', '-a',
                             'host=127.0.0.1 port=%d' % port], env=collection_env()), max(3, rounds // 20))
        audit = ssh_audit()
        if audit:
            measure('ssh-audit (process per server)', lambda: run([audit, '-p', str(port), '127.0.0.1']),
                    max(3, rounds // 20))
        if shutil.which('nmap'):
            measure('nmap --script +ssh2-enum-algos', lambda: run(['nmap', '-Pn', '-n', '-p', str(port), '--script',
                                                                  '+ssh2-enum-algos', '127.0.0.1']),
                    max(3, rounds // 20))
    return rows


def bench_batch(instances, ports_per_instance, concurrency, timeout):
    servers = []
    rows = []
    try:
        for dummy in range(instances):
            servers.append(Sshd(BENCH_SSHD, host_key_types=('ed25519',), extra_ports=ports_per_instance - 1).start())
        targets = [t for server in servers for t in server.targets]
        count = len(targets)
        probe_many(targets[:20], concurrency)  # warm-up: sshd's first connections load its keys and libraries

        wall, ok = timed(lambda: asyncio.run(bare_many(targets, concurrency, timeout)))
        bare = wall
        rows.append(('bare connect+banner+KEXINIT read (asyncio)', count, sum(ok), wall))

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        wall, results = timed(probe_many, targets, concurrency, timeout=timeout)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows.append(('algorithms_info probe_many (module_utils)', count, sum(1 for r in results if not r['failed']), wall))

        work = tempfile.mkdtemp(prefix='fleetcrypto-bench-')
        audit_peak = None
        try:
            playbook = os.path.join(work, 'batch.yml')
            out = os.path.join(work, 'out.json')
            with open(playbook, 'w') as handle:
                json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                    {'fleetcrypto.sftp.algorithms_info': {'targets': targets, 'concurrency': concurrency,
                                                          'timeout': timeout}, 'register': 'r'},
                    {'ansible.builtin.copy': {'content': '{{ r.summary | to_json }}', 'dest': out}}]}], handle)
            wall, proc = timed(run, [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', playbook],
                               env=collection_env())
            summary = json.load(open(out)) if proc.returncode == 0 else {'ok': 0}
            rows.append(('ansible-playbook, one algorithms_info task with targets', count, summary['ok'], wall))

            # The whole audit: inventory of one host per endpoint, probe, evaluate, 3 client predictions per
            # host, remediation for failing hosts, all five report formats.
            inventory = os.path.join(work, 'inventory.json')
            with open(inventory, 'w') as handle:
                json.dump({'all': {'children': {'sftp_servers': {
                    'hosts': {'ep%04d' % index: {'fleetcrypto_sftp_host': target['host'],
                                                 'fleetcrypto_sftp_port': target['port']}
                              for index, target in enumerate(targets)},
                    'vars': {'baseline_policy': 'intermediate',
                             'baseline_required_clients': ['openssh-9.2', 'putty-0.78', 'jsch-0.1.55']}}}}}, handle)
            reports = os.path.join(work, 'reports')
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            wall, proc = timed(run, [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, '-c', 'local',
                                     os.path.join(ROOT, 'playbooks', 'audit.yml'),
                                     '-e', 'fleetcrypto_output_dir=%s' % reports,
                                     '-e', 'fleetcrypto_concurrency=%d' % concurrency,
                                     '-e', 'fleetcrypto_timeout=%d' % int(timeout)], env=collection_env())
            audit_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            try:
                with open(os.path.join(reports, 'compliance.json')) as handle:
                    report = json.load(handle)
                answered = report['summary']['hosts'] - report['summary']['unreachable']
            except (OSError, ValueError, KeyError):
                answered = -1
            rows.append(('ansible-playbook playbooks/audit.yml (probe, evaluate, 3 clients, 5 reports)', count,
                         answered, wall))
            audit_peak = audit_rss if audit_rss > children_before else None

            audit = ssh_audit()
            if audit:
                listing = os.path.join(work, 'targets.txt')
                with open(listing, 'w') as handle:
                    handle.write(''.join('127.0.0.1:%d\n' % t['port'] for t in targets))
                wall, proc = timed(run, [audit, '-T', listing, '--threads', str(concurrency), '-t', str(int(timeout)),
                                         '-j'])
                try:
                    audited = len([r for r in json.loads(proc.stdout) if r.get('banner')])
                except ValueError:
                    audited = -1
                rows.append(('ssh-audit -T --threads %d' % concurrency, count, audited, wall))
            if shutil.which('nmap'):
                ports = ','.join(str(t['port']) for t in targets)
                wall, proc = timed(run, ['nmap', '-Pn', '-n', '-p', ports, '--script', '+ssh2-enum-algos',
                                         '127.0.0.1'])
                rows.append(('nmap --script +ssh2-enum-algos', count, proc.stdout.count('kex_algorithms:'), wall))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return rows, bare, (rss_after, rss_before, audit_peak)
    finally:
        for server in servers:
            server.stop()


def _audit_run(targets, concurrency, timeout, host_keys, work):
    """playbooks/audit.yml over one inventory host per endpoint; returns (wall s, hosts answered, host_keys checks
    that ran)."""
    inventory = os.path.join(work, 'inventory.json')
    with open(inventory, 'w') as handle:
        json.dump({'all': {'children': {'sftp_servers': {
            'hosts': {'ep%04d' % index: {'fleetcrypto_sftp_host': target['host'], 'fleetcrypto_sftp_port': target['port']}
                      for index, target in enumerate(targets)},
            'vars': {'baseline_policy': 'intermediate',
                     'baseline_required_clients': ['openssh-9.2', 'putty-0.78', 'jsch-0.1.55']}}}}}, handle)
    reports = os.path.join(work, 'reports-%s' % host_keys)
    wall, proc = timed(run, [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, '-c', 'local',
                             os.path.join(ROOT, 'playbooks', 'audit.yml'), '-e', 'fleetcrypto_output_dir=%s' % reports,
                             '-e', 'fleetcrypto_concurrency=%d' % concurrency, '-e', 'fleetcrypto_timeout=%d' % int(timeout),
                             '-e', 'fleetcrypto_host_keys=%s' % str(host_keys).lower()], env=collection_env())
    try:
        with open(os.path.join(reports, 'compliance.json')) as handle:
            report = json.load(handle)
        answered = report['summary']['hosts'] - report['summary']['unreachable']
        ran = sum(1 for host in report['hosts']
                  if ((host.get('evaluation') or {}).get('checks') or {}).get('host_keys', {}).get('status')
                  in ('passed', 'failed'))
    except (OSError, ValueError, KeyError, TypeError):
        answered, ran = -1, -1
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
    return wall, answered, ran


def bench_host_keys(instances, ports_per_instance, concurrency, timeout):
    """What gathering every host key costs: the same endpoints probed with and without ``host_keys``."""
    servers = []
    rows = []
    keys = tempfile.mkdtemp(prefix='fleetcrypto-bench-keys-')
    try:
        # One key set (Debian's three: Ed25519, ECDSA P-256, RSA 3072), copied to each instance: RSA key generation
        # for 63 instances would cost more than the benchmark.
        for key_type in ('ed25519', 'ecdsa', 'rsa'):
            keygen(os.path.join(keys, 'host_%s' % key_type), key_type)
        for dummy in range(instances):
            workdir = tempfile.mkdtemp(prefix='fleetcrypto-bench-sshd-', dir=keys)
            for name in os.listdir(keys):
                if name.startswith('host_'):
                    shutil.copy2(os.path.join(keys, name), workdir)
            servers.append(Sshd(BENCH_SSHD, host_key_types=('ed25519', 'ecdsa', 'rsa'), workdir=workdir,
                                extra_ports=ports_per_instance - 1).start())
        targets = [t for server in servers for t in server.targets]
        count = len(targets)
        probe_many(targets[:20], concurrency, host_keys=True)  # warm-up
        wall, results = timed(probe_many, targets, concurrency, timeout=timeout)
        bare = wall
        rows.append(('probe_many, offer only', count, sum(1 for r in results if not r['failed']), 0, wall))
        wall, results = timed(probe_many, targets, concurrency, timeout=timeout, host_keys=True)
        fetched = sum(len([k for k in r.get('host_keys', []) if 'fingerprint_sha256' in k]) for r in results)
        errors = sum(1 for r in results if r.get('host_keys_error'))
        rows.append(('probe_many, host_keys=true (%d host-key errors)' % errors, count,
                     sum(1 for r in results if not r['failed']), fetched, wall))
        work = tempfile.mkdtemp(prefix='fleetcrypto-bench-')
        try:
            for host_keys in (False, True):
                wall, answered, ran = _audit_run(targets, concurrency, timeout, host_keys, work)
                rows.append(('ansible-playbook playbooks/audit.yml, fleetcrypto_host_keys=%s (host_keys check ran on %d)'
                             % (str(host_keys).lower(), ran), count, answered, -1, wall))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return rows, bare
    finally:
        for server in servers:
            server.stop()
        for dummy in range(10):  # sshd's exiting children may still write their logs: bounded retries
            shutil.rmtree(keys, ignore_errors=True)
            if not os.path.exists(keys):
                break
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--rounds', type=int, default=200, help='sequential probes per tool in the single part')
    parser.add_argument('--instances', type=int, default=63, help='sshd instances in the batch part (63 x 16 = 1008)')
    parser.add_argument('--ports', type=int, default=16, help='ports per sshd instance (at most 16)')
    parser.add_argument('--concurrency', type=int, default=64)
    parser.add_argument('--timeout', type=float, default=10.0)
    parser.add_argument('--parts', default='single,batch,host_keys',
                        help='comma-separated parts to run: single, batch, host_keys (default: all)')
    args = parser.parse_args()
    parts = set(args.parts.split(','))
    if not parts or parts - {'single', 'batch', 'host_keys'}:
        parser.error('--parts takes single, batch and host_keys')
    if not 1 <= args.rounds <= 5000 or not 1 <= args.instances * args.ports <= 5000:
        parser.error('keep --rounds and --instances x --ports within 1..5000')
    if not 1 <= args.ports <= MAX_SSHD_PORTS:
        parser.error('sshd listens on at most %d ports' % MAX_SSHD_PORTS)

    print('# probe benchmark (%s, %d cores, Python %s)\n'
          % (time.strftime('%Y-%m-%d'), os.cpu_count(), sys.version.split()[0]))
    print('Load average before: %.2f %.2f %.2f\n' % os.getloadavg())
    if 'single' in parts:
        bench_single_report(args.rounds)
    if 'batch' in parts:
        bench_batch_report(args)
    if 'host_keys' in parts:
        rows, bare_wall = bench_host_keys(args.instances, args.ports, args.concurrency, args.timeout)
        print('\n## Host keys: %d endpoints (%d sshd x %d ports, Ed25519 + ECDSA P-256 + RSA 3072), concurrency %d\n'
              % (args.instances * args.ports, args.instances, args.ports, args.concurrency))
        print('| run | endpoints | answered | keys fetched | wall s | endpoints/s | ratio to offer only |')
        print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
        for name, count, ok, keys, wall in rows:
            print('| %s | %d | %d | %s | %.2f | %.0f | %.2f |' % (name, count, ok, keys if keys >= 0 else '-', wall,
                                                                  count / wall, wall / bare_wall))
    print('\nLoad average after: %.2f %.2f %.2f' % os.getloadavg())


def bench_single_report(rounds):
    single = bench_single(rounds)
    bare = single[0][2]
    print('## One server, sequential\n')
    print('| tool | runs | ms per server | ratio to bare | TCP connections per server |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for name, count, per_ms, conns in single:
        print('| %s | %d | %.2f | %.2f | %.1f |' % (name, count, per_ms, per_ms / bare, conns))


def bench_batch_report(args):
    rows, bare_wall, rss = bench_batch(args.instances, args.ports, args.concurrency, args.timeout)
    print('\n## Batch: %d endpoints (%d sshd x %d ports), concurrency %d\n'
          % (args.instances * args.ports, args.instances, args.ports, args.concurrency))
    print('| tool | endpoints | answered | wall s | endpoints/s | ratio to bare |')
    print('| --- | ---: | ---: | ---: | ---: | ---: |')
    for name, count, ok, wall in rows:
        print('| %s | %d | %d | %.2f | %.0f | %.2f |' % (name, count, ok, wall, count / wall, wall / bare_wall))
    print('\nPeak RSS of the benchmark process after probe_many: %.1f MiB (before: %.1f MiB)'
          % (rss[0] / 1024.0, rss[1] / 1024.0))
    if rss[2]:
        print('Peak RSS of the largest ansible-playbook process of the audit run: %.1f MiB' % (rss[2] / 1024.0))


if __name__ == '__main__':
    main()
