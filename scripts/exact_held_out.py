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

pyAgrum answers in a child process (spawned, limited to PYAGRUM_MEMORY bytes of address space),
one query at a time, each given PYAGRUM_SECONDS (`--timeout S`): a query it does not answer in
time (link's heaviest loads) or runs out of memory on is listed as pyAgrum's, the child is
replaced, and the check goes on; whatif's answer to such a query is still required (an error
is a failure), only not compared.
"""
import multiprocessing
import os
import random
import resource
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
PYAGRUM_SECONDS = 120.0
PYAGRUM_MEMORY = 8 << 30


def queries_for(bn, network, count):
    """`count` seeded random queries: (query text, evidence, target, state)."""
    names = sorted(bn.variable(n).name() for n in bn.nodes())
    out = []
    for k in range(count):
        rng = random.Random(f"{network}/{k}")
        sample = heavy.forward_sample(bn, rng)
        load = rng.randint(0, min(MAX_LOAD, len(names) - 1))
        evidence = {v: sample[v] for v in rng.sample(names, load)}
        target = rng.choice([v for v in names if v not in evidence])
        state = rng.randrange(bn.variable(target).domainSize())
        out.append((bench.query_text(bn, evidence, target, state), evidence, target, state))
    return out


def pyagrum_child(directory, network, pipe):
    """Answers (evidence, target, state) from `pipe` one at a time with LazyPropagation."""
    resource.setrlimit(resource.RLIMIT_AS, (PYAGRUM_MEMORY, PYAGRUM_MEMORY))
    bn = bif.load(directory, network)
    pipe.send("ready")
    while True:
        evidence, target, state = pipe.recv()
        ie = gum.LazyPropagation(bn)
        ie.setEvidence(evidence)
        ie.addTarget(target)
        try:
            ie.makeInference()
            pipe.send(float(ie.posterior(target)[state]))
        except Exception as e:  # impossible evidence cannot come from a forward sample
            pipe.send(f"pyAgrum: {str(e)[:80]}")


class PyAgrum:
    """pyAgrum's answers from a child process, each within `seconds` (else a string saying
    why not; the child is then replaced)."""

    def __init__(self, directory, network, seconds):
        self.args, self.seconds, self.child = (directory, network), seconds, None

    def start(self):
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.child = context.Process(target=pyagrum_child, args=(*self.args, theirs))
        self.child.start()
        theirs.close()
        self.pipe.recv()  # the network loaded: the clock runs per query only

    def stop(self):
        if self.child is not None:
            self.child.kill()
            self.child.join()
            self.child = None

    def ask(self, evidence, target, state):
        if self.child is None:
            self.start()
        self.pipe.send((evidence, target, state))
        try:
            if self.pipe.poll(self.seconds):
                return self.pipe.recv()
            why = f"pyAgrum: no answer in {self.seconds:g} s"
        except EOFError:  # the child died (out of memory: pyAgrum aborts)
            why = f"pyAgrum: died (memory limit {PYAGRUM_MEMORY >> 30} GiB)"
        self.stop()
        return why


def main():
    args = sys.argv[1:]
    directory = args[0] if args and os.path.isdir(args[0]) else "../shared/data/networks"
    total, seconds = 2000, PYAGRUM_SECONDS
    if "--queries" in args:
        total = int(args[args.index("--queries") + 1])
    if "--timeout" in args:
        seconds = float(args[args.index("--timeout") + 1])
    flags = ("--queries", "--timeout")
    values = {args[i + 1] for i, a in enumerate(args[:-1]) if a in flags}
    only = [a for a in args if not os.path.isdir(a) and a not in flags and a not in values]
    networks = sorted(
        os.path.basename(p)[:-4] for p in os.listdir(directory) if p.endswith(".bif")
    )
    if only:
        networks = [n for n in networks if n in only]
    binary = bench.bench_binary()
    per, extra = divmod(total, len(networks))
    print(f"{'network':<12} {'queries':>7} {'compared':>8} {'max |diff|':>10} {'max rel':>9}  failures")
    worst, asked, compared_all, failed, theirs = 0.0, 0, 0, 0, 0
    for i, network in enumerate(networks):
        count = per + (1 if i < extra else 0)
        bn = bif.load(directory, network)
        pyagrum = PyAgrum(directory, network, seconds)
        rows = []
        try:
            for query, evidence, target, state in queries_for(bn, network, count):
                rows.append((query, pyagrum.ask(evidence, target, state)))
        finally:
            pyagrum.stop()
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
        failures, unanswered, diff, rel, compared = [], [], 0.0, 0.0, 0
        for (query, expected), outcome in zip(rows, lines):
            if outcome.startswith("error"):
                failures.append(outcome[6:][:100])
            elif isinstance(expected, str):
                unanswered.append(expected)
            else:
                d = abs(float(outcome) - expected)
                diff = max(diff, d)
                rel = max(rel, d / max(expected, 1e-300))
                compared += 1
        if len(lines) < len(rows):
            failures.append(f"the bench stopped: {out.stderr.strip()[-200:]}")
        worst, asked, failed = max(worst, diff), asked + len(rows), failed + len(failures)
        compared_all, theirs = compared_all + compared, theirs + len(unanswered)
        notes = failures
        if unanswered:
            notes = notes + [f"{len(unanswered)} not answered by pyAgrum ({unanswered[0]})"]
        print(
            f"{network:<12} {len(rows):>7} {compared:>8} {diff:>10.1e} {rel:>9.1e}  {'; '.join(notes)}",
            flush=True,
        )
    print(
        f"{'all':<12} {asked:>7} {compared_all:>8} {worst:>10.1e} {'':>9}  "
        f"{failed} failed, {theirs} not answered by pyAgrum"
    )


if __name__ == "__main__":
    main()
