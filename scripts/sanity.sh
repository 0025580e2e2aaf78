#!/usr/bin/env bash
# The static checks (ansible-test sanity + ansible-lint) on the current working tree. scripts/test-all.sh
# runs this too; alone it needs a first run of scripts/bootstrap.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
PYVER=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# shellcheck source=scripts/stage-collection.sh
. scripts/stage-collection.sh
stage_collection

echo "=== ansible-test sanity"
(cd "$COLL" && ansible-test sanity --requirements --python "$PYVER" --color no)
echo "=== ansible-lint"
(cd "$COLL" && ANSIBLE_COLLECTIONS_PATH=$STAGE ansible-lint --offline)
