# code: E005
set samples = 2.5
x ~ Bernoulli(0.5)
query P(x)
