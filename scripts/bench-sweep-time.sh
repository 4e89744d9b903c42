#!/usr/bin/env bash
# Wall time of the default 8 B .. 256 MiB all-reduce sweep at the default precision (adaptive
# batches until the median's 95% CI is within 1%, or 0.25 s of batches per case), against the same sweep with
# fixed iterations (100 per size, once, the way OSU runs it); both by cclbench, same host, one
# run. Target: the adaptive sweep takes a quarter of the fixed one or less.
#   scripts/bench-sweep-time.sh [RANKS]     (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${1:-2}
BIN=./build/cclbench
[ -x $BIN ] || scripts/build.sh
common=(run allreduce -b 8 -e 256M -f 2 --np "$RANKS" --no-progress --no-jsonl)
seconds() { local s e; s=$(date +%s.%N); "$@" >/tmp/cclbench-sweep.$$.log 2>&1; e=$(date +%s.%N); python3 -c "print($e - $s)"; }
adaptive=$(seconds $BIN "${common[@]}")
tail -3 /tmp/cclbench-sweep.$$.log | head -1
fixed=$(seconds $BIN "${common[@]}" -n 100 --samples 1)
tail -3 /tmp/cclbench-sweep.$$.log | head -1
rm -f /tmp/cclbench-sweep.$$.log
echo "host: $(hostname) cores: $(nproc) ranks: $RANKS"
printf "adaptive (default precision): %.1f s\nfixed (-n 100 --samples 1):   %.1f s\nratio: %.3f (target <= 0.25)\n" \
  "$adaptive" "$fixed" "$(python3 -c "print($adaptive / $fixed)")"
