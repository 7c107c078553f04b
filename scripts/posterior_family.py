#!/usr/bin/env python3
"""How whatif's time to the posterior benchmark's target grows with the number of candidates
in the hiring model written as one family (benches/models/hiring_family.scm), NUTS beside it
in the same run.

    python3 scripts/posterior_family.py target/release/whatif [--sizes 40,100,200,400,1000]
        [--samples 16384] [--seeds 1] [--threads 1] [--nuts] [--nuts-draws 8000] [--json OUT]

For each N: the model with `let N` and `let K = N − N/4` set (written to a temporary folder,
never committed); its truth by the shared folder's quadrature (truth.py's `quad_hiring(N)`,
the posterior of bias integrated over each talent by Gauss–Hermite, then a 1-D grid; the
shared hiringN models hire all but every fourth candidate, the same count K); whatif's
default method (`whatif run --samples S --seed s --json`), its CPU seconds (user + system of
the child) extrapolated to a reported standard error of 1% of the posterior sd as
cpu · (stderr / target)², and z = (estimate − truth) / stderr. NUTS (--nuts): the shared
numpyro_bench.py child on `hiringN` (1 chain, 1,000 warm-up, --nuts-draws draws), its clock
swapped for `time.process_time` (CPU seconds of every thread), first run incl. compilation,
second excl.; extrapolated to the target by the same rule (warm-up included, which favours
NUTS when its standard error is below the target and disfavours it above).
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
MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benches", "models",
                     "hiring_family.scm")

NUTS_CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
import numpyro_bench as nb
nb.time.perf_counter = time.process_time
nb.child({model!r}, "default", ["bias"], {draws}, {seed})
"""


def truth_of(n):
    """(posterior mean, sd) of bias for N = n by the shared quadrature."""
    sys.path.insert(0, BENCH)
    import truth  # noqa: E402  (the shared folder's module)
    (mean, sd), = [truth.quad_hiring(n)[0]["bias"]]
    return mean, sd


def model_text(n):
    text = open(MODEL).read()
    k = n - n // 4
    assert "let N = 40\n" in text and "let K = 30\n" in text
    return text.replace("let N = 40\n", f"let N = {n}\n").replace("let K = 30\n", f"let K = {k}\n")


def whatif_run(binary, path, samples, seed, threads):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([binary, "run", path, "--samples", str(samples), "--threads",
                          str(threads), "--seed", str(seed), "--json"],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = json.loads(out)["results"][0]
    return cpu, wall, r


def nuts_run(n, draws, seed):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(NUTS_CHILD.format(bench=BENCH, model=f"hiring{n}", draws=draws, seed=seed))
    try:
        out = subprocess.run([sys.executable, f.name], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(f.name)
    runs = json.loads(out.strip().splitlines()[-1])["runs"]
    return runs[0]["wall_s"], runs[1]["wall_s"], runs[1]["sites"]["bias"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--sizes", default="40,100,200,400,1000")
    ap.add_argument("--samples", type=int, default=16384)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nuts", action="store_true")
    ap.add_argument("--nuts-draws", type=int, default=8000)
    ap.add_argument("--json")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    print(f"load average at start: {os.getloadavg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in a.sizes.split(",")):
            mean, sd = truth_of(n)
            target = 0.01 * sd
            path = os.path.join(tmp, f"hiring_family_{n}.scm")
            with open(path, "w") as f:
                f.write(model_text(n))
            row = {"n": n, "truth_mean": mean, "truth_sd": sd, "target_stderr": target,
                   "whatif": [], "nuts": []}
            for seed in seeds:
                cpu, wall, r = whatif_run(a.binary, path, a.samples, seed, a.threads)
                needed = cpu * (r["stderr"] / target) ** 2
                z = (r["value"] - mean) / r["stderr"]
                row["whatif"].append({"seed": seed, "samples": a.samples, "cpu_s": cpu,
                                      "wall_s": wall, "value": r["value"], "stderr": r["stderr"],
                                      "z": z, "method": r["method"], "cpu_to_target_s": needed})
                print(f"N={n} whatif seed {seed}: {cpu:.2f} s CPU ({wall:.1f} s wall) at "
                      f"{a.samples} samples ({r['method']}): {r['value']:.5f} ± {r['stderr']:.5f}, "
                      f"truth {mean:.5f} (z {z:+.2f}); to target ~{needed:.1f} s", flush=True)
            if a.nuts:
                for seed in seeds:
                    incl, excl, site = nuts_run(n, a.nuts_draws, seed)
                    factor = (site["stderr"] / target) ** 2
                    z = (site["mean"] - mean) / site["stderr"]
                    row["nuts"].append({"seed": seed, "draws": a.nuts_draws, "cpu_incl_s": incl,
                                        "cpu_excl_s": excl, "stderr": site["stderr"], "z": z,
                                        "incl_to_target_s": incl * factor,
                                        "excl_to_target_s": excl * factor})
                    print(f"N={n} NUTS seed {seed}: {incl:.2f} / {excl:.2f} s CPU incl. / excl. "
                          f"compile at {a.nuts_draws} draws, stderr {site['stderr']:.5f} (z {z:+.2f}); "
                          f"to target ~{incl * factor:.1f} / {excl * factor:.1f} s", flush=True)
            w = statistics.median(r["cpu_to_target_s"] for r in row["whatif"])
            line = f"== N={n}: whatif ~{w:.1f} s CPU to target"
            if row["nuts"]:
                i = statistics.median(r["incl_to_target_s"] for r in row["nuts"])
                e = statistics.median(r["excl_to_target_s"] for r in row["nuts"])
                line += f"; NUTS ~{i:.1f} / {e:.1f} s incl. / excl. compile; ratio {w / i:.2f} / {w / e:.2f}"
            print(line, flush=True)
            rows.append(row)
    print(f"load average at end: {os.getloadavg()}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
