#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each one.
#   scripts/fuzz.sh smoke       every target: its regression inputs once, then 20 s of fuzzing
#   scripts/fuzz.sh runs N      every target: N executions (bench/README.md records 10^6 each)
#   scripts/fuzz.sh TARGET ...  extra libFuzzer arguments for one target (e.g. -runs=1000000)
# Corpora start from the real fixtures (tests/fixtures) and live in build-fuzz/corpus/TARGET, so
# later runs go on from what earlier ones found. A crash stops with the input saved under
# build-fuzz/crashes/; copy it to tests/fuzz/regressions/TARGET/ and fix the parser.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${CCLBENCH_FUZZ_BUILD:-$ROOT/build-fuzz}
TARGETS=(fuzz_nccl_tests_text fuzz_nccl_tests_json fuzz_osu fuzz_jsonl fuzz_nccl_log
         fuzz_openmpi_rules fuzz_tuner_config)

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is missing (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 5
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCCLBENCH_FUZZ=ON \
    -DCCLBENCH_WITH_NCCL=OFF -DCCLBENCH_WITH_MPI=OFF -DCCLBENCH_BUILD_TESTS=OFF \
    -DCCLBENCH_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD" --target fuzz

seeds() {
  local F=$ROOT/tests/fixtures
  case $1 in
    fuzz_nccl_tests_text) ls "$F"/real-output/nccltests-*.txt ;;
    fuzz_nccl_tests_json) ls "$F"/nccl-tests-json/*.json ;;
    fuzz_osu) ls "$F"/real-output/osu-*.txt ;;
    fuzz_jsonl) ls "$F"/db/*.jsonl ;;
    fuzz_nccl_log) ls "$F"/real-output/nccl-info-*.log "$F"/nccl-logs/*.log "$F"/h200-1gpu/*.log ;;
    fuzz_openmpi_rules) ls "$ROOT"/tests/fuzz/seeds/openmpi_rules/* ;;
    fuzz_tuner_config) ls "$ROOT"/tests/fuzz/seeds/tuner_config/* ;;
  esac
}

# Runs one target: regression inputs first (each must pass), then fuzzing with the given
# arguments. Prints the executions and their rate from libFuzzer's last status line.
run_target() {
  local target=$1; shift
  local corpus=$BUILD/corpus/$target crashes=$BUILD/crashes
  mkdir -p "$corpus" "$crashes"
  if [ -z "$(ls -A "$corpus")" ]; then
    seeds "$target" | while read -r f; do cp "$f" "$corpus/"; done
  fi
  local regressions=$ROOT/tests/fuzz/regressions/$target
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    "$BUILD/tests/fuzz/$target" "$regressions"/* >/dev/null 2>&1 ||
      { echo "fuzz: $target fails a regression input in $regressions" >&2; return 1; }
  fi
  local log=$BUILD/$target.log
  local start=$SECONDS
  if ! "$BUILD/tests/fuzz/$target" "$corpus" -max_len="${CCLBENCH_FUZZ_MAX_LEN:-4096}" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$crashes/$target-" -print_final_stats=1 "$@" >"$log" 2>&1; then
    echo "fuzz: $target FAILED; the input and the report:" >&2
    grep -E 'ERROR|SUMMARY|property broken|escaped|refused with|Test unit written' "$log" >&2 || tail -20 "$log" >&2
    return 1
  fi
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  printf 'fuzz: %-22s %10s executions in %4d s, corpus %s inputs, no crash\n' \
    "$target" "$execs" $((SECONDS - start)) "$(ls "$corpus" | wc -l)"
}

mode=${1:-smoke}
case $mode in
  # The smoke uses a fixed seed: CI is repeatable; longer runs explore with fresh seeds.
  smoke) for t in "${TARGETS[@]}"; do run_target "$t" -seed=1 -max_total_time="${CCLBENCH_FUZZ_SECONDS:-20}"; done ;;
  runs) for t in "${TARGETS[@]}"; do run_target "$t" -runs="${2:?runs N}"; done ;;
  fuzz_*) t=$1; shift; run_target "$t" "$@" ;;
  *) echo "usage: scripts/fuzz.sh smoke | runs N | TARGET [libFuzzer args]" >&2; exit 6 ;;
esac
