#!/usr/bin/env python3
"""cclbench against OSU's osu_allreduce, side by side on this host: interleaved rounds (OSU, then
cclbench, size by size) so that drift hits both, the median of the rounds per size, and the ratio.

  scripts/bench-vs-osu.py --osu /opt/osu/bin/osu_allreduce [--rounds 7] [--np 2]
                          [--sizes 8,1024,4096,65536] [--mpi-thread single|funneled|multiple ...]

OSU is not part of cclbench: build it by hand as a user would (bench/README.md says how).
Conventions are matched: float sum, out-of-place, the mean over ranks (OSU's "Avg Latency" is the
mean of the ranks' per-iteration averages; cclbench -a 1), the same sizes in bytes. OSU 7.x times
each call alone with a barrier after it; cclbench --sync-each does the same, cclbench's default
times calls back to back (nccl-tests): both are shown. Prints Markdown tables with the ratio of the
medians and the paired ratio (the median of each round's own ratio); exits 1 when the like-for-like
paired ratio (--sync-each against OSU) misses --tolerance (default 0.05).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def environment():
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "HWLOC_HIDE_ERRORS": "2"})
    return env


def osu_us(osu, np, size, iterations, warmup):
    out = subprocess.run(["mpirun", "--allow-run-as-root", "-np", str(np), osu, "-T", "mpi_float",
                          "-m", f"{size}:{size}", "-i", str(iterations), "-x", str(warmup)],
                         capture_output=True, text=True, timeout=300, env=environment()).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == str(size):
            return float(fields[1])
    raise RuntimeError(f"osu_allreduce printed no row for {size}:\n{out}")


def cclbench_us(binary, np, size, thread, sync_each):
    out = subprocess.run([binary, "run", "allreduce", "-b", str(size), "-e", str(size), "-d", "float",
                          "-o", "sum", "-a", "1", "--place", "out", "--np", str(np), "--no-db",
                          "--no-jsonl", "--no-progress", "--mpi-thread", thread]
                         + (["--sync-each"] if sync_each else []),
                         capture_output=True, text=True, timeout=300, env=environment())
    if out.returncode != 0:
        raise RuntimeError(f"cclbench failed: {out.stderr}")
    for line in out.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == str(size):
            return float(fields[5])
    raise RuntimeError(f"cclbench printed no row for {size}:\n{out.stdout}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--osu", required=True, help="path of osu_allreduce")
    parser.add_argument("--cclbench", default=os.path.join(HERE, "..", "build", "cclbench"))
    parser.add_argument("--np", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sizes", default="8,1024,4096,65536")
    parser.add_argument("--iterations", type=int, default=5000, help="OSU -i")
    parser.add_argument("--warmup", type=int, default=500, help="OSU -x")
    parser.add_argument("--mpi-thread", nargs="+", default=["single"])
    parser.add_argument("--tolerance", type=float, default=0.05)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    failed = False
    for thread in args.mpi_thread:
        osu = {s: [] for s in sizes}
        synced = {s: [] for s in sizes}
        batched = {s: [] for s in sizes}
        for _ in range(args.rounds):
            for s in sizes:
                osu[s].append(osu_us(args.osu, args.np, s, args.iterations, args.warmup))
                synced[s].append(cclbench_us(args.cclbench, args.np, s, thread, True))
                batched[s].append(cclbench_us(args.cclbench, args.np, s, thread, False))
        print(f"\n{args.np} ranks, float sum, cclbench --mpi-thread {thread} (OSU: MPI_Init, single "
              f"thread), median of {args.rounds} interleaved rounds (us)\n")
        print("| size (B) | osu_allreduce | cclbench --sync-each | ratio | paired ratio "
              "| cclbench (batches) | ratio | paired ratio |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in sizes:
            a, b, c = (statistics.median(x[s]) for x in (osu, synced, batched))
            # The median of each round's own ratio: a round's three programs run seconds apart, so
            # a machine whose speed changes between rounds (a VM whose vCPUs move) cancels out.
            pb = statistics.median(y / x for x, y in zip(osu[s], synced[s]))
            pc = statistics.median(z / x for x, z in zip(osu[s], batched[s]))
            if abs(pb - 1) > args.tolerance and thread != "multiple":
                failed = True
            print(f"| {s} | {a:.2f} | {b:.2f} | {b / a:.3f} | {pb:.3f} | {c:.2f} | {c / a:.3f} "
                  f"| {pc:.3f} |")
        print("\nEvery round (OSU / --sync-each / batches):\n")
        for s in sizes:
            rounds = "; ".join(f"{x:.2f}/{y:.2f}/{z:.2f}" for x, y, z in zip(osu[s], synced[s], batched[s]))
            print(f"- {s} B: {rounds}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
