#!/usr/bin/env bash
# Run the benchmarks: installs nmap and ssh-audit (the tools compared against), then prints Markdown reports
# (bench/report_bench.py: negotiate and compliance_report over 10,000 x 20; bench/probe_bench.py: probes and audit).
#   bash bench/run.sh [--rounds 200] [--instances 63] [--ports 16] [--concurrency 64]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh nmap
.venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
.venv/bin/python bench/report_bench.py
exec .venv/bin/python bench/probe_bench.py "$@"
