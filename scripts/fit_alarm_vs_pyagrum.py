#!/usr/bin/env python3
"""Fitting ALARM's CPTs from generated rows: `whatif fit` against pyAgrum's BNLearner
maximum-likelihood `learnParameters`, in the same run (not part of the build).

`pip install pyagrum==3.3.1`, `cargo build --release`, then from the repository root:

    python3 scripts/fit_alarm_vs_pyagrum.py [ROWS ...] [--runs R] [--threads T[,T...]]

For each size (default 100000 and 1000000) it draws that many rows from ALARM with pyAgrum
(`generateSample`, labels, fixed column order, seed 1), writes the model with every CPT a `?`
table (`X ~ Categorical("a": ?[P1, P2], "b": ?[P1, P2], ...)`) and `set prior = 1` (some
parent combinations of ALARM are too rare to appear even in 10^6 rows, so both tools add one
pseudo-observation per value and cell: Laplace's rule), and times, as medians of R runs
(default 3), both tools reading the same CSV and estimating every CPT by counts:

- whatif: `whatif fit MODEL --data ROWS.csv -o OUT.scm`, the whole process (start, parse, check,
  stream the rows, estimate, write the model), once per thread count given by `--threads`
  (RAYON_NUM_THREADS; default: all cores), the runs interleaved;
- pyAgrum: `BNLearner(ROWS.csv, bn)` (reads the file) then `useSmoothingPrior(1)` and
  `learnParameters(bn.dag())`, in this Python process.

It also reports each whatif run's peak resident memory (GNU time's maximum RSS) and, at the
smallest size, checks that the two fits agree: every CPT entry's largest absolute difference.
Disk: a row of ALARM is ~250 bytes of CSV, so 10^7 rows is ~2.5 GB; the default sizes stay
below 300 MB. The CSVs are written under $TMPDIR and deleted afterwards."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pyagrum as gum

WHATIF = "target/release/whatif"
ALARM = os.environ.get("ALARM_BIF", "/work/shared/data/networks/alarm.bif")


def fit_model(bn):
    """The model with a `?` table for every CPT, in topological order."""
    lines = ["set prior = 1"]
    for node in bn.topologicalOrder():
        var = bn.variable(node)
        parents = [bn.variable(p).name() for p in bn.parents(node)]
        index = f"[{', '.join(sorted(parents))}]" if parents else ""
        weights = ", ".join(f'"{label}": ?{index}' for label in var.labels())
        lines.append(f"{var.name()} ~ Categorical({weights})")
    return "\n".join(lines) + "\n"


def whatif_fit(model, rows, out, threads):
    """Seconds and peak RSS (MiB) of one `whatif fit`. The RSS is GNU time's: a child forked
    from this Python process would count the interpreter's pages (pyAgrum's database
    included) until it execs."""
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    # The fit's summary (one line per parameter) goes to a file: a pipe nobody reads while
    # the child runs would fill and stall it.
    with tempfile.NamedTemporaryFile() as log, tempfile.NamedTemporaryFile(mode="r") as rss:
        started = time.perf_counter()
        status = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, WHATIF, "fit", model, "--data", rows, "-o", out],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        ).returncode
        seconds = time.perf_counter() - started
        if status != 0:
            log.seek(0)
            sys.exit(f"whatif fit failed:\n{log.read().decode()}")
        return seconds, int(rss.read().split()[-1]) / 1024


def pyagrum_fit(bn, rows):
    started = time.perf_counter()
    learner = gum.BNLearner(rows, bn)
    learner.useSmoothingPrior(1)
    learned = learner.learnParameters(bn.dag())
    return time.perf_counter() - started, learned


def largest_difference(bn, learned, model, rows):
    """max |whatif − pyAgrum| over every CPT entry, whatif's estimates from `run --json`."""
    out = subprocess.run(
        [WHATIF, "run", model, "--data", rows, "--json"], capture_output=True, text=True, check=True
    ).stdout
    fit = json.loads(out)["fit"]
    by_cell = {}
    for p in fit["parameters"]:
        by_cell.setdefault((p["variable"], json.dumps(p["index"], sort_keys=True)), []).append(p["value"])
    worst = 0.0
    for node in bn.nodes():
        name = bn.variable(node).name()
        cpt = learned.cpt(node)
        parents = [cpt.variable(i).name() for i in range(1, cpt.nbrDim())]
        inst = gum.Instantiation(cpt)
        inst.setFirst()
        while not inst.end():
            label = inst.variable(0).label(inst.val(0))
            cell = {p: inst.variable(i + 1).label(inst.val(i + 1)) for i, p in enumerate(parents)}
            key = (name, json.dumps(cell if cell else None, sort_keys=True))
            ours = by_cell[key][bn.variable(node).index(label)]
            worst = max(worst, abs(ours - cpt.get(inst)))
            inst.inc()
    return worst


def main():
    args = sys.argv[1:]
    runs, threads = 3, [None]
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i : i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        threads = [int(t) for t in args[i + 1].split(",")]
        del args[i : i + 2]
    sizes = [int(float(a)) for a in args] or [100_000, 1_000_000]
    gum.initRandom(1)
    bn = gum.loadBN(ALARM)
    free = sum(
        (bn.variable(n).domainSize() - 1) * (bn.cpt(n).domainSize() // bn.variable(n).domainSize())
        for n in bn.nodes()
    )
    print(
        f"ALARM: {bn.size()} variables, {free} free CPT parameters; {os.cpu_count()} cores; "
        f"pyAgrum {gum.__version__} on {gum.getNumberOfThreads()} threads"
    )
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "alarm_fit.scm")
        with open(model, "w") as f:
            f.write(fit_model(bn))
        out = os.path.join(tmp, "fitted.scm")
        for n in sizes:
            rows = os.path.join(tmp, f"alarm_{n}.csv")
            started = time.perf_counter()
            gum.generateSample(bn, n, rows, show_progress=False, random_order=False)
            made = time.perf_counter() - started
            mib = os.path.getsize(rows) / 2**20
            ours = {t: [] for t in threads}
            rss = {t: [] for t in threads}
            theirs = []
            for _ in range(runs):
                for t in threads:
                    s, m = whatif_fit(model, rows, out, t)
                    ours[t].append(s)
                    rss[t].append(m)
                s, learned = pyagrum_fit(bn, rows)
                theirs.append(s)
            p = statistics.median(theirs)
            print(
                f"{n:>10} rows ({mib:.0f} MiB CSV, generated in {made:.1f} s): "
                f"pyAgrum BNLearner {p:.3f} s (median of {runs})"
            )
            for t in threads:
                w = statistics.median(ours[t])
                print(
                    f"{'':>12}whatif fit on {t or 'all'} thread(s) {w:.3f} s; "
                    f"whatif/pyAgrum = {w / p:.2f}; whatif peak RSS {max(rss[t]):.1f} MiB"
                )
            if n == min(sizes):
                print(f"  largest |whatif - pyAgrum| over every CPT entry: {largest_difference(bn, learned, model, rows):.3e}")
            os.remove(rows)


if __name__ == "__main__":
    main()
