# code: E009
treat ~ Bernoulli(0.5)
recover ~ Bernoulli(if treat then 0.8 else 0.5)
decide treat in {false, true} maximize E[recover] given recover
