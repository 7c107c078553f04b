#!/usr/bin/env python3
"""Cross-checks whatif's identification (ID/IDC) against y0's.

Usage: identify_vs_y0.py PATH/TO/whatif [--random N] [--seed S]

Graphs: every acyclic graph of y0's example catalogue (every ordered pair of nodes as
treatment/outcome, and each pair once more with a third node conditioned on), and N random
ADMGs (default 200) of 5-9 nodes (several random queries each, 1-2 outcomes, 1-2 treatments,
sometimes a conditioning variable).

For every query:
  1. whatif (`identify P(Y | do(X), Z)` over a graph-only model, `--json`) and y0
     (`identify_outcomes`) must agree on identifiable or not;
  2. where both identify, each estimand is evaluated (at the all-zero values and up to five
     more value combinations drawn at random) on the same random discrete distribution
     — the observational distribution of a random SCM with the graph's structure (a binary
     latent parent per bidirected edge, binary observed variables, every probability in
     (0.1, 0.9)) — and both must equal the truth, P(Y | do(X), Z) of that SCM computed by the
     truncated factorisation, to 1e-9. whatif's estimand is read back from its printed text
     (`"estimand"`), so the text users see is what is checked.
Graphs with more than 18 observed-plus-latent nodes are checked for the verdict only.

Prints one line per disagreement with the side that is wrong (the one whose estimand differs
from the truth, or that raised; for a verdict disagreement, the side whose estimand is wrong,
else the side that failed to identify an effect the other identified correctly) and a
summary; exit status 1 when whatif is wrong or the blame is undecided, 0 otherwise.
"""
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile

import networkx as nx
import numpy as np
from y0.algorithm.identify import identify_outcomes
from y0.dsl import Fraction, One, Probability, Product, Sum, Variable, Zero
from y0.graph import NxMixedGraph
import y0.examples

TOLERANCE = 1e-9
MAX_ENUMERATED = 18
VALUES_PER_QUERY = 6


# ---------------------------------------------------------------------------------------------
# Graphs and queries.

def catalogue():
    """(name, nodes, directed, bidirected, queries) for each acyclic example graph."""
    seen = set()
    for example in y0.examples.examples:
        g = example.graph
        if not isinstance(g, NxMixedGraph) or not nx.is_directed_acyclic_graph(g.directed):
            continue
        nodes = sorted(str(v) for v in g.nodes())
        directed = sorted((str(a), str(b)) for a, b in g.directed.edges())
        bidirected = sorted(tuple(sorted((str(a), str(b)))) for a, b in g.undirected.edges())
        key = (tuple(nodes), tuple(directed), tuple(bidirected))
        if key in seen:
            continue
        seen.add(key)
        rng = random.Random(len(seen))
        queries = []
        pairs = list(itertools.permutations(nodes, 2))
        if len(pairs) > 60:  # the largest graphs: a fixed sample of pairs
            pairs = rng.sample(pairs, 60)
        for x, y in pairs:
            queries.append(([y], [x], []))
            others = [v for v in nodes if v not in (x, y)]
            if others:
                queries.append(([y], [x], [rng.choice(others)]))
        yield example.name, nodes, directed, bidirected, queries


def random_graphs(count, seed):
    rng = random.Random(seed)
    for i in range(count):
        n = rng.randint(5, 9)
        nodes = [f"v{j}" for j in range(n)]
        order = nodes[:]
        rng.shuffle(order)
        directed = [(order[a], order[b]) for a in range(n) for b in range(a + 1, n)
                    if rng.random() < 0.3]
        bidirected = [(nodes[a], nodes[b]) for a in range(n) for b in range(a + 1, n)
                      if rng.random() < 0.15]
        queries = []
        for _ in range(6):
            pool = nodes[:]
            rng.shuffle(pool)
            ny, nx_ = rng.randint(1, 2), rng.randint(1, 2)
            y, x = pool[:ny], pool[ny:ny + nx_]
            z = pool[ny + nx_:ny + nx_ + 1] if rng.random() < 0.4 else []
            queries.append((y, x, z))
        yield f"random {i}", nodes, directed, bidirected, queries


# ---------------------------------------------------------------------------------------------
# A random SCM with the graph's structure, enumerated.

