#!/usr/bin/env python3
"""Seconds for whatif's default method (`--method auto`) to reach a posterior-mean estimate whose
reported standard error is at most 1% of the true posterior sd, on the posterior benchmark.

    python3 scripts/posterior_bench.py target/release/whatif [--bench DIR]
        [--models eight_schools,logistic200,hiring40,hiring100,hiring200] [--threads 1,2]
        [--reps 3] [--max-seconds 120] [--families 40,100,200] [--nuts] [--json OUT]

DIR is the shared benchmark folder (default ../shared/bench/posterior beside the repository,
else /work/shared/bench/posterior): its .scm models and truth.json (quadrature) are read, never
copied. Each query is timed alone (a copy of the model with only that query line), as the whole
`whatif run` process, with no `--method` flag: whatever `auto` chooses is what is measured, and
the method each run used is recorded (with auto's reason when it chose SMC).

Per model, query and thread count:
1. a ladder of --samples 4096, 16384, 65536, ... (a rung predicted to take more than a third of
   --max-seconds is skipped), --reps seeds each: medians of value, stderr, ESS, seconds;
2. N for stderr <= 1% of the true sd predicted from the largest rung that missed it (stderr ~
   N^-a, a read off the two rungs that bracket the target on a log-log scale, within [1/4, 1],
   else 1/2; x1.2 margin, at most the first rung that met it); run and verified (x1.5 until
   every repetition meets it) unless the prediction exceeds --max-seconds, in which case the
   time is extrapolated and marked so;
3. every run's |value - truth| / stderr (z): above 3 means the stderr is not honest there.

--nuts also runs NumPyro NUTS on each model right after whatif's runs of it, in the same process
tree on the same machine (the shared folder's numpyro_bench.py, imported, not copied: 1 chain,
1000 warm-up, draws sized so stderr = sd/sqrt(ESS) <= 1% of the true sd, each repetition a fresh
Python process, "incl. compile" its first run, "excl. compile" the same run again with another
key; the non-centered eight schools only). Needs `pip install numpyro jax`. A summary table then
gives both sides' medians and whatif's time as a ratio to NUTS's measured in this run.

--families N,... also times the hiring model written as one `for` block with N candidates
(hired unless i % 4 == 0, as gen_models.py), at a fixed 4096 samples, with its truth by
quadrature (needs numpy): how the time grows with N.
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import tempfile
import time

MODELS = ["eight_schools", "logistic200", "hiring40", "hiring100", "hiring200"]
TARGET_FRACTION = 0.01
QUERY_RE = re.compile(r"^query E\[(\w+) \|")


def bench_dir(arg):
    if arg:
        return arg
    here = os.path.dirname(os.path.abspath(__file__))
    near = os.path.join(here, "..", "..", "shared", "bench", "posterior")
    return near if os.path.isdir(near) else "/work/shared/bench/posterior"


def single_query_files(bench, model, tmp):
    with open(os.path.join(bench, model + ".scm")) as f:
        lines = f.read().splitlines()
    queries = [i for i, l in enumerate(lines) if l.startswith("query ")]
    out = {}
    for i in queries:
        site = QUERY_RE.match(lines[i]).group(1)
        keep = [l for j, l in enumerate(lines) if j not in queries or j == i]
        path = os.path.join(tmp, f"{model}_{site}.scm")
        with open(path, "w") as f:
            f.write("\n".join(keep) + "\n")
        out[site] = path
    return out


def run_once(binary, path, n, seed, threads):
    cmd = [binary, "run", path, "--samples", str(n), "--seed", str(seed), "--json",
           "--threads", str(threads)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[:500]}")
    res = json.loads(r.stdout)["results"][0]
    return {"n": n, "seed": seed, "wall_s": wall, "value": res["value"], "stderr": res["stderr"],
            "ess": res["ess"], "samples": res["samples"], "method": res["method"],
            "reason": res.get("method_reason"), "warnings": res.get("warnings", [])}


def summarize(runs, truth):
    med = statistics.median
    return {"n": runs[0]["n"], "wall_s": med([r["wall_s"] for r in runs]),
            "value": med([r["value"] for r in runs]), "stderr": med([r["stderr"] for r in runs]),
            "ess": med([r["ess"] for r in runs]),
            "max_abs_z": max(abs(r["value"] - truth) / r["stderr"] for r in runs),
            "methods": sorted({r["method"] for r in runs}),
            "reason": next((r["reason"] for r in runs if r["reason"]), None),
            "warned": any(r["warnings"] for r in runs)}


def bench_query(binary, path, threads, reps, truth, max_seconds, log):
    target = TARGET_FRACTION * truth["sd"]
    ladder = []
    n = 4096
    while True:
        if ladder and ladder[-1]["wall_s"] * n / ladder[-1]["n"] > max_seconds / 3:
            break
        s = summarize([run_once(binary, path, n, 1 + r, threads) for r in range(reps)],
                      truth["mean"])
        ladder.append(s)
        log(f"      N={n:>9}: {s['value']:.4f} ± {s['stderr']:.5f} (truth {truth['mean']:.4f}), "
            f"ESS {s['ess']:.0f}, {s['wall_s']:.2f} s, max|z| {s['max_abs_z']:.1f}, "
            f"{'/'.join(s['methods'])}{'  [warned]' if s['warned'] else ''}")
        if s["stderr"] <= target:
            break
        n *= 4
    # N from the largest rung that missed the target (the ladder's steps of 4 would otherwise
    # overshoot by up to 4x), x1.2 margin, then verified below. stderr ~ N^-a: a = 1/2 for
    # likelihood weighting, but SMC's stderr falls faster while its tempering population
    # grows, so between the rungs that bracket the target a is read off their line on a log-log
    # scale (between 1/4 and 1); above the ladder a = 1/2.
    top = ladder[-1]
    missed = [s for s in ladder if s["stderr"] > target]
    base = missed[-1] if missed else top
    a = 0.5
    if base["stderr"] <= target:
        need = base["n"]
    else:
        if top["stderr"] <= target and top["n"] > base["n"]:
            a = math.log(base["stderr"] / top["stderr"]) / math.log(top["n"] / base["n"])
            a = min(max(a, 0.25), 1.0)
        need = int(math.ceil(base["n"] * (base["stderr"] / target) ** (1 / a) * 1.2 / 1024) * 1024)
        if top["stderr"] <= target:
            need = min(need, top["n"])
    predicted = max(top["wall_s"] * need / top["n"], base["wall_s"] * need / base["n"])
    result = {"target_stderr": target, "ladder": ladder, "stderr_exponent": a}
    if predicted > max_seconds:
        result["to_target"] = {"n": need, "seconds": predicted, "extrapolated": True}
        log(f"   -> needs N≈{need:.3g}: predicted {predicted:.0f} s > {max_seconds:.0f} s, not run")
        return result
    for attempt in range(4):
        runs = [run_once(binary, path, need, 101 + r, threads) for r in range(reps)]
        ok = all(r["stderr"] <= target for r in runs)
        if ok or attempt == 3:
            break
        need = int(math.ceil(need * 1.5 / 1024) * 1024)
    s = summarize(runs, truth["mean"])
    s.update({"met_in_all_reps": ok, "seconds": s["wall_s"], "extrapolated": False})
    result["to_target"] = s
    log(f"   -> stderr ≤ {target:.5f} with N={need}{'' if ok else ' (NOT in all reps)'}: "
        f"{s['wall_s']:.2f} s, {s['value']:.4f} ± {s['stderr']:.5f} vs {truth['mean']:.4f}, "
        f"max|z| {s['max_abs_z']:.1f}, {'/'.join(s['methods'])}")
    return result


def nuts_bench(bench, model, reps, truth, log):
    """NumPyro NUTS on `model` with the shared numpyro_bench.py: {site: its `target` figures}."""
    import sys
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import numpyro_bench
    for name, variant, sites, measure in numpyro_bench.CONFIGS:
        if name == model and measure:
            return numpyro_bench.bench_config(name, variant, sites, measure, reps, truth,
                                              log)["target"]
    return {}


def summary_table(out, nuts, truth, threads):
    """Markdown: per query, NUTS's and whatif's seconds to target, ratios, whatif's error."""
    head = ["model · query", "NUTS incl. compile", "NUTS excl. compile"]
    for t in threads:
        head += [f"whatif {t} thr.", f"ratio to NUTS incl. / excl. ({t} thr.)"]
    head += ["whatif method", "whatif estimate ± stderr vs truth (z; max |z|)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted({k.rsplit("/", 1)[0] for k in out if "/threads" in k and "family" not in k},
                      key=lambda k: MODELS.index(k.split("/")[0])):
        model, site = key.split("/")
        n = nuts.get(model, {}).get(site)
        tin = n and n["seconds_incl_compile"]
        tex = n and n["seconds_excl_compile"]
        mark = "~" if n and n.get("extrapolated") else ""
        cells = [f"{model} · E[{site}]", f"{mark}{tin:.2f}" if n else "—",
                 f"{mark}{tex:.2f}" if n else "—"]
        shown = None
        for t in threads:
            r = out.get(f"{key}/threads{t}", {}).get("to_target")
            if not r:
                cells += ["—", "—"]
                continue
            sec = r["seconds"]
            ext = "~" if r.get("extrapolated") else ""
            cells.append(f"{ext}{sec:.2f}")
            cells.append(f"{sec / tin:.3g} / {sec / tex:.3g}" if n else "—")
            if not r.get("extrapolated") and shown is None:
                shown = r
        if shown:
            m = truth[model]["queries"][site]["mean"]
            z = (shown["value"] - m) / shown["stderr"]
            cells.append("/".join(shown["methods"]))
            cells.append(f"{shown['value']:.4f} ± {shown['stderr']:.4f} vs {m:.4f} "
                         f"({z:+.1f}; {shown['max_abs_z']:.1f})")
        else:
            cells += ["—", "not reached"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def hiring_family(n):
    hired = [(i % 4) != 0 for i in range(1, n + 1)]
    evidence = ", ".join((f"hired[{i}]" if h else f"not hired[{i}]")
                         for i, h in enumerate(hired, 1))
    text = (f"bias ~ Normal(0, 1)\nfor i in 1..{n} {{\n  talent[i] ~ Normal(0, 1)\n"
            f"  hired[i] ~ Bernoulli(sigmoid(talent[i] + bias))\n}}\n"
            f"query E[bias | {evidence}]\n")
    return text, sum(hired)


def hiring_truth(n, hired):
    """Posterior mean and sd of bias: talent integrated by Gauss–Hermite, bias on a grid."""
    import numpy as np
    t, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    b = np.linspace(-6, 8, 28001)
    p = (1 / (1 + np.exp(-(t[None, :] + b[:, None])))) @ w
    logpost = -0.5 * b * b + hired * np.log(p) + (n - hired) * np.log1p(-p)
    post = np.exp(logpost - logpost.max())
    post /= post.sum()
    mean = float((b * post).sum())
    return {"mean": mean, "sd": float(np.sqrt(((b - mean) ** 2 * post).sum()))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--bench")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--families", default="")
    ap.add_argument("--nuts", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    bench = bench_dir(a.bench)
    with open(os.path.join(bench, "truth.json")) as f:
        truth = json.load(f)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()

    def log(msg):
        print(msg, flush=True)

    log(f"{version}, default method (auto), {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, medians of {a.reps} seeds")
    out = {}
    nuts = {}
    thread_counts = [int(x) for x in a.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for model in [m for m in a.models.split(",") if m]:
            for site, path in single_query_files(bench, model, tmp).items():
                for threads in thread_counts:
                    log(f"\n== {model} E[{site} | data], --threads {threads}")
                    out[f"{model}/{site}/threads{threads}"] = bench_query(
                        binary, path, threads, a.reps, truth[model]["queries"][site],
                        a.max_seconds, log)
            if a.nuts:
                nuts[model] = nuts_bench(bench, model, a.reps, truth, log)
        for n in [int(x) for x in a.families.split(",") if x]:
            text, hired = hiring_family(n)
            path = os.path.join(tmp, f"hiring_family{n}.scm")
            with open(path, "w") as f:
                f.write(text)
            t = hiring_truth(n, hired)
            for threads in [int(x) for x in a.threads.split(",")]:
                s = summarize([run_once(binary, path, 4096, 1 + r, threads)
                               for r in range(a.reps)], t["mean"])
                out[f"hiring_family{n}/threads{threads}"] = s
                log(f"hiring family N={n:>5}, --threads {threads}, 4096 samples: "
                    f"{s['wall_s']:.2f} s, {s['value']:.4f} ± {s['stderr']:.5f} vs "
                    f"{t['mean']:.4f} (sd {t['sd']:.4f}), max|z| {s['max_abs_z']:.1f}, "
                    f"{'/'.join(s['methods'])}{'  [warned]' if s['warned'] else ''}")
    if a.nuts:
        out["nuts"] = nuts
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    log("\n" + summary_table(out, nuts, truth, thread_counts))


if __name__ == "__main__":
    main()
