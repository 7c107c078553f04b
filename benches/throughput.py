#!/usr/bin/env python3
"""Sampling throughput of whatif against the hand-written sampler, measured in the same run.

Usage: python3 benches/throughput.py [--repeats 3] [--quick] [--baseline OTHER_WHATIF]

Builds whatif (release) and ../shared/bench/ref-rust, then for every query of the benchmark
models (../shared/bench/models/*.scm) runs `whatif run --method is` on a file holding the model
and that one query, on 1 and 2 threads, and reports the median samples per second, the ratio to
the hand-written program's figure for the same query, and the estimate's distance from the
exact answer in standard errors. It then measures peak RSS at 10^6 and 10^8 samples
(sprinkler) with /usr/bin/time. Timings include process start and parsing (negligible at these
sample counts). The machine is shared and noisy: read the ratios, not the absolute figures.

With --baseline, another whatif binary (an earlier commit's release build) runs the same files
alternately with this one, and the table adds its rate and the ratio of this build to it: the
before/after figure of a refactor, both sides measured in the same run.
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ../shared/bench beside the checkout (a git worktree one level deeper looks one level up).
BENCH = next((d for d in (os.path.join(ROOT, "..", "shared", "bench"),
                          os.path.join(ROOT, "..", "..", "shared", "bench")) if os.path.isdir(d)),
             os.path.join(ROOT, "..", "shared", "bench"))
SAMPLES = {"sprinkler": 100_000_000, "chain20": 20_000_000, "chain20_do": 20_000_000, "alarm": 20_000_000}
# The hand-written program's query ids, in the order of each model file's queries.
REF_IDS = {
    "sprinkler": ["sprinkler_rain_given_wet", "sprinkler_wet_do_s", "sprinkler_cloudy_do_s"],
    "chain20": ["chain_x1_given_x20"],
    "chain20_do": ["chain_x20_do_x10"],
    "alarm": ["alarm_bp_low"],
}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def build(quick):
    sh(["cargo", "build", "--release", "--locked"], cwd=ROOT)
    target = os.path.join(tempfile.gettempdir(), "whatif-ref-rust")
    sh(["cargo", "build", "--release", "--locked", "--manifest-path",
        os.path.join(BENCH, "ref-rust", "Cargo.toml"), "--target-dir", target])
    return os.path.join(ROOT, "target", "release", "whatif"), os.path.join(target, "release", "ref-rust")


def reference(ref, n, repeats):
    """samples/s per query id from the hand-written program (median of its own repeats)."""
    out = sh([ref, str(n), str(repeats), "small"]).stdout
    rates = {}
    for line in out.splitlines():
        m = re.search(r"query=(\S+) .*samples_per_s=(\S+)", line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    return rates


def split_queries(path):
    """(declarations text, [(query line, exact value or None)])."""
    decls, queries = [], []
    for line in open(path):
        if line.startswith("query"):
            m = re.search(r"#\s*exact:?\s*([-0-9.e]+)", line)
            queries.append((line.split("#")[0].strip(), float(m.group(1)) if m else None))
        else:
            decls.append(line)
    return "".join(decls), queries


def run_whatif(whatif, path, n, threads):
    start = time.perf_counter()
    out = sh([whatif, "run", path, "--method", "is", "--json", "--samples", str(n),
              "--threads", str(threads), "--seed", "1"]).stdout
    seconds = time.perf_counter() - start
    result = json.loads(out)["results"][0]
    return n / seconds, result


def peak_rss_kb(whatif, path, n):
    err = subprocess.run(["/usr/bin/time", "-f", "%M", whatif, "run", path, "--method", "is",
                          "--samples", str(n), "--threads", "1"],
                         capture_output=True, text=True, check=True).stderr
    return int(err.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the samples")
    parser.add_argument("--baseline", help="another whatif binary to measure alongside")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    whatif, ref = build(args.quick)
    ref_rates = reference(ref, 20_000_000 // scale, args.repeats)
    print(f"{'query':<42}{'threads':>8}{'whatif/s':>12}{'hand/s':>12}{'ratio':>8}"
          f"{'estimate':>12}{'exact':>12}{'|err|/SE':>10}"
          + (f"{'base/s':>12}{'new/base':>10}" if args.baseline else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for model in ["sprinkler", "chain20", "chain20_do", "alarm"]:
            decls, queries = split_queries(os.path.join(BENCH, "models", model + ".scm"))
            for (query, exact), ref_id in zip(queries, REF_IDS[model]):
                path = os.path.join(tmp, f"{ref_id}.scm")
                with open(path, "w") as f:
                    f.write(decls + query + "\n")
                n = SAMPLES[model] // scale
                for threads in (1, 2):
                    runs, base_rates = [], []
                    for _ in range(args.repeats):
                        runs.append(run_whatif(whatif, path, n, threads))
                        if args.baseline:
                            base_rates.append(run_whatif(args.baseline, path, n, threads)[0])
                    rate = statistics.median(r for r, _ in runs)
                    result = runs[0][1]
                    value, se = result["value"], result["stderr"]
                    z = abs(value - exact) / se if exact is not None and se > 0 else float("nan")
                    hand = ref_rates.get(ref_id, float("nan"))
                    print(f"{query[6:][:41]:<42}{threads:>8}{rate:>12.3e}{hand:>12.3e}"
                          f"{rate / hand:>8.2f}{value:>12.6f}{exact if exact is not None else float('nan'):>12.6f}{z:>10.2f}"
                          + (f"{statistics.median(base_rates):>12.3e}{rate / statistics.median(base_rates):>10.2f}"
                             if base_rates else ""))
        sprinkler = os.path.join(tmp, "sprinkler_rain_given_wet.scm")
        small, large = peak_rss_kb(whatif, sprinkler, 10**6), peak_rss_kb(whatif, sprinkler, 10**8 // scale)
        print(f"\npeak RSS, sprinkler P(rain | wet), one thread: {small / 1024:.1f} MB at 1e6 samples, "
              f"{large / 1024:.1f} MB at {10**8 // scale:.0e} samples")


if __name__ == "__main__":
    sys.exit(main())
