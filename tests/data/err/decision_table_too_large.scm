# code: E009
# 100,001 × 100,001 joint actions: refused from the domain sizes, before any is built.
decision a in 0..100000
decision b in 0..100000
u := a + b
decide (a, b) maximize E[u]
