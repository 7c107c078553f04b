#!/usr/bin/env python3
"""SMC on models with discrete latents, against truths computed another way.

Usage: python3 benches/discrete_latents.py BIN [BIN...] [--samples 16384] [--seeds 60]

For each model below (a latent class behind 60 coin flips, a two-component mixture with 20
membership coins, a dense model of one coin and one mean) it writes the model to a temporary
file, computes each query's truth (enumeration, or quadrature over the one continuous
parameter with the coins summed out), runs `BIN run --method smc --threads 1 --json` for seeds
1..SEEDS and prints, per query, the median reported standard error, the median CPU seconds,
and z = (answer - truth) / reported SE: its mean, its sd, and how many seeds are within 3.
Give several binaries (an earlier commit's release build first) to compare them in one run;
they alternate seed by seed, so the machine's noise falls on both alike.
"""
import argparse, json, math, os, resource, statistics, subprocess, tempfile

CLASS_EVIDENCE = "obs[i] for i in 1..33, not obs[i] for i in 34..60"
CLASSES = f"""z ~ Categorical(0.5, 0.3, 0.2)
for i in 1..60 {{
  obs[i] ~ Bernoulli(match z {{ 0 => 0.4, 1 => 0.5, _ => 0.6 }})
}}
query P(z == 2 | {CLASS_EVIDENCE})
"""

MIXTURE_DATA = [2.1, 0.3, 3.0, -0.5, 2.8, 1.9, -1.2, 2.6, 0.1, 3.4, 2.2, -0.3, 2.9, 0.8, 2.4,
                -0.9, 3.1, 1.5, 2.7, 0.2]
MIX_EVIDENCE = ", ".join(f"x[{i + 1}] = {x}" for i, x in enumerate(MIXTURE_DATA))
MIXTURE = f"""mu ~ Normal(0, 2)
for i in 1..20 {{
  c[i] ~ Bernoulli(0.5)
  x[i] ~ Normal(if c[i] then mu else 0, 1)
}}
query E[mu | {MIX_EVIDENCE}]
query P(c[2] | {MIX_EVIDENCE})
query P(c[3] | {MIX_EVIDENCE})
"""

DENSE_DATA = [1.2, 0.7, 1.9, 1.1, 0.4, 1.5, 0.9, 1.3, 2.0, 0.8]
DENSE_EVIDENCE = ", ".join(f"y[{i + 1}] = {y}" for i, y in enumerate(DENSE_DATA))
DENSE = f"""z ~ Bernoulli(0.3)
mu ~ Normal(0, 1)
for i in 1..10 {{
  y[i] ~ Normal(if z then mu else 2 * mu, 1)
}}
query P(z | {DENSE_EVIDENCE})
query E[mu | {DENSE_EVIDENCE}]
"""


def grid(lo, hi, n):
    return [lo + (hi - lo) * k / (n - 1) for k in range(n)]


def classes_truth():
    prior, p = [0.5, 0.3, 0.2], [0.4, 0.5, 0.6]
    log = [math.log(prior[k]) + 33 * math.log(p[k]) + 27 * math.log(1 - p[k]) for k in range(3)]
    m = max(log)
    w = [math.exp(x - m) for x in log]
    return [w[2] / sum(w)]


def mixture_truth():
    phi = lambda t: math.exp(-0.5 * t * t)
    mass = first = c2 = c3 = 0.0
    for mu in grid(-12, 12, 24001):
        d = math.exp(-0.125 * mu * mu + sum(math.log(phi(x - mu) + phi(x)) for x in MIXTURE_DATA))
        r = lambda x: phi(x - mu) / (phi(x - mu) + phi(x))
        mass += d
        first += d * mu
        c2 += d * r(MIXTURE_DATA[1])
        c3 += d * r(MIXTURE_DATA[2])
    return [first / mass, c2 / mass, c3 / mass]


def dense_truth():
    def given(a):
        m0 = m1 = 0.0
        for mu in grid(-8, 8, 16001):
            lik = math.exp(-0.5 * mu * mu - 0.5 * sum((y - a * mu) ** 2 for y in DENSE_DATA))
            m0 += lik
            m1 += lik * mu
        return m0, m1
    (a0, a1), (b0, b1) = given(1), given(2)
    z = 0.3 * a0 + 0.7 * b0
    return [0.3 * a0 / z, (0.3 * a1 + 0.7 * b1) / z]


MODELS = [("classes", CLASSES, classes_truth), ("mixture", MIXTURE, mixture_truth),
          ("dense", DENSE, dense_truth)]


def run(binary, path, samples, seed):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    out = subprocess.run([binary, "run", path, "--method", "smc", "--samples", str(samples),
                          "--seed", str(seed), "--threads", "1", "--json"],
                         capture_output=True, text=True, check=True).stdout
    seconds = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    return json.loads(out)["results"], seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--seeds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, truth_of in MODELS:
            path = os.path.join(tmp, f"{name}.scm")
            with open(path, "w") as f:
                f.write(text)
            truth = truth_of()
            stats = {b: {"z": [[] for _ in truth], "se": [[] for _ in truth], "t": []}
                     for b in args.binaries}
            for seed in range(1, args.seeds + 1):
                for b in args.binaries:
                    results, seconds = run(b, path, args.samples, seed)
                    stats[b]["t"].append(seconds)
                    for q, t in enumerate(truth):
                        r = results[q]
                        stats[b]["z"][q].append((r["value"] - t) / r["stderr"])
                        stats[b]["se"][q].append(r["stderr"])
            print(f"## {name}: {args.samples} samples, seeds 1-{args.seeds}, 1 thread")
            for b in args.binaries:
                s = stats[b]
                print(f"  {b}: median CPU {statistics.median(s['t']):.3f} s")
                for q, t in enumerate(truth):
                    z = s["z"][q]
                    print(f"    query {q + 1} (truth {t:.6f}): median SE {statistics.median(s['se'][q]):.2e}, "
                          f"z mean {statistics.mean(z):+.2f} sd {statistics.stdev(z):.2f}, "
                          f"within 3 SE {sum(abs(x) <= 3 for x in z)}/{len(z)}, max |z| {max(abs(x) for x in z):.2f}")


if __name__ == "__main__":
    main()
