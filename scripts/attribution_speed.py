#!/usr/bin/env python3
"""Issue 18's speed figures for `attribute`, measured as medians of REPEATS runs of one binary:

* 30 players on a linear-Gaussian chain by permutation sampling (the default 1,000
  permutations; Gaussian algebra answers every coalition exactly, so the standard errors are
  those of the permutations alone), with the largest standard error as a share of the total
  change `value - baseline` (the goal: at most 1%, in under 5 seconds). With point evidence on
  a linear model the game is additive (a player's marginal contribution is the same in every
  order), so that share is zero to rounding: the figure measures the time, not the spread;
* 10 players on a discrete model, every coalition (1,024) by variable elimination (the goal:
  under a second).

Each row is printed beside a baseline measured in the same run, interleaved with it: one exact
query on the same model (`whatif run` of `query E[...]`), so that a loaded machine shows as a
larger baseline rather than as a slower attribution.

    python3 scripts/attribution_speed.py [--repeats 5] [--threads N] target/release/whatif
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time


def chain(players):
    lines = ["x0 ~ Normal(0, 1)"]
    lines += [f"x{i} ~ Normal(0.9 * x{i - 1}, 1)" for i in range(1, players)]
    return lines, f"x{players - 1}", f"x{players - 1} = 3"


def coins(players):
    lines = [f"b{i} ~ Bernoulli({0.1 + 0.08 * i:.2f})" for i in range(players)]
    lines.append("y := " + " + ".join(f"b{i}" for i in range(players)))
    return lines, "y", "y > 6"


def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr[:800]}")
    return wall, cpu, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("binary")
    args = parser.parse_args()
    threads = ["--threads", str(args.threads)] if args.threads else []
    print(f"{'case':<44}{'wall (median)':>15}{'cpu (median)':>15}{'baseline wall':>15}"
          f"{'ratio':>8}{'max se/total':>14}")
    with tempfile.TemporaryDirectory() as directory:
        for name, (lines, target, evidence) in [
            ("30 players, chain, 1,000 permutations", chain(30)),
            ("10 players, coins, every coalition", coins(10)),
        ]:
            model = os.path.join(directory, "model.scm")
            query = os.path.join(directory, "query.scm")
            with open(model, "w") as f:
                f.write("\n".join(lines + [f"attribute {target} given {evidence}"]) + "\n")
            with open(query, "w") as f:
                f.write("\n".join(lines + [f"query E[{target} | {evidence}]"]) + "\n")
            runs, baselines = [], []
            for _ in range(args.repeats):  # interleaved, so load drifts hit both alike
                runs.append(timed([args.binary, "run", "--json", model] + threads))
                baselines.append(timed([args.binary, "run", "--json", query] + threads))
            answer = json.loads(runs[0][2])["results"][0]
            total = answer["value"] - answer["baseline"]
            largest = max((c["stderr"] or 0.0) for c in answer["contributions"])
            shares = sum(c["value"] for c in answer["contributions"])
            assert abs(shares - total) <= 1e-9 * max(1.0, abs(total)), (shares, total)
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            base = statistics.median(b[0] for b in baselines)
            print(f"{name:<44}{wall:>13.2f} s{cpu:>13.2f} s{base:>13.3f} s{wall / base:>8.1f}"
                  f"{largest / abs(total):>14.2e}")
            print(f"{'':<4}{answer['coalitions']} coalitions, method {answer['method']}, "
                  f"permutations {answer['permutations']}, total change {total:.6f}")


if __name__ == "__main__":
    main()
