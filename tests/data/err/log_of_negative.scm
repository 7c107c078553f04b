# code: E006
x ~ Normal(0, 1)
y := log(x)
query E[y]
