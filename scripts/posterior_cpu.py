#!/usr/bin/env python3
"""CPU seconds to the posterior benchmark's target, whatif's SMC beside NumPyro NUTS, for a
machine too loaded for wall-clock times to mean much.

    python3 scripts/posterior_cpu.py target/release/whatif [--models hiring40,hiring100,hiring200]
        [--seeds 1,2,3] [--samples 4096] [--threads 1] [--nuts] [--json OUT]

whatif: `whatif run MODEL --samples N --threads T --seed S --json` per seed, its user + system
CPU seconds from the child's resource usage; the CPU seconds to a reported standard error of 1%
of the true posterior sd are extrapolated as cpu · (stderr / target)² (the standard error
falls as 1/√N and the work grows as N; SMC's tempering is a fixed cost at small N, so choose
N near the target, e.g. --samples hiring40=32768,hiring100=65536,hiring200=65536, where the
extrapolation is a small step). NUTS (--nuts): the shared folder's numpyro_bench.py
child (1 chain, 1,000 warm-up, the draws its sizing gives for the target: 9,000 / 13,500 /
8,000 for hiring40 / 100 / 200), imported with its clock swapped for `time.process_time`, so
its two runs give the CPU seconds of every thread of the process, including compilation (first
run) and excluding it (second run). Models and truth are read from the shared folder, never
copied.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = "/work/shared/bench/posterior"
NUTS_DRAWS = {"hiring40": 9000, "hiring100": 13500, "hiring200": 8000}

NUTS_CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
import numpyro_bench as nb
nb.time.perf_counter = time.process_time
nb.child({model!r}, "default", ["bias"], {draws}, {seed})
"""


def whatif_cpu(binary, model, samples, seed, threads):
    """(cpu seconds, wall seconds, value, stderr, ESS, method) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [binary, "run", os.path.join(BENCH, model + ".scm"), "--samples", str(samples),
         "--threads", str(threads), "--seed", str(seed), "--json"],
        capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = json.loads(out)["results"][0]
    return cpu, wall, r["value"], r["stderr"], r["ess"], r["method"]


def nuts_cpu(model, seed):
    """(cpu incl. compile, cpu excl. compile, stderr of the first run)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(NUTS_CHILD.format(bench=BENCH, model=model, draws=NUTS_DRAWS[model], seed=seed))
    try:
        out = subprocess.run([sys.executable, f.name], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(f.name)
    runs = json.loads(out.strip().splitlines()[-1])["runs"]
    return runs[0]["wall_s"], runs[1]["wall_s"], runs[0]["sites"]["bias"]["stderr"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--models", default="hiring40,hiring100,hiring200")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--samples", default="4096",
                    help="N for every model, or model=N,... (others 4096)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nuts", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    truth = json.load(open(os.path.join(BENCH, "truth.json")))
    seeds = [int(s) for s in a.seeds.split(",")]
    if "=" in a.samples:
        samples = {m: int(n) for m, n in (item.split("=") for item in a.samples.split(","))}
    else:
        samples = {}
    default_samples = 4096 if "=" in a.samples else int(a.samples)
    rows = []
    for model in a.models.split(","):
        t = truth[model]["queries"]["bias"]
        target = 0.01 * t["sd"]
        row = {"model": model, "target_stderr": target, "whatif": [], "nuts": []}
        for seed in seeds:
            n = samples.get(model, default_samples)
            cpu, wall, value, stderr, ess, method = whatif_cpu(a.binary, model, n, seed, a.threads)
            needed = cpu * (stderr / target) ** 2
            z = (value - t["mean"]) / stderr
            row["whatif"].append({"seed": seed, "samples": n, "threads": a.threads, "cpu_s": cpu,
                                  "wall_s": wall, "value": value, "stderr": stderr,
                                  "ess": ess, "method": method, "cpu_to_target_s": needed})
            print(f"{model} whatif seed {seed}: {cpu:.2f} s CPU ({wall:.2f} s wall, "
                  f"{a.threads} threads) at N={n} ({method}), "
                  f"{value:.4f} ± {stderr:.5f} (z {z:+.1f}), ESS {ess:.0f}; "
                  f"to target ~{needed:.1f} s", flush=True)
        if a.nuts:
            for seed in seeds:
                incl, excl, stderr = nuts_cpu(model, seed)
                row["nuts"].append({"seed": seed, "cpu_incl_s": incl, "cpu_excl_s": excl,
                                    "stderr": stderr})
                print(f"{model} NUTS seed {seed}: {incl:.2f} s CPU incl. compile, {excl:.2f} s "
                      f"excl., stderr {stderr:.5f} (target {target:.5f})", flush=True)
        w = statistics.median(r["cpu_to_target_s"] for r in row["whatif"])
        line = f"== {model}: whatif ~{w:.1f} s CPU to target (median)"
        if row["nuts"]:
            i = statistics.median(r["cpu_incl_s"] for r in row["nuts"])
            e = statistics.median(r["cpu_excl_s"] for r in row["nuts"])
            line += f"; NUTS {i:.1f} / {e:.1f} s incl. / excl. compile; ratio {w / i:.2f} / {w / e:.2f}"
        print(line, flush=True)
        rows.append(row)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
