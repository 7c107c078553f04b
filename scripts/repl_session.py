#!/usr/bin/env python3
"""Prints a REPL session of N lines (default 3,000) for timing the REPL on piped input:
a chain of Normal variables, a question every tenth line (the first line sets the samples).

    python3 scripts/repl_session.py 3000 | time target/release/whatif repl > /dev/null
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
print(":samples 1000")
print("x0 ~ Normal(0, 1)")
lines = 2
i = 1
while lines < n:
    if lines % 10 == 0:
        print(f"P(x{i - 1} > 0 | x0 = 1)")
    else:
        print(f"x{i} ~ Normal(0.5 * x{i - 1} + 1, 1)")
        i += 1
    lines += 1
