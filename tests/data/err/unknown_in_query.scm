# code: E002
rain ~ Bernoulli(0.2)
query P(rainn)
