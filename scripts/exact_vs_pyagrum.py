#!/usr/bin/env python3
"""whatif's exact engine beside pyAgrum LazyPropagation, same run, every network.

Not part of the build: `pip install pyagrum==3.3.1`, then
    cargo bench --bench exact_queries --no-run
    python3 scripts/exact_vs_pyagrum.py [../shared/data/networks] [NETWORK ...]

For each BIF network and each evidence load (none, 10, 30 variables observed at the states of
one seeded forward sample), a few target variables outside the evidence are asked at their
sampled state: pyAgrum answers with LazyPropagation and one target (a fresh engine per query:
evidence set, inference, posterior; the median over REPEATS runs, then over the queries),
whatif with `--method exact` through the library, the model and its questions parsed and
checked once (benches/exact_queries.rs: the median over REPEATS runs of the time per query).
The table prints whatif / pyAgrum time ratios
(below 1: whatif faster), the largest difference between the two answers, and every query one
side could not answer. pyAgrum keeps tables as float32, so answers differ by up to ~1e-6.
"""
import glob
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import pyagrum as gum

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bif_expectations as bif  # noqa: E402  (load with a fallback, BIF labels)
import heavy_evidence_expectations as heavy  # noqa: E402  (identifiers, forward sampling)

LOADS = [0, 10, 30]
TARGETS = 3
REPEATS = 3


def bench_binary():
    candidates = glob.glob(os.path.join(HERE, "..", "target", "release", "deps", "exact_queries-*"))
    candidates = [c for c in candidates if os.access(c, os.X_OK) and not c.endswith(".d")]
    if not candidates:
        sys.exit("build it first: cargo bench --bench exact_queries --no-run")
    return max(candidates, key=os.path.getmtime)


def whatif_binary():
    return os.path.join(HERE, "..", "target", "release", "whatif")


def pyagrum_time(bn, evidence, target):
    times, value = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        ie = gum.LazyPropagation(bn)
        ie.setEvidence(evidence)
        ie.addTarget(target)
        ie.makeInference()
        value = ie.posterior(target)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main():
    args = sys.argv[1:]
    directory = args[0] if args and os.path.isdir(args[0]) else "../shared/data/networks"
    only = [a for a in args if not os.path.isdir(a)]
    networks = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(directory, "*.bif")))
    if only:
        networks = [n for n in networks if n in only]
    bench = bench_binary()
    print(f"{'network':<12} {'load':>4} {'queries':>7} {'pyAgrum ms':>11} {'whatif ms':>10} {'ratio':>7} {'max |diff|':>10}  failures")
    for network in networks:
        bn = bif.load(directory, network)
        source = subprocess.run(
            [whatif_binary(), "import", os.path.join(directory, network + ".bif")],
            capture_output=True, text=True, check=True,
        ).stdout
        rng = random.Random(network)
        names = sorted(bn.variable(n).name() for n in bn.nodes())
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, network + ".scm")
            open(model, "w").write(source)
            for load in LOADS:
                sample = heavy.forward_sample(bn, rng)
                observed = rng.sample(names, min(load, len(names) - 1))
                evidence = {v: sample[v] for v in observed}
                free = [v for v in names if v not in evidence]
                rows = []
                for target in rng.sample(free, min(TARGETS, len(free))):
                    t, posterior = pyagrum_time(bn, evidence, target)
                    state = sample[target]
                    given = ", ".join(
                        f"{heavy.identifier(v)} = {heavy.label(bif.label(bn, v, i))}"
                        for v, i in sorted(evidence.items())
                    )
                    event = f"{heavy.identifier(target)} = {heavy.label(bif.label(bn, target, state))}"
                    query = f"P({event} | {given})" if given else f"P({event})"
                    rows.append((query, t, float(posterior[state])))
                queries = os.path.join(tmp, "queries.txt")
                open(queries, "w").write("\n".join(q for q, _, _ in rows) + "\n")
                out = subprocess.run(
                    [bench, model, queries, str(REPEATS)], capture_output=True, text=True
                )
                lines = out.stdout.splitlines()
                failures, diff = [], 0.0
                for (query, _, expected), outcome in zip(rows, lines):
                    if outcome.startswith("error"):
                        failures.append(outcome[6:][:120])
                        continue
                    diff = max(diff, abs(float(outcome) - expected))
                if not lines or not lines[-1].startswith("time"):
                    failures.append(f"bench stopped: {out.stderr.strip()[-200:]}")
                    mine = float("nan")
                else:
                    mine = float(lines[-1].split("\t")[1])
                theirs = statistics.median(t for _, t, _ in rows)
                print(
                    f"{network:<12} {load:>4} {len(rows):>7} {1000 * theirs:>11.3f} {1000 * mine:>10.3f} "
                    f"{mine / theirs:>7.2f} {diff:>10.1e}  {'; '.join(failures)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
