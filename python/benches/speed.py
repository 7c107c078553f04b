"""Speed of the Python package against the command line, in the same run.

    python python/benches/speed.py [--samples N] [--repeats R]

Needs the package installed (`pip install ./python`) and `target/release/whatif` built
(`cargo build --release`). Prints, as medians of R runs:

- the time of a whole Python call for an exact query (`model.ask("P(rain | wet)")` on a
  three-variable model, 200 calls per run), asked again (the model keeps its exact answers:
  a lookup and the Python layer) and asked afresh (a new seed each call, so nothing is kept:
  the library checks the question, plans and eliminates, on a worker thread, and the answer
  crosses as JSON);
- sampling throughput (samples per second) from Python and from the CLI on the bench models
  in ../shared/bench/models (the CLI's time includes process start and parsing; N samples
  with --method is --threads 1, so both sides run the same chunks on one core).
"""

import argparse
import pathlib
import statistics
import subprocess
import time

import whatif

REPO = pathlib.Path(__file__).resolve().parents[2]
BENCH = REPO.parent.parent / "shared" / "bench" / "models"
CLI = REPO / "target" / "release" / "whatif"


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    sprinkler = whatif.Model("rain ~ Bernoulli(0.2)\nsprinkler ~ Bernoulli(0.4)\nwet := rain or sprinkler")
    calls = 200
    sprinkler.ask("P(rain | wet)")
    again = median_time(lambda: [sprinkler.ask("P(rain | wet)") for _ in range(calls)], args.repeats) / calls
    print(f"exact query asked again, whole Python call: {again * 1e6:.1f} us (median of {args.repeats} x {calls} calls)")
    seeds = iter(range(1, 1 + calls * args.repeats))
    fresh = median_time(lambda: [sprinkler.ask("P(rain | wet)", seed=next(seeds)) for _ in range(calls)], args.repeats) / calls
    print(f"exact query asked afresh, whole Python call: {fresh * 1e6:.1f} us (median of {args.repeats} x {calls} calls)")

    n = args.samples
    print(f"sampling, {n} samples, --method is --threads 1 (samples/s; median of {args.repeats}):")
    print(f"{'model':<16}{'python':>14}{'cli':>14}{'python/cli':>12}")
    for path in sorted(BENCH.glob("*.scm")):
        model = whatif.Model.from_file(path)
        command = [str(CLI), "run", "--json", "--samples", str(n), "--method", "is", "--threads", "1", "--seed", "1", str(path)]
        # Alternated, so both sides see the same load on a shared machine.
        pairs = [
            (
                median_time(lambda: model.run(samples=n, method="is", threads=1, seed=1), 1),
                median_time(lambda: subprocess.run(command, check=True, capture_output=True), 1),
            )
            for _ in range(args.repeats)
        ]
        python = statistics.median(p for p, _ in pairs)
        cli = statistics.median(c for _, c in pairs)
        questions = len(model.questions)
        print(f"{path.stem:<16}{questions * n / python:>14.3e}{questions * n / cli:>14.3e}{cli / python:>12.3f}")


if __name__ == "__main__":
    main()
