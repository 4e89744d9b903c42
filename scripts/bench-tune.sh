#!/usr/bin/env bash
# Issue 7's tuning figures on this host: a full tune of the default collectives (allreduce
# allgather reducescatter, float sum, out-of-place, 8 B to 256 MiB, race) at RANKS ranks, its
# wall time, then fresh launches of the same sweep under the emitted rules against the default,
# interleaved (default, tuned, ... LAUNCHES pairs), and per collective the geometric mean over
# every size of default / tuned (each side's batch times pooled over its launches).
#   scripts/bench-tune.sh [RANKS] [LAUNCHES]     (default 2 ranks, 3 pairs)
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${1:-2}
PAIRS=${2:-3}
BIN=$PWD/build/cclbench
[ -x "$BIN" ] || scripts/build.sh
OUT=$(mktemp -d /tmp/cclbench-bench-tune.XXXXXX)
start=$(date +%s.%N)
rc=0
"$BIN" tune --np "$RANKS" -b 8 -e 256M --out "$OUT/tune" --db "$OUT/tune.db" >"$OUT/tune.log" 2>&1 || rc=$?
end=$(date +%s.%N)
cat "$OUT/tune.log"
[ $rc -eq 0 ] || { echo "bench-tune: the tune failed (exit $rc); everything in $OUT" >&2; exit $rc; }
wall=$(python3 -c "print(f'{$end - $start:.0f}')")
rules=$(python3 -c "import json; print(json.load(open('$OUT/tune/tune.json'))['files'].get('openmpi_rules', ''))")
echo "host: $(hostname) cores: $(nproc) ranks: $RANKS; tune wall time: $wall s; rules file: ${rules:-none}"
if [ -z "$rules" ]; then echo "no rule held up: tuned = default at every size (geomean 1.000)"; exit 0; fi
sweep=(run allreduce allgather reducescatter -b 8 -e 256M --place out --np "$RANKS" --no-db --no-progress)
for i in $(seq "$PAIRS"); do
  "$BIN" "${sweep[@]}" --jsonl "$OUT/default-$i.jsonl" >/dev/null
  OMPI_MCA_coll_tuned_use_dynamic_rules=1 OMPI_MCA_coll_tuned_dynamic_rules_filename="$rules" \
    "$BIN" "${sweep[@]}" --jsonl "$OUT/tuned-$i.jsonl" >/dev/null
done
python3 - "$OUT" "$PAIRS" <<'PY'
import json, math, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def pooled(side):
    samples = {}
    for i in range(1, pairs + 1):
        for line in open(f"{out}/{side}-{i}.jsonl"):
            r = json.loads(line)
            if r.get("type") == "case":
                samples.setdefault((r["collective"], r["size_bytes"]), []).extend(r["samples_us"])
    return {k: statistics.median(v) for k, v in samples.items()}
d, t = pooled("default"), pooled("tuned")
tune = json.load(open(f"{out}/tune/tune.json"))
for c in tune["collectives"]:
    name = c["collective"]
    ratios = [d[k] / t[k] for k in d if k[0] == name and k in t]
    ruled = {s["bytes"] for r in c["rules"] for s in r["sizes"]}
    at_rules = [d[k] / t[k] for k in d if k[0] == name and k[1] in ruled and k in t]
    gm = lambda v: math.exp(sum(map(math.log, v)) / len(v)) if v else float("nan")
    print(f"{name:<14} default/tuned geomean over {len(ratios)} sizes: {gm(ratios):.3f}; "
          f"at the {len(at_rules)} rule sizes: {gm(at_rules):.3f}; "
          f"min {min(ratios):.2f} max {max(ratios):.2f}")
PY
echo "everything in $OUT"
