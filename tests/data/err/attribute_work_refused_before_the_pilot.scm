# code: E005
# 200 players and 1,000 sampled permutations: the work estimate refuses it before any sampling
# (it used to run likelihood weighting's pilot over the first 64 coalitions first: 10 s).
for i in 1..200 {
  x[i] ~ Normal(0, 1)
}
y := sum(x[i] for i in 1..200)
set permutations = 1000
attribute y given y > 3
