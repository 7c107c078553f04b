# code: E005
# 14 players, 2,000 permutations on exact inference: fewer coalitions than their limit, but more
# work than an attribution may take (Config::max_attribution_work), refused before any runs.
x0 ~ Bernoulli(0.5)
x1 ~ Bernoulli(0.5)
x2 ~ Bernoulli(0.5)
x3 ~ Bernoulli(0.5)
x4 ~ Bernoulli(0.5)
x5 ~ Bernoulli(0.5)
x6 ~ Bernoulli(0.5)
x7 ~ Bernoulli(0.5)
x8 ~ Bernoulli(0.5)
x9 ~ Bernoulli(0.5)
x10 ~ Bernoulli(0.5)
x11 ~ Bernoulli(0.5)
x12 ~ Bernoulli(0.5)
x13 ~ Bernoulli(0.5)
y := x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + x13
set permutations = 2000
attribute y given y > 10
