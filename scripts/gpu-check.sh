#!/usr/bin/env bash
# The one prepared GPU check (see docs/GPU.md): on a GPU machine with CUDA, CMake and NCCL but no
# MPI and no Debian -dev packages, build the NCCL backend (sm_90 only, MPI off), then run every
# collective, type and op with data checks on all visible GPUs, CUDA-graph mode against plain
# launches, per-iteration timing, and print a short summary table last.
#
# Needs third_party/include (scripts/vendor-headers.sh on a development machine; the device tool
# carries it). Logs and records go to a work folder; $OUT (default ./gpu-out) gets two files:
# summary.txt (the console) and gpu-check-out.tgz (everything), since the device tool brings
# back only a few files.
set -uo pipefail
cd "$(dirname "$0")/.."
FINAL=${OUT:-$PWD/gpu-out}
mkdir -p "$FINAL"
OUT=$(mktemp -d /tmp/gpu-check.XXXXXX)
exec > >(tee "$FINAL/summary.txt") 2>&1
JOBS=$(nproc)
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }

step "machine"
nvidia-smi -L || true
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
nvcc --version | tail -2
cmake --version | head -1

if [ -z "${NCCL_HOME:-}" ]; then
  NCCL_HOME=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null \
    || python3 -c 'import nvidia.nccl; print(list(nvidia.nccl.__path__)[0])' 2>/dev/null || true)
fi
[ -n "${NCCL_HOME:-}" ] || NCCL_HOME=/usr/local/cuda
export NCCL_HOME
echo "NCCL_HOME=$NCCL_HOME"; ls "$NCCL_HOME"/lib* 2>/dev/null | head
export LD_LIBRARY_PATH="$NCCL_HOME/lib:${LD_LIBRARY_PATH:-}"
[ -f third_party/include/CLI/CLI.hpp ] || { echo "third_party/include is missing (scripts/vendor-headers.sh)"; exit 1; }

