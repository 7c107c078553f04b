# code: E010
# method: exact
x ~ Normal(0, 1)
query P(x > 0)
