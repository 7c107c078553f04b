# code: E009
good[0] ~ Bernoulli(0.5)
for t in 1..12 {
  decision act[t] in bool
  good[t] ~ Bernoulli(if act[t] then 0.9 else 0.5)
}
decide act[t] given good[t - 1] for t in 1..12 maximize E[count(good[t] for t in 1..12)]
