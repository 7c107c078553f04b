# code: E014
a ~ Bernoulli(0.5)
b ~ Bernoulli(0.3)
a -> b
query P(b)
