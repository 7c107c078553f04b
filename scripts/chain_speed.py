#!/usr/bin/env python3
"""Times `whatif check` and `whatif run` on the 100,000-variable chains and the 100,000-term sum
(issue 13's "answers or refuses within a second"), for one or more binaries in the same run, so
that each figure has its baseline beside it: the median of REPEATS runs, wall clock and CPU.

    python3 scripts/chain_speed.py [--repeats 5] BASELINE_BINARY NEW_BINARY ...
"""
import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time

N = 100_000


def models(directory):
    paths = {}
    def write(name, lines):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        paths[name] = path
    write("chain_deterministic.scm",
          ["v0 ~ Normal(0, 1)"] + [f"v{i + 1} := v{i} + 1" for i in range(N - 1)]
          + [f"query E[v{N - 1}]"])
    write("chain_normal.scm",
          ["v0 ~ Normal(0, 1)"] + [f"v{i + 1} ~ Normal(v{i}, 1)" for i in range(N - 1)]
          + [f"query E[v{N - 1} | v0 = 1]"])
    write("sum.scm", ["x ~ Bernoulli(0.5)", "y := " + " + ".join(["x"] * N), "query E[y]"])
    return paths


def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()[:500]}")
    return wall, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        paths = models(directory)
        print(f"{'model':<26}{'command':<8}" + "".join(f"{b[-33:]:>34}" for b in args.binaries))
        for name, path in paths.items():
            for command in ["check", "run"]:
                samples = {b: [] for b in args.binaries}
                for _ in range(args.repeats):
                    for b in args.binaries:  # interleaved, so load drifts hit all alike
                        samples[b].append(timed([b, command, path]))
                cells = []
                for b in args.binaries:
                    wall = statistics.median(s[0] for s in samples[b])
                    cpu = statistics.median(s[1] for s in samples[b])
                    cells.append(f"{wall:8.2f} s wall {cpu:6.2f} s cpu")
                print(f"{name:<26}{command:<8}" + "".join(f"{c:>34}" for c in cells))


if __name__ == "__main__":
    main()
