#!/usr/bin/env python3
"""Cross-checks `attribute` (LANGUAGE.md section 14) against DoWhy-GCM (issue 18).

The true model is a linear additive-noise chain with a confounding edge,

    x ~ Normal(0, 1);  m ~ Normal(0.8 x, 1);  y ~ Normal(0.5 m + 0.3 x, 1),

from which ROWS rows are drawn (numpy, fixed seed). DoWhy-GCM fits its invertible SCM
(linear additive-noise models, empirical root distributions) to the rows; whatif answers on
the true model, exactly (Gaussian algebra). Three comparisons:

1. Noise attribution of one anomalous row (x, m, y) = (2.5, 1.0, 3.2). whatif:
   `attribute y given x = 2.5, m = 1.0, y = 3.2`, v(S) = E[y with the noise of S kept and the
   rest redrawn | the row]. DoWhy: `gcm.attribute_anomalies` with `attribute_mean_deviation=True`
   and the identity as its anomaly scorer: it attributes g(y) - E[g(Y)] = y - E[y] over the
   same players (every upstream node's noise, the target's own included) with the same set
   function (the row's noise for S, random draws of the others). **The same quantity**: the
   two must agree up to DoWhy's fitting and its Monte Carlo over `num_distribution_samples`.
2. The same row with DoWhy's default score, the information-theoretic anomaly score
   -log P(g(Y) >= g(y)) of the MedianCDFQuantileScorer. **Not the same quantity**: it
   attributes a log tail probability, not the value itself, so only the ranking of the root
   causes is compared.
3. A distribution change: the new data come from x ~ Normal(1, 1) and m ~ Normal(1.2 x, 1)
   (y's mechanism unchanged). whatif: `attribute E[y] to do(x ~ Normal(1, 1),
   m ~ Normal(1.2 * x, 1))`, v(S) = E[y | do(S)]. DoWhy: `gcm.distribution_change` with the
   difference in means as its `difference_estimation_func`: v(S) = mean of y with the new
   mechanisms of S and the old ones elsewhere, each fitted from its data. **The same quantity**
   for the nodes whose mechanism changed; DoWhy decides which did by an independence test, so
   y (unchanged) gets 0 there when the test agrees, as it gets no player in whatif.

Every difference is printed with the standard error it should be compared with: DoWhy's
spread over REPEATS refits (fresh data and draws, seeds 0..REPEATS-1).

    pip install dowhy
    python3 scripts/attribution_vs_dowhy.py [--rows 5000] [--repeats 5] target/release/whatif
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

import networkx as nx
import numpy as np
import pandas as pd
from dowhy import gcm
from dowhy.gcm.anomaly_scorer import AnomalyScorer

MODEL = """x ~ Normal(0, 1)
m ~ Normal(0.8 * x, 1)
y ~ Normal(0.5 * m + 0.3 * x, 1)
"""
ROW = {"x": 2.5, "m": 1.0, "y": 3.2}
NEW = "do(x ~ Normal(1, 1), m ~ Normal(1.2 * x, 1))"


class Identity(AnomalyScorer):
    """g(v) = v: with `attribute_mean_deviation=True`, DoWhy attributes v - E[V]."""

    def fit(self, X):
        pass

    def score(self, X):
        return np.asarray(X, dtype=float).reshape(-1)


def draw(rows, rng, new=False):
    x = rng.normal(1.0 if new else 0.0, 1.0, rows)
    m = (1.2 if new else 0.8) * x + rng.normal(0.0, 1.0, rows)
    y = 0.5 * m + 0.3 * x + rng.normal(0.0, 1.0, rows)
    return pd.DataFrame({"x": x, "m": m, "y": y})


def fitted(data, invertible=True):
    graph = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y")])
    model = gcm.InvertibleStructuralCausalModel(graph) if invertible else \
        gcm.ProbabilisticCausalModel(graph)
    model.set_causal_mechanism("x", gcm.EmpiricalDistribution())
    for node in ["m", "y"]:
        model.set_causal_mechanism(
            node, gcm.AdditiveNoiseModel(gcm.ml.create_linear_regressor()))
    gcm.fit(model, data)
    return model


def whatif(binary):
    source = MODEL + (
        "attribute y given " + ", ".join(f"{k} = {v}" for k, v in ROW.items()) + "\n"
        + f"attribute E[y] to {NEW}\n")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.scm")
        with open(path, "w") as f:
            f.write(source)
        out = subprocess.run([binary, "run", "--json", path], capture_output=True, text=True,
                             check=True).stdout
    anomaly, change = json.loads(out)["results"]
    assert anomaly["method"] == "exact" and change["method"] == "exact", (anomaly, change)
    named = lambda a: {c["name"].split(" ")[0]: c["value"] for c in a["contributions"]}
    return named(anomaly), named(change)


def ranking(values):
    return [k for k, _ in sorted(values.items(), key=lambda kv: -abs(kv[1]))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--distribution-samples", type=int, default=20000)
    parser.add_argument("binary")
    args = parser.parse_args()
    gcm.config.disable_progress_bars()
    ours_anomaly, ours_change = whatif(args.binary)
    mean_dev = {k: [] for k in ours_anomaly}
    it_rankings = []
    change = {k: [] for k in ["x", "m", "y"]}
    for seed in range(args.repeats):
        gcm.util.general.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        old = draw(args.rows, rng)
        new = draw(args.rows, rng, new=True)
        model = fitted(old)
        row = pd.DataFrame([ROW])
        found = gcm.attribute_anomalies(
            model, "y", row, anomaly_scorer=Identity(), attribute_mean_deviation=True,
            num_distribution_samples=args.distribution_samples)
        for k in mean_dev:
            mean_dev[k].append(float(found[k][0]))
        found = gcm.attribute_anomalies(model, "y", row,
                                        num_distribution_samples=args.distribution_samples)
        it_rankings.append(ranking({k: float(v[0]) for k, v in found.items()}))
        found = gcm.distribution_change(
            fitted(old, invertible=False), old, new, "y",
            num_samples=args.distribution_samples,
            difference_estimation_func=lambda a, b: np.mean(b) - np.mean(a))
        for k in change:
            change[k].append(float(found.get(k, 0.0)))

    def table(title, ours, theirs):
        print(title)
        print(f"  {'player':<8}{'whatif (exact)':>16}{'DoWhy mean':>14}{'DoWhy sd':>12}"
              f"{'difference':>13}{'in sd':>8}")
        for k in sorted(theirs, key=lambda k: -abs(ours.get(k, 0.0))):
            mine = ours.get(k, 0.0)
            mean = statistics.mean(theirs[k])
            sd = statistics.stdev(theirs[k]) if len(theirs[k]) > 1 else float("nan")
            print(f"  {k:<8}{mine:>16.4f}{mean:>14.4f}{sd:>12.4f}{mean - mine:>13.4f}"
                  f"{(mean - mine) / sd if sd > 0 else float('nan'):>8.2f}")

    print(f"rows {args.rows}, refits {args.repeats}, distribution samples "
          f"{args.distribution_samples}\n")
    table(f"1. anomalous row {ROW}: contributions to y - E[y] (the same quantity)",
          ours_anomaly, mean_dev)
    agree = sum(r == ranking(ours_anomaly) for r in it_rankings)
    print(f"\n2. DoWhy's IT score (-log tail probability; not the same quantity): ranking "
          f"{ranking(ours_anomaly)} from whatif; DoWhy's rankings {it_rankings}; "
          f"{agree} of {len(it_rankings)} agree\n")
    table(f"3. change of E[y] under {NEW} (the same quantity; y's mechanism did not change)",
          ours_change, change)


if __name__ == "__main__":
    main()
