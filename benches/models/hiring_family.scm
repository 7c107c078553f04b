# Hiring as one family (LANGUAGE.md §11): N candidates with latent talent, K of them hired.
# The candidates are exchangeable, so the posterior of bias depends only on how many were
# hired: the shared benchmark's hiringN (not hired when i % 4 == 0) has the same posterior
# as the first K = N − N/4 hired here. scripts/posterior_family.py sets N and K.
let N = 40
let K = 30
bias ~ Normal(0, 1)
for i in 1..N {
  talent[i] ~ Normal(0, 1)
  hired[i] ~ Bernoulli(sigmoid(talent[i] + bias))
}

query E[bias | hired[i] for i in 1..K, not hired[i] for i in K + 1..N]
