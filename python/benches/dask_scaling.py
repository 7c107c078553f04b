"""Speed-up of whatif.dask with 1, 2 and 4 local Dask workers, against one process.

    python python/benches/dask_scaling.py [--samples N] [--repeats R]

Each worker is a process with one thread (LocalCluster(processes=True,
threads_per_worker=1)); the baseline is `model.ask(..., threads=1)` in this process, measured
in the same run, alternating with the sharded runs. Every sharded answer is checked equal to the baseline's. Prints medians.
On a machine with fewer cores than workers the figures show the overhead, not a speed-up.
"""

import argparse
import os
import statistics
import time

import distributed

import whatif
import whatif.dask

MODEL = """
x ~ Normal(0, 1)
y ~ Normal(2 * x, 1)
z := exp(x) + y
"""
QUESTION = "E[z | y > 1]"


def median_time(f, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=32 * 1_048_576)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = whatif.Model(MODEL)
    ask = lambda: model.ask(QUESTION, samples=args.samples, seed=1, method="is", threads=1)  # noqa: E731
    base, expected = median_time(ask, args.repeats)
    print(f"cores: {os.cpu_count()}; {args.samples} samples of {QUESTION}")
    print(f"one process, one thread: {base:.2f} s")
    for workers in (1, 2, 4):
        with distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster, distributed.Client(cluster) as client:
            run = lambda: whatif.dask.ask(  # noqa: E731
                model, QUESTION, samples=args.samples, seed=1, method="is", client=client, threads=1
            )
            run()  # warm: workers import whatif
            # Alternate with the baseline, so both see the same load on a shared machine.
            pairs = [(median_time(ask, 1)[0], median_time(run, 1)) for _ in range(args.repeats)]
            base = statistics.median(b for b, _ in pairs)
            elapsed = statistics.median(t for _, (t, _) in pairs)
            assert all(r.to_dict() == expected.to_dict() for _, (_, r) in pairs)
            print(
                f"{workers} worker(s): {elapsed:.2f} s; one process alongside: {base:.2f} s; "
                f"speed-up {base / elapsed:.2f}"
            )


if __name__ == "__main__":
    main()
