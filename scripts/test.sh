#!/usr/bin/env bash
# Builds cclbench and runs every test: unit tests, then the integration tests that start ranks
# (serially: the machine may have 2 cores; each test has its own timeout), then the checked
# builds: unit tests and the 2-rank subset under ASan + UBSan, and a fuzz smoke of every parser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest -L unit --output-on-failure -j "$(nproc)"
ctest -L integration --output-on-failure -j 1
cd ..
scripts/sanitize.sh
CCLBENCH_FUZZ_SECONDS=${CCLBENCH_FUZZ_SECONDS:-5} scripts/fuzz.sh smoke
