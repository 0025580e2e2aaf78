#!/usr/bin/env bash
# Copyright (c) fleetcrypto.sftp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Compile JSch (github.com/mwiede/jsch) at a release tag with javac, without Maven (Maven Central is not
# reachable here), for the JDK that runs it, so that scripts/capture_client_profiles.py --run can capture its
# default KEXINIT:
#   * src/main/java-templates/com/jcraft/jsch/Version.java gets the release number, as the Maven build does;
#   * the classes that need the optional dependencies (Bouncy Castle: com.jcraft.jsch.bc; JNA, junixsocket,
#     jzlib, Log4j 2, SLF4J) are left out, as they are absent from a class path that holds only jsch.jar's
#     required part (JSch loads every algorithm class by name and drops those that fail: Session.checkKexes,
#     checkCiphers, checkSignatures);
#   * the multi-release overlays src/main/java9 ... java<N> up to the running JDK's feature release are
#     compiled over the base classes, as the JVM picks them from the multi-release jar.
# Usage: scripts/build_jsch_from_source.sh /path/to/jsch.git TAG OUTDIR   (classes land in OUTDIR/classes)
set -euo pipefail
repo=$1; tag=$2; out=$3
version=${tag#jsch-}
feature=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
rm -rf "$out"; mkdir -p "$out/tree" "$out/classes"
git -C "$repo" archive "$tag" src/main | tar -x -C "$out/tree"
cd "$out/tree/src/main"
sed "s/\${versionWithoutMinus}/$version/" java-templates/com/jcraft/jsch/Version.java > java/com/jcraft/jsch/Version.java
{ grep -rlE '^import (org\.bouncycastle|com\.sun\.jna|com\.jcraft\.jzlib|org\.apache\.logging|org\.slf4j|org\.newsclub)' java || true
  find java/com/jcraft/jsch/bc -name '*.java' 2>/dev/null || true; } | sort -u > "$out/excluded.txt"
find java -name '*.java' | grep -vxFf "$out/excluded.txt" > "$out/files.txt"
# A class that only compiles with an excluded one (e.g. an agent connector over junixsocket) is left out too.
for _ in 1 2 3 4 5; do
  if javac -nowarn -d "$out/classes" @"$out/files.txt" > "$out/javac.log" 2>&1; then break; fi
  grep -oE '^java/[^:]+\.java' "$out/javac.log" | sort -u | tee -a "$out/excluded.txt" > "$out/failed.txt"
  grep -vxFf "$out/failed.txt" "$out/files.txt" > "$out/files.tmp"; mv "$out/files.tmp" "$out/files.txt"
done
for overlay in $(find . -maxdepth 1 -name 'java[0-9]*' -type d | sed 's|^./java||' | sort -n); do
  [ "$overlay" -le "$feature" ] || continue
  find "java$overlay" -name '*.java' ! -name module-info.java > "$out/files$overlay.txt"
  javac -nowarn -cp "$out/classes" -d "$out/classes" @"$out/files$overlay.txt" > "$out/javac$overlay.log" 2>&1
done
echo "$out/classes (JDK $feature; left out: $(wc -l < "$out/excluded.txt") source files, listed in $out/excluded.txt)"
