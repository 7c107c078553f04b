#!/usr/bin/env python3
"""Process start of an imported network (issue 21): `whatif run` on a model `whatif import`
wrote, with one question, timed end to end (wall clock of the whole process, median of
--runs), for one or more binaries in the same run, alternating so that load falls on each alike.

    python3 scripts/start_time.py target/release/whatif /tmp/whatif-base \
        [--network ../shared/data/networks/munin.bif] [--question 'P(R_LNLW_MEDD2_DISP_WD)'] [--runs 15]

The first binary imports the network; every binary runs the same .scm file.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_NETWORK = os.path.join(HERE, "..", "..", "shared", "data", "networks", "munin.bif")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--network", default=DEFAULT_NETWORK)
    ap.add_argument("--question", default="P(R_LNLW_MEDD2_DISP_WD)")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if not os.path.exists(args.network):
        sys.exit(f"{args.network} is missing (the bnlearn networks are in ../shared/data/networks)")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.scm")
        subprocess.run([args.binaries[0], "import", args.network, "-o", model], check=True,
                       stdout=subprocess.DEVNULL)
        with open(model, "a") as f:
            f.write(f"\nquery {args.question}\n")
        times = {b: [] for b in args.binaries}
        outputs = {}
        for _ in range(args.runs):
            for b in args.binaries:
                start = time.perf_counter()
                out = subprocess.run([b, "run", model], check=True, capture_output=True, text=True)
                times[b].append(time.perf_counter() - start)
                outputs[b] = out.stdout
        size = os.path.getsize(model)
    base = statistics.median(times[args.binaries[-1]])
    print(f"{os.path.basename(args.network)} ({size:,} bytes as .scm), `whatif run` with `query {args.question}`, "
          f"median of {args.runs} runs:")
    for b in args.binaries:
        m = statistics.median(times[b])
        print(f"  {b}: {1000 * m:.0f} ms (min {1000 * min(times[b]):.0f}), {m / base:.2f}x the last")
    # The answers' numbers (timings aside) must agree.
    strip = lambda text: [line.split("(exact")[0] for line in text.splitlines() if "method:" not in line]
    firsts = {b: strip(o) for b, o in outputs.items()}
    if len({tuple(v) for v in firsts.values()}) != 1:
        sys.exit("the binaries' answers differ")


if __name__ == "__main__":
    main()
