#!/usr/bin/env bash
# Configures and builds cclbench into ./build (Release with debug info; NCCL backend for sm_90
# when CUDA and NCCL are found). Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build -j "$(nproc)"
