#!/usr/bin/env python3
"""Integration tests of the real cclbench binary: real ranks under mpirun and through --np.

Each test is a function registered with @test(timeout, labels); ctest runs one per process
(`cclbench_it.py --binary PATH NAME`), `--list` prints "name timeout labels" lines for CMake.
Every child process gets a timeout here too, so a hang fails the test instead of the CI.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TESTS = {}
BINARY = None
GOLDEN = None


def test(timeout, labels="mpi"):
    def register(fn):
        TESTS[fn.__name__] = (fn, timeout, labels)
        return fn
    return register


class Failure(Exception):
    pass


class Skip(Exception):
    """The test cannot run here (ctest shows it as skipped: exit code 77)."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def mpi_env(extra=None):
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1",
                # A chroot without /sys (shared/tools/fresh-ci) makes Open MPI's hwloc print
                # warnings on every rank; they are the runtime's, not cclbench's output.
                "HWLOC_HIDE_ERRORS": "2"})
    for key in list(env):
        if key.startswith(("OMPI_COMM_WORLD", "PMI_", "SLURM_", "CCLBENCH_SELF")):
            del env[key]
    env.update(extra or {})
    return env


class Result:
    def __init__(self, rc, out, err, seconds, cwd):
        self.rc, self.out, self.err, self.seconds, self.cwd = rc, out, err, seconds, cwd

    def records(self, path=None):
        if path is None:
            folder = os.path.join(self.cwd, "results")
            files = sorted(f for f in os.listdir(folder) if f.endswith(".jsonl")) if os.path.isdir(folder) else []
            check(len(files) == 1, f"expected one records file in results/, found {files}")
            path = os.path.join(folder, files[0])
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def describe(self):
        return f"exit {self.rc} after {self.seconds:.1f}s\n--- stdout\n{self.out[-4000:]}\n--- stderr\n{self.err[-3000:]}"


def run(args, timeout=120, cwd=None, env=None, mpirun=None):
    """Runs cclbench `args` (through `mpirun -np N` when mpirun=N) in a fresh folder."""
    cwd = cwd or tempfile.mkdtemp(prefix="cclbench-it-")
    cmd = [BINARY, "run"] + args
    if mpirun:
        cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(mpirun)] + cmd
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env or mpi_env(), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"timed out after {timeout}s: {' '.join(cmd)}\n{e.stdout}\n{e.stderr}")
    return Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start, cwd)


def own_lines(stderr):
    """stderr without the blocks mpirun itself prints (between dashed lines) when ranks exit
    non-zero: cclbench cannot silence those under a plain mpirun."""
    lines, inside = [], False
    for line in stderr.splitlines():
        if re.fullmatch(r"-{20,}", line):
            inside = not inside
            continue
        if not inside and line.strip():
            lines.append(line)
    return lines


def expect_ok(result):
    check(result.rc == 0, "expected exit 0, got " + result.describe())
    return result


def validate_records(records, expected_ranks=None):
    """Schema checks shared by every test that writes records."""
    check(records, "no records")
    check(records[0]["type"] == "run", "first record is not the run header")
    check(records[-1]["type"] == "end", "last record is not the trailer")
    head = records[0]
    for key in ["run_id", "tool", "start_utc", "command_line", "launcher", "ranks", "hosts",
                "backend", "environment", "config", "aggregation"]:
        check(key in head, f"run header lacks {key}")
    check(head["schema"] == "cclbench.record" and head["schema_version"] == 1, "bad schema tag")
    if expected_ranks:
        check(head["ranks"] == expected_ranks, f"header says {head['ranks']} ranks")
        check(sum(len(h["ranks"]) for h in head["hosts"]) == expected_ranks, "hosts do not list every rank")
        check(all(len(h["cpus"]) == len(h["ranks"]) for h in head["hosts"]), "cpus per rank missing")
    library = {"ucx": "ucx", "nccl": "nccl"}.get(head["backend"]["name"], "mpi_library")
    check(library in head["backend"]["libraries"], "backend library version missing")
    cases = [r for r in records if r["type"] == "case"]
    for c in cases:
        check(c["run_id"] == head["run_id"], "case run_id differs from header")
        check(c["batches"] == len(c["samples_us"]) and c["batches"] >= 1, "samples_us length != batches")
        t = c["time_us"]
        check(t["min"] <= t["ci_low"] <= t["median"] <= t["ci_high"] <= t["max"], f"bad time summary {t}")
        check(c["aggregation"] == head["aggregation"], "aggregation mode missing in a case")
        check(0 <= c["slowest_rank"] < head["ranks"], "slowest rank out of range")
        check(c["algbw_gbps"] > 0, "algbw not positive")
    end = records[-1]
    check(end["cases"] == len(cases), "trailer case count differs")
    return cases


def assert_all_correct(cases, collectives):
    seen = {c["collective"] for c in cases}
    check(set(collectives) <= seen, f"missing collectives: {set(collectives) - seen}")
    wrong = [c for c in cases if c["wrong"] != 0]
    check(not wrong, f"{len(wrong)} cases with wrong data, first: {wrong[:1]}")
    check(all(c["checked"] for c in cases), "a case was not checked")


ALL = ["allreduce", "allgather", "reducescatter", "broadcast", "reduce", "alltoall", "sendrecv", "gather"]
FAST = ["-n", "3", "--samples", "3", "--no-progress"]


# --------------------------------------------------------------------------------------------
# Every collective at 2 and 4 ranks, several types and ops, checked.

@test(180, "mpi,asan")
def collectives_np2():
    r = expect_ok(run(ALL + ["-b", "1K", "-e", "64K", "-f", "8", "-d", "int8,uint32,half,float,bfloat16,double",
                             "-o", "sum,prod,min,max,avg", "--np", "2"] + FAST))
    cases = validate_records(r.records(), 2)
    assert_all_correct(cases, ALL)
    check({c["placement"] for c in cases if c["collective"] == "allreduce"} == {"in", "out"}, "both placements")


@test(240)
def collectives_mpirun4_all_types():
    r = expect_ok(run(ALL + ["-b", "1K", "-e", "16K", "-f", "4", "-d", "all", "-o", "all"] + FAST, mpirun=4))
    cases = validate_records(r.records(), 4)
    assert_all_correct(cases, ALL)
    check(len({c["dtype"] for c in cases}) == 10, "-d all should run ten types")
    check(r.records()[0]["launcher"] == "openmpi", "launcher detection under mpirun")


@test(120)
def roots_and_uneven_ranks():
    r = expect_ok(run(["broadcast", "reduce", "gather", "-r", "2", "-b", "4K", "-e", "4K", "-o", "max,avg",
                       "-d", "int64,half"] + FAST, mpirun=3))
    cases = validate_records(r.records(), 3)
    assert_all_correct(cases, ["broadcast", "reduce", "gather"])
    check(all(c["root"] == 2 for c in cases), "root not recorded")


@test(120)
def point_to_point():
    r = expect_ok(run(["latency", "bw", "bibw", "--pair", "1,3", "-b", "1", "-e", "1M", "-f", "16",
                       "-d", "uint8", "--window", "16"] + FAST, mpirun=4))
    cases = validate_records(r.records(), 4)
    assert_all_correct(cases, ["latency", "bw", "bibw"])
    check(all(c["slowest_rank"] in (1, 3) for c in cases), "slowest rank must be one of the pair")
    by = {(c["collective"], c["size_bytes"]): c for c in cases}
    big = by[("bibw", 1048576)]
    check(abs(big["algbw_gbps"] - 2 * 1048576 / big["time_us"]["median"] / 1e3) < 1e-6 * big["algbw_gbps"],
          "bibw algbw counts both directions")


P2P = ["latency", "bw", "bibw", "sendrecv"]
SHM_TRANSPORTS = {"sysv", "posix", "cma", "xpmem", "knem"}


def data_transports(header):
    """{transport} of the data lanes of rank 0's endpoints in the run header (UCX's own report)."""
    t = header.get("transport") or {}
    check(t.get("reported_by") == "ucp_ep_print_info", f"no UCX transport report in the header: {t}")
    check(t["endpoints"], "the header reports no endpoint")
    return {lane["transport"] for e in t["endpoints"] for lane in e["lanes"]
            if any(not p.startswith(("wireup", "keepalive")) for p in lane["purposes"])}


@test(300, "mpi,ucx,asan")
def ucx_every_benchmark_checked_at_2_and_4_ranks_tag_and_put():
    """UCX backend: latency, bw, bibw and the sendrecv ring over tagged messages and over RMA put,
    self-launched (2 ranks) and under mpirun (4 ranks, pair 1,3), every output checked."""
    for api in ("tag", "put"):
        args = P2P + ["--backend", "ucx", "--ucx-api", api, "-b", "32", "-e", "1M", "-f", "32",
                      "-d", "uint8", "--window", "16"] + FAST
        two = expect_ok(run(args + ["--np", "2"]))
        cases = validate_records(two.records(), 2)
        assert_all_correct(cases, P2P)
        head = two.records()[0]
        check(head["config"]["ucx_api"] == api, f"ucx_api not recorded: {head['config']}")
        check(head["transport"]["api"] == api and head["transport"]["backend"] == "ucx", str(head["transport"]))
        check(data_transports(head), "no data lane reported")
        four = expect_ok(run(args + ["--pair", "1,3"], mpirun=4))
        cases = validate_records(four.records(), 4)
        assert_all_correct(cases, P2P)
        check(all(c["slowest_rank"] in (1, 3) for c in cases if c["collective"] != "sendrecv"),
              "a pair benchmark's slowest rank is outside the pair")
        big = {(c["collective"], c["size_bytes"]): c for c in cases}[("bibw", 1048576)]
        check(abs(big["algbw_gbps"] - 2 * 1048576 / big["time_us"]["median"] / 1e3) < 1e-6 * big["algbw_gbps"],
              "bibw algbw counts both directions")
    # One-element messages: bw's ack (into the ack buffer) and latency's reply (into the receive
    # buffer) have the same shape; put targets are announced per case, so neither lands in the
    # other's buffer (the data check says so), in either order.
    for order in (["bw", "latency"], ["latency", "bw"]):
        r = expect_ok(run(order + ["--backend", "ucx", "--ucx-api", "put", "-d", "double", "-b", "8", "-e", "8",
                                   "--np", "2"] + FAST))
        assert_all_correct(validate_records(r.records(), 2), order)


@test(240, "mpi,ucx,asan")
def streamed_bw_checked_at_2_and_4_ranks_over_ucx_and_mpi_and_refused_elsewhere():
    """bw --stream (ucx_perftest's tag_bw convention: --window messages kept in flight, one ack
    per batch) over UCX and MPI, self-launched and under mpirun, every output checked and the
    convention recorded; where it cannot apply, one line and a documented exit."""
    for backend in ("ucx", "mpi"):
        args = ["bw", "--backend", backend, "--stream", "--window", "32", "-b", "8", "-e", "1M", "-f", "32",
                "-d", "uint8"] + FAST
        two = expect_ok(run(args + ["--np", "2"]))
        cases = validate_records(two.records(), 2)
        assert_all_correct(cases, ["bw"])
        config = two.records()[0]["config"]
        check(config.get("stream") is True and config["window"] == 32, f"{backend}: the stream is not recorded: {config}")
        check("# note: streamed: 32 messages kept in flight" in two.out, f"{backend}: the table does not say it streamed")
        check(sorted(c["size_bytes"] for c in cases) == [8, 256, 8192, 262144], "sizes of the sweep")
        four = expect_ok(run(args + ["--pair", "1,3"], mpirun=4))
        cases = validate_records(four.records(), 4)
        assert_all_correct(cases, ["bw"])
        check(all(c["slowest_rank"] in (1, 3) for c in cases), f"{backend}: a streamed bw's slowest rank is outside the pair")
    plain = expect_ok(run(["bw", "--backend", "ucx", "-b", "8", "-e", "8", "--np", "2"] + FAST))
    check("stream" not in plain.records()[0]["config"], "a windowed bw says it streamed")
    for extra, code, what in ((["bw", "--backend", "ucx", "--ucx-api", "put"], 5, "tagged sends"),
                              (["latency", "--backend", "ucx"], 6, "has no bw"),
                              (["bw", "--backend", "ucx", "--sync-each"], 6, "do not mix")):
        r = run(extra + ["--stream", "-b", "8", "-e", "8", "--np", "2"] + FAST)
        lines = own_lines(r.err)
        check(r.rc == code and len(lines) == 1 and what in lines[0],
              f"{extra} --stream: expected exit {code} and one line with '{what}', " + r.describe())


@test(300, "mpi,ucx,asan")
def ucx_fabrics_verified_from_ucxs_own_report_and_missing_ones_exit_9():
    """--fabric shm and tcp are set on cclbench's own UCP context and verified from
    ucp_ep_print_info; ib (no InfiniBand port here) and cuda_ipc (no CUDA transport in Debian's UCX)
    are exit 9 with one line; collectives other than the ring are exit 5 with one line."""
    # UCX finds its network devices in /sys: a chroot without it (shared/tools/fresh-ci) has no tcp
    # device at all, and there a forced tcp is a fabric this host lacks: exit 9, still one line.
    devices = subprocess.run(["ucx_info", "-d"], capture_output=True, text=True, timeout=60).stdout
    has_tcp = re.search(r"Transport: tcp", devices) is not None
    for fabric, allowed in (("shm", SHM_TRANSPORTS), ("tcp", {"tcp"}), ("socket", {"tcp"})):
        args = ["latency", "--backend", "ucx", "--fabric", fabric, "-b", "8", "-e", "8", "--np", "2"] + FAST
        if allowed == {"tcp"} and not has_tcp:
            r = run(args)
            lines = own_lines(r.err)
            check(r.rc == 9 and len(lines) == 1 and "cannot reach rank 1 with UCX_TLS=tcp,self" in lines[0],
                  f"--fabric {fabric} without a tcp device: expected exit 9 and one line, " + r.describe())
            continue
        r = expect_ok(run(args))
        head = r.records()[0]
        used = data_transports(head)
        check(used and used <= allowed, f"--fabric {fabric}: UCX reports {used}")
        check(head["transport"]["verification"]["ok"], str(head["transport"]))
        check(head["transport"]["set_through"] == "ucp_config_modify", "not set on cclbench's own context")
        check("UCX_TLS" not in head["environment"], "the fabric leaked into the process environment")
    # Without a fabric UCX picks shared memory between local ranks: the header says so too.
    default = expect_ok(run(["latency", "--backend", "ucx", "-b", "8", "-e", "8", "--np", "2"] + FAST))
    check(data_transports(default.records()[0]) <= SHM_TRANSPORTS, "default local ranks not over shm")
    for fabric, what in (("ib", "no RDMA port with link layer InfiniBand"), ("cuda_ipc", "no lane uses cuda_ipc")):
        r = run(["latency", "--backend", "ucx", "--fabric", fabric, "--np", "2"] + FAST)
        check(r.rc == 9, f"--fabric {fabric}: expected exit 9, " + r.describe())
        lines = own_lines(r.err)
        check(len(lines) == 1 and "fabric mismatch" in lines[0] and what in lines[0],
              f"--fabric {fabric}: expected one line saying '{what}': {lines}")
        check(not os.path.exists(os.path.join(r.cwd, "results")) or not any(
            f.endswith(".jsonl") and "end" in open(os.path.join(r.cwd, "results", f)).read()
            for f in os.listdir(os.path.join(r.cwd, "results"))), "a complete-looking file was left")
    for args, code, what in ((["allreduce"], 5, "UCX is point-to-point"),
                             (["latency", "--memory", "device"], 5, "no CUDA transport"),
                             (["latency", "--fabric", "pcie"], 6, "ask cuda_ipc"),
                             (["latency", "--ucx-api", "get"], 6, "tag or put")):
        r = run(args + ["--backend", "ucx", "--np", "2"] + FAST)
        lines = own_lines(r.err)
        check(r.rc == code and len(lines) == 1 and what in lines[0],
              f"{args}: expected exit {code} and one line with '{what}', " + r.describe())


