#!/usr/bin/env bash
# The README's first command: install what is needed, then run the demo lab (real servers on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python scripts/demo_lab.py "$@"
