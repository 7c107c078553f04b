# code: E005
x ~ Normal(0, 1)
query E[x[1]]
