#!/usr/bin/env python3
"""whatif's exact engine beside pyAgrum LazyPropagation, same run, every network.

Not part of the build: `pip install pyagrum==3.3.1`, then
    cargo bench --bench exact_queries --no-run
    python3 scripts/exact_vs_pyagrum.py [../shared/data/networks] [NETWORK ...]

For each BIF network and each evidence load (none, 10, 30 variables observed at the states of
one seeded forward sample), a few target variables outside the evidence are asked at their
sampled state: pyAgrum answers with LazyPropagation and one target (a fresh engine per query:
evidence set, inference, posterior; timed as below, then the median over the queries),
whatif with `--method exact` through the library, the model and its questions parsed and
checked once (benches/exact_queries.rs: the median over its runs of the time per query).
Repeats adapt to the time taken: every timing is the median of as many runs as fit in half a
second (at most 200), and of at least 3 unless they would take over 5 s, so short timings are
not one noisy run and long ones are not repeated for minutes.
The table prints whatif / pyAgrum time ratios
(below 1: whatif faster), the largest difference between the two answers, and every query one
side could not answer. pyAgrum keeps tables as float32, so answers differ by up to ~1e-6.

The `P(*)` columns time all marginals under the same evidence: pyAgrum's LazyPropagation with
every node a target (a fresh engine: evidence set, `makeInference`, `posterior` of every node),
whatif's `query P(* | ...)` (one calibrated junction tree), each timed as above;
`*diff` is the largest difference over every value of every marginal. pyAgrum's all-targets
inference runs in a child process limited to PYAGRUM_MEMORY bytes of address space: without
evidence on link its junction tree holds 1.3e9 entries, and it is reported as out of memory
rather than taking the machine down.

`workload(bn, network)` is the seeded choice of evidence and targets, shared with
scripts/exact_held_out.py and scripts/exact_hard_orders_expectations.py.
"""
import glob
import json
import multiprocessing
import os
import random
import resource
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
MIN_REPEATS, MAX_REPEATS, BUDGET, LONG = 3, 200, 0.5, 5.0
PYAGRUM_MEMORY = 8 << 30


def timed(run):
    """The median time of `run()` over runs until BUDGET seconds are spent (at most
    MAX_REPEATS; at least MIN_REPEATS unless they take over LONG seconds), and its value."""
    times, value = [], None
    while not times or (
        len(times) < MAX_REPEATS
        and (sum(times) < BUDGET or (len(times) < MIN_REPEATS and sum(times) < LONG))
    ):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def workload(bn, network, loads=LOADS, targets=TARGETS):
    """For each evidence load: (load, evidence {name: state index}, the forward sample, the
    target names), seeded by the network's name."""
    rng = random.Random(network)
    names = sorted(bn.variable(n).name() for n in bn.nodes())
    for load in loads:
        sample = heavy.forward_sample(bn, rng)
        observed = rng.sample(names, min(load, len(names) - 1))
        evidence = {v: sample[v] for v in observed}
        free = [v for v in names if v not in evidence]
        yield load, evidence, sample, rng.sample(free, min(targets, len(free)))


def given_text(bn, evidence):
    """The evidence as whatif writes it after `|`."""
    return ", ".join(
        f"{heavy.identifier(v)} = {heavy.label(bif.label(bn, v, i))}"
        for v, i in sorted(evidence.items())
    )


def query_text(bn, evidence, target, state):
    """`P(target = state | evidence)` for the imported model."""
    event = f"{heavy.identifier(target)} = {heavy.label(bif.label(bn, target, state))}"
    given = given_text(bn, evidence)
    return f"P({event} | {given})" if given else f"P({event})"


def bench_binary():
    candidates = glob.glob(os.path.join(HERE, "..", "target", "release", "deps", "exact_queries-*"))
    candidates = [c for c in candidates if os.access(c, os.X_OK) and not c.endswith(".d")]
    if not candidates:
        sys.exit("build it first: cargo bench --bench exact_queries --no-run")
    return max(candidates, key=os.path.getmtime)


def whatif_binary():
    return os.path.join(HERE, "..", "target", "release", "whatif")


def pyagrum_time(bn, evidence, target):
    def run():
        ie = gum.LazyPropagation(bn)
        ie.setEvidence(evidence)
        ie.addTarget(target)
        ie.makeInference()
        return ie.posterior(target)

    return timed(run)


def pyagrum_all_child(directory, network, evidence, pipe):
    resource.setrlimit(resource.RLIMIT_AS, (PYAGRUM_MEMORY, PYAGRUM_MEMORY))
    bn = bif.load(directory, network)
    try:
        def run():
            ie = gum.LazyPropagation(bn)
            ie.setEvidence(evidence)
            ie.makeInference()
            return {bn.variable(n).name(): list(ie.posterior(n).toarray()) for n in bn.nodes()}

        pipe.send(timed(run))
    except MemoryError:
        pipe.send(None)
    except Exception as e:  # pyAgrum raises std::bad_alloc as a plain Exception
        if "bad_alloc" not in str(e):
            raise
        pipe.send(None)


def pyagrum_all_time(directory, network, evidence):
    """All marginals by pyAgrum in a memory-limited child (spawned, not forked: pyAgrum's
    threads make a forked child deadlock): (time, {name: probabilities}), or None when it ran
    out of memory."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=pyagrum_all_child, args=(directory, network, evidence, theirs))
    child.start()
    theirs.close()
    try:
        result = ours.recv()
    except EOFError:  # the child died (pyAgrum aborts on some allocation failures)
        result = None
    child.join()
    return result


def run_bench(bench, model, queries_path, queries):
    open(queries_path, "w").write("\n".join(queries) + "\n")
    out = subprocess.run([bench, model, queries_path, "auto"], capture_output=True, text=True)
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
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, network + ".scm")
            open(model, "w").write(source)
            for load, evidence, sample, targets in workload(bn, network):
                rows = []
                for target in targets:
                    t, posterior = pyagrum_time(bn, evidence, target)
                    state = sample[target]
                    rows.append((query_text(bn, evidence, target, state), t, float(posterior[state])))
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
                everything = pyagrum_all_time(directory, network, evidence)
                given = given_text(bn, evidence)
                query = f"P(* | {given})" if given else "P(*)"
                lines, all_mine, stopped = run_bench(bench, model, queries, [query])
                all_theirs, all_diff = float("nan"), float("nan")
                if everything is None:
                    failures.append(f"P(*): pyAgrum ran out of memory ({PYAGRUM_MEMORY >> 30} GiB)")
                if stopped:
                    failures.append("P(*): " + stopped)
                elif lines[0].startswith("error"):
                    failures.append("P(*): " + lines[0][6:][:120])
                elif everything is not None:
                    all_theirs, posteriors = everything
                    got = json.loads(lines[0].split("\t", 1)[1])
                    all_diff = 0.0
                    for name, expected in posteriors.items():
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
