# code: E001
rain ~ Bernoulli(0.2)
P(rain)
