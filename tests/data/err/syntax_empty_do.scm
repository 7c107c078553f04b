# code: E001
x ~ Bernoulli(0.5)
query P(x | do())
