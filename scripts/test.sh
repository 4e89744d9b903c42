#!/usr/bin/env bash
# Builds cclbench and runs every test: the integration tests that start ranks against the normal
# build (serially: the machine may have 2 cores; each test has its own timeout), then the checked
# builds: the unit tests and the 2-rank subset under ASan + UBSan, and a fuzz smoke of every
# parser. The unit tests are compiled once, in the sanitizer build (build-asan/): build/ gets
# -DCCLBENCH_UNIT_TESTS=OFF (give -DCCLBENCH_UNIT_TESTS=ON to scripts/build.sh to have them there
# too, with GCC -O2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DCCLBENCH_UNIT_TESTS=OFF
cd build
ctest -L integration --output-on-failure -j 1
cd ..
scripts/sanitize.sh
CCLBENCH_FUZZ_SECONDS=${CCLBENCH_FUZZ_SECONDS:-5} scripts/fuzz.sh smoke
