# code: E003
decision d in bool
d ~ Bernoulli(0.5)
