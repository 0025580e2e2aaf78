#!/usr/bin/env bash
# Install everything the demo lab and the tests need on a fresh Debian machine, idempotently:
#   * Debian packages: the real SSH servers the tests start (OpenSSH, ProFTPD mod_sftp, dropbear);
#   * a virtual environment in .venv with requirements.txt and tests/requirements.txt.
# Usage: scripts/bootstrap.sh [extra apt packages...]     (run as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(openssh-server openssh-client proftpd-core proftpd-mod-crypto dropbear-bin putty-tools curl libssh-dev
              libjsch-java default-jdk-headless filezilla python3-venv git shellcheck chromium tcpdump tshark "$@")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  # Packages must not start their daemons (sshd on port 22, proftpd on 21): the tests start their own on
  # loopback. policy-rc.d is the Debian way to say so during an install.
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  as_root apt-get update -qq
  # tshark (the HASSH cross-check of observed_clients_info) would ask whether non-root users may capture: no.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$added_policy" -eq 1 ] && as_root rm -f /usr/sbin/policy-rc.d
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -r tests/requirements.txt
# Older client releases whose default proposals the profile library records (lab/legacy/*.txt), each
# in a directory of its own that a test puts first on PYTHONPATH of a child process.
mkdir -p .venv/legacy
for pins in lab/legacy/*.txt; do
  target=.venv/legacy/$(basename "$pins" .txt)
  if [ ! -d "$target" ]; then
    rm -rf "$target.tmp"
    # pip warns that these pins conflict with the main venv's packages: they are not meant to share it.
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check --target "$target.tmp" -r "$pins" \
        >"$target.log" 2>&1; then
      cat "$target.log" >&2; exit 1
    fi
    mv "$target.tmp" "$target"
  fi
done

# Node's ssh2 (npm) for the client-profile re-capture and the differential suite (lab/clients.py kind node-ssh2):
# npm ci of lab/node's lock in .venv/node, beside the legacy clients. Its install scripts build ssh2's optional
# native binding and cpu-features, which decide its default cipher order (see the node-ssh2 profile's source).
# Node.js itself is not installed here (the machine's node/npm, when present, are used).
if command -v npm >/dev/null 2>&1; then
  mkdir -p .venv/node
  if ! cmp -s lab/node/package-lock.json .venv/node/package-lock.json || [ ! -d .venv/node/node_modules/ssh2 ]; then
    cp lab/node/package.json lab/node/package-lock.json .venv/node/
    (cd .venv/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# ansible-test bootstraps pip into its sanity-test virtual environments with a script it downloads from a
# host outside the package registries. Give it an equivalent that uses ensurepip and PyPI instead.
.venv/bin/python - <<'PY'
import os, re, shutil
import ansible_test
source = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
version = re.search(r"pip='([\d.]+)'", open(source).read()).group(1)
cache = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % version.replace('.', '_'))
os.makedirs(os.path.dirname(cache), exist_ok=True)
shutil.copy('scripts/ansible_test_get_pip.py', cache)
PY
echo "bootstrap: ready ($(.venv/bin/ansible --version | sed -n 1p))"
