# code: E001
match ~ Bernoulli(0.5)