@test(240, "mpi")
def mpi_fabric_shm_and_tcp_are_forced_and_ib_is_exit_9():
    """MPI backend: --fabric shm and tcp start the ranks with only Open MPI's vader or tcp BTL
    (recorded in the header, and the probe reached the peers); tcp is slower at 8 bytes than
    shared memory by far (a fabric really switched); ib is exit 9 with one line."""
    medians = {}
    for fabric, btl in (("shm", "self,vader"), ("tcp", "self,tcp")):
        r = expect_ok(run(["latency", "--backend", "mpi", "--fabric", fabric, "-b", "8", "-e", "8",
                           "--np", "2", "-n", "200", "--samples", "5", "--no-progress"]))
        head = r.records()[0]
        t = head.get("transport") or {}
        check(t.get("forced", {}).get("OMPI_MCA_btl") == btl and t["forced"]["OMPI_MCA_pml"] == "ob1",
              f"--fabric {fabric}: header transport {t}")
        check(t.get("peers_probed") == 1, f"probe: {t}")
        medians[fabric] = [c for c in r.records() if c["type"] == "case"][0]["time_us"]["median"]
    check(medians["tcp"] > 3 * medians["shm"], f"tcp not slower than shared memory: {medians}")
    r = run(["latency", "--backend", "mpi", "--fabric", "ib", "--np", "2"] + FAST)
    lines = own_lines(r.err)
    check(r.rc == 9 and len(lines) == 1 and "asked ib" in lines[0], "ib: " + r.describe())


@test(120, "mpi,asan")
def adaptive_defaults_and_aggregation():
    for code, name in [(0, "rank0"), (1, "mean"), (2, "min"), (3, "max")]:
        r = expect_ok(run(["allreduce", "-b", "64K", "-e", "64K", "-a", str(code), "--np", "2",
                           "--no-progress", "--size-budget", "0.3"]))
        cases = validate_records(r.records(), 2)
        check(all(c["aggregation"] == name for c in cases), f"-a {code} should record {name}")
        check(all(c["stop_reason"] in ("precision", "budget", "max-batches") for c in cases), "adaptive stop")
        check(all(c["batches"] >= 5 for c in cases), "adaptive mode takes at least 5 batches")
        for c in cases:  # calibrated batches really last about --batch-time (0.005 s)
            cal = c["calibration"]
            check(cal["batch_seconds"] >= 0.75 * 0.005 or c["iterations_per_batch"] == 1 or cal["probes"] == 12,
                  f"a calibrated batch fell short of the target: {cal}, {c['iterations_per_batch']} iterations")


@test(120, "mpi,asan")
def fixed_iterations_are_exact():
    r = expect_ok(run(["allreduce", "-b", "1K", "-e", "4K", "-n", "7", "--samples", "4", "--np", "2",
                       "--no-progress", "-I", "1", "--per-iteration-count", "20", "--per-rank-times",
                       "--csv", "out.csv"]))
    cases = validate_records(r.records(), 2)
    check(all(c["iterations_per_batch"] == 7 and c["batches"] == 4 and c["stop_reason"] == "fixed"
              for c in cases), "fixed -n/--samples not honoured")
    check(all(c["per_iteration"]["count"] == 20 for c in cases), "per-iteration stats missing")
    check(all(len(c["per_rank_samples_us"]) == 2 and len(c["per_rank_samples_us"][0]) == 4 for c in cases),
          "per-rank samples missing")
    lines = open(os.path.join(r.cwd, "out.csv")).read().splitlines()
    check(lines[0].startswith("run_id,collective,dtype") and len(lines) == 1 + len(cases), "csv rows")
    check(not os.path.exists(os.path.join(r.cwd, "out.csv.partial")), "partial csv left behind")


# --------------------------------------------------------------------------------------------
# Console output: nccl-tests' columns and footer, golden.

NUMBER = re.compile(r"^-?[0-9.]+(e[+-]?[0-9]+)?$")


def normalise_table(text):
    """Keeps the table's structure and the deterministic columns; timing columns become <t>."""
    out = []
    for line in text.splitlines():
        if line.startswith("# cclbench") or line.startswith("#  ") and "ranks" in line:
            continue  # version and host lines
        if line.startswith("# Avg bus bandwidth") or line.startswith("# Bus bandwidth"):
            line = re.sub(r": .*", ": <bw>", line)
        elif line.startswith("# Result:"):
            line = re.sub(r"\(.*", "(...)", line)
        elif line and not line.startswith("#"):
            cols = line.split()
            check(len(cols) == 16, f"row should have 16 columns: {line!r}")
            check(cols[15].isdigit(), f"slowest rank not a rank: {line!r}")
            cols[15] = "<rank>"
            for i in (5, 6, 7, 9, 10, 11, 13, 14):
                check(cols[i] == "N/A" or NUMBER.match(cols[i]), f"column {i} not a number: {line!r}")
                if cols[i] != "N/A":
                    cols[i] = "<t>"
            check(line[:12].strip() == cols[0] and len(line[:52]) == 52, "first columns misaligned")
            line = " ".join(cols)
        out.append(line)
    return "\n".join(out) + "\n"


@test(120, "mpi,asan")
def golden_console_table():
    r = expect_ok(run(["allreduce", "sendrecv", "-b", "8", "-e", "1K", "-f", "4", "-d", "float", "-n", "5",
                       "--samples", "3", "--np", "2", "--no-progress", "--no-jsonl"]))
    got = normalise_table(r.out)
    path = os.path.join(GOLDEN, "allreduce_sendrecv_np2.txt")
    if os.environ.get("CCLBENCH_UPDATE_GOLDEN"):
        open(path, "w").write(got)
        raise Skip(f"rewrote {path} from this run: review it with git diff; nothing was compared")
    want = open(path).read()
    check(got == want, f"console table differs from {path}:\n--- got\n{got}\n--- want\n{want}")
    # The footer lines scripts grep for, in nccl-tests' exact format.
    check(re.search(r"^# Out of bounds values : 0 OK$", r.out, re.M), "nccl-tests OOB footer")
    check(re.search(r"^# Avg bus bandwidth    : [0-9.e+-]+ $", r.out, re.M), "nccl-tests avg busbw footer")


# --------------------------------------------------------------------------------------------
# Failures: wrong data, floors, bad input, divergent ranks, hangs, no GPU.

@test(120, "mpi,asan")
def corrupted_rank_fails_with_7():
    for how in ("np", "mpirun"):
        args = ["allreduce", "allgather", "-b", "1K", "-e", "4K", "--test-corrupt-rank", "1"] + FAST
        r = run(args + ["--np", "2"]) if how == "np" else run(args, mpirun=2)
        check(r.rc == 7, f"corrupt rank via {how}: expected exit 7, " + r.describe())
        check("# Out of bounds values" in r.out and "FAILED" in r.out, "footer should say FAILED")
        lines = own_lines(r.err) if how == "mpirun" else r.err.strip().splitlines()
        check(len(lines) == 1 and lines[0].startswith("cclbench: error:"), "one-line error expected: " + r.err)
        recs = r.records()
        cases = validate_records(recs, 2)
        check(sum(c["wrong"] for c in cases) > 0 and recs[-1]["exit_code"] == 7, "records show the failure")


@test(120, "mpi,asan")
def busbw_floor_fails_with_7():
    r = run(["allreduce", "-b", "1K", "-e", "8K", "--min-busbw", "1e9", "--np", "2", "--no-jsonl"] + FAST)
    check(r.rc == 7 and "under the floor" in r.err, "--min-busbw: " + r.describe())
    r = run(["allreduce", "-b", "1K", "-e", "8K", "--np", "2", "--no-jsonl"] + FAST,
            env=mpi_env({"NCCL_TESTS_MIN_BW": "1e9"}))
    check(r.rc == 7 and "Avg bus bandwidth" in r.out and "FAILED" in r.out, "NCCL_TESTS_MIN_BW: " + r.describe())
    expect_ok(run(["allreduce", "-b", "1K", "-e", "8K", "--min-busbw", "0", "--np", "2", "--no-jsonl"] + FAST))


BAD_INPUTS = [
    (["allreducee"], "unknown collective"),
    (["allreduce", "-d", "float17"], "unknown data type"),
    (["allreduce", "-o", "median"], "unknown reduction op"),
    (["allreduce", "-b", "1M", "-e", "1K"], "above the largest"),
    (["allreduce", "-b", "0"], "positive"),
    (["allreduce", "-b", "-8"], "cannot read size"),
    (["allreduce", "-f", "1"], "factor"),
    (["allreduce", "-b", "8Q"], "cannot read size"),
    (["broadcast", "-r", "9"], "root 9 does not exist"),
    (["latency", "--pair", "0,5"], "does not exist"),
    (["allreduce", "--frobnicate"], "frobnicate"),
    (["allreduce", "-a", "7"], "-a must be"),
    (["alltoall", "--place", "in"], "no in-place"),
]


@test(300, "mpi,asan")
def bad_input_exits_6_everywhere():
    """Every bad input, each both ways: all of them are tried and every failure is reported."""
    failures = []
    for args, text in BAD_INPUTS:
        for how in ("np", "mpirun"):
            r = run(args + ["--np", "2"], timeout=60) if how == "np" else run(args, timeout=60, mpirun=2)
            lines = own_lines(r.err) if how == "mpirun" else r.err.strip().splitlines()
            if r.rc != 6:
                failures.append(f"{args} via {how}: expected exit 6, " + r.describe())
            elif not (len(lines) == 1 and lines[0].startswith("cclbench: error:") and text in lines[0]):
                failures.append(f"{args} via {how}: expected one line mentioning {text!r}: {r.err!r}")
            if os.path.isdir(os.path.join(r.cwd, "results")) and os.listdir(os.path.join(r.cwd, "results")):
                failures.append(f"{args} via {how}: a results file was left behind")
            if r.out.strip():
                failures.append(f"{args} via {how}: nothing should be measured: {r.out[:200]}")
    # More local ranks than 8 per core: refused at once, before mpirun starts any of them.
    start = time.monotonic()
    r = run(["allreduce", "--np", "1000"], timeout=60)
    if r.rc != 6 or "local ranks" not in r.err or time.monotonic() - start > 10:
        failures.append("--np 1000: expected exit 6 at once naming local ranks, " + r.describe())
    # A TMPDIR mpirun cannot use: one line before mpirun's page of boilerplate.
    r = run(["allreduce", "--np", "2"], timeout=60, env=mpi_env({"TMPDIR": "/etc/passwd"}))
    if r.rc != 6 or len(r.err.strip().splitlines()) != 1 or "TMPDIR=/etc/passwd is not a folder" not in r.err:
        failures.append("TMPDIR a file: expected one line and exit 6, " + r.describe())
    check(not failures, f"{len(failures)} of {2 * len(BAD_INPUTS)} failed:\n" + "\n".join(failures))


@test(60)
def divergent_arguments_exit_6_quickly():
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe",
           "-np", "1", BINARY, "run", "allreduce", "-b", "8", "-e", "1K",
           ":", "-np", "1", BINARY, "run", "allreduce", "-b", "16", "-e", "1K"]
    start = time.monotonic()
    p = subprocess.run(cmd, env=mpi_env(), capture_output=True, text=True, timeout=30,
                       cwd=tempfile.mkdtemp(), stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    check(p.returncode == 6, f"expected exit 6, got {p.returncode}: {p.stderr}")
    check("different arguments" in p.stderr and "rank 1" in p.stderr, "message: " + p.stderr)
    check(seconds < 30, f"took {seconds:.1f}s")


def rank_pids(rank):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"cclbench") and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            pids.append(int(entry))
    return pids


