#!/usr/bin/env python3
"""Seed coverage on the posterior benchmark: is whatif's reported standard error honest at the
benchmark's precision?

    python3 scripts/posterior_coverage.py target/release/whatif [--models hiring40,hiring100,hiring200]
        [--seeds 20] [--samples hiring40=N,...] [--threads 1] [--json OUT]

Runs `whatif run MODEL --samples N --threads T --seed S --json` (the default method, as the
benchmark does) for seeds 1..S and compares each answer with the quadrature truth in the shared
folder (truth.json): z = (estimate − truth) / reported stderr. It prints, per model, the share
of seeds within 3 and within 1.96 reported standard errors, the mean and sd of z (near 0 and 1
when the error is honest and the estimate unbiased) and the median reported stderr beside the
benchmark's target (1% of the posterior sd). The default N per model is about what reaches that
target, since a bias shows against the standard error only at the precision it is claimed at.
Models and truth are read from the shared folder, never copied.
"""
import argparse
import json
import os
import statistics
import subprocess

BENCH = "/work/shared/bench/posterior"
SAMPLES = {"hiring40": 32768, "hiring100": 65536, "hiring200": 65536,
           "eight_schools": 40000, "logistic200": 250000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--models", default="hiring40,hiring100,hiring200")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--samples", default="", help="model=N,... overriding the defaults")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    samples = dict(SAMPLES)
    for item in filter(None, a.samples.split(",")):
        model, n = item.split("=")
        samples[model] = int(n)
    truth = json.load(open(os.path.join(BENCH, "truth.json")))
    rows = []
    for model in a.models.split(","):
        query = "mu" if model == "eight_schools" else ("b" if model == "logistic200" else "bias")
        t = truth[model]["queries"][query]
        runs = []
        for seed in range(1, a.seeds + 1):
            out = subprocess.run(
                [a.binary, "run", os.path.join(BENCH, model + ".scm"), "--samples",
                 str(samples[model]), "--threads", str(a.threads), "--seed", str(seed), "--json"],
                capture_output=True, text=True, check=True).stdout
            r = json.loads(out)["results"][0]
            z = (r["value"] - t["mean"]) / r["stderr"]
            runs.append({"seed": seed, "value": r["value"], "stderr": r["stderr"], "z": z,
                         "method": r["method"]})
            print(f"{model} seed {seed}: {r['value']:.5f} ± {r['stderr']:.5f} (z {z:+.2f}, "
                  f"{r['method']})", flush=True)
        zs = [r["z"] for r in runs]
        within3 = sum(abs(z) <= 3 for z in zs) / len(zs)
        within2 = sum(abs(z) <= 1.96 for z in zs) / len(zs)
        se = statistics.median(r["stderr"] for r in runs)
        print(f"== {model}: N={samples[model]}, {len(zs)} seeds: within 3 SE {100 * within3:.0f}%, "
              f"within 1.96 SE {100 * within2:.0f}%; z mean {statistics.mean(zs):+.2f}, "
              f"sd {statistics.stdev(zs):.2f}; median stderr {se:.5f} "
              f"(target {0.01 * t['sd']:.5f})", flush=True)
        rows.append({"model": model, "samples": samples[model], "runs": runs,
                     "within_3se": within3, "within_1.96se": within2})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
