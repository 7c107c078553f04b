# code: E006
x ~ Bernoulli(1.3)
