# code: E006
x ~ Normal(0, 1)
y ~ Normal(0, x)
query E[y]
