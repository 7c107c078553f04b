#!/usr/bin/env python3
"""Writes examples/smoking_front_door.csv: 2,000 rows drawn from the generating model of
examples/smoking_generating_model.scm (seeded, reproducible), without the hidden genotype.

    genotype ~ Bernoulli(0.3)                        (unobserved)
    smoking  ~ Bernoulli(if genotype then 0.8 else 0.2)
    tar      ~ Bernoulli(if smoking then 0.85 else 0.15)
    cancer   ~ Bernoulli(P[tar, genotype]) with P = 0.7 (tar, genotype), 0.4 (tar only),
               0.5 (genotype only), 0.1 (neither)

Truth: P(cancer | do(smoking = true)) = 0.4495, P(cancer | do(smoking = false)) = 0.2605.

Usage: generate_smoking_front_door.py [OUT.csv]
"""
import random
import sys

ROWS = 2000
SEED = 20061


def write_rows(out, rows=ROWS, seed=SEED):
    """Writes `rows` rows drawn from the generating model with `seed`."""
    rng = random.Random(seed)
    cancer_p = {(True, True): 0.7, (True, False): 0.4, (False, True): 0.5, (False, False): 0.1}
    with open(out, "w") as f:
        f.write("smoking,tar,cancer\n")
        for _ in range(rows):
            genotype = rng.random() < 0.3
            smoking = rng.random() < (0.8 if genotype else 0.2)
            tar = rng.random() < (0.85 if smoking else 0.15)
            cancer = rng.random() < cancer_p[(tar, genotype)]
            f.write(f"{str(smoking).lower()},{str(tar).lower()},{str(cancer).lower()}\n")


def main():
    write_rows(sys.argv[1] if len(sys.argv) > 1 else "examples/smoking_front_door.csv")


if __name__ == "__main__":
    main()