@test(90, "mpi,asan")
def stopped_rank_times_out_with_4():
    timeout_s = 4
    for how in ("np", "mpirun"):
        folder = tempfile.mkdtemp(prefix="cclbench-it-")
        db, jsonl = os.path.join(folder, "h.db"), os.path.join(folder, "r.jsonl")
        args = ["allreduce", "-b", "64K", "-e", "64K", "-n", "10", "--samples", "100000000",
                "-T", str(timeout_s), "--no-progress", "--db", db, "--jsonl", jsonl]
        cmd = [BINARY, "run"] + args + ["--np", "2"] if how == "np" else \
            ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", BINARY, "run"] + args
        proc = subprocess.Popen(cmd, env=mpi_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=folder, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            pids = []
            while not pids and time.monotonic() < deadline:
                time.sleep(0.3)
                pids = rank_pids(1)
            check(pids, "could not find rank 1")
            time.sleep(1.0)  # let it get into the measurement loop
            os.kill(pids[0], signal.SIGSTOP)
            stopped = time.monotonic()
            out, err = proc.communicate(timeout=timeout_s + 25)
            waited = time.monotonic() - stopped
        finally:
            for pid in rank_pids(1):
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
        check(proc.returncode == 4, f"{how}: expected exit 4, got {proc.returncode}: {err}")
        check("timeout" in err and "rank 0" in err and "allreduce 64 KiB" in err, f"{how}: message: {err}")
        check("rank 1 (host" in err and "stopped answering" in err,
              f"{how}: the message should name the stopped rank: {err}")
        check(waited < timeout_s + 20, f"{how}: took {waited:.1f}s after the stop")
        # The end state and its message are stored, in the records and the database.
        end = json.loads([l for l in open(jsonl) if l.strip()][-1])
        check(end["type"] == "end" and end["exit_code"] == 4 and end["status"] == "incomplete"
              and "did not finish" in end["message"], f"{how}: the records end with {end}")
        q = cclbench(["runs", "--db", db, "--status", "incomplete", "--json"])
        runs = json.loads(q.stdout) if q.returncode == 0 else []
        check(len(runs) == 1 and runs[0]["exit_code"] == 4, f"{how}: database: {q.stdout} {q.stderr}")


@test(60)
def nccl_without_gpu_exits_5():
    for how in ("np", "mpirun"):
        args = ["allreduce", "--backend", "nccl", "-b", "1K", "-e", "1K"] + FAST
        r = run(args + ["--np", "2"]) if how == "np" else run(args, mpirun=2)
        if r.rc == 0:
            raise Skip("a GPU is visible here: NCCL runs, so there is no missing GPU to report")
        check(r.rc == 5, f"{how}: expected exit 5, " + r.describe())
        check("CUDA device" in r.err or "not built" in r.err, f"{how}: message: {r.err}")


@test(300, "gpu")
def nccl_collectives_on_gpu():
    """Every collective, type and op through NCCL with checks on the visible GPUs. Skipped where
    no GPU is visible; scripts/gpu-check.sh is the fuller GPU run."""
    smi = shutil.which("nvidia-smi")
    gpus = 0
    if smi:
        p = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
        gpus = len([l for l in p.stdout.splitlines() if l.startswith("GPU ")]) if p.returncode == 0 else 0
    if gpus == 0:
        raise Skip("no GPU visible (nvidia-smi -L): NCCL on a GPU is checked by scripts/gpu-check.sh")
    r = expect_ok(run(ALL + ["--backend", "nccl", "--np", str(gpus), "-b", "1K", "-e", "1M", "-f", "32",
                             "-d", "all", "-o", "all"] + FAST, timeout=240))
    cases = [c for c in r.records() if c["type"] == "case"]
    assert_all_correct(cases, ALL)


def mpi_is_cuda_aware():
    p = subprocess.run(["ompi_info", "--parsable", "--all"], capture_output=True, text=True, timeout=60)
    return "mpi_built_with_cuda_support:value:true" in p.stdout


@test(60)
def device_buffers_need_cuda_aware_mpi():
    if mpi_is_cuda_aware():
        raise Skip("this Open MPI is CUDA-aware: --memory device is allowed here")
    for how in ("np", "mpirun"):
        args = ["allreduce", "--memory", "device", "-b", "1K", "-e", "1K"] + FAST
        r = run(args + ["--np", "2"]) if how == "np" else run(args, mpirun=2)
        lines = own_lines(r.err) if how == "mpirun" else r.err.strip().splitlines()
        check(r.rc == 5 and len(lines) == 1 and "CUDA-aware" in lines[0],
              f"{how}: expected exit 5 and one line about CUDA-aware MPI, " + r.describe())
    # A GPU path is no fabric of the MPI backend (its host fabrics: mpi_fabric_shm_and_tcp_...).
    r = run(["allreduce", "--fabric", "nvlink", "--backend", "mpi", "--np", "2"] + FAST)
    check(r.rc == 6 and "GPU path" in r.err, "--fabric nvlink with MPI: " + r.describe())


@test(60, "mpi")
def help_and_version():
    r = expect_ok(run(["--help"]))
    check("Examples" in r.out and "--min-busbw" in r.out and "Exit codes" in r.out, "run --help")
    p = subprocess.run([BINARY, "version"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and p.stdout.startswith("cclbench "), "version")
    p = subprocess.run([BINARY, "frob"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 6, "unknown subcommand exits 6")


@test(180)
def default_rank_count_without_np():
    r = expect_ok(run(["-e", "64K", "--no-progress", "--size-budget", "0.2"]))
    cases = validate_records(r.records())
    check(r.records()[0]["ranks"] >= 2, "default should start at least 2 local ranks")
    check({c["collective"] for c in cases} == {"allreduce", "allgather", "sendrecv"}, "default collectives")


# --------------------------------------------------------------------------------------------
# Launch fidelity: thread level, oversubscription, srun without PMIx, progress, signals.

@test(120)
def mpi_thread_level_is_recorded():
    for level, how in (("single", "np"), ("multiple", "np"), ("funneled", "mpirun")):
        args = ["allreduce", "-b", "8", "-e", "64", "-f", "8"] + FAST
        if level != "single":
            args += ["--mpi-thread", level]
        r = expect_ok(run(args + ["--np", "2"]) if how == "np" else run(args, mpirun=2))
        head = r.records()[0]
        check(head["mpi_thread"] == {"requested": level, "provided": level},
              f"--mpi-thread {level}: header says {head.get('mpi_thread')}")
        check(head["config"]["mpi_thread"] == level, "the configuration names the level")
        check(f"# MPI thread level: {level} (asked {level})" in r.out, "the table's first lines say it")
        check(head["launcher_interface"] == "pmix", "Open MPI's mpirun serves PMIx to its ranks")


@test(120)
def sync_each_times_calls_alone_with_data_checked():
    """--sync-each (OSU's way: the ranks line up on the measured communicator before every call,
    each call timed alone) over MPI, with the rank count on one host taken from the bootstrap:
    every case measured and checked, the configuration recorded."""
    args = ["allreduce", "allgather", "-b", "8", "-e", "64K", "-f", "8"] + FAST + ["--np", "2"]
    r = expect_ok(run(args + ["--sync-each"]))
    recs = r.records()
    check(recs[0]["config"]["sync_each"] is True, "the header records --sync-each")
    cases = [c for c in recs if c["type"] == "case"]
    # 8 B to 32 KiB by 8: five sizes, in and out of place; allgather's 8 B is 1 float for 2 ranks: skipped
    check(len(cases) == 2 * 2 * 5 - 2, f"every case: {len(cases)}")
    check(all(c["wrong"] == 0 and c["time_us"]["median"] > 0 for c in cases), "checked and timed")


@test(150)
def oversubscription_is_said_recorded_and_softened():
    ranks = (os.cpu_count() or 2) + 1
    r = expect_ok(run(["allreduce", "-b", "1K", "-e", "1K", "--np", str(ranks)] + FAST, timeout=120))
    warnings = [line for line in r.err.splitlines() if "oversubscribed" in line]
    check(len(warnings) == 1 and warnings[0].startswith("cclbench: warning: oversubscribed:"),
          f"one warning line expected: {r.err!r}")
    over = r.records()[0]["oversubscription"]
    check(over["oversubscribed"] and over["hosts"][0]["ranks"] == ranks, f"header: {over}")
    check(over["yield_when_idle"] == "1" and over["set_by"] == "cclbench", f"yield not set: {over}")
    check("# OVERSUBSCRIBED" in r.out, "the table's first lines say it")
    # The user's own setting wins and is named as theirs.
    r = expect_ok(run(["allreduce", "-b", "1K", "-e", "1K", "--np", str(ranks)] + FAST, timeout=120,
                      env=mpi_env({"OMPI_MCA_mpi_yield_when_idle": "1"})))
    over = r.records()[0]["oversubscription"]
    check(over["set_by"] == "user", f"the user's yield_when_idle: {over}")
    if (os.cpu_count() or 1) >= 2:
        r = expect_ok(run(["allreduce", "-b", "1K", "-e", "1K", "--np", "2"] + FAST))
        check("oversubscribed" not in r.err and not r.records()[0]["oversubscription"]["oversubscribed"],
              "2 ranks on 2 cores are not oversubscribed")


def recorded_env(name):
    env = {}
    for line in open(os.path.join(os.path.dirname(GOLDEN), "fixtures", "slurm", name)):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            env[key] = value
    return env


@test(60)
def srun_without_pmix_is_one_line_and_exit_6():
    """The environment a real srun gave a task without --mpi=pmix (tests/fixtures/slurm)."""
    for rank in ("0", "1"):
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
        env.update(recorded_env("srun-n2-rank1.env"))
        env["SLURM_PROCID"] = env["SLURM_LOCALID"] = rank
        start = time.monotonic()
        p = subprocess.run([BINARY, "run", "allreduce"], env=env, capture_output=True, text=True,
                           timeout=30, cwd=tempfile.mkdtemp(), stdin=subprocess.DEVNULL)
        check(p.returncode == 6, f"rank {rank}: expected exit 6, got {p.returncode}: {p.stderr}")
        lines = p.stderr.strip().splitlines()
        if rank == "0":
            check(len(lines) == 1 and "srun --mpi=pmix" in lines[0], f"one line naming the fix: {p.stderr!r}")
        else:
            check(not lines, f"only rank 0 speaks: {p.stderr!r}")
        check(time.monotonic() - start < 10, "it must stop before MPI_Init")


@test(240, "slurm")
def real_srun_with_and_without_pmix():
    folder = tempfile.mkdtemp(prefix="cclbench-slurm-")
    script = os.path.join(os.path.dirname(os.path.dirname(GOLDEN)), "scripts", "slurm", "local-cluster.sh")
    p = subprocess.run([script, "start", folder], capture_output=True, text=True, timeout=60)
    if p.returncode == 77:
        raise Skip("no Slurm here: " + p.stderr.strip())
    check(p.returncode == 0, f"Slurm did not start: {p.stderr}")
    env = mpi_env({"SLURM_CONF": os.path.join(folder, "slurm.conf")})
    try:
        p = subprocess.run(["srun", "-n", "2", BINARY, "run", "allreduce"], env=env, capture_output=True,
                           text=True, timeout=60, cwd=folder, stdin=subprocess.DEVNULL)
        ours = [l for l in p.stderr.splitlines() if l.startswith("cclbench:")]
        check(p.returncode == 6 and len(ours) == 1 and "srun --mpi=pmix" in ours[0],
              f"srun without PMIx: exit {p.returncode}: {p.stderr}")
        jsonl = os.path.join(folder, "run.jsonl")
        p = subprocess.run(["srun", "-n", "2", "--mpi=pmix", BINARY, "run", "allreduce", "-b", "1K", "-e", "4K",
                            "--jsonl", jsonl, "--no-db"] + FAST, env=env, capture_output=True, text=True,
                           timeout=120, cwd=folder, stdin=subprocess.DEVNULL)
        check(p.returncode == 0, f"srun --mpi=pmix: exit {p.returncode}: {p.stderr}")
        head = json.loads(open(jsonl).readline())
        check(head["launcher"] == "slurm" and head["launcher_interface"] == "pmix", f"launcher: {head['launcher']}")
        check(head["environment"].get("SLURM_MPI_TYPE") == "pmix" and "SLURM_JOB_ID" in head["environment"]
              and "SLURM_STEP_ID" in head["environment"], "Slurm's variables are kept")
    finally:
        subprocess.run([script, "stop", folder], timeout=60)


@test(300, "slurm,accept")
def accept_inside_a_real_slurm_allocation():
    """`salloc -N 1 cclbench accept SPEC` on a real one-node Slurm: the hosts are the allocation's
    (SLURM_JOB_NODELIST through scontrol), the gate and every job go through srun (--mpi=pmix),
    and the checks pass."""
    folder = tempfile.mkdtemp(prefix="cclbench-slurm-")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "slurm", "local-cluster.sh")
    p = subprocess.run([script, "start", folder], capture_output=True, text=True, timeout=60)
    if p.returncode == 77:
        raise Skip("no Slurm here: " + p.stderr.strip())
    check(p.returncode == 0, f"Slurm did not start: {p.stderr}")
    env = mpi_env({"SLURM_CONF": os.path.join(folder, "slurm.conf")})
    spec = os.path.join(folder, "rack.toml")
    with open(spec, "w") as f:
        f.write('name = "slurm-rack"\nranks_per_host = 2\ntimeout = 30\n'
                '[[check]]\nname = "node"\ncollective = "allreduce"\nscope = "host"\nsizes = "1M"\nmin_busbw = 0.001\n'
                '[[check]]\nname = "all"\ncollective = "allgather"\nscope = "all"\nsizes = "256K:1M"\nmin_busbw = 0.001\n')
    try:
        out = os.path.join(folder, "v.json")
        p = subprocess.run(["salloc", "-N", "1", "-n", "2", BINARY, "accept", spec, "--no-db", "--json-out", out,
                            "--out", os.path.join(folder, "o")], env=env, capture_output=True, text=True,
                           timeout=240, cwd=folder, stdin=subprocess.DEVNULL)
        check(p.returncode == 0, f"salloc accept: exit {p.returncode}\n{p.stdout}\n{p.stderr[-1500:]}")
        v = json.load(open(out))
        check("Slurm allocation" in v["hosts_from"] and len(v["hosts"]) == 1 and not v["local"], f"hosts: {v}")
        check([c["verdict"] for c in v["checks"]] == ["PASS", "PASS"], f"{v['checks']}")
        for c in v["checks"]:
            head = json.loads(open(c["jobs"][0]["log"][:-len(".log")] + ".jsonl").readline())
            check(head["launcher"] == "slurm" and head["launcher_interface"] == "pmix" and head["ranks"] == 2,
                  f"{c['name']}: {head['launcher']} {head.get('launcher_interface')} {head['ranks']}")
    finally:
        subprocess.run([script, "stop", folder], timeout=60)


NIGHTLY_SPEC = """
name = "fabric-nightly"
ranks_per_host = RPH
timeout = 60
[[check]]
name = "allreduce"
collective = "allreduce"
scope = "all"
sizes = "64K:1M"
min_busbw = 0.0001
[nightly]
baseline_runs = 7
threshold = 0.03
report = "out/report.html"
prometheus = "out/cclbench.prom"
junit = "out/junit.xml"
"""


@test(400, "mpi,nightly")
def nightly_first_night_passes_then_a_slower_fabric_is_exit_8():
    """Two nights of `cclbench nightly` on local ranks over shared memory, then a third over TCP
    (OMPI_MCA_btl=tcp,self, a deliberately slower fabric): the first night passes and says so,
    the third is exit 8 naming the slower cases in the summary, the report, JUnit and the
    Prometheus file (checked by promtool), the alert command gets the summary on its stdin, and
    every job is in the database tagged nightly with its labels."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    with open(os.path.join(folder, "n.toml"), "w") as f:
        f.write(NIGHTLY_SPEC.replace("RPH", "1"))
    env = mpi_env()

    def night(extra_env=None, *args):
        e = dict(env, **(extra_env or {}))
        return subprocess.run([BINARY, "nightly", "n.toml", "--np", "2", "--db", "h.db"] + list(args),
                              capture_output=True, text=True, timeout=150, env=e, cwd=folder, stdin=subprocess.DEVNULL)

    first = night()
    check(first.returncode == 0 and "First night" in first.stdout, f"night 1: exit {first.returncode}\n{first.stdout}\n{first.stderr[-1000:]}")
    second = night()
    check(second.returncode in (0, 8), f"night 2: exit {second.returncode}\n{second.stderr[-1000:]}")
    alert = os.path.join(folder, "alert.txt")
    third = night({"OMPI_MCA_btl": "tcp,self"}, "--on-regression", f"cat > {alert}")
    check(third.returncode == 8, f"night 3 over TCP: exit {third.returncode}\n{third.stdout}\n{third.stderr[-1000:]}")
    check("REGRESSION" in third.stdout and "slower than the baseline" in third.stdout, third.stdout)
    summary = open(os.path.join(folder, "out", "summary.md")).read()
    check(open(alert).read() == summary, "the alert command did not get the summary on its stdin")
    check("1 MiB" in summary and "**" in summary, f"the regressed cases are named: {summary}")
    html = open(os.path.join(folder, "out", "report.html")).read()
    check("REGRESSION" in html and "class=\"slow\"" in html, "report")
    junit = open(os.path.join(folder, "out", "junit.xml")).read()
    check(re.search(r'failures="[1-9]', junit), f"junit: {junit[:400]}")
    prom = os.path.join(folder, "out", "cclbench.prom")
    check("cclbench_nightly_verdict{spec=\"fabric-nightly\"} 1" in open(prom).read(), open(prom).read()[-600:])
    check(shutil.which("promtool"), "promtool is missing (scripts/setup.sh installs Debian's prometheus)")
    p = subprocess.run(["promtool", "check", "metrics"], stdin=open(prom), capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"promtool: {p.stdout} {p.stderr}")
    check(not [f for f in os.listdir(os.path.join(folder, "out")) if f.endswith(".partial")], "a .partial was left")
    runs = subprocess.run([BINARY, "runs", "--db", os.path.join(folder, "h.db"), "--tag", "nightly", "--label",
                           "spec=fabric-nightly", "--label", "check=allreduce", "--json"],
                          capture_output=True, text=True, timeout=60)
    check(runs.returncode == 0 and len(json.loads(runs.stdout)) == 3, f"stored nights: {runs.stdout[:500]}")
    # Retention: nothing is that old; bad ages are exit 6.
    pr = subprocess.run([BINARY, "prune", "--older-than", "90d", "--db", "h.db"], capture_output=True, text=True,
                        timeout=60, cwd=folder)
    check(pr.returncode == 0 and "removed 0 run(s)" in pr.stdout, f"prune: {pr.returncode} {pr.stdout} {pr.stderr}")
    pr = subprocess.run([BINARY, "prune", "--older-than", "ninety", "--db", "h.db"], capture_output=True, text=True,
                        timeout=60, cwd=folder)
    check(pr.returncode == 6 and "--older-than" in pr.stderr, f"prune ninety: {pr.returncode} {pr.stderr!r}")
    # A spec naming an unknown [nightly] key is exit 6 before anything runs.
    with open(os.path.join(folder, "bad.toml"), "w") as f:
        f.write(NIGHTLY_SPEC.replace("RPH", "1").replace("threshold = 0.03", "treshold = 0.03"))
    bad = subprocess.run([BINARY, "nightly", "bad.toml", "--np", "2", "--db", "h.db"], capture_output=True,
                         text=True, timeout=60, env=env, cwd=folder)
    check(bad.returncode == 6 and "unknown key 'treshold'" in bad.stderr, f"bad spec: {bad.returncode} {bad.stderr!r}")


@test(300, "mpi,nightly")
def nightly_two_hosts_writing_one_database_take_turns():
    """Two nightly runs at once writing one database (as two clusters' jobs share one on NFS):
    both end, both nights are stored whole (imports take turns under DB.lock), the database
    checks clean; a night that cannot get the lock in time says where its records are."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    env = mpi_env()
    jobs = []
    for name in ("a", "b"):
        with open(os.path.join(folder, f"{name}.toml"), "w") as f:
            f.write(NIGHTLY_SPEC.replace("RPH", "1").replace("fabric-nightly", f"fabric-{name}")
                    .replace('sizes = "64K:1M"', 'sizes = "64K:256K"').replace("out/", f"out-{name}/"))
        jobs.append(subprocess.Popen([BINARY, "nightly", f"{name}.toml", "--np", "2", "--db", "shared.db"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=folder))
    for j in jobs:
        out, err = j.communicate(timeout=200)
        check(j.returncode == 0, f"a night: exit {j.returncode}\n{err[-800:]}")
    for name in ("a", "b"):
        runs = subprocess.run([BINARY, "runs", "--db", os.path.join(folder, "shared.db"), "--label", f"spec=fabric-{name}",
                               "--json"], capture_output=True, text=True, timeout=60)
        stored = json.loads(runs.stdout)
        check(len(stored) == 1 and stored[0]["status"] == "complete" and stored[0]["cases"] == 3, f"{name}: {stored}")
    integrity = subprocess.run(["sqlite3", os.path.join(folder, "shared.db"), "PRAGMA integrity_check"],
                               capture_output=True, text=True, timeout=60)
    check(integrity.stdout.strip() == "ok", f"integrity: {integrity.stdout} {integrity.stderr}")
    # Someone holds the lock: the night waits --lock-timeout, then says where its records are.
    holder = subprocess.Popen(["flock", os.path.join(folder, "shared.db.lock"), "sleep", "60"], cwd=folder)
    try:
        time.sleep(0.5)
        p = subprocess.run([BINARY, "nightly", "a.toml", "--np", "2", "--db", "shared.db", "--lock-timeout", "2"],
                           capture_output=True, text=True, timeout=200, env=env, cwd=folder)
        check(p.returncode == 4 and "stayed locked" in p.stderr and "cclbench import" in p.stderr,
              f"locked: exit {p.returncode} {p.stderr[-600:]!r}")
    finally:
        holder.kill()
        holder.wait()


@test(400, "slurm,nightly")
def nightly_sbatch_template_under_a_real_slurm():
    """scripts/slurm/cclbench-nightly.sbatch submitted to a real one-node Slurm (sbatch --wait)
    with a tiny battery: the job ends, its exit state is the night's verdict, the run is in the
    database, the report and the Prometheus file exist; every daemon is stopped afterwards."""
    folder = tempfile.mkdtemp(prefix="cclbench-slurm-")
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(here, "..", "..", "scripts", "slurm", "local-cluster.sh")
    template = os.path.join(here, "..", "..", "scripts", "slurm", "cclbench-nightly.sbatch")
    p = subprocess.run([script, "start", folder], capture_output=True, text=True, timeout=60)
    if p.returncode == 77:
        raise Skip("no Slurm here: " + p.stderr.strip())
    check(p.returncode == 0, f"Slurm did not start: {p.stderr}")
    env = mpi_env({"SLURM_CONF": os.path.join(folder, "slurm.conf")})
    with open(os.path.join(folder, "n.toml"), "w") as f:
        f.write(NIGHTLY_SPEC.replace("RPH", "2"))
    try:
        db = os.path.join(folder, "h.db")
        p = subprocess.run(["sbatch", "--wait", "-N", "1", "--ntasks-per-node", "2", "--output",
                            os.path.join(folder, "job-%j.out"),
                            f"--export=ALL,CCLBENCH={BINARY},CCLBENCH_SPEC=n.toml,CCLBENCH_DB={db},CCLBENCH_WORKDIR={folder}",
                            template], env=env, capture_output=True, text=True, timeout=300, cwd=folder,
                           stdin=subprocess.DEVNULL)
        outputs = [os.path.join(folder, f) for f in os.listdir(folder) if f.startswith("job-")]
        log = open(outputs[0]).read() if outputs else ""
        check(p.returncode == 0, f"sbatch --wait: exit {p.returncode} {p.stderr}\n{log[-2000:]}")
        check("PASS" in log and "First night" in log, f"job output: {log[-1500:]}")
        check(os.path.exists(os.path.join(folder, "out", "report.html")) and
              os.path.exists(os.path.join(folder, "out", "cclbench.prom")), "report and Prometheus file")
        runs = subprocess.run([BINARY, "runs", "--db", db, "--tag", "nightly", "--json"], capture_output=True,
                              text=True, timeout=60)
        stored = json.loads(runs.stdout)
        check(len(stored) == 1 and stored[0]["ranks"] == 2 and stored[0]["status"] == "complete"
              and stored[0]["labels"].get("spec") == "fabric-nightly", f"stored: {runs.stdout[:600]}")
        head = json.loads(open(stored[0]["source_file"]).readline())
        check(head["launcher"] == "slurm" and head["launcher_interface"] == "pmix", f"launcher {head['launcher']}")
        # A floor no fabric meets: the job fails with the night's exit code 7.
        with open(os.path.join(folder, "n.toml"), "w") as f:
            f.write(NIGHTLY_SPEC.replace("RPH", "2").replace("min_busbw = 0.0001", "min_busbw = 100000"))
        p = subprocess.run(["sbatch", "--wait", "-N", "1", "--ntasks-per-node", "2", "--output",
                            os.path.join(folder, "job2-%j.out"),
                            f"--export=ALL,CCLBENCH={BINARY},CCLBENCH_SPEC=n.toml,CCLBENCH_DB={db},CCLBENCH_WORKDIR={folder}",
                            template], env=env, capture_output=True, text=True, timeout=300, cwd=folder,
                           stdin=subprocess.DEVNULL)
        check(p.returncode == 7, f"a broken floor: sbatch --wait exit {p.returncode} {p.stderr}")
    finally:
        subprocess.run([script, "stop", folder], timeout=60)


def pty_stderr(cmd, env, timeout=60):
    """Runs cmd with stderr on a pseudo-terminal; returns (exit code, what the terminal got)."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL,
                         env=env, cwd=tempfile.mkdtemp())
    os.close(slave)
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    try:
        return p.wait(timeout=10), data.decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        raise Failure(f"timed out: {cmd}")


@test(120)
def progress_line_reaches_the_users_terminal():
    args = ["run", "allreduce", "-b", "8", "-e", "64K", "-f", "8", "--no-db", "--no-jsonl", "-n", "3",
            "--samples", "3"]
    rc, got = pty_stderr([BINARY] + args + ["--np", "2"], mpi_env())
    check(rc == 0 and "[cclbench] allreduce" in got, f"self-launched: exit {rc}, terminal got {got[-500:]!r}")
    rc, got = pty_stderr(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", BINARY] + args, mpi_env())
    check(rc == 0 and "[cclbench] allreduce" in got, f"under mpirun: exit {rc}, terminal got {got[-500:]!r}")
    rc, got = pty_stderr([BINARY] + args + ["--np", "2", "--no-progress"], mpi_env())
    check(rc == 0 and "[cclbench]" not in got, f"--no-progress: {got[-500:]!r}")


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


@test(240)
def signals_end_a_self_launched_run_as_interrupted():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        folder = tempfile.mkdtemp(prefix="cclbench-it-")
        db, jsonl = os.path.join(folder, "h.db"), os.path.join(folder, f"run-{sig.name}.jsonl")
        p = subprocess.Popen([BINARY, "run", "allreduce", "-b", "8", "-e", "4M", "--np", "3", "--db", db,
                              "--jsonl", jsonl, "--no-progress", "--size-budget", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=mpi_env(),
                             cwd=folder, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # mid-sweep: some cases already written
                if os.path.exists(jsonl) and sum(1 for l in open(jsonl) if '"type":"case"' in l) >= 2:
                    break
                time.sleep(0.2)
            os.kill(p.pid, sig)
            stopped = time.monotonic()
            _, err = p.communicate(timeout=40)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
        check(p.returncode == 128 + sig, f"{sig.name}: expected exit {128 + sig}, got {p.returncode}: {err}")
        check(time.monotonic() - stopped < 20, f"{sig.name}: took {time.monotonic() - stopped:.1f}s to stop")
        ours = [l for l in err.splitlines() if l.startswith("cclbench: error:")]
        check(len(ours) == 1 and sig.name in ours[0] and "interrupted" in ours[0], f"{sig.name}: {err!r}")
        records = [json.loads(l) for l in open(jsonl) if l.strip()]
        end = records[-1]
        check(end["type"] == "end" and end["status"] == "interrupted" and end["exit_code"] == 128 + sig,
              f"{sig.name}: the records end with {end}")
        check(end["cases"] == len(records) - 2 and end["cases"] >= 2, f"{sig.name}: case count {end}")
        q = cclbench(["runs", "--db", db, "--status", "interrupted", "--json"])
        runs = json.loads(q.stdout) if q.returncode == 0 else []
        check(len(runs) == 1 and runs[0]["cases"] == end["cases"] and runs[0]["exit_code"] == 128 + sig,
              f"{sig.name}: the database holds {q.stdout} {q.stderr}")
        time.sleep(1)
        left = processes_mentioning(jsonl)
        check(not left, f"{sig.name}: processes outlived the command: {left}")
    # Ctrl-C to the user's own mpirun: Open MPI ends its ranks with SIGTERM (then SIGKILL within
    # about 10 ms); rank 0 still writes the end record, and the run is kept as interrupted.
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    db, jsonl = os.path.join(folder, "h.db"), os.path.join(folder, "under-mpirun.jsonl")
    p = subprocess.Popen(["mpirun", "--allow-run-as-root", "-np", "2", BINARY, "run", "allreduce", "-b", "8",
                          "-e", "4M", "--db", db, "--jsonl", jsonl, "--no-progress", "--size-budget", "1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=mpi_env(),
                         cwd=folder, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(jsonl) and sum(1 for l in open(jsonl) if '"type":"case"' in l) >= 2:
                break
            time.sleep(0.2)
        os.kill(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=40)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    end = json.loads([l for l in open(jsonl) if l.strip()][-1])
    check(end["type"] == "end" and end["status"] == "interrupted" and end["exit_code"] == 128 + signal.SIGTERM,
          f"under mpirun: the records end with {end}; stderr {err!r}")
    q = cclbench(["runs", "--db", db, "--status", "interrupted", "--json"])
    check(q.returncode == 0 and len(json.loads(q.stdout)) == 1, f"under mpirun: database {q.stdout}")
    check(not processes_mentioning(jsonl), "under mpirun: processes outlived mpirun")


@test(120, "mpi")
def gbench_program_finishes_with_every_benchmark():
    exe = os.path.join(os.path.dirname(BINARY), "bench", "cclbench_gbench")
    if not os.path.exists(exe):
        raise Skip("bench/cclbench_gbench is not built (needs Google Benchmark)")
    start = time.monotonic()
    p = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", exe,
                        "--benchmark_format=json", "--benchmark_min_time=0.05"],
                       capture_output=True, text=True, timeout=100, env=mpi_env(), stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr[-2000:]}")
    data = json.loads(p.stdout)
    got = {b["name"]: b for b in data["benchmarks"]}
    sizes = [1024 * 4 ** k for k in range(9)]  # 1 KiB .. 64 MiB
    want = [f"collective/{c}/{s}/manual_time" for c in ("allreduce", "allgather", "sendrecv") for s in sizes]
    missing = [w for w in want if w not in got]
    check(not missing, f"benchmarks missing: {missing}")
    for name in want:
        b = got[name]
        check(b["time_unit"] == "us" and b["real_time"] > 0 and b["iterations"] >= 1, f"{name}: {b}")
        batch = b["us_per_op"] * b["ops_per_iteration"]  # manual time is the whole batch
        check(abs(b["real_time"] - batch) <= 1e-6 * batch + 1e-3, f"{name}: real_time {b['real_time']} vs batch {batch}")
        check(b["wrong"] == 0, f"{name}: wrong data")
    print(f"{len(want)} benchmarks in {time.monotonic() - start:.1f}s")


@test(60, "mpi,ucx")
def ucp_floor_program_measures_each_mode():
    """bench/ucp_floor.cpp, the third program of scripts/bench-vs-ucx-perftest.py --floor."""
    exe = os.path.join(os.path.dirname(BINARY), "bench", "cclbench_ucp_floor")
    if not os.path.exists(exe):
        raise Skip("bench/cclbench_ucp_floor is not built (needs UCX, MPI and Google Benchmark)")
    def floor(*args):
        return subprocess.run(["mpirun", "--allow-run-as-root", "-np", "2", exe, *args],
                              capture_output=True, text=True, timeout=40, env=mpi_env(),
                              stdin=subprocess.DEVNULL)
    for mode, size, low, high in (("latency", "8", 0.01, 1000.0), ("latency-check", "8", 0.01, 1000.0),
                                  ("latency", "1048576", 1.0, 1e6), ("stream", "4096", 0.01, 1000.0)):
        p = floor(mode, size, "200", "3")
        check(p.returncode == 0, f"{mode} {size}: exit {p.returncode}: {p.stderr[-2000:]}")
        figure = float(p.stdout.split()[-1])
        check(low < figure < high, f"{mode} {size}: {figure} (us or GB/s) is not a measurement")
    p = floor("pingpong")
    check(p.returncode != 0 and "usage: mpirun -np 2 cclbench_ucp_floor" in p.stderr,
          f"a bad mode: exit {p.returncode}, {p.stderr[-500:]}")


@test(120, "mpi")
def history_scale_keeps_what_it_did_not_create():
    exe = os.path.join(os.path.dirname(BINARY), "bench", "cclbench_history_scale")
    if not os.path.exists(exe):
        raise Skip("bench/cclbench_history_scale is not built (needs SQLite)")
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    sentinel = os.path.join(folder, "mine.txt")
    open(sentinel, "w").write("the user's")
    for keep in (False, True):
        p = subprocess.run([exe, "--runs", "30", "--sizes", "1", "--repeat", "1", "--dir", folder]
                           + (["--keep"] if keep else []), capture_output=True, text=True, timeout=100)
        check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
        check(os.path.exists(sentinel), "--dir's own content was deleted")
        created = [e for e in os.listdir(folder) if e != "mine.txt"]
        check(len(created) == (1 if keep else 0), f"keep={keep}: left {created}")


# --------------------------------------------------------------------------------------------
# History, compare and report end to end: real sweeps into one database.

def cclbench(args, timeout=60, env=None):
    """Runs a cclbench subcommand (compare, report, runs...) that starts no ranks."""
    try:
        return subprocess.run([BINARY] + args, capture_output=True, text=True, timeout=timeout,
                              env=env or mpi_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"timed out after {timeout}s: cclbench {' '.join(args)}\n{e.stderr}")


# The same sweep over two of Open MPI's transports: shared memory (vader) and TCP loopback. Both
# use the ob1 PML, so the byte transport is the only difference; TCP is 1.5 to 3x slower from
# 64 KiB to 4 MiB on the 2-core CI machine (checked by hand: every size, every try).
SHARED_MEMORY = {"OMPI_MCA_btl": "self,vader", "OMPI_MCA_pml": "ob1"}
TCP_LOOPBACK = {"OMPI_MCA_btl": "self,tcp", "OMPI_MCA_pml": "ob1"}


def two_transport_runs(db, args):
    """Run 1 over shared memory, run 2 over TCP loopback, both saved in `db`."""
    for extra in (SHARED_MEMORY, TCP_LOOPBACK):
        r = expect_ok(run(args + ["--np", "2", "--no-progress", "--db", db, "--no-jsonl"],
                          env=mpi_env(extra), timeout=60))
        check("Avg bus bandwidth" in r.out, "no table printed: " + r.describe())


# TCP loopback with 2 KiB socket buffers and fragments (a misconfigured fabric): 50-100x slower
# than shared memory at 64-256 KiB here, so the comparison cannot flip with this VM's two speed
# modes or a loaded machine (plain TCP loopback is only 1.0-1.8x slower and did flip).
DEGRADED_TCP = dict(TCP_LOOPBACK, OMPI_MCA_btl_tcp_sndbuf="2048", OMPI_MCA_btl_tcp_rcvbuf="2048",
                    OMPI_MCA_btl_tcp_max_send_size="2048", OMPI_MCA_btl_tcp_eager_limit="2048")


@test(180, "mpi")
def compare_flags_tcp_slower_than_shared_memory():
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    db = os.path.join(folder, "history.db")
    args = ["allreduce", "-b", "64K", "-e", "256K", "-f", "4", "-n", "5", "--samples", "20",
            "--np", "2", "--no-progress", "--db", db, "--no-jsonl"]
    for extra in (SHARED_MEMORY, DEGRADED_TCP):  # run 1, run 2
        expect_ok(run(args, env=mpi_env(extra), timeout=90))
    p = cclbench(["compare", "1", "2", "--db", db, "--json"])
    check(p.returncode == 0, f"compare --json: exit {p.returncode}: {p.stderr}")
    cases = json.loads(p.stdout)["comparisons"][0]["cases"]
    check(len(cases) == 4, f"expected 2 sizes x 2 places compared, got {len(cases)}")
    summary = ", ".join(f"{c['size_bytes']}/{c['placement']}: {c['time_ratio']:.2f} {c['verdict']}"
                        for c in cases)
    check(all(c["verdict"] == "slower" and c["time_ratio"] > 1 for c in cases),
          f"the degraded TCP run should be flagged slower at every case: {summary}")
    p = cclbench(["compare", "1", "2", "--db", db, "--fail-on-regression"])
    check(p.returncode == 8, f"--fail-on-regression: expected exit 8, got {p.returncode}: {p.stderr}")
    check("regression" in p.stderr and "slower" in p.stdout, "the slowdown should be named: " + p.stderr)
    # The other way round nothing got slower: shared memory against the TCP baseline.
    p = cclbench(["compare", "2", "1", "--db", db, "--fail-on-regression"])
    check(p.returncode == 0, f"shared memory against TCP: expected exit 0, got {p.returncode}: {p.stdout}")
    print(summary)


def first_difference(got, want):
    """Where two lists of records first differ, for a readable failure."""
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            keys = sorted(k for k in set(g) | set(w) if g.get(k) != w.get(k))
            return f"line {i + 1} differs in {keys}"
    return f"{len(got)} lines against {len(want)}"


@test(120, "mpi")
def launcher_failures_are_one_line_and_exit_3():
    """A $CCLBENCH_MPIRUN that fails, and mpirun killed with SIGKILL mid-sweep: one line, exit 3,
    and no rank outlives the command."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    p = subprocess.run([BINARY, "run", "allreduce", "--np", "2", "--no-db", "--no-jsonl"], capture_output=True,
                       text=True, timeout=60, env=mpi_env({"CCLBENCH_MPIRUN": "/bin/false"}), cwd=folder,
                       stdin=subprocess.DEVNULL)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 3 and len(lines) == 1 and "/bin/false ended with status 1 before any rank said why" in lines[0],
          f"failing CCLBENCH_MPIRUN: {p.returncode} {p.stderr!r}")
    marker = os.path.join(folder, "marker.jsonl")  # in every rank's command line
    proc = subprocess.Popen([BINARY, "run", "allreduce", "--np", "2", "-b", "8", "-e", "256M", "--no-db",
                             "--jsonl", marker, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        mpirun = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and mpirun is None:
            time.sleep(0.2)
            if os.path.exists(marker + ".partial") or os.path.exists(marker):
                found = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
                mpirun = int(found[0]) if found else None
        check(mpirun is not None, "mpirun never started measuring")
        os.kill(mpirun, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    lines = [l for l in err.strip().splitlines() if l.startswith("cclbench:")]
    check(proc.returncode == 3 and len(lines) == 1 and "ended with signal 9" in lines[0],
          f"SIGKILL of mpirun: exit {proc.returncode}: {err[-600:]!r}")
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    check(not left, f"ranks outlived the command: {left}")


@test(60, "history")
def runs_filters_are_validated():
    """Every filter of `runs` that cannot match anything real is refused, not silently empty."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    db = os.path.join(folder, "h.db")
    osu = os.path.join(os.path.dirname(GOLDEN), "fixtures", "real-output", "osu-latency-ib-v5.3.2.txt")
    check(cclbench(["import", osu, "--db", db]).returncode == 0, "import a fixture")
    failures = []
    for args in (["--since", "garbage"], ["--since", "2026-13-01"], ["--since", "2026-02-30"],
                 ["--until", "2026-11-01T25:00"], ["--until", "2026-11-01T12:61"], ["--limit", "-1"],
                 ["--limit", "nan"], ["--status", "weird"], ["--label", "noequals"], ["--frobnicate"]):
        p = cclbench(["runs", "--db", db] + args)
        lines = p.stderr.strip().splitlines()
        if p.returncode != 6 or len(lines) != 1 or not lines[0].startswith("cclbench: error:"):
            failures.append(f"{args}: exit {p.returncode} {p.stderr!r}")
    for args in (["--since", "2024-02-29"], ["--until", "2030-01-01T00:00:00Z"], ["--limit", "0"]):
        p = cclbench(["runs", "--db", db] + args)
        if p.returncode != 0:
            failures.append(f"{args} is valid: exit {p.returncode} {p.stderr!r}")
    check(not failures, "\n".join(failures))


@test(180, "mpi")
def full_disk_database_keeps_measuring_into_jsonl():
    """The database on a filesystem that fills mid-sweep (a 256 KiB tmpfs in a private mount
    namespace): one warning naming the JSONL file and how to import it, the sweep finishes, exit
    0, and the JSONL file imports whole later."""
    if not shutil.which("unshare"):
        raise Skip("no unshare")
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    small, jsonl, db2 = os.path.join(folder, "small"), os.path.join(folder, "run.jsonl"), os.path.join(folder, "later.db")
    os.makedirs(small)
    script = ('mount -t tmpfs -o size=256k cclbench-full "$1" || exit 77; shift; exec "$@"')
    cmd = ["unshare", "-m", "sh", "-c", script, "sh", small, BINARY, "run", "allreduce", "--np", "2",
           "-b", "8", "-e", "4M", "--db", os.path.join(small, "h.db"), "--jsonl", jsonl, "--no-progress"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=150, env=mpi_env(), cwd=folder,
                       stdin=subprocess.DEVNULL)
    if p.returncode == 77 or p.stderr.startswith("unshare:"):
        # No private mount namespace here (no CAP_SYS_ADMIN, or a chroot whose root is no mount
        # point, as in fresh-ci): a shared one would leak the tmpfs to the host.
        raise Skip("cannot mount a private tmpfs here: " + p.stderr.strip()[:120])
    warnings = [l for l in p.stderr.splitlines() if "stopped taking this run" in l]
    check(p.returncode == 0 and "Result: OK" in p.stdout, f"full disk: exit {p.returncode}: {p.stderr[-800:]!r}")
    check(len(warnings) == 1 and f"cclbench import {jsonl}" in warnings[0] and "full" in warnings[0],
          f"one warning naming the import: {p.stderr[-800:]!r}")
    records = [json.loads(l) for l in open(jsonl)]
    check(records[-1]["type"] == "end" and records[-1]["status"] == "complete",
          f"the JSONL file is whole: {records[-1]}")
    q = cclbench(["import", jsonl, "--db", db2], timeout=60)
    check(q.returncode == 0, f"import later: {q.returncode} {q.stderr!r}")
    r = cclbench(["runs", "--db", db2, "--json"], timeout=60)
    stored = json.loads(r.stdout)
    check(len(stored) == 1 and stored[0]["status"] == "complete", f"imported run: {r.stdout[:400]}")


@test(120, "mpi")
def inputs_that_can_block_never_hang():
    """A FIFO without a writer, a device, and pipes from process substitution: imports and log
    inspections end (error or result) instead of waiting for ever; --hostfile <(...) works."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    fifo, db = os.path.join(folder, "fifo"), os.path.join(folder, "h.db")
    os.mkfifo(fifo)
    env = mpi_env({"CCLBENCH_INPUT_TIMEOUT": "2"})
    for args in (["import", fifo, "--db", db], ["inspect-log", fifo], ["compare", fifo, fifo]):
        start = time.monotonic()
        p = cclbench(args, timeout=30, env=env)
        lines = p.stderr.strip().splitlines()
        said = "no file" if args[0] == "compare" else "nothing written to this pipe"  # compare: files only
        check(p.returncode == 6 and len(lines) == 1 and said in lines[0]
              and time.monotonic() - start < 20, f"{args[0]} of a silent FIFO: {p.returncode} {p.stderr!r}")
    for device in ("/dev/zero", "/dev/null"):
        p = cclbench(["import", device, "--db", db], timeout=30, env=env)
        check(p.returncode == 6 and "is a device" in p.stderr, f"import {device}: {p.returncode} {p.stderr!r}")
    # A pipe with a writer (what <(...) gives): read as it comes.
    osu = os.path.join(os.path.dirname(GOLDEN), "fixtures", "real-output", "osu-latency-ib-v5.3.2.txt")
    read_end, write_end = os.pipe()
    writer = subprocess.Popen(["cat", osu], stdout=write_end)
    os.close(write_end)
    p = subprocess.run([BINARY, "import", f"/dev/fd/{read_end}", "--db", db], capture_output=True,
                       text=True, timeout=60, env=env, pass_fds=(read_end,), stdin=subprocess.DEVNULL)
    os.close(read_end)
    writer.wait(timeout=10)
    check(p.returncode == 0 and "24 cases" in p.stdout, f"import of a pipe: {p.returncode} {p.stdout!r} {p.stderr!r}")
    # mpirun alone reads a hostfile more than once and finds no nodes in a pipe; cclbench gives
    # it a copy, removed afterwards.
    read_end, write_end = os.pipe()
    os.write(write_end, b"localhost slots=2\n")
    os.close(write_end)
    tmp = os.path.join(folder, "tmp")
    os.makedirs(tmp)
    p = subprocess.run([BINARY, "run", "--np", "2", "--hostfile", f"/dev/fd/{read_end}", "-b", "8", "-e", "64",
                        "--no-db", "--no-progress"], capture_output=True, text=True, timeout=120,
                       env=mpi_env({"TMPDIR": tmp}), pass_fds=(read_end,), cwd=folder, stdin=subprocess.DEVNULL)
    os.close(read_end)
    check(p.returncode == 0 and "Result: OK" in p.stdout, f"--hostfile from a pipe: {p.returncode} {p.stderr[-600:]!r}")
    check(not [f for f in os.listdir(tmp) if f.startswith("cclbench-input-")], "the hostfile copy is removed")


@test(120, "mpi,asan")
def export_of_a_stored_run_is_what_run_wrote():
    """No field lost between run and history: the database gives back the JSONL file exactly,
    and so does a second database the file is imported into."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    db, db2, jsonl = (os.path.join(folder, n) for n in ("a.db", "b.db", "run.jsonl"))
    expect_ok(run(["allreduce", "sendrecv", "-b", "1K", "-e", "16K", "-f", "4", "--np", "2",
                   "-I", "1", "--per-iteration-count", "10", "--per-rank-times", "--db", db,
                   "--jsonl", jsonl, "--tag", "t1", "--label", "rack=A7", "--no-progress"],
                  cwd=folder))
    want = [json.loads(line) for line in open(jsonl) if line.strip()]
    check(want[0]["tags"] == ["t1"] and want[0]["labels"] == {"rack": "A7"}, "tags in the header")
    check(all("per_rank_samples_us" in c and "per_iteration" in c for c in want[1:-1]),
          "the run did not write every optional field")
    p = cclbench(["export", "--db", db])
    check(p.returncode == 0, f"export: {p.stderr}")
    got = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    check(got == want, "export differs from what run wrote: " + first_difference(got, want))
    p = cclbench(["import", jsonl, "--db", db2])
    check(p.returncode == 0, f"import: {p.stderr}")
    p = cclbench(["export", "--db", db2])
    got = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    check(got == want, "export after import differs: " + first_difference(got, want))
    p = cclbench(["runs", "--db", db2, "--tag", "t1", "--json"])
    check(p.returncode == 0 and len(json.loads(p.stdout)) == 1, "the header's tag is the run's tag")


# --------------------------------------------------------------------------------------------
# Tuning (Open MPI coll/tuned), end to end.

def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def case_medians(path):
    """size -> the median of every batch of the out-of-place cases of a records file."""
    out = {}
    for line in open(path):
        r = json.loads(line)
        if r["type"] == "case":
            out.setdefault(r["size_bytes"], []).extend(r["samples_us"])
    return {size: median(samples) for size, samples in out.items()}


@test(900, "mpi,tune")
def tune_finds_the_allreduce_cliff_and_its_rules_hold():
    """cclbench tune allreduce --backend mpi -b 4M -e 64M: the large-message cliff of Open MPI's
    default is found, a rules file is emitted, and fresh runs under the printed flags reproduce the
    validated speedups where the rules apply and slow down nothing else."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    out, db = os.path.join(folder, "tune"), os.path.join(folder, "h.db")
    start = time.monotonic()
    p = subprocess.run([BINARY, "tune", "allreduce", "--backend", "mpi", "-b", "4M", "-e", "64M",
                        "--np", "2", "--out", out, "--db", db], capture_output=True, text=True,
                       timeout=800, env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL)
    print(p.stdout)
    check(p.returncode == 0, f"tune: exit {p.returncode}: {p.stderr[-2000:]}")
    result = json.load(open(os.path.join(out, "tune.json")))
    check(result["schema"] == "cclbench.tune" and result["topology"]["ranks"] == 2, "tune.json header")
    rules = result["collectives"][0]["rules"]
    check(rules, "no rule held up: the cliff was not found\n" + open(os.path.join(out, "summary.md")).read())
    covered = {s["bytes"]: (r, s) for r in rules for s in r["sizes"]}
    check(max(covered) >= 32 << 20, f"no rule at the cliff (32-64 MiB): {sorted(covered)}")
    rules_file = result["files"]["openmpi_rules"]
    text = open(rules_file).read()
    check(text.startswith("# Open MPI coll/tuned dynamic rules written by cclbench"), "provenance comments")
    check("coll_tuned_dynamic_rules_filename " + rules_file in p.stdout, "the mpirun flags are printed")
    # Fresh runs under the emitted flags against the default, interleaved four times. On these
    # VMs a process runs at one of two speeds for its life: six launches of the default alone
    # ranged over 2x at 4 MiB (747-1604 us), and a median of four launches per side was once
    # 1.87x apart with no rule there. Each side's fastest launch is compared: that a
    # configuration can do (the slow speed comes from the machine, not from the rules).
    tuned_env = mpi_env({"OMPI_MCA_coll_tuned_use_dynamic_rules": "1",
                         "OMPI_MCA_coll_tuned_dynamic_rules_filename": rules_file})
    medians = {"default": [], "tuned": []}
    for i in range(4):
        for side, env in (("default", mpi_env()), ("tuned", tuned_env)):
            jsonl = os.path.join(folder, f"{side}-{i}.jsonl")
            expect_ok(run(["allreduce", "-b", "4M", "-e", "64M", "--place", "out", "--np", "2",
                           "--no-db", "--jsonl", jsonl, "--no-progress"], env=env, timeout=300, cwd=folder))
            medians[side].append(case_medians(jsonl))
    for size in medians["default"][0]:
        d = min(m[size] for m in medians["default"])
        t = min(m[size] for m in medians["tuned"])
        if size in covered and covered[size][1]["speedup"] >= 2:
            rule, s = covered[size]
            # Launch-to-launch variation on this machine is larger than a pooled interval: the
            # fresh speedup must reach the interval's lower end with 20% to spare.
            check(d / t >= 0.8 * s["speedup_ci"][0],
                  f"{size}: fresh speedup {d / t:.2f} against validated {s['speedup']:.2f} "
                  f"[{s['speedup_ci'][0]:.2f}, {s['speedup_ci'][1]:.2f}]")
        else:
            # A marginal rule (validated under 2x), or no rule at all, is inside this VM's 2x
            # launch-to-launch noise: a fresh 4 MiB check once read 0.66 against a validated 1.23
            # [1.19, 1.27], and fresh-ci once read the fastest of four tuned launches 1.83x slower
            # than the fastest default one at 4 MiB with no rule there (four launches per side by
            # hand: 1386-2519 us default, 1076-1519 us tuned). That the file leaves such sizes to
            # Open MPI is proved exactly by the unit tests of its lookup; here only a gross
            # slowdown can be told from noise (fresh-ci on 2026-12-01 read 2.04x at 4 MiB for a
            # marginal rule, inside the 2.15x range of the default alone: the bound is 2.5x).
            what = "a marginal rule" if size in covered else "with no rule there, the tuned flags"
            check(t / d <= 2.5, f"{size}: {what} made it {t / d:.2f}x slower on fresh launches")
    # Every launch is in the database, labelled with the tune.
    q = cclbench(["runs", "--db", db, "--label", "tune=" + result["tune_id"], "--json"])
    check(q.returncode == 0 and len(json.loads(q.stdout)) >= 3 + 6, f"runs --label: {q.stdout[-300:]}")
    q = cclbench(["compare", f"tune:{result['tune_id']}:default", f"tune:{result['tune_id']}:tuned",
                  "--db", db, "--json"])
    check(q.returncode == 0, f"compare tune:ID:default tune:ID:tuned: {q.stderr}")
    # The report of the tune: every candidate by size, the winners, the validated speedups.
    html = os.path.join(folder, "tune.html")
    q = cclbench(["report", "tune:" + result["tune_id"], "--db", db, "--out", html, "--markdown"])
    check(q.returncode == 0, f"report tune:ID: {q.stderr}")
    page = open(html).read()
    check("<h2>Tuning</h2>" in page and "★" in page and "validated speedup" in page, "the tuning tables")
    check("default (validation, 3 launches)" in page and "tuned (validation, 3 launches)" in page,
          "the validation launches pooled into one run each")
    check("validated faster at" in q.stdout, f"the Markdown summary names the validated sizes: {q.stdout}")
    print(f"tune and checks in {time.monotonic() - start:.0f}s")




@test(300, "mpi,tune")
def mpi_candidates_switch_per_communicator_inside_one_launch():
    """run --candidates over MPI: every candidate of the file in one launch, each forced through
    coll/tuned's variables (MPI_T) on a fresh communicator. The records carry the candidates;
    the forcing is in effect (ring at 8 B, measured in the same process as the default, takes
    two message steps on 2 ranks where the default's recursive doubling takes one); an algorithm
    Open MPI does not have is one line and exit 6; with dynamic rules switched off by the user,
    exit 5. --stop-outpaced stops a candidate that lost clearly against the one before it."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    sweeps = [{"collective": "allreduce", "candidate": {}, "sizes": [8, 65536]},
              {"collective": "allreduce", "candidate": {"algorithm": "4"}, "sizes": [8, 65536]},
              {"collective": "allreduce", "candidate": {"algorithm": "5", "segsize": "131072"}, "sizes": [65536]},
              {"collective": "allgather", "candidate": {"algorithm": "2"}, "sizes": [65536]},
              {"collective": "allreduce", "candidate": {}, "sizes": [8]}]
    file = os.path.join(folder, "candidates.json")
    json.dump(sweeps, open(file, "w"))
    jsonl = os.path.join(folder, "c.jsonl")
    r = expect_ok(run(["--backend", "mpi", "--np", "2", "--candidates", file, "-d", "float", "--place", "out",
                       "--jsonl", jsonl, "--no-db", "--no-progress"], timeout=240, cwd=folder))
    records = [json.loads(l) for l in open(jsonl)]
    validate_records(records, expected_ranks=2)
    cases = [c for c in records if c["type"] == "case"]
    got = [(c["collective"], c.get("candidate", {}), c["size_bytes"]) for c in cases]
    want = [(s["collective"], s["candidate"], size) for s in sweeps for size in s["sizes"]]
    check(got == want, f"one case per candidate and size, in the file's order: {got}")
    check(all(c["wrong"] == 0 for c in cases), "every candidate's data checked")
    time_of = {}
    for c in cases:
        time_of.setdefault((json.dumps(c.get("candidate", {})), c["size_bytes"]), []).append(c["time_us"]["median"])
    default_small = min(time_of[(json.dumps({}), 8)])
    ring_small = time_of[(json.dumps({"algorithm": "4"}), 8)][0]
    # Measured: 1.33 us against 0.71 for the default on one VM of this kind. (The 64 MiB cliff
    # of the issue, basic_linear 78 against 136-165 ms, is one machine's: another read 44
    # against 55 ms, so it proves nothing here.) Unforced, both would be the default.
    check(ring_small > 1.3 * default_small,
          f"ring at 8 B {ring_small:.2f} us against the default's {default_small:.2f} us: not forced?")

    # --stop-outpaced (the race's last round): ring at 8 B, measured after the default, has lost
    # clearly and stops after a few batches, where unreachable precision would run it 0.5 s.
    raced = os.path.join(folder, "raced.json")
    json.dump([{"collective": "allreduce", "candidate": {}, "sizes": [8]},
               {"collective": "allreduce", "candidate": {"algorithm": "4"}, "sizes": [8]}], open(raced, "w"))
    jsonl = os.path.join(folder, "raced.jsonl")
    expect_ok(run(["--backend", "mpi", "--np", "2", "--candidates", raced, "--stop-outpaced", "0", "-d", "float", "--place", "out",
                   "--precision", "0.00001", "--size-budget", "0.5", "--jsonl", jsonl, "--no-db",
                   "--no-progress"], timeout=120, cwd=folder))
    default_case, ring_case = [json.loads(l) for l in open(jsonl) if json.loads(l)["type"] == "case"]
    check(default_case["stop_reason"] == "budget", f"the default ran to the budget: {default_case['stop_reason']}")
    check(ring_case["stop_reason"] == "outpaced" and len(ring_case["samples_us"]) < 20,
          f"ring at 8 B: {ring_case['stop_reason']} after {len(ring_case['samples_us'])} batches")
    for args, what in ((["--stop-outpaced", "0"], "needs --candidates"),
                       (["--candidates", raced, "--stop-outpaced", "-1"], "0 or more"),
                       (["--candidates", raced, "--stop-outpaced", "0", "--samples", "3"], "not with --samples")):
        r = run(["--backend", "mpi", "--np", "2", "--no-db", "--no-jsonl"] + args, timeout=60, cwd=folder)
        check(r.rc == 6 and what in r.err, f"{args}: {r.describe()}")

    bad = os.path.join(folder, "bad.json")
    json.dump([{"collective": "allreduce", "candidate": {"algorithm": "99"}, "sizes": [1024]}], open(bad, "w"))
    r = run(["--backend", "mpi", "--np", "2", "--candidates", bad, "--no-db", "--no-jsonl"], timeout=120, cwd=folder)
    check(r.rc == 6 and "coll_tuned_allreduce_algorithm = 99" in r.err, f"algorithm 99: {r.describe()}")
    off = mpi_env({"OMPI_MCA_coll_tuned_use_dynamic_rules": "0"})
    r = run(["--backend", "mpi", "--np", "2", "--candidates", file, "--no-db", "--no-jsonl"], timeout=120,
            cwd=folder, env=off)
    check(r.rc == 5 and "coll_tuned_use_dynamic_rules is off" in r.err, f"dynamic rules off: {r.describe()}")
    r = run(["--backend", "ucx", "--np", "2", "--candidates", file, "--no-db", "--no-jsonl"], timeout=60, cwd=folder)
    check(r.rc == 6 and "--candidates applies to the NCCL and MPI backends" in r.err, f"ucx: {r.describe()}")


@test(600, "mpi,tune")
def tune_keeps_going_past_a_failing_candidate_and_honours_the_budget():
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    # The hidden test switch: launches of recursive doubling corrupt an element (exit 7).
    env = mpi_env({"CCLBENCH_TEST_CORRUPT_CANDIDATE": "algorithm=3"})
    # Exhaustive checks every candidate's data: recursive doubling fails, alone, and the rest is
    # measured.
    out = os.path.join(folder, "t")
    p = subprocess.run([BINARY, "tune", "allreduce", "-b", "64K", "-e", "256K", "--np", "2", "--out", out,
                        "--no-db", "--strategy", "exhaustive"], capture_output=True, text=True,
                       timeout=500, env=env, cwd=folder, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"tune: exit {p.returncode}: {p.stderr[-2000:]}")
    result = json.load(open(os.path.join(out, "tune.json")))
    candidates = result["collectives"][0]["candidates"]
    failed = [c for c in candidates if c["failed"]]
    check(len(failed) == 1 and failed[0]["candidate"] == {"algorithm": "3"},
          f"recursive doubling should fail alone: {[c['description'] for c in failed]}")
    check("wrong elements" in failed[0]["failure"], f"a failed candidate names why: {failed[0]['failure']}")
    check(len(candidates) == 12 and all(c["sizes"] for c in candidates if not c["failed"]), "the search went on")
    # The race screens without the data check: the corrupting candidate is caught wherever it
    # survives to the last round, and never wins anywhere.
    out = os.path.join(folder, "r")
    p = subprocess.run([BINARY, "tune", "allreduce", "-b", "64K", "-e", "256K", "--np", "2", "--out", out,
                        "--no-db"], capture_output=True, text=True, timeout=500,
                       env=env, cwd=folder, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"race: exit {p.returncode}: {p.stderr[-2000:]}")
    result = json.load(open(os.path.join(out, "tune.json")))
    tune = result["collectives"][0]
    bad = [c["description"] for c in tune["candidates"] if c["candidate"] == {"algorithm": "3"}]
    check(bad and all(name not in bad for name in tune["best"].values()), f"best: {tune['best']}")
    check(all(r["candidate"] != {"algorithm": "3"} for r in tune["rules"] + tune["dropped"]),
          "a corrupting candidate was proposed")
    # A budget it cannot meet: cut short, the default still measured, exit 0.
    out2 = os.path.join(folder, "t2")
    p = subprocess.run([BINARY, "tune", "allreduce", "-b", "64K", "-e", "256K", "--np", "2", "--out", out2,
                        "--no-db", "--budget", "0.5"], capture_output=True, text=True, timeout=300,
                       env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL)
    check(p.returncode == 0 and "cut short" in p.stdout, f"--budget 0.5: exit {p.returncode}: {p.stdout[-800:]}")
    check(json.load(open(os.path.join(out2, "tune.json")))["search"]["cut_short"], "tune.json says cut short")


@test(120, "mpi,tune")
def tune_leaves_out_sizes_that_round_to_zero_elements():
    """tune allgather -b 8 on 2 ranks: run skips 8 and 16 B (0 floats per rank), and the tune
    leaves them out instead of failing the default (it did, on the default 8 B to 256 MiB)."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    out = os.path.join(folder, "tune")
    p = subprocess.run([BINARY, "tune", "allgather", "--backend", "mpi", "-b", "8", "-e", "64",
                        "--np", "2", "--out", out, "--no-db"], capture_output=True, text=True,
                       timeout=100, env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"tune: exit {p.returncode}: {p.stderr[-1500:]}")
    result = json.load(open(os.path.join(out, "tune.json")))
    c = result["collectives"][0]
    check(c["unmeasured_sizes"] == [8, 16], f"unmeasured_sizes {c['unmeasured_sizes']}")
    check(sorted(int(b) for b in c["best"]) == [32, 64], f"best at {sorted(c['best'])}")
    check(not any(x["failed"] for x in c["candidates"]), "no candidate failed for the skipped sizes")
    check("8 B, 16 B not measured" in p.stdout, f"the console says so: {p.stdout[-800:]}")


@test(120, "model")
def predict_and_model_tune_through_the_binary():
    """cclbench predict and tune --backend model: modelled outputs, labelled so, written whole,
    never in the results database; bad input is one line and exit 6."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    p = cclbench(["predict", "allreduce", "--topology", "h100-8gpu-ib400", "-b", "1K", "-e", "16G", "-f", "1024"],
                 timeout=60)
    check(p.returncode == 0 and "MODELLED" in p.stdout, f"predict: {p.returncode} {p.stderr!r}")
    rows = [l.split() for l in p.stdout.splitlines() if l and not l.startswith("#")]
    check([int(r[0]) for r in rows] == [1024, 1 << 20, 1 << 30], f"sizes {rows}")
    check(rows[-1][1] == "nvls/simple" and 440 < float(rows[-1][5]) < 500, f"16 GiB on one H100 node: {rows[-1]}")
    toml = os.path.join(folder, "rack.toml")
    with open(toml, "w") as f:
        f.write('preset = "h100-8gpu-ib400"\nnodes = 64\nnic_Gbps = 200\n')
    p = cclbench(["predict", "allgather", "--topology", toml, "--json", "-b", "1M", "-e", "1M"], timeout=60)
    check(p.returncode == 0, f"predict --json: {p.returncode} {p.stderr!r}")
    doc = json.loads(p.stdout)
    check(doc["modelled"] is True and doc["topology"]["ranks"] == 512, f"json {doc['topology']}")
    check(doc["predictions"][0]["collective"] == "allgather", "one prediction")

    db = os.path.join(folder, "h.db")
    out = os.path.join(folder, "tune")
    p = subprocess.run([BINARY, "tune", "allreduce", "broadcast", "--backend", "model", "--topology",
                        "h100-8gpu-ib400", "--nodes", "8", "--model-seed", "3", "-b", "8", "-e", "1G",
                        "--out", out, "--db", db], capture_output=True, text=True, timeout=100, cwd=folder,
                       stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"tune --backend model: {p.returncode} {p.stderr[-1500:]}")
    check("MODELLED" in p.stdout, "the console says modelled")
    result = json.load(open(os.path.join(out, "tune.json")))
    check(result["modelled"] is True and result["topology"]["ranks"] == 64, "tune.json is labelled modelled")
    check(not os.path.exists(db), "a modelled tune writes nothing to the results database")
    check(not [f for f in os.listdir(out) if f.endswith(".partial")], "no partial file")
    if any(c["rules"] for c in result["collectives"]):
        conf = open(os.path.join(out, "nccl-tuner.conf")).read()
        check("MODELLED" in conf and ",8,64" in conf, f"config bounded to 8 nodes, 64 ranks: {conf[:400]}")
        check("CCLBENCH_TUNER_CONFIG=" in p.stdout, "the job's lines are printed")

    # An inherited NCCL setting would be in every launch of a tune, the defaults included.
    p = cclbench(["tune", "--backend", "nccl", "allreduce"], env=mpi_env({"NCCL_ALGO": "ring"}))
    check(p.returncode == 6 and "unset NCCL_ALGO" in p.stderr, f"NCCL_ALGO set: {p.returncode} {p.stderr!r}")

    # --plan runs nothing and writes nothing; with a topology it is a dry run on the model.
    plan_dir = tempfile.mkdtemp(prefix="cclbench-it-")
    for args, expect in [(["tune", "--backend", "nccl", "--plan", "--topology", "h100-8gpu-ib400", "--nodes", "128"],
                          ["dry run on the model", "1024 GPUs", "untimed algorithm probe launch", "estimated wall time"]),
                         (["tune", "--backend", "model", "--topology", "h100-8gpu-ib400", "--plan"],
                          ["dry run on the model", "estimated wall time"]),
                         (["tune", "allreduce", "--plan", "--np", "2"], ["12 candidates", "one launch per round"]),
                         (["tune", "allreduce", "--plan", "--np", "2", "--apply", "launch"], ["one launch per trial"])]:
        p = subprocess.run([BINARY] + args, capture_output=True, text=True, timeout=60, cwd=plan_dir,
                           env=mpi_env(), stdin=subprocess.DEVNULL)
        check(p.returncode == 0 and all(e in p.stdout for e in expect), f"{args}: {p.returncode} {p.stdout[-600:]} {p.stderr!r}")
    check(os.listdir(plan_dir) == [], f"--plan wrote {os.listdir(plan_dir)}")

    for args, text in [(["predict"], "--topology"), (["predict", "--topology", "dgx-9000"], "neither a preset"),
                       (["predict", "alltoall", "--topology", "h100-8gpu-ib400"], "not alltoall"),
                       (["tune", "--backend", "model"], "needs --topology"),
                       (["tune", "--topology", "h100-8gpu-ib400"], "give --backend model"),
                       (["tune", "alltoall", "--backend", "model", "--topology", "h100-8gpu-ib400"], "not alltoall"),
                       (["tune", "--backend", "model", "--topology", toml + ".missing"], "neither a preset"),
                       (["run", "--backend", "mpi", "--nccl-force", "ring/simple"], "NCCL backend only"),
                       (["tune", "--process-knobs", "NTHREADS"], "give --backend nccl"),
                       (["tune", "--backend", "nccl", "--process-knobs", "ALGO"], "no knob 'ALGO'")]:
        p = cclbench(args, timeout=60)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 6 and len(lines) == 1 and text in lines[0], f"{args}: exit {p.returncode}: {p.stderr!r}")


NETNS_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "netns-hosts.sh")


class NetnsHosts:
    """`with NetnsHosts(prefix, subnet, n) as hosts:` n network-namespace hosts from
    scripts/netns-hosts.sh (skips where namespaces cannot be made or entered); hosts.env reaches
    them through mpirun, hosts.names lists them, hosts.script(...) runs the script. On leaving,
    `down`, and a check that nothing is left: no namespace, link, hosts line, state folder or
    process of theirs."""

    def __init__(self, prefix, subnet, n):
        self.prefix, self.subnet, self.n = prefix, subnet, n
        self.script_env = dict(os.environ, CCLBENCH_NETNS_PREFIX=prefix, CCLBENCH_NETNS_SUBNET=subnet)

    def script(self, *args, timeout=60):
        return subprocess.run([NETNS_SCRIPT] + list(args), capture_output=True, text=True, timeout=timeout,
                              env=self.script_env)

    def __enter__(self):
        if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tc"):
            raise Skip("needs root, ip and tc (iproute2)")
        # Namespaces can be made, and entered: in a chroot whose root is no mount point (fresh-ci)
        # `ip netns add` works but entering one fails ("mount --make-rslave / failed").
        probe = subprocess.run(["sh", "-c", f"ip netns add {self.prefix}probe && ip -n {self.prefix}probe link set lo up"],
                               capture_output=True, text=True, timeout=30)
        subprocess.run(["ip", "netns", "del", f"{self.prefix}probe"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            raise Skip("network namespaces cannot be entered here: " + probe.stderr.strip()[:160])
        up = self.script("up", str(self.n))
        if up.returncode != 0:
            self.script("down")
            raise Failure(f"up: {up.returncode} {up.stderr!r}")
        settings = self.script("env").stdout
        self.env = mpi_env(dict(l[len("export "):].split("=", 1) for l in settings.splitlines()
                                if l.startswith("export ")))
        self.env.pop("OMPI_MCA_rmaps_base_oversubscribe", None)
        self.names = [f"{self.prefix}h{i}" for i in range(1, self.n + 1)]
        check(self.env.get("CCLBENCH_NETNS_HOSTS") == ",".join(self.names), f"env: {settings!r}")
        return self

    def __exit__(self, kind, value, trace):
        down = self.script("down")
        if kind is not None:
            return False
        check(down.returncode == 0, f"down: {down.stderr!r}")
        left = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        check(self.prefix not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
              "a namespace was left")
        check(not re.search(rf"\b{self.prefix}(v\d+|br0)\b", left), f"a link was left: {left}")
        check(f"cclbench-netns-{self.prefix}" not in open("/etc/hosts").read(), "an /etc/hosts line was left")
        check(not os.path.exists(f"/tmp/cclbench-netns-{self.prefix}"), "the state folder was left")
        check(not processes_mentioning(self.subnet + "."), "a process of the namespace hosts was left")
        return False


@test(300, "netns")
def netns_hosts_carry_ranks_show_a_shaped_link_and_leave_nothing():
    """scripts/netns-hosts.sh: three namespace hosts, real ranks on two of them through mpirun and
    the script's rsh agent (each rank on its own host name), one host's link shaped to 200 Mbit
    is seen in the bandwidth, and `down` leaves no namespace, link, hosts line or state file."""
    with NetnsHosts("cbit", "10.213.9", 3) as hosts:
        def bandwidth(pair):
            folder = tempfile.mkdtemp(prefix="cclbench-it-")
            jsonl = os.path.join(folder, "r.jsonl")
            p = subprocess.run([BINARY, "run", "sendrecv", "--hosts", pair, "--np", "2", "-b", "1M", "-e", "1M",
                                "-n", "10", "--samples", "3", "--no-db", "--jsonl", jsonl, "--no-progress"],
                               capture_output=True, text=True, timeout=120, env=hosts.env, cwd=folder,
                               stdin=subprocess.DEVNULL)
            check(p.returncode == 0, f"run on {pair}: {p.returncode} {p.stderr[-800:]!r}")
            records = [json.loads(l) for l in open(jsonl)]
            check([h["host"] for h in records[0]["hosts"]] == pair.split(","), f"hosts {records[0]['hosts']}")
            return [r for r in records if r["type"] == "case"][0]["busbw_gbps"]

        healthy = bandwidth("cbith1,cbith2")
        shaped = hosts.script("shape", "cbith2", "200mbit")
        check(shaped.returncode == 0, f"shape: {shaped.stderr!r}")
        slow, other = bandwidth("cbith1,cbith2"), bandwidth("cbith1,cbith3")
        check(slow < 0.5 * other and slow < 0.5 * healthy,
              f"200 Mbit link: {slow:.3f} GB/s against {other:.3f} (other pair) and {healthy:.3f} (before)")


ACCEPT_SPEC = """
name = "netns-rack"
ranks_per_host = 1
timeout = 20

[expect]
fingerprint = "same"

[[check]]
name = "all-hosts allreduce"
collective = "allreduce"
scope = "all"
sizes = "256K:1M"
min_busbw = 0.02

[[check]]
name = "host pairs"
collective = "sendrecv"
scope = "pairs"
sizes = "1M"
min_fraction_of_median = 0.5
"""


def accept(hosts, folder, *extra, timeout=400):
    """`cclbench accept` of ACCEPT_SPEC on the namespace hosts: (exit code, JSON verdicts, seconds, stderr)."""
    spec = os.path.join(folder, "rack.toml")
    with open(spec, "w") as f:
        f.write(ACCEPT_SPEC)
    out = os.path.join(folder, f"accept-{len(os.listdir(folder))}.json")
    start = time.time()
    p = subprocess.run([BINARY, "accept", spec, "--hosts", ",".join(hosts.names), "--json-out", out,
                        "--junit", out + ".xml", "--db", os.path.join(folder, "r.db")] + list(extra),
                       capture_output=True, text=True, timeout=timeout, env=hosts.env, cwd=folder,
                       stdin=subprocess.DEVNULL)
    seconds = time.time() - start
    check(os.path.exists(out), f"no --json-out: exit {p.returncode}\n{p.stdout}\n{p.stderr[-2000:]}")
    with open(out) as f:
        verdicts = json.load(f)
    check(verdicts["exit_code"] == p.returncode, f"JSON exit {verdicts['exit_code']} vs {p.returncode}")
    return p.returncode, verdicts, seconds, p.stdout + p.stderr


@test(600, "netns,accept")
def accept_on_4_netns_hosts_passes_names_a_shaped_host_and_a_silent_one():
    """`cclbench accept` on 4 namespace hosts: all healthy -> PASS (exit 0, no suspect, JUnit,
    every job stored with its labels); one host's link shaped to 50 Mbit -> FAIL (exit 7) naming
    exactly that host; one host cut off (link down) and one dropping every packet -> named
    unreachable (exit 4) within the timeout, the others still judged; nothing left behind."""
    with NetnsHosts("cbac", "10.213.12", 4) as hosts:
        folder = tempfile.mkdtemp(prefix="cclbench-it-")
        rc, v, _, text = accept(hosts, folder)
        check(rc == 0 and v["verdict"] == "PASS" and v["suspects"] == [], f"healthy: exit {rc}\n{text}")
        check(all(h["status"] == "ok" for h in v["hosts"].values()), f"healthy hosts: {v['hosts']}")
        check(v["rounds"] == 2, f"healthy: {v['rounds']} rounds (one per check)\n{text}")
        xml = open(os.path.join(folder, "accept-1.json.xml")).read()
        check('tests="6" failures="0"' in xml, f"junit: {xml[:300]}")
        runs = subprocess.run([BINARY, "runs", "--db", os.path.join(folder, "r.db"), "--tag", "acceptance",
                               "--label", "spec=netns-rack", "--label", "check=host pairs", "--json"],
                              capture_output=True, text=True, timeout=60)
        check(runs.returncode == 0 and len(json.loads(runs.stdout)) == 2, f"stored pair jobs: {runs.stdout[:600]}")

        check(hosts.script("shape", "cbach3", "50mbit").returncode == 0, "shape")
        rc, v, _, text = accept(hosts, folder)
        check(rc == 7 and v["verdict"] == "FAIL", f"shaped cbach3: exit {rc}\n{text}")
        check(v["suspects"] == ["cbach3"], f"shaped cbach3: suspects {v['suspects']}\n{text}")
        pairs = [c for c in v["checks"] if c["name"] == "host pairs"][0]
        check(pairs["bad_hosts"] == ["cbach3"] and pairs["evidence"], f"pairs check: {pairs}")
        hosts.script("unshape", "cbach3")

        for how, undo in (("cut", "uncut"), ("drop", "undrop")):
            check(hosts.script(how, "cbach2").returncode == 0, how)
            rc, v, seconds, text = accept(hosts, folder)
            check(rc == 4 and v["hosts"]["cbach2"]["status"] == "unreachable",
                  f"{how} cbach2: exit {rc} {v['hosts']['cbach2']}\n{text}")
            check(all(v["hosts"][h]["status"] == "ok" for h in ("cbach1", "cbach3", "cbach4")), f"{how}: {v['hosts']}")
            check(all(c["verdict"] == "PASS" for c in v["checks"]), f"{how}: the others are judged: {v['checks']}")
            # the gate's deadline is the spec's timeout (20 s); the checks on 3 hosts take seconds
            check(seconds < 120, f"{how}: {seconds:.0f} s")
            hosts.script(undo, "cbach2")


@test(400, "netns,matrix")
def matrix_on_4_netns_hosts_flags_exactly_the_pairs_of_a_shaped_host():
    """`cclbench matrix` on 4 namespace hosts: 3 rounds of disjoint pairs, every pair measured
    once; with one host's link shaped to 50 Mbit the flagged pairs are exactly the three touching
    it (exit 7); stored tagged matrix; without hosts it is exit 6 with one line."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    q = subprocess.run([BINARY, "matrix", "--no-db"], capture_output=True, text=True, timeout=60, env=mpi_env(),
                       cwd=folder)
    check(q.returncode == 6 and "--hosts" in q.stderr and len(q.stderr.strip().splitlines()) == 1,
          f"no hosts: {q.returncode} {q.stderr!r}")
    with NetnsHosts("cbmx", "10.213.14", 4) as hosts:
        check(hosts.script("shape", "cbmxh3", "50mbit").returncode == 0, "shape")
        out = os.path.join(folder, "m.json")
        p = subprocess.run([BINARY, "matrix", "--hosts", ",".join(hosts.names), "--bw-size", "64K", "-T", "30",
                            "--json-out", out, "--db", os.path.join(folder, "r.db")], capture_output=True, text=True,
                           timeout=300, env=hosts.env, cwd=folder, stdin=subprocess.DEVNULL)
        check(p.returncode == 7, f"matrix: exit {p.returncode}\n{p.stdout}\n{p.stderr[-1500:]}")
        m = json.load(open(out))
        check(m["rounds"] == 3 and len(m["pairs"]) == 6, f"{m['rounds']} rounds, {len(m['pairs'])} pairs")
        seen = {tuple(sorted((x["a"], x["b"]))) for x in m["pairs"]}
        check(len(seen) == 6, f"every pair once: {seen}")
        flagged = {tuple(sorted((x["a"], x["b"]))) for x in m["pairs"] if x["flagged"]}
        touching = {pair for pair in seen if "cbmxh3" in pair}
        check(flagged == touching, f"flagged {flagged}, expected {touching}\n{p.stdout}")
        check(all(x["ran"] and x["latency_us"] > 0 for x in m["pairs"]), f"{m['pairs']}")
        runs = subprocess.run([BINARY, "runs", "--db", os.path.join(folder, "r.db"), "--tag", "matrix", "--json"],
                              capture_output=True, text=True, timeout=60)
        check(len(json.loads(runs.stdout)) == 12, f"stored jobs: {runs.stdout[:300]}")
        # `cclbench report matrix:ID` draws the same matrix again from the history
        flagged_report = report_matrix(p.stderr, os.path.join(folder, "r.db"), folder, 4, m)
        check(flagged_report == {"%s - %s" % pair for pair in sorted(touching)},
              f"report flagged {flagged_report}, matrix {touching}")
        # The same as pairs of ranks, one per host, inside one job per metric (run --all-pairs):
        # exactly the pairs of the rank on the shaped host are flagged.
        out = os.path.join(folder, "ranks.json")
        p = subprocess.run([BINARY, "matrix", "--np", "4", "--hosts", ",".join(hosts.names), "--bw-size", "64K",
                            "-T", "30", "--json-out", out, "--no-db", "--out", os.path.join(folder, "ranks")],
                           capture_output=True, text=True, timeout=300, env=hosts.env, cwd=folder,
                           stdin=subprocess.DEVNULL)
        check(p.returncode == 7, f"matrix --np: exit {p.returncode}\n{p.stdout}\n{p.stderr[-1500:]}")
        m = json.load(open(out))
        check(m["members"] == "ranks" and m["rounds"] == 3 and len(m["pairs"]) == 6, f"{m}")
        flagged = {tuple(sorted((x["a"], x["b"]))) for x in m["pairs"] if x["flagged"]}
        touching = {tuple(sorted((x["a"], x["b"]))) for x in m["pairs"] if "@cbmxh3" in x["a"] + " " + x["b"]}
        check(len(touching) == 3 and flagged == touching, f"flagged {flagged}, expected {touching}\n{p.stdout}")


def report_matrix(matrix_stderr, db, folder, members, matrix_json):
    """`cclbench report matrix:ID` for the ID a matrix printed: the page has a bandwidth and a
    latency heat map of members x members cells and no run charts, its median pair bandwidth is
    the matrix's own (read again from the stored records); returns the flagged pairs the Markdown
    summary names."""
    found = re.search(r"stored as matrix:(\S+) ", matrix_stderr)
    check(found, f"the matrix names its id: {matrix_stderr[-800:]}")
    page = os.path.join(folder, "matrix-report.html")
    r = subprocess.run([BINARY, "report", "matrix:" + found.group(1), "--db", db, "--out", page, "--markdown"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"report matrix: exit {r.returncode} {r.stderr}")
    html = open(page).read()
    check(html.count("<svg") == 2 and html.count("<rect") == 2 * members * members, "report heat maps")
    check("<h2>At the largest size</h2>" not in html, "a matrix report has no run charts")
    line = [l for l in r.stdout.splitlines() if l.startswith("matrix " + found.group(1) + ":")]
    check(len(line) == 1, f"markdown: {r.stdout}")
    median = "median pair bandwidth %s GB/s" % ("%.3g" % matrix_json["median_bandwidth_gbps"])
    check(median in line[0], f"report: {line[0]}; matrix: {median}")
    check(subprocess.run([BINARY, "compare", "matrix:" + found.group(1), "matrix:" + found.group(1), "--db", db],
                         capture_output=True, text=True, timeout=60).returncode == 6, "compare refuses matrix:")
    named = line[0].rstrip(".").split(" flagged: ")
    return set(named[1].split(", ")) if len(named) == 2 else set()


@test(240, "mpi,ucx,matrix")
def matrix_np_4_every_pair_of_local_ranks_over_mpi_and_ucx():
    """`cclbench matrix --np 4` on this host over MPI and UCX: one `run --all-pairs` job per metric,
    3 rounds of 2 pairs at once, every pair of ranks measured once and named rank@host, JSON and
    an HTML page with a heat map per metric; bad --np values are exit 6 with one line. (Which
    pairs are slow is the namespace-host test's: 4 ranks on 2 cores only measure the scheduler.)"""
    for backend in ("mpi", "ucx"):
        folder = tempfile.mkdtemp(prefix="cclbench-it-")
        out, page = os.path.join(folder, "m.json"), os.path.join(folder, "m.html")
        db = os.path.join(folder, "r.db")
        p = subprocess.run([BINARY, "matrix", "--np", "4", "--backend", backend, "--bw-size", "64K", "-T", "30",
                            "--min-fraction-of-median", "0.01", "--json-out", out, "--html-out", page, "--db", db,
                            "--out", os.path.join(folder, "jobs")], capture_output=True, text=True, timeout=200,
                           env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL)
        check(p.returncode == 0, f"{backend}: exit {p.returncode}\n{p.stdout}\n{p.stderr[-1500:]}")
        m = json.load(open(out))
        check(m["members"] == "ranks" and m["rounds"] == 3 and len(m["hosts"]) == 4, f"{backend}: {m}")
        check(all(h.startswith(f"{i}@") for i, h in enumerate(m["hosts"])), f"names: {m['hosts']}")
        pairs = {tuple(sorted((m["hosts"].index(x["a"]), m["hosts"].index(x["b"])))) for x in m["pairs"]}
        check(pairs == {(a, b) for a in range(4) for b in range(a + 1, 4)}, f"{backend}: pairs {pairs}")
        check(all(x["ran"] and x["latency_us"] > 0 and x["bandwidth_gbps"] > 0 for x in m["pairs"]), str(m["pairs"]))
        check(sorted(x["round"] for x in m["pairs"]) == [1, 1, 2, 2, 3, 3], "two pairs per round")
        html = open(page).read()
        check(html.count("<svg") == 2 and html.count("<rect") == 32 and "0@" in html, "heat maps")
        check(open(os.path.join(folder, "jobs", "matrix.html")).read() == html, "matrix.html in --out")
        jobs = sorted(f for f in os.listdir(os.path.join(folder, "jobs", "launches")) if f.endswith(".jsonl"))
        check(len(jobs) == 2, f"one job per metric: {jobs}")
        header = json.loads(open(os.path.join(folder, "jobs", "launches", jobs[0])).readline())
        check(header["config"].get("all_pairs") is True, "the jobs ran --all-pairs")
        # the history draws it again: nothing flagged at 0.01 of the median, as the matrix said
        check(report_matrix(p.stderr, db, folder, 4, m) == set(), "report: no pair flagged")
        # and one --all-pairs run on its own shows its one metric beside the run's charts
        stored = json.loads(subprocess.run([BINARY, "runs", "--db", db, "--json"], capture_output=True, text=True,
                                           timeout=60).stdout)
        check(len(stored) == 2, f"two jobs stored: {stored}")
        one = os.path.join(folder, "one.html")
        r = subprocess.run([BINARY, "report", str(stored[-1]["id"]), "--db", db, "--out", one],
                           capture_output=True, text=True, timeout=60)
        text = open(one).read() if r.returncode == 0 else ""
        check(text.count("<svg") == 1 and "<h2>At the largest size</h2>" in text, f"one run: {r.stderr}")
    for args, what in ((["--np", "1"], "2 or more"), (["--np", "3", "--hosts", "a,b"], "multiple of the host count")):
        q = subprocess.run([BINARY, "matrix", "--no-db"] + args, capture_output=True, text=True, timeout=60,
                           env=mpi_env(), cwd=tempfile.mkdtemp(prefix="cclbench-it-"))
        check(q.returncode == 6 and what in q.stderr and len(q.stderr.strip().splitlines()) == 1,
              f"{args}: {q.returncode} {q.stderr!r}")


@test(600, "netns,accept")
def accept_on_8_netns_hosts_names_the_shaped_host():
    """`cclbench accept` on 8 namespace hosts: healthy -> PASS in one round per check; one host
    shaped to 50 Mbit -> FAIL naming exactly that host in a few isolation rounds."""
    with NetnsHosts("cbae", "10.213.13", 8) as hosts:
        folder = tempfile.mkdtemp(prefix="cclbench-it-")
        rc, v, _, text = accept(hosts, folder)
        check(rc == 0 and v["verdict"] == "PASS" and v["suspects"] == [], f"healthy: exit {rc}\n{text}")
        check(v["rounds"] == 2, f"healthy: {v['rounds']} rounds\n{text}")
        check(hosts.script("shape", "cbaeh6", "50mbit").returncode == 0, "shape")
        rc, v, _, text = accept(hosts, folder)
        check(rc == 7 and v["suspects"] == ["cbaeh6"], f"shaped cbaeh6: exit {rc} suspects {v['suspects']}\n{text}")
        for c in v["checks"]:
            check(c["verdict"] == "FAIL" and c["bad_hosts"] == ["cbaeh6"], f"{c['name']}: {c}")
        # per check: its own round and at most 2 log2 N + 4 isolation rounds
        check(v["rounds"] <= 2 * (2 * 3 + 4 + 1), f"{v['rounds']} rounds\n{text}")


@test(300, "mpi,accept")
def accept_on_local_ranks_bad_input_and_interruption():
    """`cclbench accept` without hosts runs every check as one job of local ranks (PASS, JSON and
    JUnit written whole); bad specs and options are exit 6 with one line naming what is wrong
    (the key and its line for a spec) before anything runs; Ctrl-C ends it with 130, its jobs
    ended, no verdict written."""
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    spec = os.path.join(folder, "rack.toml")
    with open(spec, "w") as f:
        f.write(ACCEPT_SPEC.replace('fingerprint = "same"', 'fingerprint = "any"'))
    env = mpi_env()
    out = os.path.join(folder, "v.json")
    db = os.path.join(folder, "r.db")
    p = subprocess.run([BINARY, "accept", spec, "--np", "2", "--db", db, "--json-out", out, "--junit", out + ".xml",
                        "--out", os.path.join(folder, "o")], capture_output=True, text=True, timeout=200,
                       env=env, cwd=folder, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"local accept: exit {p.returncode}\n{p.stdout}\n{p.stderr[-1500:]}")
    v = json.load(open(out))
    check(v["verdict"] == "PASS" and v["local"] and v["rounds"] == 2, f"local verdicts: {v}")
    check(all(c["verdict"] == "PASS" and c["jobs"][0]["busbw_gbps"] > 0 for c in v["checks"]), f"{v['checks']}")
    check(os.path.exists(os.path.join(folder, "o", "accept.json")), "accept.json in --out")
    check('failures="0"' in open(out + ".xml").read(), "junit")
    check(not [f for f in os.listdir(folder) if f.endswith(".partial")], "a .partial was left")
    # A floor from the stored jobs: the check's own runs (label check=) at its largest size.
    with open(spec, "w") as f:
        f.write(ACCEPT_SPEC.replace('fingerprint = "same"', 'fingerprint = "any"').replace(
            "min_busbw = 0.02", 'min_fraction_of_baseline = 0.05\nbaseline = "baseline:acceptance"'))
    p = subprocess.run([BINARY, "accept", spec, "--np", "2", "--db", db, "--json-out", out],
                       capture_output=True, text=True, timeout=200, env=env, cwd=folder, stdin=subprocess.DEVNULL)
    v2 = json.load(open(out))
    allhosts = [c for c in v2["checks"] if c["name"] == "all-hosts allreduce"][0]
    first = [c for c in v["checks"] if c["name"] == "all-hosts allreduce"][0]["jobs"][0]["busbw_gbps"]
    check(p.returncode == 0 and abs(allhosts["baseline_gbps"] - first) < 1e-9 * first
          and abs(allhosts["floor_gbps"] - 0.05 * first) < 1e-9 * first,
          f"baseline floor: exit {p.returncode} {allhosts} (first run {first})\n{p.stderr[-800:]}")

    def bad(text, args, expected):
        path = os.path.join(folder, "bad.toml")
        with open(path, "w") as f:
            f.write(text)
        q = subprocess.run([BINARY, "accept", path, "--no-db"] + args, capture_output=True, text=True, timeout=60,
                           env=env, cwd=folder, stdin=subprocess.DEVNULL)
        lines = q.stderr.strip().splitlines()
        check(q.returncode == 6 and len(lines) == 1 and expected in lines[0],
              f"{args} {text[:60]!r}: exit {q.returncode}: {q.stderr!r}")

    good = ACCEPT_SPEC
    bad(good.replace("min_busbw = 0.02", "min_busbw = 0.02\nspeed = 3"), [], "line 15: check 1: unknown key 'speed'")
    bad(good.replace('scope = "pairs"', 'scope = "host"'), [], "scope host with one rank per host")
    bad(good.replace("timeout = 20", 'timeout = "soon"'), [], "line 4: timeout must be a number")
    bad(good, ["--hosts", "a:2"], "give host names only")
    bad(good, ["--hosts", "a,b,a"], "names host 'a' twice")
    bad(good, ["--hosts", "a,b", "--np", "2"], "--np is for local ranks only")
    bad(good, ["--json-out", folder], "--json-out")
    bad(good.replace("min_busbw = 0.02", 'min_fraction_of_baseline = 0.9\nbaseline = "baseline:nosuch"'),
        ["--db", os.path.join(folder, "empty.db")], "")
    q = subprocess.run([BINARY, "accept", os.path.join(folder, "missing.toml")], capture_output=True, text=True,
                       timeout=60, env=env, cwd=folder)
    check(q.returncode == 6 and "missing.toml" in q.stderr, f"missing spec: {q.returncode} {q.stderr!r}")

    # Ctrl-C while a job runs: every job ends, exit 130, no verdict file.
    slow = ACCEPT_SPEC.replace('sizes = "256K:1M"', 'sizes = "1K:64M"').replace("min_busbw = 0.02", "min_busbw = 0.0001")
    with open(spec, "w") as f:
        f.write(slow)
    out2 = os.path.join(folder, "v2.json")
    job = subprocess.Popen([BINARY, "accept", spec, "--np", "2", "--no-db", "--json-out", out2, "--out",
                            os.path.join(folder, "o2")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, cwd=folder, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.isdir(os.path.join(folder, "o2", "launches")):
        time.sleep(0.2)
    time.sleep(3)
    job.send_signal(signal.SIGINT)
    try:
        stdout, stderr = job.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        job.kill()
        raise Failure("accept did not end within 60 s of SIGINT")
    check(job.returncode == 130, f"SIGINT: exit {job.returncode} {stderr[-800:]!r}")
    check("interrupted by signal 2" in stderr and "no verdict was written" in stderr, f"{stderr[-800:]!r}")
    check(not os.path.exists(out2) and not os.path.exists(os.path.join(folder, "o2", "accept.json")),
          "a verdict was written after SIGINT")
    time.sleep(1)
    check(not processes_mentioning(os.path.join(folder, "o2")), "a job outlived the acceptance")


@test(300, "mpi,tune")
def tune_bad_input_and_interruption():
    for args, text in [(["tune", "sendrecv"], "no knobs"), (["tune", "allscatter"], "unknown collective"),
                       (["tune", "--strategy", "guess"], "unknown strategy"),
                       (["tune", "--backend", "ucx"], "unknown backend"),
                       (["tune", "--threshold", "nan"], "--threshold"),
                       (["tune", "--validation-launches", "2"], "3 or more"),
                       (["tune", "-b", "1M", "-e", "1K"], "above")]:
        p = cclbench(args, timeout=60)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 6 and len(lines) == 1 and text in lines[0], f"{args}: exit {p.returncode}: {p.stderr!r}")
    # No GPU here: the first launch says so, and the tune stops with exit 5 and that line.
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    p = subprocess.run([BINARY, "tune", "allreduce", "--backend", "nccl", "-b", "1K", "-e", "4K", "--no-db",
                        "--out", os.path.join(folder, "n")], capture_output=True, text=True, timeout=60,
                       env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 5 and len(lines) == 1 and "cannot tune NCCL" in lines[0],
          f"--backend nccl without a GPU: {p.returncode} {p.stderr!r}")
    # Each NCCL trial launch is preceded by its untimed algorithm probe (what NCCL ran per
    # candidate); here it found no GPU either, and the trial itself still ran and said so.
    launches = os.path.join(folder, "n", "launches")
    probe_log = os.path.join(launches, "0001-trial-default-algorithm-probe.log")
    check(os.path.exists(probe_log) and "needs a CUDA device" in open(probe_log).read(),
          f"no algorithm probe before the first NCCL trial: {sorted(os.listdir(launches))}")
    check(os.path.exists(os.path.join(launches, "0001-trial-default.log")), "the trial did not run after its probe")
    # Under a launcher, tune refuses: it starts its launches itself.
    p = subprocess.run(["mpirun", "--allow-run-as-root", "-np", "1", BINARY, "tune", "allreduce"],
                       capture_output=True, text=True, timeout=60, env=mpi_env(), stdin=subprocess.DEVNULL)
    check(p.returncode == 6 and "outside mpirun" in p.stderr, f"under mpirun: {p.returncode} {p.stderr[-500:]}")
    # Interrupted mid-search: 128 + signal, launches kept, no config.
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    out, db = os.path.join(folder, "t"), os.path.join(folder, "h.db")
    proc = subprocess.Popen([BINARY, "tune", "allreduce", "-b", "8", "-e", "64M", "--np", "2", "--out", out,
                             "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=mpi_env(), cwd=folder, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            launches = os.path.join(out, "launches")
            if os.path.isdir(launches) and len([f for f in os.listdir(launches) if f.endswith(".jsonl")]) >= 3:
                break
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    check(proc.returncode == 130, f"interrupted tune: exit {proc.returncode}: {err[-800:]}")
    check("no configuration was written" in err, f"the message: {err[-500:]}")
    check(not os.path.exists(os.path.join(out, "tune.json")) and
          not os.path.exists(os.path.join(out, "openmpi-rules.conf")), "an interrupted tune wrote a config")
    q = cclbench(["runs", "--db", db, "--tag", "tuning", "--json"])
    check(q.returncode == 0 and len(json.loads(q.stdout)) >= 2, "the launches so far are kept")
    time.sleep(1)
    check(not processes_mentioning(out), "processes outlived the interrupted tune")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    it reads commands from fd 3 and writes replies and events to fd 4, each JSON ending in NUL).
    A fresh profile; nothing reaches the network."""

    def __init__(self, binary, timeout):
        self.deadline = time.monotonic() + timeout
        self.profile = tempfile.mkdtemp(prefix="cclbench-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def as_fd_3_and_4():
            import fcntl
            a, b = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary] + CHROMIUM_FLAGS + [
            "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            preexec_fn=as_fd_3_and_4, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id, self.buffer, self.events = 0, b"", []

    def close(self):
        try:
            self.send("Browser.close", session=None, wait=False)
            self.proc.wait(timeout=10)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_chrome, self.from_chrome):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def chromium_stderr(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-3000:]

    def _read_message(self):
        import select
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            check(left > 0, "Chromium did not answer in time:\n" + self.chromium_stderr())
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            chunk = os.read(self.from_chrome, 1 << 20) if ready else b""
            check(chunk or not ready, "Chromium closed its pipe:\n" + self.chromium_stderr())
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session="page", wait=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while wait:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                check("error" not in reply, f"{method}: {reply.get('error')}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._read_message()
            if e.get("method") == method:
                return e
            self.events.append(e)

    def open(self, url, width):
        targets = self.send("Target.getTargets", session=None)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=None)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression):
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})["result"].get("value")

    def problems(self):
        """Uncaught exceptions, console errors and warnings, log errors, requests off this file."""
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                d = params["exceptionDetails"]
                what = d.get("exception", {}).get("description") or d.get("text", "")
                found.append(f"uncaught at {d.get('url', '')}:{d.get('lineNumber', 0) + 1}: {what[:500]}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert", "warning"):
                found.append(f"console.{params['type']}: " + json.dumps(params["args"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(f"log {params['entry']['level']}: {params['entry'].get('text', '')[:500]}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:", "blob:")):
                    found.append("network request: " + url)
        return found

    def screenshot(self, path, width, height):
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
        if path:
            return path
    raise Failure("chromium not found: the browser test needs Debian's chromium package "
                  "(scripts/setup.sh installs it: apt-get install chromium)")


def check_offline(html_path):
    """The page fetches nothing: no external src/href/url()/@import anywhere in it."""
    text = open(html_path, encoding="utf-8").read()
    check("\0" not in text, "a NUL character in the page")
    refs = re.findall(r"""(?:\b(?:src|href|action|poster)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)(?:https?:)?//""",
                      text, re.I)
    check(not refs, f"the page references the network: {refs[:5]}")
    check(not re.search(r"<link\b|<iframe\b|<img\b[^>]*\bsrc\s*=\s*[\"']?(?!data:)", text, re.I),
          "the page loads an external resource")


def load_report(browser_binary, html_path, screenshot=None, width=1400, top=None):
    """Opens the report from its file; returns (charts drawn, charts total, problems). Saves a
    full-page screenshot, and the page down to its second chart card in `top` when asked."""
    browser = Browser(browser_binary, timeout=60)
    try:
        browser.open("file://" + os.path.abspath(html_path), width)
        state = None
        for _ in range(50):  # the charts draw while the page loads; wait for the script's verdict
            state = browser.evaluate("JSON.stringify(document.body.dataset)")
            if state and "chartsTotal" in json.loads(state):
                break
            time.sleep(0.1)
        data = json.loads(state or "{}")
        check("chartsTotal" in data, "the page's script never finished (no data-charts-total): "
              + "; ".join(browser.problems()))
        if screenshot:
            height = browser.evaluate("document.documentElement.scrollHeight")
            browser.screenshot(screenshot, width, height)
            if top:
                bottom = browser.evaluate(
                    "(c => c ? Math.ceil(c.getBoundingClientRect().bottom + scrollY + 8) : 1300)"
                    "(document.getElementById('chart-2') || document.getElementById('chart-1'))")
                browser.screenshot(top, width, min(height, bottom))
        return int(data["chartsDrawn"]), int(data["chartsTotal"]), browser.problems()
    finally:
        browser.close()


@test(180, "browser")
def report_in_browser():
    browser_binary = chromium_binary()
    folder = tempfile.mkdtemp(prefix="cclbench-it-")
    db = os.path.join(folder, "history.db")
    artifacts = os.path.join(os.path.dirname(BINARY), "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    two_transport_runs(db, ["allreduce", "allgather", "-b", "1K", "-e", "1M", "-f", "4", "-n", "5",
                            "--samples", "10"])
    expect_ok(run(["sendrecv", "-b", "64K", "-e", "64K", "--np", "2", "--db", db, "--jsonl",
                   os.path.join(folder, "one-size.jsonl")] + FAST, timeout=60))
    with open(os.path.join(folder, "one-size.jsonl")) as f, open(os.path.join(folder, "no-cases.jsonl"), "w") as g:
        g.write(f.readline())  # the header alone: a run cut short before its first case
    # Charts: busbw and time per case group (allreduce and allgather, out- and in-place), and
    # the ratio to the baseline where there is one.
    pages = [("report", ["1", "2"], 4 * 3), ("single-run", ["1"], 4 * 2),
             ("one-size-and-empty", ["3", "no-cases.jsonl"], 1 * 3)]
    for name, operands, charts in pages:
        html = os.path.join(folder, name + ".html")
        p = subprocess.run([BINARY, "report"] + operands + ["--db", db, "--out", html], cwd=folder,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"report {operands}: exit {p.returncode}: {p.stderr}")
        check_offline(html)
        shot = os.path.join(artifacts, name + ".png")
        top = os.path.join(artifacts, name + "-top.png") if name == "report" else None
        start = time.monotonic()
        drawn, total, problems = load_report(browser_binary, html, shot, top=top)
        print(f"{name}: {drawn}/{total} charts drawn, {time.monotonic() - start:.1f}s in Chromium; "
              f"screenshot {shot}")
        check(not problems, f"{name}: the browser reported:\n  " + "\n  ".join(problems))
        check(drawn == total == charts, f"{name}: {drawn} of {total} charts drawn, expected {charts}")
        check(os.path.getsize(shot) > 10000, f"{name}: screenshot {shot} looks empty")


def main():
    global BINARY, GOLDEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--golden")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("tests", nargs="*")
    args = parser.parse_args()
    if args.list:
        for name, (_, timeout, labels) in TESTS.items():
            print(f"{name} {timeout} {labels}")
        return 0
    BINARY, GOLDEN = os.path.abspath(args.binary), args.golden
    check(shutil.which("mpirun") is not None, "mpirun not found")
    failed = skipped = 0
    for name in args.tests or list(TESTS):
        start = time.monotonic()
        try:
            TESTS[name][0]()
            print(f"PASS {name} ({time.monotonic() - start:.1f}s)")
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}")
        except Failure as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    return 1 if failed else 77 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
