#!/usr/bin/env python3
"""The held-out check of whatif's exact engine: random queries on every bnlearn network against
pyAgrum LazyPropagation, the largest difference per network.

Not part of the build: `pip install pyagrum==3.3.1`, then
    cargo bench --bench exact_queries --no-run
    python3 scripts/exact_held_out.py [../shared/data/networks] [--queries N] [NETWORK ...]

N (2,000 by default) queries are spread evenly over the networks. Each query is drawn (seeded
by the network's name and the query's number, so a rerun asks the same questions): a forward
sample of the network, an evidence load uniform on 0..30 variables observed at their sampled
states, a target outside the evidence and one of its states uniformly. pyAgrum answers with
LazyPropagation and that one target; whatif with `--method exact` through the library
(benches/exact_queries.rs, each query answered once). pyAgrum keeps its tables as float32, so
"machine precision" here is float32's: differences of a few 1e-8 (relative 2^-24 per entry,
compounded over a few dozen products). A query either side refuses is a failure, listed.
"""
import os
import random
import subprocess
import sys
import tempfile

import pyagrum as gum

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bif_expectations as bif  # noqa: E402
import exact_vs_pyagrum as bench  # noqa: E402  (query text, the bench binary)
import heavy_evidence_expectations as heavy  # noqa: E402

MAX_LOAD = 30


def queries_for(bn, network, count):
    """`count` seeded random queries: (query text, pyAgrum's posterior of the target state)."""
    names = sorted(bn.variable(n).name() for n in bn.nodes())
    out = []
    for k in range(count):
        rng = random.Random(f"{network}/{k}")
        sample = heavy.forward_sample(bn, rng)
        load = rng.randint(0, min(MAX_LOAD, len(names) - 1))
        evidence = {v: sample[v] for v in rng.sample(names, load)}
        target = rng.choice([v for v in names if v not in evidence])
        state = rng.randrange(bn.variable(target).domainSize())
        ie = gum.LazyPropagation(bn)
        ie.setEvidence(evidence)
        ie.addTarget(target)
        try:
            ie.makeInference()
            expected = float(ie.posterior(target)[state])
        except Exception as e:  # impossible evidence cannot come from a forward sample
            expected = f"pyAgrum: {e}"
        out.append((bench.query_text(bn, evidence, target, state), expected))
    return out


def main():
    args = sys.argv[1:]
    directory = args[0] if args and os.path.isdir(args[0]) else "../shared/data/networks"
    total = 2000
    if "--queries" in args:
        total = int(args[args.index("--queries") + 1])
    only = [a for a in args if not os.path.isdir(a) and not a.isdigit() and a != "--queries"]
    networks = sorted(
        os.path.basename(p)[:-4] for p in os.listdir(directory) if p.endswith(".bif")
    )
    if only:
        networks = [n for n in networks if n in only]
    binary = bench.bench_binary()
    per, extra = divmod(total, len(networks))
    print(f"{'network':<12} {'queries':>7} {'max |diff|':>10} {'max rel':>9}  failures")
    worst, asked, failed = 0.0, 0, 0
    for i, network in enumerate(networks):
        count = per + (1 if i < extra else 0)
        bn = bif.load(directory, network)
        rows = queries_for(bn, network, count)
        source = subprocess.run(
            [bench.whatif_binary(), "import", os.path.join(directory, network + ".bif")],
            capture_output=True, text=True, check=True,
        ).stdout
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, network + ".scm")
            open(model, "w").write(source)
            queries = os.path.join(tmp, "queries.txt")
            open(queries, "w").write("\n".join(q for q, _ in rows) + "\n")
            out = subprocess.run([binary, model, queries, "1"], capture_output=True, text=True)
        lines = out.stdout.splitlines()
        failures, diff, rel = [], 0.0, 0.0
        for (query, expected), outcome in zip(rows, lines):
            if isinstance(expected, str):
                failures.append(expected[:100])
            elif outcome.startswith("error"):
                failures.append(outcome[6:][:100])
            else:
                d = abs(float(outcome) - expected)
                diff = max(diff, d)
                rel = max(rel, d / max(expected, 1e-300))
        if len(lines) < len(rows):
            failures.append(f"the bench stopped: {out.stderr.strip()[-200:]}")
        worst, asked, failed = max(worst, diff), asked + len(rows), failed + len(failures)
        print(f"{network:<12} {len(rows):>7} {diff:>10.1e} {rel:>9.1e}  {'; '.join(failures)}", flush=True)
    print(f"{'all':<12} {asked:>7} {worst:>10.1e} {'':>9}  {failed} failed")


if __name__ == "__main__":
    main()
