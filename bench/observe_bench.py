# -*- coding: utf-8 -*-
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of fleetcrypto.sftp.observed_clients_info's core (plugins/module_utils/observe.py).

    .venv/bin/python bench/observe_bench.py [--connections 100000] [--burst 1000] [--concurrency 8]

Parts (every server is on 127.0.0.1, started here and stopped at the end; every loop is bounded):

  pcap   Real handshakes are recorded first: each installed client (lab/clients.py) connects once through the
         lab's recording relay to a real sshd, and its banner + KEXINIT bytes (and the server's) are kept. A pcap
         of --connections TCP connections is then written from them (SYN, SYN-ACK, ACK, the server's hello, the
         client's identification line and KEXINIT in their own segments, FIN; 8 connections interleaved at a time;
         addresses, ephemeral ports, server ports 22 and 2222, IPv4/IPv6 and sequence numbers varied) and read by observe_pcap in a fresh process:
         connections per second, peak memory by tracemalloc (a second run) and by ru_maxrss.
  live   A burst of --burst real paramiko handshakes (full key exchange, --concurrency at a time) against a
         loopback sshd, first without a capture, then while observe_live captures on lo with tcpdump and with
         the raw socket (each in its own process, stopping at --burst connections). It checks that no
         connection was missed and reports the CPU seconds of the capture process from the moment it captures
         (getrusage; its start-up is left out) and of its tcpdump child, beside those of sshd (/proc/<pid>/stat,
         its reaped per-connection children included).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lab.collection import importable  # noqa: E402  pylint: disable=wrong-import-position

importable()

from lab.clients import DEFAULT_CLIENTS, available_default_clients  # noqa: E402  pylint: disable=wrong-import-position
from lab.observe_helpers import (  # noqa: E402  pylint: disable=wrong-import-position
    connection_packets,
    ethernet,
    handshake_burst,
    hello_bytes,
    pcap_header,
    pcap_record,
)
from lab.relay import Relay  # noqa: E402  pylint: disable=wrong-import-position
from lab.servers import Sshd  # noqa: E402  pylint: disable=wrong-import-position

BENCH_SSHD = {'MaxStartups': '1000:30:2000', 'LogLevel': 'ERROR'}
# Clients whose start-up takes seconds each (JVM) are recorded once like the others; none is left out.
RECORD_TIMEOUT = 60


def record_handshakes(workdir):
    """``[(kind, client hello bytes, server hello bytes)]`` from one real connection of each installed client."""
    handshakes = []
    with Sshd(BENCH_SSHD) as sshd, Relay(sshd.port) as relay:
        for kind in available_default_clients():
            before = len(relay.recordings)
            DEFAULT_CLIENTS[kind][0](relay.port, workdir)
            for recording in relay.recordings[before:]:
                recording.done.wait(RECORD_TIMEOUT)
                client = hello_bytes(bytes(recording.from_client))
                server = hello_bytes(bytes(recording.from_server))
                if client and server:
                    handshakes.append((kind, client, server))
    return handshakes


