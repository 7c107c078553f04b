# code: E002
set sample = 100
x ~ Bernoulli(0.5)
query P(x)
