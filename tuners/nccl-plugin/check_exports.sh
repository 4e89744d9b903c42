#!/usr/bin/env bash
# What a training process loads: libnccl-tuner-cclbench.so must export exactly the tuner ABI
# symbols and cclbench's control symbol, and need no library but the C library (no libstdc++,
# no libgcc_s of its own choosing in a PyTorch process).
#   check_exports.sh PLUGIN.so [CMAKE BUILD_DIR]: with a build folder, the plugin checked is the
#   one `cmake --install BUILD_DIR` puts into a fresh prefix's lib/ (the built one must match it).
set -euo pipefail
so=${1:?usage: check_exports.sh PLUGIN.so [CMAKE BUILD_DIR]}
if [ $# -ge 3 ]; then
  prefix=$(mktemp -d)
  trap 'rm -rf "$prefix"' EXIT
  "$2" --install "$3" --prefix "$prefix" >/dev/null
  installed=$(find "$prefix" -name libnccl-tuner-cclbench.so)
  [ -n "$installed" ] || { echo "FAIL: cmake --install put no libnccl-tuner-cclbench.so under $prefix" >&2; exit 1; }
  [ -x "$prefix/bin/cclbench" ] || { echo "FAIL: cmake --install put no bin/cclbench" >&2; exit 1; }
  cmp -s "$so" "$installed" || { echo "FAIL: the installed plugin differs from the built one" >&2; exit 1; }
  so=$installed
fi
want="cclbenchTunerForce ncclTunerPlugin_v2 ncclTunerPlugin_v3 ncclTunerPlugin_v4 ncclTunerPlugin_v5"
got=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_' | sort | tr '\n' ' ' | sed 's/ $//')
# Linker-defined markers (_init, _fini, __bss_start, _edata, _end) are not ours.
if [ "$got" != "$want" ]; then
  echo "FAIL: exported symbols are '$got', expected '$want'" >&2
  exit 1
fi
needed=$(readelf -d "$so" | awk '/\(NEEDED\)/{gsub(/[\[\]]/, "", $5); print $5}' | sort | tr '\n' ' ' | sed 's/ $//')
for lib in $needed; do
  case $lib in
    libc.so.*) ;;
    *) echo "FAIL: needs $lib (only the C library is allowed): NEEDED = $needed" >&2; exit 1 ;;
  esac
done
[ -n "$needed" ] || { echo "FAIL: readelf found no NEEDED entry at all" >&2; exit 1; }
echo "exports: $got; needs: $needed"
