#!/usr/bin/env python3
"""Issue 15's scale figures for families: a 100,000-member chain (`x[i] ~ Normal(x[i - 1], 1)`)
and 100,000 coins sharing one parent — time and peak memory (RSS) to check each, written as a
family and written out member by member (the same-run baseline), and the peak memory of
sampling them with 10^3 to 3·10^4 (coins: 10^6) samples on one thread, which must not grow with
the number of samples.

    python3 scripts/families_scale.py [--repeats 3] [--n 100000] BINARY

Each figure is the median of REPEATS runs; the runs of one table row are interleaved with its
baseline's, so load drifts hit both alike.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time


def models(directory, n):
    texts = {
        "chain_family": f"let N = {n}\nx[0] ~ Normal(0, 1)\nfor i in 1..N {{\n"
                        "  x[i] ~ Normal(x[i - 1], 1)\n}\nquery P(x[N] > 100 | x[0] = 1)\n",
        "chain_written_out": "x_0 ~ Normal(0, 1)\n"
                             + "".join(f"x_{i} ~ Normal(x_{i - 1}, 1)\n" for i in range(1, n + 1))
                             + f"query P(x_{n} > 100 | x_0 = 1)\n",
        "coins_family": f"let N = {n}\nbias ~ Beta(2, 2)\nfor i in 1..N {{\n"
                        "  coin[i] ~ Bernoulli(bias)\n}\nquery E[bias | coin[i] for i in 1..20]\n",
        "coins_written_out": "bias ~ Beta(2, 2)\n"
                             + "".join(f"coin_{i} ~ Bernoulli(bias)\n" for i in range(1, n + 1))
                             + "query E[bias | " + ", ".join(f"coin_{i}" for i in range(1, 21))
                             + "]\n",
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = os.path.join(directory, name + ".scm")
        with open(paths[name], "w") as f:
            f.write(text)
    return paths


def measured(command):
    """Wall seconds, CPU seconds and peak RSS (MiB) of one run of `command`."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode()
    child.stderr.close()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr[:500]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_of(command, repeats):
    runs = [measured(command) for _ in range(repeats)]
    return tuple(statistics.median(r[k] for r in runs) for k in range(3))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("binary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        paths = models(directory, args.n)
        print(f"whatif check, {args.n:,} members, medians of {args.repeats}")
        print(f"{'model':<10}{'family':>34}{'written out':>34}{'ratio':>8}")
        for model in ["chain", "coins"]:
            runs = {"family": [], "written_out": []}
            for _ in range(args.repeats):
                for form in runs:
                    runs[form].append(measured([args.binary, "check", paths[f"{model}_{form}"]]))
            cells = {}
            for form, rs in runs.items():
                wall, cpu, rss = (statistics.median(r[k] for r in rs) for k in range(3))
                cells[form] = (wall, f"{wall:6.2f} s {cpu:6.2f} s cpu {rss:6.1f} MiB")
            ratio = cells["family"][0] / cells["written_out"][0]
            print(f"{model:<10}{cells['family'][1]:>34}{cells['written_out'][1]:>34}{ratio:8.2f}")
        print(f"\nwhatif run --method is --threads 1, {args.n:,} members: peak memory by samples")
        for model, sizes in [("chain", [1_000, 10_000, 30_000]),
                             ("coins", [1_000, 10_000, 100_000, 1_000_000])]:
            for samples in sizes:
                repeats = 1 if model == "chain" and samples >= 30_000 else args.repeats
                wall, cpu, rss = median_of(
                    [args.binary, "run", "--method", "is", "--threads", "1",
                     "--samples", str(samples), paths[f"{model}_family"]], repeats)
                print(f"{model:<10}{samples:>10,} samples {wall:8.2f} s {cpu:8.2f} s cpu "
                      f"{rss:8.1f} MiB")


if __name__ == "__main__":
    main()