def write_pcap(path, handshakes, connections, seed=11):
    """A pcap of ``connections`` connections built from the recorded handshakes."""
    rng = random.Random(seed)
    ts = 1764079200.0
    written = 0
    with open(path, 'wb') as handle:
        handle.write(pcap_header(1))
        index = 0
        while index < connections:
            group = []
            for dummy in range(min(8, connections - index)):
                kind, client, server = handshakes[index % len(handshakes)]
                if index % 10 == 9:
                    src, dst = '2001:db8:%x::%x' % (index // 65536, index % 65536 + 1), '2001:db8::1'
                else:
                    src = '10.%d.%d.%d' % (index // 65536 % 256, index // 256 % 256, index % 256)
                    dst = '10.255.0.1'
                dport = 22 if index % 3 else 2222
                group.append(iter(connection_packets(src, 32768 + index % 28000, dst, dport, rng.getrandbits(32),
                                                     client, server)))
                index += 1
            while group:
                for packets in list(group):
                    packet = next(packets, None)
                    if packet is None:
                        group.remove(packets)
                        continue
                    ts += 0.00001
                    handle.write(pcap_record(ts, ethernet(packet)))
                    written += 1
    return written


def read_pcap_in_child(path, trace):
    """Run observe_pcap in a fresh interpreter (so ru_maxrss is its own); return its measurements."""
    code = r'''
import json, resource, sys, time, tracemalloc
sys.path.insert(0, %(root)r)
from lab.collection import importable
importable()
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import observe_pcap
trace = %(trace)r
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if trace:
    tracemalloc.start()
started = time.perf_counter()
result = observe_pcap(%(path)r, [22, 2222])
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({'seconds': seconds, 'recorded': result['clients_recorded'], 'seen': result['connections_seen'],
                  'distinct': result['distinct_clients'], 'packets': result['packets'],
                  'skipped': result['skipped']['total'], 'tracemalloc_peak': peak, 'maxrss_before_kib': before,
                  'maxrss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
''' % {'root': ROOT, 'path': path, 'trace': trace}
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=1800, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


CAPTURE_CHILD = r'''
import json, resource, sys
sys.path.insert(0, %(root)r)
from lab.collection import importable
importable()
from ansible_collections.fleetcrypto.sftp.plugins.module_utils.observe import observe_live
started = []

def ready():
    # CPU from here on: the interpreter's start-up and imports are not the capture's cost.
    started.append(resource.getrusage(resource.RUSAGE_SELF))
    print('READY', flush=True)

result = observe_live([%(port)d], 'lo', %(duration)d, max_connections=%(count)d, method=%(method)r, on_ready=ready)
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({'recorded': result['clients_recorded'], 'seen': result['connections_seen'],
                  'skipped': result['skipped'], 'truncated': result['truncated'], 'packets': result['packets'],
                  'duration': result['duration'], 'distinct': result['distinct_clients'],
                  'cpu_self': usage[0].ru_utime + usage[0].ru_stime - started[0].ru_utime - started[0].ru_stime,
                  'cpu_children': usage[1].ru_utime + usage[1].ru_stime, 'maxrss_kib': usage[0].ru_maxrss}), flush=True)
'''


def sshd_cpu(pid):
    """CPU seconds of sshd and its reaped children (utime + stime + cutime + cstime of /proc/<pid>/stat)."""
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf('SC_CLK_TCK')


def burst(port, count, concurrency, sshd_pid, method=None):
    """One burst of real handshakes, optionally under a live capture in a child process."""
    child = None
    reader = None
    lines = []
    if method:
        child = subprocess.Popen([sys.executable, '-c', CAPTURE_CHILD % {
            'root': ROOT, 'port': port, 'duration': 900, 'count': count, 'method': method}],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        ready = threading.Event()

        def read():
            for line in child.stdout:
                lines.append(line)
                if line.startswith('READY'):
                    ready.set()
            ready.set()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if not ready.wait(60) or child.poll() is not None:
            child.kill()
            raise RuntimeError('the %s capture did not start: %s' % (method, child.stderr.read()[-2000:]))
    cpu_before = sshd_cpu(sshd_pid)
    try:
        completed, wall = handshake_burst(port, count, concurrency, 'paramiko', timeout=900)
    finally:
        if child is not None:
            try:
                child.wait(60)  # it stops by itself at `count` connections
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)
            reader.join(10)
    row = {'method': method or 'no capture', 'completed': completed, 'wall': wall,
           'sshd_cpu': sshd_cpu(sshd_pid) - cpu_before}
    if child is not None:
        reports = [line for line in lines if line.startswith('{')]
        if not reports:
            raise RuntimeError('the %s capture reported nothing: %s' % (method, child.stderr.read()[-2000:]))
        row.update(json.loads(reports[-1]))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=100000)
    parser.add_argument('--burst', type=int, default=1000)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--skip-live', action='store_true')
    args = parser.parse_args()
    if not 1 <= args.connections <= 2000000 or not 1 <= args.burst <= 10000 or not 1 <= args.concurrency <= 64:
        parser.error('--connections 1..2000000, --burst 1..10000, --concurrency 1..64')
    workdir = tempfile.mkdtemp(prefix='fleetcrypto-observe-bench-')
    try:
        handshakes = record_handshakes(workdir)
        kinds = sorted({kind for kind, _client, _server in handshakes})
        path = os.path.join(workdir, 'connections.pcap')
        started = time.perf_counter()
        packets = write_pcap(path, handshakes, args.connections)
        built = time.perf_counter() - started
        plain = read_pcap_in_child(path, trace=False)
        traced = read_pcap_in_child(path, trace=True)
        size = os.path.getsize(path)
        print('## Reading a pcap of %d SSH connections\n' % args.connections)
        print('Handshakes recorded from %d real clients (%s); pcap of %d packets, %.1f MiB, built in %.1f s.\n'
              % (len(kinds), ', '.join(kinds), packets, size / 1048576.0, built))
        print('| connections in file | recorded | distinct clients | skipped | read s | connections/s | MiB/s '
              '| peak MiB (tracemalloc) | max RSS MiB (before read) |')
        print('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
        print('| %d | %d | %d | %d | %.2f | %.0f | %.1f | %.2f | %.1f (%.1f) |' % (
            args.connections, plain['recorded'], plain['distinct'], plain['skipped'], plain['seconds'],
            plain['recorded'] / plain['seconds'], size / 1048576.0 / plain['seconds'],
            traced['tracemalloc_peak'] / 1048576.0, plain['maxrss_kib'] / 1024.0, plain['maxrss_before_kib'] / 1024.0))
        os.unlink(path)
        if args.skip_live:
            return
        print('\n## Live capture during a burst of %d real handshakes (paramiko, %d at a time, loopback sshd)\n'
              % (args.burst, args.concurrency))
        rows = []
        with Sshd(BENCH_SSHD) as sshd:
            for method in (None, 'tcpdump', 'raw_socket'):
                rows.append(burst(sshd.port, args.burst, args.concurrency, sshd.process.pid, method))
        print('| capture | handshakes completed | observed (recorded) | skipped | packets captured | burst wall s '
              '| sshd CPU s | capture CPU s (python + tcpdump) | capture CPU ms per connection | capture CPU / sshd CPU |')
        print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
        for row in rows:
            if 'recorded' not in row:
                print('| %s | %d | - | - | - | %.2f | %.2f | - | - | - |' % (
                    row['method'], row['completed'], row['wall'], row['sshd_cpu']))
                continue
            cpu = row['cpu_self'] + row['cpu_children']
            print('| %s | %d | %d | %d | %d | %.2f | %.2f | %.2f (%.2f + %.2f) | %.2f | %.1f%% |' % (
                row['method'], row['completed'], row['recorded'], row['skipped']['total'], row['packets'], row['wall'],
                row['sshd_cpu'], cpu, row['cpu_self'], row['cpu_children'], cpu * 1000.0 / max(1, row['recorded']),
                100.0 * cpu / row['sshd_cpu'] if row['sshd_cpu'] else 0.0))
        missed = [row for row in rows[1:] if row['recorded'] != args.burst]
        print('\nNone missed: %s' % ('yes' if not missed else 'NO (%s)' % ', '.join(
            '%s recorded %d' % (row['method'], row['recorded']) for row in missed)))
        print('Peak RSS of the capture process: %s' % ', '.join(
            '%s %.1f MiB' % (row['method'], row['maxrss_kib'] / 1024.0) for row in rows[1:]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
