#!/usr/bin/env python3
"""cclbench's UCX backend against ucx_perftest (Debian's ucx-utils), side by side on this host:
tagged latency (tag_lat against `cclbench run latency`) and bandwidth (tag_bw against `run bw`),
both on the same transport (--fabric shm -> UCX_TLS=shm,self for ucx_perftest; tcp -> tcp,self),
two processes each, in interleaved rounds (ucx_perftest, then cclbench, size by size) so drift
hits both. Prints a Markdown table per test with the median of each side and the paired ratio (the
median of the rounds' own ratios, cclbench over ucx_perftest; for latency above 1 means cclbench
measured slower), and the same with cclbench's mean in place of its median (ucx_perftest's
statistic: the mean over every timed iteration); exits 1 when a paired ratio of cclbench's own
figure misses --tolerance (default 0.05).

  scripts/bench-vs-ucx-perftest.py [--cclbench build/cclbench] [--fabric shm|tcp] [--rounds 5]
                                   [--sizes 8,4096,65536,1048576] [--window 32]
                                   [--osu-window N] [--tests tag_lat,tag_bw] [--no-pin]
                                   [--floor [build/bench/cclbench_ucp_floor]]

Conventions: ucx_perftest's tag_lat prints half the round trip ("overhead", us; its overall
average over every timed iteration is used, against cclbench's median of batch means), as
cclbench's latency does; tag_bw prints MB/s with MB = 2^20 bytes (converted to GB/s = 1e9
bytes/s, cclbench's algbw), again its overall figure. (Its "average" columns cover only the time
since its last once-a-second report: the same as "overall" for a run under a second, the last
stretch of a longer one, such as 200,000 round trips of 64 KiB.)
ucx_perftest's tag_bw streams its sends: a new one as soon as fewer than its window (-O, 32 by
default) are in flight, one acknowledgement at the end. cclbench's `bw --stream --window W` does
the same (one acknowledgement per batch), and the script gives both the same depth (--window,
default 32: ucx_perftest's own). --osu-window N compares cclbench's default convention instead
(osu_bw's: a window of N, then a 1-byte ack) against ucx_perftest's default, as earlier runs did.
--floor adds a third program each round, bench/ucp_floor.cpp: the same UCP loops with nothing
around them, launched as cclbench's ranks are, so a difference between the two programs can be
placed on one side.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TLS = {"shm": "shm,self", "tcp": "tcp,self"}
PIN = True


def environment(extra=None):
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "HWLOC_HIDE_ERRORS": "2"})
    env.update(extra or {})
    return env


def perftest(test, size, fabric, port, iterations, depth=None):
    """One ucx_perftest server/client pair on localhost; the client's final line."""
    env = environment({"UCX_TLS": TLS[fabric]})
    args = ["ucx_perftest", "-t", test, "-s", str(size), "-n", str(iterations), "-p", str(port)]
    if depth:
        args += ["-O", str(depth)]
    # Each process on a core of its own, as mpirun binds cclbench's two ranks (--bind-to core).
    pin = (lambda core: ["taskset", "-c", str(core)]) if PIN else (lambda core: [])
    server = subprocess.Popen(pin(0) + args, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            client = subprocess.run(pin(1) + ["ucx_perftest", "127.0.0.1"] + args[1:], env=env,
                                    capture_output=True, text=True, timeout=120)
            finals = [l.split() for l in client.stdout.splitlines() if l.startswith("Final:")]
            if finals:
                return [float(x) for x in finals[0][1:]]
            time.sleep(0.1)  # the server was not listening yet
        raise RuntimeError(f"ucx_perftest {test} -s {size}: no result\n{client.stderr}")
    finally:
        server.wait(timeout=60)


def perftest_value(test, size, fabric, port, depth):
    # Final: iterations, p50 overhead, avg overhead, overall overhead, MB/s avg, MB/s overall, ...
    # "avg" is since ucx_perftest's last periodic report (every second: libperf's
    # ucx_perf_calc_result, moment_average), "overall" the whole timed run: the one compared.
    if test == "tag_lat":
        return perftest(test, size, fabric, port, 200000 if size <= 65536 else 20000)[3]
    return (perftest(test, size, fabric, port, 20000 if size <= 65536 else 2000, depth)[5]
            * 2**20 / 1e9)


def cclbench_value(binary, test, size, fabric, window, stream):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "r.jsonl")
        extra = ["--stream"] if stream and test == "bw" else []
        subprocess.run([binary, "run", test, "--backend", "ucx", "--fabric", fabric, "--np", "2",
                        "-b", str(size), "-e", str(size), "-d", "uint8", "--no-db", "--no-progress",
                        "--window", str(window)] + extra +
                       ["--jsonl", path], env=environment(), capture_output=True, check=True,
                       timeout=300, cwd=folder)
        with open(path) as f:
            case = [r for r in map(json.loads, f) if r["type"] == "case"][0]
    # cclbench's figure (the median batch) and ucx_perftest's statistic (the mean over every timed
    # iteration: batches hold the same number of iterations, so the mean of their means).
    mean_us = case["time_us"]["mean"]
    if test == "latency":
        return case["time_us"]["median"], mean_us
    return case["algbw_gbps"], case["size_bytes"] / mean_us / 1e3


