#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, and run the default sweep
# (allreduce, allgather, sendrecv from 8 B to 256 MiB) on local ranks. Arguments go to
# `cclbench run`; records land in ./results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec ./build/cclbench run "$@"
