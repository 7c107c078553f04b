# code: E010
# method: exact
x ~ Exponential(1)
query P(x > 1)