def floor_value(binary, test, size):
    """bench/ucp_floor.cpp: ucx_perftest's loop with nothing around it, launched as cclbench's
    ranks are (mpirun, 2 ranks bound to a core each); rank 0's median batch."""
    small = size <= 65536
    if test == "tag_lat":
        args = ["latency", str(size), "4000" if small else "200", "40"]
    else:
        args = ["stream", str(size), "20000" if small else "2000", "30"]
    out = subprocess.run(["mpirun", "-np", "2", "--bind-to", "core", binary] + args,
                         env=environment(), capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cclbench", default=os.path.join(HERE, "..", "build", "cclbench"))
    parser.add_argument("--fabric", default="shm", choices=sorted(TLS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="8,4096,65536,1048576")
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--window", type=int, default=32,
                        help="messages in flight for both tag_bw (-O) and cclbench bw --stream")
    parser.add_argument("--osu-window", type=int, default=0,
                        help="compare cclbench's osu_bw convention at this window instead")
    parser.add_argument("--tests", default="tag_lat,tag_bw", help="which of tag_lat,tag_bw")
    parser.add_argument("--floor", nargs="?", const=os.path.join(HERE, "..", "build", "bench",
                                                                  "cclbench_ucp_floor"),
                        help="also run the UCP floor program (bench/ucp_floor.cpp) each round")
    parser.add_argument("--no-pin", action="store_true",
                        help="leave ucx_perftest's processes unbound (default: cores 0 and 1)")
    a = parser.parse_args()
    global PIN
    PIN = not a.no_pin and (os.cpu_count() or 1) >= 2
    sizes = [int(s) for s in a.sizes.split(",")]
    port = 14000 + os.getpid() % 1000
    worst = 0.0
    for test, ccl, unit in (("tag_lat", "latency", "us"), ("tag_bw", "bw", "GB/s")):
        if test not in a.tests.split(","):
            continue
        stream = a.osu_window == 0
        how = "" if test == "tag_lat" else (f", --stream, {a.window} in flight for both" if stream
                                            else f", osu_bw window {a.osu_window}")
        print(f"\n{test} vs cclbench {ccl} ({a.fabric}, {a.rounds} rounds{how})\n")
        floor_head = (f" floor ({unit}) | floor / ucx_perftest | cclbench / floor |" if a.floor
                      else "")
        print(f"| size (B) | ucx_perftest ({unit}) | cclbench ({unit}) | paired ratio | "
              f"cclbench's mean ({unit}) | paired ratio, same statistic |{floor_head}")
        print("|---:|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if a.floor else ""))
        rounds = {}
        for size in sizes:
            theirs, ours, means, floors = [], [], [], []
            rounds[size] = (theirs, ours)
            for _ in range(a.rounds):
                port += 1
                theirs.append(perftest_value(test, size, a.fabric, port, a.window if stream else None))
                figure, mean = cclbench_value(a.cclbench, ccl, size, a.fabric,
                                              a.window if stream else a.osu_window, stream)
                ours.append(figure)
                means.append(mean)
                if a.floor:
                    floors.append(floor_value(a.floor, test, size))
            paired = statistics.median(o / t for o, t in zip(ours, theirs))
            paired_mean = statistics.median(m / t for m, t in zip(means, theirs))
            worst = max(worst, abs(paired - 1))
            floor_cells = ""
            if a.floor:
                floor_cells = (
                    f" {statistics.median(floors):.3f} |"
                    f" {statistics.median(f / t for f, t in zip(floors, theirs)):.3f} |"
                    f" {statistics.median(o / f for o, f in zip(ours, floors)):.3f} |")
            print(f"| {size} | {statistics.median(theirs):.3f} | {statistics.median(ours):.3f} | "
                  f"{paired:.3f} | {statistics.median(means):.3f} | {paired_mean:.3f} |{floor_cells}",
                  flush=True)
        print("\nEvery round (ucx_perftest / cclbench):\n")
        for size, (theirs, ours) in rounds.items():
            print(f"- {size} B: " + "; ".join(f"{t:.3f}/{o:.3f}" for t, o in zip(theirs, ours)))
    return 0 if worst <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
