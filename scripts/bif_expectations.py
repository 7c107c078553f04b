#!/usr/bin/env python3
"""Exact answers for the imported BIF networks, from an independent implementation (pyAgrum).

Not part of the build: `pip install pyagrum==3.3.1`, then
    python3 scripts/bif_expectations.py ../shared/data/networks > tests/data/bif/expected.tsv
and commit the result. Each line: network, a whatif query, pyAgrum's answer. Queries per
network: the prior of its last variable's first state, a posterior given two findings, and an
interventional query computed by graph surgery on a copy of the network (arcs into the
intervened variable removed, its table set to the chosen state). pyAgrum keeps CPTs as
float32, so its answers differ from f64 ones in about the seventh digit.
"""
import os, re, sys
import pyagrum as gum

NETWORKS = ["asia", "cancer", "child", "insurance", "alarm"]


LABELS = {}  # (network variable, pyAgrum label) -> the BIF label, for child.bif


def load(directory, name):
    path = os.path.join(directory, name + ".bif")
    try:
        return gum.loadBN(path)
    except Exception:
        # pyAgrum 3.3.1's reader rejects labels such as `Asy/Patch` and `<5` (child.bif): build
        # the network through pyAgrum's API instead, states renamed s0, s1, ... for it.
        return build(open(path).read())


def build(text):
    bn = gum.BayesNet()
    states = {}
    for m in re.finditer(r"variable\s+(\S+)\s*\{\s*type\s+discrete\s*\[\s*\d+\s*\]\s*\{([^}]*)\}", text):
        name, labels = m.group(1), [s.strip() for s in m.group(2).split(",")]
        states[name] = labels
        bn.add(gum.LabelizedVariable(name, name, [f"s{i}" for i in range(len(labels))]))
        for i, l in enumerate(labels):
            LABELS[(name, f"s{i}")] = l
    blocks = list(re.finditer(r"probability\s*\(\s*([^)|]+?)\s*(?:\|\s*([^)]*))?\)\s*\{([^}]*)\}", text))
    for m in blocks:
        child = m.group(1).strip()
        for parent in [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]:
            bn.addArc(parent, child)
    for m in blocks:
        child = m.group(1).strip()
        parents = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
        for row in m.group(3).split(";"):
            row = row.strip()
            if not row:
                continue
            if row.startswith("table"):
                bn.cpt(child).fillWith([float(x) for x in row[5:].split(",")])
            else:
                key, probs = row[1:].split(")", 1)
                where = {p: states[p].index(k.strip()) for p, k in zip(parents, key.split(","))}
                bn.cpt(child)[where] = [float(x) for x in probs.split(",")]
    return bn


def label(bn, var, index):
    state = bn.variable(var).label(index)
    return LABELS.get((var, state), state)


def ident(name):
    return name  # the five networks' names are already whatif identifiers


def posterior(bn, target, evidence):
    ie = gum.LazyPropagation(bn)
    ie.setEvidence(evidence)
    ie.makeInference()
    return ie.posterior(target)[0]


def surgery(bn, var, state_index):
    cut = gum.BayesNet(bn)
    for parent in list(cut.parents(var)):
        cut.eraseArc(parent, cut.idFromName(var) if isinstance(var, str) else var)
    values = [0.0] * cut.variable(var).domainSize()
    values[state_index] = 1.0
    cut.cpt(var).fillWith(values)
    return cut


def main():
    directory = sys.argv[1]
    for name in NETWORKS:
        bn = load(directory, name)
        names = [bn.variable(i).name() for i in bn.topologicalOrder()]
        target = names[-1]
        t0 = label(bn, target, 0)
        # The prior of the last variable in topological order.
        p = posterior(bn, target, {})
        print(f"{name}\tP({ident(target)} = \"{t0}\")\t{p:.12g}")
        # A posterior given two findings on other variables (first states).
        e1, e2 = names[0], names[len(names) // 2]
        evidence = {e1: 0, e2: 0}
        p = posterior(bn, target, evidence)
        cond = ", ".join(f"{v} = \"{label(bn, v, 0)}\"" for v in (e1, e2))
        print(f"{name}\tP({target} = \"{t0}\" | {cond})\t{p:.12g}")
        # An intervention on a variable in the middle, observed downstream.
        x = names[len(names) // 3]
        cut = surgery(bn, x, 1)
        p = posterior(cut, target, {})
        print(f"{name}\tP({target} = \"{t0}\" | do({x} = \"{label(bn, x, 1)}\"))\t{p:.12g}")
    # The benchmark query of ../shared/bench/MODELS.md.
    bn = load(directory, "alarm")
    p = posterior(bn, "BP", {"CVP": "HIGH", "PCWP": "HIGH", "HRBP": "HIGH"})
    print(f"alarm\tP(BP = \"LOW\" | CVP = \"HIGH\", PCWP = \"HIGH\", HRBP = \"HIGH\")\t{p:.12g}")


if __name__ == "__main__":
    main()
