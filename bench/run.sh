#!/usr/bin/env bash
# Run the benchmarks: installs nmap and ssh-audit (the tools compared against), then prints a Markdown report.
#   bash bench/run.sh [--rounds 200] [--instances 32] [--ports 16] [--concurrency 64]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh nmap
.venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
.venv/bin/python bench/report_bench.py
exec .venv/bin/python bench/probe_bench.py "$@"
