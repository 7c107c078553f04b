# code: E011
x ~ Normal(0, 1)
y ~ Normal(x, 1)
query E[x | y = 1, y[do(x = 1)] = 2]
