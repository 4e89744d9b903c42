#!/usr/bin/env bash
# Installs what cclbench needs to build and test on Debian 12 (idempotent: installs only what is
# missing). CUDA and NCCL are not Debian packages: they are used when found under
# /usr/local/cuda, $CUDA_HOME or $NCCL_HOME, and the NCCL backend is skipped otherwise.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build git python3 pkgconf
  libopenmpi-dev openmpi-bin        # MPI backend, bootstrap and self-launch
  libucx-dev ucx-utils              # UCX backend (UCP); ucx_perftest for scripts/bench-vs-ucx-perftest.py
  libcli11-dev nlohmann-json3-dev   # command line, records
  libtomlplusplus-dev               # topology descriptions (TOML) for the NCCL model
  libgtest-dev libgmock-dev         # unit tests
  libbenchmark-dev                  # bench/
  libsqlite3-dev sqlite3            # results history
  libjs-chart.js                    # inlined into HTML reports (works offline)
  chromium                          # the HTML report's browser test (headless)
  procps                            # ps/pgrep for integration tests
  iproute2                          # ip, tc: network-namespace hosts (scripts/netns-hosts.sh)
  slurm-wlm munge                   # a real one-node Slurm for the srun and nightly tests
  prometheus                        # promtool: the nightly textfile is checked in a test
  clang libclang-rt-14-dev          # libFuzzer targets (the runtimes are only "recommended")
  llvm-14                           # llvm-symbolizer: sanitizer reports with file:line
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: dependencies present"