step "hardware description (fixtures for the topology fingerprint)"
{ nvidia-smi -q; } >"$OUT/nvidia-smi-q.txt" 2>&1 || true
{ nvidia-smi topo -m; } >"$OUT/nvidia-smi-topo.txt" 2>&1 || true
{ nvidia-smi nvlink -s; } >"$OUT/nvidia-smi-nvlink.txt" 2>&1 || true
{ lscpu; } >"$OUT/lscpu.txt" 2>&1 || true
{ for d in /sys/class/infiniband/* /sys/class/net/*; do echo "== $d"; ls "$d" 2>/dev/null | head -40; \
    for f in speed operstate type address device/vendor device/device ports/1/link_layer ports/1/rate ports/1/state; do \
      [ -r "$d/$f" ] && echo "$f: $(cat "$d/$f" 2>/dev/null)"; done; done; } >"$OUT/sysfs-nics.txt" 2>&1 || true
head -3 "$OUT/nvidia-smi-topo.txt"

step "build (MPI off, NCCL on, sm_90)"
BUILD=build-gpu
cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCLBENCH_WITH_MPI=OFF \
  -DCCLBENCH_WITH_NCCL=ON -DCCLBENCH_BUILD_TESTS=OFF -DCCLBENCH_BUILD_BENCH=OFF \
  -DCCLBENCH_CUDA_ARCHITECTURES=90 -DNCCL_HOME="$NCCL_HOME" >"$OUT/configure.log" 2>&1 \
  || { tail -30 "$OUT/configure.log"; exit 1; }
grep "cclbench:" "$OUT/configure.log"
ninja -C $BUILD -j "$JOBS" >"$OUT/build.log" 2>&1 || { grep -E "error" "$OUT/build.log" | head -30; exit 1; }
CCL=$BUILD/cclbench
$CCL version
GPUS=$(nvidia-smi -L 2>/dev/null | wc -l); [ "$GPUS" -ge 1 ] || GPUS=1
echo "GPUs visible: $GPUS"

status=0
expect() {  # expect CODE NAME ARGS...: one cclbench run that must exit CODE; console to
            # $OUT/NAME.log, records to $OUT/NAME.jsonl
  local want=$1 name=$2; shift 2
  step "$name: cclbench run $* (expect exit $want)"
  timeout 240 $CCL run --backend nccl --np "$GPUS" --no-progress --jsonl "$OUT/$name.jsonl" "$@" \
    >"$OUT/$name.log" 2>&1
  local rc=$?
  grep -E "^# (Collective|Out of bounds|Avg bus|Bus bandwidth|Result|note)|error|^ " "$OUT/$name.log" \
    | grep -v "^  *[0-9]" | head -40
  echo "exit code: $rc (expected $want)"
  [ $rc -eq "$want" ] || status=1
}
run() { expect 0 "$@"; }

expect 5 fp8avg allreduce -d f8e4m3 -o avg -b 1K -e 1K -n 1 --samples 1   # NCCL rejects it
expect 9 fabric-ib allreduce -b 1K -e 1K -n 1 --samples 1 --fabric ib   # no IB device: sockets
run fabric-socket allreduce sendrecv -b 1K -e 1M -f 32 -n 5 --samples 3 --fabric socket
grep -h '"transport"' "$OUT"/fabric-socket.jsonl | head -c 600; echo
run checks all -d all -o all -b 1K -e 4M -f 4 -n 5 --samples 3 -T 60
run mulsum allreduce reducescatter reduce -d half,float,double,bfloat16,int32 -o mulsum -b 1K -e 1M -f 8 -n 5 --samples 3
run fp8 allreduce allgather reducescatter reduce -d f8e4m3,f8e5m2 -o sum,prod,min,max -b 1K -e 1M -f 8 -n 5 --samples 3
if [ "$GPUS" -ge 2 ]; then
  run p2p latency bw bibw -b 1 -e 64M -f 8 --samples 5
fi
step "NCCL INFO log of one run (a fixture for transport/topology parsing)"
NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,NET,GRAPH,TUNING NCCL_DEBUG_FILE="$OUT/nccl-info.%h.%p.log" \
  timeout 120 $CCL run allreduce sendrecv --backend nccl --np "$GPUS" --no-progress --no-jsonl \
  -b 1K -e 16M -f 16 -n 5 --samples 3 >"$OUT/ncclinfo-run.log" 2>&1; echo "exit code: $?"
ls -la "$OUT"/nccl-info.* 2>/dev/null | head

step "topology (NVML through dlopen)"
$CCL topo >"$OUT/topo.txt" 2>&1; echo "exit code: $?"; head -30 "$OUT/topo.txt"
$CCL topo --json >"$OUT/topo.json" 2>&1; echo "topo --json exit code: $?"
$CCL inspect-log "$OUT"/nccl-info.*.log >"$OUT/inspect-log.txt" 2>&1; echo "inspect-log exit code: $?"
head -20 "$OUT/inspect-log.txt"

run registered allreduce allgather reducescatter -b 1K -e 64M -f 8 -R 1 -n 5 --samples 3
# Symmetric windows failed on one H200 with one rank (NCCL 2.28.9, 2026-11-26): exit 3 there.
if [ "$GPUS" -ge 2 ]; then run symmetric allreduce allgather -b 1K -e 64M -f 8 -R 2 -n 5 --samples 3
else expect 3 symmetric allreduce allgather -b 1K -e 64M -f 8 -R 2 -n 5 --samples 3; fi
run memcap allreduce -b 1G -e 1T -f 4 --place out -n 1 --samples 1   # capped from free memory
grep -h "note:" "$OUT/memcap.log"

run plain allreduce -b 8 -e 64K -f 2 --place out -n 200 --samples 10 -w 20
run graph allreduce -b 8 -e 64K -f 2 --place out -n 200 --samples 10 -w 20 --cuda-graph
run periter allreduce -b 64K -e 16M -f 16 -I 1 --place out
run bandwidth allreduce allgather broadcast -b 64M -e 1G -f 4 --place out

step "NCCL tuner plugin: real NCCL loads libnccl-tuner-cclbench.so (issue 8)"
PLUGIN=$PWD/$BUILD/tuners/nccl-plugin/libnccl-tuner-cclbench.so
printf '%s\n' "# gpu-check: ring/simple for every all-reduce, 2 channels from 1 MiB" \
  "allreduce,0,1048575,ring,simple,-1,-1,-1" "allreduce,1048576,-1,ring,simple,2,-1,-1" \
  >"$OUT/tuner.conf"
NCCL_TUNER_PLUGIN=$PLUGIN CCLBENCH_TUNER_CONFIG=$OUT/tuner.conf NCCL_DEBUG=INFO \
  NCCL_DEBUG_SUBSYS=INIT,TUNING NCCL_DEBUG_FILE="$OUT/tuner-nccl.%h.%p.log" \
  timeout 120 $CCL run allreduce --backend nccl --np "$GPUS" --no-progress --jsonl "$OUT/tuner.jsonl" \
  -b 1K -e 16M -f 16 -n 5 --samples 3 >"$OUT/tuner.log" 2>&1
rc=$?; echo "exit code: $rc (expected 0: data checks passed with the plugin loaded)"; [ $rc -eq 0 ] || status=1
grep -h -E "tuner plugin|TUNER/Plugin|cclbench tuner" "$OUT"/tuner-nccl.*.log | sort | uniq -c | head
grep -q "Successfully loaded external tuner plugin" "$OUT"/tuner-nccl.*.log || { echo "plugin NOT loaded"; status=1; }
# With one rank NCCL never calls getCollInfo (a local copy): decisions show only with 2+ GPUs.
[ "$GPUS" -ge 2 ] && grep -h -E "AllReduce.*(Algo|algorithm)" "$OUT"/tuner-nccl.*.log | head -5

step "forcing a candidate through the plugin NCCL loaded (run --nccl-force, issue 8)"
NCCL_TUNER_PLUGIN=$PLUGIN timeout 120 $CCL run allreduce allgather --backend nccl --np "$GPUS" --no-progress \
  --nccl-force ring/simple/2 --jsonl "$OUT/force.jsonl" -b 1K -e 16M -f 16 -n 5 --samples 3 >"$OUT/force.log" 2>&1
rc=$?; echo "exit code: $rc (expected 0)"; [ $rc -eq 0 ] || { status=1; tail -5 "$OUT/force.log"; }
python3 - "$OUT/force.jsonl" <<'PY'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1]) if '"type":"case"' in l]
print("cases:", len(cases), "candidate:", cases[0].get("candidate") if cases else None,
      "honoured:", sorted({str(c.get("candidate_honoured")) for c in cases}), "wrong:", sum(c["wrong"] for c in cases))
PY
timeout 60 $CCL run allreduce --backend nccl --np "$GPUS" --no-progress --no-jsonl --nccl-force ring/simple \
  -b 1K -e 1K -n 1 --samples 1 >"$OUT/force-noplugin.log" 2>&1
rc=$?; echo "without NCCL_TUNER_PLUGIN: exit $rc (expected 5)"; grep error "$OUT/force-noplugin.log"; [ $rc -eq 5 ] || status=1
NCCL_TUNER_PLUGIN=/nonexistent/libnccl-tuner-cclbench.so timeout 60 $CCL run allreduce --backend nccl --np "$GPUS" \
  --no-progress --no-jsonl --nccl-force ring/simple -b 1K -e 1K -n 1 --samples 1 >"$OUT/force-missing.log" 2>&1
rc=$?; echo "plugin path NCCL cannot load: exit $rc (expected 5)"; grep error "$OUT/force-missing.log"; [ $rc -eq 5 ] || status=1

step "tune --backend nccl end to end (one GPU: NCCL never asks the tuner, so no forced candidate can run)"
timeout 300 $CCL tune allreduce allgather --backend nccl --np "$GPUS" -b 1K -e 1M -f 4 --no-db --process-knobs BUFFSIZE \
  --out "$OUT/tune" >"$OUT/tune.log" 2>&1
rc=$?; echo "exit code: $rc (expected 0)"; [ $rc -eq 0 ] || status=1
tail -12 "$OUT/tune.log"
echo "launches: $(ls "$OUT"/tune/launches/*.log 2>/dev/null | wc -l)"
python3 - "$OUT/tune/tune.json" <<'PY'
import json, sys, collections
try:
    t = json.load(open(sys.argv[1]))
except Exception as e:
    print("no tune.json:", e); sys.exit(0)
for c in t["collectives"]:
    failed = [x for x in c["candidates"] if x["failed"]]
    why = collections.Counter(x["failure"][:90] for x in failed)
    print(c["collective"], "candidates", len(c["candidates"]), "failed", len(failed), "trials", c["trials"],
          "rules", len(c["rules"]), dict(why))
PY
# The untimed algorithm probe before each trial launch: what NCCL logged per candidate (with one
# GPU NCCL runs no algorithm, so an empty list is expected there; with 2+ the choices per call).
echo "algorithm probes: $(ls "$OUT"/tune/launches/*-algorithms.json 2>/dev/null | wc -l)," \
  "failed: $(grep -l error "$OUT"/tune/launches/*-algorithm-probe.log 2>/dev/null | wc -l)"
for f in $(ls "$OUT"/tune/launches/*-algorithms.json 2>/dev/null | head -2); do head -c 600 "$f"; echo; done

step "summary"
python3 - "$OUT" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
def records(name):
    path = os.path.join(out, name + ".jsonl")
    if not os.path.exists(path): return [], None
    lines = [json.loads(l) for l in open(path) if l.strip()]
    return [l for l in lines if l.get("type") == "case"], next((l for l in lines if l.get("type") == "run"), None)
cases, run = records("checks")
if run:
    libs = run["backend"]["libraries"]
    print("device:", libs.get("device"), "|", libs.get("nccl"), "|", libs.get("cuda_driver"), "| ranks:", run["ranks"])
print(f"{'run':<10}{'collective':<15}{'cases':>6}{'wrong':>7}{'largest':>12}{'time us':>10}{'algbw':>9}{'busbw':>9}")
for name in ["checks", "mulsum", "fp8", "p2p", "registered", "symmetric", "memcap", "bandwidth"]:
    cs, _ = records(name)
    by = {}
    for c in cs: by.setdefault(c["collective"], []).append(c)
    for coll, items in by.items():
        big = max(items, key=lambda c: (c["size_bytes"], c["placement"] == "out"))
        print(f"{name:<10}{coll:<15}{len(items):>6}{sum(c['wrong'] for c in items):>7}{big['size_bytes']:>12}"
              f"{big['time_us']['median']:>10.2f}{big['algbw_gbps']:>9.2f}{big['busbw_gbps']:>9.2f}")
plain, _ = records("plain"); graph, _ = records("graph")
if plain and graph:
    print("\nsmall-message allreduce, out-of-place: plain launches vs CUDA graph (median us per iteration)")
    g = {c["size_bytes"]: c for c in graph}
    for c in plain:
        if c["size_bytes"] in g:
            print(f"{c['size_bytes']:>8} B  plain {c['time_us']['median']:8.2f}  graph {g[c['size_bytes']]['time_us']['median']:8.2f}")
pi, _ = records("periter")
for c in pi:
    p = c.get("per_iteration", {})
    print(f"per-iteration {c['size_bytes']:>9} B: p50 {p.get('p50_us',0):.2f} us  p99 {p.get('p99_us',0):.2f} us  (batch median {c['time_us']['median']:.2f})")
PY
echo "gpu-check status: $status"
# The device tool brings back only a few files: pack everything into one.
tar -C "$OUT" -czf "$FINAL/gpu-check-out.tgz" . 2>/dev/null
exit $status
