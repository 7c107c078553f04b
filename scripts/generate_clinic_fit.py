#!/usr/bin/env python3
"""Writes examples/clinic_fit.csv (2,000 rows drawn from a known clinic model, seeded,
reproducible) and prints the answers examples/clinic_fit.scm must give once fitted to it,
computed here from the rows by hand: proportions per cell, and least squares by the normal
equations.

    severity  ~ Categorical("mild": 0.7, "severe": 0.3)
    treated   ~ Bernoulli(if severity == "severe" then 0.7 else 0.4)
    recovered ~ Bernoulli(P[treated, severity]) with P = 0.8 (treated, mild), 0.6 (treated,
                severe), 0.55 (untreated, mild), 0.2 (untreated, severe)
    cost      ~ Normal(100 + 25 treated + 60 severe, 8)    (one row in 50 has no cost: NA)

Usage: generate_clinic_fit.py [OUT.csv]
"""
import random
import sys

ROWS = 2000
SEED = 1612
RECOVERY = {(True, False): 0.8, (True, True): 0.6, (False, False): 0.55, (False, True): 0.2}


def draw(rows=ROWS, seed=SEED):
    rng = random.Random(seed)
    out = []
    for i in range(rows):
        severe = rng.random() < 0.3
        treated = rng.random() < (0.7 if severe else 0.4)
        recovered = rng.random() < RECOVERY[(treated, severe)]
        cost = 100 + 25 * treated + 60 * severe + 8 * rng.gauss(0, 1)
        out.append((severe, treated, recovered, None if i % 50 == 7 else round(cost, 2)))
    return out


def answers(rows):
    """The fitted model's exact answers, from the counts and the normal equations."""
    n = len(rows)
    p_severe = sum(r[0] for r in rows) / n
    p_sev = {True: p_severe, False: 1 - p_severe}

    def p_treated(s):
        cell = [r for r in rows if r[0] == s]
        return sum(r[1] for r in cell) / len(cell)

    def p_recovered(t, s):
        cell = [r for r in rows if r[1] == t and r[0] == s]
        return sum(r[2] for r in cell) / len(cell)

    do = {t: sum(p_sev[s] * p_recovered(t, s) for s in (True, False)) for t in (True, False)}
    # P(severe | recovered) by Bayes over the fitted joint.
    joint = {
        s: p_sev[s] * sum((p_treated(s) if t else 1 - p_treated(s)) * p_recovered(t, s) for t in (True, False))
        for s in (True, False)
    }
    severe_given_recovered = joint[True] / (joint[True] + joint[False])
    # Least squares of cost on (1, treated, severe).
    xs = [(1.0, float(r[1]), float(r[0])) for r in rows if r[3] is not None]
    ys = [r[3] for r in rows if r[3] is not None]
    xtx = [[sum(x[i] * x[j] for x in xs) for j in range(3)] for i in range(3)]
    xty = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(3)]
    beta = solve(xtx, xty)
    cost_treated = beta[0] + beta[1] + beta[2] * p_severe
    return do, severe_given_recovered, cost_treated, beta


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "examples/clinic_fit.csv"
    rows = draw()
    with open(out, "w") as f:
        f.write("severity,treated,recovered,cost\n")
        for severe, treated, recovered, cost in rows:
            f.write(
                f"{'severe' if severe else 'mild'},{int(treated)},{str(recovered).lower()},"
                f"{'NA' if cost is None else cost}\n"
            )
    do, sgr, cost_treated, beta = answers(rows)
    print(f"P(recovered | do(treated = true))  = {do[True]!r}")
    print(f"P(recovered | do(treated = false)) = {do[False]!r}")
    print(f"P(severity = severe | recovered)   = {sgr!r}")
    print(f"E[cost | do(treated = true)]        = {cost_treated!r}   (beta {beta})")


if __name__ == "__main__":
    main()
