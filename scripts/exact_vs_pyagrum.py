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

The `P(*)` columns time all marginals under the same evidence: pyAgrum's LazyPropagation with
every node a target (a fresh engine: evidence set, `makeInference`, `posterior` of every node),
whatif's `query P(* | ...)` (one calibrated junction tree), each the median over REPEATS runs;
`*diff` is the largest difference over every value of every marginal.
"""
import glob
import json
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


def pyagrum_all_time(bn, evidence):
    times, values = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        ie = gum.LazyPropagation(bn)
        ie.setEvidence(evidence)
        ie.makeInference()
        values = {bn.variable(n).name(): ie.posterior(n) for n in bn.nodes()}
        times.append(time.perf_counter() - start)
    return statistics.median(times), values


def run_bench(bench, model, queries_path, queries):
    open(queries_path, "w").write("\n".join(queries) + "\n")
    out = subprocess.run([bench, model, queries_path, str(REPEATS)], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    if not lines or not lines[-1].startswith("time"):
        return lines, float("nan"), f"bench stopped: {out.stderr.strip()[-200:]}"
    return lines, float(lines[-1].split("\t")[1]), None


def main():
    args = sys.argv[1:]
    directory = args[0] if args and os.path.isdir(args[0]) else "../shared/data/networks"
    only = [a for a in args if not os.path.isdir(a)]
    networks = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(directory, "*.bif")))
    if only:
        networks = [n for n in networks if n in only]
    bench = bench_binary()
    print(
        f"{'network':<12} {'load':>4} {'queries':>7} {'pyAgrum ms':>11} {'whatif ms':>10} {'ratio':>7} {'max |diff|':>10}"
        f" {'P(*) pyA ms':>11} {'P(*) wi ms':>10} {'*ratio':>7} {'*diff':>8}  failures"
    )
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
                lines, mine, stopped = run_bench(bench, model, queries, [q for q, _, _ in rows])
                failures, diff = [], 0.0
                for (query, _, expected), outcome in zip(rows, lines):
                    if outcome.startswith("error"):
                        failures.append(outcome[6:][:120])
                        continue
                    diff = max(diff, abs(float(outcome) - expected))
                if stopped:
                    failures.append(stopped)
                theirs = statistics.median(t for _, t, _ in rows)
                # All marginals under the same evidence.
                all_theirs, posteriors = pyagrum_all_time(bn, evidence)
                given = ", ".join(
                    f"{heavy.identifier(v)} = {heavy.label(bif.label(bn, v, i))}"
                    for v, i in sorted(evidence.items())
                )
                query = f"P(* | {given})" if given else "P(*)"
                lines, all_mine, stopped = run_bench(bench, model, queries, [query])
                all_diff = float("nan")
                if stopped:
                    failures.append("P(*): " + stopped)
                elif lines[0].startswith("error"):
                    failures.append("P(*): " + lines[0][6:][:120])
                else:
                    got = json.loads(lines[0].split("\t", 1)[1])
                    all_diff = 0.0
                    for name, posterior in posteriors.items():
                        expected = posterior.toarray()
                        mine_ps = got[heavy.identifier(name)]
                        all_diff = max(all_diff, max(abs(a - b) for a, b in zip(mine_ps, expected)))
                print(
                    f"{network:<12} {load:>4} {len(rows):>7} {1000 * theirs:>11.3f} {1000 * mine:>10.3f} "
                    f"{mine / theirs:>7.2f} {diff:>10.1e} {1000 * all_theirs:>11.3f} {1000 * all_mine:>10.3f} "
                    f"{all_mine / all_theirs:>7.2f} {all_diff:>8.1e}  {'; '.join(failures)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
