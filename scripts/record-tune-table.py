#!/usr/bin/env python3
"""Turns the launches of one or more `cclbench tune --strategy exhaustive` folders (same
collective, sizes and ranks) into a replay table: for every candidate, each of its launches
with, per size, the batch times (per iteration, us) it measured (at most --per-launch of them). tuners/search_test.cpp replays it as the trial oracle (deterministic,
seeded). Several folders matter on machines where a process's speed depends on the launch (the
2-core VMs here run some launches twice as fast as others): one launch per candidate would
record that luck as the candidate's own speed.

  scripts/record-tune-table.py OUT.json TUNE_FOLDER... [--per-launch 20] [--note TEXT]
"""
import argparse
import json
import os
import sys


def trial_launches(folder):
    """(candidate key, cases) of every complete trial launch of a tune folder."""
    launches = os.path.join(folder, "launches")
    for name in sorted(os.listdir(launches)):
        if not name.endswith(".jsonl") or "-trial-" not in name:
            continue
        with open(os.path.join(launches, name)) as f:
            records = [json.loads(line) for line in f if line.strip()]
        cases = [r for r in records if r["type"] == "case"]
        if not cases or not any(r["type"] == "end" for r in records):
            continue
        yield json.dumps(cases[0].get("candidate", {}), sort_keys=True), cases


def thinned(samples, most):
    step = max(1, len(samples) // most)
    return samples[::step][:most]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--per-launch", type=int, default=20)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    table = {}
    tunes = []
    for folder in args.folders:
        with open(os.path.join(folder, "tune.json")) as f:
            tune = json.load(f)
        if tunes and (tune["sizes"] != tunes[0]["sizes"] or
                      tune["topology"]["ranks"] != tunes[0]["topology"]["ranks"]):
            sys.exit(f"{folder}: other sizes or ranks than {args.folders[0]}")
        tunes.append(tune)
        for key, cases in trial_launches(folder):
            table.setdefault(key, []).append(
                {str(c["size_bytes"]): thinned(c["samples_us"], args.per_launch) for c in cases})
    first = tunes[0]
    out = {"schema": "cclbench.tune-table", "schema_version": 1, "note": args.note,
           "tune_ids": [t["tune_id"] for t in tunes], "libraries": first["provenance"]["libraries"],
           "ranks": first["topology"]["ranks"], "sizes": first["sizes"],
           "candidates": [{"candidate": json.loads(k), "launches": v} for k, v in table.items()]}
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{len(table)} candidates x {len(first['sizes'])} sizes from {len(tunes)} tune(s) -> "
          f"{args.out} ({os.path.getsize(args.out) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
