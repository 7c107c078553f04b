# code: E007
# `do(x = 1)` sets x to 1, so observing x = 2 in that world cannot hold (also for a real x).
x ~ Normal(0, 1)
y ~ Normal(x, 1)
query E[y | do(x = 1), x = 2]
