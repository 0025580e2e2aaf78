#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI (.ci/run) run it:
#   bootstrap -> ansible-test sanity + ansible-lint -> ansible-test units -> live tests against real servers.
# Any failing step fails the run; a pytest run that collects no test (exit 5) fails it too.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
scripts/sanity.sh

export PATH=$PWD/.venv/bin:$PATH
PY=$PWD/.venv/bin/python
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# shellcheck source=scripts/stage-collection.sh
. scripts/stage-collection.sh
stage_collection

echo "=== ansible-test units"
(cd "$COLL" && ansible-test units --requirements --python "$PYVER" --color no)

echo "=== live tests (real servers on 127.0.0.1, module run through ansible-playbook)"
# Artifacts (differential summary, report screenshot) go to the checkout, not the staged copy.
export FLEETCRYPTO_ARTIFACTS=$PWD/tests/output
(cd "$COLL" && "$PY" -m pytest -p no:cacheprovider -ra tests/live)
