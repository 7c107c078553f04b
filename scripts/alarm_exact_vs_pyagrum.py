#!/usr/bin/env python3
"""Exact ALARM posterior: whatif against pyAgrum LazyPropagation, same run (not part of the build).

`pip install pyagrum==3.3.1`, `cargo build --release`, then `python3 scripts/alarm_exact_vs_pyagrum.py`."""
import time, statistics, subprocess, re
import pyagrum as gum
bn = gum.loadBN("../shared/data/networks/alarm.bif")
times = []
for _ in range(20):
    t = time.perf_counter()
    ie = gum.LazyPropagation(bn)
    ie.setEvidence({"CVP": "HIGH", "PCWP": "HIGH", "HRBP": "HIGH"})
    ie.makeInference()
    p = ie.posterior("BP")[0]
    times.append(time.perf_counter() - t)
print(f"pyAgrum LazyPropagation: {1000*statistics.median(times):.2f} ms median of 20 (P = {p:.9f})")
w = []
for _ in range(20):
    out = subprocess.run(["target/release/whatif", "run", "../shared/bench/models/alarm.scm", "--method", "exact"], capture_output=True, text=True).stdout
    w.append(float(re.search(r"exact, ([0-9.]+) ms", out).group(1)))
    t = time.perf_counter()
print(f"whatif exact (in-process query time): {statistics.median(w):.2f} ms median of 20 ({out.split('=')[1].split()[0]})")
ws = []
for _ in range(20):
    t = time.perf_counter()
    subprocess.run(["target/release/whatif", "run", "../shared/bench/models/alarm.scm", "--method", "exact"], capture_output=True)
    ws.append(time.perf_counter() - t)
print(f"whatif whole process (start, parse, check, answer): {1000*statistics.median(ws):.2f} ms")
