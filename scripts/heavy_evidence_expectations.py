#!/usr/bin/env python3
"""Exact posteriors under heavy evidence, from an independent implementation (pyAgrum).

Not part of the build: `pip install pyagrum==3.3.1`, then
    python3 scripts/heavy_evidence_expectations.py ../shared/data/networks \
        > tests/data/exact_scale/heavy_evidence.tsv
and commit the result (tests/exact_scale.rs reads it).

For each network and each evidence load (10 and 30 variables), one forward sample of the
network (seeded) gives the evidence: that many variables chosen at random, observed at their
sampled states. Each line is a whatif query on the imported model — a target variable outside
the evidence at one of its states — and pyAgrum LazyPropagation's posterior. The names and
labels are written the way `whatif import` writes them.
"""
import os
import random
import re
import sys

import pyagrum as gum

NETWORKS = ["mildew", "barley", "munin1", "link", "water", "hepar2", "win95pts", "alarm"]
LOADS = [10, 30]
TARGETS_PER_LOAD = 2

HERE = os.path.dirname(os.path.abspath(__file__))
KEYWORDS = set(
    re.findall(
        r'"(\w+)"',
        re.search(
            r"pub const KEYWORDS: &\[&str\] = &\[(.*?)\];",
            open(os.path.join(HERE, "..", "src", "syntax", "mod.rs")).read(),
            re.S,
        ).group(1),
    )
)


def identifier(name):
    """The identifier `whatif import` gives a BIF name (src/bif.rs, `identifier`)."""
    out = "".join(c if (c.isascii() and c.isalnum()) or c == "_" else "_" for c in name)
    if not out or out[0].isdigit():
        out = "_" + out
    if out in KEYWORDS or out in ("P", "E"):
        out += "_"
    return out


def label(state):
    return '"' + state.replace('"', "'") + '"'


def forward_sample(bn, rng):
    state = {}
    for node in bn.topologicalOrder():
        name = bn.variable(node).name()
        cpt = bn.cpt(node)
        where = {bn.variable(p).name(): state[bn.variable(p).name()] for p in bn.parents(node)}
        row = cpt[where] if where else cpt[:]
        weights = [float(x) for x in row]
        state[name] = rng.choices(range(len(weights)), weights=weights)[0]
    return state


def main(directory):
    rng = random.Random(20261129)
    for network in NETWORKS:
        bn = gum.loadBN(os.path.join(directory, network + ".bif"))
        names = [bn.variable(n).name() for n in bn.nodes()]
        names.sort()
        for load in LOADS:
            sample = forward_sample(bn, rng)
            observed = rng.sample(names, load)
            evidence = {v: sample[v] for v in observed}
            free = [v for v in names if v not in evidence]
            for target in rng.sample(free, TARGETS_PER_LOAD):
                ie = gum.LazyPropagation(bn)
                ie.setEvidence(evidence)
                ie.makeInference()
                posterior = ie.posterior(target)
                state = sample[target]
                value = float(posterior[state])
                given = ", ".join(
                    f"{identifier(v)} = {label(bn.variable(v).label(i))}"
                    for v, i in sorted(evidence.items())
                )
                query = f"P({identifier(target)} = {label(bn.variable(target).label(state))} | {given})"
                print(f"{network}\t{load}\t{query}\t{value!r}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/networks")
