# code: E006
x ~ Normal(1000, 1)
y := exp(x)
query E[y]
