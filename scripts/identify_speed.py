#!/usr/bin/env python3
"""Times identification and identified estimation (medians of 5, same session, with baselines).

  1. Identification on a 30-node ADMG: a generated graph-only model (random DAG, edge
     probability 0.15, 25 bidirected edges, seeded) with 10 `identify` statements; the time of
     each statement as whatif reports it, and the whole `whatif run` against `whatif check` of
     the same file (parse, check, no identification) as the baseline.
  2. Estimation from 1,000,000 rows: the front-door model on a generated CSV (smoking, tar,
     cancer, drawn from examples/smoking_generating_model.scm's mechanisms); the whole
     `whatif run` (read + count + estimand + 200 bootstrap resamples) against Python's csv
     module merely reading the same file.

Usage: identify_speed.py PATH/TO/whatif (a release build)
"""
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd):
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return elapsed, out.stdout


def median_of(cmd, n=5):
    runs = [timed(cmd) for _ in range(n)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def admg_model(path, n=30, seed=30):
    rng = random.Random(seed)
    names = [f"v{i}" for i in range(n)]
    lines = []
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < 0.15:
                lines.append(f"{names[a]} -> {names[b]}")
    pairs = set()
    while len(pairs) < 25:
        a, b = sorted(rng.sample(range(n), 2))
        pairs.add((a, b))
    lines += [f"{names[a]} <-> {names[b]}" for a, b in sorted(pairs)]
    connected = sorted({w for l in lines for w in re.findall(r"v\d+", l)}, key=lambda v: int(v[1:]))
    for _ in range(10):
        y, x = rng.sample(connected[len(connected) // 2:], 1), rng.sample(connected[:len(connected) // 2], 2)
        lines.append(f"identify P({y[0]} | do({', '.join(x)}))")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def front_door_csv(path, rows=1_000_000, seed=5):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from generate_smoking_front_door import write_rows
    write_rows(path, rows, seed)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    whatif = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "admg30.scm")
        admg_model(model)
        run_t, text = median_of([whatif, "run", model])
        check_t, _ = median_of([whatif, "check", model])
        per = [float(m) for m in re.findall(r"identify P\(.*\)\s+\(([0-9.]+) ms\)", text)]
        verdicts = text.count("identifiable:"), text.count("not identifiable")
        print(f"30-node ADMG, 10 identify statements: per statement median {statistics.median(per):.3f} ms,"
              f" max {max(per):.3f} ms; whole run {run_t * 1000:.1f} ms vs check {check_t * 1000:.1f} ms"
              f" (identified {verdicts[0]}, not {verdicts[1]})")
        csv_path = os.path.join(d, "front_door.csv")
        front_door_csv(csv_path)
        fd = os.path.join(d, "front_door.scm")
        with open(fd, "w") as f:
            f.write('data "front_door.csv"\nsmoking -> tar -> cancer\nsmoking <-> cancer\n'
                    "query P(cancer | do(smoking = true))\n")
        est_t, text = median_of([whatif, "run", fd])
        read_t, _ = median_of([sys.executable, "-c",
                               "import csv,sys\nn=0\nfor r in csv.reader(open(sys.argv[1])): n+=1",
                               csv_path])
        print(f"1,000,000 rows, front door: whatif run {est_t:.3f} s; Python csv.reader alone {read_t:.3f} s"
              f" (ratio {est_t / read_t:.2f})")
        print(text.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
