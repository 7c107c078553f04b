# code: E005
x ~ Normal(0, 1)
query P(not x)
