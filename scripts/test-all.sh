#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI (.ci/run) run it:
#   bootstrap -> ansible-test sanity -> ansible-lint -> ansible-test units -> live tests against real servers.
# Any failing step fails the run; a pytest run that collects no test (exit 5) fails it too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/bootstrap.sh
PY=$ROOT/.venv/bin/python
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
export PATH=$ROOT/.venv/bin:$PATH

# ansible-test wants the collection at .../ansible_collections/<namespace>/<name>: copy exactly the files
# git knows (tracked, or new and not ignored) into a temporary tree.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
COLL=$STAGE/ansible_collections/fleetcrypto/sftp
mkdir -p "$COLL"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$COLL"

echo "=== ansible-test sanity"
(cd "$COLL" && ansible-test sanity --requirements --python "$PYVER" --color no)

echo "=== ansible-lint"
(cd "$COLL" && ANSIBLE_COLLECTIONS_PATH=$STAGE ansible-lint --offline)

echo "=== ansible-test units"
(cd "$COLL" && ansible-test units --requirements --python "$PYVER" --color no)

echo "=== live tests (real servers on 127.0.0.1, module run through ansible-playbook)"
(cd "$COLL" && "$PY" -m pytest -p no:cacheprovider -ra tests/live)
