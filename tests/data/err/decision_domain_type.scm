# code: E005
x ~ Bernoulli(0.5)
query P(x | do(x = "yes"))
