#!/usr/bin/env bash
# Sourced by the test scripts. ansible-test wants the collection at .../ansible_collections/<ns>/<name>:
# stage_collection copies exactly the files git knows (tracked, or new and not ignored) into a temporary tree
# and sets STAGE (the collections path) and COLL (the collection root); the tree is removed on exit.
stage_collection() {
  STAGE=$(mktemp -d)
  trap 'rm -rf "$STAGE"' EXIT
  COLL=$STAGE/ansible_collections/fleetcrypto/sftp
  mkdir -p "$COLL"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$COLL"
}
