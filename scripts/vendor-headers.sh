#!/usr/bin/env bash
# Copies the header-only dependencies (CLI11, nlohmann-json, toml++) from this machine's Debian packages
# into third_party/include (git-ignored), for machines without Debian -dev packages (the lent
# GPU machines): the device tool carries that folder with the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in /usr/include/CLI /usr/include/nlohmann /usr/include/toml++; do
  [ -d "$dir" ] || { echo "missing $dir: run scripts/setup.sh first" >&2; exit 1; }
done
mkdir -p third_party/include
rm -rf third_party/include/CLI third_party/include/nlohmann third_party/include/toml++
cp -r /usr/include/CLI /usr/include/nlohmann /usr/include/toml++ third_party/include/
echo "third_party/include: $(du -sh third_party/include | cut -f1)"