class Scm:
    def __init__(self, nodes, directed, bidirected, rng):
        self.observed = list(nodes)
        latents = [f"_u{i}" for i in range(len(bidirected))]
        self.all = self.observed + latents
        index = {v: i for i, v in enumerate(self.all)}
        parents = {v: [] for v in self.all}
        for a, b in directed:
            parents[b].append(a)
        for u, (a, b) in zip(latents, bidirected):
            parents[a].append(u)
            parents[b].append(u)
        self.parents = {v: [index[p] for p in ps] for v, ps in parents.items()}
        self.index = index
        self.cpt = {v: rng.uniform(0.1, 0.9, size=2 ** len(self.parents[v])) for v in self.all}
        n = len(self.all)
        self.bits = ((np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.int64)
        self._do = {}

    def joint(self, fixed):
        """Probability of every full assignment under do(fixed), observed axes first."""
        p = np.ones(len(self.bits))
        for v in self.all:
            col = self.bits[:, self.index[v]]
            if v in fixed:
                p *= (col == fixed[v])
                continue
            row = np.zeros(len(self.bits), dtype=np.int64)
            for k, q in enumerate(self.parents[v]):
                row |= self.bits[:, q] << k
            p1 = self.cpt[v][row]
            p *= np.where(col == 1, p1, 1 - p1)
        return p

    def observational(self):
        """The observed variables' distribution as an array with one axis per variable."""
        p = self.joint({})
        n_obs = len(self.observed)
        table = np.zeros((2,) * n_obs)
        idx = tuple(self.bits[:, i] for i in range(n_obs))
        np.add.at(table, idx, p)
        return table

    def truth(self, y, x, z, values):
        key = tuple((v, values[v]) for v in x)
        if key not in self._do:
            self._do[key] = self.joint(dict(key))
        p = self._do[key]
        def mass(vs):
            mask = np.ones(len(self.bits), dtype=bool)
            for v in vs:
                mask &= self.bits[:, self.index[v]] == values[v]
            return p[mask].sum()
        return mass(y + z) / mass(z)


class Observed:
    """Margins and conditionals of a table over named binary variables."""

    def __init__(self, names, table):
        self.names = names
        self.table = table
        self.cache = {}
        self.memo = {}

    def margin(self, vars_):
        key = tuple(sorted(set(vars_), key=self.names.index))
        if key not in self.cache:
            drop = tuple(i for i, v in enumerate(self.names) if v not in key)
            self.cache[key] = (key, self.table.sum(axis=drop) if drop else self.table)
        return self.cache[key]

    def value(self, vars_, env_values):
        key, m = self.margin(vars_)
        return float(m[tuple(env_values[v] for v in key)]) if key else float(m)

    def conditional(self, children, parents, values):
        key = (tuple(children), tuple(parents),
               tuple(values[v] for v in children), tuple(values[v] for v in parents))
        got = self.memo.get(key)
        if got is None:
            got = self.value(list(children) + list(parents), values) / self.value(list(parents), values)
            self.memo[key] = got
        return got


# ---------------------------------------------------------------------------------------------
# Evaluating y0's estimands.

def eval_y0(expr, dist, env):
    if isinstance(expr, Probability):
        d = expr.distribution
        children = [v.name for v in d.children]
        parents = [v.name for v in d.parents]
        return dist.conditional(children, parents, env)
    if isinstance(expr, Sum):
        names = [v.name for v in expr.ranges]
        saved = {n: env.get(n) for n in names}
        total = 0.0
        for vals in itertools.product((0, 1), repeat=len(names)):
            env.update(zip(names, vals))
            total += eval_y0(expr.expression, dist, env)
        env.update(saved)
        return total
    if isinstance(expr, Product):
        out = 1.0
        for e in expr.expressions:
            out *= eval_y0(e, dist, env)
        return out
    if isinstance(expr, Fraction):
        return eval_y0(expr.numerator, dist, env) / eval_y0(expr.denominator, dist, env)
    if isinstance(expr, One):
        return 1.0
    if isinstance(expr, Zero):
        return 0.0
    raise ValueError(f"cannot evaluate {type(expr).__name__}: {expr}")


# ---------------------------------------------------------------------------------------------
# Reading and evaluating whatif's printed estimands.

TOKEN = re.compile(r"\s*(Σ_\{[^}]*\}|Σ_[A-Za-z_][A-Za-z0-9_]*'*|P\([^)]*\)|\[|\]|/|1)")


def parse_whatif(text):
    """The printed estimand as a tree: ('sum', names, body), ('prod', [..]), ('quot', a, b),
    ('p', children, parents), ('one',)."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"cannot read whatif's estimand at {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    items = iter(tokens + [None])
    current = [next(items)]

    def peek():
        return current[0]

    def take():
        t = current[0]
        current[0] = next(items)
        return t

    def product():
        factors = []
        while peek() is not None and peek() != "]":
            factors.append(factor())
        return ("prod", factors)

    def atom():
        t = take()
        if t == "[":
            inner = product()
            if take() != "]":
                raise ValueError("unbalanced brackets")
            return inner
        if t == "1":
            return ("one",)
        if t.startswith("P("):
            body = t[2:-1]
            left, _, right = body.partition("|")
            split = lambda s: [v.strip() for v in s.split(",") if v.strip()]
            return ("p", split(left), split(right))
        raise ValueError(f"unexpected token {t!r}")

    def factor():
        t = peek()
        if t.startswith("Σ_"):
            take()
            names = t[2:].strip("{}")
            names = [v.strip() for v in names.split(",")]
            return ("sum", names, product())
        a = atom()
        if peek() == "/":
            take()
            return ("quot", a, atom())
        return a

    tree = product()
    if peek() is not None:
        raise ValueError(f"trailing tokens in {text!r}")
    return tree


def eval_whatif(tree, dist, env):
    kind = tree[0]
    if kind == "one":
        return 1.0
    if kind == "p":
        # A primed name is a bound copy of its variable: look its value up by the full name.
        values = {}
        for v in tree[1] + tree[2]:
            values[v.rstrip("'")] = env[v]
        return dist.conditional([v.rstrip("'") for v in tree[1]],
                                [v.rstrip("'") for v in tree[2]], values)
    if kind == "prod":
        out = 1.0
        for f in tree[1]:
            out *= eval_whatif(f, dist, env)
        return out
    if kind == "quot":
        return eval_whatif(tree[1], dist, env) / eval_whatif(tree[2], dist, env)
    if kind == "sum":
        names = tree[1]
        saved = {n: env.get(n) for n in names}
        total = 0.0
        for vals in itertools.product((0, 1), repeat=len(names)):
            env.update(zip(names, vals))
            total += eval_whatif(tree[2], dist, env)
        env.update(saved)
        return total
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------

def y0_graph(nodes, directed, bidirected):
    """The graph for y0, with every node in both its directed and undirected parts."""
    d, u = nx.DiGraph(), nx.Graph()
    for v in nodes:
        d.add_node(Variable(v))
        u.add_node(Variable(v))
    d.add_edges_from((Variable(a), Variable(b)) for a, b in directed)
    u.add_edges_from((Variable(a), Variable(b)) for a, b in bidirected)
    return NxMixedGraph(directed=d, undirected=u)


def whatif_identify(binary, nodes, directed, bidirected, queries, workdir):
    lines = []
    connected = {v for e in directed + bidirected for v in e}
    for a, b in directed:
        lines.append(f"{a} -> {b}")
    for a, b in bidirected:
        lines.append(f"{a} <-> {b}")
    first = len(lines) + 1
    for y, x, z in queries:
        cond = f"do({', '.join(x)})" + (f", {', '.join(z)}" if z else "")
        lines.append(f"identify P({', '.join(y)} | {cond})")
    path = os.path.join(workdir, "graph.scm")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    proc = subprocess.run([binary, "run", path, "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"whatif failed: {proc.stderr}\n{open(path).read()}")
    results = {r["line"]: r for r in json.loads(proc.stdout)["results"]}
    return [results[first + i] for i in range(len(queries))], connected


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    n_random = 200
    seed = 17
    args = sys.argv[2:]
    if "--random" in args:
        n_random = int(args[args.index("--random") + 1])
    if "--seed" in args:
        seed = int(args[args.index("--seed") + 1])
    rng = np.random.default_rng(seed)
    stats = dict(graphs=0, queries=0, both_identify=0, neither=0, evaluated=0, values=0,
                 skipped_isolated=0, verdict_only=0)
    disagreements = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, nodes, directed, bidirected, queries in itertools.chain(
                catalogue(), random_graphs(n_random, seed)):
            stats["graphs"] += 1
            connected = {v for e in directed + bidirected for v in e}
            kept = [q for q in queries if all(v in connected for v in q[0] + q[1] + q[2])]
            stats["skipped_isolated"] += len(queries) - len(kept)
            if not kept:
                continue
            answers, _ = whatif_identify(binary, nodes, directed, bidirected, kept, workdir)
            graph = y0_graph(nodes, directed, bidirected)
            scm = None
            if len(nodes) + len(bidirected) <= MAX_ENUMERATED:
                scm = Scm(nodes, directed, bidirected, rng)
                dist = Observed(scm.observed, scm.observational())
            for (y, x, z), answer in zip(kept, answers):
                stats["queries"] += 1
                query = f"P({', '.join(y)} | do({', '.join(x)}){', ' + ', '.join(z) if z else ''})"
                try:
                    expr = identify_outcomes(
                        graph,
                        treatments={Variable(v) for v in x},
                        outcomes={Variable(v) for v in y},
                        conditions={Variable(v) for v in z} if z else None)
                except Exception as e:  # y0 raised: record it, check whatif alone
                    stats["y0_errors"] = stats.get("y0_errors", 0) + 1
                    disagreements.append(("y0", f"{name}: {query}: y0 raised {type(e).__name__}: {e}"
                                         f" (whatif: {answer.get('estimand') or answer.get('hedge')})"))
                    expr = "error"
                ours = answer["identifiable"]
                theirs = expr is not None
                if not ours and not theirs:
                    stats["neither"] += 1
                    continue
                if ours and theirs:
                    stats["both_identify"] += 1
                if scm is None:
                    stats["verdict_only"] += 1
                    if ours != theirs and expr != "error":
                        disagreements.append((None, f"{name}: {query}: whatif identifiable={ours}, y0 identifiable={theirs} (not enumerated: too large to tell which is right)"))
                    continue
                tree = parse_whatif(answer["estimand"]) if ours else None
                stats["evaluated"] += 1
                wrong = set()
                detail = ""
                combos = list(itertools.product((0, 1), repeat=len(y) + len(x) + len(z)))
                if len(combos) > VALUES_PER_QUERY:  # all zeros, then a fixed random sample
                    combos = combos[:1] + [combos[i] for i in sorted(
                        rng.choice(np.arange(1, len(combos)), VALUES_PER_QUERY - 1, replace=False))]
                for vals in combos:
                    # A variable an estimand leaves free (the napkin's Z1) may take any value
                    # when the estimand is right: fix every other variable at 0.
                    values = {v: 0 for v in nodes}
                    values.update(zip(y + x + z, vals))
                    truth = scm.truth(y, x, z, values)
                    stats["values"] += 1
                    for side, tree_or_expr, evaluate in (("whatif", tree, eval_whatif), ("y0", expr, eval_y0)):
                        if tree_or_expr is None or tree_or_expr == "error":
                            continue
                        got = evaluate(tree_or_expr, dist, dict(values))
                        if not abs(got - truth) <= TOLERANCE and side not in wrong:
                            wrong.add(side)
                            detail += f" {side} {got:.12g} vs truth {truth:.12g} at {values};"
                if ours != theirs and expr != "error":
                    # Whoever identified must match the truth; then the other side's verdict
                    # is the one in doubt.
                    identified_side = "whatif" if ours else "y0"
                    blame = identified_side if identified_side in wrong else ("y0" if ours else "whatif")
                    disagreements.append((blame, f"{name}: {query}: whatif identifiable={ours}, y0 identifiable={theirs};{detail} (whatif: {answer.get('estimand') or answer.get('hedge')}; y0: {expr})"))
                elif wrong:
                    disagreements.append((", ".join(sorted(wrong)), f"{name}: {query}:{detail} (whatif: {answer.get('estimand')}; y0: {expr})"))
    for blame, d in disagreements:
        print(f"DISAGREE (wrong: {blame or 'undecided'})", d)
    print(json.dumps(stats))
    ours = [d for blame, d in disagreements if blame is None or "whatif" in blame]
    print(f"{len(disagreements)} disagreements, {len(ours)} where whatif is wrong or undecided")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
